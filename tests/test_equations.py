"""The equation index: every numbered equation of 19.1-19.2 points at code that cites it."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import aebook
from aebook.equations import EQUATIONS, resolve, table

NUMBERS = [f"19.{i}" for i in range(1, 26)]


def test_every_equation_of_the_chapter_is_indexed():
    assert sorted(EQUATIONS, key=lambda n: int(n.split(".")[1])) == NUMBERS


@pytest.mark.parametrize("number", NUMBERS)
def test_the_code_of_an_equation_exists_and_cites_it(number):
    eq = EQUATIONS[number]
    assert eq.code, f"({number}) names no code"
    for path in eq.code:
        doc = inspect.getdoc(resolve(path)) or ""
        assert eq.citation in doc, f"{path} is indexed under ({number}) but its docstring does not cite {eq.citation}"


def test_docstrings_cite_only_equations_of_the_chapter():
    """A "(19.N)" in the package means equation 19.N (an exercise is written "Exercise 19.N")."""
    root = Path(aebook.__file__).parent
    for f in root.rglob("*.py"):
        for m in re.finditer(r"\(19\.(\d+)\)", f.read_text(encoding="utf-8")):
            assert 1 <= int(m.group(1)) <= 25, f"{f.name}: ({m.group(0)}) is not an equation of the chapter"


def test_table_lists_every_equation_with_its_code():
    text = table()
    for number, eq in EQUATIONS.items():
        assert f"({number})" in text and eq.code[0] in text


def test_resolve_refuses_an_unknown_path():
    with pytest.raises((ImportError, AttributeError)):
        resolve("aebook.vae.no_such_function")
