"""aebook.mae: patches, masks and the masked autoencoder of section 19.1.5 (He et al. 2022)."""

from __future__ import annotations

import math

import pytest
import torch

from aebook.losses import mae_loss, masked_patch_loss
from aebook.mae import (
    MAEConfig,
    MaskedAutoencoder,
    as_images,
    n_visible,
    patchify,
    random_masking,
    sincos_pos_embed_2d,
    unpatchify,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def small(**kw):
    torch.manual_seed(0)
    base = dict(embed_dim=16, depth=2, num_heads=2, decoder_embed_dim=16, decoder_depth=1,
                decoder_num_heads=2)
    base.update(kw)
    return MaskedAutoencoder(**base)


IMGS = torch.rand(3, 1, 28, 28, generator=gen(1))


# ------------------------------------------------------------------------------------------------
# patches and position embeddings


@pytest.mark.parametrize("shape, p", [((2, 1, 28, 28), 7), ((2, 1, 28, 28), 4), ((2, 3, 8, 12), 4),
                                      ((1, 1, 8, 8), 2)])
def test_patchify_and_unpatchify_are_exact_inverses(shape, p):
    x = torch.rand(*shape, generator=gen())
    patches = patchify(x, p)
    h, w = shape[2] // p, shape[3] // p
    assert patches.shape == (shape[0], h * w, p * p * shape[1])
    assert torch.equal(unpatchify(patches, p, shape[1], grid=(h, w)), x)


def test_patch_order_is_row_major_and_a_patch_holds_its_pixels():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    patches = patchify(x, 2)
    assert patches[0, 0].tolist() == [0, 1, 4, 5]  # top-left patch
    assert patches[0, 1].tolist() == [2, 3, 6, 7]  # top-right
    assert patches[0, 2].tolist() == [8, 9, 12, 13]  # bottom-left


def test_patch_errors_name_the_problem():
    with pytest.raises(ValueError, match="not divisible by patch_size=5"):
        patchify(IMGS, 5)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        patchify(torch.rand(2, 28, 28), 7)
    with pytest.raises(ValueError, match="square grid"):
        unpatchify(torch.rand(1, 6, 4), 2)
    with pytest.raises(ValueError, match="patch_size"):
        patchify(IMGS, 0)


def test_sincos_embeddings_are_fixed_distinct_and_bounded():
    e = sincos_pos_embed_2d(16, (4, 4))
    assert e.shape == (16, 16) and e.dtype == torch.float32
    assert torch.equal(e, sincos_pos_embed_2d(16, (4, 4)))
    assert float(e.abs().max()) <= 1.0
    d = torch.cdist(e, e) + torch.eye(16)
    assert float(d.min()) > 0.1  # every position has its own code
    # rows encoded in the first half, columns in the second
    assert torch.equal(e[0, 8:], e[4, 8:]) and torch.equal(e[0, :8], e[1, :8])
    with pytest.raises(ValueError, match="multiple of 4"):
        sincos_pos_embed_2d(10, (2, 2))


# ------------------------------------------------------------------------------------------------
# masking


@pytest.mark.parametrize("L, r, k", [(16, 0.75, 4), (49, 0.75, 12), (16, 0.8, 3), (10, 0.9, 1),
                                     (16, 0.0, 16), (196, 0.75, 49), (10, 0.7, 3)])
def test_number_of_visible_patches_is_floor_of_L_times_one_minus_r(L, r, k):
    assert n_visible(L, r) == k
    ids_keep, mask, _ = random_masking(5, L, r, generator=gen())
    assert ids_keep.shape == (5, k)
    assert torch.equal(mask.sum(1), torch.full((5,), float(L - k)))


def test_masks_differ_per_sample_and_repeat_with_the_seed():
    a = random_masking(8, 16, 0.75, generator=gen(3))
    b = random_masking(8, 16, 0.75, generator=gen(3))
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert len({tuple(m.tolist()) for m in a[1]}) > 1


def test_ids_restore_undoes_the_shuffle_and_the_mask_marks_the_removed_ones():
    N, L, r = 4, 16, 0.75
    ids_keep, mask, ids_restore = random_masking(N, L, r, generator=gen())
    ids_shuffle = torch.argsort(ids_restore, dim=1)
    x = torch.randn(N, L, 5, generator=gen(2))
    shuffled = torch.gather(x, 1, ids_shuffle[:, :, None].expand(-1, -1, 5))
    assert torch.equal(torch.gather(shuffled, 1, ids_restore[:, :, None].expand(-1, -1, 5)), x)
    for n in range(N):
        assert set(ids_keep[n].tolist()) == set(torch.nonzero(mask[n] == 0).flatten().tolist())


def test_each_patch_is_removed_with_probability_r():
    _, mask, _ = random_masking(20000, 16, 0.75, generator=gen())
    freq = mask.mean(0)
    assert float((freq - 0.75).abs().max()) < 0.02


@pytest.mark.parametrize("r", [1.0, -0.01, 1.5, math.nan, "0.5", None, True])
def test_mask_ratio_outside_zero_one_is_refused(r):
    with pytest.raises(ValueError, match=r"mask_ratio .*\[0, 1\)"):
        random_masking(2, 16, r)


def test_a_ratio_that_leaves_no_patch_is_refused():
    with pytest.raises(ValueError, match="no visible patch"):
        random_masking(2, 4, 0.9)


# ------------------------------------------------------------------------------------------------
# the model (claims 1 and 2 of the page)


def test_encoder_sees_exactly_the_visible_patches_plus_a_class_token():
    m = small()
    seen = []
    m.blocks[0].register_forward_hook(lambda mod, inp, out: seen.append(inp[0].shape[1]))
    for r, k in ((0.75, 4), (0.5, 8), (0.0, 16), (0.9, 1)):
        latent, mask, _ = m.forward_encoder(IMGS, r, generator=gen())
        assert latent.shape == (3, 1 + k, 16)
        assert seen[-1] == 1 + k
    bert = small(encoder_mode="all")
    latent, _, _ = bert.forward_encoder(IMGS, 0.75, generator=gen())
    assert latent.shape == (3, 1 + 16, 16)


def test_decoder_restores_the_patch_order():
    """With an identity-like decoder input, the mask token lands exactly on removed positions."""
    m = small()
    latent, mask, ids_restore = m.forward_encoder(IMGS, 0.75, generator=gen())
    x = m.decoder_embed(latent)
    N, L = ids_restore.shape
    tokens = torch.cat([x[:, 1:], m.mask_token.expand(N, L - x.shape[1] + 1, -1)], dim=1)
    restored = torch.gather(tokens, 1, ids_restore[:, :, None].expand(-1, -1, x.shape[2]))
    is_mask_token = (restored == m.mask_token).all(-1).float()
    assert torch.equal(is_mask_token, mask)


def test_changing_predictions_on_visible_patches_leaves_the_loss_unchanged():
    m = small()
    out = m(IMGS, 0.75, generator=gen())
    target = patchify(IMGS, 7)
    vis = (out.mask == 0)[:, :, None]
    tampered = torch.where(vis, out.pred + 100.0, out.pred)
    assert torch.equal(masked_patch_loss(tampered, target, out.mask), out.loss)
    moved = torch.where(~vis, out.pred + 1.0, out.pred)
    assert float(masked_patch_loss(moved, target, out.mask).detach()) != float(out.loss.detach())


@pytest.mark.parametrize("where", ["pred", "target"])
def test_masked_patch_loss_refuses_nan_when_validating(where):
    pred, target, mask = torch.zeros(1, 2, 4), torch.ones(1, 2, 4), torch.tensor([[1.0, 0.0]])
    bad = {"pred": pred, "target": target}
    bad[where] = bad[where].clone()
    bad[where][0, 1, 0] = float("nan")  # even on a visible patch: the input is broken
    with pytest.raises(ValueError, match=f"{where} contains NaN or inf"):
        masked_patch_loss(bad["pred"], bad["target"], mask)
    # validate=False (the model's own fast path) skips the check, as reconstruction_error's
    # check_finite=False does
    masked_patch_loss(bad["pred"], bad["target"], mask, validate=False)


def test_masked_patch_loss_values_and_normalised_targets():
    pred = torch.zeros(1, 2, 4)
    target = torch.tensor([[[1.0, 1.0, 1.0, 1.0], [0.0, 2.0, 0.0, 2.0]]])
    assert float(masked_patch_loss(pred, target, torch.tensor([[1.0, 0.0]]))) == 1.0
    assert float(masked_patch_loss(pred, target, torch.tensor([[0.0, 1.0]]))) == 2.0
    assert float(masked_patch_loss(pred, target, torch.tensor([[1.0, 1.0]]))) == 1.5
    # normalised target of [0, 2, 0, 2] is ±1/sqrt(4/3) (unbiased var), so the error is 3/4
    v = masked_patch_loss(pred, target, torch.tensor([[0.0, 1.0]]), norm_pix=True)
    assert float(v) == pytest.approx(0.75, rel=1e-5)
    with pytest.raises(ValueError, match="removes no patch"):
        masked_patch_loss(pred, target, torch.zeros(1, 2))
    with pytest.raises(ValueError, match="only 0"):
        masked_patch_loss(pred, target, torch.full((1, 2), 0.5))
    with pytest.raises(ValueError, match=r"mask must have shape \(N, L\)"):
        masked_patch_loss(pred, target, torch.ones(2, 2))


def test_training_lowers_the_loss_and_features_have_the_embedding_width():
    import aebook

    m = small()
    x = IMGS.repeat(20, 1, 1, 1)
    h = aebook.fit(m, mae_loss(0.75), x, epochs=15, batch_size=30, lr=3e-3, progress=False)
    assert h.train[-1] < 0.7 * h.train[0]
    f = m.features(IMGS)
    assert f.shape == (3, 16) and m.features(IMGS, pool="cls").shape == (3, 16)
    with pytest.raises(ValueError, match="pool"):
        m.features(IMGS, pool="max")


def test_reconstruct_pastes_predictions_only_into_removed_patches():
    m = small()
    masked, recon, pasted = m.reconstruct(IMGS, 0.75, generator=gen())
    out = m(IMGS, 0.75, generator=gen())
    keep = (out.mask == 0)[:, :, None]
    assert torch.equal(patchify(pasted, 7)[keep.expand(-1, -1, 49)], patchify(IMGS, 7)[keep.expand(-1, -1, 49)])
    assert float(patchify(masked, 7)[~keep.expand(-1, -1, 49)].abs().max()) == 0.0
    assert recon.shape == IMGS.shape


@pytest.mark.parametrize("kw, match", [
    ({"patch_size": 5}, "divisible"), ({"embed_dim": 18}, "multiple of 4"),
    ({"num_heads": 3}, "multiple of 4 and of num_heads"), ({"encoder_mode": "bert"}, "encoder_mode"),
    ({"depth": 0}, "depth"), ({"norm_pix_loss": 1}, "norm_pix_loss"), ({"mlp_ratio": -1}, "mlp_ratio"),
])
def test_bad_configs_are_refused_by_name(kw, match):
    with pytest.raises(ValueError, match=match):
        MAEConfig(**kw)


def test_wrong_image_shapes_are_refused():
    m = small()
    with pytest.raises(ValueError, match=r"imgs must have shape \(N, 1, 28, 28\)"):
        m(torch.rand(2, 1, 35, 35))
    with pytest.raises(ValueError, match="mask_ratio"):
        m(IMGS, 1.0)
    with pytest.raises(ValueError, match="not divisible by patch_size=7"):
        m(torch.rand(2, 1, 32, 32))
    with pytest.raises(ValueError, match=r"x must have shape \(N, 784\)"):
        as_images(torch.rand(2, 100), 28)
    with pytest.raises(ValueError, match="NaN"):
        as_images(torch.full((1, 784), math.nan), 28)


def test_checkpoint_round_trip_and_config_mismatch(tmp_path):
    import aebook

    m = small()
    path = tmp_path / "mae.pt"
    aebook.save_checkpoint(path, m)
    m2 = small()
    for p in m2.parameters():
        p.data.zero_()
    aebook.load_checkpoint(path, m2)
    assert all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), m2.state_dict().values()))
    with pytest.raises(ValueError):
        aebook.load_checkpoint(path, small(decoder_depth=2))


def test_forward_refuses_a_ratio_that_removes_no_patch():
    with pytest.raises(ValueError, match="removes no patch"):
        small()(IMGS, 0.0)
