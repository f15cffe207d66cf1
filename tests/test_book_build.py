"""The Sphinx side of the book builds without warnings, in both languages.

This renders the committed notebook outputs (no execution: nbval re-runs the notebooks
elsewhere in the suite), with the same strict settings as ``python3 tools/make.py book``,
and checks what a reader gets: the UI language, the link to the twin page, every page.
"""

from __future__ import annotations

import importlib.util
import re

import pytest
from conftest import LANGS, ROOT, pages

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    spec = importlib.util.spec_from_file_location("aebook_make", ROOT / "tools" / "make.py")
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    out = tmp_path_factory.mktemp("book")
    return make.build_book(strict=True, execute=False, out_root=out)


def test_landing_page_links_both_languages(html):
    landing = (html / "index.html").read_text(encoding="utf-8")
    assert 'href="ko/index.html"' in landing and 'href="en/index.html"' in landing


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_is_built_with_its_ui_language_and_twin_link(html, lang):
    other = {"ko": "en", "en": "ko"}[lang]
    for page in pages(lang):
        stem = page.relative_to(ROOT / "book" / lang).with_suffix("").as_posix()
        built = html / lang / f"{stem}.html"
        assert built.exists(), f"{built} was not built"
        text = built.read_text(encoding="utf-8")
        assert f'<html lang="{lang}"' in text
        assert re.search(rf'class="aebook-twin".*?href="(\.\./)+{other}/{re.escape(stem)}\.html"', text, re.S), \
            f"{lang}/{stem}.html has no link to its twin"
        assert (html / other / f"{stem}.html").exists()


def test_korean_pages_have_korean_ui_text(html):
    text = (html / "ko" / "index.html").read_text(encoding="utf-8")
    assert "검색" in text  # the theme's search box, translated


def test_generated_tables_render_as_tables(html):
    for lang in LANGS:
        for stem in ("glossary", "figures"):
            assert "<table" in (html / lang / f"{stem}.html").read_text(encoding="utf-8"), f"{lang}/{stem}"


def test_math_is_typeset_by_a_local_mathjax(html):
    """The book reads offline: MathJax is served from _static, not from a CDN."""
    for lang in LANGS:
        page = (html / lang / "ch19_intro.html").read_text(encoding="utf-8")
        assert re.search(r'<script[^>]+src="_static/mathjax/tex-chtml\.js', page), f"{lang}: MathJax not local"
        assert (html / lang / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
