"""aebook.worked, the checks behind the exercises and errata pages: each statistic against an
independent computation (NumPy, a closed form derived here, torch.distributions, a
simulation), each check against a right and a wrong input, and the arguments it refuses.
No training; the whole file runs in seconds."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch.distributions import Normal

from aebook.vae import elbo, kl_full_std_normal, kl_std_normal, rsample_full, tril_factor
from aebook.worked import (
    KS_LIBRARY,
    KS_PRINTED,
    KS_RIGHT,
    DiagonalKLCheck,
    EntropyFormCheck,
    EstimatorStats,
    FullCovarianceCheck,
    KLFormCheck,
    KSTests,
    check_diagonal_kl,
    check_entropy_form,
    check_full_covariance,
    check_kl_form,
    compare_estimators,
    covariance_standard_error,
    exact_encoder_gradient,
    exercise_claims,
    ks_against_normal,
    moments_match,
    random_linear_gaussian,
    score_function_gradient,
    with_decoder_scaled,
)

F64 = torch.float64


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# --- Exercise 19.1: compare_estimators, the exact gradient, the score-function estimator -----------

def test_compare_estimators_computes_the_statistics_numpy_computes():
    est = {"a": torch.randn(50, 3, generator=gen(1), dtype=F64),
           "b": 2 + torch.randn(50, 3, generator=gen(2), dtype=F64)}
    exact = torch.tensor([0.1, -0.2, 0.3], dtype=F64)
    stats = compare_estimators(est, exact)
    for k, e in est.items():
        a, x = e.numpy(), exact.numpy()
        se = a.std(0, ddof=1) / math.sqrt(50)
        np.testing.assert_allclose(stats.mean[k].numpy(), a.mean(0), rtol=1e-12)
        np.testing.assert_allclose(stats.se[k].numpy(), se, rtol=1e-12)
        assert stats.deviation[k] == pytest.approx(np.max(np.abs(a.mean(0) - x) / se), rel=1e-12)
        assert stats.variance[k] == pytest.approx(a.var(0, ddof=1).sum(), rel=1e-12)
        assert stats.relative_error[k] == pytest.approx(np.linalg.norm(a.mean(0) - x) / np.linalg.norm(x), rel=1e-12)


def test_an_unbiased_estimator_lies_within_a_few_se_and_a_biased_one_far_outside():
    exact = torch.linspace(-1, 1, 24, dtype=F64)
    noise = torch.randn(2000, 24, generator=gen(3), dtype=F64)
    stats = compare_estimators({"unbiased": exact + noise, "biased": exact + 0.5 + noise}, exact)
    # the largest of 24 |N(0, 1)| is below 4.5 with probability 1 - 24 * 7e-6; a bias of 0.5 with
    # s.e. 1/sqrt(2000) = 0.022 is 22 s.e.
    assert stats.deviation["unbiased"] < 4.5
    assert stats.deviation["biased"] > 15


def test_a_scalar_comparison_prints_estimate_se_deviation_and_variances():
    # means 2 and 2, variances 2 and 0.5 (so s.e. 1 and 0.5), exact 1.5: 0.5 and 1.0 s.e. away
    est = {"score": torch.tensor([1.0, 3.0], dtype=F64), "reparam": torch.tensor([1.5, 2.5], dtype=F64)}
    stats = compare_estimators(est, 1.5, target_name="2 mu", exact_variance={"score": 1.5, "reparam": 0.5})
    assert str(stats).splitlines() == [
        "score    estimate 2.0000 ± 1.0000 (0.50 s.e. from 2 mu)   variance per sample 2.00 (exact 1.50)",
        "reparam  estimate 2.0000 ± 0.5000 (1.00 s.e. from 2 mu)   variance per sample 0.50 (exact 0.50)",
        "variance ratio score / reparam: 4.00 (exact 3.00)"]


def test_a_vector_comparison_prints_deviation_summed_variance_and_the_ratio():
    est = {"score": torch.tensor([[1.0, 0.0], [3.0, 0.0]], dtype=F64),
           "reparam": torch.tensor([[1.5, 1.0], [2.5, 2.0]], dtype=F64)}
    stats = compare_estimators(est, torch.tensor([1.5, 1.0], dtype=F64))
    lines = str(stats).splitlines()
    assert lines[1] == "reparam  max |mean - exact| / s.e. over 2 parameters: 1.00   variance (summed) 1.0"
    assert lines[2] == f"|exact gradient| = {math.sqrt(3.25):.3f};   variance ratio score / reparam: 2.0"


def test_compare_estimators_refuses_bad_arguments():
    good = torch.zeros(5, 2, dtype=F64)
    with pytest.raises(ValueError, match="non-empty dict"):
        compare_estimators({}, torch.zeros(2))
    with pytest.raises(ValueError, match=r"estimates\['a'\] must be a tensor with at least 2 samples"):
        compare_estimators({"a": torch.zeros(1, 2, dtype=F64)}, torch.zeros(2))
    with pytest.raises(ValueError, match=r"must have shape \(R, \*\(3,\)\)"):
        compare_estimators({"a": good}, torch.zeros(3))
    with pytest.raises(ValueError, match="exact_variance must have the keys"):
        compare_estimators({"a": good}, torch.zeros(2), exact_variance={"b": 1.0})
    with pytest.raises(ValueError, match=r"exact_variance\['a'\] must be a finite number >= 0"):
        compare_estimators({"a": good}, torch.zeros(2), exact_variance={"a": -1.0})
    with pytest.raises(TypeError, match="floating dtype"):
        compare_estimators({"a": torch.zeros(5, 2, dtype=torch.int64)}, torch.zeros(2))


def _hand_derived_encoder_gradient(lg, vae, x):
    """∇_φ E_q[ln p(x|z)] for the linear encoder (μ, ln σ²) = A x + c, derived by hand:
    recon_n = const − (‖x_n − W μ_n − b‖² + Σ_j σ_nj² ‖w_j‖²) / 2s², so ∂/∂μ_n = Wᵀ r_n / s² and
    ∂/∂ln σ_nj² = −σ_nj² ‖w_j‖² / 2s²; then ∂/∂A = mean_n g_n x_nᵀ and ∂/∂c = mean_n g_n."""
    with torch.no_grad():
        mu, logvar = vae.encoder(x)
        r = x - mu @ lg.W.T - lg.b
        g = torch.cat([r @ lg.W / lg.sigma**2, -logvar.exp() * lg.W.pow(2).sum(0) / (2 * lg.sigma**2)], 1)
        return torch.cat([(g.T @ x / len(x)).reshape(-1), g.mean(0)])


def test_the_exact_encoder_gradient_is_the_hand_derived_one():
    lg = random_linear_gaussian(5, 2, 0.5, generator=gen(0))
    vae = lg.as_vae()
    with torch.no_grad():  # an encoder that is not the exact posterior, so no term vanishes
        for p in vae.encoder.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=gen(7), dtype=F64))
    x = lg.sample(6, generator=gen(1))
    torch.testing.assert_close(exact_encoder_gradient(lg, vae, x), _hand_derived_encoder_gradient(lg, vae, x),
                               rtol=1e-10, atol=1e-12)


def test_exact_encoder_gradient_refuses_a_mismatched_model():
    lg = random_linear_gaussian(5, 2, 0.5, generator=gen(0))
    other = random_linear_gaussian(6, 2, 0.5, generator=gen(0)).as_vae()
    with pytest.raises(ValueError, match="D=5 to M=2"):
        exact_encoder_gradient(lg, other, lg.sample(3, generator=gen(1)))
    with pytest.raises(TypeError, match="LinearGaussianModel"):
        exact_encoder_gradient(other, other, torch.zeros(3, 6, dtype=F64))


def test_the_score_function_estimate_is_unbiased_with_ln_p_and_biased_with_p():
    """Errata 4: G = ln p(x|z,w) estimates the gradient of (19.14)'s first term, G = p does not."""
    lg = random_linear_gaussian(5, 2, 0.5, column_norms=(2.0, 1.0), generator=gen(0))
    vae, x = lg.as_vae(), lg.sample(8, generator=gen(4))
    exact = exact_encoder_gradient(lg, vae, x)
    torch.manual_seed(0)
    est = {"ln p": torch.stack([score_function_gradient(vae, x, 4) for _ in range(500)]),
           "p": torch.stack([score_function_gradient(vae, x, 4, G=torch.exp) for _ in range(500)])}
    stats = compare_estimators(est, exact)
    assert stats.deviation["ln p"] < 5  # the largest of 24 |N(0,1)|: below 5 but for 1e-5
    assert stats.relative_error["p"] > 0.5  # p(x|z) ~ e^-6 here: its "gradient" is nearly 0
    with pytest.raises(TypeError, match="G must be a function"):
        score_function_gradient(vae, x, 4, G=2.0)
    with pytest.raises(ValueError, match="n_samples must be an int >= 1"):
        score_function_gradient(vae, x, 0)


# --- Exercise 19.2 and errata 2: KS tests and moments ----------------------------------------------

def test_the_ks_statistic_is_the_largest_distance_between_distribution_functions():
    v = 1.0 + 0.7 * torch.randn(400, generator=gen(5), dtype=F64)
    ks = ks_against_normal({"v": v}, 1.2, 0.6)
    F = Normal(torch.tensor(1.2, dtype=F64), torch.tensor(0.6, dtype=F64)).cdf(v.sort().values)
    i = torch.arange(1, 401, dtype=F64)
    D = torch.maximum(i / 400 - F, F - (i - 1) / 400).max().item()
    assert ks.statistic["v"] == pytest.approx(D, abs=1e-12)
    assert ks.mean["v"] == pytest.approx(v.numpy().mean(), rel=1e-12)
    assert ks.std["v"] == pytest.approx(v.numpy().std(ddof=1), rel=1e-12)


def test_ks_accepts_sigma_eps_plus_mu_and_rejects_the_printed_line():
    mu, sigma = 1.5, 0.5
    eps = torch.randn(20_000, generator=gen(6), dtype=F64)
    ks = ks_against_normal({"right": sigma * eps + mu, "printed": mu * eps + sigma**2}, mu, sigma)
    assert ks.pvalue["right"] > 1e-3  # a p-value is uniform under the null; this seed gives a typical one
    assert ks.pvalue["printed"] < 1e-10
    assert str(ks).splitlines()[0].startswith("right   mean 1.50")


def test_ks_against_normal_refuses_bad_arguments():
    v = torch.randn(10, dtype=F64)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0, got -1"):
        ks_against_normal({"v": v}, 0.0, -1.0)
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        ks_against_normal({"v": v}, 0.0, 0.0)
    with pytest.raises(ValueError, match=r"draws\['v'\] must be a 1-D tensor with at least 2 samples"):
        ks_against_normal({"v": v[:1]}, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"draws\['v'\] must be a 1-D tensor"):
        ks_against_normal({"v": v.reshape(5, 2)}, 0.0, 1.0)
    with pytest.raises(ValueError, match="non-empty dict"):
        ks_against_normal({}, 0.0, 1.0)


def test_moments_match_compares_mean_and_variance_within_the_tolerance():
    # two samples m - d, m + d: mean m, unbiased variance 2 d^2
    s = torch.tensor([[1.0 - 0.5, -2.0 - 1.0], [1.0 + 0.5, -2.0 + 1.0]], dtype=F64)
    mean, var = torch.tensor([1.0, -2.0], dtype=F64), torch.tensor([0.5, 2.0], dtype=F64)
    assert moments_match(s, mean, var)
    assert moments_match(s, mean + 0.02)  # |diff| 0.02 < 0.02 + 0.02 |mean|
    assert not moments_match(s, mean + torch.tensor([0.05, 0.0], dtype=F64))  # 0.05 > 0.02 + 0.02 * 1.05
    assert not moments_match(s, mean, var * 1.1)
    assert moments_match(s, mean + 0.3, atol=0.31, rtol=0)
    # the relative tolerance is relative to the target, not to the sample's moment
    assert moments_match(s, torch.tensor([1.9, -3.5], dtype=F64), atol=0, rtol=0.5)


def test_moments_match_tells_the_corrected_reparameterisation_from_the_printed_one():
    mu, sigma = torch.tensor([0.8, -1.2], dtype=F64), torch.tensor([0.3, 1.1], dtype=F64)
    eps = torch.randn(200_000, 2, generator=gen(8), dtype=F64)
    assert moments_match(mu + sigma * eps, mu, sigma**2)
    assert moments_match(mu * eps + sigma**2, sigma**2, mu**2)
    assert not moments_match(mu * eps + sigma**2, mu)


def test_moments_match_refuses_bad_arguments():
    s = torch.zeros(4, 2, dtype=F64)
    with pytest.raises(ValueError, match="atol must be a finite number >= 0"):
        moments_match(s, torch.zeros(2), atol=-0.1)
    with pytest.raises(ValueError, match="rtol must be a finite number >= 0"):
        moments_match(s, torch.zeros(2), rtol=math.nan)
    with pytest.raises(ValueError, match="samples must be a tensor with at least 2 samples"):
        moments_match(s[:1], torch.zeros(2))


# --- Exercise 19.3: the full-covariance encoder ----------------------------------------------------

def test_the_covariance_standard_error_is_the_spread_of_sample_covariances():
    L = torch.tensor([[1.0, 0.0], [0.6, 0.8]], dtype=F64)
    Sigma = L @ L.T
    z = torch.randn(4000, 40, 2, generator=gen(9), dtype=F64) @ L.T  # 4000 data sets of 40 vectors
    zc = z - z.mean(1, keepdim=True)
    covs = zc.mT @ zc / 39
    # the formula is for S samples; 4000 replications estimate a standard deviation to ~1.1 %,
    # and S - 1 = 39 against S = 40 is 1.3 % more: 5 % covers both
    torch.testing.assert_close(covs.std(0), covariance_standard_error(Sigma, 40), rtol=0.05, atol=0)
    with pytest.raises(ValueError, match="n_samples must be an int >= 2, got 1"):
        covariance_standard_error(Sigma, 1)


def _full_cov_setup():
    g = gen(10)
    L = tril_factor(0.5 * torch.randn(2, 6, generator=g, dtype=F64), 3)
    mu = torch.randn(2, 3, generator=g, dtype=F64)
    return g, L, mu


def test_check_full_covariance_accepts_L_Lt_and_catches_what_differs():
    g, L, mu = _full_cov_setup()
    z = rsample_full(mu, L, 50_000, generator=g)
    neg = torch.tensor([-1.0, 1.0, 1.0], dtype=F64)
    ok = check_full_covariance(mu, L, z, flip=L * neg, kl=kl_full_std_normal(mu, L))
    assert ok.cov_dev < 5 and ok.flip_err < 1e-12 and ok.chol_err < 1e-12 and ok.kl_err < 1e-12
    wide = check_full_covariance(mu, L, rsample_full(mu, 1.1 * L, 50_000, generator=g), flip=1.1 * L,
                                 kl=kl_full_std_normal(mu, L) + 0.1)
    assert wide.cov_dev > 10 and wide.flip_err > 0.05 and wide.kl_err == pytest.approx(0.1, abs=1e-12)
    # a negative diagonal: L Lt is the same covariance, but L is not its Cholesky factor
    assert check_full_covariance(mu, L * neg, z, flip=L, kl=kl_full_std_normal(mu, L)).chol_err > 0.1


def test_check_full_covariance_prints_the_page_format_and_refuses_bad_shapes():
    g, L, mu = _full_cov_setup()
    z = rsample_full(mu, L, 100, generator=g)
    text = str(check_full_covariance(mu, L, z, flip=L, kl=kl_full_std_normal(mu, L))).splitlines()
    assert text[0] == "outputs per input: M + M(M+1)/2 = 9;  L of the first input:"
    assert text[-1].startswith("KL: ours [") and text[-1].endswith("max |diff| 0e+00")
    with pytest.raises(ValueError, match=r"z must have shape \(S, 2, 3\)"):
        check_full_covariance(mu, L, z[:, :1], flip=L, kl=kl_full_std_normal(mu, L))
    with pytest.raises(ValueError, match="need mu"):
        check_full_covariance(mu, L[0], z, flip=L, kl=kl_full_std_normal(mu, L))
    with pytest.raises(ValueError, match="z must be a 3-D tensor with at least 2 samples"):
        check_full_covariance(mu, L, z[:1], flip=L, kl=kl_full_std_normal(mu, L))


# --- Exercise 19.4 and errata 1: the KL term and its gradients -------------------------------------

def _kl_inputs():
    g = gen(11)
    mu = torch.randn(4, 3, generator=g, dtype=F64).requires_grad_()
    sigma = (0.2 + 1.5 * torch.rand(4, 3, generator=g, dtype=F64)).requires_grad_()
    logvar = 2 * sigma.log()
    return mu, sigma, logvar


def test_check_diagonal_kl_confirms_the_derived_gradients_and_catches_wrong_ones():
    mu, sigma, logvar = _kl_inputs()
    kl = kl_std_normal(mu, logvar)
    printed = 0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(-1)
    right = check_diagonal_kl(mu, sigma, logvar, kl, printed,
                              d_mu=mu, d_sigma=sigma - 1 / sigma, d_logvar=0.5 * (sigma**2 - 1))
    assert max(right.err.values()) < 1e-12  # float64 rounding of numbers of order 1
    wrong = check_diagonal_kl(mu, sigma, logvar, kl, -printed,  # the printed formula taken as the KL itself
                              d_mu=2 * mu, d_sigma=sigma + 1 / sigma, d_logvar=0.5 * (sigma**2 + 1))
    assert wrong.err["KL - torch KL"] < 1e-12
    assert all(v > 0.1 for k, v in wrong.err.items() if k != "KL - torch KL")
    # our KL against torch.distributions: a KL with the printed sign is caught
    assert check_diagonal_kl(mu, sigma, logvar, printed, printed, d_mu=mu, d_sigma=sigma,
                             d_logvar=sigma).err["KL - torch KL"] > 0.5
    lines = str(right).splitlines()
    assert lines[0].startswith("KL per row:      [") and lines[2].startswith("max |KL - torch KL| = ")


def test_check_diagonal_kl_needs_the_autograd_graph():
    mu, sigma, logvar = _kl_inputs()
    kl = kl_std_normal(mu, logvar)
    with pytest.raises(ValueError, match="mu and sigma must require grad"):
        check_diagonal_kl(mu.detach(), sigma, logvar, kl, kl, d_mu=mu, d_sigma=sigma, d_logvar=sigma)
    with pytest.raises(ValueError, match="one value per row"):
        check_diagonal_kl(mu, sigma, logvar, kl, kl[:2], d_mu=mu, d_sigma=sigma, d_logvar=sigma)


# --- Exercises 19.5 and 19.6: two forms of the ELBO ------------------------------------------------

def _elbo_setup(S: int = 20_000):
    g = gen(12)
    lg = random_linear_gaussian(5, 2, 0.5, generator=g)
    vae, x = lg.as_vae(), lg.sample(6, generator=g)
    m, S_post = lg.posterior(x)
    mu = m + 0.5 * torch.randn(6, 2, generator=g, dtype=F64)
    logvar = S_post.diagonal().log() + 0.5 * torch.randn(6, 2, generator=g, dtype=F64)
    with torch.no_grad():
        z = vae.rsample(mu, logvar, S, generator=g)
        log_px_z, log_pz = vae.log_joint_terms(x, z)
    return lg, x, mu, logvar, z, log_px_z, log_pz


def test_check_entropy_form_accepts_the_identity_and_catches_a_missing_entropy():
    lg, x, mu, logvar, z, log_px_z, log_pz = _elbo_setup()
    H = 0.5 * (1 + math.log(2 * math.pi) + logvar).sum(-1)  # written out, not gaussian_entropy
    ef = check_entropy_form(lg, x, mu, logvar, log_joint=log_px_z + log_pz, entropy=H,
                            estimate=(log_px_z + log_pz).mean(0) + H)
    assert ef.entropy_err < 1e-12 and ef.deviation < 4
    # ln p(x) - ELBO is KL(q || posterior) (19.6), computed another way by the model
    assert ef.min_gap == pytest.approx(lg.kl_to_posterior(x, mu, logvar).min().item(), rel=1e-9)
    assert ef.min_gap > 0
    no_H = check_entropy_form(lg, x, mu, logvar, log_joint=log_px_z + log_pz, entropy=H + 1,
                              estimate=(log_px_z + log_pz).mean(0))
    assert no_H.deviation > 20 and no_H.entropy_err == pytest.approx(1.0)
    text = str(ef).splitlines()
    assert len(text) == 5 and text[1].startswith("point 0: E_q[ln p(x,z)] + H = ")
    assert text[-1].startswith("over 6 points: max |Monte Carlo - closed form| / s.e. ")


def test_check_kl_form_accepts_19_25_and_catches_a_kl_with_the_wrong_sign():
    lg, x, mu, logvar, z, log_px_z, log_pz = _elbo_setup()
    log_q = Normal(mu, (0.5 * logvar).exp()).log_prob(z).sum(-1)
    H = 0.5 * (1 + math.log(2 * math.pi) + logvar).sum(-1)
    ef = check_entropy_form(lg, x, mu, logvar, log_joint=log_px_z + log_pz, entropy=H,
                            estimate=(log_px_z + log_pz).mean(0) + H)
    kl = kl_std_normal(mu, logvar)
    parts = dict(per_joint=log_px_z + log_pz - log_q, per_split=log_px_z - (log_q - log_pz), log_px_z=log_px_z, kl=kl)
    right = check_kl_form(ef, **parts, estimate=log_px_z.mean(0) - kl)
    assert right.same_sample < 1e-10 and right.deviation < 4 and right.deviation_from_entropy_form < 4
    wrong = check_kl_form(ef, **{**parts, "per_split": log_px_z - (log_pz - log_q)}, estimate=log_px_z.mean(0) + kl)
    assert wrong.same_sample > 1 and wrong.deviation > 20 and wrong.deviation_from_entropy_form > 20
    assert str(right).splitlines()[0].startswith("per sample, Monte Carlo KL: max |joint form - split form| = ")


def test_the_elbo_checks_refuse_mismatched_shapes():
    lg, x, mu, logvar, z, log_px_z, log_pz = _elbo_setup(S=10)
    H = torch.zeros(6, dtype=F64)
    with pytest.raises(ValueError, match=r"estimate and entropy must have shape \(6,\)"):
        check_entropy_form(lg, x, mu, logvar, log_joint=log_px_z, entropy=H, estimate=H[:3])
    with pytest.raises(ValueError, match="log_joint must be a 2-D tensor"):
        check_entropy_form(lg, x, mu, logvar, log_joint=log_px_z[0], entropy=H, estimate=H)
    ef = check_entropy_form(lg, x, mu, logvar, log_joint=log_px_z, entropy=H, estimate=H)
    with pytest.raises(ValueError, match=r"must have shape \(S, 6\)"):
        check_kl_form(ef, per_joint=log_px_z[:, :2], per_split=log_px_z, log_px_z=log_px_z, kl=H, estimate=H)
    with pytest.raises(TypeError, match="entropy_form must be the EntropyFormCheck"):
        check_kl_form(None, per_joint=log_px_z, per_split=log_px_z, log_px_z=log_px_z, kl=H, estimate=H)


# --- the exercises page's claims -------------------------------------------------------------------

def _good_results() -> dict:
    t = torch.zeros(2, dtype=F64)
    stats = dict(exact=t, mean={}, se={}, relative_error={})
    return dict(
        one_d=EstimatorStats(**stats, deviation={"score": 1.0, "reparam": 1.0},
                             variance={"score": 30.0, "reparam": 7.0}),
        encoder=EstimatorStats(**stats, deviation={"score": 2.0, "reparam": 2.0},
                               variance={"score": 1500.0, "reparam": 70.0}),
        ks=KSTests(mean={}, std={}, statistic={}, pvalue={KS_RIGHT: 0.5, KS_PRINTED: 0.0, KS_LIBRARY: 0.4}),
        full_covariance=FullCovarianceCheck(L=t, cov_dev=1.0, flip_err=0.0, chol_err=1e-16, kl=t, kl_ref=t, kl_err=0.0),
        kl=DiagonalKLCheck(kl=t, printed=t, err={"KL - torch KL": 0.0, "printed + KL": 1e-16, "dKL/dmu - mu": 0.0,
                                                 "dKL/dsigma - (sigma - 1/sigma)": 1e-16,
                                                 "dKL/dlogvar - (sigma^2 - 1)/2": 0.0}),
        entropy_form=EntropyFormCheck(t, t, {}, t, entropy_err=0.0, deviation=1.0, min_gap=0.8),
        kl_form=KLFormCheck(None, same_sample=1e-15, estimate=t, se=t, kl=t, deviation=1.0,
                            deviation_from_entropy_form=0.1))


BREAK = {  # one bad result per claim, in the claims' order
    0: ("one_d", dict(deviation={"score": 4.1, "reparam": 1.0})),
    1: ("one_d", dict(variance={"score": 6.0, "reparam": 7.0})),
    2: ("encoder", dict(deviation={"score": 2.0, "reparam": 4.6})),
    3: ("encoder", dict(variance={"score": 340.0, "reparam": 70.0})),
    4: ("ks", dict(pvalue={KS_RIGHT: 0.5, KS_PRINTED: 0.0, KS_LIBRARY: 1e-4})),
    5: ("ks", dict(pvalue={KS_RIGHT: 0.5, KS_PRINTED: 1e-9, KS_LIBRARY: 0.4})),
    6: ("full_covariance", dict(cov_dev=5.1)),
    7: ("full_covariance", dict(chol_err=0.5)),
    8: ("full_covariance", dict(kl_err=1e-9)),
    9: ("kl", dict(err={"KL - torch KL": 0.0, "printed + KL": 7.0, "dKL/dmu - mu": 0.0,
                        "dKL/dsigma - (sigma - 1/sigma)": 0.0, "dKL/dlogvar - (sigma^2 - 1)/2": 0.0})),
    10: ("kl", dict(err={"KL - torch KL": 0.0, "printed + KL": 0.0, "dKL/dmu - mu": 0.0,
                         "dKL/dsigma - (sigma - 1/sigma)": 0.0, "dKL/dlogvar - (sigma^2 - 1)/2": 0.5})),
    11: ("entropy_form", dict(deviation=4.2)),
    12: ("kl_form", dict(same_sample=1e-3)),
    13: ("kl_form", dict(deviation=4.5)),
}


def test_the_exercise_claims_hold_for_good_results():
    claims = exercise_claims(**_good_results())
    assert len(claims) == 14 and all(claims.values())
    assert list(claims)[4] == "19.2: sigma * eps + mu passes the KS test against N(mu, sigma^2) (p > 0.001)"


@pytest.mark.parametrize("i", sorted(BREAK))
def test_each_exercise_claim_fails_on_its_bad_result(i):
    results = _good_results()
    name, fields = BREAK[i]
    results[name] = replace(results[name], **fields)
    verdicts = list(exercise_claims(**results).values())
    assert verdicts[i] is False
    assert sum(not v for v in verdicts) == 1


# --- the models the checks run on ------------------------------------------------------------------

def test_random_linear_gaussian_draws_W_then_b_from_the_generator():
    lg = random_linear_gaussian(5, 2, 0.5, generator=gen(0))
    g = gen(0)
    W, b = torch.randn(5, 2, generator=g, dtype=F64), torch.randn(5, generator=g, dtype=F64)
    assert torch.equal(lg.W, W) and torch.equal(lg.b, b) and lg.sigma == 0.5


def test_orthogonal_columns_make_the_vae_encoder_the_exact_posterior():
    lg = random_linear_gaussian(5, 2, 0.5, column_norms=(2.0, 1.0), generator=gen(0))
    torch.testing.assert_close(lg.W.T @ lg.W, torch.diag(torch.tensor([4.0, 1.0], dtype=F64)), atol=1e-12, rtol=0)
    vae, x = lg.as_vae(), lg.sample(7, generator=gen(1))
    # exact posterior: the ELBO is ln p(x), computed by MultivariateNormal from the marginal
    torch.testing.assert_close(lg.elbo(x, *vae.encoder(x))["elbo"], lg.log_px(x), atol=1e-10, rtol=0)


def test_random_linear_gaussian_refuses_bad_arguments():
    with pytest.raises(ValueError, match="sigma must be a finite number > 0, got -0.5"):
        random_linear_gaussian(5, 2, -0.5)
    with pytest.raises(ValueError, match="M must be an int >= 1"):
        random_linear_gaussian(5, 0, 0.5)
    with pytest.raises(ValueError, match="column_norms must have M=2 entries"):
        random_linear_gaussian(5, 2, 0.5, column_norms=(1.0,))
    with pytest.raises(ValueError, match=r"column_norms\[1\] must be a finite number > 0"):
        random_linear_gaussian(5, 2, 0.5, column_norms=(1.0, 0.0))
    with pytest.raises(ValueError, match="M <= D"):
        random_linear_gaussian(2, 3, 0.5, column_norms=(1.0, 1.0, 1.0))


def test_with_decoder_scaled_changes_the_decoder_weights_only():
    lg = random_linear_gaussian(5, 2, 0.5, generator=gen(0))
    vae, x = lg.as_vae(), lg.sample(50, generator=gen(1))
    before = vae.decoder.net[0].weight.clone()
    scaled = with_decoder_scaled(vae, 1.5)
    assert torch.equal(vae.decoder.net[0].weight, before)  # the original is untouched
    torch.testing.assert_close(scaled.decoder.net[0].weight, 1.5 * before)
    assert torch.equal(scaled.decoder.net[0].bias, vae.decoder.net[0].bias)
    a = elbo(vae, x, n_samples=10, generator=gen(2))
    b = elbo(scaled, x, n_samples=10, generator=gen(2))
    assert torch.equal(a["kl"], b["kl"]) and (a["recon"] - b["recon"]).abs().min() > 0.1  # errata 3
    with pytest.raises(ValueError, match="factor must be a finite number"):
        with_decoder_scaled(vae, math.inf)
