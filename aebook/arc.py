"""A nonlinear latent-variable model small enough to be solved exactly (Figs. 19.7–19.9).

One latent variable and two observed ones::

    p(z) = N(z | 0, 1)                                        (19.5)
    p(x | z, w) = N(x | w (cos az, sin az), σ² I₂)

The decoder bends the real line onto an arc of a circle; the rate ``a`` (fixed) sets how far
round the circle the prior's mass is spread, and the single trainable parameter ``w`` (the
"network weights" of (19.4)) is the circle's radius. The marginal p(x | w) (19.4) is a
crescent ("banana") whose horns are the two tails of the prior; a point between the horns can
be explained by two values of z, so its posterior (19.12) is bimodal although the prior is not.

Because z is one-dimensional, everything a VAE has to approximate is computed here to
quadrature accuracy:

=====================================  =========================================================
:meth:`ArcModel.log_px`                ln p(x | w) (19.4) by a Riemann sum on a z grid
:meth:`ArcModel.posterior_grid`        p(z | x, w) (19.12) on the grid, normalised
:meth:`ArcModel.elbo`                  the ELBO (19.14) of a Gaussian q(z) = N(μ, σ²) by
                                       Gauss–Hermite quadrature: deterministic and
                                       differentiable in w, μ and ln σ²
:meth:`ArcModel.em_step`               one EM step: exact E step on the grid, M step in w
=====================================  =========================================================

The grid covers z ∈ [−8, 8] with 1601 points by default: the prior mass outside is < 1e-15
and, for σ ≥ 0.05 and a·w/σ ≤ 100, the posterior is resolved by many grid points. Float64
throughout.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from ._checks import check_finite, integer, positive
from .vae.networks import LOG2PI
from .vae.objectives import kl_std_normal

Tensor = torch.Tensor

__all__ = ["ArcModel", "gauss_hermite"]

def gauss_hermite(n: int) -> tuple[Tensor, Tensor]:
    """Nodes t_i and weights for E_{ε~N(0,1)}[f(ε)] ≈ Σ_i v_i f(t_i) (probabilists' form, the
    weights sum to 1), float64. Exact for polynomials of degree < 2n."""
    t, v = np.polynomial.hermite_e.hermegauss(integer(n, "n", maximum=200))
    return (torch.as_tensor(t, dtype=torch.float64),
            torch.as_tensor(v / math.sqrt(2 * math.pi), dtype=torch.float64))


class ArcModel(nn.Module):
    """The arc model above: the prior p(z) = N(0, 1) (19.5) bent onto an arc of radius ``w``,
    a trainable scalar (``nn.Parameter``, float64).

    Args:
        w: the radius, > 0.
        sigma: the observation noise σ, > 0 (fixed).
        rate: the angular rate a, > 0 (fixed).
        z_max, n_grid: the quadrature grid for ln p(x) and the posterior.
    """

    def __init__(self, w: float = 1.0, sigma: float = 0.15, rate: float = 1.25, *,
                 z_max: float = 8.0, n_grid: int = 1601):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(positive(w, "w"), dtype=torch.float64))
        self.sigma = positive(sigma, "sigma")
        self.rate = positive(rate, "rate")
        z_max = positive(z_max, "z_max")
        n_grid = integer(n_grid, "n_grid", minimum=11)
        self.register_buffer("z_grid", torch.linspace(-z_max, z_max, n_grid, dtype=torch.float64))

    # -- the decoder -----------------------------------------------------------------------
    def mean(self, z: Tensor, w: Tensor | float | None = None) -> Tensor:
        """The decoder's mean w (cos az, sin az), shape ``(*z.shape, 2)``."""
        w = self.w if w is None else w
        a = self.rate * z
        return w * torch.stack((torch.cos(a), torch.sin(a)), dim=-1)

    def _as_points(self, x: Any) -> Tensor:
        """``x: (N, 2)`` checked (shape, dtype, no NaN) and in float64."""
        if not isinstance(x, Tensor) or not x.is_floating_point():
            raise TypeError(f"x must be a floating torch.Tensor of shape (N, 2), got "
                            f"{getattr(x, 'dtype', type(x).__name__)}")
        if x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(f"x must have shape (N, 2), got {tuple(x.shape)}")
        return check_finite(x, "x").to(torch.float64)

    def log_px_z(self, x: Tensor, z: Tensor, w: Tensor | float | None = None) -> Tensor:
        """ln p(x_n | z, w) for ``x: (N, 2)`` and ``z`` of shape ``(K,)`` (the same values
        for every point: result ``(N, K)``) or ``(N, K)`` (per point: result ``(N, K)``)."""
        x = self._as_points(x)
        m = self.mean(z, w)
        if z.ndim == 1:
            d2 = (x[:, None, :] - m[None]).pow(2).sum(-1)
        else:
            d2 = (x[:, None, :] - m).pow(2).sum(-1)
        return -LOG2PI - 2 * math.log(self.sigma) - d2 / (2 * self.sigma**2)

    def log_joint_grid(self, x: Tensor, w: Tensor | float | None = None) -> Tensor:
        """ln p(x_n, z_k | w) on the grid, ``(N, K)``."""
        z = self.z_grid
        return self.log_px_z(x, z, w) - 0.5 * (LOG2PI + z.pow(2))

    # -- exact answers ----------------------------------------------------------------------
    def log_px(self, x: Tensor, w: Tensor | float | None = None) -> Tensor:
        """ln p(x_n | w) = ln ∫ p(x_n | z, w) p(z) dz (19.4), ``(N,)``, by a Riemann sum."""
        dz = float(self.z_grid[1] - self.z_grid[0])
        return torch.logsumexp(self.log_joint_grid(x, w), dim=1) + math.log(dz)

    def posterior_grid(self, x: Tensor, w: Tensor | float | None = None) -> Tensor:
        """p(z_k | x_n, w) (19.12) as a density on ``z_grid``, ``(N, K)``; Σ_k p · dz = 1."""
        lj = self.log_joint_grid(x, w)
        dz = float(self.z_grid[1] - self.z_grid[0])
        return torch.softmax(lj, dim=1) / dz

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        """``n`` points from p(x | w): z ~ N(0, 1), x = mean(z) + σ ε, ``(n, 2)``."""
        n = integer(n, "n")
        z = torch.randn(n, generator=generator, dtype=torch.float64)
        e = torch.randn(n, 2, generator=generator, dtype=torch.float64)
        return self.mean(z) + self.sigma * e

    def elbo(self, x: Tensor, mu: Tensor, logvar: Tensor, *, w: Tensor | float | None = None,
             n_nodes: int = 48) -> dict[str, Tensor]:
        """The ELBO (19.7), in the form (19.14), of q(z | x_n) = N(μ_n, exp(logvar_n)) per point;
        with :meth:`log_px` it gives the gap ln p − ELBO = KL(q ‖ posterior) of (19.6). ``(N,)`` each:
        ``"recon"`` = E_q[ln p(x_n | z, w)] by ``n_nodes``-point Gauss–Hermite quadrature,
        ``"kl"`` = KL(q ‖ N(0, 1)) in closed form, ``"elbo"`` = recon − kl.

        ``mu`` and ``logvar`` have shape ``(N,)`` or ``(N, 1)`` (an encoder's output)."""
        x = self._as_points(x)
        mu, logvar = mu.reshape(-1).to(torch.float64), logvar.reshape(-1).to(torch.float64)
        if mu.shape[0] != x.shape[0] or logvar.shape[0] != x.shape[0]:
            raise ValueError(f"mu and logvar must have one value per point (N={x.shape[0]}), got "
                             f"{mu.shape[0]} and {logvar.shape[0]}")
        t, v = gauss_hermite(n_nodes)
        z = mu[:, None] + (0.5 * logvar).exp()[:, None] * t[None]  # (N, n_nodes)
        recon = (self.log_px_z(x, z, w) * v).sum(1)
        kl = kl_std_normal(mu[:, None], logvar[:, None])
        return {"elbo": recon - kl, "recon": recon, "kl": kl}

    def em_step(self, x: Tensor, *, max_iter: int = 50) -> dict[str, float]:
        """One EM step on ``w``: the E step sets q_n to the exact posterior on the grid (the gap
        closes: ELBO = ln p(x | w_old)); the M step maximises the expected complete-data
        log-likelihood Σ_n E_q[ln p(x_n | z, w)] over w by L-BFGS. Updates ``self.w`` in place.

        Returns the per-point averages ``log_px_before``, ``elbo_after_e`` (equal to it),
        ``elbo_after_m`` (the same q with the new w: below ln p(x | w_new)) and ``log_px_after``, and ``w``."""
        x = self._as_points(x)
        with torch.no_grad():
            post = self.posterior_grid(x)
            dz = float(self.z_grid[1] - self.z_grid[0])
            qw = post * dz  # weights summing to 1 per point
            log_q = torch.log(post.clamp_min(1e-300))
            before = float(self.log_px(x).mean())
            # the ELBO right after the E step, computed, not assumed: equal to ln p(x | w_old)
            elbo_after_e = float((qw * (self.log_joint_grid(x) - log_q)).sum(1).mean())
            # the part of the ELBO that does not depend on w: E_q[ln p(z) − ln q(z)]
            prior_minus_entropy = (qw * (-0.5 * (LOG2PI + self.z_grid.pow(2)) - log_q)).sum(1)
        opt = torch.optim.LBFGS([self.w], lr=1.0, max_iter=max_iter, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = -(qw * self.log_px_z(x, self.z_grid)).sum(1).mean()
            loss.backward()
            return loss

        opt.step(closure)
        with torch.no_grad():
            self.w.clamp_(min=1e-6)
            w_new = float(self.w.detach())
            elbo_after = float(((qw * self.log_px_z(x, self.z_grid)).sum(1)
                                + prior_minus_entropy).mean())
            after = float(self.log_px(x).mean())
        return {"log_px_before": before, "elbo_after_e": elbo_after_e, "elbo_after_m": elbo_after,
                "log_px_after": after,
                "w": w_new}
