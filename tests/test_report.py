"""aebook.report: every experiment with a full run is shown on its page, beside its quick result
and the papers' numbers; every number it shows is read from the committed result."""

from __future__ import annotations

import re

import nbformat
import pytest
from conftest import ROOT

from aebook import report as RP
from aebook.experiments import registry as R
from aebook.experiments import results as RS
from aebook.experiments import runner as RN
from aebook.experiments.fingerprint import fingerprint

RUNNABLE = R.runnable()


def test_every_experiment_with_a_full_run_has_a_report_and_a_page():
    assert sorted(RP.REPORTS) == RUNNABLE
    assert sorted(RP.PAGES) == RUNNABLE
    for lang in ("en", "ko"):
        for page in set(RP.PAGES.values()):
            assert (ROOT / "book" / lang / f"{page}.ipynb").exists(), f"{lang}/{page}"


@pytest.mark.parametrize("name", RUNNABLE)
def test_every_number_a_report_shows_is_in_the_committed_result(name):
    full = RS.load_full(name)
    if full is None:
        pytest.skip("no committed result (tests/test_results.py fails)")
    rep = RP.REPORTS[name]
    shown = [r for r in rep.rows if r.get is not None]
    for r in shown:
        assert r.value(full.result) != "–", f"{name}: row {r.key} reads nothing from the result"
    if rep.table_rows is not None:
        rows = rep.table_rows(full.result)
        assert rows, f"{name}: the full table is empty"
        for row in rows:
            for c in rep.columns:
                assert c.value(row) != "–", f"{name}: column {c.key} reads nothing"
    for lang in ("en", "ko"):
        text = RP.beside(name, None, lang)
        assert full.provenance["device"] in text and full.provenance["commit"] in text


def test_every_page_shows_the_full_results_of_its_experiments():
    for lang in ("en", "ko"):
        for name, page in RP.PAGES.items():
            nb = nbformat.read(ROOT / "book" / lang / f"{page}.ipynb", as_version=4)
            code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
            assert re.search(rf"(beside|full_table)\(\s*\"{name}\"", code), f"{lang}/{page} does not show {name}"


def _fake(folder, name, result, config):
    record = {"format": 2, "experiment": name, "mode": "full", "config_name": R.EXPERIMENTS[name].config,
              "config": config, "arguments": RN.arguments_of(name, "full"), "result": result,
              "provenance": {"device": "CPU (test)", "commit": "abc1234567", "wall_time_s": 120.0,
                             "fit_time_s": 60.0, "date": "2026-12-01T00:00:00+00:00",
                             "fingerprint": fingerprint(R.EXPERIMENTS[name].module)}}
    RS.write_record(record, folder)


def _lines_well_formed(md: str):
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert table and len({line.count("|") - line.count("\\|") for line in table}) == 1, md


def test_beside_puts_quick_full_and_paper_in_one_table(tmp_path):
    config = RS.to_json(R.CONFIGS["full"]["deep_mnist"])
    _fake(tmp_path, "deep_vs_pca_mnist", {"Ms": [2, 30], "pca_test_errors": [47.5, 13.9],
                                          "ae_test_errors": [33.0, 4.2]}, config)
    quick = {"Ms": (2, 30), "pca_test_errors": (45.0, 14.6), "ae_test_errors": (36.0, 16.8)}
    en = RP.beside("deep_vs_pca_mnist", quick, "en", folder=tmp_path)
    _lines_well_formed(en)
    assert "| deep AE, M = 30 | 16.80 | 4.20 | 3.00 |" in en
    assert "| logistic PCA, M = 30 | – | – | 8.01 |" in en
    assert "MNIST-5k 4,000 / 1,000" in en and "Full-size run: MNIST 60,000 / 10,000" in en
    assert "CPU (test)" in en and "2.0 min" in en and "abc1234567" in en
    ko = RP.beside("deep_vs_pca_mnist", quick, "ko", folder=tmp_path)
    assert "전체 규모 실행" in ko and "| 심층 AE, M = 30 | 16.80 | 4.20 | 3.00 |" in ko
    missing = RP.beside("linear_vs_pca", None, "en", folder=tmp_path)
    assert "No full-size result of `linear_vs_pca`" in missing


def test_a_sweep_shows_its_full_table_in_the_pages_format(tmp_path):
    config = RS.to_json(R.CONFIGS["full"]["dae_mnist"])
    rows = [{"kind": "mask", "level": 0.25, "noisy": 22.3, "plain": 16.2, "dae": 14.4, "dae_clean": 15.6}]
    _fake(tmp_path, "denoising_table", {"rows": rows}, config)
    md = RP.beside("denoising_table", object(), "en", folder=tmp_path)
    _lines_well_formed(md)
    assert "| mask | 0.25 | 22.3 | 16.2 | 14.4 | 15.6 |" in md and "784-1000-500-250-32" in md


def test_the_paper_table_and_the_run_list_render_without_results(tmp_path):
    for lang in ("en", "ko"):
        _lines_well_formed(RP.paper_table(lang, folder=tmp_path))
        _lines_well_formed(RP.runs_table(lang, folder=tmp_path))
    assert "86.76" in RP.paper_table("en", folder=tmp_path)


def test_an_unknown_experiment_is_named_in_the_error():
    with pytest.raises(ValueError, match="name must be an experiment with a report.*'deep_vs_pca'"):
        RP.beside("deep_vs_pca")


@pytest.mark.parametrize("name", RUNNABLE)
def test_a_committed_result_has_the_fields_of_todays_result_class(name):
    """A renamed or removed result field would show "–" in the quick column: the committed
    result's fields must be the result class's (format-1 results also held a wall time, which
    the runner now records)."""
    import dataclasses
    import typing

    full = RS.load_full(name)
    ret = typing.get_type_hints(R.EXPERIMENTS[name].func.__wrapped__)["return"]
    if not dataclasses.is_dataclass(ret):
        pytest.skip(f"{name} returns {ret}")
    fields = {f.name for f in dataclasses.fields(ret)}
    keys = set(full.result) - ({"wall_time_s", "wall_times_s"} if full.format < 2 else set())
    assert keys == fields, f"{name}: result class and committed result differ in {sorted(keys ^ fields)}"


def test_glue_keys_name_every_row_and_table_cell(monkeypatch):
    glued = {}
    monkeypatch.setattr(RP, "glue_text", lambda key, text: glued.setdefault(key, text))
    RP.beside("deep_vs_pca_mnist", None, "en")
    full = RS.load_full("deep_vs_pca_mnist")
    assert glued["deep_vs_pca_mnist.full.pca_test_M30"] == f"{full['pca_test_errors'][1]:.2f}"
    RP.beside("denoising_table", None, "en")
    assert any(k.startswith("denoising_table.full.mask.0.75.") for k in glued), sorted(glued)[:5]


@pytest.mark.parametrize("claim", RP.FULL_CLAIMS, ids=lambda c: c.text)
def test_every_full_size_conclusion_of_a_page_holds_on_the_committed_result(claim):
    full = RS.load_full(claim.experiment)
    assert claim.holds(full.result), f"{claim.experiment}: '{claim.text}' no longer holds at full size"


def test_every_page_prints_the_full_size_conclusions_of_its_experiments():
    for lang in ("en", "ko"):
        for name in {c.experiment for c in RP.FULL_CLAIMS}:
            nb = nbformat.read(ROOT / "book" / lang / f"{RP.PAGES[name]}.ipynb", as_version=4)
            code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
            assert re.search(rf"full_claims\([^)]*\"{name}\"", code), f"{lang}/{RP.PAGES[name]} omits {name}"


def test_the_paper_table_gives_each_paper_its_setting_and_each_number_a_status():
    from aebook.report.specs import Claim, claim_status

    assert {c.paper for c in RP.CLAIMS} == set(RP.PAPERS)
    near = Claim("x", "hs", "13.87", "deep_vs_pca_mnist", "pca_test_M30", "reproduced", 0.01)
    assert claim_status(near, "13.87")[0] == "report.status.reproduced"
    assert claim_status(near, "13.76")[0] == "report.status.differs"
    assert claim_status(near, "–")[0] == "report.status.not_run"
    theory = Claim("x", "bh", "0°", "linear_vs_pca", "max_angle", "theory")
    assert claim_status(theory, "1.37°")[0] == "report.status.theory"
    for lang in ("en", "ko"):
        md = RP.paper_table(lang)
        assert md.count("**") == 2 * len(RP.PAPERS) and md.count("\n\n| ") == len(RP.PAPERS)
        assert "et al." not in md or lang == "en"


# English that a Korean page's generated tables must not show: result labels (plain, warm-up,
# cyclic, free bits, none / l1 / l2, mask / gaussian), units and abbreviations of the English
# texts (ep, batch, nats), and citations' "et al."; code (`...`) and glosses in parentheses are
# allowed. Korean column and row heads put no space before a parenthesis ("빠른 모드(위)").
ENGLISH_IN_KOREAN = re.compile(r"\b(ep|batch|plain|warm-?up|cyclic|free bits|gaussian|Gaussian|mask|none|l1|l2|"
                               r"random|nats?|penalty|quick|full size|paper|above)\b|et al\.|≫")


def _korean_table_problems(md: str) -> list[str]:
    problems = []
    for line in md.splitlines():
        text = re.sub(r"`[^`]*`", "", line)
        while re.search(r"\([^()]*\)", text):  # glosses and commands in parentheses, innermost first
            text = re.sub(r"\([^()]*\)", "", text)
        problems += [f"«{m.group(0)}» in: {line}" for m in ENGLISH_IN_KOREAN.finditer(text)]
        if line.startswith("|"):
            problems += [f"space before a parenthesis in: {line}" for _ in re.finditer(r"[\uac00-\ud7a3] \(", line)]
    return problems


@pytest.mark.parametrize("name", RUNNABLE)
def test_korean_tables_show_no_english_labels(name):
    """Each report in Korean, with the committed full result also standing in for a quick one
    (so that the quick column and the quick mode's line are rendered too)."""
    full = RS.load_full(name)
    if full is None:
        pytest.skip("no committed result (tests/test_results.py fails)")
    md = RP.beside(name, full.result, "ko") + "\n" + RP.full_table(name, "ko")
    problems = _korean_table_problems(md)
    assert not problems, f"{name}:\n" + "\n".join(problems)
    # the English page keeps the results' own labels
    if name == "sparse_sweep":
        assert "| l1 | 0.003 |" in RP.full_table(name, "en") and "| 활성값 L1 | 0.003 |" in RP.full_table(name, "ko")
    if name == "collapse_remedies":
        assert "| free bits |" in RP.full_table(name, "en") and "| 자유 비트 |" in RP.full_table(name, "ko")


def test_korean_paper_and_runs_tables_show_no_english_labels():
    for md in (RP.paper_table("ko"), RP.runs_table("ko")):
        problems = _korean_table_problems(md)
        assert not problems, "\n".join(problems)


def test_the_korean_table_check_finds_english_labels():
    assert _korean_table_problems("| 실행 | plain |\n| 기본 | 30 ep, batch 128 |")
    assert _korean_table_problems("| 항목 | 빠른 모드 (위) |")
    assert _korean_table_problems("논문: Burda et al. (2016).")
    assert not _korean_table_problems("| 자유 비트(free bits) | `mask_ratio_sweep` |")


def _glued_by(code: str) -> set[str]:
    """The glue keys a page's code cells produce: every row (and table cell) of each experiment
    it shows with beside() (its quick rows too when a quick result is passed) or glue_full()."""
    keys: set[str] = set()
    calls = re.findall(r"beside\(\s*\"(\w+)\"\s*(,\s*[^)\s])?", code)
    for names in re.findall(r"glue_full\(([^)]*)\)", code):
        calls += [(n, "") for n in re.findall(r"\"(\w+)\"", names)]
    for name, quick in calls:
        rep, full = RP.REPORTS[name], RS.load_full(name)
        keys |= {f"{name}.full.{r.key}" for r in rep.rows}
        if rep.table_rows is not None:
            keys |= {f"{name}.full.{RP._row_key(rep, row)}.{c.key}" for row in rep.table_rows(full.result)
                     for c in rep.columns}
        if quick and rep.table_rows is None:
            keys |= {f"{name}.quick.{r.key}" for r in rep.rows}
    return keys


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_number_a_page_inserts_is_glued_by_its_own_cells(lang):
    for path in sorted((ROOT / "book" / lang).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        used = {k for c in nb.cells if c.cell_type == "markdown"
                for k in re.findall(r"\{glue:text\}`([^`]+)`", c.source)}
        # a page's own quick numbers: glued by its cells with glue_text(), seen in its outputs
        own = {o.get("metadata", {}).get("scrapbook", {}).get("name") for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", [])} - {None}
        missing = sorted(used - _glued_by(code) - own)
        assert not missing, f"{lang}/{path.name} inserts numbers no cell glues: {missing}"
