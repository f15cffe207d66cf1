"""The claims cells in both languages: every claim a page prints has its Korean text in
aebook/report/claims_ko.json, the Korean page prints that text with the same verdicts in the
same order as its English twin, and the catalog holds no claim that no page prints."""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT

from aebook.report import claim_text, print_claims
from aebook.report.claims import korean_claims

VERDICT = re.compile(r"^(True|False) +(.+)$")
HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _printed(lang: str) -> dict[str, list[tuple[str, str]]]:
    """Per page, the (verdict, claim) lines its claims cells printed."""
    out = {}
    for nb_path in sorted((ROOT / "book" / lang).glob("*.ipynb")):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        lines = []
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and "print_claims(" in "".join(cell["source"]):
                text = "".join("".join(o.get("text", "")) for o in cell.get("outputs", []) if o.get("name") == "stdout")
                lines += [VERDICT.match(line).groups() for line in text.splitlines() if VERDICT.match(line)]
        if lines:
            out[nb_path.stem] = lines
    return out


def test_every_printed_claim_has_its_korean_text_and_every_korean_text_its_claim():
    printed = {claim for lines in _printed("en").values() for _, claim in lines}
    assert len(printed) > 90
    catalog = korean_claims()
    assert sorted(printed - set(catalog)) == [], "claims without Korean text in aebook/report/claims_ko.json"
    assert sorted(set(catalog) - printed) == [], "Korean texts of claims no page prints any more"


@pytest.mark.parametrize("page", sorted(_printed("en")))
def test_the_korean_page_prints_its_twins_claims_in_korean(page):
    en, ko = _printed("en")[page], _printed("ko").get(page, [])
    assert [v for v, _ in ko] == [v for v, _ in en], f"{page}: the verdicts differ between the twins"
    assert [c for _, c in ko] == [claim_text(c, "ko") for _, c in en]
    assert all(HANGUL.search(c) for _, c in ko), f"{page}: a claim printed in English on the Korean page"


def test_a_korean_claim_keeps_every_number_of_its_english_one():
    for en, ko in korean_claims().items():
        assert ko.strip() and ko != en and HANGUL.search(ko), en
        for number in re.findall(r"\d+(?:\.\d+)?", en):
            assert number in ko, f"{number} of {en!r} is missing from {ko!r}"


def test_print_claims_prints_in_the_pages_language(capsys):
    known = next(iter(korean_claims()))
    print_claims({known: True, "a claim written just now": False}, lang="ko")
    assert capsys.readouterr().out.splitlines() == [f"True   {korean_claims()[known]}",
                                                    "False  a claim written just now"]
    print_claims({known: 1}, lang="en")
    assert capsys.readouterr().out == f"True   {known}\n"
    with pytest.raises(TypeError, match="claims must be a mapping"):
        print_claims([known])
    with pytest.raises(ValueError, match="lang must be one of"):
        claim_text(known, "fr")
