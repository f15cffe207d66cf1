"""How far the figures move when the CPU's kernels change: the measurement behind every
figure tolerance.

PyTorch picks its vectorised kernels by the CPU (``ATEN_CPU_CAPABILITY``: default, avx2,
avx512) and MKL picks its BLAS code path (``MKL_CBWR``); each choice sums in another order, so
a trained model ends somewhere slightly different. :func:`measure` draws every figure once per
kernel setting, each in a fresh process with its own experiments (nothing is shared between
settings), and compares each drawing with the committed baseline: the RMS pixel difference
(what ``check="pixels"`` tests) and the largest relative RMS difference of the plotted arrays
against the drawing of the reference setting (what ``check="data"`` tests). The result is
written to ``book/figures/spread.json``; ``tests/test_figures.py`` checks that every
registered tolerance covers it with room to spare.

Run it with ``python3 tools/make.py spread`` (about a quarter of an hour on 2 cores: the
``compatible`` setting is slow).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

#: the kernel settings compared. ``reference`` is the one the baselines and the book's
#: committed outputs are drawn with (tools/make.py pins it); ``native`` is whatever this CPU
#: picks by itself (AVX-512 where it exists); ``compatible`` is MKL's and ATen's most basic
#: code path, the same on every x86-64 CPU.
SETTINGS: dict[str, dict[str, str | None]] = {
    "reference": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"},
    "native": {"ATEN_CPU_CAPABILITY": None, "MKL_CBWR": None},
    "compatible": {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"},
}
#: how much room a tolerance must leave above the measured spread (tests/test_figures.py).
SAFETY = 2.0


def kernel_env(setting: str, base: dict | None = None) -> dict[str, str]:
    """``base`` (default ``os.environ``) with the kernel variables of ``setting`` applied."""
    env = dict(os.environ if base is None else base)
    for k, v in SETTINGS[setting].items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def _dump(setting: str, folder: Path, ids: list[str] | None) -> None:
    env = kernel_env(setting)
    env.pop("AEBOOK_RESULT_CACHE", None)  # every setting trains its own experiments
    env.update(AEBOOK_MODE="quick", AEBOOK_PROGRESS="0", MPLBACKEND="Agg")
    cmd = [sys.executable, "-m", "aebook", "figures", "--dump", str(folder)]
    for i in ids or []:
        cmd += ["--id", i]
    print(f"[{setting}] drawing every figure ({' '.join(f'{k}={v}' for k, v in SETTINGS[setting].items() if v)})",
          flush=True)
    subprocess.run(cmd, env=env, check=True)


def measure(ids: list[str] | None = None, out: Path | None = None,
            settings: tuple[str, ...] = tuple(SETTINGS), reuse: Path | None = None) -> dict:
    """Draw the figures under each kernel setting and compare; write and return the report.
    ``reuse``: a folder of an earlier run (``<setting>/<lang>/...``) to compare again without
    drawing (after a change to the comparison itself)."""
    from . import registry
    from .fingerprint import compare_data, compare_structure

    ids = ids or registry.figure_ids()
    work = Path(reuse) if reuse else Path(tempfile.mkdtemp(prefix="aebook-spread-"))
    if not reuse:
        for s in settings:
            _dump(s, work / s, ids)
    ref = "reference" if "reference" in settings else settings[0]
    figures = {}
    for fig_id in ids:
        spec = registry.get(fig_id)
        row = {}
        for lang in ("ko", "en"):
            base_png = spec.baseline(lang)
            ref_data, ref_structure = registry.load_fingerprint(work / ref / lang / spec.slug)
            per = {}
            for s in settings:
                png = work / s / lang / f"{spec.slug}.png"
                rms = _pixel_rms(base_png, png)
                data, structure = registry.load_fingerprint(work / s / lang / spec.slug)
                worst, where = compare_data(data, ref_data)
                per[s] = {"pixel_rms": None if rms is None else round(rms, 3),
                          "data_deviation": float(f"{worst:.3g}"), "worst_array": where,
                          "structure_differs": compare_structure(structure, ref_structure)}
            row[lang] = per
        figures[fig_id] = {"check": spec.check, "tol": spec.tol, "data_tol": spec.data_tol, **row}
    import torch

    report = {
        "about": "tools/make.py spread: each figure drawn under each kernel setting (quick mode, one "
                 "torch thread); pixel_rms against the committed baseline image, data_deviation (the "
                 "largest relative RMS difference of a plotted array) against the reference setting",
        "settings": {s: {k: v for k, v in SETTINGS[s].items()} for s in settings},
        "reference": ref,
        "machine": {"cpu": _cpu_name(), "platform": platform.platform(), "python": platform.python_version(),
                    "torch": torch.__version__},
        "date": datetime.date.today().isoformat(),
        "figures": figures,
    }
    out = Path(out or registry.BASELINE_DIR / "spread.json")
    out.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    _print(report)
    print(f"\nwrote {out}")
    return report


def _pixel_rms(expected: Path, actual: Path) -> float | None:
    """matplotlib's RMS difference (0-255) of two images; ``None`` without a baseline or when
    the sizes differ."""
    from matplotlib.testing.compare import compare_images
    from matplotlib.testing.exceptions import ImageComparisonFailure

    if not expected.exists():
        return None
    try:
        result = compare_images(str(expected), str(actual), tol=0, in_decorator=True)
    except ImageComparisonFailure:
        return None
    return 0.0 if result is None else float(result["rms"])


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _print(report: dict) -> None:
    settings = list(report["settings"])
    head = f"{'figure':18s} {'check':6s} " + " ".join(f"{s[:10]:>21s}" for s in settings) + "   tol"
    print(head)
    for fig_id, row in report["figures"].items():
        cells = []
        for s in settings:
            rms = max((row[lang][s]["pixel_rms"] or 0.0) for lang in ("ko", "en"))
            dev = max(row[lang][s]["data_deviation"] for lang in ("ko", "en"))
            cells.append(f"{rms:8.2f} px {dev:9.2g}")
        tol = f"{row['tol']} px" if row["check"] == "pixels" else f"{row['data_tol']} rel"
        print(f"{fig_id:18s} {row['check']:6s} " + " ".join(f"{c:>21s}" for c in cells) + f"   {tol}")


def structure_differences(report: dict, fig_id: str) -> list[str]:
    """Where a figure's drawing (not its numbers) differed from the reference setting's."""
    row = report["figures"][fig_id]
    return [f"{lang}/{s}: {row[lang][s]['structure_differs']}" for lang in ("ko", "en")
            for s in report["settings"] if row[lang][s].get("structure_differs")]


def spread_of(report: dict, fig_id: str) -> tuple[float, float]:
    """``(largest pixel RMS, largest data deviation)`` of a figure over settings and languages."""
    row = report["figures"][fig_id]
    cells = [row[lang][s] for lang in ("ko", "en") for s in report["settings"]]
    return (max((c["pixel_rms"] or 0.0) for c in cells), max(c["data_deviation"] for c in cells))
