"""What a VAE is trained on: the KL term (19.15), the ELBO (19.14) and the objective (19.19),
with the KL weight β and free bits of section 19.2.2.

=====================================  =========================================================
:func:`kl_std_normal`                  KL(N(μ, diag σ²) ‖ N(0, I)), closed form (19.15), with
                                       the **correct sign** (printed as −KL; errata 1)
:func:`kl_per_dim`                     the same per latent dimension (posterior collapse)
:func:`elbo`                           (19.14) by L Monte Carlo samples (19.16), terms apart
:class:`VAELoss`                       −(19.19)/N for ``fit``, with a KL weight β (constant or
                                       :func:`beta_schedule`) and free bits
=====================================  =========================================================
"""

from __future__ import annotations

import math
from typing import Any

import torch

from .._checks import boolean, integer, nonneg, on_model, real, rows
from .model import VAE, log_q

Tensor = torch.Tensor

__all__ = ["IWAELoss", "VAELoss", "beta_schedule", "elbo", "kl_per_dim", "kl_std_normal"]


def kl_std_normal(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(q ‖ p) for q = N(μ, diag exp(logvar)) and p = N(0, I), per row: ``(...)``.

    ::

        KL = ½ Σ_j (μ_j² + σ_j² − 1 − ln σ_j²)  ≥ 0

    The book prints (19.15) as ``+½ Σ_j {1 + ln σ_j² − μ_j² − σ_j²}``, which is **−KL** (it
    is ≤ 0); its (19.19), which *adds* that expression to the reconstruction term, is right.
    See the errata page.
    """
    if mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} and "
                         f"{tuple(logvar.shape)}")
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)



def elbo(model: VAE, x: Tensor, n_samples: int = 1, *, analytic_kl: bool = True,
         y: Tensor | None = None, generator: torch.Generator | None = None) -> dict[str, Tensor]:
    """The ELBO (19.14) per data point, by ``n_samples`` = L reparameterised samples::

        ℒ_n = E_q[ln p(x_n | z)] − KL(q(z | x_n) ‖ p(z))  ≈  (1/L) Σ_l ln p(x_n | z_l) − KL

    The first term is the Monte Carlo estimate (19.16); the split into expected
    log-likelihood minus KL is (19.25) of Exercise 19.6. Summed over the data set it is the
    bound (19.11) with one q_n per point, given here by the encoder.

    Returns a dict of ``(N,)`` tensors: ``"elbo"``, ``"recon"`` (the first term, the expected
    log-likelihood) and ``"kl"`` (the second; closed form by :func:`kl_std_normal`, or its
    Monte Carlo estimate with ``analytic_kl=False``). ``y``: labels, for a
    :class:`ConditionalVAE` only.
    """
    x, y = on_model(model, x, y)
    mu, logvar = model.encode(x, y)
    z = model.rsample(mu, logvar, n_samples, generator=generator)
    log_px_z, log_pz = model.log_joint_terms(x, z, y)
    recon = log_px_z.mean(0)
    kl = kl_std_normal(mu, logvar) if analytic_kl else (log_q(z, mu, logvar) - log_pz).mean(0)
    return {"elbo": recon - kl, "recon": recon, "kl": kl}


def kl_per_dim(mu: Tensor, logvar: Tensor) -> Tensor:
    """The terms of (19.15) (:func:`kl_std_normal`) before the sum over j: ½(μ_j² + σ_j² − 1 − ln σ_j²),
    shape of ``mu``. Their batch mean per dimension shows which latent units carry information
    and which have collapsed onto the prior (KL_j ≈ 0)."""
    if mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} and "
                         f"{tuple(logvar.shape)}")
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)




def beta_schedule(kind: str = "constant", *, beta: float = 1.0, warmup: int = 10,
                  cycle: int = 10, ratio: float = 0.5):
    """β as a function of the epoch (0-based), for the KL weight of :class:`VAELoss`.

    * ``"constant"``: β at every epoch (β = 1 is the ELBO; β > 1 is the β-VAE of Higgins et al.
      2017).
    * ``"linear"``: warm-up from 0 to β over ``warmup`` epochs (Bowman et al. 2016; Sønderby
      et al. 2016), then β.
    * ``"cyclic"``: repeated warm-ups (Fu et al. 2019): in each cycle of ``cycle`` epochs, β rises
      linearly over the first ``ratio`` of the cycle and then stays at β.
    """
    b = nonneg(beta, "beta")
    if kind == "constant":
        return lambda epoch: b
    w = integer(warmup, "warmup")
    if kind == "linear":
        return lambda epoch: b * min(1.0, epoch / w)
    if kind == "cyclic":
        c = integer(cycle, "cycle")
        rise = real(ratio, "ratio", low=0.0, high=1.0, low_open=True) * c
        return lambda epoch: b * min(1.0, (epoch % c) / rise)
    raise ValueError(f"kind must be 'constant', 'linear' or 'cyclic', got {kind!r}")


class VAELoss:
    """A training loss for :func:`aebook.train.fit`: the negative ELBO averaged over the batch
    (the book's (19.19) with the sign flipped for minimisation), optionally with a weighted and
    floored KL term. Summed over minibatches it is the data set's bound (19.11), which lies
    below the log-likelihood of the data (19.10)::

        loss = −E_q[ln p(x|z)] + β · Σ_j max(λ, KL_j)     (KL_j averaged over the batch)

    β = 1 and λ = 0 (the defaults) give exactly −(19.19)/N. ``beta`` is a number or a schedule
    ``epoch -> β`` (:func:`beta_schedule`); with a schedule, pass ``loss.callback`` to
    ``fit(callbacks=[...])`` so that β follows the epochs. ``free_bits`` λ ≥ 0 (Kingma et al.
    2016) stops pushing a latent dimension toward the prior once its KL is below λ nats.

    Logs ``recon`` (−E_q ln p(x|z)), ``kl`` (the true KL, unweighted and unfloored) and ``beta``.
    For a :class:`ConditionalVAE`, train on ``(x, y)`` pairs: the labels are ``batch[1]``.
    ``binarize=True`` trains on binary images drawn afresh for every batch,
    x̂ ~ Bernoulli(x) (dynamic binarisation, :func:`aebook.data.binarize`).
    """

    def __init__(self, n_samples: int = 1, *, beta=1.0, free_bits: float = 0.0, binarize: bool = False):
        self.n_samples = integer(n_samples, "n_samples")
        self.schedule = beta if callable(beta) else beta_schedule("constant", beta=beta)
        self.free_bits = nonneg(free_bits, "free_bits")
        self.binarize = boolean(binarize, "binarize")
        self.beta = float(self.schedule(0))

    def callback(self, epoch: int, history: Any = None, model: Any = None) -> bool:
        """For ``fit(callbacks=[...])``: after (1-based) epoch ``epoch``, use the schedule's β for
        the next one."""
        self.beta = float(self.schedule(epoch))
        return False

    def __call__(self, model: VAE, batch: tuple) -> dict[str, Tensor]:
        x = _inputs(model, batch, self.binarize)
        y = _batch_labels(model, batch)
        mu, logvar = model.encode(x, y)
        z = model.rsample(mu, logvar, self.n_samples)
        recon = model.log_joint_terms(x, z, y)[0].mean(0)
        kl = kl_std_normal(mu, logvar)
        if self.free_bits > 0:
            penalty = kl_per_dim(mu, logvar).mean(0).clamp(min=self.free_bits).sum()
            loss = -recon.mean() + self.beta * penalty
        else:  # written as −(ℒ_n).mean() so that β = 1 reproduces the plain ELBO bit for bit
            loss = -(recon - self.beta * kl).mean()
        return {"loss": loss, "recon": -recon.mean(), "kl": kl.mean().detach(),
                "beta": loss.new_tensor(self.beta)}


class IWAELoss:
    """A training loss for :func:`aebook.train.fit`: the negative importance-weighted bound
    ℒ_k of Burda et al. (2016) with k = ``n_samples`` reparameterised samples, averaged over the
    batch::

        loss = −(1/N) Σ_n ln (1/k) Σ_i p(x_n, z_i) / q(z_i | x_n),   z_i ~ q(z | x_n)

    With k = 1 it is the ELBO's Monte Carlo loss (with the KL sampled, not closed); as k grows
    the bound tightens toward ln p(x), and its gradient weights each sample by its importance.
    ``binarize`` as in :class:`VAELoss`. Logs ``bound`` (the mean ℒ_k).
    """

    def __init__(self, n_samples: int = 5, *, binarize: bool = False):
        self.n_samples = integer(n_samples, "n_samples")
        self.binarize = boolean(binarize, "binarize")

    def __call__(self, model: VAE, batch: tuple) -> dict[str, Tensor]:
        x = _inputs(model, batch, self.binarize)
        y = _batch_labels(model, batch)
        mu, logvar = model.encode(x, y)
        z = model.rsample(mu, logvar, self.n_samples)
        log_px_z, log_pz = model.log_joint_terms(x, z, y)
        bound = torch.logsumexp(log_px_z + log_pz - log_q(z, mu, logvar), dim=0) - math.log(self.n_samples)
        return {"loss": -bound.mean(), "bound": bound.mean().detach()}


def _inputs(model: VAE, batch: tuple, binarize: bool) -> Tensor:
    x = rows(batch[0], model.D)
    if binarize:
        from ..data import binarize as draw_binary

        x = draw_binary(x, check=False)
    return x


def _batch_labels(model: VAE, batch: tuple) -> Tensor | None:
    if not model.n_classes:
        return None
    if len(batch) < 2:
        raise ValueError("a ConditionalVAE trains on (x, y) pairs: pass fit(model, loss, (x, y))")
    return batch[1]

