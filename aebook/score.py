"""Denoising and the score (section 19.1.4): Tweedie's formula, exact and learned.

For data ``x ~ p`` corrupted by Gaussian noise, ``x̃ = x + σ ε``, the denoiser that minimises
the expected squared error (19.3) is the posterior mean ``r*(x̃) = E[x | x̃]``, and Tweedie's
formula (Efron 2011; Vincent 2011) writes it through the score of the *noisy* density
``p_σ = p * N(0, σ² I)``::

    r*(x̃) = x̃ + σ² ∇ ln p_σ(x̃)

So a trained denoiser ``r`` implies an estimate of the score, ``(r(x̃) − x̃) / σ²``
(Alain & Bengio 2014), and for small σ, ``p_σ ≈ p``. This module computes both sides:

============================  ================================================================
:func:`denoiser_score`        ``(r(x̃) − x̃) / σ²`` for any denoiser (a model or a callable)
:func:`posterior_mean`        ``E[x | x̃]`` for a Gaussian-mixture prior, by conditioning each
                              component (no score involved)
:func:`tweedie_denoiser`      ``x̃ + σ² ∇ ln p_σ(x̃)`` from the mixture's closed-form score
:func:`cosine_similarity`     row-wise cosine of two vector fields, with a floor on the norms
============================  ================================================================

:func:`posterior_mean` and :func:`tweedie_denoiser` are computed by two different routes, so
their agreement (to float64 round-off) is a real check of the identity, not a tautology.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ._checks import check_finite, on_model
from .densities import GaussianMixture
from .noise import check_sigma

Tensor = torch.Tensor

__all__ = ["cosine_similarity", "denoiser_score", "posterior_mean", "tweedie_denoiser"]


def _check_points(x: Any, dim: int | None, name: str = "x_tilde") -> Tensor:
    if not isinstance(x, Tensor) or not x.is_floating_point():
        raise TypeError(f"{name} must be a floating torch.Tensor, got "
                        f"{getattr(x, 'dtype', type(x).__name__)}")
    if x.ndim != 2 or (dim is not None and x.shape[1] != dim):
        want = f"(N, D={dim})" if dim is not None else "(N, D)"
        raise ValueError(f"{name} must have shape {want}, got {tuple(x.shape)}")
    return check_finite(x, name)


def _prologue(prior: Any, x_tilde: Any, sigma: Any) -> tuple[float, Tensor, Tensor]:
    """Checked ``(sigma, x_tilde)`` and ``x_tilde`` as float64 on the CPU, for a mixture prior."""
    if not isinstance(prior, GaussianMixture):
        raise TypeError(f"prior must be an aebook.densities.GaussianMixture, got {type(prior).__name__}")
    sigma = check_sigma(sigma)
    x_tilde = _check_points(x_tilde, prior.dim)
    return sigma, x_tilde, x_tilde.detach().to(torch.float64).cpu()


def _positive_sigma(sigma: Any) -> float:
    s = check_sigma(sigma)
    if s == 0:
        raise ValueError("sigma must be > 0 here (the score of a denoiser divides by σ²), got 0")
    return s


@torch.no_grad()
def denoiser_score(denoiser: Callable[[Tensor], Any], x_tilde: Tensor, sigma: float) -> Tensor:
    """The score a denoiser implies: ``(r(x̃) − x̃) / σ²``, shape ``(N, D)``.

    Args:
        denoiser: an ``nn.Module`` or callable mapping ``(N, D)`` to ``(N, D)``, or to a result
            with a ``recon`` field (the models of :mod:`aebook.models`). Modules are put in
            eval mode for the call and restored afterwards.
        x_tilde: ``(N, D)`` noisy points.
        sigma: the noise level σ > 0 the denoiser was trained for.

    Raises:
        ValueError: ``sigma`` not > 0, wrong shapes, NaN/inf in ``x_tilde``.
    """
    sigma = _positive_sigma(sigma)
    x_tilde = _check_points(x_tilde, None)
    was_training = getattr(denoiser, "training", None)
    if was_training is not None:
        denoiser.eval()
    try:  # a module computes on its own device; the score comes back on x_tilde's
        out = denoiser(on_model(denoiser, x_tilde) if isinstance(denoiser, torch.nn.Module) else x_tilde)
    finally:
        if was_training:
            denoiser.train()
    r = getattr(out, "recon", out)
    r = r.to(x_tilde.device) if isinstance(r, Tensor) else r
    if not isinstance(r, Tensor) or r.shape != x_tilde.shape:
        raise ValueError(f"the denoiser must return shape {tuple(x_tilde.shape)}, got "
                         f"{tuple(r.shape) if isinstance(r, Tensor) else type(r).__name__}")
    return (r - x_tilde) / sigma**2


def posterior_mean(prior: GaussianMixture, x_tilde: Tensor, sigma: float) -> Tensor:
    """``E[x | x̃]`` when ``x ~ prior`` (a Gaussian mixture) and ``x̃ = x + σ ε``; ``(N, D)``.

    Computed by Bayes without any score: given component k, ``x`` and ``x̃`` are jointly
    Gaussian, so ``E[x | x̃, k] = μ_k + Σ_k (Σ_k + σ² I)⁻¹ (x̃ − μ_k)``, and the components are
    weighted by ``p(k | x̃) ∝ w_k N(x̃ | μ_k, Σ_k + σ² I)``. This is the optimal denoiser for
    the squared error (19.3). Float64 inside; returns ``x_tilde``'s dtype. ``sigma = 0`` gives
    ``x̃`` back.
    """
    sigma, x_tilde, x = _prologue(prior, x_tilde, sigma)
    noisy = prior.convolved(sigma)
    resp = noisy.responsibilities(x)  # (N, K): p(k | x̃)
    gain = prior.covs @ torch.linalg.inv(noisy.covs)  # (K, D, D): Σ_k (Σ_k + σ² I)⁻¹
    diff = x[:, None, :] - prior.means  # (N, K, D)
    cond = prior.means + torch.einsum("kij,nkj->nki", gain, diff)  # (N, K, D)
    out = (resp[..., None] * cond).sum(1)
    return out.to(dtype=x_tilde.dtype, device=x_tilde.device)


def tweedie_denoiser(prior: GaussianMixture, x_tilde: Tensor, sigma: float) -> Tensor:
    """Tweedie's formula ``x̃ + σ² ∇ ln p_σ(x̃)``, with the exact score of the prior convolved
    with ``N(0, σ² I)`` (:meth:`aebook.densities.GaussianMixture.convolved`); ``(N, D)``."""
    sigma, x_tilde, x = _prologue(prior, x_tilde, sigma)
    out = x + sigma**2 * prior.convolved(sigma).score(x)
    return out.to(dtype=x_tilde.dtype, device=x_tilde.device)


def cosine_similarity(a: Tensor, b: Tensor, *, eps: float = 1e-12) -> Tensor:
    """Row-wise cosine ``<a_n, b_n> / (|a_n| |b_n|)`` of two ``(N, D)`` fields; ``(N,)``.

    Rows where either vector is shorter than ``eps`` get cosine 0 (no direction to compare).
    """
    a, b = _check_points(a, None, "a"), _check_points(b, None, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    na, nb = a.norm(dim=1), b.norm(dim=1)
    ok = (na > eps) & (nb > eps)
    cos = (a * b).sum(1) / (na * nb).clamp(min=eps)
    return torch.where(ok, cos, torch.zeros_like(cos))
