"""How fast ``nn-doctor audit`` goes through a tree of runs, beside what a user would write.

Two trees are generated deterministically (seeded) into a temporary folder, in real formats:
plain CSV (``metrics.csv``), Lightning CSVLogger (``lightning_logs/version_N/metrics.csv`` +
``hparams.yaml``) and Hugging Face Trainer (``trainer_state.json``), a third of each; a
quarter of the runs diverge, a quarter overfit, the rest are healthy.

- ``small``: 1,000 runs of 150-300 logged steps (what most sweeps leave behind);
- ``large``: 50 runs of 50,000 logged steps (8 metrics for CSV/Lightning).

Each contender runs in a fresh process, so imports and the start of the worker pool are part of
the bill as they are for a user:

- ``nn-doctor audit`` cold (``--no-cache``), with 1 worker and with ``--jobs`` workers;
- ``nn-doctor audit`` warm: the same tree again with the cache filled (nothing changed);
- the baseline: a loop of ``pandas.read_csv`` / ``json.load`` with a hand-written check
  ("the loss ended far above its minimum, or is not finite"), serial, as a script would do it.

Each is run ``--repeat`` times (default 3) and the median is printed: seconds, runs per second,
and CPU seconds of the whole process tree. On Linux this script makes itself the "child
subreaper", so the forkserver (and the pool workers it forked, which it reaps) come back to it
when the audit exits and their CPU time is counted too; elsewhere the pool's CPU is missing.
On a shared machine the wall-clock figures depend on the load (printed first), the CPU seconds
much less.

``--stages`` adds, in this process, the CPU milliseconds per run of the small tree split into
reading, building the frame and the rules (median of 3 passes after a warm-up).

Run: ``python benchmarks/audit_speed.py`` (``--small 1000 --large 50 --jobs 2``; ``--keep DIR``
leaves the trees there).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

SHAPES = ("healthy", "healthy", "diverged", "overfit")


def _curves(rng: np.random.Generator, n: int, shape: str) -> dict[str, np.ndarray]:
    """Train/val loss, accuracy, lr and grad norm curves of one run (shape only, seeded)."""
    t = np.arange(n, dtype=float)
    tau = n / rng.uniform(4, 8)
    start = rng.uniform(1.5, 3.0)
    floor = rng.uniform(0.02, 0.2)
    train = start * np.exp(-t / tau) + floor
    val = train * 1.1 + 0.02
    if shape == "diverged":
        k = int(n * rng.uniform(0.4, 0.6))
        train[k:] = train[k] * np.exp((t[k:] - k) / (n / 12))
        val[k:] = train[k:] * 1.2
    elif shape == "overfit":
        k = int(n * 0.4)
        val[k:] = val[k] + (t[k:] - k) / n * start
    noise = rng.normal(0, 0.01, n)
    train = train * (1 + noise)
    acc = 1 - np.clip(train / start, 0, 1) * 0.9
    return {
        "train_loss": train,
        "val_loss": val,
        "train_acc": acc,
        "val_acc": acc * 0.97,
        "lr": np.full(n, 1e-3),
        "grad_norm": 1.0 + train * 2,
        "weight_norm": np.linspace(10, 12, n),
        "epoch": np.floor(t / max(1, n // 20)),
    }


def _write_csv(path: Path, cols: dict[str, np.ndarray]) -> None:
    n = len(cols["train_loss"])
    data = np.column_stack([np.arange(n), *cols.values()])
    header = "step," + ",".join(cols)
    np.savetxt(path, data, delimiter=",", header=header, comments="", fmt="%.6g")


def _write_lightning(folder: Path, cols: dict[str, np.ndarray], every_val: int) -> None:
    """Lightning's sparse layout: train rows and, every few steps, a validation row."""
    folder.mkdir(parents=True)
    n = len(cols["train_loss"])
    lines = ["epoch,step,train_loss,train_acc,lr,grad_norm,val_loss,val_acc"]
    for i in range(n):
        c = {k: v[i] for k, v in cols.items()}
        lines.append(
            f"{int(c['epoch'])},{i},{c['train_loss']:.6g},{c['train_acc']:.6g},"
            f"{c['lr']:.6g},{c['grad_norm']:.6g},,"
        )
        if i % every_val == every_val - 1:
            lines.append(f"{int(c['epoch'])},{i},,,,,{c['val_loss']:.6g},{c['val_acc']:.6g}")
    (folder / "metrics.csv").write_text("\n".join(lines) + "\n")
    (folder / "hparams.yaml").write_text("lr: 0.001\nbatch_size: 64\noptimizer: adam\n")


def _write_hf(folder: Path, cols: dict[str, np.ndarray], every_val: int) -> None:
    folder.mkdir(parents=True)
    n = len(cols["train_loss"])
    hist: list[dict[str, float]] = []
    for i in range(n):
        hist.append(
            {
                "epoch": float(cols["epoch"][i]),
                "step": i + 1,
                "loss": round(float(cols["train_loss"][i]), 6),
                "learning_rate": float(cols["lr"][i]),
                "grad_norm": round(float(cols["grad_norm"][i]), 6),
            }
        )
        if i % every_val == every_val - 1:
            hist.append({"epoch": float(cols["epoch"][i]), "step": i + 1,
                         "eval_loss": round(float(cols["val_loss"][i]), 6)})  # fmt: skip
    state = {"global_step": n, "train_batch_size": 32, "log_history": hist}
    (folder / "trainer_state.json").write_text(json.dumps(state))


def make_tree(root: Path, runs: int, steps: tuple[int, int], seed: int) -> Path:
    """Write ``runs`` runs (a third per format) under ``root``; return ``root``."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    for k in range(runs):
        n = int(rng.integers(steps[0], steps[1] + 1))
        shape = SHAPES[k % len(SHAPES)]
        cols = _curves(rng, n, shape)
        group = root / f"sweep{k // 100:03d}"
        kind = k % 3
        if kind == 0:
            folder = group / f"csv_{k:05d}_{shape}"
            folder.mkdir(parents=True)
            _write_csv(folder / "metrics.csv", cols)
        elif kind == 1:
            folder = group / f"pl_{k:05d}_{shape}" / "lightning_logs" / "version_0"
            _write_lightning(folder, cols, every_val=max(1, n // 20))
        else:
            _write_hf(group / f"hf_{k:05d}_{shape}", cols, every_val=max(1, n // 20))
    return root


BASELINE = r"""
import json, math, os, sys, time
t0 = time.perf_counter()
import pandas as pd
flagged = runs = 0
for dirpath, dirnames, filenames in os.walk(sys.argv[1]):
    dirnames.sort()
    for name in filenames:
        path = os.path.join(dirpath, name)
        if name == "metrics.csv":
            df = pd.read_csv(path)
            loss = df["train_loss"].dropna().to_numpy()
        elif name == "trainer_state.json":
            with open(path) as fh:
                hist = json.load(fh)["log_history"]
            df = pd.DataFrame(hist)
            loss = df["loss"].dropna().to_numpy()
        else:
            continue
        runs += 1
        # the hand-written check: the loss ended far above its minimum, or is not finite
        if not all(map(math.isfinite, loss)) or loss[-1] > 2 * loss.min():
            flagged += 1
print(json.dumps({"runs": runs, "flagged": flagged, "seconds": time.perf_counter() - t0}))
"""


_CPU = [0.0]  # CPU seconds of the last command (its process tree, see _subreaper)
_REAPER = [False]


def _subreaper() -> bool:
    """Adopt orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``) so their CPU is counted.

    A process pool's forkserver outlives the audit by a moment and is no child of ours: without
    this its CPU (and that of the workers it forked and reaped) never reaches RUSAGE_CHILDREN.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _reap(deadline_s: float = 10.0) -> None:
    """Wait for adopted orphans (a forkserver exits once the audit that started it is gone)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.01)


def _timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    elapsed = time.perf_counter() - t0
    if _REAPER[0]:
        _reap()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    _CPU[0] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed, proc.stdout


def _median_of(repeat: int, run: Any) -> tuple[float, int, float]:
    """Median seconds, the run count, median CPU seconds of ``repeat`` calls of ``run()``."""
    times, cpus, n = [], [], 0
    for _ in range(repeat):
        t, n = run()
        times.append(t)
        cpus.append(_CPU[0])
    return statistics.median(times), n, statistics.median(cpus)


def _audit(tree: Path, jobs: int, cache: Path | None) -> tuple[float, int]:
    cmd = [sys.executable, "-m", "nn_doctor", "audit", str(tree), "--format", "csv",
           "--jobs", str(jobs), "--no-progress"]  # fmt: skip
    cmd += ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    if jobs == 1:
        cmd += ["--executor", "serial"]
    elapsed, out = _timed(cmd)
    return elapsed, max(0, len(out.strip().splitlines()) - 1)


def bench(
    tree: Path, jobs: int, work: Path, repeat: int = 3
) -> list[tuple[str, float, int, float]]:
    """(contender, median seconds, runs, median CPU seconds) for one tree."""
    rows = []
    t, n, cpu = _median_of(repeat, lambda: _audit(tree, 1, None))
    rows.append(("nn-doctor audit, 1 process (cold)", t, n, cpu))
    t, n, cpu = _median_of(repeat, lambda: _audit(tree, jobs, None))
    rows.append((f"nn-doctor audit --jobs {jobs} (cold)", t, n, cpu))
    cache = work / f"cache-{tree.name}"
    _audit(tree, jobs, cache)  # fill
    t, n, cpu = _median_of(repeat, lambda: _audit(tree, jobs, cache))
    rows.append((f"nn-doctor audit --jobs {jobs} (warm cache)", t, n, cpu))

    def baseline() -> tuple[float, int]:
        t, out = _timed([sys.executable, "-c", BASELINE, str(tree)])
        return t, int(json.loads(out)["runs"])

    t, n, cpu = _median_of(repeat, baseline)
    rows.append(("baseline: pd.read_csv/json loop + check", t, n, cpu))
    return rows


STAGES = r"""
import json, statistics, sys, time
from pathlib import Path
from nn_doctor.audit.worker import dumps_run
from nn_doctor.engine.diagnosis import diagnose_frame
from nn_doctor.engine.load import load_rules
from nn_doctor.frame import build_frame
from nn_doctor.readers import discover, load
t0 = time.process_time(); rules = load_rules(); load_ms = (time.process_time() - t0) * 1e3
sources = list(discover(Path(sys.argv[1])))
passes = []
for _ in range(4):
    read = frame = rules_ms = 0.0
    for s in sources:
        a = time.process_time(); raws = load(s.reader).read(s.path); b = time.process_time()
        read += b - a
        for raw in raws:
            f = build_frame(raw); c = time.process_time()
            dumps_run(diagnose_frame(f, rules=rules).to_dict()); d = time.process_time()
            frame += c - b; rules_ms += d - c; b = d
    passes.append((read, frame, rules_ms))
k = len(sources)
med = [statistics.median(p[i] for p in passes[1:]) / k * 1e3 for i in range(3)]
print(json.dumps({"runs": k, "load_rules_ms": load_ms, "read": med[0], "frame": med[1],
                  "rules": med[2]}))
"""


def stages(tree: Path) -> dict[str, float]:
    """CPU ms per run: read, build_frame, rules (diagnose_frame + JSON), in one warm process."""
    _, out = _timed([sys.executable, "-c", STAGES, str(tree)])
    return dict(json.loads(out))


def main(argv: list[str] | None = None) -> None:
    """Generate the trees, time every contender, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--small", type=int, default=1000, help="runs in the small tree")
    ap.add_argument("--large", type=int, default=50, help="runs in the large tree")
    ap.add_argument("--large-steps", type=int, default=50_000, help="logged steps per large run")
    ap.add_argument("--jobs", type=int, default=2, help="workers for the parallel audit")
    ap.add_argument("--keep", type=Path, help="write the trees here and keep them")
    ap.add_argument("--repeat", type=int, default=3, help="runs per contender (median)")
    ap.add_argument("--stages", action="store_true", help="CPU ms per small run, by stage")
    args = ap.parse_args(argv)
    _REAPER[0] = _subreaper()
    work = args.keep or Path(tempfile.mkdtemp(prefix="nn-doctor-bench-"))
    try:
        t0 = time.perf_counter()
        trees = []
        if args.small:
            trees.append(("small", make_tree(work / "small", args.small, (150, 300), seed=1)))
        if args.large:
            n = args.large_steps
            trees.append(("large", make_tree(work / "large", args.large, (n, n), seed=2)))
        print(f"generated in {time.perf_counter() - t0:.1f} s under {work}", file=sys.stderr)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"{os.cpu_count()} CPUs, load average {load:.1f} at start", file=sys.stderr)
        print(
            f"{'tree':<6} {'contender':<42} {'runs':>6} {'seconds':>8} {'runs/s':>8} "
            f"{'cpu s':>7} {'cpu ms/run':>10}"
        )
        for label, tree in trees:
            for name, seconds, runs, cpu in bench(tree, args.jobs, work, args.repeat):
                rate = runs / seconds if seconds > 0 else math.inf
                per = cpu / runs * 1e3 if runs else math.nan
                line = (
                    f"{label:<6} {name:<42} {runs:>6} {seconds:>8.2f} {rate:>8.1f} "
                    f"{cpu:>7.1f} {per:>10.1f}"
                )
                print(line, flush=True)
        if args.stages and args.small:
            st = stages(work / "small")
            print(
                f"small runs, CPU ms per run in one warm process: read {st['read']:.1f}, "
                f"build frame {st['frame']:.1f}, rules {st['rules']:.1f} "
                f"(total {st['read'] + st['frame'] + st['rules']:.1f}); "
                f"loading the rules {st['load_rules_ms']:.0f} ms"
            )
        end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"load average {end:.1f} at the end", file=sys.stderr)
        print(
            f"median of {args.repeat}; cpu s: CPU time of the command's whole process tree"
            + ("" if _REAPER[0] else " (pool workers not counted on this platform)"),
            file=sys.stderr,
        )
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
