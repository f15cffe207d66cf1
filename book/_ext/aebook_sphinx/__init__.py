"""The book's own Sphinx extension: what the web book adds to Jupyter Book, one module per
concern. It lives with the book (``book/_ext``), not in the ``aebook`` package that readers
install: nothing here runs when a notebook imports ``aebook``. ``tools/make.py`` puts
``book/_ext`` on the path of the Sphinx builds and sets ``aebook_lang`` for each language.

==================  ==========================================================================
:mod:`.twins`       every page links to its twin in the other language
:mod:`.cells`       code cells as shown: nbval markers hidden, the claims folded
:mod:`.figures`     figures captioned with their number and described by an alt text
:mod:`.executed`    the line at the end of a page: when its notebook ran, for how long
:mod:`.launch`      launch buttons pointed at the language's folder
:mod:`.mathjax`     MathJax served from the book itself, not a CDN
:mod:`.citations`   author-year citations worded in the page's language
:mod:`.ui`          the theme's labels in Korean, names and roles for assistive technology
:mod:`.ko_search`   Korean search (its own extension: ``aebook_sphinx.ko_search``)
:mod:`.exectable`   the status page's execution record (``aebook_sphinx.exectable``)
==================  ==========================================================================

``static/aebook.css`` (Korean line breaks, wide math and tables) and ``static/aebook.js``
(keyboard access to the boxes that scroll) are added to every page.
"""

from __future__ import annotations

from pathlib import Path

from . import cells, citations, executed, figures, launch, mathjax, twins
from .ui import translate_ui

STATIC = Path(__file__).parent / "static"


def _add_static_path(app, config):
    config.html_static_path = [*config.html_static_path, str(STATIC)]


def setup(app):
    app.add_config_value("aebook_lang", "en", "html")
    for concern in (citations, launch, twins, executed, cells, figures, mathjax):
        concern.setup(app)
    app.connect("config-inited", _add_static_path)
    app.connect("build-finished", translate_ui)
    app.add_css_file("aebook.css")
    app.add_js_file("aebook.js")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
