"""The figure toolkit shared by the figure modules and the widgets (aebook.figures._common)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch

from aebook.figures import digit_grid, first_of_each_digit, plot_history
from aebook.figures._common import plain_tick
from aebook.i18n import t
from aebook.train import History


def test_history_plot_has_korean_labels_and_every_term():
    h = History(train=[1.0, 0.5, 0.4], val=[1.1, 0.6, 0.5], val_epochs=[1, 2, 3],
                terms={"kl": [0.1, 0.2, 0.3]}, epochs_run=3)
    ax = plot_history(h, lang="ko", terms=True, logy=True)
    assert ax.get_xlabel() == t("epoch", "ko")
    assert ax.get_ylabel() == t("loss", "ko")
    assert ax.get_title() == t("history.title", "ko")
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert t("train", "ko") in labels and t("val", "ko") in labels
    assert f"kl ({t('train', 'ko')})" in labels and len(ax.get_lines()) == 3
    plt.close(ax.figure)


def test_first_of_each_digit_finds_the_first_occurrence():
    y = torch.tensor([3, 1, 0, 1, 3, 2])
    assert first_of_each_digit(y, range(4)).tolist() == [2, 1, 5, 0]


def test_digit_grid_draws_one_row_per_label_with_clamped_images():
    imgs = torch.linspace(-1, 2, 2 * 16).reshape(2, 16)
    fig = digit_grid([("a", imgs), ("b", imgs)], (4, 4), "title", note="n")
    assert len(fig.axes) == 4 and fig.axes[0].get_ylabel() == "a" and fig.axes[2].get_ylabel() == "b"
    shown = fig.axes[0].get_images()[0].get_array()
    assert float(shown.min()) == 0.0 and float(shown.max()) <= 1.0
    plt.close(fig)


def test_plain_tick_uses_the_unicode_minus():
    assert plain_tick(-1.5) == "−1.5" and plain_tick(2.0) == "2"
