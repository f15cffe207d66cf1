"""Figures of section 19.2.2: the computation graphs of Figs. 19.10-19.11 (with the gradient
norms autograd actually delivers), and extras for the gradient estimators, β, the conditional,
convolutional and learned-variance VAEs, and latent traversals."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.ticker import FuncFormatter

from ..i18n import register_strings, resolve_lang, t
from ._common import digit_grid, first_of_each_digit, plain_tick
from .registry import register

register_strings({
    "var.graph10.title": {"en": "z drawn as a plain sample: the error signal stops at z",
                          "ko": "z를 그냥 표본으로 뽑으면: 오차 신호가 z에서 멈춥니다"},
    "var.graph11.title": {"en": "$z = \\mu + \\sigma \\odot \\epsilon$: the error signal reaches the encoder",
                          "ko": "$z = \\mu + \\sigma \\odot \\epsilon$: 오차 신호가 인코더까지 전달됩니다"},
    "var.encoder": {"en": "encoder", "ko": "인코더"},
    "var.decoder": {"en": "decoder", "ko": "디코더"},
    "var.sample": {"en": "sample", "ko": "표본 추출"},
    "var.forward": {"en": "forward pass", "ko": "순전파"},
    "var.backward": {"en": "gradient (autograd)", "ko": "기울기 (autograd)"},
    "var.blocked": {"en": "no path: autograd returns None", "ko": "경로 없음: autograd가 None을 돌려줌"},
    "var.norms": {"en": "measured on 64 MNIST-5k digits: encoder {e}, decoder {d:.1f}",
                  "ko": "MNIST-5k 숫자 64개에서 잰 값: 인코더 {e}, 디코더 {d:.1f}"},
    "var.none": {"en": "None", "ko": "None"},
    "var.kl_note": {"en": "(the KL term, in closed form, still reaches μ, σ)",
                    "ko": "(닫힌 형태의 KL 항은 여전히 μ, σ에 닿음)"},
    "var.gradvar.title": {"en": "Two unbiased estimators of the encoder gradient, very different variances",
                          "ko": "인코더 기울기의 두 불편 추정량, 매우 다른 분산"},
    "var.gradvar.a": {"en": "(a) total variance against samples L", "ko": "(a) 표본 수 L에 따른 전체 분산"},
    "var.gradvar.b": {"en": "(b) variance ratio to reparameterisation", "ko": "(b) 재매개변수화 대비 분산 비"},
    "var.reparam": {"en": "reparameterisation", "ko": "재매개변수화"},
    "var.score": {"en": "score function (REINFORCE)", "ko": "스코어 함수 (REINFORCE)"},
    "var.baseline": {"en": "score function + mean baseline", "ko": "스코어 함수 + 평균 기준값"},
    "var.L": {"en": "samples per estimate L", "ko": "추정당 표본 수 L"},
    "var.var": {"en": "variance (sum over parameters)", "ko": "분산 (매개변수 합)"},
    "var.ratio": {"en": "variance ÷ reparameterisation's", "ko": "분산 ÷ 재매개변수화의 분산"},
    "var.beta.title": {"en": "β trades reconstruction for KL; a large β collapses every latent unit",
                       "ko": "β는 재구성과 KL을 맞바꾸고, 큰 β는 잠재 유닛을 모두 붕괴시킵니다"},
    "var.beta.a": {"en": "(a) held-out terms of the ELBO", "ko": "(a) 평가 데이터의 ELBO 항"},
    "var.beta.b": {"en": "(b) active units (of {M})", "ko": "(b) 활성 유닛 ({M}개 중)"},
    "var.beta.c": {"en": "(c) KL per unit at β = {b:g}", "ko": "(c) β = {b:g}에서 유닛별 KL"},
    "var.neg_recon": {"en": "−E_q ln p(x|z)", "ko": "−E_q ln p(x|z)"},
    "var.kl": {"en": "KL(q ‖ p(z))", "ko": "KL(q ‖ p(z))"},
    "var.nats": {"en": "nats per image", "ko": "이미지당 nat"},
    "var.active": {"en": "active units", "ko": "활성 유닛"},
    "var.unit": {"en": "latent unit (sorted)", "ko": "잠재 유닛 (정렬)"},
    "var.klunit": {"en": "KL_j (nats)", "ko": "KL_j (nat)"},
    "var.plain": {"en": "plain", "ko": "그대로"},
    "var.warm-up": {"en": "linear warm-up", "ko": "선형 워밍업"},
    "var.cyclic": {"en": "cyclic", "ko": "주기적"},
    "var.free bits": {"en": "free bits λ = {l:g}", "ko": "자유 비트 λ = {l:g}"},
    "var.cvae.title": {"en": "A conditional VAE (M = {M}): asked for each digit, z ~ p(z)",
                       "ko": "조건부 VAE (M = {M}): 숫자마다 요청, z ~ p(z)"},
    "var.cvae.note": {"en": "a classifier trained on MNIST-5k agrees with the requested digit on "
                            "{a:.1%} of {n} samples (M = {M})",
                      "ko": "MNIST-5k로 학습한 분류기가 표본 {n}개 중 {a:.1%}에서 요청한 숫자와 "
                            "일치 (M = {M})"},
    "var.conv.title": {"en": "Held-out digits and their reconstructions: MLP VAE and convolutional VAE",
                       "ko": "평가 숫자와 재구성: MLP VAE와 합성곱 VAE"},
    "var.conv.orig": {"en": "held-out", "ko": "평가 숫자"},
    "var.conv.mlp": {"en": "MLP VAE\n−ELBO {v:.1f}", "ko": "MLP VAE\n−ELBO {v:.1f}"},
    "var.conv.conv": {"en": "conv VAE\n−ELBO {v:.1f}", "ko": "합성곱 VAE\n−ELBO {v:.1f}"},
    "var.trav.title": {"en": "Latent traversals of an MNIST-5k VAE (M = {M}): one coordinate of μ(x) "
                             "moved from −3 to 3",
                       "ko": "MNIST-5k VAE (M = {M})의 잠재 순회: μ(x)의 좌표 하나를 −3에서 3까지 이동"},
    "var.trav.row": {"en": "unit {j}\nKL {k:.2f}", "ko": "유닛 {j}\nKL {k:.2f}"},
    "var.vari.title": {"en": "A decoder that also outputs a variance, on data whose noise grows "
                             "along a curve",
                       "ko": "분산도 출력하는 디코더: 곡선을 따라 잡음이 커지는 데이터"},
    "var.vari.a": {"en": "(a) data, decoder mean and ±2σ (warm-started)",
                   "ko": "(a) 데이터, 디코더 평균과 ±2σ (웜 스타트)"},
    "var.vari.b": {"en": "(b) σ across the curve against the true noise level",
                   "ko": "(b) 곡선을 가로지르는 σ와 실제 잡음 수준"},
    "var.true_s": {"en": "true s(z)", "ko": "실제 s(z)"},
    "var.learned": {"en": "learned, warm-started (corr. {c:.2f})", "ko": "학습, 웜 스타트 (상관 {c:.2f})"},
    "var.scratch": {"en": "learned from the start (corr. {c:.2f})", "ko": "처음부터 학습 (상관 {c:.2f})"},
    "var.z": {"en": "true latent z of the held-out point", "ko": "평가 점의 실제 잠재 변수 z"},
    "var.sigma": {"en": "σ", "ko": "σ"},
})

_C_FWD, _C_BWD, _C_BLOCK = "#34495e", "#c0392b", "#7f8c8d"


def _box(ax, xy, text, color="#eaf2f8", w=1.5, h=0.62, fs=10):
    x, y = xy
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.04",
                                facecolor=color, edgecolor=_C_FWD, lw=1.2))
    ax.text(x, y, text, ha="center", va="center", fontsize=fs)


def _arrow(ax, a, b, color=_C_FWD, style="-|>", ls="-", lw=1.4, rad=0.0):
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle=style, mutation_scale=13, color=color, lw=lw,
                                 linestyle=ls, connectionstyle=f"arc3,rad={rad}"))


def _demo_batch(mode):
    from ..experiments import mnist_data

    return mnist_data(mode).x_test[:64]


def _graph_norms(reparameterize: bool, mode):
    from ..vae import VAE, BernoulliDecoder, GaussianEncoder, gradient_flow

    torch.manual_seed(0)
    m = VAE(GaussianEncoder(784, 2, (64,)), BernoulliDecoder(2, 784, (64,)))
    return gradient_flow(m, _demo_batch(mode), reparameterize=reparameterize,
                         generator=torch.Generator().manual_seed(0))


def _graph(reparameterize: bool, lang, mode):
    lang = resolve_lang(lang)
    g = _graph_norms(reparameterize, mode)
    fig, ax = plt.subplots(figsize=(10.5, 3.9))
    ax.set_xlim(0, 12.2)
    ax.set_ylim(0.1, 4.3)
    ax.axis("off")
    y = 2.3
    _box(ax, (0.7, y), "$\\mathbf{x}$", "#ffffff", w=0.8)
    _box(ax, (2.4, y), t("var.encoder", lang) + "\n$\\boldsymbol{\\phi}$")
    _box(ax, (4.4, y), "$\\boldsymbol{\\mu},\\ \\boldsymbol{\\sigma}$", "#ffffff", w=1.1)
    if reparameterize:
        _box(ax, (6.4, y), "$\\mathbf{z}=\\boldsymbol{\\mu}+\\boldsymbol{\\sigma}\\odot\\boldsymbol{\\epsilon}$",
             "#eafaf1", w=2.0)
        _box(ax, (6.4, 0.75), "$\\boldsymbol{\\epsilon}\\sim\\mathcal{N}(\\mathbf{0},\\mathbf{I})$",
             "#fdfefe", w=1.7)
        _arrow(ax, (6.4, 1.06), (6.4, y - 0.31))
    else:
        _box(ax, (6.4, y), t("var.sample", lang) + "\n$\\mathbf{z}\\sim\\mathcal{N}(\\boldsymbol{\\mu},"
             "\\boldsymbol{\\sigma}^2)$", "#fdedec", w=2.0)
    _box(ax, (8.7, y), t("var.decoder", lang) + "\n$\\mathbf{w}$")
    _box(ax, (10.9, y), "$\\ln p(\\mathbf{x}\\,|\\,\\mathbf{z},\\mathbf{w})$", "#ffffff", w=1.9)
    for a, b in [((1.1, y), (1.65, y)), ((3.15, y), (3.85, y)), ((4.95, y), (5.4, y)),
                 ((7.4, y), (7.95, y)), ((9.45, y), (9.95, y))]:
        _arrow(ax, a, b)
    # the backward path, drawn above the forward one
    yb = y + 0.62
    _arrow(ax, (10.9, yb), (8.8, yb), color=_C_BWD, ls="--", rad=0.0)
    _arrow(ax, (8.6, yb), (6.5, yb), color=_C_BWD, ls="--")
    if reparameterize:
        _arrow(ax, (6.3, yb), (4.5, yb), color=_C_BWD, ls="--")
        _arrow(ax, (4.3, yb), (2.5, yb), color=_C_BWD, ls="--")
    else:
        _arrow(ax, (6.3, yb), (5.45, yb), color=_C_BLOCK, ls="--", style="-")
        ax.text(5.3, yb, "✕", color=_C_BWD, fontsize=20, ha="center", va="center", family="DejaVu Sans")
        ax.text(4.2, yb + 0.42, t("var.blocked", lang), color=_C_BWD, fontsize=9, ha="center")
    enc = t("var.none", lang) if g["encoder"] is None else f"{g['encoder']:.1f}"
    ax.text(6.1, 0.12, t("var.norms", lang, e=enc, d=g["decoder"]), fontsize=9, ha="center", color="#333333")
    ax.plot([], [], color=_C_FWD, label=t("var.forward", lang))
    ax.plot([], [], color=_C_BWD, ls="--", label=t("var.backward", lang))
    ax.legend(loc="lower left", fontsize=8.5, frameon=False, bbox_to_anchor=(0.0, 0.04))
    if not reparameterize:
        ax.text(2.4, 1.35, t("var.kl_note", lang), fontsize=8, ha="center", color="#555555")
    ax.set_title(t("var.graph11.title" if reparameterize else "var.graph10.title", lang), fontsize=12)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.9)
    return fig


@register("19.10", page="ch19_2_2_reparam",
          title={"en": "Sampling z directly: the gradient of the Monte Carlo term cannot reach the encoder",
                 "ko": "z를 직접 표본 추출하면: 몬테카를로 항의 기울기가 인코더에 닿지 못함"})
def fig19_10(lang: str | None = None, mode: str | None = None):
    """The computation graph of the sampled first term of (19.14) with z drawn by ``sample``;
    the encoder's gradient norm printed underneath is what :func:`aebook.vae.gradient_flow`
    returns (None: no path)."""
    return _graph(False, lang, mode)


@register("19.11", page="ch19_2_2_reparam",
          title={"en": "The reparameterisation trick: z = μ + σ ⊙ ε lets the error signal reach the encoder",
                 "ko": "재매개변수화 기법: z = μ + σ ⊙ ε로 오차 신호가 인코더에 닿음"})
def fig19_11(lang: str | None = None, mode: str | None = None):
    """The same graph with z = μ + σ ⊙ ε (``rsample``), and the measured gradient norms."""
    return _graph(True, lang, mode)


@register("var.gradvar", page="ch19_2_2_reparam",
          title={"en": "Variance of the reparameterised and score-function gradient estimators",
                 "ko": "재매개변수화 추정량과 스코어 함수 추정량의 분산"})
def fig_gradvar(lang: str | None = None, mode: str | None = None):
    """:func:`aebook.experiments.gradient_variance`: total variance against L (log-log) and the
    ratios to the reparameterised estimator."""
    from ..experiments import gradient_variance

    lang = resolve_lang(lang)
    r = gradient_variance(mode=mode)
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4.0))
    styles = {"reparam": ("#2e86c1", "o"), "score": ("#c0392b", "s"), "score+baseline": ("#d68910", "^")}
    labels = {"reparam": "var.reparam", "score": "var.score", "score+baseline": "var.baseline"}
    for k, (c, mk) in styles.items():
        pts = [(L, v) for L, v in zip(r.Ls, r.variance[k]) if v is not None]
        axes[0].plot(*zip(*pts), marker=mk, color=c, label=t(labels[k], lang))
        if k != "reparam":
            rp = [(L, v) for L, v in zip(r.Ls, r.ratio(k)) if v is not None]
            axes[1].plot(*zip(*rp), marker=mk, color=c, label=t(labels[k], lang))
            for L, v in rp:
                axes[1].annotate(f"{v:.0f}×" if v >= 10 else f"{v:.1f}×", (L, v), textcoords="offset points",
                                 xytext=(0, 6), ha="center", fontsize=8, color=c, family="DejaVu Sans")
    for ax in axes:
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(t("var.L", lang))
        ax.xaxis.set_major_formatter(FuncFormatter(plain_tick))
        ax.yaxis.set_major_formatter(FuncFormatter(plain_tick))
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel(t("var.var", lang))
    axes[1].set_ylabel(t("var.ratio", lang))
    axes[1].set_ylim(1, 200)
    axes[0].set_title(t("var.gradvar.a", lang), fontsize=11)
    axes[1].set_title(t("var.gradvar.b", lang), fontsize=11)
    axes[0].legend(fontsize=8.5, frameon=False)
    fig.suptitle(t("var.gradvar.title", lang), fontsize=12)
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.84, wspace=0.28)
    return fig


# a trained model: data checked; measured spread across kernels 0.0028 (python3 tools/make.py spread) on an
# AMD EPYC, 0.0174 with the native kernels of an Intel Xeon with AVX-512
@register("var.beta", page="ch19_2_2_collapse", check="data", data_tol=0.04,
          title={"en": "The β curve on MNIST-5k, and posterior collapse with its remedies",
                 "ko": "MNIST-5k의 β 곡선, 그리고 사후 붕괴와 그 처방"})
def fig_beta(lang: str | None = None, mode: str | None = None):
    """:func:`aebook.experiments.beta_sweep` and :func:`~aebook.experiments.collapse_remedies`:
    held-out −E_q ln p(x|z) and KL per β, active units per β, and the sorted KL per unit of
    the four runs at the collapsing β."""
    from ..experiments import beta_sweep, collapse_remedies

    lang = resolve_lang(lang)
    sw, rem = beta_sweep(mode=mode), collapse_remedies(mode=mode)
    c = sw.config
    fig, axes = plt.subplots(1, 3, figsize=(13.0, 4.0))
    b = np.array(sw.betas)
    ax = axes[0]
    ax.plot(b, [r.neg_recon for r in sw.runs], "o-", color="#2e86c1", label=t("var.neg_recon", lang))
    ax.plot(b, [r.kl for r in sw.runs], "s-", color="#c0392b", label=t("var.kl", lang))
    ax.set_ylabel(t("var.nats", lang))
    ax.set_title(t("var.beta.a", lang), fontsize=11)
    ax.legend(fontsize=8.5, frameon=False)
    ax = axes[1]
    ax.plot(b, [r.active for r in sw.runs], "o-", color="#1b2631")
    ax.set_ylim(-1, c.M + 1)
    ax.set_ylabel(t("var.active", lang))
    ax.set_title(t("var.beta.b", lang, M=c.M), fontsize=11)
    for ax in axes[:2]:
        ax.set_xscale("log", base=2)
        ax.set_xlabel("β")
        ax.xaxis.set_major_formatter(FuncFormatter(plain_tick))
        ax.grid(alpha=0.3)
    ax = axes[2]
    colors = {"plain": "#7f8c8d", "warm-up": "#d68910", "cyclic": "#8e44ad", "free bits": "#2e86c1"}
    j = np.arange(1, c.M + 1)
    for r in rem:
        lab = t(f"var.{r.label}", lang, l=c.free_bits) + f" ({r.active})"
        ax.plot(j, np.maximum(r.kl_per_dim, 1e-4), "o-", ms=3, color=colors[r.label], label=lab)
    ax.set_yscale("log")
    ax.set_xlabel(t("var.unit", lang))
    ax.set_ylabel(t("var.klunit", lang))
    ax.yaxis.set_major_formatter(FuncFormatter(plain_tick))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False, title=t("var.active", lang), title_fontsize=8)
    ax.set_title(t("var.beta.c", lang, b=c.collapse_beta), fontsize=11)
    fig.suptitle(t("var.beta.title", lang), fontsize=12)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.14, top=0.84, wspace=0.3)
    return fig


# a trained model: data checked; measured spread across kernels 0.011 (python3 tools/make.py spread)
@register("var.cvae", page="ch19_2_2_variants", check="data", data_tol=0.05,
          title={"en": "A conditional VAE asked for each digit 0-9",
                 "ko": "숫자 0-9를 하나씩 요청받은 조건부 VAE"})
def fig_cvae(lang: str | None = None, mode: str | None = None):
    """Eight prior samples per class from the smallest-M cVAE of
    :func:`aebook.experiments.cvae_digits`, with the classifier's agreement rate."""
    from ..experiments import cvae_digits

    lang = resolve_lang(lang)
    r = cvae_digits(mode=mode)
    m = r.models[0]
    per_class = [m.sample(8, y=d, generator=torch.Generator().manual_seed(d)) for d in range(10)]  # (8, D) each
    cols = [("", torch.stack([per_class[d][i] for d in range(10)])) for i in range(8)]  # one column per class
    fig = digit_grid(cols, (28, 28), t("var.cvae.title", lang, M=r.Ms[0]),
                     note=t("var.cvae.note", lang, a=r.agreement[0], n=10 * r.config.per_class, M=r.Ms[0]))
    for d, ax in enumerate(fig.axes[:10]):
        ax.set_title(str(d), fontsize=9)
    return fig


# a trained model: data checked; measured spread across kernels 0.0065 (python3 tools/make.py spread) on an
# AMD EPYC, 0.023 with the native kernels of an Intel Xeon with AVX-512
@register("var.conv", page="ch19_2_2_variants", check="data", data_tol=0.05,
          title={"en": "Reconstructions by an MLP VAE and a convolutional VAE",
                 "ko": "MLP VAE와 합성곱 VAE의 재구성"})
def fig_conv(lang: str | None = None, mode: str | None = None):
    """Held-out digits 0-9 and the decoder means at μ(x) of the two VAEs of
    :func:`aebook.experiments.conv_vs_mlp`, labelled with their held-out −ELBO."""
    from ..experiments import conv_vs_mlp, mnist_data

    lang = resolve_lang(lang)
    r = conv_vs_mlp(mode=mode)
    data = mnist_data(mode)
    x = data.x_test[first_of_each_digit(data.y_test, range(10))]
    rows = [(t("var.conv.orig", lang), x)]
    with torch.no_grad():
        for k in ("mlp", "conv"):
            m = r.models[k]
            rows.append((t(f"var.conv.{k}", lang, v=r.neg_elbo[k]), m.decoder.mean(m.decode(m.encode(x)[0]))))
    return digit_grid(rows, (28, 28), t("var.conv.title", lang), label_size=8.5)


# a trained model: data checked; measured spread across kernels 0.0056 (python3 tools/make.py spread) on an
# AMD EPYC, 0.021 on an Intel Xeon with AVX-512 pinned to AVX2
@register("var.traverse", page="ch19_2_2_collapse", check="data", data_tol=0.04,
          title={"en": "Latent traversals of an MNIST-5k VAE along its most informative units",
                 "ko": "MNIST-5k VAE의 가장 정보가 많은 유닛을 따라간 잠재 순회"})
def fig_traverse(lang: str | None = None, mode: str | None = None):
    """For the β = 1 VAE of :func:`aebook.experiments.beta_sweep`: the five units with the
    largest held-out KL (in the order of their index), each moved over −3 ... 3 from the encoder
    mean of one held-out digit (:func:`aebook.vae.traverse`)."""
    from ..experiments import beta_sweep, mnist_data
    from ..vae import kl_per_dim, traverse

    lang = resolve_lang(lang)
    sw = beta_sweep(mode=mode)
    run = sw.runs[sw.betas.index(1.0)]
    data = mnist_data(mode)
    x = data.x_test[int(torch.nonzero(data.y_test == 3)[0, 0])]
    with torch.no_grad():
        kd = kl_per_dim(*run.model.encode(data.x_test)).mean(0)
    # the five largest, in the order of their index: ordered by KL, a near tie (units 4 and 7, both
    # about 1.76) swapped two rows between CPUs
    top = sorted(kd.argsort(descending=True)[:5].tolist())
    vals = torch.linspace(-3, 3, 9)
    rows = [(t("var.trav.row", lang, j=int(j), k=float(kd[j])), traverse(run.model, x, int(j), vals)) for j in top]
    return digit_grid(rows, (28, 28), t("var.trav.title", lang, M=run.model.M), label_size=8.5)


# a trained model: data checked; measured spread across kernels 0.026 (python3 tools/make.py spread)
@register("var.variance", page="ch19_2_2_variants", check="data", data_tol=0.1,
          title={"en": "A decoder that outputs a variance, on heteroscedastic 2-D data",
                 "ko": "분산을 출력하는 디코더: 이분산 2차원 데이터"})
def fig_variance(lang: str | None = None, mode: str | None = None):
    """:func:`aebook.experiments.learned_variance`: (a) data with the decoded mean curve and a
    ±2σ band across it, for the warm-started learned-variance decoder; (b) its σ, and the
    scratch model's, against the true noise level s(z)."""
    from ..experiments import (
        decoder_sigma_across,
        heteroscedastic_arc_data,
        heteroscedastic_sigma,
        learned_variance,
    )

    lang = resolve_lang(lang)
    r = learned_variance(mode=mode)
    x, _ = heteroscedastic_arc_data(r.config.n, 0)
    xt, zt = heteroscedastic_arc_data(1000, 1)
    m = r.models["learned"]
    with torch.no_grad():
        mu_train = m.encode(x)[0][:, 0]
        lo, hi = torch.quantile(mu_train, torch.tensor([0.01, 0.99]))
        zs = torch.linspace(float(lo), float(hi), 200)[:, None]  # where the encoder puts the data
        mean, logvar = m.decode(zs)
        n = mean / mean.norm(dim=1, keepdim=True)
        s = (n.pow(2) * logvar.exp()).sum(1).sqrt()[:, None]
        s_hat = {k: decoder_sigma_across(r.models[k], xt) for k in ("learned", "scratch")}
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.6))
    ax = axes[0]
    ax.scatter(x[:, 0], x[:, 1], s=2, color="#aab7b8")
    ax.plot(mean[:, 0], mean[:, 1], color="#1b2631", lw=1.5)
    for sign in (-2, 2):
        band = mean + sign * s * n
        ax.plot(band[:, 0], band[:, 1], color="#2e86c1", lw=1)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.xaxis.set_major_formatter(FuncFormatter(plain_tick))
    ax.yaxis.set_major_formatter(FuncFormatter(plain_tick))
    ax.set_title(t("var.vari.a", lang), fontsize=11)
    ax = axes[1]
    order = zt.argsort()
    ax.plot(zt[order], heteroscedastic_sigma(zt)[order], color="#1b2631", lw=2, label=t("var.true_s", lang))
    ax.scatter(zt, s_hat["learned"], s=4, color="#2e86c1", label=t("var.learned", lang, c=r.corr["learned"]))
    ax.scatter(zt, s_hat["scratch"], s=4, color="#d68910", label=t("var.scratch", lang, c=r.corr["scratch"]))
    ax.set_xlabel(t("var.z", lang))
    ax.set_ylabel(t("var.sigma", lang))
    ax.xaxis.set_major_formatter(FuncFormatter(plain_tick))
    ax.yaxis.set_major_formatter(FuncFormatter(plain_tick))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8.5, frameon=False, loc="upper left", markerscale=3)
    ax.set_title(t("var.vari.b", lang), fontsize=11)
    fig.suptitle(t("var.vari.title", lang), fontsize=12)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.12, top=0.86, wspace=0.22)
    return fig
