"""The claims of section 19.1.5 on the quick configuration (MNIST-5k, a 3-block ViT of width 48;
the ratio sweep on sklearn's 8x8 digits). About 40 s of training on one thread, cached."""

from __future__ import annotations

import pytest

from aebook import experiments as E
from aebook.experiments.masked import _FULL, _SMALL

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("cfg, low", [(_SMALL, 3.0), (_FULL, 3.5)])
def test_encoding_only_visible_patches_cuts_encoder_flops_at_least_threefold(cfg, low):
    f = E.encoder_flops(cfg, 0.75, batch=4)
    # measured 3.11x (L = 16, 5 vs 17 tokens) and 3.84x (L = 49, 13 vs 50 tokens)
    assert f["ratio"] >= low
    assert f["all"] > f["visible"] > 0


def test_pretrained_mae_predicts_removed_patches_better_than_the_mean_pixel():
    r = E.mae_pretrain(mode="quick")
    assert r.train_loss[-1] < 0.5 * r.train_loss[0]
    # measured 0.067 at r = 0.75 vs 0.097 for the mean pixel
    assert r.errors[0.75] < 0.8 * r.baseline
    assert set(r.errors) == {0.5, 0.75, 0.8, 0.9}


def test_probe_and_fine_tune_report_three_and_two_accuracies():
    p = E.linear_probe(mode="quick")
    assert 0.1 < p.random_encoder < 1 and 0.1 < p.mae_encoder < 1
    assert p.raw_pixels > 0.85  # logistic regression on 784 pixels: measured 0.884
    f = E.fine_tune(mode="quick")
    # measured 0.716 (from MAE) vs 0.616 (scratch) after 3 epochs
    assert f.from_mae > f.from_scratch + 0.03


def test_ratio_sweep_covers_the_configured_ratios():
    s = E.mask_ratio_sweep(mode="quick")
    assert s.ratios == (0.25, 0.5, 0.75, 0.9) and s.data == "digits"
    assert len(s.probe) == len(s.own_errors) == len(s.errors_at_075) == 4
    assert s.raw > 0.9  # 64 raw pixels: measured 0.967
    # the models trained at 0.75 reconstruct best at 0.75 (measured 0.42 vs 0.44-0.51)
    assert s.errors_at_075[2] == min(s.errors_at_075)
