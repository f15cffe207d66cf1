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
  :mod:`aebook.experiments.cache`), keyed by the arguments and the configuration's value,
* computes on :data:`EXPERIMENT_THREADS` CPU threads whoever calls it (on a GPU the thread
  count is left alone: it does not decide the numbers there, and pinning it would slow down
  what is evaluated on the CPU),
* under ``python -m aebook run``, gives the experiment its checkpoint folder
  (:func:`aebook.experiments.schedule.experiment_folder`),
* registers the experiment in :data:`EXPERIMENTS`, where ``python -m aebook run`` finds it
  (:func:`runnable` lists those with a full configuration).

How long a run took is recorded by the runner (:mod:`aebook.experiments.runner`), not by the
result.

Results are shared by every later caller: **do not modify returned tensors or models in
place**.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from .._checks import seed as check_seed
from ..config import get_mode, pick_device
from .cache import RESULT_CACHE_ENV, through_disk
from .schedule import Schedule, experiment_folder, fit_log, run_folder

__all__ = ["BUDGETS", "CONFIGS", "EXPERIMENTS", "EXPERIMENT_THREADS", "RESULT_CACHE_ENV", "ExperimentSpec", "Schedule",
           "budget", "clear_cache", "config_for", "configure", "experiment", "fit_log", "fixed_threads",
           "run_folder", "runnable", "to_cpu"]

#: mode -> configuration name -> frozen configuration dataclass (filled by :func:`configure`).
CONFIGS: dict[str, dict[str, Any]] = {"quick": {}, "full": {}}

#: intra-op threads every experiment computes with, whatever its caller set (a notebook's
#: ``setup()`` asks for 2, the figure tests for 1): float sums depend on the thread count and
#: training amplifies the difference, so a result must not depend on who computed it first.
EXPERIMENT_THREADS = 1

#: budget -> configuration name -> the full-size configuration at that budget. ``"paper"``: the
#: training a paper used (or the full design before it was cut to fit one CPU sitting), for
#: whoever has the machines (``python -m aebook run --budget paper``); a configuration without
#: one runs its full configuration.
BUDGETS: dict[str, dict[str, Any]] = {"paper": {}}


def configure(name: str, *, quick: Any, full: Any, paper: Any = None) -> None:
    """Enter the quick and the full configuration of ``name`` in :data:`CONFIGS` (and, when
    given, its ``paper`` budget in :data:`BUDGETS`)."""
    if name in CONFIGS["quick"]:
        raise ValueError(f"configuration {name!r} is declared twice")
    for mode, value in (("quick", quick), ("full", full), ("paper", paper)):
        if value is None and mode == "paper":
            continue
        if not (dataclasses.is_dataclass(value) and value.__dataclass_params__.frozen):
            raise TypeError(f"configuration {name!r} ({mode}) must be a frozen dataclass, got {value!r}")
        (BUDGETS["paper"] if mode == "paper" else CONFIGS[mode])[name] = value


@contextlib.contextmanager
def budget(name: str = "full"):
    """Within the block, full mode computes with the configurations of budget ``name``
    (``"full"``: as declared; ``"paper"``: :data:`BUDGETS` where one is declared)."""
    if name == "full":
        yield
        return
    if name not in BUDGETS:
        raise ValueError(f"budget must be one of {['full', *BUDGETS]}, got {name!r}")
    saved = dict(CONFIGS["full"])
    CONFIGS["full"].update(BUDGETS[name])
    clear_cache()
    try:
        yield
    finally:
        CONFIGS["full"].clear()
        CONFIGS["full"].update(saved)
        clear_cache()


def config_for(name: str, mode: str | None = None) -> Any:
    """The configuration ``name`` in ``mode`` (``None`` = ``$AEBOOK_MODE``); the names are those
    of :data:`CONFIGS` (``"linear"``, ``"sparse"``, ``"dae_mnist"`` ...)."""
    mode = get_mode(mode)
    if name not in CONFIGS[mode]:
        raise ValueError(f"name must be one of {sorted(CONFIGS[mode])}, got {name!r}")
    return CONFIGS[mode][name]


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


def runnable() -> list[str]:
    """The experiments ``python -m aebook run`` runs at full size: those with a configuration
    (the others are exact computations, the same in both modes), private ones (``_name``) left
    out; sorted."""
    return sorted(n for n, s in EXPERIMENTS.items() if s.config is not None and not n.startswith("_"))


@contextlib.contextmanager
def fixed_threads(n: int = EXPERIMENT_THREADS, *, device: torch.device | None = None):
    """Run the body on ``n`` torch threads, then restore the caller's setting. On a GPU
    (``device`` not the CPU; ``None``: the device experiments train on) nothing is pinned."""
    if (device or pick_device()).type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def to_cpu(value: Any) -> Any:
    """``value`` with every tensor and module in it on the CPU: an experiment trains and
    evaluates on the device it picked, and its result reaches the caller (a notebook, a
    figure, the disk cache) on the CPU. Looks inside dataclasses (changed in place, frozen ones
    too: the result is new), tuples, lists and dicts."""
    if isinstance(value, (torch.Tensor, torch.nn.Module)):
        return value.cpu()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            object.__setattr__(value, f.name, to_cpu(getattr(value, f.name)))
        return value
    if isinstance(value, tuple):
        items = [to_cpu(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, list):
        return [to_cpu(v) for v in value]
    if isinstance(value, dict):
        return {k: to_cpu(v) for k, v in value.items()}
    return value


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
                with fixed_threads(), experiment_folder(name, key, repr(c)):
                    result = fn(c, **kwargs) if config else fn(**kwargs)
                return result if pick_device().type == "cpu" else to_cpu(result)

            return through_disk(name, (key, repr(c)), CONFIGS, compute) if disk else compute()

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
