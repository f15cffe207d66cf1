"""The models the checks run on: linear-Gaussian models drawn from a generator, and a VAE with only
its decoder changed."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import nn

from .._checks import integer, positive, real
from ..vae import VAE, LinearGaussianModel

__all__ = ["random_linear_gaussian", "with_decoder_scaled"]


def random_linear_gaussian(D: int, M: int, sigma: float, *, column_norms: Sequence[float] | None = None,
                           generator: torch.Generator | None = None) -> LinearGaussianModel:
    """A linear-Gaussian model (19.4) p(x | z) = N(W z + b, σ² I) with W: (D, M) and b: (D,)
    drawn from N(0, 1) in that order (float64). With ``column_norms`` W = Q diag(column_norms),
    Q the orthonormal factor of the drawn matrix: W's columns are orthogonal, so the posterior
    covariance is diagonal and ``as_vae()``'s encoder is the exact posterior (errata 3, 4)."""
    D, M, sigma = integer(D, "D"), integer(M, "M"), positive(sigma, "sigma")
    norms = None
    if column_norms is not None:
        if M > D:
            raise ValueError(f"column_norms needs M <= D (orthogonal columns), got D={D}, M={M}")
        if len(column_norms) != M:
            raise ValueError(f"column_norms must have M={M} entries, got {len(column_norms)}")
        norms = torch.tensor([positive(c, f"column_norms[{i}]") for i, c in enumerate(column_norms)],
                             dtype=torch.float64)
    W = torch.randn(D, M, generator=generator, dtype=torch.float64)
    if norms is not None:
        W = torch.linalg.qr(W)[0] * norms
    return LinearGaussianModel(W, torch.randn(D, generator=generator, dtype=torch.float64), sigma)


def with_decoder_scaled(vae: VAE, factor: float) -> VAE:
    """A copy of ``vae`` whose decoder's weight matrices (not its biases) are multiplied by
    ``factor``; the encoder, and so q(z | x, φ), is unchanged. Changing w alone moves the
    first term of (19.14) and leaves the KL term alone (errata 3). ``vae`` is not modified."""
    factor = real(factor, "factor")
    out = copy.deepcopy(vae)
    with torch.no_grad():
        for m in out.decoder.modules():
            if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
                m.weight.mul_(factor)
    return out
