"""Exercises 19.4-19.6 and errata 1: the KL term (19.15) and two forms of the ELBO, (19.14) and (19.25)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.distributions import Normal, kl_divergence

from .._checks import integer
from ..vae import LinearGaussianModel
from ._base import check_samples

Tensor = torch.Tensor

__all__ = ["DiagonalKLCheck", "EntropyFormCheck", "KLFormCheck", "check_diagonal_kl", "check_entropy_form",
           "check_kl_form"]


@dataclass(frozen=True)
class DiagonalKLCheck:
    """Exercise 19.4 checked: the KL per row, the printed (19.15), and ``err``, the largest
    absolute error of each comparison (KL vs torch, printed + KL, each derived gradient vs
    autograd)."""

    kl: Tensor
    printed: Tensor
    err: dict[str, float]

    def __str__(self) -> str:
        return "\n".join([f"KL per row:      {self.kl.numpy().round(4)}",
                          f"printed (19.15): {self.printed.numpy().round(4)}",
                          *(f"max |{k}| = {v:.0e}" for k, v in self.err.items())])


def check_diagonal_kl(mu: Tensor, sigma: Tensor, logvar: Tensor, kl: Tensor, printed: Tensor, *,
                      d_mu: Tensor, d_sigma: Tensor, d_logvar: Tensor) -> DiagonalKLCheck:
    """Check Exercise 19.4: ``kl`` (per row, computed from ``mu`` and ``logvar`` = ln σ², which
    is computed from ``sigma``) against ``torch.distributions.kl_divergence``; the printed
    (19.15) against −KL (errata 1); and the derived gradients μ_j, σ_j − 1/σ_j and (σ_j² − 1)/2,
    passed as ``d_mu``, ``d_sigma`` and ``d_logvar``, against autograd's ∂KL/∂μ_j, ∂KL/∂σ_j and
    ∂KL/∂ln σ_j²."""
    if not (mu.requires_grad and sigma.requires_grad and kl.requires_grad and logvar.requires_grad):
        raise ValueError("mu and sigma must require grad, and logvar and kl must be computed from them")
    if kl.shape != mu.shape[:-1] or printed.shape != kl.shape:
        raise ValueError(f"kl and printed must have one value per row of mu {tuple(mu.shape)}, "
                         f"got {tuple(kl.shape)} and {tuple(printed.shape)}")
    grads = torch.autograd.grad(kl.sum(), (mu, sigma, logvar), retain_graph=True)
    with torch.no_grad():
        kl_ref = kl_divergence(Normal(mu, sigma), Normal(0.0, 1.0)).sum(-1)
        diffs = {"KL - torch KL": kl - kl_ref, "printed + KL": printed + kl,
                 "dKL/dmu - mu": grads[0] - d_mu, "dKL/dsigma - (sigma - 1/sigma)": grads[1] - d_sigma,
                 "dKL/dlogvar - (sigma^2 - 1)/2": grads[2] - d_logvar}
        return DiagonalKLCheck(kl.detach(), printed.detach(), {k: v.abs().max().item() for k, v in diffs.items()})


def _points(n_points: int, n_shown: int, fmt: Callable[[int], str]) -> list[str]:
    return [f"point {n}: {fmt(n)}" for n in range(min(n_shown, n_points))]


@dataclass(frozen=True)
class EntropyFormCheck:
    """Exercise 19.5 checked: the Monte Carlo ``estimate`` of E_q[ln p(x, z)] + H[q] per point
    and its ``se``, the closed-form ELBO ``exact`` (a dict as ``LinearGaussianModel.elbo``),
    ln p(x), ``entropy_err`` (our H against torch's), ``deviation`` (max |estimate − ELBO| in
    s.e.) and ``min_gap`` (the smallest ln p(x) − ELBO)."""

    estimate: Tensor
    se: Tensor
    exact: dict[str, Tensor]
    log_px: Tensor
    entropy_err: float
    deviation: float
    min_gap: float
    n_shown: int = 3

    def __str__(self) -> str:
        e, s, x, lp = self.estimate, self.se, self.exact["elbo"], self.log_px
        return "\n".join([
            f"max |gaussian_entropy - torch entropy| = {self.entropy_err:.0e}",
            *_points(e.shape[0], self.n_shown, lambda n: f"E_q[ln p(x,z)] + H = {e[n]:.3f} ± {s[n]:.3f}"
                     f"   closed form {x[n]:.3f}   ln p(x) {lp[n]:.3f}"),
            f"over {e.shape[0]} points: max |Monte Carlo - closed form| / s.e. {self.deviation:.2f};"
            f"   smallest ln p(x) - ELBO {self.min_gap:.2f}"])


def check_entropy_form(model: LinearGaussianModel, x: Tensor, mu: Tensor, logvar: Tensor, *, log_joint: Tensor,
                       entropy: Tensor, estimate: Tensor, n_shown: int = 3) -> EntropyFormCheck:
    """Check Exercise 19.5, ℒ = E_q[ln p(x, z)] + H[q], for q = N(mu, diag exp(logvar)) on the
    linear-Gaussian ``model``: ``log_joint: (S, N)`` holds ln p(x, z^(l)) for z^(l) ~ q,
    ``entropy: (N,)`` is H[q] and ``estimate: (N,)`` the cell's mean of ``log_joint`` plus H.
    The reference is the closed form ``model.elbo(x, mu, logvar)``, computed as expected
    log-likelihood minus KL, not from the entropy; H is compared with ``torch.distributions``."""
    check_samples(log_joint, "log_joint", ndim=2)
    N = log_joint.shape[1]
    if estimate.shape != (N,) or entropy.shape != (N,):
        raise ValueError(f"estimate and entropy must have shape ({N},) like log_joint's points, "
                         f"got {tuple(estimate.shape)} and {tuple(entropy.shape)}")
    with torch.no_grad():
        se = log_joint.std(0) / log_joint.shape[0] ** 0.5
        exact, log_px = model.elbo(x, mu, logvar), model.log_px(x)
        H_ref = Normal(mu, (0.5 * logvar).exp()).entropy().sum(-1)
        return EntropyFormCheck(
            estimate, se, exact, log_px, entropy_err=(entropy - H_ref).abs().max().item(),
            deviation=((estimate - exact["elbo"]) / se).abs().max().item(),
            min_gap=(log_px - exact["elbo"]).min().item(), n_shown=integer(n_shown, "n_shown", minimum=0))


@dataclass(frozen=True)
class KLFormCheck:
    """Exercise 19.6 checked: ``same_sample`` (max |joint form − split form| per sample), the
    estimate of (19.25) with the KL in closed form and its ``se``, and its ``deviation`` from the
    closed-form ELBO and ``deviation_from_entropy_form`` from Exercise 19.5's estimate, in s.e."""

    entropy_form: EntropyFormCheck
    same_sample: float
    estimate: Tensor
    se: Tensor
    kl: Tensor
    deviation: float
    deviation_from_entropy_form: float

    def __str__(self) -> str:
        e, s, k, ef = self.estimate, self.se, self.kl, self.entropy_form
        return "\n".join([
            f"per sample, Monte Carlo KL: max |joint form - split form| = {self.same_sample:.0e}",
            *_points(e.shape[0], ef.n_shown, lambda n: f"E_q[ln p(x|z)] - KL = {e[n]:.3f} ± {s[n]:.3f}"
                     f"   (KL {k[n]:.3f})   entropy form {ef.estimate[n]:.3f}   closed form {ef.exact['elbo'][n]:.3f}"),
            f"over {e.shape[0]} points: max |(19.25) - closed form| / s.e. {self.deviation:.2f};"
            f"   max |(19.25) - entropy form| / s.e. {self.deviation_from_entropy_form:.2f}"])


def check_kl_form(entropy_form: EntropyFormCheck, *, per_joint: Tensor, per_split: Tensor, log_px_z: Tensor,
                  kl: Tensor, estimate: Tensor) -> KLFormCheck:
    """Check Exercise 19.6, (19.25): per sample, ``per_joint`` = ln p(x, z) − ln q and
    ``per_split`` = ln p(x | z) − [ln q − ln p(z)] are one number (both ``(S, N)``); and the
    ``estimate`` = mean of ``log_px_z: (S, N)`` minus the closed-form ``kl: (N,)`` agrees with
    the closed-form ELBO and with Exercise 19.5's estimate on the same samples
    (``entropy_form``), in standard errors."""
    if not isinstance(entropy_form, EntropyFormCheck):
        raise TypeError(f"entropy_form must be the EntropyFormCheck of the same samples, "
                        f"got {type(entropy_form).__name__}")
    check_samples(log_px_z, "log_px_z", ndim=2)
    N = entropy_form.estimate.shape[0]
    if per_joint.shape != log_px_z.shape or per_split.shape != log_px_z.shape or log_px_z.shape[1] != N:
        raise ValueError(f"per_joint, per_split and log_px_z must have shape (S, {N}), got {tuple(per_joint.shape)}, "
                         f"{tuple(per_split.shape)} and {tuple(log_px_z.shape)}")
    if kl.shape != (N,) or estimate.shape != (N,):
        raise ValueError(f"kl and estimate must have shape ({N},), got {tuple(kl.shape)} and {tuple(estimate.shape)}")
    with torch.no_grad():
        se = log_px_z.std(0) / log_px_z.shape[0] ** 0.5
        return KLFormCheck(
            entropy_form, same_sample=(per_joint - per_split).abs().max().item(), estimate=estimate, se=se, kl=kl,
            deviation=((estimate - entropy_form.exact["elbo"]) / se).abs().max().item(),
            deviation_from_entropy_form=((estimate - entropy_form.estimate) / entropy_form.se).abs().max().item())
