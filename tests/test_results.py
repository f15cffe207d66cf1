"""Full-size results (aebook/results/full): every experiment with a full configuration has one;
each is sealed by its digest (a hand edit fails here), was computed by today's configuration,
arguments and code (its fingerprint) or is one of the few declared as awaiting a re-run; its
provenance is complete and holds no path of the machine that ran it; the cheap ones are
recomputed and must reproduce; and the machinery that writes, resumes, locks and sweeps them."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import subprocess
import sys
import threading
import time

import pytest
import torch
from conftest import ROOT
from torch import nn

from aebook.experiments import registry as R
from aebook.experiments import results as RS
from aebook.experiments import runner as RN
from aebook.experiments import schedule as SC
from aebook.experiments import sweep as SW
from aebook.experiments.fingerprint import fingerprint

RUNNABLE = R.runnable()
PROVENANCE = {"command", "commit", "fingerprint", "device", "device_type", "torch", "numpy", "scikit-learn",
              "python", "threads", "kernels", "wall_time_s", "fit_time_s", "fits", "date", "sittings"}
#: results computed before this runner (format 1: MNIST read as k/256, no fingerprint, no
#: arguments), kept on the pages with that said, until they are re-run. The list may only
#: shrink: a result re-run with today's runner must leave it.
AWAITING_RERUN: set[str] = set()  # iwae_vs_vae, the last, was re-run on 2026-12-04
#: full runs cheap enough to recompute in the suite: those whose recorded one-thread wall time is
#: under about a minute (issue 19's rule; today deep_vs_pca_surface, 44 s, and seed_spread, 50 s).
#: ``AEBOOK_VERIFY_UP_TO_S=150`` raises the bar (then gradient_variance, 112 s, curve_denoiser,
#: 141 s, and pytorch_examples_vae, 87 s, are recomputed too); ``python -m aebook run NAME --verify``
#: verifies any one. Every other run is bound by its digest and its fingerprint.
VERIFY_UP_TO_S = float(os.environ.get("AEBOOK_VERIFY_UP_TO_S", "60"))


def _cheap() -> tuple[str, ...]:
    out = []
    for p in sorted(RS.RESULTS_DIR.glob("*.json")):
        record = json.loads(p.read_text(encoding="utf-8"))
        wall = record.get("provenance", {}).get("wall_time_s")
        if wall is not None and wall <= VERIFY_UP_TO_S:
            out.append(p.stem)
    return tuple(out)


CHEAP = _cheap()


def committed() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(RS.RESULTS_DIR.glob("*.json"))}


def test_every_experiment_with_a_full_configuration_has_a_committed_result():
    missing = [n for n in RUNNABLE if not (RS.RESULTS_DIR / f"{n}.json").exists()]
    assert not missing, f"no aebook/results/full/<name>.json for {missing}: run 'python -m aebook run NAME --mode full'"
    orphans = sorted(set(committed()) - set(RUNNABLE))
    assert not orphans, f"aebook/results/full holds results of no registered experiment: {orphans}"


@pytest.mark.parametrize("name", RUNNABLE)
def test_a_committed_result_is_sealed_by_its_digest(name):
    record = committed()[name]
    RS.check_digest(record, name)  # raises on any edit after the runner wrote it


def test_a_hand_edit_of_any_number_breaks_the_seal(tmp_path):
    record = committed()["seed_spread"]
    leaves = [k for k, v in RS._leaves(record["result"]) if isinstance(v, float)]
    assert leaves
    for key in (leaves[0], leaves[-1]):
        edited = json.loads(json.dumps(record))
        node, parts = edited["result"], re.findall(r"[^.\[\]]+", key)
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node[p]
        last = int(parts[-1]) if isinstance(node, list) else parts[-1]
        node[last] = node[last] * 1.01
        (tmp_path / "seed_spread.json").write_text(json.dumps(edited), encoding="utf-8")
        with pytest.raises(ValueError, match="does not match its digest.*python -m aebook run seed_spread"):
            RS.load_full("seed_spread", tmp_path)


@pytest.mark.parametrize("name", RUNNABLE)
def test_a_committed_result_was_computed_by_todays_configuration_arguments_and_code(name):
    record = committed()[name]
    spec = R.EXPERIMENTS[name]
    assert record["experiment"] == name and record["mode"] == "full" and record["config_name"] == spec.config
    today = RS.to_json(R.CONFIGS["full"][spec.config])
    changed = sorted(k for k in set(today) | set(record["config"]) if today.get(k) != record["config"].get(k))
    assert not changed, (f"aebook/results/full/{name}.json is stale: its configuration differs in {changed}; "
                         f"rerun 'python -m aebook run {name} --mode full'")
    if record.get("format", 1) < RS.FORMAT:
        assert name in AWAITING_RERUN, (f"{name}: a format-1 result (no fingerprint) that is not declared as "
                                        "awaiting a re-run")
        return
    assert name not in AWAITING_RERUN, f"{name} was re-run: take it off AWAITING_RERUN"
    assert record["arguments"] == RN.arguments_of(name, "full"), f"{name}: the call's arguments changed; rerun it"
    assert record["provenance"]["fingerprint"] == fingerprint(spec.module), (
        f"{name}: the code that computes it changed since the run (fingerprint); "
        f"rerun 'python -m aebook run {name} --mode full'")


@pytest.mark.parametrize("name", RUNNABLE)
def test_provenance_is_complete_and_holds_no_path_of_the_machine(name):
    record = committed()[name]
    p = record["provenance"]
    assert p["command"] == f"python -m aebook run {name} --mode full"
    assert p["wall_time_s"] > 0 and p["threads"] >= 1 and p["date"][:2] == "20"
    assert not p["commit"].endswith("+changes"), "computed by code that was not committed"
    absolute = re.compile(r"(^|\s)/(home|root|work|tmp|Users)/")
    paths = [s for _, s in RS._leaves(record) if isinstance(s, str) and absolute.search(s)]
    assert not paths, f"{name}: absolute paths in the record: {paths}"
    if record.get("format", 1) >= RS.FORMAT:
        assert PROVENANCE <= set(p), f"provenance lacks {sorted(PROVENANCE - set(p))}"
        assert p["sittings"] and p["sittings"][-1]["finished"], "the last sitting must have finished the run"
        assert p["fits"] == 0 or sum(s["epochs"] for s in p["sittings"]) > 0, "fits recorded but no epochs"
    known = subprocess.run(["git", "merge-base", "--is-ancestor", p["commit"], "HEAD"], cwd=ROOT,
                           capture_output=True, timeout=30)
    if known.returncode not in (0, 1):
        pytest.skip("not a git checkout with history")
    assert known.returncode == 0, f"{name}: commit {p['commit']} is not an ancestor of HEAD"


def test_the_results_folder_stays_small():
    sizes = {p.name: p.stat().st_size for p in RS.RESULTS_DIR.iterdir()}
    assert all(name.endswith(".json") for name in sizes), f"only JSON results belong there: {sorted(sizes)}"
    assert sum(sizes.values()) < 4 * 2**20, f"aebook/results/full holds {sum(sizes.values()) / 2**20:.1f} MiB"


@pytest.mark.slow
def test_the_cheap_full_runs_reproduce_when_recomputed(tmp_path):
    """Each cheap run is recomputed from scratch, two processes at a time, and compared with
    its committed result within its measured tolerance (runner.VERIFY_TOLERANCE)."""
    names = [n for n in CHEAP if n not in AWAITING_RERUN and committed()[n].get("format", 1) >= RS.FORMAT]
    assert len(names) >= 2, f"too few cheap runs are current to verify: {names}"
    unmeasured = [n for n in names if n not in RN.VERIFY_TOLERANCE]
    assert not unmeasured, f"no measured tolerance for {unmeasured}: see runner.VERIFY_TOLERANCE"
    failed = SW.run_parallel(names, jobs=2, checkpoints=str(tmp_path), verify=True)
    logs = {p.stem: p.read_text() for p in (tmp_path / "logs").glob("*.log")}
    assert failed == 0, "\n".join(f"{k}: {v[-1500:]}" for k, v in logs.items() if "reproduced" not in v)
    assert all("reproduced" in logs[n] for n in names), logs


# ----------------------------------------------------------------------------- the machinery


@dataclasses.dataclass(frozen=True)
class Inner:
    a: float
    b: tuple


def test_to_json_keeps_numbers_and_small_arrays_and_drops_models():
    big = torch.zeros(RS.MAX_ARRAY + 1)
    value = {"x": Inner(a=math.nan, b=(1, torch.tensor([0.5, 2.0]))), 3: math.inf, "m": nn.Linear(2, 2),
             "big": big, "np": torch.tensor(4).numpy(), "s": "t", "none": None, "flag": True}
    out = RS.to_json(value)
    assert out == {"x": {"a": None, "b": [1, [0.5, 2.0]]}, "3": None, "m": None, "big": None, "np": 4,
                   "s": "t", "none": None, "flag": True}
    json.dumps(out, allow_nan=False)  # strict JSON


def test_compare_names_the_numbers_that_moved():
    a = {"x": 1.0, "rows": [{"e": 10.0}, {"e": 20.0}], "k": "mask"}
    assert RS.compare(a, json.loads(json.dumps(a)), rtol=0) == []
    b = {"x": 1.0 + 1e-9, "rows": [{"e": 10.0}, {"e": 21.0}], "k": "mask", "new": 1}
    moved = RS.compare(a, b, rtol=1e-6)
    assert moved == ["new: only in the recomputed result", "rows[1].e: 20.0 committed, 21.0 now (+5.00%)"]


@pytest.fixture()
def probe(monkeypatch):
    monkeypatch.delenv(R.RESULT_CACHE_ENV, raising=False)
    monkeypatch.setitem(R.CONFIGS["quick"], "_probe", R.Schedule(epochs=2, batch_size=8, lr=0.05))
    monkeypatch.setitem(R.CONFIGS["full"], "_probe", R.Schedule(epochs=3, batch_size=8, lr=0.05))

    @R.experiment(config="_probe")
    def _probe_run(c, mode=None, seed=0, width=4):
        torch.manual_seed(seed)
        model = nn.Linear(width, width)
        x = torch.randn(32, width)
        h = c.fit(model, lambda m, b: ((m(b[0]) - b[0]) ** 2).mean(), x, seed=seed, name="probe")
        return {"final": h.train[-1], "weights": model.weight.detach(), "model": model}

    yield _probe_run
    R.EXPERIMENTS.pop("_probe_run", None)
    R._CACHES.remove(_probe_run.lru)


def test_a_run_writes_a_sealed_record_with_provenance_and_checkpoints(probe, tmp_path):
    path = RN.run_experiment("_probe_run", mode="quick", out=tmp_path / "out", checkpoints=tmp_path / "runs")
    d = json.loads(path.read_text(encoding="utf-8"))
    RS.check_digest(d)
    assert d["format"] == RS.FORMAT and d["config"] == {"epochs": 2, "batch_size": 8, "lr": 0.05}
    assert d["arguments"] == {"mode": "quick", "seed": 0, "width": 4}, "defaults are recorded too"
    assert len(d["result"]["weights"]) == 4 and d["result"]["model"] is None
    p = d["provenance"]
    assert PROVENANCE <= set(p) and p["fits"] == 1 and p["threads"] == R.EXPERIMENT_THREADS
    assert p["fingerprint"] == fingerprint(__name__) and p["fit_time_s"] <= p["wall_time_s"]
    assert [s["epochs"] for s in p["sittings"]] == [2] and p["sittings"][0]["finished"]
    ckpt = list((tmp_path / "runs").rglob("probe.pt"))
    assert len(ckpt) == 1, "the fit left no checkpoint to resume from"
    assert ckpt[0].parent.parent.name == SC.config_hash(repr(R.CONFIGS["quick"]["_probe"])), \
        "checkpoints are keyed by the configuration's hash"
    full = RS.load_full("_probe_run", tmp_path / "out")
    assert full["final"] == pytest.approx(d["result"]["final"]) and full.arguments["width"] == 4
    assert RS.load_full("nothing_like_this", tmp_path / "out") is None


def test_a_resumed_run_records_every_sitting(probe, tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    RN.run_experiment("_probe_run", mode="quick", out=tmp_path / "a", checkpoints=runs)
    R.clear_cache()
    monkeypatch.setitem(R.CONFIGS["quick"], "_probe", R.Schedule(epochs=2, batch_size=8, lr=0.05))
    d = json.loads(RN.run_experiment("_probe_run", mode="quick", out=tmp_path / "b", checkpoints=runs).read_text())
    sittings = d["provenance"]["sittings"]
    assert len(sittings) == 2 and [s["epochs"] for s in sittings] == [2, 0], "the second sitting resumed a finished fit"
    assert all(s["commit"] and s["start"] for s in sittings)


def test_a_second_process_waits_for_the_one_that_trains_the_same_folder(probe, tmp_path, capfd):
    runs = tmp_path / "runs"
    key = (("mode", "quick"), ("seed", 0), ("width", 4))
    c = repr(R.CONFIGS["quick"]["_probe"])
    done = []
    with SC.run_folder(runs), SC.experiment_folder("_probe_run", key, c):
        t = threading.Thread(target=lambda: done.append(
            RN.run_experiment("_probe_run", mode="quick", out=tmp_path / "o", checkpoints=runs)))
        t.start()
        time.sleep(1.0)
        assert not done, "the run did not wait for the lock"
    t.join(timeout=60)
    assert done and done[0].exists()
    assert "is being trained by" in capfd.readouterr().err


def test_only_registered_experiments_with_a_full_configuration_run(tmp_path):
    with pytest.raises(ValueError, match="name must be one of .*deep_vs_pca_mnist"):
        RN.run_experiment("deep_vs_pca", out=tmp_path)
    with pytest.raises(ValueError, match="mode=.quick., budget=.full. writes no committed result: give out="):
        RN.run_experiment("seed_spread", mode="quick")


def test_a_result_cache_open_to_others_is_refused(tmp_path, monkeypatch):
    from aebook.experiments.cache import cache_folder

    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv(R.RESULT_CACHE_ENV, str(folder))
    assert cache_folder() == folder
    folder.chmod(0o777)
    with pytest.raises(PermissionError, match="must be a folder owned by this user with mode 0700"):
        cache_folder()


def test_staleness_names_what_changed(probe, tmp_path, monkeypatch):
    RN.run_experiment("_probe_run", mode="full", out=tmp_path, checkpoints=None)
    assert RN.staleness("_probe_run", tmp_path) == []
    monkeypatch.setitem(R.CONFIGS["full"], "_probe", R.Schedule(epochs=4, batch_size=8, lr=0.05))
    assert RN.staleness("_probe_run", tmp_path) == ["configuration changed"]


def test_the_command_line_lists_what_it_can_run():
    out = subprocess.run([sys.executable, "-m", "aebook", "run", "--list"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    for name in RUNNABLE:
        assert name in out.stdout
    bad = subprocess.run([sys.executable, "-m", "aebook", "run", "no_such_run"], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "unknown experiment" in bad.stderr


TWO = ["gradient_variance", "deep_vs_pca_surface"]  # two real experiments, seconds each in quick mode


def _check_two(out):
    for name in TWO:
        d = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        RS.check_digest(d)
        assert d["mode"] == "quick" and d["provenance"]["threads"] == 1


@pytest.mark.slow
def test_jobs_run_experiments_in_parallel_processes(tmp_path):
    failed = SW.run_parallel(TWO, jobs=2, mode="quick", out=str(tmp_path / "out"),
                             checkpoints=str(tmp_path / "runs"))
    assert failed == 0, [p.read_text()[-2000:] for p in (tmp_path / "runs" / "logs").glob("*.log")]
    _check_two(tmp_path / "out")


@pytest.mark.slow
def test_the_submitit_local_executor_runs_the_same_sweep(tmp_path):
    pytest.importorskip("submitit")
    jobs = SW.submit(TWO, executor="local", mode="quick", out=str(tmp_path / "out"),
                     checkpoints=str(tmp_path / "runs"), timeout_min=10, wait=True)
    assert len(jobs) == 2 and all(j.state in ("DONE", "FINISHED", "COMPLETED") or j.done() for j in jobs)
    _check_two(tmp_path / "out")
    job = SW.ExperimentJob(mode="quick", out=str(tmp_path / "out"), checkpoints=str(tmp_path / "runs"))
    again = job.checkpoint("gradient_variance")  # what submitit requeues on preemption: the same call
    assert again.function is job and again.args == ("gradient_variance",)


def test_the_paper_budget_runs_the_papers_configuration_and_is_recorded_as_such(probe, tmp_path, monkeypatch):
    paper = R.Schedule(epochs=5, batch_size=8, lr=0.05)
    monkeypatch.setitem(R.BUDGETS["paper"], "_probe", paper)
    with pytest.raises(ValueError, match="budget='paper' writes no committed result: give out="):
        RN.run_experiment("_probe_run", budget="paper")
    d = json.loads(RN.run_experiment("_probe_run", out=tmp_path, checkpoints=None, budget="paper").read_text())
    assert d["budget"] == "paper" and d["config"]["epochs"] == 5
    assert d["provenance"]["command"].endswith("--mode full --budget paper")
    assert d["provenance"]["sittings"][0]["epochs"] == 5
    assert R.CONFIGS["full"]["_probe"].epochs == 3, "the budget is restored afterwards"
    with pytest.raises(ValueError, match="budget must be one of"):
        with R.budget("huge"):
            pass


def test_every_paper_budget_trains_at_least_as_long_as_the_full_configuration():
    for name, paper in R.BUDGETS["paper"].items():
        full = R.CONFIGS["full"][name]
        assert type(paper) is type(full), name
        longer = [getattr(paper, f) >= getattr(full, f) for f in ("epochs", "stages") if hasattr(full, f)]
        assert longer and all(longer), name


def test_the_code_fingerprint_sees_computation_not_wording():
    from aebook.experiments.fingerprint import closure, source_fingerprint

    base = '"""Module."""\nconfigure("x", quick=1, full=2)\n\ndef f(x):\n    """Doc."""\n    return x + 1\n'
    same = ('"""Reworded module docstring."""\nconfigure("x", quick=3, full=4)  # configs are compared apart\n\n\n'
            'def f(x):  # a comment\n    """Another docstring."""\n    return x + 1\n')
    other = base.replace("x + 1", "x + 2")
    assert source_fingerprint(base) == source_fingerprint(same)
    assert source_fingerprint(base) != source_fingerprint(other)
    mods = closure("aebook.experiments.deterministic")
    assert {"aebook.data.mnist", "aebook.train.loop", "aebook.experiments.schedule"} <= set(mods)
    assert fingerprint("aebook.experiments.deterministic") != fingerprint("aebook.experiments.vae")


def test_a_run_on_a_copied_tree_records_the_commit_it_was_copied_from(monkeypatch):
    monkeypatch.delenv("AEBOOK_COMMIT", raising=False)
    monkeypatch.setattr(RN, "_git", lambda *args: "")
    assert RN._commit() == "unknown"
    # the GPU machine's copy held a git at an older commit: the named one wins over it
    monkeypatch.setattr(RN, "_git", lambda *args: "5b6df24f5d" if args[0] == "rev-parse" else " M aebook/x.py")
    assert RN._commit() == "5b6df24f5d+changes"
    monkeypatch.setenv("AEBOOK_COMMIT", "0123456789")
    assert RN._commit() == "0123456789"


def test_the_fingerprint_is_the_same_on_every_python_from_3_11():
    """ast.dump changes with the version (3.12 adds empty type_params, 3.12.0-1 an empty piece to a
    nested f-string format, 3.13 drops empty fields): a result fingerprinted on a GPU machine's
    3.12 read as stale here. The dump is pinned to 3.11's text, on which the committed
    fingerprints were taken."""
    import ast

    from aebook.experiments.fingerprint import dump

    src = 'def f(a: int = 1) -> int:\n    return a\nclass C(B):\n    pass\nx = f"{y:{w}}"'
    assert dump(ast.parse(src)) == (
        "Module([FunctionDef('f', arguments([], [arg('a', Name('int', Load()))], kwonlyargs=[], kw_defaults=[], "
        "defaults=[Constant(1)]), [Return(Name('a', Load()))], [], Name('int', Load())), ClassDef('C', "
        "[Name('B', Load())], [], [Pass()], []), Assign([Name('x', Store())], JoinedStr([FormattedValue("
        "Name('y', Load()), -1, JoinedStr([FormattedValue(Name('w', Load()), -1)]))]))], [])")
    if sys.version_info[:2] == (3, 11):
        for path in sorted((ROOT / "aebook").rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            assert dump(tree) == ast.dump(tree, annotate_fields=False), path


def test_verify_refuses_to_compare_a_cpu_record_with_a_gpu_recomputation(monkeypatch):
    """A trained result moves more between devices than between kernels: verifying a CPU record
    on a GPU would fail for the device, not the code, so it is refused, saying how to verify."""
    from aebook.experiments import runner

    monkeypatch.setattr(runner, "_device_here", lambda: "cuda")
    with pytest.raises(ValueError, match="computed on a CPU.*recompute it on a CUDA.*CUDA_VISIBLE_DEVICES="):
        runner.verify("seed_spread")
