"""The container every loader returns, and the conversion of raw pixels to tensors."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import torch

Tensor = torch.Tensor


@dataclass(frozen=True, eq=False)  # eq=False: comparing tensors with == has no single bool
class Split:
    """A fixed train/test split.

    Attributes:
        x_train: (N_train, D) or (N_train, 1, H, W) float32
        y_train: (N_train,) int64, or None for unlabelled synthetic data
        x_test: (N_test, ...) like ``x_train``
        y_test: (N_test,) int64, or None
        name: short name of the data set, e.g. ``"mnist5k"``
        image_shape: ``(H, W)`` for images, None otherwise
        extra: more per-split tensors, e.g. ``"t_train"`` (intrinsic coordinates of synthetic
            points) and ``"clean_train"`` (the points before noise was added)

    Examples:
        >>> data = load_mnist5k()
        >>> data.x_train.shape, data.n_test, data.dim
        (torch.Size([4000, 784]), 1000, 784)
    """

    x_train: Tensor
    y_train: Tensor | None
    x_test: Tensor
    y_test: Tensor | None
    name: str
    image_shape: tuple[int, int] | None = None
    extra: dict[str, Tensor] = field(default_factory=dict)

    @property
    def n_train(self) -> int:
        return self.x_train.shape[0]

    @property
    def n_test(self) -> int:
        return self.x_test.shape[0]

    @property
    def dim(self) -> int:
        """Number of values per example (784 for MNIST whether flattened or not)."""
        return math.prod(self.x_train.shape[1:])

    def get(self, split: str) -> tuple[Tensor, Tensor | None]:
        """Return ``(x, y)`` of ``split``, ``"train"`` or ``"test"``."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        return (self.x_train, self.y_train) if split == "train" else (self.x_test, self.y_test)

    def to(self, device: str | torch.device) -> Split:
        """A copy with every tensor (``extra`` included) on ``device``."""
        move = lambda t: None if t is None else t.to(device)
        return dataclasses.replace(
            self, x_train=move(self.x_train), y_train=move(self.y_train),
            x_test=move(self.x_test), y_test=move(self.y_test),
            extra={k: move(v) for k, v in self.extra.items()})

    def __repr__(self) -> str:  # the default repr would print every tensor
        def shape(t):
            return None if t is None else tuple(t.shape)
        return (f"Split(name={self.name!r}, x_train={shape(self.x_train)}, "
                f"y_train={shape(self.y_train)}, x_test={shape(self.x_test)}, "
                f"y_test={shape(self.y_test)}, image_shape={self.image_shape}, "
                f"extra={sorted(self.extra)})")


def pixels_to_tensor(x: np.ndarray, scale: float, hw: tuple[int, int], flatten: bool) -> Tensor:
    """Raw pixel array ``(N, ...)`` -> float32 tensor in [0, 1], ``(N, H*W)`` or ``(N, 1, H, W)``."""
    t = torch.tensor(np.asarray(x, dtype=np.float64) / scale, dtype=torch.float32)
    return t.reshape(len(t), -1) if flatten else t.reshape(len(t), 1, *hw)
