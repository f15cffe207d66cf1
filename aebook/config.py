"""Run-time configuration: quick/full mode, seeds, threads and device, read in one place.

Every notebook starts with ``aebook.setup("ko")`` or ``aebook.setup("en")``. That one call

* reads the mode from the environment variable ``AEBOOK_MODE`` (``quick``, the default, or
  ``full``),
* seeds Python, NumPy and PyTorch,
* fixes the number of CPU threads (results repeat across runs on the same machine),
* picks the device (``cuda`` > ``mps`` > ``cpu`` unless told otherwise),
* sets the language of figure labels and the fonts that can draw it.

Experiments ask :func:`get_mode` (or the returned :class:`Setup`) which configuration to use;
nothing else in the package reads ``AEBOOK_MODE``.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

import numpy as np
import torch

from ._checks import integer
from ._checks import seed as check_seed

MODES = ("quick", "full")
DEVICES = ("cpu", "cuda", "mps")
MODE_ENV = "AEBOOK_MODE"
#: torch threads of a notebook or script (aebook.setup). One, fixed so results repeat: the models of
#: the pages are small (one thread is as fast), every cached experiment computes on one thread anyway,
#: and on a 2-core machine the book build and the tests run two kernels side by side, where two threads
#: each made a page 7-10x slower (benchmarks/bench_threads.py)
DEFAULT_THREADS = 1


@dataclass(frozen=True)
class Setup:
    """What :func:`setup` chose; notebooks keep it as ``ctx``."""

    lang: str
    mode: str
    seed: int
    device: torch.device
    threads: int

    @property
    def quick(self) -> bool:
        return self.mode == "quick"

    def __str__(self) -> str:  # shown under the first cell of every notebook
        return (f"aebook {_version()} | mode={self.mode} | device={self.device.type} | "
                f"lang={self.lang} | seed={self.seed} | torch {torch.__version__.split('+')[0]}")


def _version() -> str:
    from ._version import __version__

    return __version__


def get_mode(mode: str | None = None) -> str:
    """Return ``"quick"`` or ``"full"``: the argument if given, else ``$AEBOOK_MODE``, else quick."""
    value = mode if mode is not None else os.environ.get(MODE_ENV, "quick")
    value = str(value).strip().lower()
    if value not in MODES:
        raise ValueError(f"mode must be one of {MODES} (from the argument or ${MODE_ENV}), got {value!r}")
    return value


def seed_everything(seed: int) -> torch.Generator:
    """Seed ``random``, NumPy and PyTorch; return a fresh CPU ``torch.Generator`` with that seed."""
    seed = check_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """Resolve ``None``/``"auto"`` to the best available device; check an explicit one exists."""
    if device is None or device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as err:  # "tpu", 3.5, ...: torch's message names no choice
        raise ValueError(f"device must be 'cpu', 'cuda', 'mps' or 'auto', got {device!r}") from err
    if dev.type not in DEVICES:
        raise ValueError(f"device must be 'cpu', 'cuda', 'mps' or 'auto', got {device!r}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was asked for, but torch.cuda.is_available() is False")
    if dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError("device='mps' was asked for, but MPS is not available")
    return dev


def setup(lang: str = "en", *, seed: int = 0, mode: str | None = None,
          threads: int | None = DEFAULT_THREADS, device: str | torch.device | None = None,
          quiet: bool = False) -> Setup:
    """Prepare a notebook or script: language, mode, seeds, threads, device.

    Args:
        lang: ``"ko"`` or ``"en"``; the language of figure labels and messages.
        seed: seed for ``random``, NumPy and PyTorch.
        mode: ``"quick"`` or ``"full"``; ``None`` reads ``$AEBOOK_MODE`` (default quick).
        threads: CPU threads for PyTorch (``None`` leaves PyTorch's default).
        device: ``None``/``"auto"`` picks cuda > mps > cpu.
        quiet: do not print the one-line summary.
    """
    from .i18n import set_language

    set_language(lang)
    chosen_mode = get_mode(mode)
    if threads is not None:
        torch.set_num_threads(integer(threads, "threads (or None)"))
    seed_everything(seed)
    dev = pick_device(device)
    ctx = Setup(lang=lang, mode=chosen_mode, seed=seed, device=dev, threads=torch.get_num_threads())
    if not quiet:
        print(ctx)
    return ctx
