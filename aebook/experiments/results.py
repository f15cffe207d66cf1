"""Full-size results: how they are stored, sealed, read back and compared.

``python -m aebook run <experiment> --mode full`` (:mod:`aebook.experiments.runner`) writes
``<experiment>.json`` into :data:`RESULTS_DIR`, the package's own ``aebook/results/full``, so the
results travel with the package (a wheel, a git install on Colab) and a page shows the same
numbers wherever it runs. A record holds:

* ``config``: the full configuration the run used, and ``arguments``: every argument of the
  call, defaults included (a test fails when either no longer matches the code: the result is
  stale);
* ``result``: the experiment's result as plain numbers: every float, int and string, tensors
  up to :data:`MAX_ARRAY` values as lists (larger ones and trained models are left out);
* ``provenance``: the command, the commit, the fingerprint of the code that computed it
  (:mod:`aebook.experiments.fingerprint`), the device, the versions of Python, torch, NumPy and
  scikit-learn, the threads and CPU kernels, the wall time, the date, and every sitting of a
  resumed run (its commit, start, wall time and epochs);
* ``digest``: a SHA-256 over everything else, so that a hand edit of a number is caught even
  for a run too long to recompute (:func:`check_digest`).

Records written before the runner recorded fingerprints (format 1) carry no ``arguments``
or fingerprint; they are sealed with a digest of their committed bytes and are shown on the
pages as awaiting a re-run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = ["FORMAT", "MAX_ARRAY", "RESULTS_DIR", "FullResult", "check_digest", "compare", "digest", "load_full",
           "to_json", "write_record"]

#: the record format the runner writes (format 1: before fingerprints, arguments and digests)
FORMAT = 2
#: where the committed results live: package data (``$AEBOOK_RESULTS`` names another folder)
RESULTS_DIR = Path(os.environ.get("AEBOOK_RESULTS") or str(resources.files("aebook").joinpath("results", "full")))
#: tensors with more values than this are left out of a result file (the folder stays small)
MAX_ARRAY = 4096


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


def digest(record: dict) -> str:
    """SHA-256 of a record without its ``digest``, over its canonical JSON (sorted keys)."""
    body = {k: v for k, v in record.items() if k != "digest"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_digest(record: dict, where: str = "the record") -> None:
    """Raise ``ValueError`` unless ``record['digest']`` is the digest of the rest of it."""
    if record.get("digest") != digest(record):
        command = record.get("provenance", {}).get("command", "python -m aebook run")
        raise ValueError(f"{where} does not match its digest: a number or field was edited after the run wrote "
                         f"it; recompute it with '{command}'")


def write_record(record: dict, folder: str | os.PathLike) -> Path:
    """Seal ``record`` with its digest and write it atomically to ``folder/<experiment>.json``."""
    record = {**{k: v for k, v in record.items() if k != "digest"}, "digest": digest(record)}
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record['experiment']}.json"
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1, allow_nan=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


@dataclasses.dataclass(frozen=True)
class FullResult:
    """A committed full-size result: ``result``, ``config`` and ``arguments`` as plain dicts, and
    where, when and how it was computed (``provenance``)."""

    name: str
    config: dict
    result: dict
    provenance: dict
    arguments: dict = dataclasses.field(default_factory=dict)
    format: int = FORMAT

    def __getitem__(self, key: str) -> Any:
        return self.result[key]

    @property
    def fingerprint(self) -> str | None:
        """The fingerprint of the code that computed it (``None`` for format 1)."""
        return self.provenance.get("fingerprint")


def load_full(name: str, folder: str | os.PathLike | None = None, *, check: bool = True) -> FullResult | None:
    """The committed full-size result of experiment ``name``, or ``None`` if there is none.

    Raises:
        ValueError: (``check``) the file does not match its digest.
    """
    path = Path(folder or RESULTS_DIR) / f"{name}.json"
    if not path.is_file():
        return None
    d = json.loads(path.read_text(encoding="utf-8"))
    if check:
        check_digest(d, str(path))
    return FullResult(name=d["experiment"], config=d["config"], result=d["result"], provenance=d["provenance"],
                      arguments=d.get("arguments", {}), format=d.get("format", 1))


def _leaves(value: Any, path: str = ""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{path}[{i}]")
    else:
        yield path, value


def compare(committed: dict, recomputed: dict, *, rtol: float, atol: float = 0.0,
            array_atol: float | None = None) -> list[str]:
    """The numbers of two ``result`` dicts that differ by more than ``atol + rtol·|committed|``
    (for elements of arrays, ``array_atol + rtol·|committed|``: per-point values near zero move
    by more, relatively, than the summaries the pages quote), and every leaf that is present in
    one only or differs in kind, each as one line."""
    a, b = dict(_leaves(committed)), dict(_leaves(recomputed))
    moved = [f"{k}: only in the committed result" for k in a.keys() - b.keys()]
    moved += [f"{k}: only in the recomputed result" for k in b.keys() - a.keys()]
    for k in sorted(a.keys() & b.keys()):
        x, y = a[k], b[k]
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool) \
                and not isinstance(y, bool):
            floor = array_atol if array_atol is not None and "[" in k else atol
            if abs(x - y) > floor + rtol * abs(x):
                moved.append(f"{k}: {x!r} committed, {y!r} now ({(y - x) / x if x else math.inf:+.2%})")
        elif x != y:
            moved.append(f"{k}: {x!r} committed, {y!r} now")
    return sorted(moved)
