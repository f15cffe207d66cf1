"""The claims of section 19.1, checked on the quick configurations of aebook.experiments.

Numbers measured in quick mode on one CPU thread (torch 2.13, seed 0, the reference kernels
ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2) are quoted next to each tolerance; every threshold
also holds under MKL's compatible kernels (python3 tools/make.py test --portable). Every
experiment is cached per (mode, seed), so the file trains each model once (about 17 s in all
on one thread).
"""

from __future__ import annotations

import pytest
import torch

from aebook import experiments as E

# trains the quick experiments (shared with the other slow modules through the cache)
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]


def test_linear_autoencoder_reaches_pca_error_and_subspace():
    r = E.linear_vs_pca(mode="quick")
    assert r.M == 10
    # PCA is the optimum on the training data: the AE cannot beat it (float32 rounding aside)
    # and after 100 Adam epochs it is within 0.33 % (measured 26.71 vs 26.63); allow 2 %.
    assert r.rel_gap_train > -1e-4
    assert r.rel_gap_train < 0.02
    assert abs(r.rel_gap_test) < 0.02  # measured +0.31 % (28.06 vs 27.97)
    # Same subspace: largest principal angle measured 2.09 deg; allow 5 deg.
    assert r.angles_deg.shape == (10,)
    assert r.max_angle_deg < 5.0


def test_linear_autoencoder_columns_are_not_pca_components():
    r = E.linear_vs_pca(mode="quick")
    # Only the subspace is unique (Baldi & Hornik): the columns are neither unit length nor
    # orthogonal. Measured max |W2^T W2 - I| = 21 (norms ~4.2-4.7) and max off-diagonal
    # |cos| = 0.19 between columns.
    assert r.orthonormality_error > 0.5
    assert r.max_offdiag_cos > 0.05
    assert torch.allclose(torch.diagonal(r.gram), torch.ones(10, dtype=r.gram.dtype))
    assert r.column_norms.shape == (10,)
    assert not r.norms_ordered  # measured norms 4.41, 4.42, 4.69, 4.20, ... (no order)


def test_shallow_sigmoid_autoencoder_does_not_beat_pca():
    r = E.shallow_vs_pca(mode="quick")
    # Bourlard & Kamp: on the training data the error is >= PCA's (exact; 1e-4 for float32).
    # Measured +3.9 % (27.66 vs 26.63).
    assert r.ae_train_error >= r.pca_train_error * (1 - 1e-4)
    # Held out it is not a theorem; measured +4.1 % (29.12 vs 27.97), allow 2 % below.
    assert r.ae_test_error >= r.pca_test_error * (1 - 0.02)


def test_deep_autoencoder_beats_pca_on_the_curved_surface():
    r = E.deep_vs_pca_surface(mode="quick")
    # Measured held-out 0.0023 (AE) vs 0.189 (PCA): a factor 80; ask for a factor 10.
    assert r.ae_test_error < 0.1 * r.pca_test_error
    assert r.model.M == 2 and not r.model.training


def test_deep_autoencoder_beats_pca_on_mnist_at_m2():
    r = E.deep_vs_pca_mnist(mode="quick")
    assert r.Ms == (2, 30)
    row = r.row(2)
    # Measured held-out 36.0 (AE) vs 45.0 (PCA); ask for 10 % below PCA.
    assert row["ae_test"] < 0.9 * row["pca_test"]
    # At M = 30 the quick AE (20 epochs on 4000 images) does NOT beat PCA held out (measured
    # 16.8 vs 14.6), so that is not asserted; the errors still fall with M for both.
    assert r.ae_test_errors[1] < r.ae_test_errors[0]
    assert r.pca_test_errors[1] < r.pca_test_errors[0]


def test_nonlinear_training_depends_on_the_initialisation():
    r = E.seed_spread(mode="quick")
    assert len(r.seeds) == 8 and r.errors.shape == (8,)
    assert r.min <= r.mean <= r.max and r.std > 0
    # Measured held-out errors 0.012 .. 0.117 over 8 seeds (max/min ~ 10); ask for 2.
    assert r.max > 2 * r.min
    assert r.max < r.pca_test_error  # every start still beats PCA (0.189)


def test_results_are_cached_per_mode_and_seed():
    assert E.linear_vs_pca() is E.linear_vs_pca(mode="quick", seed=0)
    assert E.deep_vs_pca_surface("quick") is E.deep_vs_pca_surface(mode="QUICK", seed=0)
    a, b = E.deep_vs_pca_mnist(Ms=(2,)), E.deep_vs_pca_mnist(Ms=[2, 30])
    # one training of M = 2 serves both calls; ``b`` may come from the run's disk cache (another
    # process of the run computed it first), so the models are equal, not necessarily identical
    pa, pb = a.models[0].state_dict(), b.models[0].state_dict()
    assert pa.keys() == pb.keys() and all(torch.equal(pa[k], pb[k]) for k in pa)


def test_full_mode_trains_with_the_full_configuration(monkeypatch):
    """mode="full" looks up CONFIGS["full"]: here a one-epoch stand-in on MNIST-5k, so that the
    test is fast, and the result must show its code size and not the quick one's."""
    from aebook.experiments import CONFIGS, _data
    from aebook.experiments.deterministic import LinearConfig

    monkeypatch.setitem(CONFIGS["full"], "linear", LinearConfig(M=3, epochs=1, batch_size=1000, lr=1e-3))
    monkeypatch.setattr(_data, "_mnist", lambda mode: aebook_mnist5k())
    E.clear_cache()
    try:
        assert E.linear_vs_pca(mode="full").M == 3 and E.linear_vs_pca(mode="quick").M == 10
    finally:
        E.clear_cache()


def aebook_mnist5k():
    from aebook.data import load_mnist5k

    return load_mnist5k()


@pytest.mark.parametrize("call, match", [
    (lambda: E.linear_vs_pca(seed=-1), "seed"),
    (lambda: E.shallow_vs_pca(seed=1.5), "seed"),
    (lambda: E.deep_vs_pca_surface(seed=True), "seed"),
    (lambda: E.linear_vs_pca(mode="fast"), "mode"),
    (lambda: E.deep_vs_pca_mnist(Ms=()), "Ms"),
    (lambda: E.deep_vs_pca_mnist(Ms=(0,)), "Ms"),
    (lambda: E.deep_vs_pca_mnist(Ms=(784,)), "Ms"),
    (lambda: E.deep_vs_pca_mnist(Ms=(2, 2)), "Ms"),
    (lambda: E.deep_vs_pca_mnist(Ms="2"), "Ms"),
    (lambda: E.seed_spread(n_seeds=1), "n_seeds"),
    (lambda: E.seed_spread(n_seeds=True), "n_seeds"),
    (lambda: E.config_for("nope"), "name"),
])
def test_bad_arguments_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_full_mode_trains_on_the_standard_mnist():
    from aebook.experiments import _data

    full, quick = _data.mnist_data("full"), _data.mnist_data("quick")
    assert (full.name, full.n_train, full.n_test) == ("mnist", 60000, 10000)
    assert (quick.name, quick.n_train) == ("mnist5k", 4000)
