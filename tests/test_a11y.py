"""Accessibility: every page of the built book, both languages, audited by axe-core in Chromium.

Each HTML page of ``ko/`` and ``en/`` (and the landing page) is copied with axe-core and a small
runner (tests/browser/run_axe.js) added at the end of its body, opened in the Debian Chromium
(headless, in a 1280 px iframe of a harness that loads the pages in turn: tests/chromium.py),
in the light and in the dark colour scheme (the theme follows the reader's), plus three pages
per language with the theme switched to dark on a light system, and audited once MathJax has
typeset, with the rules tagged WCAG 2.0/2.1 A and AA, WCAG 2.2 AA and axe's best practices. A
violation of impact "critical" or "serious" fails the test, unless :data:`ALLOWED` names it
with its reason; the others are printed (``-s``) but pass.

Nothing is downloaded here: axe-core is pinned in tests/browser/package.json (+ lock) and
installed into tests/browser/node_modules by ``python3 tools/make.py install`` when npm is
available. Skipped, saying why, where Chromium or axe-core is missing.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from chromium import CHROMIUM, SCHEMES, each_page, probe
from conftest import LANGS, ROOT, built_pages

AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
RUNNER = ROOT / "tests" / "browser" / "run_axe.js"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium to run axe-core in: apt install chromium"),
    pytest.mark.skipif(not AXE.is_file(), reason=f"axe-core is not installed ({AXE.relative_to(ROOT)} is missing): "
                       "run `python3 tools/make.py install` where npm is available (npm ci in tests/browser)"),
]
FAILING = ("critical", "serious")
#: (rule id, a substring of the offending element's selector or HTML) -> why it is accepted.
#: Keep each entry as narrow as possible: it must name one element of one theme, not a rule.
ALLOWED: dict[tuple[str, str], str] = {}


#: a reader who switched the theme to dark with its button on a system that prefers light: the
#: theme keeps the choice in localStorage and reads it first thing in <head>
TOGGLED = '<script>localStorage.setItem("mode", "dark"); localStorage.setItem("theme", "dark");</script>'
#: the pages audited in that mode: the search field is in every header, the search page has its own
TOGGLED_PAGES = ("index", "search", "ch19_2_vae")


def _audit(pages: list[Path], scheme: str = "light") -> list[dict]:
    """axe-core's report on each page, at 1280 px in the given colour scheme (``"toggled"``: a
    light system with the theme switched to dark): the pages are split in two halves, each
    loaded in turn by one Chromium (tests/chromium.py)."""
    scripts = f'<script src="{AXE.as_uri()}"></script><script>{RUNNER.read_text(encoding="utf-8")}</script>'
    probes = [probe(page, f"axe-{scheme}", scripts, where="body") for page in pages]
    if scheme == "toggled":
        for p in probes:
            p.write_text(p.read_text(encoding="utf-8").replace("<head>", "<head>" + TOGGLED, 1), encoding="utf-8")
    halves = [probes[: (len(probes) + 1) // 2], probes[(len(probes) + 1) // 2:]]
    flags = [f"--blink-settings={SCHEMES['light' if scheme == 'toggled' else scheme]}"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda h: each_page(h[1], 1280, f"axe-{scheme}-{h[0]}", flags=flags), enumerate(halves)))
    reports = {stem: r for part in done for stem, r in part.items()}
    for page in pages:
        assert "error" not in reports[page.stem], f"{page}: axe-core failed: {reports[page.stem]['error']}"
    return [reports[page.stem] for page in pages]


def _allowed(rule: str, node: dict) -> bool:
    where = " ".join(map(str, node["target"])) + " " + node["html"]
    return any(rule == r and needle in where for r, needle in ALLOWED)


def _pages(html_root: Path, group: str) -> list[Path]:
    return [html_root / "index.html"] if group == "landing" else built_pages(html_root / group)


@pytest.mark.parametrize("group, scheme", [(lang, scheme) for lang in LANGS for scheme in (*SCHEMES, "toggled")]
                         + [("landing", "light")])  # the landing page has no dark mode
def test_no_critical_or_serious_accessibility_violation(built_book, group, scheme):
    pages = _pages(built_book, group)
    assert pages, f"no {group} page to audit"
    if scheme == "toggled":
        pages = [p for p in pages if p.stem in TOGGLED_PAGES]
        assert len(pages) == len(TOGGLED_PAGES), f"not every one of {TOGGLED_PAGES} was built"
    results = _audit(pages, scheme)
    bad, other = [], []
    for page, res in zip(pages, results):
        name = page.relative_to(built_book).as_posix()
        expected = "en" if group == "landing" else group
        assert res["lang"] == expected, f"{name}: <html lang={res['lang']!r}>, not {expected!r}"
        theme = "dark" if scheme == "toggled" else scheme
        assert group == "landing" or res["theme"] == theme, f"{name}: the theme is {res['theme']!r}, not {theme}"
        for v in res["violations"]:
            nodes = [n for n in v["nodes"] if not _allowed(v["id"], n)]
            if not nodes:
                continue
            line = (f"{name} ({scheme}): {v['id']} ({v['impact']}, {len(nodes)}x: {v['help']}) at "
                    + "; ".join(" ".join(map(str, n["target"])) for n in nodes[:3]))
            (bad if v["impact"] in FAILING else other).append(line)
    if other:
        print(f"\n{len(other)} moderate or minor findings (not failing):\n" + "\n".join(other))
    assert not bad, f"{len(bad)} critical or serious accessibility violations:\n" + "\n".join(bad)
