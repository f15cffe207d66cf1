"""Argument checks and seeded random draws, shared by every module of the package.

Bad input fails at the door with a ``ValueError``/``TypeError`` that names the argument and
the allowed range (``"epochs must be an int >= 1, got 0"``), never deep inside a training
loop. Every check takes ``(value, name)`` and returns the value normalised (a Python ``int``
or ``float``), so a caller writes ``n = integer(n, "n")``.

Random draws: functions that draw random numbers take a ``generator=`` (a
``torch.Generator`` or ``None`` for torch's global one). :func:`randn` and :func:`rand` draw on
the generator's device and then move the numbers to where they are needed, so a CPU
generator gives the same numbers whether the model lives on a CPU or a GPU.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

Tensor = torch.Tensor


def integer(value: Any, name: str, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` as an int in ``[minimum, maximum]``; NumPy ints are accepted, bools are not."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= minimum
    if ok and (maximum is None or value <= maximum):
        return int(value)
    allowed = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
    raise ValueError(f"{name} must be an int {allowed}, got {value!r}")


def _as_real(value: Any) -> float:
    """A float, or NaN for anything that is not a real number (bools, strings, big tensors)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Tensor)):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError):  # e.g. a tensor with several elements
        return math.nan


def real(value: Any, name: str, *, low: float = -math.inf, high: float = math.inf,
         low_open: bool = False, high_open: bool = False, finite: bool = True) -> float:
    """``value`` as a float in the interval from ``low`` to ``high`` (closed unless
    ``low_open``/``high_open``); NaN is always refused, infinity unless ``finite=False``."""
    v = _as_real(value)
    ok = not math.isnan(v) and (not finite or math.isfinite(v))
    ok = ok and (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
    if ok:
        return v
    lo = "" if low == -math.inf else f"{'(' if low_open else '['}{low:g}, "
    hi = "" if high == math.inf else f"{high:g}{')' if high_open else ']'}"
    if lo and hi:
        allowed = f"a number in {lo}{hi}"
    elif lo:
        allowed = f"a {'finite ' if finite else ''}number {'>' if low_open else '>='} {low:g}"
    elif hi:
        allowed = f"a {'finite ' if finite else ''}number {'<' if high_open else '<='} {high:g}"
    else:
        allowed = "a finite number" if finite else "a number"
    raise ValueError(f"{name} must be {allowed}, got {value!r}")


def nonneg(value: Any, name: str) -> float:
    """A finite float >= 0."""
    return real(value, name, low=0.0)


def positive(value: Any, name: str) -> float:
    """A finite float > 0."""
    return real(value, name, low=0.0, low_open=True)


def boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def choice(value: Any, name: str, allowed: Sequence[Any]) -> Any:
    """``value`` if it is one of ``allowed``."""
    if isinstance(value, (list, dict, set)) or value not in tuple(allowed):
        raise ValueError(f"{name} must be one of {tuple(allowed)}, got {value!r}")
    return value


def seed(value: Any, name: str = "seed") -> int:
    """A seed: an int >= 0."""
    return integer(value, name, minimum=0)


def widths(value: Any, name: str = "hidden") -> tuple[int, ...]:
    """Layer widths: an int or a tuple/list of ints >= 1 (possibly empty), as a tuple."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (tuple, list)):
        raise ValueError(f"{name} must be an int or a tuple of ints >= 1, got {value!r}")
    return tuple(integer(v, f"{name}[{i}]") for i, v in enumerate(value))


def check_finite(x: Any, name: str) -> Any:
    """Raise ``ValueError`` if ``x`` (tensor, array or number) holds NaN or inf; return ``x``.

    Called on user inputs so a bad value fails at the door with the argument's name, not deep
    inside a training loop.
    """
    values = x if isinstance(x, Tensor) else torch.as_tensor(np.asarray(x, dtype=np.float64))
    if values.is_floating_point() or values.is_complex():
        n_bad = int((~torch.isfinite(values)).sum())
        if n_bad:
            raise ValueError(f"{name} contains NaN or inf ({n_bad} of {values.numel()} values "
                             f"are not finite)")
    return x


def floating(x: Any, name: str) -> Tensor:
    """``x`` if it is a floating-point tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must have a floating dtype, got {x.dtype}")
    return x


def rows(x: Any, width: int, name: str = "x", label: str = "D") -> Tensor:
    """``x`` if it is a floating tensor of shape ``(N, width)`` (an O(1) check, no NaN scan)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, {label}={width}), "
                        f"got {type(x).__name__}")
    if x.ndim != 2 or x.shape[1] != width:
        raise ValueError(f"{name} must have shape (N, {label}={width}), got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must have a floating dtype, got {x.dtype}")
    return x


def generator(g: Any, name: str = "generator") -> torch.Generator | None:
    if g is not None and not isinstance(g, torch.Generator):
        raise TypeError(f"{name} must be a torch.Generator or None, got {type(g).__name__}")
    return g


def randn(shape: Sequence[int], *, like: Tensor, generator: torch.Generator | None = None,
          dtype: torch.dtype | None = None) -> Tensor:
    """Standard normal numbers of ``shape`` with ``like``'s dtype (or ``dtype``), on
    ``like``'s device, drawn on the generator's device (see the module docstring)."""
    dev = generator.device if generator is not None else like.device
    return torch.randn(tuple(shape), generator=generator, dtype=dtype or like.dtype,
                       device=dev).to(like.device)


def rand(shape: Sequence[int], *, like: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Uniform numbers on [0, 1), as :func:`randn`."""
    dev = generator.device if generator is not None else like.device
    return torch.rand(tuple(shape), generator=generator, dtype=like.dtype, device=dev).to(like.device)


def on_model(model: torch.nn.Module, *tensors: Tensor | None) -> Any:
    """``tensors`` moved to the device of ``model``'s parameters (``None`` stays ``None``; a
    model without parameters moves nothing): one tensor for one argument, else a tuple. An
    evaluation function calls it first, so that a model trained on a GPU is evaluated there on
    data that lives on the CPU."""
    p = next(model.parameters(), None)
    out = tuple(t if t is None or p is None else t.to(p.device) for t in tensors)
    return out[0] if len(out) == 1 else out


#: how a per-point quantity ``(N,)`` is reduced over the batch
REDUCTIONS = ("mean", "sum", "none")


def reduce(values: Tensor, reduction: str) -> Tensor:
    """``values: (N,)`` reduced by ``reduction`` (one of :data:`REDUCTIONS`)."""
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    if reduction == "none":
        return values
    raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
