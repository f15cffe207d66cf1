"""Running many full-size experiments at once: in parallel processes on this machine
(``--jobs N``), or as a job array through `submitit <https://github.com/facebookincubator/submitit>`_
on a Slurm cluster (``--executor slurm``; its ``local`` and ``debug`` executors run the same
code on this machine and are what the tests use).

Each experiment is one process (one job of the array) that runs :func:`run_experiment`, so it
checkpoints under the run folder and writes its sealed record; on a CPU it computes on one
thread, so ``--jobs`` up to the number of cores runs that many at full speed. Experiments that
reuse another's trained model (the MAE probes resume ``mae_pretrain``'s checkpoint) wait for
the process that trains it (the run folder is locked) and then resume from what it finished.
A Slurm job that is preempted or reaches its time limit is requeued by submitit and resumes
from its checkpoints.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .results import load_full

__all__ = ["EXECUTORS", "ExperimentJob", "by_cost", "run_parallel", "submit"]

EXECUTORS = ("slurm", "local", "debug")


def by_cost(names: Sequence[str]) -> list[str]:
    """``names`` longest first, by the wall time of their committed run (unknown ones first), so
    that a pool of workers finishes as early as it can."""
    def cost(name: str) -> float:
        try:
            full = load_full(name, check=False)
        except (OSError, ValueError, KeyError):
            full = None
        return float("inf") if full is None else float(full.provenance.get("wall_time_s", 0))

    return sorted(names, key=lambda n: (-cost(n), n))


def _command(name: str, mode: str, out: str | None, checkpoints: str | None, budget: str,
             extra: Sequence[str] = ()) -> list[str]:
    cmd = [sys.executable, "-m", "aebook", "run", name, "--mode", mode, "--budget", budget, "--no-progress", *extra]
    if out:
        cmd += ["--out", str(out)]
    if checkpoints:
        cmd += ["--checkpoints", str(checkpoints)]
    return cmd


def run_parallel(names: Sequence[str], *, jobs: int, mode: str = "full", out: str | None = None,
                 checkpoints: str | None = "runs", log_dir: str | os.PathLike | None = None,
                 budget: str = "full", verify: bool = False) -> int:
    """Run ``names`` in ``jobs`` parallel processes, longest first; each process's output goes
    to ``log_dir/<name>.log`` (default ``<checkpoints>/logs``). Returns the number that failed.
    With ``verify``, each process recomputes a committed result and fails if a number moved
    (``python -m aebook run <name> --verify``)."""
    log_dir = Path(log_dir or Path(checkpoints or "runs") / "logs")
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

    def one(name: str) -> int:
        start = time.perf_counter()
        print(f"[{time.strftime('%H:%M:%S')}] {name} started (log {log_dir / (name + '.log')})", flush=True)
        with (log_dir / f"{name}.log").open("a") as log:
            cmd = _command(name, mode, out, checkpoints, budget, ["--verify"] if verify else [])
            rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=env).returncode
        state = "done" if rc == 0 else f"FAILED (exit {rc})"
        print(f"[{time.strftime('%H:%M:%S')}] {name} {state} after {time.perf_counter() - start:.0f} s", flush=True)
        return rc

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        codes = list(pool.map(one, by_cost(names)))
    return sum(rc != 0 for rc in codes)


class ExperimentJob:
    """One experiment as a submitit job: runs it, and on preemption or timeout asks submitit to
    requeue the same call, which resumes from the run folder's checkpoints."""

    def __init__(self, mode: str = "full", out: str | None = None, checkpoints: str = "runs", budget: str = "full"):
        self.mode, self.budget, self.checkpoints = mode, budget, str(Path(checkpoints).resolve())
        self.out = None if out is None else str(Path(out).resolve())

    def __call__(self, name: str) -> str:
        from .runner import run_experiment

        return str(run_experiment(name, mode=self.mode, out=self.out, checkpoints=self.checkpoints,
                                  budget=self.budget))

    def checkpoint(self, name: str):
        import submitit

        return submitit.helpers.DelayedSubmission(self, name)


def submit(names: Sequence[str], *, executor: str = "slurm", mode: str = "full", out: str | None = None,
           checkpoints: str = "runs", timeout_min: int = 24 * 60, jobs: int | None = None,
           partition: str | None = None, gpus: int = 0, wait: bool = False, budget: str = "full") -> list:
    """Submit ``names`` as one job array with submitit's ``executor`` (``slurm``, ``local`` or
    ``debug``); every job gets ``timeout_min`` minutes and is requeued when preempted. Returns
    the submitit jobs (with ``wait``, after they finished; a failed job raises)."""
    try:
        import submitit
    except ImportError:
        raise ImportError("--executor needs submitit: pip install submitit") from None
    if executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS}, got {executor!r}")
    folder = Path(checkpoints) / "submitit" / "%j"
    if executor == "slurm":
        ex = submitit.AutoExecutor(folder=folder, cluster="slurm")
        params = {"timeout_min": timeout_min, "cpus_per_task": 1 if not gpus else 8, "gpus_per_node": gpus,
                  "slurm_array_parallelism": jobs or len(names)}
        if partition:
            params["slurm_partition"] = partition
        ex.update_parameters(**params)
    elif executor == "local":
        ex = submitit.LocalExecutor(folder=folder)
        ex.update_parameters(timeout_min=timeout_min)
    else:
        ex = submitit.DebugExecutor(folder=folder)
    job = ExperimentJob(mode=mode, out=out, checkpoints=checkpoints, budget=budget)
    jobs_ = ex.map_array(job, list(names))
    if wait:
        for j in jobs_:
            j.result()
    return jobs_
