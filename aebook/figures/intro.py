"""Figures of the chapter opening: the encoder-code-decoder schematic and the data sets."""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyArrowPatch, Polygon, Rectangle

from ..i18n import resolve_lang, t
from .registry import register


def _column(ax, x0, values, cmap, width=0.32, height=0.32, gap=0.06):
    """Draw a vertical stack of squares whose colours show a vector; return (top, bottom)."""
    n = len(values)
    total = n * height + (n - 1) * gap
    top = total / 2
    for i, v in enumerate(values):
        y = top - i * (height + gap) - height
        ax.add_patch(Rectangle((x0 - width / 2, y), width, height, facecolor=cmap(v), edgecolor="0.25", lw=0.8))
    return top, -top


@register("intro.autoencoder", page="ch19_intro",
          title={"en": "An autoencoder maps x to a code z(x) and back to y(z); training compares y with x",
                 "ko": "오토인코더는 x를 코드 z(x)로 바꾸고 다시 y(z)로 되돌리며, 학습은 y와 x를 비교한다"})
def intro_autoencoder(lang: str | None = None, mode: str | None = None):
    """Schematic of an autoencoder: input vector, encoder, small code, decoder, output.

    The colours of the input and output squares are two close vectors (the output is the
    input plus a small, fixed perturbation), to suggest an imperfect reconstruction.
    """
    lang = resolve_lang(lang)
    cmap = plt.get_cmap("viridis")
    d = 8
    x = 0.5 + 0.45 * np.sin(np.linspace(0.3, 5.5, d))
    y = np.clip(x + 0.08 * np.cos(np.linspace(0, 9, d)), 0, 1)
    z = np.array([0.2, 0.85])

    fig, ax = plt.subplots(figsize=(8.0, 3.6))
    top_x, bot_x = _column(ax, 0.0, x, cmap)
    top_z, bot_z = _column(ax, 3.0, z, plt.get_cmap("magma"))
    _column(ax, 6.0, y, cmap)
    for x0, x1, wide_first in ((0.35, 2.65, True), (3.35, 5.65, False)):
        a, b = (top_x, top_z) if wide_first else (top_z, top_x)
        ax.add_patch(Polygon([(x0, a), (x1, b), (x1, -b), (x0, -a)], closed=True,
                             facecolor="#d9e6f2" if wide_first else "#f2e2d9", edgecolor="0.3", lw=1.0))
    ax.text(1.5, 0, t("encoder", lang), ha="center", va="center", fontsize=12)
    ax.text(4.5, 0, t("decoder", lang), ha="center", va="center", fontsize=12)
    ax.text(0.0, top_x + 0.25, t("intro.x", lang), ha="center", fontsize=11)
    ax.text(3.0, top_x + 0.25, t("intro.z", lang), ha="center", fontsize=11)
    ax.text(6.0, top_x + 0.25, t("intro.y", lang), ha="center", fontsize=11)
    ax.text(3.0, bot_x - 0.08, t("intro.constraints", lang), ha="center", va="top", fontsize=9, color="0.3")
    arrow = FancyArrowPatch((6.0, bot_x - 0.15), (0.0, bot_x - 0.15), connectionstyle="arc3,rad=-0.18",
                            arrowstyle="<|-|>", mutation_scale=12, color="#b03a2e", lw=1.4)
    ax.add_patch(arrow)
    ax.text(3.0, bot_x - 0.85, t("intro.loss", lang), ha="center", va="top", fontsize=11, color="#b03a2e")
    ax.set_xlim(-0.8, 6.8)
    ax.set_ylim(bot_x - 1.4, top_x + 0.7)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(t("intro.title", lang), fontsize=12)
    fig.tight_layout()
    return fig


@functools.lru_cache(maxsize=1)
def _overview_data():
    """Everything the data overview draws (cached: the ko and en figures share it)."""
    from .. import data, densities

    mnist = data.load_mnist5k()
    digits = data.load_digits8()
    surface = data.curved_surface(n_train=600, n_test=10, seed=0)
    curve = data.curve_2d(n_train=300, n_test=10, seed=0)
    gm = densities.default_mixture()
    return mnist, digits, surface, curve, gm


@register("intro.data", page="ch19_intro",
          title={"en": "The offline data sets used throughout the book",
                 "ko": "이 책 전체에서 쓰는 오프라인 데이터"})
def intro_data(lang: str | None = None, mode: str | None = None):
    """MNIST-5k and sklearn digits samples, the curved surface (Fig. 19.3), the curve
    (Fig. 19.4) and the Gaussian mixture with its density, as the loaders return them."""
    import torch

    lang = resolve_lang(lang)
    mnist, digits, surface, curve, gm = _overview_data()
    fig = plt.figure(figsize=(12.0, 2.8))
    grid = fig.add_gridspec(1, 5, wspace=0.25, left=0.01, right=0.99, bottom=0.03, top=0.8)

    def tile(imgs, side, rows, cols):
        imgs = imgs[: rows * cols].reshape(rows, cols, side, side)
        return imgs.permute(0, 2, 1, 3).reshape(rows * side, cols * side).numpy()

    for k, (split, side, key) in enumerate(((mnist, 28, "data.mnist5k"), (digits, 8, "data.digits"))):
        ax = fig.add_subplot(grid[0, k])
        # two examples of each digit, in the order 0..9 (row by row)
        pick = torch.cat([torch.nonzero(split.y_train == c)[:2, 0] for c in range(10)])
        ax.imshow(tile(split.x_train[pick], side, 4, 5), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(t(key, lang), fontsize=10)
        ax.axis("off")

    ax = fig.add_subplot(grid[0, 2], projection="3d")
    p = surface.x_train.numpy()
    ax.scatter(p[:, 0], p[:, 1], p[:, 2], s=3, c=p[:, 2], cmap="viridis")
    ax.set_title(t("data.surface", lang), fontsize=10)
    ax.view_init(elev=25, azim=-60)
    ax.set_xticklabels([])
    ax.set_yticklabels([])
    ax.set_zticklabels([])

    ax = fig.add_subplot(grid[0, 3])
    c = curve.x_train.numpy()
    ax.scatter(c[:, 0], c[:, 1], s=4, color="#2e86c1")
    ax.set_title(t("data.curve", lang), fontsize=10)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])

    ax = fig.add_subplot(grid[0, 4])
    lo, hi = gm.means.min(0).values - 3 * 1.0, gm.means.max(0).values + 3 * 1.0
    gx, gy = np.meshgrid(np.linspace(float(lo[0]), float(hi[0]), 120), np.linspace(float(lo[1]), float(hi[1]), 120))
    pts = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1))
    dens = gm.log_prob(pts).exp().reshape(gx.shape).numpy()
    ax.contourf(gx, gy, dens, levels=12, cmap="Blues")
    ax.set_title(t("data.gmm", lang), fontsize=10)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.suptitle(t("data.title", lang), fontsize=12, y=0.98)
    return fig
