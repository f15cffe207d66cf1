"""Tests of aebook.losses: the reconstruction error (19.1) in its book and training forms, the L1
activation penalty (19.2) and the denoising error (19.3)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from aebook.losses import (
    book_error_19_1,
    book_error_19_3,
    denoising_error,
    denoising_loss,
    l1_activation_penalty,
    recon_loss,
    reconstruction_error,
    sparse_loss,
    weight_l2_penalty,
)
from aebook.models import ShallowAutoencoder
from aebook.noise import Corruption

F64 = torch.float64

# Hand-computed: e_1 = (1-0)^2 + (2-0)^2 = 5, e_2 = (3-3)^2 + (4-2)^2 = 4.
Y = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=F64)
X = torch.tensor([[0.0, 0.0], [3.0, 2.0]], dtype=F64)


def test_values_on_a_hand_computed_example():
    assert torch.equal(reconstruction_error(Y, X, reduction="none"), torch.tensor([5.0, 4.0], dtype=F64))
    assert float(reconstruction_error(Y, X)) == 4.5  # (5 + 4) / 2, no ½
    assert float(reconstruction_error(Y, X, reduction="sum")) == 9.0
    assert float(reconstruction_error(Y, X, reduction="sum", half=True)) == 4.5
    assert torch.equal(reconstruction_error(Y, X, reduction="none", half=True),
                       torch.tensor([2.5, 2.0], dtype=F64))
    assert float(book_error_19_1(Y, X)) == 4.5  # ½ (5 + 4)


def test_images_are_summed_over_all_data_dimensions():
    x = torch.zeros(2, 1, 2, 2)
    y = torch.ones(2, 1, 2, 2)
    y[1] *= 2.0
    assert reconstruction_error(y, x, reduction="none").tolist() == [4.0, 16.0]


def test_book_form_is_n_over_2_times_the_mean():
    g = torch.Generator().manual_seed(0)
    n = 37
    x = torch.randn(n, 5, generator=g, dtype=F64)
    y = torch.randn(n, 5, generator=g, dtype=F64)
    # In float64 the factor is exact to rounding (1e-15 relative).
    torch.testing.assert_close(book_error_19_1(y, x), n / 2 * reconstruction_error(y, x),
                               rtol=1e-14, atol=0)


def test_gradients_differ_by_the_same_factor():
    g = torch.Generator().manual_seed(1)
    n = 23
    x = torch.randn(n, 4, generator=g, dtype=F64)
    y1 = torch.randn(n, 4, generator=g, dtype=F64, requires_grad=True)
    y2 = y1.detach().clone().requires_grad_(True)
    book_error_19_1(y1, x).backward()
    reconstruction_error(y2, x).backward()
    torch.testing.assert_close(y1.grad, n / 2 * y2.grad, rtol=1e-14, atol=0)
    torch.testing.assert_close(y1.grad, y1.detach() - x)  # d/dy of ½||y - x||^2


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"y \(3, 4\) and x \(3, 5\)"):
        reconstruction_error(torch.zeros(3, 4), torch.zeros(3, 5))


def test_nan_input_is_refused_by_default():
    x = torch.zeros(3, 2)
    y = torch.zeros(3, 2)
    y[1, 0] = float("nan")
    with pytest.raises(ValueError, match="y contains NaN or inf"):
        reconstruction_error(y, x)
    with pytest.raises(ValueError, match="x contains NaN or inf"):
        book_error_19_1(x, y)
    # the training loop turns the check off and relies on fit's NaN guard instead
    assert torch.isnan(reconstruction_error(y, x, check_finite=False))


def test_other_bad_inputs():
    with pytest.raises(ValueError, match="reduction must be one of"):
        reconstruction_error(Y, X, reduction="avg")
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        reconstruction_error(Y, X.long())
    with pytest.raises(TypeError, match="y must be a torch.Tensor"):
        reconstruction_error(Y.numpy(), X)
    with pytest.raises(ValueError, match="batched"):
        reconstruction_error(Y[0], X[0])
    with pytest.raises(ValueError, match="N = 0"):
        reconstruction_error(Y[:0], X[:0])


class _Identityish(nn.Module):
    """Returns a bare tensor, not an AEOutput: recon_loss must accept both."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(0.5, dtype=F64))

    def forward(self, x):
        return self.scale * x


def test_recon_loss_is_the_batch_mean_and_ignores_labels():
    model = _Identityish()
    x = torch.tensor([[2.0, 0.0], [0.0, 4.0]], dtype=F64)
    labels = torch.tensor([0, 1])
    loss = recon_loss(model, (x, labels))
    # y = x/2: e = [1, 4], mean 2.5
    assert loss.item() == 2.5
    loss.backward()
    assert model.scale.grad is not None and float(model.scale.grad) != 0.0


def test_recon_loss_reads_the_recon_field():
    from aebook.models import LinearAutoencoder

    torch.manual_seed(0)
    model = LinearAutoencoder(4, 2)
    x = torch.randn(5, 4)
    torch.testing.assert_close(recon_loss(model, (x,)), reconstruction_error(model(x).recon, x))


def test_recon_loss_wants_a_tuple_batch():
    with pytest.raises(TypeError, match="batch must be a non-empty tuple"):
        recon_loss(_Identityish(), torch.zeros(2, 2))


# ------------------------------------------------------------------------------------------------
# (19.2) the L1 activation penalty and (19.3) the denoising error

def test_l1_penalty_sums_absolute_activations_and_its_gradient_is_the_sign():
    z = torch.tensor([[1.5, -2.0, 0.0], [0.0, 0.5, 0.0]], dtype=F64, requires_grad=True)
    assert torch.equal(l1_activation_penalty(z, reduction="none").detach(),
                       torch.tensor([3.5, 0.5], dtype=F64))
    assert float(l1_activation_penalty(z, reduction="sum").detach()) == 4.0
    p = l1_activation_penalty(z)  # mean over the batch
    assert float(p.detach()) == 2.0
    p.backward()
    # subgradient sign(z) / N, and 0 at z = 0 (autograd's choice in [-1, 1])
    assert torch.equal(z.grad, torch.tensor([[0.5, -0.5, 0.0], [0.0, 0.5, 0.0]], dtype=F64))


@pytest.mark.parametrize("bad, err", [
    (torch.ones(3), ValueError), (torch.ones(0, 3), ValueError), (torch.ones(2, 3, dtype=torch.int64), TypeError),
    ([[1.0]], TypeError),
])
def test_l1_penalty_rejects_bad_codes(bad, err):
    with pytest.raises(err):
        l1_activation_penalty(bad)


def test_weight_penalty_counts_weight_matrices_not_biases():
    torch.manual_seed(0)
    m = ShallowAutoencoder(4, 6, "relu", allow_overcomplete=True)
    expect = m.encoder.fc1.weight.pow(2).sum() + m.decoder.weight.pow(2).sum()
    assert torch.allclose(weight_l2_penalty(m), expect)
    with pytest.raises(ValueError, match="no weight matrices"):
        weight_l2_penalty(nn.Sequential(nn.ReLU()))


def test_sparse_loss_is_the_book_error_19_2_times_2_over_n_with_lambda_doubled():
    torch.manual_seed(0)
    m = ShallowAutoencoder(5, 8, "relu", allow_overcomplete=True).double()
    x = torch.rand(7, 5, dtype=F64)
    lam_book = 0.3
    torch.set_grad_enabled(False)
    try:
        _check_sparse_identity(m, x, lam_book)
    finally:
        torch.set_grad_enabled(True)


def _check_sparse_identity(m, x, lam_book):
    out = sparse_loss(2 * lam_book)(m, (x,))
    assert set(out) == {"loss", "recon", "l1", "l2"} and float(out["l2"]) == 0.0
    o = m(x)
    book = 0.5 * ((o.recon - x) ** 2).sum() + lam_book * o.z.abs().sum()  # (19.2) with (19.1)'s ½
    assert float(out["loss"]) == pytest.approx(float(2 / 7 * book), rel=1e-12)
    both = sparse_loss(0.1, weight_l2=0.01)(m, (x,))
    assert float(both["loss"]) == pytest.approx(float(both["recon"] + 0.1 * both["l1"] + 0.01 * both["l2"]))
    assert float(both["l2"]) == pytest.approx(float(weight_l2_penalty(m)))


@pytest.mark.parametrize("kw", [{"lam": -0.1}, {"lam": float("nan")}, {"lam": True}, {"weight_l2": -1.0},
                                {"lam": "0.1"}])
def test_sparse_loss_rejects_bad_weights_by_name(kw):
    name = next(iter(kw))
    with pytest.raises(ValueError, match=name):
        sparse_loss(**kw)


def test_sparse_loss_needs_a_model_with_a_code():
    with pytest.raises(TypeError, match=r"\.z"):
        sparse_loss(0.1)(nn.Linear(3, 3), (torch.ones(2, 3),))


def test_book_error_19_3_has_no_half_and_is_twice_the_halved_form():
    assert float(book_error_19_3(Y, X)) == 9.0
    assert float(book_error_19_3(Y, X)) == 2 * float(denoising_error(Y, X, reduction="sum", half=True))
    assert float(denoising_error(Y, X)) == 4.5  # the training form: mean over the batch


class _Recorder(nn.Module):
    """Identity model that remembers what it was fed."""

    def forward(self, x):
        self.seen = x.clone()
        return x


def test_denoising_loss_feeds_the_corrupted_input_and_compares_with_the_clean_one():
    x = torch.rand(6, 4, dtype=F64) + 0.5
    rec = _Recorder()
    loss = denoising_loss(kind="mask", level=1.0)(rec, (x,))  # everything masked
    assert torch.equal(rec.seen, torch.zeros_like(x))
    assert float(loss) == pytest.approx(float((x ** 2).sum(1).mean()))
    torch.manual_seed(0)
    loss = denoising_loss(Corruption("gaussian", 0.5))(rec, (x,))
    assert float(loss) == pytest.approx(float(((rec.seen - x) ** 2).sum(1).mean()))
    assert not torch.equal(rec.seen, x)
    assert float(denoising_loss(kind="gaussian", level=0.0)(rec, (x,))) == 0.0


def test_denoising_loss_argument_errors():
    with pytest.raises(ValueError, match="give corruption"):
        denoising_loss()
    with pytest.raises(ValueError, match="not both"):
        denoising_loss(Corruption("mask", 0.1), kind="mask", level=0.2)
    with pytest.raises(ValueError, match="nu"):
        denoising_loss(kind="mask", level=1.5)
    with pytest.raises(TypeError, match="Corruption"):
        denoising_loss(("mask", 0.1))
