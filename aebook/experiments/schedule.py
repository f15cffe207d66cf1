"""How one model of an experiment is trained (:class:`Schedule`), and where a long run keeps its
checkpoints while it trains.

Under ``python -m aebook run`` every experiment computes inside a *run folder*
(``runs/<experiment>/<configuration hash>/<arguments>/``): each :meth:`Schedule.fit` with a
``name`` checkpoints there and resumes from there, and the folder is locked while a process
trains in it, so that two processes never resume from the same files at once (the second waits,
then resumes from what the first finished). Outside a run (notebooks, tests) nothing touches the
disk.
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import hashlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from ..train import History, fit

__all__ = ["Schedule", "config_hash", "experiment_folder", "fit_log", "run_folder"]

#: the checkpoint folder of the experiment computing now (``None``: no checkpoints)
_RUN_FOLDER: contextvars.ContextVar[Path | None] = contextvars.ContextVar("aebook_run_folder", default=None)
#: the root of the run folders, set by :func:`run_folder`
_RUN_ROOT: contextvars.ContextVar[Path | None] = contextvars.ContextVar("aebook_run_root", default=None)
#: the Histories of this block's fits, see :func:`fit_log`
_FIT_LOG: contextvars.ContextVar[list | None] = contextvars.ContextVar("aebook_fit_log", default=None)


@contextlib.contextmanager
def fit_log(into: list | None = None):
    """Within the block, the History of every :meth:`Schedule.fit` is appended to the list this
    yields (``into``, or a new one; the runner sums their epochs and wall times)."""
    log: list = [] if into is None else into
    token = _FIT_LOG.set(log)
    try:
        yield log
    finally:
        _FIT_LOG.reset(token)


@contextlib.contextmanager
def run_folder(folder: str | os.PathLike | None):
    """Within the block, every :meth:`Schedule.fit` with a ``name`` writes its checkpoint under
    ``folder`` (see :func:`experiment_folder`) and resumes from it. The experiment that trains a
    model owns its checkpoints, whoever calls it, so ``linear_probe`` resumes the pre-training
    that ``mae_pretrain`` finished."""
    token = _RUN_ROOT.set(None if folder is None else Path(folder))
    try:
        yield
    finally:
        _RUN_ROOT.reset(token)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.=-]+", "-", text).strip("-") or "run"


def config_hash(config_repr: str) -> str:
    """12 hex digits that name a configuration's value (its ``repr``): checkpoints of another
    configuration live in another folder and are never resumed by mistake."""
    return hashlib.sha256(config_repr.encode()).hexdigest()[:12]


@contextlib.contextmanager
def experiment_folder(name: str, key: tuple, config_repr: str):
    """While experiment ``name`` computes with the arguments ``key`` and the configuration whose
    ``repr`` is ``config_repr``, its fits checkpoint into
    ``<root>/<name>/<config hash>/<arguments>/``, which this process holds locked (a second
    process waits for it, saying so on stderr)."""
    root = _RUN_ROOT.get()
    if root is None:
        yield
        return
    args = "_".join(f"{k}={_slug(str(v))}" for k, v in key) or "default"
    folder = root / name / config_hash(config_repr) / args
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder / ".lock", f"{name} ({args})"):
        token = _RUN_FOLDER.set(folder)
        try:
            yield
        finally:
            _RUN_FOLDER.reset(token)


@contextlib.contextmanager
def _locked(path: Path, what: str):
    with path.open("a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            print(f"[aebook] {what} is being trained by {holder}; waiting for it to finish", file=sys.stderr,
                  flush=True)
            fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        f.truncate()
        f.write(json.dumps({"pid": os.getpid(), "since": time.strftime("%Y-%m-%dT%H:%M:%S")}))
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            fcntl.flock(f, fcntl.LOCK_UN)


@dataclass(frozen=True)
class Schedule:
    """How one model is trained: Adam for ``epochs`` passes over minibatches of ``batch_size``
    at learning rate ``lr``. Every experiment configuration starts with these three fields."""

    epochs: int
    batch_size: int
    lr: float

    def fit(self, model: torch.nn.Module, loss_fn, train, *, seed: int, name: str | None = None,
            **kw) -> History:
        """:func:`aebook.train.fit` with this schedule, ``seed`` and no progress bar; returns
        the model's History and leaves the model in eval mode on the device it trained on, so that
        the experiment evaluates it there (the result reaches its caller on the CPU: see
        :func:`aebook.experiments.registry.experiment`). Under
        ``python -m aebook run`` a ``name`` gives the run a checkpoint to resume from."""
        folder = _RUN_FOLDER.get()
        if folder is not None and name is not None:
            kw.setdefault("checkpoint", folder / f"{_slug(name)}.pt")
            kw.setdefault("resume", True)
            kw.setdefault("progress", True)
        kw.setdefault("progress", False)
        hist = fit(model, loss_fn, train, epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                   seed=seed, **kw)
        model.eval()
        log = _FIT_LOG.get()
        if log is not None:
            log.append(hist)
        return hist
