"""How an experiment is declared: its configurations, the decorator that makes it a named,
cached experiment, and the training schedule every configuration shares.

A configuration table entry and an experiment are two short declarations::

    configure("linear", quick=LinearConfig(M=10, epochs=100, batch_size=128, lr=3e-3),
                        full=LinearConfig(M=10, epochs=600, batch_size=128, lr=1e-3))

    @experiment(config="linear")
    def linear_vs_pca(c: LinearConfig, mode: str | None = None, seed: int = 0) -> LinearVsPCA:
        ...                                  # c is the configuration of the chosen mode

The caller writes ``linear_vs_pca()`` or ``linear_vs_pca(mode="full", seed=3)``. The decorator

* resolves ``mode`` (``None`` = ``$AEBOOK_MODE``) and checks ``seed`` and passes ``c``,
* caches the result in memory and, within one ``tools/make.py`` run, on disk (see
  :data:`RESULT_CACHE_ENV`), keyed by the arguments and the configuration's value,
* computes on :data:`EXPERIMENT_THREADS` threads whoever calls it,
* fills the result's ``wall_time_s`` field (if it has one) with the compute time,
* registers the experiment in :data:`EXPERIMENTS`, where ``python -m aebook run`` finds it.

Results are shared by every later caller: **do not modify returned tensors or models in
place**.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import hashlib
import inspect
import os
import pickle
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .._checks import seed as check_seed
from ..config import get_mode
from ..train import History, fit

__all__ = ["CONFIGS", "EXPERIMENTS", "EXPERIMENT_THREADS", "RESULT_CACHE_ENV", "ExperimentSpec", "Schedule",
           "clear_cache", "config_for", "configure", "experiment", "fit_log", "fixed_threads", "run_folder"]

#: mode -> configuration name -> frozen configuration dataclass (filled by :func:`configure`).
CONFIGS: dict[str, dict[str, Any]] = {"quick": {}, "full": {}}

#: intra-op threads every experiment computes with, whatever its caller set (a notebook's
#: ``setup()`` asks for 2, the figure tests for 1): float sums depend on the thread count and
#: training amplifies the difference, so a result must not depend on who computed it first.
EXPERIMENT_THREADS = 1

#: When set, a folder where experiments also store their results, so that other processes of
#: the same run (the Korean and the English notebook, the tests and the pages) compute each
#: experiment once. ``tools/make.py`` sets it to a fresh private temporary folder for every
#: ``test``, ``book`` and ``execute`` run and deletes it afterwards; results are keyed by the
#: function, its arguments, the configuration table, the torch version and a hash of the
#: package's source, so a changed library never reads an old result. Unset (the default),
#: nothing touches the disk.
RESULT_CACHE_ENV = "AEBOOK_RESULT_CACHE"


def configure(name: str, *, quick: Any, full: Any) -> None:
    """Enter the quick and the full configuration of ``name`` in :data:`CONFIGS`."""
    if name in CONFIGS["quick"]:
        raise ValueError(f"configuration {name!r} is declared twice")
    for mode, value in (("quick", quick), ("full", full)):
        if not (dataclasses.is_dataclass(value) and value.__dataclass_params__.frozen):
            raise TypeError(f"configuration {name!r} ({mode}) must be a frozen dataclass, got {value!r}")
        CONFIGS[mode][name] = value


def config_for(name: str, mode: str | None = None) -> Any:
    """The configuration ``name`` in ``mode`` (``None`` = ``$AEBOOK_MODE``); the names are those
    of :data:`CONFIGS` (``"linear"``, ``"sparse"``, ``"dae_mnist"`` ...)."""
    mode = get_mode(mode)
    if name not in CONFIGS[mode]:
        raise ValueError(f"name must be one of {sorted(CONFIGS[mode])}, got {name!r}")
    return CONFIGS[mode][name]


# ------------------------------------------------------------------------------------------------
# the schedule, and where a long run keeps its checkpoints

#: set by ``python -m aebook run``: a folder for the checkpoints of the run in progress, so that
#: an interrupted run resumes where it stopped. ``None`` (notebooks, tests): no checkpoints.
_RUN_FOLDER: contextvars.ContextVar[Path | None] = contextvars.ContextVar("aebook_run_folder", default=None)


_FIT_LOG: contextvars.ContextVar[list | None] = contextvars.ContextVar("aebook_fit_log", default=None)


@contextlib.contextmanager
def fit_log():
    """Within the block, the History of every :meth:`Schedule.fit` is appended to the list
    this yields (their wall times add up to the training time of a run)."""
    log: list = []
    token = _FIT_LOG.set(log)
    try:
        yield log
    finally:
        _FIT_LOG.reset(token)


_RUN_ROOT: contextvars.ContextVar[Path | None] = contextvars.ContextVar("aebook_run_root", default=None)


@contextlib.contextmanager
def run_folder(folder: str | os.PathLike | None):
    """Within the block, every :meth:`Schedule.fit` with a ``name`` writes its checkpoint to
    ``folder/<experiment>/<arguments>/<name>.pt`` and resumes from it (see ``python -m aebook
    run``). The experiment that trains a model owns its checkpoints, whoever calls it, so
    ``linear_probe`` resumes the pre-training that ``mae_pretrain`` finished."""
    token = _RUN_ROOT.set(None if folder is None else Path(folder))
    try:
        yield
    finally:
        _RUN_ROOT.reset(token)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.=-]+", "-", text).strip("-") or "run"


@contextlib.contextmanager
def _own_folder(name: str, key: tuple):
    """While an experiment computes, its fits checkpoint into its own folder of the run."""
    root = _RUN_ROOT.get()
    if root is None:
        yield
        return
    args = "_".join(f"{k}={_slug(str(v))}" for k, v in key) or "default"
    token = _RUN_FOLDER.set(root / name / args)
    try:
        yield
    finally:
        _RUN_FOLDER.reset(token)


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
        the model's History and leaves the model on the CPU in eval mode. Under
        ``python -m aebook run`` a ``name`` gives the run a checkpoint to resume from."""
        folder = _RUN_FOLDER.get()
        if folder is not None and name is not None:
            kw.setdefault("checkpoint", folder / f"{_slug(name)}.pt")
            kw.setdefault("resume", True)
            kw.setdefault("progress", True)
        kw.setdefault("progress", False)
        hist = fit(model, loss_fn, train, epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                   seed=seed, **kw)
        model.cpu().eval()
        log = _FIT_LOG.get()
        if log is not None:
            log.append(hist)
        return hist


# ------------------------------------------------------------------------------------------------
# the decorator


@dataclass(frozen=True)
class ExperimentSpec:
    """A registered experiment: its ``name`` (the function's), the function, the name of its
    configuration (``None`` for the exact computations that are the same in both modes) and
    the module it lives in."""

    name: str
    func: Callable
    config: str | None
    module: str

    @property
    def has_full_run(self) -> bool:
        return self.config is not None


EXPERIMENTS: dict[str, ExperimentSpec] = {}
_CACHES: list = []


@contextlib.contextmanager
def fixed_threads(n: int = EXPERIMENT_THREADS):
    """Run the body on ``n`` torch threads, then restore the caller's setting."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@functools.lru_cache(maxsize=1)
def _source_fingerprint() -> str:
    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _disk_key(name: str, key: tuple) -> str:
    text = "|".join([name, repr(key), repr(CONFIGS), torch.__version__, _source_fingerprint()])
    return f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:24]}.pkl"


def _through_disk(name: str, key: tuple, compute: Callable[[], Any]) -> Any:
    root = os.environ.get(RESULT_CACHE_ENV)
    if not root:
        return compute()
    path = Path(root) / _disk_key(name, key)
    if path.exists():
        with path.open("rb") as f:
            return pickle.load(f)  # written by this run's own processes, see RESULT_CACHE_ENV
    result = compute()
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # atomic: a reader never sees half a file
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        tmp.unlink(missing_ok=True)  # not storable: the next process recomputes it
    return result


def _with_wall_time(result: Any, seconds: float) -> Any:
    if dataclasses.is_dataclass(result) and any(f.name == "wall_time_s" for f in dataclasses.fields(result)):
        return dataclasses.replace(result, wall_time_s=seconds)
    return result


def experiment(config: str | None = None, *, maxsize: int = 8, disk: bool = True):
    """Declare a named experiment (see the module docstring).

    With ``config``, the function's first parameter receives the configuration of the chosen
    mode and is hidden from callers; a parameter named ``mode`` is resolved by
    :func:`aebook.config.get_mode` and one named ``seed`` is checked (an int >= 0). Every other
    argument must be hashable: it is part of the cache key. ``disk=False`` keeps results in
    memory only (for results cheaper to recompute than to unpickle).
    """
    def wrap(fn: Callable) -> Callable:
        sig = inspect.signature(fn)
        params = list(sig.parameters.values())
        public = sig.replace(parameters=params[1:] if config else params)
        name = fn.__name__

        @functools.lru_cache(maxsize=maxsize)
        def cached(key: tuple) -> Any:
            kwargs = dict(key)
            c = config_for(config, kwargs.get("mode")) if config else None

            def compute():
                with fixed_threads(), _own_folder(name, key):
                    start = time.perf_counter()
                    result = fn(c, **kwargs) if config else fn(**kwargs)
                    return _with_wall_time(result, time.perf_counter() - start)

            return _through_disk(name, (key, repr(c)), compute) if disk else compute()

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            bound = public.bind(*args, **kwargs)
            bound.apply_defaults()
            # lists become tuples (the cache key must be hashable; (2, 30) and [2, 30] are one key)
            values = {k: tuple(v) if isinstance(v, list) else v for k, v in bound.arguments.items()}
            if "mode" in values:
                values["mode"] = get_mode(values["mode"])
            if "seed" in values:
                values["seed"] = check_seed(values["seed"])
            return cached(tuple(values.items()))

        wrapper.__signature__ = public
        wrapper.cache_clear = cached.cache_clear
        wrapper.lru = cached
        _CACHES.append(cached)
        if name in EXPERIMENTS and EXPERIMENTS[name].module != fn.__module__:
            raise ValueError(f"experiment {name!r} is declared twice ({EXPERIMENTS[name].module})")
        EXPERIMENTS[name] = ExperimentSpec(name, wrapper, config, fn.__module__)
        return wrapper

    return wrap


def clear_cache() -> None:
    """Forget every result of this process (e.g. after changing a configuration in a notebook).
    Results shared through ``$AEBOOK_RESULT_CACHE`` are keyed by the whole configuration table
    as it is at call time, so an edited configuration is never served an old result."""
    for c in _CACHES:
        c.cache_clear()
