"""Autoencoder models of chapter 19, one small class per figure of the book.

Every model is an ``nn.Module`` with

* ``encode(x) -> z`` and ``decode(z) -> y`` (the book's ``z(x)`` and ``y(z)``; for the deep
  model the mappings ``F1`` and ``F2`` of Fig. 19.2, also reachable as ``model.F1``/``model.F2``),
* ``forward(x) -> AEOutput(recon, z)``, a small frozen dataclass rather than a bare tuple,
* ``config``, a frozen dataclass of plain values (ints, bools, strings, tuples), stored by
  :func:`aebook.train.save_checkpoint` and compared on load, and ``Model.from_config(config)``,
* ``layer_sizes()`` and ``activations()``, which describe the network layer by layer for the
  figure code that draws Figs. 19.1 and 19.2.

===========================  ======================================================  ======
:class:`LinearAutoencoder`   D → M → D, linear units (Fig. 19.1); PCA's subspace     19.1.1
:class:`ShallowAutoencoder`  D → M (nonlinear) → D (linear); Bourlard & Kamp 1988    19.1.1
:class:`DeepAutoencoder`     D → H (σ) → M → H (σ) → D, mappings F1, F2 (Fig. 19.2)  19.1.2
===========================  ======================================================  ======

Sections 19.1.3 and 19.1.4 need no new architecture: a *sparse* autoencoder is any of these
models (typically an overcomplete ``ShallowAutoencoder(D, K > D, "relu", allow_overcomplete=True)``)
trained with :func:`aebook.losses.sparse_loss`, and a *denoising* autoencoder is any of them trained
with :func:`aebook.losses.denoising_loss`; what changes is the loss, not the network. The masked
autoencoder lives in :mod:`aebook.mae` and the VAE in :mod:`aebook.vae`. :class:`MLPClassifier` is
the judge some experiments train on the digit labels.

Conventions:

* Shapes: ``x: (N, D)``, ``z: (N, M)``, ``y: (N, D)``. ``forward``/``encode``/``decode`` check the
  last dimension (an O(1) check) and raise ``ValueError("x must have shape (N, D=784), got ...")``.
  They do NOT check for NaN/inf: that needs a pass over the data (and a device sync on a GPU) on
  every call; :func:`aebook.train.fit` checks the data once and guards the loss instead.
* Undercomplete by default: ``M < D`` is required (an autoencoder with ``M >= D`` can learn the
  identity). ``allow_overcomplete=True`` lifts this for models that get their constraint from
  elsewhere (the sparse autoencoders of section 19.1.3).
* Initialisation is PyTorch's default for ``nn.Linear`` (weights and biases uniform in
  ``±1/sqrt(fan_in)``). Nothing here draws random numbers of its own: seed with
  :func:`aebook.seed_everything` *before* building a model for a reproducible start.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from ._checks import boolean, integer, rows, widths
from .layers import ACTIVATIONS, check_activation, mlp

Tensor = torch.Tensor

__all__ = [
    "ACTIVATIONS", "AEOutput", "Autoencoder",
    "LinearAEConfig", "LinearAutoencoder",
    "ShallowAEConfig", "ShallowAutoencoder",
    "DeepAEConfig", "DeepAutoencoder",
    "MLPClassifier",
]


def _check_sizes(D: Any, M: Any, allow_overcomplete: Any) -> tuple[int, int, bool]:
    D, M = integer(D, "D"), integer(M, "M")
    allow = boolean(allow_overcomplete, "allow_overcomplete")
    if M >= D and not allow:
        raise ValueError(f"M must be < D for an undercomplete autoencoder, got M={M}, D={D} "
                         "(with M >= D it can learn the identity); pass allow_overcomplete=True "
                         "if another constraint, e.g. sparsity (section 19.1.3), prevents that")
    return D, M, allow


def _set(obj: Any, **values: Any) -> None:
    for k, v in values.items():  # frozen dataclass: normalise in __post_init__
        object.__setattr__(obj, k, v)


# ------------------------------------------------------------------------------------------------
# configs: frozen dataclasses of plain values (checkpoints store and compare them)


@dataclass(frozen=True)
class LinearAEConfig:
    """Configuration of :class:`LinearAutoencoder`."""

    D: int
    M: int
    bias: bool = True
    allow_overcomplete: bool = False

    def __post_init__(self):
        D, M, allow = _check_sizes(self.D, self.M, self.allow_overcomplete)
        _set(self, D=D, M=M, allow_overcomplete=allow, bias=boolean(self.bias, "bias"))


@dataclass(frozen=True)
class ShallowAEConfig:
    """Configuration of :class:`ShallowAutoencoder`."""

    D: int
    M: int
    activation: str = "sigmoid"
    bias: bool = True
    allow_overcomplete: bool = False

    def __post_init__(self):
        D, M, allow = _check_sizes(self.D, self.M, self.allow_overcomplete)
        _set(self, D=D, M=M, allow_overcomplete=allow, bias=boolean(self.bias, "bias"),
             activation=check_activation(self.activation, "activation"))


@dataclass(frozen=True)
class DeepAEConfig:
    """Configuration of :class:`DeepAutoencoder`. ``hidden`` is stored as a tuple of ints and
    ``None`` activations as ``"linear"``, so equal networks have equal configs."""

    D: int
    M: int
    hidden: tuple[int, ...]
    activation: str = "sigmoid"
    bottleneck_activation: str = "linear"
    output_activation: str = "linear"
    bias: bool = True
    allow_overcomplete: bool = False

    def __post_init__(self):
        D, M, allow = _check_sizes(self.D, self.M, self.allow_overcomplete)
        hidden = widths(self.hidden)  # DeepAutoencoder(D, M, hidden=64) means (64,)
        if not hidden:
            raise ValueError("hidden must be an int or a non-empty tuple of ints >= 1 "
                             f"(the encoder's nonlinear layer widths), got {self.hidden!r}")
        _set(self, D=D, M=M, allow_overcomplete=allow, hidden=hidden,
             bias=boolean(self.bias, "bias"),
             activation=check_activation(self.activation, "activation"),
             bottleneck_activation=check_activation(self.bottleneck_activation,
                                                    "bottleneck_activation", allow_none=True),
             output_activation=check_activation(self.output_activation, "output_activation",
                                                allow_none=True))


# ------------------------------------------------------------------------------------------------
# the common interface


@dataclass(frozen=True, eq=False)  # eq=False: == on tensors has no single truth value
class AEOutput:
    """What a deterministic autoencoder's ``forward`` returns.

    Attributes:
        recon: ``(N, D)`` the reconstruction ``y(x)``.
        z: ``(N, M)`` the code (hidden/bottleneck activations) ``z(x)``.
    """

    recon: Tensor
    z: Tensor


class Autoencoder(nn.Module):
    """Base class: an ``encoder`` module (x → z) and a ``decoder`` module (z → y).

    Subclasses set ``config_class``, build ``self.encoder`` and ``self.decoder`` from
    ``self.config``, and implement :meth:`layer_sizes` and :meth:`activations`.
    """

    config_class: ClassVar[type]
    encoder: nn.Module
    decoder: nn.Module

    def __init__(self, config: Any):
        super().__init__()
        self.config = config

    @classmethod
    def from_config(cls, config: Any) -> Autoencoder:
        """Build a model from its config dataclass or from a plain dict (e.g. the
        ``"model_config"`` returned by :func:`aebook.train.load_checkpoint`)."""
        if isinstance(config, Mapping):
            config = cls.config_class(**config)
        if not isinstance(config, cls.config_class):
            raise TypeError(f"config must be a {cls.config_class.__name__} or a dict of its "
                            f"fields, got {type(config).__name__}")
        return cls(**{f.name: getattr(config, f.name) for f in dataclasses.fields(config)})

    @property
    def D(self) -> int:
        """Number of data dimensions (inputs and outputs)."""
        return self.config.D

    @property
    def M(self) -> int:
        """Number of code (bottleneck) units."""
        return self.config.M

    @property
    def F1(self) -> nn.Module:
        """The encoder mapping x → z (the book's F1 in section 19.1.2); no shape check."""
        return self.encoder

    @property
    def F2(self) -> nn.Module:
        """The decoder mapping z → y (the book's F2 in section 19.1.2); no shape check."""
        return self.decoder

    def encode(self, x: Tensor) -> Tensor:
        """``x: (N, D)`` → ``z: (N, M)``."""
        return self.encoder(rows(x, self.D, "x", "D"))

    def decode(self, z: Tensor) -> Tensor:
        """``z: (N, M)`` → ``y: (N, D)``."""
        return self.decoder(rows(z, self.M, "z", "M"))

    def forward(self, x: Tensor) -> AEOutput:
        """``x: (N, D)`` → ``AEOutput(recon: (N, D), z: (N, M))``."""
        z = self.encode(x)
        return AEOutput(recon=self.decoder(z), z=z)

    def layer_sizes(self) -> list[int]:
        """Widths of the layers from input to output, e.g. ``[D, M, D]``."""
        raise NotImplementedError

    def activations(self) -> list[str | None]:
        """Activation of each layer of :meth:`layer_sizes` (aligned with it): ``None`` for the
        input layer (the data, no units), then one of :data:`ACTIVATIONS` per layer."""
        raise NotImplementedError

    def bottleneck_index(self) -> int:
        """Index in :meth:`layer_sizes` of the code layer z (where F1 ends and F2 begins)."""
        return (len(self.layer_sizes()) - 1) // 2


# ------------------------------------------------------------------------------------------------
# Fig. 19.1: the linear autoencoder


class LinearAutoencoder(Autoencoder):
    """Two-layer linear autoencoder (Fig. 19.1): D inputs, M < D linear hidden units, D linear
    outputs; ``z = W1 x + b1``, ``y = W2 z + b2``.

    Trained on the squared error (19.1) it has a unique global minimum up to an invertible
    M×M mixing (Baldi & Hornik 1989): ``W2 W1`` projects onto the M-dimensional principal
    subspace, so the columns of ``W2`` (:meth:`decoder_weight`) *span* the same subspace as
    PCA's top-M components. The weights themselves are not unique: ``(W2 G, G^-1 W1)`` gives
    the same error for any invertible ``G``, so the learned columns are in general neither
    orthogonal, nor of unit length, nor ordered by variance. Compare subspaces with
    :func:`aebook.pca.principal_angles`, not columns.

    Args:
        D: data dimension. M: number of hidden units (``M < D`` unless ``allow_overcomplete``).
        bias: give both layers biases (the figure omits them; with data that are not centred
            the decoder bias plays the role of PCA's mean).
        allow_overcomplete: allow ``M >= D``.
    """

    config_class = LinearAEConfig

    def __init__(self, D: int, M: int, bias: bool = True, *, allow_overcomplete: bool = False):
        super().__init__(LinearAEConfig(D, M, bias=bias, allow_overcomplete=allow_overcomplete))
        self.encoder = nn.Linear(self.D, self.M, bias=self.config.bias)  # W1: (M, D)
        self.decoder = nn.Linear(self.M, self.D, bias=self.config.bias)  # W2: (D, M)

    def decoder_weight(self) -> Tensor:
        """``W2: (D, M)``, a detached copy: its columns span the learned subspace."""
        return self.decoder.weight.detach().clone()

    def encoder_weight(self) -> Tensor:
        """``W1: (M, D)``, a detached copy."""
        return self.encoder.weight.detach().clone()

    def layer_sizes(self) -> list[int]:
        return [self.D, self.M, self.D]

    def activations(self) -> list[str | None]:
        return [None, "linear", "linear"]


# ------------------------------------------------------------------------------------------------
# one nonlinear hidden layer (Bourlard & Kamp 1988)


class ShallowAutoencoder(Autoencoder):
    """One hidden layer of M nonlinear units and D linear outputs: ``z = h(W1 x + b1)``,
    ``y = W2 z + b2``.

    Bourlard & Kamp (1988): with linear outputs and the squared error, the nonlinearity ``h``
    does not help. The reconstructions ``W2 z + b2`` lie in an M-dimensional affine subspace
    whatever ``h`` is, and the best such subspace is PCA's, so on the training data the error
    can never go below PCA's error at the same M (a sigmoid can only approach it, by working in
    its nearly linear range). It takes depth (:class:`DeepAutoencoder`) to beat PCA.

    Args:
        D, M: as :class:`LinearAutoencoder`.
        activation: ``h``, one of ``"sigmoid"`` (default), ``"tanh"``, ``"relu"``, ``"linear"``.
        bias, allow_overcomplete: as :class:`LinearAutoencoder`.
    """

    config_class = ShallowAEConfig

    def __init__(self, D: int, M: int, activation: str = "sigmoid", *, bias: bool = True,
                 allow_overcomplete: bool = False):
        super().__init__(ShallowAEConfig(D, M, activation=activation, bias=bias,
                                         allow_overcomplete=allow_overcomplete))
        c = self.config
        self.encoder = mlp([c.D, c.M], [c.activation], bias=c.bias, named=True)
        self.decoder = nn.Linear(c.M, c.D, bias=c.bias)

    def layer_sizes(self) -> list[int]:
        return [self.D, self.M, self.D]

    def activations(self) -> list[str | None]:
        return [None, self.config.activation, "linear"]


# ------------------------------------------------------------------------------------------------
# Fig. 19.2: the deep (four-layer) autoencoder, nonlinear PCA


class DeepAutoencoder(Autoencoder):
    """Deep autoencoder, nonlinear PCA (Fig. 19.2): ``F1: x → z`` then ``F2: z → y``.

    With ``hidden=(H,)`` it is the book's four-layer network::

        F1 = encoder:  x: D  →  H (activation)  →  z: M (bottleneck_activation)
        F2 = decoder:  z: M  →  H (activation)  →  y: D (output_activation)

    ``hidden=(H1, ..., Hk)`` gives the widths of the encoder's nonlinear layers, from the input
    inwards; the decoder mirrors them (``M → Hk → ... → H1 → D``), as in Hinton &
    Salakhutdinov (2006), 784-1000-500-250-30. Encoder and decoder do not share weights.

    Args:
        D: data dimension. M: bottleneck width (``M < D`` unless ``allow_overcomplete``).
        hidden: an int ``H`` or a non-empty tuple of ints.
        activation: of every hidden layer, default ``"sigmoid"`` as in the figure.
        bottleneck_activation: of the code layer; ``None``/``"linear"`` (default) as in the
            figure, so z can take any real value.
        output_activation: ``None``/``"linear"`` (default) as in the figure; ``"sigmoid"``
            keeps images in [0, 1].
        bias, allow_overcomplete: as :class:`LinearAutoencoder`.

    Attributes: ``F1`` (= ``encoder``) and ``F2`` (= ``decoder``), ``nn.Sequential`` with layers
    ``fc1, act1, fc2, act2, ...``.
    """

    config_class = DeepAEConfig

    def __init__(self, D: int, M: int, hidden: int | tuple[int, ...], activation: str = "sigmoid",
                 bottleneck_activation: str | None = None, output_activation: str | None = None,
                 *, bias: bool = True, allow_overcomplete: bool = False):
        super().__init__(DeepAEConfig(
            D, M, hidden=hidden, activation=activation, bottleneck_activation=bottleneck_activation,
            output_activation=output_activation, bias=bias, allow_overcomplete=allow_overcomplete))
        c = self.config
        k = len(c.hidden)
        self.encoder = mlp([c.D, *c.hidden, c.M], [c.activation] * k + [c.bottleneck_activation],
                           bias=c.bias, named=True)
        self.decoder = mlp([c.M, *reversed(c.hidden), c.D], [c.activation] * k + [c.output_activation],
                           bias=c.bias, named=True)

    def layer_sizes(self) -> list[int]:
        h = list(self.config.hidden)
        return [self.D, *h, self.M, *reversed(h), self.D]

    def activations(self) -> list[str | None]:
        c = self.config
        k = len(c.hidden)
        return [None, *[c.activation] * k, c.bottleneck_activation, *[c.activation] * k,
                c.output_activation]


# ------------------------------------------------------------------------------------------------
# a classifier, the judge of the experiments that need one


class MLPClassifier(nn.Sequential):
    """``D → hidden (ReLU) → n_classes`` logits: the classifier that judges the conditional
    VAE's digits (:func:`aebook.experiments.digit_classifier`)."""

    def __init__(self, D: int, hidden: int, n_classes: int = 10):
        super().__init__(nn.Linear(integer(D, "D"), integer(hidden, "hidden")), nn.ReLU(),
                         nn.Linear(hidden, integer(n_classes, "n_classes")))
