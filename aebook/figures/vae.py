"""Figures of sections 19.2 and 19.2.1, variational autoencoders: Figs. 19.7-19.9 and extras.

Figs. 19.7-19.9 are drawn on the arc model of :mod:`aebook.arc`, where ln p(x | w) and the
posterior are computed by quadrature, so the curves are the model's, not sketches. The extras
draw the MNIST-5k VAEs of :func:`aebook.experiments.mnist_vae`.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ..i18n import register_strings, resolve_lang, t
from ._common import digit_grid, first_of_each_digit, plain_tick
from .registry import register

register_strings({
    "vae.fig7.title": {"en": "A unimodal prior, a bimodal posterior (the arc model: 1-D z, 2-D x)",
                       "ko": "단봉 사전 분포에서 나온 쌍봉 사후 분포 (원호 모델: 1차원 z, 2차원 x)"},
    "vae.fig7.a": {"en": "(a) over z, for the point x*", "ko": "(a) 점 x*에 대한 z의 분포"},
    "vae.fig7.b": {"en": "(b) the marginal p(x | w) over data space", "ko": "(b) 데이터 공간 위의 주변 분포 p(x | w)"},
    "vae.prior": {"en": "prior p(z)", "ko": "사전 분포 p(z)"},
    "vae.post": {"en": "posterior p(z | x*)", "ko": "사후 분포 p(z | x*)"},
    "vae.bestq": {"en": "best Gaussian q(z), gap {g:.2f} nats",
                  "ko": "가장 좋은 가우시안 q(z), 간극 {g:.2f} nat"},
    "vae.density": {"en": "density", "ko": "밀도"},
    "vae.curve": {"en": "decoder mean g(z)", "ko": "디코더 평균 g(z)"},
    "vae.zmarks": {"en": "g(z) at z = 0, ±1, ±2", "ko": "z = 0, ±1, ±2의 g(z)"},
    "vae.modes": {"en": "g(z) at the two modes", "ko": "두 봉우리의 g(z)"},
    "vae.fig8.title": {"en": "Optimising the ELBO on the arc model (mean per point over 200 points)",
                       "ko": "원호 모델에서 ELBO 최적화 (점 200개의 점당 평균)"},
    "vae.fig8.a": {"en": "(a) φ step: w = {w:g} fixed, encoder trained",
                   "ko": "(a) φ 단계: w = {w:g} 고정, 인코더 학습"},
    "vae.fig8.b": {"en": "(b) w step: encoder fixed, w moves to {w:.2f}",
                   "ko": "(b) w 단계: 인코더 고정, w가 {w:.2f}로 이동"},
    "vae.logpx": {"en": "ln p(x | w) (exact)", "ko": "ln p(x | w) (정확한 값)"},
    "vae.elbo_old": {"en": "ELBO, encoder before the φ step", "ko": "ELBO, φ 단계 전 인코더"},
    "vae.elbo_new": {"en": "ELBO, encoder after the φ step", "ko": "ELBO, φ 단계 후 인코더"},
    "vae.w": {"en": "w (radius of the arc)", "ko": "w (원호의 반지름)"},
    "vae.nats": {"en": "nats per point", "ko": "점당 nat"},
    "vae.gap": {"en": "gap ln p − ELBO", "ko": "간극 ln p − ELBO"},
    "vae.fig9.title": {"en": "EM closes the gap at every E step; joint VAE training leaves one",
                       "ko": "EM은 E 단계마다 간극을 닫고, VAE의 동시 학습은 간극을 남깁니다"},
    "vae.fig9.a": {"en": "(a) EM: exact E step, then M step", "ko": "(a) EM: 정확한 E 단계, 그다음 M 단계"},
    "vae.fig9.b": {"en": "(b) VAE: w and φ together (Adam)", "ko": "(b) VAE: w와 φ를 함께 (Adam)"},
    "vae.em_step": {"en": "EM step", "ko": "EM 단계"},
    "vae.grad_step": {"en": "gradient step", "ko": "경사 단계"},
    "vae.after_e": {"en": "after each E step (circles): |gap| < {g:.0e}",
                    "ko": "각 E 단계 후 (원): |간극| < {g:.0e}"},
    "vae.family": {"en": "best Gaussian per point: {g:.3f}", "ko": "점마다 가장 좋은 가우시안: {g:.3f}"},
    "vae.mle": {"en": "maximum likelihood", "ko": "최대 가능도"},
    "vae.mnist.title": {"en": "A VAE on MNIST-5k (M = {M}): held-out digits, their reconstructions, "
                              "and new digits from the prior",
                        "ko": "MNIST-5k의 VAE (M = {M}): 평가 숫자, 재구성, 사전 분포에서 만든 새 숫자"},
    "vae.original": {"en": "held-out", "ko": "평가 숫자"},
    "vae.recon": {"en": "reconstruction\n(decoder mean at μ(x))", "ko": "재구성\n(μ(x)에서 디코더 평균)"},
    "vae.samples": {"en": "z ~ p(z),\ndecoder mean", "ko": "z ~ p(z),\n디코더 평균"},
    "vae.latent.title": {"en": "A VAE with a 2-D latent space, trained on MNIST-5k",
                         "ko": "2차원 잠재 공간을 가진 VAE (MNIST-5k로 학습)"},
    "vae.latent.a": {"en": "(a) encoder means μ(x) of held-out digits", "ko": "(a) 평가 숫자의 인코더 평균 μ(x)"},
    "vae.latent.b": {"en": "(b) decoder means on a grid of z (prior quantiles)",
                     "ko": "(b) z 격자에서의 디코더 평균 (사전 분포의 분위수)"},
})

_POST, _PRIOR, _Q = "#c0392b", "#7f8c8d", "#2e86c1"
_LOGP, _OLD, _NEW = "#1b2631", "#aab7b8", "#2e86c1"


def _arc_axes(ax):
    ax.set_aspect("equal")
    ax.set_xlim(-1.6, 1.6)
    ax.set_ylim(-1.6, 1.6)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


@register("19.7", page="ch19_2_vae",
          title={"en": "A nonlinear latent-variable model: a bimodal posterior from a unimodal "
                       "prior, and its banana-shaped marginal",
                 "ko": "비선형 잠재 변수 모델: 단봉 사전 분포에서 나온 쌍봉 사후 분포와 바나나 모양의 주변 분포"})
def fig19_7(lang: str | None = None, mode: str | None = None):
    """(a) The exact posterior p(z | x*) on a grid, the prior and the best Gaussian q; (b) the
    exact marginal p(x | w) of :class:`aebook.arc.ArcModel`, the decoder's curve and x*."""
    from ..arc import ArcModel
    from ..experiments import ARC_SIGMA, ARC_TRUE_W, arc_posterior

    lang = resolve_lang(lang)
    res = arc_posterior()
    z = res.z.numpy()
    keep = np.abs(z) <= 4.0
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.6), gridspec_kw={"width_ratios": [1.35, 1]})
    ax = axes[0]
    ax.plot(z[keep], np.exp(-0.5 * z[keep] ** 2) / math.sqrt(2 * math.pi), color=_PRIOR, ls="--",
            lw=1.8, label=t("vae.prior", lang))
    ax.fill_between(z[keep], res.posterior.numpy()[keep], color=_POST, alpha=0.25, lw=0)
    ax.plot(z[keep], res.posterior.numpy()[keep], color=_POST, lw=2, label=t("vae.post", lang))
    s = math.exp(0.5 * res.q_logvar)
    q = np.exp(-0.5 * ((z[keep] - res.q_mu) / s) ** 2) / (s * math.sqrt(2 * math.pi))
    ax.plot(z[keep], q, color=_Q, lw=1.6, ls=":", label=t("vae.bestq", lang, g=res.gap))
    ax.set_xlabel("z")
    ax.set_ylabel(t("vae.density", lang))
    ax.xaxis.set_major_formatter(FuncFormatter(plain_tick))
    ax.set_title(t("vae.fig7.a", lang), fontsize=11)
    ax.legend(fontsize=8.5, loc="upper left", frameon=False)
    ax = axes[1]
    g = res.grid_x1.numpy()
    dens = np.exp(res.log_px_grid.numpy())
    ax.imshow(dens, origin="lower", extent=(g[0], g[-1], g[0], g[-1]), cmap="Greys",
              vmin=0, vmax=dens.max())
    model = ArcModel(ARC_TRUE_W, ARC_SIGMA)
    with torch.no_grad():
        zz = torch.linspace(-3, 3, 301, dtype=torch.float64)
        curve = model.mean(zz).numpy()
        marks = model.mean(torch.tensor([-2.0, -1.0, 0.0, 1.0, 2.0], dtype=torch.float64)).numpy()
        modes = model.mean(torch.tensor(res.modes[:2], dtype=torch.float64)).numpy()
    ax.plot(curve[:, 0], curve[:, 1], color=_Q, lw=1.2, alpha=0.8, label=t("vae.curve", lang))
    ax.scatter(marks[:, 0], marks[:, 1], s=14, color=_Q, zorder=4, label=t("vae.zmarks", lang))
    ax.scatter(modes[:, 0], modes[:, 1], s=40, facecolor="none", edgecolor=_POST, lw=1.5, zorder=5,
               label=t("vae.modes", lang))
    xs = res.x_star.numpy()
    ax.scatter([xs[0]], [xs[1]], marker="*", s=160, color=_POST, zorder=6)
    ax.annotate("x*", xs, xytext=(8, 6), textcoords="offset points", color=_POST, fontsize=11)
    _arc_axes(ax)
    ax.xaxis.set_major_formatter(FuncFormatter(plain_tick))
    ax.yaxis.set_major_formatter(FuncFormatter(plain_tick))
    ax.set_title(t("vae.fig7.b", lang), fontsize=11)
    ax.legend(fontsize=8, loc="lower right", frameon=True, framealpha=0.85)
    fig.suptitle(t("vae.fig7.title", lang), fontsize=12)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.12, top=0.86, wspace=0.18)
    return fig


def _gap_axis(ax, lang):
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, numticks=8))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))
    ax.set_ylabel(t("vae.gap", lang), fontsize=9)


@register("19.8", page="ch19_2_1_amortized",
          title={"en": "Optimising the ELBO: the φ step with w fixed, then the w step with φ fixed, "
                       "against the exact ln p(x | w)",
                 "ko": "ELBO 최적화: w를 고정한 φ 단계, φ를 고정한 w 단계, 그리고 정확한 ln p(x | w)"})
def fig19_8(lang: str | None = None, mode: str | None = None):
    """Top: ln p(x | w) and the ELBO as functions of w for the encoder before and after the φ
    step (:func:`aebook.experiments.arc_elbo_steps`); bottom: the gap on a log scale."""
    from ..experiments import arc_elbo_steps

    lang = resolve_lang(lang)
    r = arc_elbo_steps()
    ws = r.ws.numpy()
    lp, eo, en = r.log_px.numpy(), r.elbo_old.numpy(), r.elbo_new.numpy()
    fig, axes = plt.subplots(2, 2, figsize=(11.0, 6.4), sharex=True,
                             gridspec_kw={"height_ratios": [2.2, 1]})
    i0 = int(np.argmin(np.abs(ws - r.w0)))
    i1 = int(np.argmin(np.abs(ws - r.w1)))
    for col in range(2):
        ax = axes[0, col]
        ax.plot(ws, lp, color=_LOGP, lw=2.2, label=t("vae.logpx", lang))
        if col == 0:
            ax.plot(ws, eo, color=_OLD, lw=1.8, ls="--", label=t("vae.elbo_old", lang))
        ax.plot(ws, en, color=_NEW, lw=1.8, label=t("vae.elbo_new", lang))
        ax.set_ylim(max(eo.min(), lp.min() - 1.0), lp.max() + 0.8)
        ax.set_ylabel(t("vae.nats", lang), fontsize=9)
        ax.yaxis.set_major_formatter(FuncFormatter(plain_tick))
        ax.legend(fontsize=8.5, loc="lower right", frameon=False)
        gx = axes[1, col]
        if col == 0:
            gx.plot(ws, lp - eo, color=_OLD, lw=1.8, ls="--")
        gx.plot(ws, lp - en, color=_NEW, lw=1.8)
        _gap_axis(gx, lang)
        gx.set_xlabel(t("vae.w", lang))
        gx.xaxis.set_major_formatter(FuncFormatter(plain_tick))
    ax = axes[0, 0]
    ax.axvline(r.w0, color="#999999", lw=0.8, ls=":")
    ax.annotate("", xy=(r.w0, en[i0]), xytext=(r.w0, eo[i0]),
                arrowprops=dict(arrowstyle="->", color=_NEW, lw=2))
    ax.set_title(t("vae.fig8.a", lang, w=r.w0), fontsize=11)
    ax = axes[0, 1]
    ax.scatter([r.w0, r.w1], [en[i0], en[i1]], color=_NEW, s=25, zorder=5)
    ax.scatter([r.w0, r.w1], [lp[i0], lp[i1]], color=_LOGP, s=25, zorder=5)
    ax.annotate("", xy=(r.w1, en[i1]), xytext=(r.w0, en[i0]),
                arrowprops=dict(arrowstyle="->", color=_NEW, lw=2, connectionstyle="arc3,rad=-0.25"))
    ax.axvline(r.w0, color="#999999", lw=0.8, ls=":")
    ax.axvline(r.w1, color="#999999", lw=0.8, ls=":")
    ax.set_title(t("vae.fig8.b", lang, w=r.w1), fontsize=11)
    fig.suptitle(t("vae.fig8.title", lang), fontsize=12)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.09, top=0.89, wspace=0.22, hspace=0.08)
    return fig


@register("19.9", page="ch19_2_1_amortized",
          title={"en": "EM with an exact E step closes the gap; a VAE optimising w and φ together "
                       "leaves one",
                 "ko": "정확한 E 단계를 쓰는 EM은 간극을 닫고, w와 φ를 함께 최적화하는 VAE는 간극을 남깁니다"})
def fig19_9(lang: str | None = None, mode: str | None = None):
    """(a) EM on the arc model: ln p(x | w) and the ELBO after each E and each M step; (b) the
    VAE's joint gradient ascent (:func:`aebook.experiments.arc_em_vs_vae`); bottom: the gaps."""
    from ..experiments import arc_em_vs_vae

    lang = resolve_lang(lang)
    r = arc_em_vs_vae()
    fig, axes = plt.subplots(2, 2, figsize=(11.0, 6.4), gridspec_kw={"height_ratios": [2.2, 1]})
    # EM as half steps: t = 0, 0.5, 1, ... with (ln p, ELBO) at each
    tt, lp, el = [], [], []
    for i, e in enumerate(r.em):
        tt += [i, i + 0.5]
        lp += [e["log_px_before"], e["log_px_after"]]
        el += [e["elbo_after_e"], e["elbo_after_m"]]
    ax = axes[0, 0]
    ax.plot(tt, lp, color=_LOGP, lw=2.2, marker="o", ms=4, label=t("vae.logpx", lang))
    ax.plot(tt, el, color=_NEW, lw=1.6, ls="--", marker="s", ms=3.5, label="ELBO")
    ax.axhline(r.log_px_mle, color=_PRIOR, lw=0.8, ls=":", label=t("vae.mle", lang))
    ax.set_title(t("vae.fig9.a", lang), fontsize=11)
    gx = axes[1, 0]
    gaps_m = [e["log_px_after"] - e["elbo_after_m"] for e in r.em]
    gaps_e = [abs(e["log_px_before"] - e["elbo_after_e"]) for e in r.em]
    # After an exact E step the gap is zero up to float64 rounding (1e-16 or so, a number that
    # changes with the CPU's kernels): everything below the floor is drawn on it.
    floor = 1e-12
    gx.plot([i + 0.5 for i in range(len(r.em))], np.maximum(gaps_m, floor), color=_NEW, marker="s",
            ms=4, ls="none")
    gx.scatter(range(len(r.em)), np.maximum(gaps_e, floor), color=_LOGP, s=14, zorder=5)
    gx.text(0.98, 0.9, t("vae.after_e", lang, g=max(max(gaps_e) * 10, floor)), transform=gx.transAxes,
            fontsize=8.5, ha="right", va="top")
    _gap_axis(gx, lang)
    gx.yaxis.set_major_locator(LogLocator(base=10, numticks=5))
    gx.set_ylim(floor / 3, 30)
    gx.set_xlabel(t("vae.em_step", lang))
    ax = axes[0, 1]
    ax.plot(r.vae_steps, r.vae_log_px, color=_LOGP, lw=2.2, label=t("vae.logpx", lang))
    ax.plot(r.vae_steps, r.vae_elbo, color=_NEW, lw=1.6, ls="--", label="ELBO")
    ax.axhline(r.log_px_mle, color=_PRIOR, lw=0.8, ls=":", label=t("vae.mle", lang))
    ax.set_title(t("vae.fig9.b", lang), fontsize=11)
    gx = axes[1, 1]
    gx.plot(r.vae_steps, np.array(r.vae_log_px) - np.array(r.vae_elbo), color=_NEW, lw=1.6)
    gx.axhline(r.family_gap, color=_PRIOR, lw=1, ls=":")
    gx.text(r.vae_steps[-1], r.family_gap * 0.75, t("vae.family", lang, g=r.family_gap), ha="right",
            va="top", fontsize=8.5, color=_PRIOR)
    gx.set_ylim(r.family_gap / 4, None)
    _gap_axis(gx, lang)
    gx.set_xlabel(t("vae.grad_step", lang))
    lo = min(min(lp), min(r.vae_elbo[1:]))
    for ax in axes[0]:
        ax.set_ylim(max(lo, r.log_px_mle - 4.5), r.log_px_mle + 0.5)
        ax.set_ylabel(t("vae.nats", lang), fontsize=9)
        ax.yaxis.set_major_formatter(FuncFormatter(plain_tick))
        ax.legend(fontsize=8.5, loc="lower right", frameon=False)
    fig.suptitle(t("vae.fig9.title", lang), fontsize=12)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.09, top=0.89, wspace=0.22, hspace=0.3)
    return fig


# a trained model: data checked; measured spread across kernels 0.015 (python3 tools/make.py spread)
@register("vae.mnist", page="ch19_2_1_amortized", check="data", data_tol=0.05,
          title={"en": "A VAE on MNIST-5k: reconstructions of held-out digits and new digits "
                       "decoded from prior samples",
                 "ko": "MNIST-5k의 VAE: 평가 숫자의 재구성과 사전 분포 표본에서 디코딩한 새 숫자"})
def fig_vae_mnist(lang: str | None = None, mode: str | None = None):
    """Held-out digits 0..9, the decoder's mean at the encoder's mean, and 2 × 10 decoded
    samples z ~ N(0, I) of the VAE of :func:`aebook.experiments.mnist_vae`."""
    from ..experiments import mnist_data, mnist_vae

    lang = resolve_lang(lang)
    res = mnist_vae(mode=mode)
    data = mnist_data(mode)
    idx = first_of_each_digit(data.y_test, range(10))
    x = data.x_test[idx]
    with torch.no_grad():
        mu, _ = res.model.encoder(x)
        rec = res.model.decoder.mean(res.model.decoder(mu))
        s = res.model.sample(20, generator=torch.Generator().manual_seed(0))
    rows = [(t("vae.original", lang), x), (t("vae.recon", lang), rec),
            (t("vae.samples", lang), s[:10]), ("", s[10:])]
    return digit_grid(rows, (28, 28), t("vae.mnist.title", lang, M=res.M), label_size=8.5)


# a trained model: data checked; measured spread across kernels 0.019 (python3 tools/make.py spread)
@register("vae.latent", page="ch19_2_1_amortized", check="data", data_tol=0.05,
          title={"en": "The 2-D latent space of a VAE trained on MNIST-5k: encoder means of "
                       "held-out digits, and decoded grid points",
                 "ko": "MNIST-5k로 학습한 VAE의 2차원 잠재 공간: 평가 숫자의 인코더 평균과 격자점 디코딩"})
def fig_vae_latent(lang: str | None = None, mode: str | None = None):
    """(a) μ(x) of the 1000 held-out digits, coloured by label; (b) the decoder's mean at a
    15 × 15 grid of z placed at the prior's quantiles 0.03 ... 0.97 (as in Kingma & Welling
    2014, Fig. 4), for the M = 2 VAE of :func:`aebook.experiments.mnist_vae_2d`."""
    from ..experiments import mnist_data, mnist_vae_2d

    lang = resolve_lang(lang)
    res = mnist_vae_2d(mode=mode)
    data = mnist_data(mode)
    with torch.no_grad():
        mu, _ = res.model.encoder(data.x_test)
    n = 15
    qs = torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(0.03, 0.97, n))
    Z = torch.stack(torch.meshgrid(qs, qs.flip(0), indexing="xy"), -1).reshape(-1, 2)
    with torch.no_grad():
        imgs = res.model.decoder.mean(res.model.decoder(Z)).reshape(n, n, 28, 28)
    canvas = imgs.permute(0, 2, 1, 3).reshape(n * 28, n * 28).numpy()
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 5.4))
    ax = axes[0]
    m = mu.numpy()
    sc = ax.scatter(m[:, 0], m[:, 1], c=data.y_test.numpy(), cmap="tab10", s=7, vmin=-0.5, vmax=9.5)
    cb = fig.colorbar(sc, ax=ax, ticks=range(10), fraction=0.046, pad=0.02)
    cb.ax.tick_params(labelsize=8)
    ax.set_xlabel("$\\mu_1(\\mathbf{x})$")
    ax.set_ylabel("$\\mu_2(\\mathbf{x})$")
    ax.xaxis.set_major_formatter(FuncFormatter(plain_tick))
    ax.yaxis.set_major_formatter(FuncFormatter(plain_tick))
    ax.set_title(t("vae.latent.a", lang), fontsize=11)
    ax = axes[1]
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1)
    ticks = [0, n // 2, n - 1]
    ax.set_xticks([28 * i + 14 for i in ticks])
    ax.set_xticklabels([plain_tick(round(float(qs[i]), 1), None) for i in ticks])
    ax.set_yticks([28 * i + 14 for i in ticks])
    ax.set_yticklabels([plain_tick(round(float(qs.flip(0)[i]), 1), None) for i in ticks])
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title(t("vae.latent.b", lang), fontsize=11)
    fig.suptitle(t("vae.latent.title", lang), fontsize=12)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.1, top=0.88, wspace=0.15)
    return fig
