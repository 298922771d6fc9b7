"""The data sets of ``readers_speed.py``, written deterministically with the real writers.

Each file is what a user's training would leave behind, at the sizes PERF-NOTES measured:

* ``tb_scalars``: 1,000,000 scalar events (20 tags x 50,000 steps), ~56 MB. Built with
  tensorboardX's own summary constructor (``tensorboardX.summary.scalar``, what
  ``SummaryWriter.add_scalar`` calls) and framed by its ``RecordWriter``. The writer is driven
  directly instead of through ``SummaryWriter`` so the wall times (and the file) are the same on
  every machine: ``SummaryWriter`` stamps ``time.time()`` into every event.
* ``tb_histograms``: 50,000 scalars + 5,000 histograms (``tensorboardX.summary.histogram`` with
  the default ``"tensorflow"`` bins, as ``add_histogram`` writes them), ~35 MB.
* ``csv``: 1,000,000 rows x 20 columns (``step`` + 19 metrics), written by ``pandas.to_csv``
  (full ``repr`` precision, as Lightning's ``CSVLogger`` writes floats), ~370 MB.
* ``jsonl``: 500,000 lines as W&B's history writer lays them out (``json.dumps`` of one dict
  per log call; ``_step``, ``_runtime``, ``_timestamp`` and the metrics; validation keys on one
  line in 100), ~110 MB.

Files are written once into ``benchmarks/data/`` (git-ignored) and reused; ``--regenerate`` in
the benchmark rewrites them. Everything is seeded: the same bytes on every run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"

#: The fixed event-file name (a real writer's name carries the time, host and pid).
EVENT_NAME = "events.out.tfevents.1700000000.bench.4242.0"
WALL0 = 1_700_000_000.0


def _record_writer(path: Path) -> tuple[object, Callable[[object], None]]:
    from tensorboardX.proto.event_pb2 import Event
    from tensorboardX.record_writer import RecordWriter

    path.parent.mkdir(parents=True, exist_ok=True)
    writer = RecordWriter(str(path))
    # The first record of every event file, as EventFileWriter writes it.
    writer.write(Event(wall_time=WALL0, file_version="brain.Event:2").SerializeToString())

    def write(event: object) -> None:
        writer.write(event.SerializeToString())  # type: ignore[attr-defined]

    return writer, write


def write_tb_scalars(path: Path, n_steps: int = 50_000, n_tags: int = 20) -> Path:
    """``n_steps * n_tags`` scalar events, one ``add_scalar`` call each, step-major order."""
    from tensorboardX.proto.event_pb2 import Event
    from tensorboardX.summary import scalar

    rng = np.random.default_rng(0)
    tags = [f"train/metric_{k:02d}" for k in range(n_tags)]
    named = ["train/loss", "val/loss", "train/lr", "train/grad_norm"][:n_tags]
    tags[: len(named)] = named
    values = rng.standard_normal((n_steps, n_tags)).astype(np.float32)
    writer, write = _record_writer(path)
    for step in range(n_steps):
        wall = WALL0 + step * 0.05
        row = values[step]
        for k, tag in enumerate(tags):
            write(Event(wall_time=wall, step=step, summary=scalar(tag, float(row[k]))))
    writer.close()  # type: ignore[attr-defined]
    return path


def _tensorflow_bins() -> list[float]:
    """``SummaryWriter.default_bins``: what ``add_histogram(bins="tensorflow")`` bins with."""
    v, pos = 1e-12, []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    return [-x for x in reversed(pos)] + [0.0] + pos


def write_tb_histograms(
    path: Path, n_steps: int = 5_000, n_scalar_tags: int = 10, n_histo_tags: int = 5
) -> Path:
    """``add_scalar`` for 10 tags every step, ``add_histogram`` for 5 tags every 5th step."""
    from tensorboardX.proto.event_pb2 import Event
    from tensorboardX.summary import histogram, scalar

    rng = np.random.default_rng(1)
    scalar_tags = [f"train/metric_{k:02d}" for k in range(n_scalar_tags)]
    scalar_tags[0] = "train/loss"
    # Weights (both signs) and ReLU activations (zeros and positives), as a model logs them.
    histo_tags = [f"{'weights' if k % 2 else 'activations'}/layer{k}" for k in range(n_histo_tags)]
    every = max(1, n_steps * n_histo_tags // 5_000)
    bins = _tensorflow_bins()
    writer, write = _record_writer(path)
    for step in range(n_steps):
        wall = WALL0 + step * 0.5
        for tag, v in zip(scalar_tags, rng.standard_normal(n_scalar_tags), strict=True):
            write(Event(wall_time=wall, step=step, summary=scalar(tag, float(v))))
        if step % every == 0:
            for tag in histo_tags:
                values = rng.standard_normal(1_000) * 0.1
                if tag.startswith("activations"):
                    values = np.maximum(values, 0.0)
                write(Event(wall_time=wall, step=step, summary=histogram(tag, values, bins)))
    writer.close()  # type: ignore[attr-defined]
    return path


def write_csv(path: Path, n_rows: int = 1_000_000, n_metrics: int = 19) -> Path:
    """A wide metrics table: ``step`` and ``n_metrics`` float columns, no blanks."""
    import pandas as pd

    rng = np.random.default_rng(2)
    cols = {"step": np.arange(n_rows)}
    names = ["train_loss", "val_loss", "lr", "grad_norm"]
    names += [f"metric_{k:02d}" for k in range(n_metrics - len(names))]
    for name in names:
        cols[name] = rng.random(n_rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(cols).to_csv(path, index=False)
    return path


def write_jsonl(path: Path, n_lines: int = 500_000) -> Path:
    """W&B-style history lines: bookkeeping keys, train metrics, validation every 100 lines."""
    rng = np.random.default_rng(3)
    loss, acc, lr, gn, val_loss, val_acc = rng.random((6, n_lines)).tolist()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n_lines):
            row = {
                "_step": i,
                "_runtime": 0.25 * i,
                "_timestamp": WALL0 + 0.25 * i,
                "train/loss": loss[i],
                "train/acc": acc[i],
                "lr": lr[i],
                "grad_norm": gn[i],
                "epoch": i // 5_000,
            }
            if i % 100 == 99:
                row["val/loss"] = val_loss[i]
                row["val/acc"] = val_acc[i]
            fh.write(json.dumps(row) + "\n")
    return path


#: name -> (relative path, writer)
DATASETS: dict[str, tuple[str, Callable[[Path], Path]]] = {
    "tb_scalars": (f"tb_scalars/{EVENT_NAME}", write_tb_scalars),
    "tb_histograms": (f"tb_histograms/{EVENT_NAME}", write_tb_histograms),
    "csv": ("csv/metrics.csv", write_csv),
    "jsonl": ("jsonl/metrics.jsonl", write_jsonl),
}


def ensure(name: str, *, regenerate: bool = False, root: Path = DATA) -> Path:
    """The path of data set ``name``, written first if missing (or if ``regenerate``)."""
    rel, writer = DATASETS[name]
    path = root / rel
    if regenerate or not path.is_file():
        tmp = path.with_name(path.name + ".partial")
        if tmp.exists():
            tmp.unlink()
        writer(tmp)
        os.replace(tmp, path)
    return path


if __name__ == "__main__":
    import sys
    import time

    for name in sys.argv[1:] or list(DATASETS):
        t0 = time.perf_counter()
        p = ensure(name, regenerate=True)
        print(f"{name}: {p} {p.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s")
