"""Every number in the prose is inserted from a computation or listed as typed, with its reason.

``tools/typed_numbers.py`` finds the decimals, percentages and factors in each page's prose outside
math, code and roles; ``book/typed_numbers/<page>.yml`` lists the few a page may type (a paper's
number, a constant of a setting, a value printed in the book). Everything else must come from a
``{glue:text}`` role, so that a number cannot go stale when its cell's output changes.
"""

from __future__ import annotations

import importlib.util

import pytest
from conftest import ROOT

spec = importlib.util.spec_from_file_location("aebook_typed_numbers", ROOT / "tools" / "typed_numbers.py")
N = importlib.util.module_from_spec(spec)
spec.loader.exec_module(N)

PAGES = sorted(p.name for p in (ROOT / "book" / "en").iterdir() if p.suffix in (".ipynb", ".md"))


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_no_page_types_a_number_that_code_computes(lang, name):
    left = N.typed(ROOT / "book" / lang / name)
    assert not left, (f"book/{lang}/{name} types numbers that are neither inserted ({{glue:text}}) nor listed "
                      f"in book/typed_numbers/{name.rsplit('.', 1)[0]}.yml:\n"
                      + "\n".join(f"  {v:>10} | {ctx}" for v, ctx in left))


@pytest.mark.parametrize("name", PAGES)
def test_twins_type_the_same_numbers(name):
    """The numbers a page may type are typed in both languages (the same paper numbers, the same
    constants): as sets, since word order differs."""
    ko = {v for v, _ in N.page_numbers(ROOT / "book" / "ko" / name)}
    en = {v for v, _ in N.page_numbers(ROOT / "book" / "en" / name)}
    assert ko == en, f"{name}: only in Korean {sorted(ko - en)}, only in English {sorted(en - ko)}"


def test_every_listed_number_is_still_typed_and_has_a_reason():
    for page, entries in N.allowed().items():
        paths = [ROOT / "book" / lang / f"{page}{suf}" for lang in ("en", "ko") for suf in (".ipynb", ".md")]
        typed = {v for p in paths if p.exists() for v, _ in N.page_numbers(p)}
        assert any(p.exists() for p in paths) or page == "*", f"typed_numbers lists a page that does not exist: {page}"
        for value, why in entries.items():
            assert why.strip(), f"{page}: {value} is listed without a reason"
            assert page == "*" or value in typed, f"{page}: {value} is listed but no longer typed (remove it)"


def test_the_scan_finds_a_typed_number_and_ignores_math_code_roles_and_sections():
    md = ("The gap is 0.468 nats ($\\sigma = 0.25$, `lr=1e-3`, {glue:text}`x.y`), 2% of it, 3.6× "
          "faster; see section 19.2.2, (19.14) and Fig. 19.5.\n\n$$\na = 0.5\n$$")
    assert [v for v, _ in N.numbers(md)] == ["0.468", "2", "3.6"]
