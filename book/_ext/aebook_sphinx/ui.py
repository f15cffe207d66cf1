"""The built HTML pages as assistive technology and a Korean reader need them.

A ``build-finished`` step of :mod:`aebook_sphinx`: the theme's English labels translated on
Korean pages, and the names and roles that axe-core found wrong (tests/test_a11y.py) mended in
both languages.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

#: the theme's English labels for screen readers and tooltips, and its Korean footer (which
#: reads "으로 <author>"), as a Korean page should say them
KO_UI = {"Search this book...": "이 책에서 검색...", "Site navigation": "사이트 탐색",
         "On this page": "이 페이지의 내용", "Color mode": "색상 모드", "Main": "본문", "Page": "페이지",
         "Version warning": "버전 경고", "Breadcrumb": "이동 경로", "Section Navigation": "절 탐색",
         "Fullscreen mode": "전체 화면", "Download this page": "이 페이지 다운로드", "Light": "밝게",
         "Dark": "어둡게", "System Settings": "시스템 설정", "Search": "검색", "Toggle navigation": "탐색 열기/닫기",
         "Launch interactive content": "대화형 실행"}
_UI_ATTR = re.compile(r'\b(aria-label|placeholder|data-bs-title|title)="([^"]+)"')
_KO_FOOTER = re.compile(r'(<p class="component-author">\s*)으로 ([^<]+?)(\s*</p>)')


def korean_ui(page: str) -> str:
    """A built Korean page with the theme's English labels (screen readers, tooltips, the
    search box) in Korean and its footer as "지은이: <author>"."""
    page = _UI_ATTR.sub(lambda m: f'{m.group(1)}="{KO_UI.get(m.group(2), m.group(2))}"', page)
    return _KO_FOOTER.sub(r"\1지은이: \2\3", page)


# Accessibility (tests/test_a11y.py audits every page with axe-core). What assistive technology
# reads wrongly in the theme's, myst-nb's and docutils' HTML, mended in the built pages:
# - a label that does not contain the visible text, so speech users cannot name the control: the
#   search button's aria-label ("Search", shown "Search Ctrl+K": the label goes, its name is its text,
#   the shortcut is declared), the colour-mode button's ("Color mode": its icons' titles, which
#   became its visible text, go) and myst-nb's folded cells' ("Toggle hidden content", shown
#   "Checks": the label goes);
# - the sidebar's expand/collapse toggles (<summary> holding only an icon) have no name: they get
#   one naming the section they open;
# - docutils' reference lists are role="list" whose entries have the deprecated role
#   "doc-biblioentry", not "listitem": a list without items for a screen reader.
SUBSECTIONS = {"en": "Subsections of {title}", "ko": "{title}의 하위 절"}
_SEARCH_BUTTON = re.compile(r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="[^"]*"([^>]*>)')
_SEARCH_TEXT = re.compile(r'(<span class="search-button__default-text">)Search(</span>)')
_TOGGLE = re.compile(r'(<a class="(?:current )?reference internal" href="[^"]*">([^<]*)</a>\s*<details[^>]*>\s*)'
                     r'<summary>')
_BIBLIOENTRY = re.compile(r'(<div class="citation" id="[^"]*") role="doc-biblioentry"')
_THEME_SWITCH_TITLE = re.compile(r'(<i class="theme-switch [^"]*"\s+data-mode="[^"]*")\s+title="[^"]*"')
#: myst-nb's folded cells: a <summary> labelled "Toggle hidden content" whose visible text is the title
_FOLD_LABEL = '<summary aria-label="Toggle hidden content">'


def accessible_ui(page: str, lang: str) -> str:
    """A built page whose controls (search and colour-mode buttons, sidebar toggles, folded
    cells) have names that contain their visible text, in ``lang``, and whose reference lists
    have list items (see above)."""
    page = _SEARCH_BUTTON.sub(r'\1 aria-keyshortcuts="Control+K"\2', page)
    if lang == "ko":
        page = _SEARCH_TEXT.sub(r"\1검색\2", page)
    label = SUBSECTIONS.get(lang, SUBSECTIONS["en"])
    page = _TOGGLE.sub(lambda m: f'{m.group(1)}<summary aria-label="'
                       f'{label.format(title=html.escape(html.unescape(m.group(2).strip())))}">', page)
    page = _THEME_SWITCH_TITLE.sub(r"\1", page)
    page = page.replace(_FOLD_LABEL, "<summary>")
    return _BIBLIOENTRY.sub(r'\1 role="listitem"', page)


def translate_ui(app, exception):
    """The built pages made accessible (both languages) and, in Korean, with Korean labels."""
    lang = app.config.aebook_lang
    if exception is not None or app.builder.format != "html":
        return
    for path in Path(app.outdir).rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        shown = accessible_ui(text, lang)
        if lang == "ko":
            shown = korean_ui(shown)
        if shown != text:
            path.write_text(shown, encoding="utf-8")
