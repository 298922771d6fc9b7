"""Unit tests for the two-series checks (train vs validation, metric vs loss, preds vs targets)."""

from __future__ import annotations

import math

import pytest

TRAIN = [2.3 * math.exp(-i / 20) + 0.05 for i in range(100)]
EVAL_STEPS = list(range(0, 100, 10))


def val_at(fn) -> tuple[list[int], list[float]]:
    return EVAL_STEPS, [fn(i) for i in EVAL_STEPS]


def test_val_turns_up(run_check):
    u_shape = val_at(lambda s: 1.0 + ((s - 40) / 40) ** 2)  # bottoms at step 40, then rises
    out = run_check("val_turns_up", {"train_loss": TRAIN, "val_loss": u_shape})
    assert out.matched and out.step == 40 and out.measures["rise"] > 0.1
    falling = val_at(lambda s: 2.3 * math.exp(-s / 25) + 0.2)
    assert not run_check("val_turns_up", {"train_loss": TRAIN, "val_loss": falling}).matched
    short = (EVAL_STEPS[:3], [1.0, 0.9, 1.2])
    assert run_check("val_turns_up", {"train_loss": TRAIN, "val_loss": short}) is None


def test_val_turns_up_needs_a_rise_above_the_scatter(run_check):
    # a small validation set: flat at 0.1 after its descent, with one evaluation jumping to 0.17
    steps = list(range(0, 350, 10))
    train = (steps, [0.45 * 0.95**i for i in range(len(steps))])
    noisy = [0.28 - 0.01 * i for i in range(18)] + [0.1, 0.11, 0.095, 0.105, 0.09, 0.1]
    noisy += [0.17, 0.12, 0.11, 0.1, 0.11, 0.095, 0.12, 0.115, 0.105, 0.11, 0.108]
    data = {"train_loss": train, "val_loss": (steps, noisy)}
    assert run_check("val_turns_up", data).matched  # 10 % above its smoothed minimum ...
    assert not run_check("val_turns_up", data, min_snr=2.0).matched  # ... but within the scatter
    # a real turn clears the same bar
    turn = [0.28 - 0.01 * i for i in range(18)] + [0.1 + 0.012 * i for i in range(17)]
    assert run_check("val_turns_up", {**data, "val_loss": (steps, turn)}, min_snr=2.0).matched


def test_gap_early_and_late(run_check):
    far = val_at(lambda s: 3.0 * (2.3 * math.exp(-s / 20) + 0.05))  # always 3x the train loss
    out = run_check("gap", {"train_loss": TRAIN, "val_loss": far}, window="early", min=1.0)
    assert out.matched and out.measures["gap"] == pytest.approx(2.0, rel=0.15)
    close = val_at(lambda s: 2.3 * math.exp(-s / 20) + 0.05)
    assert not run_check("gap", {"train_loss": TRAIN, "val_loss": close}, min=0.5).matched
    inverted = run_check("gap", {"train_loss": TRAIN, "val_loss": close}, max=-0.05)
    assert not inverted.matched
    assert run_check("gap", {"train_loss": TRAIN, "val_loss": ([5], [1.0])}) is None


def test_gap_middle_window_in_points(run_check):
    # noisy training labels: per-epoch training accuracy lags at first, sits well below the
    # clean validation accuracy through the middle, then memorization closes the gap at the end
    steps = list(range(20))
    train = [0.3 + 0.02 * i for i in range(10)] + [0.5 + 0.04 * i for i in range(10)]
    val = [0.6] * 16 + [0.55, 0.5, 0.5, 0.5]
    data = {"train_acc": (steps, train), "val_acc": (steps, val)}
    pts = {"signals": ["train_acc", "val_acc"], "relative": False}
    mid = run_check("gap", data, window="middle", **pts)
    assert mid.measures["gap"] == pytest.approx(0.6 - 0.47, abs=0.03)  # points, not a ratio
    assert run_check("gap", data, window="middle", min=0.1, **pts).matched
    assert not run_check("gap", data, window="late", min=0.1, **pts).matched  # memorized by then
    rel = run_check("gap", data, window="middle", signals=["train_acc", "val_acc"])
    assert rel.measures["gap"] > mid.measures["gap"]  # the relative gap divides by ~0.47
    few = {"train_acc": (steps[:3], train[:3]), "val_acc": (steps[:3], val[:3])}
    assert run_check("gap", few, window="middle", **pts) is None  # no middle in 3 evaluations


def test_train_flat_val_falls(run_check):
    flat = [2.0 + 0.01 * math.sin(i) for i in range(100)]
    falling = val_at(lambda s: 2.0 - 0.01 * s)
    assert run_check("train_flat_val_falls", {"train_loss": flat, "val_loss": falling}).matched
    both = val_at(lambda s: 2.3 * math.exp(-s / 20) + 0.2)
    assert not run_check("train_flat_val_falls", {"train_loss": TRAIN, "val_loss": both}).matched
    assert (
        run_check("train_flat_val_falls", {"train_loss": flat, "val_loss": ([10], [1.0])}) is None
    )


def test_a_validation_loss_recovering_from_above_training_is_no_fall(run_check):
    # a binary classifier knocked off by its first steps: validation starts at 0.89, above the
    # training loss (0.69, chance), and comes back to the class prior (0.665): recovered, not
    # learned; the same fall from training's level down to 0.4 is one
    flat = [0.69 + 0.01 * math.sin(i) for i in range(100)]
    recovering = val_at(lambda s: 0.665 + 0.225 * math.exp(-s / 10))
    learning = val_at(lambda s: 0.4 + 0.29 * math.exp(-s / 20))
    for check in ("train_flat_val_falls", "val_outpaces_train"):
        assert not run_check(check, {"train_loss": flat, "val_loss": recovering}).matched
        assert run_check(check, {"train_loss": flat, "val_loss": learning}).matched


def test_metric_improves_after(run_check):
    val_loss = val_at(lambda s: 1.0 + ((s - 30) / 40) ** 2)  # minimum at step 30
    rising_acc = val_at(lambda s: 0.5 + 0.004 * s)
    out = run_check("metric_improves_after", {"val_loss": val_loss, "val_acc": rising_acc})
    assert out.matched and out.measures["gain"] > 0.1
    peaked = val_at(lambda s: 0.8 - 0.002 * abs(s - 30))  # best exactly at the loss minimum
    assert not run_check("metric_improves_after", {"val_loss": val_loss, "val_acc": peaked}).matched
    assert (
        run_check(
            "metric_improves_after", {"val_loss": ([0, 1], [1.0, 0.9]), "val_acc": rising_acc}
        )
        is None
    )


def test_metric_improves_after_is_not_fooled_by_scatter(run_check):
    # a validation set from another distribution: loss and accuracy flat, each evaluation
    # scattered by a few %; one lucky evaluation late in the run is not "still improving"
    steps = list(range(30))
    wobble = [((i * 7) % 11 - 5) / 100 for i in steps]
    val_loss = (steps, [2.45 * (1 + w) for w in wobble])
    val_acc = (
        steps,
        [0.6 * (1 - w / 2) + (0.03 if i == 26 else 0.0) for i, w in enumerate(wobble)],
    )
    data = {"val_loss": val_loss, "val_acc": val_acc}
    assert not run_check("metric_improves_after", data).matched


def test_pred_bound_relu_output_cannot_go_negative(run_check):
    pred_min = [0.0] * 10
    target_min = [-2.5] * 10
    out = run_check("pred_bound", {"pred_min": pred_min, "target_min": target_min}, side="low")
    assert (
        out.matched
        and out.measures["bound"] == 0.0
        and out.measures["excess"] == pytest.approx(1.0)
    )
    linear = [-2.4] * 10  # a linear output reaches the targets
    assert not run_check(
        "pred_bound", {"pred_min": linear, "target_min": target_min}, side="low"
    ).matched
    counts = [0.0] * 10  # targets never negative: a ReLU output is fine
    assert not run_check(
        "pred_bound", {"pred_min": counts, "target_min": [0.0] * 10}, side="low"
    ).matched


def test_pred_bound_sigmoid_high_side(run_check):
    out = run_check("pred_bound", {"pred_max": [0.995] * 10, "target_max": [5.0] * 10}, side="high")
    assert out.matched and out.measures["bound"] == 1.0
    assert run_check("pred_bound", {"pred_max": [0.995], "target_max": [5.0]}, side="high") is None


def test_pred_bound_needs_the_bound_never_crossed(run_check):
    # a tanh output saturated at -1: batch minima hug the bound and never pass it
    tanh = [-0.995, -0.993, -0.999, -0.996, -0.994, -0.998, -0.995, -0.997, -0.996, -0.999]
    target_min = [-2.3] * 10
    out = run_check(
        "pred_bound", {"pred_min": tanh, "target_min": target_min}, side="low", tol=0.02
    )
    assert out.matched and out.measures["bound"] == -1.0
    # a linear output whose batch minima happen to have a median near -1 but scatter past it
    linear = [-0.97, -1.12, -0.93, -0.99, -1.21, -0.95, -0.98, -1.04, -0.9, -0.985]
    out = run_check(
        "pred_bound", {"pred_min": linear, "target_min": target_min}, side="low", frac=1.0
    )
    assert abs(out.measures["pred"] + 1.0) <= 0.02 and not out.matched


def test_gap_at_the_first_evaluation_past_a_training_progress(run_check):
    params = {"window": "early", "frac": 0.01, "min": 3.0, "min_train_progress": 0.5}
    # per-epoch log, validation from another distribution: the first epoch's training mean
    # holds the untrained start, so the first gap is under the bar; half-way down it is 3.5x
    train = [1.0, 0.6, 0.4, 0.25, 0.15, 0.1, 0.08, 0.06, 0.05, 0.04]
    shifted = [1.9, 1.8, 1.8, 1.85, 1.9, 1.95, 2.0, 2.05, 2.1, 2.2]
    out = run_check("gap", {"train_loss": train, "val_loss": shifted}, **params)
    assert (
        out.matched and out.measures["train"] == 0.4 and out.measures["gap"] == pytest.approx(3.5)
    )
    first = run_check("gap", {"train_loss": train, "val_loss": shifted}, window="early", frac=0.01)
    assert first.measures["gap"] < 1.0  # the first evaluation alone: under 3 by far
    # overfitting: validation follows training down, and turns up only late
    memorized = [0.9, 0.55, 0.4, 0.3, 0.25, 0.26, 0.3, 0.35, 0.4, 0.5]
    assert not run_check("gap", {"train_loss": train, "val_loss": memorized}, **params).matched
    # no evaluation inside the window: unknown
    late = {**params, "min_train_progress": 0.5, "max_train_progress": 0.55}
    assert run_check("gap", {"train_loss": train, "val_loss": shifted}, **late) is None


def test_ratio_above(run_check):
    pre = [5.0] * 8 + [0.5, 0.5]
    post = [1.0] * 8 + [0.5, 0.5]
    out = run_check("ratio_above", {"grad_norm": pre, "grad_norm_clipped": post})
    assert out.matched and out.measures["frac"] == pytest.approx(0.8)
    quiet = run_check("ratio_above", {"grad_norm": post, "grad_norm_clipped": post})
    assert not quiet.matched
    assert run_check("ratio_above", {"grad_norm": pre[:2], "grad_norm_clipped": post[:2]}) is None


def test_gap_max_train_progress_keeps_only_early_evaluations(run_check):
    fast = [2.0 * 0.7**i + 0.01 for i in range(100)]  # converged within the first 20 steps
    late_evals = ([40, 60, 80, 99], [0.3, 0.35, 0.4, 0.45])
    assert run_check(
        "gap", {"train_loss": fast, "val_loss": late_evals}, window="early", min=0.5
    ).matched
    gated = run_check(
        "gap",
        {"train_loss": fast, "val_loss": late_evals},
        window="early",
        min=0.5,
        max_train_progress=0.5,
    )
    assert gated is None  # no evaluation before training covered half its drop
    early_evals = ([0, 1, 40, 99], [5.0, 4.0, 4.0, 4.0])
    out = run_check(
        "gap",
        {"train_loss": fast, "val_loss": early_evals},
        window="early",
        frac=0.5,
        min=0.5,
        max_train_progress=0.5,
    )
    assert out.matched


def test_gap_max_train_progress_reads_a_rising_accuracy(run_check):
    train_acc = [min(0.99, 0.1 + 0.3 * i) for i in range(40)]  # near 1 after 3 steps
    val_acc = ([0, 10, 20, 39], [0.1, 0.7, 0.72, 0.75])
    loose = run_check(
        "gap", {"train_acc": train_acc, "val_acc": val_acc}, window="early", frac=0.5, max=-0.2
    )
    assert loose.matched  # the "early" half of the evaluations already compares a trained model
    gated = run_check(
        "gap",
        {"train_acc": train_acc, "val_acc": val_acc},
        window="early",
        frac=0.5,
        max=-0.2,
        max_train_progress=0.5,
    )
    assert gated is not None and not gated.matched  # only step 0 counts: both near chance
