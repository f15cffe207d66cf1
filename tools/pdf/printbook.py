"""Print a single-page HTML book (Sphinx ``singlehtml``) to PDF with a local headless Chromium.

Used by ``python3 tools/make.py pdf``; needs only the standard library. The page is printed
exactly as a browser shows it, so the equations are typeset by the book's own offline MathJax,
the figures are the notebook outputs and the Hangul comes from the Noto CJK fonts.

A page is printed only once MathJax has typeset it: the prepared page starts with a placeholder
``<title>``, and a small script replaces it with the book's title when MathJax's first typeset
has finished. Chromium waits for that in virtual time, copies the title into the PDF's metadata,
and :func:`print_book` reads it back: a PDF whose title is not the book's is an error, never a
PDF with raw TeX in it. The same script logs each equation MathJax could not typeset (its error
and TeX) to the console, which Chromium writes to stderr, and :func:`print_book` returns them.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PRINT_CSS = HERE / "print.css"
#: the Debian/Ubuntu packages to install: what :func:`missing` looks for, and DejaVu, whose
#: Sans Mono and Sans draw the symbols (≈ ≥ ∇ ℒ Greek) of the code cells (most systems have it)
APT_PACKAGES = ("chromium", "fonts-noto-cjk", "fonts-dejavu-core")
APT_LINE = "sudo apt-get install " + " ".join(APT_PACKAGES)
CHROMIUM_ENV = "AEBOOK_CHROMIUM"  # path of a Chromium or Chrome binary, if not on PATH
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FONTS = ("Noto Sans CJK KR", "Noto Serif CJK KR")
PENDING = "aebook-pdf: MathJax has not finished"
#: Chromium's own flags for a quiet offline run; virtual time lets MathJax finish before printing
CHROMIUM_FLAGS = ("--headless", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-default-apps", "--disable-extensions", "--no-pdf-header-footer",
                  "--run-all-compositor-stages-before-draw", "--allow-file-access-from-files",
                  # the headings become the PDF's bookmarks (its document outline)
                  "--generate-pdf-document-outline")


SUBTITLE = {"ko": "PDF판 · Bishop & Bishop, 『Deep Learning: Foundations and Concepts』 19장 19.1–\u206019.2절",
            "en": "PDF edition · Bishop & Bishop, Deep Learning: Foundations and Concepts, ch. 19, §19.1–\u206019.2"}


def find_chromium() -> str | None:
    """The Chromium to print with: ``$AEBOOK_CHROMIUM`` if set, else the first one on PATH."""
    env = os.environ.get(CHROMIUM_ENV)
    if env:
        return env if os.access(env, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def korean_fonts() -> set[str]:
    """Which of :data:`FONTS` fontconfig knows (empty without fontconfig's ``fc-list``)."""
    if shutil.which("fc-list") is None:
        return set()
    out = subprocess.run(["fc-list", ":lang=ko", "family"], capture_output=True, text=True).stdout
    families = {f.strip() for line in out.splitlines() for f in line.split(",")}
    return {f for f in FONTS if f in families}


def missing() -> list[str]:
    """What the PDF build needs and this machine lacks, in words (empty: all there)."""
    out = []
    if find_chromium() is None:
        where = f"${CHROMIUM_ENV} ({os.environ[CHROMIUM_ENV]}) is not executable" if os.environ.get(CHROMIUM_ENV) \
            else f"none of {', '.join(CHROMIUM_NAMES)} is on PATH"
        out.append(f"a Chromium browser to print with ({where}; Debian package chromium)")
    lacking = sorted(set(FONTS) - korean_fonts())
    if lacking:
        out.append(f"the fonts {', '.join(lacking)} (Debian package fonts-noto-cjk)")
    return out


def prerequisites_message(lacking: list[str]) -> str:
    return ("The PDF build needs system tools that are not installed:\n"
            + "".join(f"  - {item}\n" for item in lacking)
            + f"On Debian or Ubuntu:  {APT_LINE}\n"
            + f"(or set {CHROMIUM_ENV} to a Chromium or Chrome binary). Nothing is downloaded at build time.")


def require_tools() -> str:
    """The Chromium to print with; RuntimeError naming the apt packages if anything is missing."""
    lacking = missing()
    if lacking:
        raise RuntimeError(prerequisites_message(lacking))
    return find_chromium()


def trim_toc(toc: dict, keep: set[str]) -> dict:
    """A jb-book table of contents with only the pages in ``keep`` (the root page stays)."""
    def entries(items: list[dict]) -> list[dict]:
        out = []
        for e in items:
            if e.get("file") in keep:
                kept = {k: v for k, v in e.items() if k != "sections"}
                sections = entries(e.get("sections", []))
                out.append(dict(kept, sections=sections) if sections else kept)
        return out

    parts = [dict(p, chapters=entries(p.get("chapters", []))) for p in toc.get("parts", [])]
    return dict(toc, parts=[p for p in parts if p["chapters"]])


def book_meta(root: Path) -> list[str]:
    """The title page's small print: authors, package version and commit."""
    version = re.search(r'__version__\s*=\s*"([^"]+)"', (root / "aebook" / "_version.py").read_text()).group(1)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True)
    return ["aebook contributors", f"aebook {version}" + (f" · {commit.stdout.strip()}" if commit.returncode == 0
                                                          and commit.stdout.strip() else "")]


MARKER_SCRIPT = """<script>
/* aebook PDF: tell the printer when MathJax has finished (the title) and what it could not typeset */
(function wait() {
  /* folded cells (<details>) print open; code in a table cell may wrap after . / _ */
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
  document.querySelectorAll("table.table td span.pre").forEach(function (c) {
    if (!c.dataset.wrapped) { c.dataset.wrapped = 1; c.textContent = c.textContent.replace(/([./_])/g, "$1\u200b"); }
  });
  var mj = window.MathJax;
  if (!(mj && mj.startup && mj.startup.promise)) { setTimeout(wait, 50); return; }
  mj.startup.promise.then(function () {
    for (var item of mj.startup.document.math) {
      var err = item.typesetRoot && item.typesetRoot.querySelector("mjx-merror");
      if (err) console.log("%s" + (err.getAttribute("data-mjx-error") || err.textContent)
                           + " in: " + item.math.replace(/\\s+/g, " ").trim().slice(0, 400));
    }
    document.title = %s;
  }, function (err) { document.title = "aebook-pdf: MathJax failed: " + err; });
})();
</script>
"""
MATH_ERROR = "AEBOOK-PDF math error: "


def title_page(title: str, subtitle: str, meta: list[str]) -> str:
    lines = "".join(f'<p class="aebook-meta">{html.escape(m)}</p>' for m in meta)
    return (f'<div class="aebook-title-page onlyprint"><p class="aebook-title">{html.escape(title)}</p>'
            f'<p class="aebook-subtitle">{html.escape(subtitle)}</p>{lines}</div>\n')


def prepare(index_html: Path, title: str, subtitle: str, meta: list[str], contents: str | None = None,
            pages: list[int] | None = None) -> Path:
    """Write ``print.html`` beside ``index_html``: the print style, a title page, the MathJax
    marker and, given its heading ``contents``, a table of contents (page numbers ``pages``, or
    placeholders of the same width)."""
    text = index_html.read_text(encoding="utf-8")
    if re.search(r'<script[^>]*src="https?://[^"]*mathjax', text, re.I):
        raise RuntimeError(f"{index_html} loads MathJax from the internet, which the print cannot reach: "
                           "install the book's Python extra (django-static-mathjax), then build again")
    anchors = {"</head>": text.count("</head>"), '<div id="jb-print-docs-body"': text.count('id="jb-print-docs-body"'),
               "<title>": len(re.findall(r"<title>.*?</title>", text, re.S)), "mathjax": text.count("tex-chtml.js")}
    wrong = [k for k, n in anchors.items() if n != 1]
    if wrong:
        raise RuntimeError(f"{index_html} does not look like a sphinx-book-theme singlehtml page ({wrong}); "
                           "the PDF step must be updated for the new theme")
    shutil.copy2(PRINT_CSS, index_html.parent / "aebook-print.css")
    head = ('<link rel="stylesheet" href="aebook-print.css" media="print">\n'
            + MARKER_SCRIPT % (MATH_ERROR, _js_string(title)))
    text = re.sub(r"<title>.*?</title>", f"<title>{PENDING}</title>", text, count=1, flags=re.S)
    text = text.replace("</head>", head + "</head>", 1)
    text = unlink_local_files(text)
    text = text.replace('<div id="jb-print-docs-body"', title_page(title, subtitle, meta)
                        + '<div id="jb-print-docs-body"', 1)
    if contents:
        text = re.sub(r'(<div id="jb-print-toc">)\s*(</div>)',
                      lambda m: m.group(1) + toc_html(toc_entries(text), contents, pages) + m.group(2), text, count=1)
    out = index_html.parent / "print.html"
    out.write_text(text, encoding="utf-8")
    return out


LOCAL_LINK = re.compile(r'<a\b[^>]*\bhref="(?!#|https?:|mailto:)[^"]*"[^>]*>(.*?)</a>', re.S)


def unlink_local_files(text: str) -> str:
    """Links to files beside the page (a figure's full-size image, a download) would become
    ``file://`` links to the machine that printed the book: keep what they show, drop the link.
    Links within the book (``#...``) and to the web stay."""
    return LOCAL_LINK.sub(lambda m: m.group(1), text)


CONTENTS = {"ko": "차례", "en": "Contents"}
#: a page's first heading (h2 in the single page: the root page's h1 is the book's title) and its
#: sections (h3): the entries of the printed table of contents
TOC_HEADING = re.compile(r'<h([23])>(.*?)<a class="headerlink" href="#([^"]+)"', re.S)
PAGE_SLOT = "000"  # the width of a page number: pass 1 prints this, pass 2 the number


def toc_entries(text: str) -> list[tuple[int, str, str]]:
    """(level, title as plain text, anchor) of each page (level 2) and section (level 3) of the
    single-page book, in order, from the first page after the root page (whose title is the
    book's, on the title page)."""
    start = text.find('<span id="document-')
    body = text[start:] if start >= 0 else text[text.find('<article class="bd-article"'):]
    out = []
    for level, inner, anchor in TOC_HEADING.findall(body):
        title = html.unescape(re.sub(r"<[^>]+>", "", inner)).strip()
        if title:
            out.append((int(level), title, anchor))
    return out


def toc_html(entries: list[tuple[int, str, str]], heading: str, pages: list[int] | None = None) -> str:
    """The table of contents: each entry links to its heading and ends in its page number (the
    placeholder :data:`PAGE_SLOT` while the pages are not known yet)."""
    items = []
    for i, (level, title, anchor) in enumerate(entries):
        number = PAGE_SLOT if pages is None else str(pages[i])
        items.append(f'<li class="aebook-toc-{level}"><a href="#{anchor}"><span class="aebook-toc-title">'
                     f'{html.escape(title)}</span><span class="aebook-toc-page">{number}</span></a></li>')
    return (f'<nav class="aebook-toc" aria-label="{html.escape(heading)}"><h2 class="aebook-toc-heading">'
            f'{html.escape(heading)}</h2><ol>{"".join(items)}</ol></nav>')


def _pdf_string(raw: bytes) -> str:
    if raw.startswith(b"<"):
        b = bytes.fromhex(re.sub(rb"\s", b"", raw[1:-1]).decode())
        return b[2:].decode("utf-16-be") if b.startswith(b"\xfe\xff") else b.decode("latin-1")
    body = re.sub(rb"\\(.)", rb"\1", raw[1:-1])
    return body[2:].decode("utf-16-be") if body.startswith(b"\xfe\xff") else body.decode("latin-1")


def outline_pages(data: bytes) -> list[tuple[str, int]]:
    """The PDF's bookmarks in order, each (title, 1-based page number), read from the objects
    Chromium writes uncompressed (the page tree and the outline items with explicit targets)."""
    objects = {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj\s*(.*?)endobj", data, re.S)}

    def kids(num: int) -> list[int]:
        obj = objects.get(num, b"")
        m = re.search(rb"/Kids\s*\[([^\]]*)\]", obj)
        if re.search(rb"/Type\s*/Page\b(?!s)", obj) or not m:
            return [num]
        return [leaf for k in re.findall(rb"(\d+) 0 R", m.group(1)) for leaf in kids(int(k))]

    root = next((n for n, o in objects.items() if re.search(rb"/Type\s*/Pages\b", o)
                 and not re.search(rb"/Parent\s", o)), None)
    if root is None:
        return []
    page_of = {num: i + 1 for i, num in enumerate(kids(root))}
    outline = next((o for o in objects.values() if re.search(rb"/Type\s*/Outlines\b", o)), None)
    if outline is None:
        return []
    out = []

    def walk(first: bytes | None) -> None:
        num = int(first) if first else None
        while num is not None:
            obj = objects.get(num, b"")
            title = re.search(rb"/Title\s*(<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\))", obj)
            dest = re.search(rb"/Dest\s*\[\s*(\d+) 0 R", obj)
            if title and dest and int(dest.group(1)) in page_of:
                out.append((_pdf_string(title.group(1)), page_of[int(dest.group(1))]))
            child = re.search(rb"/First\s+(\d+) 0 R", obj)
            walk(child.group(1) if child else None)
            nxt = re.search(rb"/Next\s+(\d+) 0 R", obj)
            num = int(nxt.group(1)) if nxt else None

    first = re.search(rb"/First\s+(\d+) 0 R", outline)
    walk(first.group(1) if first else None)
    return out


INLINE_MATH = re.compile(r"\\\(.*?\\\)|\$[^$]+\$")


def match_pages(entries: list[tuple[int, str, str]], outline: list[tuple[str, int]]) -> list[int]:
    """The page of each table-of-contents entry: the outline lists every heading in order, so
    each entry is the next bookmark with its title (without its inline math, which bookmarks
    leave out). Chromium names the bookmark of a heading that a page break pushed down after
    each of its pieces ("TitleTitle"): that counts as the title.
    Raises if one is missing."""

    def same(bookmark: str, title: str) -> bool:
        # Chromium names a bookmark after the heading's text, which leaves out typeset math:
        # "\\(\\ln p(x)\\)가 어려운 이유" is bookmarked "가 어려운 이유"
        # and where the heading wraps, the line break's space is lost ("with itsterms swapped")
        b, t = "".join(bookmark.split()), "".join(INLINE_MATH.sub(" ", title).split())
        return bool(t) and len(b) % len(t) == 0 and b == t * (len(b) // len(t))

    pages, at = [], 0
    for _, title, anchor in entries:
        while at < len(outline) and not same(outline[at][0], title):
            at += 1
        if at == len(outline):
            raise RuntimeError(f"the PDF has no bookmark for the heading {title!r} (#{anchor})")
        pages.append(outline[at][1])
        at += 1
    return pages


def _js_string(s: str) -> str:
    return '"' + "".join(c if c.isalnum() or c in " :.,&-–()'" or ord(c) > 127 else f"\\u{ord(c):04x}"
                         for c in s) + '"'


def pdf_title(data: bytes) -> str | None:
    """The /Title of a PDF written by Chromium (a literal or a UTF-16 hex string)."""
    m = re.search(rb"/Title\s*(<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\))", data)
    if not m:
        return None
    raw = m.group(1)
    if raw.startswith(b"<"):
        b = bytes.fromhex(re.sub(rb"\s", b"", raw[1:-1]).decode())
        return b[2:].decode("utf-16-be") if b.startswith(b"\xfe\xff") else b.decode("latin-1")
    body = re.sub(rb"\\(.)", rb"\1", raw[1:-1])
    return body[2:].decode("utf-16-be") if body.startswith(b"\xfe\xff") else body.decode("latin-1")


def page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", data))


def print_pdf(page: Path, pdf: Path, chromium: str, budget_ms: int = 120_000, timeout: int = 300) -> list[str]:
    """One headless print of ``page`` into ``pdf``, Chromium waiting up to ``budget_ms`` of virtual
    time; return the math errors that the page logged."""
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="aebook-chromium-") as profile:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
               "--enable-logging=stderr", "--v=0", f"--print-to-pdf={pdf}", page.resolve().as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        if pdf.exists():
            pdf.unlink()
        # its own process group, so that a Chromium that hangs is ended with all its helpers
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace",
                                start_new_session=True)
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise RuntimeError(f"Chromium did not finish printing {page} in {timeout} s") from None
    if proc.returncode != 0 or not pdf.exists():
        raise RuntimeError(f"Chromium failed to print {page} (exit {proc.returncode}):\n{stderr[-3000:]}")
    return re.findall(re.escape(MATH_ERROR) + r'(.*)", source: ', stderr)


def print_book(index_html: Path, pdf: Path, title: str, subtitle: str, meta: list[str],
               chromium: str | None = None, contents: str | None = None) -> tuple[int, list[str]]:
    """Print the singlehtml book at ``index_html`` to ``pdf``; return its number of pages and the
    equations MathJax could not typeset (each as 'error in: TeX'). A PDF printed before MathJax
    finished is removed and raises.

    Given ``contents`` (its heading), the book gets a table of contents with page numbers, in
    two prints: the first with placeholder numbers of the same width, whose bookmarks say where
    each heading fell; the second with those numbers, checked against its own bookmarks."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise RuntimeError(prerequisites_message(missing()))
    page = prepare(index_html, title, subtitle, meta, contents)
    data, errors = _print_typeset(page, pdf, title, chromium)
    if contents:
        entries = toc_entries(index_html.read_text(encoding="utf-8"))
        pages = match_pages(entries, outline_pages(data))
        for _ in range(3):  # the numbers take the placeholders' width, so one more print settles them
            page = prepare(index_html, title, subtitle, meta, contents, pages)
            data, errors = _print_typeset(page, pdf, title, chromium)
            printed = match_pages(entries, outline_pages(data))
            if printed == pages:
                break
            pages = printed
        else:
            raise RuntimeError(f"{pdf}: the table of contents' page numbers did not settle")
    return page_count(data), errors


def _print_typeset(page: Path, pdf: Path, title: str, chromium: str) -> tuple[bytes, list[str]]:
    for budget in (120_000, 600_000):  # a slow machine gets a second, longer try
        errors = print_pdf(page, pdf, chromium, budget)
        data = pdf.read_bytes()
        got = pdf_title(data)
        if got != PENDING:
            break
    if got != title:
        pdf.unlink()
        raise RuntimeError(f"{page}: the math was not typeset before printing (PDF title {got!r}); no PDF written")
    return data, errors


def print_language(index_html: Path, pdf: Path, title: str, lang: str, meta: list[str], chromium: str) -> list[str]:
    """:func:`print_book` for one language of the book, telling what it did; return the math errors."""
    started = time.perf_counter()
    pages, errors = print_book(index_html, pdf, title, SUBTITLE[lang], meta, chromium, CONTENTS[lang])
    print(f"{pdf}: {pages} pages, printed in {time.perf_counter() - started:.0f} s", flush=True)
    if errors:  # the web book shows the same red error: fix the page
        print(f"MathJax could not typeset {len(errors)} equation(s) of the {lang} book:\n  " + "\n  ".join(errors),
              flush=True)
    return errors
