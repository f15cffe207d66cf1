"""The built book read in a real browser: the Debian Chromium, headless, nothing downloaded.

Each page with display equations is opened at a phone's width (390 px, in an iframe: headless
Chromium's window is at least 500 px wide), at 1280 and at 1920 px, with a small script
(tests/browser/measure_math.js) that measures every typeset display equation once MathJax
has run. An equation may be wider than the column, but then it must scroll inside its own box
from its left edge: no part of it may be cut off on the left, and the box must not stick out
of the column. Skipped where no Chromium is installed (``apt install chromium``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import LANGS, ROOT, built_pages

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason="no chromium: apt install chromium")]
SCRIPT = (ROOT / "tests" / "browser" / "measure_math.js").read_text(encoding="utf-8")
WIDTHS = (390, 1280, 1920)
HARNESS = """<!DOCTYPE html><html><body style="margin:0">
<iframe src="{page}" style="width:{width}px;height:900px;border:0"></iframe>
<script>window.addEventListener('message', function (e) {{
  var pre = document.createElement('pre'); pre.id = 'aebook-measure'; pre.textContent = e.data;
  document.body.appendChild(pre); }});</script></body></html>"""


def _report(url: str, pre_id: str, window: int = 1280, budget_ms: int = 30000):
    """Open ``url`` in headless Chromium and return the JSON that an injected script wrote into
    ``<pre id=pre_id>`` (the theme may add attributes to it, such as a tabindex)."""
    out = subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                          f"--window-size={window},900", f"--virtual-time-budget={budget_ms}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=180).stdout
    m = re.search(rf'<pre id="{pre_id}"[^>]*>(.*?)</pre>', out, re.S)
    assert m, f"{url} at {window} px: the injected script wrote nothing into <pre id={pre_id}>"
    return json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<")
                      .replace("&gt;", ">"))


def _dump(url: str, width: int) -> dict:
    return _report(url, "aebook-measure", window=max(width, 500) + (20 if width < 500 else 0))


def _measure(html, lang: str) -> list[tuple[str, int, dict]]:
    jobs = []
    for page in built_pages(html / lang):
        text = page.read_text(encoding="utf-8")
        if 'class="math' not in text:
            continue
        probe = page.with_name(f"{page.stem}.measure.html")
        probe.write_text(text.replace("</head>", f"<script>{SCRIPT}</script></head>", 1), encoding="utf-8")
        for width in WIDTHS:
            if width < 500:
                harness = page.with_name(f"{page.stem}.harness{width}.html")
                harness.write_text(HARNESS.format(page=probe.name, width=width), encoding="utf-8")
                jobs.append((page.stem, width, harness.as_uri()))
            else:
                jobs.append((page.stem, width, probe.as_uri()))
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda j: _dump(j[2], j[1]), jobs))
    return [(stem, width, res) for (stem, width, _), res in zip(jobs, results)]


@pytest.mark.parametrize("lang", LANGS)
def test_no_display_equation_loses_its_left_part_or_leaves_the_column(built_book, lang):
    measured = _measure(built_book, lang)
    assert measured, f"no {lang} page with display math was measured"
    bad = []
    for stem, width, res in measured:
        assert width < 500 or res["width"] == width, f"{stem}: the window was {res['width']} px, not {width}"
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
    found = []
    for page in pages:
        probe = page.with_name(f"{page.stem}.explorers.html")
        probe.write_text(page.read_text(encoding="utf-8").replace("</head>", f"<script>{MOVE}</script></head>", 1),
                         encoding="utf-8")
        for r in _report(probe.as_uri(), "aebook-explorers", budget_ms=10000):
            found.append(page.stem)
            assert r["n"] >= 2 and r["before"] == [0], f"{page.stem}: {r}"
            assert r["after"] == [r["n"] - 1], f"{page.stem}: the slider did not show its last picture: {r}"
            assert r["says"] != r["said"] and r["valuetext"] == r["says"] and r["label"], f"{page.stem}: {r}"
    assert sorted(set(found)) == ["ch19_1_2_deep", "ch19_1_4_denoising", "ch19_2_2_collapse", "ch19_2_2_variants"]
    assert len(found) == 5, found
