"""Code cells as the page shows them: nbval's marker lines hidden, the install fallback of the
setup cell shown as one import, the claims cells (tagged ``checks``) folded under a title in
the page's language, and each figure captioned and described (:mod:`.figures`).
"""

from __future__ import annotations

import re

from .figures import _alt_texts, _caption_figures

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


def setup(app):
    app.connect("doctree-read", _transform_code_cells)
