"""The shared argument checks and seeded draws (aebook._checks): every message names the
argument and the allowed range, and a draw depends on the generator, not on the device."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from aebook import _checks as C


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "3", None, np.float64(2)])
def test_integer_refuses_what_is_not_an_int_in_range(bad):
    with pytest.raises(ValueError, match=r"epochs must be an int >= 1, got"):
        C.integer(bad, "epochs")


def test_integer_accepts_numpy_ints_and_names_a_closed_range():
    assert C.integer(np.int64(3), "n") == 3 and type(C.integer(np.int64(3), "n")) is int
    with pytest.raises(ValueError, match=r"dim must be an int in \[0, 2\], got 3"):
        C.integer(3, "dim", minimum=0, maximum=2)


@pytest.mark.parametrize("value, kw, allowed", [
    (-0.1, dict(low=0.0), "a finite number >= 0"),
    (math.nan, dict(low=0.0), "a finite number >= 0"),
    (math.inf, dict(low=0.0), "a finite number >= 0"),
    (0.0, dict(low=0.0, low_open=True), "a finite number > 0"),
    (1.0, dict(low=0.0, high=1.0, high_open=True), r"a number in \[0, 1\)"),
    (True, dict(), "a finite number"),
    ("0.5", dict(), "a finite number"),
])
def test_real_names_the_interval(value, kw, allowed):
    with pytest.raises(ValueError, match=f"x must be {allowed}, got"):
        C.real(value, "x", **kw)


def test_real_accepts_one_element_tensors_and_infinity_when_allowed():
    assert C.real(torch.tensor(0.25), "r", low=0.0, high=1.0) == 0.25
    assert C.real(math.inf, "t", low=0.0, finite=False) == math.inf


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_check_finite_raises_on_nan_and_inf(bad):
    with pytest.raises(ValueError, match="weights contains NaN or inf"):
        C.check_finite(torch.tensor([1.0, bad]), "weights")
    with pytest.raises(ValueError, match="arr contains NaN or inf"):
        C.check_finite(np.array([bad]), "arr")


def test_check_finite_returns_finite_input_unchanged():
    x = torch.arange(3.0)
    assert C.check_finite(x, "x") is x
    assert C.check_finite(torch.arange(3), "ints") is not None


def test_rows_checks_shape_and_dtype_and_names_the_width():
    with pytest.raises(ValueError, match=r"z must have shape \(N, M=3\), got \(4, 2\)"):
        C.rows(torch.zeros(4, 2), 3, "z", "M")
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        C.rows(torch.zeros(4, 3, dtype=torch.long), 3)


def test_widths_and_choice_and_reduce():
    assert C.widths(64) == (64,) and C.widths([8, 4]) == (8, 4) and C.widths(()) == ()
    with pytest.raises(ValueError, match=r"hidden\[1\] must be an int >= 1"):
        C.widths((8, 0))
    with pytest.raises(ValueError, match=r"variance must be one of \('exp', 'softplus'\), got 'log'"):
        C.choice("log", "variance", ("exp", "softplus"))
    v = torch.tensor([1.0, 3.0])
    assert float(C.reduce(v, "mean")) == 2.0 and float(C.reduce(v, "sum")) == 4.0
    assert C.reduce(v, "none") is v
    with pytest.raises(ValueError, match="reduction must be one of"):
        C.reduce(v, "avg")


def test_draws_follow_the_generator_and_land_where_the_tensor_lives():
    like = torch.zeros(1, dtype=torch.float64)
    a = C.randn((5, 3), like=like, generator=torch.Generator().manual_seed(0))
    b = torch.randn((5, 3), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert torch.equal(a, b) and a.dtype == torch.float64
    u = C.rand((4,), like=torch.zeros(1), generator=torch.Generator().manual_seed(1))
    assert torch.equal(u, torch.rand(4, generator=torch.Generator().manual_seed(1)))
    with pytest.raises(TypeError, match="generator must be a torch.Generator or None"):
        C.generator(42)
