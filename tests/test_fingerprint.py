"""The figure fingerprint: the numbers a figure plots and its drawing without the numbers."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from aebook.figures.fingerprint import (
    compare_data,
    compare_structure,
    data_deviation,
    figure_data,
    figure_structure,
)


def _figure(shift: float = 0.0, title_value: float = 36.05, label: str = "error"):
    fig, (a, b) = plt.subplots(1, 2, figsize=(4, 2))
    x = np.linspace(0, 1, 5)
    a.plot(x, x**2 + shift, label="train")
    a.scatter(x, -x + shift, c=x)
    a.set_title(f"{label} {title_value:.2f}")
    a.legend()
    b.imshow(np.arange(6.0).reshape(2, 3) + shift)
    b.bar([0, 1], [2.0, 3.0 + shift])
    b.text(0.5, 0.5, "M = 30")
    return fig


def test_figure_data_reads_back_what_was_plotted():
    fig = _figure()
    d = figure_data(fig)
    np.testing.assert_allclose(d["ax0/line0"][:, 1], np.linspace(0, 1, 5) ** 2)
    np.testing.assert_allclose(d["ax0/offsets0"][:, 1], -np.linspace(0, 1, 5))
    np.testing.assert_allclose(d["ax0/values0"], np.linspace(0, 1, 5))
    np.testing.assert_allclose(d["ax1/image0"], np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(d["ax1/patches"][:, 3], [2.0, 3.0])
    assert d["ax0/numbers"].tolist() == [36.05]
    assert d["ax1/numbers"].tolist() == [30.0]
    plt.close(fig)


def test_structure_masks_numbers_and_keeps_words():
    s = figure_structure(_figure(title_value=36.44))
    t = figure_structure(_figure(title_value=36.05))
    assert s == t and s["axes"][0]["title"] == "error #" and s["axes"][1]["texts"] == ["M = #"]
    assert compare_structure(figure_structure(_figure(label="loss")), t) == "axes 0 title: 'loss #' vs 'error #'"
    plt.close("all")


def test_deviation_is_relative_to_the_size_of_what_is_plotted():
    e = np.array([3.0, 4.0])
    assert data_deviation(e, e) == 0.0
    assert data_deviation(e * 1.01, e) == pytest.approx(0.01)
    assert data_deviation(e[:1], e) == float("inf")
    assert data_deviation(np.array([np.nan, 1.0]), np.array([np.nan, 1.0])) == 0.0
    assert data_deviation(np.array([np.nan, 1.0]), np.array([1.0, 1.0])) == float("inf")


def test_compare_data_names_the_array_that_moved_most():
    a, b = figure_data(_figure()), figure_data(_figure(shift=0.5))
    worst, where = compare_data(b, a)
    assert worst > 0.1 and where.startswith("ax")
    del b["ax1/image0"]
    assert compare_data(b, a) == (float("inf"), "ax1/image0 (missing)")
    plt.close("all")
