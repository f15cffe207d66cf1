"""Exercises 19.2-19.3 and errata 2: do samples have the distribution the book says they have?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch.distributions import MultivariateNormal, kl_divergence

from .._checks import floating, integer, nonneg, positive, real
from ._base import check_samples

Tensor = torch.Tensor

__all__ = ["FullCovarianceCheck", "KSTests", "check_full_covariance", "covariance_standard_error", "ks_against_normal",
           "moments_match"]


@dataclass(frozen=True)
class KSTests:
    """Kolmogorov-Smirnov tests of samples against N(μ, σ²), per sample name: sample mean and
    standard deviation, the KS statistic (largest distance between the distribution functions)
    and its p-value."""

    mean: dict[str, float]
    std: dict[str, float]
    statistic: dict[str, float]
    pvalue: dict[str, float]

    def __str__(self) -> str:
        w = max(len(k) for k in self.mean)
        return "\n".join(f"{k:{w}} mean {self.mean[k]:.3f}  std {self.std[k]:.3f}   KS statistic "
                         f"{self.statistic[k]:.4f}   p = {self.pvalue[k]:.3g}" for k in self.mean)


def ks_against_normal(draws: Mapping[str, Tensor], mu: float, sigma: float) -> KSTests:
    """Test each 1-D sample of ``draws`` against N(mu, sigma²) with ``scipy.stats.kstest``
    (Exercise 19.2: σ ε + μ is N(μ, σ²), (19.17); the printed μ ε + σ² of (19.18) is not)."""
    from scipy import stats

    mu, sigma = real(mu, "mu"), positive(sigma, "sigma")
    if not isinstance(draws, Mapping) or not draws:
        raise ValueError(f"draws must be a non-empty dict of name -> 1-D tensor, got {draws!r}")
    out: dict[str, dict] = {"mean": {}, "std": {}, "statistic": {}, "pvalue": {}}
    for k, v in draws.items():
        v = check_samples(v, f"draws[{k!r}]", ndim=1).detach()
        res = stats.kstest(v.cpu().numpy(), stats.norm(loc=mu, scale=sigma).cdf)
        out["mean"][k], out["std"][k] = v.mean().item(), v.std().item()
        out["statistic"][k], out["pvalue"][k] = float(res.statistic), float(res.pvalue)
    return KSTests(**out)


def moments_match(samples: Tensor, mean: Tensor, variance: Tensor | None = None, *,
                  atol: float = 0.02, rtol: float = 0.02) -> bool:
    """Whether the sample mean of ``samples: (S, ...)`` over dim 0 lies within
    ``atol + rtol·|mean|`` of ``mean`` in every coordinate, and, if ``variance`` is given, the
    (unbiased) sample variance within ``atol + rtol·|variance|`` of it (errata 2: μ + σ ε has
    mean μ and variance σ², the printed μ ε + σ² has mean σ² and variance μ²)."""
    check_samples(samples, "samples")
    atol, rtol = nonneg(atol, "atol"), nonneg(rtol, "rtol")

    def close(a: Tensor, b: Tensor) -> bool:
        return bool(((a - b).abs() < atol + rtol * b.abs()).all())

    with torch.no_grad():
        ok = close(samples.mean(0), torch.as_tensor(mean, dtype=samples.dtype))
        return ok and (variance is None or close(samples.var(0), torch.as_tensor(variance, dtype=samples.dtype)))


def covariance_standard_error(Sigma: Tensor, n_samples: int) -> Tensor:
    """The standard error of each entry of a sample covariance of ``n_samples`` Gaussian
    vectors with covariance ``Sigma: (..., M, M)``: √((Σ_ii Σ_jj + Σ_ij²)/S) (Exercise 19.3)."""
    S = integer(n_samples, "n_samples", minimum=2)
    d = torch.diagonal(Sigma, dim1=-2, dim2=-1)
    return ((d[..., :, None] * d[..., None, :] + Sigma**2) / S).sqrt()


@dataclass(frozen=True)
class FullCovarianceCheck:
    """Exercise 19.3 checked: ``cov_dev``, the largest |sample covariance − L Lᵀ| in standard
    errors; ``flip_err`` = max |F Fᵀ − L Lᵀ| for a factor F with a column negated; ``chol_err``
    = max |cholesky(L Lᵀ) − L|; our KL against ``torch.distributions``' (``kl_ref``)."""

    L: Tensor
    cov_dev: float
    flip_err: float
    chol_err: float
    kl: Tensor
    kl_ref: Tensor
    kl_err: float

    def __str__(self) -> str:
        M = self.L.shape[-1]
        return "\n".join([
            f"outputs per input: M + M(M+1)/2 = {M + M * (M + 1) // 2};  L of the first input:",
            str(self.L.reshape(-1, M, M)[0].numpy().round(3)),
            f"sample covariance vs L L^T: max deviation {self.cov_dev:.2f} s.e.",
            f"max |flip flip^T - L L^T| = {self.flip_err:.0e};   max |cholesky(L L^T) - L| = {self.chol_err:.0e}",
            f"KL: ours {self.kl.numpy().round(4)}, torch {self.kl_ref.numpy().round(4)}, max |diff| {self.kl_err:.0e}"])


def check_full_covariance(mu: Tensor, L: Tensor, z: Tensor, *, flip: Tensor, kl: Tensor) -> FullCovarianceCheck:
    """Check Exercise 19.3 for ``mu: (N, M)`` and lower-triangular ``L: (N, M, M)``: the
    samples ``z: (S, N, M)`` of μ + L ε have covariance L Lᵀ (in standard errors), the factor
    ``flip`` (L with a column negated) gives the same covariance, L is the Cholesky factor of
    L Lᵀ (true when its diagonal is positive), and our ``kl`` = KL(N(μ, L Lᵀ) ‖ N(0, I))
    agrees with ``torch.distributions``."""
    if floating(mu, "mu").ndim != 2:
        raise ValueError(f"mu must have shape (N, M), got {tuple(mu.shape)}")
    N, M = mu.shape
    if L.shape != (N, M, M) or flip.shape != L.shape or kl.shape != (N,):
        raise ValueError(f"need mu (N, M), L and flip (N, M, M), kl (N,); got mu {tuple(mu.shape)}, "
                         f"L {tuple(L.shape)}, flip {tuple(flip.shape)}, kl {tuple(kl.shape)}")
    check_samples(z, "z", ndim=3)
    if z.shape[1:] != mu.shape:
        raise ValueError(f"z must have shape (S, {N}, {M}) for mu {tuple(mu.shape)}, got {tuple(z.shape)}")
    with torch.no_grad():
        Sigma = L @ L.mT
        se = covariance_standard_error(Sigma, z.shape[0])
        cov_dev = max(((torch.cov(z[:, n].T) - Sigma[n]) / se[n]).abs().max().item() for n in range(N))
        std = MultivariateNormal(torch.zeros(M, dtype=mu.dtype), torch.eye(M, dtype=mu.dtype))
        # torch takes L itself only if it is a Cholesky factor (positive diagonal); the KL depends on Σ alone
        q = (MultivariateNormal(mu, scale_tril=L) if bool((torch.diagonal(L, dim1=-2, dim2=-1) > 0).all())
             else MultivariateNormal(mu, covariance_matrix=Sigma))
        kl_ref = kl_divergence(q, std)
        return FullCovarianceCheck(
            L=L.detach(), cov_dev=cov_dev, flip_err=(flip @ flip.mT - Sigma).abs().max().item(),
            chol_err=(torch.linalg.cholesky(Sigma) - L).abs().max().item(), kl=kl.detach(), kl_ref=kl_ref,
            kl_err=(kl - kl_ref).abs().max().item())
