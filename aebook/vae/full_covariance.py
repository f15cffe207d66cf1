"""A full-covariance Gaussian posterior q(z | x) = N(μ, L Lᵀ) and the entropy of a
diagonal one: the tools of Exercises 19.3 and 19.5.

=====================================  =========================================================
:func:`gaussian_entropy`               H[N(μ, diag σ²)], the entropy term of Exercise 19.5
:func:`tril_factor`                    a valid Cholesky factor L from an encoder's raw output
:func:`rsample_full`                   z = μ + L ε ~ N(μ, L Lᵀ) (Exercise 19.3)
:func:`kl_full_std_normal`             KL(N(μ, L Lᵀ) ‖ N(0, I))
=====================================  =========================================================
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .._checks import choice, integer, randn
from .networks import LOG2PI

Tensor = torch.Tensor

__all__ = ["gaussian_entropy", "kl_full_std_normal", "rsample_full", "tril_factor"]


def gaussian_entropy(logvar: Tensor) -> Tensor:
    """H[N(μ, diag σ²)] = ½ Σ_j (1 + ln 2π + ln σ_j²), per row (Exercise 19.5)."""
    return 0.5 * (1.0 + LOG2PI + logvar).sum(-1)


def tril_factor(raw: Tensor, M: int, *, diagonal: str = "exp") -> Tensor:
    """A lower-triangular L with a positive diagonal from M(M+1)/2 unconstrained numbers per row
    (Exercise 19.3): the encoder of a full-covariance q(z | x) = N(μ, L Lᵀ) outputs ``raw``;
    the off-diagonal entries are used as they are and the diagonal goes through ``exp`` (or
    ``softplus``), so that L is a valid, unique Cholesky factor. ``raw: (..., M(M+1)/2)`` →
    ``(..., M, M)``."""
    M = integer(M, "M")
    if raw.shape[-1] != M * (M + 1) // 2:
        raise ValueError(f"raw must have M(M+1)/2 = {M * (M + 1) // 2} entries in its last "
                         f"dimension for M={M}, got {tuple(raw.shape)}")
    choice(diagonal, "diagonal", ("exp", "softplus"))
    i, j = torch.tril_indices(M, M, device=raw.device)
    L = raw.new_zeros(*raw.shape[:-1], M, M)
    L[..., i, j] = raw
    d = torch.diagonal(L, dim1=-2, dim2=-1)
    pos = d.exp() if diagonal == "exp" else F.softplus(d)
    return L - torch.diag_embed(d) + torch.diag_embed(pos)


def rsample_full(mu: Tensor, L: Tensor, n_samples: int = 1, *,
                 generator: torch.Generator | None = None) -> Tensor:
    """z = μ + L ε with ε ~ N(0, I) (Exercise 19.3): z ~ N(μ, L Lᵀ). ``mu: (N, M)``,
    ``L: (N, M, M)`` → ``(S, N, M)``."""
    S = integer(n_samples, "n_samples")
    if L.shape != (*mu.shape, mu.shape[-1]):
        raise ValueError(f"L must have shape {(*mu.shape, mu.shape[-1])} for mu {tuple(mu.shape)}, "
                         f"got {tuple(L.shape)}")
    eps = randn((S, *mu.shape), like=mu, generator=generator)
    return mu + (L @ eps.unsqueeze(-1)).squeeze(-1)


def kl_full_std_normal(mu: Tensor, L: Tensor) -> Tensor:
    """KL(N(μ, L Lᵀ) ‖ N(0, I)) = ½ (tr(L Lᵀ) + μᵀμ − M − 2 Σ_j ln L_jj), per row (Exercise 19.3); with a diagonal
    L it reduces to :func:`kl_std_normal`."""
    if L.shape != (*mu.shape, mu.shape[-1]):
        raise ValueError(f"L must have shape {(*mu.shape, mu.shape[-1])} for mu {tuple(mu.shape)}, "
                         f"got {tuple(L.shape)}")
    logdiag = torch.log(torch.diagonal(L, dim1=-2, dim2=-1))
    return 0.5 * (L.pow(2).sum((-2, -1)) + mu.pow(2).sum(-1) - mu.shape[-1] - 2 * logdiag.sum(-1))

