"""A log read incrementally while it grows ends as the format's reader reads the finished file.

Each log is copied into place in random slices (cut mid-line, mid-number, mid-record), the
tailer polls after every slice, and its run must equal ``read()`` of the finished copy: the same
frame (signals, steps, values, NaN included), axis, run label, config, warnings and ignored list.
This is what keeps the watch profiles honest about the readers' options.
"""

from __future__ import annotations

import json
import math
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from nn_doctor.frame import RawRun, build_frame
from nn_doctor.readers import discover, load
from nn_doctor.readers._tblayout import is_event_file_name
from nn_doctor.watch.events import EventTail
from nn_doctor.watch.source import tailer_for

REALWORLD = Path(__file__).resolve().parents[2].parent / "shared" / "realworld"


def assert_same_run(got: RawRun, want: RawRun) -> None:
    a, b = build_frame(got), build_frame(want)
    assert list(a.data["signal"].astype(str)) == list(b.data["signal"].astype(str))
    assert np.array_equal(a.data["step"].to_numpy(), b.data["step"].to_numpy())
    assert np.allclose(a.data["value"], b.data["value"], equal_nan=True)
    assert (got.format, got.axis, got.run, got.config) == (
        want.format,
        want.axis,
        want.run,
        want.config,
    )
    assert sorted(got.warnings) == sorted(want.warnings)
    assert sorted(got.ignored) == sorted(want.ignored)


def grow(src: Path, dst: Path, reader: str, rng: random.Random) -> RawRun:
    """Copy the run at ``src`` to ``dst`` slice by slice, following it; the tailer's run."""
    base = src if src.is_dir() else src.parent
    want = load(reader).read(src)[-1]
    logs = [Path(f) for f in want.files if Path(f).is_file() and Path(f).suffix != ".yaml"]
    for f in base.rglob("*"):  # configs and the rest arrive whole, before the log grows
        if f.is_file() and f not in logs:
            (dst / f.relative_to(base)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(f, dst / f.relative_to(base))
    data = {f: f.read_bytes() for f in logs}
    done = {}
    for f in logs:  # text logs start with their first line (what find() waits for)
        binary = is_event_file_name(f.name)
        done[f] = 0 if binary else data[f].find(b"\n") + 1
        (dst / f.relative_to(base)).parent.mkdir(parents=True, exist_ok=True)
        (dst / f.relative_to(base)).write_bytes(data[f][: done[f]])
    target = dst / src.relative_to(base) if src.is_file() else dst
    if reader != "tensorboard" and src.is_dir():
        (log,) = logs
        target = dst / log.relative_to(base)
    tail = tailer_for(reader, target)
    tail.poll()
    while any(done[f] < len(data[f]) for f in logs):
        f = rng.choice([f for f in logs if done[f] < len(data[f])])
        n = rng.randint(1, max(1, len(data[f]) // 6))
        with open(dst / f.relative_to(base), "ab") as fh:
            fh.write(data[f][done[f] : done[f] + n])
        done[f] += n
        tail.poll()
    tail.poll()
    got = tail.raw()
    assert_same_run(got, load(reader).read(target)[-1])
    return got


# -- generated logs, one per followed format ------------------------------------------------


def _csv(path: Path) -> None:
    rows = ["step,loss,val_loss,lr,note"]
    for i in range(60):
        val = "" if i % 5 else ("nan" if i == 40 else f"{1.2 - i / 100:.4f}")
        loss = "oops" if i == 17 else f"{1 / (i + 1):.5f}"
        rows.append(f"{i * 10},{loss},{val},0.001,hello")
    path.write_text("\n".join(rows) + "\n")


def _keras(path: Path) -> None:
    head = "epoch,accuracy,loss,val_accuracy,val_loss"
    run1 = [f"{e},{0.5 + e / 20:.3f},{1 / (e + 1):.4f},NA,NA" for e in range(6)]
    run2 = [
        f"{e},{0.4 + e / 25:.3f},{1.5 / (e + 1):.4f},{0.4:.3f},{1.1 - e / 20:.4f}" for e in range(8)
    ]
    path.write_text("\n".join([head, *run1, *run2]) + "\n")


def _lightning(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "hparams.yaml").write_text("lr: 0.01\nbatch_size: 32\n")
    rows = ["epoch,step,train_loss,val_loss,val_acc"]
    for s in range(1, 80):
        rows.append(f"{s // 20},{s},{2 / s:.5f},,")
        if s % 20 == 19:
            rows.append(f"{s // 20},{s},,{2.2 / s:.5f},{s / 100:.3f}")
    (folder / "metrics.csv").write_text("\n".join(rows) + "\n")


def _yolo(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "args.yaml").write_text("lr0: 0.01\nbatch: 16\nepochs: 30\n")
    cols = [
        "epoch",
        "train/box_loss",
        "train/cls_loss",
        "metrics/mAP50(B)",
        "val/box_loss",
        "lr/pg0",
    ]
    rows = ["".join(f"{c:>20}," for c in cols).rstrip(",")]
    for e in range(1, 31):
        vals = [e, 1.5 / e, 2.0 / e, e / 40, 1.6 / e, 0.01]
        rows.append(",".join(f"{v:>20}" for v in vals))
    (folder / "results.csv").write_text("\n".join(rows) + "\n")


def _wandb(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text("lr:\n  desc: null\n  value: 0.003\n")
    lines = []
    for s in range(50):
        rec: dict[str, object] = {"_step": s, "_runtime": s * 1.5, "loss": 1 / (s + 1)}
        if s % 10 == 9:
            rec["val"] = {"loss": 1.1 / (s + 1), "acc": " 0.5"}
        if s == 30:
            rec["loss"] = math.nan
        lines.append(json.dumps(rec))
    (folder / "wandb-history.jsonl").write_text("\n".join(lines) + "\n")


def _detectron2(folder: Path) -> None:
    folder.mkdir(parents=True)
    lines = []
    for it in range(19, 800, 20):
        rec = {"iteration": it, "total_loss": 3 / (it + 1) ** 0.3, "lr": 0.02, "time": 0.3}
        lines.append(json.dumps(rec))
        if it % 200 == 199:
            lines.append(json.dumps({"iteration": it, "bbox/AP": it / 20}))
    (folder / "metrics.json").write_text("\n".join(lines) + "\n")


def _tensorboard(folder: Path) -> None:
    tbx = pytest.importorskip("tensorboardX")
    with tbx.SummaryWriter(str(folder), filename_suffix=".a") as w:
        for s in range(120):
            w.add_scalar("loss", 2 / (s + 1), s)
            w.add_scalar("lr", 0.01, s)
            if s % 30 == 0:
                w.add_histogram("fc1/grad", np.linspace(-1, 1, 50) * (s + 1), s)
        w.add_scalar("loss", math.nan, 120)
    with tbx.SummaryWriter(str(folder), filename_suffix=".b") as w:  # a restart at step 100
        for s in range(100, 160):
            w.add_scalar("loss", 3 / (s + 1), s)


GENERATED = {
    "csv": ("csv_table", _csv, "run.csv"),
    "keras": ("keras_csv", _keras, "training.log"),
    "lightning": ("lightning", _lightning, "version_0"),
    "yolo": ("yolo", _yolo, "train"),
    "wandb": ("jsonl", _wandb, "files"),
    "detectron2": ("detectron2", _detectron2, "output"),
    "tensorboard": ("tensorboard", _tensorboard, "runs"),
}


@pytest.mark.parametrize("kind", sorted(GENERATED))
@pytest.mark.parametrize("seed", [0, 1])
def test_growing_log_reads_like_the_finished_file(tmp_path: Path, kind: str, seed: int) -> None:
    reader, make, name = GENERATED[kind]
    src = tmp_path / "src" / name
    src.parent.mkdir()
    make(src)
    assert [s.reader for s in discover(src)] == [reader]
    dst = tmp_path / "dst"
    dst.mkdir()
    raw = grow(src, dst, reader, random.Random(seed))
    assert len(raw.records)


def test_event_records_are_decoded_once_and_only_when_complete(tmp_path: Path) -> None:
    src = tmp_path / "src"
    _tensorboard(src)
    first = min(src.glob("*tfevents*"))
    data = first.read_bytes()
    run = tmp_path / "run"
    run.mkdir()
    log = run / first.name
    log.write_bytes(data[:1000])
    tail = EventTail(run)
    n1 = tail.poll().records
    off = tail.files[log].tail.offset
    assert 0 < off < 1000  # the last good offset: the end of the last complete record
    assert tail.files[log].tail.pending == data[off:1000]  # a record cut mid-write waits
    with open(log, "ab") as fh:
        fh.write(data[1000:])
    n2 = tail.poll().records
    assert tail.poll().records == 0
    assert tail.bytes_read == len(data)  # every byte read once
    assert tail.records_parsed == n1 + n2
    full = load("tensorboard").read(log)[0]
    events = len(load("tensorboard").read(log)[0].records)
    assert len(tail.raw().records) == events == len(full.records)


def test_a_new_event_file_in_the_folder_is_followed(tmp_path: Path) -> None:
    tbx = pytest.importorskip("tensorboardX")
    run = tmp_path / "run"
    with tbx.SummaryWriter(str(run), filename_suffix=".1") as w:
        for s in range(10):
            w.add_scalar("loss", 1.0, s)
    tail = EventTail(run)
    tail.poll()
    with tbx.SummaryWriter(str(run), filename_suffix=".2") as w:
        for s in range(10, 20):
            w.add_scalar("loss", 2.0, s)
    got = tail.poll()
    assert any("new event file" in n for n in got.notes)
    frame = build_frame(tail.raw())
    assert list(frame.series("train_loss").index) == list(range(20))


def _realworld_runs() -> list[tuple[str, Path]]:
    if not REALWORLD.is_dir():
        return []
    return [(src.reader, src.path) for src in discover(REALWORLD)]


@pytest.mark.realworld
@pytest.mark.skipif(not REALWORLD.is_dir(), reason="shared/realworld is not beside this checkout")
@pytest.mark.parametrize(
    ("reader", "src"),
    _realworld_runs(),
    ids=lambda v: str(v.relative_to(REALWORLD)) if isinstance(v, Path) else str(v),
)
def test_real_logs_grown_slice_by_slice_read_like_the_reader(
    tmp_path: Path, reader: str, src: Path
) -> None:
    runs = load(reader).read(src)
    logs = [f for f in runs[-1].files if Path(f).is_file() and not f.endswith(".yaml")]
    if len(runs) > 1 or (reader != "tensorboard" and len(logs) != 1):
        pytest.skip("several logs or runs in one source: watch follows one log")
    grow(src, tmp_path, reader, random.Random(7))
