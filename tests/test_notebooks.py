"""Committed notebooks were executed top to bottom and carry no errors.

nbval (run on book/ by the same pytest command) re-executes every notebook in quick mode
and compares the outputs of cells marked ``# NBVAL_CHECK_OUTPUT``. These tests check the
committed files themselves, so that what a reader sees on opening a notebook is fresh.
"""

from __future__ import annotations

import nbformat
import pytest
from conftest import LANGS, pages

NOTEBOOKS = [p for lang in LANGS for p in pages(lang, (".ipynb",))]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_was_executed_in_order_without_errors(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), \
        f"{path.name}: execution counts {counts}; re-run it with python3 tools/make.py execute {path}"
    for c in nb.cells:
        for out in c.get("outputs", []):
            assert out.output_type != "error", f"{path.name}: a cell raised {out.get('ename')}"
            if out.output_type == "stream" and out.name == "stderr":
                pytest.fail(f"{path.name}: a cell wrote to stderr: {out.text[:200]!r}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_uses_the_python3_kernel(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_figure_cells_display_an_image(path):
    """A cell that shows a figure must output a PNG, not the Figure's text repr."""
    nb = nbformat.read(path, as_version=4)
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code" and "figures.show(" in c.source:
            kinds = [k for out in c.get("outputs", []) for k in out.get("data", {})]
            assert "image/png" in kinds, f"{path.name}: cell {i} shows a figure but has no image output"
