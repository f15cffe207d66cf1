"""Carrying committed full-size results over a change of code that changes no number.

A committed result is bound to the code that computed it by a fingerprint over the modules in
its import closure (:mod:`aebook.experiments.fingerprint`), so a fix in shared code (the training
loop, a loss) makes every result stale, and the full re-run costs hours of a CPU or more than a
lent GPU's budget. ``python -m aebook run --carry --against <commit>`` replaces that re-run, for a
change that moves no number, by evidence that it moves none:

1. each result's fingerprint, computed by the code of ``<commit>`` (a ``git worktree``), must be
   the one the record holds, and only its code may differ today (configuration and arguments
   unchanged);
2. every one of these experiments in quick mode, computed once by ``<commit>``'s code and once by
   today's, must give the same result bit for bit (wall-clock fields, ``*time_s``, aside);
3. every one whose full run is cheap (its record's wall time, and that of every experiment it
   uses, at most ``full_up_to`` seconds in all: :func:`full_cost`) and
   was computed on this type of device is computed at full size by both codes too, on this
   machine, and the two must agree bit for bit (the committed numbers came from another machine
   maybe, whose kernels round differently: ``--verify`` compares with those).

Only then is each record's fingerprint set to today's and the step appended to its provenance
(``carried``: from, to, the commit, the date and the evidence), and the record is sealed again.
The record keeps its own commit, device and sittings: it still says which code computed it.
Anything that differs stops the carry and is printed; nothing is written.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

from .fingerprint import fingerprint
from .registry import EXPERIMENTS, runnable
from .results import RESULTS_DIR, _leaves, compare, load_full, write_record

__all__ = ["carry", "carry_candidates", "full_cost", "same_numbers", "uses"]

ROOT = Path(__file__).resolve().parents[2]


def carry_candidates(names: Sequence[str] | None = None) -> list[str]:
    """The committed results whose only staleness is their code (``names``: among these)."""
    from .runner import staleness

    out = []
    for name in names or runnable():
        why = staleness(name)
        if why and all(w.startswith("code changed") for w in why):
            out.append(name)
    return out


def uses(name: str) -> set[str]:
    """The registered experiments that experiment ``name``'s function calls (read from its
    source): a full run computes those too unless their checkpoints are at hand."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(EXPERIMENTS[name].func))))
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return {c for c in called if c in EXPERIMENTS and c != name}


def full_cost(name: str, seen: frozenset = frozenset()) -> float:
    """Seconds a full run of ``name`` takes from nothing: its record's wall time and that of
    every experiment it uses (a private one, ``_name``, is timed in its caller's record; any
    other without a record: ``inf``)."""
    full = load_full(name, check=False)
    wall = full.provenance.get("wall_time_s") if full else None
    own = float(wall) if wall is not None else (0.0 if name.startswith("_") else math.inf)
    return own + sum(full_cost(d, seen | {name}) for d in uses(name) - seen - {name})


def same_numbers(old: dict, new: dict) -> list[str]:
    """Where two ``result`` dicts differ at all, wall-clock leaves (``*time_s``) aside."""
    def strip(d: dict) -> dict:
        return {k: v for k, v in _leaves(d) if not any(p.split("[")[0].endswith("time_s") for p in k.split("."))}

    return compare(strip(old), strip(new), rtol=0.0, atol=0.0)


def _run(tree: Path, names: Sequence[str], mode: str, out: Path, jobs: int) -> None:
    cache = Path(tempfile.mkdtemp(prefix=f"cache-{out.name}-", dir=out.parent))  # private (0700); goes with it
    env = {**os.environ, "PYTHONPATH": str(tree), "AEBOOK_RESULT_CACHE": str(cache), "AEBOOK_PROGRESS": "0"}
    env.pop("AEBOOK_RESULTS", None)
    cmd = [sys.executable, "-m", "aebook", "run", *names, "--mode", mode, "--out", str(out),
           "--checkpoints", str(out / "runs"), "--jobs", str(jobs), "--no-progress"]
    subprocess.run(cmd, cwd=tree, env=env, check=True)


def _fingerprints_at(tree: Path, names: Sequence[str]) -> dict[str, str]:
    code = ("import json, sys, aebook.experiments\n"
            "from aebook.experiments.registry import EXPERIMENTS\n"
            "from aebook.experiments.fingerprint import fingerprint\n"
            "print(json.dumps({n: fingerprint(EXPERIMENTS[n].module) for n in sys.argv[1:]}))")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", code, *names], cwd=tree, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def carry(against: str, names: Sequence[str] | None = None, *, jobs: int = 2, full_up_to: float = 300.0,
          device_type: str = "cpu") -> int:
    """Carry the results of ``names`` (default: every one stale by its code only) from the code
    of commit ``against`` to today's; returns 0, or 1 when the evidence fails (nothing written)."""
    names = carry_candidates(names)
    if not names:
        print("nothing to carry: no committed result is stale by its code alone")
        return 0
    def sha(ref: str) -> str:
        return subprocess.run(["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()

    commit, against = sha("HEAD"), sha(against)  # a ref such as HEAD~3 is recorded as the commit it names
    work = Path(tempfile.mkdtemp(prefix="aebook-carry-"))
    old_tree = work / "old"
    subprocess.run(["git", "worktree", "add", "--detach", str(old_tree), against], cwd=ROOT, check=True,
                   capture_output=True)
    try:
        records = {n: load_full(n) for n in names}
        theirs = _fingerprints_at(old_tree, names)
        wrong = [n for n in names if theirs[n] != records[n].fingerprint]
        if wrong:
            print(f"{against} is not the code that computed {wrong}: its fingerprints "
                  f"{[theirs[n] for n in wrong]} differ from the records'")
            return 1
        t0 = time.perf_counter()
        _run(old_tree, names, "quick", work / "quick-old", jobs)
        _run(ROOT, names, "quick", work / "quick-new", jobs)
        moved = {}
        for n in names:
            a, b = (json.loads((work / d / f"{n}.json").read_text())["result"] for d in ("quick-old", "quick-new"))
            if diff := same_numbers(a, b):
                moved[f"{n} (quick)"] = diff
        cheap = [n for n in names if full_cost(n) <= full_up_to
                 and records[n].provenance.get("device_type", "cpu") == device_type]
        if cheap:
            _run(old_tree, cheap, "full", work / "full-old", jobs)
            _run(ROOT, cheap, "full", work / "full-new", jobs)
            for n in cheap:
                a, b = (json.loads((work / d / f"{n}.json").read_text())["result"] for d in ("full-old", "full-new"))
                if diff := same_numbers(a, b):
                    moved[f"{n} (full)"] = diff
        if moved:
            for what, diff in moved.items():
                print(f"{what}: {len(diff)} number(s) moved, e.g. {diff[:3]}")
            print("not carried: today's code computes other numbers; re-run these experiments")
            return 1
        step = {"from": None, "to": None, "commit": commit[:10], "against": against[:10],
                "date": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
                "evidence": {"quick_identical": sorted(names), "full_identical": sorted(cheap),
                             "seconds": round(time.perf_counter() - t0, 1)}}
        for n in names:
            path = RESULTS_DIR / f"{n}.json"
            record = json.loads(path.read_text(encoding="utf-8"))
            prov = record["provenance"]
            new = fingerprint(EXPERIMENTS[n].module)
            prov["carried"] = [*prov.get("carried", []), {**step, "from": prov["fingerprint"], "to": new}]
            prov["fingerprint"] = new
            write_record(record, RESULTS_DIR)
        print(f"carried {len(names)} result(s) to today's code: quick mode identical for all, "
              f"full size identical for {len(cheap)} ({', '.join(cheap)})")
        return 0
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
