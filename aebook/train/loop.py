"""The training loop: :func:`fit`, :func:`evaluate` and the NaN guard (see
:mod:`aebook.train` for the design)."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from .._checks import integer, nonneg, positive
from .._checks import seed as check_seed
from ..config import pick_device, seed_everything
from .checkpoint import resume_run, rng_state, save_checkpoint
from .guard import TrainingDiverged, _all_finite, _first_bad, _LastGood, _params_finite
from .history import History

__all__ = ["PROGRESS_ENV", "TrainingDiverged", "evaluate", "fit", "make_optimizer"]

PROGRESS_ENV = "AEBOOK_PROGRESS"  # "0", "false", "no" or "off" silences every progress bar
_OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")

LossFn = Callable[[nn.Module, tuple], "torch.Tensor | Mapping[str, torch.Tensor]"]




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
    # ---- arguments ---------------------------------------------------------------------------
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
        # The shuffle gets its own stream, not the global one that loss_fn's noise draws from:
        # seed it with the seed passed once through an LCG step (Knuth's MMIX constants), so
        # that shuffle and noise are not the same sequence of numbers.
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
    first_epoch = 1
    if resume:
        if checkpoint is None:
            raise ValueError("resume=True needs checkpoint=, the file to resume from")
        if os.path.exists(checkpoint):
            history, first_epoch = resume_run(checkpoint, model, opt, gen, fit_meta, dev)
            if history.stopped_early or first_epoch > epochs:
                return history
            for cb in callbacks:  # schedules driven by callbacks pick up where they were
                cb(first_epoch - 1, history, model)
    last_good = _LastGood(model, opt, keep_last_good)
    saved: tuple[str, int] | None = None  # (path, epoch) of the last checkpoint written
    last_finite: float | None = None
    keys: list[str] | None = None
    show = _progress_enabled(progress)
    bar = None
    if show:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, initial=first_epoch - 1, desc="fit", unit="epoch")
    start = time.perf_counter() - history.wall_time_s  # a resumed run counts its earlier epochs

    def diverged(epoch: int, batch: int | None, term: str, value: float | None) -> TrainingDiverged:
        restored = last_good.restore()
        history.diverged = True
        history.wall_time_s = time.perf_counter() - start
        where = f"epoch {epoch}, batch {batch} (of {n_batches})" if batch is not None else f"epoch {epoch}"
        what = ("the parameters became non-finite (a NaN/inf gradient with a finite loss)"
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
        for epoch in range(first_epoch, epochs + 1):
            last_good.snapshot()
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
                                meta={"fit": fit_meta, "rng": rng_state(gen, dev)})
                saved = (checkpoint, epoch)
            if stop:
                break
    finally:
        if bar is not None:
            bar.close()
    if saved is None or saved[1] != history.epochs_run:  # else keep it equal to the checkpoint's
        history.wall_time_s = time.perf_counter() - start
    return history
