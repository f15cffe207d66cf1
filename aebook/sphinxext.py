"""A small Sphinx extension for the book: twin pages, offline MathJax, citations, page features.

Twin links: every page links to its twin in the other language (a visible link, and
``<link rel="alternate" hreflang=...>`` in the head).

The two languages are built as two Sphinx projects with identical page names
(``book/ko/x.ipynb`` and ``book/en/x.ipynb``) into ``_build/html/ko`` and ``_build/html/en``,
so the twin of page ``x`` is ``../<other>/x.html``. The link is added here, not written by
hand in every page, so it cannot go stale. ``tools/make.py`` sets ``aebook_lang``.

Code cells: the ``# NBVAL_...`` marker lines that nbval reads are not shown; cells tagged
``checks`` (a page's claims checked in code) are folded, input and output, under a title in the
page's language. Executed pages end with a line saying when the notebook ran and for how long.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

from docutils import nodes

from aebook.sphinx_ui import translate_ui

TWIN_LABEL = {"ko": "English version →", "en": "한국어판 →"}
OTHER = {"ko": "en", "en": "ko"}


def twin_href(pagename: str, lang: str) -> str:
    depth = pagename.count("/")
    return "../" * (depth + 1) + f"{OTHER[lang]}/{pagename}.html"


def _add_twin_link(app, pagename, templatename, context, doctree):
    lang = app.config.aebook_lang
    if lang not in OTHER or "body" not in context:
        return
    href = twin_href(pagename, lang)
    banner = (f'<p class="aebook-twin" lang="{OTHER[lang]}" style="text-align:right;margin:0 0 .5rem 0">'
              f'<a class="reference external" href="{href}">{TWIN_LABEL[lang]}</a></p>\n')
    context["body"] = banner + context["body"]


def hreflang_links(pagename: str, lang: str) -> str:
    """``<link rel="alternate" hreflang=...>`` for the page itself and its twin (relative URLs)."""
    if lang not in OTHER:
        raise ValueError(f"unknown book language {lang!r}; expected one of {sorted(OTHER)}")
    up = "../" * (pagename.count("/") + 1)
    hrefs = {lang: f"{up}{lang}/{pagename}.html", OTHER[lang]: twin_href(pagename, lang)}
    return "".join(f'\n<link rel="alternate" hreflang="{code}" href="{html.escape(hrefs[code])}" />'
                   for code in sorted(hrefs))


def _add_hreflang(app, pagename, templatename, context, doctree):
    if app.config.aebook_lang in OTHER:
        context["metatags"] = context.get("metatags", "") + hreflang_links(pagename, app.config.aebook_lang)


# Code cells. nbval reads a marker comment on the first line of a cell (``# NBVAL_CHECK_OUTPUT``);
# the notebooks keep it, the rendered page drops it. Cells tagged ``checks`` fold into a
# dropdown through myst-nb's own hide-cell mechanism, with a title in the build's language
# (set here, so the twins' cell metadata stay identical).
NBVAL_MARKER = re.compile(r"#\s*NBVAL_[A-Z_]+\s*")
CHECKS_TAG = "checks"
CHECKS_TITLE = {"en": "Checks", "ko": "검사"}


def strip_nbval_markers(source: str) -> str:
    """``source`` without its leading ``# NBVAL_*`` marker lines."""
    lines = source.split("\n")
    i = 0
    while i < len(lines) and NBVAL_MARKER.fullmatch(lines[i].strip()):
        i += 1
    return "\n".join(lines[i:])


#: the install fallback of a page's first cell (for Colab/Binder, where aebook is not installed
#: yet): the notebook keeps it, the web page shows ``import aebook`` in its place, since a
#: reader of the page runs nothing there and the repository URL may be a placeholder.
INSTALL_FALLBACK = re.compile(r"^try:\n[ \t]+import aebook\nexcept ModuleNotFoundError:[^\n]*\n"
                              r"[ \t]+%pip install[^\n]*\n[ \t]+import aebook\n", re.M)


def shown_source(source: str) -> str:
    """A code cell's source as the page shows it: without nbval's markers and with the first
    cell's install fallback reduced to ``import aebook``."""
    return INSTALL_FALLBACK.sub("import aebook\n", strip_nbval_markers(source))


SHOW = re.compile(r"figures\.show\(\s*[\"']([^\"']+)[\"']")
FIGURE_WORD = {"en": "Figure", "ko": "그림"}


def figure_caption(fig_id: str, lang: str) -> str | None:
    """``"Figure 19.5: <what it shows>"`` for the book's figures, the title alone for ours,
    in ``lang``; ``None`` for an id the registry does not know."""
    from .figures import registry

    try:
        spec = registry.get(fig_id)
    except (KeyError, ValueError):
        return None
    title = spec.title.get(lang) or spec.title.get("en", "")
    return f"{FIGURE_WORD.get(lang, 'Figure')} {fig_id}: {title}" if spec.in_book else title


class aebook_figure(nodes.figure):  # noqa: N801  (the node's name in Sphinx's registry)
    """A figure that Sphinx does not number (its enumerable nodes are matched by exact class):
    the caption already carries the book's own number, 19.x."""


def _figure_node_class():
    return aebook_figure


def _visit_figure(self, node):
    self.visit_figure(node)


def _depart_figure(self, node):
    self.depart_figure(node)


def _caption_figures(cell, lang: str, document=None) -> None:
    """The images a cell draws with ``aebook.figures.show(id)`` become figures: the registry's
    title in the page's language as their alt text and as a caption under them."""
    from docutils import nodes

    source = "".join(p.astext() for p in cell.children if p.get("nb_element") == "cell_code_source")
    ids = SHOW.findall(source)
    images = [n for n in cell.findall(nodes.image)]
    if not ids or len(ids) != len(images):
        return
    for fig_id, image in zip(ids, images):
        caption = figure_caption(fig_id, lang)
        if caption is None:
            continue
        image["alt"] = caption
        figure = _figure_node_class()("", classes=["aebook-figure"])
        image.replace_self(figure)
        figure += image
        figure += nodes.caption(caption, caption)


EXPLORER = re.compile(r"widgets\.(\w+_explorer)\(\s*(?:[\"']([a-z]+)[\"'])?")
#: the alt text of an image a cell draws that no title describes
DRAWN = {"en": "Figure drawn by the code cell above", "ko": "위 코드 셀이 그린 그림"}


def _alt_texts(cell, lang: str) -> None:
    """Alt text for the other images a cell draws, which would otherwise be read out as their
    file name (``_images/<hash>.png``): the title of the static figure of an
    ``aebook.widgets.*_explorer`` call; in the figure gallery (a loop over
    ``figures.figure_ids()``), each figure's caption; else a plain "figure drawn by the cell"."""
    from docutils import nodes

    source = "".join(p.astext() for p in cell.children if p.get("nb_element") == "cell_code_source")
    images = [n for n in cell.findall(nodes.image) if not n.get("alt")]
    if not images:
        return
    alts: list[str | None] = [None] * len(images)
    explorers = EXPLORER.findall(source)
    if explorers and len(explorers) == len(images):
        from .widgets import explorer_title

        for i, (name, kind) in enumerate(explorers):
            try:
                alts[i] = explorer_title(name, lang, kind or "gaussian")
            except ValueError:
                pass
    elif "figures.figure_ids()" in source:
        from .figures import figure_ids

        ids = figure_ids()
        if len(ids) == len(images):
            alts = [figure_caption(fig_id, lang) for fig_id in ids]
    for image, alt in zip(images, alts):
        image["alt"] = alt or DRAWN.get(lang, DRAWN["en"])


def _transform_code_cells(app, doctree):
    from docutils import nodes

    lang = app.config.aebook_lang
    for cell in list(doctree.findall(nodes.container)):
        if cell.get("nb_element") != "cell_code":
            continue
        for part in cell.children:
            if part.get("nb_element") != "cell_code_source":
                continue
            for block in list(part.findall(nodes.literal_block)):
                text = block.astext()
                shown = shown_source(text)
                if shown != text:
                    block.children = [nodes.Text(shown)]
                    block.rawsource = shown
        _caption_figures(cell, lang, doctree)
        _alt_texts(cell, lang)
        if CHECKS_TAG in (cell.get("cell_metadata") or {}).get("tags", []):
            cell["hide_mode"] = "all"
            cell["prompt_show"] = cell["prompt_hide"] = CHECKS_TITLE.get(lang, CHECKS_TITLE["en"])
            cell["classes"].append("aebook-checks")


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


# Launch buttons (Binder, Colab): configured in _config.yml (`launch_buttons`, `repository`).
# The two languages live in book/ko and book/en; `path_to_book: "book/{lang}"` is filled in here.
def _fill_language_in_paths(app, config):
    options = getattr(config, "html_theme_options", None) or {}
    path = options.get("path_to_docs")
    if isinstance(path, str) and "{lang}" in path:
        options["path_to_docs"] = path.replace("{lang}", config.aebook_lang)


# Offline MathJax: the package django-static-mathjax (import name ``mathjax``; it needs no
# Django) ships MathJax 3.2.2 as static files. We copy the TeX-to-HTML bundle, its fonts and
# the TeX extensions it may load on demand into _static, so the built book typesets math
# without reaching a CDN. Without the package, Sphinx's default (a CDN) is kept.
MATHJAX_PARTS = ("tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions")


def mathjax_es5_dir() -> Path | None:
    spec = importlib.util.find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        return None
    es5 = Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax" / "es5"
    return es5 if (es5 / "tex-chtml.js").is_file() else None


def _use_local_mathjax(app, config):
    if mathjax_es5_dir() is not None:
        config.mathjax_path = "mathjax/tex-chtml.js"  # relative to _static
    else:  # a warning, so that the book build (which fails on warnings) never ships a book that needs a CDN
        from sphinx.util import logging

        logging.getLogger(__name__).warning("aebook: django-static-mathjax is not installed (the 'book' extra); "
                                            "the book's equations would load MathJax from a CDN")


def _copy_mathjax(app, exception):
    es5 = mathjax_es5_dir()
    if exception is not None or es5 is None or app.builder.format != "html":
        return
    dest = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        src, dst = es5 / part, dest / part
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)


# Citations (sphinxcontrib-bibtex, loaded by Jupyter Book when _config.yml has `bibtex_bibfiles`).
# Author-year references whose wording follows the build language: "Kingma and Welling (2014)",
# "He et al. (2022)" in English, "Kingma & Welling (2014)", "He 외 (2022)" in Korean; the year
# follows the names without a comma, "(Burda et al. 2016; He et al. 2022)". The settings
# `bibtex_reference_style: aebook` (in-text) and `bibtex_default_style: aebook` (reference
# lists) pick the style of the language being built (see _use_language_cite_style).

#: how the names of a citation are joined: sep, the two-author separator, the last separator
#: for three or more names written out in full ({cite:ts}), and what replaces all but the first
#: author otherwise.
CITE_NAMES = {"en": {"sep": ", ", "sep2": " and ", "last_sep": ", and ", "other": " et al."},
              "ko": {"sep": ", ", "sep2": " & ", "last_sep": " & ", "other": " 외"}}
#: how several works cited in one textual citation are joined ({cite:t}`a,b`)
CITE_TEXTUAL_JOIN = {"en": {"sep": ", ", "sep2": " and ", "last_sep": ", and "},
                     "ko": {"sep": ", ", "sep2": ", ", "last_sep": ", "}}


def cite_style_name(lang: str) -> str:
    """The name under which the in-text citation style of ``lang`` is registered."""
    if lang not in CITE_NAMES:
        raise ValueError(f"no citation style for language {lang!r}; expected one of {sorted(CITE_NAMES)}")
    return f"aebook_{lang}"


def _reference_style_class(lang: str):
    """A sphinxcontrib-bibtex reference style (a dataclass built with no arguments) for ``lang``."""
    from dataclasses import dataclass, field

    from sphinxcontrib.bibtex.style.referencing import BracketStyle, PersonStyle
    from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

    names, textual = CITE_NAMES[lang], CITE_TEXTUAL_JOIN[lang]

    def round_brackets(**seps):
        return lambda: BracketStyle(left="(", right=")", **seps)

    @dataclass
    class Style(AuthorYearReferenceStyle):
        bracket_textual: BracketStyle = field(default_factory=round_brackets(**textual))
        bracket_parenthetical: BracketStyle = field(default_factory=round_brackets(sep="; "))
        bracket_author: BracketStyle = field(default_factory=round_brackets(sep="; "))
        bracket_label: BracketStyle = field(default_factory=round_brackets(sep="; "))
        bracket_year: BracketStyle = field(default_factory=round_brackets(sep="; "))
        person: PersonStyle = field(default_factory=lambda: PersonStyle(**names))
        author_year_sep: str = " "

    Style.__name__ = Style.__qualname__ = f"AebookAuthorYear_{lang}"
    return Style


def _plain(text: str) -> str:
    return text.replace("{", "").replace("}", "")


def citation_label(family_names: list[str], year: str, lang: str) -> str:
    """The label of a work in a reference list, worded like the in-text citation:
    ``citation_label(["He", "Chen", "Xie"], "2022", "ko") == "He 외 2022"``."""
    if not family_names:
        raise ValueError("a cited work needs at least one author (or editor)")
    names = CITE_NAMES[lang]
    if len(family_names) == 1:
        who = family_names[0]
    elif len(family_names) == 2:
        who = family_names[0] + names["sep2"] + family_names[1]
    else:
        who = family_names[0] + names["other"]
    return f"{who} {year}".strip()


def _entry_label(entry, lang: str) -> str:
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    family = [_plain(" ".join(p.prelast_names + p.last_names)) for p in persons]
    return citation_label(family or [_plain(entry.fields.get("title", entry.key))], entry.fields.get("year", ""), lang)


def _bibliography_style_class(lang: str):
    """The pybtex style of the reference lists of ``lang``: entries such as "Kingma, D. P. and
    Welling, M. Auto-encoding variational Bayes. In ICLR 2014.", sorted by author, year and
    title, each labelled by the words of its in-text citation ("Kingma & Welling 2014")."""
    from pybtex.style.formatting.unsrt import Style as Unsrt
    from pybtex.style.labels import BaseLabelStyle

    class Labels(BaseLabelStyle):
        def format_labels(self, sorted_entries):
            seen: dict[str, int] = {}
            for entry in sorted_entries:
                label = _entry_label(entry, lang)
                seen[label] = seen.get(label, 0) + 1
                yield label if seen[label] == 1 else f"{label}{'abcdefghijklmnopqrstuvwxyz'[seen[label] - 2]}"

    class Style(Unsrt):
        default_name_style = "lastfirst"
        default_sorting_style = "author_year_title"

        def __init__(self, **kwargs):
            kwargs.setdefault("abbreviate_names", True)
            super().__init__(**kwargs)
            self.label_style = Labels()
            self.format_labels = self.label_style.format_labels

    Style.__name__ = Style.__qualname__ = f"AebookBibliography_{lang}"
    return Style


def register_citation_styles() -> bool:
    """Register the styles with pybtex and sphinxcontrib-bibtex; False if those are not installed."""
    try:
        import pybtex.plugin
        from sphinxcontrib.bibtex.plugin import register_plugin
    except ImportError:
        return False
    for lang in CITE_NAMES:
        name = cite_style_name(lang)
        register_plugin("sphinxcontrib.bibtex.style.referencing", name, _reference_style_class(lang), force=True)
        pybtex.plugin.register_plugin("pybtex.style.formatting", name, _bibliography_style_class(lang), force=True)
    return True


def _use_language_cite_style(app, config):
    """``aebook`` as the in-text or the reference-list style means: the one of this build's language."""
    for name in ("bibtex_reference_style", "bibtex_default_style"):
        if getattr(config, name, None) == "aebook":
            setattr(config, name, cite_style_name(config.aebook_lang))


def _add_static_path(app, config):
    config.html_static_path = [*config.html_static_path, str(Path(__file__).parent / "_static")]


def setup(app):
    app.add_config_value("aebook_lang", "en", "html")
    register_citation_styles()
    app.connect("config-inited", _use_language_cite_style)
    app.connect("config-inited", _fill_language_in_paths)
    app.connect("html-page-context", _add_twin_link)
    app.connect("html-page-context", _add_hreflang)
    app.connect("html-page-context", _add_execution_line)
    app.connect("doctree-read", _transform_code_cells)
    app.connect("config-inited", _add_static_path)
    app.connect("build-finished", translate_ui)
    app.add_node(_figure_node_class(), html=(_visit_figure, _depart_figure))
    app.add_css_file("aebook.css")  # aebook/_static/aebook.css: Korean line breaks, wide math and tables
    app.add_js_file("aebook.js")  # aebook/_static/aebook.js: keyboard access to the boxes that scroll
    app.connect("config-inited", _use_local_mathjax, priority=900)
    app.connect("build-finished", _copy_mathjax)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
