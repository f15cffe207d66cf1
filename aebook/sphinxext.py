"""A tiny Sphinx extension for the book: twin-language links and offline MathJax.

Twin links: every page links to its twin in the other language.

The two languages are built as two Sphinx projects with identical page names
(``book/ko/x.ipynb`` and ``book/en/x.ipynb``) into ``_build/html/ko`` and ``_build/html/en``,
so the twin of page ``x`` is ``../<other>/x.html``. The link is added here, not written by
hand in every page, so it cannot go stale. ``tools/make.py`` sets ``aebook_lang``.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

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


# Offline MathJax: the package django-static-mathjax (import name ``mathjax``; it needs no
# Django) ships MathJax 3.2.2 as static files. We copy the TeX-to-HTML bundle, its fonts and
# the TeX extensions it may load on demand into _static, so the built book typesets math
# without reaching a CDN. Without the package, Sphinx's default (a CDN) is kept.
MATHJAX_PARTS = ("tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions")


def mathjax_es5_dir() -> Path | None:
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        return None
    es5 = Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax" / "es5"
    return es5 if (es5 / "tex-chtml.js").is_file() else None


def _use_local_mathjax(app, config):
    if mathjax_es5_dir() is not None:
        config.mathjax_path = "mathjax/tex-chtml.js"  # relative to _static


def _copy_mathjax(app, exception):
    es5 = mathjax_es5_dir()
    if exception is not None or es5 is None or app.builder.format != "html":
        return
    dest = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        src, dst = es5 / part, dest / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


def setup(app):
    app.add_config_value("aebook_lang", "en", "html")
    app.connect("html-page-context", _add_twin_link)
    app.connect("config-inited", _use_local_mathjax, priority=900)
    app.connect("build-finished", _copy_mathjax)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
