"""The two networks of a VAE: encoders q(z | x, φ) (19.13) and decoders p(x | z, w).

=====================================  =========================================================
:class:`GaussianEncoder`               q(z | x, φ) = N(μ(x), diag σ²(x)) (19.13); σ² from a
                                       clamped log-variance or from softplus
:class:`BernoulliDecoder`              p(x | z, w) with logits (stable ``log_prob``)
:class:`GaussianDecoder`               p(x | z, w) = N(m(z), σ² I), σ fixed or learned per output
                                       (a decoder that also outputs a variance)
:class:`ConvGaussianEncoder`,          the same with convolutions / transposed convolutions,
:class:`ConvBernoulliDecoder`          for images given flattened
=====================================  =========================================================

Every encoder has ``D``, ``M`` and ``forward(x) -> (mu, logvar)``; every decoder has ``M``,
``D``, ``forward(z) -> params``, ``log_prob(x, params)`` (summed over D) and ``mean(params)``.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import choice, integer, positive, rows, widths
from ..layers import mlp

Tensor = torch.Tensor

__all__ = ["BernoulliDecoder", "ConvBernoulliDecoder", "ConvGaussianEncoder", "GaussianDecoder",
           "GaussianEncoder", "LOG2PI", "LOGVAR_RANGE"]

#: log σ² is clamped to this range by the ``"exp"`` parameterisation: exp(20) ≈ 4.9e8 cannot
#: overflow float32 and exp(−30) ≈ 9e−14 keeps ln σ² finite.
LOGVAR_RANGE = (-30.0, 20.0)
LOG2PI = math.log(2 * math.pi)


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
        self.D, self.M = integer(D, "D"), integer(M, "M")
        hidden = widths(hidden)
        self.variance = choice(variance, "variance", VARIANCES)
        self.min_var = positive(min_var, "min_var")
        self.body = mlp((self.D, *hidden), activation, last=activation) if hidden else nn.Sequential()
        self.head = nn.Linear(hidden[-1] if hidden else self.D, 2 * self.M)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return _mu_logvar(self.head(self.body(rows(x, self.D))), self.variance, self.min_var)



#: how an encoder turns its raw output into a variance: ``"exp"`` reads it as ln σ² (clamped
#: to :data:`LOGVAR_RANGE`), ``"softplus"`` as σ² = softplus(a) + min_var.
VARIANCES = ("exp", "softplus")


def _mu_logvar(h: Tensor, variance: str, min_var: float) -> tuple[Tensor, Tensor]:
    mu, a = h.chunk(2, dim=-1)
    if variance == "exp":
        return mu, a.clamp(*LOGVAR_RANGE)
    return mu, torch.log(F.softplus(a) + min_var)




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
        self.M, self.D = integer(M, "M"), integer(D, "D")
        self.net = mlp((self.M, *widths(hidden), self.D), activation)

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
        self.M, self.D = integer(M, "M"), integer(D, "D")
        self.sigma = None if sigma is None else positive(sigma, "sigma (None to learn it)")
        self.net = mlp((self.M, *widths(hidden), self.D * (2 if sigma is None else 1)), activation)

    def forward(self, z: Tensor) -> tuple[Tensor, Tensor]:
        out = self.net(z)
        if self.sigma is None:
            mean, logvar = out.chunk(2, dim=-1)
            return mean, logvar.clamp(*LOGVAR_RANGE)
        return out, torch.full_like(out, 2 * math.log(self.sigma))

    @staticmethod
    def log_prob(x: Tensor, params: tuple[Tensor, Tensor]) -> Tensor:
        mean, logvar = params
        return -0.5 * (LOG2PI + logvar + (x - mean).pow(2) / logvar.exp()).sum(-1)

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
    return tuple(integer(c, f"channels[{i}]") for i, c in enumerate(channels))


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
        self.D, self.M = C * H * W, integer(M, "M")
        self.variance = choice(variance, "variance", VARIANCES)
        self.min_var = positive(min_var, "min_var")
        layers, c = [], C
        for ch in channels:
            layers += [nn.Conv2d(c, ch, 4, stride=2, padding=1), nn.ReLU()]
            c = ch
        self.body = nn.Sequential(*layers, nn.Flatten())
        f = 2 ** len(channels)
        self.head = nn.Linear(c * (H // f) * (W // f), 2 * self.M)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        x = rows(x, self.D)
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
        self.M, self.D = integer(M, "M"), C * H * W
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


