"""JSON lines: W&B legacy history (+ config.yaml), generic metrics.jsonl."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from nn_doctor.api import read_raw, read_runs
from nn_doctor.readers import detect_file, discover

WANDB_CONFIG = """\
wandb_version: 1

_wandb:
  desc: null
  value:
    cli_version: 0.8.28
batch_size:
  desc: null
  value: 100
learning_rate:
  desc: null
  value: 0.001
"""


def _wandb_run(root: Path) -> Path:
    run = root / "wandb" / "run-20200228_174009-z6hhs4tz"
    run.mkdir(parents=True)
    lines = []
    for i in range(6):
        step, ts = 5393 + i, 1582912064.1 + i
        if i % 2 == 0:
            lines.append(
                {
                    "acc": f" 0.{70 + i}",
                    "_step": step,
                    "loss": f" 0.{20 - i}",
                    "_runtime": 346.9 + i,
                    "_timestamp": ts,
                }
            )
        else:
            lines.append(
                {
                    "_step": step,
                    "val_acc": f" 0.{60 + i}",
                    "_runtime": 347.0 + i,
                    "_timestamp": ts,
                    "val_loss": f" 0.{30 - i}",
                }
            )
    lines[4]["loss"] = " nan"
    (run / "wandb-history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    (run / "wandb-events.jsonl").write_text('{"system.cpu": 4.3, "_runtime": 147}\n' * 3)
    (run / "wandb-summary.json").write_text('{"_step": 2, "loss": " 0.14"}')
    (run / "config.yaml").write_text(WANDB_CONFIG)
    return run


def test_wandb_legacy_history(tmp_path: Path) -> None:
    run = _wandb_run(tmp_path)
    sources = discover(tmp_path)
    assert [(s.reader, s.path) for s in sources] == [("jsonl", run)]
    [f] = read_runs(tmp_path)
    loss = f.series("train_loss")
    assert loss.index.tolist() == [5393, 5395, 5397]  # the counter need not start at 0
    assert loss.loc[5393] == 0.20 and math.isnan(loss.loc[5397])
    assert f.series("val_loss").index.tolist() == [5394, 5396, 5398]
    assert f.series("train_acc").loc[5395] == 0.72
    assert "_runtime" not in f.signals and "_timestamp" not in f.signals
    assert f.data["wall_time"].iloc[0] == 1582912064.1
    assert f.config == {"batch_size": 100, "lr": 0.001}


def test_wandb_history_of_a_hf_run_uses_the_trainer_step(tmp_path: Path) -> None:
    # HF's WandbCallback: W&B's _step counts log calls (train and eval rows alike), while
    # train/global_step is the optimizer step, on every row
    rows = []
    for i, gs in enumerate(range(10, 70, 10)):
        rows.append({"_step": 2 * i, "train/loss": 2.0 / gs, "train/global_step": gs})
        rows.append({"_step": 2 * i + 1, "eval/loss": 2.5 / gs, "train/global_step": gs})
    (tmp_path / "wandb-history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    [f] = read_runs(tmp_path / "wandb-history.jsonl")
    assert f.series("train_loss").index.tolist() == [10, 20, 30, 40, 50, 60]
    assert f.series("val_loss").index.tolist() == [10, 20, 30, 40, 50, 60]
    # a custom wandb.log call without the trainer's step keeps W&B's counter as the axis
    rows.append({"_step": 12, "custom": 1.0})
    (tmp_path / "wandb-history.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    [f] = read_runs(tmp_path / "wandb-history.jsonl")
    assert f.series("train_loss").index.tolist() == [0, 2, 4, 6, 8, 10]


def test_generic_metrics_jsonl_nested_and_nan_tokens(tmp_path: Path) -> None:
    p = tmp_path / "metrics.jsonl"
    p.write_text(
        '{"global_step": 1, "train": {"loss": 1.0, "lr": 0.1}}\n'
        '{"global_step": 2, "train": {"loss": NaN, "lr": 0.1}}\n'
        '{"global_step": 2, "val": {"loss": Infinity}, "image": {"_type": "image-file"}}\n'
        '{"global_step": 3, "train": {"loss": null, "lr": 0.1}}\n'
    )
    assert detect_file(p) == "jsonl"
    [f] = read_runs(p)
    loss = f.series("train_loss")
    assert loss.index.tolist() == [1, 2]  # null is not logged
    assert math.isnan(loss.loc[2])
    assert f.series("val_loss").loc[2] == math.inf
    assert f.series("lr").index.tolist() == [1, 2, 3]
    assert any("image" in i for i in f.ignored)


def test_epoch_only_is_the_epoch_axis(tmp_path: Path) -> None:
    p = tmp_path / "log.jsonl"
    p.write_text("".join(json.dumps({"epoch": e, "loss": 1 / (e + 1)}) + "\n" for e in range(4)))
    [raw] = read_raw(p)
    assert raw.axis == "epoch"
    assert raw.records["step"].tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("key", ["it", "num_updates", "train_step", "n_iter"])
def test_step_counter_names_are_the_step_axis(tmp_path: Path, key: str) -> None:
    # a step counter under a name loggers use (fairseq's num_updates, a loop's it): it is the
    # axis, not a metric, and the per-step losses are not averaged into epochs.
    p = tmp_path / "metrics.jsonl"
    p.write_text(
        "".join(
            json.dumps({key: 10 * (i + 1), "epoch": i // 3, "train/loss": 1 / (i + 1)}) + "\n"
            for i in range(6)
        )
    )
    [f] = read_runs(p)
    assert f.axis == "step"
    assert f.series("train_loss").index.tolist() == [10, 20, 30, 40, 50, 60]
    assert key not in f.signals


def test_truncated_last_line_and_invalid_utf8(tmp_path: Path) -> None:
    p = tmp_path / "metrics.jsonl"
    p.write_bytes(
        b'{"step": 1, "loss": 1.0, "note": "caf\xe9"}\n{"step": 2, "loss": 0.5}\n{"step": 3, "lo'
    )
    [f] = read_runs(p)
    assert f.series("train_loss").index.tolist() == [1, 2]
    assert any("last line" in w for w in f.warnings)


def test_dataset_jsonl_is_not_a_run(tmp_path: Path) -> None:
    (tmp_path / "train.jsonl").write_text('{"text": "hello", "label": 1}\n' * 3)
    assert discover(tmp_path) == []


def test_a_json_array_of_rows_is_a_log(tmp_path: Path) -> None:
    # a hand-written loop's rows, dumped at the end with json.dump(history, f, indent=2)
    rows = [{"epoch": e, "train_loss": 2.0 / (e + 1), "val_loss": 2.1 / (e + 1)} for e in range(4)]
    p = tmp_path / "log.json"
    p.write_text(json.dumps(rows, indent=2))
    assert detect_file(p) == "jsonl"
    [f] = read_runs(p)
    assert f.axis == "epoch" and f.series("val_loss").index.tolist() == [0, 1, 2, 3]
    assert f.series("train_loss").iloc[-1] == pytest.approx(0.5)
    assert [s.path for s in discover(tmp_path)] == [tmp_path]  # a folder holding it is a run


def test_a_json_array_cut_off_mid_record_is_read_up_to_there(tmp_path: Path) -> None:
    text = json.dumps([{"step": s, "loss": 1.0 / s} for s in range(1, 4)])
    p = tmp_path / "metrics.json"
    p.write_text(text[: text.rindex("{") + 12])  # the crash came while writing the third row
    [f] = read_runs(p)
    assert f.series("train_loss").index.tolist() == [1, 2]
    assert any("mid-record" in w for w in f.warnings)


def test_a_json_array_of_data_is_not_a_run(tmp_path: Path) -> None:
    (tmp_path / "train.json").write_text(json.dumps([{"text": "hi", "label": 1}] * 3))
    assert discover(tmp_path) == []


def test_lines_that_name_their_run_are_one_run_per_value(tmp_path: Path) -> None:
    # a sweep written to one file: each line carries its trial; the steps restart per trial
    p = tmp_path / "sweep.jsonl"
    lines = [
        {"trial": t, "step": s, "loss": loss}
        for t, losses in ((0, [2.0, 1.0]), (1, [2.0, 9.0]))
        for s, loss in enumerate(losses)
    ]
    p.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    runs = read_runs(p)
    assert [f.run for f in runs] == [f"{p} (trial 0)", f"{p} (trial 1)"]
    assert runs[1].series("train_loss").to_dict() == {0: 2.0, 1: 9.0}
    assert not any(f.warnings for f in runs) and "trial" not in runs[0].signals
