"""Every numbered equation of sections 19.1-19.2, and the code that computes it: one hop from
the book to the package.

``python -m aebook equations`` prints this table; :data:`EQUATIONS` holds it, and a test
checks that every entry exists and that its docstring cites the equation.

(19.20)-(19.25) are numbered inside the book's exercises. (19.25), the ELBO as expected
log-likelihood minus KL (Exercise 19.6), is cited by number on the exercises page; for
(19.20)-(19.24) we could not confirm which formula of Exercises 19.1-19.5 carries which
number, so those entries name the exercise whose formulas they are.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

__all__ = ["EQUATIONS", "Equation", "resolve", "table"]


@dataclass(frozen=True)
class Equation:
    """One numbered equation: ``number`` ("19.14"), what it says, the code that computes it
    (dotted paths), and the text a docstring of that code uses to cite it."""

    number: str
    what: str
    code: tuple[str, ...]
    cited_as: str = ""

    @property
    def citation(self) -> str:
        return self.cited_as or f"({self.number})"


def _eq(number: str, what: str, *code: str, cited_as: str = "") -> Equation:
    return Equation(number, what, tuple(code), cited_as)


EQUATIONS: dict[str, Equation] = {e.number: e for e in [
    _eq("19.1", "E(w) = ½ Σ_n ‖y(x_n, w) − x_n‖², the reconstruction error",
        "aebook.losses.reconstruction_error", "aebook.losses.book_error_19_1", "aebook.losses.recon_loss",
        "aebook.pca.PCA.reconstruction_error"),
    _eq("19.2", "Ẽ(w) = E(w) + λ Σ_k |z_k|, an L1 penalty on the hidden activations",
        "aebook.losses.l1_activation_penalty", "aebook.losses.sparse_loss"),
    _eq("19.3", "E(w) = Σ_n ‖y(x̃_n, w) − x_n‖², the denoising error",
        "aebook.losses.denoising_error", "aebook.losses.book_error_19_3", "aebook.losses.denoising_loss"),
    _eq("19.4", "p(x | w) = ∫ p(x | z, w) p(z) dz, the likelihood of a latent-variable model",
        "aebook.arc.ArcModel.log_px", "aebook.vae.LinearGaussianModel.log_px", "aebook.vae.iwae_bound"),
    _eq("19.5", "p(z) = N(z | 0, I), the prior",
        "aebook.vae.VAE", "aebook.vae.VAE.sample", "aebook.arc.ArcModel"),
    _eq("19.6", "ln p(x | w) = ℒ(q, w) + KL(q ‖ p(z | x, w))",
        "aebook.vae.LinearGaussianModel.kl_to_posterior", "aebook.arc.ArcModel.elbo"),
    _eq("19.7", "ℒ(q, w) = ∫ q(z) ln {p(x, z | w) / q(z)} dz, the evidence lower bound",
        "aebook.vae.LinearGaussianModel.elbo", "aebook.arc.ArcModel.elbo"),
    _eq("19.8", "KL(q ‖ p(z | x, w)) = −∫ q(z) ln {p(z | x, w) / q(z)} dz",
        "aebook.vae.LinearGaussianModel.kl_to_posterior"),
    _eq("19.9", "ln p(x | w) ≥ ℒ(q, w)",
        "aebook.vae.LinearGaussianModel.elbo", "aebook.vae.iwae_bound"),
    _eq("19.10", "ln p(D | w) = Σ_n ln p(x_n | w), the data set's log-likelihood",
        "aebook.vae.VAELoss"),
    _eq("19.11", "ℒ = Σ_n ℒ_n(q_n, w), one distribution q_n per data point",
        "aebook.vae.VAELoss", "aebook.vae.elbo"),
    _eq("19.12", "p(z | x, w) = p(x | z, w) p(z) / p(x | w), the posterior",
        "aebook.arc.ArcModel.posterior_grid", "aebook.vae.LinearGaussianModel.posterior"),
    _eq("19.13", "q(z | x, φ) = Π_j N(z_j | μ_j(x, φ), σ_j²(x, φ)), the Gaussian encoder",
        "aebook.vae.GaussianEncoder", "aebook.vae.ConvGaussianEncoder"),
    _eq("19.14", "ℒ_n = E_q[ln p(x_n | z, w)] − KL(q(z | x_n, φ) ‖ p(z))",
        "aebook.vae.elbo", "aebook.vae.encoder_gradient"),
    _eq("19.15", "KL(q ‖ N(0, I)) in closed form (printed with the wrong sign: errata 1)",
        "aebook.vae.kl_std_normal", "aebook.vae.kl_per_dim"),
    _eq("19.16", "E_q[ln p(x_n | z, w)] ≈ (1/L) Σ_l ln p(x_n | z^(l), w), the Monte Carlo estimate",
        "aebook.vae.elbo"),
    _eq("19.17", "z = σ ε + μ, ε ~ N(0, 1), the reparameterization",
        "aebook.vae.VAE.rsample"),
    _eq("19.18", "z_nj^(l) = μ_nj + σ_nj ε_nj^(l) per sample (printed as μ ε + σ²: errata 2)",
        "aebook.vae.VAE.rsample", "aebook.vae.training_step"),
    _eq("19.19", "the VAE objective: Σ_n {(1/L) Σ_l ln p(x_n | z_n^(l), w) + ½ Σ_j (1 + ln σ_nj² − μ_nj² − σ_nj²)}",
        "aebook.vae.VAELoss", "aebook.vae.training_step"),
    _eq("19.20", "the score-function identity ∇_φ E_q[G(z)] = E_q[G(z) ∇_φ ln q(z | x, φ)] (Exercise 19.1)",
        "aebook.vae.encoder_gradient", cited_as="Exercise 19.1"),
    _eq("19.21", "its Monte Carlo estimate (Exercise 19.1)",
        "aebook.vae.encoder_gradient", cited_as="Exercise 19.1"),
    _eq("19.22", "z = σ ε + μ is distributed as N(μ, σ²) (Exercise 19.2)",
        "aebook.vae.VAE.rsample", cited_as="Exercise 19.2"),
    _eq("19.23", "a full-covariance encoder z = μ + L ε, covariance L Lᵀ (Exercise 19.3)",
        "aebook.vae.rsample_full", "aebook.vae.tril_factor", "aebook.vae.kl_full_std_normal",
        cited_as="Exercise 19.3"),
    _eq("19.24", "ℒ = E_q[ln p(x, z | w)] + H[q], the ELBO with the entropy (Exercise 19.5)",
        "aebook.vae.gaussian_entropy", cited_as="Exercise 19.5"),
    _eq("19.25", "ℒ = E_q[ln p(x | z, w)] − KL(q ‖ p(z)) (Exercise 19.6)",
        "aebook.vae.elbo"),
]}


def resolve(path: str):
    """The object a dotted path of :data:`EQUATIONS` names (a module attribute or a class's)."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(f"cannot resolve {path!r}")


def table() -> str:
    """The index as plain text, one equation per line."""
    width = max(len(e.number) for e in EQUATIONS.values()) + 2
    lines = []
    for e in EQUATIONS.values():
        lines.append(f"({e.number})".ljust(width + 1) + e.what)
        lines.append(" " * (width + 1) + ", ".join(e.code))
    return "\n".join(lines)
