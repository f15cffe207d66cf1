"""How the experiments judge a trained model: sparsity of a code, active latent units,
classification accuracy and the linear probe.

==================================  =============================================================
:func:`code_sparsity`               zero fraction, active units per input and dead units of a
                                    code ``z`` (section 19.1.3)
:func:`active_units`                latent units whose posterior mean varies with x (Burda et
                                    al. 2016): Cov_x(E_q[u | x]) > 0.01
:func:`informative_units`           units whose KL term exceeds a threshold in nats (stricter)
:func:`accuracy`                    share of correct argmax predictions of a classifier
:func:`cross_entropy_loss`          the classification loss for :func:`aebook.train.fit`
:func:`linear_probe_accuracy`       held-out accuracy of a logistic regression on features
                                    (He et al. 2022's linear probe)
==================================  =============================================================
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._checks import nonneg, on_model

Tensor = torch.Tensor

__all__ = ["accuracy", "active_units", "code_sparsity", "cross_entropy_loss", "informative_units",
           "linear_probe_accuracy"]


@torch.no_grad()
def code_sparsity(z: Tensor, tol: float = 1e-3) -> dict[str, float]:
    """How sparse a batch of codes ``z: (N, K)`` is.

    Returns a dict with ``zero_fraction`` (fraction of all activations with ``|z| <= tol``),
    ``active_per_input`` (mean number of units with ``|z| > tol`` per input) and
    ``dead_fraction`` (fraction of units that are ``<= tol`` on *every* input: units that do
    not take part at all). ``tol`` is absolute; with ReLU units the zeros are exact.
    """
    if not isinstance(z, Tensor) or z.ndim != 2 or z.shape[0] == 0:
        raise ValueError(f"z must be a tensor of shape (N, K) with N >= 1, got "
                         f"{tuple(z.shape) if isinstance(z, Tensor) else type(z).__name__}")
    tol = nonneg(tol, "tol")
    active = z.abs() > tol
    return {"zero_fraction": 1.0 - float(active.float().mean()),
            "active_per_input": float(active.float().sum(1).mean()),
            "dead_fraction": float((~active.any(0)).float().mean())}


@torch.no_grad()
def active_units(model: nn.Module, x: Tensor, threshold: float = 0.01, *, y: Tensor | None = None) -> int:
    """Latent dimensions u of a VAE with Cov_x(E_q[u | x]) > ``threshold`` (Burda et al. 2016),
    over the data ``x`` (and labels ``y``, for a conditional VAE)."""
    mu, _ = model.encode(*on_model(model, x, y))
    return int((mu.var(0) > threshold).sum())


def informative_units(kl_per_dim: Sequence[float], threshold: float = 0.1) -> int:
    """Units whose held-out KL term exceeds ``threshold`` nats: a stricter count than
    :func:`active_units`, whose variance threshold also counts units that carry a few
    hundredths of a nat. ``kl_per_dim``: the mean KL of each unit (e.g. ``BetaRun.kl_per_dim``)."""
    return sum(v > threshold for v in kl_per_dim)


@torch.no_grad()
def accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    """Share of ``x`` whose argmax prediction equals the label ``y`` (the model is put in eval
    mode)."""
    model.eval()
    x, y = on_model(model, x, y)
    return float((model(x).argmax(1) == y).float().mean())


def cross_entropy_loss(model: nn.Module, batch: tuple) -> Tensor:
    """Mean cross-entropy of ``model(x)`` against the labels: a ``fit`` loss on ``(x, y)``."""
    x, y = batch
    return nn.functional.cross_entropy(model(x), y)


def linear_probe_accuracy(f_train: Tensor, y_train: Tensor, f_test: Tensor, y_test: Tensor) -> float:
    """Held-out accuracy of a logistic regression (scikit-learn, C = 1) on standardised features:
    the linear probe of He et al. (2022)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    sc = StandardScaler().fit(f_train.numpy())
    clf = LogisticRegression(max_iter=3000, C=1.0)
    clf.fit(sc.transform(f_train.numpy()), y_train.numpy())
    return float(clf.score(sc.transform(f_test.numpy()), y_test.numpy()))
