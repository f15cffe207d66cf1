"""The glossary is consistent, and Korean pages use its terms when they gloss English ones."""

from __future__ import annotations

import re

import pytest
from conftest import pages
from test_parity import markdown_text

from aebook import glossary


def test_glossary_terms_are_unique_and_complete():
    en = [t.en.lower() for t in glossary.TERMS]
    assert len(en) == len(set(en)), "an English term appears twice in aebook.glossary.TERMS"
    for term in glossary.TERMS:
        assert term.en.strip() and term.ko.strip() and term.section.strip(), term
        assert term.note_en and term.note_ko, f"{term.en}: a note is missing in one language"


def test_glossary_table_lists_every_term_in_both_languages():
    for lang in ("ko", "en"):
        table = glossary.markdown_table(lang)
        for term in glossary.TERMS:
            assert f"| {term.en} |" in table and f"| {term.ko} |" in table


def test_lookup_unknown_term_raises_a_clear_error():
    with pytest.raises(KeyError, match="not in the glossary"):
        glossary.lookup("flux capacitor")


@pytest.mark.parametrize("page", pages("ko"), ids=lambda p: p.name)
def test_korean_pages_gloss_terms_with_the_glossary_word(page):
    """Where a Korean page writes '<Korean>(<English term>)', the Korean must be the glossary's."""
    text = markdown_text(page)
    problems = []
    for term in glossary.TERMS:
        for m in re.finditer(r"\(\s*" + re.escape(term.en) + r"\s*(?:,[^)]*)?\)", text, flags=re.I):
            before = text[max(0, m.start() - 40):m.start()].rstrip().replace("**", "")
            if not before.endswith(term.ko):
                problems.append(f"…{before[-20:]}({term.en}): expected '{term.ko}' before it")
    assert not problems, f"{page.name}:\n" + "\n".join(problems)
