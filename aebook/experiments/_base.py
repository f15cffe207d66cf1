"""What every experiment module shares: the configuration table, the data the experiments
train on, the in-process cache, and two small training helpers."""

from __future__ import annotations

import functools
import numbers
import os
from typing import Any

import torch

from ..config import get_mode
from ..data import Split, load_mnist5k
from ..losses import recon_loss, reconstruction_error
from ..train import fit

Tensor = torch.Tensor

#: mode -> experiment name -> frozen config dataclass; each experiment module adds its own.
_CONFIGS: dict[str, dict[str, Any]] = {"quick": {}, "full": {}}

_CACHED: list = []


def cached(maxsize: int):
    """``functools.lru_cache(maxsize)`` that :func:`clear_cache` knows about."""
    def wrap(fn):
        c = functools.lru_cache(maxsize=maxsize)(fn)
        _CACHED.append(c)
        return c
    return wrap


def clear_cache() -> None:
    """Forget every cached result (e.g. after changing a configuration in a notebook)."""
    for f in _CACHED:
        f.cache_clear()


def config_for(name: str, mode: str | None = None) -> Any:
    """The configuration of experiment ``name`` in ``mode`` (``None`` = ``$AEBOOK_MODE``); the
    names are those of the ``_CONFIGS`` table (``"linear"``, ``"sparse"``, ``"dae_mnist"`` ...)."""
    mode = get_mode(mode)
    if name not in _CONFIGS[mode]:
        raise ValueError(f"name must be one of {sorted(_CONFIGS[mode])}, got {name!r}")
    return _CONFIGS[mode][name]


def _check_seed(seed: Any) -> int:
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)


MNIST_DIR_ENV = "AEBOOK_MNIST_DIR"


def mnist_data(mode: str | None = None) -> Split:
    """The MNIST data the experiments use: MNIST-5k, or in full mode the full 60k/10k MNIST.

    Full MNIST is used only when ``mode`` is full *and* ``$AEBOOK_MNIST_DIR`` names a folder
    with the four standard IDX files (read by :func:`aebook.data.load_idx_dataset`, md5
    checked, never downloaded here). Otherwise, including every quick run, it is MNIST-5k.
    """
    root = os.environ.get(MNIST_DIR_ENV) if get_mode(mode) == "full" else None
    return _mnist_from(root or None)


@cached(maxsize=2)
def _mnist_from(root: str | None) -> Split:
    if root is None:
        return load_mnist5k()
    from ..data import load_idx_dataset

    return load_idx_dataset("mnist", root)


@torch.no_grad()
def _error(model: torch.nn.Module, x: Tensor) -> float:
    model.eval()
    return float(reconstruction_error(model(x).recon, x))


def _train(model: torch.nn.Module, x_train: Tensor, epochs: int, batch_size: int, lr: float,
           seed: int, loss_fn=recon_loss) -> torch.nn.Module:
    """Adam on ``loss_fn`` (default: the mean squared error); the model back on the CPU, in
    eval mode."""
    fit(model, loss_fn, x_train, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
        progress=False)
    return model.cpu().eval()
