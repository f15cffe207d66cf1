"""What every experiment module shares: the configuration table, the data the experiments
train on, the result cache, and two small training helpers."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import numbers
import os
import pickle
from pathlib import Path
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

#: When set, a folder where :func:`cached` experiments also store their results, so that other
#: processes of the same run (the Korean and the English notebook, the tests and the pages)
#: train each experiment once. ``tools/make.py`` sets it to a fresh private temporary folder
#: for every ``test``, ``book`` and ``execute`` run and deletes it afterwards; results are keyed
#: by the function, its arguments, the torch version and a hash of the package's source, so a
#: changed library never reads an old result. Unset (the default), nothing touches the disk.
RESULT_CACHE_ENV = "AEBOOK_RESULT_CACHE"


@functools.lru_cache(maxsize=1)
def _source_fingerprint() -> str:
    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for f in sorted(root.rglob("*.py")):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def _disk_key(fn, args: tuple, kwargs: dict) -> str:
    text = "|".join([fn.__module__, fn.__qualname__, repr(args), repr(sorted(kwargs.items())),
                     repr(_CONFIGS), torch.__version__, _source_fingerprint()])
    return f"{fn.__qualname__.strip('_')}-{hashlib.sha256(text.encode()).hexdigest()[:24]}.pkl"


#: intra-op threads every experiment computes with, whatever its caller set (a notebook's
#: setup() asks for 2, the figure tests for 1): float sums depend on the thread count and
#: training amplifies the difference, so a result must not depend on who computed it first.
EXPERIMENT_THREADS = 1


@contextlib.contextmanager
def fixed_threads(n: int = EXPERIMENT_THREADS):
    """Run the body on ``n`` torch threads, then restore the caller's setting."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def cached(maxsize: int, *, disk: bool = True):
    """``functools.lru_cache(maxsize)`` that :func:`clear_cache` knows about; with ``disk`` (the
    default) results are also shared through ``$AEBOOK_RESULT_CACHE`` when it is set. The
    function runs on :data:`EXPERIMENT_THREADS` threads."""
    def wrap(fn):
        def run(*args, **kwargs):
            with fixed_threads():
                return fn(*args, **kwargs)

        def compute(*args, **kwargs):
            root = os.environ.get(RESULT_CACHE_ENV) if disk else None
            if not root:
                return run(*args, **kwargs)
            path = Path(root) / _disk_key(fn, args, kwargs)
            if path.exists():
                with path.open("rb") as f:
                    return pickle.load(f)  # written by this run's own processes, see RESULT_CACHE_ENV
            result = run(*args, **kwargs)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            try:
                with tmp.open("wb") as f:
                    pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, path)  # atomic: a reader never sees half a file
            except (OSError, pickle.PicklingError, TypeError, AttributeError):
                tmp.unlink(missing_ok=True)  # not storable: the next process recomputes it
            return result

        c = functools.lru_cache(maxsize=maxsize)(functools.wraps(fn)(compute))
        _CACHED.append(c)
        return c
    return wrap


def clear_cache() -> None:
    """Forget every cached result of this process (e.g. after changing a configuration in a
    notebook). Results shared through ``$AEBOOK_RESULT_CACHE`` are keyed by the whole
    configuration table as it is at call time, so an edited configuration is never served an
    old result."""
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


@cached(maxsize=2, disk=False)  # reading MNIST-5k is faster than unpickling it
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
