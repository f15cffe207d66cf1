"""What the figure modules (and the widgets) share: a grid of digit images, the held-out
digits shown in every such grid, tick formatters that the Korean font can draw, and the plot
of a training history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import matplotlib.pyplot as plt
import torch

from ..i18n import t

__all__ = ["digit_grid", "first_of_each_digit", "plain_log_formatter", "plain_tick", "plot_history"]


def first_of_each_digit(y: torch.Tensor, digits: Iterable[int] = range(10)) -> torch.Tensor:
    """Indices of the first example of each of ``digits`` in the labels ``y`` (fixed, so every
    digit grid shows the same images)."""
    return torch.stack([torch.nonzero(y == d)[0, 0] for d in digits])


def digit_grid(rows: Sequence[tuple[str, torch.Tensor]], image_shape: tuple[int, int], title: str, *,
               note: str | None = None, label_size: float = 9, cell: float = 0.85,
               label_width: float = 1.9):
    """A grid of images: one row per ``(label, images)`` in ``rows`` (``images: (n, H*W)``,
    values in [0, 1], clamped), the label on the left; ``cell`` inches per image and
    ``label_width`` inches for the labels."""
    n = rows[0][1].shape[0]
    h = len(rows)
    W, H = cell * n + label_width + 0.1, cell * h + 0.9
    fig, axes = plt.subplots(h, n, figsize=(W, H), squeeze=False)
    for r, (label, imgs) in enumerate(rows):
        for c in range(n):
            ax = axes[r, c]
            ax.imshow(imgs[c].reshape(image_shape).clamp(0, 1).numpy(), cmap="gray_r",
                      vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            for sp in ax.spines.values():
                sp.set_visible(False)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=label_size)
    fig.suptitle(title, fontsize=11)
    if note:
        fig.text(0.99, 0.005, note, ha="right", va="bottom", fontsize=8)
    fig.subplots_adjust(left=label_width / W, right=0.99, bottom=0.35 / H, top=1 - 0.5 / H,
                        wspace=0.05, hspace=0.08)
    return fig


def plain_tick(v: float, _pos=None) -> str:
    """A tick label without mathtext, whose minus sign has no glyph in the Korean font."""
    return f"{v:g}".replace("-", "−")


def plain_log_formatter(**kw):
    """matplotlib's ``LogFormatter`` (which ticks get a label) writing ``f"{x:g}"`` labels."""
    from matplotlib.ticker import LogFormatter

    class PlainLogFormatter(LogFormatter):
        def _num_to_string(self, x, vmin, vmax):
            return f"{x:g}"

    return PlainLogFormatter(**kw)


def plot_history(history, ax=None, terms: bool | Iterable[str] = False, lang: str | None = None,
                 logy: bool = False):
    """Plot the training and held-out loss of a :class:`aebook.train.History` against the epoch;
    return the matplotlib ``Axes``.

    Args:
        ax: axes to draw into (a new figure is made when ``None``).
        terms: ``True`` also draws every logged term (dashed: train, dotted: held-out); an
            iterable of names draws only those.
        lang: label language (``"ko"``/``"en"``); ``None`` uses the one set by ``setup``.
        logy: logarithmic loss axis.
    """
    from matplotlib.ticker import MaxNLocator

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.5), layout="constrained")
    epochs = list(range(1, len(history.train) + 1))
    tr, va = t("train", lang), t("val", lang)
    ax.plot(epochs, history.train, marker="o", ms=3, label=tr)
    if history.val:
        ax.plot(history.val_epochs, history.val, marker="s", ms=3, label=va)
    if terms:
        names = list(history.terms) if terms is True else list(terms)
        for name in names:
            color = None
            if name in history.terms:
                (line,) = ax.plot(epochs, history.terms[name], ls="--", label=f"{name} ({tr})")
                color = line.get_color()
            if name in history.val_terms:
                ax.plot(history.val_epochs, history.val_terms[name], ls=":", color=color,
                        label=f"{name} ({va})")
    ax.set_xlabel(t("epoch", lang))
    ax.set_ylabel(t("loss", lang))
    ax.set_title(t("history.title", lang))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if logy:
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(plain_log_formatter())
        ax.yaxis.set_minor_formatter(plain_log_formatter(labelOnlyBase=False, minor_thresholds=(2, 0.4)))
    ax.legend()
    ax.grid(alpha=0.3)
    return ax
