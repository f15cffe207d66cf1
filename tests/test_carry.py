"""Carrying committed results over a change of code that moves no number
(aebook.experiments.carry): what counts as the same numbers, what a carried record must say, and
that the carry writes nothing when a number moves."""

from __future__ import annotations

import json
import re
import shutil
import types

import pytest

from aebook.experiments import carry as C
from aebook.experiments import results as RS
from aebook.experiments.fingerprint import fingerprint
from aebook.experiments.registry import EXPERIMENTS

HEX = re.compile(r"^[0-9a-f]{16}$")


def test_the_same_numbers_means_bit_for_bit_except_wall_clock():
    a = {"err": 0.25, "rows": [{"x": 1.0, "fit_time_s": 3.0}], "train_time_s": {"conv": 12.0}, "label": "a"}
    b = {"err": 0.25, "rows": [{"x": 1.0, "fit_time_s": 9.0}], "train_time_s": {"conv": 10.0}, "label": "a"}
    assert C.same_numbers(a, b) == []
    assert C.same_numbers(a, {**b, "err": 0.25000000000000006}) != []  # one ulp is a moved number
    assert C.same_numbers(a, {**b, "label": "b"}) != []
    assert C.same_numbers(a, {k: v for k, v in b.items() if k != "err"}) != []


def test_a_carried_record_says_from_which_code_and_on_what_evidence():
    """Every committed record carried over a change of code keeps its own commit and device,
    and each step of its ``carried`` chain names the fingerprints it joins, the commits, and
    the evidence that lists it; the last step ends at the record's fingerprint."""
    for path in sorted(RS.RESULTS_DIR.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        steps = record.get("provenance", {}).get("carried")
        if not steps:
            continue
        name = path.stem
        assert steps[-1]["to"] == record["provenance"]["fingerprint"], name
        for before, after in zip(steps, steps[1:]):
            assert after["from"] == before["to"], f"{name}: the chain of carries is broken"
        for s in steps:
            assert HEX.match(s["from"]) and HEX.match(s["to"]) and s["from"] != s["to"], (name, s)
            assert name in s["evidence"]["quick_identical"], f"{name}: carried without its quick-mode check"
            assert s["commit"] and s["against"] and s["date"], (name, s)


@pytest.fixture()
def sandbox(tmp_path, monkeypatch):
    """A copy of one committed record in a folder of its own, stale by its code only, and a
    carry whose git and subprocess steps are replaced by ``outputs`` (folder -> result)."""
    name = "seed_spread"
    folder = tmp_path / "full"
    folder.mkdir()
    shutil.copy(RS.RESULTS_DIR / f"{name}.json", folder / f"{name}.json")
    record = json.loads((folder / f"{name}.json").read_text())
    record["provenance"]["fingerprint"] = "0123456789abcdef"  # "computed by other code"
    RS.write_record(record, folder)
    monkeypatch.setattr(C, "RESULTS_DIR", folder)
    monkeypatch.setattr(C, "load_full", lambda n, check=True: RS.load_full(n, folder, check=check))
    monkeypatch.setattr(C, "carry_candidates", lambda names=None: [name])
    monkeypatch.setattr(C, "_fingerprints_at", lambda tree, names: {n: "0123456789abcdef" for n in names})
    def git(cmd, **kw):  # rev-parse resolves a ref to its commit: here "abc1234" -> "abc1234555..."
        ref = cmd[-1].split("^")[0] if cmd[:2] == ["git", "rev-parse"] else ""
        return types.SimpleNamespace(stdout=(ref if ref.startswith("abc") else "f").ljust(40, "5") + "\n")

    monkeypatch.setattr(C.subprocess, "run", git)
    outputs = {}

    def fake_run(tree, names, mode, out, jobs):
        out.mkdir(parents=True, exist_ok=True)
        for n in names:
            (out / f"{n}.json").write_text(json.dumps({"result": outputs[out.name]}))

    monkeypatch.setattr(C, "_run", fake_run)
    return name, folder, record, outputs


def test_a_carry_rewrites_the_fingerprint_and_seals_the_record_again(sandbox):
    name, folder, record, outputs = sandbox
    same = {"errors": [0.1, 0.2], "mean": 0.15}
    outputs.update({"quick-old": same, "quick-new": same, "full-old": same, "full-new": same})
    assert C.carry("abc1234", jobs=1) == 0
    after = json.loads((folder / f"{name}.json").read_text())
    RS.check_digest(after)
    p = after["provenance"]
    assert p["fingerprint"] == fingerprint(EXPERIMENTS[name].module)
    assert p["carried"][-1]["from"] == "0123456789abcdef" and p["carried"][-1]["against"] == "abc1234555"
    assert p["carried"][-1]["evidence"]["full_identical"] == [name]  # 50 s: cheap enough to compare in full
    assert after["result"] == record["result"] and p["commit"] == record["provenance"]["commit"]


def test_a_carry_writes_nothing_when_a_number_moves(sandbox, capsys):
    name, folder, record, outputs = sandbox
    outputs.update({"quick-old": {"mean": 0.15}, "quick-new": {"mean": 0.15},
                    "full-old": {"mean": 0.15}, "full-new": {"mean": 0.16}})
    before = (folder / f"{name}.json").read_text()
    assert C.carry("abc1234", jobs=1) == 1
    assert (folder / f"{name}.json").read_text() == before
    assert "seed_spread (full): 1 number(s) moved" in capsys.readouterr().out


def test_a_carry_refuses_a_commit_whose_code_did_not_compute_the_record(sandbox, monkeypatch, capsys):
    name, folder, _, _ = sandbox
    monkeypatch.setattr(C, "_fingerprints_at", lambda tree, names: {n: "fedcba9876543210" for n in names})
    assert C.carry("abc1234", jobs=1) == 1
    assert "is not the code that computed" in capsys.readouterr().out


def test_a_full_run_is_cheap_only_with_the_runs_it_uses():
    """linear_probe's own record took minutes, but from nothing it trains mae_pretrain first:
    the carry must not take it for a cheap run."""
    assert C.uses("linear_probe") == {"mae_pretrain"} and C.uses("cvae_digits") == {"digit_classifier"}
    assert C.uses("seed_spread") == set()
    own = RS.load_full("linear_probe").provenance["wall_time_s"]
    assert C.full_cost("linear_probe") == pytest.approx(own + RS.load_full("mae_pretrain").provenance["wall_time_s"])
    assert C.full_cost("deep_vs_pca_mnist") == RS.load_full("deep_vs_pca_mnist").provenance["wall_time_s"]
