"""Tests of aebook.losses: the reconstruction error (19.1) in its book and training forms."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from aebook.losses import book_error_19_1, recon_loss, reconstruction_error

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
