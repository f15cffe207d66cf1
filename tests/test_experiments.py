"""The claims of section 19.1, checked on the quick configurations of aebook.experiments.

Numbers measured in quick mode on one CPU thread (torch 2.13, seed 0) are quoted next to each
tolerance. Every experiment is cached per (mode, seed), so the file trains each model once
(about 17 s in all on one thread).
"""

from __future__ import annotations

import pytest
import torch

from aebook import experiments as E


pytestmark = pytest.mark.usefixtures("one_thread")


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
    assert a.models[0] is b.models[0]


def test_full_mode_uses_bigger_networks():
    assert E.config_for("mnist", "full").hidden == (1000, 500, 250)
    assert E.config_for("linear", "full").epochs > E.config_for("linear", "quick").epochs


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


def test_full_mode_reads_full_mnist_from_the_folder_the_reader_names(monkeypatch, tmp_path):
    """AEBOOK_MNIST_DIR switches full mode to the IDX files; quick mode ignores it."""
    import aebook.data
    from aebook import experiments

    calls = []
    monkeypatch.setattr(aebook.data, "load_idx_dataset", lambda name, root: calls.append((name, root)) or "FULL")
    experiments._mnist_from.cache_clear()
    monkeypatch.setenv(experiments.MNIST_DIR_ENV, str(tmp_path))
    try:
        assert experiments.mnist_data("full") == "FULL" and calls == [("mnist", str(tmp_path))]
        assert experiments.mnist_data("quick").n_train == 4000
        monkeypatch.delenv(experiments.MNIST_DIR_ENV)
        assert experiments.mnist_data("full").n_train == 4000
    finally:
        experiments._mnist_from.cache_clear()


def test_results_are_shared_through_the_run_cache_folder(tmp_path, monkeypatch):
    """``$AEBOOK_RESULT_CACHE`` (set by tools/make.py for one run) lets another process reuse a
    result; a different argument or configuration is computed afresh, and unset it is ignored."""
    from aebook.experiments import _base

    calls = []

    @_base.cached(maxsize=4)
    def _square(x):
        calls.append(x)
        return {"x": x, "sq": torch.tensor(float(x)) ** 2}

    monkeypatch.setenv(_base.RESULT_CACHE_ENV, str(tmp_path))
    first = _square(3)
    assert calls == [3] and len(list(tmp_path.glob("*.pkl"))) == 1
    _square.cache_clear()                       # what a second process would see
    again = _square(3)
    assert calls == [3] and again is not first and float(again["sq"]) == 9.0
    _square(4)
    assert calls == [3, 4]
    monkeypatch.setitem(_base._CONFIGS["quick"], "_probe", ("edited",))  # a changed configuration
    _square.cache_clear()
    _square(3)
    assert calls == [3, 4, 3]
    monkeypatch.delenv(_base.RESULT_CACHE_ENV)
    _square.cache_clear()
    _square(3)
    assert calls == [3, 4, 3, 3]


def test_unpicklable_results_are_recomputed_not_broken(tmp_path, monkeypatch):
    from aebook.experiments import _base

    monkeypatch.setenv(_base.RESULT_CACHE_ENV, str(tmp_path))

    @_base.cached(maxsize=1)
    def _closure():
        return lambda: 1                       # pickle cannot store a lambda

    assert _closure()() == 1
    assert not list(tmp_path.iterdir())
