"""One run of :func:`aebook.train.fit`, step by step: the checked arguments (:class:`Plan`) and
the state of the run (:class:`Run`): set-up (device, data, optimizer, randomness), resuming, one
epoch of minibatch updates, validation, the end of an epoch (history, callbacks, checkpoint) and
the NaN guard's message. ``fit`` reads as the sequence of these steps."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..config import seed_everything
from .checkpoint import resume_run, rng_state, save_checkpoint
from .guard import TrainingDiverged, _first_bad, _LastGood, _params_finite
from .history import History

LossFn = Callable[[nn.Module, tuple], "torch.Tensor | Mapping[str, torch.Tensor]"]

#: Knuth's MMIX LCG constants: the shuffle's seed is ``seed`` passed once through this step, so
#: that the shuffle and the noise drawn inside ``loss_fn`` are not the same sequence of numbers
_LCG_A, _LCG_C = 6364136223846793005, 1442695040888963407
_OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")


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
            parts.append(v.detach().reshape(()).to(device=loss.device, dtype=loss.dtype))
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


# --------------------------------------------------------------------------------------------
# The optimizer
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """The arguments of one :func:`~aebook.train.fit` call, checked (see ``fit``'s docstring)."""

    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    checkpoint_every: int
    val_every: int
    grad_clip: float | None
    seed: int | None
    val_batch_size: int
    nan_check: str
    callbacks: list
    train: tuple[torch.Tensor, ...]
    val: tuple[torch.Tensor, ...] | None
    sizes: list[int]  # the size of each batch of an epoch
    checkpoint: str | None
    keep_last_good: bool

    @property
    def n_batches(self) -> int:
        return len(self.sizes)


class Run:
    """The state of one training run, built by the set-up steps in the order that makes it
    reproducible: the model and the data move to the device, the optimizer is built, then the
    random streams are seeded (the global one for noise inside ``loss_fn``, a private one for
    the shuffle)."""

    def __init__(self, model: nn.Module, loss_fn: LossFn, plan: Plan, optimizer: Any, dev: torch.device):
        self.model, self.loss_fn, self.plan, self.dev = model, loss_fn, plan, dev
        self.per_batch = plan.nan_check == "batch" or (plan.nan_check == "auto" and dev.type == "cpu")
        model.to(dev)
        model.train()
        self.train = tuple(t.to(dev) for t in plan.train)
        self.val = None if plan.val is None else tuple(t.to(dev) for t in plan.val)
        self.opt = make_optimizer(optimizer, model.parameters(), plan.lr, plan.weight_decay)
        _check_optimizer_holds(self.opt, model)
        self.gen = self._shuffle_generator(plan.seed)
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.meta = {"epochs": plan.epochs, "batch_size": plan.batch_size, "lr": plan.lr,
                     "weight_decay": plan.weight_decay,
                     "optimizer": optimizer if isinstance(optimizer, str) else type(self.opt).__name__,
                     "seed": plan.seed, "grad_clip": plan.grad_clip, "n_train": self.train[0].shape[0]}
        self.history = History()
        self.first_epoch = 1
        self.last_good: _LastGood | None = None
        self.saved: tuple[str, int] | None = None  # (path, epoch) of the last checkpoint written
        self.last_finite: float | None = None
        self.keys: list[str] | None = None
        self.bar = None
        self.start = 0.0

    @staticmethod
    def _shuffle_generator(seed: int | None) -> torch.Generator:
        if seed is None:
            return torch.Generator().manual_seed(int(torch.randint(2**62, ())))
        seed_everything(seed)  # noise inside loss_fn; the shuffle has its own stream
        return torch.Generator().manual_seed((seed * _LCG_A + _LCG_C) % 2**63)

    # ---- resuming and progress -------------------------------------------------------------

    def resume(self) -> bool:
        """Continue from ``plan.checkpoint`` if it exists; ``True`` when that run is already
        complete (its history is then :attr:`history`, untouched)."""
        if not os.path.exists(self.plan.checkpoint):
            return False
        self.history, self.first_epoch = resume_run(self.plan.checkpoint, self.model, self.opt, self.gen,
                                                    self.meta, self.dev)
        if self.history.stopped_early or self.first_epoch > self.plan.epochs:
            return True
        for cb in self.plan.callbacks:  # schedules driven by callbacks pick up where they were
            cb(self.first_epoch - 1, self.history, self.model)
        return False

    def begin(self, show: bool) -> None:
        """Start the clock (a resumed run counts its earlier epochs) and, if ``show``, a bar."""
        self.last_good = _LastGood(self.model, self.opt, self.plan.keep_last_good)
        if show:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.plan.epochs, initial=self.first_epoch - 1, desc="fit", unit="epoch")
        self.start = time.perf_counter() - self.history.wall_time_s

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()

    # ---- one epoch -------------------------------------------------------------------------

    def train_epoch(self, epoch: int) -> None:
        """One pass of minibatch updates in a new random order, then the one host transfer of
        the epoch, the NaN checks and the epoch's means appended to the history."""
        plan, model, opt = self.plan, self.model, self.opt
        self.last_good.snapshot()
        perm = torch.randperm(self.train[0].shape[0], generator=self.gen)
        if self.dev.type != "cpu":
            perm = perm.to(self.dev, non_blocking=True)
        batch_vals = []
        for b in range(plan.n_batches):
            idx = perm[b * plan.batch_size:(b + 1) * plan.batch_size]
            batch = tuple(t.index_select(0, idx) for t in self.train)
            loss, vals, self.keys = _batch_values(self.loss_fn(model, batch), self.keys)
            if self.per_batch:
                self._check_batch(epoch, b, vals, batch_vals)
            batch_vals.append(vals)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if plan.grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(self.params, plan.grad_clip)
            opt.step()
        host = _to_host(batch_vals)
        if not self.per_batch:
            bad = _first_bad(host)
            if bad is not None:
                b, j = bad
                if b:
                    self.last_finite = float(host[b - 1, 0])
                raise self.diverged(epoch, b, (["loss", *self.keys])[j], float(host[b, j]))
        means = _means(host, plan.sizes)
        self.last_finite = float(host[-1, 0])
        if not _params_finite(model):
            raise self.diverged(epoch, None, "parameters", None)
        self.history.train.append(means[0])
        for k, v in zip(self.keys, means[1:]):
            self.history.terms.setdefault(k, []).append(v)

    def _check_batch(self, epoch: int, b: int, vals: torch.Tensor, batch_vals: list) -> None:
        ok = math.isfinite(vals.item()) if vals.numel() == 1 else bool(torch.isfinite(vals).all())
        if not ok:
            j = int((~torch.isfinite(vals)).nonzero()[0, 0])
            if b:
                self.last_finite = float(batch_vals[-1][0])
            raise self.diverged(epoch, b, (["loss", *self.keys])[j], float(vals[j]))

    def validate(self, epoch: int) -> None:
        """The validation means, every ``val_every`` epochs and after the last one."""
        plan, h = self.plan, self.history
        if self.val is None or not (epoch % plan.val_every == 0 or epoch == plan.epochs):
            return
        self.model.eval()
        try:
            vmeans, vkeys = _evaluate(self.model, self.loss_fn, self.val, plan.val_batch_size)
        finally:
            self.model.train()
        h.val.append(vmeans[0])
        h.val_epochs.append(epoch)
        for k, v in zip(vkeys, vmeans[1:]):
            h.val_terms.setdefault(k, []).append(v)

    def end_epoch(self, epoch: int) -> bool:
        """Clock, progress bar, callbacks and checkpoint; ``True`` when a callback stops the run."""
        plan, h = self.plan, self.history
        h.epochs_run = epoch
        h.wall_time_s = time.perf_counter() - self.start
        if self.bar is not None:
            post = {"train": f"{h.train[-1]:.4g}"}
            if h.val:
                post["val"] = f"{h.val[-1]:.4g}"
            self.bar.set_postfix(post, refresh=False)
            self.bar.update(1)
        stop = False
        for cb in plan.callbacks:
            stop = bool(cb(epoch, h, self.model)) or stop
        if stop:
            h.stopped_early = epoch < plan.epochs
        if plan.checkpoint is not None and (epoch % plan.checkpoint_every == 0 or epoch == plan.epochs or stop):
            h.wall_time_s = time.perf_counter() - self.start
            save_checkpoint(plan.checkpoint, self.model, optimizer=self.opt, epoch=epoch, history=h,
                            meta={"fit": self.meta, "rng": rng_state(self.gen, self.dev)})
            self.saved = (plan.checkpoint, epoch)
        return stop

    def finish(self) -> History:
        """The history; its wall time stays the checkpoint's when the last epoch was saved."""
        if self.saved is None or self.saved[1] != self.history.epochs_run:
            self.history.wall_time_s = time.perf_counter() - self.start
        return self.history

    # ---- the NaN guard ---------------------------------------------------------------------

    def diverged(self, epoch: int, batch: int | None, term: str, value: float | None) -> TrainingDiverged:
        """Restore the last good state and build the exception that says what happened."""
        restored = self.last_good.restore()
        h, saved = self.history, self.saved
        h.diverged = True
        h.wall_time_s = time.perf_counter() - self.start
        where = (f"epoch {epoch}, batch {batch} (of {self.plan.n_batches})" if batch is not None
                 else f"epoch {epoch}")
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
        lastl = f"{self.last_finite:.6g}" if self.last_finite is not None else "none"
        msg = (f"training diverged at {where}: {what}. Last finite batch loss: {lastl}. "
               f"The {state}; {ckpt}. Try a lower learning rate (lr={self.plan.lr:g} now), gradient "
               f"clipping (grad_clip=1.0), or look for log(0) or division by zero in loss_fn.")
        return TrainingDiverged(msg, history=h, epoch=epoch, batch=batch, term=term,
                                last_loss=self.last_finite, checkpoint=saved[0] if saved else None)
