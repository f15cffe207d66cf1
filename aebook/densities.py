"""Densities with an exact log density and score: Gaussian mixtures (section 19.1.4).

:class:`GaussianMixture` gives ln p(x), its score ∇ ln p(x) in closed form, the
responsibilities p(k | x), and the mixture convolved with Gaussian noise N(0, σ²I), whose
score is exactly what Tweedie's formula needs (:mod:`aebook.score`).
"""

from __future__ import annotations

import math

import torch

from ._checks import check_finite, integer

Tensor = torch.Tensor


class GaussianMixture:
    """A mixture of K Gaussians in D dimensions with exact log density and score.

    p(x) = sum_k w_k N(x | mu_k, Sigma_k). Parameters are stored in float64 on the CPU;
    :meth:`log_prob` and :meth:`score` accept ``x: (..., D)`` of any float dtype and device,
    compute in float64 and return the dtype of ``x``.

    Args:
        means: (K, D)
        covs: (K, D, D) symmetric positive definite; give either ``covs`` or ``stds``
        stds: (K,) positive, isotropic components Sigma_k = stds[k]^2 I
        weights: (K,) non-negative, summing to 1 (within 1e-6); default uniform
    """

    def __init__(self, means, covs=None, stds=None, weights=None):
        means = torch.as_tensor(means, dtype=torch.float64).cpu()
        if means.ndim != 2 or means.shape[0] < 1 or means.shape[1] < 1:
            raise ValueError(f"means must have shape (K, D) with K, D >= 1, got {tuple(means.shape)}")
        check_finite(means, "means")
        k, d = means.shape

        if (covs is None) == (stds is None):
            raise ValueError("give exactly one of covs (K, D, D) or stds (K,)")
        if stds is not None:
            stds = torch.as_tensor(stds, dtype=torch.float64).cpu()
            if stds.shape != (k,):
                raise ValueError(f"stds must have shape (K,) = ({k},), got {tuple(stds.shape)}")
            check_finite(stds, "stds")
            if (stds <= 0).any():
                raise ValueError(f"stds must be > 0, got {stds.tolist()}")
            covs = stds[:, None, None] ** 2 * torch.eye(d, dtype=torch.float64)
        covs = torch.as_tensor(covs, dtype=torch.float64).cpu()
        if covs.shape != (k, d, d):
            raise ValueError(f"covs must have shape (K, D, D) = ({k}, {d}, {d}), "
                             f"got {tuple(covs.shape)}")
        check_finite(covs, "covs")
        scale = covs.abs().amax(dim=(1, 2)).clamp(min=1e-300)
        if ((covs - covs.transpose(1, 2)).abs().amax(dim=(1, 2)) > 1e-10 * scale).any():
            raise ValueError("covs must be symmetric")
        chol, info = torch.linalg.cholesky_ex(covs)
        if (info != 0).any():
            raise ValueError(f"covs must be positive definite (component(s) "
                             f"{torch.nonzero(info).flatten().tolist()} are not)")

        if weights is None:
            weights = torch.full((k,), 1.0 / k, dtype=torch.float64)
        weights = torch.as_tensor(weights, dtype=torch.float64).cpu()
        if weights.shape != (k,):
            raise ValueError(f"weights must have shape (K,) = ({k},), got {tuple(weights.shape)}")
        check_finite(weights, "weights")
        if (weights < 0).any() or abs(float(weights.sum()) - 1.0) > 1e-6:
            raise ValueError(f"weights must be >= 0 and sum to 1 (within 1e-6), "
                             f"got {weights.tolist()} (sum {float(weights.sum())})")

        self.means, self.covs, self.weights = means, covs, weights
        self._chol = chol  # (K, D, D), for sampling
        self._prec = torch.cholesky_inverse(chol)  # (K, D, D), Sigma_k^{-1}
        # log w_k - 1/2 log det(2 pi Sigma_k): everything of log N_k but the quadratic form
        logdet = 2 * torch.log(torch.diagonal(chol, dim1=1, dim2=2)).sum(1)
        self._log_norm = torch.log(weights) - 0.5 * (d * math.log(2 * math.pi) + logdet)

    @property
    def n_components(self) -> int:
        return self.means.shape[0]

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    @property
    def mean(self) -> Tensor:
        """Mixture mean ``(D,)``: sum_k w_k mu_k."""
        return self.weights @ self.means

    @property
    def covariance(self) -> Tensor:
        """Mixture covariance ``(D, D)``: sum_k w_k (Sigma_k + mu_k mu_k^T) - m m^T."""
        m = self.mean
        second = torch.einsum("k,kij->ij", self.weights,
                              self.covs + self.means[:, :, None] * self.means[:, None, :])
        return second - torch.outer(m, m)

    def __repr__(self) -> str:
        return f"GaussianMixture(K={self.n_components}, D={self.dim})"

    def _component_logits(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """For ``x: (..., D)`` float64: logits ``(..., K)`` = log w_k N_k(x), diffs, Sigma^-1 diffs."""
        if x.shape[-1:] != (self.dim,):
            raise ValueError(f"x must have shape (..., {self.dim}), got {tuple(x.shape)}")
        means, prec, log_norm = (t.to(x.device) for t in (self.means, self._prec, self._log_norm))
        diff = x[..., None, :] - means  # (..., K, D)
        prec_diff = torch.einsum("kij,...kj->...ki", prec, diff)  # (..., K, D)
        logits = log_norm - 0.5 * (diff * prec_diff).sum(-1)  # (..., K)
        return logits, diff, prec_diff

    def log_prob(self, x: Tensor) -> Tensor:
        """Exact ln p(x) for ``x: (..., D)`` -> ``(...)``; differentiable (autograd works)."""
        x = torch.as_tensor(x)
        logits, _, _ = self._component_logits(x.to(torch.float64))
        return torch.logsumexp(logits, dim=-1).to(x.dtype if x.is_floating_point() else torch.float64)

    def responsibilities(self, x: Tensor) -> Tensor:
        """Posterior p(k | x) for ``x: (..., D)`` -> ``(..., K)``."""
        x = torch.as_tensor(x)
        logits, _, _ = self._component_logits(x.to(torch.float64))
        return torch.softmax(logits, dim=-1).to(x.dtype if x.is_floating_point() else torch.float64)

    def score(self, x: Tensor) -> Tensor:
        """Exact score grad_x ln p(x) = -sum_k p(k|x) Sigma_k^{-1} (x - mu_k); ``(..., D)``.

        Closed form, not autograd.
        """
        x = torch.as_tensor(x)
        logits, _, prec_diff = self._component_logits(x.to(torch.float64))
        r = torch.softmax(logits, dim=-1)  # (..., K)
        s = -(r[..., None] * prec_diff).sum(-2)
        return s.to(x.dtype if x.is_floating_point() else torch.float64)

    def convolved(self, sigma: float) -> GaussianMixture:
        """The mixture convolved with N(0, sigma^2 I): each Sigma_k -> Sigma_k + sigma^2 I.

        This is the density of ``x + sigma * eps`` for ``x ~ p``, ``eps ~ N(0, I)``, so its
        :meth:`score` is the exact score of the noisy data (Tweedie's formula: the optimal
        denoiser is ``x_noisy + sigma^2 * score``).
        """
        try:  # floats, numpy scalars and one-element tensors are all fine
            value = float(sigma) if not isinstance(sigma, bool) else math.nan
        except (TypeError, ValueError, RuntimeError):
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"sigma must be >= 0 and finite, got {sigma!r}")
        eye = torch.eye(self.dim, dtype=torch.float64)
        return GaussianMixture(self.means, covs=self.covs + value**2 * eye,
                               weights=self.weights)

    def sample(self, n: int, generator: torch.Generator | None = None,
               dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
        """Draw ``n`` points: ``x: (n, D)`` of ``dtype`` and their components ``(n,)`` int64.

        ``generator`` must be a CPU generator (or None for torch's default one).
        """
        n = integer(n, "n", minimum=0)
        comp = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        eps = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)
        x = self.means[comp] + (self._chol[comp] @ eps[:, :, None])[:, :, 0]
        return x.to(dtype), comp


def default_mixture() -> GaussianMixture:
    """A fixed 2-D mixture of 4 Gaussians for the score-matching figures.

    Unequal weights, one round, two elongated in different directions and one small, all
    inside roughly [-3, 3]^2.
    """
    means = [[-1.5, 1.0], [1.5, 1.2], [0.0, -1.5], [1.8, -1.0]]
    covs = [[[0.30, 0.00], [0.00, 0.30]],
            [[0.40, 0.25], [0.25, 0.30]],
            [[0.60, -0.15], [-0.15, 0.15]],
            [[0.06, 0.00], [0.00, 0.06]]]
    weights = [0.3, 0.3, 0.3, 0.1]
    return GaussianMixture(means, covs=covs, weights=weights)

