"""Wall time of a sweep of experiments: ``--jobs N`` parallel processes against one after another.

Usage::

    python benchmarks/bench_sweep.py [--jobs 2] [--mode quick] [names ...]

Runs the named experiments (default: four quick-mode ones that take seconds each) once with
``aebook.experiments.sweep.run_parallel(jobs=1)`` and once with ``jobs=N``, each into its own
temporary folder (no checkpoints are shared, nothing is cached), and prints the ratio
``parallel_vs_serial`` (parallel wall time / serial wall time; 0.5 would be a perfect split
over two cores) and the two wall times. Each experiment computes on one CPU thread, so on a
machine with N free cores the ratio approaches 1/N when the experiments are of similar length;
the longest experiment bounds it from below.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from aebook.experiments.sweep import run_parallel

DEFAULT = ["gradient_variance", "deep_vs_pca_surface", "seed_spread", "curve_denoiser"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("names", nargs="*", default=DEFAULT)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--mode", default="quick", choices=["quick", "full"])
    args = ap.parse_args()
    times = {}
    for jobs in (1, args.jobs):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            failed = run_parallel(args.names, jobs=jobs, mode=args.mode, out=f"{tmp}/out", checkpoints=f"{tmp}/runs")
            times[jobs] = time.perf_counter() - start
            if failed:
                print(f"{failed} experiment(s) failed; see the logs under {tmp}/runs/logs")
                return 1
    print(f"parallel_vs_serial: {times[args.jobs] / times[1]:.2f}x")
    print(f"\n# {len(args.names)} experiments ({args.mode}): serial {times[1]:.1f} s, "
          f"--jobs {args.jobs} {times[args.jobs]:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
