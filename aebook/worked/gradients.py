"""Exercise 19.1 and errata 4: Monte Carlo estimators of the encoder's gradient against the exact one."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch.distributions import Normal

from .._checks import integer, nonneg
from ..vae import VAE, LinearGaussianModel
from ._base import check_samples

Tensor = torch.Tensor

__all__ = ["EstimatorStats", "compare_estimators", "exact_encoder_gradient", "score_function_gradient"]


@dataclass(frozen=True)
class EstimatorStats:
    """Several Monte Carlo estimators of one gradient against its exact value (Exercise 19.1).

    Each estimator gave R independent estimates of P coordinates (P = 1 for a scalar).
    ``mean``/``se``: their average and its standard error std/√R, per coordinate;
    ``deviation``: max over coordinates of |mean − exact|/se (an unbiased estimator gives the
    largest of P standard normal deviations, about 2 for P = 24); ``variance``: the variance
    of one estimate, summed over coordinates; ``relative_error``: ‖mean − exact‖ / ‖exact‖.
    """

    exact: Tensor
    mean: dict[str, Tensor]
    se: dict[str, Tensor]
    deviation: dict[str, float]
    variance: dict[str, float]
    relative_error: dict[str, float]
    target_name: str = "exact"
    exact_variance: dict[str, float] | None = None

    def __str__(self) -> str:
        names = list(self.mean)
        w = max(map(len, names)) + 1
        v, ev = self.variance, self.exact_variance
        if self.exact.ndim == 0:  # one coordinate: the estimate itself and the variance per sample
            lines = [f"{k:{w}} estimate {self.mean[k]:.4f} ± {self.se[k]:.4f} ({self.deviation[k]:.2f} s.e. from "
                     f"{self.target_name})   variance per sample {v[k]:.2f}" + (f" (exact {ev[k]:.2f})" if ev else "")
                     for k in names]
            if len(names) == 2:
                a, b = names
                ratio = f"variance ratio {a} / {b}: {v[a] / v[b]:.2f}"
                lines.append(ratio + (f" (exact {ev[a] / ev[b]:.2f})" if ev else ""))
            return "\n".join(lines)
        lines = [f"{k:{w}} max |mean - exact| / s.e. over {self.exact.numel()} parameters: "
                 f"{self.deviation[k]:.2f}   variance (summed) {v[k]:.1f}" for k in names]
        last = f"|exact gradient| = {self.exact.norm():.3f}"
        if len(names) == 2:
            a, b = names
            last += f";   variance ratio {a} / {b}: {v[a] / v[b]:.1f}"
        return "\n".join([*lines, last])


def compare_estimators(estimates: Mapping[str, Tensor], exact: Tensor | float, *, target_name: str = "exact",
                       exact_variance: Mapping[str, float] | None = None) -> EstimatorStats:
    """Mean, standard error, deviation in standard errors and variance of each estimator's
    estimates ``(R, *exact.shape)``, R ≥ 2, against ``exact`` (Exercise 19.1: the score-function
    and the reparameterised estimators are both unbiased, with different variances).

    ``target_name`` and ``exact_variance`` (the derived variance of one estimate, per
    estimator) only enter the printed text of a scalar gradient."""
    if not isinstance(estimates, Mapping) or not estimates:
        raise ValueError(f"estimates must be a non-empty dict of name -> tensor, got {estimates!r}")
    first = next(iter(estimates.values()))
    exact = torch.as_tensor(exact, dtype=first.dtype if isinstance(first, Tensor) else torch.float64)
    stats: dict[str, dict] = {"mean": {}, "se": {}, "deviation": {}, "variance": {}, "relative_error": {}}
    for k, e in estimates.items():
        check_samples(e, f"estimates[{k!r}]")
        if e.shape[1:] != exact.shape:
            raise ValueError(f"estimates[{k!r}] must have shape (R, *{tuple(exact.shape)}) like exact, "
                             f"got {tuple(e.shape)}")
        with torch.no_grad():
            mean, se = e.mean(0), e.std(0) / e.shape[0] ** 0.5
            diff, norm = (mean - exact).norm().item(), exact.norm().item()
            stats["mean"][k], stats["se"][k] = mean, se
            stats["deviation"][k] = ((mean - exact) / se).abs().max().item()
            stats["variance"][k] = e.var(0).sum().item()
            stats["relative_error"][k] = diff / norm if norm > 0 else (0.0 if diff == 0 else math.inf)
    if exact_variance is not None:
        if set(exact_variance) != set(estimates):
            raise ValueError(f"exact_variance must have the keys of estimates {sorted(estimates)}, "
                             f"got {sorted(exact_variance)}")
        exact_variance = {k: nonneg(exact_variance[k], f"exact_variance[{k!r}]") for k in estimates}
    return EstimatorStats(exact, **stats, target_name=str(target_name), exact_variance=exact_variance)


def _flat_encoder_gradient(vae: VAE, objective: Tensor) -> Tensor:
    params = [p for p in vae.encoder.parameters() if p.requires_grad]  # as aebook.vae.encoder_gradient
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(objective, params)])


def exact_encoder_gradient(model: LinearGaussianModel, vae: VAE, x: Tensor) -> Tensor:
    """∇_φ of the first term of (19.14), E_q[ln p(x | z, w)] averaged over the batch ``x``, for
    the encoder of ``vae`` and the decoder of the linear-Gaussian ``model``: autograd through
    the closed form ``model.elbo(...)["recon"]``, no sampling. Flattened over the encoder's
    parameters in the order of :func:`aebook.vae.encoder_gradient`, ``(P,)``."""
    if not isinstance(model, LinearGaussianModel):
        raise TypeError(f"model must be a LinearGaussianModel, got {type(model).__name__}")
    if (vae.encoder.D, vae.encoder.M) != (model.D, model.M):
        raise ValueError(f"vae's encoder must map D={model.D} to M={model.M} like model, "
                         f"got D={vae.encoder.D}, M={vae.encoder.M}")
    return _flat_encoder_gradient(vae, model.elbo(x, *vae.encode(x))["recon"].mean())


def score_function_gradient(vae: VAE, x: Tensor, n_samples: int = 1, *,
                            G: Callable[[Tensor], Tensor] | None = None) -> Tensor:
    """One score-function estimate (Exercise 19.1) of ∇_φ E_q[G(z)], averaged over the batch:
    (1/L) Σ_l G(z^(l)) ∇_φ ln q(z^(l) | x, φ), z^(l) ~ q by ``torch.distributions.Normal.sample``
    (torch's global generator), flattened like :func:`exact_encoder_gradient`.

    ``G`` maps ln p(x | z, w), ``(L, N)``, to the values of G: ``None`` keeps ln p(x | z, w),
    the exercise's G (then this is ``encoder_gradient(..., estimator="score")``); ``torch.exp``
    gives the book's printed G = p(x | z, w) (errata 4), whose gradient is not that of (19.14)."""
    L = integer(n_samples, "n_samples")
    if G is not None and not callable(G):
        raise TypeError(f"G must be a function of ln p(x | z, w) or None, got {type(G).__name__}")
    mu, logvar = vae.encode(x)
    q = Normal(mu, (0.5 * logvar).exp())
    z = q.sample((L,))
    with torch.no_grad():
        log_p = vae.decoder.log_prob(x, vae.decode(z))
        values = log_p if G is None else G(log_p)
    return _flat_encoder_gradient(vae, (values * q.log_prob(z).sum(-1)).mean())
