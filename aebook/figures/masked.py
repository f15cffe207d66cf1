"""Figures of section 19.1.5, masked autoencoders: Figs. 19.5 and 19.6 and our own extras.

Fig. 19.5 is drawn from a real digit, a real random mask and the model's configuration, so the
number of visible patches, of mask tokens and the widths shown are those the code uses.
Fig. 19.6 and the extras draw the trained models of :mod:`aebook.experiments.masked`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import FancyBboxPatch, Rectangle

from ..i18n import register_strings, resolve_lang, t
from ._common import first_of_each_digit
from .registry import register

register_strings({
    "mae.fig5.title": {"en": "Masked autoencoder at training time (L = {L} patches, r = {r:g})",
                       "ko": "학습 중인 마스크 오토인코더 (패치 L = {L}개, r = {r:g})"},
    "mae.input": {"en": "input: {L} patches", "ko": "입력: 패치 {L}개"},
    "mae.visible": {"en": "visible: {K} patches", "ko": "보이는 패치 {K}개"},
    "mae.encoder": {"en": "encoder\n(ViT, {d} blocks)\nsees only the\nvisible patches",
                    "ko": "인코더\n(ViT, 블록 {d}개)\n보이는 패치만\n처리"},
    "mae.tokens": {"en": "encoded tokens +\n{M} mask tokens,\nback in order",
                   "ko": "인코딩된 토큰 +\n마스크 토큰 {M}개,\n원래 순서로"},
    "mae.decoder": {"en": "decoder\n({d} block(s))\ndropped after\npre-training",
                    "ko": "디코더\n(블록 {d}개)\n사전 학습 후\n버림"},
    "mae.target": {"en": "target: loss on the\n{M} removed patches only",
                   "ko": "목표: 제거된 패치 {M}개에만\n손실을 계산"},
    "mae.pred": {"en": "prediction", "ko": "예측"},
    "mae.fig6.title": {"en": "Held-out MNIST-5k digits: masked | MAE reconstruction | original",
                       "ko": "MNIST-5k 평가 숫자: 마스킹 | MAE 재구성 | 원본"},
    "mae.masked": {"en": "masked {p:.0f}%", "ko": "{p:.0f}% 마스킹"},
    "mae.recon": {"en": "reconstruction", "ko": "재구성"},
    "mae.original": {"en": "original", "ko": "원본"},
    "mae.sweep.title": {"en": "Mask ratio: reconstruction and linear-probe accuracy ({data})",
                        "ko": "마스킹 비율: 재구성 오차와 선형 프로빙 정확도 ({data})"},
    "mae.ratio": {"en": "mask ratio r used in pre-training", "ko": "사전 학습의 마스킹 비율 r"},
    "mae.err_own": {"en": "error on removed patches, at its own r",
                    "ko": "제거된 패치의 오차 (자기 r에서)"},
    "mae.err_75": {"en": "error on removed patches, at r = 0.75",
                   "ko": "제거된 패치의 오차 (r = 0.75에서)"},
    "mae.err": {"en": "held-out error per value (normalised pixels)",
                "ko": "값당 평가 오차 (정규화된 픽셀)"},
    "mae.acc": {"en": "held-out accuracy", "ko": "평가 정확도"},
    "mae.probe_line": {"en": "MAE encoder, linear probe", "ko": "MAE 인코더, 선형 프로빙"},
    "mae.raw": {"en": "raw pixels", "ko": "원본 픽셀"},
    "mae.random": {"en": "random encoder", "ko": "무작위 인코더"},
    "mae.digits": {"en": "8×8 digits", "ko": "8×8 숫자"},
    "mae.mnist": {"en": "MNIST", "ko": "MNIST"},
    "mae.probe.title": {"en": "What the pre-trained encoder is worth on MNIST-5k digit labels",
                        "ko": "사전 학습한 인코더가 MNIST-5k 숫자 레이블에서 갖는 가치"},
    "mae.probe.left": {"en": "linear probe (logistic regression)",
                       "ko": "선형 프로빙 (로지스틱 회귀)"},
    "mae.probe.right": {"en": "fine-tuning, {e} epochs", "ko": "미세 조정, {e} 에포크"},
    "mae.mae": {"en": "MAE encoder", "ko": "MAE 인코더"},
    "mae.from_mae": {"en": "from MAE weights", "ko": "MAE 가중치에서"},
    "mae.from_scratch": {"en": "from scratch", "ko": "무작위 초기화에서"},
})

_VIS = "#2e86c1"
_MASKED = "#d5d8dc"
_TOKEN = "#f5b041"


def _box(ax, x, y, w, h, text, color, fontsize=9):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                fc=color, ec="#34495e", lw=1.2))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=fontsize)


def _patch_grid(ax, img: np.ndarray, mask: np.ndarray, x0, y0, size, grid, show="visible"):
    """Draw ``grid × grid`` patches of ``img`` at (x0, y0) with side ``size``; removed patches
    grey (``show="visible"``) or only removed ones in colour (``show="removed"``)."""
    p = img.shape[0] // grid
    cell = size / grid
    for i in range(grid):
        for j in range(grid):
            k = i * grid + j
            x, y = x0 + j * cell, y0 + (grid - 1 - i) * cell
            removed = bool(mask[k])
            patch = img[i * p:(i + 1) * p, j * p:(j + 1) * p]
            draw = (show == "visible" and not removed) or (show == "removed" and removed) or show == "all"
            if draw:
                ax.imshow(patch, cmap="gray_r", vmin=0, vmax=1,
                          extent=(x, x + cell * 0.94, y, y + cell * 0.94), zorder=2)
            else:
                ax.add_patch(Rectangle((x, y), cell * 0.94, cell * 0.94, fc=_MASKED, ec="none",
                                       zorder=2))


# a trained model: data checked; measured spread across kernels 1.5e-6 (python3 tools/make.py spread)
@register("19.5", page="ch19_1_5_masked", check="data", data_tol=0.001,
          title={"en": "Masked autoencoder at training time: visible patches to the encoder, mask "
                       "tokens to the decoder, loss on the removed patches only",
                 "ko": "학습 중인 마스크 오토인코더: 보이는 패치는 인코더로, 마스크 토큰은 "
                       "디코더로, 손실은 제거된 패치에서만"})
def fig19_5(lang: str | None = None, mode: str | None = None):
    """Our drawing of the MAE of :class:`aebook.mae.MaskedAutoencoder` with the quick
    configuration of :func:`aebook.experiments.mae_pretrain`: a held-out digit, a real random
    mask at r = 0.75, and the prediction of the trained model for the removed patches."""
    from ..experiments import mae_pretrain, mnist_data
    from ..mae import unpatchify

    lang = resolve_lang(lang)
    res = mae_pretrain(mode=mode)
    c = res.model.config
    grid, L, r = c.grid, c.num_patches, res.config.mask_ratio
    x = mnist_data(mode).x_test[:1].reshape(1, 1, c.img_size, c.img_size)
    with torch.no_grad():
        latent, mask, ids_restore = res.model.forward_encoder(
            x, r, generator=torch.Generator().manual_seed(3))
        pred = unpatchify(res.model.forward_decoder(latent, ids_restore), c.patch_size).clamp(0, 1)
    img, pimg, m = x[0, 0].numpy(), pred[0, 0].numpy(), mask[0].numpy()
    K = latent.shape[1] - 1  # the encoder's tokens, class token aside
    fig, ax = plt.subplots(figsize=(12.5, 4.2))
    ax.set_xlim(0, 12.5)
    ax.set_ylim(0, 4.2)
    ax.axis("off")
    _patch_grid(ax, img, np.zeros(L), 0.2, 0.9, 2.0, grid, show="all")
    ax.text(1.2, 3.15, t("mae.input", lang, L=L), ha="center", fontsize=9)
    _patch_grid(ax, img, m, 2.7, 0.9, 2.0, grid, show="visible")
    ax.text(3.7, 3.15, t("mae.visible", lang, K=K), ha="center", fontsize=9)
    _box(ax, 5.1, 0.9, 1.7, 2.0, t("mae.encoder", lang, d=c.depth), "#d6eaf8")
    # tokens: K encoded (blue) and L - K mask tokens (orange), in patch order
    for k in range(L):
        col = _TOKEN if m[k] else _VIS
        ax.add_patch(Rectangle((7.05 + 0.11 * k, 1.6), 0.09, 0.6, fc=col, ec="none"))
    ax.text(7.05 + 0.055 * L, 2.45, t("mae.tokens", lang, M=L - K), ha="center", va="bottom",
            fontsize=8.5)
    _box(ax, 7.05 + 0.11 * L + 0.2, 0.9, 1.5, 2.0, t("mae.decoder", lang, d=c.decoder_depth), "#fdebd0")
    gx = 7.05 + 0.11 * L + 1.95
    _patch_grid(ax, pimg, m, gx, 0.9, 2.0, grid, show="removed")
    ax.text(gx + 1.0, 3.15, t("mae.pred", lang), ha="center", fontsize=9)
    ax.text(gx + 1.0, 0.25, t("mae.target", lang, M=L - K), ha="center", fontsize=8.5)
    for x0, x1 in ((2.3, 2.65), (4.75, 5.05), (6.85, 7.0), (7.05 + 0.11 * L + 0.05, 7.05 + 0.11 * L + 0.18),
                   (gx - 0.25, gx - 0.05)):
        ax.annotate("", xy=(x1, 1.9), xytext=(x0, 1.9),
                    arrowprops=dict(arrowstyle="->", color="#34495e", lw=1.4))
    fig.suptitle(t("mae.fig5.title", lang, L=L, r=r), fontsize=12)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.9)
    return fig


# a trained model: data checked; measured spread across kernels 1.1e-6 (python3 tools/make.py spread)
@register("19.6", page="ch19_1_5_masked", check="data", data_tol=0.001,
          title={"en": "Our MAE's reconstructions of held-out digits at 75% and 80% masking: "
                       "masked, reconstruction, original",
                 "ko": "우리 MAE가 75%와 80% 마스킹에서 재구성한 평가 숫자: 마스킹, 재구성, 원본"})
def fig19_6(lang: str | None = None, mode: str | None = None):
    """Held-out digits under a fixed random mask at r = 0.75 and 0.8, the trained MAE's
    prediction pasted into the removed patches, and the original."""
    from ..experiments import mae_pretrain, mnist_data

    lang = resolve_lang(lang)
    res = mae_pretrain(mode=mode)
    c = res.model.config
    data = mnist_data(mode)
    idx = first_of_each_digit(data.y_test, range(6))
    x = data.x_test[idx].reshape(-1, 1, c.img_size, c.img_size)
    ratios = (0.75, 0.8)
    fig, axes = plt.subplots(len(ratios) * 2, 9, figsize=(10.5, 5.4))
    for ri, r in enumerate(ratios):
        masked, _, pasted = res.model.reconstruct(x, r, generator=torch.Generator().manual_seed(7))
        for j in range(6):
            row, col = ri * 2 + j // 3, (j % 3) * 3
            for k, (im, lab) in enumerate(((masked, t("mae.masked", lang, p=100 * r)),
                                           (pasted.clamp(0, 1), t("mae.recon", lang)),
                                           (x, t("mae.original", lang)))):
                ax = axes[row, col + k]
                ax.imshow(im[j, 0].numpy(), cmap="gray_r", vmin=0, vmax=1)
                ax.set_xticks([])
                ax.set_yticks([])
                if row % 2 == 0:
                    ax.set_title(lab, fontsize=8.5)
    fig.suptitle(t("mae.fig6.title", lang), fontsize=12)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.88, wspace=0.08, hspace=0.35)
    return fig


# a trained model: data checked; measured spread across kernels 0.0013 (python3 tools/make.py spread)
@register("mae.sweep", page="ch19_1_5_masked", check="data", data_tol=0.005,
          title={"en": "Mask-ratio sweep: reconstruction error and linear-probe accuracy by ratio",
                 "ko": "마스킹 비율 실험: 비율에 따른 재구성 오차와 선형 프로빙 정확도"})
def fig_mae_sweep(lang: str | None = None, mode: str | None = None):
    """Left: held-out error on removed patches of the MAEs of
    :func:`aebook.experiments.mask_ratio_sweep`, at each model's own ratio and at 0.75. Right:
    linear-probe accuracy by ratio, with raw pixels and a random encoder for scale."""
    from ..experiments import mask_ratio_sweep

    lang = resolve_lang(lang)
    sw = mask_ratio_sweep(mode=mode)
    r = np.array(sw.ratios)
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.1))
    ax = axes[0]
    ax.plot(r, sw.own_errors, "o-", color="#8e44ad", lw=2, label=t("mae.err_own", lang))
    ax.plot(r, sw.errors_at_075, "s--", color="#d35400", lw=1.6, label=t("mae.err_75", lang))
    ax.set_xlabel(t("mae.ratio", lang))
    ax.set_ylabel(t("mae.err", lang))
    ax.legend(fontsize=9, frameon=False)
    ax = axes[1]
    ax.plot(r, sw.probe, "o-", color=_VIS, lw=2, label=t("mae.probe_line", lang))
    ax.axhline(sw.raw, color="#27ae60", ls=":", lw=1.5, label=t("mae.raw", lang))
    ax.axhline(sw.random, color="#7f8c8d", ls="--", lw=1.5, label=t("mae.random", lang))
    ax.set_xlabel(t("mae.ratio", lang))
    ax.set_ylabel(t("mae.acc", lang))
    ax.legend(fontsize=9, frameon=False, loc="lower left")
    for a in axes:
        a.set_xticks(r)
        a.tick_params(labelsize=8)
    fig.suptitle(t("mae.sweep.title", lang, data=t(f"mae.{sw.data}", lang)), fontsize=12)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.86, wspace=0.28)
    return fig


# a trained model: data checked; measured spread across kernels 0.0008 (python3 tools/make.py spread)
@register("mae.probe", page="ch19_1_5_masked", check="data", data_tol=0.002,
          title={"en": "Linear-probe and fine-tuning accuracy of the pre-trained MAE encoder",
                 "ko": "사전 학습한 MAE 인코더의 선형 프로빙 정확도와 미세 조정 정확도"})
def fig_mae_probe(lang: str | None = None, mode: str | None = None):
    """Bars: held-out accuracy of :func:`aebook.experiments.linear_probe` (raw pixels, random
    encoder, MAE encoder) and of :func:`aebook.experiments.fine_tune` (from MAE weights, from
    scratch)."""
    from ..experiments import fine_tune, linear_probe

    lang = resolve_lang(lang)
    p, f = linear_probe(mode=mode), fine_tune(mode=mode)
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 3.8))
    groups = [([t("mae.raw", lang), t("mae.random", lang), t("mae.mae", lang)],
               [p.raw_pixels, p.random_encoder, p.mae_encoder], ["#27ae60", "#7f8c8d", _VIS],
               t("mae.probe.left", lang)),
              ([t("mae.from_mae", lang), t("mae.from_scratch", lang)], [f.from_mae, f.from_scratch],
               [_VIS, "#7f8c8d"], t("mae.probe.right", lang, e=f.epochs))]
    for ax, (labels, vals, cols, title) in zip(axes, groups):
        bars = ax.bar(labels, vals, color=cols)
        for b, v in zip(bars, vals):
            ax.text(b.get_x() + b.get_width() / 2, v + 0.01, f"{v:.3f}", ha="center", fontsize=9)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel(t("mae.acc", lang))
        ax.set_title(title, fontsize=11)
        ax.tick_params(labelsize=9)
    fig.suptitle(t("mae.probe.title", lang), fontsize=12)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.12, top=0.82, wspace=0.3)
    return fig
