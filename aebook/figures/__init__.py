"""Figures: one function per book figure (19.1-19.11) and per figure of our own.

Functions register themselves in :mod:`aebook.figures.registry`; see there for the
contract (``func(lang=None, mode=None) -> Figure``) and for the baseline check.
"""

# Modules whose import registers figures; later sections add theirs here.
FIGURE_MODULES = ["intro", "deterministic", "regularized", "masked", "vae", "variants"]

from .registry import (  # noqa: E402
    REGISTRY, FigureSpec, compare_with_baseline, draw, figure_ids, get, index_markdown, index_rows, register,
    save, show, write_baseline,
)

__all__ = ["FIGURE_MODULES", "REGISTRY", "FigureSpec", "compare_with_baseline", "draw", "figure_ids", "get",
           "index_markdown", "index_rows", "register", "save", "show", "write_baseline"]
