"""Figures of section 19.1 (aebook.figures.deterministic): the network diagrams have exactly
the units the models describe. (That every figure draws, in both languages and without a
missing glyph, is tests/test_figures.py's.)"""

from __future__ import annotations

import importlib
import io

import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import Circle

from aebook.figures import registry
from aebook.models import DeepAutoencoder, LinearAutoencoder

IDS = ["19.1", "19.2", "19.3", "det.mnist-recon", "det.mnist-latent"]  # registered by the module


# trains the quick experiments (shared with the other slow modules through the cache)
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]


@pytest.fixture(scope="module")
def det():
    registry.figure_ids()  # loads every module in FIGURE_MODULES, this one included
    module = importlib.import_module("aebook.figures.deterministic")
    assert set(IDS) <= set(registry.REGISTRY)
    return module


@pytest.fixture()
def draw(no_missing_glyphs):
    def _draw(fig_id, lang):
        with no_missing_glyphs():
            fig = registry.draw(fig_id, lang=lang, mode="quick")
            fig.canvas.draw()
        return fig
    return _draw


def _circles(fig):
    return [p for ax in fig.axes for p in ax.patches if isinstance(p, Circle)]


def _layer_counts(fig):
    xs = sorted({round(c.center[0], 6) for c in _circles(fig)})
    return [sum(round(c.center[0], 6) == x for c in _circles(fig)) for x in xs]


@pytest.mark.parametrize("fig_id, model", [
    ("19.1", LinearAutoencoder(D=6, M=3)),
    ("19.2", DeepAutoencoder(D=6, M=2, hidden=(4,))),
])
def test_network_diagrams_have_the_models_units(det, fig_id, model, draw):
    fig = draw(fig_id, "en")
    try:
        assert _layer_counts(fig) == model.layer_sizes()
    finally:
        plt.close(fig)


def test_diagram_follows_layer_sizes_of_another_model(det, monkeypatch, draw):
    other = DeepAutoencoder(D=5, M=2, hidden=(3,))
    monkeypatch.setattr(det, "_figure_model_19_2", lambda: other)
    fig = draw("19.2", "ko")
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
