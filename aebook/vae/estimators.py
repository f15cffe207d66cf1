"""Estimators around the ELBO: the gradient with and without the reparameterization trick
(section 19.2.2, Exercise 19.1), one step of Algorithm 19.1 written out, and two estimates of
ln p(x) (section 19.2).

=====================================  =========================================================
:func:`encoder_gradient`               ∇_φ of the first term of (19.14): reparameterised or
                                       score-function (REINFORCE) estimate
:func:`training_step`                  one step of Algorithm 19.1, line by line (errata 2)
:func:`gradient_flow`                  which network autograd reaches with ``sample`` vs
                                       ``rsample`` (Figs. 19.10-19.11)
:func:`iwae_bound`                     the importance-weighted bound with k samples, batched
:func:`log_px_prior_sampling`          naive Monte Carlo ln p(x) with z ~ p(z)
=====================================  =========================================================
"""

from __future__ import annotations

import math

import torch

from .._checks import integer, on_model, randn, rows
from .model import VAE, log_q
from .objectives import kl_std_normal

Tensor = torch.Tensor

__all__ = ["encoder_gradient", "gradient_flow", "iwae_bound", "log_px_prior_sampling", "training_step"]


def encoder_gradient(model: VAE, x: Tensor, n_samples: int = 1, *, estimator: str = "reparam",
                     baseline: bool = False, y: Tensor | None = None,
                     generator: torch.Generator | None = None) -> Tensor:
    """One Monte Carlo estimate of ∇_φ of the first term of (19.14), averaged over the batch,
    ``E_q[ln p(x | z, w)]``, flattened over the encoder's parameters, ``(P,)``.

    * ``"reparam"``: z = μ + σ ε (19.17) and autograd through z (section 19.2.2).
    * ``"score"``: the score-function (REINFORCE) estimator of Exercise 19.1 (Williams 1992),
      ``G(z) ∇_φ ln q(z | x, φ)`` with z held fixed and G(z) = ln p(x | z, w) (the book prints
      p(x | z, w): errata 4). ``baseline=True`` subtracts the sample mean of G per point (a
      control variate with L ≥ 2 samples; it is then unbiased up to a factor (L−1)/L on the
      centred term, so we rescale by L/(L−1)).

    Both are unbiased estimates of the same gradient; their variances differ greatly.
    """
    S = integer(n_samples, "n_samples")
    if estimator not in ("reparam", "score"):
        raise ValueError(f"estimator must be 'reparam' or 'score', got {estimator!r}")
    if baseline and (estimator != "score" or S < 2):
        raise ValueError("baseline=True needs estimator='score' and n_samples >= 2")
    params = [p for p in model.encoder.parameters() if p.requires_grad]
    mu, logvar = model.encode(x, y)
    if estimator == "reparam":
        z = model.rsample(mu, logvar, S, generator=generator)
        objective = model.decoder.log_prob(x, model.decode(z, y)).mean()
    else:
        with torch.no_grad():
            z = model.rsample(mu, logvar, S, generator=generator)
            G = model.decoder.log_prob(x, model.decode(z, y))  # (S, N)
            if baseline:
                G = (G - G.mean(0, keepdim=True)) * (S / (S - 1))
        objective = (G * log_q(z, mu, logvar)).mean()
    grads = torch.autograd.grad(objective, params)
    return torch.cat([g.reshape(-1) for g in grads])


def training_step(model: VAE, optimizer: torch.optim.Optimizer, x: Tensor, n_samples: int = 1, *,
                  y: Tensor | None = None, generator: torch.Generator | None = None) -> dict[str, float]:
    """One step of the book's Algorithm 19.1 on a minibatch ``x: (N, D)``, written out line by
    line (``fit`` with :class:`VAELoss` does the same with more bookkeeping)::

        μ, ln σ² = encoder(x_n)                           forward through the encoder (19.13)
        ε^(l) ~ N(0, I),  z^(l) = μ + σ ⊙ ε^(l)           (19.17)-(19.18), corrected (errata 2)
        ℒ = Σ_n { (1/L) Σ_l ln p(x_n | z^(l)) − KL_n }     (19.19), KL in closed form (19.15)
        w, φ ← step along ∇ℒ                             ascent on ℒ = descent on −ℒ

    The optimiser minimises −ℒ/N (the mean over the minibatch, so the step size does not
    depend on N). Returns the minibatch means of ``elbo``, ``recon`` = E_q ln p(x|z) and ``kl``.
    """
    L = integer(n_samples, "n_samples")
    mu, logvar = model.encode(x, y)                          # encoder forward pass
    sigma = torch.exp(0.5 * logvar)
    eps = randn((L, *mu.shape), like=mu, generator=generator)  # ε ~ N(0, I)
    z = mu + sigma * eps                                     # z = μ + σ ε, not μ ε + σ²
    log_px_z = model.decoder.log_prob(x, model.decode(z, y))  # decoder forward, (L, N)
    recon = log_px_z.mean(0)                                 # (1/L) Σ_l ln p(x_n | z^(l))
    kl = kl_std_normal(mu, logvar)                           # closed form, ≥ 0
    elbo_n = recon - kl                                      # ℒ_n
    optimizer.zero_grad()
    (-elbo_n.mean()).backward()                              # gradients for w and φ at once
    optimizer.step()
    with torch.no_grad():
        return {"elbo": float(elbo_n.mean()), "recon": float(recon.mean()), "kl": float(kl.mean())}


def gradient_flow(model: VAE, x: Tensor, *, reparameterize: bool, term: str = "recon",
                  y: Tensor | None = None, generator: torch.Generator | None = None) -> dict[str, float | None]:
    """What autograd delivers to each network from one sampled ELBO (Figs. 19.10 and 19.11).

    With ``reparameterize=False`` z is drawn as a plain sample (``Normal(μ, σ).sample()``, a
    constant as far as autograd knows); with ``True`` as z = μ + σ ε (``rsample``). ``term``
    chooses the objective: ``"recon"`` (the first term of (19.14), the Monte Carlo one) or
    ``"elbo"`` (recon − KL, with the KL in closed form). Returns the gradient norms
    ``{"encoder": ..., "decoder": ...}``, where ``None`` means no gradient reached that network
    at all (autograd found no path), which is different from a zero gradient.
    """
    if term not in ("recon", "elbo"):
        raise ValueError(f"term must be 'recon' or 'elbo', got {term!r}")
    mu, logvar = model.encode(x, y)
    z = model.rsample(mu, logvar, generator=generator)[0]
    if not reparameterize:
        z = z.detach()  # what Normal(μ, σ).sample() returns: the same numbers, a constant to autograd
    objective = model.decoder.log_prob(x, model.decode(z, y))
    if term == "elbo":
        objective = objective - kl_std_normal(mu, logvar)
    out: dict[str, float | None] = {}
    for name, net in (("encoder", model.encoder), ("decoder", model.decoder)):
        params = [p for p in net.parameters() if p.requires_grad]
        grads = torch.autograd.grad(objective.mean(), params, retain_graph=True, allow_unused=True)
        got = [g for g in grads if g is not None]
        out[name] = float(torch.sqrt(sum(g.pow(2).sum() for g in got))) if got else None
    return out



def _log_mean_exp(a: Tensor, dim: int = 0) -> Tensor:
    return torch.logsumexp(a, dim=dim) - math.log(a.shape[dim])


@torch.no_grad()
def iwae_bound(model: VAE, x: Tensor, k: int, *, batch_k: int = 500, batch_n: int = 1000,
               y: Tensor | None = None, generator: torch.Generator | None = None) -> Tensor:
    """The importance-weighted bound (Burda et al. 2016) per point, ``(N,)``: an estimate of
    ln p(x) (19.4) that, like the ELBO, never exceeds it (19.9)::

        ℒ_k = E[ ln (1/k) Σ_i p(x, z_i) / q(z_i | x) ],  z_i ~ q(z | x)

    ℒ_1 is the ELBO; ℒ_k rises toward ln p(x) as k grows. The points are taken ``batch_n`` at a
    time and their k samples drawn in chunks of ``batch_k`` (memory ∝ batch_k · batch_n · D),
    combined exactly with a running log-sum-exp.
    """
    k, batch_k, batch_n = integer(k, "k"), integer(batch_k, "batch_k"), integer(batch_n, "batch_n")
    x, y = on_model(model, x, y)
    out = []
    for i in range(0, x.shape[0], batch_n):
        xs, ys = x[i:i + batch_n], None if y is None else y[i:i + batch_n]
        mu, logvar = model.encode(xs, ys)
        acc = None
        done = 0
        while done < k:
            s = min(batch_k, k - done)
            z = model.rsample(mu, logvar, s, generator=generator)
            log_px_z, log_pz = model.log_joint_terms(xs, z, ys)
            lw = torch.logsumexp(log_px_z + log_pz - log_q(z, mu, logvar), dim=0)
            acc = lw if acc is None else torch.logaddexp(acc, lw)
            done += s
        out.append(acc - math.log(k))
    return torch.cat(out)


@torch.no_grad()
def log_px_prior_sampling(model: VAE, x: Tensor, k: int, *, batch_k: int = 500,
                          generator: torch.Generator | None = None) -> Tensor:
    """Naive Monte Carlo ``ln (1/k) Σ_i p(x | z_i)`` with z_i ~ p(z) = N(0, I), ``(N,)``.
    Consistent but of very high variance: most prior samples explain x badly."""
    k = integer(k, "k")
    rows(x, model.D)
    x = on_model(model, x)
    p = next(model.parameters())
    acc, done = None, 0
    while done < k:
        s = min(integer(batch_k, "batch_k"), k - done)
        z = randn((s, x.shape[0], model.M), like=p, generator=generator)
        lw = torch.logsumexp(model.decoder.log_prob(x, model.decode(z)), dim=0)
        acc = lw if acc is None else torch.logaddexp(acc, lw)
        done += s
    return acc - math.log(k)


