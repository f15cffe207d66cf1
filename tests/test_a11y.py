"""Accessibility: every page of the built book, both languages, audited by axe-core in Chromium.

Each HTML page of ``ko/`` and ``en/`` (and the landing page) is copied with axe-core and a small
runner (tests/browser/run_axe.js) added at the end of its body, opened in the Debian Chromium
(headless, 1280 px wide), in the light and in the dark colour scheme (the theme follows the
reader's), and audited once MathJax has typeset, with the rules tagged WCAG 2.0/2.1 A and AA,
WCAG 2.2 AA and axe's best practices. A violation of impact "critical" or "serious" fails the
test, unless :data:`ALLOWED` names it with its reason; the others are printed (``-s``) but pass.
Under load (two training jobs on this 2-core machine) it takes about 5 minutes a scheme.

Nothing is downloaded here: axe-core is pinned in tests/browser/package.json (+ lock) and
installed into tests/browser/node_modules by ``python3 tools/make.py install`` when npm is
available. Skipped, saying why, where Chromium or axe-core is missing.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import LANGS, ROOT, built_pages

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
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
#: the colour scheme the page is asked for (the theme follows it: light or dark mode)
SCHEMES = {"light": "preferredColorScheme=1", "dark": "preferredColorScheme=0"}
RESULT = re.compile(r'<pre id="aebook-axe"[^>]*>(.*?)</pre>', re.S)  # the theme may add tabindex to a pre


def _audit(page: Path, scheme: str = "light") -> dict:
    text = page.read_text(encoding="utf-8")
    copy = page.with_name(f"{page.stem}.axe.html")
    end = text.rfind("</body>")
    scripts = (f'<script src="{AXE.as_uri()}"></script>'
               f'<script>{RUNNER.read_text(encoding="utf-8")}</script>')
    copy.write_text(text[:end] + scripts + text[end:] if end >= 0 else text + scripts, encoding="utf-8")
    out = subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                          "--window-size=1280,900", "--virtual-time-budget=30000",
                          f"--blink-settings={SCHEMES[scheme]}", "--dump-dom", copy.as_uri()],
                         capture_output=True, text=True, timeout=300).stdout
    found = RESULT.findall(out)
    assert found, f"{page}: axe-core wrote nothing (Chromium printed {len(out)} characters)"
    result = json.loads(html.unescape(found[-1]))
    assert "error" not in result, f"{page}: axe-core failed: {result['error']}"
    return result


def _allowed(rule: str, node: dict) -> bool:
    where = " ".join(map(str, node["target"])) + " " + node["html"]
    return any(rule == r and needle in where for r, needle in ALLOWED)


def _pages(html_root: Path, group: str) -> list[Path]:
    return [html_root / "index.html"] if group == "landing" else built_pages(html_root / group)


@pytest.mark.parametrize("group, scheme", [(lang, scheme) for lang in LANGS for scheme in SCHEMES]
                         + [("landing", "light")])  # the landing page has no dark mode
def test_no_critical_or_serious_accessibility_violation(built_book, group, scheme):
    pages = _pages(built_book, group)
    assert pages, f"no {group} page to audit"
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda page: _audit(page, scheme), pages))
    bad, other = [], []
    for page, res in zip(pages, results):
        name = page.relative_to(built_book).as_posix()
        expected = "en" if group == "landing" else group
        assert res["lang"] == expected, f"{name}: <html lang={res['lang']!r}>, not {expected!r}"
        assert group == "landing" or res["theme"] == scheme, f"{name}: the theme is {res['theme']!r}, not {scheme}"
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
