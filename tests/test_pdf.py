"""The PDF book (``python3 tools/make.py pdf``): single-page HTML printed by a local Chromium.

Without Chromium and the Noto CJK fonts the command must stop at once and name the apt
packages: that is checked everywhere. Where they are installed, the slow tests print a tiny
page (math, Hangul, a wrong equation that must be reported, a MathJax that never ran) and a
book of the root page and one chapter with the committed outputs: about 20 s in all. The whole
book, both languages, takes about a minute (``python3 tools/make.py pdf``).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess

import pytest
from conftest import ROOT


def _load(name: str, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def printer():
    return _load("aebook_printbook", ROOT / "tools" / "pdf" / "printbook.py")


@pytest.fixture(scope="module")
def make():
    return _load("aebook_make", ROOT / "tools" / "make.py")


def test_missing_tools_stop_the_command_with_the_apt_line(printer, make, monkeypatch):
    monkeypatch.setattr(printer, "find_chromium", lambda: None)
    monkeypatch.setattr(printer, "korean_fonts", lambda: set())
    monkeypatch.setattr(make, "pdf_printer", lambda: printer)
    monkeypatch.setattr(make, "ensure_installed", lambda extras: pytest.fail("installed before checking the tools"))
    with pytest.raises(SystemExit) as exit_:
        make.main(["pdf"])
    message = str(exit_.value)
    assert "sudo apt-get install chromium fonts-noto-cjk" in message
    assert "Chromium" in message and "Noto Sans CJK KR" in message
    with pytest.raises(RuntimeError, match="apt-get install"):
        make.build_pdf(["ko"])


def test_a_small_table_of_contents_keeps_the_pages_asked_for(printer):
    toc = {"root": "index", "parts": [
        {"caption": "A", "chapters": [{"file": "a", "sections": [{"file": "a1"}, {"file": "a2"}]}, {"file": "b"}]},
        {"caption": "B", "chapters": [{"file": "c"}]}]}
    assert printer.trim_toc(toc, {"a", "a2"}) == {"root": "index", "parts": [
        {"caption": "A", "chapters": [{"file": "a", "sections": [{"file": "a2"}]}]}]}
    assert printer.trim_toc(toc, {"a"})["parts"][0]["chapters"] == [{"file": "a"}]
    assert len(toc["parts"][0]["chapters"][0]["sections"]) == 2  # the original is left alone


def test_a_chromium_named_by_the_environment_must_exist(printer, monkeypatch, tmp_path):
    monkeypatch.setenv(printer.CHROMIUM_ENV, str(tmp_path / "no-such-browser"))
    assert printer.find_chromium() is None
    assert any(printer.CHROMIUM_ENV in item for item in printer.missing())


def test_the_pdf_title_and_page_count_are_read_back(printer):
    hex_title = "<FEFF" + "오토 & x".encode("utf-16-be").hex().upper() + ">"
    data = (b"%PDF-1.4\n1 0 obj << /Type /Pages /Count 2 >>\n2 0 obj << /Type /Page >>\n3 0 obj << /Type /Page"
            b" >>\n4 0 obj << /Title " + hex_title.encode() + b" /Producer (Skia) >>")
    assert printer.pdf_title(data) == "오토 & x"
    assert printer.page_count(data) == 2
    assert printer.pdf_title(b"<< /Title (plain \\(text\\)) >>") == "plain (text)"
    assert printer.pdf_title(b"<< /Producer (Skia) >>") is None


def test_a_page_not_from_the_book_theme_is_refused(printer, tmp_path):
    page = tmp_path / "index.html"
    page.write_text("<html><head><title>x</title></head><body>no theme</body></html>", encoding="utf-8")
    with pytest.raises(RuntimeError, match="singlehtml"):
        printer.prepare(page, "T", "S", [])
    page.write_text('<html><head><script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js">'
                    '</script></head></html>', encoding="utf-8")
    with pytest.raises(RuntimeError, match="django-static-mathjax"):
        printer.prepare(page, "T", "S", [])


# ----------------------------------------------------------------------------------------
# With the system tools: real prints.

def _needs_tools(printer) -> None:
    lacking = printer.missing()
    if lacking:
        pytest.skip("PDF tools not installed: " + "; ".join(lacking))


TINY = """<!DOCTYPE html><html lang="ko"><head><meta charset="utf-8"><title>tiny</title>
<script defer src="{mathjax}"></script></head><body>
<div id="jb-print-docs-body" class="onlyprint"><h1>tiny</h1></div>
<article class="bd-article"><h1>오토인코더 시험 페이지</h1>
<p>재구성 오차는 \\(E(\\mathbf{{w}}) \\approx \\tfrac12 \\sum_n \\lVert \\mathbf{{y}}_n - \\mathbf{{x}}_n \\rVert\\)</p>
<div class="math">$$ \\mathcal{{L}} \\ge \\ln p(\\mathbf{{x}}) - \\mathrm{{KL}} \\tag{{19.11}} $$</div>
{bad}
<pre>print("≈ ≥ θ ℒ 𝐱 한글")  # 코드</pre></article></body></html>
"""


def _tiny_page(tmp_path, bad: str):
    from aebook_sphinx.mathjax import mathjax_es5_dir

    es5 = mathjax_es5_dir()
    if es5 is None:
        pytest.skip("the django-static-mathjax package is not installed")
    page = tmp_path / "index.html"
    page.write_text(TINY.format(mathjax=(es5 / "tex-chtml.js").as_uri(), bad=bad), encoding="utf-8")
    return page


@pytest.mark.slow
def test_a_page_is_printed_after_mathjax_and_its_math_errors_are_reported(printer, tmp_path):
    _needs_tools(printer)
    pages, errors = printer.print_book(_tiny_page(tmp_path, ""), tmp_path / "good.pdf", "Tiny 책", "sub", ["m"])
    assert pages >= 2 and errors == []  # the title page, then the text
    assert printer.pdf_title((tmp_path / "good.pdf").read_bytes()) == "Tiny 책"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(tmp_path / "good.pdf"), "-"], capture_output=True,
                              text=True).stdout
        assert "오토인코더 시험 페이지" in text and "한글" in text
        assert "\\mathbf" not in text and "\\(" not in text, "TeX was printed raw: MathJax had not finished"
    bad = r"<div class='math'>$$ \begin{split} a &= b \tag{1} \end{split} $$</div>"
    pages, errors = printer.print_book(_tiny_page(tmp_path, bad), tmp_path / "bad.pdf", "Tiny", "sub", [])
    assert pages >= 1 and len(errors) == 1 and "tag" in errors[0], errors


@pytest.mark.slow
def test_a_page_whose_mathjax_never_ran_is_not_printed(printer, tmp_path):
    _needs_tools(printer)
    page = tmp_path / "index.html"
    page.write_text(TINY.format(mathjax="missing/tex-chtml.js", bad=""), encoding="utf-8")
    with pytest.raises(RuntimeError, match="not typeset"):
        printer.print_book(page, tmp_path / "x.pdf", "T", "S", [])
    assert not (tmp_path / "x.pdf").exists()


def test_the_contents_list_pages_and_their_sections_after_the_root_page(printer):
    page = ('<h2>Book<a class="headerlink" href="#r">#</a></h2><span id="document-a"></span><section id="a">'
            '<h2>19. <em>Auto</em>encoders<a class="headerlink" href="#a">#</a></h2><h3>Why &amp; how'
            '<a class="headerlink" href="#b">#</a></h3><h4>deeper<a class="headerlink" href="#c">#</a></h4>')
    entries = printer.toc_entries(page)
    assert entries == [(2, "19. Autoencoders", "a"), (3, "Why & how", "b")]
    toc = printer.toc_html(entries, "Contents")
    assert toc.count(printer.PAGE_SLOT) == 2 and 'href="#b"' in toc and "Why &amp; how" in toc
    assert ">7<" in printer.toc_html(entries, "Contents", [5, 7])


def test_each_entry_takes_the_page_of_the_next_bookmark_with_its_title(printer):
    entries = [(2, "A", "a"), (3, "Intro", "b"), (2, "B", "c"), (3, "Intro", "d")]
    outline = [("Book", 1), ("A", 3), ("Intro", 3), ("other", 4), ("B", 5), ("IntroIntro", 6)]  # split heading
    assert printer.match_pages(entries, outline) == [3, 3, 5, 6]
    with pytest.raises(RuntimeError, match="no bookmark for the heading 'C'"):
        printer.match_pages([(2, "C", "x")], outline)


def test_a_heading_with_inline_math_matches_its_bookmark_without_the_math(printer):
    """Chromium's bookmark of "\\(\\ln p(x)\\)가 어려운 이유" is "가 어려운 이유" (the Korean
    VAE page): the contents' page numbers must still be found."""
    entries = [(2, "VAE", "a"), (3, r"\(\ln p(\mathbf{x} \mid \mathbf{w})\)가 어려운 이유", "b"),
               (3, r"Why $q$ and \(p\) differ", "c")]
    outline = [("VAE", 70), ("가 어려운 이유", 73), ("Why and differ", 75)]
    assert printer.match_pages(entries, outline) == [70, 73, 75]


def test_a_heading_that_wraps_matches_its_bookmark_without_the_line_breaks_space(printer):
    entries = [(3, "2. Equation (19.18): the reparameterisation with its terms swapped", "a")]
    outline = [("2. Equation (19.18): the reparameterisation with itsterms swapped", 163)]
    assert printer.match_pages(entries, outline) == [163]


def test_links_to_local_files_are_dropped_and_the_rest_kept(printer):
    page = ('<a class="reference internal image-reference" href="_images/a.png"><img src="_images/a.png"/></a> '
            '<a href="#x">in</a> <a href="https://e.org">web</a> <a href="../_downloads/f.csv">f.csv</a>')
    assert printer.unlink_local_files(page) == ('<img src="_images/a.png"/> <a href="#x">in</a> '
                                                '<a href="https://e.org">web</a> f.csv')


@pytest.mark.slow
def test_the_book_command_prints_a_small_book(make, printer, tmp_path, capsys):
    """The real pipeline (singlehtml of the committed outputs, print style, title page) on the
    root page and one chapter: links to the pages left out are broken, hence strict=False."""
    _needs_tools(printer)
    pdfs = make.build_pdf(["ko"], execute=False, out_root=tmp_path, strict=False, only=["ch19_intro"])
    pdf = pdfs["ko"]
    assert pdf == tmp_path / "pdf" / "aebook-ko.pdf" and pdf.exists()
    data = pdf.read_bytes()
    assert printer.pdf_title(data) == make.load_yaml(ROOT / "_config.yml")["languages"]["ko"]["title"]
    assert printer.page_count(data) >= 4  # title page, contents, the root page, the chapter
    assert b"/Outlines" in data, "the PDF has no bookmarks (document outline)"
    assert b"file://" not in data, "the PDF links to files of the machine that printed it"
    index = tmp_path / "pdf-src" / "ko" / "_build" / "singlehtml" / "index.html"
    entries = printer.toc_entries(index.read_text(encoding="utf-8"))
    pages = printer.match_pages(entries, printer.outline_pages(data))
    assert len(entries) >= 5 and entries[0][:2] == (2, "19. 오토인코더")
    assert pages == sorted(pages) and pages[0] >= 3, pages  # after the title page, the contents, the root page
    assert "MathJax could not typeset" not in capsys.readouterr().out
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "19. 오토인코더" in text and "PDF판" in text
        contents = subprocess.run(["pdftotext", "-layout", "-f", "2", "-l", "2", str(pdf), "-"], capture_output=True,
                                  text=True).stdout  # the second page: the table of contents, with the pages found
        assert "차례" in contents and printer.PAGE_SLOT not in contents
        for (_, title, _), page in zip(entries, pages, strict=True):
            assert re.search(re.escape(title) + r"\s*(\.\s*)*" + str(page) + r"\b", contents), (title, page, contents)
