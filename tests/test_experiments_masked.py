"""The claims of section 19.1.5 on the quick configuration (MNIST-5k, a 3-block ViT of width 48;
the ratio sweep on sklearn's 8x8 digits). About 40 s of training on one thread, cached."""

from __future__ import annotations

import pytest

from aebook import experiments as E
from aebook.experiments.masked import MAE_FULL, MAE_TINY

# trains the quick experiments (shared with the other slow modules through the cache)
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("one_thread")]


# 4×4 patches (L = 49), 192 wide, 8 blocks: a step toward He et al.'s ViTs, too slow for our CPU runs
MAE_L49 = dict(MAE_FULL, patch_size=4, embed_dim=192, depth=8, num_heads=6, decoder_embed_dim=128, decoder_depth=4)


@pytest.mark.parametrize("cfg, low", [(MAE_TINY, 3.0), (MAE_FULL, 3.0), (MAE_L49, 3.5)])
def test_encoding_only_visible_patches_cuts_encoder_flops_at_least_threefold(cfg, low):
    f = E.encoder_flops(cfg, 0.75, batch=4)
    # measured 3.11x (tiny, L = 16: 5 vs 17 tokens), 3.36x (full, L = 16, wider MLPs) and 3.83x
    # (L = 49: 13 vs 50 tokens); He et al. report 2.8-4.1x in wall time (their Table 2)
    assert f["ratio"] >= low
    assert f["all"] > f["visible"] > 0


def test_pretrained_mae_predicts_removed_patches_better_than_the_mean_pixel():
    r = E.mae_pretrain(mode="quick")
    assert r.train_loss[-1] < 0.5 * r.train_loss[0]
    # measured 0.067 at r = 0.75 vs 0.097 for the mean pixel
    assert r.errors[0.75] < 0.8 * r.baseline
    assert set(r.errors) == {0.5, 0.75, 0.8, 0.9}


def test_raw_pixels_beat_both_encoders_under_a_linear_probe():
    """The page's finding: our quick MAE's features do not help a linear probe. Measured raw
    pixels 0.884, random encoder 0.678, MAE encoder 0.657 (1000 held-out digits). MAE against
    random is not asserted either way: 0.021 apart is within two standard errors of an
    accuracy measured on 1000 digits (about 0.015 each)."""
    p = E.linear_probe(mode="quick")
    assert p.raw_pixels > 0.85
    assert p.raw_pixels > max(p.mae_encoder, p.random_encoder) + 0.1


def test_fine_tuning_from_the_mae_beats_training_from_scratch():
    f = E.fine_tune(mode="quick")
    # measured 0.716 (from the MAE) vs 0.616 (scratch) after 3 epochs; the spread across
    # kernel settings of these accuracies is below 0.001 (book/figures/spread.json, mae.probe)
    assert f.from_mae > f.from_scratch + 0.03


def test_the_model_pretrained_at_075_reconstructs_best_at_075():
    s = E.mask_ratio_sweep(mode="quick")
    assert s.raw > 0.9  # 64 raw pixels: measured 0.967
    # Measured at r = 0.75: 0.421 for the model trained at 0.75, 0.443 / 0.485 / 0.511 for
    # those trained at 0.9 / 0.5 / 0.25. The margin (0.022) is 30 times the largest change any
    # of these values showed across kernel settings (0.13 %); it once moved with the thread
    # count, which no longer changes: experiments compute on one thread.
    i = s.ratios.index(0.75)
    assert all(s.errors_at_075[i] < e for j, e in enumerate(s.errors_at_075) if j != i)
    assert s.errors_at_075[s.ratios.index(0.25)] > 1.1 * s.errors_at_075[i]
