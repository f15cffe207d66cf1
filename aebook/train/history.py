"""The per-epoch record of one :func:`aebook.train.fit` call. (Drawing it is
:func:`aebook.figures.plot_history`'s job.)"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["History"]


@dataclass
class History:
    """Per-epoch losses of one :func:`fit` call.

    ``train[i]`` is the mean training loss of epoch ``i + 1``; ``val[j]`` the held-out loss after
    epoch ``val_epochs[j]`` (every epoch unless ``val_every > 1``). ``terms``/``val_terms`` hold
    the extra scalars a dict-returning loss logs (e.g. ``"recon"``, ``"kl"``), aligned with
    ``train`` and ``val`` respectively.
    """

    train: list[float] = field(default_factory=list)
    val: list[float] = field(default_factory=list)
    terms: dict[str, list[float]] = field(default_factory=dict)
    val_terms: dict[str, list[float]] = field(default_factory=dict)
    val_epochs: list[int] = field(default_factory=list)
    epochs_run: int = 0
    wall_time_s: float = 0.0
    stopped_early: bool = False
    diverged: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Plain lists, dicts, floats, ints, bools: safe for ``torch.load(weights_only=True)``."""
        return {
            "train": [float(v) for v in self.train],
            "val": [float(v) for v in self.val],
            "terms": {str(k): [float(v) for v in vs] for k, vs in self.terms.items()},
            "val_terms": {str(k): [float(v) for v in vs] for k, vs in self.val_terms.items()},
            "val_epochs": [int(e) for e in self.val_epochs],
            "epochs_run": int(self.epochs_run),
            "wall_time_s": float(self.wall_time_s),
            "stopped_early": bool(self.stopped_early),
            "diverged": bool(self.diverged),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> History:
        """Inverse of :meth:`as_dict` (missing keys take their defaults)."""
        val = [float(v) for v in d.get("val", [])]
        return cls(
            train=[float(v) for v in d.get("train", [])],
            val=val,
            terms={k: [float(v) for v in vs] for k, vs in d.get("terms", {}).items()},
            val_terms={k: [float(v) for v in vs] for k, vs in d.get("val_terms", {}).items()},
            val_epochs=[int(e) for e in d.get("val_epochs", range(1, len(val) + 1))],
            epochs_run=int(d.get("epochs_run", len(d.get("train", [])))),
            wall_time_s=float(d.get("wall_time_s", 0.0)),
            stopped_early=bool(d.get("stopped_early", False)),
            diverged=bool(d.get("diverged", False)),
        )

    def last(self, key: str = "train") -> float:
        """Latest value of ``"train"``, ``"val"``, a train term (``"kl"``) or a val term (``"val_kl"``)."""
        if key == "train":
            values = self.train
        elif key == "val":
            values = self.val
        elif key in self.terms:
            values = self.terms[key]
        elif key.startswith("val_") and key[4:] in self.val_terms:
            values = self.val_terms[key[4:]]
        else:
            known = ["train", "val", *self.terms, *("val_" + k for k in self.val_terms)]
            raise KeyError(f"History has no series {key!r}; known: {known}")
        if not values:
            raise IndexError(f"History series {key!r} is empty (no epoch recorded it yet)")
        return values[-1]

    def __len__(self) -> int:
        return len(self.train)
