"""The book's execution record: one row per notebook page, in the page's language.

``{aebook-exec-table}`` replaces myst-nb's ``nb-exec-table``, which lists only what Sphinx
itself executed: the book build executes the notebooks before Sphinx runs (``tools/make.py``,
two kernels at a time) and renders them with execution off, so that table came out empty, with
English headings on the Korean page. This one reads each page's own record
(:func:`aebook_sphinx.executed.execution_record`: myst-nb's data when Sphinx executed, else the
``aebook`` metadata that ``tools/make.py execute`` writes) and lists every notebook in the
order of the table of contents, linked, with when it ran and for how long. A page the build
could not execute fails the build, so every row is a success.
"""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive

HEADINGS = {"en": ("Page", "Executed (UTC)", "Seconds"), "ko": ("페이지", "실행 시각(UTC)", "걸린 시간(초)")}
NO_RECORD = {"en": "no record", "ko": "기록 없음"}


class exec_table_placeholder(nodes.General, nodes.Element):  # noqa: N801 (docutils node naming)
    pass


class ExecTable(Directive):
    """``{aebook-exec-table}``: where the execution record goes (filled once every page is read)."""

    has_content = False

    def run(self):
        return [exec_table_placeholder()]


def rows(app) -> list[tuple[str, str, str, str]]:
    """(docname, title, executed, seconds) of every notebook page, in reading order."""
    from .executed import execution_record

    env = app.env
    try:
        from myst_nb.sphinx_ import NbMetadataCollector
    except ImportError:  # pragma: no cover - myst-nb is what reads the notebooks
        NbMetadataCollector = None
    seen, out = set(), []

    def walk(doc):
        if doc in seen:
            return
        seen.add(doc)
        path = Path(env.doc2path(doc))
        if path.suffix == ".ipynb":
            exec_data = NbMetadataCollector.get_exec_data(env, doc) if NbMetadataCollector else None
            try:
                metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
            except (OSError, ValueError):
                metadata = {}
            record = execution_record(exec_data, metadata)
            title = env.titles[doc].astext() if doc in env.titles else doc
            if record is None:
                out.append((doc, title, "", ""))
            else:
                when, seconds = record
                out.append((doc, title, when.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), f"{seconds:.1f}"))
        for child in env.toctree_includes.get(doc, []):
            walk(child)

    walk(env.config.root_doc)
    for doc in sorted(env.found_docs - seen):  # pages outside the toctree, last
        walk(doc)
    return out


def _fill(app, doctree, fromdocname):
    placeholders = list(doctree.findall(exec_table_placeholder))
    if not placeholders:
        return
    lang = app.config.aebook_lang if app.config.aebook_lang in HEADINGS else "en"
    table = nodes.table(classes=["aebook-exec-table"])
    group = nodes.tgroup(cols=3)
    table += group
    for width in (60, 25, 15):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += _row([nodes.Text(h) for h in HEADINGS[lang]])
    body = nodes.tbody()
    group += body
    for doc, title, when, seconds in rows(app):
        ref = nodes.reference("", title, internal=True,
                              refuri=app.builder.get_relative_uri(fromdocname, doc))
        body += _row([ref, nodes.Text(when or NO_RECORD[lang]), nodes.Text(seconds)], numeric_last=True)
    for placeholder in placeholders:
        placeholder.replace_self(table.deepcopy())


def _row(cells, numeric_last: bool = False):
    row = nodes.row()
    for i, content in enumerate(cells):
        entry = nodes.entry(classes=["aebook-num"] if numeric_last and i == len(cells) - 1 else [])
        para = nodes.paragraph()
        para += content
        entry += para
        row += entry
    return row


def setup(app):
    app.add_node(exec_table_placeholder)
    app.add_directive("aebook-exec-table", ExecTable)
    app.connect("doctree-resolved", _fill)
