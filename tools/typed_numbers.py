"""Typed numbers in the book's prose.

Every number a page states that some computation produces is inserted from that computation
(myst-nb's ``{glue:text}`key```), in both languages from the same glued value. What may stay
typed is what no code here computes: a paper's number (with its citation), a constant of a
setting, a printed value of the book. Those are listed per page, with the reason, in
``book/typed_numbers/<page>.yml``; this module finds every other number in the prose.

A *number* is a decimal (``0.468``, ``1,205.3``), a percentage (``2%``, ``0.4 %``) or a
factor (``3.6×``, ``12×``). Not numbers: anything in math, code, roles (``{glue:text}``,
``{eq}``, ``{cite}``...), link targets and HTML, and the chapter's own section, equation,
figure and exercise numbers (``19.1``–``19.16``, ``19.2.2``).

    python3 tools/typed_numbers.py                 # every page, both languages: counts
    python3 tools/typed_numbers.py book/en/x.ipynb # one page: each number in its context
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
ALLOWED = BOOK / "typed_numbers"

_STRIP = [
    (re.compile(r"```.*?```|~~~.*?~~~", re.S), " "),
    (re.compile(r"\$\$.*?\$\$", re.S), " "),
    (re.compile(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.S), " "),
    (re.compile(r"(?<!\\)\$[^$\n]+?(?<!\\)\$"), " "),
    (re.compile(r"\{[\w:-]+\}`[^`]*`"), " "),  # roles, {glue:text} included
    (re.compile(r"`[^`]*`"), " "),  # code
    (re.compile(r"\]\([^)]*\)"), "]"),  # link targets
    (re.compile(r"<[^>]+>"), " "),  # html tags and autolinks
    (re.compile(r"^\([^)\s]+\)=\s*$", re.M), " "),  # targets
    (re.compile(r"^:[\w-]+:.*$", re.M), " "),  # directive options
    (re.compile(r"\[\^?[\w-]+\]"), " "),  # footnote and reference labels
]
#: the chapter's own numbers: sections 19.1.1 … 19.2.2, equations/figures/exercises 19.1 … 19.29
_CHAPTER = re.compile(r"^19\.(?:[1-9]|[12]\d)(?:\.\d)?$")
NUMBER = re.compile(
    r"(?<![\w.,])(?:"
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+"  # decimals (with thousands separators)
    r"|\d+(?=\s?%)|\d+(?=\s?×(?!\s?\d))"  # integer percentages and factors (not 8×8)
    r")(?![\d])"
)


def prose(markdown: str) -> str:
    """The text of a markdown cell with math, code, roles and link targets blanked out."""
    for pattern, sub in _STRIP:
        markdown = pattern.sub(sub, markdown)
    return markdown


def numbers(markdown: str) -> list[tuple[str, str]]:
    """Each typed number of a markdown cell with some context, in reading order."""
    text = prose(markdown)
    out = []
    for m in NUMBER.finditer(text):
        value = m.group()
        if _CHAPTER.match(value) or (value.startswith("19.") and text[m.end():m.end() + 1] in ")–-,"
                                     and re.match(r"^19\.\d+$", value) and int(value[3:]) <= 40):
            continue
        out.append((value, " ".join(text[max(0, m.start() - 50):m.end() + 25].split())))
    return out


def page_numbers(path: Path) -> list[tuple[str, str]]:
    """Every typed number in the prose of one page (notebook or markdown)."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        texts = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    else:
        texts = [path.read_text(encoding="utf-8")]
    return [n for t in texts for n in numbers(t)]


def allowed() -> dict[str, dict[str, str]]:
    """``{page: {number: reason}}`` from ``book/typed_numbers/<page>.yml`` (page = file stem;
    ``_all.yml`` holds what any page may type)."""
    import yaml

    out = {}
    for f in sorted(ALLOWED.glob("*.yml")):
        data = yaml.load(f.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}  # keys as typed: "3.00"
        out["*" if f.stem == "_all" else f.stem] = {str(k): str(v) for k, v in data.items()}
    return out


def typed(path: Path, allow: dict[str, dict[str, str]] | None = None) -> list[tuple[str, str]]:
    """The numbers of ``path`` that are neither inserted nor listed for its page."""
    allow = allowed() if allow is None else allow
    ok = allow.get(path.stem, {}) | allow.get("*", {})
    return [(v, ctx) for v, ctx in page_numbers(path) if v not in ok]


def main(argv: list[str]) -> int:
    allow = allowed()
    if argv:
        for p in argv:
            for value, ctx in typed(Path(p), allow):
                print(f"{p}: {value:>10}  | {ctx}")
        return 0
    total = 0
    for lang in ("en", "ko"):
        for p in sorted((BOOK / lang).glob("*.ipynb")) + sorted((BOOK / lang).glob("*.md")):
            n = len(typed(p, allow))
            total += n
            if n:
                print(f"{n:4d}  {p.relative_to(ROOT)}")
    print(f"{total:4d}  typed numbers in all")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
