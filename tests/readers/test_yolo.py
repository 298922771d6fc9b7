"""Ultralytics and YOLOv5 results.csv: padded headers and cells, zero placeholders, config."""

from __future__ import annotations

from pathlib import Path

from nn_doctor.api import read_runs
from nn_doctor.readers import detect_file

V5_COLS = (
    "epoch", "train/box_loss", "train/obj_loss", "train/cls_loss", "metrics/precision",
    "metrics/recall", "metrics/mAP_0.5", "metrics/mAP_0.5:0.95", "val/box_loss",
    "val/obj_loss", "val/cls_loss", "x/lr0", "x/lr1", "x/lr2",
)  # fmt: skip


def _v5(tmp_path: Path, epochs: int = 4) -> Path:
    d = tmp_path / "exp2"
    d.mkdir()
    lines = [",".join(f"{c:>20}" for c in V5_COLS)]
    for e in range(epochs):
        vals = [
            e,
            0.1 / (e + 1),
            0.04,
            0,
            0.5,
            0.4,
            0.3 + e / 10,
            0.1,
            0.09,
            0.03,
            0,
            0.07,
            0.003,
            0.003,
        ]
        lines.append(",".join(f"{v:>20.5g}" for v in vals))
    (d / "results.csv").write_text("\n".join(lines) + "\n")
    (d / "hyp.yaml").write_text("lr0: 0.01\nmomentum: 0.937\nweight_decay: 0.0005\n")
    (d / "opt.yaml").write_text("epochs: 300\nbatch_size: 16\nhyp: data/hyps/hyp.scratch.yaml\n")
    return d


def test_yolov5_padded_results(tmp_path: Path) -> None:
    d = _v5(tmp_path)
    [f] = read_runs(d)
    assert f.format == "yolo" and f.axis == "epoch"
    assert f.series("train_loss").index.tolist() == [0, 1, 2, 3]
    assert f.sources["train_loss"] == "train/box_loss"
    assert f.series("train/cls_loss").tolist() == [0.0, 0.0, 0.0, 0.0]  # logged zeros
    assert f.series("lr").iloc[0] == 0.07
    assert f.series("metrics/mAP_0.5").iloc[-1] == 0.6
    assert f.config["batch_size"] == 16 and f.config["momentum"] == 0.937


def test_ultralytics_header_padded_rows_not(tmp_path: Path) -> None:
    p = tmp_path / "results.csv"
    p.write_text(
        "                  epoch,         train/box_loss,         train/cls_loss,"
        "   metrics/mAP50(B),           val/box_loss,      lr/pg0,                 lr/pg2\r\n"
        "1,1.31,2.58,0.5,1.28,0.07,0.003\r\n2,1.25,1.56,0.58,1.26,0.039,0.006\r\n"
    )
    (tmp_path / "args.yaml").write_text(
        "task: detect\nepochs: 10\nbatch: 16\nlr0: 0.01\nval: true\n"
    )
    assert detect_file(p) == "yolo"
    [f] = read_runs(tmp_path)
    assert f.series("train_loss").tolist() == [1.31, 1.25]
    assert f.series("val_loss").index.tolist() == [1, 2]
    assert f.config["epochs"] == 10 and f.config["lr"] == 0.01


def test_time_column_is_not_a_signal(tmp_path: Path) -> None:
    p = tmp_path / "results.csv"
    p.write_text("epoch,time,train/box_loss,metrics/mAP50(B)\n1,509.2,1.5,0.1\n2,989.7,1.4,0.2\n")
    [f] = read_runs(p)
    assert "time" not in f.signals
    assert any("time" in i for i in f.ignored)


def test_lightning_metrics_csv_is_not_yolo(tmp_path: Path) -> None:
    p = tmp_path / "metrics.csv"
    p.write_text("epoch,step,train/box_loss,metrics/mAP50\n0,10,1.0,0.1\n")
    assert detect_file(p) == "lightning"
