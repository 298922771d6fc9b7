"""detectron2 metrics.json: iteration axis, eval entries, a crash mid-line."""

from __future__ import annotations

import json
import math
from pathlib import Path

from nn_doctor.api import read_runs
from nn_doctor.readers import discover


def _metrics(folder: Path, cut: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for it in (19, 39, 59):
        lines.append(json.dumps({
            "data_time": 0.02, "eta_seconds": 8898.9, "fast_rcnn/cls_accuracy": 0.05 * it,
            "iteration": it, "loss_box_reg": 0.53, "loss_cls": 1.9 - it / 100, "lr": it * 1e-7,
            "time": 2.2, "total_loss": 2.7 - it / 100,
        }))  # fmt: skip
    lines.append(json.dumps({"bbox/AP": 31.5, "bbox/AP50": float("nan"), "iteration": 59}))
    text = "\n".join(lines) + "\n"
    if cut:
        text += '{"data_time": 0.02, "iteration": 79, "loss_cls": 1.'
    path = folder / "metrics.json"
    path.write_text(text)
    return path


def test_metrics_json(tmp_path: Path) -> None:
    out = tmp_path / "output"
    _metrics(out)
    (out / "events.out.tfevents.1.host").write_bytes(b"")
    assert [(s.reader, s.path) for s in discover(tmp_path)] == [("detectron2", out)]
    [f] = read_runs(tmp_path)
    assert f.format == "detectron2" and f.axis == "step"
    assert f.series("train_loss").index.tolist() == [19, 39, 59]
    assert f.sources["train_loss"] == "total_loss"
    assert f.series("bbox/AP").to_dict() == {59: 31.5}
    assert math.isnan(f.series("bbox/AP50").loc[59])
    assert f.series("lr").loc[39] == 39e-7
    assert not {"time", "data_time", "eta_seconds"} & set(f.signals)


def test_truncated_last_line(tmp_path: Path) -> None:
    p = _metrics(tmp_path, cut=True)
    [f] = read_runs(p)
    assert f.series("train_loss").index.tolist() == [19, 39, 59]
    assert any("last line is not complete JSON" in w for w in f.warnings)
