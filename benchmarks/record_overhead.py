"""What the recorder costs per training step, and whether its memory grows with run length.

Run: ``python benchmarks/record_overhead.py [--every 10,25,50] [--rounds 15] [--long 20000]``

Models: a small CNN (2 conv layers on 8×8 single-channel images, batch 64) and an MLP
(784-256-256-10, batch 64), trained with SGD + momentum on random data (the recorder's cost does
not depend on what is learnt), logging JSONL through ``nn_doctor.record.attach`` (the default
writer).

How the overhead is measured so that other processes on a shared machine do not decide it:

* **CPU time of the training thread** (``time.thread_time``, torch on one thread): time spent
  waiting for a core another process holds is not counted. (Cache and memory-bandwidth
  contention still is: on a loaded 2-core machine a step's CPU time varies by ±20 %.)
* **The cost of recording one step**, from cycles of single steps each timed on its own: a
  recorded one (``every=1``), the plain step right after it, two more plain ones. It is
  (recorded − plain) + (step after − plain): a recorded step also slows the step after it
  (caches; and freed temporaries, until they went through reused buffers). Adjacent steps see
  the same load, and medians ignore the steps a context switch landed in. The spread is the
  range of that ratio over five chunks of the cycles.
* **Steps that are not recorded cost nothing**: blocks of steps wrapped in ``rec.step`` with an
  interval no step reaches ("never recorded") time like plain blocks. So the overhead at
  ``every=k`` is predicted as that cost / k / plain step; the worst chunk gives its pessimistic
  side.
* **Measured directly, too**: per round, a block of plain steps and a block of steps at each
  interval, back to back in alternating order, one model and optimizer in one process; the
  median and quartiles over rounds of (interval block / plain block − 1). A few percent of
  effect under ±10 % of block-to-block noise: read it as a check on the prediction.

Memory: long MLP runs without a recorder, at the default interval and with every step recorded;
the process RSS, the Python heap (tracemalloc) and the number of live tensors at 1k, 2k, 5k, 10k
and 20k steps. Python and torch settle in over the first few thousand steps (allocator pools,
free lists) with or without a recorder; after that, equal numbers at 10k and 20k mean the
recorder keeps no history.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import random
import statistics
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

import nn_doctor.record
from nn_doctor.record.recording import Recording

Make = Callable[[], tuple[nn.Module, torch.Tensor, torch.Tensor]]
NEVER = 10**12  # an interval no step of the benchmark reaches: wrapped, never recorded


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


def default_every() -> int:
    """The interval ``attach`` uses when none is given."""
    return int(inspect.signature(nn_doctor.record.attach).parameters["every"].default)


class Bench:
    """One model, its optimizer and a recorder, stepped in plain or recorded blocks."""

    def __init__(self, make: Make, log: Path) -> None:
        torch.manual_seed(0)
        self.model, self.x, self.y = make()
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.loss_fn = nn.CrossEntropyLoss()
        # One recorder per interval (the interval is fixed at attach time); all share the model,
        # and only one is ever inside a step, so the others have no hooks armed.
        self.log = log
        self.recs: dict[int, Recording] = {}
        self.step = 0

    def rec(self, every: int) -> Recording:
        if every not in self.recs:
            path = self.log / f"every{every}.jsonl"
            self.recs[every] = nn_doctor.record.attach(self.model, self.opt, log=path, every=every)
        return self.recs[every]

    def plain(self, n: int) -> tuple[float, float]:
        """(CPU s, wall s) of ``n`` plain steps."""
        model, opt, loss_fn, x, y = self.model, self.opt, self.loss_fn, self.x, self.y
        c0, w0 = time.thread_time(), time.perf_counter()
        for _ in range(n):
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        return time.thread_time() - c0, time.perf_counter() - w0

    def recorded(self, n: int, every: int) -> tuple[float, float]:
        """(CPU s, wall s) of ``n`` steps inside ``rec.step``; the step index starts at a
        multiple of ``every`` so that exactly ``n / every`` of them are recorded."""
        rec = self.rec(every)
        model, opt, loss_fn, x, y = self.model, self.opt, self.loss_fn, self.x, self.y
        base = -(-self.step // every) * every if every < NEVER else 1
        c0, w0 = time.thread_time(), time.perf_counter()
        for i in range(base, base + n):
            with rec.step(i, inputs=x, targets=y) as s:
                opt.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                opt.step()
                s.loss = loss
        elapsed = time.thread_time() - c0, time.perf_counter() - w0
        self.step = base + n
        return elapsed

    def close(self) -> None:
        for r in self.recs.values():
            r.close()


def quartiles(v: list[float]) -> tuple[float, float, float]:
    q1, q2, q3 = statistics.quantiles(v, n=4, method="inclusive")
    return q1, q2, q3


def step_cost(bench: Bench, cycles: int, chunks: int = 5) -> tuple[float, float, list[float]]:
    """(plain ms, extra ms of recording one step, per-chunk extra / plain).

    Cycles of four single steps, each timed on its own: a recorded one (``every=1``), the plain
    step right after it, and two more plain ones (the reference). The extra is
    (recorded − plain) + (plain after a recorded step − plain): a recorded step also slows the
    step after it (caches, allocator), a cost no timing of the recorded step alone shows.
    Adjacent steps see the same machine load, and medians ignore the steps a context switch
    landed in; ``chunks`` consecutive slices of the cycles give the spread.
    """
    rec = bench.rec(1)
    model, opt, loss_fn, x, y = bench.model, bench.opt, bench.loss_fn, bench.x, bench.y
    times: dict[str, list[float]] = {"rec": [], "after": [], "plain": []}
    for i in range(cycles):
        for kind in ("rec", "after", "plain", "plain"):
            c0 = time.thread_time()
            if kind == "rec":
                with rec.step(i, inputs=x, targets=y) as s:
                    opt.zero_grad()
                    loss = loss_fn(model(x), y)
                    loss.backward()
                    opt.step()
                    s.loss = loss
            else:
                opt.zero_grad()
                loss_fn(model(x), y).backward()
                opt.step()
            times[kind].append(time.thread_time() - c0)

    def extra(lo: int, hi: int) -> tuple[float, float]:
        p = statistics.median(times["plain"][2 * lo : 2 * hi])
        r = statistics.median(times["rec"][lo:hi])
        a = statistics.median(times["after"][lo:hi])
        return p, (r - p) + (a - p)

    p, e = extra(0, cycles)
    size = cycles // chunks
    ratios = [extra(j, j + size)[1] / extra(j, j + size)[0] for j in range(0, size * chunks, size)]
    return p * 1e3, e * 1e3, ratios


def measure(make: Make, intervals: list[int], rounds: int, block: int, log: Path) -> None:
    bench = Bench(make, log)
    kinds = [NEVER, *intervals]
    bench.plain(50)  # warm-up: allocator, caches, first-call paths
    for k in [1, *kinds]:
        bench.recorded(50 if k == 1 else block, k)

    p, e, ratios = step_cost(bench, cycles=rounds * 20)
    ratio = e / p
    print(
        f"  plain step {p:.3f} ms CPU; recording one step adds {e:.3f} ms = {100 * ratio:.0f}% "
        f"of a plain step (chunks: {100 * min(ratios):.0f}–{100 * max(ratios):.0f}%)"
    )

    cpu: dict[int, list[float]] = {k: [] for k in kinds}
    wall: dict[int, list[float]] = {k: [] for k in kinds}
    rng = random.Random(0)
    for r_ in range(rounds):
        order = kinds[:]
        rng.shuffle(order)
        for k in order:
            if r_ % 2:
                rc, rw = bench.recorded(block, k)
                pc, pw = bench.plain(block)
            else:
                pc, pw = bench.plain(block)
                rc, rw = bench.recorded(block, k)
            cpu[k].append(rc / pc - 1)
            wall[k].append(rw / pw - 1)
    bench.close()

    print(
        f"  {'interval':<14} {'predicted':>9} {'(worst chunk)':>13} {'measured':>9} "
        f"{'[q1, q3]':>17} {'wall':>7}"
    )
    for k in kinds:
        q1, q2, q3 = quartiles(cpu[k])
        if k == NEVER:
            label, pred, worst = "never recorded", "0.0%", ""
        else:
            label = f"every={k}"
            pred, worst = f"{100 * ratio / k:.1f}%", f"({100 * max(ratios) / k:.1f}%)"
        print(
            f"  {label:<14} {pred:>9} {worst:>13} {100 * q2:>8.1f}% "
            f"[{100 * q1:>6.1f}%, {100 * q3:>5.1f}%] {100 * statistics.median(wall[k]):>6.1f}%"
        )


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _live_tensors() -> int:
    gc.collect()
    with warnings.catch_warnings():  # isinstance() on some lazy torch module attributes warns
        warnings.simplefilter("ignore")
        return sum(1 for o in gc.get_objects() if isinstance(o, torch.Tensor))


def memory_run(steps: int, every: int | None, log: Path) -> list[tuple[int, float, float, int]]:
    """(step, RSS MB, Python heap MB, live tensors) at 1k, 2k, 5k, 10k, 20k … steps.

    ``every=None`` trains without a recorder: the baseline for what torch and Python themselves
    settle into over the first thousand steps (allocator pools, free lists, caches).
    """
    torch.manual_seed(0)
    model, x, y = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    marks = {m for m in (1000, 2000, 5000, 10000, 20000, 50000) if m < steps} | {steps}
    samples = []
    rec = nn_doctor.record.attach(model, opt, log=log, every=every) if every else None
    tracemalloc.start()
    for i in range(steps):
        if rec is None:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
        else:
            with rec.step(i, inputs=x, targets=y) as s:
                opt.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                opt.step()
                s.loss = loss
        if i + 1 in marks:
            live = _live_tensors()  # collects garbage first: the heap is then what is kept
            heap = tracemalloc.get_traced_memory()[0] / 2**20
            samples.append((i + 1, _rss_mb(), heap, live))
    tracemalloc.stop()
    if rec is not None:
        rec.close()
    return samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--every",
        default="",
        help="intervals, comma-separated (default: 10,25,50 and the attach() default)",
    )
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument(
        "--block", type=int, default=200, help="steps per block (a multiple of every interval)"
    )
    ap.add_argument("--long", type=int, default=20000, help="steps of the memory runs")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dflt = default_every()
    intervals = sorted({int(v) for v in args.every.split(",") if v} or {10, 25, 50, dflt})
    if any(args.block % k for k in intervals):
        ap.error("--block must be a multiple of every interval")

    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} thread(s); attach() default "
        f"every={dflt}; {args.rounds} rounds of paired {args.block}-step blocks; overhead = "
        "median over rounds of (recorded block / plain block - 1), CPU time"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in (("cnn", cnn), ("mlp", mlp)):
            print(f"\n{name}:")
            folder = Path(tmp) / name
            folder.mkdir()
            measure(make, intervals, args.rounds, args.block, folder)
        print(
            "\n(predicted = a recorded step's extra cost / every, as a share of a plain step:"
            " steps that are not recorded cost nothing, see 'never recorded'; measured = paired"
            " blocks of steps at that interval, median and quartiles over rounds)"
        )

        print(f"\nmemory over a {args.long}-step MLP run (py heap: tracemalloc; tensors: live)")
        print(f"  {'recorder':<9} {'step':>7} {'RSS MB':>8} {'py heap MB':>11} {'tensors':>8}")
        for every in (None, dflt, 1):
            label = "none" if every is None else f"every={every}"
            for step, rss, heap, live in memory_run(args.long, every, Path(tmp) / "mem.jsonl"):
                print(f"  {label:<9} {step:>7} {rss:>8.1f} {heap:>11.3f} {live:>8}")


if __name__ == "__main__":
    main()
