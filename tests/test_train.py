"""Tests of aebook.train: fit, History, checkpoints, the NaN guard. Tiny models, CPU, fast."""

from __future__ import annotations

import math
import pickle
from dataclasses import dataclass

import pytest
import torch
from torch import nn

from aebook.config import seed_everything
from aebook.train import (
    CHECKPOINT_FORMAT,
    History,
    TrainingDiverged,
    evaluate,
    fit,
    load_checkpoint,
    save_checkpoint,
)


@pytest.fixture(autouse=True)
def _quiet(monkeypatch):
    monkeypatch.setenv("AEBOOK_PROGRESS", "0")  # conftest restores the thread count afterwards
    torch.set_num_threads(2)


@dataclass
class AEConfig:
    dim: int = 8
    hidden: int = 3


class TinyAE(nn.Module):
    def __init__(self, dim: int = 8, hidden: int = 3):
        super().__init__()
        self.config = AEConfig(dim, hidden)
        self.enc = nn.Linear(dim, hidden)
        self.dec = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.dec(torch.tanh(self.enc(x)))


class OtherAE(TinyAE):
    pass


class Regressor(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 1)

    def forward(self, x):
        return self.lin(x)


def mse(model, batch):
    (x,) = batch
    return ((model(x) - x) ** 2).mean()


def reg_loss(model, batch):
    x, y = batch
    return ((model(x).squeeze(1) - y) ** 2).mean()


def data(n=64, dim=8, seed=1):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, 2, generator=g)
    return z @ torch.randn(2, dim, generator=g) + 0.05 * torch.randn(n, dim, generator=g)


def model(seed=0, cls=TinyAE, **kw):
    seed_everything(seed)
    return cls(**kw)


def params(m):
    return {k: v.detach().clone() for k, v in m.state_dict().items()}


def same_params(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ---------------------------------------------------------------------------------- fit basics

def test_loss_decreases():
    hist = fit(model(), mse, data(), epochs=15, batch_size=16, lr=1e-2, device="cpu")
    assert hist.train[-1] < 0.5 * hist.train[0]


def test_history_lengths_equal_epochs():
    hist = fit(model(), mse, data(), val=data(seed=2), epochs=4, device="cpu")
    assert len(hist.train) == len(hist.val) == hist.epochs_run == 4
    assert hist.val_epochs == [1, 2, 3, 4]
    assert not hist.stopped_early and hist.wall_time_s > 0


def test_dict_loss_logs_extra_terms_weighted_by_batch_size():
    x = data(n=50)

    def loss_fn(m, batch):
        (xb,) = batch
        recon = ((m(xb) - xb) ** 2).mean()
        return {"loss": recon + 0.0, "recon": recon, "n": float(xb.shape[0])}

    hist = fit(model(), loss_fn, x, val=x, epochs=2, batch_size=16, device="cpu")
    assert set(hist.terms) == {"recon", "n"} and set(hist.val_terms) == {"recon", "n"}
    assert len(hist.terms["recon"]) == 2
    assert hist.terms["recon"] == pytest.approx(hist.train)
    # batches of 16, 16, 16, 2: the weighted mean of the batch sizes is (3*16*16 + 2*2) / 50
    assert hist.terms["n"][0] == pytest.approx((3 * 16 * 16 + 2 * 2) / 50)


def test_val_computed_in_eval_mode_and_model_back_in_train_mode():
    modes = []

    class Spy(TinyAE):
        def forward(self, x):
            modes.append(self.training)
            return super().forward(x)

    m = model(cls=Spy)
    x = data(n=32)
    hist = fit(m, mse, x, val=x, epochs=1, batch_size=32, device="cpu")
    assert modes == [True, False]  # one train batch, one val batch
    assert m.training
    assert hist.val[0] == pytest.approx(evaluate(m, mse, x)["loss"])


def test_same_seed_gives_identical_history():
    a = fit(model(0), mse, data(), epochs=3, batch_size=8, seed=5, device="cpu")
    b = fit(model(0), mse, data(), epochs=3, batch_size=8, seed=5, device="cpu")
    assert a.train == b.train  # bitwise


def test_different_seed_gives_different_history():
    a = fit(model(0), mse, data(), epochs=3, batch_size=8, seed=5, device="cpu")
    b = fit(model(0), mse, data(), epochs=3, batch_size=8, seed=6, device="cpu")
    assert a.train != b.train


def test_single_tensor_and_tuple_data_reach_loss_fn_as_tuples():
    seen = []

    def spy(loss_fn):
        def wrapped(m, batch):
            seen.append((type(batch), len(batch)))
            return loss_fn(m, batch)
        return wrapped

    fit(model(), spy(mse), data(n=16), epochs=1, batch_size=16, device="cpu")
    x = torch.randn(16, 4)
    fit(Regressor(), spy(reg_loss), (x, x.sum(1)), epochs=1, batch_size=16, device="cpu")
    assert seen == [(tuple, 1), (tuple, 2)]


def test_numpy_data_is_accepted_as_float32():
    x = data(n=16).double().numpy()
    hist = fit(model(), mse, x, epochs=1, device="cpu")
    assert math.isfinite(hist.train[0])


@pytest.mark.parametrize("kwargs, name", [
    ({"epochs": 0}, "epochs"),
    ({"batch_size": 0}, "batch_size"),
    ({"lr": -1}, "lr"),
    ({"lr": float("nan")}, "lr"),
    ({"train": (torch.zeros(4, 2), torch.zeros(3))}, "train"),
    ({"train": torch.tensor([[0.0, float("nan")]] * 4)}, "train contains NaN"),
    ({"val": torch.tensor([[float("inf")] * 8])}, "val contains inf"),
])
def test_bad_arguments_raise_value_error_naming_them(kwargs, name):
    args = {"train": data(n=8), **kwargs}
    train = args.pop("train")
    with pytest.raises(ValueError, match=name):
        fit(model(), mse, train, device="cpu", **args)


def test_drop_last_and_grad_clip_run():
    hist = fit(model(), mse, data(n=20), epochs=2, batch_size=8, drop_last=True, grad_clip=1e-3,
               device="cpu")
    assert len(hist.train) == 2


def test_grad_clip_bounds_the_update():
    # SGD without momentum: each step moves the parameters by lr * clipped_grad, norm <= lr * clip
    m = model()
    before = torch.cat([p.detach().flatten().clone() for p in m.parameters()])
    opt = torch.optim.SGD(m.parameters(), lr=1.0)
    fit(m, lambda mm, b: 1e6 * mse(mm, b), data(n=8), epochs=1, batch_size=8, optimizer=opt,
        grad_clip=0.01, device="cpu")
    after = torch.cat([p.detach().flatten() for p in m.parameters()])
    assert (after - before).norm() <= 0.01 * (1 + 1e-5)


def test_optimizer_factory_and_name():
    fit(model(), mse, data(n=8), epochs=1, optimizer=lambda ps: torch.optim.SGD(ps, lr=0.1), device="cpu")
    fit(model(), mse, data(n=8), epochs=1, optimizer="adamw", weight_decay=0.01, device="cpu")
    with pytest.raises(ValueError, match="optimizer"):
        fit(model(), mse, data(n=8), epochs=1, optimizer="lbfgs-ish", device="cpu")


# -------------------------------------------------------------------------------- callbacks

def test_callbacks_called_each_epoch():
    calls = []
    fit(model(), mse, data(), epochs=3, device="cpu",
        callbacks=[lambda e, h, m: calls.append((e, len(h.train), isinstance(m, TinyAE)))])
    assert calls == [(1, 1, True), (2, 2, True), (3, 3, True)]


def test_callback_returning_true_stops_early():
    hist = fit(model(), mse, data(), epochs=10, device="cpu", callbacks=[lambda e, h, m: e == 2])
    assert hist.epochs_run == 2 and len(hist.train) == 2 and hist.stopped_early


# ------------------------------------------------------------------------------- NaN guard

def nan_at(step: int, term: str | None = None):
    """A loss that becomes NaN at global batch number ``step`` (0-based)."""
    count = {"n": 0}

    def loss_fn(m, batch):
        loss = mse(m, batch)
        k = count["n"]
        count["n"] += 1
        bad = loss * float("nan") if k >= step else loss
        if term is None:
            return bad
        return {"loss": loss, term: bad}
    return loss_fn


def snapshot_cb(store):
    def cb(epoch, hist, m):
        store[epoch] = params(m)
    return cb


@pytest.mark.parametrize("nan_check", ["batch", "epoch"])
def test_nan_loss_raises_and_restores_last_good_state(tmp_path, nan_check):
    ckpt = tmp_path / "run.pt"
    store = {}
    m = model()
    # 64 examples / batch 16 = 4 batches per epoch; step 9 is epoch 3, batch 1
    with pytest.raises(TrainingDiverged, match="epoch 3, batch 1") as info:
        fit(m, nan_at(9), data(), epochs=5, batch_size=16, checkpoint=ckpt, device="cpu",
            callbacks=[snapshot_cb(store)], nan_check=nan_check)
    err = info.value
    assert isinstance(err, FloatingPointError)
    assert err.epoch == 3 and err.batch == 1 and err.term == "loss"
    assert len(err.history.train) == 2 and err.history.diverged
    assert math.isfinite(err.last_loss) and "lower learning rate" in str(err)
    assert str(ckpt) in str(err)
    assert same_params(params(m), store[2])
    # the checkpoint of epoch 2 is kept and loads
    fresh = model(seed=99)
    info2 = load_checkpoint(ckpt, fresh)
    assert info2["epoch"] == 2 and same_params(params(fresh), store[2])


def test_nan_in_logged_term_is_named():
    m = model()
    start = params(m)
    with pytest.raises(TrainingDiverged, match="'kl'") as info:
        fit(m, nan_at(0, term="kl"), data(), epochs=2, batch_size=16, device="cpu")
    assert info.value.epoch == 1 and info.value.term == "kl"
    assert same_params(params(m), start)  # epoch 1: back to the initial state


def test_nan_gradient_with_finite_loss_is_caught():
    count = {"n": 0}

    def loss_fn(m, batch):
        count["n"] += 1
        loss = mse(m, batch)
        if count["n"] == 4:  # the last batch of epoch 1: d sqrt(u)/du at u = 0 is inf, * 0 = NaN
            loss = loss + torch.sqrt(0.0 * m.enc.weight.sum())
        return loss

    with pytest.raises(TrainingDiverged, match="parameters") as info:
        fit(model(), loss_fn, data(), epochs=2, batch_size=16, device="cpu")
    assert info.value.epoch == 1 and info.value.batch is None


# ------------------------------------------------------------------------------ checkpoints

def test_checkpoint_round_trip(tmp_path):
    m = model()
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    hist = fit(m, mse, data(), epochs=3, optimizer=opt, checkpoint=tmp_path / "c.pt", device="cpu")
    m2 = model(seed=7)
    opt2 = torch.optim.Adam(m2.parameters(), lr=1e-2)
    info = load_checkpoint(tmp_path / "c.pt", m2, optimizer=opt2)
    assert same_params(params(m), params(m2))
    assert info["epoch"] == 3 and info["history"] == hist
    assert info["meta"]["fit"]["batch_size"] == 128
    s1, s2 = opt.state_dict()["state"], opt2.state_dict()["state"]
    assert s1.keys() == s2.keys()
    assert all(torch.equal(s1[i][k], s2[i][k]) for i in s1 for k in s1[i])


def test_checkpoint_format_fields(tmp_path):
    path = save_checkpoint(tmp_path / "sub" / "c.pt", model(), epoch=1, meta={"note": "x"})
    raw = torch.load(path, weights_only=True)
    assert raw["format"] == CHECKPOINT_FORMAT
    assert raw["model_class"].endswith("TinyAE")
    assert raw["model_config"] == {"dim": 8, "hidden": 3}
    assert type(raw["torch_version"]) is str
    assert not list((tmp_path / "sub").glob("*.tmp"))  # no temporary file left behind


def test_load_uses_weights_only(tmp_path, monkeypatch):
    path = save_checkpoint(tmp_path / "c.pt", model())
    seen = []
    real = torch.load

    def spy(*args, **kwargs):
        seen.append(kwargs.get("weights_only"))
        return real(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    load_checkpoint(path, model())
    assert seen == [True]


class Evil:
    def __reduce__(self):
        return (print, ("pickled code ran",))


def test_disallowed_pickled_object_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": CHECKPOINT_FORMAT, "state_dict": {}, "x": Evil()}, path)
    with pytest.raises(ValueError, match="not an aebook checkpoint"):
        load_checkpoint(path, model())


def test_meta_must_be_plain(tmp_path):
    with pytest.raises(ValueError, match="meta"):
        save_checkpoint(tmp_path / "c.pt", model(), meta={"obj": object()})


def test_load_into_other_class_names_both(tmp_path):
    path = save_checkpoint(tmp_path / "c.pt", model())
    with pytest.raises(ValueError, match=r"saved from model .*TinyAE; cannot load into .*OtherAE"):
        load_checkpoint(path, model(cls=OtherAE))


def test_load_other_config_raises(tmp_path):
    path = save_checkpoint(tmp_path / "c.pt", model())
    with pytest.raises(ValueError, match="hidden: checkpoint 3 vs model 4"):
        load_checkpoint(path, model(hidden=4))


def test_load_mismatched_shapes_raises(tmp_path):
    path = save_checkpoint(tmp_path / "c.pt", model())
    with pytest.raises(ValueError, match=r"enc.weight: checkpoint \(3, 8\) vs model \(4, 8\)"):
        load_checkpoint(path, model(hidden=4), strict=False)


def test_load_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "nope.pt", model())


def test_load_non_aebook_file_raises(tmp_path):
    plain = tmp_path / "weights.pt"
    torch.save(model().state_dict(), plain)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    for path in (plain, text):
        with pytest.raises(ValueError, match="is not an aebook checkpoint"):
            load_checkpoint(path, model())


def _flip_tensor_bytes(path, value: float):
    """Overwrite the first float32 of the first tensor stored in a torch zip checkpoint, in
    place, without updating the archive's CRC (what a bad disk or a careless edit does)."""
    import struct
    import zipfile

    with zipfile.ZipFile(path) as zf:
        info = next(i for i in zf.infolist() if "/data/" in i.filename and i.file_size >= 4)
        assert info.compress_type == zipfile.ZIP_STORED  # torch stores tensors uncompressed
    raw = bytearray(path.read_bytes())
    name_len, extra_len = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    raw[start:start + 4] = struct.pack("<f", value)
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize("value", [float("nan"), 123.0])
def test_load_refuses_a_checkpoint_whose_bytes_changed(tmp_path, value):
    path = tmp_path / "c.pt"
    save_checkpoint(path, model())
    _flip_tensor_bytes(path, value)
    with pytest.raises(ValueError, match=r"damaged.*CRC-32") as err:
        load_checkpoint(path, model())
    assert str(path) in str(err.value)


def test_load_refuses_non_finite_weights_naming_the_file(tmp_path):
    m = model()
    with torch.no_grad():
        m.enc.weight[0, 0] = float("nan")
    path = save_checkpoint(tmp_path / "nan.pt", m)  # a consistent archive: CRCs are fine
    with pytest.raises(ValueError, match=r"nan\.pt.*non-finite.*enc\.weight"):
        load_checkpoint(path, model())


def test_fit_refuses_an_optimizer_built_on_another_model():
    other = model(seed=1)
    opt = torch.optim.Adam(other.parameters(), lr=1e-2)
    m = model()
    before = params(m)
    with pytest.raises(ValueError, match="optimizer does not hold model's parameters"):
        fit(m, mse, data(), epochs=1, optimizer=opt, device="cpu")
    assert same_params(before, params(m))


def test_fit_accepts_an_optimizer_on_part_of_the_model():
    m = model()
    opt = torch.optim.SGD(m.dec.parameters(), lr=0.1)  # fine-tune the decoder only
    enc_before = m.enc.weight.detach().clone()
    fit(m, mse, data(), epochs=2, optimizer=opt, device="cpu")
    assert torch.equal(m.enc.weight, enc_before)


@pytest.mark.parametrize("callbacks, match", [
    ([42], r"callbacks\[0\] must be a callable"),
    ([lambda e, h, m: None, "stop"], r"callbacks\[1\] must be a callable"),
    (lambda e, h, m: None, "wrap a single callback in a list"),
])
def test_fit_checks_callbacks_before_training(callbacks, match):
    m = model()
    before = params(m)
    with pytest.raises(TypeError, match=match):
        fit(m, mse, data(), epochs=1, device="cpu", callbacks=callbacks)
    assert same_params(before, params(m))  # refused up front, not after an epoch


# -------------------------------------------------------------------------------- resume

def _noisy_loss(m, batch):
    """A loss that draws noise from torch's global stream, as denoising losses do."""
    (x,) = batch
    return ((m(x + 0.1 * torch.randn_like(x)) - x) ** 2).mean()


def test_a_resumed_run_is_the_uninterrupted_run_bit_for_bit(tmp_path):
    whole = model()
    h_whole = fit(whole, _noisy_loss, data(), epochs=4, batch_size=16, device="cpu")
    part = model()
    ckpt = tmp_path / "run.pt"
    fit(part, _noisy_loss, data(), epochs=2, batch_size=16, device="cpu", checkpoint=ckpt)
    again = model(seed=5)  # another process: fresh weights, the checkpoint holds the state
    h = fit(again, _noisy_loss, data(), epochs=4, batch_size=16, device="cpu", checkpoint=ckpt, resume=True)
    assert same_params(params(again), params(whole))
    assert h.train == h_whole.train and h.epochs_run == 4
    assert load_checkpoint(ckpt, model())["epoch"] == 4


def test_resuming_a_finished_run_trains_nothing_and_without_a_file_starts_afresh(tmp_path):
    ckpt = tmp_path / "run.pt"
    m = model()
    fit(m, mse, data(), epochs=2, device="cpu", checkpoint=ckpt, resume=True)  # no file yet
    before = params(m)
    h = fit(m, mse, data(), epochs=2, device="cpu", checkpoint=ckpt, resume=True)
    assert h.epochs_run == 2 and same_params(before, params(m))


def test_resume_replays_the_last_callback_so_schedules_continue(tmp_path):
    seen = []
    ckpt = tmp_path / "run.pt"
    fit(model(), mse, data(), epochs=2, device="cpu", checkpoint=ckpt)
    fit(model(), mse, data(), epochs=3, device="cpu", checkpoint=ckpt, resume=True,
        callbacks=[lambda e, h, m: seen.append(e)])
    assert seen == [2, 3]


@pytest.mark.parametrize("change, match", [
    (dict(batch_size=8), "batch_size: checkpoint 16 vs now 8"),
    (dict(lr=0.1), "lr: checkpoint 0.001 vs now 0.1"),
    (dict(seed=1), "seed: checkpoint 0 vs now 1"),
])
def test_resume_refuses_a_checkpoint_of_another_run(tmp_path, change, match):
    ckpt = tmp_path / "run.pt"
    fit(model(), mse, data(), epochs=1, batch_size=16, device="cpu", checkpoint=ckpt)
    kw = dict(epochs=2, batch_size=16, device="cpu", checkpoint=ckpt, resume=True) | change
    with pytest.raises(ValueError, match=f"cannot resume .*another run .*{match}"):
        fit(model(), mse, data(), **kw)
    with pytest.raises(ValueError, match="resume=True needs checkpoint="):
        fit(model(), mse, data(), epochs=1, resume=True)


# ---------------------------------------------------------------------------------- History

def test_history_dict_round_trip_is_plain():
    h = History(train=[1.0, 0.5], val=[1.2], terms={"kl": [0.1, 0.2]}, val_terms={"kl": [0.3]},
                val_epochs=[2], epochs_run=2, wall_time_s=0.3, stopped_early=True)
    d = h.as_dict()
    assert History.from_dict(d) == h
    pickle.loads(pickle.dumps(d))
    assert h.last() == 0.5 and h.last("val") == 1.2 and h.last("kl") == 0.2 and h.last("val_kl") == 0.3
    with pytest.raises(KeyError):
        h.last("nope")


def test_evaluate_matches_full_batch_mean():
    m = model()
    x = data(n=50)
    with torch.no_grad():
        full = ((m(x) - x) ** 2).mean().item()
    assert evaluate(m, mse, x, batch_size=16)["loss"] == pytest.approx(full, rel=1e-6)


def test_a_logged_term_on_another_device_than_the_loss_is_moved_to_it():
    """A loss may log a plain CPU tensor (a weight, a constant) beside a loss on the GPU:
    ``fit`` stacks the terms on the loss's device (shown on ``meta``)."""
    from aebook.train.run import _batch_values

    loss = torch.zeros((), device="meta")
    _, vals, keys = _batch_values({"loss": loss, "beta": torch.tensor(2.0), "n": 3}, None)
    assert keys == ["beta", "n"] and vals.device.type == "meta" and vals.shape == (3,)
