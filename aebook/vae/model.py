"""The VAE itself: an encoder, a decoder and the prior p(z) = N(0, I) (19.5), plus the
conditional VAE and two ways of walking through the latent space.

``VAE.rsample`` draws z = μ + σ ε with ε ~ N(0, I) (19.17): the reparameterised sample of
section 19.2.2, in the *correct* form (the book's (19.18) and Algorithm 19.1 print μ ε + σ²,
errata 2). Every function of :mod:`aebook.vae` reaches the two networks through
:meth:`VAE.encode` and :meth:`VAE.decode`, so :class:`ConditionalVAE` only overrides those two.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import integer, randn, rows
from .networks import LOG2PI, BernoulliDecoder, GaussianEncoder

Tensor = torch.Tensor

__all__ = ["VAE", "ConditionalVAE", "VAEOutput", "interpolate", "log_q", "traverse"]


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
        """``n_samples`` reparameterised samples z = μ + σ ε, ε ~ N(0, I), ``(S, N, M)``: the
        book's (19.17), and (19.18) per sample as it should read (errata 2). Each z is
        distributed as N(μ, σ²) (Exercise 19.2) and is a differentiable function of μ and σ,
        so gradients reach the encoder. A staticmethod, unlike ``torch.distributions``'
        ``rsample``, because it takes a ``generator=``."""
        S = integer(n_samples, "n_samples")
        return mu + (0.5 * logvar).exp() * randn((S, *mu.shape), like=mu, generator=generator)

    def encode(self, x: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``(mu, logvar)`` of q(z | x), each ``(N, M)``."""
        _no_labels(y)
        return self.encoder(rows(x, self.D))

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
        """``n`` new data points: z from the prior N(0, I) (19.5), then the decoder's mean,
        ``(n, D)``. A :class:`ConditionalVAE` needs ``y``: one class for all, or ``(n,)`` labels."""
        z = randn((integer(n, "n"), self.M), like=next(self.parameters()), generator=generator)
        return self.decoder.mean(self.decode(z, self._labels_for_sampling(y, n)))

    def _labels_for_sampling(self, y: Any, n: int) -> Tensor | None:
        _no_labels(y)
        return None

    def log_joint_terms(self, x: Tensor, z: Tensor, y: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """``ln p(x | z)`` and ``ln p(z)`` for ``z: (S, N, M)``, each ``(S, N)``."""
        log_px_z = self.decoder.log_prob(x, self.decode(z, y))
        log_pz = -0.5 * (LOG2PI + z.pow(2)).sum(-1)
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
        K = integer(n_classes, "n_classes")
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
        K = integer(n_classes, "n_classes")
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
        x = rows(x, self.D)
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



def log_q(z: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
    """ln q(z | x) of the diagonal Gaussian N(μ, diag exp(logvar)), summed over the latent
    dimensions: ``(..., M) → (...)``."""
    return -0.5 * (LOG2PI + logvar + (z - mu).pow(2) / logvar.exp()).sum(-1)



@torch.no_grad()
def interpolate(model: VAE, x_a: Tensor, x_b: Tensor, n: int = 8) -> Tensor:
    """Decoded means along the straight line between the encoder means of ``x_a`` and ``x_b``
    (each ``(D,)``), ``n`` points including both ends: ``(n, D)``."""
    n = integer(n, "n")
    mu, _ = model.encode(rows(torch.stack([x_a, x_b]), model.D, "x_a, x_b"))
    t = torch.linspace(0, 1, n, dtype=mu.dtype, device=mu.device)[:, None]
    return model.decoder.mean(model.decode((1 - t) * mu[0] + t * mu[1]))


@torch.no_grad()
def traverse(model: VAE, x: Tensor, dim: int, values: Tensor) -> Tensor:
    """Decoded means with latent coordinate ``dim`` of the encoder mean of ``x`` (``(D,)``) set
    to each of ``values`` (``(n,)``) and the others kept: ``(n, D)``."""
    dim = integer(dim, "dim", minimum=0, maximum=model.M - 1)
    mu, _ = model.encode(rows(x[None], model.D))
    z = mu.repeat(len(values), 1)
    z[:, dim] = torch.as_tensor(values, dtype=z.dtype, device=z.device)
    return model.decoder.mean(model.decode(z))

