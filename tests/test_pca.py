"""Tests of aebook.pca: PCA by SVD against scikit-learn, its exact error identity, and
principal angles between subspaces."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import torch
from sklearn.decomposition import PCA as SkPCA

from aebook.data import load_digits8
from aebook.pca import PCA, principal_angles, subspace_distance

F64 = torch.float64


@pytest.fixture(scope="module")
def digits() -> torch.Tensor:
    return load_digits8().x_train.double()  # (1437, 64), real data with near-zero variances


def _random(n=60, d=7, seed=0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    # distinct scales so the eigenvalues are well separated and the components well defined
    return torch.randn(n, d, generator=g, dtype=F64) * torch.linspace(3.0, 0.5, d, dtype=F64) + 2.0


# ------------------------------------------------------------------------------------------------
# agreement with scikit-learn


def test_pca_matches_sklearn_on_digits(digits):
    ours = PCA(10).fit(digits)
    ref = SkPCA(n_components=10, svd_solver="full").fit(digits.numpy())
    # Both are exact SVDs in float64; 1e-8 leaves room for different LAPACK paths only.
    np.testing.assert_allclose(ours.mean_.numpy(), ref.mean_, atol=1e-12)
    np.testing.assert_allclose(ours.explained_variance_.numpy(), ref.explained_variance_, rtol=1e-8)
    np.testing.assert_allclose(ours.explained_variance_ratio_.numpy(), ref.explained_variance_ratio_,
                               rtol=1e-8)
    np.testing.assert_allclose(ours.singular_values_.numpy(), ref.singular_values_, rtol=1e-8)
    # Components agree up to the sign of each row.
    signs = np.sign(np.sum(ours.components_.numpy() * ref.components_, axis=1))
    assert set(np.abs(signs)) == {1.0}
    np.testing.assert_allclose(ours.components_.numpy(), signs[:, None] * ref.components_, atol=1e-8)
    z = ours.transform(digits).numpy()
    np.testing.assert_allclose(z, ref.transform(digits.numpy()) * signs, atol=1e-7)
    np.testing.assert_allclose(ours.inverse_transform(z).numpy(),
                               ref.inverse_transform(z * signs), atol=1e-8)


def test_pca_accepts_numpy_and_keeps_float32_dtype():
    x = _random()
    a = PCA(3).fit(x.numpy())
    b = PCA(3).fit(x.float())
    # float32 input is converted to float64 before the SVD: same components to float32 rounding
    torch.testing.assert_close(a.components_, b.components_, atol=1e-5, rtol=0)
    assert b.transform(x.float()).dtype == torch.float32
    assert a.transform(x.numpy()).dtype == torch.float64
    assert PCA(2).fit([[0, 1], [1, 0], [2, 2]]).transform([[1, 1]]).dtype == torch.float64


# ------------------------------------------------------------------------------------------------
# the properties the book contrasts with a trained linear autoencoder


def test_components_are_orthonormal_rows(digits):
    c = PCA(12).fit(digits).components_
    torch.testing.assert_close(c @ c.T, torch.eye(12, dtype=F64), atol=1e-12, rtol=0)


def test_components_are_ordered_by_decreasing_variance(digits):
    var = PCA(20).fit(digits).explained_variance_
    assert torch.all(var[:-1] >= var[1:])
    # and the variance along each component is what it claims to be
    pca = PCA(20).fit(digits)
    z = pca.transform(digits)
    torch.testing.assert_close(z.var(dim=0, unbiased=True), pca.explained_variance_,
                               rtol=1e-9, atol=1e-12)


def test_signs_are_deterministic_largest_entry_positive():
    x = _random()
    a = PCA(4).fit(x)
    c = a.components_
    assert torch.all(c.gather(1, c.abs().argmax(dim=1, keepdim=True)) > 0)
    # another row order changes nothing but rounding (an SVD could otherwise flip signs)
    b = PCA(4).fit(x[torch.randperm(len(x), generator=torch.Generator().manual_seed(1))])
    torch.testing.assert_close(a.components_, b.components_, atol=1e-10, rtol=0)


def test_reconstruction_error_is_the_discarded_variance(digits):
    """Exact identity on the training data. With Xc = U S V^T and M components kept,
    sum_n ||x_n - y_n||^2 = sum_{j>M} s_j^2 and the unbiased eigenvalues are
    lambda_j = s_j^2 / (N - 1), so mean_n ||x_n - y_n||^2 = (N - 1)/N * sum_{j>M} lambda_j."""
    n = len(digits)
    lam = np.linalg.eigvalsh(np.cov(digits.numpy().T))[::-1]  # independent route: covariance
    for m in (1, 5, 30):
        pca = PCA(m).fit(digits)
        discarded = lam[m:].sum()
        np.testing.assert_allclose(float(pca.reconstruction_error(digits)), (n - 1) / n * discarded,
                                   rtol=1e-9)
        np.testing.assert_allclose(float(pca.reconstruction_error(digits, reduction="sum")),
                                   (n - 1) * discarded, rtol=1e-9)
        np.testing.assert_allclose(pca.total_variance_ - float(pca.explained_variance_.sum()),
                                   discarded, rtol=1e-9)


def test_reconstruction_error_reductions_and_reconstruct():
    x = _random()
    pca = PCA(3).fit(x)
    e = pca.reconstruction_error(x, reduction="none")
    assert e.shape == (len(x),)
    torch.testing.assert_close(e, ((x - pca.reconstruct(x)) ** 2).sum(dim=1))
    torch.testing.assert_close(e.sum(), pca.reconstruction_error(x, reduction="sum"))
    torch.testing.assert_close(e.mean(), pca.reconstruction_error(x))
    torch.testing.assert_close(pca.reconstruct(x), pca.inverse_transform(pca.transform(x)))
    # a projection: reconstructing a reconstruction changes nothing
    y = pca.reconstruct(x)
    torch.testing.assert_close(pca.reconstruct(y), y)


def test_all_components_reconstruct_exactly():
    x = _random(n=20, d=5)
    pca = PCA(5).fit(x)
    assert float(pca.reconstruction_error(x)) < 1e-24
    torch.testing.assert_close(pca.explained_variance_ratio_.sum(), torch.tensor(1.0, dtype=F64))


# ------------------------------------------------------------------------------------------------
# bad inputs


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3", None])
def test_bad_n_components(bad):
    with pytest.raises(ValueError, match="n_components"):
        PCA(bad)


def test_n_components_larger_than_data():
    with pytest.raises(ValueError, match=r"n_components must be <= min\(N, D\) = min\(4, 3\)"):
        PCA(4).fit(torch.randn(4, 3))
    with pytest.raises(ValueError, match="n_components"):
        PCA(3).fit(torch.randn(2, 5))


def test_fit_refuses_non_2d_and_non_finite():
    with pytest.raises(ValueError, match=r"x must be 2-D with shape \(N, D\), got shape \(5,\)"):
        PCA(1).fit(torch.randn(5))
    x = torch.randn(6, 3)
    x[2, 1] = float("nan")
    with pytest.raises(ValueError, match="x contains NaN or inf"):
        PCA(1).fit(x)
    with pytest.raises(TypeError, match="x must hold real numbers"):
        PCA(1).fit(torch.ones(4, 3, dtype=torch.bool))


def test_transform_before_fit_says_call_fit_first():
    for call in ("transform", "reconstruct", "reconstruction_error"):
        with pytest.raises(RuntimeError, match="call fit first"):
            getattr(PCA(2), call)(torch.randn(4, 3))
    with pytest.raises(RuntimeError, match="call fit first"):
        PCA(2).inverse_transform(torch.randn(4, 2))


def test_wrong_width_names_expected_and_got():
    pca = PCA(2).fit(torch.randn(10, 5))
    with pytest.raises(ValueError, match=r"x must have shape \(N, D=5\), got \(3, 4\): expected 5 "
                                         r"columns, got 4"):
        pca.transform(torch.randn(3, 4))
    with pytest.raises(ValueError, match=r"z must have shape \(N, M=2\), got \(3, 3\)"):
        pca.inverse_transform(torch.randn(3, 3))
    with pytest.raises(ValueError, match="reduction"):
        pca.reconstruction_error(torch.randn(3, 5), reduction="avg")


# ------------------------------------------------------------------------------------------------
# principal angles


def test_identical_subspaces_have_zero_angles():
    a = torch.randn(8, 3, generator=torch.Generator().manual_seed(0), dtype=F64)
    angles = principal_angles(a, a)
    # the sine formula resolves angles near 0 to ~1e-16 (arccos alone would give ~1e-8)
    assert angles.shape == (3,) and float(angles.max()) < 1e-12


def test_orthogonal_subspaces_are_at_right_angles():
    e = torch.eye(5, dtype=F64)
    torch.testing.assert_close(principal_angles(e[:, :2], e[:, 2:4]),
                               torch.full((2,), math.pi / 2, dtype=F64))


@pytest.mark.parametrize("theta", [1e-9, 1e-4, 0.3, math.pi / 4, 1.2, math.pi / 2])
def test_known_angles_in_2d_and_3d(theta):
    c, s = math.cos(theta), math.sin(theta)
    # two lines in the plane
    ang = principal_angles(torch.tensor([1.0, 0.0], dtype=F64), torch.tensor([c, s], dtype=F64))
    assert ang.shape == (1,)
    assert abs(float(ang[0]) - theta) <= 1e-12 + 1e-9 * theta
    # two planes in 3-D sharing the x axis, tilted by theta about it: angles (0, theta)
    a = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], dtype=F64)
    b = torch.tensor([[1.0, 0.0], [0.0, c], [0.0, s]], dtype=F64)
    ang = principal_angles(a, b)
    assert float(ang[0]) < 1e-12
    assert abs(float(ang[1]) - theta) <= 1e-12 + 1e-9 * theta


def test_angles_are_invariant_to_a_change_of_basis():
    g = torch.Generator().manual_seed(3)
    a = torch.randn(10, 3, generator=g, dtype=F64)
    b = torch.randn(10, 3, generator=g, dtype=F64)
    mix = torch.randn(3, 3, generator=g, dtype=F64) + 3 * torch.eye(3, dtype=F64)  # invertible
    torch.testing.assert_close(principal_angles(a @ mix, b), principal_angles(a, b), atol=1e-12, rtol=0)
    torch.testing.assert_close(principal_angles(a, 5.0 * b), principal_angles(a, b), atol=1e-12, rtol=0)


def test_angles_match_scipy_and_are_ascending():
    g = torch.Generator().manual_seed(4)
    for k, j in [(3, 3), (4, 2), (2, 5)]:
        a = torch.randn(9, k, generator=g, dtype=F64)
        b = torch.randn(9, j, generator=g, dtype=F64)
        ours = principal_angles(a, b)
        ref = np.sort(scipy.linalg.subspace_angles(a.numpy(), b.numpy()))
        assert ours.shape == (min(k, j),)
        assert torch.all(ours[:-1] <= ours[1:])
        np.testing.assert_allclose(ours.numpy(), ref, atol=1e-12)


def test_a_contained_subspace_has_zero_angles():
    g = torch.Generator().manual_seed(5)
    a = torch.randn(6, 4, generator=g, dtype=F64)
    b = a @ torch.randn(4, 2, generator=g, dtype=F64)  # a plane inside span(a)
    assert float(principal_angles(a, b).max()) < 1e-12


def test_subspace_distance_is_largest_angle_and_projection_norm():
    g = torch.Generator().manual_seed(6)
    a = torch.randn(7, 3, generator=g, dtype=F64)
    b = torch.randn(7, 3, generator=g, dtype=F64)
    d = subspace_distance(a, b)
    assert d == pytest.approx(float(principal_angles(a, b)[-1]), abs=1e-14)
    qa, qb = torch.linalg.qr(a)[0], torch.linalg.qr(b)[0]
    proj_norm = torch.linalg.matrix_norm(qa @ qa.T - qb @ qb.T, ord=2)
    assert math.sin(d) == pytest.approx(float(proj_norm), abs=1e-12)
    with pytest.raises(ValueError, match="same dimension"):
        subspace_distance(a, b[:, :2])


def test_principal_angles_refuse_bad_inputs():
    g = torch.Generator().manual_seed(7)
    a = torch.randn(6, 2, generator=g, dtype=F64)
    with pytest.raises(ValueError, match=r"same number of rows D.*\(6, 2\).*\(5, 2\)"):
        principal_angles(a, torch.randn(5, 2))
    deficient = torch.cat([a, a[:, :1] * 2.0], dim=1)  # third column repeats the first
    with pytest.raises(ValueError, match=r"B \(shape \(6, 3\)\) has numerical rank 2 < 3"):
        principal_angles(a, deficient)
    with pytest.raises(ValueError, match="A must have at least one column"):
        principal_angles(torch.zeros(6, 0), a)
    with pytest.raises(ValueError, match="more columns than rows"):
        principal_angles(torch.randn(3, 4), torch.randn(3, 1))
    bad = a.clone()
    bad[0, 0] = float("inf")
    with pytest.raises(ValueError, match="A contains NaN or inf"):
        principal_angles(bad, a)
    with pytest.raises(ValueError, match=r"A must be 2-D"):
        principal_angles(torch.randn(2, 3, 4), a)
