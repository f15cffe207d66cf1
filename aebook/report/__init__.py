"""Full-size results on the pages: beside the quick ones, and beside the papers.

A page computes an experiment in quick mode and prints its numbers; right below, one call::

    from aebook.report import beside
    beside("deep_vs_pca_mnist", mn)

shows the same numbers from the committed full-size run (``results/full/<name>.json``, see
:mod:`aebook.experiments.results`) next to the quick ones and, where a paper reports the same
quantity, next to the paper's number, with one line saying what each column ran on (data,
size, epochs, device, time, date, commit). Experiments whose full run sweeps another grid than
the quick one (the sparse, denoising and β tables) show the full table in the page's format
instead. :func:`paper_table` gathers the comparisons with the literature on one page and
:func:`runs_table` lists every full run with its provenance.

Everything read here is plain JSON; a number missing from a result shows as "–". Texts come
from :mod:`aebook.i18n`, so the Korean and English pages share the code cells.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from typing import Any

from ..experiments.registry import CONFIGS, EXPERIMENTS
from ..experiments.results import FullResult, load_full, to_json
from ..i18n import STRINGS, get_language, resolve_lang, set_language, t
from .claims import claim_text, print_claims
from .specs import CLAIMS, FULL_CLAIMS, PAGES, PAPERS, REPORTS, FullClaim, Report, Row, claim_status

__all__ = ["CLAIMS", "FULL_CLAIMS", "PAGES", "REPORTS", "FullClaim", "Markdown", "Report", "Row", "beside",
           "claim_text", "full_claims", "full_table", "glue_full", "glue_text", "paper_table", "print_claims",
           "runs_table"]


class Markdown(str):
    """A Markdown string that Jupyter renders as Markdown (and prints as itself)."""

    def _repr_markdown_(self) -> str:
        return str(self)


class _Text(str):
    """A formatted number that a page's prose inserts as it is (its repr has no quotes)."""

    def __repr__(self) -> str:
        return str(self)


def glue_text(key: str, text: str) -> None:
    """Store ``text`` under ``key`` for the page's prose (myst-nb's ``{glue:text}`key```), when
    running in a Jupyter kernel with myst-nb installed; elsewhere nothing happens. The key is the
    same in both languages, so the Korean and the English prose insert the same numbers."""
    try:
        from IPython import get_ipython
        from myst_nb import glue
    except ImportError:
        return
    if get_ipython() is None:
        return
    glue(key, _Text(text), display=False)


def _glue_full(name: str, rep: Report, full: FullResult) -> None:
    """Glue every number the full-size table of ``name`` shows, under ``<name>.full.<row>`` or,
    for sweeps, ``<name>.full.<row label>.<column>``."""
    for r in rep.rows:
        glue_text(f"{name}.full.{r.key}", r.value(full.result))
    if rep.table_rows is not None:
        for row in rep.table_rows(full.result):
            for c in rep.columns:
                glue_text(f"{name}.full.{_row_key(rep, row)}.{c.key}", c.value(row))


def glue_full(*names: str, folder=None) -> None:
    """Make the committed full-size numbers of ``names`` available to a page's prose, as
    :func:`beside` does, without showing a table (for pages that discuss results shown
    elsewhere)."""
    for name in names:
        full = load_full(name, folder)
        if full is not None:
            _glue_full(name, _report(name), full)


def _row_key(rep: Report, row: Any) -> str:
    """The key of one row of a sweep table: its leading label columns (e.g. ``mask.0.25``)."""
    cols = rep.columns[:2] if rep.table_key == 2 else rep.columns[:1]
    return ".".join(re.sub(r"[^0-9A-Za-z.-]+", "", c.value(row)) or "x" for c in cols)


# ------------------------------------------------------------------------------------------------
# rendering


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def _localize(text: str, lang: str) -> str:
    """A result's own label (``plain``, ``mask``, ``none``) or a citation's "et al." in the
    page's language; anything else as it is."""
    key = f"report.label.{text}"
    if key in STRINGS:
        return t(key, lang)
    return text.replace(" et al.", " 외") if lang == "ko" else text


@contextlib.contextmanager
def _language(lang: str):
    """Render in ``lang``: the report's lines read the current language."""
    before = get_language()
    set_language(lang)
    try:
        yield
    finally:
        set_language(before)


_NUMERIC = re.compile(r"^[−+-]?[≈ ]*[\d.,]+(e[-+]?\d+)?\s*[%°×]?$|^–$")


def _table(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """A Markdown table: columns of numbers right-aligned, text left-aligned."""
    numeric = [all(_NUMERIC.match(str(row[i]).strip()) for row in body) and any(str(row[i]) != "–" for row in body)
               for i in range(len(header))]
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |",
             "|" + "|".join("---:" if num else ":---" for num in numeric) + "|"]
    lang = get_language()
    lines += ["| " + " | ".join(_cell(_localize(str(c), lang)) for c in row) + " |" for row in body]
    return "\n".join(lines)


def _report(name: str) -> Report:
    if name not in REPORTS:
        raise ValueError(f"name must be an experiment with a report, one of {sorted(REPORTS)}; got {name!r}")
    return REPORTS[name]


def _config(name: str, mode: str) -> dict:
    return to_json(CONFIGS[mode][EXPERIMENTS[name].config])


def _status(name: str, full: FullResult) -> tuple[str, list[str]]:
    """``current``, ``legacy`` (format 1: MNIST at k/256, no fingerprint) or ``stale``, and why."""
    from ..experiments.runner import staleness

    if full.format < 2:
        return "legacy", []
    why = staleness(name, full=full)
    return ("stale" if why else "current"), why


def _status_text(name: str, full: FullResult, lang: str) -> str:
    """The runs table's status; a current result carried over a change of code that moves no
    number (:mod:`aebook.experiments.carry`) says from which code."""
    status = _status(name, full)[0]
    carried = full.provenance.get("carried")
    if status == "current" and carried:
        return t("report.status.carried", lang, commit=carried[0]["against"])
    return t(f"report.status.{status}", lang)


def _minutes(seconds: float) -> str:
    """Wall time in minutes as the pages print it: one decimal under ten minutes."""
    m = seconds / 60
    return f"{m:.1f}" if m < 10 else f"{m:.0f}"


def _full_line(name: str, full: FullResult, lang: str) -> str:
    """What ran where for how long, and, for a result the code no longer matches, why."""
    rep, p = _report(name), full.provenance
    # the command's own wall time: an experiment that reuses another's trained model (the probe
    # of mae_pretrain's encoder) resumes it from its checkpoint, whose fit time it would count again
    minutes = _minutes(p.get("wall_time_s", 0))
    line = t("report.full_line", lang, data=rep.data(full.config, "full"), detail=rep.detail(full.config),
             device=p["device"], minutes=minutes, date=p["date"][:10], commit=p["commit"])
    status, why = _status(name, full)
    if status == "legacy":
        mnist = "MNIST" in rep.data(full.config, "full")
        line += " " + t("report.legacy.mnist" if mnist else "report.legacy", lang, name=name)
    elif status == "stale":
        line += " " + t("report.stale", lang, name=name, why="; ".join(why))
    return line


def full_table(name: str, lang: str | None = None, *, folder=None) -> Markdown:
    """The committed full-size result of ``name`` as a table in the page's format, with the
    line that says what ran where. Experiments with headline rows show the rows."""
    lang = resolve_lang(lang)
    with _language(lang):
        return _full_table(name, lang, folder=folder)


def _full_table(name: str, lang: str | None = None, *, folder=None) -> Markdown:
    lang = resolve_lang(lang)
    rep, full = _report(name), load_full(name, folder)
    if full is None:
        return Markdown(t("report.no_full", lang, name=name))
    _glue_full(name, rep, full)
    if rep.table_rows is None:
        body = [[t(f"report.row.{r.key}", lang), r.value(full.result)] for r in rep.rows]
        header = [t("report.quantity", lang), t("report.full", lang)]
    else:
        body = [[c.value(row) for c in rep.columns] for row in rep.table_rows(full.result)]
        header = [t(f"report.row.{c.key}", lang) for c in rep.columns]
    return Markdown(f"**{t('report.full_table', lang)}**\n\n{_table(header, body)}\n\n{_full_line(name, full, lang)}")


def beside(name: str, quick: Any = None, lang: str | None = None, *, folder=None) -> Markdown:
    """The quick result computed on the page (``quick``, the experiment's return value) and the
    committed full-size result of experiment ``name`` side by side, with the paper's number
    where one exists; for sweeps, the full table below the page's own. Returns Markdown."""
    lang = resolve_lang(lang)
    with _language(lang):
        return _beside(name, quick, lang, folder=folder)


def _beside(name: str, quick: Any = None, lang: str | None = None, *, folder=None) -> Markdown:
    lang = resolve_lang(lang)
    rep, full = _report(name), load_full(name, folder)
    if rep.table_rows is not None:
        return full_table(name, lang, folder=folder)
    q = None if quick is None else to_json(quick)
    papers = any(r.paper for r in rep.rows)
    header = [t("report.quantity", lang)]
    header += [t("report.quick", lang)] if q is not None else []
    header += [t("report.full", lang)] + ([t("report.paper", lang)] if papers else [])
    body = []
    for r in rep.rows:
        row = [t(f"report.row.{r.key}", lang)]
        row += [r.value(q)] if q is not None else []
        row += [r.value(full.result) if full is not None else "–"] + ([r.paper or "–"] if papers else [])
        body.append(row)
        if q is not None:
            glue_text(f"{name}.quick.{r.key}", row[1])
    if full is not None:
        _glue_full(name, rep, full)
    lines = [_table(header, body), ""]
    if q is not None:
        c = _config(name, "quick")
        lines.append(t("report.quick_line", lang, data=rep.data(c, "quick"), detail=rep.detail(c)))
    lines.append(_full_line(name, full, lang) if full is not None else t("report.no_full", lang, name=name))
    if rep.paper:
        lines.append(t("report.paper_line", lang, paper=_localize(rep.paper, lang)))
    return Markdown("\n\n".join(lines))


def _row(name: str, key: str) -> Row:
    rep = _report(name)
    return next(r for r in rep.rows if r.key == key)


def paper_table(lang: str | None = None, *, folder=None) -> Markdown:
    """Every number a paper reports beside ours from the committed full-size runs (same data,
    same definition of the number; the settings column says what we ran)."""
    lang = resolve_lang(lang)
    with _language(lang):
        return _paper_table(lang, folder=folder)


def _paper_table(lang: str | None = None, *, folder=None) -> Markdown:
    lang = resolve_lang(lang)
    header = [t(k, lang) for k in ("report.claim", "report.theirs", "report.ours", "report.status")]
    parts = []
    for paper, (source, _bib) in PAPERS.items():
        body = []
        for c in (c for c in CLAIMS if c.paper == paper):
            full = load_full(c.experiment, folder)
            ours = _row(c.experiment, c.row).value(full.result) if full is not None else "–"
            key, fmt = claim_status(c, ours)
            body.append([t(f"report.claim.{c.key}", lang), c.value, ours, t(key, lang, **fmt)])
        parts.append(f"**{_localize(source, lang)}**. {t(f'report.paper.{paper}', lang)}\n\n{_table(header, body)}")
    return Markdown("\n\n".join(parts))


def runs_table(lang: str | None = None, *, folder=None) -> Markdown:
    """Every committed full-size run: what ran, on which page, on what, for how long, when."""
    lang = resolve_lang(lang)
    with _language(lang):
        return _runs_table(lang, folder=folder)


def _runs_table(lang: str | None = None, *, folder=None) -> Markdown:
    lang = resolve_lang(lang)
    header = [t(k, lang) for k in ("report.experiment", "report.page", "report.what", "report.minutes",
                                   "report.sittings", "report.device", "report.date", "report.commit",
                                   "report.status")]
    body = []
    for name in sorted(REPORTS, key=lambda n: (list(PAGES.values()).index(PAGES[n]), n)):
        full = load_full(name, folder)
        if full is None:
            body.append([f"`{name}`", PAGES[name], t("report.no_full", lang, name=name), *["–"] * 6])
            continue
        rep, p = _report(name), full.provenance
        minutes = _minutes(p["wall_time_s"])  # this command's time (a reused model was trained by its own run)
        body.append([f"`{name}`", PAGES[name], f"{rep.data(full.config, 'full')}; {rep.detail(full.config)}",
                     minutes, str(len(p.get("sittings", [])) or 1), p["device"], p["date"][:10], p["commit"],
                     _status_text(name, full, lang)])
    return Markdown(_table(header, body))


def full_claims(*names: str, folder=None) -> dict[str, bool]:
    """The conclusions the pages draw from the committed full-size results of ``names``
    (:data:`FULL_CLAIMS`), each with whether it holds; a page's claims cell prints them beside
    its quick-mode claims, and tests/test_report.py asserts that every one holds."""
    unknown = sorted(set(names) - {c.experiment for c in FULL_CLAIMS})
    if unknown:
        raise ValueError(f"names must be experiments with full-size claims, one of "
                         f"{sorted({c.experiment for c in FULL_CLAIMS})}; got {unknown}")
    out = {}
    for c in FULL_CLAIMS:
        if c.experiment in names:
            full = load_full(c.experiment, folder)
            out[c.text] = full is not None and bool(c.holds(full.result))
    return out
