"""aebook.noise: the two corruptions of section 19.1.4, their ranges, rates and seeding."""

from __future__ import annotations

import math

import pytest
import torch

from aebook import noise
from aebook.noise import Corruption, corrupt, gaussian_noise, mask_noise

X = torch.rand(500, 784, generator=torch.Generator().manual_seed(0)) + 0.1  # no zeros in x


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("nu", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_masking_sets_a_fraction_nu_of_the_inputs_to_zero(nu):
    xt, mask = mask_noise(X, nu, generator=gen(), return_mask=True)
    frac = float((xt == 0).float().mean())
    # 392 000 Bernoulli(ν) draws: the std of the mean is at most 0.0008
    assert abs(frac - nu) < 0.004
    assert torch.equal(xt == 0, mask)
    assert torch.equal(xt[~mask], X[~mask])  # kept entries are not rescaled


@pytest.mark.parametrize("sigma", [0.0, 0.1, 1.0, 3.0])
def test_gaussian_noise_has_mean_zero_and_std_sigma(sigma):
    d = gaussian_noise(X, sigma, generator=gen()) - X
    assert abs(float(d.mean())) < 0.01 * max(sigma, 1e-9) + 1e-7
    assert float(d.std()) == pytest.approx(sigma, rel=0.01, abs=1e-7)


def test_noise_is_not_clipped_to_the_data_range():
    xt = gaussian_noise(X, 1.0, generator=gen())
    assert float(xt.min()) < 0 and float(xt.max()) > 1.1


def test_same_generator_seed_same_corruption_and_input_untouched():
    before = X.clone()
    for fn, level in ((mask_noise, 0.3), (gaussian_noise, 0.5)):
        a, b = fn(X, level, generator=gen(7)), fn(X, level, generator=gen(7))
        assert torch.equal(a, b)
        assert not torch.equal(a, fn(X, level, generator=gen(8)))
    assert torch.equal(X, before)


def test_global_generator_is_used_when_none_is_given():
    torch.manual_seed(3)
    a = mask_noise(X, 0.5)
    torch.manual_seed(3)
    assert torch.equal(a, mask_noise(X, 0.5))


def test_dtype_and_shape_are_kept_for_images():
    x = torch.rand(4, 1, 28, 28, dtype=torch.float64)
    for xt in (mask_noise(x, 0.5, generator=gen()), gaussian_noise(x, 0.2, generator=gen())):
        assert xt.shape == x.shape and xt.dtype == torch.float64


@pytest.mark.parametrize("nu", [-0.1, 1.01, math.nan, math.inf, "0.5", None, True, torch.ones(2)])
def test_masking_rate_outside_zero_one_is_refused_with_its_range(nu):
    with pytest.raises(ValueError, match=r"nu .*\[0, 1\]"):
        mask_noise(X, nu)


@pytest.mark.parametrize("sigma", [-1e-3, math.nan, math.inf, "1", None, False])
def test_negative_or_non_finite_sigma_is_refused(sigma):
    with pytest.raises(ValueError, match="sigma .*>= 0"):
        gaussian_noise(X, sigma)


def test_tensor_levels_with_one_element_are_accepted():
    assert torch.equal(mask_noise(X, torch.tensor(0.0)), X)


def test_bad_x_and_generator_types_are_refused():
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        mask_noise([[1.0]], 0.5)
    with pytest.raises(TypeError, match="floating"):
        gaussian_noise(torch.ones(3, dtype=torch.int64), 0.5)
    with pytest.raises(TypeError, match="generator"):
        mask_noise(X, 0.5, generator=0)


def test_corruption_value_validates_and_dispatches():
    c = Corruption("mask", 0.25)
    assert c.symbol == "ν" and str(c) == "mask ν=0.25"
    assert torch.equal(c(X, generator=gen(1)), mask_noise(X, 0.25, generator=gen(1)))
    g = Corruption("gaussian", 1)
    assert isinstance(g.level, float) and g.symbol == "σ"
    assert torch.equal(g(X, generator=gen(1)), corrupt(X, "gaussian", 1.0, generator=gen(1)))
    assert Corruption("mask", 0.5) == Corruption("mask", 0.5)  # hashable keys for tables
    assert len({Corruption("mask", 0.5), Corruption("mask", 0.5)}) == 1
    with pytest.raises(ValueError, match="kind must be one of"):
        Corruption("salt", 0.1)
    with pytest.raises(ValueError, match="nu"):
        Corruption("mask", 2.0)
    with pytest.raises(ValueError, match="sigma"):
        Corruption("gaussian", -1.0)
    with pytest.raises(ValueError, match="kind must be one of"):
        corrupt(X, "blur", 0.1)
    assert noise.KINDS == ("mask", "gaussian")
