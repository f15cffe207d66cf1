"""The English pages spell -ise/-isation words the British way, as the rest of their prose does.

The book writes colour, centre, labelled and optimise; American -ize/-ization forms crept in on
some pages (regularization, reparameterization, amortized). The scan covers every markdown cell
of ``book/en/*.ipynb`` and every ``book/en/*.md`` page. It skips what is not prose: inline and
fenced code (identifiers such as ``reparameterize=``), math, citation roles, link targets (file
names such as ``ch19_2_1_amortized.ipynb``), quoted titles, and hand-written reference lists,
which reproduce paper titles as published.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from conftest import BOOK

# Stems whose -ize/-yze forms have a British -ise/-yse spelling; the suffixes below give
# the inflections (regularize, regularizes, regularized, regularizing, regularizer(s),
# regularization(s), ...). An optional prefix covers un-, re-, non- and the like.
STEMS = ("amortiz", "regulariz", "optimiz", "minimiz", "maximiz", "normaliz", "reparameteriz", "reparametriz",
         "parameteriz", "parametriz", "penaliz", "initializ", "generaliz", "characteriz", "summariz",
         "visualiz", "realiz", "recogniz", "factoriz", "binariz", "standardiz", "organiz", "emphasiz",
         "utiliz", "specializ", "stabiliz", "memoriz", "categoriz", "discretiz", "vectoriz", "randomiz",
         "lineariz", "marginaliz", "symmetriz", "tokeniz", "analyz", "paralyz", "catalyz")
AMERICAN = re.compile(r"\b[a-z]*?(?:" + "|".join(STEMS) + r")(?:e|es|ed|ing|er|ers|ation|ations|able)\b", re.I)

NOT_PROSE = re.compile(
    r"```.*?```"                      # fenced code and directives
    r"|\$\$.*?\$\$|\$[^$\n]+\$"       # display and inline math
    r"|\{[\w:.-]+\}`[^`]*`"           # roles such as {cite:t}`key`
    r"|`[^`]*`"                       # inline code
    r"|\]\([^)]*\)|https?://\S+"      # link targets and URLs
    r"|\"[^\"\n]{1,200}\"|“[^”\n]{1,200}”",  # quoted titles
    re.S)
REFERENCES = re.compile(r"^#+\s*References\b", re.M)


def prose(text: str) -> str:
    """``text`` with everything that is not English prose blanked out (line breaks kept)."""
    m = REFERENCES.search(text)
    if m:
        text = text[:m.start()]
    return NOT_PROSE.sub(lambda s: "\n" * s.group(0).count("\n"), text)


def american_words(text: str) -> list[str]:
    return [m.group(0) for m in AMERICAN.finditer(prose(text))]


def markdown_units(path: Path) -> list[tuple[str, str]]:
    """(where, text) pairs: one per markdown cell of a notebook, one per line of a .md page."""
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        return [(f"cell {i}", c.source) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]
    lines = prose(path.read_text(encoding="utf-8")).splitlines()
    return [(f"line {n}", line) for n, line in enumerate(lines, start=1)]


def findings(folder: Path) -> list[str]:
    out = []
    for path in sorted([*folder.glob("*.ipynb"), *folder.glob("*.md")]):
        for where, text in markdown_units(path):
            out += [f"{path.name} {where}: {word}" for word in american_words(text)]
    return out


def test_english_pages_use_british_ise_spellings():
    problems = findings(BOOK / "en")
    assert not problems, ("American -ize/-ization spellings in English prose (write -ise/-isation):\n"
                          + "\n".join(problems))


@pytest.mark.parametrize("word", ["regularize", "Regularization", "optimizers", "minimized", "maximizing",
                                  "normalization", "parameterized", "reparameterization", "reparametrized",
                                  "penalizes", "initialized", "generalizes", "characterize", "summarized",
                                  "visualization", "realized", "recognizable", "amortized", "unnormalized",
                                  "analyzed"])
def test_scan_flags_american_forms(word):
    assert american_words(f"In this page we {word} things.") == [word]


@pytest.mark.parametrize("word", ["regularise", "regularisation", "optimiser", "minimised", "normalising",
                                  "reparameterisation", "amortised", "analysed", "size", "sized", "prize",
                                  "citizen", "horizon", "bronze"])
def test_scan_accepts_british_forms_and_unrelated_words(word):
    assert american_words(f"In this page we {word} things.") == []


def test_scan_skips_code_math_citations_links_titles_and_reference_lists():
    text = ("Pass `reparameterize=True` to it; $\\mathrm{normalized}$ and $$\\text{optimized}$$ are math, "
            "{cite:t}`amortized2014` a citation, [the page](ch19_2_1_amortized.ipynb) a link, and "
            "\"Amortized inference in probabilistic reasoning\" a quoted title.\n\n"
            "```python\nmodel.initialize()\n```\n\n## References\n\n- Alain & Bengio. What regularized "
            "auto-encoders learn.")
    assert american_words(text) == []


def test_findings_name_the_file_the_cell_and_the_word(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"),
                nbformat.v4.new_code_cell("optimizer = make_optimizer()"),
                nbformat.v4.new_markdown_cell("The regularization term is minimized by `optimizer`.")]
    nbformat.write(nb, tmp_path / "page.ipynb")
    (tmp_path / "index.md").write_text("# Index\n\nAmortized inference.\n", encoding="utf-8")
    assert findings(tmp_path) == ["index.md line 3: Amortized",
                                  "page.ipynb cell 2: regularization", "page.ipynb cell 2: minimized"]
