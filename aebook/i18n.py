"""Languages: the label table for figures and widgets, and fonts that can draw Hangul.

The Korean and English notebooks share every code cell; the only difference is the language
passed to :func:`aebook.setup`. Figure titles and axis labels therefore come from
:data:`STRINGS` through :func:`t`, never from string literals in a notebook.

Korean text is drawn with NanumGothic, which the ``koreanize-matplotlib`` package ships as
plain font files; we register those files with matplotlib directly (no download, no change
to global state beyond the font list). DejaVu Sans stays in the fallback list so that
symbols NanumGothic lacks (e.g. some math glyphs) still render.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

LANGS = ("ko", "en")
_current = "en"

# key -> {"en": ..., "ko": ...}. Keys are dotted: "<area>.<what>"; modules add their own with register_strings().
STRINGS: dict[str, dict[str, str]] = {
    # generic axes and legends
    "epoch": {"en": "epoch", "ko": "에포크"},
    "loss": {"en": "loss", "ko": "손실"},
    "train": {"en": "train", "ko": "학습"},
    "val": {"en": "held-out", "ko": "평가"},
    "history.title": {"en": "Training history", "ko": "학습 기록"},
    "input": {"en": "input", "ko": "입력"},
    "output": {"en": "output", "ko": "출력"},
    "hidden": {"en": "hidden", "ko": "은닉"},
    "encoder": {"en": "encoder", "ko": "인코더"},
    "decoder": {"en": "decoder", "ko": "디코더"},
    "code": {"en": "code", "ko": "코드"},
    "reconstruction": {"en": "reconstruction", "ko": "재구성"},
    "original": {"en": "original", "ko": "원본"},
    "latent": {"en": "latent", "ko": "잠재"},
    "density": {"en": "density", "ko": "밀도"},
    "score": {"en": "score", "ko": "스코어"},
    # the chapter-opening figure
    "intro.title": {"en": "An autoencoder: encoder, code, decoder",
                    "ko": "오토인코더: 인코더, 코드, 디코더"},
    "intro.x": {"en": r"data $\mathbf{x}$", "ko": r"데이터 $\mathbf{x}$"},
    "intro.z": {"en": r"code $\mathbf{z}(\mathbf{x})$", "ko": r"코드 $\mathbf{z}(\mathbf{x})$"},
    "intro.y": {"en": r"reconstruction $\mathbf{y}(\mathbf{z})$", "ko": r"재구성 $\mathbf{y}(\mathbf{z})$"},
    "intro.loss": {"en": r"reconstruction error $\|\mathbf{y}-\mathbf{x}\|^2$",
                   "ko": r"재구성 오차 $\|\mathbf{y}-\mathbf{x}\|^2$"},
    "intro.constraints": {"en": "constraint: small, sparse or noisy code",
                          "ko": "제약: 작은 차원, 희소성, 잡음"},
    # the data overview figure
    "data.title": {"en": "Offline data sets of aebook", "ko": "aebook의 오프라인 데이터"},
    "data.mnist5k": {"en": "MNIST-5k (28×28)", "ko": "MNIST-5k (28×28)"},
    "data.digits": {"en": "sklearn digits (8×8)", "ko": "sklearn 숫자 (8×8)"},
    "data.surface": {"en": "curved surface in 3-D", "ko": "3차원 속 곡면"},
    "data.curve": {"en": "1-D curve in 2-D", "ko": "2차원 속 1차원 곡선"},
    "data.gmm": {"en": "2-D Gaussian mixture", "ko": "2차원 가우시안 혼합"},
    # figure registry tables
    "registry.figure": {"en": "Figure", "ko": "그림"},
    "registry.what": {"en": "What it shows", "ko": "내용"},
    "registry.function": {"en": "Function", "ko": "함수"},
    "registry.page": {"en": "Page", "ko": "페이지"},
    "registry.baseline": {"en": "Baseline", "ko": "기준 이미지"},
}


def set_language(lang: str) -> None:
    """Choose the language of labels (``"ko"`` or ``"en"``) and configure matplotlib fonts."""
    global _current
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    _current = lang
    configure_fonts()


def get_language() -> str:
    return _current


def resolve_lang(lang: str | None) -> str:
    """``None`` means the language chosen by :func:`aebook.setup`; otherwise check it."""
    if lang is None:
        return _current
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS} or None, got {lang!r}")
    return lang


def t(key: str, lang: str | None = None, **fmt: object) -> str:
    """Look up a label in the current (or given) language; ``fmt`` fills ``{placeholders}``."""
    lang = resolve_lang(lang)
    try:
        text = STRINGS[key][lang]
    except KeyError:
        raise KeyError(f"no {lang!r} text for label key {key!r}; add it to aebook.i18n.STRINGS") from None
    return text.format(**fmt) if fmt else text


def register_strings(table: Mapping[str, Mapping[str, str]]) -> None:
    """Add label keys (each must give both languages). Used by the figure and report modules."""
    for key, texts in table.items():
        missing = [lang for lang in LANGS if lang not in texts]
        if missing:
            raise ValueError(f"label {key!r} lacks the language(s) {missing}")
        if key in STRINGS and dict(STRINGS[key]) != dict(texts):
            raise ValueError(f"label {key!r} is already defined with other texts")
        STRINGS[key] = dict(texts)


def korean_font_files() -> list[str]:
    """Paths of the NanumGothic files shipped by ``koreanize-matplotlib`` (may be empty).

    The package is located, not imported: importing it would restyle matplotlib globally.
    """
    import importlib.util

    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = os.path.join(list(spec.submodule_search_locations)[0], "fonts")
    if not os.path.isdir(folder):
        return []
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith(".ttf"))


_fonts_added = False
KOREAN_FONT = "NanumGothic"


def _add_korean_fonts() -> bool:
    """Register NanumGothic with matplotlib once; return whether it is available."""
    global _fonts_added
    from matplotlib import font_manager

    if not _fonts_added:
        for path in korean_font_files():
            font_manager.fontManager.addfont(path)
        _fonts_added = True
    return any(f.name == KOREAN_FONT for f in font_manager.fontManager.ttflist)


def font_rc(lang: str | None = None) -> dict:
    """matplotlib settings that draw ``lang`` well: NanumGothic first for Korean, second for English.

    Both languages keep both fonts, so a Korean word in an English figure (or the reverse)
    still renders. A list in ``font.family`` (not ``"sans-serif"``) turns on matplotlib's
    per-glyph fallback: NanumGothic has no U+2212 (minus) or ‖, which come from DejaVu Sans.
    """
    lang = resolve_lang(lang)
    fonts = ["DejaVu Sans"]
    if _add_korean_fonts():
        fonts = [KOREAN_FONT, "DejaVu Sans"] if lang == "ko" else ["DejaVu Sans", KOREAN_FONT]
    return {"font.family": fonts, "mathtext.fontset": "dejavusans"}


def configure_fonts() -> None:
    """Apply :func:`font_rc` for the current language to matplotlib's global settings."""
    import matplotlib as mpl

    mpl.rcParams.update(font_rc(_current))
