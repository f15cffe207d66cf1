"""The NaN guard of :func:`aebook.train.fit`: the exception it raises, the in-memory copy of the
last good state it restores, and the cheap finiteness checks it runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from .history import History

__all__ = ["TrainingDiverged"]


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


def _first_bad(vals: torch.Tensor) -> tuple[int, int] | None:
    bad = ~torch.isfinite(vals)
    if not bool(bad.any()):
        return None
    b, j = (int(i) for i in bad.nonzero()[0])
    return b, j


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

    def snapshot(self) -> None:
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
