"""The training loop: :func:`fit`, :func:`evaluate` and the NaN guard (see
:mod:`aebook.train` for the design)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from .._checks import integer, nonneg, positive
from .._checks import seed as check_seed
from ..config import pick_device
from .guard import TrainingDiverged, _all_finite
from .history import History
from .run import LossFn, Plan, Run, _evaluate, make_optimizer

__all__ = ["PROGRESS_ENV", "TrainingDiverged", "evaluate", "fit", "make_optimizer"]

PROGRESS_ENV = "AEBOOK_PROGRESS"  # "0", "false", "no" or "off" silences every progress bar





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


def _progress_enabled(progress: bool) -> bool:
    env = os.environ.get(PROGRESS_ENV, "").strip().lower()
    return bool(progress) and env not in ("0", "false", "no", "off")


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


def _model_device(model: nn.Module) -> torch.device:
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


def evaluate(model: nn.Module, loss_fn: LossFn, data: Any, *, batch_size: int = 1024,
             device: str | torch.device | None = None) -> dict[str, float]:
    """Mean loss (and logged terms) of ``model`` over a whole data set, without gradients.

    The model is put in ``eval()`` mode and returned to its previous mode. ``data`` is a tensor
    or a tuple of tensors (``loss_fn`` receives a tuple, as in :func:`fit`). ``device=None``
    uses the device the model is on; an explicit device moves the model there.
    Returns e.g. ``{"loss": 0.021, "recon": 0.018, "kl": 0.003}``.
    """
    batch_size = integer(batch_size, "batch_size")
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
# fit
# --------------------------------------------------------------------------------------------

def fit(model: nn.Module, loss_fn: LossFn, train: Any, *, val: Any = None, epochs: int = 10,
        batch_size: int = 128, lr: float = 1e-3, optimizer: Any = "adam",
        weight_decay: float = 0.0, seed: int | None = 0, device: str | torch.device | None = None,
        progress: bool = True, checkpoint: str | os.PathLike | None = None,
        checkpoint_every: int = 1, grad_clip: float | None = None, val_every: int = 1,
        callbacks: Sequence[Callable[[int, History, nn.Module], Any]] | None = None,
        drop_last: bool = False, val_batch_size: int | None = None, nan_check: str = "auto",
        keep_last_good: bool = True, resume: bool = False) -> History:
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
        resume: continue the run whose ``checkpoint`` exists: model, optimizer, history, the
            epoch and the random streams (shuffle and global) are restored, the callbacks are
            called again for the last completed epoch (so that schedules they drive pick up
            where they were), and training goes on to ``epochs``: the same numbers, bit for bit,
            as a run never interrupted. A run already complete returns its history untouched.
            Without a checkpoint file it starts afresh. The checkpoint must come from the same
            run (batch size, learning rate, optimizer, seed, data size, model): else ValueError.

    Raises:
        ValueError: a bad argument (the message names it and the allowed range).
        TrainingDiverged: a loss, logged term or parameter became NaN/inf. The model and
            optimizer are restored to the end of the last completed epoch, the checkpoint on
            disk is not overwritten, and the exception carries the partial ``history``.
    """
    plan = _plan(train, val, loss_fn, epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay, seed=seed,
                 checkpoint=checkpoint, checkpoint_every=checkpoint_every, grad_clip=grad_clip,
                 val_every=val_every, callbacks=callbacks, drop_last=drop_last, val_batch_size=val_batch_size,
                 nan_check=nan_check, keep_last_good=keep_last_good, resume=resume)
    run = Run(model, loss_fn, plan, optimizer, pick_device(device))
    if resume and run.resume():
        return run.history
    run.begin(_progress_enabled(progress))
    try:
        for epoch in range(run.first_epoch, plan.epochs + 1):
            run.train_epoch(epoch)
            run.validate(epoch)
            if run.end_epoch(epoch):
                break
    finally:
        run.close()
    return run.finish()


def _plan(train: Any, val: Any, loss_fn: Any, *, epochs: Any, batch_size: Any, lr: Any, weight_decay: Any,
          seed: Any, checkpoint: Any, checkpoint_every: Any, grad_clip: Any, val_every: Any, callbacks: Any,
          drop_last: bool, val_batch_size: Any, nan_check: str, keep_last_good: bool, resume: bool) -> Plan:
    """Every argument of :func:`fit` checked and normalised, before anything moves or trains."""
    epochs = integer(epochs, "epochs")
    batch_size = integer(batch_size, "batch_size")
    lr = positive(lr, "lr")
    weight_decay = nonneg(weight_decay, "weight_decay")
    checkpoint_every = integer(checkpoint_every, "checkpoint_every")
    val_every = integer(val_every, "val_every")
    if grad_clip is not None:
        grad_clip = positive(grad_clip, "grad_clip")
    if seed is not None:
        seed = check_seed(seed)
    val_batch_size = batch_size if val_batch_size is None else integer(val_batch_size, "val_batch_size")
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
    if resume and checkpoint is None:
        raise ValueError("resume=True needs checkpoint=, the file to resume from")
    sizes = [batch_size] * n_batches
    if not drop_last and n % batch_size:
        sizes[-1] = n % batch_size
    return Plan(epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
                checkpoint_every=checkpoint_every, val_every=val_every, grad_clip=grad_clip, seed=seed,
                val_batch_size=val_batch_size, nan_check=nan_check, callbacks=callbacks, train=train_data,
                val=val_data, sizes=sizes, checkpoint=None if checkpoint is None else os.fspath(checkpoint),
                keep_last_good=keep_last_good)
