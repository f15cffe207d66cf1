"""Figures of section 19.1, deterministic autoencoders: Figs. 19.1-19.3 and our own extras.

The network diagrams (19.1, 19.2) are drawn from a model's ``layer_sizes()`` and
``activations()``, so the picture is the network the code builds. Fig. 19.3 and the MNIST
extras draw the trained models of :mod:`aebook.experiments` (cached there per mode and seed,
so the Korean and English versions share one training run).

Units are :class:`matplotlib.patches.Circle` patches and nothing else in these figures is a
Circle, so a test can count the units.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import Circle

from ..i18n import register_strings, resolve_lang, t
from ._common import digit_grid, first_of_each_digit
from .registry import register

register_strings({
    "det.input": {"en": "inputs", "ko": "입력"},
    "det.hidden": {"en": "hidden units", "ko": "은닉층"},
    "det.output": {"en": "outputs", "ko": "출력"},
    "det.bottleneck": {"en": "bottleneck", "ko": "병목"},
    "det.sigmoid": {"en": "sigmoid", "ko": "시그모이드"},
    "det.linear": {"en": "linear", "ko": "선형"},
    "det.fig1.title": {"en": "Linear autoencoder: D inputs, M < D hidden units, D outputs",
                       "ko": "선형 오토인코더: 입력 D개, 은닉 유닛 M < D개, 출력 D개"},
    "det.fig1.note": {"en": "biases omitted", "ko": "편향은 생략"},
    "det.fig2.title": {"en": "Four-layer autoassociative network", "ko": "4층 자기연상 신경망"},
    "det.F1": {"en": r"$F_1$: encoder", "ko": r"$F_1$: 인코더"},
    "det.F2": {"en": r"$F_2$: decoder", "ko": r"$F_2$: 디코더"},
    "det.layer": {"en": "layer {k}", "ko": "{k}층"},
    "det.fig3.left": {"en": r"data space: surface $\mathcal{S}$ = $F_2$(latent grid)",
                      "ko": r"데이터 공간: 곡면 $\mathcal{S}$ = $F_2$(잠재 격자)"},
    "det.fig3.right": {"en": r"latent space: $F_1(\mathbf{x})$", "ko": r"잠재 공간: $F_1(\mathbf{x})$"},
    "det.fig3.colour": {"en": r"true coordinate $u$", "ko": r"실제 좌표 $u$"},
    "det.fig3.title": {"en": "A deep autoencoder with M = 2 on a curved surface in 3-D",
                       "ko": "3차원 곡면 위의 심층 오토인코더 (M = 2)"},
    "det.fig3.errors": {"en": "held-out error: AE {ae:.4f}, PCA {pca:.4f}",
                        "ko": "평가 오차: 오토인코더 {ae:.4f}, PCA {pca:.4f}"},
    "det.original": {"en": "original", "ko": "원본"},
    "det.pca_m": {"en": "PCA, M = {M}", "ko": "PCA, M = {M}"},
    "det.ae_m": {"en": "deep AE, M = {M}", "ko": "심층 AE, M = {M}"},
    "det.recon.title": {"en": "Held-out MNIST-5k digits: PCA vs deep autoencoder",
                        "ko": "MNIST-5k 평가 숫자: PCA와 심층 오토인코더"},
    "det.latent.title": {"en": "2-D codes of held-out MNIST-5k digits",
                         "ko": "MNIST-5k 평가 숫자의 2차원 코드"},
    "det.latent.pca": {"en": "PCA (M = 2), error {e:.1f}", "ko": "PCA (M = 2), 오차 {e:.1f}"},
    "det.latent.ae": {"en": "deep AE (M = 2), error {e:.1f}", "ko": "심층 AE (M = 2), 오차 {e:.1f}"},
    "det.digit": {"en": "digit", "ko": "숫자"},
})

_UNIT_R = 0.28
_FILL = {None: "#f4f6f7", "linear": "#d6eaf8", "sigmoid": "#fdebd0", "tanh": "#fdebd0",
         "relu": "#fdebd0"}


def _layer_ys(n: int, gap: float = 0.8) -> np.ndarray:
    """Vertical positions of ``n`` units centred on 0, top to bottom."""
    return (np.arange(n)[::-1] - (n - 1) / 2) * gap


def _draw_network(ax, sizes: list[int], acts: list[str | None], xs: list[float],
                  glyphs: bool) -> list[np.ndarray]:
    """Units as Circles, every connection between consecutive layers as a line."""
    ys = [_layer_ys(n) for n in sizes]
    for k in range(len(sizes) - 1):
        for y0 in ys[k]:
            for y1 in ys[k + 1]:
                ax.plot([xs[k], xs[k + 1]], [y0, y1], color="0.55", lw=0.7, zorder=1)
    for k, (x, layer_y) in enumerate(zip(xs, ys)):
        for y in layer_y:
            ax.add_patch(Circle((x, y), _UNIT_R, facecolor=_FILL.get(acts[k], "white"),
                                edgecolor="0.2", lw=1.1, zorder=3))
            if glyphs and acts[k] is not None:
                _glyph(ax, x, y, acts[k])
    return ys


def _glyph(ax, x: float, y: float, act: str) -> None:
    """A small activation curve inside a unit: an S for sigmoid (and tanh), a line for linear,
    a hinge for relu."""
    s = np.linspace(-1, 1, 30)
    if act in ("sigmoid", "tanh"):
        g = np.tanh(3.0 * s)
    elif act == "relu":
        g = np.maximum(s, 0) * 2 - 0.6
    else:
        g = 0.8 * s
    w = _UNIT_R * 0.62
    ax.plot(x + w * s, y + w * 0.75 * g, color="0.1", lw=1.1, zorder=4)


def _figure_model_19_1():
    from ..models import LinearAutoencoder

    return LinearAutoencoder(D=6, M=3)


def _figure_model_19_2():
    from ..models import DeepAutoencoder

    return DeepAutoencoder(D=6, M=2, hidden=(4,))


@register("19.1", page="ch19_1_1_linear",
          title={"en": "Two-layer autoencoder: D inputs, M < D hidden units, D outputs",
                 "ko": "2층 오토인코더: 입력 D개, 은닉 유닛 M < D개, 출력 D개"})
def fig19_1(lang: str | None = None, mode: str | None = None):
    """The network of Fig. 19.1, drawn from ``LinearAutoencoder(D=6, M=3).layer_sizes()``:
    D input units, M hidden units, D output units, every connection drawn, biases omitted."""
    lang = resolve_lang(lang)
    model = _figure_model_19_1()
    sizes = model.layer_sizes()
    xs = [0.0, 2.6, 5.2]
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ys = _draw_network(ax, sizes, model.activations(), xs, glyphs=False)
    D, M = sizes[0], sizes[1]
    for i, y in enumerate(ys[0], start=1):
        ax.text(xs[0] - 0.45, y, rf"$x_{i}$", ha="right", va="center", fontsize=11)
    for i, y in enumerate(ys[2], start=1):
        ax.text(xs[2] + 0.45, y, rf"$y_{i}$", ha="left", va="center", fontsize=11)
    for i, y in enumerate(ys[1], start=1):
        ax.text(xs[1], y, rf"$z_{i}$", ha="center", va="center", fontsize=10, zorder=5)
    top = ys[0][0] + 0.7
    labels = [f"{t('det.input', lang)}\n$D = {D}$", f"{t('det.hidden', lang)}\n$M = {M}$",
              f"{t('det.output', lang)}\n$D = {D}$"]
    for x, lab in zip(xs, labels):
        ax.text(x, top, lab, ha="center", va="bottom", fontsize=11, linespacing=1.6)
    ax.text(xs[1], ys[0][-1] - 0.75, t("det.fig1.note", lang), ha="center", va="top",
            fontsize=9, color="0.35")
    ax.set_xlim(xs[0] - 1.1, xs[2] + 1.1)
    ax.set_ylim(ys[0][-1] - 1.2, top + 1.0)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    return fig


def _bracket(ax, x0: float, x1: float, y: float, label: str, color: str) -> None:
    """A square bracket under the layers ``x0..x1`` with a label below it."""
    h = 0.22
    ax.plot([x0, x0, x1, x1], [y + h, y, y, y + h], color=color, lw=1.6, zorder=2)
    ax.text((x0 + x1) / 2, y - 0.15, label, ha="center", va="top", fontsize=12, color=color)


@register("19.2", page="ch19_1_2_deep",
          title={"en": "Four-layer autoassociative network: mappings F1 (encode) and F2 (decode)",
                 "ko": "4층 자기연상 신경망: 인코딩 사상 F1과 디코딩 사상 F2"})
def fig19_2(lang: str | None = None, mode: str | None = None):
    """The network of Fig. 19.2, drawn from ``DeepAutoencoder(D=6, M=2, hidden=(4,))``'s
    ``layer_sizes()`` and ``activations()``: inputs, a sigmoid layer, the linear M-unit
    bottleneck, a sigmoid layer and linear outputs; brackets mark F1 and F2."""
    lang = resolve_lang(lang)
    model = _figure_model_19_2()
    sizes, acts = model.layer_sizes(), model.activations()
    b = model.bottleneck_index()
    step = 2.0
    xs = [k * step for k in range(len(sizes))]
    fig, ax = plt.subplots(figsize=(8.4, 5.2))
    ys = _draw_network(ax, sizes, acts, xs, glyphs=True)
    top = max(y[0] for y in ys) + 0.6
    for k, (x, n, act) in enumerate(zip(xs, sizes, acts)):
        if k == 0:
            name = t("det.input", lang)
        elif k == len(sizes) - 1:
            name = t("det.output", lang)
        elif k == b:
            name = t("det.bottleneck", lang)
        else:
            name = t("det.layer", lang, k=k)
        sym = "D" if k in (0, len(sizes) - 1) else ("M" if k == b else "H")
        if act is None:
            kind = ""
        else:
            kind = "\n" + (t(f"det.{act}", lang) if act in ("sigmoid", "linear") else act)
        ax.text(x, top, f"{name}\n${sym} = {n}${kind}", ha="center", va="bottom", fontsize=10,
                linespacing=1.6)
    bottom = min(y[-1] for y in ys) - 0.65
    _bracket(ax, xs[0] - 0.3, xs[b] - 0.08, bottom, t("det.F1", lang), "#1f618d")
    _bracket(ax, xs[b] + 0.08, xs[-1] + 0.3, bottom, t("det.F2", lang), "#a04000")
    ax.set_xlim(xs[0] - 0.8, xs[-1] + 0.8)
    ax.set_ylim(bottom - 0.8, top + 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(t("det.fig2.title", lang), fontsize=12)
    fig.tight_layout()
    return fig


# a trained model: data checked; measured spread across kernels 5e-7 (python3 tools/make.py spread)
@register("19.3", page="ch19_1_2_deep", check="data", data_tol=0.001,
          title={"en": "F2 maps the 2-D latent space onto a curved surface S in data space; "
                       "F1 projects the data onto the latent space",
                 "ko": "F2는 2차원 잠재 공간을 데이터 공간의 곡면 S로 보내고, "
                       "F1은 데이터를 잠재 공간으로 사영한다"})
def fig19_3(lang: str | None = None, mode: str | None = None):
    """Fig. 19.3 from :func:`aebook.experiments.deep_vs_pca_surface`: left, data points in 3-D
    and the learned surface ``S = F2(latent grid)`` as a wireframe; right, ``F1``'s codes of
    the data, coloured by the true intrinsic coordinate ``u``, with the latent grid. The grid is
    ``F1`` of a regular (u, v) grid on the clean surface (so it covers the latent region the
    data occupy and shows how F1 warps the surface's coordinates); S is ``F2`` of it."""
    from ..data import saddle
    from ..experiments import deep_vs_pca_surface, surface_data

    lang = resolve_lang(lang)
    res = deep_vs_pca_surface(mode=mode)
    data = surface_data(mode)
    model = res.model
    x = data.x_train[:600]
    u = data.extra["t_train"][:600, 0].numpy()
    # The latent grid: the codes F1 gives to a regular (u, v) grid on the clean surface, so it
    # covers exactly the part of latent space the data occupy; S is F2 of that grid.
    n = 13
    gu, gv = np.meshgrid(np.linspace(-1, 1, n), np.linspace(-1, 1, n))
    uv = torch.tensor(np.stack([gu.ravel(), gv.ravel()], 1), dtype=torch.float32)
    with torch.no_grad():
        z_show = model.encode(x).numpy()
        grid = model.encode(saddle(uv))
        s = model.decode(grid).numpy().reshape(n, n, 3)
        g = grid.numpy().reshape(n, n, 2)
    g1, g2 = g[..., 0], g[..., 1]

    fig = plt.figure(figsize=(10.5, 4.8))
    ax = fig.add_subplot(1, 2, 1, projection="3d")
    ax.plot_wireframe(s[..., 0], s[..., 1], s[..., 2], color="#a04000", lw=0.6, alpha=0.8)
    p = x.numpy()
    ax.scatter(p[:, 0], p[:, 1], p[:, 2], c=u, cmap="viridis", s=4, alpha=0.7, depthshade=False)
    ax.view_init(elev=24, azim=-58)
    ax.set(xlabel=r"$x_1$", ylabel=r"$x_2$", zlabel=r"$x_3$")
    ax.tick_params(labelsize=7)
    ax.set_title(t("det.fig3.left", lang), fontsize=11)

    ax2 = fig.add_subplot(1, 2, 2)
    for i in range(n):
        ax2.plot(g1[i], g2[i], color="#a04000", lw=0.5, alpha=0.5)
        ax2.plot(g1[:, i], g2[:, i], color="#a04000", lw=0.5, alpha=0.5)
    sc = ax2.scatter(z_show[:, 0], z_show[:, 1], c=u, cmap="viridis", s=6)
    ax2.set(xlabel=r"$z_1$", ylabel=r"$z_2$")
    ax2.set_title(t("det.fig3.right", lang), fontsize=11)
    cb = fig.colorbar(sc, ax=ax2, shrink=0.85)
    cb.set_label(t("det.fig3.colour", lang))
    fig.suptitle(t("det.fig3.title", lang) + "\n"
                 + t("det.fig3.errors", lang, ae=res.ae_test_error, pca=res.pca_test_error),
                 fontsize=11)
    fig.subplots_adjust(left=0.02, right=0.95, bottom=0.12, top=0.83, wspace=0.15)
    return fig


# a trained model: data checked; measured spread across kernels 0.19 (python3 tools/make.py spread)
@register("det.mnist-recon", page="ch19_1_2_deep", check="data", data_tol=0.4,
          title={"en": "PCA and deep-autoencoder reconstructions of held-out MNIST-5k digits",
                 "ko": "MNIST-5k 평가 숫자의 PCA 재구성과 심층 오토인코더 재구성"})
def fig_mnist_recon(lang: str | None = None, mode: str | None = None):
    """Held-out digits 0..9 (the first of each in the test set), and their reconstructions by
    PCA and by the deep AE of :func:`aebook.experiments.deep_vs_pca_mnist` at each M."""
    from ..experiments import deep_vs_pca_mnist, mnist_data

    lang = resolve_lang(lang)
    res = deep_vs_pca_mnist(mode=mode)
    data = mnist_data(mode)
    x = data.x_test[first_of_each_digit(data.y_test)]
    rows = [(t("det.original", lang), x)]
    with torch.no_grad():
        for M, model, pca in zip(res.Ms, res.models, res.pcas):
            rows.append((t("det.pca_m", lang, M=M), pca.reconstruct(x)))
            rows.append((t("det.ae_m", lang, M=M), model(x).recon))
    return digit_grid(rows, (28, 28), t("det.recon.title", lang), label_size=10)


# a trained model: data checked; measured spread across kernels 0.28 (python3 tools/make.py spread)
@register("det.mnist-latent", page="ch19_1_2_deep", check="data", data_tol=0.6,
          title={"en": "2-D codes of held-out MNIST-5k digits: PCA vs deep autoencoder",
                 "ko": "MNIST-5k 평가 숫자의 2차원 코드: PCA와 심층 오토인코더"})
def fig_mnist_latent(lang: str | None = None, mode: str | None = None):
    """The 1000 held-out MNIST-5k digits mapped to 2-D by PCA (left) and by the deep AE with
    M = 2 of :func:`aebook.experiments.deep_vs_pca_mnist` (right), coloured by digit."""
    from ..experiments import deep_vs_pca_mnist, mnist_data

    lang = resolve_lang(lang)
    res = deep_vs_pca_mnist(mode=mode)
    if 2 not in res.Ms:
        raise ValueError("the latent map needs the M = 2 run of deep_vs_pca_mnist")
    i = res.Ms.index(2)
    data = mnist_data(mode)
    x, y = data.x_test, data.y_test.numpy()
    with torch.no_grad():
        codes = [res.pcas[i].transform(x).numpy(), res.models[i].encode(x).numpy()]
    titles = [t("det.latent.pca", lang, e=res.pca_test_errors[i]),
              t("det.latent.ae", lang, e=res.ae_test_errors[i])]
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 4.6))
    cmap = plt.get_cmap("tab10")
    for ax, z, title in zip(axes, codes, titles):
        for d in range(10):
            m = y == d
            ax.scatter(z[m, 0], z[m, 1], s=5, color=cmap(d), label=str(d), alpha=0.8)
        ax.set_title(title, fontsize=11)
        ax.set(xlabel=r"$z_1$", ylabel=r"$z_2$")
        ax.tick_params(labelsize=8)
    axes[1].legend(title=t("det.digit", lang), loc="center left", bbox_to_anchor=(1.01, 0.5),
                   markerscale=3, fontsize=9, frameon=False)
    fig.suptitle(t("det.latent.title", lang), fontsize=12)
    fig.subplots_adjust(left=0.07, right=0.88, bottom=0.12, top=0.86, wspace=0.25)
    return fig
