"""The built book read in a real browser: the Debian Chromium, headless, nothing downloaded.

Each page with display equations is opened at a phone's width (390 px: headless Chromium's
window is at least 500 px wide), at 1280 and at 1920 px, in an iframe of that width
(tests/chromium.py: one Chromium per width loads the pages in turn), with a small script
(tests/browser/measure_math.js) that measures every typeset display equation once MathJax
has run. An equation may be wider than the column, but then it must scroll inside its own box
from its left edge: no part of it may be cut off on the left, and the box must not stick out
of the column. Skipped where no Chromium is installed (``apt install chromium``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from chromium import CHROMIUM, each_page, probe
from conftest import LANGS, ROOT, built_pages

pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason="no chromium: apt install chromium")]
SCRIPT = (ROOT / "tests" / "browser" / "measure_math.js").read_text(encoding="utf-8")
WIDTHS = (390, 1280, 1920)


def _measure(html, lang: str) -> list[tuple[str, int, dict]]:
    probes = [probe(page, "measure", f"<script>{SCRIPT}</script>") for page in built_pages(html / lang)
              if 'class="math' in page.read_text(encoding="utf-8")]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda width: each_page(probes, width, "measure"), WIDTHS))
    return [(stem, width, res) for width, by_page in zip(WIDTHS, results) for stem, res in by_page.items()]


@pytest.mark.parametrize("lang", LANGS)
def test_no_display_equation_loses_its_left_part_or_leaves_the_column(built_book, lang):
    measured = _measure(built_book, lang)
    assert measured, f"no {lang} page with display math was measured"
    bad = []
    for stem, width, res in measured:
        assert res["width"] == width, f"{stem}: the window was {res['width']} px, not {width}"
        for eq in res["eqs"]:
            if eq["clip_left"] > 1 or eq["box_right"] > 1 or (eq["out_right"] > 1 and not eq["scrolls"]):
                bad.append(f"{stem} at {width} px, equation {eq['i']} ({eq['tex']}): {eq}")
    assert not bad, f"{len(bad)} display equations are cut off or stick out:\n" + "\n".join(bad[:30])


MOVE = (ROOT / "tests" / "browser" / "move_explorer.js").read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", LANGS)
def test_every_explorer_moves_in_the_static_book_with_no_kernel(built_book, lang):
    """The four explorers (five sliders: the denoising page has one per noise) move in the web
    book: moving the slider shows another precomputed picture, and says which setting it is."""
    pages = [p for p in built_pages(built_book / lang) if 'class="aebook-explorer"' in p.read_text(encoding="utf-8")]
    reports = each_page([probe(page, "explorers", f"<script>{MOVE}</script>") for page in pages], 1280, "explorers")
    found = []
    for page in pages:
        for r in reports[page.stem]:
            found.append(page.stem)
            assert r["n"] >= 2 and r["before"] == [0], f"{page.stem}: {r}"
            assert r["after"] == [r["n"] - 1], f"{page.stem}: the slider did not show its last picture: {r}"
            assert r["says"] != r["said"] and r["valuetext"] == r["says"] and r["label"], f"{page.stem}: {r}"
    assert sorted(set(found)) == ["ch19_1_2_deep", "ch19_1_4_denoising", "ch19_2_2_collapse", "ch19_2_2_variants"]
    assert len(found) == 5, found
