"""Command line: ``python -m aebook <command>``.

    python -m aebook figures --list
    python -m aebook figures --check            # redraw all figures, compare with baselines
    python -m aebook figures --write [--id 19.3] [--lang ko]   # redraw the baselines
    python -m aebook figures --dump DIR          # image, data and structure of every figure
    python -m aebook info                        # mode, device, versions
    python -m aebook equations                   # (19.1)-(19.25) and the code of each
    python -m aebook run --list                  # the experiments with a full configuration
    python -m aebook run deep_vs_pca_mnist --mode full   # one, headless, resumable
    python -m aebook run --all --mode full --jobs 2        # all of them, two processes at a time
    python -m aebook run --all --executor slurm           # a Slurm job array (submitit)
    python -m aebook run seed_spread --verify    # recompute and compare with the committed result
    python -m aebook run --stale                 # committed results the code no longer matches
"""

from __future__ import annotations

import argparse
import sys


def _figures(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import torch

    from .figures import registry

    # One torch thread, as in the tests: the trained models behind the figures then come out
    # the same here and under pytest (thread counts change float sums, and training amplifies
    # the difference; the mask-ratio sweep moved by 12 RMS between 1 and 2 threads).
    torch.set_num_threads(1)

    ids = args.id or registry.figure_ids()
    langs = [args.lang] if args.lang else ["ko", "en"]
    if args.list:
        for fig_id in ids:
            spec = registry.get(fig_id)
            print(f"{fig_id:22s} {spec.check:7s} {spec.page:24s} {spec.qualname()}")
        return 0
    if args.dump:
        return _dump(registry, ids, langs, args.dump)
    failed = 0
    for fig_id in ids:
        for lang in langs:
            if args.write:
                path = registry.write_baseline(fig_id, lang)
                print(f"wrote {path.relative_to(registry.REPO_ROOT)}")
            else:
                ok, msg = registry.compare_with_baseline(fig_id, lang)
                failed += not ok
                print(("ok    " if ok else "FAIL  ") + msg)
    return 1 if failed else 0


def _dump(registry, ids, langs, folder) -> int:
    """Draw every figure into ``folder/<lang>/``: the image, its data (.npz) and its structure
    (.json), whatever its check; ``tools/make.py spread`` compares such folders."""
    from pathlib import Path

    import matplotlib.pyplot as plt

    folder = Path(folder)
    for fig_id in ids:
        spec = registry.get(fig_id)
        for lang in langs:
            fig = registry.draw(fig_id, lang=lang, mode="quick")
            try:
                registry.save(fig, folder / lang / f"{spec.slug}.png")
                registry.save_fingerprint(fig, folder / lang / spec.slug)
            finally:
                plt.close(fig)
        print(f"drew {fig_id}", flush=True)
    return 0


def _info(args) -> int:
    import torch

    from ._version import __version__
    from .config import get_mode, pick_device

    print(f"aebook {__version__}; torch {torch.__version__}; mode {get_mode()}; device {pick_device()}")
    return 0


def _run(args) -> int:
    import os
    import time

    from .experiments import CONFIGS, EXPERIMENTS
    from .experiments.registry import runnable
    from .experiments.runner import run_experiment, staleness, verify

    names_ok = runnable()
    if args.list:
        for name in names_ok:
            print(f"{name:24s} {EXPERIMENTS[name].config:18s} {CONFIGS['full'][EXPERIMENTS[name].config]}")
        return 0
    if args.stale:
        for name in names_ok:
            why = staleness(name)
            if why:
                print(f"{name:24s} {'; '.join(why)}")
        return 0
    names = names_ok if args.all else args.names
    if args.carry:
        from .experiments.carry import carry

        if not args.against:
            print("--carry needs --against COMMIT, the commit whose code computed the results", file=sys.stderr)
            return 2
        return carry(args.against, names or None, jobs=args.jobs, full_up_to=args.full_up_to)
    if not names:
        print("name an experiment (or --all); --list shows them", file=sys.stderr)
        return 2
    unknown = [n for n in names if n not in names_ok]
    if unknown:
        print(f"unknown experiment(s) {unknown}; --list shows the {len(names_ok)} there are", file=sys.stderr)
        return 2
    if args.verify and args.jobs > 1:
        from .experiments.sweep import run_parallel

        return 1 if run_parallel(names, jobs=args.jobs, mode=args.mode, checkpoints=args.checkpoints,
                                 verify=True) else 0
    if args.verify:
        moved_any = False
        for name in names:
            moved = verify(name, mode=args.mode, rtol=args.rtol)
            moved_any |= bool(moved)
            print(f"{name}: " + ("reproduced" if not moved else f"{len(moved)} number(s) moved:"), flush=True)
            for line in moved:
                print(f"  {line}")
        return 1 if moved_any else 0
    if args.executor:
        from .experiments.sweep import submit

        jobs = submit(names, executor=args.executor, mode=args.mode, out=args.out, checkpoints=args.checkpoints,
                      budget=args.budget,
                      timeout_min=args.timeout_min, jobs=args.jobs, partition=args.partition, gpus=args.gpus,
                      wait=args.executor != "slurm")
        for name, job in zip(names, jobs):
            print(f"{name}: job {job.job_id}")
        return 0
    if args.jobs > 1:
        from .experiments.sweep import run_parallel

        start = time.perf_counter()
        failed = run_parallel(names, jobs=args.jobs, mode=args.mode, out=args.out, checkpoints=args.checkpoints,
                              budget=args.budget)
        print(f"{len(names) - failed} of {len(names)} experiments done in {time.perf_counter() - start:.0f} s "
              f"with {args.jobs} jobs", flush=True)
        return 1 if failed else 0
    os.environ["AEBOOK_PROGRESS"] = "1" if args.progress else "0"
    for name in names:
        start = time.perf_counter()
        print(f"[{time.strftime('%H:%M:%S')}] {name} ({args.mode}) ...", flush=True)
        path = run_experiment(name, mode=args.mode, out=args.out, checkpoints=args.checkpoints, budget=args.budget)
        print(f"[{time.strftime('%H:%M:%S')}] {name}: {time.perf_counter() - start:.0f} s -> {path}", flush=True)
    return 0


def _equations(args) -> int:
    from .equations import table

    print(table())
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m aebook", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("figures", help="list, check or redraw the registered figures")
    f.add_argument("--list", action="store_true")
    f.add_argument("--write", "--write-baselines", dest="write", action="store_true",
                   help="redraw baselines (quick mode)")
    f.add_argument("--check", action="store_true", help="compare with baselines (the default)")
    f.add_argument("--id", action="append", help="only this figure id (repeatable)")
    f.add_argument("--lang", choices=["ko", "en"])
    f.add_argument("--dump", metavar="DIR", help="draw every figure into DIR (image, data, structure)")
    f.set_defaults(func=_figures)
    i = sub.add_parser("info", help="print versions, mode and device")
    i.set_defaults(func=_info)
    q = sub.add_parser("equations", help="print every numbered equation of 19.1-19.2 and its code")
    q.set_defaults(func=_equations)
    r = sub.add_parser("run", help="run experiments headless and store their results with provenance")
    r.add_argument("names", nargs="*", help="experiments (see --list)")
    r.add_argument("--all", action="store_true", help="every experiment with a full configuration")
    r.add_argument("--list", action="store_true", help="list them with their full configurations")
    r.add_argument("--mode", choices=["quick", "full"], default="full")
    r.add_argument("--out", default=None, help="results folder (default: the package's aebook/results/full)")
    r.add_argument("--checkpoints", default="runs", help="checkpoint folder, resumed when present (default runs)")
    r.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    r.add_argument("--stale", action="store_true", help="list the committed results that no longer match the code")
    r.add_argument("--verify", action="store_true",
                   help="recompute from scratch and compare with the committed result (exit 1 if a number moved)")
    r.add_argument("--rtol", type=float, default=None, help="--verify's relative tolerance (default: measured)")
    r.add_argument("--carry", action="store_true",
                   help="carry results stale by their code alone to today's code, if both codes compute the same "
                        "numbers (see aebook.experiments.carry)")
    r.add_argument("--against", default=None, help="--carry: the commit whose code computed the results")
    r.add_argument("--full-up-to", type=float, default=300.0,
                   help="--carry: also compare at full size the runs that take at most this many seconds")
    r.add_argument("--budget", choices=["full", "paper"], default="full",
                   help="paper: train as long as the papers did (not committed; give --out)")
    r.add_argument("--jobs", type=int, default=1, help="run this many experiments in parallel processes")
    r.add_argument("--executor", choices=["slurm", "local", "debug"], default=None,
                   help="submit the experiments as a submitit job array instead")
    r.add_argument("--timeout-min", type=int, default=24 * 60, help="time limit of each submitit job")
    r.add_argument("--partition", default=None, help="Slurm partition (--executor slurm)")
    r.add_argument("--gpus", type=int, default=0, help="GPUs per Slurm job (--executor slurm)")
    r.set_defaults(func=_run)
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
