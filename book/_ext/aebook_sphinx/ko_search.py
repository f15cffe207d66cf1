"""Korean full-text search for the Sphinx build of the book.

Sphinx has no Korean search language: without one, the Korean book is indexed with the English
rules, so ``오토인코더는`` is one index term and a query for ``오토인코더의`` finds only pages
that happen to use that exact form. This extension registers :class:`SearchKorean` (``ko``) when
the build language is Korean (``aebook_lang`` or ``language``); in the English build it only adds
the snippets (below).

Sphinx search has two halves, and both are here, with the snippets under each result:

* **Index (Python, build time).** Text with Hangul goes through the morphological analyser
  ``kiwipiepy`` (a build-time dependency, the ``book`` extra): each eojeol (space-separated word)
  gives its nouns without the particles, and its noun compounds both whole and in parts
  (``잠재변수를`` -> ``잠재변수``, ``잠재``, ``변수``). An eojeol the analyser cannot reduce to
  nouns and particles (a verb, an adverb) is also indexed as written. The glossary's Korean
  terms (:data:`aebook.glossary.TERMS`) are the analyser's user dictionary, and each multi-word
  term ("재구성 오차") is indexed as one extra glued term (``재구성오차``) wherever it occurs, so
  that it can be searched as a phrase. Without ``kiwipiepy`` a rule-based fallback strips the
  endings in :data:`SUFFIXES` instead (longest first, at least one syllable kept).
  Latin-script words are stemmed with Porter, as the English build does.
* **Query (JavaScript, browser).** There is no analyser in the browser. :data:`JS_SPLITTER` and
  :data:`JS_STEMMER` (written into ``_static/language_data.js``) join the glossary's multi-word
  terms in the query with the same pattern as the index side, then reduce each Hangul query word
  with the same :data:`SUFFIXES`: of the word as typed and the word less each ending it ends
  with (longest ending first), the first that is an index term; failing all, the word less its
  longest ending, which is exactly what the fallback indexed. So ``오토인코더의``,
  ``오토인코더를`` and ``오토인코더`` all meet the index term ``오토인코더``, whichever way the
  index was built.

* **Snippets (JavaScript, browser, both books).** :data:`JS_SUMMARY` replaces Sphinx's summary
  under each result: the article's prose only (no code, TeX, buttons or twin link), centred on the
  first form of a query word it holds (as typed, stemmed, a glossary term spaced), every such form
  highlighted. The English build gets it too, with Sphinx's English search otherwise unchanged.

``html_search_options = {"analyser": "rules"}`` forces the fallback (the tests use it).
"""

from __future__ import annotations

import functools
import json
import re

from sphinx.search import SearchLanguage
from sphinx.search.en import SearchEnglish, english_stopwords, js_porter_stemmer
from sphinx.util import logging

from aebook.glossary import TERMS

logger = logging.getLogger(__name__)

#: particles (josa), the copula and a few common verb endings that a query or, in the fallback,
#: an index word may end with; stripped longest first (the order of :func:`_by_length`).
_ENDINGS = """
은 는 이 가 을 를 의 에 도 만 와 과 로 나 인 란 께 들 한 할 함 된 될
에서 으로 에게 에는 에도 에의 까지 부터 보다 처럼 만큼 마다 이나 이며 이고 이란 이다 이라 라는 라고 로서 로써
로는 로도 로의 와는 과는 와의 과의 와도 과도 만을 만이 만의 들이 들을 들의 들에 들과 들도 들로 들은 께서
한테 하다 한다 하는 하고 하면 하여 해서 했다 하며 하기 된다 되는 되어 되고 되면 였다 예요
에서는 에서도 에서의 으로는 으로도 으로의 으로서 으로써 에게는 에게서 까지는 까지의 부터는 보다는 이라는
이라고 이라면 입니다 합니다 됩니다 이에요 이었다 이지만 에서부터
"""


def _by_length(words) -> tuple[str, ...]:
    return tuple(sorted(set(words), key=lambda w: (-len(w), w)))


SUFFIXES: tuple[str, ...] = _by_length(_ENDINGS.split())
HANGUL = re.compile("[\uac00-\ud7a3]")
_WORD = re.compile(r"\w+")
_LATIN = re.compile(r"[^\W\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]+")  # runs of word characters, no Hangul
_CHUNK = re.compile(r"\S+")

# Part-of-speech tags of kiwipiepy (Sejong tag set). A content run is a stretch of these with
# no gap: nouns, roots, numbers, foreign words, with their derivational prefix and suffix
# (재+구성, 변수+들). A chunk is "reducible" when everything else in it is a particle, the
# copula or an ending, or punctuation; otherwise it is indexed as written too.
_RUN_TAGS = {"NNG", "NNP", "NNB", "NR", "NP", "XR", "XPN", "XSN", "SL", "SN", "SH"}
_PART_TAGS = {"NNG", "NNP", "NNB", "NR", "NP", "XR", "SH"}  # Hangul/hanja parts indexed on their own
_TAIL_PREFIXES = ("J", "E", "VCP", "S")


def _glossary_parts(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


#: the glossary's multi-word Korean terms, as lists of words ("쿨백-라이블러 발산" has three)
COMPOUNDS: tuple[tuple[str, ...], ...] = tuple(sorted(
    {tuple(p) for p in (_glossary_parts(t.ko) for t in TERMS) if len(p) > 1 and any(HANGUL.search(w) for w in p)},
    key=lambda p: (-len("".join(p)), p)))
#: the glossary's Korean words: the analyser's user dictionary; never stripped in the fallback
USER_WORDS: tuple[str, ...] = tuple(sorted({w for t in TERMS for w in _glossary_parts(t.ko) if HANGUL.search(w)}))
PROTECTED: frozenset[str] = frozenset(USER_WORDS) | {"".join(p) for p in COMPOUNDS}


def compound_pattern(parts: tuple[str, ...]) -> str:
    """The pattern of a multi-word term: its words joined by spaces or hyphens (or nothing), then
    an optional ending. The JavaScript splitter builds the same pattern from the same lists (the
    words are letters and digits, the endings Hangul: nothing to escape)."""
    return "[\\s\\-]*".join(parts) + "(" + "|".join(SUFFIXES) + ")?"


_COMPOUND_RES = [(p, re.compile(r"(?<!\w)" + compound_pattern(p) + r"(?!\w)", re.I)) for p in COMPOUNDS]


def strip_suffix(word: str) -> str:
    """The fallback stem: ``word`` less the longest ending of :data:`SUFFIXES` it ends with, if a
    syllable is left; glossary words and terms stay as they are."""
    if word in PROTECTED:
        return word
    for s in SUFFIXES:
        if len(word) > len(s) and word.endswith(s):
            return word[: -len(s)]
    return word


def compound_terms(text: str) -> list[str]:
    """The glued form of every glossary multi-word term in ``text`` ("재구성 오차를" -> 재구성오차)."""
    low = text.lower()
    return ["".join(parts) for parts, rx in _COMPOUND_RES if parts[0] in low for _ in rx.finditer(low)]


@functools.cache
def _kiwi():
    """A kiwipiepy analyser with the glossary as its user dictionary, or None without kiwipiepy.

    The model is the separate package ``kiwipiepy_model`` (a dependency of kiwipiepy, ~100 MB,
    installed with it); nothing is downloaded here."""
    try:
        from kiwipiepy import Kiwi
    except ImportError:
        return None
    kiwi = Kiwi()
    for word in USER_WORDS:
        kiwi.add_user_word(word, "NNP", 0.0)
    return kiwi


def _analysed_words(kiwi, text: str) -> list[str]:
    """Index words of ``text`` from the analyser: see the module docstring."""
    tokens = kiwi.tokenize(text)
    out: list[str] = []
    k = 0
    for chunk in _CHUNK.finditer(text):
        if not HANGUL.search(chunk.group()):
            out += _WORD.findall(chunk.group())
            continue
        toks = []
        while k < len(tokens) and tokens[k].start < chunk.end():
            if tokens[k].start >= chunk.start():
                toks.append(tokens[k])
            k += 1
        out += _LATIN.findall(chunk.group())
        reducible = True
        run: list = []
        for t in toks + [None]:
            if t is not None and t.tag in _RUN_TAGS and (not run or t.start == run[-1].start + run[-1].len):
                run.append(t)
                continue
            if run:
                surface = text[run[0].start: run[-1].start + run[-1].len]
                if HANGUL.search(surface):
                    out.append(surface)
                    if len(run) > 1:
                        out += [text[r.start: r.start + r.len] for r in run if r.tag in _PART_TAGS]
                run = [t] if t is not None and t.tag in _RUN_TAGS else []
            if t is not None and t.tag not in _RUN_TAGS and not t.tag.startswith(_TAIL_PREFIXES):
                reducible = False
        if not reducible:
            out += _WORD.findall(chunk.group())
    return out


class SearchKorean(SearchLanguage):
    lang = "ko"
    language_name = "Korean"
    stopwords = english_stopwords  # for the Latin-script words, as in the English build

    def init(self, options: dict[str, str]) -> None:
        import snowballstemmer

        analyser = options.get("analyser", "kiwi")
        if analyser not in ("kiwi", "rules"):
            raise ValueError(f"html_search_options analyser must be 'kiwi' or 'rules', not {analyser!r}")
        self.kiwi = _kiwi() if analyser == "kiwi" else None
        if analyser == "kiwi" and self.kiwi is None:
            # a warning (the book build fails on warnings): the book extra installs kiwipiepy, and
            # without it Korean search finds fewer pages (code-review-2 §4)
            logger.warning("aebook: kiwipiepy is not installed (pip install kiwipiepy, or the 'book' extra); "
                           "the Korean search index strips endings by rule and finds fewer words")
        self.porter = snowballstemmer.stemmer("porter")
        self.js_stemmer_code = js_stemmer_code()
        self.js_splitter_code = js_splitter_code() + JS_SUMMARY

    def split(self, input: str) -> list[str]:
        if not HANGUL.search(input):
            return _WORD.findall(input)
        words = _analysed_words(self.kiwi, input) if self.kiwi is not None else _WORD.findall(input)
        return words + compound_terms(input)

    def stem(self, word: str) -> str:
        word = word.lower()
        if HANGUL.search(word):
            if self.kiwi is not None:
                return word  # the analyser has already split the particles off
            word = strip_suffix(word)
            if HANGUL.search(word):
                return word
        return self.porter.stemWord(word)


def _js_list(items) -> str:
    return json.dumps(list(items))


#: the browser half, written into ``_static/language_data.js``: a Stemmer (Porter for Latin
#: script, :data:`SUFFIXES` for Hangul, guided by the loaded index) ...
JS_STEMMER = r"""
/* aebook: Korean search, generated by book/_ext/aebook_sphinx/ko_search.py */
var KO_SUFFIXES = @SUFFIXES@;
var KO_PROTECTED = new Set(@PROTECTED@);
var KO_HANGUL = /[\uac00-\ud7a3]/;
var PorterStemmer = (function () {
@PORTER@
  return Stemmer;
})();

function koStrip(w) {
  if (KO_PROTECTED.has(w)) return w;
  for (var i = 0; i < KO_SUFFIXES.length; i++) {
    var s = KO_SUFFIXES[i];
    if (w.length > s.length && w.endsWith(s)) return w.slice(0, w.length - s.length);
  }
  return w;
}

var Stemmer = function () {
  var porter = new PorterStemmer();
  var latin = function (w) { return KO_HANGUL.test(w) ? w : porter.stemWord(w); };
  var indexed = function (w) {
    var ix = typeof Search !== "undefined" ? Search._index : null;
    if (!ix) return false;
    var has = Object.prototype.hasOwnProperty;
    return has.call(ix.terms, w) || has.call(ix.titleterms, w);
  };
  this.stemWord = function (w) {
    if (!KO_HANGUL.test(w)) return porter.stemWord(w);
    var candidates = [w];
    if (!KO_PROTECTED.has(w)) {
      KO_SUFFIXES.forEach(function (s) {
        if (w.length > s.length && w.endsWith(s)) candidates.push(latin(w.slice(0, w.length - s.length)));
      });
    }
    for (var i = 0; i < candidates.length; i++) if (indexed(candidates[i])) return candidates[i];
    return latin(koStrip(w));
  };
};
"""

#: ... and a splitQuery that first glues the glossary's multi-word terms, as compound_terms does.
#: (language_data.js is loaded after searchtools.js, so this replaces Sphinx's default.)
JS_SPLITTER = r"""
var KO_COMPOUNDS = @COMPOUNDS@.map(function (parts) {
  var pattern = parts.join("[\\s\\-]*") + "(" + KO_SUFFIXES.join("|") + ")?";  // compound_pattern
  return [parts.join(""), new RegExp("(^|[^\\p{L}\\p{N}_])" + pattern + "(?=$|[^\\p{L}\\p{N}_])", "giu"), parts];
});
var splitQuery = function (query) {
  KO_COMPOUNDS.forEach(function (c) {
    query = query.replace(c[1], function (m, before, ending) { return before + c[0] + (ending || ""); });
  });
  return query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu).filter(function (t) { return t; });
};
"""


#: search-result snippets, for both books (appended to the splitter code; it uses only what
#: searchtools.js and the language's stemmer and splitter define, and ``KO_COMPOUNDS`` when there).
#: Sphinx's own summary reads the whole ``[role=main]`` text, header buttons (".ipynb"), code, TeX
#: and the "English version" link included, and starts it at a query stem found verbatim in it; a
#: Korean stem with no match ("재구성오차", glued) gave NaN, so every such snippet was the first
#: 240 characters, which trim to the download button's ".ipynb". And it highlights the query
#: words as typed ("오토인코더를"), which the text rarely has. Here the snippet is the article's
#: prose only, centred on the first place any form of a query word occurs, every such place
#: highlighted, and the result's title and the opened page are highlighted with the same forms.
JS_SUMMARY = r"""
/* aebook: search snippets, generated by book/_ext/aebook_sphinx/ko_search.py */
var AEBOOK_HIDDEN = ".cell_input, div.highlight, pre, .math, mjx-container, script, style, button, " +
  ".headerlink, .aebook-twin, .d-print-none, .onlyprint, .btn__text-container";

// the forms of the query's words a page may hold, as patterns: the whole query as a phrase (each
// word's stem, any ending, then a space or hyphen), then each word as typed and stemmed, and each
// glued glossary term spaced or hyphenated as written; longest first
function aebookForms(query) {
  var stemmer = new Stemmer(), forms = new Set();
  var word = function (w) { return w && stopwords.indexOf(w) === -1 && !/^\d+$/.test(w); };
  var typed = query.toLowerCase().split(/[^\p{L}\p{N}_]+/u).filter(word);
  typed.concat(splitQuery(query.toLowerCase()).filter(word)).forEach(function (w) {
    forms.add(w);
    forms.add(stemmer.stemWord(w));
  });
  var esc = function (w) { return w.replace(/[.*+\-?^${}()|[\]\\]/g, "\\$&"); };
  var glued = typeof KO_COMPOUNDS === "undefined" ? {} : Object.fromEntries(
    KO_COMPOUNDS.map(function (c) { return [c[0], c[2].map(esc).join("[\\s\\-]*")]; }));
  var phrase = typed.length > 1 ? [typed.map(function (w) { return esc(stemmer.stemWord(w)); })
    .join("[\\p{L}\\p{N}_]*[\\s\\-]+")] : [];
  return phrase.concat([...forms].filter(function (w) { return w; })
    .sort(function (a, b) { return b.length - a.length; }).map(function (w) { return glued[w] || esc(w); }));
}

// all the forms in one pattern; an English stem (variabl) is highlighted to its word's end
function aebookTermPattern(query) {
  var forms = aebookForms(query);
  return forms.length ? new RegExp("(?:" + forms.join("|") + ")[a-z]*", "giu") : null;
}

// where a snippet of text centres: the first place of the longest form the text holds, or -1
function aebookFirst(text, query) {
  var forms = aebookForms(query);
  for (var i = 0; i < forms.length; i++) {
    var at = text.search(new RegExp(forms[i], "iu"));
    if (at >= 0) return at;
  }
  return -1;
}

// the text a snippet may show: the article's prose (or the anchored section), no code, TeX or buttons
Search.htmlToText = function (htmlString, anchor) {
  var doc = new DOMParser().parseFromString(htmlString, "text/html");
  doc.querySelectorAll(AEBOOK_HIDDEN).forEach(function (el) { el.replaceWith(" "); });
  var root = (anchor && doc.getElementById(anchor.slice(1))) || doc.querySelector('[role="main"] article') ||
    doc.querySelector('[role="main"]');
  return root ? root.textContent.replace(/\s+/g, " ").trim() : "";
};

// a paragraph of about 240 characters around the first match, every match in a highlighted span
Search.makeSearchSummary = function (htmlText, keywords, anchor) {
  var text = Search.htmlToText(htmlText, anchor);
  if (!text) return null;
  var query = Search._aebookQuery || [...keywords].join(" "), pattern = aebookTermPattern(query);
  var first = aebookFirst(text, query);
  var start = Math.max(first - 100, 0);
  if (start > 0) start = text.indexOf(" ", start) + 1 || start;  // from a word's start
  var snippet = text.substr(start, 240).trim();
  var summary = document.createElement("p");
  summary.classList.add("context");
  summary.append(start > 0 ? "..." : "");
  var at = 0;
  if (pattern) for (var m of snippet.matchAll(pattern)) {
    summary.append(snippet.slice(at, m.index));
    summary.appendChild(document.createElement("span")).textContent = m[0];
    summary.lastChild.classList.add("highlighted");
    at = m.index + m[0].length;
  }
  summary.append(snippet.slice(at) + (start + 240 < text.length ? "..." : ""));
  return summary;
};

// remember the query; highlight (in the results' titles and on the opened page) the Korean stems
// and a glued term's words too: highlightTerms are the query words as typed ("오토인코더를")
Search._aebookParseQuery = Search._parseQuery;
Search._parseQuery = function (query) {
  var parsed = Search._aebookParseQuery(query), highlight = parsed[3], stemmer = new Stemmer();
  var parts = typeof KO_COMPOUNDS === "undefined" ? {} : Object.fromEntries(
    KO_COMPOUNDS.map(function (c) { return [c[0], c[2]]; }));
  Search._aebookQuery = query;
  [...highlight].forEach(function (w) {
    if (/[\uac00-\ud7a3]/.test(w)) highlight.add(stemmer.stemWord(w));
    (parts[w] || []).forEach(function (p) { highlight.add(p); });
  });
  if (typeof SPHINX_HIGHLIGHT_ENABLED !== "undefined" && SPHINX_HIGHLIGHT_ENABLED)
    localStorage.setItem("sphinx_highlight_terms", [...highlight].join(" "));
  return parsed;
};
"""


def js_stemmer_code() -> str:
    return (JS_STEMMER.replace("@SUFFIXES@", _js_list(SUFFIXES))
            .replace("@PROTECTED@", _js_list(sorted(PROTECTED)))
            .replace("@PORTER@", js_porter_stemmer))


def js_splitter_code() -> str:
    return JS_SPLITTER.replace("@COMPOUNDS@", json.dumps([list(p) for p in COMPOUNDS]))


class SearchEnglishSnippets(SearchEnglish):
    """Sphinx's English search, with the snippets of :data:`JS_SUMMARY` (Sphinx's default splitter)."""

    js_splitter_code = JS_SUMMARY


def is_korean(config) -> bool:
    """Whether this build is the Korean book: ``aebook_lang`` (set by tools/make.py) or the
    search language (``html_search_language`` or ``language``) is Korean."""
    langs = (getattr(config, "aebook_lang", None), getattr(config, "html_search_language", None) or config.language)
    return any(str(lang or "").split("_")[0] == "ko" for lang in langs)


def is_english(config) -> bool:
    """Whether this build is the English book (its search language is English)."""
    lang = getattr(config, "html_search_language", None) or config.language or "en"
    return str(lang).split("_")[0] == "en" and not is_korean(config)


def _register(app, config):
    if is_korean(config):
        app.add_search_language(SearchKorean)
    elif is_english(config):
        app.add_search_language(SearchEnglishSnippets)


def setup(app):
    app.connect("config-inited", _register)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
