"""The figure registry: every reproduced figure, its function, its page and its baseline.

A figure is registered with a decorator next to the function that draws it::

    @register("19.3", page="ch19_1_2_deep",
              title={"en": "A deep autoencoder's latent surface", "ko": "..."})
    def fig19_3(lang=None, mode=None):
        ...
        return fig

The function takes ``lang`` (``"ko"``/``"en"``/``None`` = current) and ``mode``
(``"quick"``/``"full"``/``None`` = ``$AEBOOK_MODE``) and returns a matplotlib Figure. It
must be deterministic for a given mode: it seeds what it draws. Expensive computations
should live in a cached helper keyed by mode, so that drawing the Korean and the English
version trains only once.

Each figure has one committed baseline image per language under ``book/figures/<lang>/``,
drawn in quick mode. ``tests/test_figures.py`` redraws every figure and compares it with
its baseline (:func:`compare_with_baseline`), so "the figures reproduce" is checked by CI.
Redraw the baselines after an intended change with ``python -m aebook figures --write``.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

from ..i18n import LANGS, resolve_lang

# The repository root (baselines live in the checkout, not in the installed package).
REPO_ROOT = Path(__file__).resolve().parents[2]
BASELINE_DIR = REPO_ROOT / "book" / "figures"

# Rendering settings shared by baselines and checks, so both are drawn alike.
DPI = 80
RC = {"figure.dpi": DPI, "savefig.dpi": DPI, "path.simplify": False, "svg.hashsalt": "aebook"}

_ID = re.compile(r"^(19\.\d{1,2}|alg19\.1|[a-z]+(\.[a-z0-9-]+)+)$")


@dataclass(frozen=True)
class FigureSpec:
    """One registered figure.

    Attributes:
        id: ``"19.1"``..``"19.11"`` for the book's figures, ``"alg19.1"`` for its algorithm,
            ``"<area>.<name>"`` (e.g. ``"intro.autoencoder"``) for figures of our own.
        func: ``func(lang=None, mode=None) -> matplotlib.figure.Figure``.
        page: notebook stem under ``book/<lang>/`` where the figure is shown.
        title: what the figure shows, in both languages.
        tol: allowed RMS difference (0-255 scale) against the baseline.
    """

    id: str
    func: Callable
    page: str
    title: dict[str, str]
    tol: float = 3.0
    extra: dict = field(default_factory=dict)

    @property
    def in_book(self) -> bool:
        """True for the book's own figures (19.x), False for figures of our own."""
        return self.id.startswith("19.") or self.id.startswith("alg")

    @property
    def slug(self) -> str:
        return "fig-" + self.id.replace(".", "-")

    def baseline(self, lang: str) -> Path:
        return BASELINE_DIR / lang / f"{self.slug}.png"

    def qualname(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"


REGISTRY: dict[str, FigureSpec] = {}


def register(fig_id: str, *, page: str, title: dict[str, str], tol: float = 3.0, **extra):
    """Decorator: register ``func`` as the code that reproduces figure ``fig_id``."""
    if not _ID.match(fig_id):
        raise ValueError(f"figure id {fig_id!r} must look like '19.3', 'alg19.1' or 'area.name'")
    missing = [lang for lang in LANGS if lang not in title]
    if missing:
        raise ValueError(f"figure {fig_id!r}: title lacks the language(s) {missing}")
    if tol < 0:
        raise ValueError(f"figure {fig_id!r}: tol must be >= 0, got {tol}")

    def deco(func):
        if fig_id in REGISTRY and REGISTRY[fig_id].qualname() != f"{func.__module__}.{func.__qualname__}":
            raise ValueError(f"figure {fig_id!r} is already registered by {REGISTRY[fig_id].qualname()}")
        REGISTRY[fig_id] = FigureSpec(fig_id, func, page, dict(title), tol, dict(extra))
        return func

    return deco


def _sort_key(fig_id: str):
    m = re.match(r"^(alg)?19\.(\d+)$", fig_id)
    if m:  # the book's figures, then its algorithm(s), then ours
        return (1 if m.group(1) else 0, int(m.group(2)), "")
    return (2, 0, fig_id)


def figure_ids(book_only: bool = False) -> list[str]:
    """All registered ids in reading order: 19.1, 19.2, ..., alg19.1, then our own figures."""
    _load_all()
    ids = sorted(REGISTRY, key=_sort_key)
    return [i for i in ids if REGISTRY[i].in_book] if book_only else ids


def get(fig_id: str) -> FigureSpec:
    _load_all()
    try:
        return REGISTRY[fig_id]
    except KeyError:
        raise KeyError(f"no figure {fig_id!r} is registered; known: {', '.join(figure_ids())}") from None


def draw(fig_id: str, lang: str | None = None, mode: str | None = None):
    """Draw a registered figure and return the matplotlib Figure."""
    from ..i18n import font_rc

    spec = get(fig_id)
    lang = resolve_lang(lang)
    with matplotlib.rc_context({**RC, **font_rc(lang)}):
        return spec.func(lang=lang, mode=mode)


def save(fig, path: Path) -> Path:
    """Save a figure as PNG with the registry's fixed settings (no metadata, so bytes repeat)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(RC):
        fig.savefig(path, dpi=DPI, metadata={"Software": None})
    return path


def write_baseline(fig_id: str, lang: str) -> Path:
    """Redraw ``fig_id`` in quick mode and overwrite its committed baseline."""
    import matplotlib.pyplot as plt

    spec = get(fig_id)
    fig = draw(fig_id, lang=lang, mode="quick")
    try:
        return save(fig, spec.baseline(lang))
    finally:
        plt.close(fig)


def compare_with_baseline(fig_id: str, lang: str, out_dir: Path | None = None) -> tuple[bool, str]:
    """Redraw in quick mode and compare with the baseline.

    Returns ``(ok, message)``; on failure the message gives the RMS difference and the
    paths of the new image and of matplotlib's diff image.
    """
    import matplotlib.pyplot as plt
    from matplotlib.testing.compare import compare_images
    from matplotlib.testing.exceptions import ImageComparisonFailure

    spec = get(fig_id)
    expected = spec.baseline(lang)
    if not expected.exists():
        return False, (f"figure {fig_id} ({lang}) has no baseline at {expected}; "
                       f"draw it with: python -m aebook figures --write --id {fig_id}")
    out_dir = Path(out_dir or tempfile.mkdtemp(prefix="aebook-fig-"))
    actual = out_dir / f"{spec.slug}-{lang}.png"
    fig = draw(fig_id, lang=lang, mode="quick")
    try:
        save(fig, actual)
    finally:
        plt.close(fig)
    try:
        result = compare_images(str(expected), str(actual), tol=spec.tol, in_decorator=True)
    except ImageComparisonFailure as err:  # e.g. the image size changed
        return False, f"figure {fig_id} ({lang}) differs from its baseline: {err}; new image {actual}"
    if result is None:
        return True, f"figure {fig_id} ({lang}) matches its baseline"
    return False, (f"figure {fig_id} ({lang}) differs from its baseline: RMS {result['rms']:.2f} > tol "
                   f"{spec.tol}; new image {actual}, diff {result.get('diff')}")


def index_rows(lang: str | None = None) -> list[dict[str, str]]:
    lang = resolve_lang(lang)
    rows = []
    for fig_id in figure_ids():
        spec = REGISTRY[fig_id]
        rows.append({"id": fig_id, "title": spec.title[lang], "function": spec.qualname(), "page": spec.page,
                     "baseline": str(spec.baseline(lang).relative_to(REPO_ROOT))})
    return rows


def index_markdown(lang: str | None = None) -> str:
    """The figure index as a Markdown table (used by the book's figure index page)."""
    from ..i18n import t

    lang = resolve_lang(lang)
    head = [t("registry.figure", lang), t("registry.what", lang), t("registry.page", lang),
            t("registry.function", lang), t("registry.baseline", lang)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in index_rows(lang):
        label = r["id"] if REGISTRY[r["id"]].in_book else f"({r['id']})"
        lines.append(f"| {label} | {r['title']} | [{r['page']}]({r['page']}.ipynb) | `{r['function']}` | "
                     f"`{r['baseline']}` |")
    return "\n".join(lines)


_loaded = False


def _load_all() -> None:
    """Import every module that registers figures (they register on import)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    from . import FIGURE_MODULES  # noqa: F401  (importing registers)
    import importlib

    for name in FIGURE_MODULES:
        importlib.import_module(f"aebook.figures.{name}")


def show(fig_id: str, lang: str | None = None, mode: str | None = None, dpi: int = 110):
    """Draw a registered figure and display it once in a notebook (then close it).

    The figure is rendered to PNG here and displayed as an image, so the output is the
    same whatever matplotlib backend the kernel uses (with a non-interactive backend,
    displaying a Figure object would only print its text repr). Returns nothing.
    """
    import io

    import matplotlib.pyplot as plt

    fig = draw(fig_id, lang=lang, mode=mode)
    try:
        buf = io.BytesIO()
        with matplotlib.rc_context(RC):
            fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    finally:
        plt.close(fig)
    try:
        from IPython.display import Image, display
    except ImportError:  # plain Python: nothing to display into
        return
    display(Image(data=buf.getvalue(), format="png"))
