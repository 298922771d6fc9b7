"""Unit tests for the config and frame-shape checks."""

from __future__ import annotations

import pytest
from tests.checks.conftest import minibatch_losses

LOSS = {"train_loss": [1.0, 0.9, 0.8, 0.7]}


def test_config_is(run_check):
    assert run_check(
        "config_is",
        LOSS,
        config={"hidden_activation": "ReLU"},
        key="hidden_activation",
        values=["relu"],
    ).matched
    assert not run_check(
        "config_is",
        LOSS,
        config={"hidden_activation": "tanh"},
        key="hidden_activation",
        values=["relu"],
    ).matched
    assert run_check("config_is", LOSS, key="hidden_activation", values=["relu"]) is None


@pytest.mark.parametrize(
    ("config", "matched"),
    [
        ({"weight_decay": 0.1, "optimizer": "sgd"}, True),  # 200x SGD's usual L2 penalty
        ({"weight_decay": 0.1, "optimizer": "adamw_torch"}, False),  # GPT-2's, nanoGPT's
        ({"weight_decay": 0.5, "optimizer": "paged_adamw_8bit"}, True),
        ({"weight_decay": 0.1}, None),  # SGD's 200x or AdamW's usual: unknown
        ({"weight_decay": 0.5}, True),  # strong for every optimizer
        ({"weight_decay": 0.01}, False),
        ({"optimizer": "adamw"}, None),
    ],
)
def test_weight_decay_strong_reads_decoupled_decay_on_its_own_bar(run_check, config, matched):
    out = run_check("weight_decay_strong", LOSS, config=config, min=0.1, decoupled_min=0.3)
    assert (None if out is None else out.matched) is matched


def test_config_range(run_check):
    out = run_check("config_range", LOSS, config={"dropout": 0.8}, key="dropout", min=0.5)
    assert out.matched and out.value == pytest.approx(0.8)
    assert not run_check(
        "config_range", LOSS, config={"dropout": 0.1}, key="dropout", min=0.5
    ).matched
    units = run_check(
        "config_range", LOSS, config={"hidden_units": [512, 4]}, key="hidden_units", max=8
    )
    assert units.matched  # a list reads as its smallest (the bottleneck)
    assert run_check("config_range", LOSS, key="dropout", min=0.5) is None


def test_config_ratio(run_check):
    cfg = {"batch_size": 1000, "n_train": 1000}
    out = run_check(
        "config_ratio", LOSS, config=cfg, numerator="batch_size", denominator="n_train", min=0.25
    )
    assert out.matched and out.value == pytest.approx(1.0)
    small = {"batch_size": 32, "n_train": 1000}
    assert not run_check(
        "config_ratio", LOSS, config=small, numerator="batch_size", denominator="n_train", min=0.25
    ).matched
    assert (
        run_check(
            "config_ratio",
            LOSS,
            config={"batch_size": 32},
            numerator="batch_size",
            denominator="n_train",
        )
        is None
    )


def test_lr_vs_typical(run_check):
    typical = {"adam": 0.001, "sgd": 0.05, "default": 0.01}
    out = run_check(
        "lr_vs_typical",
        LOSS,
        config={"lr": 0.1, "optimizer": "adam"},
        typical=typical,
        min_factor=10.0,
    )
    assert out.matched and out.measures["factor"] == pytest.approx(100.0)
    sgd = run_check(
        "lr_vs_typical",
        LOSS,
        config={"lr": 0.1, "optimizer": "sgd"},
        typical=typical,
        min_factor=10.0,
    )
    assert not sgd.matched
    low = run_check("lr_vs_typical", LOSS, config={"lr": 1e-6}, typical=typical, max_factor=0.1)
    assert low.matched and low.measures["optimizer"] == "unknown"  # vs the smallest usual rate
    assert run_check("lr_vs_typical", LOSS, typical=typical) is None


def test_clipped_at_high_lr_needs_both_the_clip_and_the_rate(run_check):
    def clipped(**config):
        return run_check("clipped_at_high_lr", LOSS, config=config, min_factor=10.0)

    out = clipped(grad_clip=0.3, lr=10.0, optimizer="sgd")
    assert out.matched and out.measures["clip"] == 0.3 and out.measures["factor"] == 200.0
    assert not clipped(grad_clip=1.0, lr=0.003, optimizer="adam").matched  # an RNN's outlier guard
    assert not clipped(grad_clip=0.0, lr=10.0, optimizer="sgd").matched  # clipping off
    assert clipped(lr=10.0, optimizer="sgd") is None  # the config does not say
    assert clipped(grad_clip=1.0) is None  # no rate to read


def test_clipped_at_high_lr_reads_the_logged_norm_where_there_is_one(run_check):
    config = {"grad_clip": 0.1, "lr": 5.0, "optimizer": "sgd"}  # torchtext's tutorial
    under = {**LOSS, "grad_norm": [0.03, 0.05, 0.2, 0.04, 0.06, 0.02, 0.05, 0.03]}
    over = {**LOSS, "grad_norm": [0.3, 0.5, 0.2, 0.04, 0.6, 0.2, 0.5, 0.3]}
    args = {"config": config, "min_factor": 10.0, "min_acting": 0.3}
    out = run_check("clipped_at_high_lr", under, **args)
    assert not out.matched and out.measures["acting"] == pytest.approx(1 / 8)
    assert run_check("clipped_at_high_lr", over, **args).matched
    assert run_check("clipped_at_high_lr", LOSS, **args).matched  # no norm: the config says it


def test_lr_vs_typical_without_optimizer_only_claims_what_holds_for_all(run_check):
    typical = {"adam": 0.001, "sgd": 0.05, "default": 0.01}

    def low(lr):
        return run_check("lr_vs_typical", LOSS, config={"lr": lr}, typical=typical, max_factor=0.1)

    def high(lr):
        return run_check("lr_vs_typical", LOSS, config={"lr": lr}, typical=typical, min_factor=10)

    # Adam's usual 1e-3 is not "a tenth of the usual rate" because the optimizer went unlogged:
    # a tenth of SGD's, not of Adam's, so unknown; 1e-6 is small for any optimizer
    assert low(1e-3) is None and low(1e-6).matched and not low(0.5).matched
    # 0.01 is 10x Adam's and a fifth of SGD's: unknown; 1.0 is large for any; 1e-4 for none
    assert high(0.01) is None and high(1.0).matched and not high(1e-4).matched
    named = {"lr": 1e-3, "optimizer": "sgd"}
    assert run_check("lr_vs_typical", LOSS, config=named, typical=typical, max_factor=0.1).matched


def test_lr_vs_typical_knows_the_optimizers_far_from_adam_and_sgd(run_check):
    def factor(lr, optimizer):
        config = {"lr": lr, "optimizer": optimizer}
        return run_check("lr_vs_typical", LOSS, config=config, min_factor=10.0).measures["factor"]

    # PyTorch's MNIST example: Adadelta at its default 1.0 is the usual rate, not 100x it
    assert factor(1.0, "Adadelta") == pytest.approx(1.0)
    assert factor(1e-4, "lion_32bit") == pytest.approx(1.0)  # Lion runs 3-10x below Adam
    assert factor(2e-3, "Adamax") == pytest.approx(1.0)  # matched before its prefix "adam"
    # ... and a run that names no optimizer is still read against the common band: 1.0 is
    # large for Adam, SGD, RMSprop and Adagrad alike (Adadelta's 1.0 does not make it unknown)
    unnamed = run_check("lr_vs_typical", LOSS, config={"lr": 1.0}, min_factor=10.0)
    assert unnamed.matched and unnamed.measures["optimizer"] == "unknown"


def test_lr_vs_typical_reads_the_rate_the_optimizer_used(run_check):
    typical = {"adam": 0.001, "sgd": 0.05, "default": 0.01}
    # configured 3e-4, but the logged rate sat at 6e-8 (a real Lightning log): the logged peak
    data = {**LOSS, "lr": [6.2e-8] * len(LOSS["train_loss"])}
    cfg = {"lr": 3e-4, "optimizer": "adam"}
    out = run_check("lr_vs_typical", data, config=cfg, typical=typical, max_factor=0.1)
    assert out.matched and out.measures["lr"] == pytest.approx(6.2e-8)
    # a warm-up's peak is the rate the run was set to
    warm = {**LOSS, "lr": [1e-3 * min(1.0, (i + 1) / 2) for i in range(len(LOSS["train_loss"]))]}
    out = run_check("lr_vs_typical", warm, config={"optimizer": "adam"}, typical=typical)
    assert out.measures["lr"] == pytest.approx(1e-3)


def test_steps_per_epoch(run_check):
    out = run_check("steps_per_epoch", LOSS, config={"n_train": 1000, "batch_size": 500}, max=4)
    assert out.matched and out.value == 2.0
    assert not run_check(
        "steps_per_epoch", LOSS, config={"n_train": 1000, "batch_size": 10}, max=4
    ).matched
    assert run_check("steps_per_epoch", LOSS, max=4) is None


def test_clip_pinned(run_check):
    pinned = {"grad_norm": [5.0, 6.0, 4.0, 7.0, 0.5]}
    out = run_check("clip_pinned", pinned, config={"grad_clip": 1.0})
    assert out.matched and out.measures["frac"] == pytest.approx(0.8)
    rare = {"grad_norm": [0.5, 0.6, 0.4, 7.0, 0.5]}
    assert not run_check("clip_pinned", rare, config={"grad_clip": 1.0}).matched
    assert run_check("clip_pinned", pinned) is None
    # max_frac alone reads the reverse: a clip that seldom acts
    seldom = {"min_frac": 0.0, "max_frac": 0.3}
    assert run_check("clip_pinned", rare, config={"grad_clip": 1.0}, **seldom).matched
    assert not run_check("clip_pinned", pinned, config={"grad_clip": 1.0}, **seldom).matched


def test_config_match_is_an_and_of_facts(run_check):
    cond = {"task": ["regression"], "output_activation": ["relu", "sigmoid", "tanh"]}
    ok = run_check(
        "config_match",
        LOSS,
        config={"task": "regression", "output_activation": "relu"},
        conditions=cond,
    )
    assert ok.matched and "output_activation=relu" in ok.measures["facts"]
    linear = {"task": "regression", "output_activation": "none"}
    assert not run_check("config_match", LOSS, config=linear, conditions=cond).matched
    assert run_check("config_match", LOSS, config={"task": "regression"}, conditions=cond) is None
    # a failing known fact decides even when another is missing
    assert not run_check(
        "config_match", LOSS, config={"task": "classification"}, conditions=cond
    ).matched


def test_config_match_ranges_booleans_and_optional(run_check):
    cond = {"depth": {"min": 10}, "norm_layers": [False], "residual": [False]}
    deep = {"depth": 20, "norm_layers": False}
    assert run_check(
        "config_match", LOSS, config=deep, conditions=cond, optional=["residual"]
    ).matched
    assert run_check("config_match", LOSS, config=deep, conditions=cond) is None
    shallow = {"depth": 3, "norm_layers": False, "residual": False}
    assert not run_check("config_match", LOSS, config=shallow, conditions=cond).matched
    normed = {"depth": 20, "norm_layers": True, "residual": False}
    assert not run_check("config_match", LOSS, config=normed, conditions=cond).matched


def test_config_ratio_can_pick_the_last_layer(run_check):
    config = {"hidden_units": [8, 16, 64], "n_classes": 10}
    narrowest = run_check(
        "config_ratio",
        {},
        config=config,
        numerator="hidden_units",
        denominator="n_classes",
        max=2.0,
    )
    last = run_check(
        "config_ratio",
        {},
        config=config,
        numerator="hidden_units",
        denominator="n_classes",
        max=2.0,
        pick="last",
    )
    assert narrowest.matched and narrowest.measures["num"] == 8
    assert not last.matched and last.measures["num"] == 64


def test_config_ratio_first_layer_for_one_task_only(run_check):
    def vs_inputs(**config):
        return run_check(
            "config_ratio",
            {},
            config=config,
            numerator="hidden_units",
            denominator="n_inputs",
            max=0.5,
            pick="first",
            task="regression",
        )

    # an autoencoder's 8-unit bottleneck sits between two wide layers: the first reads 64
    hourglass = vs_inputs(hidden_units=[64, 8, 64], n_inputs=32, task="regression")
    assert not hourglass.matched and hourglass.measures["num"] == 64
    assert vs_inputs(hidden_units=[8, 64], n_inputs=32, task="regression").matched
    # a healthy MNIST MLP has 128 units for 784 pixels: the rule of thumb is regression's
    assert not vs_inputs(hidden_units=[128, 64], n_inputs=784, task="classification").matched
    assert vs_inputs(hidden_units=[8, 64], n_inputs=32) is None  # the config does not say


TYPICAL = {"adam": 1e-3, "adamw": 1e-3, "sgd": 0.05, "default": 0.01}


def _adam_losses(lr: float, steps: int = 400, seed: int = 0) -> list[float]:
    """Per-step cross-entropy of a small MLP on 4 blobs under Adam at ``lr``."""
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (400,), generator=g)
    x = torch.randn(4, 10, generator=g)[y] * 1.5 + torch.randn(400, 10, generator=g)
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(10, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    return minibatch_losses(net, opt, x, y, steps, g)


def test_stalled_at_small_lr_on_real_runs(run_check):
    def stalled(lr: float):
        return run_check(
            "stalled_at_small_lr",
            {"train_loss": _adam_losses(lr)},
            config={"optimizer": "adam", "lr": lr},
            typical=TYPICAL,
        )

    tiny = stalled(1e-5)  # 400 steps at a hundredth of the rate: worth 4 usual steps
    assert tiny.matched and tiny.measures["effective_steps"] == pytest.approx(4.0)
    assert not stalled(1e-3).matched  # the usual rate learns


def test_stalled_at_small_lr_spares_a_long_fine_tune(run_check):
    flat = [2.0 - 0.0005 * i for i in range(200)]
    config = {"optimizer": "adamw", "lr": 2e-5}
    short = run_check("stalled_at_small_lr", {"train_loss": flat}, config=config, typical=TYPICAL)
    assert short.matched
    # the same curve logged every 500 steps: 100k small steps are worth 2,000 usual ones
    long = run_check(
        "stalled_at_small_lr",
        {"train_loss": ([500 * i for i in range(200)], flat)},
        config=config,
        typical=TYPICAL,
    )
    assert not long.matched and long.measures["effective_steps"] == pytest.approx(2000.0)
    # a logged schedule is averaged: a rate that decays to 0 is worth half its peak
    decayed = run_check(
        "stalled_at_small_lr",
        {"train_loss": flat, "lr": [2e-5 * (1 - i / 199) for i in range(200)]},
        config=config,
        typical=TYPICAL,
    )
    assert decayed.measures["effective_steps"] == pytest.approx(2.0, rel=0.01)
    assert run_check("stalled_at_small_lr", {"train_loss": flat}, typical=TYPICAL) is None


def test_few_usual_steps(run_check):
    noisy = [1.0 + 0.1 * ((-1) ** i) for i in range(12)]
    config = {"optimizer": "adam", "lr": 1.5e-4}
    steps = [5 * (i + 1) for i in range(12)]  # 60 steps at 0.15x Adam's 1e-3: worth 9
    out = run_check(
        "few_usual_steps", {"train_loss": (steps, noisy)}, config=config, typical=TYPICAL
    )
    assert out.matched and out.measures["effective_steps"] == pytest.approx(9.0)
    # 100 times longer: 6,000 steps are worth 900 usual ones
    long = [500 * (i + 1) for i in range(12)]
    assert not run_check(
        "few_usual_steps", {"train_loss": (long, noisy)}, config=config, typical=TYPICAL
    ).matched
    # a rate under a tenth of the usual one is lr_too_low's question, not this one's
    tiny = {"optimizer": "adam", "lr": 1e-5}
    assert not run_check(
        "few_usual_steps", {"train_loss": (steps, noisy)}, config=tiny, typical=TYPICAL
    ).matched


def test_optimizer_kind_matches_a_family_by_name(run_check):
    kinds = {"kinds": ["adam", "rmsprop"]}
    assert run_check("optimizer_kind", LOSS, config={"optimizer": "adamw_torch"}, **kinds).matched
    assert run_check("optimizer_kind", LOSS, config={"optimizer": "NAdam"}, **kinds).matched
    assert not run_check("optimizer_kind", LOSS, config={"optimizer": "sgd"}, **kinds).matched
    assert run_check("optimizer_kind", LOSS, **kinds) is None


@pytest.mark.parametrize(
    ("config", "side", "matched"),
    [
        # std 1e-4 on 64-unit layers: 0.0008x LeCun's 1/sqrt(64)
        ({"init": "normal_0.0001", "hidden_units": [64, 64]}, "tiny", True),
        ({"init": "normal_0.0001", "hidden_units": [64, 64]}, "large", False),
        # HF's initializer_range 0.02 at width 768 (0.55x LeCun's): neither
        ({"initializer_range": 0.02, "hidden_size": 768}, "tiny", False),
        ({"initializer_range": 0.02, "hidden_size": 768}, "large", False),
        # std 0.5 on 48-unit layers: 3.5x LeCun's
        ({"init": "normal(std=0.5)", "hidden_units": [48] * 4}, "large", True),
        # no width stated: the absolute bars (1e-3 tiny, 0.3 large)
        ({"init": "normal:1.0"}, "large", True),
        ({"init": "normal:0.1"}, "large", False),
        ({"init": "normal:0.0005"}, "tiny", True),
        # no std stated: large falls back to the scheme's name, tiny is unknown
        ({"init": "normal"}, "large", True),
        ({"init": "kaiming_normal"}, "large", False),
        ({"init": "normal"}, "tiny", None),
        ({}, "large", None),
    ],
)
def test_init_scale(run_check, config, side, matched):
    out = run_check(
        "init_scale",
        LOSS,
        config=config,
        side=side,
        factor=2.0 if side == "large" else 0.1,
        absolute=0.3 if side == "large" else 0.001,
        schemes=["normal", "ones", "constant", "uniform"],
    )
    assert (out.matched if out is not None else None) is matched


def _forward_gain(std: float | None, depth: int = 12, width: int = 48) -> float:
    """RMS of a ReLU MLP's last hidden layer over its first's, on its first forward pass."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    h = torch.randn(2000, width)
    rms = []
    with torch.no_grad():
        for _ in range(depth):
            layer = torch.nn.Linear(width, width)
            if std is not None:
                torch.nn.init.normal_(layer.weight, std=std)
                torch.nn.init.zeros_(layer.bias)
            h = torch.relu(layer(h))
            rms.append(float(h.pow(2).mean().sqrt()))
    return rms[-1] / rms[0]


def test_init_gain_reads_what_a_forward_pass_measures(run_check):
    config = {"init_std": 0.3, "hidden_units": [48] * 12, "depth": 12, "hidden_activation": "relu"}
    out = run_check("init_gain", LOSS, config=config)
    measured = _forward_gain(0.3)
    assert out.matched and measured >= 10
    assert measured / 3 <= out.measures["gain"] <= measured * 3  # the same order of magnitude
    # He's std keeps the scale: neither the estimate nor the network grows it tenfold
    he = {**config, "init_std": (2 / 48) ** 0.5}
    assert (
        not run_check("init_gain", LOSS, config=he).matched and _forward_gain(he["init_std"]) < 10
    )
    # the same std over two layers is harmless
    shallow = {**config, "hidden_units": [48, 48], "depth": 2}
    assert not run_check("init_gain", LOSS, config=shallow).matched


def test_init_gain_needs_std_widths_and_a_growing_activation(run_check):
    config = {"init_std": 0.3, "hidden_units": 48, "depth": 12}
    assert run_check("init_gain", LOSS, config=config).matched  # ReLU unless stated
    assert run_check("init_gain", LOSS, config={**config, "hidden_activation": "tanh"}) is None
    assert run_check("init_gain", LOSS, config={"init_std": 0.3, "hidden_units": 48}) is None
    assert run_check("init_gain", LOSS, config={"hidden_units": [48] * 12}) is None
