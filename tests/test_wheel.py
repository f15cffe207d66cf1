"""The built wheel carries the committed full-size results: in a fresh environment with only the
wheel installed (its dependencies taken from this one), a notebook shows the same full-size
numbers as the book, read as package data and not from a checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

from aebook.experiments import results as RS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                            "-w", str(tmp / "dist"), "-q"], capture_output=True, text=True, timeout=600, cwd=tmp)
    assert build.returncode == 0, build.stderr[-3000:]
    (whl,) = (tmp / "dist").glob("aebook-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    inst = subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(whl)],
                          capture_output=True, text=True, timeout=600)
    assert inst.returncode == 0, inst.stderr[-3000:]
    return py, tmp


def test_a_notebook_in_a_fresh_environment_shows_the_committed_full_size_results(wheel_env):
    py, tmp = wheel_env
    script = textwrap.dedent("""
        import json, sys
        import nbformat
        from nbclient import NotebookClient
        nb = nbformat.v4.new_notebook()
        cell = "import aebook\\nfrom aebook.report import beside\\nprint(aebook.__file__)\\n"
        nb.cells = [nbformat.v4.new_code_cell(cell + "beside('seed_spread', None, 'en')")]
        NotebookClient(nb, timeout=300, kernel_name="python3").execute()
        out = nb.cells[0].outputs  # the printed path, the numbers glued for the prose, the table
        text = next(o["text"] for o in out if o.get("name") == "stdout")
        md = next(o["data"]["text/markdown"] for o in out if o.get("output_type") == "execute_result")
        print(json.dumps({"file": text.strip(), "md": md}))
    """)
    env = {k: v for k, v in os.environ.items() if k not in ("AEBOOK_RESULTS", "PYTHONPATH")}
    run = subprocess.run([str(py), "-c", script], capture_output=True, text=True, timeout=600, cwd=tmp, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    shown = json.loads(run.stdout.strip().splitlines()[-1])
    assert shown["file"].startswith(str(tmp / "venv")), f"the kernel imported aebook from {shown['file']}"
    full = RS.load_full("seed_spread")
    assert "no full-size result" not in shown["md"].lower()
    assert f"{full['mean']:.4f}" in shown["md"] and full.provenance["commit"] in shown["md"]


def test_the_wheel_prints_the_claims_in_korean_and_holds_no_sphinx_machinery(wheel_env):
    """The Korean text of the claims is package data too; the book's Sphinx extension
    (book/_ext/aebook_sphinx) and its CSS stay out of the wheel."""
    py, tmp = wheel_env
    script = textwrap.dedent("""
        import importlib.util, json, pathlib
        import aebook
        from aebook.report.claims import korean_claims
        files = sorted(str(p.relative_to(pathlib.Path(aebook.__file__).parent))
                       for p in pathlib.Path(aebook.__file__).parent.rglob("*") if p.is_file())
        print(json.dumps({"n": len(korean_claims()), "files": files,
                          "ext": importlib.util.find_spec("aebook_sphinx") is not None}))
    """)
    env = {k: v for k, v in os.environ.items() if k not in ("AEBOOK_RESULTS", "PYTHONPATH")}
    run = subprocess.run([str(py), "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    shown = json.loads(run.stdout.strip().splitlines()[-1])
    assert shown["n"] > 90 and not shown["ext"]
    assert not [f for f in shown["files"] if "sphinx" in f or f.endswith((".css", ".js"))], shown["files"]
