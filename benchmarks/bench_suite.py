"""Where the test command's time goes: the suite's phases, its slowest tests, its wall time.

Usage::

    python benchmarks/bench_suite.py                 # as the README's test command runs it
    python benchmarks/bench_suite.py --serial        # one process (no pytest-xdist)
    python benchmarks/bench_suite.py -- -m "not slow"   # extra pytest arguments after --

Runs pytest exactly as ``python3 tools/make.py test`` does (quick mode, a fresh result cache
shared by every process of the run, pytest-xdist over both cores unless ``--serial``), with a
JUnit XML report, and prints

* ``wall``: the run's wall time, and ``busy``: the sum of every test's own time (setup, call
  and teardown; under xdist the workers' times add up, so ``busy / wall`` approaches the
  number of workers when both are kept busy);
* per phase (``units``, ``experiments``, ``figures``, ``notebooks``, ``browser``, ``sphinx``,
  ``wheel``),
  its busy time and test count: where the time goes;
* the slowest tests.

A test's time includes the fixtures it is the first to need (the first test of a module that
trains a quick experiment carries the training), so phases are the honest unit here.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PHASES = {
    "notebooks": lambda f: f.startswith("book/"),
    "browser": lambda f: Path(f).stem in {"test_browser", "test_a11y"},  # headless Chromium
    "sphinx": lambda f: Path(f).stem in {"test_book_build", "test_search_ko", "test_pdf", "test_sphinxext"},
    "wheel": lambda f: Path(f).stem == "test_wheel",
    "experiments": lambda f: Path(f).stem.startswith(("test_experiments", "test_results", "test_mnist",
                                                      "test_report", "test_worked")),
    "figures": lambda f: Path(f).stem.startswith("test_figures"),
}


def phase_of(file: str) -> str:
    return next((name for name, match in PHASES.items() if match(file)), "units")


def _make():
    spec = importlib.util.spec_from_file_location("aebook_make", ROOT / "tools" / "make.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--serial", action="store_true", help="one pytest process (-p no:xdist)")
    ap.add_argument("--top", type=int, default=15, help="how many of the slowest tests to list")
    ap.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    args = ap.parse_args()
    make = _make()
    os.environ.pop("AEBOOK_RESULT_CACHE", None)  # a fresh cache, whatever the shell names
    extra = list(args.pytest_args) + (["-p", "no:xdist"] if args.serial else [])
    with tempfile.TemporaryDirectory() as tmp, make.result_cache():
        report = Path(tmp) / "junit.xml"
        cmd = [sys.executable, "-m", "pytest", "-q", *make._parallel(extra), *extra, f"--junitxml={report}",
               "-o", "junit_duration_report=total", "-o", "junit_family=xunit1"]
        print("+", " ".join(cmd), flush=True)
        clock = time.perf_counter()
        code = subprocess.run(cmd, cwd=ROOT, env=make.quick_env()).returncode
        wall = time.perf_counter() - clock
        cases = ET.parse(report).getroot().iter("testcase")
        rows = []
        for case in cases:
            file = case.get("file") or case.get("classname", "").replace(".", "/") + ".py"
            rows.append((float(case.get("time", 0)), file, case.get("name", "")))
    busy = sum(t for t, _, _ in rows)
    phases: dict[str, list[float]] = defaultdict(list)
    for t, file, _ in rows:
        phases[phase_of(file)].append(t)
    print(f"\nwall: {wall:.0f} s   busy: {busy:.0f} s   busy/wall: {busy / wall:.2f}   tests: {len(rows)}"
          f"   exit code: {code}")
    print(f"\n{'phase':<12} {'busy s':>8} {'share':>6} {'tests':>6}")
    for name, times in sorted(phases.items(), key=lambda kv: -sum(kv[1])):
        print(f"{name:<12} {sum(times):8.0f} {sum(times) / busy:6.0%} {len(times):6d}")
    print(f"\nslowest {args.top} tests:")
    for t, file, name in sorted(rows, reverse=True)[: args.top]:
        print(f"{t:8.1f} s  {file}::{name}")
    return code


if __name__ == "__main__":
    sys.exit(main())
