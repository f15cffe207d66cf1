"""aebook.setup and the quick/full mode."""

import pytest
import torch

import aebook
from aebook import config


def test_mode_defaults_to_quick(monkeypatch):
    monkeypatch.delenv("AEBOOK_MODE", raising=False)
    assert config.get_mode() == "quick"


def test_mode_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("AEBOOK_MODE", "Full")
    assert config.get_mode() == "full"


def test_unknown_mode_names_the_allowed_ones(monkeypatch):
    monkeypatch.setenv("AEBOOK_MODE", "fast")
    with pytest.raises(ValueError, match=r"\('quick', 'full'\)"):
        config.get_mode()


def test_setup_makes_random_draws_repeat():
    aebook.setup("en", seed=3, quiet=True)
    a = torch.randn(5)
    aebook.setup("en", seed=3, quiet=True)
    assert torch.equal(a, torch.randn(5))


def test_setup_returns_language_mode_and_device():
    ctx = aebook.setup("ko", seed=1, quiet=True)
    assert (ctx.lang, ctx.mode, ctx.seed, ctx.quick) == ("ko", "quick", 1, True)
    assert ctx.device.type in ("cpu", "cuda", "mps")
    assert aebook.get_language() == "ko"


def test_setup_fixes_the_thread_count():
    before = torch.get_num_threads()
    try:
        assert aebook.setup("en", threads=1, quiet=True).threads == 1
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("kw, match", [
    ({"lang": "fr"}, "lang must be one of"),
    ({"seed": -1}, "seed must be an int >= 0"),
    ({"threads": 0}, r"threads \(or None\) must be an int >= 1"),
    ({"device": "tpu"}, "device must be 'cpu', 'cuda', 'mps' or 'auto', got 'tpu'"),
    ({"device": "meta"}, "device must be 'cpu', 'cuda', 'mps' or 'auto', got 'meta'"),
])
def test_setup_rejects_bad_arguments(kw, match):
    kw = {"lang": "en", **kw}
    lang = kw.pop("lang")
    before = torch.get_num_threads()
    try:
        with pytest.raises(ValueError, match=match):
            aebook.setup(lang, quiet=True, **kw)
    finally:
        torch.set_num_threads(before)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_asking_for_cuda_without_it_is_a_clear_error():
    with pytest.raises(ValueError, match="cuda"):
        config.pick_device("cuda")


def test_auto_device_is_cpu_without_accelerators(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    if getattr(torch.backends, "mps", None) is not None:
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert config.pick_device("auto").type == "cpu"


def test_setup_prints_one_summary_line(capsys):
    before = torch.get_num_threads()
    try:
        aebook.setup("en")
    finally:
        torch.set_num_threads(before)  # setup() fixes 2 threads; give the suite its own back
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "mode=quick" in out[0]
