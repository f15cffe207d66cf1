"""Gaussian mixtures with an exact density and score (aebook.densities)."""

from __future__ import annotations

import pytest
import torch

from aebook import densities


def _grid(lo=-7.0, hi=7.0, n=561):
    g = torch.linspace(lo, hi, n, dtype=torch.float64)
    xx, yy = torch.meshgrid(g, g, indexing="xy")
    return torch.stack([xx, yy], dim=-1), (g[1] - g[0]) ** 2


def test_mixture_density_integrates_to_one():
    pts, cell = _grid()
    total = densities.default_mixture().log_prob(pts).exp().sum() * cell
    assert abs(float(total) - 1) < 1e-4


def test_mixture_score_matches_autograd():
    gm = densities.default_mixture()
    x = (3 * torch.randn(200, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64))
    x.requires_grad_(True)
    (grad,) = torch.autograd.grad(gm.log_prob(x).sum(), x)
    torch.testing.assert_close(gm.score(x.detach()), grad, rtol=1e-10, atol=1e-12)


def test_isotropic_mixture_in_3d_score_matches_autograd():
    gm = densities.GaussianMixture(torch.tensor([[0.0, 0, 0], [1, 2, 3]]), stds=[0.5, 1.5],
                           weights=[0.25, 0.75])
    x = torch.randn(50, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    x.requires_grad_(True)
    (grad,) = torch.autograd.grad(gm.log_prob(x).sum(), x)
    torch.testing.assert_close(gm.score(x.detach()), grad, rtol=1e-10, atol=1e-12)


def test_single_gaussian_log_prob_matches_torch_distributions():
    cov = torch.tensor([[[2.0, 0.3], [0.3, 0.5]]], dtype=torch.float64)
    mean = torch.tensor([[1.0, -1.0]], dtype=torch.float64)
    gm = densities.GaussianMixture(mean, covs=cov, weights=[1.0])
    ref = torch.distributions.MultivariateNormal(mean[0], cov[0])
    x = torch.randn(20, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    torch.testing.assert_close(gm.log_prob(x), ref.log_prob(x))


def test_mixture_keeps_input_dtype_and_batch_shape():
    gm = densities.default_mixture()
    x = torch.zeros(4, 5, 2)
    assert gm.log_prob(x).shape == (4, 5) and gm.log_prob(x).dtype == torch.float32
    assert gm.score(x).shape == (4, 5, 2) and gm.score(x).dtype == torch.float32


def test_convolved_zero_is_the_original():
    gm = densities.default_mixture()
    x = torch.randn(30, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    g0 = gm.convolved(0.0)
    torch.testing.assert_close(g0.covs, gm.covs)
    torch.testing.assert_close(g0.log_prob(x), gm.log_prob(x))
    torch.testing.assert_close(g0.score(x), gm.score(x))


def test_convolved_adds_sigma_squared_to_each_covariance():
    gm, sigma = densities.default_mixture(), 0.7
    g = gm.convolved(sigma)
    torch.testing.assert_close(g.covs, gm.covs + sigma**2 * torch.eye(2, dtype=torch.float64))
    torch.testing.assert_close(g.means, gm.means)
    torch.testing.assert_close(g.weights, gm.weights)
    torch.testing.assert_close(g.covariance, gm.covariance + sigma**2 * torch.eye(2, dtype=torch.float64))


def test_samples_match_mixture_moments():
    gm = densities.default_mixture()
    x, comp = gm.sample(20000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert x.shape == (20000, 2) and comp.dtype == torch.int64
    # Tolerances are ~5 standard errors: the mixture variance is ~2, so the standard error
    # of the mean is sqrt(2 / 20000) ~ 0.01 and that of a covariance entry ~ 2 * sqrt(2/20000)
    # ~ 0.02 (the mixture is not Gaussian, so a bit more).
    torch.testing.assert_close(x.mean(0), gm.mean, atol=0.05, rtol=0)
    torch.testing.assert_close(torch.cov(x.T), gm.covariance, atol=0.12, rtol=0)
    freq = torch.bincount(comp, minlength=gm.n_components).double() / len(comp)
    torch.testing.assert_close(freq, gm.weights, atol=0.02, rtol=0)


def test_sampling_is_reproducible_with_a_generator():
    gm = densities.default_mixture()
    a = gm.sample(100, generator=torch.Generator().manual_seed(5))
    b = gm.sample(100, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


MEANS = [[0.0, 0.0], [1.0, 1.0]]


@pytest.mark.parametrize("kw, match", [
    ({"stds": [1.0, 1.0], "weights": [0.6, 0.6]}, "weights"),
    ({"stds": [1.0, 1.0], "weights": [1.2, -0.2]}, "weights"),
    ({"stds": [1.0, 1.0], "weights": [1.0]}, "weights"),
    ({"stds": [1.0, 0.0]}, "stds"),
    ({"stds": [1.0]}, "stds"),
    ({"covs": [[[1.0, 0.5], [0.0, 1.0]]] * 2}, "covs.*symmetric"),
    ({"covs": [[[1.0, 2.0], [2.0, 1.0]]] * 2}, "covs.*positive definite"),
    ({"covs": [[1.0, 0.0], [0.0, 1.0]]}, "covs"),
    ({"covs": [[[1.0, 0.0], [0.0, float("nan")]]] * 2}, "covs"),
    ({}, "exactly one of covs"),
])
def test_mixture_bad_arguments_raise_naming_the_argument(kw, match):
    with pytest.raises(ValueError, match=match):
        densities.GaussianMixture(MEANS, **kw)


def test_mixture_bad_means_shape_raises():
    with pytest.raises(ValueError, match="means"):
        densities.GaussianMixture([0.0, 1.0], stds=[1.0, 1.0])


@pytest.mark.parametrize("sigma", [-0.1, float("nan"), float("inf")])
def test_convolved_bad_sigma_raises(sigma):
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        densities.default_mixture().convolved(sigma)


def test_mixture_rejects_x_of_wrong_dimension():
    with pytest.raises(ValueError, match="x must have shape"):
        densities.default_mixture().score(torch.zeros(3, 3))


