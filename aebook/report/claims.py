"""The claims cells' verdicts, printed in the page's language.

Each page ends its computations with a claims cell: a dict from a claim to whether it holds,
the quick claims recomputed on the page and the full-size ones read from the committed results
(:func:`aebook.report.full_claims`). The Korean and English notebooks share that code cell, so
the claims are written in English in the code; :func:`print_claims` prints each verdict with the
claim in the page's language, from ``claims_ko.json`` (the English text of a claim → its Korean
text). tests/test_claims_text.py holds that catalog to the claims the pages print: every claim
has its Korean text, and no Korean text is left without its claim.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources

from ..i18n import resolve_lang

__all__ = ["claim_text", "korean_claims", "print_claims"]


@functools.cache
def korean_claims() -> dict[str, str]:
    """The catalog: a claim's English text → its Korean text."""
    return json.loads(resources.files(__package__).joinpath("claims_ko.json").read_text(encoding="utf-8"))


def claim_text(claim: str, lang: str | None = None) -> str:
    """``claim`` in ``lang`` (default: the page's language). A claim the catalog does not know
    (one a reader has just written) stays in English."""
    if not isinstance(claim, str):
        raise TypeError(f"claim must be a str, got {type(claim).__name__}")
    return korean_claims().get(claim, claim) if resolve_lang(lang) == "ko" else claim


def print_claims(claims: Mapping[str, bool], lang: str | None = None) -> None:
    """Print one line per claim: whether it holds (``True``/``False``, as the claims dict holds
    it), then the claim in the page's language."""
    if not isinstance(claims, Mapping):
        raise TypeError(f"claims must be a mapping from claim to bool, got {type(claims).__name__}")
    for claim, ok in claims.items():
        print(f"{bool(ok)!s:<6} {claim_text(claim, lang)}")
