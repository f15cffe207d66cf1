"""How far this machine's recomputation of the cheap full-size runs lies from the committed ones.

``python -m aebook run <name> --mode full --verify`` (and the test suite, for the runs under a
minute) recomputes a committed result and fails if a number moved by more than the tolerance
of :data:`aebook.experiments.runner.VERIFY_TOLERANCE`, which was set from the spread measured
on one machine under two kernel settings. This script measures that spread on the machine it
runs on: each experiment is recomputed from scratch, one thread each, in parallel processes,
and it prints, per experiment, the largest relative change of any number (and of any per-point
array element, absolute), the tolerance, and whether ``--verify`` would pass. Run it on a CPU
of another kind (AVX-512, another BLAS) before trusting a tolerance there::

    python benchmarks/verify_spread.py                        # the runs the suite verifies
    python benchmarks/verify_spread.py curve_denoiser --jobs 3
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

CHEAP = ("deep_vs_pca_surface", "seed_spread", "gradient_variance", "pytorch_examples_vae", "curve_denoiser")


def _one(name: str) -> dict:
    try:
        return _recompute(name)
    except Exception as failed:  # noqa: BLE001 - one experiment that cannot run is reported, the others go on
        return {"name": name, "seconds": 0.0, "max_rel": math.nan, "max_abs_array": math.nan, "rtol": math.nan,
                "array_atol": math.nan, "passes": False, "moved": [f"did not run: {failed}"]}


def _recompute(name: str) -> dict:
    from aebook.experiments.results import _leaves, compare, load_full
    from aebook.experiments.runner import DEFAULT_TOLERANCE, VERIFY_TOLERANCE, run_experiment

    committed = load_full(name)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        now = json.loads(run_experiment(name, mode="full", out=tmp, checkpoints=None).read_text(encoding="utf-8"))
    a, b = dict(_leaves(committed.result)), dict(_leaves(now["result"]))
    rel, arr = 0.0, 0.0
    for k in a.keys() & b.keys():
        x, y = a[k], b[k]
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool):
            if "[" in k:
                arr = max(arr, abs(y - x))
            if x:
                rel = max(rel, abs(y - x) / abs(x))
            elif y:
                rel = math.inf
    tol, array_atol = VERIFY_TOLERANCE.get(name, DEFAULT_TOLERANCE)
    moved = compare(committed.result, now["result"], rtol=tol, atol=1e-12, array_atol=array_atol)
    return {"name": name, "seconds": round(time.perf_counter() - started, 1), "max_rel": rel, "max_abs_array": arr,
            "rtol": tol, "array_atol": array_atol, "passes": not moved, "moved": moved[:5]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", default=list(CHEAP))
    ap.add_argument("--jobs", type=int, default=min(len(CHEAP), os.cpu_count() or 1))
    args = ap.parse_args(argv)
    import torch

    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"ATEN_CPU_CAPABILITY={os.environ.get('ATEN_CPU_CAPABILITY')}, MKL_CBWR={os.environ.get('MKL_CBWR')}",
          flush=True)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(_one, args.names))
    print(f"{'experiment':<22}{'seconds':>8}{'max rel':>11}{'max abs (arrays)':>18}{'rtol':>9}  --verify")
    for r in rows:
        print(f"{r['name']:<22}{r['seconds']:>8.1f}{r['max_rel']:>11.2e}{r['max_abs_array']:>18.2e}{r['rtol']:>9.1e}  "
              f"{'passes' if r['passes'] else 'FAILS: ' + '; '.join(r['moved'])}")
    print(json.dumps(rows))
    return 0 if all(r["passes"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
