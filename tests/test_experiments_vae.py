"""Groundwork claims of section 19.2 on quick configurations (about 25 s on one thread)."""

from __future__ import annotations

import pytest

from aebook import experiments as E

pytestmark = pytest.mark.usefixtures("one_thread")


def test_importance_sampling_has_far_lower_variance_than_sampling_the_prior():
    for k in (10, 200):
        r = E.estimator_variance(k=k)
        # measured variance ratios 146x (k = 10) and 45x (k = 200)
        assert r.prior_var > 20 * r.importance_var, r
        assert abs(r.importance_bias) < 0.05


def test_mnist_vae_bounds_tighten_with_k_and_units_are_active():
    r = E.mnist_vae(mode="quick")
    ks = sorted(r.neg_iwae)
    assert ks == [1, 10, 100, 1000]
    vals = [r.neg_iwae[k] for k in ks]
    # measured 120.5, 116.6, 115.2, 114.5 nats per held-out image
    assert all(a > b for a, b in zip(vals, vals[1:])), vals
    assert r.neg_elbo == pytest.approx(r.neg_recon + r.kl, rel=1e-6)
    assert abs(r.neg_elbo - r.neg_iwae[1]) < 1.0  # both single-sample ELBO estimates
    assert 1 <= r.active <= r.M  # measured 20 of 20
    assert r.kl > 0
