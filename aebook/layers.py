"""The building blocks every network of the package is made of: activations by name and a
multilayer perceptron.

One builder serves the deterministic autoencoders (:mod:`aebook.models`, layers named ``fc1,
act1, fc2, ...``), the VAE's encoders and decoders (:mod:`aebook.vae`) and the classifiers
that judge the experiments.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from torch import nn

from ._checks import integer

__all__ = ["ACTIVATIONS", "check_activation", "make_activation", "mlp"]

#: names accepted wherever an activation is chosen; "linear" is the identity.
ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")
_MODULES = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "linear": nn.Identity}


def check_activation(name: Any, arg: str = "activation", allow_none: bool = False) -> str:
    """``name`` if it is one of :data:`ACTIVATIONS` (``None`` means "linear" when
    ``allow_none``); else a ``ValueError`` naming the argument ``arg``."""
    if name is None and allow_none:
        return "linear"
    if not isinstance(name, str) or name not in ACTIVATIONS:
        allowed = ", ".join(repr(a) for a in ACTIVATIONS) + (" or None" if allow_none else "")
        raise ValueError(f"{arg} must be one of {allowed}, got {name!r}")
    return name


def make_activation(name: str, arg: str = "activation") -> nn.Module:
    """A fresh activation module by name (one of :data:`ACTIVATIONS`)."""
    return _MODULES[check_activation(name, arg)]()


def mlp(widths: Sequence[int], activations: str | Sequence[str], *, last: str | None = None,
        bias: bool = True, named: bool = False) -> nn.Sequential:
    """``Linear(widths[0] → widths[1])``, activation, ..., ``Linear(widths[-2] → widths[-1])``.

    Args:
        widths: the layer widths from input to output (at least two).
        activations: one name for every hidden layer, or one name per linear layer (then
            ``last`` is ignored and every linear layer is followed by its activation, kept as
            ``nn.Identity`` for "linear", so that parameter names do not depend on the choice).
        last: activation after the final linear layer (``None``: nothing follows it).
        named: name the layers ``fc1, act1, fc2, ...`` instead of numbering them.
    """
    widths = [integer(w, f"widths[{i}]") for i, w in enumerate(widths)]
    n = len(widths) - 1
    if n < 1:
        raise ValueError(f"widths must hold at least two sizes, got {widths}")
    if isinstance(activations, str):
        acts: list[str | None] = [activations] * (n - 1) + [last]
    else:
        acts = list(activations)
        if len(acts) != n:
            raise ValueError(f"activations must name one activation per layer ({n}), got {acts}")
    layers: list[tuple[str, nn.Module]] = []
    for i, (w_in, w_out, act) in enumerate(zip(widths[:-1], widths[1:], acts), start=1):
        layers.append((f"fc{i}", nn.Linear(w_in, w_out, bias=bias)))
        if act is not None:
            layers.append((f"act{i}", make_activation(act)))
    return nn.Sequential(OrderedDict(layers)) if named else nn.Sequential(*(m for _, m in layers))
