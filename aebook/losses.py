"""Loss functions of chapter 19, each with the book's equation number.

Losses are plain functions of tensors. Their default reduction is the one a training loop
wants: **sum over data dimensions, mean over the batch** (so the value does not change with
the batch size and a learning rate carries over between batch sizes). The book's ``Σ_n`` form
is available next to it, and the docstring of each function shows both.

Equations (what is here now, and what comes with later sections)
-----------------------------------------------------------------
=========  =======================================================  ==========================
(19.1)     E(w) = ½ Σ_n ||y(x_n, w) − x_n||²                        :func:`reconstruction_error`,
                                                                    :func:`book_error_19_1`,
                                                                    :func:`recon_loss`
(19.2)     ``Ẽ(w) = E(w) + λ Σ_k |z_k|``, L1 on hidden activations  section 19.1.3 (sparse AE)
(19.3)     E(w) = Σ_n ||y(x̃_n, w) − x_n||², x̃ the corrupted input   section 19.1.4 (denoising)
—          squared error on the masked patches only                 section 19.1.5 (MAE)
(19.15)    KL(q(z|x) || N(0, I)), closed form (printed sign wrong)  section 19.2 (VAE)
(19.14)    ELBO, and (19.19) the full VAE objective                 section 19.2.2
=========  =======================================================  ==========================

Training-loop losses have the signature ``loss_fn(model, batch) -> Tensor`` expected by
:func:`aebook.train.fit` (``batch`` is a tuple of tensors). They find the model's
reconstruction by duck typing (``model(x).recon``), so this module imports no model and
``aebook.models`` may import it freely.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .data import check_finite as _check_finite

Tensor = torch.Tensor

__all__ = ["REDUCTIONS", "book_error_19_1", "recon_loss", "reconstruction_error"]

REDUCTIONS = ("mean", "sum", "none")


def _check_pair(y: Any, x: Any, check_finite: bool) -> None:
    """Shared checks of a prediction ``y`` and a target ``x``: cheap ones always, NaN on request."""
    for name, t in (("y", y), ("x", x)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"{name} must have a floating dtype, got {t.dtype}")
    if y.shape != x.shape:
        raise ValueError(f"y and x must have the same shape, got y {tuple(y.shape)} and "
                         f"x {tuple(x.shape)}")
    if x.ndim < 2:
        raise ValueError(f"x and y must be batched, shape (N, D) or (N, *dims), got "
                         f"{tuple(x.shape)}; for a single data point use x[None]")
    if x.shape[0] == 0:
        raise ValueError("x and y hold no data points (N = 0): the error of an empty batch "
                         "is undefined")
    if check_finite:
        _check_finite(y, "y")
        _check_finite(x, "x")


def reconstruction_error(y: Tensor, x: Tensor, *, reduction: str = "mean", half: bool = False,
                         check_finite: bool = True) -> Tensor:
    """Squared reconstruction error, the book's (19.1), with a choice of reduction.

    The book writes the error of a whole data set as::

        E(w) = ½ Σ_n ||y(x_n, w) − x_n||²                                    (19.1)

    This function computes, per data point, ``e_n = ||y_n − x_n||²`` summed over all data
    dimensions (every axis but the first), then reduces over the batch:

    * ``reduction="mean"`` (default): ``(1/N) Σ_n e_n``, no ½. For training; the same
      quantity as :meth:`aebook.pca.PCA.reconstruction_error`, so the two compare directly.
    * ``reduction="sum", half=True``: ``½ Σ_n e_n``, the book's E(w) of (19.1) exactly
      (also :func:`book_error_19_1`).
    * ``reduction="sum"``: ``Σ_n e_n``, the form of (19.3), which has no ½.
    * ``reduction="none"``: ``e: (N,)``, one error per data point (``half`` applies).

    All of them have the same minimiser; they differ by a constant factor only (the mean is
    ``2/N`` times the book's E, and so are its gradients): for plain gradient descent that is
    a rescaled learning rate, and Adam hardly notices it (its steps are scale-free).

    Args:
        y: ``(N, D)`` or ``(N, *dims)`` reconstruction, floating dtype.
        x: the target, same shape as ``y``.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
        half: multiply by ½, as (19.1) does.
        check_finite: refuse NaN/inf in ``y`` or ``x`` (a ``ValueError`` naming which). It costs
            a device sync on a GPU, so :func:`recon_loss`, called once per batch inside
            :func:`aebook.train.fit`, turns it off: ``fit`` checks the data once and has its own
            NaN guard that restores the model.

    Returns:
        A scalar tensor (``"mean"``, ``"sum"``) or ``(N,)`` (``"none"``), in ``y``'s dtype.

    Raises:
        ValueError: shapes differ (both are named), unbatched input, N = 0, unknown reduction,
            NaN/inf (with ``check_finite``).
        TypeError: non-tensor or non-floating input.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    _check_pair(y, x, check_finite)
    e = (y - x).pow(2).flatten(1).sum(dim=1)  # (N,): sum over data dimensions
    if half:
        e = 0.5 * e
    if reduction == "mean":
        return e.mean()
    if reduction == "sum":
        return e.sum()
    return e


def book_error_19_1(y: Tensor, x: Tensor) -> Tensor:
    """The book's (19.1) exactly: ``E(w) = ½ Σ_n ||y(x_n, w) − x_n||²``, a scalar.

    Same as ``reconstruction_error(y, x, reduction="sum", half=True)``. It grows with N;
    for training use the batch mean (:func:`reconstruction_error` default), which equals
    ``2/N`` times this value.
    """
    return reconstruction_error(y, x, reduction="sum", half=True)


def recon_loss(model: nn.Module, batch: tuple) -> Tensor:
    """Training loss for :func:`aebook.train.fit`: mean over the batch of ``||y(x_n) − x_n||²``.

    ``batch`` is a tuple whose first tensor is ``x: (N, D)`` (further tensors, e.g. labels, are
    ignored). ``model(x)`` may return a tensor ``y`` or a result with a ``recon`` field (the
    models of :mod:`aebook.models` return ``AEOutput(recon, z)``). This is (19.1) up to the
    factor ``2/N`` (see :func:`reconstruction_error`).

    Example::

        hist = aebook.fit(model, recon_loss, x_train, val=x_test, epochs=100)
    """
    if not isinstance(batch, (tuple, list)) or len(batch) == 0:
        raise TypeError("batch must be a non-empty tuple of tensors (x, ...), "
                        f"got {type(batch).__name__}")
    x = batch[0]
    out = model(x)
    y = getattr(out, "recon", out)
    # No NaN check here: fit() checks the data once and guards the loss itself (see above).
    return reconstruction_error(y, x, reduction="mean", check_finite=False)
