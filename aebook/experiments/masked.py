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
ViT with 7×7 patches on the standard MNIST and more epochs (sized for one CPU thread).
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

import numpy as np
import torch

from .._checks import on_model
from ..config import seed_everything
from ..data import Split, load_digits8
from ..losses import mae_loss
from ..mae import EncoderClassifier, MAEConfig, MaskedAutoencoder, as_images
from ..metrics import accuracy, cross_entropy_loss, linear_probe_accuracy
from ._data import mnist_data
from .registry import Schedule, configure, experiment

Tensor = torch.Tensor

__all__ = [
    "MAEExperimentConfig", "MAEPretrain", "mae_pretrain", "ProbeResult", "linear_probe",
    "FineTuneResult", "fine_tune", "RatioSweep", "mask_ratio_sweep", "encoder_flops",
    "heldout_masked_error", "MASK_SEED", "MAE_TINY", "MAE_DIGITS", "MAE_FULL",
]

#: seed of the generator that draws held-out masks.
MASK_SEED = 1905


@dataclass(frozen=True)
class MAEExperimentConfig(Schedule):
    """Model (``MAEConfig`` fields), pre-training schedule (the :class:`Schedule` fields) and
    mask ratio, the ratios of the sweep and its (shorter) schedule, and the fine-tuning
    schedule."""

    model: dict = field(hash=False)
    mask_ratio: float
    sweep_ratios: tuple[float, ...]
    sweep_epochs: int
    finetune_epochs: int
    finetune_lr: float
    sweep_data: str = "digits"
    sweep_model: dict = field(default_factory=dict, hash=False)
    sweep_batch_size: int = 64


#: the quick model on MNIST: 7×7 patches (L = 16), a 3-block ViT of width 48, a 1-block decoder
MAE_TINY = dict(img_size=28, patch_size=7, in_chans=1, embed_dim=48, depth=3, num_heads=4,
                decoder_embed_dim=32, decoder_depth=1, decoder_num_heads=4, mlp_ratio=2.0)
#: the quick sweep's model on sklearn's 8x8 digits: 2x2 patches, L = 16
MAE_DIGITS = dict(img_size=8, patch_size=2, in_chans=1, embed_dim=32, depth=2, num_heads=4,
                  decoder_embed_dim=32, decoder_depth=1, decoder_num_heads=4, mlp_ratio=2.0,
                  norm_pix_loss=True)
#: the full model: 7×7 patches (L = 16), a 6-block ViT of width 128, a 2-block decoder of width
#: 64 (about 40 s an epoch of the full MNIST on one CPU thread; 4×4 patches and width 192 would
#: take 445 s)
MAE_FULL = dict(img_size=28, patch_size=7, in_chans=1, embed_dim=128, depth=6, num_heads=4,
                decoder_embed_dim=64, decoder_depth=2, decoder_num_heads=4, mlp_ratio=4.0)

configure("mae",
          quick=MAEExperimentConfig(model=MAE_TINY, epochs=20, batch_size=128, lr=2e-3, mask_ratio=0.75,
                                    sweep_ratios=(0.25, 0.5, 0.75, 0.9), sweep_epochs=30,
                                    finetune_epochs=3, finetune_lr=1e-3, sweep_data="digits",
                                    sweep_model=MAE_DIGITS, sweep_batch_size=64),
          full=MAEExperimentConfig(model=MAE_FULL, epochs=40, batch_size=256, lr=1.5e-3, mask_ratio=0.75,
                                   sweep_ratios=(0.25, 0.5, 0.75, 0.9),
                                   sweep_epochs=10, finetune_epochs=3, finetune_lr=5e-4,
                                   sweep_data="mnist", sweep_model={**MAE_FULL, "norm_pix_loss": True},
                                   sweep_batch_size=256))


def _as_image_pair(data: Split) -> tuple[Tensor, Tensor]:
    return as_images(data.x_train, 28), as_images(data.x_test, 28)


def _new_model(c: MAEExperimentConfig, seed: int, **over) -> MaskedAutoencoder:
    seed_everything(seed)
    return MaskedAutoencoder(**{**c.model, **over})


def _pretrain(c: MAEExperimentConfig, x: Tensor, ratio: float, epochs: int, seed: int, name: str):
    model = _new_model(c, seed)
    schedule = Schedule(epochs=epochs, batch_size=c.batch_size, lr=c.lr)
    hist = schedule.fit(model, mae_loss(ratio), x, seed=seed, name=name)
    return model, hist


@torch.no_grad()
def heldout_masked_error(model: MaskedAutoencoder, imgs: Tensor, ratio: float,
                         batch_size: int = 500) -> float:
    """Mean squared error per pixel on the removed patches of ``imgs``, with masks drawn from a
    generator seeded with :data:`MASK_SEED` (the same masks for every model)."""
    model.eval()
    g = torch.Generator().manual_seed(MASK_SEED)
    total, count = 0.0, 0.0
    for xb in imgs.split(batch_size):
        out = model(on_model(model, xb), ratio, generator=g)
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


@experiment(config="mae", maxsize=4)
def mae_pretrain(c: MAEExperimentConfig, mode: str | None = None, seed: int = 0) -> MAEPretrain:
    """Pre-train the MAE on MNIST-5k at r = 0.75 (quick: 7×7 patches, L = 16, a 3-block ViT of
    width 48 and a 1-block decoder of width 32, 20 epochs)."""
    xtr, xte = _as_image_pair(mnist_data(mode))
    model, hist = _pretrain(c, xtr, c.mask_ratio, c.epochs, seed, "pretrain")
    errors = {r: heldout_masked_error(model, xte, r) for r in (0.5, 0.75, 0.8, 0.9)}
    mean = float(xtr.mean())
    baseline = float((xte - mean).pow(2).mean())  # every pixel is removed with prob. r
    return MAEPretrain(model=model, train_loss=tuple(hist.train), errors=errors, baseline=baseline,
                       config=c)


# ------------------------------------------------------------------------------------------------
# 2. linear probe and fine-tuning


@torch.no_grad()
def _features(model: MaskedAutoencoder, x: Tensor, batch_size: int = 500) -> Tensor:
    model.eval()
    return torch.cat([model.features(on_model(model, xb)).cpu() for xb in x.split(batch_size)])


@dataclass(frozen=True)
class ProbeResult:
    """Held-out accuracies (1000 MNIST-5k digits) of a logistic-regression probe on raw pixels,
    on the features of a randomly initialised encoder, and on the pre-trained MAE encoder's
    features (mean of the patch tokens, no masking)."""

    raw_pixels: float
    random_encoder: float
    mae_encoder: float
    feature_dim: int


@experiment(config="mae", maxsize=4)
def linear_probe(c: MAEExperimentConfig, mode: str | None = None, seed: int = 0) -> ProbeResult:
    """Linear probes on MNIST-5k (4000 training, 1000 held-out digits)."""
    data = mnist_data(mode)
    xtr, xte = _as_image_pair(data)
    mae = mae_pretrain(mode, seed).model
    rand = _new_model(c, seed).eval()
    probe = linear_probe_accuracy
    return ProbeResult(
        raw_pixels=probe(data.x_train, data.y_train, data.x_test, data.y_test),
        random_encoder=probe(_features(rand, xtr), data.y_train, _features(rand, xte), data.y_test),
        mae_encoder=probe(_features(mae, xtr), data.y_train, _features(mae, xte), data.y_test),
        feature_dim=mae.config.embed_dim)


@dataclass(frozen=True)
class FineTuneResult:
    """Held-out accuracy after ``epochs`` of supervised training from the MAE's weights and
    from a random initialisation (same network, same schedule)."""

    epochs: int
    from_mae: float
    from_scratch: float


@experiment(config="mae", maxsize=4)
def fine_tune(c: MAEExperimentConfig, mode: str | None = None, seed: int = 0) -> FineTuneResult:
    """Fine-tune the pre-trained encoder with a linear head on the digit labels (quick: 3
    epochs), against the same network trained from scratch for as long."""
    data = mnist_data(mode)
    xtr, xte = _as_image_pair(data)
    schedule = Schedule(epochs=c.finetune_epochs, batch_size=c.batch_size, lr=c.finetune_lr)
    accs = []
    for name, start in (("from-mae", copy.deepcopy(mae_pretrain(mode, seed).model)),
                        ("from-scratch", _new_model(c, seed))):
        seed_everything(seed)
        clf = EncoderClassifier(start)
        schedule.fit(clf, cross_entropy_loss, (xtr, data.y_train), seed=seed, name=name)
        accs.append(accuracy(clf, xte, data.y_test))
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
    data: str
    raw: float
    random: float

    @property
    def best_probe_ratio(self) -> float:
        return self.ratios[int(np.argmax(self.probe))]


@experiment(config="mae", maxsize=4)
def mask_ratio_sweep(c: MAEExperimentConfig, mode: str | None = None, seed: int = 0) -> RatioSweep:
    """Pre-train one MAE per mask ratio and measure its reconstruction error and linear-probe
    accuracy. Quick mode: sklearn's 8×8 digits (2×2 patches, L = 16, normalised-pixel targets),
    ratios 0.25 / 0.5 / 0.75 / 0.9, 30 epochs each, about 4 s per ratio on one thread; ``raw``
    and ``random`` give the probe on raw pixels and on a random encoder for scale. Full mode:
    MNIST with the full-size model."""
    sc = dataclasses.replace(c, model=c.sweep_model, batch_size=c.sweep_batch_size)
    if c.sweep_data == "digits":
        data = load_digits8(flatten=False)
        xtr, xte = data.x_train, data.x_test
    else:
        data = mnist_data(mode)
        xtr, xte = _as_image_pair(data)
    own, at75, probe, models = [], [], [], []
    for r in c.sweep_ratios:
        model, _ = _pretrain(sc, xtr, r, c.sweep_epochs, seed, f"ratio-{r:g}")
        own.append(heldout_masked_error(model, xte, r))
        at75.append(heldout_masked_error(model, xte, 0.75))
        probe.append(linear_probe_accuracy(_features(model, xtr), data.y_train, _features(model, xte),
                                           data.y_test))
        models.append(model)
    rand = _new_model(sc, seed).eval()
    return RatioSweep(ratios=c.sweep_ratios, own_errors=tuple(own), errors_at_075=tuple(at75),
                      probe=tuple(probe), models=tuple(models), epochs=c.sweep_epochs,
                      data=c.sweep_data,
                      raw=linear_probe_accuracy(xtr.flatten(1), data.y_train, xte.flatten(1), data.y_test),
                      random=linear_probe_accuracy(_features(rand, xtr), data.y_train, _features(rand, xte),
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
        model_config = MAE_TINY
    if isinstance(model_config, MAEConfig):
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

