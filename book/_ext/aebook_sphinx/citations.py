"""Author-year citations worded in the page's language (sphinxcontrib-bibtex styles)."""

from __future__ import annotations

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


def setup(app):
    register_citation_styles()
    app.connect("config-inited", _use_language_cite_style)
