"""Headless Chromium for the browser tests: the Debian package, driven from the command line
(``--dump-dom``), nothing downloaded.

A Chromium start costs about a second before any page loads, and the tests read some 25 pages
per language at three widths and in two colour schemes. So :func:`each_page` opens one
Chromium per (width, scheme) on a small harness page that loads the pages one after another in
an iframe of that width; the script injected into each page (tests/browser/*.js) posts its
report to the harness, which writes all of them into one ``<pre>`` that ``--dump-dom``
returns. Inside the iframe the page sees the width under test as its own window
(``innerWidth``, media queries), as it would in a window of that size; measured on the English
pages, the equations' measurements are the same either way, in a third of the time.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars")
#: the colour scheme a page is asked for (the theme follows it: light or dark mode)
SCHEMES = {"light": "preferredColorScheme=1", "dark": "preferredColorScheme=0"}

HARNESS = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>harness</title></head>
<body style="margin:0"><iframe id="aebook-frame" title="page under test"
 style="width:{width}px;height:900px;border:0;display:block"></iframe>
<script>
var pages = {pages}, out = [], i = 0, timer = null;
function next() {{
  clearTimeout(timer);
  if (i >= pages.length) {{
    var pre = document.createElement('pre'); pre.id = '{pre_id}'; pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre); return;
  }}
  timer = setTimeout(function () {{
    out.push({{page: pages[i], error: 'no report within {per_page_s} s'}}); i++; next();
  }}, {per_page_ms});
  document.getElementById('aebook-frame').src = pages[i];
}}
window.addEventListener('message', function (e) {{
  var r; try {{ r = JSON.parse(e.data); }} catch (err) {{ r = {{error: String(e.data).slice(0, 200)}}; }}
  out.push({{page: pages[i], report: r}}); i++; next();
}});
next();
</script></body></html>"""


def dump_json(url: str, pre_id: str, window: int = 1280, budget_ms: int = 30000, flags=(), timeout: int = 180):
    """Open ``url`` in headless Chromium and return the JSON that an injected script wrote into
    ``<pre id=pre_id>`` (the theme may add attributes to it, such as a tabindex)."""
    out = subprocess.run([CHROMIUM, *FLAGS, *flags, f"--window-size={window},900",
                          f"--virtual-time-budget={budget_ms}", "--dump-dom", url],
                         capture_output=True, text=True, timeout=timeout).stdout
    found = re.findall(rf'<pre id="{pre_id}"[^>]*>(.*?)</pre>', out, re.S)
    assert found, f"{url} at {window} px: the injected script wrote nothing into <pre id={pre_id}> " \
                  f"(Chromium printed {len(out)} characters)"
    return json.loads(html.unescape(found[-1]))


def probe(page: Path, tag: str, script: str, where: str = "head") -> Path:
    """A copy of ``page`` beside it (``<stem>.<tag>.html``, which :func:`conftest.built_pages`
    skips) with ``script`` (HTML: script elements) added at the end of its head or body."""
    text = page.read_text(encoding="utf-8")
    end = text.find("</head>") if where == "head" else text.rfind("</body>")
    copy = page.with_name(f"{page.stem}.{tag}.html")
    copy.write_text(text[:end] + script + text[end:] if end >= 0 else text + script, encoding="utf-8")
    return copy


def each_page(probes: list[Path], width: int, tag: str, flags=(), per_page_ms: int = 60000,
              timeout: int = 900) -> dict[str, dict]:
    """Load each of ``probes`` (pages of one folder, each with a script that posts its report
    to ``window.parent``) in turn in a ``width``-px iframe of one Chromium, and return the
    reports by page stem. A page that reports nothing within ``per_page_ms`` (virtual time)
    fails here, by name."""
    if not probes:
        return {}
    folder = probes[0].parent
    assert all(p.parent == folder for p in probes), "each_page loads pages of one folder"
    pre_id = "aebook-harness"
    harness = folder / f"aebook.harness-{tag}-{width}.html"
    harness.write_text(HARNESS.format(width=width, pages=json.dumps([p.name for p in probes]), pre_id=pre_id,
                                      per_page_ms=per_page_ms, per_page_s=per_page_ms // 1000), encoding="utf-8")
    reports = dump_json(harness.as_uri(), pre_id, window=max(width, 500) + 20,
                        budget_ms=per_page_ms * len(probes) + 10000, flags=flags, timeout=timeout)
    failed = [f"{r['page']}: {r['error']}" for r in reports if "error" in r]
    assert not failed, f"at {width} px: " + "; ".join(failed)
    assert [r["page"] for r in reports] == [p.name for p in probes], f"at {width} px: reports missing"
    return {p.name.split(".")[0]: r["report"] for p, r in zip(probes, reports)}
