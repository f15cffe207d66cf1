"""Named experiments of sections 19.2 and 19.2.1.

=================================  ==========================================================
:func:`mnist_vae`                  a 784-400-M Bernoulli VAE on MNIST-5k: held-out ELBO and its
                                   two terms, importance-weighted bounds for k = 1 ... 1000,
                                   active units (Burda et al. 2016)
:func:`estimator_variance`         ln p(x) on the exact linear-Gaussian model: naive sampling
                                   from p(z) against importance sampling with q
:func:`amortization_gap`           the gap a trained encoder leaves on the linear-Gaussian
                                   model, split into the Gaussian family's part and the
                                   amortisation part (Cremer et al. 2018)
:func:`arc_posterior`              Fig. 19.7: a bimodal posterior under a unimodal prior
:func:`arc_elbo_steps`             Fig. 19.8: one φ step and one w step on the arc model
:func:`arc_em_vs_vae`              Fig. 19.9: EM against joint VAE training on the arc model
=================================  ==========================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .._checks import seed as check_seed
from ..arc import ArcModel
from ..config import seed_everything
from ..metrics import active_units
from ..vae import (
    VAE,
    BernoulliDecoder,
    GaussianEncoder,
    LinearGaussianModel,
    VAELoss,
    elbo,
    iwae_bound,
    log_px_prior_sampling,
)
from ._data import mnist_data
from .registry import Schedule, configure, experiment

__all__ = ["VAEConfig", "MnistVAEResult", "mnist_vae", "mnist_vae_2d", "EstimatorVariance", "estimator_variance",
           "AmortizationGap", "amortization_gap", "ARC_N", "ARC_SIGMA", "ARC_TRUE_W",
           "arc_data", "ArcPosterior", "arc_posterior", "ArcSteps", "arc_elbo_steps", "ArcTraining", "arc_em_vs_vae"]


@dataclass(frozen=True)
class VAEConfig(Schedule):
    """Bernoulli VAE ``784 → hidden (ReLU) → M`` and back; IWAE evaluated at each of ``ks``."""

    M: int
    hidden: tuple[int, ...]
    ks: tuple[int, ...]


configure("vae_mnist",
          quick=VAEConfig(M=20, hidden=(400,), epochs=30, batch_size=128, lr=1e-3, ks=(1, 10, 100, 1000)),
          full=VAEConfig(M=50, hidden=(400,), epochs=60, batch_size=128, lr=1e-3, ks=(1, 10, 100, 1000, 5000)),
          paper=VAEConfig(M=50, hidden=(400,), epochs=300, batch_size=128, lr=1e-3, ks=(1, 10, 100, 1000, 5000)))
# A two-dimensional latent space, to be looked at (Kingma & Welling 2014, Fig. 4).
configure("vae_mnist_2d",
          quick=VAEConfig(M=2, hidden=(400,), epochs=30, batch_size=128, lr=1e-3, ks=(1, 100)),
          full=VAEConfig(M=2, hidden=(400,), epochs=40, batch_size=128, lr=1e-3, ks=(1, 1000)),
          paper=VAEConfig(M=2, hidden=(400,), epochs=200, batch_size=128, lr=1e-3, ks=(1, 1000)))


@dataclass(frozen=True, eq=False)
class MnistVAEResult:
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


@experiment(config="vae_mnist", maxsize=4)
def mnist_vae(c: VAEConfig, mode: str | None = None, seed: int = 0) -> MnistVAEResult:
    """Train a Bernoulli VAE on MNIST-5k's grey-level pixels (no binarisation) and evaluate it on
    the 1000 held-out digits. Quick: M = 20, 30 epochs (about 5 s), k up to 1000 (about 8 s).
    Full: the standard MNIST (60 000 / 10 000), M = 50, 60 epochs (about 5 s each on one
    thread), k up to 5000.

    Not comparable with Burda et al. (2016), who report a test −ln p(x) of 86.76 / 86.35 nats
    for one-layer VAEs *trained* with k = 1 / 50 samples per gradient (all evaluated with
    k = 5000) on dynamically binarised MNIST, 60 000 images, 3280 passes: the
    Bernoulli likelihood of grey levels is not a likelihood of binary data, and we train on
    4000 images briefly. Only the shape of the results (ℒ_1 < ℒ_10 < ... ≤ ln p(x)) carries over.

    """
    return _train_mnist_vae(c, mode, seed)


@experiment(config="vae_mnist_2d", maxsize=4)
def mnist_vae_2d(c: VAEConfig, mode: str | None = None, seed: int = 0) -> MnistVAEResult:
    """The VAE of :func:`mnist_vae` with a two-dimensional latent space (M = 2), whose latent
    space can be drawn."""
    return _train_mnist_vae(c, mode, seed)


def _train_mnist_vae(c: VAEConfig, mode: str, seed: int) -> MnistVAEResult:
    data = mnist_data(mode)
    seed_everything(seed)
    model = VAE(GaussianEncoder(data.dim, c.M, hidden=c.hidden),
                BernoulliDecoder(c.M, data.dim, hidden=c.hidden))
    c.fit(model, VAELoss(), data.x_train, seed=seed, name="vae")
    x = data.x_test
    with torch.no_grad():
        e = elbo(model, x, 1, generator=torch.Generator().manual_seed(seed))
        iw = {k: float(-iwae_bound(model, x, k, batch_k=100,
                                   generator=torch.Generator().manual_seed(seed)).mean())
              for k in c.ks}
    return MnistVAEResult(neg_elbo=float(-e["elbo"].mean()), neg_recon=float(-e["recon"].mean()),
                          kl=float(e["kl"].mean()), neg_iwae=iw, active=active_units(model, x), M=c.M,
                          model=model, config=c)


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


def _maximise(params, objective, steps: int, lr: float) -> None:
    """``steps`` Adam steps of ascent on the scalar ``objective()`` over ``params``."""
    opt = torch.optim.Adam(params, lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        (-objective()).backward()
        opt.step()


# -- the gap an amortised encoder leaves, on a model where it is exact ----------------

@dataclass(frozen=True, eq=False)
class AmortizationGap:
    """Result of :func:`amortization_gap`, in nats per held-out point (means over points).

    ``exact_gap``: ln p(x) − ELBO with q the exact posterior (orthogonal W, where the posterior
    is diagonal): zero up to rounding. For the correlated model: ``family_gap`` is
    KL(q* ‖ p(z|x)) for the best diagonal q* (what the Gaussian family itself leaves);
    ``gap[name]`` is ln p(x) − ELBO for each trained encoder (``"linear"``: a linear map, which
    can represent q* exactly; ``"mlp"``: one tanh hidden layer); ``amortization[name]`` =
    gap − family_gap. ``identity_error``: max |ln p − ELBO − KL(q ‖ p(z|x))| over points and
    encoders (19.6)."""

    exact_gap: float
    family_gap: float
    gap: dict
    amortization: dict
    identity_error: float
    posterior_corr: float
    encoders: dict


@experiment(maxsize=2)
def amortization_gap(seed: int = 0, steps: int = 1500) -> AmortizationGap:
    """Train amortised Gaussian encoders q(z | x, φ) (19.13) against the fixed decoder of a
    linear-Gaussian model (D = 8, M = 2, σ = 0.5, W with correlated columns so the posterior
    is correlated) by maximising the closed-form ELBO of 2000 samples with Adam; measure the
    gap on 1000 fresh samples, where ln p(x) and the posterior are exact."""
    g = torch.Generator().manual_seed(seed)
    D, M, sigma = 8, 2, 0.5
    # orthogonal columns: the posterior is diagonal and as_vae() holds it exactly
    Q = torch.linalg.qr(torch.randn(D, M, generator=g, dtype=torch.float64))[0]
    ortho = LinearGaussianModel(Q * torch.tensor([2.0, 1.0], dtype=torch.float64),
                                torch.randn(D, generator=g, dtype=torch.float64), sigma)
    x0 = ortho.sample(1000, generator=g)
    vae0 = ortho.as_vae()
    with torch.no_grad():
        mu0, lv0 = vae0.encoder(x0)
        exact_gap = float((ortho.log_px(x0) - ortho.elbo(x0, mu0, lv0)["elbo"]).abs().max())
    # correlated columns: angle 30 degrees between them
    c = torch.tensor([[1.0, math.cos(math.pi / 6)], [0.0, math.sin(math.pi / 6)]], dtype=torch.float64)
    lg = LinearGaussianModel(Q @ c * 1.5, torch.randn(D, generator=g, dtype=torch.float64), sigma)
    x_tr, x_te = lg.sample(2000, generator=g), lg.sample(1000, generator=g)
    _, S = lg.posterior(x_te[:1])
    corr = float(S[0, 1] / (S[0, 0] * S[1, 1]).sqrt())
    log_px = lg.log_px(x_te)
    mb, lb = lg.best_diagonal(x_te)
    family = float(lg.kl_to_posterior(x_te, mb, lb).mean())
    gaps, amort, encs, ident = {}, {}, {}, 0.0
    for name, hidden in (("linear", ()), ("mlp", (32,))):
        torch.manual_seed(seed)
        enc = GaussianEncoder(D, M, hidden=hidden, activation="tanh").double()
        _maximise(enc.parameters(), lambda enc=enc: lg.elbo(x_tr, *enc(x_tr))["elbo"].mean(), steps, 1e-2)
        enc.eval()
        with torch.no_grad():
            mu, lv = enc(x_te)
            el = lg.elbo(x_te, mu, lv)["elbo"]
            kl = lg.kl_to_posterior(x_te, mu, lv)
        ident = max(ident, float((log_px - el - kl).abs().max()))
        gaps[name] = float((log_px - el).mean())
        amort[name] = gaps[name] - family
        encs[name] = enc
    return AmortizationGap(exact_gap=exact_gap, family_gap=family, gap=gaps, amortization=amort,
                           identity_error=ident, posterior_corr=corr, encoders=encs)


# -- Figs. 19.7-19.9: the arc model, where ln p(x | w) and the posterior are exact -------------

ARC_TRUE_W, ARC_SIGMA, ARC_N = 1.0, 0.15, 200


def _arc_encoder(seed: int) -> GaussianEncoder:
    torch.manual_seed(seed)
    return GaussianEncoder(2, 1, hidden=(32, 32), activation="tanh").double()


def arc_data(seed: int = 0) -> torch.Tensor:
    """``ARC_N`` = 200 points from the arc model with radius w = 1, rate a = 1.25, σ = 0.15,
    ``(200, 2)``."""
    return ArcModel(ARC_TRUE_W, ARC_SIGMA).sample(ARC_N, generator=torch.Generator().manual_seed(check_seed(seed)))


def _fit_encoder(model: ArcModel, enc: GaussianEncoder, x: torch.Tensor, steps: int,
                 lr: float = 1e-2) -> GaussianEncoder:
    """The φ step: maximise the mean ELBO over the encoder with w fixed."""
    _maximise(enc.parameters(), lambda: model.elbo(x, *enc(x))["elbo"].mean(), steps, lr)
    return enc


@torch.no_grad()
def _elbo_curve(model: ArcModel, enc: GaussianEncoder, x: torch.Tensor, ws: torch.Tensor) -> torch.Tensor:
    mu, lv = enc(x)
    return torch.stack([model.elbo(x, mu, lv, w=w)["elbo"].mean() for w in ws])


@dataclass(frozen=True, eq=False)
class ArcSteps:
    """Result of :func:`arc_elbo_steps` (Fig. 19.8), per-point means in nats.

    ``ws``: the grid of w; ``log_px``: ln p(x | w) on it; ``elbo_old`` / ``elbo_new``: the ELBO
    as a function of w with the encoder before / after the φ step at ``w0``; ``w1``: the w step's
    result (argmax of ``elbo_new``); ``w_mle``: argmax of ``log_px``; ``gap0_old`` / ``gap0_new``:
    the gap at w0 before / after the φ step; ``gap1``: the gap at w1."""

    ws: torch.Tensor
    log_px: torch.Tensor
    elbo_old: torch.Tensor
    elbo_new: torch.Tensor
    w0: float
    w1: float
    w_mle: float
    gap0_old: float
    gap0_new: float
    gap1: float


@experiment(maxsize=2)
def arc_elbo_steps(seed: int = 0) -> ArcSteps:
    """One round of VAE-style coordinate ascent on the arc model, with w on a grid: the
    encoder has had 20 Adam steps at w0 = 0.6, as early in training (``elbo_old``); the φ step
    trains it for 600 more at w0 (``elbo_new``); the w step moves w to the maximum of
    ``elbo_new``."""
    x = arc_data(seed)
    model = ArcModel(0.6, ARC_SIGMA)
    ws = torch.linspace(0.3, 1.5, 121, dtype=torch.float64)
    with torch.no_grad():
        log_px = torch.stack([model.log_px(x, w=w).mean() for w in ws])
    enc = _fit_encoder(model, _arc_encoder(seed), x, 20)
    elbo_old = _elbo_curve(model, enc, x, ws)
    enc = _fit_encoder(model, enc, x, 600)
    elbo_new = _elbo_curve(model, enc, x, ws)
    i0 = int(torch.argmin((ws - 0.6).abs()))
    i1 = int(torch.argmax(elbo_new))
    return ArcSteps(ws=ws, log_px=log_px, elbo_old=elbo_old, elbo_new=elbo_new, w0=float(ws[i0]),
                    w1=float(ws[i1]), w_mle=float(ws[int(torch.argmax(log_px))]),
                    gap0_old=float(log_px[i0] - elbo_old[i0]), gap0_new=float(log_px[i0] - elbo_new[i0]),
                    gap1=float(log_px[i1] - elbo_new[i1]))


@dataclass(frozen=True, eq=False)
class ArcTraining:
    """Result of :func:`arc_em_vs_vae` (Fig. 19.9), per-point means in nats.

    ``em``: a list of dicts, one per EM step (``log_px_before``, ``elbo_after_m``,
    ``log_px_after``, ``w``); ``vae_steps``, ``vae_log_px``, ``vae_elbo``, ``vae_w``: the joint
    gradient ascent on (w, φ), recorded every few steps; ``w_mle``, ``log_px_mle``: the maximum
    likelihood solution (by L-BFGS on the exact ln p(x | w)); ``family_gap``: the gap left at
    the VAE's final w by the best Gaussian q_n fitted to each point separately (no encoder)."""

    em: list
    vae_steps: list
    vae_log_px: list
    vae_elbo: list
    vae_w: list
    w_mle: float
    log_px_mle: float
    w_start: float
    family_gap: float


@experiment(maxsize=2)
def arc_em_vs_vae(seed: int = 0, w_start: float = 0.6, em_steps: int = 5,
                  vae_steps: int = 1500, record_every: int = 25) -> ArcTraining:
    """EM against VAE training on the arc model's 200 points, both from ``w_start``.

    EM alternates the exact E step (q = the posterior on the grid) with an M step in w. The
    VAE maximises the ELBO over (w, φ) jointly with Adam (learning rate 1e-2 decayed
    exponentially to 1e-4), its encoder a
    2-32-32-(μ, ln σ²) tanh MLP; the expectation in the ELBO is taken by Gauss–Hermite
    quadrature, i.e. these are the mean gradients that stochastic training follows."""
    x = arc_data(seed)
    mle = ArcModel(w_start, ARC_SIGMA)
    ws = torch.linspace(0.3, 2.0, 171, dtype=torch.float64)
    with torch.no_grad():
        mle.w.fill_(float(ws[int(torch.argmax(torch.stack([mle.log_px(x, w=w).mean() for w in ws])))]))
    opt = torch.optim.LBFGS([mle.w], max_iter=50, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = -mle.log_px(x).mean()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        log_px_mle = float(mle.log_px(x).mean())
    em_model = ArcModel(w_start, ARC_SIGMA)
    em = [em_model.em_step(x) for _ in range(em_steps)]
    model = ArcModel(w_start, ARC_SIGMA)
    enc = _arc_encoder(seed)
    opt = torch.optim.Adam([*enc.parameters(), model.w], lr=1e-2)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.01 ** (1 / vae_steps) if vae_steps else 1.0)
    steps, lp, el, wv = [], [], [], []
    for s in range(vae_steps + 1):
        if s % record_every == 0:
            with torch.no_grad():
                steps.append(s)
                lp.append(float(model.log_px(x).mean()))
                el.append(float(model.elbo(x, *enc(x))["elbo"].mean()))
                wv.append(float(model.w.detach()))
        if s == vae_steps:
            break
        opt.zero_grad()
        (-model.elbo(x, *enc(x))["elbo"].mean()).backward()
        opt.step()
        sched.step()
    # the best Gaussian per point at the final w, started from the encoder's answer: what is
    # left of the gap without amortisation
    with torch.no_grad():
        mu0, lv0 = enc(x)
    mu, lv = mu0.reshape(-1).clone().requires_grad_(), lv0.reshape(-1).clone().requires_grad_()
    _maximise([mu, lv], lambda: model.elbo(x, mu, lv)["elbo"].sum(), 1000, 1e-2)
    with torch.no_grad():
        family = float((model.log_px(x) - model.elbo(x, mu, lv)["elbo"]).mean())
    return ArcTraining(em=em, vae_steps=steps, vae_log_px=lp, vae_elbo=el, vae_w=wv,
                       w_mle=float(mle.w.detach()), log_px_mle=log_px_mle, w_start=float(w_start),
                       family_gap=family)


@dataclass(frozen=True, eq=False)
class ArcPosterior:
    """Result of :func:`arc_posterior` (Fig. 19.7).

    ``x_star``; ``z``, ``posterior``: p(z | x*) on the grid; ``modes``: its local maxima above
    1/1000 of the highest (z values,
    highest first) and ``mode_mass``: the posterior mass on each side of the lowest point between
    the two highest modes; ``q_mu``, ``q_logvar``: the Gaussian q(z) that maximises the ELBO of x*
    alone (started at z = 1); ``gap``: ln p(x*) − ELBO(q) = KL(q ‖ p(z | x*)); ``log_px_star``;
    ``grid_x1``, ``grid_x2``, ``log_px_grid``: ln p(x) on a 2-D grid for the marginal map."""

    x_star: torch.Tensor
    z: torch.Tensor
    posterior: torch.Tensor
    modes: list
    mode_mass: tuple
    q_mu: float
    q_logvar: float
    gap: float
    log_px_star: float
    grid_x1: torch.Tensor
    grid_x2: torch.Tensor
    log_px_grid: torch.Tensor


@experiment(maxsize=2)
def arc_posterior(x_star: tuple[float, float] = (-0.95, 0.05), n_map: int = 161) -> ArcPosterior:
    """The exact posterior of a point between the arc's horns, the best Gaussian fit to it, and
    the marginal density p(x) on an ``n_map`` × ``n_map`` grid over [−1.6, 1.6]²."""
    model = ArcModel(ARC_TRUE_W, ARC_SIGMA)
    xs = torch.tensor([x_star], dtype=torch.float64)
    with torch.no_grad():
        post = model.posterior_grid(xs)[0]
        log_px_star = float(model.log_px(xs)[0])
    z = model.z_grid
    inner = (post[1:-1] > post[:-2]) & (post[1:-1] >= post[2:])
    idx = [i for i in (torch.nonzero(inner).flatten() + 1).tolist()
           if post[i] > 1e-3 * post.max()]  # ignore the far wrap-round bumps (< 1e-10)
    idx.sort(key=lambda i: -float(post[i]))
    modes = [float(z[i]) for i in idx]
    if len(idx) >= 2:
        lo, hi = sorted(idx[:2])
        cut = lo + int(torch.argmin(post[lo:hi + 1]))
        dz = float(z[1] - z[0])
        mass = (float(post[:cut].sum() * dz), float(post[cut:].sum() * dz))
    else:
        mass = (1.0, 0.0)
    mu = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    lv = torch.tensor([-2.0], dtype=torch.float64, requires_grad=True)
    _maximise([mu, lv], lambda: model.elbo(xs, mu, lv)["elbo"].sum(), 800, 0.05)
    with torch.no_grad():
        gap = log_px_star - float(model.elbo(xs, mu, lv)["elbo"][0])
        g = torch.linspace(-1.6, 1.6, n_map, dtype=torch.float64)
        X1, X2 = torch.meshgrid(g, g, indexing="xy")
        pts = torch.stack((X1.flatten(), X2.flatten()), 1)
        lp = torch.cat([model.log_px(pts[i:i + 2000]) for i in range(0, len(pts), 2000)])
    return ArcPosterior(x_star=xs[0], z=z, posterior=post, modes=modes, mode_mass=mass,
                        q_mu=float(mu.detach()), q_logvar=float(lv.detach()), gap=gap,
                        log_px_star=log_px_star, grid_x1=g, grid_x2=g,
                        log_px_grid=lp.reshape(n_map, n_map))
