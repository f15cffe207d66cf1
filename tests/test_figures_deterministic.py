"""Figures of section 19.1 (aebook.figures.deterministic): they draw in both languages with
no missing glyph, and the network diagrams have exactly the units the models describe.

The module is not in ``FIGURE_MODULES`` yet (its pages come later), so it is imported here
and its registrations are removed again afterwards: other tests see the registry unchanged.
"""

from __future__ import annotations

import importlib
import io
import logging
import warnings

import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import Circle

from aebook.figures import registry
from aebook.models import DeepAutoencoder, LinearAutoencoder
from conftest import LANGS

IDS = ["19.1", "19.2", "19.3", "det.mnist-recon", "det.mnist-latent"]


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def det():
    registry.figure_ids()  # loads every module in FIGURE_MODULES, this one included
    module = importlib.import_module("aebook.figures.deterministic")
    assert set(IDS) <= set(registry.REGISTRY)
    return module


def _draw(fig_id, lang, caplog):
    caplog.clear()
    with warnings.catch_warnings(), caplog.at_level(logging.WARNING):
        warnings.simplefilter("error", UserWarning)  # a missing glyph is a broken figure
        fig = registry.draw(fig_id, lang=lang, mode="quick")
        fig.canvas.draw()
    # mathtext reports glyphs missing from its math font through logging, not warnings
    assert not [r for r in caplog.records if "glyph" in r.getMessage()], caplog.text
    return fig


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fig_id", IDS)
def test_figure_draws_without_missing_glyphs(det, fig_id, lang, caplog):
    fig = _draw(fig_id, lang, caplog)
    try:
        assert registry.get(fig_id).func.__module__ == "aebook.figures.deterministic"
        assert fig.axes
    finally:
        plt.close(fig)


def _circles(fig):
    return [p for ax in fig.axes for p in ax.patches if isinstance(p, Circle)]


def _layer_counts(fig):
    xs = sorted({round(c.center[0], 6) for c in _circles(fig)})
    return [sum(round(c.center[0], 6) == x for c in _circles(fig)) for x in xs]


@pytest.mark.parametrize("fig_id, model", [
    ("19.1", LinearAutoencoder(D=6, M=3)),
    ("19.2", DeepAutoencoder(D=6, M=2, hidden=(4,))),
])
def test_network_diagrams_have_the_models_units(det, fig_id, model, caplog):
    fig = _draw(fig_id, "en", caplog)
    try:
        assert _layer_counts(fig) == model.layer_sizes()
    finally:
        plt.close(fig)


def test_diagram_follows_layer_sizes_of_another_model(det, monkeypatch, caplog):
    other = DeepAutoencoder(D=5, M=2, hidden=(3,))
    monkeypatch.setattr(det, "_figure_model_19_2", lambda: other)
    fig = _draw("19.2", "ko", caplog)
    try:
        assert _layer_counts(fig) == [5, 3, 2, 3, 5]
    finally:
        plt.close(fig)


def test_fig19_3_is_deterministic_for_a_mode(det):
    pngs = []
    for _ in range(2):
        fig = registry.draw("19.3", lang="en", mode="quick")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=registry.DPI, metadata={"Software": None})
        plt.close(fig)
        pngs.append(buf.getvalue())
    assert pngs[0] == pngs[1]
