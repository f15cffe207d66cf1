"""Offline MathJax: the book typesets its equations without reaching a CDN."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

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
    else:  # a warning, so that the book build (which fails on warnings) never ships a book that needs a CDN
        from sphinx.util import logging

        logging.getLogger(__name__).warning("aebook: django-static-mathjax is not installed (the 'book' extra); "
                                            "the book's equations would load MathJax from a CDN")


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
    app.connect("config-inited", _use_local_mathjax, priority=900)
    app.connect("build-finished", _copy_mathjax)
