"""build_frame: canonical names, restarts, repeats, blank vs NaN, config."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from nn_doctor.frame import RawRun, _Coded, build_frame


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


def test_the_error_a_regression_was_trained_on_stands_in_for_a_missing_loss() -> None:
    rows = [(i, n, 1.0) for i in range(3) for n in ("train_mse", "val_mse", "val_mae")]
    f = build_frame(raw(rows))
    assert f.sources["train_loss"] == "train_mse"
    assert f.sources["val_loss"] == "val_mse"
    assert f.has("val_mae")
    assert any("'train_mse', the error metric" in n for n in f.notes)
    # a logged loss wins: the metric stays a metric
    rows = [(i, n, 1.0) for i in range(3) for n in ("loss", "mse", "val_loss", "val_mse")]
    f = build_frame(raw(rows))
    assert f.sources["train_loss"] == "loss" and f.sources["val_loss"] == "val_loss"
    assert not any("error metric" in n for n in f.notes)
    # a classifier's cross-entropy under its short name ("train_ce", "val_ce")
    rows = [(i, n, 1.0) for i in range(3) for n in ("train_ce", "val_ce", "val_acc")]
    f = build_frame(raw(rows))
    assert f.sources["train_loss"] == "train_ce" and f.sources["val_loss"] == "val_ce"


def test_layers_keep_model_order() -> None:
    rows = [(0, f"act_zero_frac/{n}", 0.1) for n in ("fc1", "fc2", "out")]
    f = build_frame(raw(rows))
    assert f.layers("act_zero_frac") == [
        "act_zero_frac/fc1",
        "act_zero_frac/fc2",
        "act_zero_frac/out",
    ]


def test_a_bias_statistic_is_not_a_layer() -> None:
    """``grad_norm/<name>`` over named_parameters(): each bias keeps its series, but the layer
    rules see one layer per weight (a tiny bias gradient is no vanishing layer)."""
    rows = [
        (i, f"grad_norm/{p}", 0.1)
        for i in range(3)
        for p in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")
    ]
    f = build_frame(raw(rows))
    assert f.layers("grad_norm") == ["grad_norm/fc1", "grad_norm/fc2"]
    assert f.has("grad_norm/fc1.bias")


def test_layers_from_a_sorting_writer_come_back_in_model_order() -> None:
    # Keras' and Lightning's CSV writers sort columns: layers.10 before layers.2, out before rnn
    names = ["layers.0", "layers.10", "layers.2", "out", "rnn"]
    f = build_frame(raw([(0, f"grad_norm/{n}", 0.1) for n in names]))
    assert [n.split("/", 1)[1] for n in f.layers("grad_norm")] == [
        "rnn",
        "layers.0",
        "layers.2",
        "layers.10",
        "out",
    ]


def test_steps_per_epoch_from_epoch_signal() -> None:
    rows = [(s, "epoch", s // 100) for s in range(0, 1000, 10)] + [
        (s, "loss", 1.0) for s in range(0, 1000, 10)
    ]
    f = build_frame(raw(rows))
    assert f.steps_per_epoch is not None and abs(f.steps_per_epoch - 100) < 15


def test_steps_per_epoch_from_an_integer_counter_is_not_stretched() -> None:
    # Lightning's metrics.csv: 30 steps an epoch, logged every 5 from step 4, 19 epochs; the
    # last logged step (569) belongs to epoch 18, which started at step 544
    steps = range(4, 570, 5)
    rows = [(s, "epoch", s // 30) for s in steps] + [(s, "loss", 1.0) for s in steps]
    assert abs(build_frame(raw(rows)).steps_per_epoch - 30) <= 5 / 18
    # a fractional counter (Hugging Face) keeps the plain slope
    rows = [(s, "epoch", s / 30) for s in steps] + [(s, "loss", 1.0) for s in steps]
    assert abs(build_frame(raw(rows)).steps_per_epoch - 30) < 1e-9


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


# -- the fast path (coded records, no restart or repeat) against the general one -------------

_NAMES = [
    "loss",
    "train_loss",
    "val_loss",
    "lr",
    "learning_rate",
    "grad_norm",
    "epoch",
    "train/box_loss",
    "val/box_loss",
    "act_zero_frac/fc1",
    "act_zero_frac/fc2",
    "acc",
]


def _shapes(rng: np.random.Generator) -> list[list[tuple[int, str, float]]]:
    """Records as readers hand them over: dense rows, sparse rows, signal-major, a restart,
    repeated steps, out of order."""
    out = []
    for _ in range(12):
        names = list(rng.choice(_NAMES, size=int(rng.integers(1, 7)), replace=False))
        n = int(rng.integers(1, 40))
        val = lambda: float(rng.choice([rng.normal(), math.nan, math.inf]))  # noqa: E731
        out.append([(s, m, val()) for s in range(n) for m in names])  # dense rows
        out.append([(s, m, val()) for s in range(n) for m in names if rng.random() < 0.5])
        out.append([(s, m, val()) for m in names for s in range(n)])  # signal-major
        steps = [*range(n), *range(n // 2, n + 3)]  # a resumed run
        out.append([(s, m, val()) for s in steps for m in names])
        out.append([(s // 2, m, val()) for s in range(n) for m in names])  # repeats
        out.append([(int(rng.integers(0, 9)), str(rng.choice(names)), val()) for _ in range(n)])
    return out


def _coded_records(rows: list[tuple[int, str, float]]) -> pd.DataFrame:
    """The records as ``records()`` builds them (a categorical of names, int64 steps), with
    categories in another order than first written."""
    from nn_doctor.readers._common import records

    names = [*list(dict.fromkeys(r[1] for r in rows))[::-1], "never_logged"]
    code = {n: i for i, n in enumerate(names)}
    return records(
        [r[0] for r in rows],
        [code[r[1]] for r in rows],
        names,
        [r[2] for r in rows],
        np.arange(len(rows), dtype=float) + 1.7e9,
    )


def _general_records(rows: list[tuple[int, str, float]]) -> pd.DataFrame:
    """The same records with float steps and one NaN step (the general path drops that row)."""
    rows = [*rows, (0, rows[0][1], 5.0)]
    df = pd.DataFrame(rows, columns=["step", "name", "value"]).astype({"step": float})
    df["wall_time"] = np.r_[np.arange(len(rows) - 1, dtype=float) + 1.7e9, 0.0]
    df.loc[len(df) - 1, "step"] = math.nan
    return df


def test_fast_path_equals_the_general_path() -> None:
    rng = np.random.default_rng(3)
    aliases = {"train_loss": ["acc"]}
    for rows in _shapes(rng):
        assert _Coded.of(_coded_records(rows)) is not None  # the fast path reads these
        assert _Coded.of(_general_records(rows)) is None  # a NaN step: the general path
        for user_aliases in (None, aliases):
            fast = build_frame(
                RawRun(records=_coded_records(rows), format="t", path="p"),
                user_aliases=user_aliases,
            )
            slow = build_frame(
                RawRun(records=_general_records(rows), format="t", path="p"),
                user_aliases=user_aliases,
            )
            pd.testing.assert_frame_equal(fast.data, slow.data, check_exact=True)
            assert (fast.sources, fast.warnings, fast.notes) == (
                slow.sources,
                slow.warnings,
                slow.notes,
            )
            assert fast.signals == slow.signals
            for name in fast.signals:
                pd.testing.assert_series_equal(fast.series(name), slow.series(name))


def test_series_slices_equal_the_groupby() -> None:
    rng = np.random.default_rng(4)
    for rows in _shapes(rng):
        f = build_frame(RawRun(records=_coded_records(rows), format="t", path="p"))
        grouped = {
            str(name): group.set_index("step")["value"].rename(str(name))
            for name, group in f.data.groupby("signal", sort=False, observed=True)
        }
        assert f.signals == list(grouped)
        for name, s in grouped.items():
            pd.testing.assert_series_equal(f.series(name), s, check_exact=True)


def test_steps_beyond_float_precision_round_like_the_general_path() -> None:
    rows = [(2**53 + s, "loss", 1.0) for s in range(0, 8)]
    fast = build_frame(RawRun(records=_coded_records(rows), format="t", path="p"))
    slow = build_frame(RawRun(records=_general_records(rows), format="t", path="p"))
    pd.testing.assert_frame_equal(fast.data, slow.data, check_exact=True)
    assert fast.notes == slow.notes
