"""Interactive explorers for the pages, with a static fallback for the built (HTML) book.

The book is published as static HTML, where no Python kernel answers a slider. Every
explorer here therefore **always** displays a static PNG first (all settings stacked in one
figure: what the PDF prints), then the same explorer as a self-contained HTML slider over
precomputed pictures, one per setting, that moves in the web book with no kernel (a range
input and an inline handler that shows the chosen picture; hidden in print). It returns a live
``ipywidgets`` object only when asked with ``interactive=True`` and ipywidgets is installed:
a reader who runs the page in Jupyter gets a slider that redraws, and for the latent explorer
any point of the latent space.

Nothing here trains a model: the explorers reuse the cached results of
:mod:`aebook.experiments`.

==========================================  ==================================================
:func:`reconstruction_explorer`             PCA vs deep-AE reconstructions of MNIST-5k digits
                                            for each code size M of
                                            :func:`aebook.experiments.deep_vs_pca_mnist`
:func:`reconstruction_figure`               the static figure behind it (a matplotlib Figure)
:func:`denoising_explorer`                  corrupted digits, plain-AE and DAE outputs, with a
                                            noise-level slider (section 19.1.4)
:func:`denoising_figure`                    the static figure behind it
:func:`beta_explorer`                       reconstructions and prior samples of the VAEs of
                                            :func:`aebook.experiments.beta_sweep`, one β at a
                                            time (section 19.2.2)
:func:`beta_figure`                         the static figure behind it
:func:`latent_explorer`                     sliders over the two latent coordinates (and the
                                            class) of the M = 2 conditional VAE of
                                            :func:`aebook.experiments.cvae_digits`
:func:`latent_figure`                       the static figure behind it
==========================================  ==================================================
"""

from __future__ import annotations

import html
import io
import json
import warnings

import torch

from ._checks import boolean, choice, integer, real
from .i18n import register_strings, resolve_lang, t

__all__ = ["beta_explorer", "beta_figure", "denoising_explorer", "denoising_figure", "explorer_title",
           "frames_html", "latent_explorer", "latent_figure", "reconstruction_explorer", "reconstruction_figure",
           "LATENT_Z2", "MAX_IMAGES"]

#: at most this many test digits (one per digit class, 0, 1, 2, ...).
MAX_IMAGES = 10

register_strings({
    "widget.recon.title": {"en": "Held-out MNIST-5k digits: PCA vs deep autoencoder",
                           "ko": "MNIST-5k 평가 숫자: PCA와 심층 오토인코더"},
    "widget.recon.slider": {"en": "code size M", "ko": "코드 크기 M"},
    "widget.recon.original": {"en": "original", "ko": "원본"},
    "widget.recon.pca": {"en": "PCA, M = {M}\nerror {e:.1f}", "ko": "PCA, M = {M}\n오차 {e:.1f}"},
    "widget.recon.ae": {"en": "deep AE, M = {M}\nerror {e:.1f}",
                        "ko": "심층 AE, M = {M}\n오차 {e:.1f}"},
    "widget.noise.title": {"en": "Denoising held-out MNIST-5k digits: {kind}",
                           "ko": "MNIST-5k 평가 숫자의 잡음 제거: {kind}"},
    "widget.noise.mask": {"en": "masking noise ν", "ko": "마스킹 잡음 ν"},
    "widget.noise.gaussian": {"en": "Gaussian noise σ", "ko": "가우시안 잡음 σ"},
    "widget.noise.note": {"en": "error: held-out squared error per image against the clean digit",
                          "ko": "오차: 깨끗한 숫자에 대한 평가 이미지당 제곱 오차"},
    "widget.beta.title": {"en": "VAEs trained with KL weight β on MNIST-5k",
                          "ko": "KL 가중치 β로 학습한 MNIST-5k의 VAE"},
    "widget.beta.slider": {"en": "β", "ko": "β"},
    "widget.beta.recon": {"en": "β = {b:g}: recon.\nKL {k:.1f}, {a} active",
                          "ko": "β = {b:g}: 재구성\nKL {k:.1f}, 활성 {a}"},
    "widget.beta.sample": {"en": "β = {b:g}:\nz ~ p(z)", "ko": "β = {b:g}:\nz ~ p(z)"},
    "widget.beta.note": {"en": "KL: held-out nats per image; active: units with Cov(E_q[z_j]) > 0.01",
                         "ko": "KL: 평가 이미지당 nat; 활성: Cov(E_q[z_j]) > 0.01인 유닛"},
    "widget.latent.title": {"en": "The decoder of a conditional VAE (M = 2): class y and z = (z1, z2)",
                            "ko": "조건부 VAE (M = 2)의 디코더: 클래스 y와 z = (z1, z2)"},
    "widget.latent.row": {"en": "y = {d}", "ko": "y = {d}"},
    "widget.latent.note": {"en": "columns: z1 from −2 to 2, with z2 = {z2:g}",
                           "ko": "열: z1을 −2에서 2까지, z2 = {z2:g}"},
    "widget.recon.note": {"en": "error: held-out squared error per image (1000 images)",
                          "ko": "오차: 평가 이미지 1000장의 이미지당 제곱 오차"},
    "widget.latent.slider": {"en": "z2", "ko": "z2"},
})


#: the string that titles each explorer's static figure
_TITLES = {"reconstruction_explorer": "widget.recon.title", "denoising_explorer": "widget.noise.title",
           "beta_explorer": "widget.beta.title", "latent_explorer": "widget.latent.title"}


def explorer_title(name: str, lang: str | None = None, kind: str = "gaussian") -> str | None:
    """The title of the static figure that the explorer ``name`` shows (``kind``: the noise of
    :func:`denoising_explorer`), in ``lang``; ``None`` for a name that is not an explorer. The web
    book uses it as the image's alt text (book/_ext/aebook_sphinx/figures.py)."""
    key = _TITLES.get(name)
    if key is None:
        return None
    lang = resolve_lang(lang)
    if key == "widget.noise.title":
        return t(key, lang, kind=t(f"widget.noise.{_check_kind(kind)}", lang))
    return t(key, lang)


def _digits(n_images: int, mode: str | None = None) -> torch.Tensor:
    """The first held-out image of each digit 0, 1, ..., n_images-1 (fixed, deterministic)."""
    from .experiments import mnist_data
    from .figures._common import first_of_each_digit

    data = mnist_data(mode)
    return data.x_test[first_of_each_digit(data.y_test, range(integer(n_images, "n_images", maximum=MAX_IMAGES)))]


def _rows(res, x: torch.Tensor, lang: str, Ms) -> list[tuple[str, torch.Tensor]]:
    rows = []
    with torch.no_grad():
        for M in Ms:
            i = res.Ms.index(M)
            rows.append((t("widget.recon.pca", lang, M=M, e=res.pca_test_errors[i]),
                         res.pcas[i].reconstruct(x)))
            rows.append((t("widget.recon.ae", lang, M=M, e=res.ae_test_errors[i]),
                         res.models[i](x).recon))
    return rows


def _draw(rows, x: torch.Tensor, lang: str):
    from .figures._common import digit_grid

    return digit_grid([(t("widget.recon.original", lang), x), *rows], (28, 28), t("widget.recon.title", lang),
                      note=t("widget.recon.note", lang), cell=1.0, label_width=1.7)


def reconstruction_figure(Ms=(2, 30), n_images: int = 8, lang: str | None = None,
                          mode: str | None = None):
    """The static figure of :func:`reconstruction_explorer`: a row of held-out digits, then
    for every M in ``Ms`` a PCA row and a deep-AE row, each labelled with its held-out error.
    Returns a matplotlib Figure (the caller closes it). Raises ValueError as the explorer."""
    from .experiments import deep_vs_pca_mnist

    lang = resolve_lang(lang)
    res = deep_vs_pca_mnist(Ms, mode=mode)  # validates Ms; cached, so nothing is retrained
    x = _digits(n_images, mode)
    return _draw(_rows(res, x, lang, res.Ms), x, lang)


def _png(fig) -> bytes:
    import matplotlib
    import matplotlib.pyplot as plt

    from .figures.registry import RC

    try:
        buf = io.BytesIO()
        with matplotlib.rc_context(RC):
            fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    finally:
        plt.close(fig)
    return buf.getvalue()


def _display_png(data: bytes) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:  # plain Python: nothing to display into
        return
    if get_ipython() is not None:
        display(Image(data=data, format="png"))


def _display_html(text: str) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display
    except ImportError:
        return
    if get_ipython() is not None:
        display(HTML(text))


#: the range input's handler: show the chosen picture, say its setting (the <output> and the
#: input's aria-valuetext). Inline, so that the output needs nothing else: it moves in the web
#: book and in a Jupyter session (which runs handlers of outputs it trusts).
_ON_INPUT = ("var b=this.closest('.aebook-explorer'),l=JSON.parse(this.dataset.labels),v=+this.value;"
             "b.querySelectorAll('img').forEach(function(m,i){m.hidden=i!==v;});"
             "b.querySelector('output').textContent=l[v];this.setAttribute('aria-valuetext',l[v]);")


def frames_html(title: str, description: str, labels: list[str], pngs: list[bytes]) -> str:
    """An explorer that needs no kernel: a range input named ``description`` over the settings
    ``labels`` and one precomputed PNG per setting (``pngs``, the first shown), each with the
    alt text "``title``: ``description`` = label". Self-contained HTML (the pictures inline).

    Raises:
        ValueError: ``labels`` and ``pngs`` differ in length or are empty.
    """
    if not labels or len(labels) != len(pngs):
        raise ValueError(f"labels and pngs must be non-empty and of one length, got {len(labels)} and {len(pngs)}")
    import base64

    e = html.escape
    imgs = "".join(f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" '
                   f'alt="{e(f"{title}: {description} = {label}")}"{" hidden" if i else ""}>'
                   for i, (label, png) in enumerate(zip(labels, pngs)))
    return (f'<div class="aebook-explorer" role="group" aria-label="{e(title)}">'
            f'<label class="aebook-explorer-control">{e(description)} '
            f'<input type="range" min="0" max="{len(labels) - 1}" step="1" value="0" '
            f'aria-valuetext="{e(labels[0])}" data-labels="{e(json.dumps(labels, ensure_ascii=False))}" '
            f'oninput="{e(_ON_INPUT)}"></label> <output>{e(labels[0])}</output>{imgs}</div>')


def _explore(static, options: list, labels: list[str], render, description: str, title: str, *, show: bool,
             interactive: bool):
    """What every explorer does: when ``show``, display the stacked figure ``static()`` and the
    kernel-free slider; when ``interactive``, return the live widget. Each setting's picture,
    ``render(option)``, is drawn once and serves both."""
    if not (show or interactive):
        return None
    pngs = [render(o) for o in options]
    if show:
        _display_png(_png(static()))
        _display_html(frames_html(title, description, labels, pngs))
    return _slider(options, pngs, description) if interactive else None


def reconstruction_explorer(Ms=(2, 30), n_images: int = 8, lang: str | None = None, *,
                            interactive: bool = False, mode: str | None = None,
                            show: bool = True):
    """Compare PCA and deep-AE reconstructions of held-out MNIST-5k digits, per code size M.

    Always displays (when running under IPython and ``show``) one static PNG with every M in
    ``Ms`` stacked, so that the executed, static book shows the comparison. With
    ``interactive=True`` it also returns an ``ipywidgets.VBox`` ``[slider, image]``: the
    ``SelectionSlider`` offers exactly ``Ms`` and the image shows the original digits with the
    PCA and deep-AE reconstructions for the chosen M. The models are those of
    :func:`aebook.experiments.deep_vs_pca_mnist` (cached; nothing is retrained).

    Args:
        Ms: code sizes; they select (and, the first time, train) ``deep_vs_pca_mnist(Ms)``.
        n_images: how many held-out digits, 1..10 (the first test image of digits 0, 1, ...).
        lang: ``"ko"``, ``"en"`` or ``None`` (the language chosen by :func:`aebook.setup`).
        interactive: return a live widget (needs ipywidgets; otherwise a warning, and None).
        mode: ``"quick"``/``"full"``/``None`` as in :mod:`aebook.experiments`.
        show: display the static PNG (default True).

    Returns:
        the widget when ``interactive`` and ipywidgets is available, else None.

    Raises:
        ValueError: bad ``Ms`` (see ``deep_vs_pca_mnist``), ``n_images`` or ``lang``.
    """
    from .experiments import deep_vs_pca_mnist

    lang = resolve_lang(lang)
    boolean(interactive, "interactive")
    res = deep_vs_pca_mnist(Ms, mode=mode)
    x = _digits(n_images, mode)
    return _explore(lambda: _draw(_rows(res, x, lang, res.Ms), x, lang), list(res.Ms), [str(M) for M in res.Ms],
                    lambda M: _png(_draw(_rows(res, x, lang, (M,)), x, lang)), t("widget.recon.slider", lang),
                    t("widget.recon.title", lang), show=show, interactive=interactive)


def _slider(options: list, pictures: list[bytes], description: str):
    """An ``ipywidgets.VBox([SelectionSlider, Image])`` whose image shows the picture (PNG bytes)
    of the chosen option; ``None`` with a warning without ipywidgets."""
    try:
        import ipywidgets
    except ImportError:
        warnings.warn("ipywidgets is not installed; showing the static figure only",
                      RuntimeWarning, stacklevel=4)
        return None
    pngs = dict(zip(options, pictures))
    slider = ipywidgets.SelectionSlider(options=options, value=options[0], description=description,
                                        style={"description_width": "initial"},
                                        continuous_update=False)
    image = ipywidgets.Image(value=pngs[options[0]], format="png")

    def _update(change) -> None:
        image.value = pngs[change["new"]]

    slider.observe(_update, names="value")
    return ipywidgets.VBox([slider, image])


def _check_kind(kind) -> str:
    return choice(kind, "kind", ("mask", "gaussian"))


def _denoising_fig(res, x, kind: str, lang: str, levels=None):
    from .figures._common import digit_grid
    from .figures.regularized import denoising_rows

    rows = denoising_rows(res, x, (kind,), lang, plain=True, levels=levels)
    title = t("widget.noise.title", lang, kind=t(f"widget.noise.{kind}", lang))
    return digit_grid([(t("widget.recon.original", lang), x), *rows], (28, 28), title,
                      note=t("widget.noise.note", lang))


def denoising_figure(kind: str = "gaussian", n_images: int = 8, lang: str | None = None,
                     mode: str | None = None):
    """The static figure of :func:`denoising_explorer` for every level of ``kind``; returns a
    matplotlib Figure (the caller closes it)."""
    from .experiments import denoising_table

    lang, kind = resolve_lang(lang), _check_kind(kind)
    return _denoising_fig(denoising_table(mode=mode), _digits(n_images, mode), kind, lang)


def denoising_explorer(kind: str = "gaussian", n_images: int = 8, lang: str | None = None, *,
                       interactive: bool = False, mode: str | None = None, show: bool = True):
    """Corrupt held-out MNIST-5k digits and compare what a plain AE and a denoising AE of the
    same size make of them, level by level (the models of
    :func:`aebook.experiments.denoising_table`; nothing is retrained).

    Always displays (under IPython, when ``show``) one static PNG with every level of ``kind``
    stacked: corrupted input, plain-AE output, DAE output, each labelled with its held-out
    error. With ``interactive=True`` it also returns an ``ipywidgets.VBox`` with a
    ``SelectionSlider`` over the levels (ν or σ) and the picture for the chosen level.

    Args:
        kind: ``"mask"`` (masking noise, levels ν) or ``"gaussian"`` (levels σ).
        n_images, lang, interactive, mode, show: as :func:`reconstruction_explorer`.

    Raises:
        ValueError: bad ``kind``, ``n_images``, ``lang`` or ``interactive``.
    """
    from .experiments import denoising_table

    lang, kind = resolve_lang(lang), _check_kind(kind)
    boolean(interactive, "interactive")
    res = denoising_table(mode=mode)
    levels = [c.level for c in res.daes if c.kind == kind]
    x = _digits(n_images, mode)
    return _explore(lambda: _denoising_fig(res, x, kind, lang), levels, [f"{lv:g}" for lv in levels],
                    lambda lv: _png(_denoising_fig(res, x, kind, lang, levels=(lv,))), t(f"widget.noise.{kind}", lang),
                    explorer_title("denoising_explorer", lang, kind), show=show, interactive=interactive)


def _beta_rows(sw, x, lang, betas):
    rows = []
    with torch.no_grad():
        for b in betas:
            r = sw.runs[sw.betas.index(b)]
            rows.append((t("widget.beta.recon", lang, b=b, k=r.kl, a=r.active),
                         r.model.decoder.mean(r.model.decode(r.model.encode(x)[0]))))
            rows.append((t("widget.beta.sample", lang, b=b),
                         r.model.sample(x.shape[0], generator=torch.Generator().manual_seed(0))))
    return rows


def _beta_fig(sw, x, lang, betas):
    from .figures._common import digit_grid

    return digit_grid([(t("widget.recon.original", lang), x), *_beta_rows(sw, x, lang, betas)], (28, 28),
                      t("widget.beta.title", lang), note=t("widget.beta.note", lang), label_size=8)


def beta_figure(n_images: int = 8, lang: str | None = None, mode: str | None = None):
    """The static figure of :func:`beta_explorer` with every β stacked (a matplotlib Figure)."""
    from .experiments import beta_sweep

    lang = resolve_lang(lang)
    sw = beta_sweep(mode=mode)
    return _beta_fig(sw, _digits(n_images, mode), lang, sw.betas)


def beta_explorer(n_images: int = 8, lang: str | None = None, *, interactive: bool = False,
                  mode: str | None = None, show: bool = True):
    """What β does to a VAE, one trained model per β of :func:`aebook.experiments.beta_sweep`
    (cached; nothing is retrained): reconstructions of held-out digits (with the held-out KL
    and the active units) and decoded prior samples.

    Always displays (under IPython, when ``show``) one static PNG with every β stacked; with
    ``interactive=True`` also returns an ``ipywidgets.VBox`` with a β slider.

    Raises:
        ValueError: bad ``n_images``, ``lang`` or ``interactive``.
    """
    from .experiments import beta_sweep

    lang = resolve_lang(lang)
    boolean(interactive, "interactive")
    sw = beta_sweep(mode=mode)
    x = _digits(n_images, mode)
    return _explore(lambda: _beta_fig(sw, x, lang, sw.betas), list(sw.betas), [f"{b:g}" for b in sw.betas],
                    lambda b: _png(_beta_fig(sw, x, lang, (b,))), t("widget.beta.slider", lang),
                    t("widget.beta.title", lang), show=show, interactive=interactive)


#: the values of z2 the kernel-free latent explorer offers (the static figure is z2 = 0)
LATENT_Z2 = (-2.0, -1.0, 0.0, 1.0, 2.0)


def _latent_fig(model, lang, z2: float = 0.0, n: int = 9):
    from .figures._common import digit_grid

    z1 = torch.linspace(-2, 2, n)
    rows = []
    with torch.no_grad():
        for d in range(model.n_classes):
            z = torch.stack([z1, torch.full_like(z1, float(z2))], 1)
            rows.append((t("widget.latent.row", lang, d=d),
                         model.decoder.mean(model.decode(z, torch.full((n,), d, dtype=torch.long)))))
    return digit_grid(rows, (28, 28), t("widget.latent.title", lang), note=t("widget.latent.note", lang, z2=z2))


def _latent_model(mode):
    from .experiments import cvae_digits

    r = cvae_digits(mode=mode)
    if 2 not in r.Ms:
        raise ValueError(f"the latent explorer needs the M = 2 cVAE; this mode trains M in {r.Ms}")
    return r.models[r.Ms.index(2)]


def latent_figure(lang: str | None = None, mode: str | None = None, z2: float = 0.0):
    """The static figure of :func:`latent_explorer`: for every class y (rows), the decoder's
    mean along z1 = −2 ... 2 at the given ``z2`` (a matplotlib Figure)."""
    lang = resolve_lang(lang)
    return _latent_fig(_latent_model(mode), lang, real(z2, "z2", low=-4.0, high=4.0))


def latent_explorer(lang: str | None = None, *, interactive: bool = False, mode: str | None = None,
                    show: bool = True):
    """Move through the 2-D latent space of the M = 2 conditional VAE of
    :func:`aebook.experiments.cvae_digits` (cached; nothing is retrained).

    Always displays (under IPython, when ``show``) the static grid of :func:`latent_figure`,
    then the kernel-free slider over z2 in :data:`LATENT_Z2`. With ``interactive=True`` it also
    returns an ``ipywidgets.VBox`` with two sliders (z1, z2 in [−3, 3]) and a class dropdown, and
    an image that the decoder redraws on every change.

    Raises:
        ValueError: bad ``lang`` or ``interactive``.
    """
    lang = resolve_lang(lang)
    boolean(interactive, "interactive")
    model = _latent_model(mode)
    # the page's slider over z2; the live widget below decodes any (z1, z2) instead
    _explore(lambda: _latent_fig(model, lang), list(LATENT_Z2), [f"{z:g}" for z in LATENT_Z2],
             lambda z2: _png(_latent_fig(model, lang, z2)), t("widget.latent.slider", lang),
             t("widget.latent.title", lang), show=show, interactive=False)
    if not interactive:
        return None
    try:
        import ipywidgets
    except ImportError:
        warnings.warn("ipywidgets is not installed; showing the static figure only", RuntimeWarning, stacklevel=2)
        return None
    import matplotlib.pyplot as plt

    sliders = [ipywidgets.FloatSlider(value=0.0, min=-3.0, max=3.0, step=0.1, description=f"z{i + 1}",
                                      continuous_update=False) for i in range(2)]
    klass = ipywidgets.Dropdown(options=list(range(model.n_classes)), value=0, description="y")
    image = ipywidgets.Image(format="png")

    def render(_change=None) -> None:
        z = torch.tensor([[sliders[0].value, sliders[1].value]])
        with torch.no_grad():
            img = model.decoder.mean(model.decode(z, torch.tensor([klass.value])))[0]
        fig, ax = plt.subplots(figsize=(2.4, 2.4))
        ax.imshow(img.reshape(28, 28).numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.axis("off")
        image.value = _png(fig)

    for w in (*sliders, klass):
        w.observe(render, names="value")
    render()
    return ipywidgets.VBox([ipywidgets.HBox([*sliders, klass]), image])
