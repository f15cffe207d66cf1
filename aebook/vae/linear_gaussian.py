"""Probabilistic PCA as an exact reference model: ln p(x), the posterior and the ELBO of any
diagonal Gaussian q in closed form, so that (19.6)-(19.11) can be checked to rounding."""

from __future__ import annotations

import math

import torch

from .._checks import integer, positive, rows
from .model import VAE
from .networks import LOG2PI, GaussianDecoder, GaussianEncoder
from .objectives import kl_std_normal

Tensor = torch.Tensor

__all__ = ["LinearGaussianModel"]


class LinearGaussianModel:
    """Probabilistic PCA: p(z) = N(0, I_M), p(x | z) = N(W z + b, σ² I_D). Everything is exact.

    * ``log_px(x)``: ln N(x | b, W Wᵀ + σ² I), ``(N,)``.
    * ``posterior(x)``: p(z | x) = N(m, S) with S = (I + WᵀW/σ²)⁻¹, m = S Wᵀ (x − b)/σ²;
      returns ``(m: (N, M), S: (M, M))`` (S is the same for every x).
    * ``elbo(x, mu, logvar)``, ``kl_to_posterior(x, mu, logvar)``: both sides of (19.6) for
      any diagonal Gaussian q, in closed form; ``best_diagonal(x)``: the best such q.
    * ``as_vae()``: the same model as a :class:`VAE` whose decoder is the linear map with
      variance σ², and whose encoder outputs the exact posterior — so its ELBO equals ln p(x)
      with zero Monte Carlo variance.

    Float64 throughout.
    """

    def __init__(self, W: Tensor, b: Tensor, sigma: float):
        W = torch.as_tensor(W, dtype=torch.float64)
        b = torch.as_tensor(b, dtype=torch.float64)
        if W.ndim != 2 or b.shape != (W.shape[0],):
            raise ValueError(f"W must be (D, M) and b (D,), got {tuple(W.shape)} and {tuple(b.shape)}")
        self.W, self.b, self.sigma = W, b, positive(sigma, "sigma")
        self.D, self.M = W.shape

    @property
    def marginal_cov(self) -> Tensor:
        return self.W @ self.W.T + self.sigma**2 * torch.eye(self.D, dtype=torch.float64)

    def log_px(self, x: Tensor) -> Tensor:
        """ln p(x | w) = ln N(x | b, W Wᵀ + σ² I) (19.4), exactly, ``(N,)``."""
        x = rows(x, self.D).to(torch.float64)
        dist = torch.distributions.MultivariateNormal(self.b, covariance_matrix=self.marginal_cov)
        return dist.log_prob(x)

    def posterior(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """The exact posterior (19.12) p(z | x) = N(m, S): ``(m: (N, M), S: (M, M))``."""
        x = rows(x, self.D).to(torch.float64)
        S = torch.linalg.inv(torch.eye(self.M, dtype=torch.float64) + self.W.T @ self.W / self.sigma**2)
        m = (x - self.b) @ self.W @ S / self.sigma**2  # S symmetric
        return m, S

    def _check_q_args(self, x: Tensor, mu: Tensor, logvar: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        x = rows(x, self.D).to(torch.float64)
        mu, logvar = mu.to(torch.float64), logvar.to(torch.float64)
        if mu.shape != (x.shape[0], self.M) or logvar.shape != mu.shape:
            raise ValueError(f"mu and logvar must have shape (N={x.shape[0]}, M={self.M}), got "
                             f"{tuple(mu.shape)} and {tuple(logvar.shape)}")
        return x, mu, logvar

    def elbo(self, x: Tensor, mu: Tensor, logvar: Tensor) -> dict[str, Tensor]:
        """The ELBO (19.7), in the form (19.14), of q(z | x_n) = N(μ_n, diag exp(logvar_n)), in
        closed form (no sampling), per point ``(N,)``; it never exceeds :meth:`log_px` (19.9):
        ``"recon"`` = E_q[ln p(x_n | z)]
        = −(D/2) ln 2πσ² − (‖x_n − W μ_n − b‖² + Σ_j σ_j² ‖w_j‖²) / 2σ², ``"kl"`` by
        :func:`kl_std_normal`, and ``"elbo"`` = recon − kl."""
        x, mu, logvar = self._check_q_args(x, mu, logvar)
        r = x - mu @ self.W.T - self.b
        spread = logvar.exp() @ self.W.pow(2).sum(0)
        recon = (-0.5 * self.D * (LOG2PI + 2 * math.log(self.sigma))
                 - (r.pow(2).sum(1) + spread) / (2 * self.sigma**2))
        kl = kl_std_normal(mu, logvar)
        return {"elbo": recon - kl, "recon": recon, "kl": kl}

    def kl_to_posterior(self, x: Tensor, mu: Tensor, logvar: Tensor) -> Tensor:
        """KL(q(z | x_n) ‖ p(z | x_n)) (19.8) for the diagonal Gaussian q above, in closed form
        from the exact posterior N(m_n, S), ``(N,)``. Equals ln p(x_n) − ELBO_n (19.6)."""
        x, mu, logvar = self._check_q_args(x, mu, logvar)
        m, S = self.posterior(x)
        P = torch.linalg.inv(S)
        d = mu - m
        return 0.5 * (torch.diagonal(P) @ logvar.exp().T + ((d @ P) * d).sum(1) - self.M
                      + torch.logdet(S) - logvar.sum(1))

    def best_diagonal(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """The diagonal Gaussian q closest to the posterior in KL(q ‖ p(z | x)): the posterior
        mean, and variances 1 / diag(S⁻¹) (the posterior *precisions*' diagonal, not S's).
        Returns ``(mu: (N, M), logvar: (N, M))``. No diagonal q does better, so
        ``kl_to_posterior`` at this q is the gap that the Gaussian family itself leaves."""
        m, S = self.posterior(x)
        logvar = -torch.log(torch.diagonal(torch.linalg.inv(S)))
        return m, logvar.expand_as(m).clone()

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> Tensor:
        z = torch.randn(integer(n, "n"), self.M, generator=generator, dtype=torch.float64)
        e = torch.randn(n, self.D, generator=generator, dtype=torch.float64)
        return z @ self.W.T + self.b + self.sigma * e

    def as_vae(self, exact_posterior: bool = True) -> VAE:
        """A :class:`VAE` in float64 with this decoder. With ``exact_posterior`` the encoder is
        set to the exact posterior (its covariance must be diagonal: true when W has orthogonal
        columns; otherwise the diagonal is used and a gap remains)."""
        enc = GaussianEncoder(self.D, self.M, hidden=(), activation="linear").double()
        dec = GaussianDecoder(self.M, self.D, hidden=(), sigma=self.sigma).double()
        with torch.no_grad():
            dec.net[0].weight.copy_(self.W)
            dec.net[0].bias.copy_(self.b)
            S = torch.linalg.inv(torch.eye(self.M, dtype=torch.float64)
                                 + self.W.T @ self.W / self.sigma**2)
            A = S @ self.W.T / self.sigma**2  # m = A (x − b)
            enc.head.weight.zero_()
            enc.head.bias.zero_()
            if exact_posterior:
                enc.head.weight[: self.M].copy_(A)
                enc.head.bias[: self.M].copy_(-A @ self.b)
                enc.head.bias[self.M:].copy_(torch.log(torch.diagonal(S)))
        return VAE(enc, dec)
