"""The book's Sphinx extension (book/_ext/aebook_sphinx) and its bibliography, without building the book.

What the built pages look like is checked in tests/test_book_build.py.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from aebook_sphinx import cells, citations, executed, figures, launch, mathjax, twins, ui
from conftest import BOOK, LANGS, ROOT, pages

BIB = BOOK / "references.bib"
#: a citation role and its targets: {cite:p}`a,b{p. 2}`, {cite:t}`{see}a`
CITE_ROLE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
CITE_TARGET = re.compile(r"\s*(?:\{[^{}]*\})?\s*([^{}\s,]+)\s*(?:\{[^{}]*\})?\s*")


def _markdown(path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    nb = json.loads(path.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def cited_keys(text: str) -> set[str]:
    return {m.group(1) for role in CITE_ROLE.finditer(text) for m in CITE_TARGET.finditer(role.group(1))}


@pytest.fixture(scope="module")
def bib():
    from pybtex.database import parse_file

    return parse_file(str(BIB))


# --- twin pages --------------------------------------------------------------------------


@pytest.mark.parametrize("page, lang, expected", [
    ("ch19_intro", "ko", {"ko": "../ko/ch19_intro.html", "en": "../en/ch19_intro.html"}),
    ("sub/page", "en", {"en": "../../en/sub/page.html", "ko": "../../ko/sub/page.html"}),
])
def test_hreflang_links_name_the_page_and_its_twin(page, lang, expected):
    links = twins.hreflang_links(page, lang)
    found = dict(re.findall(r'<link rel="alternate" hreflang="(\w+)" href="([^"]+)" />', links))
    assert found == expected
    assert found[twins.OTHER[lang]] == twins.twin_href(page, lang)


def test_hreflang_rejects_an_unknown_language():
    with pytest.raises(ValueError, match="unknown book language"):
        twins.hreflang_links("index", "fr")


# --- code cells --------------------------------------------------------------------------


@pytest.mark.parametrize("source, shown", [
    ("# NBVAL_CHECK_OUTPUT\nx = 1\nprint(x)", "x = 1\nprint(x)"),
    ("#NBVAL_IGNORE_OUTPUT\n# NBVAL_SKIP\nx = 1", "x = 1"),
    ("x = 1  # NBVAL_CHECK_OUTPUT is named here\nprint(x)", "x = 1  # NBVAL_CHECK_OUTPUT is named here\nprint(x)"),
    ("x = 1\n# NBVAL_CHECK_OUTPUT", "x = 1\n# NBVAL_CHECK_OUTPUT"),  # only leading markers go
    ("# NBVAL_CHECK_OUTPUT", ""),
    ("print('no marker')", "print('no marker')"),
])
def test_strip_nbval_markers(source, shown):
    assert cells.strip_nbval_markers(source) == shown


def _cell(source: str, tags: list[str]):
    from docutils import nodes

    block = nodes.literal_block(source, source)
    code = nodes.container(nb_element="cell_code_source", classes=["cell_input"])
    code += block
    cell = nodes.container(nb_element="cell_code", cell_metadata={"tags": tags}, classes=["cell"])
    cell += code
    doc = nodes.section()
    doc += cell
    return doc, cell, block


@pytest.mark.parametrize("lang, title", [("en", "Checks"), ("ko", "검사")])
def test_checks_cells_fold_under_a_title_in_the_page_language(lang, title):
    doc, cell, block = _cell("# NBVAL_CHECK_OUTPUT\nclaims = {}", ["checks"])
    cells._transform_code_cells(SimpleNamespace(config=SimpleNamespace(aebook_lang=lang)), doc)
    assert cell["hide_mode"] == "all"  # myst-nb's hide-cell: input and output folded
    assert cell["prompt_show"] == cell["prompt_hide"] == title
    assert "aebook-checks" in cell["classes"]
    assert block.astext() == "claims = {}"


def test_other_cells_are_not_folded_but_lose_their_marker():
    doc, cell, block = _cell("# NBVAL_CHECK_OUTPUT\nx = 1", ["hide-output-not"])
    cells._transform_code_cells(SimpleNamespace(config=SimpleNamespace(aebook_lang="en")), doc)
    assert "hide_mode" not in cell.attributes
    assert block.astext() == "x = 1"


def _with_images(source: str, n: int, lang: str = "en"):
    from docutils import nodes

    doc, cell, _ = _cell(source, [])
    out = nodes.container(nb_element="cell_code_output")
    images = [nodes.image(uri=f"_images/{i}.png") for i in range(n)]
    for image in images:
        out += image
    cell += out
    cells._transform_code_cells(SimpleNamespace(config=SimpleNamespace(aebook_lang=lang)), doc)
    return [image["alt"] for image in images]


def test_images_a_cell_draws_get_alt_text_instead_of_their_file_name():
    from aebook.figures import figure_ids
    from aebook.widgets import explorer_title

    assert _with_images('aebook.widgets.denoising_explorer("mask")', 1, "ko") == \
        [explorer_title("denoising_explorer", "ko", "mask")]
    assert _with_images("aebook.widgets.beta_explorer()", 1) == ["VAEs trained with KL weight β on MNIST-5k"]
    ids = figure_ids()
    gallery = _with_images("for fig_id in figures.figure_ids():\n    display(Image(...))", len(ids))
    assert gallery == [figures.figure_caption(i, "en") for i in ids]
    assert _with_images("plt.imshow(x)", 2, "ko") == [figures.DRAWN["ko"]] * 2


# --- execution record --------------------------------------------------------------------

WHEN = datetime(2026, 12, 1, 14, 2, 7, tzinfo=UTC)


@pytest.mark.parametrize("lang, line", [("en", "Executed 2026-12-01 14:02 UTC in 12.3 s"),
                                        ("ko", "2026-12-01 14:02 UTC에 실행, 12.3초")])
def test_execution_line(lang, line):
    assert executed.execution_line(lang, WHEN, 12.34) == line


def test_execution_line_converts_to_utc_and_reads_naive_times_as_utc():
    seoul = WHEN.astimezone(timezone(timedelta(hours=9)))
    assert executed.execution_line("en", seoul, 1) == executed.execution_line("en", WHEN.replace(tzinfo=None), 1)
    with pytest.raises(ValueError, match="cannot take"):
        executed.execution_line("en", WHEN, -1.0)


def test_execution_record_prefers_this_builds_run_then_the_notebook_metadata():
    meta = {"aebook": {"executed": "2025-01-02T03:04:05+00:00", "seconds": 7.5}}
    ran = {"mtime": WHEN.timestamp(), "runtime": 12.0, "succeeded": True}
    assert executed.execution_record(ran, meta) == (WHEN, 12.0)
    from_meta = (datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), 7.5)
    assert executed.execution_record({**ran, "succeeded": False}, meta) == from_meta
    assert executed.execution_record(None, meta) == from_meta
    naive = {"aebook": {"executed": "2025-01-02T03:04:05", "seconds": 1}}
    assert executed.execution_record(None, naive)[0].tzinfo == UTC
    assert executed.execution_record(None, {}) is None
    assert executed.execution_record(None, {"aebook": {"executed": "yesterday", "seconds": 1}}) is None


# --- configuration hooks -----------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_aebook_styles_resolve_to_the_build_language(lang):
    config = SimpleNamespace(aebook_lang=lang, bibtex_reference_style="aebook", bibtex_default_style="aebook",
                             html_theme_options={"path_to_docs": "book/{lang}"})
    citations._use_language_cite_style(None, config)
    launch._fill_language_in_paths(None, config)
    assert config.bibtex_reference_style == config.bibtex_default_style == f"aebook_{lang}"
    assert config.html_theme_options["path_to_docs"] == f"book/{lang}"


def test_the_book_config_uses_the_language_styles_and_one_bib_file_for_both_languages():
    import yaml

    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert cfg["sphinx"]["config"]["bibtex_reference_style"] == "aebook"
    assert cfg["sphinx"]["config"]["bibtex_default_style"] == "aebook"
    for lang in LANGS:  # relative to the source folder of each language
        assert [(BOOK / lang / f).resolve() for f in cfg["bibtex_bibfiles"]] == [BIB.resolve()]
    # launch buttons are off unless a URL is filled in
    assert not cfg["launch_buttons"].get("binderhub_url") and not cfg["launch_buttons"].get("colab_url")


# --- citation styles ---------------------------------------------------------------------


@pytest.mark.parametrize("names, lang, label", [
    (["Vincent"], "en", "Vincent 2011"),
    (["Kingma", "Welling"], "en", "Kingma and Welling 2011"),
    (["Kingma", "Welling"], "ko", "Kingma & Welling 2011"),
    (["He", "Chen", "Xie"], "en", "He et al. 2011"),
    (["He", "Chen", "Xie"], "ko", "He 외 2011"),
])
def test_citation_label(names, lang, label):
    assert citations.citation_label(names, "2011", lang) == label


def test_citation_style_errors():
    with pytest.raises(ValueError, match="at least one author"):
        citations.citation_label([], "2011", "en")
    with pytest.raises(ValueError, match="no citation style"):
        citations.cite_style_name("fr")


def test_styles_are_registered_with_pybtex_and_sphinxcontrib_bibtex():
    import pybtex.plugin
    from sphinxcontrib.bibtex.plugin import find_plugin

    assert citations.register_citation_styles()
    for lang in LANGS:
        style = find_plugin("sphinxcontrib.bibtex.style.referencing", f"aebook_{lang}")()
        assert style.person.sep2 == citations.CITE_NAMES[lang]["sep2"]
        assert style.person.other == citations.CITE_NAMES[lang]["other"]
        assert (style.bracket_parenthetical.left, style.bracket_parenthetical.right) == ("(", ")")
        assert pybtex.plugin.find_plugin("pybtex.style.formatting", f"aebook_{lang}")


@pytest.mark.parametrize("lang", LANGS)
def test_every_entry_formats_and_labels_are_unique(bib, lang):
    """A label shared by two works on different pages would be a 'duplicate label' warning."""
    import pybtex.plugin

    citations.register_citation_styles()
    style = pybtex.plugin.find_plugin("pybtex.style.formatting", f"aebook_{lang}")()
    entries = list(style.sort(bib.entries.values()))
    labels = list(style.format_labels(entries))
    assert len(set(labels)) == len(labels) == len(entries)
    texts = {e.key: style.format_entry(label, e).text.render_as("text") for label, e in zip(labels, entries)}
    assert texts["kingma2014auto"].startswith("Kingma, D. P. and Welling, M. Auto-encoding variational Bayes.")
    assert "2014" in texts["kingma2014auto"] and "arXiv:1312.6114" in texts["kingma2014auto"]
    assert dict(zip([e.key for e in entries], labels))["he2022masked"] == citations.citation_label(["He", "x", "y"],
                                                                                                  "2022", lang)


# --- the bibliography file ---------------------------------------------------------------

REQUIRED = {"article": {"journal", "volume", "pages"}, "inproceedings": {"booktitle"},
            "incollection": {"booktitle", "publisher", "pages"}, "book": {"publisher"}, "misc": {"howpublished"}}


def _ascii(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name.replace("ø", "o")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", plain.lower())


def test_bib_entries_are_complete_and_keys_follow_the_rule(bib):
    for key, entry in bib.entries.items():
        m = re.fullmatch(r"([a-z]+)(\d{4})([a-z0-9]+)", key)
        assert m, f"{key}: keys are lastnameYEARword"
        assert m.group(1) == _ascii(entry.persons["author"][0].last_names[-1]), f"{key}: first author's name"
        assert m.group(2) == entry.fields["year"], f"{key}: the year in the key is the entry's year"
        assert {"title", "year"} <= set(entry.fields), key
        missing = REQUIRED[entry.type] - set(entry.fields)
        assert not missing, f"{key} ({entry.type}) lacks {missing}"


def test_one_year_per_work(bib):
    """Kingma & Welling is cited as the ICLR 2014 paper; the 2013 preprint is only a note."""
    e = bib.entries["kingma2014auto"]
    assert e.fields["year"] == "2014" and "1312.6114" in e.fields["note"]
    assert "kingma2013auto" not in bib.entries


def test_cited_keys_parser():
    text = "see {cite:p}`kingma2014auto,{see}he2022masked{Table 2}` and {cite:t}`burda2016importance`"
    assert cited_keys(text) == {"kingma2014auto", "he2022masked", "burda2016importance"}


@pytest.mark.parametrize("lang", LANGS)
def test_every_cited_key_exists_and_citing_pages_list_their_references(bib, lang):
    for page in pages(lang):
        text = _markdown(page)
        keys = cited_keys(text)
        unknown = keys - set(bib.entries)
        assert not unknown, f"{page.relative_to(ROOT)} cites unknown keys {sorted(unknown)}"
        if keys:  # otherwise the links would go to another page's list, or nowhere
            assert re.search(r"```\{bibliography\}", text), f"{page.relative_to(ROOT)} cites but has no bibliography"


def test_twins_cite_the_same_works():
    for page in pages("en"):
        twin = BOOK / "ko" / page.relative_to(BOOK / "en")
        assert cited_keys(_markdown(page)) == cited_keys(_markdown(twin)), f"{page.name}: the twins cite other works"


def test_the_first_cells_install_fallback_is_shown_as_import_aebook():
    src = ('try:\n    import aebook\nexcept ModuleNotFoundError:  # e.g. on Colab\n'
           '    %pip install -q "aebook @ git+https://github.com/OWNER/REPO"\n    import aebook\n'
           'ctx = aebook.setup("ko")')
    assert cells.shown_source(src) == 'import aebook\nctx = aebook.setup("ko")'
    other = "try:\n    import torch\nexcept ModuleNotFoundError:\n    pass\n"
    assert cells.shown_source(other) == other


def test_korean_pages_get_korean_labels_and_footer():
    page = ('<input placeholder="Search this book..." aria-label="Search this book..."/>'
            '<button aria-label="Site navigation"></button><p class="component-author">\n으로 aebook contributors\n</p>'
            '<a aria-label="Unknown label"></a>')
    shown = ui.korean_ui(page)
    assert 'aria-label="이 책에서 검색..."' in shown and 'aria-label="사이트 탐색"' in shown
    assert "지은이: aebook contributors" in shown and "으로 aebook" not in shown
    assert 'aria-label="Unknown label"' in shown  # only what the table knows is translated


def test_controls_get_names_that_contain_their_visible_text_and_reference_lists_get_items():
    """What axe-core found in the built pages (tests/test_a11y.py), mended by accessible_ui."""
    page = ('<button class="btn search-button-field search-button__button pst-js-only" title="Search" '
            'aria-label="Search" data-bs-toggle="tooltip">\n<span class="search-button__default-text">Search</span>'
            '</button>'
            '<li class="toctree-l1 has-children"><a class="reference internal" href="a.html">19.2 Variational '
            'autoencoders</a><details><summary><span class="toctree-toggle" role="presentation"></span></summary>'
            '<a class="current reference internal" href="#">19.1 Deterministic</a><details open="open"><summary>'
            '<i class="theme-switch fa-solid fa-sun fa-lg" data-mode="light" title="Light"></i>'
            '<summary aria-label="Toggle hidden content">\n<p class="collapsed admonition-title">Checks</p>'
            '<div role="list" class="citation-list">\n<div class="citation" id="id8" role="doc-biblioentry">')
    en, ko = ui.accessible_ui(page, "en"), ui.accessible_ui(page, "ko")
    assert 'aria-label="Search"' not in en and 'aria-keyshortcuts="Control+K"' in en
    assert '<summary aria-label="Subsections of 19.2 Variational autoencoders">' in en
    assert '<summary aria-label="19.2 Variational autoencoders의 하위 절">' in ko
    assert '<summary aria-label="Subsections of 19.1 Deterministic">' in en
    assert en.count("<summary>") == 1  # the folded cell's, named by its visible title
    assert 'search-button__default-text">검색</span>' in ko and 'default-text">Search</span>' in en
    assert 'title="Light"' not in en and "Toggle hidden content" not in en
    assert 'role="doc-biblioentry"' not in en and '<div class="citation" id="id8" role="listitem">' in en
    assert ui.accessible_ui(en, "en") == en  # idempotent


def test_a_missing_local_mathjax_is_a_warning_not_a_silent_cdn(monkeypatch, caplog):
    sx = mathjax
    config = SimpleNamespace(mathjax_path="https://cdn.example/mathjax.js")
    monkeypatch.setattr(sx, "mathjax_es5_dir", lambda: None)
    with caplog.at_level("WARNING"):
        sx._use_local_mathjax(None, config)
    assert config.mathjax_path == "https://cdn.example/mathjax.js"
    assert any(r.levelname == "WARNING" and "CDN" in r.getMessage() for r in caplog.records)
    monkeypatch.setattr(sx, "mathjax_es5_dir", lambda: sx.Path("/somewhere"))
    sx._use_local_mathjax(None, config)
    assert config.mathjax_path == "mathjax/tex-chtml.js"
