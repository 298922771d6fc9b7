"""Unit tests for the optimization checks in checks/optimization_extra.py."""

from __future__ import annotations

import math
import random

import numpy as np

from nn_doctor.checks.optimization_extra import theil_sen

HEALTHY = [2.3 * math.exp(-i / 20) + 0.05 for i in range(100)]


def _noisy(values, sd, seed=0):
    rng = random.Random(seed)
    return [v + rng.gauss(0, sd) for v in values]


def test_theil_sen_ignores_an_outlier():
    x = np.arange(20, dtype=float)
    y = 3 - 0.5 * x
    y[7] = 100.0
    assert abs(theil_sen(x, y) + 0.5) < 1e-9


def test_peak_rise(run_check):
    blowup = [1.1e13, 1.3e16, 9e19] + [0.7] * 20
    out = run_check("peak_rise", {"train_loss": blowup}, min=5.0)
    assert out.matched and out.measures["factor"] > 1e6
    assert not run_check("peak_rise", {"train_loss": _noisy(HEALTHY, 0.05)}, min=5.0).matched
    spike = [*HEALTHY[:50], 4.0, *HEALTHY[51:]]  # one spike of ~2 starting levels above the best
    out = run_check("peak_rise", {"train_loss": spike}, min=5.0)
    assert not out.matched and 1.0 < out.measures["factor"] < 3.0
    assert run_check("peak_rise", {"train_loss": [1.0, 0.5, 0.4]}) is None


def test_peak_rise_singular_jump_against_heavy_tailed_batches(run_check):
    # a net knocked to chance by one step: one jump of ~8 starting levels, the rest small
    rng = random.Random(3)
    knocked = [2.0, 2.3, 6.0, 6.7, 2.4, 2.5, 18.3] + [2.35 + 0.05 * rng.random() for _ in range(60)]
    out = run_check("peak_rise", {"train_loss": knocked}, min=3.0, spike_ratio=2.0)
    assert out.matched and out.measures["factor"] > 5
    # an unaveraged small-batch regression loss: single batches several levels up, all run long
    batches = [0.1 + 0.05 * rng.random() for _ in range(120)]
    batches[0] = 0.3
    for i, level in ((20, 0.8), (45, 0.85), (70, 1.07), (100, 0.75)):
        batches[i] = level
    assert run_check("peak_rise", {"train_loss": batches}, min=3.0).matched  # without the ratio
    out = run_check("peak_rise", {"train_loss": batches}, min=3.0, spike_ratio=2.0)
    assert not out.matched and out.measures["factor"] > 3
    # the largest climb at the very last point (no right-hand neighbour) is measured too
    last = [*batches[:-1], 3.0]
    assert run_check("peak_rise", {"train_loss": last}, min=3.0, spike_ratio=2.0).matched


def test_peak_rise_outgrown_by_a_run_that_trained_through_it(run_check):
    # a warmup overshoot: the loss climbs ~4 starting levels in the first steps, then trains to a
    # fifth of where it started
    rng = random.Random(5)
    warmup = [0.4, 0.9, 2.0, 0.7, 0.35, 0.25] + [0.07 + 0.03 * rng.random() for _ in range(140)]
    assert run_check("peak_rise", {"train_loss": warmup}, min=3.0, spike_ratio=2.0).matched
    out = run_check("peak_rise", {"train_loss": warmup}, min=3.0, spike_ratio=2.0, outgrown=0.5)
    assert not out.matched and out.measures["end"] < 0.5 * out.measures["best_before"]
    # a jump the run only came back from (to about where it was) is still a blow-up
    back = [0.4, 0.9, 2.0, 0.7] + [0.38 + 0.03 * rng.random() for _ in range(140)]
    assert run_check(
        "peak_rise", {"train_loss": back}, min=3.0, spike_ratio=2.0, outgrown=0.5
    ).matched
    # a jump of orders of magnitude is a blow-up even when the run recovers far below its start
    huge = [2240.0, 6.9e20, 4.2e20, 1e18, 1e12, 1e6, 100.0] + [1.5] * 100
    assert run_check(
        "peak_rise", {"train_loss": huge}, min=3.0, spike_ratio=2.0, outgrown=0.5
    ).matched


def test_tail_trend(run_check):
    straight = [2.3 - 0.015 * i for i in range(100)]
    out = run_check("tail_trend", {"train_loss": _noisy(straight, 0.1)})
    assert out.matched and out.measures["share"] > 0.2
    assert not run_check("tail_trend", {"train_loss": _noisy(HEALTHY, 0.02)}).matched
    flat = _noisy([1.0] * 100, 0.05)
    assert not run_check("tail_trend", {"train_loss": flat}).matched
    assert run_check("tail_trend", {"train_loss": [2.0, 1.0, math.nan, 1.0, 1.0, 1.0]}) is None


def test_levelled_off(run_check):
    """Fell and then flattened: converged. Still falling, never fell, or too few points: not."""
    fine_tune = [1.6 * math.exp(-i / 6) + 0.3 for i in range(40)]  # a fine-tune's quick drop
    out = run_check("levelled_off", {"train_loss": _noisy(fine_tune, 0.02)})
    assert out.matched and out.measures["share"] < 0.03 and out.measures["drop"] > 0.5
    straight = [2.3 - 0.015 * i for i in range(100)]
    assert not run_check("levelled_off", {"train_loss": _noisy(straight, 0.1)}).matched
    assert not run_check("levelled_off", {"train_loss": _noisy([1.0] * 100, 0.05)}).matched
    assert run_check("levelled_off", {"train_loss": fine_tune[::5]}) is None  # 8 points: tail 2


def test_steady_decline(run_check):
    slow = _noisy([2.3 - 0.001 * i for i in range(200)], 0.03)
    out = run_check("steady_decline", {"train_loss": slow})
    assert out.matched and out.measures["improvement"] < 0.3 and out.measures["linearity"] > 0.4
    out = run_check("steady_decline", {"train_loss": HEALTHY})
    assert not out.matched and out.measures["linearity"] < 0.2
    flat = _noisy([1.0] * 200, 0.05)
    assert not run_check("steady_decline", {"train_loss": flat}).matched


def test_early_nonfinite(run_check):
    short = [2.5, 40, 900] + [math.nan] * 8
    out = run_check("early_nonfinite", {"train_loss": short})
    assert out.matched and out.measures["finite_before"] == 3
    late = HEALTHY[:80] + [math.nan] * 20
    assert not run_check("early_nonfinite", {"train_loss": late}).matched
    tiny = [2.0, 1.5, 1.2, math.nan, math.nan]  # after 3 of 5 points: past the cap
    assert not run_check("early_nonfinite", {"train_loss": tiny}).matched
    assert not run_check("early_nonfinite", {"train_loss": HEALTHY}).matched
