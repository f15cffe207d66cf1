"""The checks behind the exercises page (Exercises 19.1-19.6) and the errata page: the
statistics, independent references and printing that a cell needs after it has written the
formula it checks.

A cell computes what the book says with :mod:`aebook.vae` (or writes the formula out), then
hands the result to one function here, which compares it with a reference that does not
share our code (``torch.distributions``, ``scipy.stats``, a closed form, autograd) and
returns a frozen dataclass: its fields are the numbers the page prints, its ``str`` is the
text it prints. Monte Carlo numbers are measured in standard errors, so a tolerance reads
"within 4 s.e." whatever the sample size.

==============================  ================================================================
:func:`compare_estimators`      Monte Carlo gradient estimates against the exact gradient: mean,
                                s.e., deviation in s.e., variance (Exercise 19.1; errata 4)
:func:`exact_encoder_gradient`  ∇_φ of the first term of (19.14) for a linear-Gaussian model
:func:`score_function_gradient` the score-function estimate with any G, e.g. the printed p (errata 4)
:func:`ks_against_normal`       Kolmogorov-Smirnov tests against N(μ, σ²) (Exercise 19.2, (19.17))
:func:`moments_match`           sample mean and variance against targets (errata 2, (19.18))
:func:`check_full_covariance`   z = μ + L ε: covariance, Cholesky uniqueness, KL (Exercise 19.3)
:func:`check_diagonal_kl`       the KL term (19.15) and its gradients (Exercise 19.4; errata 1)
:func:`check_entropy_form`      ℒ = E_q[ln p(x, z)] + H[q] (Exercise 19.5)
:func:`check_kl_form`           ℒ = E_q[ln p(x | z)] − KL (Exercise 19.6, (19.25))
:func:`exercise_claims`         the exercises page's claims, each True or False
:func:`random_linear_gaussian`  the linear-Gaussian models of both pages, drawn from a generator
:func:`with_decoder_scaled`     a copy of a VAE with only its decoder changed (errata 3)
==============================  ================================================================

One submodule per idea: :mod:`.gradients` (Exercise 19.1), :mod:`.sampling` (Exercises
19.2-19.3), :mod:`.elbo` (Exercises 19.4-19.6), :mod:`.claims` (the exercises page's claims)
and :mod:`.models` (the models the checks run on).
"""

from .claims import KS_LIBRARY, KS_PRINTED, KS_RIGHT, exercise_claims
from .elbo import (
    DiagonalKLCheck,
    EntropyFormCheck,
    KLFormCheck,
    check_diagonal_kl,
    check_entropy_form,
    check_kl_form,
)
from .gradients import EstimatorStats, compare_estimators, exact_encoder_gradient, score_function_gradient
from .models import random_linear_gaussian, with_decoder_scaled
from .sampling import (
    FullCovarianceCheck,
    KSTests,
    check_full_covariance,
    covariance_standard_error,
    ks_against_normal,
    moments_match,
)

__all__ = ["KS_LIBRARY", "KS_PRINTED", "KS_RIGHT", "DiagonalKLCheck", "EntropyFormCheck", "EstimatorStats",
           "FullCovarianceCheck", "KLFormCheck", "KSTests", "check_diagonal_kl", "check_entropy_form",
           "check_full_covariance", "check_kl_form", "compare_estimators", "covariance_standard_error",
           "exact_encoder_gradient", "exercise_claims", "ks_against_normal", "moments_match",
           "random_linear_gaussian", "score_function_gradient", "with_decoder_scaled"]
