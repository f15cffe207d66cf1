"""The line at the end of every executed page: when its notebook ran and for how long."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path

# When a page was executed. During a build that executes the notebooks, myst-nb keeps the time
# and duration of each run (its execution data); otherwise ``tools/make.py execute`` writes them
# into the notebook's metadata as {"aebook": {"executed": ISO time, "seconds": total}}.
EXECUTED = {"en": "Executed {when} in {seconds} s", "ko": "{when}에 실행, {seconds}초"}


def execution_line(lang: str, when: datetime, seconds: float) -> str:
    """``execution_line("en", t, 12.34) == "Executed 2026-12-01 14:02 UTC in 12.3 s"``."""
    if seconds < 0:
        raise ValueError(f"an execution cannot take {seconds} s")
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    stamp = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return EXECUTED.get(lang, EXECUTED["en"]).format(when=stamp, seconds=f"{seconds:.1f}")


def execution_record(exec_data: dict | None, nb_metadata: dict | None) -> tuple[datetime, float] | None:
    """(when, seconds) of a page's last execution: from myst-nb's execution data of this
    build if it ran and succeeded, else from the notebook metadata, else None."""
    if exec_data and exec_data.get("succeeded") and exec_data.get("mtime") and exec_data.get("runtime") is not None:
        return datetime.fromtimestamp(exec_data["mtime"], UTC), float(exec_data["runtime"])
    record = (nb_metadata or {}).get("aebook") or {}
    try:
        when, seconds = datetime.fromisoformat(record["executed"]), float(record["seconds"])
    except (KeyError, TypeError, ValueError):
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)), seconds


def _add_execution_line(app, pagename, templatename, context, doctree):
    if doctree is None or "body" not in context or pagename not in app.env.found_docs:
        return
    source = Path(app.env.doc2path(pagename))
    if source.suffix != ".ipynb":
        return
    try:
        from myst_nb.sphinx_ import NbMetadataCollector

        exec_data = NbMetadataCollector.get_exec_data(app.env, pagename)
    except ImportError:
        exec_data = None
    try:
        metadata = json.loads(source.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError):
        metadata = {}
    record = execution_record(exec_data, metadata)
    if record is None:
        return
    when, seconds = record
    text = html.escape(execution_line(app.config.aebook_lang, when, seconds))
    context["body"] += (f'\n<p class="aebook-executed" style="font-size:.8em;opacity:.7;margin-top:2rem">'
                        f'<time datetime="{when.astimezone(UTC).isoformat()}">{text}</time></p>\n')


def setup(app):
    app.connect("html-page-context", _add_execution_line)
