"""Unit tests for the data/regularization checks in checks/data_extra.py."""

from __future__ import annotations

import math
import random

from tests.checks.conftest import make_frame

from nn_doctor.checks import Inputs, registry

TRAIN = [2.3 * math.exp(-i / 20) + 0.05 for i in range(100)]
EVAL_STEPS = list(range(0, 100, 10))


def test_best_improvement(run_check):
    u_shape = (EVAL_STEPS, [2.0, 1.5, 1.0, 0.8, 0.9, 1.1, 1.3, 1.5, 1.7, 1.9])
    out = run_check("best_improvement", {"val_loss": u_shape}, min=0.3)
    assert out.matched and 0.45 < out.measures["improvement"] < 0.65
    never = (EVAL_STEPS, [2.0, 2.0, 2.1, 2.2, 2.3, 2.4, 2.5, 2.6, 2.7, 2.8])
    assert run_check("best_improvement", {"val_loss": never}, max=0.05).matched
    assert run_check("best_improvement", {"val_loss": ([0, 1], [1.0, 2.0])}) is None


def test_give_back(run_check):
    bump = (EVAL_STEPS, [2.0, 0.6, 0.2, 0.1, 0.08, 0.08, 0.085, 0.09, 0.092, 0.093])
    out = run_check("give_back", {"val_loss": bump}, max=0.1)
    assert out.matched and out.measures["give_back"] < 0.02
    memorize = (EVAL_STEPS, [1.0, 0.8, 0.7, 0.72, 0.76, 0.8, 0.85, 0.9, 0.95, 1.0])
    out = run_check("give_back", {"val_loss": memorize}, min=0.5)
    assert out.matched
    never = (EVAL_STEPS, [1.0, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8])
    assert math.isinf(run_check("give_back", {"val_loss": never}).measures["give_back"])


def test_train_learns_val_never(run_check):
    never = (EVAL_STEPS, [2.2, 2.21, 2.3, 2.4, 2.6, 2.8, 3.0, 3.2, 3.4, 3.6])
    out = run_check("train_learns_val_never", {"train_loss": TRAIN, "val_loss": never})
    assert out.matched and out.measures["train_improvement"] > 0.9
    improves = (EVAL_STEPS, [2.2, 1.5, 1.1, 0.9, 0.85, 0.9, 1.0, 1.15, 1.3, 1.5])
    assert not run_check(
        "train_learns_val_never", {"train_loss": TRAIN, "val_loss": improves}
    ).matched
    # evaluations only after training converged: the evaluated span shows little training progress
    converged = [2.0 * 0.8**i for i in range(20)] + [0.03 - 0.0001 * j for j in range(80)]
    late = ([60, 70, 80, 90], [0.31, 0.33, 0.36, 0.4])
    out = run_check("train_learns_val_never", {"train_loss": converged, "val_loss": late})
    assert not out.matched


def test_a_long_run_starts_at_its_first_evaluations(run_check):
    # 300 epochs on a small set: validation learns in its first ~20 evaluations and then slowly
    # gives some back. A window of 10 % of the evaluations (30) would take the start from the
    # learned level, so validation would seem never to have improved (a distribution shift).
    steps = list(range(0, 3000, 10))
    val = (steps, [0.55 + 0.3 * math.exp(-i / 6) + 0.0005 * i for i in range(300)])
    train = [1.0 * math.exp(-i / 400) + 0.1 for i in range(3000)]
    out = run_check("best_improvement", {"val_loss": val})
    assert out.measures["improvement"] > 0.25
    out = run_check("train_learns_val_never", {"train_loss": train, "val_loss": val})
    assert not out.matched and out.measures["val_improvement"] > 0.25
    assert run_check("give_back", {"val_loss": val}).measures["give_back"] < 1.0


def test_metric_improving_at_end(run_check):
    val = (EVAL_STEPS, [2.2, 1.5, 1.1, 0.9, 0.85, 0.9, 1.0, 1.15, 1.3, 1.5])
    rising = (EVAL_STEPS, [0.3, 0.5, 0.6, 0.65, 0.7, 0.72, 0.74, 0.76, 0.78, 0.8])
    assert run_check("metric_improving_at_end", {"val_loss": val, "val_acc": rising}).matched
    stalled = (EVAL_STEPS, [0.3, 0.5, 0.6, 0.65, 0.7, 0.75, 0.75, 0.75, 0.75, 0.75])
    out = run_check("metric_improving_at_end", {"val_loss": val, "val_acc": stalled})
    assert not out.matched and out.measures["gain"] > 0.01 and out.measures["late_gain"] == 0.0


def test_epoch_periodicity_tolerates_an_inexact_epoch_length(run_check):
    # the pattern repeats every 11 steps; the config implies 10 steps per epoch
    loss = [1.5 - 0.002 * i + 0.35 * math.sin(2 * math.pi * i / 11) for i in range(220)]
    cfg = {"n_train": 1000, "batch_size": 100}
    out = run_check("epoch_periodicity", {"train_loss": loss}, config=cfg)
    assert out.matched and out.measures["acf"] > 0.5
    exact = run_check("epoch_periodicity", {"train_loss": loss}, config=cfg, tolerance=0.0)
    assert exact.measures["acf"] < out.measures["acf"]
    rng = random.Random(0)
    flat = [1.0 - 0.001 * i + 0.02 * rng.gauss(0, 1) for i in range(220)]
    assert not run_check("epoch_periodicity", {"train_loss": flat}, config=cfg).matched


def test_epoch_periodicity_is_not_an_alternation_every_other_point(run_check):
    # an epoch of 4 logged points; a loss flipping up and down from point to point (a step
    # size too large) correlates at every even lag, the epoch's included
    rng = random.Random(2)
    cfg = {"n_train": 400, "batch_size": 100}
    flip = [1.0 * (2.5 if i % 2 else 0.4) * (1 + 0.6 * rng.random()) for i in range(120)]
    assert not run_check("epoch_periodicity", {"train_loss": flip}, config=cfg).matched
    # a fixed order: high on the epoch's first point, low on the other three
    order = [1.0 * (3.0 if i % 4 == 0 else 0.5) * (1 + 0.3 * rng.random()) for i in range(120)]
    assert run_check("epoch_periodicity", {"train_loss": order}, config=cfg).matched


def test_epoch_periodicity_ignores_a_staircase_at_epoch_boundaries(run_check):
    # a multi-epoch fine-tune: flat within each epoch (noise only), one drop at every boundary
    rng = random.Random(1)
    steps = list(range(0, 800, 4))  # 200 points, 20 per epoch of 80 steps
    epoch = (steps, [s // 80 for s in steps])
    stairs = [0.9 * 0.5 ** (s // 80) * (1 + 0.05 * rng.gauss(0, 1)) for s in steps]
    out = run_check("epoch_periodicity", {"train_loss": (steps, stairs), "epoch": epoch})
    assert out is not None and not out.matched, out
    # a fixed data order: the loss swings within each epoch the same way, and still falls
    order = [
        (1.5 - 0.001 * s)
        * (1.6 if (s % 80) // 20 in (1, 3) else 0.7)
        * (1 + 0.05 * rng.gauss(0, 1))
        for s in steps
    ]
    out = run_check("epoch_periodicity", {"train_loss": (steps, order), "epoch": epoch})
    assert out is not None and out.matched and out.measures["acf"] > 0.5, out


def test_epoch_periodicity_survives_a_first_epoch_transient(run_check):
    # sorted binary data, 6 points an epoch: a spike at each class switch, twice an epoch; the
    # first epoch plunges to 1e-4 before the first switch hits (the hastie study run's shape)
    rng = random.Random(2)
    swing = [1.5, 0.8, 0.4]
    loss = [0.03, 0.002, 1.0, 0.05, 3e-4, 6e-5] + [
        swing[i % 3] * (1 - 0.002 * i) * (1 + 0.05 * rng.gauss(0, 1)) for i in range(144)
    ]
    cfg = {"n_train": 1920, "batch_size": 40}  # 48 steps an epoch, logged every 8
    steps = [8 * (i + 1) for i in range(len(loss))]
    out = run_check("epoch_periodicity", {"train_loss": (steps, loss)}, config=cfg)
    assert out.matched and out.measures["acf"] > 0.5, out


# The training loss of a healthy study-zoo run (GELU MLP, Adam, Hugging Face Trainer logging the
# mean loss of every 5 steps; 15 steps an epoch): averaged, it falls monotonically between most
# logged points.
AVERAGED_HEALTHY_LOSS = [
    1.371,
    1.341,
    1.277,
    1.248,
    1.2,
    1.165,
    1.134,
    1.095,
    1.09,
    1.056,
    1.022,
    0.9797,
    0.9467,
    0.9385,
    0.9443,
    0.8776,
    0.8871,
    0.8665,
    0.8361,
    0.8212,
    0.8075,
    0.7826,
    0.7826,
    0.7584,
    0.7352,
    0.7323,
    0.7352,
    0.7174,
    0.7009,
    0.6761,
    0.6714,
    0.663,
    0.6655,
    0.6446,
    0.6562,
    0.6138,
    0.6117,
    0.6187,
    0.6078,
    0.581,
    0.6129,
    0.5813,
    0.5695,
    0.5949,
    0.5519,
    0.5508,
    0.5514,
    0.5607,
    0.5504,
    0.5354,
    0.5296,
    0.5134,
    0.5235,
    0.5374,
    0.5107,
    0.5182,
    0.5015,
    0.496,
    0.4873,
    0.5118,
    0.4911,
    0.483,
    0.4911,
    0.4906,
    0.4738,
    0.4703,
    0.458,
    0.4834,
    0.466,
    0.4591,
    0.4618,
    0.4617,
    0.4599,
    0.4458,
    0.4548,
    0.45,
    0.4386,
    0.4505,
    0.4458,
    0.4384,
    0.4352,
    0.4318,
    0.4402,
    0.4323,
    0.418,
    0.4312,
    0.4378,
    0.4185,
    0.4219,
    0.4332,
    0.4082,
    0.4138,
    0.4392,
    0.4176,
    0.4152,
    0.4178,
    0.406,
    0.4157,
    0.4189,
    0.4233,
    0.3955,
    0.4128,
    0.4116,
    0.4089,
    0.4045,
    0.4022,
    0.3976,
    0.4189,
    0.4009,
    0.398,
    0.4143,
    0.4258,
    0.3881,
    0.3958,
    0.3977,
    0.3893,
    0.4201,
    0.3966,
    0.3998,
    0.4092,
]


def test_epoch_periodicity_needs_swings_to_correlate(run_check):
    # minus its median trend the averaged loss is zero but at a few scattered points, and those
    # happen to line up at the 3-point epoch lag (autocorrelation 0.31): no swing, no repeat
    steps = [5 * (i + 1) for i in range(len(AVERAGED_HEALTHY_LOSS))]
    cfg = {"n_train": 1920, "batch_size": 128}
    out = run_check(
        "epoch_periodicity",
        {"train_loss": (steps, AVERAGED_HEALTHY_LOSS)},
        config=cfg,
        min_points_per_period=3,
        min_periods=4,
    )
    assert out is not None and not out.matched, out


def test_epoch_periodicity_ignores_a_noiseless_decay(run_check):
    # minus its rolling median a smooth decay leaves a slow drift that correlates at any lag
    loss = [2.3 * math.exp(-i / 40) + 0.05 for i in range(200)]
    out = run_check(
        "epoch_periodicity", {"train_loss": loss}, config={"n_train": 640, "batch_size": 32}
    )
    assert out is not None and not out.matched, out


def test_metric_improving_at_end_reads_two_evaluations_a_window(run_check):
    # five evaluations of two real Whisper fine-tunes: the loss rises from the first; WER (lower
    # is better, oriented by the engine as its negative) improves to a plateau in one (32.01 then
    # 32.10: one noisy point, not a decline) and stalls at a poor level in the other
    steps = [1000, 2000, 3000, 4000, 5000]
    loss = (steps, [0.307, 0.356, 0.421, 0.452, 0.468])
    plateau = (steps, [-34.63, -33.13, -32.59, -32.01, -32.10])
    stalled = (steps, [-0.789, -0.748, -0.743, -0.744, -0.745])
    sig = ["val_loss", "val_score"]
    assert run_check(
        "metric_improving_at_end", {"val_loss": loss, "val_score": plateau}, signals=sig
    ).matched
    assert not run_check(
        "metric_improving_at_end", {"val_loss": loss, "val_score": stalled}, signals=sig
    ).matched


def test_val_outpaces_train(run_check):
    slow_train = [2.3 * 0.997**i for i in range(100)]
    val = (EVAL_STEPS, [2.2, 1.8, 1.5, 1.3, 1.2, 1.15, 1.1, 1.08, 1.06, 1.05])
    out = run_check("val_outpaces_train", {"train_loss": slow_train, "val_loss": val})
    assert out.matched and out.measures["ratio"] > 1.5
    healthy_val = (EVAL_STEPS, [2.1, 1.0, 0.6, 0.45, 0.38, 0.35, 0.33, 0.32, 0.31, 0.3])
    assert not run_check(
        "val_outpaces_train", {"train_loss": TRAIN, "val_loss": healthy_val}
    ).matched


def test_scales_within_needs_every_logged_scale_small():
    names = ["input_std", "input_mean", "target_std", "target_mean"]

    def scales(**logged: float):
        frame = make_frame({"train_loss": [1.0] * 10, **{k: [v] * 10 for k, v in logged.items()}})
        # the check's own ``signals`` parameter clashes with the helper's: call it directly
        return registry()["scales_within"].fn(Inputs(frame=frame), signals=names, max=10.0)

    out = scales(input_std=0.98, input_mean=-0.01)
    assert out.matched and out.value == 0.98 and out.measures["signal"] == "input_std"
    # standardized inputs, raw regression targets: the data side is not on a small scale
    out = scales(input_std=0.98, input_mean=0.01, target_std=75.0, target_mean=-150.0)
    assert not out.matched and out.value == 150.0 and out.measures["signal"] == "target_mean"
    assert scales() is None  # nothing about the data was logged


def _fixed_order_losses(n_epochs: int, per_epoch: int, seed: int) -> list[float]:
    """A loss logged every step over data sorted by class: each batch's loss depends on where in
    the epoch it falls (the class just seen is fit, the next one is not), on a falling trend."""
    rng = random.Random(seed)
    pattern = [0.2 + 1.5 * ((i * 7) % per_epoch) / per_epoch for i in range(per_epoch)]
    out = []
    for e in range(n_epochs):
        level = math.exp(-e / 8)
        out += [level * p * math.exp(rng.gauss(0, 0.15)) for p in pattern]
    return out


def test_periodic_loss_finds_a_fixed_order_without_an_epoch_length(run_check):
    # no epoch counter, no data-set size: epoch_periodicity cannot place an epoch
    loss = _fixed_order_losses(n_epochs=20, per_epoch=13, seed=1)
    assert run_check("epoch_periodicity", {"train_loss": loss}) is None
    out = run_check("periodic_loss", {"train_loss": loss})
    assert out.matched and out.measures["lag"] == 13 and out.measures["acf"] > 0.8
    # a healthy loss with multiplicative batch noise repeats at no lag
    rng = random.Random(2)
    healthy = [(2.3 * math.exp(-i / 60) + 0.05) * math.exp(rng.gauss(0, 0.3)) for i in range(260)]
    out = run_check("periodic_loss", {"train_loss": healthy})
    assert not out.matched and out.measures["acf"] < 0.3
    # a per-epoch log, or one too short to repeat three times, is not read
    assert run_check("periodic_loss", {"train_loss": loss[:20]}) is None


def test_epoch_periodicity_reads_an_epoch_the_log_cadence_splits(run_check):
    # 38 steps an epoch logged every 4 steps: 9.5 points an epoch, so the logged pattern repeats
    # only every two epochs (19 points); the single-epoch lags see it out of phase
    rng = random.Random(3)
    pattern = [0.2 + 1.5 * ((i * 7) % 38) / 38 for i in range(38)]
    per_step = [
        math.exp(-i / 2000) * pattern[i % 38] * math.exp(rng.gauss(0, 0.1)) for i in range(1000)
    ]
    steps = list(range(0, 1000, 4))
    loss = (steps, [per_step[s] for s in steps])
    cfg = {"n_train": 38 * 32, "batch_size": 32}
    out = run_check("epoch_periodicity", {"train_loss": loss}, config=cfg)
    assert out.matched and out.measures["lag"] in (18, 19, 20) and out.measures["acf"] > 0.5
    # the doubled epoch is held to the stricter bar of a search that knows no epoch: above it,
    # only a one-epoch lag (out of phase, a weaker correlation) can speak
    strict = run_check("epoch_periodicity", {"train_loss": loss}, config=cfg, multiple_min_acf=0.99)
    assert strict.measures["lag"] <= 11 and strict.measures["acf"] < out.measures["acf"]
