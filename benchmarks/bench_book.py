"""Where the book build's time goes: each page's execution, cold and warm, and the Sphinx side.

Usage::

    python benchmarks/bench_book.py             # pages one kernel at a time, then the build's own way
    python benchmarks/bench_book.py --pages 0   # only the build as `tools/make.py book` runs it

Works on a copy of ``book/`` in a temporary folder (the committed notebooks are not touched).

1. **Pages** (``--pages 1``, the default): every notebook executed one after another in one
   kernel each, Korean twin first, with a fresh result cache (*cold*: the page trains its quick
   experiments unless its twin just did), then all again with that cache (*warm*: kernel
   start, imports, drawing). Prints both per page, slowest first: a page's cold time is
   what one reader waits when opening it alone.
2. **Build**: ``tools/make.py``'s ``build_book`` (execution with ``--jobs`` kernels, then both
   languages rendered by Sphinx side by side) with a fresh cache, split into its phases.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _make():
    spec = importlib.util.spec_from_file_location("aebook_make", ROOT / "tools" / "make.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _seconds(path: Path) -> float:
    return float(json.loads(path.read_text(encoding="utf-8"))["metadata"]["aebook"]["seconds"])


def pages(make, tmp: Path) -> None:
    src = tmp / "pages"
    shutil.copytree(ROOT / "book", src, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    notebooks = sorted(str(p) for p in src.rglob("*.ipynb"))
    times: dict[str, dict[str, float]] = {}
    with make.result_cache():
        for label in ("cold", "warm"):
            clock = time.perf_counter()
            make.execute_notebooks(notebooks, jobs=1)
            total = time.perf_counter() - clock
            for p in map(Path, notebooks):
                times.setdefault(f"{p.parent.name}/{p.stem}", {})[label] = _seconds(p)
            print(f"# {label}: {len(notebooks)} notebooks one after another in {total:.0f} s", flush=True)
    print(f"\n{'page':<28} {'cold s':>8} {'warm s':>8}")
    for name, t in sorted(times.items(), key=lambda kv: -kv[1]["cold"]):
        print(f"{name:<28} {t['cold']:8.1f} {t['warm']:8.1f}")
    cold = sum(t["cold"] for t in times.values())
    warm = sum(t["warm"] for t in times.values())
    print(f"{'sum':<28} {cold:8.1f} {warm:8.1f}")
    print(f"pages over 30 s cold: {sorted(n for n, t in times.items() if t['cold'] > 30) or 'none'}")


def build(make, tmp: Path, jobs: int) -> None:
    log = io.StringIO()
    clock = time.perf_counter()
    with make.result_cache(), contextlib.redirect_stdout(log):
        make.build_book(strict=True, execute=True, out_root=tmp / "build", jobs=jobs)
    total = time.perf_counter() - clock
    text = log.getvalue()
    executed = re.search(r"executed \d+ notebooks in (\d+) s", text)
    rendered = re.search(r"rendered both languages in (\d+) s", text)
    print(f"\nbuild (jobs={jobs}): {total:.0f} s in all; executing the notebooks "
          f"{executed.group(1) if executed else '?'} s, Sphinx {rendered.group(1) if rendered else '?'} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=1, help="1: time every page cold and warm first (default)")
    ap.add_argument("--jobs", type=int, default=2, help="kernels at a time in the build (default 2)")
    args = ap.parse_args()
    make = _make()
    os.environ.pop("AEBOOK_RESULT_CACHE", None)  # a fresh cache, whatever the shell names
    with tempfile.TemporaryDirectory() as tmp:
        if args.pages:
            pages(make, Path(tmp))
        build(make, Path(tmp), args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
