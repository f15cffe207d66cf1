"""The glossary is consistent, and the Korean book uses its terms and none of the variants it rules out.

The glossary (:data:`aebook.glossary.TERMS`) is the single source of the book's Korean terms. A term's
``avoid`` lists renderings of the same concept that the book does not use; the tests here look for
them in every Korean page (markdown cells of ``book/ko/*.ipynb`` and ``book/ko/*.md``), every Korean
figure label or title, and the glossary's own Korean notes.
"""

from __future__ import annotations

import importlib
import re

import pytest
from conftest import ROOT, pages
from test_parity import markdown_text

from aebook import glossary

HANGUL = re.compile("[\uac00-\ud7a3]")
LATIN = re.compile(r"[A-Za-z0-9]")
# Particles and copula endings that may follow a term inside the same word ("기울기를", "시험은").
PARTICLES = tuple("""
은 는 이 가 을 를 의 에 와 과 로 으로 도 만 들 마다 까지 부터 보다 처럼 나 이나 라고 이라고 라는 이라는
란 이란 입니다 이며 이고 인 이다 였 이었 께 에서 에게
""".split())


def glossed_as_other_term(text: str, end: int, variant: str) -> bool:
    """True where ``variant`` is followed by the gloss of a glossary term whose Korean it is,
    e.g. "검증 데이터(validation set)": the page means that other term."""
    return any(t.ko == variant and re.match(r"\(\s*" + re.escape(t.en), text[end:], flags=re.I)
               for t in glossary.TERMS)


def variant_hits(text: str) -> list[str]:
    """Every avoided variant used as a word in ``text``, as 'variant (use: term) in «context»'."""
    hits = []
    for term in glossary.TERMS:
        for variant in term.avoid:
            for m in re.finditer(re.escape(variant), text):
                start, end = m.start(), m.end()
                before = text[start - 1] if start else ""
                if (HANGUL.match(variant[0]) and HANGUL.match(before)) or (LATIN.match(variant[0])
                                                                           and LATIN.match(before)):
                    continue  # inside a longer word ("서브그래디언트")
                after = text[end:]
                if HANGUL.match(variant[-1]) and HANGUL.match(after[:1]) and not after.startswith(PARTICLES):
                    continue  # the start of a longer word ("검증 점수")
                if LATIN.match(variant[-1]) and LATIN.match(after[:1]):
                    continue
                if glossed_as_other_term(text, end, variant):
                    continue
                context = " ".join(text[max(0, start - 25):end + 15].split())
                hits.append(f"'{variant}' (use '{term.ko}', glossary: {term.en}) in «{context}»")
    return hits


def markdown_cells(path):
    """(label, text) for each markdown cell of a notebook, or the whole file for a .md page."""
    if path.suffix == ".md":
        return [(path.name, markdown_text(path))]
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return [(f"{path.name} cell {i} ({c.id})", c.source) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]


def korean_labels() -> list[tuple[str, str]]:
    """(where, text) for every Korean string the figures and widgets draw or print.

    Every module of ``aebook`` that registers labels is imported first, so that the table is complete;
    the figure registry's Korean titles are included."""
    for path in sorted((ROOT / "aebook").rglob("*.py")):
        if path.name != "i18n.py" and "register_strings(" in path.read_text(encoding="utf-8"):
            importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    from aebook import figures
    from aebook.i18n import STRINGS

    labels = [(f"aebook.i18n.STRINGS[{key!r}]['ko']", texts["ko"]) for key, texts in STRINGS.items()]
    labels += [(f"figure {fid} title", figures.get(fid).title["ko"]) for fid in figures.figure_ids()]
    return labels


def test_glossary_terms_are_unique_and_complete():
    en = [t.en.lower() for t in glossary.TERMS]
    assert len(en) == len(set(en)), "an English term appears twice in aebook.glossary.TERMS"
    ko = [t.ko for t in glossary.TERMS]
    assert len(ko) == len(set(ko)), "a Korean term appears twice in aebook.glossary.TERMS"
    for term in glossary.TERMS:
        assert term.en.strip() and term.ko.strip() and term.section.strip(), term
        assert term.note_en and term.note_ko, f"{term.en}: a note is missing in one language"
        assert isinstance(term.avoid, tuple), f"{term.en}: avoid must be a tuple of strings"
        for variant in term.avoid:
            assert variant.strip() == variant and variant, f"{term.en}: empty or padded variant {variant!r}"
            assert variant != term.ko, f"{term.en}: its own Korean term {variant!r} is listed to avoid"


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
            before = text[max(0, m.start() - 40):m.start()].rstrip().replace("*", "")
            if not before.endswith(term.ko):
                problems.append(f"…{before[-20:]}({term.en}): expected '{term.ko}' before it")
    assert not problems, f"{page.name}:\n" + "\n".join(problems)


def test_variant_search_finds_words_with_particles_and_skips_longer_words():
    """The matcher itself: particles attached, longer words and explicit glosses are told apart."""
    assert variant_hits("인코더의 그래디언트를 구합니다")
    assert variant_hits("표준 편차는 0.97입니다") and variant_hits("(Burda et al. 2016)")
    assert not variant_hits("'서브그래디언트'라고도 씁니다")          # another word that contains it
    assert not variant_hits("검증 점수")                                  # not 검증 점 + particle
    assert not variant_hits("따로 떼어 둔 검증 데이터(validation set)에서")  # glossed as that term
    assert variant_hits("따로 떼어 둔 검증 데이터에서")


@pytest.mark.parametrize("page", pages("ko"), ids=lambda p: p.name)
def test_korean_pages_use_no_avoided_variant(page):
    problems = [f"{where}: {hit}" for where, text in markdown_cells(page) for hit in variant_hits(text)]
    assert not problems, "variants that aebook.glossary rules out:\n" + "\n".join(problems)


def test_korean_figure_labels_use_no_avoided_variant():
    problems = [f"{where}: {hit}" for where, text in korean_labels() for hit in variant_hits(text)]
    assert not problems, "variants that aebook.glossary rules out:\n" + "\n".join(problems)


def test_glossary_korean_notes_use_no_avoided_variant():
    problems = [f"{t.en}: {hit}" for t in glossary.TERMS for hit in variant_hits(t.note_ko)]
    assert not problems, "variants in aebook.glossary's own Korean notes:\n" + "\n".join(problems)


# "Burda 등", "Cremer 등(2018)": Korean citations write et al. as 외 (the glossary's "et al.").
ET_AL_AS_DEUNG = re.compile(r"(?<![\w])[A-Z][A-Za-zÀ-ÿ'’\-]+ 등(?=$|[^\uac00-\ud7a3]|[은는이가의을를과와도에])")
# 60 000 or 60\,000: Korean writes 60,000; "0.421 to 0.427": Korean writes 0.421~0.427.
THOUSANDS_BY_SPACE = re.compile(r"\d(?: |\u2009|\u202f|\\,|\\ )\d{3}(?!\d)")
ENGLISH_RANGE = re.compile(r"\d to [−-]?\d|\bchapter \d", re.I)
# A fenced block (a BibTeX entry, a shell command) is quoted text in its own language, not Korean prose.
FENCED_BLOCK = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)


@pytest.mark.parametrize("page", pages("ko"), ids=lambda p: p.name)
def test_korean_pages_write_citations_numbers_and_ranges_the_korean_way(page):
    problems = []
    for where, text in markdown_cells(page):
        text = FENCED_BLOCK.sub("", text)
        for rx, rule in ((ET_AL_AS_DEUNG, "write 'Name 외', not 'Name 등'"),
                         (THOUSANDS_BY_SPACE, "write thousands with a comma: 60,000"),
                         (ENGLISH_RANGE, "no English in Korean text: 0.42~0.43, 19장")):
            problems += [f"{where}: {rule}: «{' '.join(text[max(0, m.start() - 20):m.end() + 10].split())}»"
                         for m in rx.finditer(text)]
    assert not problems, "\n".join(problems)
