"""aebook.arc: the 1-D-latent arc model whose ln p(x), posterior and ELBO are computed by
quadrature (Figs. 19.7-19.9)."""

from __future__ import annotations

import math

import pytest
import torch

from aebook.arc import ArcModel, gauss_hermite

F64 = torch.float64
pytestmark = pytest.mark.usefixtures("one_thread")


def points(n=6, seed=0):
    return ArcModel().sample(n, generator=torch.Generator().manual_seed(seed))


def test_gauss_hermite_integrates_gaussian_moments_exactly():
    t, v = gauss_hermite(10)
    assert float(v.sum()) == pytest.approx(1.0, abs=1e-14)
    for k, moment in ((2, 1.0), (4, 3.0), (6, 15.0), (3, 0.0)):
        assert float((v * t**k).sum()) == pytest.approx(moment, abs=1e-11)


def test_log_px_agrees_with_monte_carlo_over_the_prior():
    m = ArcModel()
    x = points()
    z = torch.randn(400_000, generator=torch.Generator().manual_seed(1), dtype=F64)
    w = m.log_px_z(x, z).exp()
    mc = w.mean(1).log()
    se = w.std(1) / (w.mean(1) * math.sqrt(z.shape[0]))  # delta method, relative error
    assert ((m.log_px(x) - mc).abs() < 5 * se + 1e-6).all()


def test_posterior_is_normalised_and_the_identity_holds_for_a_gaussian_q():
    # (19.6) on a nonlinear model: ln p(x) − ELBO(q) = KL(q ‖ p(z|x)), both sides by quadrature
    m = ArcModel()
    x = points(4)
    dz = float(m.z_grid[1] - m.z_grid[0])
    post = m.posterior_grid(x)
    assert torch.allclose(post.sum(1) * dz, torch.ones(4, dtype=F64), atol=1e-12)
    mu = torch.tensor([0.3, -1.0, 2.0, 0.0], dtype=F64)
    logvar = torch.tensor([-2.0, -1.0, -3.0, 0.0], dtype=F64)
    e = m.elbo(x, mu, logvar, n_nodes=100)["elbo"]
    zg = m.z_grid
    q = torch.exp(-0.5 * (zg - mu[:, None]) ** 2 / logvar.exp()[:, None]) / torch.sqrt(
        2 * math.pi * logvar.exp()[:, None])
    kl = (q * (q.clamp_min(1e-300).log() - post.clamp_min(1e-300).log())).sum(1) * dz
    assert torch.allclose(m.log_px(x) - e, kl, atol=1e-6, rtol=0)
    assert (e < m.log_px(x)).all()


def test_em_closes_the_gap_at_each_e_step_and_never_lowers_the_likelihood():
    m = ArcModel(w=0.5)
    x = points(100)
    last = -math.inf
    for _ in range(4):
        r = m.em_step(x)
        assert abs(r["elbo_after_e"] - r["log_px_before"]) < 1e-10
        assert r["log_px_before"] >= last - 1e-12
        assert r["elbo_after_m"] >= r["elbo_after_e"] - 1e-12  # the M step raises the ELBO
        assert r["elbo_after_m"] <= r["log_px_after"] + 1e-12  # ... which stays a lower bound
        last = r["log_px_after"]
    assert abs(r["w"] - 1.0) < 0.1  # data drawn with w = 1


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="w must be a finite number > 0"):
        ArcModel(w=0.0)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        ArcModel(sigma=-0.1)
    with pytest.raises(ValueError, match="n_grid must be an int >= 11"):
        ArcModel(n_grid=5)
    with pytest.raises(ValueError, match="n must be an int in"):
        gauss_hermite(0)
    m = ArcModel()
    with pytest.raises(ValueError, match=r"x must have shape \(N, 2\)"):
        m.log_px(torch.zeros(3, 3, dtype=F64))
    with pytest.raises(ValueError, match="NaN"):
        m.log_px(torch.tensor([[float("nan"), 0.0]], dtype=F64))
    with pytest.raises(TypeError, match="x must be a floating torch.Tensor"):
        m.log_px([[0.0, 1.0]])
    with pytest.raises(ValueError, match="one value per point"):
        m.elbo(points(3), torch.zeros(2, dtype=F64), torch.zeros(3, dtype=F64))
