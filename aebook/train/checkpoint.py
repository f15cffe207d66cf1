"""Checkpoints: written atomically, read back with ``torch.load(..., weights_only=True)``
(tensors and plain Python values only), and refused when damaged or from another model."""

from __future__ import annotations

import dataclasses
import enum
import os
import tempfile
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from .history import History

__all__ = ["CHECKPOINT_FORMAT", "load_checkpoint", "resume_run", "rng_state", "save_checkpoint", "to_primitives"]

CHECKPOINT_FORMAT = "aebook-checkpoint/1"


def _qualname(obj: Any) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def to_primitives(value: Any, where: str = "value", strict: bool = False) -> Any:
    """Convert to primitives (dict/list/str/int/float/bool/None). ``strict``: refuse, else str()."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, enum.Enum):
        return to_primitives(value.value, where, strict)
    if isinstance(value, np.generic):
        return value.item()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_primitives(v, f"{where}[{k!r}]", strict) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_primitives(v, f"{where}[{i}]", strict) for i, v in enumerate(value)]
    if isinstance(value, torch.Tensor) and not strict:
        return value.tolist()
    if strict and not isinstance(value, torch.Tensor):
        raise ValueError(f"{where} is a {type(value).__name__}; checkpoint meta may hold only "
                         "dicts, lists, str, int, float, bool, None and tensors")
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    return str(value)


def _model_config(model: nn.Module) -> dict[str, Any] | None:
    cfg = getattr(model, "config", None)
    if cfg is None or callable(cfg) and not dataclasses.is_dataclass(cfg):
        return None
    if (dataclasses.is_dataclass(cfg) and not isinstance(cfg, type)) or isinstance(cfg, Mapping):
        return to_primitives(cfg, "config")
    return None


def save_checkpoint(path: str | os.PathLike, model: nn.Module, *,
                    optimizer: torch.optim.Optimizer | None = None, epoch: int | None = None,
                    history: History | Mapping | None = None, meta: Mapping | None = None) -> str:
    """Write an ``aebook-checkpoint/1`` file atomically (temporary file, then ``os.replace``).

    Stored: format tag, model class (qualified name), model config (``model.config`` as a
    plain dict when it is a dataclass or dict), state dict (on the CPU), optimizer state,
    epoch, history (plain dict), ``meta`` (plain values and tensors only) and torch version.
    Everything loads with ``torch.load(weights_only=True)``. Returns the path.
    """
    path = os.fspath(path)
    if history is not None and isinstance(history, History):
        history = history.as_dict()
    elif history is not None:
        history = History.from_dict(history).as_dict()
    ckpt = {
        "format": CHECKPOINT_FORMAT,
        "model_class": _qualname(model),
        "model_config": _model_config(model),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "epoch": None if epoch is None else int(epoch),
        "history": history,
        "meta": to_primitives(dict(meta), "meta", strict=True) if meta is not None else None,
        "torch_version": str(torch.__version__),
    }
    if optimizer is not None:
        ckpt["optimizer"] = optimizer.state_dict()
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(ckpt, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def _shape_problems(saved: Mapping[str, torch.Tensor], current: Mapping[str, torch.Tensor],
                    limit: int = 5) -> list[str]:
    problems = []
    for k in saved:
        if k not in current:
            problems.append(f"{k}: in checkpoint {tuple(saved[k].shape)}, missing in model")
        elif tuple(saved[k].shape) != tuple(current[k].shape):
            problems.append(f"{k}: checkpoint {tuple(saved[k].shape)} vs model {tuple(current[k].shape)}")
    for k in current:
        if k not in saved:
            problems.append(f"{k}: in model {tuple(current[k].shape)}, missing in checkpoint")
    if len(problems) > limit:
        problems = problems[:limit] + [f"... and {len(problems) - limit} more"]
    return problems


def _check_archive(path: str) -> None:
    """A checkpoint written by ``torch.save`` is a zip archive whose members carry CRC-32 sums;
    ``torch.load`` does not verify them, so flipped bytes in a tensor would load silently.
    Verify every member here (a non-zip file is left to ``torch.load`` to refuse)."""
    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as zf:
            first_bad = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as e:
        raise ValueError(f"checkpoint {path!r} is damaged: its zip archive cannot be read ({e})") from e
    if first_bad is not None:
        raise ValueError(f"checkpoint {path!r} is damaged: member {first_bad!r} fails its CRC-32 "
                         "check (the file was changed or truncated after it was written)")


def load_checkpoint(path: str | os.PathLike, model: nn.Module, *,
                    optimizer: torch.optim.Optimizer | None = None,
                    map_location: str | torch.device = "cpu", strict: bool = True) -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` into ``model`` (and ``optimizer``).

    Uses ``torch.load(..., weights_only=True)``: no arbitrary code can run. With ``strict``
    (default) the model class and config must match the saved ones; the parameter names and
    shapes must match in any case. Returns ``{"epoch", "history" (History or None), "meta",
    "model_class", "model_config", "torch_version"}``.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: not an aebook checkpoint, a damaged file (a zip member fails its CRC-32
            check), non-finite weights, another model class or config, or mismatching
            parameter names/shapes (the first few are listed).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint file at {path!r}")
    _check_archive(path)
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # not a torch file, or it holds objects weights_only refuses
        text = str(e)
        if "WeightsUnpickler error:" in text:
            why = ("it holds pickled objects that weights_only=True refuses ("
                   + text.split("WeightsUnpickler error:", 1)[1].strip().split(". ")[0] + ")")
        else:
            first = text.splitlines()[0] if text else ""
            why = f"torch.load(weights_only=True) failed ({type(e).__name__}: {first})"
        raise ValueError(f"{path!r} is not an aebook checkpoint: {why}") from e
    if not isinstance(ckpt, dict) or "format" not in ckpt or "state_dict" not in ckpt:
        raise ValueError(f"{path!r} is not an aebook checkpoint (no {CHECKPOINT_FORMAT!r} format tag)")
    if ckpt["format"] != CHECKPOINT_FORMAT:
        raise ValueError(f"{path!r} has format {ckpt['format']!r}; this aebook reads {CHECKPOINT_FORMAT!r}")
    here = _qualname(model)
    if strict and ckpt.get("model_class") != here:
        raise ValueError(f"checkpoint {path!r} was saved from model {ckpt.get('model_class')}; "
                         f"cannot load into {here}")
    cfg_saved, cfg_here = ckpt.get("model_config"), _model_config(model)
    if strict and cfg_saved != cfg_here:
        if isinstance(cfg_saved, dict) and isinstance(cfg_here, dict):
            diff = [f"{k}: checkpoint {cfg_saved.get(k)!r} vs model {cfg_here.get(k)!r}"
                    for k in sorted(set(cfg_saved) | set(cfg_here)) if cfg_saved.get(k) != cfg_here.get(k)]
        else:
            diff = [f"checkpoint {cfg_saved!r} vs model {cfg_here!r}"]
        raise ValueError(f"checkpoint {path!r} was saved from a {here} with another config: "
                         + "; ".join(diff[:5]))
    sd = ckpt["state_dict"]
    bad = [k for k, v in sd.items() if isinstance(v, torch.Tensor)
           and (v.is_floating_point() or v.is_complex()) and not bool(torch.isfinite(v).all())]
    if bad:
        raise ValueError(f"checkpoint {path!r} holds non-finite (NaN/inf) weights in "
                         f"{', '.join(bad[:5])}{' ...' if len(bad) > 5 else ''}; refusing to load it")
    problems = _shape_problems(sd, model.state_dict())
    if problems:
        raise ValueError(f"checkpoint {path!r} does not fit the {here} model (names/shapes differ): "
                         + "; ".join(problems))
    model.load_state_dict(sd)
    if optimizer is not None:
        if "optimizer" not in ckpt:
            raise ValueError(f"checkpoint {path!r} holds no optimizer state")
        optimizer.load_state_dict(ckpt["optimizer"])
    hist = ckpt.get("history")
    return {
        "epoch": ckpt.get("epoch"),
        "history": History.from_dict(hist) if hist is not None else None,
        "meta": ckpt.get("meta"),
        "model_class": ckpt.get("model_class"),
        "model_config": cfg_saved,
        "torch_version": ckpt.get("torch_version"),
    }


# --------------------------------------------------------------------------------------------
# resuming a run
# --------------------------------------------------------------------------------------------

#: what must agree between a checkpoint and the run that resumes it (epochs may grow)
_SAME_RUN = ("batch_size", "lr", "weight_decay", "optimizer", "seed", "grad_clip", "n_train")


def rng_state(gen: torch.Generator, dev: torch.device) -> dict[str, Any]:
    """The random streams a resumed run needs: the shuffle's, torch's global one (noise drawn
    inside ``loss_fn``) and, on a GPU, CUDA's."""
    state = {"shuffle": gen.get_state(), "torch": torch.get_rng_state()}
    if dev.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(dev)
    return state


def resume_run(path: str, model: nn.Module, opt: torch.optim.Optimizer, gen: torch.Generator,
            fit_meta: dict, dev: torch.device) -> tuple[History, int]:
    """Load the checkpoint of an interrupted :func:`~aebook.train.fit` run into the model and
    optimizer, restore its random streams into ``gen`` and torch; return ``(history, the
    epoch to continue with)``."""
    info = load_checkpoint(path, model, optimizer=opt, map_location=dev)
    meta = info.get("meta") or {}
    saved = meta.get("fit") or {}
    differ = [f"{k}: checkpoint {saved.get(k)!r} vs now {fit_meta[k]!r}" for k in _SAME_RUN
              if saved.get(k) != fit_meta[k]]
    if differ or "rng" not in meta or info["epoch"] is None:
        why = "; ".join(differ) if differ else "it holds no epoch or random state (not written by fit)"
        raise ValueError(f"cannot resume from {path!r}: it comes from another run ({why})")
    # the states were loaded onto ``dev`` with the rest; a generator takes its state from the CPU
    gen.set_state(meta["rng"]["shuffle"].cpu())
    torch.set_rng_state(meta["rng"]["torch"].cpu())
    if dev.type == "cuda" and "cuda" in meta["rng"]:
        torch.cuda.set_rng_state(meta["rng"]["cuda"].cpu(), dev)
    history = info["history"] or History()
    return history, int(info["epoch"]) + 1
