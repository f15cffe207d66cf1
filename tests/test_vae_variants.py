"""Section 19.2.2 in aebook.vae: Algorithm 19.1 as one step, what autograd reaches with and
without the reparameterization (Figs. 19.10-19.11), the conditional and the
convolutional VAE, and the exercises' helpers (entropy, full-covariance q)."""

from __future__ import annotations

import math

import pytest
import torch

from aebook.train import fit
from aebook.vae import (
    VAE,
    BernoulliDecoder,
    ConditionalVAE,
    ConvBernoulliDecoder,
    ConvGaussianEncoder,
    GaussianEncoder,
    VAELoss,
    elbo,
    gaussian_entropy,
    gradient_flow,
    iwae_bound,
    kl_full_std_normal,
    kl_std_normal,
    rsample_full,
    training_step,
    tril_factor,
)

F64 = torch.float64
pytestmark = pytest.mark.usefixtures("one_thread")


def small_vae(D=12, M=3, seed=0) -> VAE:
    torch.manual_seed(seed)
    return VAE(GaussianEncoder(D, M, (16,)), BernoulliDecoder(M, D, (16,)))


def batch(N=9, D=12, seed=1):
    return torch.rand(N, D, generator=torch.Generator().manual_seed(seed))


# --- a plain sample blocks the path to the encoder; z = μ + σε opens it ---------------

def test_without_reparameterization_no_gradient_reaches_the_encoder():
    m, x = small_vae(), batch()
    blocked = gradient_flow(m, x, reparameterize=False)
    assert blocked["encoder"] is None          # autograd found no path at all
    assert blocked["decoder"] > 0
    opened = gradient_flow(m, x, reparameterize=True)
    assert opened["encoder"] > 0 and opened["decoder"] > 0


def test_with_a_plain_sample_only_the_kl_term_reaches_the_encoder():
    m, x = small_vae(), batch()
    g = gradient_flow(m, x, reparameterize=False, term="elbo")
    mu, logvar = m.encode(x)
    params = list(m.encoder.parameters())
    kl_only = torch.autograd.grad(-kl_std_normal(mu, logvar).mean(), params)
    assert g["encoder"] == pytest.approx(float(torch.sqrt(sum(t.pow(2).sum() for t in kl_only))), rel=1e-5)


def test_gradient_flow_checks_term():
    with pytest.raises(ValueError, match="term"):
        gradient_flow(small_vae(), batch(), reparameterize=True, term="kl")


# --- Algorithm 19.1 ------------------------------------------------------------------------------

def test_training_step_is_the_same_update_as_fit_with_vae_loss():
    x = batch()
    a, b = small_vae(seed=3), small_vae(seed=3)
    opt = torch.optim.SGD(a.parameters(), lr=0.1)
    torch.manual_seed(7)
    out = training_step(a, opt, x)
    torch.manual_seed(7)
    loss = VAELoss()(b, (x,))["loss"]
    loss.backward()
    with torch.no_grad():
        for p in b.parameters():
            p -= 0.1 * p.grad
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q)
    assert out["elbo"] == pytest.approx(-loss.item(), rel=1e-6)
    assert out["elbo"] == pytest.approx(out["recon"] - out["kl"], rel=1e-6)


def test_training_steps_raise_the_elbo():
    torch.manual_seed(0)
    protos = (torch.rand(2, 12) > 0.5).float()      # two binary patterns: structure to learn
    x = protos[torch.arange(64) % 2]
    m = small_vae()
    opt = torch.optim.Adam(m.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        before = float(elbo(m, x, 50, generator=torch.Generator().manual_seed(1))["elbo"].mean())
    for _ in range(150):
        training_step(m, opt, x, generator=g)
    with torch.no_grad():
        after = float(elbo(m, x, 50, generator=torch.Generator().manual_seed(1))["elbo"].mean())
    assert after > before + 1.0


def test_printed_reparameterization_has_the_wrong_distribution():
    """Errata 2: z = μ ε + σ² has mean σ² and standard deviation |μ|, not N(μ, σ²)."""
    mu, sigma = torch.tensor(1.5, dtype=F64), torch.tensor(0.4, dtype=F64)
    eps = torch.randn(200_000, generator=torch.Generator().manual_seed(0), dtype=F64)
    right, printed = mu + sigma * eps, mu * eps + sigma**2
    assert float(right.mean()) == pytest.approx(1.5, abs=0.01)
    assert float(right.std()) == pytest.approx(0.4, abs=0.01)
    assert float(printed.mean()) == pytest.approx(0.16, abs=0.02)
    assert float(printed.std()) == pytest.approx(1.5, abs=0.02)


# --- conditional VAE -----------------------------------------------------------------------------

def test_conditional_vae_uses_the_label_in_both_networks():
    torch.manual_seed(0)
    c = ConditionalVAE.mlp(12, 2, n_classes=3, hidden=(8,))
    x = batch(N=4)
    y0, y1 = torch.zeros(4, dtype=torch.long), torch.ones(4, dtype=torch.long)
    mu0, _ = c.encode(x, y0)
    mu1, _ = c.encode(x, y1)
    assert not torch.allclose(mu0, mu1)
    z = torch.zeros(4, 2)
    assert not torch.allclose(c.decode(z, y0), c.decode(z, y1))
    # the label is broadcast over the samples of z: (S, N, M)
    zs = torch.zeros(5, 4, 2)
    assert c.decode(zs, y0).shape == (5, 4, 12)
    torch.testing.assert_close(c.decode(zs, y0)[3], c.decode(z, y0))
    assert elbo(c, x, 3, y=y0)["elbo"].shape == (4,)
    assert iwae_bound(c, x, 7, y=y0).shape == (4,)
    assert c.sample(6, y=2).shape == (6, 12)
    assert c.sample(3, y=torch.tensor([0, 1, 2])).shape == (3, 12)


def test_conditional_vae_trains_with_fit_on_pairs():
    torch.manual_seed(0)
    x = batch(N=60)
    y = torch.arange(60) % 3
    c = ConditionalVAE.mlp(12, 2, n_classes=3, hidden=(8,))
    h = fit(c, VAELoss(), (x, y), epochs=3, batch_size=20, progress=False)
    assert len(h.train) == 3 and math.isfinite(h.train[-1])
    with pytest.raises(ValueError, match=r"\(x, y\) pairs"):
        fit(c, VAELoss(), x, epochs=1, progress=False)


def test_conditional_vae_refuses_bad_labels_and_unconditional_vae_refuses_labels():
    c = ConditionalVAE.mlp(12, 2, n_classes=3, hidden=(8,))
    x = batch(N=4)
    with pytest.raises(TypeError, match="needs the class labels y"):
        c.encode(x)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        c.encode(x, torch.tensor([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"shape \(N,\)"):
        c.encode(x, torch.tensor([0, 1]))
    with pytest.raises(TypeError, match="integer"):
        c.encode(x, torch.zeros(4))
    with pytest.raises(TypeError, match="y to sample"):
        c.sample(2)
    with pytest.raises(ValueError, match="n_classes=3"):
        ConditionalVAE(GaussianEncoder(12, 2), BernoulliDecoder(2, 12), 3)
    with pytest.raises(TypeError, match="only accepted by a ConditionalVAE"):
        elbo(small_vae(), batch(), y=torch.zeros(9, dtype=torch.long))


# --- convolutional VAE ---------------------------------------------------------------------------

def test_conv_vae_shapes_and_flattened_interface():
    torch.manual_seed(0)
    enc = ConvGaussianEncoder((1, 28, 28), 4, channels=(8, 16))
    dec = ConvBernoulliDecoder(4, (1, 28, 28), channels=(16, 8))
    m = VAE(enc, dec)
    x = torch.rand(3, 784)
    mu, logvar = m.encode(x)
    assert mu.shape == logvar.shape == (3, 4)
    assert dec(torch.zeros(5, 3, 4)).shape == (5, 3, 784)
    e = elbo(m, x, 2)
    assert e["elbo"].shape == (3,) and torch.isfinite(e["elbo"]).all()
    assert any(isinstance(layer, torch.nn.ConvTranspose2d) for layer in dec.modules())
    assert any(isinstance(layer, torch.nn.Conv2d) for layer in enc.modules())


def test_conv_modules_check_their_arguments():
    with pytest.raises(ValueError, match="divisible"):
        ConvGaussianEncoder((1, 30, 30), 4, channels=(8, 16, 32))
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        ConvBernoulliDecoder(4, (28, 28))
    with pytest.raises(ValueError, match="channels"):
        ConvGaussianEncoder((1, 28, 28), 4, channels=())
    enc = ConvGaussianEncoder((1, 28, 28), 4, channels=(8,))
    with pytest.raises(ValueError, match=r"\(N, D=784\)"):
        enc(torch.rand(2, 28, 28))


# --- exercises' helpers --------------------------------------------------------------------------

def test_gaussian_entropy_matches_torch_distributions():
    logvar = torch.randn(4, 3, dtype=F64)
    ref = torch.distributions.Normal(torch.zeros(4, 3, dtype=F64), (0.5 * logvar).exp()).entropy().sum(-1)
    torch.testing.assert_close(gaussian_entropy(logvar), ref)


def test_full_covariance_reparameterization_has_covariance_L_Lt():
    g = torch.Generator().manual_seed(0)
    raw = torch.randn(1, 6, generator=g, dtype=F64)
    L = tril_factor(raw, 3)
    assert torch.all(torch.diagonal(L[0]) > 0) and torch.all(torch.triu(L[0], 1) == 0)
    mu = torch.tensor([[1.0, -2.0, 0.5]], dtype=F64)
    z = rsample_full(mu, L, 200_000, generator=g)[:, 0]
    torch.testing.assert_close(z.mean(0), mu[0], atol=0.02, rtol=0)
    torch.testing.assert_close(torch.cov(z.T), L[0] @ L[0].T, atol=0.03, rtol=0.02)
    ref = torch.distributions.kl_divergence(
        torch.distributions.MultivariateNormal(mu, scale_tril=L),
        torch.distributions.MultivariateNormal(torch.zeros(3, dtype=F64), torch.eye(3, dtype=F64)))
    torch.testing.assert_close(kl_full_std_normal(mu, L), ref)
    # a diagonal L gives back the diagonal KL (19.15)
    logvar = torch.randn(1, 3, dtype=F64)
    torch.testing.assert_close(kl_full_std_normal(mu, torch.diag_embed((0.5 * logvar).exp())),
                               kl_std_normal(mu, logvar))


def test_full_covariance_helpers_check_shapes():
    with pytest.raises(ValueError, match="M\\(M\\+1\\)/2 = 6"):
        tril_factor(torch.zeros(5), 3)
    with pytest.raises(ValueError, match="diagonal"):
        tril_factor(torch.zeros(6), 3, diagonal="abs")
    with pytest.raises(ValueError, match="L must have shape"):
        rsample_full(torch.zeros(2, 3), torch.eye(3))
    assert torch.all(torch.diagonal(tril_factor(torch.full((6,), -50.0), 3, diagonal="softplus")) > 0)
