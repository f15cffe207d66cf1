"""Variational autoencoders (section 19.2): encoder, decoders, the KL term, the ELBO and
estimators of ln p(x), plus a linear-Gaussian model whose answers are exact.

=====================================  =========================================================
:func:`kl_std_normal`                  KL(N(μ, diag σ²) ‖ N(0, I)), closed form, **correct sign**
                                       (the book's (19.15) is printed as −KL; errata 1)
:class:`GaussianEncoder`               q(z | x, φ) = N(μ(x), diag σ²(x)) (19.13); σ² from a
                                       clamped log-variance or from softplus
:class:`BernoulliDecoder`              p(x | z, w) with logits (stable ``log_prob``)
:class:`GaussianDecoder`               p(x | z, w) = N(m(z), σ² I), σ fixed or learned per output
                                       (a decoder that also outputs a variance)
:class:`ConvGaussianEncoder`,          the same with convolutions / transposed convolutions,
:class:`ConvBernoulliDecoder`          for images given flattened
:class:`VAE`                           encoder + decoder + N(0, I) prior; ``rsample``, ``elbo``,
                                       ``sample``
:class:`ConditionalVAE`                the class label as an extra input of both networks
:func:`training_step`                  one step of Algorithm 19.1, written out (errata 2)
:func:`gradient_flow`                  which network autograd reaches with ``sample`` vs
                                       ``rsample`` (Figs. 19.10-19.11)
:func:`elbo`                           (19.14) by L Monte Carlo samples, terms returned separately
:func:`vae_loss`                       −(19.19) per point for ``fit``, with optional KL weight β
                                       (constant or :func:`beta_schedule`) and free bits
:func:`kl_per_dim`                     the KL term per latent dimension (posterior collapse)
:func:`encoder_gradient`               ∇_φ of the first term of (19.14): reparameterised or
                                       score-function (Exercise 19.1) estimate
:func:`interpolate`, :func:`traverse`  decoded paths through the latent space
:func:`iwae_bound`                     the importance-weighted bound with k samples, batched
:func:`log_px_prior_sampling`          naive Monte Carlo ln p(x) with z ~ p(z)
:func:`gaussian_entropy`,              the exercises: entropy (19.5), full-covariance
:func:`tril_factor`, ...               q = N(μ, L Lᵀ) (19.3)
:class:`LinearGaussianModel`           probabilistic PCA: exact ln p(x) and exact posterior
=====================================  =========================================================

Conventions: ``x: (N, D)``, ``z: (N, M)`` or ``(S, N, M)`` for S samples per point; per-point
quantities are ``(N,)``; sums run over data dimensions and latent dimensions, never over the
batch (reduce yourself).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

Tensor = torch.Tensor

__all__ = ["BernoulliDecoder", "ConditionalVAE", "ConvBernoulliDecoder", "ConvGaussianEncoder",
           "GaussianDecoder", "GaussianEncoder", "LinearGaussianModel", "LOGVAR_RANGE", "VAE",
           "VAELoss", "VAEOutput", "beta_schedule", "elbo", "encoder_gradient", "gaussian_entropy",
           "gradient_flow", "interpolate", "iwae_bound", "kl_full_std_normal", "kl_per_dim",
           "kl_std_normal", "log_px_prior_sampling", "rsample_full", "training_step", "traverse",
           "tril_factor", "vae_loss"]

#: log σ² is clamped to this range by the ``"exp"`` parameterisation: exp(20) ≈ 4.9e8 cannot
#: overflow float32 and exp(−30) ≈ 9e−14 keeps ln σ² finite.
LOGVAR_RANGE = (-30.0, 20.0)
_LOG2PI = math.log(2 * math.pi)


def _pos_int(v: Any, name: str) -> int:
    if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 1:
        raise ValueError(f"{name} must be a positive int, got {v!r}")
    return int(v)


def _check_x(x: Any, D: int, name: str = "x") -> Tensor:
    if not isinstance(x, Tensor) or not x.is_floating_point():
        raise TypeError(f"{name} must be a floating torch.Tensor of shape (N, {D}), got "
                        f"{getattr(x, 'dtype', type(x).__name__)}")
    if x.ndim != 2 or x.shape[1] != D:
        raise ValueError(f"{name} must have shape (N, D={D}), got {tuple(x.shape)}")
    return x


def kl_std_normal(mu: Tensor, logvar: Tensor) -> Tensor:
    """KL(q ‖ p) for q = N(μ, diag exp(logvar)) and p = N(0, I), per row: ``(...)``.

    ::

        KL = ½ Σ_j (μ_j² + σ_j² − 1 − ln σ_j²)  ≥ 0

    The book prints (19.15) as ``+½ Σ_j {1 + ln σ_j² − μ_j² − σ_j²}``, which is **−KL** (it
    is ≤ 0); its (19.19), which *adds* that expression to the reconstruction term, is right.
    See the errata page.
    """
    if mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} and "
                         f"{tuple(logvar.shape)}")
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


class GaussianEncoder(nn.Module):
    """q(z | x, φ) = N(z | μ(x), diag σ²(x)), the book's (19.13).

    An MLP ``D → hidden (activation) → 2M`` whose output is split into μ and a variance
    parameter. ``variance="exp"`` (default) reads it as ln σ², clamped to :data:`LOGVAR_RANGE`
    before exponentiating (no overflow, no zero variance); ``variance="softplus"`` uses
    σ² = softplus(a) + ``min_var``.

    ``forward(x) -> (mu, logvar)``, each ``(N, M)``.
    """

    def __init__(self, D: int, M: int, hidden: tuple[int, ...] | int = (400,),
                 activation: str = "relu", variance: str = "exp", min_var: float = 1e-6):
        super().__init__()
        from .models import make_activation

        self.D, self.M = _pos_int(D, "D"), _pos_int(M, "M")
        hidden = (hidden,) if isinstance(hidden, numbers.Integral) else tuple(hidden)
        _check_variance(variance)
        self.variance, self.min_var = variance, float(min_var)
        layers, w = [], self.D
        for i, h in enumerate(hidden):
            layers += [nn.Linear(w, _pos_int(h, f"hidden[{i}]")), make_activation(activation)]
            w = h
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(w, 2 * self.M)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return _mu_logvar(self.head(self.body(_check_x(x, self.D))), self.variance, self.min_var)


def _check_variance(variance: Any) -> None:
    if variance not in ("exp", "softplus"):
        raise ValueError(f"variance must be 'exp' or 'softplus', got {variance!r}")


def _mu_logvar(h: Tensor, variance: str, min_var: float) -> tuple[Tensor, Tensor]:
    mu, a = h.chunk(2, dim=-1)
    if variance == "exp":
        return mu, a.clamp(*LOGVAR_RANGE)
    return mu, torch.log(F.softplus(a) + min_var)


def _mlp(M: int, D_out: int, hidden: tuple[int, ...], activation: str) -> nn.Sequential:
    from .models import make_activation

    layers, w = [], M
    for i, h in enumerate(hidden):
        layers += [nn.Linear(w, _pos_int(h, f"hidden[{i}]")), make_activation(activation)]
        w = h
    layers.append(nn.Linear(w, D_out))
    return nn.Sequential(*layers)


class _BernoulliLikelihood:
    """``log_prob(x, logits)`` = −BCE-with-logits summed over D (numerically stable for any
    logit; x need not be binary, as in the usual MNIST practice) and ``mean`` = sigmoid."""

    @staticmethod
    def log_prob(x: Tensor, logits: Tensor) -> Tensor:
        return -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits),
                                                   reduction="none").sum(-1)

    def mean(self, logits: Tensor) -> Tensor:
        return torch.sigmoid(logits)


class BernoulliDecoder(_BernoulliLikelihood, nn.Module):
    """p(x | z, w) = Π_i Bern(x_i | sigmoid(logit_i(z))), for data in [0, 1].

    ``forward(z) -> logits``; ``log_prob(x, logits)`` = −BCE-with-logits summed over D
    (numerically stable for any logit; x need not be binary, as in the usual MNIST practice).
    """

    def __init__(self, M: int, D: int, hidden: tuple[int, ...] | int = (400,),
                 activation: str = "relu"):
        super().__init__()
        hidden = (hidden,) if isinstance(hidden, numbers.Integral) else tuple(hidden)
        self.M, self.D = _pos_int(M, "M"), _pos_int(D, "D")
        self.net = _mlp(self.M, self.D, hidden, activation)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class GaussianDecoder(nn.Module):
    """p(x | z, w) = N(x | m(z), diag σ²): ``sigma`` a fixed float > 0, or ``None`` for a
    learned per-output log-variance that also depends on z (the network outputs 2D values).

    ``forward(z) -> (mean, logvar)``; ``log_prob(x, (mean, logvar))`` sums over D.
    """

    def __init__(self, M: int, D: int, hidden: tuple[int, ...] | int = (400,),
                 activation: str = "relu", sigma: float | None = 1.0):
        super().__init__()
        hidden = (hidden,) if isinstance(hidden, numbers.Integral) else tuple(hidden)
        self.M, self.D = _pos_int(M, "M"), _pos_int(D, "D")
        if sigma is not None and not (isinstance(sigma, numbers.Real) and sigma > 0
                                      and math.isfinite(sigma)):
            raise ValueError(f"sigma must be a finite number > 0, or None to learn it, got {sigma!r}")
        self.sigma = None if sigma is None else float(sigma)
        self.net = _mlp(self.M, self.D * (2 if sigma is None else 1), hidden, activation)

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        out = self.net(z)
        if self.sigma is None:
            mean, logvar = out.chunk(2, dim=-1)
            return mean, logvar.clamp(*LOGVAR_RANGE)
        return out, torch.full_like(out, 2 * math.log(self.sigma))

    @staticmethod
    def log_prob(x: Tensor, params: tuple[Tensor, Tensor]) -> Tensor:
        mean, logvar = params
        return -0.5 * (_LOG2PI + logvar + (x - mean).pow(2) / logvar.exp()).sum(-1)

    def mean(self, params: tuple[Tensor, Tensor]) -> Tensor:
        return params[0]


def _image_shape(image_shape: Any, n_down: int) -> tuple[int, int, int]:
    try:
        C, H, W = (int(v) for v in image_shape)
    except (TypeError, ValueError):
        raise ValueError(f"image_shape must be (C, H, W), got {image_shape!r}") from None
    f = 2 ** n_down
    if min(C, H, W) < 1 or H % f or W % f:
        raise ValueError(f"image_shape must be (C, H, W) with H and W divisible by 2**len(channels)"
                         f" = {f}, got {image_shape!r}")
    return C, H, W


def _channels(channels: Any) -> tuple[int, ...]:
    channels = tuple(channels)
    if not channels:
        raise ValueError("channels must name at least one layer, got ()")
    return tuple(_pos_int(c, f"channels[{i}]") for i, c in enumerate(channels))


class ConvGaussianEncoder(nn.Module):
    """q(z | x, φ) of (19.13) with a convolutional body, for images given flattened.

    ``x: (N, D)`` with D = C·H·W is viewed as ``(N, C, H, W)``; each entry of ``channels`` adds a
    4×4 convolution with stride 2 (halving H and W) and a ReLU; a linear head gives μ and the
    variance parameter as in :class:`GaussianEncoder`. ``forward(x) -> (mu, logvar)``.
    """

    def __init__(self, image_shape: tuple[int, int, int], M: int, channels: tuple[int, ...] = (32, 64),
                 variance: str = "exp", min_var: float = 1e-6):
        super().__init__()
        channels = _channels(channels)
        self.image_shape = _image_shape(image_shape, len(channels))
        C, H, W = self.image_shape
        self.D, self.M = C * H * W, _pos_int(M, "M")
        _check_variance(variance)
        self.variance, self.min_var = variance, float(min_var)
        layers, c = [], C
        for ch in channels:
            layers += [nn.Conv2d(c, ch, 4, stride=2, padding=1), nn.ReLU()]
            c = ch
        self.body = nn.Sequential(*layers, nn.Flatten())
        f = 2 ** len(channels)
        self.head = nn.Linear(c * (H // f) * (W // f), 2 * self.M)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x = _check_x(x, self.D)
        h = self.head(self.body(x.reshape(-1, *self.image_shape)))
        return _mu_logvar(h, self.variance, self.min_var)


class ConvBernoulliDecoder(_BernoulliLikelihood, nn.Module):
    """p(x | z, w) with transposed convolutions: z → linear → ``(channels[0], H/f, W/f)`` → one
    4×4 transposed convolution with stride 2 per entry of ``channels`` (doubling H and W; the
    last one outputs C channels of logits). ``forward(z: (..., M)) -> logits (..., D)``, so it
    plugs into :class:`VAE` like :class:`BernoulliDecoder`.
    """

    def __init__(self, M: int, image_shape: tuple[int, int, int], channels: tuple[int, ...] = (64, 32)):
        super().__init__()
        channels = _channels(channels)
        self.image_shape = _image_shape(image_shape, len(channels))
        C, H, W = self.image_shape
        self.M, self.D = _pos_int(M, "M"), C * H * W
        f = 2 ** len(channels)
        self._start = (channels[0], H // f, W // f)
        self.fc = nn.Sequential(nn.Linear(self.M, channels[0] * (H // f) * (W // f)), nn.ReLU())
        layers = []
        for c_in, c_out in zip(channels, channels[1:] + (C,)):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1), nn.ReLU()]
        self.net = nn.Sequential(*layers[:-1])  # no ReLU on the logits

    def forward(self, z: Tensor) -> Tensor:
        lead = z.shape[:-1]
        h = self.fc(z.reshape(-1, self.M)).reshape(-1, *self._start)
        return self.net(h).reshape(*lead, self.D)


@dataclass(frozen=True, eq=False)
class VAEOutput:
    """``forward``'s result: ``mu``, ``logvar`` of q (``(N, M)``), one reparameterised sample
    ``z`` (``(N, M)``) and the decoder's parameters at ``z`` (``params``) and mean (``recon``)."""

    mu: Tensor
    logvar: Tensor
    z: Tensor
    params: Any
    recon: Tensor


def _no_labels(y: Any) -> None:
    if y is not None:
        raise TypeError("y (class labels) is only accepted by a ConditionalVAE; this VAE is unconditional")


class VAE(nn.Module):
    """A VAE: ``encoder`` q(z|x, φ), ``decoder`` p(x|z, w) and the prior p(z) = N(0, I) (19.5).

    ``rsample(mu, logvar, S)`` draws z = μ + σ ε with ε ~ N(0, I) (19.17), shape ``(S, N, M)``
    (the *correct* form; the book's (19.18) and Algorithm 19.1 print μ ε + σ², errata 2).
    ``encode(x)`` and ``decode(z)`` are the two networks; every function of this module goes
    through them, so that :class:`ConditionalVAE` only has to override these two.
    """

    n_classes = 0

    def __init__(self, encoder: nn.Module, decoder: nn.Module):
        super().__init__()
        if encoder.M != decoder.M or encoder.D != decoder.D:
            raise ValueError(f"encoder (D={encoder.D}, M={encoder.M}) and decoder "
                             f"(D={decoder.D}, M={decoder.M}) do not match")
        self.encoder, self.decoder = encoder, decoder
        self.D, self.M = encoder.D, encoder.M

    @staticmethod
    def rsample(mu: Tensor, logvar: Tensor, n_samples: int = 1, *,
                generator: torch.Generator | None = None) -> Tensor:
        S = _pos_int(n_samples, "n_samples")
        eps = torch.randn((S, *mu.shape), generator=generator, dtype=mu.dtype,
                          device=generator.device if generator is not None else mu.device)
        return mu + (0.5 * logvar).exp() * eps.to(mu.device)

    def encode(self, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``(mu, logvar)`` of q(z | x), each ``(N, M)``."""
        _no_labels(y)
        return self.encoder(_check_x(x, self.D))

    def decode(self, z: Tensor, y: Tensor | None = None) -> Any:
        """The decoder's parameters of p(x | z) for ``z: (..., M)``."""
        _no_labels(y)
        return self.decoder(z)

    def forward(self, x: Tensor, y: Tensor | None = None) -> VAEOutput:
        mu, logvar = self.encode(x, y)
        z = self.rsample(mu, logvar)[0]
        params = self.decode(z, y)
        return VAEOutput(mu=mu, logvar=logvar, z=z, params=params, recon=self.decoder.mean(params))

    @torch.no_grad()
    def sample(self, n: int, *, y: Any = None, generator: torch.Generator | None = None) -> Tensor:
        """``n`` new data points: z ~ N(0, I), then the decoder's mean, ``(n, D)``. A
        :class:`ConditionalVAE` needs ``y``: one class for all, or ``(n,)`` labels."""
        p = next(self.parameters())
        z = torch.randn(_pos_int(n, "n"), self.M, generator=generator, dtype=p.dtype,
                        device=generator.device if generator is not None else p.device).to(p.device)
        return self.decoder.mean(self.decode(z, self._labels_for_sampling(y, n)))

    def _labels_for_sampling(self, y: Any, n: int) -> Tensor | None:
        _no_labels(y)
        return None

    def log_joint_terms(self, x: Tensor, z: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``ln p(x | z)`` and ``ln p(z)`` for ``z: (S, N, M)``, each ``(S, N)``."""
        log_px_z = self.decoder.log_prob(x, self.decode(z, y))
        log_pz = -0.5 * (_LOG2PI + z.pow(2)).sum(-1)
        return log_px_z, log_pz


class ConditionalVAE(VAE):
    """A conditional VAE (Sohn et al. 2015; section 19.2.2): the class label y, one-hot, is an
    extra input of both networks, q(z | x, y, φ) and p(x | z, y, w), with p(z) = N(0, I).

    ``encoder`` takes D + K inputs and ``decoder`` M + K, for K = ``n_classes``; :meth:`mlp`
    builds such a pair. Labels ``y`` are integer tensors ``(N,)`` with values in [0, K); every
    function of this module that takes a VAE takes them as ``y=``, and ``fit`` passes them from
    ``(x, y)`` batches to :class:`VAELoss`. ``sample(n, y=c)`` draws digits of class c.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module, n_classes: int):
        nn.Module.__init__(self)
        K = _pos_int(n_classes, "n_classes")
        if encoder.D != decoder.D + K or decoder.M != encoder.M + K:
            raise ValueError(f"a ConditionalVAE with n_classes={K} needs encoder inputs D + K and "
                             f"decoder inputs M + K; got encoder (D={encoder.D}, M={encoder.M}) "
                             f"and decoder (D={decoder.D}, M={decoder.M})")
        self.encoder, self.decoder = encoder, decoder
        self.D, self.M, self.n_classes = decoder.D, encoder.M, K

    @classmethod
    def mlp(cls, D: int, M: int, n_classes: int, hidden: tuple[int, ...] | int = (400,)) -> ConditionalVAE:
        """The MLP cVAE: :class:`GaussianEncoder` (D + K → hidden → M) and
        :class:`BernoulliDecoder` (M + K → hidden → D)."""
        K = _pos_int(n_classes, "n_classes")
        return cls(GaussianEncoder(D + K, M, hidden), BernoulliDecoder(M + K, D, hidden), K)

    def one_hot(self, y: Any, n: int) -> Tensor:
        if not isinstance(y, Tensor) or y.dtype == torch.bool or y.is_floating_point() or y.is_complex():
            raise TypeError(f"y must be an integer torch.Tensor of class labels, got "
                            f"{getattr(y, 'dtype', type(y).__name__)}")
        if y.shape != (n,):
            raise ValueError(f"y must have shape (N,) = ({n},), got {tuple(y.shape)}")
        if n and (int(y.min()) < 0 or int(y.max()) >= self.n_classes):
            raise ValueError(f"y must hold labels in [0, {self.n_classes}), got values in "
                             f"[{int(y.min())}, {int(y.max())}]")
        p = next(self.parameters())
        return F.one_hot(y.to(p.device), self.n_classes).to(p.dtype)

    def encode(self, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor]:
        if y is None:
            raise TypeError("a ConditionalVAE needs the class labels y")
        x = _check_x(x, self.D)
        return self.encoder(torch.cat([x, self.one_hot(y, x.shape[0])], -1))

    def decode(self, z: Tensor, y: Tensor | None = None) -> Any:
        if y is None:
            raise TypeError("a ConditionalVAE needs the class labels y")
        c = self.one_hot(y, z.shape[-2] if z.ndim >= 2 else 1).expand(*z.shape[:-1], self.n_classes)
        return self.decoder(torch.cat([z, c], -1))

    def _labels_for_sampling(self, y: Any, n: int) -> Tensor:
        if isinstance(y, numbers.Integral) and not isinstance(y, bool):
            y = torch.full((n,), int(y), dtype=torch.long)
        if y is None:
            raise TypeError("a ConditionalVAE needs y to sample: one class label or (n,) labels")
        return y


def _log_q(z: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    return -0.5 * (_LOG2PI + logvar + (z - mu).pow(2) / logvar.exp()).sum(-1)


def elbo(model: VAE, x: Tensor, n_samples: int = 1, *, analytic_kl: bool = True,
         y: Tensor | None = None, generator: torch.Generator | None = None) -> dict[str, Tensor]:
    """The ELBO (19.14) per data point, by ``n_samples`` = L reparameterised samples::

        ℒ_n = E_q[ln p(x_n | z)] − KL(q(z | x_n) ‖ p(z))  ≈  (1/L) Σ_l ln p(x_n | z_l) − KL

    Returns a dict of ``(N,)`` tensors: ``"elbo"``, ``"recon"`` (the first term, the expected
    log-likelihood) and ``"kl"`` (the second; closed form by :func:`kl_std_normal`, or its
    Monte Carlo estimate with ``analytic_kl=False``). ``y``: labels, for a
    :class:`ConditionalVAE` only.
    """
    mu, logvar = model.encode(x, y)
    z = model.rsample(mu, logvar, n_samples, generator=generator)
    log_px_z, log_pz = model.log_joint_terms(x, z, y)
    recon = log_px_z.mean(0)
    kl = kl_std_normal(mu, logvar) if analytic_kl else (_log_q(z, mu, logvar) - log_pz).mean(0)
    return {"elbo": recon - kl, "recon": recon, "kl": kl}


def kl_per_dim(mu: Tensor, logvar: Tensor) -> Tensor:
    """The terms of :func:`kl_std_normal` before the sum over j: ½(μ_j² + σ_j² − 1 − ln σ_j²),
    shape of ``mu``. Their batch mean per dimension shows which latent units carry information
    and which have collapsed onto the prior (KL_j ≈ 0)."""
    if mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} and "
                         f"{tuple(logvar.shape)}")
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


def _nonneg(v: Any, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not (math.isfinite(v) and v >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    return float(v)


def beta_schedule(kind: str = "constant", *, beta: float = 1.0, warmup: int = 10,
                  cycle: int = 10, ratio: float = 0.5):
    """β as a function of the epoch (0-based), for the KL weight of :func:`vae_loss`.

    * ``"constant"``: β at every epoch (β = 1 is the ELBO; β > 1 is the β-VAE of Higgins et al.
      2017).
    * ``"linear"``: warm-up from 0 to β over ``warmup`` epochs (Bowman et al. 2016; Sønderby
      et al. 2016), then β.
    * ``"cyclic"``: repeated warm-ups (Fu et al. 2019): in each cycle of ``cycle`` epochs, β rises
      linearly over the first ``ratio`` of the cycle and then stays at β.
    """
    b = _nonneg(beta, "beta")
    if kind == "constant":
        return lambda epoch: b
    w = _pos_int(warmup, "warmup")
    if kind == "linear":
        return lambda epoch: b * min(1.0, epoch / w)
    if kind == "cyclic":
        c = _pos_int(cycle, "cycle")
        if isinstance(ratio, bool) or not isinstance(ratio, numbers.Real) or not 0 < ratio <= 1:
            raise ValueError(f"ratio must be in (0, 1], got {ratio!r}")
        rise = ratio * c
        return lambda epoch: b * min(1.0, (epoch % c) / rise)
    raise ValueError(f"kind must be 'constant', 'linear' or 'cyclic', got {kind!r}")


class VAELoss:
    """A training loss for :func:`aebook.train.fit`: the negative ELBO averaged over the batch
    (the book's (19.19) with the sign flipped for minimisation), optionally with a weighted and
    floored KL term::

        loss = −E_q[ln p(x|z)] + β · Σ_j max(λ, KL_j)     (KL_j averaged over the batch)

    β = 1 and λ = 0 (the defaults) give exactly −(19.19)/N. ``beta`` is a number or a schedule
    ``epoch -> β`` (:func:`beta_schedule`); with a schedule, pass ``loss.callback`` to
    ``fit(callbacks=[...])`` so that β follows the epochs. ``free_bits`` λ ≥ 0 (Kingma et al.
    2016) stops pushing a latent dimension toward the prior once its KL is below λ nats.

    Logs ``recon`` (−E_q ln p(x|z)), ``kl`` (the true KL, unweighted and unfloored) and ``beta``.
    For a :class:`ConditionalVAE`, train on ``(x, y)`` pairs: the labels are ``batch[1]``.
    """

    def __init__(self, n_samples: int = 1, *, beta=1.0, free_bits: float = 0.0):
        self.n_samples = _pos_int(n_samples, "n_samples")
        self.schedule = beta if callable(beta) else beta_schedule("constant", beta=beta)
        self.free_bits = _nonneg(free_bits, "free_bits")
        self.beta = float(self.schedule(0))

    def callback(self, epoch: int, history: Any = None, model: Any = None) -> bool:
        """For ``fit(callbacks=[...])``: after (1-based) epoch ``epoch``, use the schedule's β for
        the next one."""
        self.beta = float(self.schedule(epoch))
        return False

    def __call__(self, model: VAE, batch: tuple) -> dict[str, Tensor]:
        x = _check_x(batch[0], model.D)
        y = _batch_labels(model, batch)
        mu, logvar = model.encode(x, y)
        z = model.rsample(mu, logvar, self.n_samples)
        recon = model.log_joint_terms(x, z, y)[0].mean(0)
        kl = kl_std_normal(mu, logvar)
        if self.free_bits > 0:
            penalty = kl_per_dim(mu, logvar).mean(0).clamp(min=self.free_bits).sum()
            loss = -recon.mean() + self.beta * penalty
        else:  # written as −(ℒ_n).mean() so that β = 1 reproduces the plain ELBO bit for bit
            loss = -(recon - self.beta * kl).mean()
        return {"loss": loss, "recon": -recon.mean(), "kl": kl.mean().detach(),
                "beta": torch.tensor(self.beta)}


def _batch_labels(model: VAE, batch: tuple) -> Tensor | None:
    if not model.n_classes:
        return None
    if len(batch) < 2:
        raise ValueError("a ConditionalVAE trains on (x, y) pairs: pass fit(model, loss, (x, y))")
    return batch[1]


def vae_loss(n_samples: int = 1, *, beta=1.0, free_bits: float = 0.0) -> VAELoss:
    """The :class:`VAELoss` with these settings (the defaults train by the plain ELBO)."""
    return VAELoss(n_samples, beta=beta, free_bits=free_bits)


def encoder_gradient(model: VAE, x: Tensor, n_samples: int = 1, *, estimator: str = "reparam",
                     baseline: bool = False, y: Tensor | None = None,
                     generator: torch.Generator | None = None) -> Tensor:
    """One Monte Carlo estimate of ∇_φ of the first term of (19.14), averaged over the batch,
    ``E_q[ln p(x | z, w)]``, flattened over the encoder's parameters, ``(P,)``.

    * ``"reparam"``: z = μ + σ ε (19.17) and autograd through z (section 19.2.2).
    * ``"score"``: the score-function (REINFORCE) estimator of Exercise 19.1 (Williams 1992),
      ``G(z) ∇_φ ln q(z | x, φ)`` with z held fixed and G(z) = ln p(x | z, w) (the book prints
      p(x | z, w): errata 4). ``baseline=True`` subtracts the sample mean of G per point (a
      control variate with L ≥ 2 samples; it is then unbiased up to a factor (L−1)/L on the
      centred term, so we rescale by L/(L−1)).

    Both are unbiased estimates of the same gradient; their variances differ greatly.
    """
    S = _pos_int(n_samples, "n_samples")
    if estimator not in ("reparam", "score"):
        raise ValueError(f"estimator must be 'reparam' or 'score', got {estimator!r}")
    if baseline and (estimator != "score" or S < 2):
        raise ValueError("baseline=True needs estimator='score' and n_samples >= 2")
    params = [p for p in model.encoder.parameters() if p.requires_grad]
    mu, logvar = model.encode(x, y)
    if estimator == "reparam":
        z = model.rsample(mu, logvar, S, generator=generator)
        objective = model.decoder.log_prob(x, model.decode(z, y)).mean()
    else:
        with torch.no_grad():
            z = model.rsample(mu, logvar, S, generator=generator)
            G = model.decoder.log_prob(x, model.decode(z, y))  # (S, N)
            if baseline:
                G = (G - G.mean(0, keepdim=True)) * (S / (S - 1))
        objective = (G * _log_q(z, mu, logvar)).mean()
    grads = torch.autograd.grad(objective, params)
    return torch.cat([g.reshape(-1) for g in grads])


def training_step(model: VAE, optimizer: torch.optim.Optimizer, x: Tensor, n_samples: int = 1, *,
                  y: Tensor | None = None, generator: torch.Generator | None = None) -> dict[str, float]:
    """One step of the book's Algorithm 19.1 on a minibatch ``x: (N, D)``, written out line by
    line (``fit`` with :class:`VAELoss` does the same with more bookkeeping)::

        μ, ln σ² = encoder(x_n)                           forward through the encoder (19.13)
        ε^(l) ~ N(0, I),  z^(l) = μ + σ ⊙ ε^(l)           (19.17)-(19.18), corrected (errata 2)
        ℒ = Σ_n { (1/L) Σ_l ln p(x_n | z^(l)) − KL_n }     (19.19), KL in closed form (19.15)
        w, φ ← step along ∇ℒ                             ascent on ℒ = descent on −ℒ

    The optimiser minimises −ℒ/N (the mean over the minibatch, so the step size does not
    depend on N). Returns the minibatch means of ``elbo``, ``recon`` = E_q ln p(x|z) and ``kl``.
    """
    L = _pos_int(n_samples, "n_samples")
    mu, logvar = model.encode(x, y)                          # encoder forward pass
    sigma = torch.exp(0.5 * logvar)
    eps = torch.randn((L, *mu.shape), generator=generator, dtype=mu.dtype,
                      device=generator.device if generator is not None else mu.device).to(mu.device)
    z = mu + sigma * eps                                     # z = μ + σ ε, not μ ε + σ²
    log_px_z = model.decoder.log_prob(x, model.decode(z, y))  # decoder forward, (L, N)
    recon = log_px_z.mean(0)                                 # (1/L) Σ_l ln p(x_n | z^(l))
    kl = kl_std_normal(mu, logvar)                           # closed form, ≥ 0
    elbo_n = recon - kl                                      # ℒ_n
    optimizer.zero_grad()
    (-elbo_n.mean()).backward()                              # gradients for w and φ at once
    optimizer.step()
    with torch.no_grad():
        return {"elbo": float(elbo_n.mean()), "recon": float(recon.mean()), "kl": float(kl.mean())}


def gradient_flow(model: VAE, x: Tensor, *, reparameterize: bool, term: str = "recon",
                  y: Tensor | None = None, generator: torch.Generator | None = None) -> dict[str, float | None]:
    """What autograd delivers to each network from one sampled ELBO (Figs. 19.10 and 19.11).

    With ``reparameterize=False`` z is drawn as a plain sample (``Normal(μ, σ).sample()``, a
    constant as far as autograd knows); with ``True`` as z = μ + σ ε (``rsample``). ``term``
    chooses the objective: ``"recon"`` (the first term of (19.14), the Monte Carlo one) or
    ``"elbo"`` (recon − KL, with the KL in closed form). Returns the gradient norms
    ``{"encoder": ..., "decoder": ...}``, where ``None`` means no gradient reached that network
    at all (autograd found no path), which is different from a zero gradient.
    """
    if term not in ("recon", "elbo"):
        raise ValueError(f"term must be 'recon' or 'elbo', got {term!r}")
    mu, logvar = model.encode(x, y)
    z = model.rsample(mu, logvar, generator=generator)[0]
    if not reparameterize:
        z = z.detach()  # what Normal(μ, σ).sample() returns: the same numbers, a constant to autograd
    objective = model.decoder.log_prob(x, model.decode(z, y))
    if term == "elbo":
        objective = objective - kl_std_normal(mu, logvar)
    out: dict[str, float | None] = {}
    for name, net in (("encoder", model.encoder), ("decoder", model.decoder)):
        params = [p for p in net.parameters() if p.requires_grad]
        grads = torch.autograd.grad(objective.mean(), params, retain_graph=True, allow_unused=True)
        got = [g for g in grads if g is not None]
        out[name] = float(torch.sqrt(sum(g.pow(2).sum() for g in got))) if got else None
    return out


def gaussian_entropy(logvar: Tensor) -> Tensor:
    """H[N(μ, diag σ²)] = ½ Σ_j (1 + ln 2π + ln σ_j²), per row (Exercise 19.5)."""
    return 0.5 * (1.0 + _LOG2PI + logvar).sum(-1)


def tril_factor(raw: Tensor, M: int, *, diagonal: str = "exp") -> Tensor:
    """A lower-triangular L with a positive diagonal from M(M+1)/2 unconstrained numbers per row
    (Exercise 19.3): the encoder of a full-covariance q(z | x) = N(μ, L Lᵀ) outputs ``raw``;
    the off-diagonal entries are used as they are and the diagonal goes through ``exp`` (or
    ``softplus``), so that L is a valid, unique Cholesky factor. ``raw: (..., M(M+1)/2)`` →
    ``(..., M, M)``."""
    M = _pos_int(M, "M")
    if raw.shape[-1] != M * (M + 1) // 2:
        raise ValueError(f"raw must have M(M+1)/2 = {M * (M + 1) // 2} entries in its last "
                         f"dimension for M={M}, got {tuple(raw.shape)}")
    if diagonal not in ("exp", "softplus"):
        raise ValueError(f"diagonal must be 'exp' or 'softplus', got {diagonal!r}")
    i, j = torch.tril_indices(M, M, device=raw.device)
    L = raw.new_zeros(*raw.shape[:-1], M, M)
    L[..., i, j] = raw
    d = torch.diagonal(L, dim1=-2, dim2=-1)
    pos = d.exp() if diagonal == "exp" else F.softplus(d)
    return L - torch.diag_embed(d) + torch.diag_embed(pos)


def rsample_full(mu: Tensor, L: Tensor, n_samples: int = 1, *,
                 generator: torch.Generator | None = None) -> Tensor:
    """z = μ + L ε with ε ~ N(0, I) (Exercise 19.3): z ~ N(μ, L Lᵀ). ``mu: (N, M)``,
    ``L: (N, M, M)`` → ``(S, N, M)``."""
    S = _pos_int(n_samples, "n_samples")
    if L.shape != (*mu.shape, mu.shape[-1]):
        raise ValueError(f"L must have shape {(*mu.shape, mu.shape[-1])} for mu {tuple(mu.shape)}, "
                         f"got {tuple(L.shape)}")
    eps = torch.randn((S, *mu.shape), generator=generator, dtype=mu.dtype,
                      device=generator.device if generator is not None else mu.device).to(mu.device)
    return mu + (L @ eps.unsqueeze(-1)).squeeze(-1)


def kl_full_std_normal(mu: Tensor, L: Tensor) -> Tensor:
    """KL(N(μ, L Lᵀ) ‖ N(0, I)) = ½ (tr(L Lᵀ) + μᵀμ − M − 2 Σ_j ln L_jj), per row; with a diagonal
    L it reduces to :func:`kl_std_normal`."""
    if L.shape != (*mu.shape, mu.shape[-1]):
        raise ValueError(f"L must have shape {(*mu.shape, mu.shape[-1])} for mu {tuple(mu.shape)}, "
                         f"got {tuple(L.shape)}")
    logdiag = torch.log(torch.diagonal(L, dim1=-2, dim2=-1))
    return 0.5 * (L.pow(2).sum((-2, -1)) + mu.pow(2).sum(-1) - mu.shape[-1] - 2 * logdiag.sum(-1))


@torch.no_grad()
def interpolate(model: VAE, x_a: Tensor, x_b: Tensor, n: int = 8) -> Tensor:
    """Decoded means along the straight line between the encoder means of ``x_a`` and ``x_b``
    (each ``(D,)``), ``n`` points including both ends: ``(n, D)``."""
    n = _pos_int(n, "n")
    mu, _ = model.encode(_check_x(torch.stack([x_a, x_b]), model.D, "x_a, x_b"))
    t = torch.linspace(0, 1, n, dtype=mu.dtype, device=mu.device)[:, None]
    return model.decoder.mean(model.decode((1 - t) * mu[0] + t * mu[1]))


@torch.no_grad()
def traverse(model: VAE, x: Tensor, dim: int, values: Tensor) -> Tensor:
    """Decoded means with latent coordinate ``dim`` of the encoder mean of ``x`` (``(D,)``) set
    to each of ``values`` (``(n,)``) and the others kept: ``(n, D)``."""
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool) or not 0 <= dim < model.M:
        raise ValueError(f"dim must be an int in [0, {model.M}), got {dim!r}")
    mu, _ = model.encode(_check_x(x[None], model.D))
    z = mu.repeat(len(values), 1)
    z[:, dim] = torch.as_tensor(values, dtype=z.dtype, device=z.device)
    return model.decoder.mean(model.decode(z))


def _log_mean_exp(a: Tensor, dim: int = 0) -> Tensor:
    return torch.logsumexp(a, dim=dim) - math.log(a.shape[dim])


@torch.no_grad()
def iwae_bound(model: VAE, x: Tensor, k: int, *, batch_k: int = 500, y: Tensor | None = None,
               generator: torch.Generator | None = None) -> Tensor:
    """The importance-weighted bound (Burda et al. 2016) per point, ``(N,)``::

        ℒ_k = E[ ln (1/k) Σ_i p(x, z_i) / q(z_i | x) ],  z_i ~ q(z | x)

    ℒ_1 is the ELBO; ℒ_k rises toward ln p(x) as k grows. The k samples are drawn in chunks of
    ``batch_k`` (memory ∝ batch_k · N · D), combined exactly with a running log-sum-exp.
    """
    k = _pos_int(k, "k")
    mu, logvar = model.encode(x, y)
    acc = None
    done = 0
    while done < k:
        s = min(_pos_int(batch_k, "batch_k"), k - done)
        z = model.rsample(mu, logvar, s, generator=generator)
        log_px_z, log_pz = model.log_joint_terms(x, z, y)
        lw = torch.logsumexp(log_px_z + log_pz - _log_q(z, mu, logvar), dim=0)
        acc = lw if acc is None else torch.logaddexp(acc, lw)
        done += s
    return acc - math.log(k)


@torch.no_grad()
def log_px_prior_sampling(model: VAE, x: Tensor, k: int, *, batch_k: int = 500,
                          generator: torch.Generator | None = None) -> Tensor:
    """Naive Monte Carlo ``ln (1/k) Σ_i p(x | z_i)`` with z_i ~ p(z) = N(0, I), ``(N,)``.
    Consistent but of very high variance: most prior samples explain x badly."""
    k = _pos_int(k, "k")
    _check_x(x, model.D)
    p = next(model.parameters())
    acc, done = None, 0
    while done < k:
        s = min(_pos_int(batch_k, "batch_k"), k - done)
        z = torch.randn(s, x.shape[0], model.M, generator=generator, dtype=p.dtype,
                        device=generator.device if generator is not None else p.device).to(p.device)
        lw = torch.logsumexp(model.decoder.log_prob(x, model.decode(z)), dim=0)
        acc = lw if acc is None else torch.logaddexp(acc, lw)
        done += s
    return acc - math.log(k)


class LinearGaussianModel:
    """Probabilistic PCA: p(z) = N(0, I_M), p(x | z) = N(W z + b, σ² I_D). Everything is exact.

    * ``log_px(x)``: ln N(x | b, W Wᵀ + σ² I), ``(N,)``.
    * ``posterior(x)``: p(z | x) = N(m, S) with S = (I + WᵀW/σ²)⁻¹, m = S Wᵀ (x − b)/σ²;
      returns ``(m: (N, M), S: (M, M))`` (S is the same for every x).
    * ``elbo(x, mu, logvar)``, ``kl_to_posterior(x, mu, logvar)``: both sides of (19.6) for
      any diagonal Gaussian q, in closed form; ``best_diagonal(x)``: the best such q.
    * ``as_vae()``: the same model as a :class:`VAE` whose decoder is the linear map with
      variance σ², and whose encoder outputs the exact posterior — so its ELBO equals ln p(x)
      with zero Monte Carlo variance.

    Float64 throughout.
    """

    def __init__(self, W: Tensor, b: Tensor, sigma: float):
        W = torch.as_tensor(W, dtype=torch.float64)
        b = torch.as_tensor(b, dtype=torch.float64)
        if W.ndim != 2 or b.shape != (W.shape[0],):
            raise ValueError(f"W must be (D, M) and b (D,), got {tuple(W.shape)} and {tuple(b.shape)}")
        if not (isinstance(sigma, numbers.Real) and sigma > 0 and math.isfinite(sigma)):
            raise ValueError(f"sigma must be a finite number > 0, got {sigma!r}")
        self.W, self.b, self.sigma = W, b, float(sigma)
        self.D, self.M = W.shape

    @property
    def marginal_cov(self) -> Tensor:
        return self.W @ self.W.T + self.sigma**2 * torch.eye(self.D, dtype=torch.float64)

    def log_px(self, x: Tensor) -> Tensor:
        x = _check_x(x, self.D).to(torch.float64)
        dist = torch.distributions.MultivariateNormal(self.b, covariance_matrix=self.marginal_cov)
        return dist.log_prob(x)

    def posterior(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x = _check_x(x, self.D).to(torch.float64)
        S = torch.linalg.inv(torch.eye(self.M, dtype=torch.float64) + self.W.T @ self.W / self.sigma**2)
        m = (x - self.b) @ self.W @ S / self.sigma**2  # S symmetric
        return m, S

    def _q(self, x: Tensor, mu: Tensor, logvar: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        x = _check_x(x, self.D).to(torch.float64)
        mu, logvar = mu.to(torch.float64), logvar.to(torch.float64)
        if mu.shape != (x.shape[0], self.M) or logvar.shape != mu.shape:
            raise ValueError(f"mu and logvar must have shape (N={x.shape[0]}, M={self.M}), got "
                             f"{tuple(mu.shape)} and {tuple(logvar.shape)}")
        return x, mu, logvar

    def elbo(self, x: Tensor, mu: Tensor, logvar: Tensor) -> dict[str, Tensor]:
        """The ELBO (19.14) of q(z | x_n) = N(μ_n, diag exp(logvar_n)), in closed form (no
        sampling), per point ``(N,)``: ``"recon"`` = E_q[ln p(x_n | z)]
        = −(D/2) ln 2πσ² − (‖x_n − W μ_n − b‖² + Σ_j σ_j² ‖w_j‖²) / 2σ², ``"kl"`` by
        :func:`kl_std_normal`, and ``"elbo"`` = recon − kl."""
        x, mu, logvar = self._q(x, mu, logvar)
        r = x - mu @ self.W.T - self.b
        spread = logvar.exp() @ self.W.pow(2).sum(0)
        recon = (-0.5 * self.D * (_LOG2PI + 2 * math.log(self.sigma))
                 - (r.pow(2).sum(1) + spread) / (2 * self.sigma**2))
        kl = kl_std_normal(mu, logvar)
        return {"elbo": recon - kl, "recon": recon, "kl": kl}

    def kl_to_posterior(self, x: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
        """KL(q(z | x_n) ‖ p(z | x_n)) for the diagonal Gaussian q above, in closed form from
        the exact posterior N(m_n, S), ``(N,)``. Equals ln p(x_n) − ELBO_n (19.6)."""
        x, mu, logvar = self._q(x, mu, logvar)
        m, S = self.posterior(x)
        P = torch.linalg.inv(S)
        d = mu - m
        return 0.5 * (torch.diagonal(P) @ logvar.exp().T + ((d @ P) * d).sum(1) - self.M
                      + torch.logdet(S) - logvar.sum(1))

    def best_diagonal(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """The diagonal Gaussian q closest to the posterior in KL(q ‖ p(z | x)): the posterior
        mean, and variances 1 / diag(S⁻¹) (the posterior *precisions*' diagonal, not S's).
        Returns ``(mu: (N, M), logvar: (N, M))``. No diagonal q does better, so
        ``kl_to_posterior`` at this q is the gap that the Gaussian family itself leaves."""
        m, S = self.posterior(x)
        logvar = -torch.log(torch.diagonal(torch.linalg.inv(S)))
        return m, logvar.expand_as(m).clone()

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        z = torch.randn(_pos_int(n, "n"), self.M, generator=generator, dtype=torch.float64)
        e = torch.randn(n, self.D, generator=generator, dtype=torch.float64)
        return z @ self.W.T + self.b + self.sigma * e

    def as_vae(self, exact_posterior: bool = True) -> VAE:
        """A :class:`VAE` in float64 with this decoder. With ``exact_posterior`` the encoder is
        set to the exact posterior (its covariance must be diagonal: true when W has orthogonal
        columns; otherwise the diagonal is used and a gap remains)."""
        enc = GaussianEncoder(self.D, self.M, hidden=(), activation="linear").double()
        dec = GaussianDecoder(self.M, self.D, hidden=(), sigma=self.sigma).double()
        with torch.no_grad():
            dec.net[0].weight.copy_(self.W)
            dec.net[0].bias.copy_(self.b)
            S = torch.linalg.inv(torch.eye(self.M, dtype=torch.float64)
                                 + self.W.T @ self.W / self.sigma**2)
            A = S @ self.W.T / self.sigma**2  # m = A (x − b)
            enc.head.weight.zero_()
            enc.head.bias.zero_()
            if exact_posterior:
                enc.head.weight[: self.M].copy_(A)
                enc.head.bias[: self.M].copy_(-A @ self.b)
                enc.head.bias[self.M:].copy_(torch.log(torch.diagonal(S)))
        return VAE(enc, dec)
