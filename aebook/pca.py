"""Principal component analysis by SVD, and principal angles between subspaces (section 19.1.1).

PCA is the simplest autoencoder: the encoder is ``z = U^T (x - mean)``, the decoder is
``y = U z + mean``, with ``U`` the ``M`` leading principal directions. A *linear* autoencoder
trained by gradient descent on the squared error (19.1) finds the same M-dimensional subspace
(Baldi & Hornik 1989) but not the same basis. The book's point is that the SVD computes PCA
exactly, in finite time, with orthonormal components ordered by variance. This module is that
exact reference, and :func:`principal_angles` is the yardstick for "same subspace".

Overview:

==========================  ==================================================================
:class:`PCA`                sklearn-style estimator: ``fit``, ``transform``, ``inverse_transform``,
                            ``reconstruct``, ``reconstruction_error``
:func:`principal_angles`    angles between the column spaces of two matrices ``(D, k)``, ``(D, l)``
:func:`subspace_distance`   the largest principal angle between two subspaces of equal dimension
==========================  ==================================================================

Conventions:

* Inputs may be torch tensors, NumPy arrays or nested lists; all arithmetic is float64 on the
  CPU (PCA is a small exact computation; float32 would put ~1e-7 relative noise into the
  comparisons the book makes).
* Outputs are torch tensors, on the input's device, in the input's floating dtype (float64 for
  integer, list or float64 input). Learned attributes (``mean_``, ``components_`` ...) are float64
  CPU tensors, as in scikit-learn they end in ``_``.
* Components are rows (``components_: (M, D)``, like scikit-learn). :func:`principal_angles` takes
  *columns* (``(D, k)``, like a decoder weight), so pass ``pca.components_.T``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ._checks import REDUCTIONS, check_finite, choice, integer, reduce

Tensor = torch.Tensor

__all__ = ["PCA", "principal_angles", "subspace_distance"]



def _as_float64(x: Any, name: str) -> tuple[Tensor, torch.dtype, torch.device]:
    """``x`` as a float64 CPU tensor, plus the dtype and device to give results back in."""
    if isinstance(x, Tensor):
        t = x.detach()
    else:
        try:
            t = torch.as_tensor(np.asarray(x))
        except (TypeError, ValueError) as e:
            raise TypeError(f"{name} must be a tensor or array of numbers, "
                            f"got {type(x).__name__}") from e
    if t.is_complex() or t.dtype == torch.bool or not (t.is_floating_point() or t.dtype in (
            torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)):
        raise TypeError(f"{name} must hold real numbers, got dtype {t.dtype}")
    out_dtype = t.dtype if t.is_floating_point() else torch.float64
    device = t.device
    t = t.to(device="cpu", dtype=torch.float64)
    check_finite(t, name)
    return t, out_dtype, device


def _check_2d(t: Tensor, name: str, what: str = "(N, D)") -> None:
    if t.ndim != 2:
        raise ValueError(f"{name} must be 2-D with shape {what}, got shape {tuple(t.shape)}")


class PCA:
    """Principal component analysis computed by the SVD of the centred data.

    With ``X: (N, D)`` and ``Xc = X - mean``, the thin SVD ``Xc = U S V^T`` gives the principal
    directions as the rows of ``V^T`` and the variances along them as ``S**2 / (N - 1)``
    (unbiased, as ``sklearn.decomposition.PCA``). No covariance matrix is formed: the SVD of
    ``Xc`` is better conditioned than the eigendecomposition of ``Xc^T Xc`` (it squares nothing).

    Args:
        n_components: ``M``, an int with ``1 <= M <= min(N, D)`` (checked against the data
            in :meth:`fit`).

    Attributes (after :meth:`fit`; float64 CPU tensors):
        mean_: ``(D,)`` the data mean.
        components_: ``(M, D)`` orthonormal rows, ordered by decreasing variance. Each row's
            sign is fixed so that its entry of largest absolute value is positive (the first
            such entry on ties), so repeated fits give identical results.
        explained_variance_: ``(M,)`` variance along each component, ``s_j**2 / (N - 1)``.
        explained_variance_ratio_: ``(M,)`` ``explained_variance_ / total_variance_``.
        singular_values_: ``(M,)`` the leading singular values ``s_j`` of ``Xc``.
        total_variance_: float, the sum of all ``min(N, D)`` variances = trace of the unbiased
            covariance. ``total_variance_ - explained_variance_.sum()`` is the discarded variance.
        n_samples_, n_features_in_: ``N`` and ``D`` of the training data.

    The reconstruction error on the *training* data is exactly the discarded variance:
    ``reconstruction_error(X, "mean") = (N - 1)/N * sum_{j > M} lambda_j`` (``lambda_j`` the
    unbiased eigenvalues), ``reconstruction_error(X, "sum") = (N - 1) * sum_{j > M} lambda_j``.

    Examples:
        >>> pca = PCA(2).fit(x)              # x: (N, D)
        >>> z = pca.transform(x)             # (N, 2)
        >>> y = pca.inverse_transform(z)     # (N, D), the projection onto the principal plane
    """

    def __init__(self, n_components: int):
        self.n_components = integer(n_components, "n_components")

    def __repr__(self) -> str:
        return f"PCA(n_components={self.n_components})"

    # ---- fitting ----------------------------------------------------------------------------

    def fit(self, x: Any) -> PCA:
        """Compute the components of ``x: (N, D)``; return ``self``."""
        x, _, _ = _as_float64(x, "x")
        _check_2d(x, "x")
        n, d = x.shape
        if self.n_components > min(n, d):
            raise ValueError(f"n_components must be <= min(N, D) = min({n}, {d}) = {min(n, d)}, "
                             f"got {self.n_components}")
        if n < 2:
            raise ValueError(f"x needs at least 2 rows to estimate a variance, got N={n}")
        mean = x.mean(dim=0)
        xc = x - mean
        # full_matrices=False: the thin SVD, (N, K) (K,) (K, D) with K = min(N, D).
        _, s, vt = torch.linalg.svd(xc, full_matrices=False)
        # Deterministic signs: an SVD may return v or -v; make the largest-|.| entry positive.
        idx = vt.abs().argmax(dim=1)
        signs = torch.sign(vt.gather(1, idx[:, None]))
        signs[signs == 0] = 1.0  # a zero row cannot happen for an SVD, but never multiply by 0
        vt = vt * signs
        var = s**2 / (n - 1)
        m = self.n_components
        self.mean_ = mean
        self.components_ = vt[:m].contiguous()
        self.singular_values_ = s[:m].clone()
        self.explained_variance_ = var[:m].clone()
        self.total_variance_ = float(var.sum())
        # All-constant data has zero total variance: report a ratio of 0, not 0/0.
        tot = self.total_variance_
        self.explained_variance_ratio_ = var[:m] / tot if tot > 0 else torch.zeros_like(var[:m])
        self.n_samples_, self.n_features_in_ = n, d
        return self

    def fit_transform(self, x: Any) -> Tensor:
        """``fit(x)`` then ``transform(x)``: ``(N, M)``."""
        return self.fit(x).transform(x)

    # ---- the encoder and the decoder ------------------------------------------------------------

    def _check_fitted(self, method: str) -> None:
        if not hasattr(self, "components_"):
            raise RuntimeError(f"this PCA is not fitted yet: call fit first, then {method}")

    def _input(self, x: Any, name: str, width: int, what: str):
        t, dtype, device = _as_float64(x, name)
        _check_2d(t, name, what)
        if t.shape[1] != width:
            raise ValueError(f"{name} must have shape {what[:-1]}={width}), got {tuple(t.shape)}: "
                             f"expected {width} columns, got {t.shape[1]}")
        return t, dtype, device

    def transform(self, x: Any) -> Tensor:
        """Project ``x: (N, D)`` onto the components: ``z = (x - mean_) @ components_.T``, ``(N, M)``."""
        self._check_fitted("transform")
        t, dtype, device = self._input(x, "x", self.n_features_in_, "(N, D)")
        return ((t - self.mean_) @ self.components_.T).to(device=device, dtype=dtype)

    def inverse_transform(self, z: Any) -> Tensor:
        """Map codes back to data space: ``y = z @ components_ + mean_``, ``(N, D)``."""
        self._check_fitted("inverse_transform")
        t, dtype, device = self._input(z, "z", self.n_components, "(N, M)")
        return (t @ self.components_ + self.mean_).to(device=device, dtype=dtype)

    def reconstruct(self, x: Any) -> Tensor:
        """``inverse_transform(transform(x))``: the orthogonal projection of ``x`` onto the
        affine principal subspace, ``(N, D)``, computed in float64."""
        self._check_fitted("reconstruct")
        t, dtype, device = self._input(x, "x", self.n_features_in_, "(N, D)")
        y = (t - self.mean_) @ self.components_.T @ self.components_ + self.mean_
        return y.to(device=device, dtype=dtype)

    def reconstruction_error(self, x: Any, reduction: str = "mean") -> Tensor:
        """Squared reconstruction error of ``x: (N, D)``, per data point summed over dimensions.

        ``e_n = ||x_n - reconstruct(x_n)||^2``; ``reduction="mean"`` returns ``mean_n e_n`` (the
        same quantity as :func:`aebook.losses.reconstruction_error`, so an autoencoder's loss
        and PCA's error compare directly), ``"sum"`` returns ``sum_n e_n`` (twice the book's
        (19.1), which carries a ½), ``"none"`` returns ``e: (N,)``. Computed in float64 and
        returned as a float64 tensor (a scalar for ``"mean"``/``"sum"``).
        """
        choice(reduction, "reduction", REDUCTIONS)
        self._check_fitted("reconstruction_error")
        t, _, _ = self._input(x, "x", self.n_features_in_, "(N, D)")
        xc = t - self.mean_
        resid = xc - xc @ self.components_.T @ self.components_
        return reduce((resid**2).sum(dim=1), reduction)


# ------------------------------------------------------------------------------------------------
# Principal angles


def _orthonormal_basis(a: Tensor, name: str, rtol: float | None) -> Tensor:
    """Orthonormal basis ``Q: (D, k)`` of the column space of ``a: (D, k)`` (full column rank)."""
    d, k = a.shape
    if k == 0:
        raise ValueError(f"{name} must have at least one column, got shape {tuple(a.shape)}")
    if k > d:
        raise ValueError(f"{name} has more columns than rows ({tuple(a.shape)}): at most {d} "
                         f"columns of length {d} can be independent; pass a basis (D, k) with k <= D")
    # Rank check from the singular values (QR's diagonal does not reveal rank reliably).
    # Default tolerance as numpy.linalg.matrix_rank: max(D, k) * eps * s_max.
    s = torch.linalg.svdvals(a)
    tol = (max(d, k) * torch.finfo(torch.float64).eps if rtol is None else rtol) * float(s[0])
    rank = int((s > tol).sum())
    if rank < k:
        raise ValueError(
            f"{name} (shape {tuple(a.shape)}) has numerical rank {rank} < {k} columns "
            f"(singular values {[float(f'{v:.3g}') for v in s.tolist()]}): its columns do not span "
            f"a {k}-dimensional subspace. Principal angles would silently describe a smaller "
            f"subspace, so this is refused; drop the dependent columns or pass a basis of rank {k}.")
    q, _ = torch.linalg.qr(a, mode="reduced")
    return q


def principal_angles(A: Any, B: Any, *, rtol: float | None = None) -> Tensor:
    """Principal angles (radians, ascending) between the column spaces of ``A`` and ``B``.

    Args:
        A: ``(D, k)``; its columns span the first subspace (e.g. a decoder weight, or
            ``pca.components_.T``). A 1-D ``(D,)`` is one direction, ``(D, 1)``.
        B: ``(D, l)``; the second subspace.
        rtol: relative tolerance of the rank check (default ``max(D, k) * eps``, as
            ``numpy.linalg.matrix_rank``).

    Returns:
        ``(min(k, l),)`` float64 tensor ``0 <= theta_1 <= ... <= pi/2``. All zeros means one
        subspace contains the other (equal subspaces when ``k == l``). The angles depend only
        on the subspaces: ``A`` and ``A @ G`` with ``G`` invertible give the same result.

    Method: orthonormal bases ``Qa``, ``Qb`` by QR; the singular values of ``Qa^T Qb`` are the
    cosines of the angles (Björck & Golub 1973). ``arccos`` loses accuracy for small angles
    (``cos`` is flat near 0: a 1e-8 angle changes the cosine by 5e-17), so, as in
    ``scipy.linalg.subspace_angles``, angles with ``cos^2 >= 1/2`` are taken from their sines,
    the singular values of ``Qb - Qa (Qa^T Qb)``. Cosines and sines are clamped to [0, 1].

    Raises:
        ValueError: not 2-D, different ``D``, NaN/inf, or rank-deficient ``A``/``B``. A
            rank-deficient matrix is refused rather than reduced to its column space: a
            collapsed decoder (two equal columns) would otherwise look "aligned" with the PCA
            subspace on fewer angles.
    """
    a, _, _ = _as_float64(A, "A")
    b, _, _ = _as_float64(B, "B")
    a = a[:, None] if a.ndim == 1 else a
    b = b[:, None] if b.ndim == 1 else b
    _check_2d(a, "A", "(D, k)")
    _check_2d(b, "B", "(D, l)")
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"A and B must have the same number of rows D (the ambient dimension), "
                         f"got A {tuple(a.shape)} and B {tuple(b.shape)}")
    qa = _orthonormal_basis(a, "A", rtol)
    qb = _orthonormal_basis(b, "B", rtol)
    if qa.shape[1] < qb.shape[1]:  # the angles are symmetric; let qa be the larger subspace
        qa, qb = qb, qa
    m = qa.T @ qb  # (k, l), k >= l
    cos = torch.linalg.svdvals(m).clamp(0.0, 1.0)  # descending: angles ascending
    # The residual of Qb after projecting onto span(Qa) has singular values sin(theta).
    sin = torch.linalg.svdvals(qb - qa @ m).clamp(0.0, 1.0).flip(0)  # ascending
    return torch.where(cos**2 >= 0.5, torch.arcsin(sin), torch.arccos(cos))


def subspace_distance(A: Any, B: Any, *, rtol: float | None = None) -> float:
    """The largest principal angle (radians) between two subspaces of the same dimension.

    ``A: (D, k)`` and ``B: (D, k)`` span the subspaces. The result is in ``[0, pi/2]``: 0 for
    the same subspace, pi/2 when some direction of one is orthogonal to all of the other. Its
    sine is the projection-norm distance ``||P_A - P_B||_2`` (P the orthogonal projectors),
    a metric on k-dimensional subspaces; the angle is reported because "3 degrees" reads
    better than "0.052". Refuses subspaces of different dimension (ValueError): every
    ``k``-subspace contains subspaces of lower dimension at angle 0, so a "distance" between
    them would mislead.
    """
    a, _, _ = _as_float64(A, "A")
    b, _, _ = _as_float64(B, "B")
    ka = 1 if a.ndim == 1 else (a.shape[1] if a.ndim == 2 else -1)
    kb = 1 if b.ndim == 1 else (b.shape[1] if b.ndim == 2 else -1)
    if ka >= 0 and kb >= 0 and ka != kb:
        raise ValueError(f"A and B must span subspaces of the same dimension, got A with {ka} "
                         f"column(s) {tuple(a.shape)} and B with {kb} {tuple(b.shape)}")
    angles = principal_angles(a, b, rtol=rtol)
    return float(angles[-1]) if angles.numel() else 0.0

