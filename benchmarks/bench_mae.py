"""Encoder cost of the masked autoencoder: visible patches only (MAE) vs every token (BERT-style).

Usage::

    python benchmarks/bench_mae.py [--device cpu|cuda] [--size quick|full] [--ratio 0.75]
                                   [--batch 128] [--repeats 7] [--threads 2]

Both encoders have the same weights' shapes (:class:`aebook.mae.MaskedAutoencoder` with
``encoder_mode="visible"`` and ``"all"``) and run on the same random 28×28 images at the same
mask ratio. Timed: one training step of the *encoder alone* (forward, a scalar loss on its
output, backward), after a warm-up, repetitions interleaved, median kept. FLOPs of the forward
pass come from ``torch.utils.flop_counter``.

Output: ``encoder_flops_ratio: 3.84x`` (BERT-style / MAE), ``encoder_time_ratio: 3.87x`` (the
full size on a 2-core CPU), then absolute medians in ms. ``--size full`` (4×4 patches, L = 49,
a 192-wide, 8-block ViT, :data:`LARGE`) is the default; ``quick`` is the CPU model of the pages
(7×7 patches, L = 16).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from aebook.experiments.masked import MAE_TINY, encoder_flops  # noqa: E402  (after sys.path)
from aebook.mae import MaskedAutoencoder  # noqa: E402  (after sys.path)

#: 4×4 patches (L = 49), a 192-wide, 8-block ViT and a 4-block decoder of width 128: the size at
#: which the encoder's share of the cost shows (the full-size runs use a smaller model on the CPU)
LARGE = dict(img_size=28, patch_size=4, in_chans=1, embed_dim=192, depth=8, num_heads=6,
             decoder_embed_dim=128, decoder_depth=4, decoder_num_heads=4, mlp_ratio=4.0)


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--size", choices=("quick", "full"), default="full")
    ap.add_argument("--ratio", type=float, default=0.75)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = LARGE if a.size == "full" else MAE_TINY
    flops = encoder_flops(cfg, a.ratio, batch=a.batch)
    models = {}
    for mode in ("visible", "all"):
        torch.manual_seed(0)
        models[mode] = MaskedAutoencoder(**cfg, encoder_mode=mode).to(a.device)
    x = torch.rand(a.batch, 1, 28, 28, device=a.device)
    g = torch.Generator(device=a.device)

    def step(model) -> float:
        g.manual_seed(0)
        _sync(a.device)
        t0 = time.perf_counter()
        latent, _, _ = model.forward_encoder(x, a.ratio, generator=g)
        latent.square().mean().backward()
        _sync(a.device)
        return time.perf_counter() - t0

    for m in models.values():  # warm-up
        step(m)
    times = {k: [] for k in models}
    for _ in range(a.repeats):
        for k, m in models.items():
            times[k].append(step(m))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"encoder_flops_ratio: {flops['ratio']:.2f}x")
    print(f"encoder_time_ratio: {med['all'] / med['visible']:.2f}x")
    print(f"# size={a.size} ratio={a.ratio} batch={a.batch} device={a.device} "
          f"threads={a.threads} torch={torch.__version__}")
    print(f"# forward GFLOPs: mae {flops['visible'] / 1e9:.3f}  bert-style {flops['all'] / 1e9:.3f}")
    print(f"# median encoder step (ms): mae {1e3 * med['visible']:.1f}  "
          f"bert-style {1e3 * med['all']:.1f}")


if __name__ == "__main__":
    main()
