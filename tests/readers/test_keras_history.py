"""Keras History as JSON: both shapes, NaN tokens, null cells."""

from __future__ import annotations

import math
from pathlib import Path

from nn_doctor.api import read_raw, read_runs
from nn_doctor.readers import detect_file


def test_plain_history_dict(tmp_path: Path) -> None:
    p = tmp_path / "history.json"
    p.write_text(
        '{"loss": [1.0, 0.5, NaN], "val_loss": [1.1, null, Infinity], "lr": [0.1, 0.1, 0.1]}'
    )
    assert detect_file(p) == "keras_history"
    [f] = read_runs(p)
    assert f.format == "keras-history" and f.axis == "epoch"
    assert f.series("train_loss").index.tolist() == [0, 1, 2]
    assert math.isnan(f.series("train_loss").loc[2])
    assert f.series("val_loss").to_dict() == {0: 1.1, 2: math.inf}  # null: not logged


def test_epochs_metrics_shape(tmp_path: Path) -> None:
    p = tmp_path / "train_outputs" / "history.json"
    p.parent.mkdir()
    p.write_text(
        '{"epochs": [0.0, 1.0, 2.0], "metrics": {"loss": [-3.8e6, -3.9e6, NaN],'
        ' "learning_rate": [0.001, 0.001, 0.001]}}'
    )
    [f] = read_runs(p.parent)
    assert f.series("train_loss").tolist()[:2] == [-3.8e6, -3.9e6]
    assert math.isnan(f.series("train_loss").loc[2])
    assert f.series("lr").index.tolist() == [0, 1, 2]


def test_history_wrapper_with_params(tmp_path: Path) -> None:
    p = tmp_path / "model_history.json"
    p.write_text('{"history": {"accuracy": [0.5, 0.6]}, "params": {"epochs": 2, "batch_size": 32}}')
    [f] = read_runs(p)
    assert f.series("train_acc").tolist() == [0.5, 0.6]
    assert f.config["batch_size"] == 32


def test_records_in_epoch_order(tmp_path: Path) -> None:
    p = tmp_path / "history.json"
    p.write_text('{"loss": [3, 2], "acc": [0.1, 0.2]}')
    [raw] = read_raw(p)
    assert raw.records["step"].tolist() == [0, 0, 1, 1]
    assert raw.records["name"].astype(str).tolist() == ["loss", "acc", "loss", "acc"]


def test_results_json_is_not_a_history(tmp_path: Path) -> None:
    p = tmp_path / "all_results.json"
    p.write_text('{"epoch": 3.0, "eval_loss": 1.6}')
    assert detect_file(p) is None


def test_sacred_metrics_json_with_its_config(tmp_path: Path) -> None:
    # Sacred's FileStorageObserver: <run id>/metrics.json, config.json, run.json
    run = tmp_path / "3"
    run.mkdir()
    (run / "metrics.json").write_text(
        '{"train.loss": {"steps": [0, 10, 20], "timestamps": ["t0", "t1", "t2"],'
        ' "values": [2.3, 1.1, NaN]}, "val.loss": {"steps": [20], "timestamps": ["t2"],'
        ' "values": [1.4]}}'
    )
    (run / "config.json").write_text('{"lr": 0.01, "batch_size": 64, "seed": 7}')
    (run / "run.json").write_text('{"status": "FAILED"}')
    [f] = read_runs(tmp_path)
    assert f.axis == "step" and f.series("train_loss").index.tolist() == [0, 10, 20]
    assert math.isnan(f.series("train_loss").loc[20])
    assert f.series("val_loss").to_dict() == {20: 1.4}  # each metric on its own steps
    assert f.config["lr"] == 0.01 and f.config["batch_size"] == 64
