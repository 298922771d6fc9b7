"""MLflow file store: metric files (ms timestamps, nested names), params, experiments."""

from __future__ import annotations

import math
from pathlib import Path

from nn_doctor.api import read_raw, read_runs
from nn_doctor.readers import detect_file, discover


def _run(exp: Path, run_id: str, cut: bool = False) -> Path:
    run = exp / run_id
    (run / "metrics" / "train").mkdir(parents=True)
    (run / "params").mkdir()
    (run / "tags").mkdir()
    (run / "meta.yaml").write_text(
        f"run_id: {run_id}\nexperiment_id: '1'\nlifecycle_stage: active\n"
    )
    t0 = 1700000000000
    (run / "metrics" / "train" / "loss").write_text(
        "".join(f"{t0 + 1000 * s} {1.0 / (s + 1)} {s}\n" for s in range(4))
        + f"{t0 + 5000} nan 4\n"
        + (f"{t0 + 6000} 0.1" if cut else "")
    )
    (run / "metrics" / "val_loss").write_text(f"{t0 + 1500} 0.9 1\n{t0 + 3500} inf 3\n")
    (run / "params" / "learning_rate").write_text("0.01")
    (run / "params" / "batch_size").write_text("64")
    (run / "tags" / "mlflow.runName").write_text("bright-owl-42")
    return run


def test_run_folder(tmp_path: Path) -> None:
    run = _run(tmp_path / "mlruns" / "1", "abc123")
    [f] = read_runs(run)
    assert f.format == "mlflow"
    loss = f.series("train_loss")  # metrics/train/loss is "train/loss"
    assert loss.index.tolist() == [0, 1, 2, 3, 4] and math.isnan(loss.loc[4])
    assert f.series("val_loss").to_dict() == {1: 0.9, 3: math.inf}
    assert f.data["wall_time"].min() == 1700000000.0  # milliseconds → seconds
    assert f.config == {"lr": 0.01, "batch_size": 64}
    assert "bright-owl-42" in f.run


def test_experiment_tree_and_files(tmp_path: Path) -> None:
    exp = tmp_path / "mlruns" / "1"
    _run(exp, "aaa")
    _run(exp, "bbb")
    (exp / "meta.yaml").write_text("experiment_id: '1'\nname: demo\n")
    assert [s.reader for s in discover(tmp_path)] == ["mlflow", "mlflow"]
    assert detect_file(exp / "aaa" / "metrics" / "val_loss") == "mlflow"
    [raw] = read_raw(exp / "aaa" / "meta.yaml")
    assert raw.path == str(exp / "aaa")


def test_cut_last_line(tmp_path: Path) -> None:
    run = _run(tmp_path / "mlruns" / "0", "r", cut=True)
    [f] = read_runs(run)
    assert f.series("train_loss").index.tolist() == [0, 1, 2, 3, 4]
    assert any("cut short" in w for w in f.warnings)
