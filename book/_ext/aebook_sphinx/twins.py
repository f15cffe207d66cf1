"""Twin pages: every page links to its twin in the other language (a visible link, and
``<link rel="alternate" hreflang=...>`` in the head).

The two languages are built as two Sphinx projects with identical page names
(``book/ko/x.ipynb`` and ``book/en/x.ipynb``) into ``_build/html/ko`` and ``_build/html/en``,
so the twin of page ``x`` is ``../<other>/x.html``. The link is added here, not written by
hand in every page, so it cannot go stale. ``tools/make.py`` sets ``aebook_lang``.
"""

from __future__ import annotations

import html

TWIN_LABEL = {"ko": "English version →", "en": "한국어판 →"}
OTHER = {"ko": "en", "en": "ko"}


def twin_href(pagename: str, lang: str) -> str:
    depth = pagename.count("/")
    return "../" * (depth + 1) + f"{OTHER[lang]}/{pagename}.html"


def _add_twin_link(app, pagename, templatename, context, doctree):
    lang = app.config.aebook_lang
    if lang not in OTHER or "body" not in context:
        return
    href = twin_href(pagename, lang)
    banner = (f'<p class="aebook-twin" lang="{OTHER[lang]}" style="text-align:right;margin:0 0 .5rem 0">'
              f'<a class="reference external" href="{href}">{TWIN_LABEL[lang]}</a></p>\n')
    context["body"] = banner + context["body"]


def hreflang_links(pagename: str, lang: str) -> str:
    """``<link rel="alternate" hreflang=...>`` for the page itself and its twin (relative URLs)."""
    if lang not in OTHER:
        raise ValueError(f"unknown book language {lang!r}; expected one of {sorted(OTHER)}")
    up = "../" * (pagename.count("/") + 1)
    hrefs = {lang: f"{up}{lang}/{pagename}.html", OTHER[lang]: twin_href(pagename, lang)}
    return "".join(f'\n<link rel="alternate" hreflang="{code}" href="{html.escape(hrefs[code])}" />'
                   for code in sorted(hrefs))


def _add_hreflang(app, pagename, templatename, context, doctree):
    if app.config.aebook_lang in OTHER:
        context["metatags"] = context.get("metatags", "") + hreflang_links(pagename, app.config.aebook_lang)


def setup(app):
    app.connect("html-page-context", _add_twin_link)
    app.connect("html-page-context", _add_hreflang)
