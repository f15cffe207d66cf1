"""aebook.widgets: the reconstruction explorer draws a static figure in both languages with no
missing glyph, returns a live widget only on request, and rejects bad arguments."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from conftest import LANGS

from aebook import widgets

# trains the quick experiments (shared with the other slow modules through the cache)
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]


@pytest.mark.parametrize("lang", LANGS)
def test_static_figure_draws_without_missing_glyphs(lang, no_missing_glyphs):
    with no_missing_glyphs():
        fig = widgets.reconstruction_figure(lang=lang, mode="quick")
        fig.canvas.draw()
    # a row of originals, then a PCA and a deep-AE row for each of the two Ms; 8 digits each
    assert len(fig.axes) == (1 + 2 * 2) * 8
    plt.close(fig)


def test_static_call_displays_one_png_of_every_M_and_returns_nothing(monkeypatch):
    shown = []
    monkeypatch.setattr(widgets, "_display_png", shown.append)
    assert widgets.reconstruction_explorer(Ms=(2, 30), n_images=3, lang="en", mode="quick") is None
    assert len(shown) == 1 and shown[0][:8] == b"\x89PNG\r\n\x1a\n"
    import io

    from matplotlib.image import imread
    h, w = imread(io.BytesIO(shown[0])).shape[:2]
    assert h > w / 2  # five rows (originals, PCA and AE for two Ms) of three digits: tall
    assert widgets.reconstruction_explorer(lang="en", mode="quick", show=False) is None and len(shown) == 1


def test_the_kernel_free_explorer_is_one_picture_per_setting_behind_a_labelled_range_input(monkeypatch):
    html = []
    monkeypatch.setattr(widgets, "_display_png", lambda data: None)
    monkeypatch.setattr(widgets, "_display_html", html.append)
    widgets.reconstruction_explorer(Ms=(2, 30), n_images=3, lang="ko", mode="quick")
    assert len(html) == 1
    page = html[0]
    assert page.count("<img ") == 2 and page.count(" hidden>") == 1  # M = 2 shown, M = 30 hidden
    assert 'max="1"' in page and 'data-labels="[&quot;2&quot;, &quot;30&quot;]"' in page
    assert "코드 크기 M" in page and 'alt="MNIST-5k 평가 숫자: PCA와 심층 오토인코더: 코드 크기 M = 30"' in page
    assert "oninput=" in page and "<script" not in page


def test_frames_html_escapes_its_text_and_rejects_mismatched_frames():
    page = widgets.frames_html('a "title" <b>', "σ", ["0.1", "0.5"], [b"x", b"y"])
    assert "<b>" not in page and "&quot;title&quot;" in page
    assert page.index("base64,eA==") < page.index("base64,eQ==")  # in the order of the labels
    with pytest.raises(ValueError, match="labels and pngs"):
        widgets.frames_html("t", "d", ["1"], [])
    with pytest.raises(ValueError, match="labels and pngs"):
        widgets.frames_html("t", "d", [], [])


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


# ------------------------------------------------------------------------------------------------
# the denoising explorer (section 19.1.4)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", ["mask", "gaussian"])
def test_denoising_figure_stacks_every_level_without_missing_glyphs(kind, lang, no_missing_glyphs):
    import matplotlib

    from aebook.i18n import font_rc

    with no_missing_glyphs(), matplotlib.rc_context(font_rc(lang)):
        fig = widgets.denoising_figure(kind, n_images=4, lang=lang, mode="quick")
        fig.canvas.draw()
    # originals, then input / plain AE / DAE rows for each of the three levels; 4 digits each
    assert len(fig.axes) == (1 + 3 * 3) * 4
    plt.close(fig)


def test_denoising_slider_offers_the_trained_levels():
    pytest.importorskip("ipywidgets")
    w = widgets.denoising_explorer("mask", n_images=3, lang="en", mode="quick", interactive=True,
                                   show=False)
    slider, image = w.children
    assert tuple(slider.options) == (0.25, 0.5, 0.75)
    first = image.value
    slider.value = 0.75
    assert image.value != first and image.value[:4] == b"\x89PNG"
    assert widgets.denoising_explorer("gaussian", lang="en", mode="quick", show=False) is None


@pytest.mark.parametrize("kwargs", [{"kind": "salt"}, {"n_images": 0}, {"lang": "fr"},
                                    {"interactive": 1}])
def test_denoising_explorer_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        widgets.denoising_explorer(mode="quick", show=False, **kwargs)


# --- section 19.2.2: the β explorer and the latent explorer ------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_beta_and_latent_figures_draw_without_missing_glyphs(lang, no_missing_glyphs):
    with no_missing_glyphs():
        fig = widgets.beta_figure(n_images=4, lang=lang, mode="quick")
        fig.canvas.draw()
        fig2 = widgets.latent_figure(lang=lang, mode="quick", z2=1.0)
        fig2.canvas.draw()
    from aebook.experiments import beta_sweep
    assert len(fig.axes) == (1 + 2 * len(beta_sweep(mode="quick").betas)) * 4
    assert len(fig2.axes) == 10 * 9   # one row per class, nine values of z1
    plt.close(fig)
    plt.close(fig2)


def test_beta_slider_offers_the_trained_betas_and_latent_sliders_redraw():
    pytest.importorskip("ipywidgets")
    from aebook.experiments import beta_sweep
    w = widgets.beta_explorer(n_images=2, lang="en", mode="quick", interactive=True, show=False)
    slider, image = w.children
    assert tuple(slider.options) == beta_sweep(mode="quick").betas
    first = image.value
    slider.value = slider.options[-1]
    assert image.value != first
    w = widgets.latent_explorer(lang="ko", mode="quick", interactive=True, show=False)
    (z1, _z2, klass), image = w.children[0].children, w.children[1]
    before = image.value
    klass.value = 7
    assert image.value != before
    z1.value = 2.0
    assert image.value != before


def test_beta_and_latent_explorers_reject_bad_arguments():
    with pytest.raises(ValueError, match="n_images"):
        widgets.beta_explorer(n_images=0, show=False)
    with pytest.raises(ValueError, match="interactive"):
        widgets.latent_explorer(interactive="yes", show=False)
    with pytest.raises(ValueError, match=r"z2 must be a number in \[-4, 4\]"):
        widgets.latent_figure(z2=9)
