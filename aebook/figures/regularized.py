"""Figures of sections 19.1.3 and 19.1.4: sparse and denoising autoencoders, and the score.

Every figure draws trained models of :mod:`aebook.experiments.regularized` (cached there per
mode and seed, so the Korean and the English version share one training run).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import NullFormatter

from ..i18n import register_strings, resolve_lang, t
from ._common import digit_grid, first_of_each_digit, plain_log_formatter
from .registry import register

register_strings({
    "reg.fig4.title": {"en": "A denoising autoencoder learns vectors back to the data manifold",
                       "ko": "잡음 제거 오토인코더는 데이터 다양체로 돌아가는 벡터를 학습합니다"},
    "reg.fig4.left": {"en": r"held-out points: $\tilde{\mathbf{x}}$ and $r(\tilde{\mathbf{x}})$",
                      "ko": r"평가 점: $\tilde{\mathbf{x}}$와 $r(\tilde{\mathbf{x}})$"},
    "reg.fig4.right": {"en": r"the field $r(\mathbf{x}) - \mathbf{x}$ on a grid (half length)",
                       "ko": r"격자 위의 벡터장 $r(\mathbf{x}) - \mathbf{x}$ (길이 절반)"},
    "reg.curve": {"en": "data manifold (curve)", "ko": "데이터 다양체(곡선)"},
    "reg.noisy": {"en": r"noisy input $\tilde{\mathbf{x}}$", "ko": r"잡음 섞인 입력 $\tilde{\mathbf{x}}$"},
    "reg.vector": {"en": r"$r(\tilde{\mathbf{x}}) - \tilde{\mathbf{x}}$",
                   "ko": r"$r(\tilde{\mathbf{x}}) - \tilde{\mathbf{x}}$"},
    "reg.fig4.note": {"en": "σ = {s:g}; mean distance to the curve {a:.3f} before, {b:.3f} after",
                      "ko": "σ = {s:g}; 곡선까지의 평균 거리: 전 {a:.3f}, 후 {b:.3f}"},
    "reg.sparse.title": {"en": "L1 on activations makes the code sparse; L2 on weights does not",
                         "ko": "활성값에 L1을 걸면 코드가 희소해지고, 가중치에 L2를 걸면 그렇지 않습니다"},
    "reg.sparse.left": {"en": r"L1 penalty (19.2) as $\lambda$ grows",
                        "ko": r"$\lambda$에 따른 L1 페널티 (19.2)"},
    "reg.sparse.right": {"en": "sparsity against reconstruction error",
                         "ko": "희소성과 재구성 오차"},
    "reg.lambda": {"en": r"$\lambda$ (0 = no penalty)", "ko": r"$\lambda$ (0 = 페널티 없음)"},
    "reg.zero_frac": {"en": "fraction of zero activations", "ko": "0인 활성값의 비율"},
    "reg.test_error": {"en": "held-out error per image", "ko": "이미지당 평가 오차"},
    "reg.l1": {"en": r"L1 on activations, $\lambda\,\Sigma_k |z_k|$",
               "ko": r"활성값 L1, $\lambda\,\Sigma_k |z_k|$"},
    "reg.l2": {"en": r"L2 on weights, $\alpha\,\Sigma\,\|W\|^2$",
               "ko": r"가중치 L2, $\alpha\,\Sigma\,\|W\|^2$"},
    "reg.codes.title": {"en": "Codes of 40 held-out digits ({K} ReLU units, overcomplete)",
                        "ko": "평가 숫자 40개의 코드 (ReLU 유닛 {K}개, 과잉완전)"},
    "reg.codes.panel": {"en": "{name}: {z:.0%} zeros, {a:.0f} active units per digit",
                        "ko": "{name}: 0 비율 {z:.0%}, 숫자당 활성 유닛 {a:.0f}개"},
    "reg.none": {"en": "no penalty", "ko": "페널티 없음"},
    "reg.units": {"en": "hidden unit k", "ko": "은닉 유닛 k"},
    "reg.inputs": {"en": "input n", "ko": "입력 n"},
    "reg.grid.title": {"en": "Held-out MNIST-5k digits: corrupted inputs and the DAE's outputs",
                       "ko": "MNIST-5k 평가 숫자: 손상된 입력과 DAE의 출력"},
    "reg.clean": {"en": "clean x", "ko": "원본 x"},
    "reg.input_mask": {"en": "input, ν = {v:g}", "ko": "입력, ν = {v:g}"},
    "reg.input_gauss": {"en": "input, σ = {v:g}", "ko": "입력, σ = {v:g}"},
    "reg.dae_out": {"en": "DAE output", "ko": "DAE 출력"},
    "reg.plain_out": {"en": "plain AE output", "ko": "일반 AE 출력"},
    "reg.err": {"en": "error {e:.1f}", "ko": "오차 {e:.1f}"},
    "reg.score.title": {"en": r"Score of the noisy density $p_\sigma$ (σ = {s:g}): exact and "
                              r"learned by a DAE",
                        "ko": r"잡음 섞인 밀도 $p_\sigma$의 스코어 (σ = {s:g}): 정확한 값과 DAE가 "
                              r"배운 값"},
    "reg.score.exact": {"en": r"exact $\nabla \ln p_\sigma(\mathbf{x})$",
                        "ko": r"정확한 $\nabla \ln p_\sigma(\mathbf{x})$"},
    "reg.score.dae": {"en": r"DAE: $(r(\mathbf{x}) - \mathbf{x})/\sigma^2$",
                      "ko": r"DAE: $(r(\mathbf{x}) - \mathbf{x})/\sigma^2$"},
    "reg.score.cos": {"en": "cosine between the two", "ko": "두 벡터의 코사인"},
    "reg.score.note": {"en": "arrows show direction only; contours: ln p_σ",
                       "ko": "화살표는 방향만 나타냅니다. 등고선: ln p_σ"},
})

_CURVE_COLOR = "#1f4e79"
_NOISY_COLOR = "#c0392b"
_ARROW_COLOR = "#27ae60"


def _curve_axes(ax) -> None:
    from ..data import curve_2d_points

    pts = curve_2d_points(400).numpy()
    ax.plot(pts[:, 0], pts[:, 1], color=_CURVE_COLOR, lw=2.2, zorder=3)
    ax.set_aspect("equal")
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel(r"$x_1$")
    ax.set_ylabel(r"$x_2$")
    ax.tick_params(labelsize=8)


# a trained model: data checked; measured spread across kernels 6e-7 (python3 tools/make.py spread)
@register("19.4", page="ch19_1_4_denoising", check="data", data_tol=0.001,
          title={"en": "Denoising: data on a curve, noisy samples, and the vectors a trained "
                       "DAE learns back toward the curve",
                 "ko": "잡음 제거: 곡선 위의 데이터, 잡음 섞인 표본, 훈련된 DAE가 곡선 쪽으로 "
                       "되돌리는 벡터"})
def fig19_4(lang: str | None = None, mode: str | None = None):
    """Left: held-out noisy points x̃ around the curve of :func:`aebook.data.curve_2d` and the
    vectors ``r(x̃) − x̃`` of the DAE of :func:`aebook.experiments.curve_denoiser`. Right: the
    same vector field on a grid (lengths as learned, not rescaled)."""
    from ..experiments import curve_denoiser

    lang = resolve_lang(lang)
    res = curve_denoiser(mode=mode)
    xn, rec = res.x_noisy[:120].numpy(), res.recon[:120].numpy()
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.4))
    ax = axes[0]
    _curve_axes(ax)
    ax.scatter(xn[:, 0], xn[:, 1], s=9, color=_NOISY_COLOR, zorder=4)
    d = rec - xn
    ax.quiver(xn[:, 0], xn[:, 1], d[:, 0], d[:, 1], angles="xy", scale_units="xy", scale=1,
              color=_ARROW_COLOR, width=0.004, zorder=5)
    ax.set_title(t("reg.fig4.left", lang), fontsize=11)
    ax = axes[1]
    _curve_axes(ax)
    g1, g2 = np.linspace(-1.3, 1.3, 17), np.linspace(-0.9, 0.9, 12)
    grid = torch.tensor(np.stack(np.meshgrid(g1, g2), -1).reshape(-1, 2), dtype=torch.float32)
    with torch.no_grad():
        field = (res.model(grid).recon - grid).numpy()
    gn = grid.numpy()
    ax.quiver(gn[:, 0], gn[:, 1], field[:, 0], field[:, 1], angles="xy", scale_units="xy",
              scale=2, color=_ARROW_COLOR, width=0.0035, zorder=5)  # half length
    ax.set_title(t("reg.fig4.right", lang), fontsize=11)
    handles = [plt.Line2D([], [], color=_CURVE_COLOR, lw=2.2),
               plt.Line2D([], [], color=_NOISY_COLOR, marker="o", ls="", ms=4),
               plt.Line2D([], [], color=_ARROW_COLOR, lw=2)]
    fig.legend(handles, [t("reg.curve", lang), t("reg.noisy", lang), t("reg.vector", lang)],
               loc="lower center", ncol=3, fontsize=9, frameon=False)
    fig.suptitle(t("reg.fig4.title", lang), fontsize=12)
    fig.text(0.5, 0.08, t("reg.fig4.note", lang, s=res.sigma, a=res.dist_before,
                          b=res.dist_after), ha="center", fontsize=9)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.2, top=0.86, wspace=0.12)
    return fig


# a trained model: data checked; measured spread across kernels 0.0009 (python3 tools/make.py spread) on an
# AMD EPYC, 0.0027 on an Intel Xeon with AVX-512 (native and pinned to AVX2 alike)
@register("sparse.lambda", page="ch19_1_3_sparse", check="data", data_tol=0.006,
          title={"en": "Sparsity and reconstruction error against the penalty: L1 on "
                       "activations vs L2 on weights",
                 "ko": "페널티 세기에 따른 희소성과 재구성 오차: 활성값 L1과 가중치 L2"})
def fig_sparse_lambda(lang: str | None = None, mode: str | None = None):
    """Left: fraction of zero activations and held-out error as λ grows (L1, (19.2)). Right:
    sparsity against error for the L1 and the L2 runs of
    :func:`aebook.experiments.sparse_sweep`: at equal error L1 gives far sparser codes."""
    from ..experiments import sparse_sweep

    lang = resolve_lang(lang)
    res = sparse_sweep(mode=mode)
    l1, l2 = res.l1_rows(), res.l2_rows()
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.2))
    ax = axes[0]
    pos = np.arange(len(l1))
    zf = [r["zero_fraction"] for r in l1]
    ax.plot(pos, zf, "o-", color="#8e44ad", lw=2)
    ax.set_xticks(pos, [f"{r['strength']:g}" for r in l1])
    ax.set_xlabel(t("reg.lambda", lang))
    ax.set_ylabel(t("reg.zero_frac", lang), color="#8e44ad")
    ax.set_ylim(0, 1)
    ax2 = ax.twinx()
    ax2.plot(pos, [r["test_error"] for r in l1], "s--", color="#d35400", lw=1.5)
    ax2.set_ylabel(t("reg.test_error", lang), color="#d35400")
    ax.set_title(t("reg.sparse.left", lang), fontsize=11)
    ax = axes[1]
    for rows, key, color, marker in ((l1, "reg.l1", "#8e44ad", "o"), (l2, "reg.l2", "#2980b9", "s")):
        e = [r["test_error"] for r in rows]
        ax.plot(e, [r["zero_fraction"] for r in rows], marker + "-", color=color, lw=2,
                label=t(key, lang))
    ax.set_xscale("log")
    # plain "0.1" labels: mathtext's \mathdefault minus has no glyph in the Korean font
    ax.xaxis.set_major_formatter(plain_log_formatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(0, 1)
    ax.set_xlabel(t("reg.test_error", lang))
    ax.set_ylabel(t("reg.zero_frac", lang))
    ax.legend(fontsize=9, frameon=False, loc="upper left")
    ax.set_title(t("reg.sparse.right", lang), fontsize=11)
    for a in (*axes, ax2):
        a.tick_params(labelsize=8)
    fig.suptitle(t("reg.sparse.title", lang), fontsize=12)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.14, top=0.84, wspace=0.38)
    return fig


# a trained model: data checked; measured spread across kernels 0.0025 (python3 tools/make.py spread)
@register("sparse.codes", page="ch19_1_3_sparse", check="data", data_tol=0.01,
          title={"en": "Hidden codes of held-out digits without a penalty and with the L1 "
                       "activation penalty",
                 "ko": "평가 숫자의 은닉 코드: 페널티 없음과 활성값 L1 페널티"})
def fig_sparse_codes(lang: str | None = None, mode: str | None = None):
    """The codes ``z`` (rows: 40 held-out inputs; columns: hidden units, each model's sorted by
    how often they fire on the held-out set) of the unpenalised model and of the model with the second
    largest λ of :func:`aebook.experiments.sparse_sweep`. White is exactly zero."""
    from ..experiments import sparse_sweep

    lang = resolve_lang(lang)
    res = sparse_sweep(mode=mode)
    l1 = res.l1_rows()
    chosen = [l1[0], l1[-2]]
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 3.6))
    for ax, row in zip(axes, chosen):
        model = res.models[(row["penalty"], row["strength"])]
        with torch.no_grad():
            z = model.encode(res.x_test)
        # units of the two models are unrelated: sort each by how often it fires
        order = torch.argsort((z > 0).float().mean(0), descending=True, stable=True)
        z = z[:40, order].numpy()
        ax.imshow(z, aspect="auto", cmap="Blues", vmin=0, vmax=max(float(z.max()), 1e-6),
                  interpolation="nearest")
        name = t("reg.none", lang) if row["penalty"] == "none" else f"λ = {row['strength']:g}"
        ax.set_title(t("reg.codes.panel", lang, name=name, z=row["zero_fraction"],
                       a=row["active_per_input"]), fontsize=10)
        ax.set_xlabel(t("reg.units", lang))
        ax.set_ylabel(t("reg.inputs", lang))
        ax.tick_params(labelsize=8)
    fig.suptitle(t("reg.codes.title", lang, K=res.config.K), fontsize=12)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.15, top=0.8, wspace=0.15)
    return fig


def denoising_rows(res, x: torch.Tensor, kinds, lang: str, plain: bool = False, levels=None):
    """Rows ``(label, images)`` of corrupted inputs and DAE outputs (and, with ``plain``, the
    plain AE's outputs) for every level of ``kinds`` (or only ``levels``) in a
    :class:`~aebook.experiments.DenoisingTable`; the noise is the fixed held-out noise."""
    from ..experiments.regularized import corrupted_test_images

    rows = []
    with torch.no_grad():
        for cor, dae in res.daes.items():
            if cor.kind not in kinds or (levels is not None and cor.level not in levels):
                continue
            row = res.row(cor.kind, cor.level)
            # fixed noise (the held-out generator), so the picture repeats
            xn = corrupted_test_images(cor, x)
            key = "reg.input_mask" if cor.kind == "mask" else "reg.input_gauss"
            rows.append((t(key, lang, v=cor.level), xn))
            if plain:
                rows.append((t("reg.plain_out", lang) + "\n" + t("reg.err", lang, e=row["plain"]),
                             res.plain(xn).recon))
            rows.append((t("reg.dae_out", lang) + "\n" + t("reg.err", lang, e=row["dae"]),
                         dae(xn).recon))
    return rows


# a trained model: data checked; measured spread across kernels 0.064 (python3 tools/make.py spread)
@register("denoise.grid", page="ch19_1_4_denoising", check="data", data_tol=0.2,
          title={"en": "Corrupted held-out digits and the outputs of denoising autoencoders, "
                       "for masking noise ν and Gaussian noise σ",
                 "ko": "손상된 평가 숫자와 잡음 제거 오토인코더의 출력 (마스킹 잡음 ν, 가우시안 잡음 σ)"})
def fig_denoise_grid(lang: str | None = None, mode: str | None = None):
    """Clean held-out digits 0-7, then for every corruption of
    :func:`aebook.experiments.denoising_table` the corrupted input and the output of the DAE
    trained on that corruption; labels give the DAE's held-out error per image."""
    from ..experiments import denoising_table, mnist_data

    lang = resolve_lang(lang)
    res = denoising_table(mode=mode)
    data = mnist_data(mode)
    x = data.x_test[first_of_each_digit(data.y_test, range(8))]
    rows = [(t("reg.clean", lang), x), *denoising_rows(res, x, ("mask", "gaussian"), lang)]
    return digit_grid(rows, (28, 28), t("reg.grid.title", lang))


# a trained model: data checked; measured spread across kernels 3e-5 (python3 tools/make.py spread)
@register("denoise.score", page="ch19_1_4_denoising", check="data", data_tol=0.001,
          title={"en": "The score of a noisy 2-D Gaussian mixture: exact, and implied by a "
                       "trained denoising autoencoder",
                 "ko": "잡음 섞인 2차원 가우시안 혼합의 스코어: 정확한 값과 훈련된 잡음 제거 "
                       "오토인코더가 암시하는 값"})
def fig_denoise_score(lang: str | None = None, mode: str | None = None):
    """Left: the exact score of ``p_σ`` (unit arrows) over contours of ``ln p_σ``. Middle: the
    score implied by the DAE of :func:`aebook.experiments.score_field`. Right: the cosine
    between them on a fine grid."""
    from ..experiments import score_field
    from ..score import cosine_similarity, denoiser_score

    lang = resolve_lang(lang)
    res = score_field(mode=mode)
    noisy = res.prior.convolved(res.sigma)
    lim = 3.6
    g = torch.linspace(-lim, lim, 21)
    grid = torch.stack(torch.meshgrid(g, g, indexing="xy"), -1).reshape(-1, 2)
    gf = torch.linspace(-lim, lim, 121)
    fine = torch.stack(torch.meshgrid(gf, gf, indexing="xy"), -1).reshape(-1, 2)
    logp = noisy.log_prob(fine.double()).reshape(121, 121).numpy()
    fields = [noisy.score(grid), denoiser_score(res.model, grid, res.sigma)]
    cos = cosine_similarity(denoiser_score(res.model, fine, res.sigma),
                            noisy.score(fine)).reshape(121, 121).numpy()
    fig, axes = plt.subplots(1, 3, figsize=(13.0, 4.4))
    levels = np.linspace(logp.max() - 8, logp.max(), 9)
    gn = grid.numpy()
    for ax, f, key in zip(axes[:2], fields, ("reg.score.exact", "reg.score.dae")):
        ax.contour(gf.numpy(), gf.numpy(), logp, levels=levels, colors="#95a5a6", linewidths=0.8)
        u = f.numpy() / np.maximum(np.linalg.norm(f.numpy(), axis=1, keepdims=True), 1e-12)
        ax.quiver(gn[:, 0], gn[:, 1], u[:, 0], u[:, 1], color="#2c3e50", width=0.004,
                  scale=28)
        ax.set_title(t(key, lang), fontsize=11)
    ax = axes[2]
    im = ax.imshow(cos, origin="lower", extent=(-lim, lim, -lim, lim), cmap="RdYlGn",
                   vmin=-1, vmax=1)
    ax.contour(gf.numpy(), gf.numpy(), logp, levels=levels, colors="k", linewidths=0.5,
               alpha=0.6)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03).ax.tick_params(labelsize=8)
    ax.set_title(t("reg.score.cos", lang), fontsize=11)
    for ax in axes:
        ax.set_aspect("equal")
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.tick_params(labelsize=8)
    fig.suptitle(t("reg.score.title", lang, s=res.sigma), fontsize=12)
    fig.text(0.5, 0.02, t("reg.score.note", lang), ha="center", fontsize=9)
    fig.subplots_adjust(left=0.04, right=0.97, bottom=0.1, top=0.86, wspace=0.18)
    return fig


__all__ = ["denoising_rows", "fig19_4", "fig_denoise_grid", "fig_denoise_score",
           "fig_sparse_codes", "fig_sparse_lambda"]
