"""What a figure shows, read back from its matplotlib artists: the numbers it plots and the
drawing's structure.

A pixel comparison is the right check for a figure whose data are closed-form or
deterministic to rounding; it is the wrong one for a figure of a *trained* model, whose
numbers move a little with the CPU's kernels (AVX2 vs AVX-512, the BLAS build) and whose
pixels then move a lot (a scatter of 1000 points shifted by half a pixel). For those the test
compares two things separately:

* :func:`figure_data`: every array the figure plots (line vertices, scatter offsets and
  colour values, images, bar rectangles, the numbers printed in its texts), compared with
  the committed reference by a relative RMS difference (:func:`data_deviation`; scatters and
  images as distributions of values) with a tolerance justified by the measured spread
  across kernel settings;
* :func:`figure_structure`: the drawing itself: axes, their titles and labels, legends and
  the texts, with every number replaced by ``#`` (the numbers are in the data), and the count
  of each kind of artist. It is exact: the same code draws the same structure on any machine.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

#: a number as printed in a label: "36.0", "-1.5e-3", "0.75", "2"; also the Unicode minus.
_NUMBER = re.compile(r"[-−]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+−]?\d+)?")


def _numbers(text: str) -> list[float]:
    return [float(m.replace("−", "-")) for m in _NUMBER.findall(text)]


def _mask(text: str) -> str:
    return _NUMBER.sub("#", text)


def _visible_texts(ax) -> list[str]:
    """Texts placed on the axes (annotations, labels written with ``ax.text``), in order."""
    return [t.get_text() for t in ax.texts if t.get_visible() and t.get_text()]


def _legend_texts(ax) -> list[str]:
    leg = ax.get_legend()
    return [t.get_text() for t in leg.get_texts()] if leg is not None else []


def figure_data(fig) -> dict[str, np.ndarray]:
    """Every array a figure plots, as float64 arrays keyed ``"ax<i>/<kind><j>"``.

    Kinds: ``line`` (``(n, 2)`` vertices), ``offsets`` and ``values`` of a collection (scatter
    points and their colour values, quiver origins, mesh values), ``image`` (the image's
    array), ``patches`` (``(n, 4)`` x, y, width, height of every rectangle, e.g. bars) and
    ``numbers`` (every number printed in the axes' title, labels, legend and texts). Axes are
    numbered in ``fig.axes`` order (colour bars included); the figure's own title counts as
    ``"fig/numbers"``.
    """
    from matplotlib.patches import Rectangle

    out: dict[str, np.ndarray] = {}
    for i, ax in enumerate(fig.axes):
        for j, line in enumerate(ax.get_lines()):
            xy = np.asarray(line.get_xydata(), dtype=np.float64)
            if xy.size:
                out[f"ax{i}/line{j}"] = xy
        for j, coll in enumerate(ax.collections):
            off = np.asarray(coll.get_offsets(), dtype=np.float64)
            if off.size:
                out[f"ax{i}/offsets{j}"] = off
            arr = coll.get_array()
            if arr is not None and np.size(arr):
                out[f"ax{i}/values{j}"] = np.asarray(np.ma.filled(arr, np.nan), dtype=np.float64)
            uv = [getattr(coll, name, None) for name in ("U", "V")]  # a quiver's arrows
            if all(v is not None for v in uv):
                out[f"ax{i}/arrows{j}"] = np.stack([np.asarray(v, dtype=np.float64).ravel() for v in uv], 1)
        for j, im in enumerate(ax.get_images()):
            out[f"ax{i}/image{j}"] = np.asarray(np.ma.filled(im.get_array(), np.nan), dtype=np.float64)
        rects = [p for p in ax.patches if isinstance(p, Rectangle)]
        if rects:
            out[f"ax{i}/patches"] = np.array([[p.get_x(), p.get_y(), p.get_width(), p.get_height()]
                                              for p in rects], dtype=np.float64)
        texts = [ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), *_legend_texts(ax), *_visible_texts(ax)]
        nums = [v for s in texts for v in _numbers(s)]
        if nums:
            out[f"ax{i}/numbers"] = np.array(nums, dtype=np.float64)
    sup = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    if _numbers(sup):
        out["fig/numbers"] = np.array(_numbers(sup), dtype=np.float64)
    return out


def figure_structure(fig) -> dict[str, Any]:
    """The drawing without its numbers: per axes, the title, axis labels, legend entries and
    texts with every number written ``#``, and how many lines, collections, images and
    patches it holds; plus the figure's title and size. Plain JSON-able values."""
    axes = []
    for ax in fig.axes:
        axes.append({
            "title": _mask(ax.get_title()),
            "xlabel": _mask(ax.get_xlabel()),
            "ylabel": _mask(ax.get_ylabel()),
            "legend": [_mask(s) for s in _legend_texts(ax)],
            "texts": [_mask(s) for s in _visible_texts(ax)],
            "counts": {"lines": len(ax.get_lines()), "collections": len(ax.collections),
                       "images": len(ax.get_images()), "patches": len(ax.patches)},
        })
    sup = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    return {"size_in": [round(float(v), 3) for v in fig.get_size_inches()],
            "suptitle": _mask(sup), "axes": axes}


#: kinds of array compared as distributions (values sorted) rather than point by point: a
#: scatter of codes or an image drawn by a trained model keeps its overall shape when the
#: CPU's kernels change, but single points and pixels move (a digit at the border between two
#: classes of a 2-D latent space lands on the other side). Lines, bars, arrows and printed
#: numbers are compared point by point.
DISTRIBUTION_KINDS = ("offsets", "values", "image")


def _kind(key: str) -> str:
    return key.rsplit("/", 1)[-1].rstrip("0123456789")


def _group(key: str) -> str:
    """``"ax3/offsets2"`` -> ``"ax3/offsets"``: the arrays of one kind in one panel."""
    return key.rsplit("/", 1)[0] + "/" + _kind(key)


def _as_distribution(a: np.ndarray) -> np.ndarray:
    """The values of ``a`` sorted: per column for ``(n, k)`` point sets, all together for an
    image or a vector."""
    if a.ndim == 2 and a.shape[1] <= 4 and a.shape[0] > a.shape[1]:
        return np.sort(a, axis=0)
    return np.sort(a.ravel())


def data_deviation(actual: np.ndarray, expected: np.ndarray, kind: str = "line",
                   scale: float | None = None) -> float:
    """The relative RMS difference ``rms(actual − expected) / scale`` of one array, where
    ``scale`` is ``rms(expected)`` unless given (:func:`compare_data` passes the RMS of
    everything of that kind in the same panel). NaNs must sit in the same places and are left
    out; ``inf`` if the shapes differ. For a kind in :data:`DISTRIBUTION_KINDS` both arrays are
    sorted first (NaNs last), so what is compared is the distribution of their values.

    Relative to the size of what is plotted, so one number means the same for pixel
    intensities, latent coordinates and errors in nats: 0.01 is "off by 1 % of what the panel
    shows"."""
    a, e = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        return float("inf")
    if kind in DISTRIBUTION_KINDS:
        a, e = _as_distribution(a), _as_distribution(e)
    na, ne = np.isnan(a), np.isnan(e)
    if (na != ne).any():
        return float("inf")
    a, e = a[~ne], e[~ne]
    if e.size == 0:
        return 0.0
    scale = float(np.sqrt(np.mean(e * e))) if scale is None else float(scale)
    diff = float(np.sqrt(np.mean((a - e) ** 2)))
    if scale == 0.0:
        return 0.0 if diff == 0.0 else float("inf")
    return diff / scale


def compare_data(actual: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> tuple[float, str]:
    """``(worst deviation, key of the worst array)`` over the arrays of two :func:`figure_data`
    results; each array's deviation is relative to the RMS of all expected arrays of its kind
    in its panel (a scatter of ten classes is one picture). A missing or extra array counts as
    ``inf``."""
    worst, where = 0.0, ""
    groups: dict[str, list[np.ndarray]] = {}  # (panel, kind) -> its expected arrays
    for key, e in expected.items():
        groups.setdefault(_group(key), []).append(np.asarray(e, dtype=np.float64).ravel())
    scales = {}
    for g, arrays in groups.items():
        values = np.concatenate(arrays)
        values = values[~np.isnan(values)]
        scales[g] = float(np.sqrt(np.mean(values * values))) if values.size else 0.0
    for key in sorted(set(actual) | set(expected)):
        if key not in actual or key not in expected:
            return float("inf"), f"{key} ({'missing' if key not in actual else 'unexpected'})"
        d = data_deviation(actual[key], expected[key], _kind(key), scales[_group(key)] or None)
        if d > worst:
            worst, where = d, key
    return worst, where


def compare_structure(actual: dict[str, Any], expected: dict[str, Any]) -> str | None:
    """``None`` when two :func:`figure_structure` results agree, else where they first differ."""
    if actual.get("size_in") != expected.get("size_in"):
        return f"figure size {actual.get('size_in')} vs {expected.get('size_in')}"
    if actual.get("suptitle") != expected.get("suptitle"):
        return f"figure title {actual.get('suptitle')!r} vs {expected.get('suptitle')!r}"
    a_axes, e_axes = actual.get("axes", []), expected.get("axes", [])
    if len(a_axes) != len(e_axes):
        return f"{len(a_axes)} axes vs {len(e_axes)}"
    for i, (a, e) in enumerate(zip(a_axes, e_axes)):
        for key in e:
            if a.get(key) != e[key]:
                return f"axes {i} {key}: {a.get(key)!r} vs {e[key]!r}"
    return None
