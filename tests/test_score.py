"""aebook.score: Tweedie's formula holds exactly on a Gaussian mixture, by two routes, and the
score implied by a denoiser is computed as (r(x̃) − x̃)/σ²."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from aebook.densities import GaussianMixture, default_mixture
from aebook.score import cosine_similarity, denoiser_score, posterior_mean, tweedie_denoiser

F64 = torch.float64
P = default_mixture()


def noisy_points(sigma: float, n: int = 3000, seed: int = 0) -> torch.Tensor:
    x, _ = P.convolved(sigma).sample(n, generator=torch.Generator().manual_seed(seed), dtype=F64)
    return x


@pytest.mark.parametrize("sigma", [0.05, 0.3, 1.0, 3.0])
def test_posterior_mean_equals_tweedie_to_round_off(sigma):
    x = noisy_points(sigma)
    a, b = posterior_mean(P, x, sigma), tweedie_denoiser(P, x, sigma)
    assert float((a - b).abs().max()) < 1e-12
    # not a trivial identity: the denoiser moves points by about σ² |score|
    assert float((a - x).norm(dim=1).mean()) > 0.01 * sigma


def test_posterior_mean_agrees_with_a_monte_carlo_posterior():
    """Self-normalised importance sampling with the prior as proposal: E[x | x̃] = E_p[x w] / E_p[w],
    w = N(x̃ | x, σ² I). An independent check of the closed form."""
    sigma = 0.5
    xt = torch.tensor([[0.3, 0.2], [-1.0, 1.4]], dtype=F64)
    xs, _ = P.sample(400_000, generator=torch.Generator().manual_seed(1), dtype=F64)
    logw = -((xt[:, None, :] - xs[None]) ** 2).sum(-1) / (2 * sigma**2)  # (2, S)
    w = torch.softmax(logw, dim=1)
    mc = w @ xs
    assert torch.allclose(posterior_mean(P, xt, sigma), mc, atol=0.01)


def test_sigma_zero_returns_the_input_and_large_sigma_the_prior_mean():
    x = noisy_points(0.3, n=50)
    assert torch.allclose(posterior_mean(P, x, 0.0), x, atol=1e-12)
    far = posterior_mean(P, x, 1e4)
    assert torch.allclose(far, P.mean.expand_as(far), atol=1e-4)


def test_single_gaussian_gives_the_linear_shrinkage_formula():
    g = GaussianMixture([[1.0, -1.0]], stds=[2.0])
    x = torch.tensor([[3.0, 3.0]], dtype=F64)
    s = 1.0
    expect = torch.tensor([1.0, -1.0], dtype=F64) + 4.0 / 5.0 * (x - torch.tensor([1.0, -1.0], dtype=F64))
    assert torch.allclose(posterior_mean(g, x, s), expect)


class OptimalDenoiser(nn.Module):
    def __init__(self, sigma):
        super().__init__()
        self.sigma = sigma

    def forward(self, x):
        return posterior_mean(P, x, self.sigma)


def test_the_optimal_denoiser_implies_the_exact_score_and_mode_is_restored():
    sigma = 0.4
    x = noisy_points(sigma, n=200)
    d = OptimalDenoiser(sigma).train()
    s = denoiser_score(d, x, sigma)
    assert torch.allclose(s, P.convolved(sigma).score(x), atol=1e-9)
    assert d.training  # train mode put back after the call
    assert cosine_similarity(s, P.convolved(sigma).score(x)).min() > 1 - 1e-9


def test_denoiser_score_reads_the_recon_field():
    class Out:
        def __init__(self, r):
            self.recon = r

    x = torch.zeros(3, 2)
    s = denoiser_score(lambda t: Out(t + 0.5), x, 0.5)
    assert torch.allclose(s, torch.full((3, 2), 2.0))


@pytest.mark.parametrize("sigma", [0.0, -1.0, math.nan, "0.1"])
def test_denoiser_score_needs_positive_sigma(sigma):
    with pytest.raises(ValueError, match="sigma"):
        denoiser_score(lambda t: t, torch.zeros(2, 2), sigma)


def test_bad_shapes_and_values_are_refused():
    with pytest.raises(ValueError, match=r"x_tilde must have shape \(N, D=2\)"):
        posterior_mean(P, torch.zeros(4, 3), 0.1)
    with pytest.raises(ValueError, match="NaN"):
        tweedie_denoiser(P, torch.tensor([[math.nan, 0.0]]), 0.1)
    with pytest.raises(TypeError, match="GaussianMixture"):
        posterior_mean("p", torch.zeros(1, 2), 0.1)
    with pytest.raises(ValueError, match="must return shape"):
        denoiser_score(lambda t: t[:, :1], torch.zeros(2, 2), 0.1)
    with pytest.raises(ValueError, match="same shape"):
        cosine_similarity(torch.ones(2, 2), torch.ones(3, 2))


def test_cosine_similarity_values_and_zero_vectors():
    a = torch.tensor([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    b = torch.tensor([[2.0, 0.0], [-1.0, -1.0], [1.0, 0.0]])
    assert torch.allclose(cosine_similarity(a, b), torch.tensor([1.0, -1.0, 0.0]))
