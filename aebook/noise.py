"""Corruptions for denoising autoencoders (section 19.1.4).

The book names two ways of corrupting an input vector ``x`` into ``x̃`` before it enters the
network, whose output is then compared with the *clean* ``x`` by the error (19.3):

======================  ==============================================================  =========
:func:`mask_noise`      each input variable set to 0, independently, with probability ν  ν ∈ [0, 1]
:func:`gaussian_noise`  ``x̃ = x + σ ε``, ``ε ~ N(0, I)``: zero-mean, independent        σ ≥ 0
:class:`Corruption`     one of the two with its level, a value a loss can carry
======================  ==============================================================  =========

Random numbers come from a ``torch.Generator`` when one is given (``generator=``), or from
torch's global generator otherwise (which :func:`aebook.train.fit` seeds, so noise drawn in a
loss repeats from run to run). The noise is drawn on the generator's device and moved to
``x``'s device, so a CPU generator gives the same corruption whether ``x`` lives on the CPU
or a GPU.

Nothing here modifies ``x`` in place; every function returns a new tensor.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import torch

Tensor = torch.Tensor

__all__ = ["KINDS", "Corruption", "check_nu", "check_sigma", "corrupt", "gaussian_noise",
           "mask_noise"]

#: the corruption kinds of section 19.1.4.
KINDS = ("mask", "gaussian")


def _as_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Tensor)):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError):  # e.g. a tensor with several elements
        return math.nan


def check_nu(nu: Any) -> float:
    """``nu`` as a float, or ``ValueError`` unless it is a real number in [0, 1]."""
    v = _as_float(nu)
    if not (0.0 <= v <= 1.0):  # False for NaN too
        raise ValueError(f"nu (the masking rate) must be a number in [0, 1], got {nu!r}")
    return v


def check_sigma(sigma: Any) -> float:
    """``sigma`` as a float, or ``ValueError`` unless it is a finite real number >= 0."""
    v = _as_float(sigma)
    if not (math.isfinite(v) and v >= 0.0):
        raise ValueError(f"sigma (the noise standard deviation) must be a finite number >= 0, "
                         f"got {sigma!r}")
    return v


def _check_x(x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"x must have a floating dtype, got {x.dtype}")
    return x


def _check_generator(generator: Any) -> None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")


def _draw(kind: str, x: Tensor, generator: torch.Generator | None) -> Tensor:
    """Uniform (``"rand"``) or standard normal (``"randn"``) numbers shaped like ``x``."""
    device = generator.device if generator is not None else x.device
    fn = torch.rand if kind == "rand" else torch.randn
    return fn(x.shape, generator=generator, device=device, dtype=x.dtype).to(x.device)


def mask_noise(x: Tensor, nu: float, *, generator: torch.Generator | None = None,
               return_mask: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """Masking noise: every entry of ``x`` is set to 0 independently with probability ``nu``.

    ``nu = 0`` returns a copy of ``x``; ``nu = 1`` returns zeros. The kept entries are *not*
    rescaled (unlike dropout): the corrupted image is what the network sees, and the target of
    (19.3) stays the clean ``x``.

    Args:
        x: any floating tensor, e.g. ``(N, D)`` or ``(N, C, H, W)``.
        nu: the masking rate ν in [0, 1].
        generator: a ``torch.Generator`` (any device) or ``None`` for torch's global one.
        return_mask: also return the boolean mask, ``True`` where an entry was set to 0.

    Returns:
        ``x̃`` (same shape and dtype as ``x``), or ``(x̃, mask)`` with ``return_mask=True``.

    Raises:
        ValueError: ``nu`` outside [0, 1] (or NaN).
        TypeError: ``x`` is not a floating tensor, ``generator`` is not a Generator.
    """
    nu = check_nu(nu)
    _check_x(x)
    _check_generator(generator)
    mask = _draw("rand", x, generator) < nu  # P(u < nu) = nu for u ~ U[0, 1)
    x_tilde = x.masked_fill(mask, 0.0)
    return (x_tilde, mask) if return_mask else x_tilde


def gaussian_noise(x: Tensor, sigma: float, *, generator: torch.Generator | None = None) -> Tensor:
    """Additive Gaussian noise: ``x̃ = x + σ ε`` with ``ε ~ N(0, I)`` independent of ``x``.

    The result is not clipped to the data range (clipping would bias the noise and break the
    Tweedie identity of :mod:`aebook.score`).

    Args:
        x: any floating tensor.
        sigma: the standard deviation σ >= 0 (the book speaks of the variance σ²).
        generator: a ``torch.Generator`` (any device) or ``None`` for torch's global one.

    Raises:
        ValueError: ``sigma`` negative, NaN or infinite.
        TypeError: ``x`` is not a floating tensor, ``generator`` is not a Generator.
    """
    sigma = check_sigma(sigma)
    _check_x(x)
    _check_generator(generator)
    return x + sigma * _draw("randn", x, generator)


@dataclass(frozen=True)
class Corruption:
    """A corruption of section 19.1.4 with its level: ``Corruption("mask", 0.5)`` (ν = 0.5) or
    ``Corruption("gaussian", 0.3)`` (σ = 0.3). Calling it corrupts a tensor.

    >>> c = Corruption("mask", 0.25)
    >>> x_tilde = c(x, generator=g)
    """

    kind: str
    level: float

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        level = check_nu(self.level) if self.kind == "mask" else check_sigma(self.level)
        object.__setattr__(self, "level", level)

    def __call__(self, x: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        return corrupt(x, self.kind, self.level, generator=generator)

    @property
    def symbol(self) -> str:
        """``"ν"`` for masking, ``"σ"`` for Gaussian noise (for tables and labels)."""
        return "ν" if self.kind == "mask" else "σ"

    def __str__(self) -> str:
        return f"{self.kind} {self.symbol}={self.level:g}"


def corrupt(x: Tensor, kind: str, level: float, *,
            generator: torch.Generator | None = None) -> Tensor:
    """``mask_noise(x, level)`` for ``kind="mask"``, ``gaussian_noise(x, level)`` for
    ``kind="gaussian"``; raises ``ValueError`` for another kind, naming the allowed ones."""
    if kind == "mask":
        return mask_noise(x, level, generator=generator)
    if kind == "gaussian":
        return gaussian_noise(x, level, generator=generator)
    raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")

