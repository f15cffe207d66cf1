"""aebook.widgets: the reconstruction explorer draws a static figure in both languages with no
missing glyph, returns a live widget only on request, and rejects bad arguments."""

from __future__ import annotations

import logging
import warnings

import matplotlib.pyplot as plt
import pytest

from aebook import widgets
from conftest import LANGS


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("lang", LANGS)
def test_static_figure_draws_without_missing_glyphs(lang, caplog):
    caplog.clear()
    with warnings.catch_warnings(), caplog.at_level(logging.WARNING):
        warnings.simplefilter("error", UserWarning)  # a missing glyph is a broken figure
        fig = widgets.reconstruction_figure(lang=lang, mode="quick")
        fig.canvas.draw()
    assert not [r for r in caplog.records if "glyph" in r.getMessage().lower()], caplog.text
    # a row of originals, then a PCA and a deep-AE row for each of the two Ms; 8 digits each
    assert len(fig.axes) == (1 + 2 * 2) * 8
    plt.close(fig)


def test_static_call_returns_nothing():
    assert widgets.reconstruction_explorer(lang="en", mode="quick", show=False) is None


def test_interactive_widget_offers_exactly_the_trained_Ms():
    ipywidgets = pytest.importorskip("ipywidgets")
    w = widgets.reconstruction_explorer(Ms=(2, 30), n_images=4, lang="ko", mode="quick",
                                        interactive=True, show=False)
    assert isinstance(w, ipywidgets.VBox)
    slider, image = w.children
    assert tuple(slider.options) == (2, 30)
    first = image.value
    assert first[:4] == b"\x89PNG"
    slider.value = 30
    assert image.value != first


@pytest.mark.parametrize("kwargs", [
    {"Ms": ()}, {"Ms": (2, 2)}, {"Ms": (0,)}, {"Ms": (784,)}, {"Ms": "2"},
    {"n_images": 0}, {"n_images": 11}, {"n_images": 2.5}, {"n_images": True},
    {"lang": "fr"}, {"interactive": "yes"},
])
def test_bad_arguments_raise_value_error(kwargs):
    with pytest.raises(ValueError):
        widgets.reconstruction_explorer(mode="quick", show=False, **kwargs)
