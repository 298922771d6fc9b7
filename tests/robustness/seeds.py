"""Small valid logs of every format a reader understands: the seeds the fuzzers mutate.

Each seed is written into a folder by :func:`write_seed` and named ``(input format, path to
read, files the fuzzer may damage)``. Event files are framed by tensorboardX's ``RecordWriter``
(the real writer); text formats are written the way their tools write them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

EVENT_NAME = "events.out.tfevents.1700000000.host.42.0"


@dataclass(frozen=True)
class Seed:
    """A written seed: read ``path`` with reader ``fmt``; ``files`` are the ones to damage."""

    fmt: str
    path: Path
    files: tuple[Path, ...]


def events_bytes(n: int = 6, histograms: bool = True, hparams: bool = True) -> bytes:
    """An event file's bytes: file_version, scalars, a histogram and an hparams session."""
    import io

    import numpy as np
    from tensorboardX.proto.event_pb2 import Event
    from tensorboardX.summary import histogram, scalar
    from tensorboardX.summary import hparams as hp_summary

    from nn_doctor.readers._tfrecord import masked_crc32c

    out = io.BytesIO()

    def record(ev: Event) -> None:
        data = ev.SerializeToString()
        head = len(data).to_bytes(8, "little")
        out.write(head + masked_crc32c(head).to_bytes(4, "little"))
        out.write(data + masked_crc32c(data).to_bytes(4, "little"))

    record(Event(wall_time=1.7e9, file_version="brain.Event:2"))
    if hparams:
        exp, ssi, sei = hp_summary({"lr": 0.1, "opt": "adam"}, {"hp/acc": 0.5})
        for s in (exp, ssi, sei):
            record(Event(wall_time=1.7e9, summary=s))
    for step in range(n):
        record(
            Event(wall_time=1.7e9 + step, step=step, summary=scalar("train/loss", 2 / (step + 1)))
        )
        record(Event(wall_time=1.7e9 + step, step=step, summary=scalar("lr", 1e-3)))
        if histograms and step % 3 == 0:
            values = np.linspace(-1, 1, 50) * (step + 1)
            h = histogram("weights/fc", values, bins=np.linspace(-8, 8, 17))
            record(Event(wall_time=1.7e9 + step, step=step, summary=h))
    return out.getvalue()


def _rows(n: int, keys: list[str]) -> list[dict[str, float]]:
    return [{k: round(1.0 / (i + 1 + j), 6) for j, k in enumerate(keys)} for i in range(n)]


def _tensorboard(root: Path) -> Seed:
    run = root / "tb"
    run.mkdir()
    (run / EVENT_NAME).write_bytes(events_bytes())
    (run / "hparams.yaml").write_text("lr: 0.1\nmodel:\n  depth: 4\n")
    return Seed("tensorboard", run, (run / EVENT_NAME, run / "hparams.yaml"))


def _csv(root: Path) -> Seed:
    p = root / "scalars.csv"
    lines = ["step,train_loss,val_loss,lr"]
    lines += [f"{i},{2 / (i + 1)},{'' if i % 2 else 2.1 / (i + 1)},1e-3" for i in range(12)]
    p.write_text("\n".join(lines) + "\n")
    return Seed("csv", p, (p,))


def _keras_csv(root: Path) -> Seed:
    p = root / "training.log"
    lines = ["epoch,accuracy,loss,val_accuracy,val_loss"]
    lines += [f"{i},{0.5 + i / 40},{1 / (i + 1)},{0.5 + i / 50},NA" for i in range(10)]
    p.write_text("\n".join(lines) + "\n")
    return Seed("keras-csv", p, (p,))


def _lightning(root: Path) -> Seed:
    run = root / "lightning_logs" / "version_0"
    run.mkdir(parents=True)
    lines = ["epoch,step,train_loss,val_loss"]
    for i in range(10):
        lines.append(f"{i // 3},{i * 10},{1 / (i + 1)},")
        if i % 3 == 2:
            lines.append(f"{i // 3},{i * 10},,{1.1 / (i + 1)}")
    (run / "metrics.csv").write_text("\n".join(lines) + "\n")
    (run / "hparams.yaml").write_text("lr: 0.01\nbatch_size: 32\n")
    return Seed("lightning", run, (run / "metrics.csv", run / "hparams.yaml"))


def _yolo(root: Path) -> Seed:
    run = root / "detect" / "exp"
    run.mkdir(parents=True)
    head = "epoch,train/box_loss,train/cls_loss,metrics/mAP50(B),val/box_loss,lr/pg0"
    lines = [",".join(f"{c:>20}" for c in head.split(","))]
    lines += [
        ",".join(f"{v:>20}" for v in (i, 1 / (i + 1), 0.5 / (i + 1), i / 20, 1.1 / (i + 1), 0.01))
        for i in range(8)
    ]
    (run / "results.csv").write_text("\n".join(lines) + "\n")
    (run / "args.yaml").write_text("lr0: 0.01\nbatch: 16\nepochs: 8\n")
    return Seed("yolo", run, (run / "results.csv", run / "args.yaml"))


def _hf_trainer(root: Path) -> Seed:
    run = root / "hf"
    run.mkdir()
    history = [
        {"loss": 2 / (i + 1), "learning_rate": 5e-5, "epoch": i / 4, "step": i * 10}
        for i in range(1, 9)
    ]
    history.append({"eval_loss": 0.9, "epoch": 2.0, "step": 80})
    state = {"global_step": 80, "log_history": history, "train_batch_size": 8}
    (run / "trainer_state.json").write_text(json.dumps(state, indent=2))
    return Seed("hf-trainer", run, (run / "trainer_state.json",))


def _detectron2(root: Path) -> Seed:
    run = root / "output"
    run.mkdir()
    rows = [
        {"iteration": 20 * i, "total_loss": 3 / (i + 1), "lr": 0.02, "time": 0.3} for i in range(10)
    ]
    (run / "metrics.json").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return Seed("detectron2", run / "metrics.json", (run / "metrics.json",))


def _jsonl(root: Path) -> Seed:
    p = root / "metrics.jsonl"
    rows = [{"step": i, **r} for i, r in enumerate(_rows(15, ["loss", "val_loss", "lr"]))]
    rows[4]["loss"] = math.nan
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return Seed("jsonl", p, (p,))


def _keras_history(root: Path) -> Seed:
    p = root / "history.json"
    p.write_text(json.dumps({"loss": [1.0, 0.7, 0.5, 0.45], "val_loss": [1.1, 0.8, None, 0.6]}))
    return Seed("keras-history", p, (p,))


def _tb_export(root: Path) -> Seed:
    p = root / "run-exp1-tag-train_loss.csv"
    p.write_text(
        "Wall time,Step,Value\n" + "".join(f"1700000000.{i},{i},{1 / (i + 1)}\n" for i in range(10))
    )
    return Seed("tb-export", p, (p,))


def _mlflow(root: Path) -> Seed:
    run = root / "mlruns" / "0" / "abc123"
    (run / "metrics").mkdir(parents=True)
    (run / "params").mkdir()
    (run / "meta.yaml").write_text("run_id: abc123\nstatus: 3\n")
    (run / "metrics" / "loss").write_text(
        "".join(f"17000000{i}000 {1 / (i + 1)} {i}\n" for i in range(8))
    )
    (run / "params" / "lr").write_text("0.01")
    return Seed("mlflow", run, (run / "metrics" / "loss", run / "meta.yaml", run / "params" / "lr"))


def _console(root: Path) -> Seed:
    p = root / "train.log"
    p.write_text("".join(f"step {i * 10} loss={1 / (i + 1):.4f} lr=1e-3\n" for i in range(12)))
    return Seed("console", p, (p,))


#: Every reader's seed, by input-format name (``nn-doctor formats``).
SEEDS: dict[str, Callable[[Path], Seed]] = {
    "tensorboard": _tensorboard,
    "csv": _csv,
    "keras-csv": _keras_csv,
    "lightning": _lightning,
    "yolo": _yolo,
    "hf-trainer": _hf_trainer,
    "detectron2": _detectron2,
    "jsonl": _jsonl,
    "keras-history": _keras_history,
    "tb-export": _tb_export,
    "mlflow": _mlflow,
    "console": _console,
}


def write_seed(fmt: str, root: Path) -> Seed:
    """Write the seed of ``fmt`` under ``root`` (an empty or new folder)."""
    root.mkdir(parents=True, exist_ok=True)
    return SEEDS[fmt](root)
