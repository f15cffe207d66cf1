"""Named experiments of sections 19.1.3 and 19.1.4: sparse and denoising autoencoders, and the
score a denoiser learns.

=================================  ==========================================================
:func:`sparse_sweep`               L1 on activations (19.2) vs L2 on weights, over λ: code
                                   sparsity and reconstruction error (overcomplete ReLU AE)
:func:`denoising_table`            denoising AEs (19.3) vs a plain AE of the same size on
                                   held-out MNIST-5k, for masking noise ν and Gaussian σ
:func:`score_field`                a small DAE on a 2-D Gaussian mixture: its implied score
                                   ``(r(x̃) − x̃)/σ²`` against the exact score of ``p_σ``
:func:`curve_denoiser`             a DAE on data lying on a 1-D curve in 2-D (Fig. 19.4):
                                   its vectors ``r(x̃) − x̃`` point back to the curve
=================================  ==========================================================

Errors are squared errors per data point summed over dimensions and averaged over points, as
in :mod:`.deterministic`. Held-out corruptions are drawn from a fixed generator
(:data:`TEST_NOISE_SEED`), so every model of a comparison sees the same noisy images.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .._checks import on_model
from ..config import seed_everything
from ..data import Split, curve_2d, load_digits8, project_to_curve
from ..densities import GaussianMixture, default_mixture
from ..losses import denoising_loss, recon_loss, reconstruction_error, sparse_loss
from ..metrics import code_sparsity
from ..models import DeepAutoencoder, ShallowAutoencoder
from ..noise import Corruption
from ..score import cosine_similarity, denoiser_score, posterior_mean
from ._data import mnist_data
from .registry import Schedule, configure, experiment

Tensor = torch.Tensor

__all__ = [
    "SparseConfig", "SparseSweep", "sparse_sweep",
    "DenoisingConfig", "DenoisingTable", "denoising_table",
    "Dae2DConfig", "ScoreResult", "score_field",
    "CurveResult", "curve_denoiser",
    "TEST_NOISE_SEED", "corrupted_test_images",
]

#: seed of the generator that corrupts held-out data (the same noise for every model).
TEST_NOISE_SEED = 1904


# ------------------------------------------------------------------------------------------------
# configurations


@dataclass(frozen=True)
class SparseConfig(Schedule):
    """Overcomplete ReLU autoencoder ``D → K → D`` (K > D), trained with the L1 activation
    penalty (19.2) at each ``lams`` and, for comparison, with an L2 weight penalty at each
    ``weight_l2s``. ``data`` is ``"digits"`` (sklearn 8×8) or ``"mnist"``."""

    data: str
    K: int
    lams: tuple[float, ...]
    weight_l2s: tuple[float, ...]
    tol: float = 1e-3


@dataclass(frozen=True)
class DenoisingConfig(Schedule):
    """Deep AE ``784 → hidden (ReLU) → M → hidden (ReLU) → 784 (sigmoid)`` trained plain and as
    a DAE at each masking rate in ``nus`` and each Gaussian σ in ``sigmas``."""

    M: int
    hidden: tuple[int, ...]
    nus: tuple[float, ...]
    sigmas: tuple[float, ...]


@dataclass(frozen=True)
class Dae2DConfig(Schedule):
    """Small DAE ``2 → hidden (tanh) → M → hidden (tanh) → 2`` (overcomplete: the noise is the
    constraint) trained with Gaussian noise σ on ``n_train`` points: samples of
    :func:`aebook.densities.default_mixture` (``"score"``) or points exactly on the curve of
    :func:`aebook.data.curve_2d` (``"curve"``). ``n_eval`` fresh noisy points are scored."""

    sigma: float
    n_train: int
    hidden: tuple[int, ...]
    M: int
    n_eval: int = 4000


configure("sparse",
          quick=SparseConfig(data="digits", K=128, lams=(0.0, 0.01, 0.03, 0.1, 0.3),
                             weight_l2s=(1e-4, 1e-3, 1e-2), epochs=60, batch_size=64, lr=3e-3),
          full=SparseConfig(data="mnist", K=1024, lams=(0.0, 0.003, 0.01, 0.03, 0.1, 0.3),
                            weight_l2s=(1e-5, 1e-4, 1e-3, 1e-2), epochs=8, batch_size=128, lr=1e-3),
          paper=SparseConfig(data="mnist", K=1024, lams=(0.0, 0.003, 0.01, 0.03, 0.1, 0.3),
                             weight_l2s=(1e-5, 1e-4, 1e-3, 1e-2), epochs=30, batch_size=128, lr=1e-3))
configure("dae_mnist",
          quick=DenoisingConfig(M=32, hidden=(256,), nus=(0.25, 0.5, 0.75), sigmas=(0.25, 0.5, 1.0),
                                epochs=10, batch_size=64, lr=2e-3),
          full=DenoisingConfig(M=32, hidden=(1000, 500, 250), nus=(0.1, 0.25, 0.5, 0.75, 0.9),
                               sigmas=(0.1, 0.25, 0.5, 1.0, 1.5), epochs=6, batch_size=256, lr=1e-3),
          paper=DenoisingConfig(M=32, hidden=(1000, 500, 250), nus=(0.1, 0.25, 0.5, 0.75, 0.9),
                                sigmas=(0.1, 0.25, 0.5, 1.0, 1.5), epochs=15, batch_size=256, lr=1e-3))
configure("dae_score",
          quick=Dae2DConfig(sigma=0.3, n_train=4000, hidden=(64, 64), M=32, epochs=150, batch_size=128, lr=3e-3),
          full=Dae2DConfig(sigma=0.3, n_train=50000, hidden=(256, 256), M=128, epochs=150, batch_size=512,
                           lr=1e-3, n_eval=20000))
configure("dae_curve",
          quick=Dae2DConfig(sigma=0.15, n_train=2000, hidden=(64, 64), M=32, epochs=150, batch_size=128,
                            lr=3e-3, n_eval=250),
          full=Dae2DConfig(sigma=0.15, n_train=20000, hidden=(256, 256), M=128, epochs=150, batch_size=512,
                           lr=1e-3, n_eval=2000))


# ------------------------------------------------------------------------------------------------
# 1. sparse autoencoders (19.2)


@dataclass(frozen=True, eq=False)
class SparseSweep:
    """Result of :func:`sparse_sweep`. Each row of ``rows`` is a dict with ``penalty``
    (``"none"``, ``"l1"`` or ``"l2"``), ``strength`` (λ or the L2 weight), the held-out
    ``test_error``, the :func:`code_sparsity` numbers, ``mean_activation`` and
    ``decoder_norm`` (mean length of the decoder's columns, which grows when the network
    shrinks ``z`` to dodge the penalty). ``models`` maps ``(penalty, strength)`` to the trained
    model (shared; do not train further)."""

    rows: tuple[dict, ...]
    models: dict
    x_test: Tensor
    image_shape: tuple[int, int]
    config: SparseConfig

    def row(self, penalty: str, strength: float) -> dict:
        """The row of one run, e.g. ``row("l1", 0.1)`` or ``row("none", 0.0)``."""
        for r in self.rows:
            if r["penalty"] == penalty and r["strength"] == strength:
                return r
        raise KeyError(f"no row for {penalty} {strength}; runs: "
                       f"{[(r['penalty'], r['strength']) for r in self.rows]}")

    def l1_rows(self) -> list[dict]:
        """The L1 rows in increasing λ, starting with λ = 0 (no penalty)."""
        return [r for r in self.rows if r["penalty"] in ("none", "l1")]

    def l2_rows(self) -> list[dict]:
        """The L2 rows in increasing weight, starting with the unpenalised model."""
        return [r for r in self.rows if r["penalty"] in ("none", "l2")]


@experiment(config="sparse", maxsize=4)
def sparse_sweep(c: SparseConfig, mode: str | None = None, seed: int = 0) -> SparseSweep:
    """Train an overcomplete ReLU :class:`~aebook.models.ShallowAutoencoder` ``D → K → D``
    (K > D, allowed by ``allow_overcomplete``) with the L1 activation penalty of (19.2) at
    several λ, and with an L2 weight penalty instead, at several strengths; measure the code's
    sparsity and the held-out error of each.

    Quick mode: sklearn digits (D = 64), K = 128, 60 epochs per model, about 0.6 s each on one
    thread. Full mode: MNIST (D = 784), K = 1024.
    """
    data: Split = load_digits8() if c.data == "digits" else mnist_data(mode)
    xtr, xte = data.x_train, data.x_test
    side = int(round(math.sqrt(data.dim)))
    settings = [("none", 0.0)] + [("l1", lam) for lam in c.lams if lam > 0] + \
        [("l2", w) for w in c.weight_l2s]
    rows, models = [], {}
    for penalty, strength in settings:
        seed_everything(seed)
        model = ShallowAutoencoder(data.dim, c.K, activation="relu", allow_overcomplete=True)
        loss = sparse_loss(strength if penalty == "l1" else 0.0,
                           weight_l2=strength if penalty == "l2" else 0.0)
        c.fit(model, loss, xtr, seed=seed, name=f"{penalty}-{strength:g}")
        with torch.no_grad():
            x_eval = on_model(model, xte)  # evaluated where it trained
            out = model(x_eval)
            err = float(reconstruction_error(out.recon, x_eval))
            dn = float(model.decoder.weight.norm(dim=0).mean())
        rows.append({"penalty": penalty, "strength": strength, "test_error": err,
                     **code_sparsity(out.z, c.tol), "mean_activation": float(out.z.mean()),
                     "decoder_norm": dn})
        models[(penalty, strength)] = model
    return SparseSweep(rows=tuple(rows), models=models, x_test=xte, image_shape=(side, side),
                       config=c)


# ------------------------------------------------------------------------------------------------
# 2. denoising autoencoders on MNIST-5k (19.3)


@dataclass(frozen=True, eq=False)
class DenoisingTable:
    """Result of :func:`denoising_table`.

    ``rows``: one dict per corruption with ``kind``, ``level``, and the held-out errors against
    the clean images of: ``noisy`` (doing nothing: x̃ itself), ``plain`` (the plain AE applied
    to x̃), ``dae`` (the DAE trained on that corruption applied to x̃) and ``dae_clean`` (that
    DAE applied to clean images). ``plain_clean_error``: the plain AE on clean images.
    ``plain`` and ``daes`` (keyed by :class:`~aebook.noise.Corruption`) are the trained models.
    """

    rows: tuple[dict, ...]
    plain_clean_error: float
    plain: DeepAutoencoder
    daes: dict
    config: DenoisingConfig

    def row(self, kind: str, level: float) -> dict:
        for r in self.rows:
            if r["kind"] == kind and r["level"] == level:
                return r
        raise KeyError(f"no row for {kind} {level}; levels: "
                       f"{[(r['kind'], r['level']) for r in self.rows]}")


def corrupted_test_images(corruption: Corruption, x: Tensor) -> Tensor:
    """``x`` corrupted by a generator seeded with :data:`TEST_NOISE_SEED` (the same noisy
    images for every model and every call)."""
    return corruption(x, generator=torch.Generator().manual_seed(TEST_NOISE_SEED))


@experiment(config="dae_mnist", maxsize=4)
def denoising_table(c: DenoisingConfig, mode: str | None = None, seed: int = 0) -> DenoisingTable:
    """A plain deep AE and one DAE per corruption level, all of the same size, on MNIST-5k;
    held-out squared error per image against the clean digits.

    Quick mode: ``784 → 256 → 32 → 256 → 784``, 10 epochs each, ν ∈ {0.25, 0.5, 0.75} and
    σ ∈ {0.25, 0.5, 1}: 7 models, about 2 s each on one thread. Full mode: the standard
    MNIST, the 784-1000-500-250-32 network, five levels of each kind: 11 models of 6 epochs
    (about 11.5 s per epoch on one thread), sized so that the table fits in a CPU sitting.
    """
    data = mnist_data(mode)
    xtr, xte = data.x_train, data.x_test
    plain = _dae_model(c, data.dim, seed)
    c.fit(plain, recon_loss, xtr, seed=seed, name="plain")
    corruptions = [Corruption("mask", v) for v in c.nus] + \
        [Corruption("gaussian", s) for s in c.sigmas]
    rows, daes = [], {}
    xte = on_model(plain, xte)  # every model is evaluated on the device it trained on
    with torch.no_grad():
        plain_clean = float(reconstruction_error(plain(xte).recon, xte))
    for cor in corruptions:
        dae = _dae_model(c, data.dim, seed)
        c.fit(dae, denoising_loss(cor), xtr, seed=seed, name=f"{cor.kind}-{cor.level:g}")
        daes[cor] = dae
        xn = corrupted_test_images(cor, xte)
        with torch.no_grad():
            rows.append({"kind": cor.kind, "level": cor.level,
                         "noisy": float(reconstruction_error(xn, xte)),
                         "plain": float(reconstruction_error(plain(xn).recon, xte)),
                         "dae": float(reconstruction_error(dae(xn).recon, xte)),
                         "dae_clean": float(reconstruction_error(dae(xte).recon, xte))})
    return DenoisingTable(rows=tuple(rows), plain_clean_error=plain_clean, plain=plain, daes=daes,
                          config=c)


def _dae_model(c: DenoisingConfig, D: int, seed: int) -> DeepAutoencoder:
    seed_everything(seed)
    return DeepAutoencoder(D, c.M, hidden=c.hidden, activation="relu", output_activation="sigmoid")


# ------------------------------------------------------------------------------------------------
# 3. the score of a 2-D Gaussian mixture, exact and learned (Tweedie; Vincent 2011)


def _dae_2d(c, seed: int) -> DeepAutoencoder:
    seed_everything(seed)
    return DeepAutoencoder(2, c.M, hidden=c.hidden, activation="tanh", allow_overcomplete=True)


@dataclass(frozen=True, eq=False)
class ScoreResult:
    """Result of :func:`score_field`.

    Attributes:
        sigma: the noise level. model: the trained DAE ``r`` (shared). prior: the mixture p.
        x_eval: ``(n_eval, 2)`` fresh noisy points ``x̃ ~ p_σ`` (where the DAE was trained).
        cos: ``(n_eval,)`` cosine between the DAE's implied score and the exact score of p_σ.
        cos_mean, cos_median, frac_cos_above_0_9: summaries of ``cos``.
        cos_median_weak, cos_median_strong: median cosine on the quarter of ``x_eval`` with the
            smallest exact score ``|∇ ln p_σ|`` (near modes and saddles, where the field has
            almost no direction), and on the other three quarters.
        norm_ratio_median: median of ``|implied score| / |exact score|`` on ``x_eval``.
        dae_mse, optimal_mse: ``E|r(x̃) − x|²``-type errors against the Bayes-optimal
            denoiser: ``E|r(x̃) − r*(x̃)|²`` and ``E|x̃ − r*(x̃)|²`` (how far r* moves a point).
        far_cos_median, far_norm_ratio_median: the same on grid points where
            ``p_σ < 10⁻⁴`` inside [−4.5, 4.5]², away from every training point.
    """

    sigma: float
    model: DeepAutoencoder
    prior: GaussianMixture
    x_eval: Tensor
    cos: Tensor
    cos_mean: float
    cos_median: float
    frac_cos_above_0_9: float
    cos_median_weak: float
    cos_median_strong: float
    norm_ratio_median: float
    dae_mse: float
    optimal_mse: float
    far_cos_median: float
    far_norm_ratio_median: float
    config: Dae2DConfig


@experiment(config="dae_score", maxsize=4)
def score_field(c: Dae2DConfig, mode: str | None = None, seed: int = 0) -> ScoreResult:
    """Train a small DAE on samples of :func:`aebook.densities.default_mixture` with Gaussian noise σ
    and compare its implied score ``(r(x̃) − x̃)/σ²`` with the exact score of the noisy density
    ``p_σ = p * N(0, σ² I)`` (closed form, :meth:`~aebook.densities.GaussianMixture.convolved`).

    Quick mode: σ = 0.3, 4000 points, ``2 → 64 → 64 → 32 → 64 → 64 → 2`` tanh, 150 epochs,
    about 4 s on one thread.
    """
    prior = default_mixture()
    noisy = prior.convolved(c.sigma)
    x, _ = prior.sample(c.n_train, generator=torch.Generator().manual_seed(seed))
    model = _dae_2d(c, seed)
    c.fit(model, denoising_loss(Corruption("gaussian", c.sigma)), x, seed=seed, name="dae")
    xe, _ = noisy.sample(c.n_eval, generator=torch.Generator().manual_seed(TEST_NOISE_SEED))
    s_hat, s = denoiser_score(model, xe, c.sigma), noisy.score(xe)
    cos = cosine_similarity(s_hat, s)
    weak = s.norm(dim=1) <= s.norm(dim=1).quantile(0.25)
    with torch.no_grad():
        r = model(on_model(model, xe)).recon.to(xe.device)
    r_opt = posterior_mean(prior, xe, c.sigma)
    g = torch.linspace(-4.5, 4.5, 61)
    grid = torch.stack(torch.meshgrid(g, g, indexing="xy"), -1).reshape(-1, 2)
    far = noisy.log_prob(grid) < math.log(1e-4)
    s_far, sh_far = noisy.score(grid[far]), denoiser_score(model, grid[far], c.sigma)
    return ScoreResult(
        sigma=c.sigma, model=model, prior=prior, x_eval=xe, cos=cos,
        cos_mean=float(cos.mean()), cos_median=float(cos.median()),
        frac_cos_above_0_9=float((cos > 0.9).float().mean()),
        cos_median_weak=float(cos[weak].median()), cos_median_strong=float(cos[~weak].median()),
        norm_ratio_median=float((s_hat.norm(dim=1) / s.norm(dim=1)).median()),
        dae_mse=float((r - r_opt).pow(2).sum(1).mean()),
        optimal_mse=float((xe - r_opt).pow(2).sum(1).mean()),
        far_cos_median=float(cosine_similarity(sh_far, s_far).median()),
        far_norm_ratio_median=float((sh_far.norm(dim=1) / s_far.norm(dim=1)).median()),
        config=c)


# ------------------------------------------------------------------------------------------------
# 4. data on a 1-D curve in 2-D: the vectors point back to the curve (Fig. 19.4)


@dataclass(frozen=True, eq=False)
class CurveResult:
    """Result of :func:`curve_denoiser`.

    Attributes:
        sigma: noise level. model: the DAE ``r`` (shared). x_clean: ``(n, 2)`` held-out points
            on the curve; x_noisy: the same plus noise (fixed generator); recon: ``r(x_noisy)``.
        cos: ``(n,)`` cosine between ``r(x̃) − x̃`` and the direction from x̃ to its nearest
            point on the curve. cos_mean: its mean; cos_far_mean: its mean over points farther
            than σ/2 from the curve (near the curve the direction to it is ill-defined).
        dist_before, dist_after: mean distance to the curve of x̃ and of r(x̃).
    """

    sigma: float
    model: DeepAutoencoder
    x_clean: Tensor
    x_noisy: Tensor
    recon: Tensor
    cos: Tensor
    cos_mean: float
    cos_far_mean: float
    n_far: int
    dist_before: float
    dist_after: float
    config: Dae2DConfig


@experiment(config="dae_curve", maxsize=4)
def curve_denoiser(c: Dae2DConfig, mode: str | None = None, seed: int = 0) -> CurveResult:
    """Train a small DAE on points lying exactly on the sine curve of
    :func:`aebook.data.curve_2d`, with Gaussian noise σ, and measure whether the vectors
    ``r(x̃) − x̃`` point back toward the curve (the picture of Fig. 19.4).

    Quick mode: σ = 0.15, 2000 points, 150 epochs, about 2 s on one thread.
    """
    data = curve_2d(n_train=c.n_train, n_test=c.n_eval, noise=0.0, seed=seed)
    model = _dae_2d(c, seed)
    c.fit(model, denoising_loss(Corruption("gaussian", c.sigma)), data.x_train, seed=seed, name="dae")
    x_clean = data.x_test
    x_noisy = corrupted_test_images(Corruption("gaussian", c.sigma), x_clean)
    with torch.no_grad():
        recon = model(on_model(model, x_noisy)).recon.to(x_noisy.device)
    proj, _ = project_to_curve(x_noisy)
    proj_r, _ = project_to_curve(recon)
    cos = cosine_similarity(recon - x_noisy, proj - x_noisy)
    d0 = (x_noisy - proj).norm(dim=1)
    far = d0 > 0.5 * c.sigma
    return CurveResult(
        sigma=c.sigma, model=model, x_clean=x_clean, x_noisy=x_noisy, recon=recon, cos=cos,
        cos_mean=float(cos.mean()), cos_far_mean=float(cos[far].mean()), n_far=int(far.sum()),
        dist_before=float(d0.mean()), dist_after=float((recon - proj_r).norm(dim=1).mean()),
        config=c)
