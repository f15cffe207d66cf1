"""The figure registry: every reproduced figure, its function, its page and its baseline.

A figure is registered with a decorator next to the function that draws it::

    # a trained model: data checked; measured spread across kernels 5e-7 (python3 tools/make.py spread)
@register("19.3", page="ch19_1_2_deep", check="data", data_tol=0.001,
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
its baseline (:func:`compare_with_baseline`), so "the figures reproduce" is checked by CI, in
one of two ways (the ``check`` of the registration):

* ``"pixels"``: the image, within an RMS difference of ``tol`` (0-255 scale). For figures
  whose data are closed-form or deterministic to rounding (diagrams, exact densities, seeded
  Monte Carlo in float64), which draw the same pixels on any x86-64 machine.
* ``"data"``: for figures of trained models. Their numbers move slightly with the CPU's
  kernels (AVX2 vs AVX-512, the BLAS build), and a scatter of a thousand points moved by half
  a pixel fails any pixel test, so the drawing's structure (axes, titles, labels, legends,
  texts with their numbers masked; exact) and the arrays it plots (relative RMS difference at
  most ``data_tol``) are compared separately, against ``<slug>.json`` and ``<slug>.npz`` next
  to the image. See :mod:`aebook.figures.fingerprint`.

``data_tol`` is set from the spread measured across kernel settings
(``python3 tools/make.py spread``, recorded in ``book/figures/spread.json``), and a test
checks that every tolerance covers that spread with room to spare. The baselines themselves
are drawn by ``python3 tools/make.py baselines`` with the kernels pinned
(``ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2``), so they can be redrawn bit for bit on any
AVX2 machine. Redraw them after an intended change.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

from ..i18n import LANGS, resolve_lang

# The baselines live in the book's checkout, not in the installed package: by default the
# checkout this package was installed from (an editable install, as tools/make.py makes), or
# the folder $AEBOOK_BASELINES names.
REPO_ROOT = Path(__file__).resolve().parents[2]
BASELINE_DIR = Path(os.environ.get("AEBOOK_BASELINES", REPO_ROOT / "book" / "figures"))

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
        tol: allowed RMS difference (0-255 scale) against the baseline image (``check="pixels"``).
        check: ``"pixels"`` or ``"data"`` (see the module docstring).
        data_tol: allowed relative RMS difference of each plotted array (``check="data"``).
    """

    id: str
    func: Callable
    page: str
    title: dict[str, str]
    tol: float = 3.0
    extra: dict = field(default_factory=dict)
    check: str = "pixels"
    data_tol: float = 0.0

    @property
    def in_book(self) -> bool:
        """True for the book's own figures (19.x), False for figures of our own."""
        return self.id.startswith("19.") or self.id.startswith("alg")

    @property
    def slug(self) -> str:
        return "fig-" + self.id.replace(".", "-")

    def baseline(self, lang: str, suffix: str = ".png") -> Path:
        """The committed baseline: the image (``.png``), and for ``check="data"`` the plotted
        arrays (``.npz``) and the drawing's structure (``.json``)."""
        return BASELINE_DIR / lang / f"{self.slug}{suffix}"

    def qualname(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"


REGISTRY: dict[str, FigureSpec] = {}

#: the modules whose import registers figures (imported on first use, see :func:`figure_ids`)
FIGURE_MODULES = ["intro", "deterministic", "regularized", "masked", "vae", "variants"]


CHECKS = ("pixels", "data")


def register(fig_id: str, *, page: str, title: dict[str, str], tol: float = 3.0,
             check: str = "pixels", data_tol: float = 0.0, **extra):
    """Decorator: register ``func`` as the code that reproduces figure ``fig_id``.

    ``check="data"`` (figures of trained models) needs ``data_tol`` > 0, the allowed relative
    RMS difference of the plotted arrays; give the measured spread that justifies it in a
    comment at the registration.
    """
    if not _ID.match(fig_id):
        raise ValueError(f"figure id {fig_id!r} must look like '19.3', 'alg19.1' or 'area.name'")
    missing = [lang for lang in LANGS if lang not in title]
    if missing:
        raise ValueError(f"figure {fig_id!r}: title lacks the language(s) {missing}")
    if tol < 0:
        raise ValueError(f"figure {fig_id!r}: tol must be >= 0, got {tol}")
    if check not in CHECKS:
        raise ValueError(f"figure {fig_id!r}: check must be one of {CHECKS}, got {check!r}")
    if check == "data" and not 0 < data_tol < 1:
        raise ValueError(f"figure {fig_id!r}: check='data' needs data_tol in (0, 1), got {data_tol!r}")

    def deco(func):
        if fig_id in REGISTRY and REGISTRY[fig_id].qualname() != f"{func.__module__}.{func.__qualname__}":
            raise ValueError(f"figure {fig_id!r} is already registered by {REGISTRY[fig_id].qualname()}")
        REGISTRY[fig_id] = FigureSpec(fig_id, func, page, dict(title), tol, dict(extra), check, float(data_tol))
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


def save_fingerprint(fig, stem: Path) -> tuple[Path, Path]:
    """Write :func:`~aebook.figures.fingerprint.figure_data` to ``<stem>.npz`` and
    :func:`~aebook.figures.fingerprint.figure_structure` to ``<stem>.json``."""
    import json

    import numpy as np

    from .fingerprint import figure_data, figure_structure

    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    # float32 is plenty for tolerances of 1e-3 and up, and halves the files
    data = {k.replace("/", "__"): v.astype(np.float32) for k, v in figure_data(fig).items()}
    npz, js = stem.with_suffix(".npz"), stem.with_suffix(".json")
    with open(npz, "wb") as f:  # a file object: np.savez does not append a second suffix
        np.savez_compressed(f, **data)
    js.write_text(json.dumps(figure_structure(fig), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return npz, js


def load_fingerprint(stem: Path) -> tuple[dict, dict]:
    """``(data, structure)`` written by :func:`save_fingerprint`."""
    import json

    import numpy as np

    stem = Path(stem)
    with np.load(stem.with_suffix(".npz")) as z:
        data = {k.replace("__", "/"): z[k].astype(np.float64) for k in z.files}
    return data, json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))


def write_baseline(fig_id: str, lang: str) -> Path:
    """Redraw ``fig_id`` in quick mode and overwrite its committed baseline (the image, and
    for ``check="data"`` its data and structure)."""
    import matplotlib.pyplot as plt

    spec = get(fig_id)
    fig = draw(fig_id, lang=lang, mode="quick")
    try:
        path = save(fig, spec.baseline(lang))
        if spec.check == "data":
            save_fingerprint(fig, spec.baseline(lang, ""))
        return path
    finally:
        plt.close(fig)


def _missing(spec: FigureSpec, lang: str, path: Path) -> tuple[bool, str]:
    return False, (f"figure {spec.id} ({lang}) has no baseline at {path}; "
                   f"draw it with: python -m aebook figures --write --id {spec.id}")


def compare_with_baseline(fig_id: str, lang: str, out_dir: Path | None = None) -> tuple[bool, str]:
    """Redraw in quick mode and compare with the baseline, as the figure's ``check`` says.

    Returns ``(ok, message)``. On failure the message says what differs: the RMS difference
    and the paths of the new image and of matplotlib's diff image (``"pixels"``), or the first
    structural difference, or the array that moved most and by how much (``"data"``).
    """
    import matplotlib.pyplot as plt

    spec = get(fig_id)
    expected = spec.baseline(lang)
    if not expected.exists():
        return _missing(spec, lang, expected)
    out_dir = Path(out_dir or tempfile.mkdtemp(prefix="aebook-fig-"))
    actual = out_dir / f"{spec.slug}-{lang}.png"
    fig = draw(fig_id, lang=lang, mode="quick")
    try:
        save(fig, actual)
        if spec.check == "data":
            return _compare_data(spec, lang, fig, actual)
    finally:
        plt.close(fig)
    return _compare_pixels(spec, lang, expected, actual)


def _compare_pixels(spec: FigureSpec, lang: str, expected: Path, actual: Path) -> tuple[bool, str]:
    from matplotlib.testing.compare import compare_images
    from matplotlib.testing.exceptions import ImageComparisonFailure

    try:
        result = compare_images(str(expected), str(actual), tol=spec.tol, in_decorator=True)
    except ImageComparisonFailure as err:  # e.g. the image size changed
        return False, f"figure {spec.id} ({lang}) differs from its baseline: {err}; new image {actual}"
    if result is None:
        return True, f"figure {spec.id} ({lang}) matches its baseline"
    return False, (f"figure {spec.id} ({lang}) differs from its baseline: RMS {result['rms']:.2f} > tol "
                   f"{spec.tol}; new image {actual}, diff {result.get('diff')}")


def _compare_data(spec: FigureSpec, lang: str, fig, actual: Path) -> tuple[bool, str]:
    from .fingerprint import compare_data, compare_structure, figure_data, figure_structure

    stem = spec.baseline(lang, "")
    if not stem.with_suffix(".npz").exists() or not stem.with_suffix(".json").exists():
        return _missing(spec, lang, stem.with_suffix(".npz"))
    data, structure = load_fingerprint(stem)
    problem = compare_structure(figure_structure(fig), structure)
    if problem is not None:
        return False, (f"figure {spec.id} ({lang}) is drawn differently from its baseline: {problem}; "
                       f"new image {actual}")
    worst, where = compare_data(figure_data(fig), data)
    if worst > spec.data_tol:
        return False, (f"figure {spec.id} ({lang}): the plotted data moved: {where} differs by "
                       f"{worst:.3g} (relative RMS) > data_tol {spec.data_tol}; new image {actual}")
    return True, (f"figure {spec.id} ({lang}) matches its baseline: same drawing, data within "
                  f"{worst:.2g} <= {spec.data_tol}")


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
        title = r["title"].replace("|", "\\|")  # a "|" in a title (p(x | w)) would split the cell
        lines.append(f"| {label} | {title} | [{r['page']}]({r['page']}.ipynb) | `{r['function']}` | "
                     f"`{r['baseline']}` |")
    return "\n".join(lines)


_loaded = False


def _load_all() -> None:
    """Import every module that registers figures (they register on import)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
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
