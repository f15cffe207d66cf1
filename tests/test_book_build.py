"""The Sphinx side of the book builds without warnings, in both languages.

This renders the committed notebook outputs (no execution: nbval re-runs the notebooks
elsewhere in the suite), with the same strict settings as ``python3 tools/make.py book``,
and checks what a reader gets: the UI language, the link to the twin page, every page.
"""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

import pytest
from conftest import LANGS, ROOT, built_pages, pages

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def html(built_book):
    return built_book


def test_landing_page_links_both_languages(html):
    landing = (html / "index.html").read_text(encoding="utf-8")
    assert 'href="ko/index.html"' in landing and 'href="en/index.html"' in landing
    # a main landmark, and the Korean sentence and link marked as Korean (for screen readers' voices)
    assert "<main>" in landing and '<span lang="ko">' in landing and 'lang="ko" hreflang="ko">한국어' in landing


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


# --- page features of book/_ext/aebook_sphinx ------------------------------------------


def _built_pages(html, lang):
    for page in pages(lang):
        stem = page.relative_to(ROOT / "book" / lang).with_suffix("").as_posix()
        yield page, stem, (html / lang / f"{stem}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_names_itself_and_its_twin_with_hreflang(html, lang):
    for _, stem, text in _built_pages(html, lang):
        head = text.split("</head>", 1)[0]
        for code in LANGS:
            assert re.search(rf'<link rel="alternate" hreflang="{code}" href="(\.\./)+{code}/{re.escape(stem)}\.html"',
                             head), f"{lang}/{stem}.html: no hreflang={code} link in <head>"


def test_nbval_markers_are_not_shown(html):
    sources = "".join(p.read_text(encoding="utf-8") for lang in LANGS for p in pages(lang))
    assert "NBVAL_CHECK_OUTPUT" in sources  # the notebooks keep the marker for nbval ...
    for lang in LANGS:
        for _, stem, text in _built_pages(html, lang):
            assert "NBVAL_" not in text, f"{lang}/{stem}.html shows an nbval marker"  # ... the pages do not


def _cell_tags(page):
    import json

    if page.suffix != ".ipynb":
        return []
    return [c.get("metadata", {}).get("tags", []) for c in json.loads(page.read_text(encoding="utf-8"))["cells"]]


@pytest.mark.parametrize("lang, title", [("en", "Checks"), ("ko", "검사")])
def test_checks_cells_are_folded_under_a_title_in_the_page_language(html, lang, title):
    tagged = 0
    for page, stem, text in _built_pages(html, lang):
        n = sum("checks" in tags for tags in _cell_tags(page))
        tagged += n
        folded = re.findall(r'<div class="cell [^"]*\baebook-checks\b[^"]*">\s*<details class="admonition hide[^"]*">'
                            r'\s*<summary[^>]*>\s*<p class="collapsed admonition-title">([^<]*)</p>', text)
        assert folded == [title] * n, f"{lang}/{stem}.html: {n} checks cells, folded: {folded}"
    if tagged == 0:
        pytest.skip("no notebook has a cell tagged 'checks' yet")


def _cites(page) -> bool:
    return "{cite" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", LANGS)
def test_citations_link_to_the_reference_list_of_their_own_page(html, lang):
    other_form = {"en": " 외", "ko": " et al."}[lang]
    citing = 0
    for page, stem, text in _built_pages(html, lang):
        if not _cites(page):
            continue
        citing += 1
        # role="listitem": the items of docutils' role="list" reference list (aebook_sphinx.ui.accessible_ui)
        entries = set(re.findall(r'<div class="citation" id="([^"]+)" role="listitem">', text))
        assert entries, f"{lang}/{stem}.html cites but shows no reference list"
        spans = re.findall(r'<span class="bibtex-citation"[^>]*>(.*?)</span>', text, re.S)
        assert spans, f"{lang}/{stem}.html: no citation rendered"
        for span in spans:
            targets = re.findall(r'<a class="reference internal" href="#([^"]+)"', span)
            assert targets and set(targets) <= entries, f"{lang}/{stem}.html: {span[:200]}"
            assert other_form not in re.sub(r"<[^>]+>", "", span), f"{lang}/{stem}.html: {span[:200]}"
    if citing == 0:
        pytest.skip("no page cites with {cite} yet")


@pytest.mark.parametrize("lang", LANGS)
def test_executed_pages_say_when_they_ran(html, lang):
    """Without execution in this build, the line comes from the notebook metadata that
    `tools/make.py execute` writes; a page without it shows no line."""
    import json

    for page, stem, text in _built_pages(html, lang):
        recorded = page.suffix == ".ipynb" and "aebook" in json.loads(page.read_text(encoding="utf-8"))["metadata"]
        line = re.search(r'<p class="aebook-executed"[^>]*><time datetime="[^"]+">([^<]+)</time>', text)
        assert bool(line) == recorded, f"{lang}/{stem}.html"
        if line:
            assert re.fullmatch({"en": r"Executed \d{4}-\d\d-\d\d \d\d:\d\d UTC in \d+\.\d s",
                                 "ko": r"\d{4}-\d\d-\d\d \d\d:\d\d UTC에 실행, \d+\.\d초"}[lang], line.group(1))


def test_no_launch_buttons_while_the_config_leaves_them_off(html):
    import yaml

    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    if any(cfg.get("launch_buttons", {}).get(k) for k in ("binderhub_url", "colab_url", "jupyterhub_url")):
        pytest.skip("launch buttons are configured")
    for lang in LANGS:
        for _, stem, text in _built_pages(html, lang):
            assert "launch-buttons" not in text, f"{lang}/{stem}.html"


@pytest.mark.parametrize("lang", LANGS)
def test_pages_show_the_setup_call_not_the_install_fallback_and_load_the_books_css(html, lang):
    """The first cell shows ``import aebook`` and the setup call; the notebook's install
    fallback (and its placeholder repository URL) stays in the notebook, off the page. Every
    page loads aebook.css (Korean line breaks between words, wide equations and tables that
    scroll in their own box)."""
    css = (html / lang / "_static" / "aebook.css").read_text(encoding="utf-8")
    assert "word-break: keep-all" in css and "overflow-x: auto" in css
    for page in pages(lang, suffixes=(".ipynb",)):
        stem = page.relative_to(ROOT / "book" / lang).with_suffix("").as_posix()
        text = (html / lang / f"{stem}.html").read_text(encoding="utf-8")
        assert "%pip install" not in text and "OWNER/REPO" not in text, f"{lang}/{stem} shows the install fallback"
        code = re.sub(r"<[^>]+>", "", text).replace("&quot;", '"')
        assert re.search(rf'import aebook\n((from|import) .*\n)*ctx = aebook.setup\("{lang}"\)', code), \
            f"{lang}/{stem} does not show the setup call"
        assert "_static/aebook.css" in text, f"{lang}/{stem} does not load aebook.css"


def test_korean_pages_speak_korean_to_screen_readers_and_in_the_footer(html):
    from aebook_sphinx.ui import KO_UI

    for page in built_pages(html / "ko"):
        text = page.read_text(encoding="utf-8")
        left = sorted({v for _, v in re.findall(r'\b(aria-label|placeholder)="([^"]+)"', text)} & set(KO_UI))
        assert not left, f"ko/{page.name} keeps English labels: {left}"
        assert "으로 aebook" not in text, f"ko/{page.name}: the footer reads '으로 aebook contributors'"


@pytest.mark.parametrize("lang", LANGS)
def test_every_figure_a_page_draws_has_a_caption_and_alt_text_in_the_pages_language(html, lang):
    """Each image drawn by ``aebook.figures.show(id)`` is a <figure> whose alt text and
    <figcaption> are the registry's title in the page's language (not a file name)."""
    from aebook_sphinx.figures import figure_caption

    seen = 0
    for page in pages(lang, suffixes=(".ipynb",)):
        source = page.read_text(encoding="utf-8")
        ids = re.findall(r'figures\.show\(\\"([^\\"]+)\\"', source)
        if not ids:
            continue
        stem = page.relative_to(ROOT / "book" / lang).with_suffix("").as_posix()
        text = htmllib.unescape((html / lang / f"{stem}.html").read_text(encoding="utf-8"))
        for fig_id in ids:
            caption = figure_caption(fig_id, lang)
            assert f'alt="{caption}"' in text, f"{lang}/{stem}: figure {fig_id} has no alt text"
            assert re.search(r"<figcaption>\s*<p>(<span[^>]*>)?" + re.escape(caption), text), \
                f"{lang}/{stem}: figure {fig_id} has no caption"
            seen += 1
    assert seen >= 25, f"only {seen} figures drawn with figures.show in {lang}"


@pytest.mark.parametrize("lang", LANGS)
def test_no_image_is_read_out_as_its_file_name(html, lang):
    """Images a cell draws other than with figures.show (explorers' static figures, the figure
    gallery) get alt text from aebook_sphinx.figures, not Sphinx's default, the image's path."""
    bad = [f"{page.name}: {alt}" for page in built_pages(html / lang)
           for alt in re.findall(r'<img[^>]*\balt="([^"]*)"', page.read_text(encoding="utf-8"))
           if alt.startswith("_images/") or alt.endswith((".png", ".svg", ".jpg")) or "IPython" in alt]
    assert not bad, f"{len(bad)} images whose alt text is a file name:\n" + "\n".join(bad[:20])


@pytest.mark.parametrize("lang", LANGS)
def test_the_status_page_lists_every_notebook_with_when_it_ran(html, lang):
    """The execution record (aebook_sphinx.exectable) has a row per notebook page, linked, with its
    time and seconds from the notebook's own record, and headings in the page's language."""
    text = (html / lang / "status.html").read_text(encoding="utf-8")
    table = re.search(r'<table[^>]*aebook-exec-table.*?</table>', text, re.S)
    assert table, "no execution record table on the status page"
    heads = [htmllib.unescape(re.sub(r"<[^>]+>", "", h)).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>",
                                                                                       table.group(0), re.S)]
    assert heads == list({"ko": ("페이지", "실행 시각(UTC)", "걸린 시간(초)"), "en": ("Page", "Executed (UTC)",
                                                                                  "Seconds")}[lang])
    rows = re.findall(r'<tr[^>]*>\s*<td[^>]*><p><a[^>]*href="([^"#]+)[^"]*"[^>]*>.*?</a></p></td>\s*<td[^>]*><p>'
                      r'(\d{4}-\d\d-\d\d \d\d:\d\d)</p></td>\s*<td[^>]*><p>(\d+\.\d)</p></td>', table.group(0), re.S)
    notebooks = {p.stem for p in (ROOT / "book" / lang).glob("*.ipynb")}
    assert {Path(href).stem for href, _, _ in rows} == notebooks, rows
