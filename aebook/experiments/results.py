"""Results of full-size runs, stored with their provenance and read back by the pages.

``python -m aebook run <experiment> --mode full`` runs one experiment headless (checkpoints in
``runs/<experiment>/``, so an interrupted run resumes) and writes
``results/full/<experiment>.json``:

* ``config``: the full configuration the run used (a test fails when it no longer matches the
  one in the code: the result is stale);
* ``result``: the experiment's result as plain numbers: every float, int and string, tensors
  up to :data:`MAX_ARRAY` values as lists (larger ones and trained models are left out);
* ``provenance``: the command, the commit, the device, torch's version, the threads and CPU
  kernels, the wall time and the date.

:func:`load_full` reads one back as a :class:`FullResult`, whose :meth:`FullResult.label` is
the line a page prints above the numbers.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..config import pick_device
from ..i18n import register_strings, t
from .registry import CONFIGS, EXPERIMENT_THREADS, EXPERIMENTS, fit_log, run_folder

__all__ = ["MAX_ARRAY", "RESULTS_DIR", "FullResult", "load_full", "run_experiment", "to_json"]

REPO_ROOT = Path(__file__).resolve().parents[2]
#: where the committed results live (``$AEBOOK_RESULTS`` names another folder)
RESULTS_DIR = Path(os.environ.get("AEBOOK_RESULTS", REPO_ROOT / "results" / "full"))
#: tensors with more values than this are left out of a result file (the folder stays small)
MAX_ARRAY = 4096

register_strings({
    "full.label": {"en": "Full-size run: {data}; {detail}. {device}, {minutes} min, {date}, commit {commit}.",
                   "ko": "전체 규모 실행: {data}; {detail}. {device}, {minutes}분, {date}, 커밋 {commit}."},
    "full.missing": {"en": "No full-size result of {name} is committed yet.",
                     "ko": "{name}의 전체 규모 결과는 아직 커밋되지 않았습니다."},
})


def to_json(value: Any) -> Any:
    """``value`` as JSON-able primitives: dataclasses and dicts as dicts (keys as strings),
    tuples as lists, small tensors as lists, NaN/inf as ``None``; models and large tensors
    become ``None``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, nn.Module):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else str(k)): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, torch.Tensor):
        if value.numel() > MAX_ARRAY:
            return None
        return to_json(value.detach().cpu().tolist())
    if hasattr(value, "item"):  # NumPy scalars
        return to_json(value.item())
    return str(value)


def _commit() -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "aebook"], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (sha or "unknown") + ("+changes" if dirty else "")


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"CPU ({line.split(':', 1)[1].strip()})"
    except OSError:
        pass
    return f"CPU ({platform.processor() or platform.machine()})"


def run_experiment(name: str, *, mode: str = "full", out: str | os.PathLike | None = None,
                   checkpoints: str | os.PathLike | None = "runs") -> Path:
    """Run the registered experiment ``name`` in ``mode`` with checkpoints under
    ``checkpoints/`` (one folder per experiment that trains; resumed when they exist; ``None``:
    none) and write its result with provenance to ``out/<name>.json`` (default
    :data:`RESULTS_DIR`). Returns the path."""
    if name not in EXPERIMENTS or EXPERIMENTS[name].config is None:
        runnable = sorted(n for n, s in EXPERIMENTS.items() if s.has_full_run and not n.startswith("_"))
        raise ValueError(f"name must be one of {runnable}, got {name!r}")
    spec = EXPERIMENTS[name]
    start = time.perf_counter()
    with run_folder(checkpoints), fit_log() as fits:
        result = spec.func(mode=mode)
    wall = time.perf_counter() - start
    device = pick_device()
    record = {
        "experiment": name,
        "mode": mode,
        "config_name": spec.config,
        "config": to_json(CONFIGS[mode][spec.config]),
        "result": to_json(result),
        "provenance": {
            "command": " ".join(["python -m aebook run", name, "--mode", mode]),
            "argv": " ".join(sys.argv),
            "commit": _commit(),
            "device": _device_name(device),
            "device_type": device.type,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "threads": EXPERIMENT_THREADS,
            "kernels": {k: os.environ.get(k) for k in ("ATEN_CPU_CAPABILITY", "MKL_CBWR")},
            "wall_time_s": round(wall, 1),
            "fit_time_s": round(sum(h.wall_time_s for h in fits), 1),
            "fits": len(fits),
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        },
    }
    out = Path(out or RESULTS_DIR)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


@dataclasses.dataclass(frozen=True)
class FullResult:
    """A committed full-size result: ``result`` and ``config`` as plain dicts, and where, when
    and how it was computed (``provenance``)."""

    name: str
    config: dict
    result: dict
    provenance: dict

    def __getitem__(self, key: str) -> Any:
        return self.result[key]

    def label(self, lang: str | None = None, *, data: str = "", detail: str = "") -> str:
        """One line for a page: what was run (``data``, ``detail``), on what, for how long."""
        p = self.provenance
        # the command's own wall time: an experiment that reuses another's trained model (the
        # probe of mae_pretrain's encoder) resumes it from its checkpoint, whose fit time it
        # would otherwise count again
        minutes = max(1, round(p.get("wall_time_s", 0) / 60))
        return t("full.label", lang, data=data or "MNIST", detail=detail, device=p["device"],
                 minutes=minutes, date=p["date"][:10], commit=p["commit"])


def load_full(name: str, folder: str | os.PathLike | None = None) -> FullResult | None:
    """The committed full-size result of experiment ``name``, or ``None`` if there is none."""
    path = Path(folder or RESULTS_DIR) / f"{name}.json"
    if not path.exists():
        return None
    d = json.loads(path.read_text(encoding="utf-8"))
    return FullResult(name=d["experiment"], config=d["config"], result=d["result"], provenance=d["provenance"])
