"""The data the experiments train on, and the error they report."""

from __future__ import annotations

import functools
import os

import torch

from ..config import get_mode
from ..data import Split, load_idx_dataset, load_mnist5k
from ..losses import reconstruction_error

__all__ = ["MNIST_DIR_ENV", "mnist_data", "recon_error"]

MNIST_DIR_ENV = "AEBOOK_MNIST_DIR"


def mnist_data(mode: str | None = None) -> Split:
    """The MNIST data the experiments use: MNIST-5k, or in full mode the full 60k/10k MNIST.

    Full MNIST is used only when ``mode`` is full *and* ``$AEBOOK_MNIST_DIR`` names a folder
    with the four standard IDX files (read by :func:`aebook.data.load_idx_dataset`, md5
    checked, never downloaded here). Otherwise, including every quick run, it is MNIST-5k.
    """
    root = os.environ.get(MNIST_DIR_ENV) if get_mode(mode) == "full" else None
    return _mnist_from(root or None)


@functools.lru_cache(maxsize=2)  # reading MNIST-5k is faster than unpickling it
def _mnist_from(root: str | None) -> Split:
    return load_mnist5k() if root is None else load_idx_dataset("mnist", root)


@torch.no_grad()
def recon_error(model: torch.nn.Module, x: torch.Tensor) -> float:
    """Held-out squared error per data point of an autoencoder (eval mode):
    :func:`aebook.losses.reconstruction_error` of ``model(x).recon`` against ``x``."""
    model.eval()
    return float(reconstruction_error(model(x).recon, x))
