"""Unit tests for the single-series checks, on small hand-made curves."""

from __future__ import annotations

import math

import numpy as np
import pytest

NAN = math.nan


def decay(n: int = 100, tau: float = 15.0, start: float = 2.3, floor: float = 0.1) -> list[float]:
    return [floor + (start - floor) * math.exp(-i / tau) for i in range(n)]


def test_nonfinite_matches_after_history(run_check):
    out = run_check("nonfinite", {"train_loss": [1.0] * 8 + [NAN, NAN]}, min_finite_frac=0.5)
    assert out.matched and out.step == 8
    assert out.measures["value"] == "nan"
    assert out.measures["finite_frac"] == pytest.approx(0.8)


def test_nonfinite_abrupt_requires_history(run_check):
    out = run_check("nonfinite", {"train_loss": [1.0, NAN, NAN, NAN]}, min_finite_frac=0.5)
    assert out is not None and not out.matched


def test_nonfinite_from_start_with_max_finite_frac(run_check):
    start = run_check("nonfinite", {"train_loss": [math.inf] + [NAN] * 9}, max_finite_frac=0.05)
    late = run_check("nonfinite", {"train_loss": [1.0] * 9 + [NAN]}, max_finite_frac=0.05)
    assert start.matched and start.measures["value"] == "inf"
    assert not late.matched


def test_nonfinite_quiet_on_finite(run_check):
    assert not run_check("nonfinite", {"train_loss": [1.0, 0.9, 0.8]}).matched


def test_pre_nonfinite_rise(run_check):
    climb = [2.0 - 0.1 * i for i in range(10)] + [1.0 + 0.2 * i for i in range(10)] + [NAN] * 3
    abrupt = [2.0 - 0.05 * i for i in range(20)] + [NAN] * 3
    assert run_check("pre_nonfinite_rise", {"train_loss": climb}).matched
    assert not run_check("pre_nonfinite_rise", {"train_loss": abrupt}).matched
    assert not run_check("pre_nonfinite_rise", {"train_loss": decay(20)}).matched
    assert run_check("pre_nonfinite_rise", {"train_loss": [1.0, 0.9, NAN, NAN]}) is None
    # a per-epoch log: three epochs falling, then NaN, is still an overflow while falling
    epochs = [1.036, 0.314, 0.187, NAN, NAN]
    out = run_check("pre_nonfinite_rise", {"train_loss": epochs}, min_rebound=0.0, max_rebound=0.1)
    assert out.matched and out.measures["rebound"] == 0.0
    assert run_check("pre_nonfinite_rise", {"train_loss": [1.0, 0.4, 0.9, NAN]}).matched  # climbed


def test_diverges(run_check):
    runaway = [2.0 - 0.02 * i for i in range(50)] + [1.0 + 0.06 * i for i in range(50)]
    out = run_check("diverges", {"train_loss": runaway})
    assert out.matched and out.measures["rebound"] > 1.0
    assert not run_check("diverges", {"train_loss": decay()}).matched
    assert run_check("diverges", {"train_loss": [1.0, 0.5, 2.0]}) is None


def test_diverges_needs_a_fall_beyond_the_scatter(run_check):
    # a model stuck at the mean of unit-variance targets, its MSE logged per batch of 24:
    # chi-square noise around 1.0, whose lucky dips are no fall to climb back from
    rng = np.random.default_rng(0)
    flat = list(rng.chisquare(24, 200) / 24)
    params = {"min_rebound": 1.0, "for_points": 10, "min_span": 0.1}
    assert not run_check("diverges", {"train_loss": flat}, **params).matched
    # the same batch noise on a curve that learns, then runs away, still diverges
    shape = [1.0 - 0.006 * i for i in range(100)] + [0.4 + 0.012 * i for i in range(100)]
    noisy = [a * b for a, b in zip(shape, rng.chisquare(24, 200) / 24, strict=True)]
    assert run_check("diverges", {"train_loss": noisy}, **params).matched


def test_diverges_needs_the_climb_above_the_start_beyond_the_scatter(run_check):
    # a zero-init regression stuck at the targets' variance, logged per small batch: heavy-tailed
    # noise around 1.0. A rolling-median dip can clear the fall's noise floor; coming back to the
    # start level after it is noise too, not a run that got worse (6 of these 20 read as
    # diverged when only the fall had to clear the scatter)
    params = {"min_rebound": 1.0, "for_points": 10, "min_span": 0.1}
    diverged = 0
    for seed in range(20):
        flat = list(np.random.default_rng(seed).chisquare(3, 237) / 3)
        diverged += run_check("diverges", {"train_loss": flat}, **params).matched
    assert diverged <= 1


def test_rel_growth(run_check):
    surge = [1.0] * 30 + [2.0**i for i in range(1, 21)]  # x1000 within the window
    assert run_check("rel_growth", {"grad_norm": surge}, min_factor=100.0).matched
    noisy = [1.0 + 0.3 * math.sin(i) for i in range(50)]
    assert not run_check("rel_growth", {"grad_norm": noisy}, min_factor=10.0).matched
    assert run_check("rel_growth", {"grad_norm": [1.0, 2.0, 3.0]}) is None


def test_spikes(run_check):
    base = [1.0 + 0.01 * (i % 3) for i in range(40)]
    spiky = list(base)
    spiky[25] = 10.0
    out = run_check("spikes", {"train_loss": spiky}, factor=3.0)
    assert out.matched and out.measures["count"] == 1
    assert not run_check("spikes", {"train_loss": base}, factor=3.0).matched
    assert run_check("spikes", {"train_loss": base[:5]}) is None


def test_oscillation(run_check):
    swings = [2.0 if i % 2 else 0.5 for i in range(40)]
    assert run_check("oscillation", {"train_loss": swings}, min_amplitude=0.25).matched
    assert not run_check("oscillation", {"train_loss": decay()}, min_amplitude=0.25).matched
    assert run_check("oscillation", {"train_loss": swings[:5]}) is None


def test_improvement(run_check):
    out = run_check("improvement", {"train_loss": decay()}, min=0.5)
    assert out.matched and out.measures["improvement"] > 0.9
    assert not run_check("improvement", {"train_loss": [2.0] * 20}, min=0.5).matched
    assert run_check("improvement", {"train_loss": [2.0, 1.0]}) is None


def test_learned_nothing_reads_the_validation_loss_too(run_check):
    flat = [1.39 + 0.01 * math.sin(i) for i in range(40)]
    assert run_check(
        "learned_nothing", {"train_loss": flat}
    ).matched  # no validation: train decides
    frozen_val = (list(range(0, 40, 4)), [1.38] * 10)
    assert run_check("learned_nothing", {"train_loss": flat, "val_loss": frozen_val}).matched
    # noisy training labels: training loss flat, the clean validation loss improves 15 %
    learning_val = (list(range(0, 40, 4)), [1.38 - 0.025 * i for i in range(10)])
    out = run_check("learned_nothing", {"train_loss": flat, "val_loss": learning_val})
    assert not out.matched and out.measures["val_improvement"] > 0.1
    assert not run_check("learned_nothing", {"train_loss": decay()}).matched
    assert run_check("learned_nothing", {"train_loss": flat[:2]}) is None


def test_still_falling(run_check):
    line = [2.0 - 0.01 * i for i in range(100)]
    assert run_check("still_falling", {"train_loss": line}).matched
    assert not run_check("still_falling", {"train_loss": decay(100, tau=5)}).matched
    assert run_check("still_falling", {"train_loss": line[:4]}) is None
    assert run_check("still_falling", {"train_loss": [*line[:20], NAN]}) is None


def test_still_falling_on_five_epochs_asks_more_of_the_half_its_tail_spans(run_check):
    params = {"tail": 0.2, "min_share": 0.1, "max_tau": -0.3, "min_total_drop": 0.1}
    # a healthy five-epoch Keras run (PyTorch's MNIST net): the last 3 of 5 points, half the
    # run, brought 11 % of the drop: a converging curve, not one cut short
    bending = [1.70, 0.67, 0.415, 0.315, 0.255]
    out = run_check("still_falling", {"train_loss": bending}, axis="epoch", **params)
    assert not out.matched and 0.1 < out.measures["share"] < 0.25
    # a run killed while still falling steeply: its last half brought 40 % of the drop
    steep = [2.3, 2.0, 1.7, 1.4, 1.1]
    assert run_check("still_falling", {"train_loss": steep}, axis="epoch", **params).matched
    # 100 points: the tail is the nominal fifth, and the 10 % bar is unchanged
    slow = [math.exp(-i / 80) for i in range(100)]
    out = run_check("still_falling", {"train_loss": slow}, **params)
    assert out.matched and out.measures["share"] < 0.12


def test_plateau(run_check):
    stuck = [2.3 - 0.1 * i for i in range(4)] + [2.0] * 60
    out = run_check("plateau", {"train_loss": stuck}, min_frac=0.5, max_improvement=0.3)
    assert out.matched and out.measures["plateau_frac"] > 0.8
    deep = run_check("plateau", {"train_loss": decay()}, min_frac=0.5, max_improvement=0.3)
    assert not deep.matched  # converged far below the start: not stuck
    line = [2.0 - 0.01 * i for i in range(60)]
    assert not run_check("plateau", {"train_loss": line}, min_frac=0.5).matched
    assert run_check("plateau", {"train_loss": stuck[:5]}) is None


def test_level(run_check):
    out = run_check("level", {"input_std": [70.0, 71.0, 72.0]}, min=10.0)
    assert out.matched and out.value == pytest.approx(71.0)
    assert not run_check("level", {"input_std": [1.0, 1.1]}, min=10.0).matched
    neg = run_check("level", {"input_mean": [-120.0, -118.0]}, min=10.0, absolute=True)
    assert neg.matched
    late = run_check("level", {"x": [0.0] * 8 + [5.0, 5.0]}, window="late", frac=0.2, min=4.0)
    assert late.matched
    assert run_check("level", {"x": [NAN, NAN]}) is None


def test_periodicity_needs_steps_per_epoch(run_check):
    period = 10
    wave = [1.0 + 0.3 * math.sin(2 * math.pi * i / period) for i in range(80)]
    cfg = {"n_train": 1000, "batch_size": 100}  # 10 steps per epoch
    out = run_check("periodicity", {"train_loss": wave}, config=cfg)
    assert out.matched and out.measures["acf"] > 0.5
    rng = np.random.default_rng(0)
    noise = list(1.0 + 0.1 * rng.standard_normal(80))
    assert not run_check("periodicity", {"train_loss": noise}, config=cfg).matched
    assert run_check("periodicity", {"train_loss": wave}) is None  # epoch length unknown


def test_chance_level(run_check):
    cfg = {"n_classes": 10, "task": "classification"}
    stuck = [math.log(10)] * 20
    out = run_check("chance_level", {"train_loss": stuck}, config=cfg, min=0.9)
    assert out.matched and out.measures["ratio"] == pytest.approx(1.0)
    assert not run_check("chance_level", {"train_loss": decay(20)}, config=cfg, min=0.9).matched
    assert run_check("chance_level", {"train_loss": stuck}) is None


def test_lr_step_up(run_check):
    warm = [1e-5 * (i + 1) for i in range(10)] + [1e-4] * 10
    out = run_check("lr_step_up", {"lr": warm})
    assert out.matched and out.measures["factor"] == pytest.approx(10.0)
    assert not run_check("lr_step_up", {"lr": [1e-3] * 5 + [1e-4] * 5}).matched
    assert run_check("lr_step_up", {"lr": [1e-3]}) is None


def test_lr_step_up_peak_after_tells_a_ramp_from_a_warm_up(run_check):
    warm_up = [1e-4 * (i + 1) for i in range(5)] + [5e-4] * 95  # peaks at 4 % of the run
    ramp = [1e-3 * 1.05**i for i in range(100)]  # still rising at the end (a range test)
    assert run_check("lr_step_up", {"lr": warm_up}).matched
    assert not run_check("lr_step_up", {"lr": warm_up}, peak_after=0.25).matched
    assert run_check("lr_step_up", {"lr": ramp}, peak_after=0.25).matched


def test_decline_shape_separates_linear_from_converging(run_check):
    line = [2.3 - 0.002 * i for i in range(100)]
    out = run_check("decline_shape", {"train_loss": line}, max_improvement=0.3)
    assert out.matched
    assert out.measures["linearity"] == pytest.approx(1.0, abs=0.1)
    conv = run_check("decline_shape", {"train_loss": decay()})
    assert not conv.matched and conv.measures["linearity"] < 0.2
    flat = run_check(
        "decline_shape", {"train_loss": [2.3 + 0.01 * math.sin(i) for i in range(100)]}
    )
    assert not flat.matched  # no steady decline (Kendall tau near 0)
    big = run_check(
        "decline_shape", {"train_loss": [2.3 - 0.02 * i for i in range(100)]}, max_improvement=0.3
    )
    assert not big.matched  # fell most of the way: not "too slow"
    assert run_check("decline_shape", {"train_loss": line[:5]}) is None


def _cosine_run(n=100, peak=3e-4, per_unit=10.0):
    """A loss that falls by ``per_unit`` x the rate at each step (steps too small to bend it)
    under a cosine schedule: linear per unit of rate, slowing down per step."""
    lr = [peak * 0.5 * (1 + math.cos(math.pi * i / n)) for i in range(n)]
    loss, level = [], 1.1
    for rate in lr:
        level -= per_unit * rate
        loss.append(level)
    return {"train_loss": loss, "lr": lr}


@pytest.mark.parametrize("check", ["decline_shape", "steady_decline"])
def test_the_lr_clock_reads_a_schedule_slowed_decline_as_straight(run_check, check):
    run = _cosine_run()
    on_steps = run_check(check, run, signals=["train_loss"], max_improvement=0.3)
    on_rate = run_check(check, run, signals=["train_loss"], max_improvement=0.3, clock="lr")
    assert on_steps.measures["linearity"] < 0.4 and not on_steps.matched
    assert on_rate.measures["linearity"] == pytest.approx(1.0, abs=0.15) and on_rate.matched
    # a constant rate: both clocks agree
    flat_rate = {"train_loss": [2.3 - 0.002 * i for i in range(100)], "lr": [1e-3] * 100}
    a = run_check(check, flat_rate, signals=["train_loss"], max_improvement=0.3)
    b = run_check(check, flat_rate, signals=["train_loss"], max_improvement=0.3, clock="lr")
    assert a.measures["linearity"] == b.measures["linearity"]
    # a healthy curve that bent on its own still bends per unit of rate
    bent = {"train_loss": decay(), "lr": run["lr"]}
    assert not run_check(check, bent, signals=["train_loss"], clock="lr").matched


def test_end_vs_peak(run_check):
    anneal = [1e-3 * (1 - i / 50) for i in range(50)] + [0.0]
    out = run_check("end_vs_peak", {"lr": anneal}, max=0.1)
    assert out.matched and out.measures["ratio"] == pytest.approx(0.0)
    assert not run_check("end_vs_peak", {"lr": [1e-3] * 10}, max=0.1).matched
    assert run_check("end_vs_peak", {"lr": [1e-3, 1e-4]}) is None


def test_acc_vs_chance(run_check):
    cfg = {"n_classes": 4, "task": "classification"}
    out = run_check("acc_vs_chance", {"train_acc": [0.25, 0.3, 0.35, 0.4]}, config=cfg, max=0.3)
    assert out.matched and out.measures["rel"] == pytest.approx(0.2)
    good = run_check("acc_vs_chance", {"train_acc": [0.3, 0.9, 0.95, 0.99]}, config=cfg, max=0.3)
    assert not good.matched
    pct = run_check("acc_vs_chance", {"train_acc": [25.0, 40.0]}, config=cfg, max=0.3)
    assert pct.matched  # percent is read as a fraction
    regression = {"task": "regression"}
    assert run_check("acc_vs_chance", {"train_acc": [0.3, 0.4]}, config=regression) is None


def test_acc_vs_chance_without_a_class_count_needs_every_count_to_agree(run_check):
    # chance lies somewhere in (0, 1/2]: 40 % is under half-way from chance to perfect for any
    # class count, 90 % over it for any, and 70 % depends on it (2 classes: 0.4; 100: 0.7)
    low = run_check("acc_vs_chance", {"train_acc": [0.3, 0.4]}, max=0.5)
    assert low.matched and low.measures["versus"] == "whatever the number of classes"
    assert not run_check("acc_vs_chance", {"train_acc": [0.5, 0.9]}, max=0.5).matched
    assert run_check("acc_vs_chance", {"train_acc": [0.5, 0.7]}, max=0.5) is None


def test_oscillation_max_improvement_ignores_noise_on_a_learning_curve(run_check):
    rng = np.random.default_rng(0)
    noisy = [1.2 * 0.9**i + 0.12 * abs(rng.standard_normal()) for i in range(40)]
    loose = run_check("oscillation", {"train_loss": noisy}, min_amplitude=0.03)
    gated = run_check("oscillation", {"train_loss": noisy}, min_amplitude=0.03, max_improvement=0.5)
    assert loose.matched and not gated.matched
    swings = [2.0 if i % 2 else 0.5 for i in range(40)]
    assert run_check(
        "oscillation", {"train_loss": swings}, min_amplitude=0.25, max_improvement=0.5
    ).matched


def test_oscillation_a_classifier_above_chance_got_nowhere_whatever_its_first_point(run_check):
    # Adam at 1: the first log (step 10) is already 33, then the loss swings between 4 and 20,
    # never under any uniform guess (log 1000 = 6.9): it "fell" 77 % from its first point
    rng = np.random.default_rng(1)
    swings = [33.0, *(4.0 + 3.0 * rng.random(99) + 10.0 * (np.arange(99) % 2))]
    accuracy = {"train_loss": swings, "val_acc": [0.14] * 100}
    params = {"min_amplitude": 0.25, "max_improvement": 0.5}
    assert not run_check("oscillation", accuracy, **params).matched  # off by default
    assert run_check("oscillation", accuracy, max_classes=1000, **params).matched
    # with the class count known, chance is log K: a 3-class run whose trend ends at 0.9
    # (under log 3 = 1.1) did learn something, and the first-point reading stands
    learned = [3.0, *(0.6 + 0.6 * rng.random(99))]
    three = {"train_loss": learned, "val_acc": [0.6] * 100}
    out = run_check("oscillation", three, config={"n_classes": 3}, max_classes=1000, **params)
    assert not out.matched
    # a regression logs no accuracy: its loss has no chance level to end above
    assert not run_check("oscillation", {"train_loss": swings}, max_classes=1000, **params).matched


def test_oscillation_starts_the_trend_at_the_first_loss_when_it_fell_within_the_head(run_check):
    # an unaveraged small-batch loss that fell 80 % between its first two logged points, then
    # scatters around its floor: the head's median already sits on the floor, the first loss
    # says the trend came most of the way down (a healthy batch-24 regression in the study zoo)
    rng = np.random.default_rng(4)
    noisy = [0.4] + [0.05 + 0.08 * rng.exponential() for _ in range(150)]
    loose = run_check("oscillation", {"train_loss": noisy}, min_amplitude=0.25)
    assert loose.matched  # the swings are there
    gated = run_check("oscillation", {"train_loss": noisy}, min_amplitude=0.25, max_improvement=0.5)
    assert not gated.matched


def test_still_falling_reads_a_five_epoch_log(run_check):
    # a Keras CSVLogger log of a run stopped after five epochs, still falling a third per epoch
    # (tail_trend keeps six: its robust line needs four tail points, most of a five-point log)
    cut_short = [0.659, 0.511, 0.341, 0.210, 0.150]
    assert run_check("still_falling", {"train_loss": cut_short}).matched
    # a five-epoch fine-tune that had flattened out is read too, and is not still falling
    assert not run_check("still_falling", {"train_loss": [0.5, 0.3, 0.25, 0.24, 0.235]}).matched
    assert run_check("still_falling", {"train_loss": cut_short[:4]}) is None


def test_still_falling_min_total_drop(run_check):
    rng = np.random.default_rng(2)
    flat = [7.5 + 0.08 * rng.standard_normal() for _ in range(60)] + [7.3, 7.28, 7.25, 7.2]
    out = run_check("still_falling", {"train_loss": flat}, min_total_drop=0.1)
    assert not out.matched and out.measures["drop"] < 0.1
    line = [2.0 - 0.01 * i for i in range(100)]
    assert run_check("still_falling", {"train_loss": line}, min_total_drop=0.1).matched


def test_diverges_on_a_short_unsmoothed_log(run_check):
    # under ~80 points the smoother keeps every point: a converged fine-tune logging its raw
    # batch loss every 10 steps (26 points of noise around 0.05, the first one low) did not get
    # worse; a per-epoch log that fell to a third of its start and came back above it did
    params = {"min_rebound": 1.0, "for_points": 10, "min_span": 0.1}
    flats = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        flat = list(0.05 * rng.chisquare(2, 26) / 2)
        flat[0] = 0.02
        flats += run_check("diverges", {"train_loss": flat}, **params).matched
    assert flats <= 1
    rng = np.random.default_rng(0)
    back_up = [1.4, 0.72, 0.63, 0.31, *(1.5 + 0.1 * rng.standard_normal(26))]
    assert run_check("diverges", {"train_loss": back_up}, **params).matched


def test_diverges_min_span_ignores_noise_around_the_start(run_check):
    rng = np.random.default_rng(4)
    # noisy at ~21 for a while (the drop so far is tiny), then falls to ~1.5
    slow_start = [21.0 + 0.4 * rng.standard_normal() for _ in range(60)] + [
        21.0 * 0.95**i + 1.5 for i in range(200)
    ]
    assert run_check(
        "diverges", {"train_loss": slow_start}, smooth=0.0
    ).matched  # noise reads as a rebound
    assert not run_check("diverges", {"train_loss": slow_start}, smooth=0.0, min_span=0.1).matched
    runaway = [2.0 - 0.02 * i for i in range(50)] + [1.0 + 0.06 * i for i in range(50)]
    assert run_check("diverges", {"train_loss": runaway}, min_span=0.1).matched


def test_rel_growth_floored_min_ignores_noise_near_zero(run_check):
    """A norm dipping toward 0 near convergence: 1000x over its minimum, ~3x over its median."""
    rng = np.random.default_rng(0)
    near_zero = list(np.abs(rng.normal(0.0, 0.01, 300)) + 1e-7)
    assert run_check("rel_growth", {"grad_norm": near_zero}, min_factor=100.0, for_points=3).matched
    assert not run_check(
        "rel_growth",
        {"grad_norm": near_zero},
        min_factor=100.0,
        for_points=3,
        baseline="floored_min",
    ).matched
    growth = [0.5] * 140 + [0.5 * 1.12**i for i in range(135)]
    assert run_check(
        "rel_growth", {"grad_norm": growth}, min_factor=100.0, for_points=3, baseline="floored_min"
    ).matched


def test_rel_growth_min_of_head_needs_a_return_to_large_values(run_check):
    """A memorized set: the loss sits near 1e-6 and misfit mini-batches jump it 500x, to 5e-4."""
    memorized = [1.1 * 0.8**i for i in range(60)] + [1e-6, 1e-6, 5e-4, 6e-4, 5e-4] * 20
    params = {"min_factor": 10.0, "for_points": 3, "baseline": "floored_min"}
    assert run_check("rel_growth", {"train_loss": memorized}, **params).matched
    out = run_check("rel_growth", {"train_loss": memorized}, min_of_head=0.1, **params)
    assert not out.matched
    # a real blow-up returns to (and past) the opening level
    blown = [1.1 * 0.8**i for i in range(60)] + [1e-6] * 20 + [5.0] * 10
    assert run_check("rel_growth", {"train_loss": blown}, min_of_head=0.1, **params).matched


def test_relative_range(run_check):
    frozen = [1.0402, 1.0401, 1.0405, 1.0399, 1.0403, 1.0402]  # a constant output's val loss
    out = run_check("relative_range", {"val_loss": frozen}, signals=["val_loss"], max=0.005)
    assert out.matched and out.measures["range"] < 0.001 and out.measures["points"] == 6
    moving = [1.2, 1.0, 0.9, 0.85, 0.8, 0.78]
    assert not run_check(
        "relative_range", {"val_loss": moving}, signals=["val_loss"], max=0.005
    ).matched
    assert run_check("relative_range", {"val_loss": frozen[:4]}, signals=["val_loss"]) is None


def test_oscillation_read_against_a_steady_validation_loss(run_check):
    swings = [2.0 if i % 2 else 0.5 for i in range(40)]
    evals = list(range(0, 40, 4))
    flat_val = (evals, [0.86 + 0.002 * (i % 3) for i in range(10)])  # batch noise, flat held-out
    falling_val = (evals, [1.5 - 0.05 * i for i in range(10)])
    bouncing_val = (evals, [1.0, 1.6, 0.9, 1.8, 1.0, 1.5, 0.8, 1.7, 1.1, 1.6])  # overshooting steps
    params = {"min_amplitude": 0.25, "val_max_tau": -0.6, "val_max_step": 0.02}
    for val in (flat_val, falling_val):
        out = run_check("oscillation", {"train_loss": swings, "val_loss": val}, **params)
        assert not out.matched
    out = run_check("oscillation", {"train_loss": swings, "val_loss": bouncing_val}, **params)
    assert out.matched
    # without the validation parameters a steady validation loss changes nothing
    out = run_check("oscillation", {"train_loss": swings, "val_loss": flat_val}, min_amplitude=0.25)
    assert out.matched


def test_rel_growth_for_frac_asks_a_long_noisy_series_to_hold_its_rise(run_check):
    # a per-step gradient norm of batch-4 training: four decades of batch-to-batch scatter
    rng = np.random.default_rng(3)
    noise = list(10 ** rng.uniform(-3, 0, size=600))
    noise[300:303] = [5.0, 7.0, 6.0]  # three big batches in a row, by chance
    params = {"window": 0.2, "min_factor": 100.0, "for_points": 3, "baseline": "floored_min"}
    assert run_check("rel_growth", {"grad_norm": noise}, **params).matched
    assert not run_check("rel_growth", {"grad_norm": noise}, for_frac=0.01, **params).matched
    # a runaway holds: 0.1 growing 10 % a step for the last 60 points
    runaway = [*noise[:540], *(0.1 * 1.1**i for i in range(60))]
    assert run_check("rel_growth", {"grad_norm": runaway}, for_frac=0.01, **params).matched
