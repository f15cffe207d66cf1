"""The claims of sections 19.1.3 and 19.1.4, checked on the quick configurations.

Numbers measured in quick mode on one CPU thread (torch 2.13, seed 0) are quoted next to each
tolerance. Results are cached per (mode, seed): about 28 s of training for the whole file.
"""

from __future__ import annotations

import pytest
import torch

from aebook import experiments as E
from aebook.metrics import code_sparsity
from aebook.noise import Corruption

# trains the quick experiments (shared with the other slow modules through the cache)
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]


# ------------------------------------------------------------------------------------------------
# L1 on activations makes the code sparse; L2 on weights does not


def test_l1_penalty_makes_the_code_sparser_as_lambda_grows():
    r = E.sparse_sweep(mode="quick")
    l1 = r.l1_rows()
    assert [x["strength"] for x in l1] == [0.0, 0.01, 0.03, 0.1, 0.3]
    zeros = [x["zero_fraction"] for x in l1]
    errors = [x["test_error"] for x in l1]
    # measured zeros 0.30, 0.51, 0.64, 0.76, 0.87; errors 0.002, 0.040, 0.077, 0.22, 0.63
    assert all(a < b for a, b in zip(zeros, zeros[1:])), zeros
    assert all(a < b for a, b in zip(errors, errors[1:])), errors
    assert zeros[-1] - zeros[0] > 0.4
    active = [x["active_per_input"] for x in l1]
    assert all(a > b for a, b in zip(active, active[1:]))  # 89.7 -> 16.5 of 128 units


def test_l2_on_weights_does_not_sparsify_at_the_same_error():
    r = E.sparse_sweep(mode="quick")
    none, l2 = r.l2_rows()[0], r.l2_rows()[1:]
    # measured: 0.30 without a penalty, 0.28 / 0.25 / 0.22 with L2 weights 1e-4 / 1e-3 / 1e-2
    assert all(x["zero_fraction"] <= none["zero_fraction"] + 0.02 for x in l2)
    strongest = l2[-1]
    match = min(r.l1_rows()[1:], key=lambda x: abs(x["test_error"] - strongest["test_error"]))
    # at ~equal held-out error (0.214 vs 0.217): 76 % zeros with L1, 22 % with L2
    assert match["test_error"] < 1.5 * strongest["test_error"]
    assert match["zero_fraction"] > 2 * strongest["zero_fraction"]


def test_sparse_models_are_overcomplete_and_the_decoder_grows_to_dodge_the_penalty():
    r = E.sparse_sweep(mode="quick")
    m = r.models[("l1", 0.1)]
    assert m.M > m.D  # 128 hidden units for 64 inputs
    norms = [x["decoder_norm"] for x in r.l1_rows()]
    # the scaling loophole: 0.62 without a penalty, 1.28 at λ = 0.1
    assert norms[3] > 1.5 * norms[0]


def test_code_sparsity_counts_zeros_active_units_and_dead_units():
    z = torch.tensor([[0.0, 2.0, 0.0], [0.0, 0.5, 1e-4]])
    s = code_sparsity(z, tol=1e-3)
    assert s == {"zero_fraction": pytest.approx(4 / 6), "active_per_input": 1.0,
                 "dead_fraction": pytest.approx(2 / 3)}
    with pytest.raises(ValueError, match="z must be"):
        code_sparsity(torch.zeros(3))
    with pytest.raises(ValueError, match="tol"):
        code_sparsity(z, tol=-1.0)


# ------------------------------------------------------------------------------------------------
# a DAE removes the noise it was trained on better than a plain AE of the same size


def test_denoising_autoencoder_beats_the_plain_one_at_every_level():
    r = E.denoising_table(mode="quick")
    assert [(x["kind"], x["level"]) for x in r.rows] == [
        ("mask", 0.25), ("mask", 0.5), ("mask", 0.75),
        ("gaussian", 0.25), ("gaussian", 0.5), ("gaussian", 1.0)]
    for x in r.rows:
        # e.g. ν = 0.75: DAE 24.2 vs plain 53.9 vs noisy input 67.0
        assert x["dae"] < x["plain"] < x["noisy"], x
    assert r.row("mask", 0.75)["dae"] < 0.6 * r.row("mask", 0.75)["plain"]
    assert r.row("gaussian", 1.0)["dae"] < 0.7 * r.row("gaussian", 1.0)["plain"]
    assert set(r.daes) == {Corruption(x["kind"], x["level"]) for x in r.rows}


def test_masking_dae_is_worse_than_the_plain_ae_on_clean_digits():
    """A finding, not a claim of the book: trained on holes, it paints ink on clean digits."""
    r = E.denoising_table(mode="quick")
    # measured 39.9 (DAE, ν = 0.75) vs 11.4 (plain AE)
    assert r.row("mask", 0.75)["dae_clean"] > 2 * r.plain_clean_error


def test_held_out_noise_is_fixed():
    x = torch.rand(3, 5)
    c = Corruption("gaussian", 0.5)
    assert torch.equal(E.corrupted_test_images(c, x), E.corrupted_test_images(c, x))


# ------------------------------------------------------------------------------------------------
# the DAE's implied score points like the true score where the noisy data are


def test_dae_implied_score_points_along_the_true_score():
    r = E.score_field(mode="quick")
    assert r.sigma == 0.3 and r.cos.shape == (4000,)
    assert r.cos_median > 0.85  # measured 0.93
    assert r.frac_cos_above_0_9 > 0.5  # measured 0.58
    # it fails where the true score is weak (modes, saddles): 0.78 there vs 0.96 elsewhere
    assert r.cos_median_strong > 0.9
    assert r.cos_median_weak < r.cos_median_strong - 0.05
    # the DAE is closer to the Bayes-optimal denoiser than the noise is (0.019 vs 0.045)
    assert r.dae_mse < 0.6 * r.optimal_mse


def test_far_from_the_data_the_direction_holds_but_the_length_is_too_large():
    r = E.score_field(mode="quick")
    assert r.far_cos_median > 0.9  # measured 0.97
    assert r.far_norm_ratio_median > 1.3  # measured 1.8: bounded r gives |x|/σ², not |x|/(Σ+σ²)


# ------------------------------------------------------------------------------------------------
# on data lying on a curve, the vectors point back to the curve (Fig. 19.4)


def test_dae_vectors_point_back_to_the_curve():
    r = E.curve_denoiser(mode="quick")
    assert r.sigma == 0.15
    assert r.cos_far_mean > 0.85  # measured 0.94 over the 147 points farther than σ/2
    assert r.n_far > 100
    assert r.dist_after < 0.4 * r.dist_before  # measured 0.026 vs 0.119
