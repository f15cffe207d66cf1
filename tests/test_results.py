"""Full-size results (aebook.experiments.results and results/full/): every experiment with a full
configuration has one, each was computed with the configuration the code declares today (else it
is stale), its provenance is complete, the folder stays small; and the machinery that writes and
reads them."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys

import pytest
import torch
from torch import nn

from aebook.experiments import registry as R
from aebook.experiments import results as RS

RUNNABLE = sorted(n for n, s in R.EXPERIMENTS.items() if s.has_full_run and not n.startswith("_"))
PROVENANCE = {"command", "commit", "device", "device_type", "torch", "python", "threads", "kernels",
              "wall_time_s", "fit_time_s", "fits", "date"}


def committed() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(RS.RESULTS_DIR.glob("*.json"))}


def test_every_experiment_with_a_full_configuration_has_a_committed_result():
    missing = [n for n in RUNNABLE if not (RS.RESULTS_DIR / f"{n}.json").exists()]
    assert not missing, f"no results/full/<name>.json for {missing}: run 'python -m aebook run NAME --mode full'"
    orphans = sorted(set(committed()) - set(RUNNABLE))
    assert not orphans, f"results/full holds results of no registered experiment: {orphans}"


@pytest.mark.parametrize("name", RUNNABLE)
def test_a_committed_result_matches_todays_full_configuration(name):
    path = RS.RESULTS_DIR / f"{name}.json"
    if not path.exists():
        pytest.skip("no result (the test above fails)")
    d = json.loads(path.read_text(encoding="utf-8"))
    spec = R.EXPERIMENTS[name]
    assert d["experiment"] == name and d["mode"] == "full"
    assert d["config_name"] == spec.config, f"{name} now uses configuration {spec.config!r}: stale result"
    today = RS.to_json(R.CONFIGS["full"][spec.config])
    changed = sorted(k for k in set(today) | set(d["config"]) if today.get(k) != d["config"].get(k))
    assert not changed, (f"results/full/{name}.json is stale: its configuration differs in {changed}; "
                         f"rerun 'python -m aebook run {name} --mode full'")
    p = d["provenance"]
    assert PROVENANCE <= set(p), f"provenance lacks {sorted(PROVENANCE - set(p))}"
    assert p["command"] == f"python -m aebook run {name} --mode full"
    assert p["wall_time_s"] > 0 and p["threads"] >= 1 and p["date"][:2] == "20"
    assert not p["commit"].endswith("+changes"), "computed by code that was not committed"


def test_the_results_folder_stays_small():
    sizes = {p.name: p.stat().st_size for p in RS.RESULTS_DIR.iterdir()}
    assert all(name.endswith(".json") for name in sizes), f"only JSON results belong there: {sorted(sizes)}"
    assert sum(sizes.values()) < 4 * 2**20, f"results/full holds {sum(sizes.values()) / 2**20:.1f} MiB"


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


@pytest.fixture()
def probe(monkeypatch, tmp_path):
    monkeypatch.delenv(R.RESULT_CACHE_ENV, raising=False)
    monkeypatch.setitem(R.CONFIGS["quick"], "_probe", R.Schedule(epochs=2, batch_size=8, lr=0.05))
    monkeypatch.setitem(R.CONFIGS["full"], "_probe", R.Schedule(epochs=3, batch_size=8, lr=0.05))

    @R.experiment(config="_probe")
    def _probe_run(c, mode=None, seed=0):
        torch.manual_seed(seed)
        model = nn.Linear(4, 4)
        x = torch.randn(32, 4)
        h = c.fit(model, lambda m, b: ((m(b[0]) - b[0]) ** 2).mean(), x, seed=seed, name="probe")
        return {"final": h.train[-1], "weights": model.weight.detach(), "model": model, "wall_time_s": None}

    yield _probe_run
    R.EXPERIMENTS.pop("_probe_run", None)
    R._CACHES.remove(_probe_run.lru)


def test_a_run_writes_its_result_with_provenance_and_checkpoints_and_reads_back(probe, tmp_path):
    path = RS.run_experiment("_probe_run", mode="quick", out=tmp_path / "out", checkpoints=tmp_path / "runs")
    d = json.loads(path.read_text(encoding="utf-8"))
    assert d["config"] == {"epochs": 2, "batch_size": 8, "lr": 0.05} and d["config_name"] == "_probe"
    assert len(d["result"]["weights"]) == 4 and d["result"]["model"] is None
    assert d["provenance"]["fits"] == 1 and d["provenance"]["threads"] == R.EXPERIMENT_THREADS
    assert d["provenance"]["fit_time_s"] <= d["provenance"]["wall_time_s"]
    assert list((tmp_path / "runs").rglob("probe.pt")), "the fit left no checkpoint to resume from"
    full = RS.load_full("_probe_run", tmp_path / "out")
    assert full["final"] == pytest.approx(d["result"]["final"])
    for lang, word in (("en", "Full-size run"), ("ko", "전체 규모 실행")):
        line = full.label(lang, data="MNIST 60k", detail="3 epochs")
        assert line.startswith(word) and "MNIST 60k" in line and d["provenance"]["device"] in line
    assert RS.load_full("nothing_like_this", tmp_path / "out") is None


def test_only_registered_experiments_with_a_full_configuration_run():
    with pytest.raises(ValueError, match="name must be one of .*deep_vs_pca_mnist"):
        RS.run_experiment("deep_vs_pca", out="/nonexistent")


def test_the_command_line_lists_what_it_can_run():
    out = subprocess.run([sys.executable, "-m", "aebook", "run", "--list"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    for name in RUNNABLE:
        assert name in out.stdout
    bad = subprocess.run([sys.executable, "-m", "aebook", "run", "no_such_run"], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "unknown experiment" in bad.stderr
