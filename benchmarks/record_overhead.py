"""What the recorder costs per training step, and whether its memory grows with run length.

Run: ``python benchmarks/record_overhead.py [--steps 400] [--repeats 5] [--long 20000]``

For a small CNN (2 conv layers on 8×8 single-channel images, batch 64) and an MLP
(784-256-256-10, batch 64), it times plain SGD steps with and without
``nn_doctor.record.attach(..., every=10)`` writing JSONL (the default interval and writer),
interleaving the two so that machine load hits both alike, and reports the median over
repeats. Data is random: the cost of the recorder does not depend on what is learned.

Memory: a long run of the MLP with the recorder, sampling the process RSS and the Python heap
(tracemalloc) every tenth of the run. Flat numbers mean the recorder keeps no history.

Torch runs on one thread (``--threads``): on a shared CPU, extra threads mostly add
contention noise, and tiny models do not benefit from them anyway.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

import nn_doctor.record


def cnn() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """2 conv layers on 8×8 digits-like inputs, 10 classes."""
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(32 * 8 * 8, 10),
    )
    return model, torch.randn(64, 1, 8, 8), torch.randint(0, 10, (64,))


def mlp() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """784-256-256-10 with ReLUs, 10 classes."""
    model = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    return model, torch.randn(64, 784), torch.randint(0, 10, (64,))


def _time_steps(
    make: Callable[[], tuple[nn.Module, torch.Tensor, torch.Tensor]],
    steps: int,
    *,
    every: int | None,
    log: Path,
) -> float:
    """Mean ms per step over ``steps`` steps (after 20 warm-up steps); recorder if ``every``."""
    torch.manual_seed(0)
    model, x, y = make()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    rec = nn_doctor.record.attach(model, opt, log=log, every=every) if every else None

    def one(i: int) -> None:
        if rec is None:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
            return
        with rec.step(i, inputs=x, targets=y) as s:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            s.loss = loss

    for i in range(20):
        one(i)
    t0 = time.perf_counter()
    for i in range(20, 20 + steps):
        one(i)
    elapsed = time.perf_counter() - t0
    if rec is not None:
        rec.close()
    return elapsed / steps * 1000


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def memory_run(steps: int, log: Path) -> list[tuple[int, float, float]]:
    """(step, RSS MB, Python heap MB) ten times over a long recorded MLP run."""
    torch.manual_seed(0)
    model, x, y = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    samples = []
    tracemalloc.start()
    with nn_doctor.record.attach(model, opt, log=log, every=10) as rec:
        for i in range(steps):
            with rec.step(i, inputs=x, targets=y) as s:
                opt.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                opt.step()
                s.loss = loss
            if (i + 1) % max(1, steps // 10) == 0:
                samples.append((i + 1, _rss_mb(), tracemalloc.get_traced_memory()[0] / 2**20))
    tracemalloc.stop()
    return samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--long", type=int, default=20000, help="steps of the memory run")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "metrics.jsonl"
        print(f"every={args.every}, {args.steps} steps x {args.repeats} repeats, median")
        print(f"{'model':<6} {'without ms':>11} {'with ms':>9} {'overhead':>9} {'recorded ms':>12}")
        for name, make in (("cnn", cnn), ("mlp", mlp)):
            base, withr, each = [], [], []
            for _ in range(args.repeats):  # interleaved: load drifts hit both alike
                base.append(_time_steps(make, args.steps, every=None, log=log))
                withr.append(_time_steps(make, args.steps, every=args.every, log=log))
                each.append(_time_steps(make, args.steps // 4, every=1, log=log))
            b, w, e = (statistics.median(v) for v in (base, withr, each))
            print(f"{name:<6} {b:>11.3f} {w:>9.3f} {100 * (w - b) / b:>8.1f}% {e:>12.3f}")
        print("('recorded ms' = a step with every=1: the cost of one recorded step)")

        print(f"\nmemory over a {args.long}-step recorded MLP run (every={args.every}):")
        print(f"{'step':>7} {'RSS MB':>8} {'py heap MB':>11}")
        for step, rss, heap in memory_run(args.long, log):
            print(f"{step:>7} {rss:>8.1f} {heap:>11.2f}")


if __name__ == "__main__":
    main()
