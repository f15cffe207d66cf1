"""A tiny Sphinx extension for the book: every page links to its twin in the other language.

The two languages are built as two Sphinx projects with identical page names
(``book/ko/x.ipynb`` and ``book/en/x.ipynb``) into ``_build/html/ko`` and ``_build/html/en``,
so the twin of page ``x`` is ``../<other>/x.html``. The link is added here, not written by
hand in every page, so it cannot go stale. ``tools/make.py`` sets ``aebook_lang``.
"""

from __future__ import annotations

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


def setup(app):
    app.add_config_value("aebook_lang", "en", "html")
    app.connect("html-page-context", _add_twin_link)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
