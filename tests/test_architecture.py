"""The package's layout: one direction of imports, no cycle, files of one idea each."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import aebook

ROOT = Path(aebook.__file__).parent
#: the layers of the package docstring, bottom first: a module may import only its own layer
#: and the layers below it.
LAYERS = [
    {"aebook._checks", "aebook._version", "aebook.config", "aebook.i18n", "aebook.glossary"},
    {"aebook.data", "aebook.densities", "aebook.noise"},
    {"aebook.layers", "aebook.losses", "aebook.models", "aebook.pca", "aebook.mae", "aebook.vae", "aebook.arc",
     "aebook.metrics", "aebook.score", "aebook.equations"},
    {"aebook.train"},
    {"aebook.experiments", "aebook.worked"},
    {"aebook.figures", "aebook.widgets", "aebook.report"},
    {"aebook", "aebook.__main__"},
]
MAX_LINES = 500


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _imports(name: str) -> set[str]:
    """Every aebook module that ``name`` imports, at the top or inside a function."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")
                up = up[:len(up) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            # "from .. import data" imports the module aebook.data; "from .data import x" the
            # module aebook.data too (x is a name in it, or a submodule)
            targets = [f"{base}.{a.name}" for a in node.names] + ([base] if node.module else [])
        else:
            continue
        for t in targets:
            while t and t not in MODULES:  # "aebook.vae.elbo" -> the module "aebook.vae"
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


GRAPH = {name: _imports(name) for name in MODULES}


def _top(name: str) -> str:
    """The layer entry a module belongs to: "aebook.vae.model" -> "aebook.vae"."""
    for layer in LAYERS:
        for entry in sorted(layer, key=len, reverse=True):
            if name == entry or name.startswith(entry + "."):
                return entry
    raise AssertionError(f"{name} is in no layer of LAYERS")


def _layer(name: str) -> int:
    top = _top(name)
    return next(i for i, layer in enumerate(LAYERS) if top in layer)


def test_there_is_no_import_cycle():
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(GRAPH[n]):
            if state.get(m) == 1:
                cycle = stack[stack.index(m):] + [m]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(GRAPH):
        if n not in state:
            visit(n)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_module_imports_only_its_layer_and_those_below(name):
    up = sorted(m for m in GRAPH[name] if _layer(m) > _layer(name))
    assert not up, f"{name} (layer {_layer(name)}) imports {up} from a layer above"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_module_holds_one_idea_in_at_most_500_lines(name):
    n = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{name} has {n} lines; split it by idea"


def test_the_training_loop_knows_nothing_of_the_presentation():
    for name in MODULES:
        if name.startswith("aebook.train"):
            assert not {m for m in GRAPH[name] if m.startswith(("aebook.i18n", "aebook.figures"))}, name
            assert "matplotlib" not in MODULES[name].read_text(encoding="utf-8"), name


def test_importing_aebook_does_not_import_matplotlib_or_the_experiments():
    code = "import sys, aebook; print('matplotlib' in sys.modules, 'aebook.experiments' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
    assert aebook.figures.figure_ids()  # and both are there on first use


BOOK_EXT = ROOT.parent / "book" / "_ext" / "aebook_sphinx"
#: (myst_nb is not among them: aebook.report glues numbers with myst_nb.glue, a notebook's API)
SPHINX_WORLD = ("sphinx", "docutils", "pybtex", "sphinxcontrib", "kiwipiepy", "aebook_sphinx")


@pytest.mark.parametrize("name", sorted(MODULES))
def test_the_package_readers_install_holds_no_sphinx_machinery(name):
    """The book's Sphinx extension lives with the book (book/_ext/aebook_sphinx), not in aebook."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and not n.level}
    assert not {m for m in imported if m.split(".")[0] in SPHINX_WORLD}, f"{name} imports the book's build tools"


@pytest.mark.parametrize("path", sorted(BOOK_EXT.glob("*.py")), ids=lambda p: p.stem)
def test_each_concern_of_the_books_extension_fits_in_500_lines(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{path.name} has {n} lines; split it by concern"
