"""Why a page's kernel computes on one torch thread (``aebook.config.DEFAULT_THREADS``).

Usage::

    python benchmarks/bench_threads.py                       # ch19_2_2_reparam, threads 1 and 2
    python benchmarks/bench_threads.py --page ch19_2_vae --threads 1 2 4

The book build and the test command run two kernels side by side on a 2-core machine. This
executes a copy of one English page (its quick experiments already in a warm result cache, so
what is timed is the page's own computing and drawing) with ``aebook.setup(..., threads=N)``:
first one kernel alone, then two kernels of it side by side, and prints the wall time of each
and the ratio to one thread. Nothing committed is touched.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench_book import ROOT, _make  # tools/make.py loaded as a module (benchmarks/ is on sys.path)


def _with_threads(src: Path, dst: Path, threads: int) -> Path:
    """A copy of notebook ``src`` whose ``aebook.setup(...)`` asks for ``threads``."""
    nb = json.loads(src.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "code" and "aebook.setup(" in text:
            new = text.replace('aebook.setup("en")', f'aebook.setup("en", threads={threads})')
            if new == text:
                raise SystemExit(f"{src.name}: its setup cell is not aebook.setup(\"en\"): {text!r}")
            cell["source"] = new
            break
    else:
        raise SystemExit(f"{src.name} has no aebook.setup(...) cell")
    dst.write_text(json.dumps(nb), encoding="utf-8")
    return dst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--page", default="ch19_2_2_reparam", help="a page of book/en (default: %(default)s)")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    make = _make()
    with tempfile.TemporaryDirectory(prefix="aebook-bench-threads-") as tmp, make.result_cache():
        book = Path(tmp) / "book"
        shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        # warm the cache: the Korean twin trains the page's quick experiments (on one thread, always)
        make.execute_notebooks([str(book / "ko" / f"{args.page}.ipynb")], jobs=1)
        en = book / "en" / f"{args.page}.ipynb"
        rows = []
        for n in args.threads:
            copies = [_with_threads(en, en.with_name(f"{args.page}_t{n}_{i}.ipynb"), n) for i in range(2)]
            clock = time.perf_counter()
            make.execute_notebooks([str(copies[0])], jobs=1)
            alone = time.perf_counter() - clock
            clock = time.perf_counter()
            with ThreadPoolExecutor(2) as pool:  # two kernels at once, as the build and the tests run them
                list(pool.map(lambda p: make.execute_notebooks([str(p)], jobs=1), copies))
            side = time.perf_counter() - clock
            rows.append((n, alone, side))
    base_alone, base_side = rows[0][1], rows[0][2]
    print(f"\n# en/{args.page}: wall time of one kernel alone and of two kernels side by side")
    print(f"{'threads':>8} {'alone (s)':>10} {'ratio':>7} {'two at once (s)':>16} {'ratio':>7}")
    for n, alone, side in rows:
        print(f"{n:>8} {alone:>10.1f} {alone / base_alone:>6.2f}x {side:>16.1f} {side / base_side:>6.2f}x")


if __name__ == "__main__":
    main()
