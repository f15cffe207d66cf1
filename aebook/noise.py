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

The masked autoencoder of section 19.1.5 corrupts differently: it removes whole patches.
:func:`random_masking` draws which (per sample, by sorting uniform noise, as He et al. 2022),
:func:`n_visible` says how many stay, :func:`check_mask_ratio` checks the ratio r ∈ [0, 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from ._checks import floating, integer, rand, randn, real
from ._checks import generator as check_generator

Tensor = torch.Tensor

__all__ = ["KINDS", "Corruption", "check_mask_ratio", "check_nu", "check_sigma", "corrupt", "gaussian_noise",
           "mask_noise", "n_visible", "random_masking"]

#: the corruption kinds of section 19.1.4.
KINDS = ("mask", "gaussian")


def check_nu(nu: Any) -> float:
    """``nu`` as a float, or ``ValueError`` unless it is a real number in [0, 1]."""
    return real(nu, "nu (the masking rate)", low=0.0, high=1.0)


def check_sigma(sigma: Any) -> float:
    """``sigma`` as a float, or ``ValueError`` unless it is a finite real number >= 0."""
    return real(sigma, "sigma (the noise standard deviation)", low=0.0)


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
    floating(x, "x")
    check_generator(generator)
    mask = rand(x.shape, like=x, generator=generator) < nu  # P(u < nu) = nu for u ~ U[0, 1)
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
    floating(x, "x")
    check_generator(generator)
    return x + sigma * randn(x.shape, like=x, generator=generator)


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


# ------------------------------------------------------------------------------------------------
# patch masks (section 19.1.5): which patches a masked autoencoder removes


def check_mask_ratio(ratio: Any) -> float:
    """``ratio`` as a float, or ``ValueError`` unless it is a real number in [0, 1)."""
    return real(ratio, "mask_ratio", low=0.0, high=1.0, high_open=True)


def n_visible(L: int, ratio: float) -> int:
    """``⌊L (1 − r)⌋``, the number of patches kept visible (computed so that float round-off
    in ``1 − r`` cannot drop one: ``L = 10, r = 0.9`` gives 1, not 0)."""
    L = integer(L, "L")
    r = check_mask_ratio(ratio)
    return int(math.floor(L * (1.0 - r) + 1e-9))


def random_masking(N: int, L: int, ratio: float, *, generator: torch.Generator | None = None,
                   device: str | torch.device | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """Per-sample random masks, drawn by sorting uniform noise (He et al. 2022).

    For each of the ``N`` samples, ``L`` uniform numbers are sorted; the patches with the
    ``K = ⌊L(1 − r)⌋`` smallest numbers stay visible. Sorting gives a uniformly random subset
    without replacement, and its inverse permutation puts the patches back in order.

    Args:
        N, L: number of samples and of patches per sample.
        ratio: the mask ratio r in [0, 1).
        generator: a ``torch.Generator`` (its device is used for the noise) or ``None`` (torch's
            global generator).
        device: where the returned index tensors live (default: the generator's device, or CPU).

    Returns:
        ``ids_keep: (N, K)`` int64, the visible patches in the order the encoder sees them;
        ``mask: (N, L)`` float, 1 = removed, 0 = visible, in the original patch order;
        ``ids_restore: (N, L)`` int64, so that ``torch.gather(shuffled, 1, ids_restore)``
        undoes the shuffle.

    Raises:
        ValueError: ``ratio`` outside [0, 1), ``N``/``L`` not positive ints, or ``K = 0``
            (no patch would be visible).
    """
    N, L = integer(N, "N"), integer(L, "L")
    K = n_visible(L, ratio)
    if K == 0:
        raise ValueError(f"mask_ratio={ratio} leaves no visible patch out of L={L} "
                         f"(⌊L(1 − r)⌋ = 0); use a smaller ratio")
    check_generator(generator)
    gen_device = generator.device if generator is not None else None
    noise = torch.rand(N, L, generator=generator, device=gen_device)
    device = device if device is not None else noise.device
    ids_shuffle = torch.argsort(noise, dim=1).to(device)
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    ids_keep = ids_shuffle[:, :K]
    mask = torch.ones(N, L, device=device)
    mask[:, :K] = 0
    mask = torch.gather(mask, 1, ids_restore)
    return ids_keep, mask, ids_restore
