"""Named experiments of section 19.1.5: masked autoencoders (He et al. 2022) on MNIST-5k.

=================================  ==========================================================
:func:`mae_pretrain`               pre-train a small MAE at r = 0.75; held-out masked-patch
                                   error at several ratios
:func:`linear_probe`               logistic regression on raw pixels, on a randomly initialised
                                   encoder and on the pre-trained MAE encoder
:func:`fine_tune`                  the pre-trained encoder plus a linear head, trained on labels
                                   for a few epochs, against the same network from scratch
:func:`mask_ratio_sweep`           pre-train at several ratios: reconstruction error and probe
                                   accuracy by ratio
:func:`encoder_flops`              encoder FLOPs, visible patches only vs BERT-style (all tokens)
=================================  ==========================================================

Held-out masks come from a generator seeded with :data:`MASK_SEED`, so every model is scored
on the same masks. The models are small enough for a CPU in quick mode; the full mode uses a
wider, deeper ViT and more epochs (for a GPU).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..config import get_mode, seed_everything
from ..data import Split
from ..losses import mae_loss
from ..mae import MAEConfig, MaskedAutoencoder, as_images
from ..train import fit
from ._base import _CONFIGS, _check_seed, cached, config_for, mnist_data

Tensor = torch.Tensor

__all__ = [
    "MAEExperimentConfig", "MAEPretrain", "mae_pretrain", "ProbeResult", "linear_probe",
    "FineTuneResult", "fine_tune", "RatioSweep", "mask_ratio_sweep", "encoder_flops",
    "heldout_masked_error", "MASK_SEED",
]

#: seed of the generator that draws held-out masks.
MASK_SEED = 1905


@dataclass(frozen=True)
class MAEExperimentConfig:
    """Model (``MAEConfig`` fields), pre-training schedule, the ratios of the sweep and its
    (shorter) schedule, and the fine-tuning schedule."""

    model: dict = field(hash=False)
    epochs: int
    batch_size: int
    lr: float
    mask_ratio: float
    sweep_ratios: tuple[float, ...]
    sweep_epochs: int
    finetune_epochs: int
    finetune_lr: float
    sweep_data: str = "digits"
    sweep_model: dict = field(default_factory=dict, hash=False)
    sweep_batch_size: int = 64


_SMALL = dict(img_size=28, patch_size=7, in_chans=1, embed_dim=48, depth=3, num_heads=4,
              decoder_embed_dim=32, decoder_depth=1, decoder_num_heads=4, mlp_ratio=2.0)
# the sweep's model on sklearn's 8x8 digits: 2x2 patches, L = 16
_DIGITS = dict(img_size=8, patch_size=2, in_chans=1, embed_dim=32, depth=2, num_heads=4,
               decoder_embed_dim=32, decoder_depth=1, decoder_num_heads=4, mlp_ratio=2.0,
               norm_pix_loss=True)
_FULL = dict(img_size=28, patch_size=4, in_chans=1, embed_dim=192, depth=8, num_heads=6,
             decoder_embed_dim=128, decoder_depth=4, decoder_num_heads=4, mlp_ratio=4.0)

_CONFIGS["quick"].update({
    "mae": MAEExperimentConfig(model=_SMALL, epochs=20, batch_size=128, lr=2e-3, mask_ratio=0.75,
                               sweep_ratios=(0.25, 0.5, 0.75, 0.9), sweep_epochs=30,
                               finetune_epochs=3, finetune_lr=1e-3, sweep_data="digits",
                               sweep_model=_DIGITS, sweep_batch_size=64),
})
_CONFIGS["full"].update({
    "mae": MAEExperimentConfig(model=_FULL, epochs=200, batch_size=256, lr=1.5e-3, mask_ratio=0.75,
                               sweep_ratios=(0.1, 0.25, 0.5, 0.6, 0.75, 0.85, 0.9, 0.95),
                               sweep_epochs=100, finetune_epochs=20, finetune_lr=5e-4,
                               sweep_data="mnist", sweep_model={**_FULL, "norm_pix_loss": True},
                               sweep_batch_size=256),
})


def _images(data: Split) -> tuple[Tensor, Tensor]:
    return as_images(data.x_train, 28), as_images(data.x_test, 28)


def _new_model(c: MAEExperimentConfig, seed: int, **over) -> MaskedAutoencoder:
    seed_everything(seed)
    return MaskedAutoencoder(**{**c.model, **over})


def _pretrain(c: MAEExperimentConfig, x: Tensor, ratio: float, epochs: int, seed: int):
    model = _new_model(c, seed)
    start = time.perf_counter()
    hist = fit(model, mae_loss(ratio), x, epochs=epochs, batch_size=c.batch_size, lr=c.lr,
               seed=seed, progress=False)
    return model.cpu().eval(), hist, time.perf_counter() - start


@torch.no_grad()
def heldout_masked_error(model: MaskedAutoencoder, imgs: Tensor, ratio: float,
                         batch_size: int = 500) -> float:
    """Mean squared error per pixel on the removed patches of ``imgs``, with masks drawn from a
    generator seeded with :data:`MASK_SEED` (the same masks for every model)."""
    model.eval()
    g = torch.Generator().manual_seed(MASK_SEED)
    total, count = 0.0, 0.0
    for xb in imgs.split(batch_size):
        out = model(xb, ratio, generator=g)
        n = float(out.mask.sum())
        total += float(out.loss) * n
        count += n
    return total / count


# ------------------------------------------------------------------------------------------------
# 1. pre-training


@dataclass(frozen=True, eq=False)
class MAEPretrain:
    """Result of :func:`mae_pretrain`: the model (shared; eval mode), its loss history, the
    held-out masked-patch error per pixel at each ratio in ``errors`` (a dict), the error of
    predicting every removed pixel by the training images' mean pixel value (``baseline``), and
    the configuration and wall time."""

    model: MaskedAutoencoder
    train_loss: tuple[float, ...]
    errors: dict
    baseline: float
    config: MAEExperimentConfig
    wall_time_s: float


def mae_pretrain(mode: str | None = None, seed: int = 0) -> MAEPretrain:
    """Pre-train the MAE on MNIST-5k at r = 0.75 (quick: 7×7 patches, L = 16, a 3-block ViT of
    width 48 and a 1-block decoder of width 32, 20 epochs)."""
    return _mae_pretrain(get_mode(mode), _check_seed(seed))


@cached(maxsize=4)
def _mae_pretrain(mode: str, seed: int) -> MAEPretrain:
    c = config_for("mae", mode)
    xtr, xte = _images(mnist_data(mode))
    model, hist, wall = _pretrain(c, xtr, c.mask_ratio, c.epochs, seed)
    errors = {r: heldout_masked_error(model, xte, r) for r in (0.5, 0.75, 0.8, 0.9)}
    mean = float(xtr.mean())
    baseline = float((xte - mean).pow(2).mean())  # every pixel is removed with prob. r
    return MAEPretrain(model=model, train_loss=tuple(hist.train), errors=errors, baseline=baseline,
                       config=c, wall_time_s=wall)


# ------------------------------------------------------------------------------------------------
# 2. linear probe and fine-tuning


def _probe(ftr: Tensor, ytr: Tensor, fte: Tensor, yte: Tensor) -> float:
    """Held-out accuracy of a logistic regression on standardised features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    sc = StandardScaler().fit(ftr.numpy())
    clf = LogisticRegression(max_iter=3000, C=1.0)
    clf.fit(sc.transform(ftr.numpy()), ytr.numpy())
    return float(clf.score(sc.transform(fte.numpy()), yte.numpy()))


@torch.no_grad()
def _features(model: MaskedAutoencoder, x: Tensor, batch_size: int = 500) -> Tensor:
    model.eval()
    return torch.cat([model.features(xb) for xb in x.split(batch_size)])


@dataclass(frozen=True)
class ProbeResult:
    """Held-out accuracies (1000 MNIST-5k digits) of a logistic-regression probe on raw pixels,
    on the features of a randomly initialised encoder, and on the pre-trained MAE encoder's
    features (mean of the patch tokens, no masking)."""

    raw_pixels: float
    random_encoder: float
    mae_encoder: float
    feature_dim: int


def linear_probe(mode: str | None = None, seed: int = 0) -> ProbeResult:
    """Linear probes on MNIST-5k (4000 training, 1000 held-out digits)."""
    return _linear_probe(get_mode(mode), _check_seed(seed))


@cached(maxsize=4)
def _linear_probe(mode: str, seed: int) -> ProbeResult:
    c = config_for("mae", mode)
    data = mnist_data(mode)
    xtr, xte = _images(data)
    mae = mae_pretrain(mode, seed).model
    rand = _new_model(c, seed).eval()
    return ProbeResult(
        raw_pixels=_probe(data.x_train, data.y_train, data.x_test, data.y_test),
        random_encoder=_probe(_features(rand, xtr), data.y_train, _features(rand, xte), data.y_test),
        mae_encoder=_probe(_features(mae, xtr), data.y_train, _features(mae, xte), data.y_test),
        feature_dim=mae.config.embed_dim)


class EncoderClassifier(nn.Module):
    """The MAE's encoder (no masking) with a linear head on the mean patch token."""

    def __init__(self, mae: MaskedAutoencoder, n_classes: int = 10):
        super().__init__()
        self.mae = mae
        self.head = nn.Linear(mae.config.embed_dim, n_classes)

    def forward(self, x: Tensor) -> Tensor:
        latent, _, _ = self.mae.forward_encoder(x, 0.0)
        return self.head(latent[:, 1:].mean(1))


@dataclass(frozen=True)
class FineTuneResult:
    """Held-out accuracy after ``epochs`` of supervised training from the MAE's weights and
    from a random initialisation (same network, same schedule)."""

    epochs: int
    from_mae: float
    from_scratch: float


def fine_tune(mode: str | None = None, seed: int = 0) -> FineTuneResult:
    """Fine-tune the pre-trained encoder with a linear head on the digit labels (quick: 3
    epochs), against the same network trained from scratch for as long."""
    return _fine_tune(get_mode(mode), _check_seed(seed))


def _ce_loss(model: nn.Module, batch: tuple) -> Tensor:
    x, y = batch
    return nn.functional.cross_entropy(model(x), y)


@torch.no_grad()
def _accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    model.eval()
    return float((model(x).argmax(1) == y).float().mean())


@cached(maxsize=4)
def _fine_tune(mode: str, seed: int) -> FineTuneResult:
    import copy

    c = config_for("mae", mode)
    data = mnist_data(mode)
    xtr, xte = _images(data)
    accs = []
    for start in (copy.deepcopy(mae_pretrain(mode, seed).model), _new_model(c, seed)):
        seed_everything(seed)
        clf = EncoderClassifier(start)
        fit(clf, _ce_loss, (xtr, data.y_train), epochs=c.finetune_epochs,
            batch_size=c.batch_size, lr=c.finetune_lr, seed=seed, progress=False)
        accs.append(_accuracy(clf.cpu(), xte, data.y_test))
    return FineTuneResult(epochs=c.finetune_epochs, from_mae=accs[0], from_scratch=accs[1])


# ------------------------------------------------------------------------------------------------
# 3. the mask ratio


@dataclass(frozen=True, eq=False)
class RatioSweep:
    """Result of :func:`mask_ratio_sweep`, aligned with ``ratios``: held-out masked-patch error
    at each model's own ratio (``own_errors``) and at the common ratio 0.75 (``errors_at_075``),
    in the units of the training target (normalised pixels in quick mode), and linear-probe
    accuracy (``probe``). ``models``: the trained MAEs. ``data``: ``"digits"`` or ``"mnist"``;
    ``raw``/``random``: probe accuracy on raw pixels and on a random encoder, for scale."""

    ratios: tuple[float, ...]
    own_errors: tuple[float, ...]
    errors_at_075: tuple[float, ...]
    probe: tuple[float, ...]
    models: tuple
    epochs: int
    wall_time_s: float
    data: str
    raw: float
    random: float

    @property
    def best_probe_ratio(self) -> float:
        return self.ratios[int(np.argmax(self.probe))]


def mask_ratio_sweep(mode: str | None = None, seed: int = 0) -> RatioSweep:
    """Pre-train one MAE per mask ratio and measure its reconstruction error and linear-probe
    accuracy. Quick mode: sklearn's 8×8 digits (2×2 patches, L = 16, normalised-pixel targets),
    ratios 0.25 / 0.5 / 0.75 / 0.9, 30 epochs each, about 4 s per ratio on one thread; ``raw``
    and ``random`` give the probe on raw pixels and on a random encoder for scale. Full mode:
    MNIST with the full-size model."""
    return _mask_ratio_sweep(get_mode(mode), _check_seed(seed))


@cached(maxsize=4)
def _mask_ratio_sweep(mode: str, seed: int) -> RatioSweep:
    import dataclasses

    from ..data import load_digits8

    c = config_for("mae", mode)
    sc = dataclasses.replace(c, model=c.sweep_model, batch_size=c.sweep_batch_size)
    if c.sweep_data == "digits":
        data = load_digits8(flatten=False)
        xtr, xte = data.x_train, data.x_test
    else:
        data = mnist_data(mode)
        xtr, xte = _images(data)
    own, at75, probe, models, wall = [], [], [], [], 0.0
    for r in c.sweep_ratios:
        model, _, w = _pretrain(sc, xtr, r, c.sweep_epochs, seed)
        wall += w
        own.append(heldout_masked_error(model, xte, r))
        at75.append(heldout_masked_error(model, xte, 0.75))
        probe.append(_probe(_features(model, xtr), data.y_train, _features(model, xte), data.y_test))
        models.append(model)
    rand = _new_model(sc, seed).eval()
    return RatioSweep(ratios=c.sweep_ratios, own_errors=tuple(own), errors_at_075=tuple(at75),
                      probe=tuple(probe), models=tuple(models), epochs=c.sweep_epochs,
                      wall_time_s=wall, data=c.sweep_data,
                      raw=_probe(xtr.flatten(1), data.y_train, xte.flatten(1), data.y_test),
                      random=_probe(_features(rand, xtr), data.y_train, _features(rand, xte),
                                    data.y_test))


# ------------------------------------------------------------------------------------------------
# 4. encoder cost


def encoder_flops(model_config: dict | MAEConfig | None = None, mask_ratio: float = 0.75,
                  batch: int = 8) -> dict[str, float]:
    """FLOPs of one encoder forward pass (``torch.utils.flop_counter``) on ``batch`` images, for
    the MAE encoder (visible patches only) and the BERT-style encoder (all tokens), and their
    ratio. Counts matrix multiplications and attention, as PyTorch's counter does."""
    from torch.utils.flop_counter import FlopCounterMode

    if model_config is None:
        model_config = _SMALL
    if isinstance(model_config, MAEConfig):
        import dataclasses
        model_config = dataclasses.asdict(model_config)
    base = {k: v for k, v in model_config.items() if k != "encoder_mode"}
    out = {}
    for mode in ("visible", "all"):
        torch.manual_seed(0)
        m = MaskedAutoencoder(**base, encoder_mode=mode).eval()
        x = torch.rand(batch, m.config.in_chans, m.config.img_size, m.config.img_size)
        with torch.no_grad(), FlopCounterMode(display=False) as fc:
            m.forward_encoder(x, mask_ratio, generator=torch.Generator().manual_seed(0))
        out[mode] = float(fc.get_total_flops())
    out["ratio"] = out["all"] / out["visible"]
    return out

