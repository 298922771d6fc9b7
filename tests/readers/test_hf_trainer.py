"""Hugging Face trainer_state.json: entries, filtered non-finite losses, checkpoints, config."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from nn_doctor.api import read_raw, read_runs
from nn_doctor.readers import discover


def _state(history: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "best_metric": None,
        "epoch": 2.0,
        "global_step": history[-1].get("step", 0) if history else 0,
        "log_history": history,
        "logging_steps": 10,
        "max_steps": 40,
        "num_train_epochs": 2,
        "train_batch_size": 8,
        **extra,
    }


def _write(folder: Path, state: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "trainer_state.json"
    # The Trainer writes with json.dumps(indent=2), which spells non-finite floats NaN/Infinity.
    path.write_text(json.dumps(state, indent=2, sort_keys=True))
    return path


HISTORY = [
    {"epoch": 0.5, "grad_norm": 3.1, "learning_rate": 5e-5, "loss": 2.0, "step": 10},
    {"epoch": 1.0, "grad_norm": 2.5, "learning_rate": 4e-5, "loss": 1.5, "step": 20},
    {"epoch": 1.0, "eval_loss": 1.7, "eval_wer": 40.0, "eval_runtime": 3.2,
     "eval_samples_per_second": 10.0, "eval_steps_per_second": 1.0, "step": 20},
    {"epoch": 1.0, "predict_loss": 1.8, "predict_runtime": 3.0},
    {"epoch": 1.5, "grad_norm": math.inf, "learning_rate": 3e-5, "loss": 0.0, "step": 30},
    {"epoch": 2.0, "grad_norm": math.nan, "learning_rate": 2e-5, "loss": 0.0, "step": 40},
    {"epoch": 2.0, "step": 40, "total_flos": 1e15, "train_loss": 0.9, "train_runtime": 100.0,
     "train_samples_per_second": 5.0, "train_steps_per_second": 0.4},
]  # fmt: skip


def test_train_eval_predict_entries(tmp_path: Path) -> None:
    _write(tmp_path / "out", _state(HISTORY))
    [f] = read_runs(tmp_path / "out")
    assert f.format == "hf-trainer" and f.axis == "step"
    loss = f.series("train_loss")
    assert loss.index.tolist() == [10, 20, 30, 40]
    assert loss.loc[10] == 2.0  # the summary's run average is not a curve point
    assert f.series("val_loss").to_dict() == {20: 1.7}
    assert f.series("eval_wer").loc[20] == 40.0
    assert f.series("predict_loss").index.tolist() == [20]  # no step: the entry before's
    assert f.series("lr").loc[40] == 2e-5
    assert f.series("epoch").to_dict() == {10: 0.5, 20: 1.0, 30: 1.5, 40: 2.0}
    assert "eval_runtime" not in f.signals and "total_flos" not in f.signals
    assert any("summary" in i for i in f.ignored)


def test_filtered_nonfinite_loss_is_restored(tmp_path: Path) -> None:
    _write(tmp_path, _state(HISTORY))
    [f] = read_runs(tmp_path)
    loss = f.series("train_loss")
    assert math.isnan(loss.loc[30]) and math.isnan(loss.loc[40])
    gn = f.series("grad_norm")
    assert gn.loc[30] == math.inf and math.isnan(gn.loc[40])
    msg = (
        "HF logged loss 0.0 with a non-finite grad_norm or eval_loss at 2 steps: read as non-finite"
    )
    assert sum(msg in w for w in f.warnings) == 1


def test_a_real_zero_loss_stays_zero(tmp_path: Path) -> None:
    hist = [{"epoch": 1.0, "grad_norm": 0.0, "loss": 0.0, "step": 5, "learning_rate": 1e-3}]
    _write(tmp_path, _state(hist))
    [f] = read_runs(tmp_path)
    assert f.series("train_loss").loc[5] == 0.0
    assert not f.warnings


def test_zero_loss_before_a_nan_evaluation_is_restored_without_grad_norm(tmp_path: Path) -> None:
    # an older Trainer (or a loss-only log): no grad_norm, but the evaluations show NaN weights
    hist = [
        {"epoch": 0.5, "learning_rate": 1e-3, "loss": 4.3e12, "step": 10},
        {"epoch": 1.0, "learning_rate": 1e-3, "loss": 0.0, "step": 20},
        {"epoch": 1.0, "eval_loss": math.nan, "step": 20},
        {"epoch": 1.5, "learning_rate": 1e-3, "loss": 0.0, "step": 30},  # after the last eval
    ]
    _write(tmp_path / "nan", _state(hist))
    [f] = read_runs(tmp_path / "nan")
    loss = f.series("train_loss")
    assert loss.loc[10] == 4.3e12 and math.isnan(loss.loc[20]) and math.isnan(loss.loc[30])
    assert any("eval_loss at 2 steps" in w for w in f.warnings)
    # a memorized training set logs 0.0 (rounded to 4 decimals) beside finite evaluations
    hist[2] = {"epoch": 1.0, "eval_loss": 0.31, "step": 20}
    _write(tmp_path / "fit", _state(hist))
    [f] = read_runs(tmp_path / "fit")
    assert f.series("train_loss").loc[20] == 0.0 and f.series("train_loss").loc[30] == 0.0
    assert not f.warnings


def test_checkpoints_are_snapshots_top_level_wins(tmp_path: Path) -> None:
    out = tmp_path / "output"
    _write(out / "checkpoint-10", _state(HISTORY[:1]))
    _write(out / "checkpoint-20", _state(HISTORY[:3]))
    _write(out, _state(HISTORY))
    sources = discover(tmp_path)
    assert [(s.reader, s.path) for s in sources] == [("hf_trainer", out)]
    [f] = read_runs(tmp_path)
    assert f.series("train_loss").index.tolist() == [10, 20, 30, 40]
    assert not any("several values" in n for n in f.notes)


def test_latest_checkpoint_without_top_level(tmp_path: Path) -> None:
    out = tmp_path / "output"
    _write(out / "checkpoint-10", _state(HISTORY[:1]))
    _write(out / "checkpoint-20", _state(HISTORY[:3]))
    (out / "runs").mkdir()
    [raw] = read_raw(out)
    assert raw.path == str(out / "checkpoint-20" / "trainer_state.json")


def test_config_from_state_and_json_siblings(tmp_path: Path) -> None:
    _write(tmp_path, _state(HISTORY, num_train_epochs=9223372036854775807))
    (tmp_path / "all_results.json").write_text('{"epoch": 2.0, "train_samples": 320}')
    (tmp_path / "config.json").write_text('{"num_hidden_layers": 6, "hidden_act": "gelu"}')
    (tmp_path / "training_args.json").write_text('{"learning_rate": 5e-05, "max_grad_norm": 1.0}')
    (tmp_path / "training_args.bin").write_bytes(b"\x80\x04not-unpickled")
    [f] = read_runs(tmp_path)
    assert f.config["batch_size"] == 8 and f.config["n_train"] == 320
    assert f.config["lr"] == 5e-05 and f.config["grad_clip"] == 1.0
    assert f.config["depth"] == 6 and f.config["hidden_activation"] == "gelu"
    assert "epochs" not in f.config  # int64 max: "until max_steps", not a usable count
    assert f.config_raw["num_train_epochs"] == 9223372036854775807


def test_the_trainers_defaults_and_the_latest_checkpoints_model_config(tmp_path: Path) -> None:
    # save_state() without save_model(): the state at the top, the model config only in the
    # checkpoints; the optimizer is the Trainer's AdamW unless training_args.json says otherwise,
    # and only where the Trainer itself saved its (never loaded) training_args.bin
    _write(tmp_path, _state(HISTORY))
    for n, act in ((5, "relu"), (40, "gelu")):  # numeric order: checkpoint-40 is the latest
        (tmp_path / f"checkpoint-{n}").mkdir()
        (tmp_path / f"checkpoint-{n}" / "config.json").write_text(f'{{"hidden_act": "{act}"}}')
    [f] = read_runs(tmp_path)
    assert "optimizer" not in f.config  # another loop may have written HF's format
    (tmp_path / "checkpoint-40" / "training_args.bin").write_bytes(b"\x80\x04not loaded")
    [f] = read_runs(tmp_path)
    assert f.config["optimizer"] == "adamw" and f.config["hidden_activation"] == "gelu"
    assert any("default optimizer" in s for s in f.config_sources)
    (tmp_path / "training_args.json").write_text('{"optim": "sgd"}')
    [f] = read_runs(tmp_path)
    assert f.config["optimizer"] == "sgd"
    assert not any("default optimizer" in s for s in f.config_sources)


def test_strings_and_custom_keys(tmp_path: Path) -> None:
    hist = [
        {"epoch": 0.1, "grad_norm": 4.8, "loss": 24.8, "lr": 1e-4, "remaining_time": "59h:30m",
         "step": 20, "train/acc_0": 0.04},
        {"epoch": 0.2, "grad_norm": 4.1, "loss": 20.1, "lr": 1e-4, "remaining_time": "59h:29m",
         "step": 40, "train/acc_0": 0.06},
    ]  # fmt: skip
    _write(tmp_path, _state(hist))
    [f] = read_runs(tmp_path)
    assert f.series("lr").tolist() == [1e-4, 1e-4]
    assert f.series("train/acc_0").loc[40] == 0.06
    assert "remaining_time" not in f.signals
    assert any("remaining_time" in i for i in f.ignored)


def test_truncated_state_reads_complete_entries(tmp_path: Path) -> None:
    text = json.dumps(_state(HISTORY[:3]), indent=2, sort_keys=True)
    cut = text.index('"eval_wer"')
    p = tmp_path / "trainer_state.json"
    p.write_text(text[:cut])
    [f] = read_runs(p)
    assert f.series("train_loss").index.tolist() == [10, 20]
    assert any("not complete JSON" in w for w in f.warnings)


def test_empty_log_history(tmp_path: Path) -> None:
    _write(tmp_path, _state([]))
    [raw] = read_raw(tmp_path)
    assert len(raw.records) == 0
    assert any("no metric was logged" in w for w in raw.warnings)
