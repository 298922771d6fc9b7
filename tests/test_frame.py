"""build_frame: canonical names, restarts, repeats, blank vs NaN, config."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from nn_doctor.frame import RawRun, build_frame


def raw(rows: list[tuple[int, str, float]], **kw: object) -> RawRun:
    df = pd.DataFrame(rows, columns=["step", "name", "value"])
    df["wall_time"] = math.nan
    return RawRun(records=df, format="test", path="p", **kw)  # type: ignore[arg-type]


def test_most_logged_name_owns_the_canonical_name() -> None:
    rows = [(i, "loss", 1.0 / (i + 1)) for i in range(10)] + [(9, "train_loss", 0.3)]
    f = build_frame(raw(rows))
    assert f.sources["train_loss"] == "loss"
    assert len(f.series("train_loss")) == 10
    assert f.has("train_loss") and "train_loss" in f.signals
    # the one-point HF summary is kept, under a name that cannot merge into the winner's series
    assert f.series("train_loss").loc[9] == 0.1
    assert f.series("train_loss.unused").tolist() == [0.3]


def test_logged_nan_is_a_value_missing_is_no_row() -> None:
    f = build_frame(raw([(0, "loss", 1.0), (1, "loss", math.nan), (3, "loss", 0.5)]))
    s = f.series("train_loss")
    assert list(s.index) == [0, 1, 3]
    assert math.isnan(s.loc[1])


def test_restart_later_write_wins() -> None:
    rows = [(i, "loss", 10.0 + i) for i in range(5)] + [(i, "loss", float(i)) for i in range(2, 6)]
    f = build_frame(raw(rows))
    s = f.series("train_loss")
    assert list(s.index) == [0, 1, 2, 3, 4, 5]
    assert s.loc[1] == 11.0 and s.loc[2] == 2.0 and s.loc[4] == 4.0
    assert any("counter went back" in w for w in f.warnings)


def test_repeats_at_one_step_are_averaged_nonfinite_kept() -> None:
    rows = [(1, "loss", 1.0), (1, "loss", 3.0), (2, "loss", 1.0), (2, "loss", math.inf)]
    f = build_frame(raw(rows))
    s = f.series("train_loss")
    assert s.loc[1] == 2.0
    assert math.isinf(s.loc[2])


def test_loss_components_without_total_pick_first_and_say_so() -> None:
    rows = [
        (i, n, 1.0) for i in range(3) for n in ("train/box_loss", "train/cls_loss", "val/box_loss")
    ]
    f = build_frame(raw(rows))
    assert f.sources["train_loss"] == "train/box_loss"
    assert f.sources["val_loss"] == "val/box_loss"
    assert f.has("train/cls_loss")
    assert any("first of 2 loss components" in n for n in f.notes)


def test_layers_keep_model_order() -> None:
    rows = [(0, f"act_zero_frac/{n}", 0.1) for n in ("fc1", "fc2", "out")]
    f = build_frame(raw(rows))
    assert f.layers("act_zero_frac") == [
        "act_zero_frac/fc1",
        "act_zero_frac/fc2",
        "act_zero_frac/out",
    ]


def test_steps_per_epoch_from_epoch_signal() -> None:
    rows = [(s, "epoch", s // 100) for s in range(0, 1000, 10)] + [
        (s, "loss", 1.0) for s in range(0, 1000, 10)
    ]
    f = build_frame(raw(rows))
    assert f.steps_per_epoch is not None and abs(f.steps_per_epoch - 100) < 15


def test_config_is_normalized_and_overridden() -> None:
    f = build_frame(
        raw(
            [(0, "loss", 1.0)],
            config={
                "learning_rate": "3e-4",
                "model": {"hidden_act": "ReLU"},
                "num_train_epochs": 9223372036854775807,
            },
        ),
        config_overrides={"batch_size": 64},
    )
    assert f.config["lr"] == 3e-4
    assert f.config["hidden_activation"] == "relu"
    assert f.config["batch_size"] == 64
    assert "epochs" not in f.config  # int64 max means "unlimited", not a fact
    assert np.isfinite(f.config["lr"])


def test_empty_records() -> None:
    f = build_frame(raw([]))
    assert f.signals == [] and f.n_steps == 0 and f.step_range is None
