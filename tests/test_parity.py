"""Korean and English pages are twins: same files, same code, same display equations.

The only allowed code difference is the language token of the
setup call in the first code cell (``aebook.setup("ko")`` vs ``aebook.setup("en")``).
"""

from __future__ import annotations

import re

import nbformat
import pytest
import yaml
from conftest import BOOK, LANGS, ROOT, pages

SETUP = re.compile(r'aebook\.setup\(\s*"(ko|en)"')
CODE_CELL_MD = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.S | re.M)
DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$|```\{math\}[^\n]*\n(.*?)```"
                          r"|(\\begin\{(equation|align)\*?\}.*?\\end\{\4\*?\})",
                          re.S)


def rel_names(lang):
    return {p.relative_to(BOOK / lang).as_posix() for p in pages(lang)}


def code_cells(path):
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        return [c.source for c in nb.cells if c.cell_type == "code"]
    return CODE_CELL_MD.findall(path.read_text(encoding="utf-8"))


def markdown_text(path):
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return CODE_CELL_MD.sub("", path.read_text(encoding="utf-8"))


def display_equations(path):
    out = []
    for m in DISPLAY_MATH.finditer(markdown_text(path)):
        body = next(g for g in m.groups() if g)
        out.append(" ".join(body.split()))
    return out


def twins():
    return sorted(rel_names("ko") & rel_names("en"))


def test_every_korean_page_has_an_english_twin_and_back():
    ko, en = rel_names("ko"), rel_names("en")
    assert ko, "no pages under book/ko"
    assert ko - en == set(), f"Korean pages without an English twin: {sorted(ko - en)}"
    assert en - ko == set(), f"English pages without a Korean twin: {sorted(en - ko)}"


@pytest.mark.parametrize("name", twins())
def test_twins_have_identical_code_cells(name):
    ko = code_cells(BOOK / "ko" / name)
    en = code_cells(BOOK / "en" / name)
    assert len(ko) == len(en), f"{name}: {len(ko)} Korean vs {len(en)} English code cells"
    for i, (a, b) in enumerate(zip(ko, en)):
        if i == 0:
            a, b = SETUP.sub('aebook.setup("LANG"', a), SETUP.sub('aebook.setup("LANG"', b)
        assert a == b, f"{name}: code cell {i} differs between ko and en:\n--- ko\n{a}\n--- en\n{b}"


@pytest.mark.parametrize("name", [n for n in twins() if n.endswith(".ipynb")])
def test_notebooks_start_with_the_setup_call_in_their_language(name):
    for lang in LANGS:
        cells = code_cells(BOOK / lang / name)
        assert cells, f"{lang}/{name} has no code cell"
        m = SETUP.search(cells[0])
        assert m and m.group(1) == lang, f"{lang}/{name}: first code cell must call aebook.setup(\"{lang}\")"
        for later in cells[1:]:
            assert not SETUP.search(later), f"{lang}/{name}: aebook.setup is called again after the first cell"


@pytest.mark.parametrize("name", twins())
def test_twins_have_identical_display_equations(name):
    ko = display_equations(BOOK / "ko" / name)
    en = display_equations(BOOK / "en" / name)
    assert ko == en, f"{name}: display equations differ between ko and en"


def test_display_math_extraction_sees_all_three_forms(tmp_path):
    page = tmp_path / "x.md"
    page.write_text("a $$x^2$$ b\n```{math}\ny = 1\n```\n\\begin{align} a &= b \\end{align}\n", encoding="utf-8")
    assert display_equations(page) == ["x^2", "y = 1", "\\begin{align} a &= b \\end{align}"]


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [ch["file"] for ch in part.get("chapters", [])]
        for ch in part.get("chapters", []):
            files += [s["file"] for s in ch.get("sections", [])]
    return files


def test_every_toc_entry_exists_in_both_languages():
    for stem in _toc_files():
        for lang in LANGS:
            found = [p for p in (BOOK / lang).glob(stem + ".*") if p.suffix in (".ipynb", ".md")]
            assert len(found) == 1, f"_toc.yml lists {stem!r} but book/{lang} has {found or 'no such page'}"


def test_every_page_is_in_the_toc():
    listed = set(_toc_files())
    for lang in LANGS:
        for p in pages(lang):
            stem = p.relative_to(BOOK / lang).with_suffix("").as_posix()
            assert stem in listed, f"book/{lang}/{p.name} is not listed in _toc.yml"


GLUE = re.compile(r"\{glue:text\}`([^`]+)`")
CITE = re.compile(r"\{cite:[a-z]+\}`([^`]+)`")
HEADING = re.compile(r"^(#{1,6}) ", re.M)
FIGURE = re.compile(r"figures\.show\(\s*\"([^\"]+)\"")


def _cited(text: str) -> tuple[str, ...]:
    keys = {k.split("{")[0].strip() for group in CITE.findall(text) for k in group.split(",")}
    return tuple(sorted(keys))


def structure(path):
    """Per markdown cell: heading levels, the numbers it inserts (glue keys, as a multiset:
    word order differs between the languages), its citations and display equations."""
    if path.suffix != ".ipynb":
        return []
    nb = nbformat.read(path, as_version=4)
    out = []
    for c in nb.cells:
        if c.cell_type == "markdown":
            text = c.source
            out.append(("markdown", tuple(len(h) for h in HEADING.findall(text)), tuple(sorted(GLUE.findall(text))),
                        _cited(text), len(DISPLAY_MATH.findall(text))))
        else:
            out.append(("code",))
    return out


@pytest.mark.parametrize("name", sorted(rel_names("en")))
def test_twins_have_the_same_headings_inserted_numbers_citations_and_cells(name):
    ko, en = structure(BOOK / "ko" / name), structure(BOOK / "en" / name)
    assert len(ko) == len(en), f"{name}: {len(ko)} cells in Korean, {len(en)} in English"
    for i, (a, b) in enumerate(zip(ko, en)):
        assert a == b, f"{name}, cell {i}: ko {a} / en {b}"
