"""The claims of the exercises page, each True or False, from the results of its checks."""

from __future__ import annotations

from .elbo import DiagonalKLCheck, EntropyFormCheck, KLFormCheck
from .gradients import EstimatorStats
from .sampling import FullCovarianceCheck, KSTests

__all__ = ["KS_LIBRARY", "KS_PRINTED", "KS_RIGHT", "exercise_claims"]

#: the names the exercises page gives its three samples of Exercise 19.2
KS_RIGHT, KS_PRINTED, KS_LIBRARY = "sigma * eps + mu   (19.17)", "mu * eps + sigma^2 (printed)", "VAE.rsample"


def exercise_claims(*, one_d: EstimatorStats, encoder: EstimatorStats, ks: KSTests,
                    full_covariance: FullCovarianceCheck, kl: DiagonalKLCheck, entropy_form: EntropyFormCheck,
                    kl_form: KLFormCheck) -> dict[str, bool]:
    """The claims of the exercises page (Exercises 19.1-19.6), each True or False. The
    tolerances leave room for sampling noise: Monte Carlo means within 4 standard errors of the
    exact value (4.5 for the 24 encoder parameters, 5 for the 2 × 9 covariance entries, whose
    largest deviation is the maximum of more draws), identities to 1e-10 (float64 rounding is
    1e-15), a KS p-value above 0.001 for the right sampler and below 1e-10 for the printed one."""
    p = ks.pvalue
    err = kl.err
    return {
        "19.1: score and reparam estimates of d/dmu E[z^2] within 4 s.e. of 2 mu": max(one_d.deviation.values()) < 4,
        "19.1: score-function variance > reparam variance (1-D)": one_d.variance["score"] > one_d.variance["reparam"],
        "19.1: both encoder-gradient estimates within 4.5 s.e. of the exact gradient":
            max(encoder.deviation.values()) < 4.5,
        "19.1: score-function variance > 5 x reparam variance (encoder)":
            encoder.variance["score"] > 5 * encoder.variance["reparam"],
        "19.2: sigma * eps + mu passes the KS test against N(mu, sigma^2) (p > 0.001)":
            p[KS_RIGHT] > 1e-3 and p[KS_LIBRARY] > 1e-3,
        "19.2: the printed mu * eps + sigma^2 fails it (p < 1e-10)": p[KS_PRINTED] < 1e-10,
        "19.3: sample covariance within 5 s.e. of L L^T": full_covariance.cov_dev < 5,
        "19.3: L is the Cholesky factor of L L^T (to 1e-12)": full_covariance.chol_err < 1e-12,
        "19.3: full-covariance KL agrees with torch (to 1e-10)": full_covariance.kl_err < 1e-10,
        "19.4: KL agrees with torch, printed (19.15) is -KL (to 1e-10)":
            max(err["KL - torch KL"], err["printed + KL"]) < 1e-10,
        "19.4: derived gradients agree with autograd (to 1e-10)": max(list(err.values())[2:]) < 1e-10,
        "19.5: E_q[ln p(x,z)] + H within 4 s.e. of the closed-form ELBO": entropy_form.deviation < 4,
        "19.6: joint and split forms equal per sample (to 1e-10)": kl_form.same_sample < 1e-10,
        "19.6: (19.25) with closed-form KL within 4 s.e. of the closed-form ELBO": kl_form.deviation < 4,
    }
