"""Named experiments of section 19.2 (groundwork; the pages come with issue 6).

=================================  ==========================================================
:func:`mnist_vae`                  a 784-400-M Bernoulli VAE on MNIST-5k: held-out ELBO and its
                                   two terms, importance-weighted bounds for k = 1 ... 1000,
                                   active units (Burda et al. 2016)
:func:`estimator_variance`         ln p(x) on the exact linear-Gaussian model: naive sampling
                                   from p(z) against importance sampling with q
=================================  ==========================================================
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from ..config import get_mode, seed_everything
from ..vae import (
    VAE, BernoulliDecoder, GaussianEncoder, LinearGaussianModel, elbo, iwae_bound,
    log_px_prior_sampling, vae_loss,
)
from ._base import _CONFIGS, _check_seed, _train, cached, config_for, mnist_data

__all__ = ["VAEConfig", "MnistVAE", "mnist_vae", "EstimatorVariance", "estimator_variance",
           "active_units"]


@dataclass(frozen=True)
class VAEConfig:
    """Bernoulli VAE ``784 → hidden (ReLU) → M`` and back; IWAE evaluated at each of ``ks``."""

    M: int
    hidden: tuple[int, ...]
    epochs: int
    batch_size: int
    lr: float
    ks: tuple[int, ...]


_CONFIGS["quick"]["vae_mnist"] = VAEConfig(M=20, hidden=(400,), epochs=30, batch_size=128, lr=1e-3,
                                           ks=(1, 10, 100, 1000))
_CONFIGS["full"]["vae_mnist"] = VAEConfig(M=50, hidden=(400,), epochs=500, batch_size=128, lr=1e-3,
                                          ks=(1, 10, 100, 1000, 5000))


@torch.no_grad()
def active_units(model: VAE, x: torch.Tensor, threshold: float = 0.01) -> int:
    """Latent dimensions u with Cov_x(E_q[u | x]) > ``threshold`` (Burda et al. 2016)."""
    mu, _ = model.encoder(x)
    return int((mu.var(0) > threshold).sum())


@dataclass(frozen=True, eq=False)
class MnistVAE:
    """Result of :func:`mnist_vae`, per held-out image, in nats: ``neg_elbo`` = −ℒ (one sample),
    ``neg_recon`` = −E_q ln p(x|z), ``kl``; ``neg_iwae[k]`` = −ℒ_k for each k (an upper bound
    on −ln p(x) that tightens as k grows); ``active``: active units out of ``M``."""

    neg_elbo: float
    neg_recon: float
    kl: float
    neg_iwae: dict
    active: int
    M: int
    model: VAE
    config: VAEConfig
    wall_time_s: float


def mnist_vae(mode: str | None = None, seed: int = 0) -> MnistVAE:
    """Train a Bernoulli VAE on MNIST-5k's grey-level pixels (no binarisation) and evaluate it on
    the 1000 held-out digits. Quick: M = 20, 30 epochs (about 5 s), k up to 1000 (about 8 s).

    Not comparable with Burda et al. (2016), who report 86.76 / 86.35 nats (k = 1 / 50) for a
    one-layer VAE on dynamically binarised MNIST trained on 60 000 images for 3280 passes: the
    Bernoulli likelihood of grey levels is not a likelihood of binary data, and we train on
    4000 images briefly. Only the shape of the results (ℒ_1 < ℒ_10 < ... ≤ ln p(x)) carries over.
    """
    return _mnist_vae(get_mode(mode), _check_seed(seed))


@cached(maxsize=2)
def _mnist_vae(mode: str, seed: int) -> MnistVAE:
    c = config_for("vae_mnist", mode)
    data = mnist_data(mode)
    seed_everything(seed)
    model = VAE(GaussianEncoder(data.dim, c.M, hidden=c.hidden),
                BernoulliDecoder(c.M, data.dim, hidden=c.hidden))
    start = time.perf_counter()
    _train(model, data.x_train, c.epochs, c.batch_size, c.lr, seed, loss_fn=vae_loss())
    wall = time.perf_counter() - start
    x = data.x_test
    with torch.no_grad():
        e = elbo(model, x, 1, generator=torch.Generator().manual_seed(seed))
        iw = {k: float(-iwae_bound(model, x, k, batch_k=100,
                                   generator=torch.Generator().manual_seed(seed)).mean())
              for k in c.ks}
    return MnistVAE(neg_elbo=float(-e["elbo"].mean()), neg_recon=float(-e["recon"].mean()),
                    kl=float(e["kl"].mean()), neg_iwae=iw, active=active_units(model, x), M=c.M,
                    model=model, config=c, wall_time_s=wall)


@dataclass(frozen=True)
class EstimatorVariance:
    """Variance over ``repeats`` runs of two estimates of ln p(x) with ``k`` samples each, on
    ``n_points`` points of a linear-Gaussian model (mean over points), and their mean errors
    against the exact value. ``q`` is the exact posterior's diagonal with its log-variance
    raised by 0.5 (a good but imperfect encoder)."""

    k: int
    prior_var: float
    importance_var: float
    prior_bias: float
    importance_bias: float


def estimator_variance(k: int = 200, repeats: int = 30, n_points: int = 5,
                       seed: int = 0) -> EstimatorVariance:
    """Naive Monte Carlo with z ~ p(z) against importance sampling with q, on a 5-D
    linear-Gaussian model with a 2-D latent (W with orthogonal columns of length 2 and 1,
    σ = 0.5), where ln p(x) is exact."""
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(5, 2, generator=g, dtype=torch.float64)
    W = torch.linalg.qr(A)[0] * torch.tensor([2.0, 1.0], dtype=torch.float64)
    lg = LinearGaussianModel(W, torch.randn(5, generator=g, dtype=torch.float64), 0.5)
    x = lg.sample(n_points, generator=g)
    exact = lg.log_px(x)
    good = lg.as_vae()
    with torch.no_grad():
        good.encoder.head.bias[lg.M:] += 0.5
        naive = torch.stack([log_px_prior_sampling(good, x, k, generator=torch.Generator().manual_seed(s))
                             for s in range(repeats)])
        imp = torch.stack([iwae_bound(good, x, k, generator=torch.Generator().manual_seed(s))
                           for s in range(repeats)])
    return EstimatorVariance(k=k, prior_var=float(naive.var(0).mean()),
                             importance_var=float(imp.var(0).mean()),
                             prior_bias=float((naive - exact).mean()),
                             importance_bias=float((imp - exact).mean()))
