"""What the checks share: the argument check of a set of Monte Carlo samples."""

from __future__ import annotations

import torch

from .._checks import floating

Tensor = torch.Tensor


def check_samples(x: Tensor, name: str, ndim: int | None = None) -> Tensor:
    """``x`` if it is a floating tensor of ``ndim`` dimensions (any if None) with at least two
    rows: a standard error needs two samples."""
    floating(x, name)
    if (ndim is not None and x.ndim != ndim) or x.ndim == 0 or x.shape[0] < 2:
        dims = f"a {ndim}-D tensor" if ndim else "a tensor"
        raise ValueError(f"{name} must be {dims} with at least 2 samples along dim 0, got shape {tuple(x.shape)}")
    return x
