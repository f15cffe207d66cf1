"""Synthetic manifolds with known intrinsic coordinates: the saddle of Fig. 19.3 and the
sine curve of Fig. 19.4."""

from __future__ import annotations

import math

import numpy as np
import torch

from .._checks import check_finite, integer, nonneg
from .split import Split

Tensor = torch.Tensor


def _child_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent 63-bit seeds derived from one ``seed`` (numpy's SeedSequence).

    Train and test sets get separate streams, so the test set does not change when
    ``n_train`` does, and seed ``s`` never shares a stream with seed ``s + 1``.
    """
    seed = integer(seed, "seed", minimum=0)
    states = np.random.SeedSequence(seed).generate_state(n, dtype=np.uint64)
    return [int(s >> np.uint64(1)) for s in states]  # torch wants a value < 2**63



def saddle(t: Tensor) -> Tensor:
    """The surface of :func:`curved_surface`: ``t: (N, 2)`` = (u, v) -> ``(N, 3)`` = (u, v, u^2 - v^2)."""
    u, v = t[:, 0], t[:, 1]
    return torch.stack([u, v, u**2 - v**2], dim=1)


def _synthetic(name: str, n_train: int, n_test: int, noise: float, seed: int,
               draw_t, embed) -> Split:
    """Shared recipe: intrinsic coordinates t -> clean points -> + isotropic Gaussian noise."""
    n_train = integer(n_train, "n_train")
    n_test = integer(n_test, "n_test")
    noise = nonneg(noise, "noise")
    parts = {}
    for part, n, s in zip(("train", "test"), (n_train, n_test), _child_seeds(seed, 2)):
        g = torch.Generator().manual_seed(s)
        t = draw_t(n, g)
        clean = embed(t)
        # Always draw the noise, even when noise == 0, so the clean points for a seed are
        # the same at every noise level.
        eps = torch.randn(clean.shape, generator=g, dtype=torch.float64)
        parts[part] = (t, clean, clean + noise * eps)
    f32 = lambda a: a.to(torch.float32)
    return Split(
        x_train=f32(parts["train"][2]), y_train=None,
        x_test=f32(parts["test"][2]), y_test=None, name=name,
        extra={"t_train": f32(parts["train"][0]), "t_test": f32(parts["test"][0]),
               "clean_train": f32(parts["train"][1]), "clean_test": f32(parts["test"][1])})


def curved_surface(n_train: int = 2000, n_test: int = 500, noise: float = 0.0,
                   seed: int = 0) -> Split:
    """Points on a saddle, a curved 2-D surface in 3-D (Fig. 19.3).

    ``(u, v)`` are uniform on ``[-1, 1]^2`` and the point is ``(u, v, u^2 - v^2)``
    (:func:`saddle`), plus isotropic Gaussian noise of standard deviation ``noise``.
    The surface is a graph over (u, v), so a 2-unit nonlinear bottleneck can represent it
    exactly, while the best plane (PCA, M = 2) leaves the whole third coordinate as error:
    var(u^2 - v^2) = 8/45 ~ 0.18 of a total variance of ~0.84, i.e. ~21 %.

    Train and test sets come from independent streams derived from ``seed``; the test set
    does not depend on ``n_train``. Values are not in [0, 1] (x, y in [-1, 1], z in [-1, 1]).

    Returns:
        Split with ``x_train: (n_train, 3)``, ``x_test: (n_test, 3)`` float32, ``y = None``, and
        ``extra``: ``t_train: (n_train, 2)`` = (u, v) for colouring, ``t_test``,
        ``clean_train: (n_train, 3)`` (before noise), ``clean_test``.
    """
    draw = lambda n, g: 2 * torch.rand(n, 2, generator=g, dtype=torch.float64) - 1
    return _synthetic("curved_surface", n_train, n_test, noise, seed, draw, saddle)


CURVE_T_RANGE = (-1.0, 1.0)


def curve_2d_fn(t: Tensor) -> Tensor:
    """The curve of :func:`curve_2d`: ``t: (N,)`` in [-1, 1] -> ``(N, 2)`` = (t, 0.6 sin(pi t))."""
    return torch.stack([t, 0.6 * torch.sin(math.pi * t)], dim=-1)


def curve_2d_points(n: int = 1000, dtype: torch.dtype = torch.float32) -> Tensor:
    """The clean curve sampled at ``n`` equally spaced ``t`` in [-1, 1]: ``(n, 2)``, for plots."""
    n = integer(n, "n", minimum=2)
    return curve_2d_fn(torch.linspace(*CURVE_T_RANGE, n, dtype=torch.float64)).to(dtype)


def curve_2d(n_train: int = 1000, n_test: int = 250, noise: float = 0.1,
             seed: int = 0) -> Split:
    """Noisy points near a 1-D curve in 2-D, one period of a sine (Fig. 19.4).

    ``t`` is uniform on [-1, 1] (uniform in the parameter, not in arc length), the clean point
    is ``(t, 0.6 sin(pi t))`` (:func:`curve_2d_fn`) and isotropic Gaussian noise of standard
    deviation ``noise`` is added. Train and test come from independent streams derived from
    ``seed``. Use :func:`project_to_curve` to find where a point "belongs" on the curve.

    Returns:
        Split with ``x_train: (n_train, 2)``, ``x_test: (n_test, 2)`` float32, ``y = None`` and
        ``extra``: ``t_train: (n_train,)``, ``t_test``, ``clean_train: (n_train, 2)``,
        ``clean_test``.
    """
    lo, hi = CURVE_T_RANGE
    draw = lambda n, g: lo + (hi - lo) * torch.rand(n, generator=g, dtype=torch.float64)
    return _synthetic("curve_2d", n_train, n_test, noise, seed, draw, curve_2d_fn)


def project_to_curve(x: Tensor, n_dense: int = 2001,
                     chunk: int = 4096) -> tuple[Tensor, Tensor]:
    """Nearest point on the curve of :func:`curve_2d` for each row of ``x: (N, 2)``.

    The curve is sampled at ``n_dense`` points; we take the nearest sample and then project
    onto the two segments next to it, so the error is second order in the spacing (~1e-6 for
    the default), not first. Works in chunks of ``chunk`` rows to bound memory.

    Returns:
        proj : (N, 2), same dtype and device as ``x``
        t : (N,) curve parameter of ``proj``
    """
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"x must have shape (N, 2), got {tuple(x.shape)}")
    check_finite(x, "x")
    n_dense = integer(n_dense, "n_dense", minimum=3)
    lo, hi = CURVE_T_RANGE
    ts = torch.linspace(lo, hi, n_dense, dtype=torch.float64, device=x.device)
    pts = curve_2d_fn(ts)  # (M, 2)
    xs = x.to(torch.float64)
    proj, tt = [], []
    for xb in xs.split(chunk):
        i = torch.cdist(xb, pts).argmin(dim=1)  # nearest sample, (B,)
        best_p, best_t, best_d = pts[i], ts[i], (xb - pts[i]).square().sum(1)
        # Refine on the segments [i-1, i] and [i, i+1] (clamped at the ends).
        for a, b in ((i - 1).clamp(min=0), i), (i, (i + 1).clamp(max=n_dense - 1)):
            seg = pts[b] - pts[a]
            s = ((xb - pts[a]) * seg).sum(1) / seg.square().sum(1).clamp(min=1e-300)
            s = s.clamp(0, 1)
            p = pts[a] + s[:, None] * seg
            d = (xb - p).square().sum(1)
            better = d < best_d
            best_p = torch.where(better[:, None], p, best_p)
            best_t = torch.where(better, ts[a] + s * (ts[b] - ts[a]), best_t)
            best_d = torch.where(better, d, best_d)
        proj.append(best_p)
        tt.append(best_t)
    return torch.cat(proj).to(x.dtype), torch.cat(tt).to(x.dtype)


