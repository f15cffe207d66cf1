"""A fingerprint of the code that computes an experiment.

An experiment's result depends on its configuration (recorded beside it), its arguments
(recorded too) and its *code*: the module that defines it and every module of ``aebook`` that
module imports, directly or through others, including imports inside functions. The
fingerprint is a SHA-256 over the syntax trees of those modules, with docstrings and the
``configure(...)`` declarations removed (configurations are compared on their own, and a
reworded docstring or a changed quick configuration does not change a full-size number).
Modules that only declare, cache, report or translate (:data:`MACHINERY`) are followed for
their imports but not hashed.

A committed result whose fingerprint differs from today's was computed by other code: the
tests say so and name the command that recomputes it.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import re
import sys
from pathlib import Path

__all__ = ["MACHINERY", "closure", "dump", "fingerprint", "module_fingerprint", "source_fingerprint"]

PACKAGE = "aebook"
ROOT = Path(__file__).resolve().parents[1]

#: modules that decide how results are declared, cached, stored, shown or translated, not how
#: they are computed
MACHINERY = frozenset({
    "aebook.experiments.registry", "aebook.experiments.cache", "aebook.experiments.results",
    "aebook.experiments.runner", "aebook.experiments.sweep", "aebook.experiments.fingerprint",
    "aebook.experiments", "aebook.i18n", "aebook._version", "aebook.report",
})


def _file(module: str) -> Path | None:
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        mod = sys.modules.get(module)  # an experiment declared outside the package (a test's)
        path = getattr(mod, "__file__", None)
        return Path(path) if path and path.endswith(".py") else None
    rel = Path(*module.split(".")[1:])
    for p in (ROOT / rel.with_suffix(".py"), ROOT / rel / "__init__.py"):
        if p.is_file():
            return p
    return None


def _resolve(module: str, node: ast.ImportFrom) -> list[str]:
    path = _file(module)
    is_pkg = path is not None and path.name == "__init__.py"
    if node.level:
        parts = module.split(".")
        base = parts if is_pkg else parts[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target != PACKAGE and not target.startswith(PACKAGE + "."):
        return []
    out = [target]
    for alias in node.names:  # `from . import x` may name a submodule
        sub = f"{target}.{alias.name}"
        if _file(sub) is not None:
            out.append(sub)
    return out


@functools.cache
def _imports(module: str) -> tuple[str, ...]:
    path = _file(module)
    if path is None:
        return ()
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            found += _resolve(module, node)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name == PACKAGE or a.name.startswith(PACKAGE + ".")]
    return tuple(m for m in dict.fromkeys(found) if _file(m) is not None)


def closure(module: str) -> list[str]:
    """``module`` and every module of the package it imports, directly or not, sorted."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        todo.extend(_imports(m))
    return sorted(seen)


def _strip(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                                        ast.AsyncFunctionDef)):
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                body.pop(0)
            if isinstance(node, ast.Module):
                node.body = [s for s in node.body if not _is_configure(s)]
            if not node.body:
                node.body = [ast.Pass()]
    return tree


def _is_configure(stmt: ast.stmt) -> bool:
    return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == "configure")


@functools.cache
def module_fingerprint(module: str) -> str:
    """SHA-256 of one module's syntax tree without docstrings and ``configure`` calls."""
    return source_fingerprint(_file(module).read_text(encoding="utf-8"))


def source_fingerprint(source: str) -> str:
    """SHA-256 of Python ``source`` as a syntax tree without docstrings, comments, layout and
    top-level ``configure(...)`` calls: only a change of what the code computes changes it. The
    same on every Python from 3.11 (see :func:`dump`)."""
    tree = _strip(ast.parse(source))
    return hashlib.sha256(dump(tree).encode()).hexdigest()


#: fields that Pythons after 3.11 added to the syntax tree (PEP 695's type parameters), left out
#: while empty
_NEWER_FIELDS = frozenset({"type_params"})


def dump(node) -> str:
    """A syntax tree as text, as Python 3.11's ``ast.dump(node, annotate_fields=False)`` writes it,
    on any Python from 3.11 on. ``ast.dump`` itself changes with the version (3.12 adds empty
    ``type_params`` to every function and class, 3.13 leaves out empty fields), so a fingerprint
    taken with it would call every committed result stale on another Python; the committed
    fingerprints were taken on 3.11, and this writes what 3.11 wrote: fields in order, an absent
    or empty optional field left out and the fields after it named, no empty pieces of an
    f-string."""
    if isinstance(node, list):
        return f"[{', '.join(dump(x) for x in node)}]"
    if not isinstance(node, ast.AST):
        return repr(node)
    cls, args, named = type(node), [], False
    for name in cls._fields:
        value = getattr(node, name, None)
        if name in _NEWER_FIELDS and not value:
            continue
        if isinstance(node, ast.JoinedStr) and name == "values":  # 3.12.0-1 add Constant('') to f"{x:{w}}"
            value = [v for v in value if not (isinstance(v, ast.Constant) and v.value == "")]
        if value is None and (not hasattr(node, name) or name in _optional_fields(cls)):
            named = True
            continue
        args.append(f"{name}={dump(value)}" if named else dump(value))
    return f"{cls.__name__}({', '.join(args)})"


@functools.cache
def _optional_fields(cls: type) -> frozenset[str]:
    """The fields of node class ``cls`` that the grammar marks optional (``expr?``)."""
    doc = cls.__doc__ or ""  # e.g. "FunctionDef(identifier name, ..., expr? returns, string? type_comment)"
    return frozenset(m.group(1) for m in re.finditer(r"\?\s+(\w+)", doc))


def fingerprint(module: str) -> str:
    """The fingerprint of the code an experiment defined in ``module`` runs: 16 hex digits."""
    h = hashlib.sha256()
    for m in closure(module):
        if m not in MACHINERY:
            h.update(f"{m}:{module_fingerprint(m)}\n".encode())
    return h.hexdigest()[:16]
