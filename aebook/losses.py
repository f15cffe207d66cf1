"""Loss functions of chapter 19, each with the book's equation number.

Losses are plain functions of tensors. Their default reduction is the one a training loop
wants: **sum over data dimensions, mean over the batch** (so the value does not change with
the batch size and a learning rate carries over between batch sizes). The book's ``Σ_n`` form
is available next to it, and the docstring of each function shows both.

Where a loss lives: the losses of the deterministic autoencoders and the MAE's masked-patch
error are here, because they need nothing of a model but its output. The VAE's objectives
need its encoder and decoder, so they live with the model in :mod:`aebook.vae.objectives`
(the full index of equations is :mod:`aebook.equations`). This module imports no model:
:mod:`aebook.mae` and :mod:`aebook.models` import it, never the other way round.

=========  =======================================================  ==========================
(19.1)     E(w) = ½ Σ_n ||y(x_n, w) − x_n||²                        :func:`reconstruction_error`,
                                                                    :func:`book_error_19_1`,
                                                                    :func:`recon_loss`
(19.2)     ``Ẽ(w) = E(w) + λ Σ_k |z_k|``, L1 on hidden activations  :func:`l1_activation_penalty`,
                                                                    :func:`sparse_loss`
—          L2 on weights, for comparison with (19.2)               :func:`weight_l2_penalty`
(19.3)     E(w) = Σ_n ||y(x̃_n, w) − x_n||², x̃ the corrupted input   :func:`denoising_error`,
                                                                    :func:`book_error_19_3`,
                                                                    :func:`denoising_loss`
—          squared error on the masked patches only (MAE)           :func:`masked_patch_loss`,
                                                                    :func:`mae_loss`
=========  =======================================================  ==========================

Training-loop losses have the signature ``loss_fn(model, batch) -> Tensor`` expected by
:func:`aebook.train.fit` (``batch`` is a tuple of tensors). They find the model's
reconstruction by duck typing (``model(x).recon``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._checks import REDUCTIONS, nonneg, reduce
from ._checks import check_finite as _check_finite
from .noise import Corruption, check_mask_ratio

Tensor = torch.Tensor

__all__ = ["REDUCTIONS", "book_error_19_1", "book_error_19_3", "denoising_error", "denoising_loss",
           "l1_activation_penalty", "mae_loss", "masked_patch_loss", "recon_loss", "reconstruction_error",
           "sparse_loss",
           "weight_l2_penalty"]



def _check_pair(y: Any, x: Any, check_finite: bool, names: tuple[str, str] = ("y", "x")) -> None:
    """Shared checks of a prediction ``y`` and a target ``x``: cheap ones always, NaN on request.
    ``names`` are the argument names the messages use."""
    ny, nx = names
    for name, t in ((ny, y), (nx, x)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"{name} must have a floating dtype, got {t.dtype}")
    if y.shape != x.shape:
        raise ValueError(f"{ny} and {nx} must have the same shape, got {ny} {tuple(y.shape)} and "
                         f"{nx} {tuple(x.shape)}")
    if x.ndim < 2:
        raise ValueError(f"{nx} and {ny} must be batched, shape (N, D) or (N, *dims), got "
                         f"{tuple(x.shape)}; for a single data point use {nx}[None]")
    if x.shape[0] == 0:
        raise ValueError(f"{nx} and {ny} hold no data points (N = 0): the error of an empty batch "
                         "is undefined")
    if check_finite:
        _check_finite(y, ny)
        _check_finite(x, nx)


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
    return reduce(0.5 * e if half else e, reduction)


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
    x = _check_batch(batch)
    out = model(x)
    y = getattr(out, "recon", out)
    # No NaN check here: fit() checks the data once and guards the loss itself (see above).
    return reconstruction_error(y, x, reduction="mean", check_finite=False)


def _check_batch(batch: Any) -> Tensor:
    if not isinstance(batch, (tuple, list)) or len(batch) == 0:
        raise TypeError("batch must be a non-empty tuple of tensors (x, ...), "
                        f"got {type(batch).__name__}")
    return batch[0]


# ------------------------------------------------------------------------------------------------
# (19.2): sparse autoencoders, an L1 penalty on the hidden activations


def l1_activation_penalty(z: Tensor, *, reduction: str = "mean") -> Tensor:
    """The penalty of (19.2): ``Σ_k |z_k|``, the L1 norm of the hidden *activations*.

    The book adds ``λ Σ_k |z_k|`` to the error, where ``z_k`` are the activations of the
    hidden units for an input (not the weights, as in ordinary weight decay)::

        Ẽ(w) = E(w) + λ Σ_k |z_k|                                            (19.2)

    Per data point this is ``a_n = Σ_k |z_nk|`` (a sum over every axis but the first); the
    reduction over the batch is ``"mean"`` (default), ``"sum"`` or ``"none"`` (``(N,)``), as in
    :func:`reconstruction_error`. Autograd differentiates ``|z|`` with the subgradient
    ``sign(z)`` (0 at 0), so the penalised error trains like any other.

    Args:
        z: ``(N, K)`` (or ``(N, *dims)``) activations, floating dtype.

    Raises:
        ValueError: unbatched or empty ``z``, unknown ``reduction``.
        TypeError: ``z`` not a floating tensor.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if not isinstance(z, Tensor) or not z.is_floating_point():
        raise TypeError(f"z must be a floating torch.Tensor, got "
                        f"{getattr(z, 'dtype', type(z).__name__)}")
    if z.ndim < 2 or z.shape[0] == 0:
        raise ValueError(f"z must be batched, shape (N, K) with N >= 1, got {tuple(z.shape)}")
    return reduce(z.abs().flatten(1).sum(dim=1), reduction)


def weight_l2_penalty(model: nn.Module) -> Tensor:
    """``Σ ||W||²`` over the weight matrices of ``model`` (every parameter with 2 or more axes;
    biases are left out, as usual for weight decay).

    This is the ordinary regulariser that (19.2) is *not*: it shrinks weights, not activations.
    :func:`sparse_loss` takes both, so the two can be compared on the same model.
    """
    terms = [p.pow(2).sum() for p in model.parameters() if p.ndim >= 2]
    if not terms:
        raise ValueError("model has no weight matrices (parameters with 2 or more axes)")
    return torch.stack(terms).sum()


def sparse_loss(lam: float = 0.0, *, weight_l2: float = 0.0):
    """A training loss for :func:`aebook.train.fit`: squared error plus the L1 activation
    penalty of (19.2), optionally plus an L2 penalty on the weights.

    The returned ``loss_fn(model, batch)`` computes, on a batch of N inputs ``x``::

        loss = (1/N) Σ_n ||y(x_n) − x_n||²  +  lam · (1/N) Σ_n Σ_k |z_nk|  +  weight_l2 · Σ ||W||²

    where ``z`` is the model's code (``model(x).z``, the hidden activations of
    :class:`aebook.models.ShallowAutoencoder`). It returns a dict with ``"loss"`` and the
    terms ``"recon"``, ``"l1"`` (the mean ``Σ_k |z_k|``) and ``"l2"`` (``Σ ||W||²``), which
    ``fit`` logs separately.

    Relation to the book: (19.2) with the ½ of (19.1) is ``Ẽ = ½ Σ_n e_n + λ_book Σ_n Σ_k |z_nk|``;
    our loss is ``2/N`` times that with ``lam = 2 λ_book``. Same minimiser.

    Note the scaling loophole: the penalty alone can be lowered without making anything sparse,
    by shrinking ``z`` and growing the decoder's weights to compensate. Adam and a finite budget
    do not exploit it fully, and ReLU units reach exact zeros; an L2 term on the weights
    (``weight_l2 > 0``) closes it. Section 19.1.3 measures both.

    Args:
        lam: λ >= 0, the weight of the L1 activation penalty.
        weight_l2: >= 0, the weight of ``Σ ||W||²``.

    Raises:
        ValueError: a negative or non-finite weight (named).
    """
    lam = nonneg(lam, "lam")
    wl2 = nonneg(weight_l2, "weight_l2")

    def loss_fn(model: nn.Module, batch: tuple) -> dict[str, Tensor]:
        x = _check_batch(batch)
        out = model(x)
        if not hasattr(out, "z"):
            raise TypeError("sparse_loss needs a model whose output has a code .z (an aebook "
                            f"autoencoder), got {type(out).__name__}")
        recon = reconstruction_error(out.recon, x, check_finite=False)
        l1 = l1_activation_penalty(out.z)
        l2 = weight_l2_penalty(model) if wl2 > 0 else recon.new_zeros(())
        return {"loss": recon + lam * l1 + wl2 * l2, "recon": recon, "l1": l1, "l2": l2}

    loss_fn.lam, loss_fn.weight_l2 = lam, wl2
    loss_fn.__qualname__ = f"sparse_loss(lam={lam:g}, weight_l2={wl2:g})"
    return loss_fn


# ------------------------------------------------------------------------------------------------
# (19.3): denoising autoencoders


def denoising_error(y: Tensor, x: Tensor, *, reduction: str = "mean", half: bool = False,
                    check_finite: bool = True) -> Tensor:
    """The denoising error (19.3): the network saw a corrupted ``x̃``, its output ``y = y(x̃)``
    is compared with the **clean** ``x``::

        E(w) = Σ_n ||y(x̃_n, w) − x_n||²                                      (19.3)

    The book prints (19.3) without the ½ of (19.1). The factor changes the value (by 2), not
    the minimiser: :func:`book_error_19_3` is exactly twice ``½ Σ_n`` of the same terms. The
    arithmetic is :func:`reconstruction_error`'s; what makes the error "denoising" is that
    ``y`` was computed from ``x̃`` while the target is ``x``. Arguments as there.
    """
    return reconstruction_error(y, x, reduction=reduction, half=half, check_finite=check_finite)


def book_error_19_3(y: Tensor, x: Tensor) -> Tensor:
    """The book's (19.3) exactly: ``Σ_n ||y(x̃_n, w) − x_n||²``, a scalar, no ½."""
    return denoising_error(y, x, reduction="sum", half=False)


def denoising_loss(corruption: Corruption | None = None, *, kind: str | None = None,
                   level: float | None = None):
    """A training loss for :func:`aebook.train.fit` that trains a denoising autoencoder.

    On each batch it draws a fresh corruption ``x̃`` of the clean ``x`` (torch's global
    generator, which ``fit`` seeds), runs the model on ``x̃`` and returns the batch mean of
    ``||y(x̃_n) − x_n||²`` (19.3) (mean instead of sum: ``1/N`` times the book's value).

    Give either ``corruption`` (a :class:`aebook.noise.Corruption`) or ``kind`` and ``level``::

        loss = denoising_loss(kind="mask", level=0.5)        # ν = 0.5
        loss = denoising_loss(Corruption("gaussian", 0.3))   # σ = 0.3

    Raises:
        ValueError: neither or both forms given, or a level outside its range (ν ∈ [0, 1],
            σ >= 0).
    """
    if corruption is None:
        if kind is None or level is None:
            raise ValueError("give corruption=Corruption(kind, level), or kind= and level=")
        corruption = Corruption(kind, level)
    elif kind is not None or level is not None:
        raise ValueError("give either corruption or kind and level, not both")
    if not isinstance(corruption, Corruption):
        raise TypeError(f"corruption must be an aebook.noise.Corruption, got "
                        f"{type(corruption).__name__}")

    def loss_fn(model: nn.Module, batch: tuple) -> Tensor:
        x = _check_batch(batch)
        out = model(corruption(x))
        return denoising_error(getattr(out, "recon", out), x, check_finite=False)

    loss_fn.corruption = corruption
    loss_fn.__qualname__ = f"denoising_loss({corruption})"
    return loss_fn


# ------------------------------------------------------------------------------------------------
# section 19.1.5: masked autoencoders


def masked_patch_loss(pred: Tensor, target: Tensor, mask: Tensor, *, norm_pix: bool = False,
                      eps: float = 1e-6, validate: bool = True) -> Tensor:
    """The MAE loss (He et al. 2022): mean squared error over the **removed** patches only.

    With ``e_nl = mean_j (pred_nlj − target_nlj)²`` the squared error of patch l of sample n
    (averaged over its p·p·C values), the loss is ``Σ_nl mask_nl e_nl / Σ_nl mask_nl``. Visible
    patches (mask 0) do not enter it at all: changing the prediction there leaves the loss
    unchanged. With ``norm_pix=True`` each target patch is first normalised by its own mean and
    standard deviation (the paper's "normalized pixels" target; ``eps`` guards flat patches).

    Args:
        pred, target: ``(N, L, p·p·C)`` floating. mask: ``(N, L)``, 1 = removed, 0 = visible.
        validate: refuse NaN/inf in ``pred`` or ``target`` (as :func:`reconstruction_error`
            does) and check that the mask holds only 0/1 and removes a patch. Each check reads
            a value back from the device (a sync on a GPU), so
            :meth:`aebook.mae.MaskedAutoencoder.forward`, whose inputs were checked by ``fit``
            and whose masks are valid by construction, turns it off.

    Raises:
        ValueError: shapes disagree, NaN/inf values (with ``validate``), the mask is not 0/1,
            or it removes no patch (the loss is defined on removed patches only, so a ratio
            of 0 has none).
    """
    _check_pair(pred, target, check_finite=validate, names=("pred", "target"))
    if pred.ndim != 3:
        raise ValueError(f"pred and target must have shape (N, L, p*p*C), got {tuple(pred.shape)}")
    if not isinstance(mask, Tensor) or mask.shape != pred.shape[:2]:
        raise ValueError(f"mask must have shape (N, L) = {tuple(pred.shape[:2])}, got "
                         f"{tuple(mask.shape) if isinstance(mask, Tensor) else type(mask).__name__}")
    mask = mask.to(pred.dtype)
    n_removed = mask.sum()
    if validate:
        if not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError("mask must hold only 0 (visible) and 1 (removed)")
        if float(n_removed) == 0:
            raise ValueError("mask removes no patch: the MAE loss is defined on removed patches "
                             "only (use a mask ratio > 0)")
    if norm_pix:
        mean, var = target.mean(-1, keepdim=True), target.var(-1, keepdim=True)
        target = (target - mean) / (var + eps).sqrt()
    per_patch = (pred - target).pow(2).mean(-1)  # (N, L)
    return (per_patch * mask).sum() / n_removed


def mae_loss(mask_ratio: float = 0.75):
    """A training loss for :func:`aebook.train.fit`: ``model(imgs, mask_ratio).loss`` of an
    :class:`aebook.mae.MaskedAutoencoder`, with a fresh random mask per batch (torch's global
    generator, which ``fit`` seeds). ``batch[0]`` holds images ``(N, C, H, W)``."""
    ratio = check_mask_ratio(mask_ratio)

    def loss_fn(model: nn.Module, batch: tuple) -> Tensor:
        return model(_check_batch(batch), ratio).loss

    loss_fn.mask_ratio = ratio
    loss_fn.__qualname__ = f"mae_loss(mask_ratio={ratio:g})"
    return loss_fn
