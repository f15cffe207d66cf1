"""Figures as the page shows them: a caption with the figure's number and title in the page's
language (from the figure registry) under every figure a code cell draws with
``figures.show(...)``, and an alt text that says what each image shows, not its file name.
"""

from __future__ import annotations

import re

from docutils import nodes

SHOW = re.compile(r"figures\.show\(\s*[\"']([^\"']+)[\"']")
FIGURE_WORD = {"en": "Figure", "ko": "그림"}


def figure_caption(fig_id: str, lang: str) -> str | None:
    """``"Figure 19.5: <what it shows>"`` for the book's figures, the title alone for ours,
    in ``lang``; ``None`` for an id the registry does not know."""
    from aebook.figures import registry

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
        from aebook.widgets import explorer_title

        for i, (name, kind) in enumerate(explorers):
            try:
                alts[i] = explorer_title(name, lang, kind or "gaussian")
            except ValueError:
                pass
    elif "figures.figure_ids()" in source:
        from aebook.figures import figure_ids

        ids = figure_ids()
        if len(ids) == len(images):
            alts = [figure_caption(fig_id, lang) for fig_id in ids]
    for image, alt in zip(images, alts):
        image["alt"] = alt or DRAWN.get(lang, DRAWN["en"])


def setup(app):
    app.add_node(_figure_node_class(), html=(_visit_figure, _depart_figure))
