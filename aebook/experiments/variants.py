"""Named experiments of section 19.2.2: the reparameterization trick, β, and VAE variants.

=================================  ==========================================================
:func:`gradient_variance`          reparameterised vs score-function gradients of (19.14)'s
                                   first term on the linear-Gaussian model: bias, variance
:func:`beta_sweep`                 MNIST-5k VAEs trained with KL weight β (Higgins et al. 2017)
:func:`collapse_remedies`          where plain training collapses every unit: linear or cyclic
                                   warm-up to the same β, and free bits
:func:`warmup_at_beta_one`         partial collapse with a wide latent at β = 1, ± warm-up
:func:`cvae_digits`                conditional VAEs for several M, judged by a classifier
:func:`conv_vs_mlp`                a convolutional VAE against the MLP VAE, same epochs
:func:`learned_variance`           a decoder that outputs a variance, on 2-D data whose noise
                                   level changes along a curve
=================================  ==========================================================
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import torch
from torch import nn

from .._checks import on_model
from ..config import seed_everything
from ..metrics import active_units, cross_entropy_loss
from ..models import MLPClassifier
from ..vae import (
    VAE,
    BernoulliDecoder,
    ConditionalVAE,
    ConvBernoulliDecoder,
    ConvGaussianEncoder,
    GaussianDecoder,
    GaussianEncoder,
    LinearGaussianModel,
    VAELoss,
    beta_schedule,
    elbo,
    encoder_gradient,
    kl_per_dim,
)
from ._data import mnist_data
from .registry import Schedule, configure, experiment

__all__ = ["GradVarConfig", "GradientVariance", "gradient_variance", "BetaConfig", "BetaRun", "BetaSweep",
           "beta_sweep", "collapse_remedies", "WarmupConfig", "warmup_at_beta_one", "CVAEConfig", "CVAEDigits",
           "cvae_digits", "digit_classifier", "ConvConfig", "ConvVsMLP", "conv_vs_mlp", "VarianceConfig",
           "LearnedVariance", "learned_variance", "heteroscedastic_arc_data", "heteroscedastic_sigma",
           "decoder_sigma_across"]


# Two unbiased estimators of the encoder's gradient, with very different variances

@dataclass(frozen=True)
class GradVarConfig:
    Ls: tuple[int, ...]
    draws: int


configure("gradient_variance", quick=GradVarConfig(Ls=(1, 4, 16, 64), draws=400),
          full=GradVarConfig(Ls=(1, 2, 4, 8, 16, 32, 64, 128), draws=4000))


@dataclass(frozen=True, eq=False)
class GradientVariance:
    """Per L (samples per estimate): the total variance (summed over the encoder's parameters)
    of each estimator, and its largest bias in standard errors against the exact gradient
    (``max |mean − exact| / s.e.``; about 3 or less for an unbiased estimator over ~30
    parameters). Keys ``"reparam"``, ``"score"``, ``"score+baseline"`` (L ≥ 2 only)."""

    Ls: tuple[int, ...]
    variance: dict        # name -> list over Ls (None where not defined)
    bias_se: dict         # name -> list over Ls
    n_params: int
    draws: int

    def ratio(self, name: str = "score") -> list[float | None]:
        """Variance of ``name`` over that of the reparameterised estimator, per L."""
        return [None if v is None else v / r for v, r in zip(self.variance[name], self.variance["reparam"])]


def _gradvar_model() -> tuple[LinearGaussianModel, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    W = torch.randn(5, 2, generator=g, dtype=torch.float64)
    lg = LinearGaussianModel(W, torch.randn(5, generator=g, dtype=torch.float64), 0.5)
    return lg, lg.sample(8, generator=torch.Generator().manual_seed(1))


@experiment(config="gradient_variance", maxsize=2)
def gradient_variance(c: GradVarConfig, mode: str | None = None, seed: int = 0) -> GradientVariance:
    """Section 19.2.2 and Exercise 19.1: estimate ∇_φ E_q[ln p(x | z, w)] many times with each
    estimator on the linear-Gaussian model (5-D x, 2-D z, a correlated posterior, q = the
    posterior's diagonal), where the expectation and its gradient have a closed form
    (:meth:`LinearGaussianModel.elbo`). Quick: L = 1, 4, 16, 64, 400 draws each (about 3 s)."""
    lg, x = _gradvar_model()
    vae = lg.as_vae(exact_posterior=True)
    params = list(vae.encoder.parameters())
    exact = torch.autograd.grad(lg.elbo(x, *vae.encoder(x))["recon"].mean(), params)
    exact = torch.cat([e.reshape(-1) for e in exact])
    g = torch.Generator().manual_seed(seed)
    names = ("reparam", "score", "score+baseline")
    var = {k: [] for k in names}
    bias = {k: [] for k in names}
    for L in c.Ls:
        for k in names:
            if k == "score+baseline" and L < 2:
                var[k].append(None)
                bias[k].append(None)
                continue
            est = torch.stack([encoder_gradient(vae, x, L, estimator=k.split("+")[0],
                                                baseline=k.endswith("baseline"), generator=g)
                               for _ in range(c.draws)])
            se = est.std(0) / math.sqrt(c.draws)
            var[k].append(float(est.var(0).sum()))
            bias[k].append(float(((est.mean(0) - exact).abs() / se.clamp_min(1e-300)).max()))
    return GradientVariance(Ls=c.Ls, variance=var, bias_se=bias, n_params=exact.numel(), draws=c.draws)


# β trades reconstruction for KL; posterior collapse and its remedies

@dataclass(frozen=True)
class BetaConfig(Schedule):
    """Bernoulli VAE ``784 → hidden → M`` trained with KL weight β for ``epochs``; the
    remedies run at ``collapse_beta``: linear warm-up over ``warmup`` epochs, cyclic warm-up
    with cycles of ``cycle`` epochs, and free bits λ = ``free_bits`` nats per dimension."""

    M: int
    hidden: tuple[int, ...]
    betas: tuple[float, ...]
    collapse_beta: float
    warmup: int
    cycle: int
    free_bits: float


configure("beta_vae",
          quick=BetaConfig(M=20, hidden=(400,), epochs=15, batch_size=128, lr=1e-3,
                           betas=(0.25, 1.0, 4.0, 8.0, 16.0, 32.0), collapse_beta=32.0, warmup=10, cycle=5,
                           free_bits=0.5),
          full=BetaConfig(M=50, hidden=(400,), epochs=15, batch_size=128, lr=1e-3,
                          betas=(0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0), collapse_beta=32.0,
                          warmup=8, cycle=5, free_bits=0.5),
          paper=BetaConfig(M=50, hidden=(400,), epochs=50, batch_size=128, lr=1e-3,
                           betas=(0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0), collapse_beta=32.0,
                           warmup=25, cycle=10, free_bits=0.5))


@dataclass(frozen=True, eq=False)
class BetaRun:
    """One trained VAE, measured on the 1000 held-out digits (nats per image): ``neg_recon``
    = −E_q ln p(x|z), ``kl`` = KL(q ‖ p(z)), ``neg_elbo`` = their sum (the β = 1 ELBO, whatever
    β trained it), ``active`` units (Burda et al. 2016), ``kl_per_dim`` (M,) sorted
    descending."""

    label: str
    beta: float
    neg_recon: float
    kl: float
    neg_elbo: float
    active: int
    kl_per_dim: tuple[float, ...]
    model: VAE


@dataclass(frozen=True, eq=False)
class BetaSweep:
    runs: tuple[BetaRun, ...]
    config: BetaConfig

    @property
    def betas(self) -> tuple[float, ...]:
        return tuple(r.beta for r in self.runs)


def _beta_run(c: BetaConfig, mode: str, seed: int, label: str, beta, free_bits: float = 0.0) -> BetaRun:
    data = mnist_data(mode)
    seed_everything(seed)
    model = VAE(GaussianEncoder(data.dim, c.M, hidden=c.hidden), BernoulliDecoder(c.M, data.dim, hidden=c.hidden))
    loss = VAELoss(beta=beta, free_bits=free_bits)
    c.fit(model, loss, data.x_train, seed=seed, callbacks=[loss.callback], name=label)
    x = on_model(model, data.x_test)  # evaluated where it trained
    with torch.no_grad():
        e = elbo(model, x, 1, generator=torch.Generator().manual_seed(seed))
        kd = kl_per_dim(*model.encode(x)).mean(0).sort(descending=True).values
    final_beta = float(loss.schedule(c.epochs - 1))  # epoch k (1-based) trains with schedule(k - 1)
    return BetaRun(label=label, beta=final_beta, neg_recon=float(-e["recon"].mean()), kl=float(e["kl"].mean()),
                   neg_elbo=float(-e["elbo"].mean()), active=active_units(model, x),
                   kl_per_dim=tuple(float(v) for v in kd), model=model)


@experiment(config="beta_vae", maxsize=2)
def beta_sweep(c: BetaConfig, mode: str | None = None, seed: int = 0) -> BetaSweep:
    """One MNIST-5k VAE per β in the configuration (quick: M = 20, 15 epochs, β = 0.25 ... 32,
    about 2.5 s each). As β grows the held-out reconstruction term worsens, the KL shrinks,
    and units collapse onto the prior (Higgins et al. 2017)."""
    runs = tuple(_beta_run(c, mode, seed, f"β = {b:g}", b) for b in c.betas)
    return BetaSweep(runs=runs, config=c)


@experiment(config="beta_vae", maxsize=2)
def collapse_remedies(c: BetaConfig, mode: str | None = None, seed: int = 0) -> tuple[BetaRun, ...]:
    """At β = ``collapse_beta`` (quick: 32), where plain training leaves no active unit: the
    plain run (taken from :func:`beta_sweep` when the sweep contains that β), a linear warm-up
    to the same β, a cyclic schedule, and free bits. Returned in that order; ``label`` names
    each (``"plain"``, ``"warm-up"``, ``"cyclic"``, ``"free bits"``)."""
    B = c.collapse_beta
    if B in c.betas:
        p = beta_sweep(mode, seed).runs[c.betas.index(B)]
        plain = BetaRun(**{**p.__dict__, "label": "plain"})
    else:
        plain = _beta_run(c, mode, seed, "plain", B)
    return (plain,
            _beta_run(c, mode, seed, "warm-up", beta_schedule("linear", beta=B, warmup=c.warmup)),
            _beta_run(c, mode, seed, "cyclic", beta_schedule("cyclic", beta=B, cycle=c.cycle, ratio=0.5)),
            _beta_run(c, mode, seed, "free bits", B, free_bits=c.free_bits))


@dataclass(frozen=True)
class WarmupConfig(Schedule):
    """A wider latent (M) at β = 1, trained plainly and with a linear warm-up over ``warmup``
    epochs: the setting in which warm-up is meant to help (partial collapse); units count as
    informative above ``threshold`` nats."""

    M: int
    hidden: tuple[int, ...]
    warmup: int
    threshold: float


configure("warmup",
          quick=WarmupConfig(M=50, hidden=(400,), epochs=30, batch_size=128, lr=1e-3, warmup=20, threshold=0.1),
          full=WarmupConfig(M=50, hidden=(400,), epochs=30, batch_size=128, lr=1e-3, warmup=15, threshold=0.1),
          paper=WarmupConfig(M=50, hidden=(400,), epochs=100, batch_size=128, lr=1e-3, warmup=50, threshold=0.1))


@experiment(config="warmup", maxsize=2)
def warmup_at_beta_one(w: WarmupConfig, mode: str | None = None, seed: int = 0) -> tuple[BetaRun, BetaRun]:
    """Partial collapse at β = 1 with a wide latent (quick: M = 50, 30 epochs): the plain run
    and the linearly warmed-up run (20 epochs), labelled ``"plain"`` and ``"warm-up"``. Compare
    their :func:`aebook.metrics.informative_units`."""
    c = BetaConfig(M=w.M, hidden=w.hidden, epochs=w.epochs, batch_size=w.batch_size, lr=w.lr, betas=(1.0,),
                   collapse_beta=1.0, warmup=w.warmup, cycle=w.warmup, free_bits=0.0)
    return (_beta_run(c, mode, seed, "plain", 1.0),
            _beta_run(c, mode, seed, "warm-up", beta_schedule("linear", beta=1.0, warmup=w.warmup)))


# The conditional VAE draws the digit it is asked for

@dataclass(frozen=True)
class CVAEConfig(Schedule):
    """A cVAE ``784 + 10 → hidden → M`` per M in ``Ms``, judged on ``per_class`` samples per digit
    by an MLP classifier (``clf_hidden`` units, ``clf_epochs`` epochs)."""

    Ms: tuple[int, ...]
    hidden: tuple[int, ...]
    per_class: int
    clf_hidden: int
    clf_epochs: int


configure("cvae",
          quick=CVAEConfig(Ms=(2, 8, 20), hidden=(400,), epochs=20, batch_size=128, lr=1e-3, per_class=100,
                           clf_hidden=256, clf_epochs=10),
          full=CVAEConfig(Ms=(2, 4, 8, 16, 32), hidden=(500, 500), epochs=30, batch_size=128, lr=1e-3,
                          per_class=1000, clf_hidden=512, clf_epochs=30))


@dataclass(frozen=True, eq=False)
class CVAEDigits:
    """Per M: ``agreement[i]`` = share of the ``per_class`` × 10 prior samples (decoder means,
    z ~ N(0, I), label c) that the classifier reads as c; ``per_class_agreement[i]`` the same
    per digit; ``swap_follows_label[i]`` = share of held-out digits re-decoded at their own
    encoder mean but with another label (c + 1 mod 10) that the classifier reads as the new
    label (does the decoder listen to y, or to z?); ``neg_elbo[i]`` held-out −ELBO.
    ``clf_accuracy``: the classifier's held-out accuracy on real digits."""

    Ms: tuple[int, ...]
    agreement: tuple[float, ...]
    per_class_agreement: tuple[tuple[float, ...], ...]
    swap_follows_label: tuple[float, ...]
    neg_elbo: tuple[float, ...]
    kl: tuple[float, ...]
    clf_accuracy: float
    models: tuple[ConditionalVAE, ...]
    classifier: nn.Module
    config: CVAEConfig


@experiment(config="cvae", maxsize=2)
def digit_classifier(c: CVAEConfig, mode: str | None = None, seed: int = 0) -> tuple[nn.Module, float]:
    """A one-hidden-layer MLP classifier trained on MNIST-5k (the judge of :func:`cvae_digits`);
    returns the model (eval mode) and its held-out accuracy."""
    data = mnist_data(mode)
    seed_everything(seed + 1000)  # not the cVAEs' seed
    clf = MLPClassifier(data.dim, c.clf_hidden, 10)
    Schedule(epochs=c.clf_epochs, batch_size=128, lr=1e-3).fit(
        clf, cross_entropy_loss, (data.x_train, data.y_train), seed=seed + 1000, name="classifier")
    with torch.no_grad():
        x_test, y_test = on_model(clf, data.x_test, data.y_test)
        acc = float((clf(x_test).argmax(1) == y_test).float().mean())
    return clf, acc


@experiment(config="cvae", maxsize=2)
def cvae_digits(c: CVAEConfig, mode: str | None = None, seed: int = 0) -> CVAEDigits:
    """Train a cVAE (label one-hot into encoder and decoder) for each M of the configuration
    (quick: 2, 8, 20; 20 epochs, about 2.5 s each) and let an independent classifier judge its
    samples: does the decoder draw the digit it is asked for?"""
    data = mnist_data(mode)
    clf, acc = digit_classifier(mode, seed)
    y = torch.arange(10).repeat_interleave(c.per_class)
    models, agree, per_class, swap, nelbo, kls = [], [], [], [], [], []
    for M in c.Ms:
        seed_everything(seed)
        m = ConditionalVAE.mlp(data.dim, M, 10, c.hidden)
        c.fit(m, VAELoss(), (data.x_train, data.y_train), seed=seed, name=f"cvae-M{M}")
        dev = next(m.parameters()).device  # judged where it trained (a copy of the shared classifier)
        judge = clf if next(clf.parameters()).device == dev else copy.deepcopy(clf).to(dev)
        y_d, x_test, y_test = on_model(m, y, data.x_test, data.y_test)
        with torch.no_grad():
            pred = judge(m.sample(len(y), y=y_d, generator=torch.Generator().manual_seed(seed))).argmax(1)
            hit = (pred == y_d).float()
            y_new = (y_test + 1) % 10
            mu, _ = m.encode(x_test, y_test)
            swapped = judge(m.decoder.mean(m.decode(mu, y_new))).argmax(1)
            e = elbo(m, x_test, 1, y=y_test, generator=torch.Generator().manual_seed(seed))
        models.append(m)
        agree.append(float(hit.mean()))
        per_class.append(tuple(float(v) for v in hit.reshape(10, c.per_class).mean(1)))
        swap.append(float((swapped == y_new).float().mean()))
        nelbo.append(float(-e["elbo"].mean()))
        kls.append(float(e["kl"].mean()))
    return CVAEDigits(Ms=c.Ms, agreement=tuple(agree), per_class_agreement=tuple(per_class),
                      swap_follows_label=tuple(swap), neg_elbo=tuple(nelbo), kl=tuple(kls),
                      clf_accuracy=acc, models=tuple(models), classifier=clf, config=c)


# Variants: convolutions, and a decoder that outputs a variance

@dataclass(frozen=True)
class ConvConfig(Schedule):
    """A convolutional VAE (``channels`` per stride-2 layer) against the MLP VAE (``hidden``),
    both with an M-dimensional latent."""

    M: int
    channels: tuple[int, ...]
    hidden: tuple[int, ...]


configure("conv_vae",
          quick=ConvConfig(M=20, channels=(32, 64), hidden=(400,), epochs=10, batch_size=128, lr=1e-3),
          full=ConvConfig(M=50, channels=(32, 64), hidden=(400,), epochs=10, batch_size=128, lr=1e-3),
          paper=ConvConfig(M=50, channels=(32, 64), hidden=(400,), epochs=30, batch_size=128, lr=1e-3))


@dataclass(frozen=True, eq=False)
class ConvVsMLP:
    """Held-out −ELBO (one sample), its KL, parameter count and training time (``fit``'s wall
    time) of each VAE."""

    neg_elbo: dict
    kl: dict
    n_params: dict
    train_time_s: dict
    models: dict
    config: ConvConfig


@experiment(config="conv_vae", maxsize=2)
def conv_vs_mlp(c: ConvConfig, mode: str | None = None, seed: int = 0) -> ConvVsMLP:
    """A convolutional VAE (two stride-2 convolutions, two transposed convolutions) against the
    784-400-M MLP VAE, same M, same epochs and optimiser (quick: M = 20, 10 epochs)."""
    data = mnist_data(mode)
    shape = (1, *data.image_shape)
    builders = {
        "conv": lambda: VAE(ConvGaussianEncoder(shape, c.M, c.channels),
                            ConvBernoulliDecoder(c.M, shape, c.channels[::-1])),
        "mlp": lambda: VAE(GaussianEncoder(data.dim, c.M, c.hidden), BernoulliDecoder(c.M, data.dim, c.hidden)),
    }
    out = {k: {} for k in ("neg_elbo", "kl", "n_params", "train_time_s", "models")}
    for name, build in builders.items():
        seed_everything(seed)
        m = build()
        out["train_time_s"][name] = c.fit(m, VAELoss(), data.x_train, seed=seed, name=name).wall_time_s
        with torch.no_grad():
            e = elbo(m, data.x_test, 1, generator=torch.Generator().manual_seed(seed))
        out["neg_elbo"][name] = float(-e["elbo"].mean())
        out["kl"][name] = float(e["kl"].mean())
        out["n_params"][name] = sum(p.numel() for p in m.parameters())
        out["models"][name] = m
    return ConvVsMLP(config=c, **out)


@dataclass(frozen=True)
class VarianceConfig(Schedule):
    """Every model trains ``epochs`` in all: the fixed-σ one straight through, the warm-started
    learned-variance one ``epochs // 2`` with a fixed σ and then the rest with σ learned, the
    scratch one with σ learned from the start."""

    n: int
    hidden: tuple[int, ...]
    fixed_sigma: float


configure("learned_variance",
          quick=VarianceConfig(n=2000, hidden=(64, 64), epochs=120, batch_size=200, lr=3e-3, fixed_sigma=0.1),
          full=VarianceConfig(n=20000, hidden=(128, 128), epochs=300, batch_size=256, lr=1e-3, fixed_sigma=0.1))

_ARC_RATE = 1.25


def heteroscedastic_sigma(z: torch.Tensor) -> torch.Tensor:
    """The true noise level along the curve of :func:`heteroscedastic_arc_data`: 0.02 at one
    end, 0.2 at the other."""
    return 0.02 + 0.18 * torch.sigmoid(2.0 * z)


def heteroscedastic_arc_data(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``(x: (n, 2), z: (n,))``: z ~ N(0, 1), x = (cos az, sin az) + s(z) ε with a = 1.25 and a
    noise level s(z) (:func:`heteroscedastic_sigma`) rising from 0.02 to 0.2 along the arc."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, generator=g)
    eps = torch.randn(n, 2, generator=g)
    x = torch.stack([torch.cos(_ARC_RATE * z), torch.sin(_ARC_RATE * z)], 1) + heteroscedastic_sigma(z)[:, None] * eps
    return x, z


@dataclass(frozen=True, eq=False)
class LearnedVariance:
    """On 1000 held-out points, for each decoder (``"fixed"``, ``"learned"`` warm-started,
    ``"scratch"`` learned from the start): ``neg_elbo`` (nats per point, one sample), and for
    the two learned ones ``corr`` and ``median_ratio`` between the decoder's σ across the curve
    (:func:`decoder_sigma_across`) and the true noise level s(z)."""

    neg_elbo: dict
    corr: dict
    median_ratio: dict
    models: dict
    config: VarianceConfig


def decoder_sigma_across(m: VAE, x: torch.Tensor) -> torch.Tensor:
    """The decoder's standard deviation across the arc (along the radial normal, at the
    encoder mean of each point of ``x``), ``(N,)``."""
    mu, _ = m.encode(on_model(m, x))
    mean, logvar = m.decode(mu)
    n = mean / mean.norm(dim=1, keepdim=True)  # the arc's normal is radial
    return (n.pow(2) * logvar.exp()).sum(1).sqrt().to(x.device)


@experiment(config="learned_variance", maxsize=2)
def learned_variance(c: VarianceConfig, mode: str | None = None, seed: int = 0) -> LearnedVariance:
    """A decoder that also outputs a variance (:class:`aebook.vae.GaussianDecoder` with
    ``sigma=None``) against one with a fixed σ, on :func:`heteroscedastic_arc_data` (M = 1).
    Learned from the start, the variance grows early and the latent is left half used;
    warm-started from the fixed-σ solution (its mean outputs copied, ln σ² starting at
    ln 0.1²) it tracks the true noise level. Quick: about 4 s."""
    x, _ = heteroscedastic_arc_data(c.n, seed)
    x_test, z_test = heteroscedastic_arc_data(1000, seed + 1)

    def build(sigma):
        return VAE(GaussianEncoder(2, 1, c.hidden), GaussianDecoder(1, 2, c.hidden, sigma=sigma))

    def train(m, epochs, name):
        Schedule(epochs=epochs, batch_size=c.batch_size, lr=c.lr).fit(m, VAELoss(), x, seed=seed, name=name)
        return m

    half = c.epochs // 2
    seed_everything(seed)
    fixed = train(build(c.fixed_sigma), half, "fixed-first-half")
    learned = build(None)
    learned.encoder.load_state_dict(fixed.encoder.state_dict())
    with torch.no_grad():  # same mean network; the variance rows start at ln σ² = ln 0.1²
        for a, b in zip(learned.decoder.net[:-1].parameters(), fixed.decoder.net[:-1].parameters()):
            a.copy_(b)
        last, src = learned.decoder.net[-1], fixed.decoder.net[-1]
        last.weight.zero_()
        last.bias.fill_(2 * math.log(c.fixed_sigma))
        last.weight[:2].copy_(src.weight)
        last.bias[:2].copy_(src.bias)
    learned = train(learned, c.epochs - half, "learned")
    fixed = train(fixed, c.epochs - half, "fixed-second-half")
    seed_everything(seed)
    scratch = train(build(None), c.epochs, "scratch")
    models = {"fixed": fixed, "learned": learned, "scratch": scratch}
    s_true = heteroscedastic_sigma(z_test)
    with torch.no_grad():
        ne = {k: float(-elbo(m, x_test, 1, generator=torch.Generator().manual_seed(seed))["elbo"].mean())
              for k, m in models.items()}
        s_hat = {k: decoder_sigma_across(models[k], x_test) for k in ("learned", "scratch")}
    corr = {k: float(torch.corrcoef(torch.stack([s, s_true]))[0, 1]) for k, s in s_hat.items()}
    ratio = {k: float((s / s_true).median()) for k, s in s_hat.items()}
    return LearnedVariance(neg_elbo=ne, corr=corr, median_ratio=ratio, models=models, config=c)
