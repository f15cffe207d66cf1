"""One training loop for every model of the chapter, plus checkpoints and the loss history.

Every autoencoder of the book (linear, deep, sparse, denoising, masked, the VAE variants) is
trained by :func:`fit`. A model only has to come with a *loss function*::

    def loss_fn(model, batch):          # batch is ALWAYS a tuple of tensors, here (x,)
        (x,) = batch
        y = model(x)
        return ((y - x) ** 2).sum(dim=1).mean()       # a scalar tensor ...

    def vae_loss(model, batch):
        (x,) = batch
        recon, kl = model.terms(x)
        return {"loss": recon + kl, "recon": recon, "kl": kl}   # ... or a dict with "loss"

    aebook.seed_everything(0)           # seed BEFORE building the model: fit does not touch init
    model = MyAE()
    hist = fit(model, loss_fn, x_train, val=x_test, epochs=20)
    hist.plot()

Design (nanoGPT-like: one flat loop, nothing hidden):

* In-memory tensors only, no ``DataLoader``: the data are moved to the device once, each epoch
  draws ``torch.randperm`` from a private generator and batches are gathered with
  ``index_select``. The permutation is drawn on the CPU and moved to the device, so a given seed
  visits the examples in the same order on every device.
* Per-batch losses stay tensors (no ``.item()``); they are stacked and copied to the host once
  per epoch. History values are means over batches weighted by batch size.
* NaN/inf guard (see :func:`fit`, argument ``nan_check``): on the CPU every batch is checked
  before ``backward`` (about a microsecond: CPU tensors need no device sync); on a GPU the check
  is deferred to the end of the epoch (one sync per epoch instead of one per batch) and the
  offending batch is still named exactly. In both cases the model and optimizer are restored to
  their state at the end of the last completed epoch, kept as an in-memory copy that is
  refreshed in preallocated buffers once per epoch (one memcpy of the parameters and optimizer
  state: well under 1 % of an epoch for the book's models; pass ``keep_last_good=False`` to skip
  it for a model too large to hold twice).
* Checkpoints are written atomically (temporary file + ``os.replace``) and read back with
  ``torch.load(..., weights_only=True)``: they hold tensors and plain Python values only.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import numbers
import os
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from .config import pick_device, seed_everything

__all__ = [
    "CHECKPOINT_FORMAT", "History", "TrainingDiverged",
    "evaluate", "fit", "load_checkpoint", "make_optimizer", "save_checkpoint",
]

CHECKPOINT_FORMAT = "aebook-checkpoint/1"
PROGRESS_ENV = "AEBOOK_PROGRESS"  # "0", "false", "no" or "off" silences every progress bar
_OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")

LossFn = Callable[[nn.Module, tuple], "torch.Tensor | Mapping[str, torch.Tensor]"]


class TrainingDiverged(FloatingPointError):
    """Raised by :func:`fit` when a loss, a logged term or the parameters become NaN or inf.

    Attributes: ``history`` (the :class:`History` of the completed epochs), ``epoch`` (1-based
    epoch in which it happened), ``batch`` (0-based batch index, or ``None`` when only the
    parameters were found non-finite), ``term`` (``"loss"``, a logged term, or
    ``"parameters"``), ``last_loss`` (last finite batch loss, or ``None``), ``checkpoint`` (path
    of the last checkpoint written, which is left untouched, or ``None``).
    """

    def __init__(self, message: str, *, history: History, epoch: int, batch: int | None = None,
                 term: str | None = None, last_loss: float | None = None,
                 checkpoint: str | None = None):
        super().__init__(message)
        self.history = history
        self.epoch = epoch
        self.batch = batch
        self.term = term
        self.last_loss = last_loss
        self.checkpoint = checkpoint


# --------------------------------------------------------------------------------------------
# History
# --------------------------------------------------------------------------------------------

@dataclass
class History:
    """Per-epoch losses of one :func:`fit` call.

    ``train[i]`` is the mean training loss of epoch ``i + 1``; ``val[j]`` the held-out loss after
    epoch ``val_epochs[j]`` (every epoch unless ``val_every > 1``). ``terms``/``val_terms`` hold
    the extra scalars a dict-returning loss logs (e.g. ``"recon"``, ``"kl"``), aligned with
    ``train`` and ``val`` respectively.
    """

    train: list[float] = field(default_factory=list)
    val: list[float] = field(default_factory=list)
    terms: dict[str, list[float]] = field(default_factory=dict)
    val_terms: dict[str, list[float]] = field(default_factory=dict)
    val_epochs: list[int] = field(default_factory=list)
    epochs_run: int = 0
    wall_time_s: float = 0.0
    stopped_early: bool = False
    diverged: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Plain lists, dicts, floats, ints, bools: safe for ``torch.load(weights_only=True)``."""
        return {
            "train": [float(v) for v in self.train],
            "val": [float(v) for v in self.val],
            "terms": {str(k): [float(v) for v in vs] for k, vs in self.terms.items()},
            "val_terms": {str(k): [float(v) for v in vs] for k, vs in self.val_terms.items()},
            "val_epochs": [int(e) for e in self.val_epochs],
            "epochs_run": int(self.epochs_run),
            "wall_time_s": float(self.wall_time_s),
            "stopped_early": bool(self.stopped_early),
            "diverged": bool(self.diverged),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> History:
        """Inverse of :meth:`as_dict` (missing keys take their defaults)."""
        val = [float(v) for v in d.get("val", [])]
        return cls(
            train=[float(v) for v in d.get("train", [])],
            val=val,
            terms={k: [float(v) for v in vs] for k, vs in d.get("terms", {}).items()},
            val_terms={k: [float(v) for v in vs] for k, vs in d.get("val_terms", {}).items()},
            val_epochs=[int(e) for e in d.get("val_epochs", range(1, len(val) + 1))],
            epochs_run=int(d.get("epochs_run", len(d.get("train", [])))),
            wall_time_s=float(d.get("wall_time_s", 0.0)),
            stopped_early=bool(d.get("stopped_early", False)),
            diverged=bool(d.get("diverged", False)),
        )

    def last(self, key: str = "train") -> float:
        """Latest value of ``"train"``, ``"val"``, a train term (``"kl"``) or a val term (``"val_kl"``)."""
        if key == "train":
            values = self.train
        elif key == "val":
            values = self.val
        elif key in self.terms:
            values = self.terms[key]
        elif key.startswith("val_") and key[4:] in self.val_terms:
            values = self.val_terms[key[4:]]
        else:
            known = ["train", "val", *self.terms, *("val_" + k for k in self.val_terms)]
            raise KeyError(f"History has no series {key!r}; known: {known}")
        if not values:
            raise IndexError(f"History series {key!r} is empty (no epoch recorded it yet)")
        return values[-1]

    def __len__(self) -> int:
        return len(self.train)

    def plot(self, ax=None, terms: bool | Iterable[str] = False, lang: str | None = None,
             logy: bool = False):
        """Plot training and held-out loss against the epoch; return the matplotlib ``Axes``.

        Args:
            ax: axes to draw into (a new figure is made when ``None``).
            terms: ``True`` also draws every logged term (dashed: train, dotted: held-out);
                an iterable of names draws only those.
            lang: label language (``"ko"``/``"en"``); ``None`` uses the one set by ``setup``.
            logy: logarithmic loss axis.
        """
        from matplotlib.ticker import MaxNLocator

        from .i18n import t

        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(5.5, 3.5), layout="constrained")
        epochs = list(range(1, len(self.train) + 1))
        tr, va = t("train", lang), t("val", lang)
        ax.plot(epochs, self.train, marker="o", ms=3, label=tr)
        if self.val:
            ax.plot(self.val_epochs, self.val, marker="s", ms=3, label=va)
        if terms:
            names = list(self.terms) if terms is True else list(terms)
            for name in names:
                color = None
                if name in self.terms:
                    (line,) = ax.plot(epochs, self.terms[name], ls="--", label=f"{name} ({tr})")
                    color = line.get_color()
                if name in self.val_terms:
                    ax.plot(self.val_epochs, self.val_terms[name], ls=":", color=color,
                            label=f"{name} ({va})")
        ax.set_xlabel(t("epoch", lang))
        ax.set_ylabel(t("loss", lang))
        ax.set_title(t("history.title", lang))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if logy:
            ax.set_yscale("log")
            # plain-text tick labels ("0.06", "2"): mathtext's minus sign is missing from NanumGothic
            ax.yaxis.set_major_formatter(_plain_log_formatter())
            ax.yaxis.set_minor_formatter(_plain_log_formatter(labelOnlyBase=False, minor_thresholds=(2, 0.4)))
        ax.legend()
        ax.grid(alpha=0.3)
        return ax


def _plain_log_formatter(**kw):
    """matplotlib's LogFormatter (which ticks get a label) writing ``f"{x:g}"`` labels."""
    from matplotlib.ticker import LogFormatter

    class PlainLogFormatter(LogFormatter):
        def _num_to_string(self, x, vmin, vmax):
            return f"{x:g}"

    return PlainLogFormatter(**kw)


# --------------------------------------------------------------------------------------------
# Argument checks and data
# --------------------------------------------------------------------------------------------

def _check_int(name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def _check_positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (value >= 0 if allow_zero else value > 0)
    if not ok:
        rng = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {rng}, got {value!r}")
    return float(value)


def _as_tensors(data: Any, name: str) -> tuple[torch.Tensor, ...]:
    """Normalise ``data`` to a non-empty tuple of tensors sharing the first dimension; check it.

    NumPy arrays are accepted; floating ones become ``torch.get_default_dtype()`` (float32).
    """
    if data is None:
        raise ValueError(f"{name} must be a tensor or a tuple of tensors, got None")
    items = tuple(data) if isinstance(data, (tuple, list)) else (data,)
    if not items:
        raise ValueError(f"{name} is an empty tuple; pass a tensor x or a tuple like (x, y)")
    tensors = []
    for i, item in enumerate(items):
        where = f"{name}[{i}]" if len(items) > 1 else name
        if isinstance(item, np.ndarray):
            item = torch.as_tensor(item)
            if item.is_floating_point():
                item = item.to(torch.get_default_dtype())
        if not isinstance(item, torch.Tensor):
            raise TypeError(f"{where} must be a torch.Tensor or numpy array, got {type(item).__name__}")
        if item.ndim == 0:
            raise ValueError(f"{where} is a 0-d tensor; it needs a first (example) dimension")
        tensors.append(item)
    n = tensors[0].shape[0]
    if n == 0:
        raise ValueError(f"{name} is empty (0 examples)")
    lengths = [t.shape[0] for t in tensors]
    if any(m != n for m in lengths):
        raise ValueError(f"{name} tensors must have the same length (first dimension), got {lengths}")
    for i, t in enumerate(tensors):
        if t.is_floating_point() or t.is_complex():
            if _all_finite([t]):
                continue
            bad = ~torch.isfinite(t)
            if bool(bad.any()):
                kind = "NaN" if bool(torch.isnan(t).any()) else "inf"
                row = int(bad.reshape(n, -1).any(dim=1).nonzero()[0, 0])
                part = f" (tensor {i} of the tuple)" if len(tensors) > 1 else ""
                raise ValueError(f"{name} contains {kind} values{part}, first in example {row}; "
                                 "clean or impute the data before training")
    return tuple(tensors)


def _all_finite(tensors: Sequence[torch.Tensor]) -> bool:
    """Exact "no NaN/inf anywhere", via a cheap sum (a NaN or inf always reaches the sum); only
    when the sum is not finite (a NaN/inf, or a float overflow) is the element-wise test run."""
    tensors = [t for t in tensors if t.is_floating_point() or t.is_complex()]
    if not tensors:
        return True
    total = torch.stack([t.sum(dtype=torch.float64 if t.is_floating_point() else None)
                         for t in tensors]).sum()
    if bool(torch.isfinite(total)):
        return True
    return all(bool(torch.isfinite(t).all()) for t in tensors)


def _progress_enabled(progress: bool) -> bool:
    env = os.environ.get(PROGRESS_ENV, "").strip().lower()
    return bool(progress) and env not in ("0", "false", "no", "off")


def make_optimizer(optimizer: Any, params: Iterable[torch.nn.Parameter], lr: float,
                   weight_decay: float = 0.0) -> torch.optim.Optimizer:
    """``"adam"``, ``"adamw"``, ``"sgd"`` (momentum 0.9), ``"rmsprop"``, an optimizer, or a factory."""
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    if isinstance(optimizer, str):
        name = optimizer.lower()
        if name == "adam":
            return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
        if name == "adamw":
            return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
        if name == "sgd":
            return torch.optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
        if name == "rmsprop":
            return torch.optim.RMSprop(params, lr=lr, weight_decay=weight_decay)
        raise ValueError(f"optimizer must be one of {_OPTIMIZERS}, a torch.optim.Optimizer or a "
                         f"callable(params) -> Optimizer, got {optimizer!r}")
    if callable(optimizer):
        opt = optimizer(params)
        if not isinstance(opt, torch.optim.Optimizer):
            raise TypeError(f"the optimizer factory returned {type(opt).__name__}, "
                            "not a torch.optim.Optimizer")
        return opt
    raise ValueError(f"optimizer must be one of {_OPTIMIZERS}, a torch.optim.Optimizer or a "
                     f"callable(params) -> Optimizer, got {optimizer!r}")


def _check_callbacks(callbacks: Any) -> list:
    """``callbacks`` as a list of callables, checked before any training happens."""
    if callbacks is None:
        return []
    if callable(callbacks) or not isinstance(callbacks, (list, tuple)):
        raise TypeError("callbacks must be a list of callables cb(epoch, history, model), got "
                        f"{type(callbacks).__name__}; wrap a single callback in a list")
    for i, cb in enumerate(callbacks):
        if not callable(cb):
            raise TypeError(f"callbacks[{i}] must be a callable cb(epoch, history, model), got "
                            f"{type(cb).__name__} {cb!r}")
    return list(callbacks)


def _check_optimizer_holds(opt: torch.optim.Optimizer, model: nn.Module) -> None:
    """Refuse an optimizer that would step none of ``model``'s trainable parameters (e.g. one
    built on another model): training would run and report a flat loss."""
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    if not trainable:
        raise ValueError("model has no trainable parameters (none requires grad): nothing to fit")
    held = {id(p) for group in opt.param_groups for p in group["params"]}
    if not trainable & held:
        raise ValueError(f"optimizer does not hold model's parameters: its {len(held)} parameter(s) "
                         f"belong to another module, so fit would train nothing; build it on "
                         "model.parameters(), or pass a name such as 'adam'")


def _model_device(model: nn.Module) -> torch.device:
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


# --------------------------------------------------------------------------------------------
# One batch
# --------------------------------------------------------------------------------------------

def _batch_values(out: Any, keys: list[str] | None) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Return (loss to backpropagate, detached 1-D tensor of [loss, *terms], term names)."""
    if isinstance(out, torch.Tensor):
        if keys is None:
            _check_loss(out, "loss_fn")
        return out, out.detach().reshape(1), (keys if keys is not None else [])
    if not isinstance(out, Mapping):
        raise TypeError("loss_fn must return a scalar tensor or a dict with key 'loss', "
                        f"got {type(out).__name__}")
    if keys is None:  # first batch: check the structure once
        if "loss" not in out:
            raise ValueError(f"loss_fn returned a dict without the key 'loss' (keys: {list(out)})")
        _check_loss(out["loss"], "loss_fn()['loss']")
        keys = [str(k) for k in out if k != "loss"]
    elif len(out) != len(keys) + 1:
        raise ValueError(f"loss_fn returned keys {list(out)}, but the first batch returned {['loss', *keys]}")
    loss = out["loss"]
    parts = [loss.detach()]
    for k in keys:
        v = out[k]
        if isinstance(v, torch.Tensor):
            if v.numel() != 1:
                raise ValueError(f"loss_fn()[{k!r}] must be a scalar, got shape {tuple(v.shape)}")
            parts.append(v.detach().reshape(()).to(loss.dtype))
        else:
            parts.append(torch.tensor(float(v), dtype=loss.dtype, device=loss.device))
    return loss, torch.stack(parts), keys


def _check_loss(loss: Any, what: str) -> None:
    if not isinstance(loss, torch.Tensor):
        raise TypeError(f"{what} must be a tensor, got {type(loss).__name__}")
    if loss.ndim != 0:
        raise ValueError(f"{what} must be a scalar (0-d) tensor, got shape {tuple(loss.shape)}; "
                         "reduce it with .mean() or .sum()")
    if not loss.is_floating_point():
        raise ValueError(f"{what} must be a floating-point tensor, got {loss.dtype}")


def _to_host(batch_vals: list[torch.Tensor]) -> torch.Tensor:
    """(n_batches, 1 + n_terms) float64 CPU tensor: the one host transfer of an epoch."""
    return torch.stack(batch_vals).to("cpu", torch.float64)


def _means(vals: torch.Tensor, sizes: list[int]) -> list[float]:
    """Batch-size-weighted means of the per-batch values (rows of ``vals``)."""
    w = torch.tensor(sizes, dtype=torch.float64)
    return ((vals * w[:, None]).sum(0) / w.sum()).tolist()


def _first_bad(vals: torch.Tensor) -> tuple[int, int] | None:
    bad = ~torch.isfinite(vals)
    if not bool(bad.any()):
        return None
    b, j = (int(i) for i in bad.nonzero()[0])
    return b, j


@torch.no_grad()
def _evaluate(model: nn.Module, loss_fn: LossFn, data: tuple[torch.Tensor, ...],
              batch_size: int) -> tuple[list[float], list[str]]:
    """Weighted means of [loss, *terms] over prepared data (already on the device)."""
    n = data[0].shape[0]
    keys = None
    vals, sizes = [], []
    for i in range(0, n, batch_size):
        batch = tuple(t[i:i + batch_size] for t in data)
        _, v, keys = _batch_values(loss_fn(model, batch), keys)
        vals.append(v)
        sizes.append(batch[0].shape[0])
    return _means(_to_host(vals), sizes), keys


def evaluate(model: nn.Module, loss_fn: LossFn, data: Any, *, batch_size: int = 1024,
             device: str | torch.device | None = None) -> dict[str, float]:
    """Mean loss (and logged terms) of ``model`` over a whole data set, without gradients.

    The model is put in ``eval()`` mode and returned to its previous mode. ``data`` is a tensor
    or a tuple of tensors (``loss_fn`` receives a tuple, as in :func:`fit`). ``device=None``
    uses the device the model is on; an explicit device moves the model there.
    Returns e.g. ``{"loss": 0.021, "recon": 0.018, "kl": 0.003}``.
    """
    batch_size = _check_int("batch_size", batch_size)
    dev = _model_device(model) if device is None else pick_device(device)
    model.to(dev)
    tensors = tuple(t.to(dev) for t in _as_tensors(data, "data"))
    was_training = model.training
    model.eval()
    try:
        means, keys = _evaluate(model, loss_fn, tensors, batch_size)
    finally:
        model.train(was_training)
    return dict(zip(["loss", *keys], means))


# --------------------------------------------------------------------------------------------
# Last good state (for the NaN guard)
# --------------------------------------------------------------------------------------------

def _copy_tree(src: Any, dst: Any = None) -> Any:
    """Deep copy of nested dicts/lists/tuples of tensors, reusing ``dst``'s tensors as buffers."""
    if isinstance(src, torch.Tensor):
        if (isinstance(dst, torch.Tensor) and dst.shape == src.shape and dst.dtype == src.dtype
                and dst.device == src.device):
            return dst.copy_(src)
        return src.detach().clone()
    if isinstance(src, Mapping):
        d = dst if isinstance(dst, Mapping) else {}
        return {k: _copy_tree(v, d.get(k)) for k, v in src.items()}
    if isinstance(src, (list, tuple)):
        d = dst if isinstance(dst, (list, tuple)) and len(dst) == len(src) else [None] * len(src)
        return type(src)(_copy_tree(v, w) for v, w in zip(src, d))
    return src


class _LastGood:
    """Model + optimizer state at the end of the last completed epoch, in reused buffers."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, enabled: bool):
        self.model, self.optimizer, self.enabled = model, optimizer, enabled
        self.state: tuple[Any, Any] | None = None

    def take(self) -> None:
        if self.enabled:
            old = self.state or (None, None)
            self.state = (_copy_tree(self.model.state_dict(), old[0]),
                          _copy_tree(self.optimizer.state_dict(), old[1]))

    def restore(self) -> bool:
        if not self.state:
            return False
        # copies again so that the optimizer never aliases the buffers
        self.model.load_state_dict(self.state[0])
        self.optimizer.load_state_dict(_copy_tree(self.state[1]))
        return True


def _params_finite(model: nn.Module) -> bool:
    return _all_finite([p.detach() for p in model.parameters()])


# --------------------------------------------------------------------------------------------
# fit
# --------------------------------------------------------------------------------------------

def fit(model: nn.Module, loss_fn: LossFn, train: Any, *, val: Any = None, epochs: int = 10,
        batch_size: int = 128, lr: float = 1e-3, optimizer: Any = "adam",
        weight_decay: float = 0.0, seed: int | None = 0, device: str | torch.device | None = None,
        progress: bool = True, checkpoint: str | os.PathLike | None = None,
        checkpoint_every: int = 1, grad_clip: float | None = None, val_every: int = 1,
        callbacks: Sequence[Callable[[int, History, nn.Module], Any]] | None = None,
        drop_last: bool = False, val_batch_size: int | None = None, nan_check: str = "auto",
        keep_last_good: bool = True) -> History:
    """Train ``model`` in place by minibatch gradient descent on ``loss_fn``; return the History.

    Args:
        model: any ``nn.Module``; moved to ``device`` and trained in place (left in train mode).
            ``fit`` does not initialise it: call :func:`aebook.seed_everything` *before* building
            the model for a reproducible initialisation.
        loss_fn: ``loss_fn(model, batch)`` where ``batch`` is ALWAYS a tuple of tensors already
            on the device -- ``(x,)`` when ``train`` is a single tensor, ``(x, y)`` for a pair.
            It returns a scalar tensor, or a dict with key ``"loss"`` (the one backpropagated)
            and other scalar terms to log (``"recon"``, ``"kl"`` ...).
        train, val: a tensor ``x`` of shape (N, ...) or a tuple of tensors with the same N.
            NumPy arrays are converted (floating ones to float32). NaN/inf values are refused.
        epochs, batch_size: ints >= 1. The last batch of an epoch may be smaller unless
            ``drop_last=True``.
        lr, weight_decay: used when ``optimizer`` is a name: ``"adam"`` (default), ``"adamw"``,
            ``"sgd"`` (momentum 0.9) or ``"rmsprop"``. An ``Optimizer`` instance (built on
            ``model.parameters()``) or a factory ``callable(params) -> Optimizer`` is used as
            given, and then ``lr``/``weight_decay`` are ignored. A name builds a fresh
            optimizer on every call (pass an instance to keep Adam's moments across calls).
        seed: seeds ``random``, NumPy and torch (so noise drawn inside ``loss_fn`` repeats) and
            a private generator for the shuffling order. ``None`` seeds nothing.
        device: ``None``/``"auto"`` picks cuda > mps > cpu; model and data move there once.
        progress: a tqdm bar over epochs with the last losses; ``$AEBOOK_PROGRESS=0`` silences
            it globally.
        checkpoint: path; written atomically every ``checkpoint_every`` epochs and at the end.
        grad_clip: max gradient norm (``clip_grad_norm_``), or ``None``.
        val_every: evaluate ``val`` every this many epochs (and after the last one).
        callbacks: ``cb(epoch, history, model)`` after each epoch (epoch is 1-based, history
            already includes it); a callback returning ``True`` stops training early
            (``history.stopped_early`` is then True).
        val_batch_size: batch size for validation (default: ``batch_size``).
        nan_check: ``"batch"`` checks every batch before ``backward`` (free on CPU; one device
            sync per batch on a GPU); ``"epoch"`` checks the stacked batch losses once per epoch
            (a diverged epoch is run to its end, then undone); ``"auto"`` (default) is
            ``"batch"`` on CPU and ``"epoch"`` elsewhere. Both name the first bad batch.
        keep_last_good: keep an in-memory copy of the model and optimizer state at the end of
            each epoch, to restore on divergence. ``False`` saves that memory; a diverged model
            is then left as it is (reload the checkpoint).

    Raises:
        ValueError: a bad argument (the message names it and the allowed range).
        TrainingDiverged: a loss, logged term or parameter became NaN/inf. The model and
            optimizer are restored to the end of the last completed epoch, the checkpoint on
            disk is not overwritten, and the exception carries the partial ``history``.
    """
    # ---- arguments ---------------------------------------------------------------------------
    epochs = _check_int("epochs", epochs)
    batch_size = _check_int("batch_size", batch_size)
    lr = _check_positive("lr", lr)
    weight_decay = _check_positive("weight_decay", weight_decay, allow_zero=True)
    checkpoint_every = _check_int("checkpoint_every", checkpoint_every)
    val_every = _check_int("val_every", val_every)
    if grad_clip is not None:
        grad_clip = _check_positive("grad_clip", grad_clip)
    if seed is not None:
        seed = _check_int("seed", seed, low=0)
    val_batch_size = batch_size if val_batch_size is None else _check_int("val_batch_size", val_batch_size)
    if nan_check not in ("auto", "batch", "epoch"):
        raise ValueError(f"nan_check must be 'auto', 'batch' or 'epoch', got {nan_check!r}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable(model, batch), got {type(loss_fn).__name__}")
    callbacks = _check_callbacks(callbacks)
    train_data = _as_tensors(train, "train")
    val_data = _as_tensors(val, "val") if val is not None else None
    if val_data is not None and len(val_data) != len(train_data):
        raise ValueError(f"val has {len(val_data)} tensor(s) but train has {len(train_data)}; "
                         "loss_fn receives the same tuple structure for both")
    n = train_data[0].shape[0]
    n_batches = n // batch_size if drop_last else -(-n // batch_size)
    if n_batches == 0:
        raise ValueError(f"batch_size ({batch_size}) is larger than train ({n} examples) with "
                         "drop_last=True: no batch would remain")
    checkpoint = os.fspath(checkpoint) if checkpoint is not None else None

    # ---- set-up: device, data, optimizer, randomness ---------------------------------------
    dev = pick_device(device)
    per_batch = nan_check == "batch" or (nan_check == "auto" and dev.type == "cpu")
    model.to(dev)
    model.train()
    train_data = tuple(t.to(dev) for t in train_data)
    if val_data is not None:
        val_data = tuple(t.to(dev) for t in val_data)
    opt = make_optimizer(optimizer, model.parameters(), lr, weight_decay)
    _check_optimizer_holds(opt, model)
    if seed is not None:
        seed_everything(seed)  # noise inside loss_fn; the shuffle has its own stream below
        gen = torch.Generator().manual_seed((seed * 6364136223846793005 + 1442695040888963407) % 2**63)
    else:
        gen = torch.Generator().manual_seed(int(torch.randint(2**62, ())))
    params = [p for p in model.parameters() if p.requires_grad]
    sizes = [batch_size] * n_batches
    if not drop_last and n % batch_size:
        sizes[-1] = n % batch_size
    fit_meta = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "weight_decay": weight_decay,
                "optimizer": optimizer if isinstance(optimizer, str) else type(opt).__name__,
                "seed": seed, "grad_clip": grad_clip, "n_train": n}

    history = History()
    last_good = _LastGood(model, opt, keep_last_good)
    saved: tuple[str, int] | None = None  # (path, epoch) of the last checkpoint written
    last_finite: float | None = None
    keys: list[str] | None = None
    show = _progress_enabled(progress)
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, desc="fit", unit="epoch")
    start = time.perf_counter()

    def diverged(epoch: int, batch: int | None, term: str, value: float | None) -> TrainingDiverged:
        restored = last_good.restore()
        history.diverged = True
        history.wall_time_s = time.perf_counter() - start
        where = f"epoch {epoch}, batch {batch} (of {n_batches})" if batch is not None else f"epoch {epoch}"
        what = (f"the parameters became non-finite (a NaN/inf gradient with a finite loss)"
                if term == "parameters" else f"the term {term!r} became {value}")
        if not restored:
            state = "model was NOT restored (keep_last_good=False)"
        elif epoch == 1:
            state = "model and optimizer were restored to their initial state (before epoch 1)"
        else:
            state = f"model and optimizer were restored to the end of epoch {epoch - 1}"
        ckpt = (f"the last good checkpoint {saved[0]!r} (epoch {saved[1]}) was kept unchanged"
                if saved else "no checkpoint was written")
        lastl = f"{last_finite:.6g}" if last_finite is not None else "none"
        msg = (f"training diverged at {where}: {what}. Last finite batch loss: {lastl}. "
               f"The {state}; {ckpt}. Try a lower learning rate (lr={lr:g} now), gradient "
               f"clipping (grad_clip=1.0), or look for log(0) or division by zero in loss_fn.")
        return TrainingDiverged(msg, history=history, epoch=epoch, batch=batch, term=term,
                                last_loss=last_finite, checkpoint=saved[0] if saved else None)

    try:
        for epoch in range(1, epochs + 1):
            last_good.take()
            # ---- one epoch of minibatch updates --------------------------------------------
            perm = torch.randperm(n, generator=gen)
            if dev.type != "cpu":
                perm = perm.to(dev, non_blocking=True)
            batch_vals = []
            for b in range(n_batches):
                idx = perm[b * batch_size:(b + 1) * batch_size]
                batch = tuple(t.index_select(0, idx) for t in train_data)
                loss, vals, keys = _batch_values(loss_fn(model, batch), keys)
                if per_batch:
                    ok = math.isfinite(vals.item()) if vals.numel() == 1 else bool(torch.isfinite(vals).all())
                    if not ok:
                        j = int((~torch.isfinite(vals)).nonzero()[0, 0])
                        if b:
                            last_finite = float(batch_vals[-1][0])
                        raise diverged(epoch, b, (["loss", *keys])[j], float(vals[j]))
                batch_vals.append(vals)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                if grad_clip is not None:
                    torch.nn.utils.clip_grad_norm_(params, grad_clip)
                opt.step()
            # ---- end of epoch: one host transfer, checks, validation -----------------------
            host = _to_host(batch_vals)
            if not per_batch:
                bad = _first_bad(host)
                if bad is not None:
                    b, j = bad
                    if b:
                        last_finite = float(host[b - 1, 0])
                    raise diverged(epoch, b, (["loss", *keys])[j], float(host[b, j]))
            means = _means(host, sizes)
            last_finite = float(host[-1, 0])
            if not _params_finite(model):
                raise diverged(epoch, None, "parameters", None)
            history.train.append(means[0])
            for k, v in zip(keys, means[1:]):
                history.terms.setdefault(k, []).append(v)
            if val_data is not None and (epoch % val_every == 0 or epoch == epochs):
                model.eval()
                try:
                    vmeans, vkeys = _evaluate(model, loss_fn, val_data, val_batch_size)
                finally:
                    model.train()
                history.val.append(vmeans[0])
                history.val_epochs.append(epoch)
                for k, v in zip(vkeys, vmeans[1:]):
                    history.val_terms.setdefault(k, []).append(v)
            history.epochs_run = epoch
            history.wall_time_s = time.perf_counter() - start
            if bar is not None:
                post = {"train": f"{history.train[-1]:.4g}"}
                if history.val:
                    post["val"] = f"{history.val[-1]:.4g}"
                bar.set_postfix(post, refresh=False)
                bar.update(1)
            stop = False
            for cb in callbacks:
                stop = bool(cb(epoch, history, model)) or stop
            if stop:
                history.stopped_early = epoch < epochs
            if checkpoint is not None and (epoch % checkpoint_every == 0 or epoch == epochs or stop):
                history.wall_time_s = time.perf_counter() - start
                save_checkpoint(checkpoint, model, optimizer=opt, epoch=epoch, history=history,
                                meta={"fit": fit_meta})
                saved = (checkpoint, epoch)
            if stop:
                break
    finally:
        if bar is not None:
            bar.close()
    if saved is None or saved[1] != history.epochs_run:  # else keep it equal to the checkpoint's
        history.wall_time_s = time.perf_counter() - start
    return history


# --------------------------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------------------------

def _qualname(obj: Any) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _plain(value: Any, where: str = "value", strict: bool = False) -> Any:
    """Convert to primitives (dict/list/str/int/float/bool/None). ``strict``: refuse, else str()."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return _plain(value.value, where, strict)
    if isinstance(value, np.generic):
        return value.item()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v, f"{where}[{k!r}]", strict) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]", strict) for i, v in enumerate(value)]
    if isinstance(value, torch.Tensor) and not strict:
        return value.tolist()
    if strict and not isinstance(value, torch.Tensor):
        raise ValueError(f"{where} is a {type(value).__name__}; checkpoint meta may hold only "
                         "dicts, lists, str, int, float, bool, None and tensors")
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    return str(value)


def _model_config(model: nn.Module) -> dict[str, Any] | None:
    cfg = getattr(model, "config", None)
    if cfg is None or callable(cfg) and not dataclasses.is_dataclass(cfg):
        return None
    if (dataclasses.is_dataclass(cfg) and not isinstance(cfg, type)) or isinstance(cfg, Mapping):
        return _plain(cfg, "config")
    return None


def save_checkpoint(path: str | os.PathLike, model: nn.Module, *,
                    optimizer: torch.optim.Optimizer | None = None, epoch: int | None = None,
                    history: History | Mapping | None = None, meta: Mapping | None = None) -> str:
    """Write an ``aebook-checkpoint/1`` file atomically (temporary file, then ``os.replace``).

    Stored: format tag, model class (qualified name), model config (``model.config`` as a
    plain dict when it is a dataclass or dict), state dict (on the CPU), optimizer state,
    epoch, history (plain dict), ``meta`` (plain values and tensors only) and torch version.
    Everything loads with ``torch.load(weights_only=True)``. Returns the path.
    """
    path = os.fspath(path)
    if history is not None and isinstance(history, History):
        history = history.as_dict()
    elif history is not None:
        history = History.from_dict(history).as_dict()
    ckpt = {
        "format": CHECKPOINT_FORMAT,
        "model_class": _qualname(model),
        "model_config": _model_config(model),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "epoch": None if epoch is None else int(epoch),
        "history": history,
        "meta": _plain(dict(meta), "meta", strict=True) if meta is not None else None,
        "torch_version": str(torch.__version__),
    }
    if optimizer is not None:
        ckpt["optimizer"] = optimizer.state_dict()
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(ckpt, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def _shape_problems(saved: Mapping[str, torch.Tensor], current: Mapping[str, torch.Tensor],
                    limit: int = 5) -> list[str]:
    problems = []
    for k in saved:
        if k not in current:
            problems.append(f"{k}: in checkpoint {tuple(saved[k].shape)}, missing in model")
        elif tuple(saved[k].shape) != tuple(current[k].shape):
            problems.append(f"{k}: checkpoint {tuple(saved[k].shape)} vs model {tuple(current[k].shape)}")
    for k in current:
        if k not in saved:
            problems.append(f"{k}: in model {tuple(current[k].shape)}, missing in checkpoint")
    if len(problems) > limit:
        problems = problems[:limit] + [f"... and {len(problems) - limit} more"]
    return problems


def _check_archive(path: str) -> None:
    """A checkpoint written by ``torch.save`` is a zip archive whose members carry CRC-32 sums;
    ``torch.load`` does not verify them, so flipped bytes in a tensor would load silently.
    Verify every member here (a non-zip file is left to ``torch.load`` to refuse)."""
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as zf:
            first_bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as e:
        raise ValueError(f"checkpoint {path!r} is damaged: its zip archive cannot be read ({e})") from e
    if first_bad is not None:
        raise ValueError(f"checkpoint {path!r} is damaged: member {first_bad!r} fails its CRC-32 "
                         "check (the file was changed or truncated after it was written)")


def load_checkpoint(path: str | os.PathLike, model: nn.Module, *,
                    optimizer: torch.optim.Optimizer | None = None,
                    map_location: str | torch.device = "cpu", strict: bool = True) -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` into ``model`` (and ``optimizer``).

    Uses ``torch.load(..., weights_only=True)``: no arbitrary code can run. With ``strict``
    (default) the model class and config must match the saved ones; the parameter names and
    shapes must match in any case. Returns ``{"epoch", "history" (History or None), "meta",
    "model_class", "model_config", "torch_version"}``.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: not an aebook checkpoint, a damaged file (a zip member fails its CRC-32
            check), non-finite weights, another model class or config, or mismatching
            parameter names/shapes (the first few are listed).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint file at {path!r}")
    _check_archive(path)
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # not a torch file, or it holds objects weights_only refuses
        text = str(e)
        if "WeightsUnpickler error:" in text:
            why = ("it holds pickled objects that weights_only=True refuses ("
                   + text.split("WeightsUnpickler error:", 1)[1].strip().split(". ")[0] + ")")
        else:
            first = text.splitlines()[0] if text else ""
            why = f"torch.load(weights_only=True) failed ({type(e).__name__}: {first})"
        raise ValueError(f"{path!r} is not an aebook checkpoint: {why}") from e
    if not isinstance(ckpt, dict) or "format" not in ckpt or "state_dict" not in ckpt:
        raise ValueError(f"{path!r} is not an aebook checkpoint (no {CHECKPOINT_FORMAT!r} format tag)")
    if ckpt["format"] != CHECKPOINT_FORMAT:
        raise ValueError(f"{path!r} has format {ckpt['format']!r}; this aebook reads {CHECKPOINT_FORMAT!r}")
    here = _qualname(model)
    if strict and ckpt.get("model_class") != here:
        raise ValueError(f"checkpoint {path!r} was saved from model {ckpt.get('model_class')}; "
                         f"cannot load into {here}")
    cfg_saved, cfg_here = ckpt.get("model_config"), _model_config(model)
    if strict and cfg_saved != cfg_here:
        if isinstance(cfg_saved, dict) and isinstance(cfg_here, dict):
            diff = [f"{k}: checkpoint {cfg_saved.get(k)!r} vs model {cfg_here.get(k)!r}"
                    for k in sorted(set(cfg_saved) | set(cfg_here)) if cfg_saved.get(k) != cfg_here.get(k)]
        else:
            diff = [f"checkpoint {cfg_saved!r} vs model {cfg_here!r}"]
        raise ValueError(f"checkpoint {path!r} was saved from a {here} with another config: "
                         + "; ".join(diff[:5]))
    sd = ckpt["state_dict"]
    bad = [k for k, v in sd.items() if isinstance(v, torch.Tensor)
           and (v.is_floating_point() or v.is_complex()) and not bool(torch.isfinite(v).all())]
    if bad:
        raise ValueError(f"checkpoint {path!r} holds non-finite (NaN/inf) weights in "
                         f"{', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''}; refusing to load it")
    problems = _shape_problems(sd, model.state_dict())
    if problems:
        raise ValueError(f"checkpoint {path!r} does not fit the {here} model (names/shapes differ): "
                         + "; ".join(problems))
    model.load_state_dict(sd)
    if optimizer is not None:
        if "optimizer" not in ckpt:
            raise ValueError(f"checkpoint {path!r} holds no optimizer state")
        optimizer.load_state_dict(ckpt["optimizer"])
    hist = ckpt.get("history")
    return {
        "epoch": ckpt.get("epoch"),
        "history": History.from_dict(hist) if hist is not None else None,
        "meta": ckpt.get("meta"),
        "model_class": ckpt.get("model_class"),
        "model_config": cfg_saved,
        "torch_version": ckpt.get("torch_version"),
    }
