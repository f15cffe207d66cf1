"""Variational autoencoders (section 19.2): the networks, the model, its objectives, the
estimators around them, and an exact linear-Gaussian model to check them against.

==============================  =================================================================
:mod:`.networks`                encoders q(z | x, φ) (19.13) and decoders p(x | z, w): MLP and
                                convolutional, Bernoulli and Gaussian (fixed or learned variance)
:mod:`.model`                   :class:`VAE` (prior (19.5), ``rsample`` (19.17)),
                                :class:`ConditionalVAE`, :func:`interpolate`, :func:`traverse`
:mod:`.objectives`              :func:`kl_std_normal` (19.15, correct sign), :func:`elbo` (19.14,
                                19.16), :class:`VAELoss` (19.19) with β and free bits,
                                :class:`IWAELoss` (Burda et al.'s bound as the objective)
:mod:`.estimators`              :func:`encoder_gradient` (reparameterised vs score function),
                                :func:`training_step` (Algorithm 19.1), :func:`gradient_flow`
                                (Figs. 19.10-19.11), :func:`iwae_bound`, :func:`log_px_prior_sampling`
:mod:`.full_covariance`         q = N(μ, L Lᵀ) and the entropy (Exercises 19.3, 19.5)
:mod:`.linear_gaussian`         :class:`LinearGaussianModel`: exact ln p(x), posterior and ELBO
==============================  =================================================================

Conventions: ``x: (N, D)``, ``z: (N, M)`` or ``(S, N, M)`` for S samples per point; per-point
quantities are ``(N,)``; sums run over data dimensions and latent dimensions, never over the
batch (reduce yourself).
"""

from .estimators import encoder_gradient, gradient_flow, iwae_bound, log_px_prior_sampling, training_step
from .full_covariance import gaussian_entropy, kl_full_std_normal, rsample_full, tril_factor
from .linear_gaussian import LinearGaussianModel
from .model import VAE, ConditionalVAE, VAEOutput, interpolate, log_q, traverse
from .networks import (
    LOGVAR_RANGE,
    VARIANCES,
    BernoulliDecoder,
    ConvBernoulliDecoder,
    ConvGaussianEncoder,
    GaussianDecoder,
    GaussianEncoder,
)
from .objectives import IWAELoss, VAELoss, beta_schedule, elbo, kl_per_dim, kl_std_normal

__all__ = ["BernoulliDecoder", "ConditionalVAE", "ConvBernoulliDecoder", "ConvGaussianEncoder",
           "GaussianDecoder", "GaussianEncoder", "IWAELoss", "LOGVAR_RANGE", "LinearGaussianModel", "VAE", "VAELoss",
           "VAEOutput", "VARIANCES", "beta_schedule", "elbo", "encoder_gradient", "gaussian_entropy",
           "gradient_flow", "interpolate", "iwae_bound", "kl_full_std_normal", "kl_per_dim", "kl_std_normal",
           "log_px_prior_sampling", "log_q", "rsample_full", "training_step", "traverse", "tril_factor"]
