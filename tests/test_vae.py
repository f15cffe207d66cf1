"""aebook.vae (groundwork for section 19.2): the KL term with the correct sign, the ELBO, the
importance-weighted bound and the naive estimator, checked on a linear-Gaussian model whose
ln p(x) and posterior are exact."""

from __future__ import annotations

import math

import pytest
import torch

import aebook
from aebook.vae import (
    LOGVAR_RANGE,
    VAE,
    BernoulliDecoder,
    GaussianDecoder,
    GaussianEncoder,
    LinearGaussianModel,
    VAELoss,
    beta_schedule,
    elbo,
    iwae_bound,
    kl_per_dim,
    kl_std_normal,
    log_px_prior_sampling,
)

F64 = torch.float64
pytestmark = pytest.mark.usefixtures("one_thread")


def linear_model(orthogonal: bool = True) -> LinearGaussianModel:
    g = torch.Generator().manual_seed(0)
    A = torch.randn(5, 2, generator=g, dtype=F64)
    W = torch.linalg.qr(A)[0] * torch.tensor([2.0, 1.0], dtype=F64) if orthogonal else A
    return LinearGaussianModel(W, torch.randn(5, generator=g, dtype=F64), 0.5)


def data(lg, n=7):
    return lg.sample(n, generator=torch.Generator().manual_seed(1))


def test_kl_has_the_correct_sign_and_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(6, 3, generator=g, dtype=F64), torch.randn(6, 3, generator=g, dtype=F64)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    ref = torch.distributions.kl_divergence(q, p).sum(-1)
    kl = kl_std_normal(mu, logvar)
    assert torch.allclose(kl, ref, atol=1e-12)
    assert (kl >= 0).all()
    printed_19_15 = 0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(-1)  # the book's print: -KL
    assert torch.allclose(printed_19_15, -kl) and (printed_19_15 <= 0).all()
    assert float(kl_std_normal(torch.zeros(4), torch.zeros(4))) == 0.0


def test_kl_agrees_with_a_monte_carlo_estimate():
    mu, logvar = torch.tensor([[0.7, -1.2]], dtype=F64), torch.tensor([[0.3, -0.8]], dtype=F64)
    z = VAE.rsample(mu, logvar, 200_000, generator=torch.Generator().manual_seed(0))
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    mc = (q.log_prob(z) - torch.distributions.Normal(0.0, 1.0).log_prob(z)).sum(-1).mean(0)
    assert float((mc - kl_std_normal(mu, logvar)).abs()) < 0.01


def test_reparameterised_samples_have_mean_mu_and_std_sigma():
    mu, logvar = torch.tensor([[1.0, -2.0]]), torch.tensor([[math.log(0.25), math.log(4.0)]])
    z = VAE.rsample(mu, logvar, 100_000, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(z.mean(0), mu, atol=0.02)
    assert torch.allclose(z.std(0), torch.tensor([[0.5, 2.0]]), rtol=0.01)


def test_elbo_equals_log_px_when_q_is_the_exact_posterior():
    lg = linear_model()
    x = data(lg)
    v = lg.as_vae()
    # every importance weight p(x, z)/q(z|x) equals p(x): zero Monte Carlo variance
    mc = elbo(v, x, n_samples=3, analytic_kl=False)["elbo"]
    assert torch.allclose(mc, lg.log_px(x), atol=1e-10)
    assert torch.allclose(iwae_bound(v, x, 5), lg.log_px(x), atol=1e-10)
    m, S = lg.posterior(x)
    mu, logvar = v.encoder(x)
    assert torch.allclose(mu, m) and torch.allclose(logvar.exp()[0], torch.diagonal(S))


def test_elbo_never_exceeds_log_px_and_the_iwae_bound_rises_with_k():
    lg = linear_model()
    x = data(lg)
    v = lg.as_vae(exact_posterior=False)  # q = N(0, diag S): the wrong mean
    with torch.no_grad():
        exact = lg.log_px(x)
        e = elbo(v, x, n_samples=4000)["elbo"]
        assert (e < exact).all()
        gaps = [float((exact - iwae_bound(v, x, k, generator=torch.Generator().manual_seed(2))).mean())
                for k in (1, 10, 100, 1000)]
    assert all(a > b for a, b in zip(gaps, gaps[1:])), gaps
    assert gaps[0] > 1.0 and abs(gaps[-1]) < 0.2


def test_naive_prior_sampling_is_consistent_but_noisier_than_importance_sampling():
    lg = linear_model()
    x = data(lg, n=3)
    v = lg.as_vae(exact_posterior=False)
    with torch.no_grad():
        naive = torch.stack([log_px_prior_sampling(v, x, 200, generator=torch.Generator().manual_seed(s))
                             for s in range(30)])
        v_good = lg.as_vae()
        v_good.encoder.head.bias.data[2:] += 0.5  # q slightly too wide: not exact, still close
        imp = torch.stack([iwae_bound(v_good, x, 200, generator=torch.Generator().manual_seed(s))
                           for s in range(30)])
    assert float(naive.var(0).mean()) > 10 * float(imp.var(0).mean())
    assert float((imp.mean(0) - lg.log_px(x)).abs().max()) < 0.05


def test_decoders_log_prob_match_torch_distributions():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(4, 6, generator=g).round()
    logits = torch.randn(3, 4, 6, generator=g) * 20  # large logits stay finite
    ref = torch.distributions.Bernoulli(logits=logits).log_prob(x).sum(-1)
    assert torch.allclose(BernoulliDecoder.log_prob(x, logits), ref, atol=1e-4)
    mean, logvar = torch.randn(4, 6, generator=g), torch.randn(4, 6, generator=g)
    ref = torch.distributions.Normal(mean, (0.5 * logvar).exp()).log_prob(x).sum(-1)
    assert torch.allclose(GaussianDecoder.log_prob(x, (mean, logvar)), ref, atol=1e-5)


def test_encoder_variance_parameterisations_stay_finite():
    enc = GaussianEncoder(4, 2, hidden=(8,))
    with torch.no_grad():
        enc.head.bias.fill_(1e4)
        mu, logvar = enc(torch.ones(3, 4))
    assert torch.isfinite(logvar.exp()).all() and float(logvar.max()) == LOGVAR_RANGE[1]
    sp = GaussianEncoder(4, 2, hidden=(8,), variance="softplus")
    with torch.no_grad():
        sp.head.bias.fill_(-1e4)
        _, lv = sp(torch.ones(3, 4))
    assert torch.isfinite(lv).all() and torch.allclose(lv.exp(), torch.full_like(lv, 1e-6), rtol=1e-3)


def test_a_small_vae_trains_and_samples():
    import aebook

    torch.manual_seed(0)
    x = (torch.rand(256, 16) > 0.5).float()
    v = VAE(GaussianEncoder(16, 2, hidden=(32,)), BernoulliDecoder(2, 16, hidden=(32,)))
    h = aebook.fit(v, VAELoss(), x, epochs=30, batch_size=64, lr=3e-3, progress=False)
    assert h.train[-1] < h.train[0]
    assert set(h.terms) >= {"recon", "kl"}
    s = v.sample(5, generator=torch.Generator().manual_seed(0))
    assert s.shape == (5, 16) and float(s.min()) >= 0 and float(s.max()) <= 1


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="variance"):
        GaussianEncoder(4, 2, variance="relu")
    with pytest.raises(ValueError, match="sigma"):
        GaussianDecoder(2, 4, sigma=-1.0)
    with pytest.raises(ValueError, match="do not match"):
        VAE(GaussianEncoder(4, 2), BernoulliDecoder(3, 4))
    with pytest.raises(ValueError, match=r"x must have shape \(N, D=4\)"):
        GaussianEncoder(4, 2)(torch.ones(3, 5))
    with pytest.raises(ValueError, match="k must be"):
        iwae_bound(linear_model().as_vae(), torch.zeros(1, 5, dtype=F64), 0)
    with pytest.raises(ValueError, match="same shape"):
        kl_std_normal(torch.zeros(2), torch.zeros(3))


def random_q(lg, n, seed=2):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(n, lg.M, generator=g, dtype=F64) * 2,
            torch.randn(n, lg.M, generator=g, dtype=F64) * 1.5)


def test_log_px_is_elbo_plus_kl_to_the_posterior_for_any_q():
    # section 19.2, (19.6): exact on both sides, so only rounding separates them
    lg = linear_model(orthogonal=False)
    x = data(lg, 200)
    mu, logvar = random_q(lg, 200)
    e = lg.elbo(x, mu, logvar)
    kl = lg.kl_to_posterior(x, mu, logvar)
    assert torch.allclose(e["elbo"] + kl, lg.log_px(x), atol=1e-10, rtol=0)
    assert (kl >= 0).all() and (e["elbo"] <= lg.log_px(x)).all()
    assert torch.allclose(e["elbo"], e["recon"] - e["kl"], atol=1e-12, rtol=0)


def test_kl_to_posterior_matches_torch_distributions():
    lg = linear_model(orthogonal=False)
    x = data(lg, 5)
    mu, logvar = random_q(lg, 5)
    m, S = lg.posterior(x)
    ref = torch.stack([torch.distributions.kl_divergence(
        torch.distributions.MultivariateNormal(mu[i], torch.diag(logvar[i].exp())),
        torch.distributions.MultivariateNormal(m[i], S)) for i in range(5)])
    assert torch.allclose(lg.kl_to_posterior(x, mu, logvar), ref, atol=1e-10, rtol=0)


def test_closed_form_reconstruction_term_agrees_with_monte_carlo():
    lg = linear_model(orthogonal=False)
    x = data(lg, 4)
    mu, logvar = random_q(lg, 4)
    g = torch.Generator().manual_seed(3)
    z = VAE.rsample(mu, logvar, 200_000, generator=g)
    mean = z @ lg.W.T + lg.b
    lp = -0.5 * (lg.D * math.log(2 * math.pi * lg.sigma**2) + (x - mean).pow(2).sum(-1) / lg.sigma**2)
    se = lp.std(0) / math.sqrt(z.shape[0])
    # 5 standard errors: a false alarm has probability < 1e-5 per point
    assert ((lp.mean(0) - lg.elbo(x, mu, logvar)["recon"]).abs() < 5 * se).all()


def test_best_diagonal_q_is_the_closest_and_exact_for_a_diagonal_posterior():
    lg = linear_model(orthogonal=False)
    x = data(lg, 6)
    mb, lb = lg.best_diagonal(x)
    best = lg.kl_to_posterior(x, mb, lb)
    assert (best > 1e-3).all()  # correlated posterior: a diagonal q cannot be exact
    for d_mu, d_lv in ((0.05, 0.0), (0.0, 0.05), (0.0, -0.05), (-0.03, 0.03)):
        assert (lg.kl_to_posterior(x, mb + d_mu, lb + d_lv) > best).all()
    ortho = linear_model(orthogonal=True)
    x = data(ortho, 6)
    assert ortho.kl_to_posterior(x, *ortho.best_diagonal(x)).abs().max() < 1e-12


def test_linear_model_q_arguments_are_checked():
    lg = linear_model()
    x = data(lg, 3)
    with pytest.raises(ValueError, match="mu and logvar must have shape"):
        lg.elbo(x, torch.zeros(3, 3, dtype=F64), torch.zeros(3, 3, dtype=F64))
    with pytest.raises(ValueError, match="mu and logvar must have shape"):
        lg.kl_to_posterior(x, torch.zeros(3, 2, dtype=F64), torch.zeros(2, 2, dtype=F64))


def test_kl_per_dim_sums_to_the_kl():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(6, 4, generator=g, dtype=F64), torch.randn(6, 4, generator=g, dtype=F64)
    assert torch.allclose(kl_per_dim(mu, logvar).sum(-1), kl_std_normal(mu, logvar), atol=1e-14)
    assert (kl_per_dim(mu, logvar) >= 0).all()


def test_beta_schedules():
    assert [beta_schedule("constant", beta=4.0)(e) for e in (0, 7)] == [4.0, 4.0]
    lin = beta_schedule("linear", beta=2.0, warmup=4)
    assert [lin(e) for e in range(6)] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.0]
    cyc = beta_schedule("cyclic", beta=1.0, cycle=4, ratio=0.5)
    assert [cyc(e) for e in range(9)] == [0.0, 0.5, 1.0, 1.0, 0.0, 0.5, 1.0, 1.0, 0.0]
    for kwargs, msg in (({"kind": "step"}, "kind must be"), ({"beta": -1.0}, "beta must be"),
                        ({"kind": "linear", "warmup": 0}, "warmup must be"),
                        ({"kind": "cyclic", "ratio": 0.0}, r"ratio must be a number in \(0, 1\]")):
        with pytest.raises(ValueError, match=msg):
            beta_schedule(**kwargs)


def test_vae_loss_weights_and_floors_the_kl():
    lg = linear_model(orthogonal=False)
    vae = lg.as_vae(exact_posterior=True)
    x = data(lg, 50)
    plain = VAELoss()
    torch.manual_seed(0)
    out1 = plain(vae, (x,))
    torch.manual_seed(0)
    e = elbo(vae, x)
    assert torch.equal(out1["loss"], -e["elbo"].mean())  # β = 1: exactly the ELBO
    torch.manual_seed(0)
    out0 = VAELoss(beta=0.0)(vae, (x,))
    assert torch.allclose(out0["loss"], out0["recon"]) and out0["kl"] > 0  # β = 0: no KL in the loss
    # free bits: a floor above every dimension's KL leaves no gradient through the KL
    mu, logvar = vae.encoder(x)
    floor = float(kl_per_dim(mu, logvar).mean(0).max().detach()) + 1.0
    loss = VAELoss(beta=1.0, free_bits=floor)
    torch.manual_seed(0)
    out = loss(vae, (x,))
    assert torch.allclose(out["loss"], out["recon"] + lg.M * floor)
    with pytest.raises(ValueError, match="free_bits must be"):
        VAELoss(free_bits=-0.1)


def test_a_scheduled_beta_follows_the_epochs_in_fit():
    torch.manual_seed(0)
    v = VAE(GaussianEncoder(8, 2, hidden=(16,)), BernoulliDecoder(2, 8, hidden=(16,)))
    x = torch.rand(64, 8, generator=torch.Generator().manual_seed(0))
    loss = VAELoss(beta=beta_schedule("linear", beta=1.0, warmup=4))
    h = aebook.fit(v, loss, x, epochs=6, batch_size=32, progress=False, callbacks=[loss.callback])
    assert [round(b, 6) for b in h.terms["beta"]] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]


def test_encoder_gradient_checks_its_arguments():
    from aebook.vae import encoder_gradient

    vae = linear_model(orthogonal=False).as_vae(exact_posterior=True)
    x = data(linear_model(orthogonal=False), 4)
    with pytest.raises(ValueError, match="estimator must be"):
        encoder_gradient(vae, x, estimator="pathwise")
    with pytest.raises(ValueError, match="baseline=True needs"):
        encoder_gradient(vae, x, 1, estimator="score", baseline=True)


@pytest.mark.parametrize("estimator, baseline, rtol", [("reparam", False, 0.08), ("score", True, 0.15)])
def test_one_estimate_from_many_samples_is_close_to_the_exact_gradient(estimator, baseline, rtol):
    """Consistency of each estimator, in one call with L = 20 000 samples, on the
    linear-Gaussian model whose expected log-likelihood has a closed-form gradient. (Bias and
    variance over many draws are the claim of the experiment gradient_variance.) The relative
    error of the reparameterised estimate has an RMS of 0.026 (the single-sample variance over
    L), so 0.08 is three times it; the score function with a baseline measured 0.02 to 0.07
    over ten seeds."""
    from aebook.vae import encoder_gradient

    lg = linear_model(orthogonal=False)
    vae = lg.as_vae(exact_posterior=True)
    x = data(lg, 8)
    params = list(vae.encoder.parameters())
    exact = torch.cat([g.reshape(-1) for g in torch.autograd.grad(lg.elbo(x, *vae.encoder(x))["recon"].mean(), params)])
    est = encoder_gradient(vae, x, 20_000, estimator=estimator, baseline=baseline,
                           generator=torch.Generator().manual_seed(0))
    assert float((est - exact).norm() / exact.norm()) < rtol
def test_interpolation_ends_at_the_two_reconstructions_and_traversal_moves_one_coordinate():
    from aebook.vae import interpolate, traverse

    lg = linear_model(orthogonal=True)
    vae = lg.as_vae()
    x = data(lg, 2)
    path = interpolate(vae, x[0], x[1], n=5)
    with torch.no_grad():
        ends = vae.decoder.mean(vae.decoder(vae.encoder(x)[0]))
    assert path.shape == (5, lg.D) and torch.allclose(path[[0, -1]], ends, atol=1e-12)
    assert torch.allclose(path[2], 0.5 * (ends[0] + ends[1]), atol=1e-12)  # linear decoder
    vals = torch.linspace(-2, 2, 3, dtype=F64)
    tr = traverse(vae, x[0], 1, vals)
    # a linear decoder moves along the column w_1 of W, by the change of z_1
    assert torch.allclose(tr[2] - tr[0], 4.0 * lg.W[:, 1], atol=1e-12)
    with pytest.raises(ValueError, match=r"dim must be an int in \[0, 1\]"):
        traverse(vae, x[0], 2, vals)


def test_every_term_of_the_vae_loss_lives_on_the_device_of_the_loss():
    """On the ``meta`` device, which needs no GPU, as on CUDA: every logged term of the loss
    must be on the device of the loss, or ``fit`` cannot stack them."""
    model = VAE(GaussianEncoder(784, 20, hidden=(64,)), BernoulliDecoder(20, 784, hidden=(64,))).to("meta")
    out = VAELoss()(model, (torch.rand(4, 784, device="meta"),))
    assert out["loss"].device.type == "meta"
    assert {k: v.device.type for k, v in out.items()} == dict.fromkeys(out, "meta")


def test_the_bounds_evaluate_a_model_where_it_lives_on_data_from_the_cpu():
    """A model trained on a GPU is evaluated there on test data that lives on the CPU: the
    estimators move the data to the model's device (shown on ``meta``, which needs no GPU)."""
    model = VAE(GaussianEncoder(784, 20, hidden=(64,)), BernoulliDecoder(20, 784, hidden=(64,))).to("meta")
    x = torch.rand(6, 784)
    g = torch.Generator().manual_seed(0)  # draws on the CPU, then moves: the same numbers on any device
    assert elbo(model, x, 1, generator=g)["elbo"].device.type == "meta"
    assert iwae_bound(model, x, 3, generator=g).device.type == "meta"
    assert log_px_prior_sampling(model, x, 3, generator=g).device.type == "meta"
