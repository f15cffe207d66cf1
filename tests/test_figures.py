"""Every registered figure reproduces its committed baseline, in both languages."""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import BOOK, LANGS

from aebook.figures import registry

IDS = registry.figure_ids()

# Baselines are drawn with one torch thread (python -m aebook figures --write); so are the figures
# here, and the experiments behind them, which other test modules may have cached already.
pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.slow  # draws figures of trained models
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("fig_id", IDS)
def test_figure_matches_its_baseline(fig_id, lang, tmp_path, no_missing_glyphs):
    with no_missing_glyphs():
        ok, msg = registry.compare_with_baseline(fig_id, lang, out_dir=tmp_path)
    assert ok, msg


@pytest.mark.parametrize("fig_id", IDS)
def test_figure_is_shown_on_its_page_in_both_languages(fig_id):
    spec = registry.get(fig_id)
    call = re.compile(r"figures\.(show|draw)\(\s*[\"']" + re.escape(fig_id) + r"[\"']")
    for lang in LANGS:
        path = BOOK / lang / f"{spec.page}.ipynb"
        assert path.exists(), f"figure {fig_id}: page {path} does not exist"
        nb = nbformat.read(path, as_version=4)
        assert any(call.search(c.source) for c in nb.cells if c.cell_type == "code"), \
            f"figure {fig_id} is registered for {lang}/{spec.page} but that page never shows it"


@pytest.mark.slow  # draws figures of trained models
def test_a_different_drawing_fails_the_comparison(tmp_path, monkeypatch):
    """The check can fail: swap a figure's function for another one and compare."""
    spec = registry.get(IDS[0])
    other = next(registry.get(i) for i in IDS if registry.get(i).func is not spec.func) if len(IDS) > 1 else None
    if other is None:
        pytest.skip("needs two registered figures")
    fake = registry.FigureSpec(spec.id, other.func, spec.page, spec.title, spec.tol)
    monkeypatch.setitem(registry.REGISTRY, spec.id, fake)
    ok, msg = registry.compare_with_baseline(spec.id, "en", out_dir=tmp_path)
    assert not ok and ("differs" in msg or "size" in msg.lower()), msg


def _spread_report():
    import json

    path = registry.BASELINE_DIR / "spread.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


@pytest.mark.parametrize("fig_id", IDS)
def test_tolerance_covers_the_spread_measured_across_kernel_settings(fig_id):
    """Each figure's tolerance was set from a measurement (python3 tools/make.py spread), not
    guessed: it must cover the largest difference seen across CPU kernel settings with a
    factor SAFETY to spare. A data tolerance must stay below 0.75, so that a drawing whose
    arrays all doubled (a relative difference of 1) still fails; and the drawing itself (axes,
    labels, texts without their numbers) must not have changed with the kernels at all."""
    from aebook.figures.spread import SAFETY, spread_of, structure_differences

    report = _spread_report()
    assert report is not None, "book/figures/spread.json is missing: run python3 tools/make.py spread"
    assert fig_id in report["figures"], f"{fig_id} was not measured: run python3 tools/make.py spread"
    spec = registry.get(fig_id)
    rms, dev = spread_of(report, fig_id)
    if spec.check == "pixels":
        assert rms * SAFETY <= spec.tol, (f"{fig_id}: pixels moved by RMS {rms} across kernels; a "
                                          f"pixel check with tol {spec.tol} is not safe, compare its data")
    else:
        assert dev * SAFETY <= spec.data_tol <= 0.75, (f"{fig_id}: data moved by {dev} across kernels, "
                                                       f"data_tol is {spec.data_tol}")
    assert not structure_differences(report, fig_id)


@pytest.mark.slow  # draws figures of trained models
def test_data_comparison_fails_when_the_plotted_numbers_move(tmp_path, monkeypatch):
    """The data check can fail: shift what a data-checked figure plots by 5 % of its size."""
    import matplotlib.pyplot as plt

    fig_id = next((i for i in IDS if registry.get(i).check == "data"), None)
    if fig_id is None:
        pytest.skip("no figure is data-checked")
    spec = registry.get(fig_id)
    real = spec.func

    def shifted(lang=None, mode=None):
        fig = real(lang=lang, mode=mode)
        for ax in fig.axes:
            for line in ax.get_lines():
                line.set_xdata([v * 1.05 for v in line.get_xdata()])
                line.set_ydata([v * 1.05 for v in line.get_ydata()])
            for coll in ax.collections:
                coll.set_offsets(coll.get_offsets() * 1.05)
            for im in ax.get_images():
                im.set_data(im.get_array() * 1.05)
        return fig

    monkeypatch.setitem(registry.REGISTRY, fig_id, registry.FigureSpec(
        spec.id, shifted, spec.page, spec.title, spec.tol, spec.extra, spec.check, spec.data_tol))
    ok, msg = registry.compare_with_baseline(fig_id, "en", out_dir=tmp_path)
    plt.close("all")
    assert not ok and "plotted data moved" in msg, msg


@pytest.mark.slow  # draws figures of trained models
def test_missing_baseline_is_reported_with_the_command_to_draw_it(tmp_path, monkeypatch):
    spec = registry.get(IDS[0])
    monkeypatch.setattr(registry, "BASELINE_DIR", tmp_path)
    ok, msg = registry.compare_with_baseline(spec.id, "en", out_dir=tmp_path)
    assert not ok and "python -m aebook figures --write" in msg


@pytest.mark.parametrize("bad", ["19", "fig19.3", "19.3a", "Intro.x", ""])
def test_register_rejects_malformed_ids(bad):
    with pytest.raises(ValueError, match="figure id"):
        registry.register(bad, page="x", title={"ko": "가", "en": "a"})


def test_register_requires_both_languages():
    with pytest.raises(ValueError, match="lacks the language"):
        registry.register("test.one", page="x", title={"en": "only English"})


def test_register_refuses_a_second_function_for_the_same_id():
    with pytest.raises(ValueError, match="already registered"):
        registry.register(IDS[0], page="x", title={"ko": "가", "en": "a"})(lambda lang=None, mode=None: None)


def test_ids_are_in_reading_order():
    key = registry._sort_key
    assert sorted(["intro.b", "19.10", "alg19.1", "19.2", "19.1"], key=key) == \
        ["19.1", "19.2", "19.10", "alg19.1", "intro.b"]


def test_index_lists_every_figure_in_both_languages():
    for lang in LANGS:
        table = registry.index_markdown(lang)
        for fig_id in IDS:
            assert fig_id in table
            # a "|" in a title is escaped, or it would split the Markdown cell
            assert registry.get(fig_id).title[lang].replace("|", "\\|") in table


def test_unknown_figure_id_names_the_known_ones():
    with pytest.raises(KeyError, match="known:"):
        registry.get("19.99")
