"""Figures: one function per book figure (19.1-19.11) and per figure of our own.

Functions register themselves in :mod:`aebook.figures.registry`; see there for the
contract (``func(lang=None, mode=None) -> Figure``) and for the baseline check.
"""

from ._common import digit_grid, first_of_each_digit, plot_history
from .registry import (
    FIGURE_MODULES,
    REGISTRY,
    FigureSpec,
    compare_with_baseline,
    draw,
    figure_ids,
    get,
    index_markdown,
    index_rows,
    register,
    save,
    show,
    write_baseline,
)

__all__ = ["FIGURE_MODULES", "REGISTRY", "FigureSpec", "compare_with_baseline", "digit_grid", "draw",
           "figure_ids", "first_of_each_digit", "get", "index_markdown", "index_rows", "plot_history", "register",
           "save", "show", "write_baseline"]
