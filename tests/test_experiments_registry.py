"""How an experiment is declared and run (aebook.experiments.registry): configurations, the
cache, the thread count, the list of runnable experiments."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from aebook.experiments import registry as R


@dataclasses.dataclass(frozen=True)
class ProbeConfig(R.Schedule):
    width: int = 3


@pytest.fixture()
def probe(monkeypatch):
    """A throwaway configuration and experiment, removed again afterwards; results stay in memory
    (tools/make.py's run cache folder would share them between the tests that use it)."""
    monkeypatch.delenv(R.RESULT_CACHE_ENV, raising=False)
    monkeypatch.setitem(R.CONFIGS["quick"], "_probe", ProbeConfig(epochs=1, batch_size=4, lr=0.1, width=3))
    monkeypatch.setitem(R.CONFIGS["full"], "_probe", ProbeConfig(epochs=2, batch_size=4, lr=0.1, width=5))
    calls = []

    @R.experiment(config="_probe")
    def _probe_experiment(c, xs=(1, 2), mode=None, seed=0):
        calls.append((c.width, xs, mode, seed, torch.get_num_threads()))
        return {"width": c.width, "sum": sum(xs)}

    yield _probe_experiment, calls
    R.EXPERIMENTS.pop("_probe_experiment", None)
    R._CACHES.remove(_probe_experiment.lru)


def test_the_mode_picks_the_configuration_and_the_caller_never_passes_it(probe):
    fn, calls = probe
    assert fn()["width"] == 3 and fn(mode="full")["width"] == 5 and fn(mode="FULL")["width"] == 5
    assert [c[0] for c in calls] == [3, 5]  # "full" and "FULL" are one key


def test_arguments_are_normalised_before_the_cache_sees_them(probe):
    fn, calls = probe
    a, b = fn(xs=(1, 2)), fn(xs=[1, 2])
    assert a is b and len(calls) == 1  # a list and a tuple are one key
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        fn(seed=-1)
    with pytest.raises(ValueError, match="mode must be one of"):
        fn(mode="fast")
    with pytest.raises(TypeError):
        fn(c=1)  # the configuration is not an argument


def test_an_experiment_computes_on_one_thread_and_restores_the_callers(probe):
    fn, calls = probe
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        fn(seed=1)
        assert calls[-1][4] == R.EXPERIMENT_THREADS == 1 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_a_real_experiment_gives_the_same_numbers_whatever_the_callers_threads():
    from aebook import experiments as E

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        a = E.deep_vs_pca_surface(mode="quick", seed=5)
        E.clear_cache()
        torch.set_num_threads(1)
        b = E.deep_vs_pca_surface(mode="quick", seed=5)
    finally:
        torch.set_num_threads(before)
        E.clear_cache()
    assert a is not b and a.ae_test_error == b.ae_test_error  # bit for bit


def test_threads_are_pinned_on_the_cpu_and_left_alone_on_a_gpu():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with R.fixed_threads(device=torch.device("cpu")):
            assert torch.get_num_threads() == 1
        with R.fixed_threads(device=torch.device("cuda")):  # evaluation on the CPU beside a GPU keeps its cores
            assert torch.get_num_threads() == 2
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_a_configuration_is_declared_once_and_must_be_a_frozen_dataclass(monkeypatch):
    monkeypatch.setitem(R.CONFIGS["quick"], "linear", R.CONFIGS["quick"]["linear"])
    with pytest.raises(ValueError, match="declared twice"):
        R.configure("linear", quick=R.CONFIGS["quick"]["linear"], full=R.CONFIGS["full"]["linear"])
    with pytest.raises(TypeError, match="frozen dataclass"):
        R.configure("_new", quick={"epochs": 1}, full={"epochs": 2})


def test_every_public_experiment_with_a_configuration_is_registered():
    from aebook import experiments as E

    with_full_run = R.runnable()
    assert with_full_run == sorted(with_full_run) and not any(n.startswith("_") for n in with_full_run)
    assert {"linear_vs_pca", "deep_vs_pca_mnist", "denoising_table", "mae_pretrain", "mnist_vae",
            "beta_sweep", "cvae_digits"} <= set(with_full_run)
    for name in with_full_run:
        spec = E.EXPERIMENTS[name]
        assert spec.config in E.CONFIGS["quick"] and spec.config in E.CONFIGS["full"], name
        assert getattr(E, name) is spec.func, f"{name} is not exported by aebook.experiments"


def test_results_are_shared_through_the_run_cache_folder(tmp_path, monkeypatch, probe):
    """``$AEBOOK_RESULT_CACHE`` (set by tools/make.py for one run) lets another process reuse a
    result; a different argument or configuration is computed afresh, and unset it is ignored."""
    fn, calls = probe
    monkeypatch.setenv(R.RESULT_CACHE_ENV, str(tmp_path))
    first = fn(xs=(3,))
    assert len(calls) == 1 and len(list(tmp_path.glob("*.pkl"))) == 1
    fn.cache_clear()                            # what a second process would see
    again = fn(xs=(3,))
    assert len(calls) == 1 and again is not first and again["sum"] == 3
    fn(xs=(4,))
    assert len(calls) == 2
    monkeypatch.setitem(R.CONFIGS["quick"], "_probe", ProbeConfig(epochs=1, batch_size=4, lr=0.1, width=9))
    fn.cache_clear()
    assert fn(xs=(3,))["width"] == 9 and len(calls) == 3  # a changed configuration
    monkeypatch.delenv(R.RESULT_CACHE_ENV)
    fn.cache_clear()
    fn(xs=(3,))
    assert len(calls) == 4


def test_two_processes_asking_for_one_result_at_once_compute_it_once(tmp_path):
    """The second process waits for the first one's result instead of training it again."""
    import os
    import subprocess
    import sys

    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    log = tmp_path / "computed.txt"
    script = (
        "import os, sys, time\n"
        "from aebook.experiments.cache import through_disk\n"
        "def compute():\n"
        f"    open({str(log)!r}, 'a').write(str(os.getpid()) + '\\n')\n"
        "    time.sleep(1.5)\n"
        "    return {'value': 42}\n"
        "print(through_disk('probe', ('k',), {'c': 1}, compute)['value'])\n"
    )
    env = dict(os.environ, AEBOOK_RESULT_CACHE=str(folder))
    procs = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert outs == ["42", "42"] and [p.returncode for p in procs] == [0, 0]
    assert len(log.read_text().split()) == 1, "both processes computed the result"


def test_unpicklable_results_are_recomputed_not_broken(tmp_path, monkeypatch):
    monkeypatch.setenv(R.RESULT_CACHE_ENV, str(tmp_path))

    @R.experiment(maxsize=1)
    def _closure():
        return lambda: 1                       # pickle cannot store a lambda

    try:
        assert _closure()() == 1
        assert not [p for p in tmp_path.iterdir() if not p.name.endswith(".lock")]  # no result, no temporary file
    finally:
        R.EXPERIMENTS.pop("_closure")
        R._CACHES.remove(_closure.lru)


class _Spy(torch.nn.Module):
    """A module that records being moved to the CPU."""

    def __init__(self):
        super().__init__()
        self.moved = 0

    def cpu(self):
        self.moved += 1
        return self


@dataclasses.dataclass(frozen=True)
class _Nested:
    model: torch.nn.Module
    models: tuple
    by_name: dict
    score: float


def test_a_result_reaches_its_caller_on_the_cpu_whatever_it_holds():
    """An experiment trains and evaluates on its device; ``to_cpu`` walks the result (frozen
    dataclasses, tuples, lists, dicts) and moves every module and tensor to the CPU."""
    spies = [_Spy() for _ in range(4)]
    t = torch.ones(2)
    res = R.to_cpu(_Nested(model=spies[0], models=(spies[1], [spies[2]]), by_name={"a": spies[3], "t": t},
                           score=1.5))
    assert [s.moved for s in spies] == [1, 1, 1, 1]
    assert res.model is spies[0] and res.models[1][0] is spies[2] and res.score == 1.5
    assert res.by_name["t"] is t  # a CPU tensor is left as it is


def test_an_experiment_on_a_gpu_hands_back_a_cpu_result_and_on_the_cpu_touches_nothing(probe, monkeypatch):
    fn, _ = probe
    moved = []
    monkeypatch.setattr(R, "to_cpu", lambda value: moved.append(value) or value)
    fn(seed=1)
    assert moved == [], "on the CPU the result is returned as computed"
    monkeypatch.setattr(R, "pick_device", lambda *a, **k: torch.device("cuda"))
    monkeypatch.setattr(R, "fixed_threads", lambda *a, **k: __import__("contextlib").nullcontext())
    assert fn(seed=2)["width"] == 3 and len(moved) == 1
