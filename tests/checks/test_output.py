"""The capped-logit cross-entropy floor, on real (tiny) torch training runs and on its edges."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from tests.checks.conftest import minibatch_losses

from nn_doctor.checks.output import logit_cap_floor


def _train(out_act: str | None, n_classes: int = 3, steps: int = 300, seed: int = 0) -> list[float]:
    """Per-step training losses of a small MLP on separable blobs, with ``out_act`` on the logits."""
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(n_classes, 8, generator=g) * 4
    y = torch.randint(0, n_classes, (600,), generator=g)
    x = centers[y] + torch.randn(600, 8, generator=g)
    torch.manual_seed(seed)
    layers = [torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, n_classes)]
    if out_act:
        layers.append({"sigmoid": torch.nn.Sigmoid(), "tanh": torch.nn.Tanh()}[out_act])
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    return minibatch_losses(net, opt, x, y, steps, g)


def test_floor_values_match_the_closed_form():
    # binary with sigmoid-capped logits: the best sample has p = e / (e + 1)
    assert logit_cap_floor(2, 1.0) == pytest.approx(-math.log(math.e / (math.e + 1)))
    assert logit_cap_floor(10, 2.0) == pytest.approx(math.log(1 + 9 * math.exp(-2)))


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_capped_classifier_matches_from_the_loss_alone(act, run_check):
    out = run_check("logit_cap_floor", {"train_loss": _train(act)})
    assert out is not None and out.matched
    assert out.measures["n_classes"] == 3
    assert out.measures["cap"].startswith(act)


def test_healthy_classifier_goes_below_any_floor(run_check):
    out = run_check("logit_cap_floor", {"train_loss": _train(None)})
    assert out is not None and not out.matched


def test_known_class_count_is_used_instead_of_the_estimate(run_check):
    out = run_check("logit_cap_floor", {"train_loss": _train("sigmoid")}, config={"n_classes": 5})
    # the 5-class sigmoid floor (0.886) is not where this run sits, and it stays above the
    # 5-class tanh floor (0.433): not a match, and not refuted either
    assert out is None


def test_regression_runs_are_unknown(run_check):
    config = {"task": "regression"}
    assert run_check("logit_cap_floor", {"train_loss": _train("sigmoid")}, config=config) is None


def test_many_estimated_classes_are_not_enough(run_check):
    # A language-model-like curve: with hundreds of candidate class counts some floor always
    # lies near the plateau (log(1 + 220/e^2) = 3.4267 here); only a known count may match.
    import numpy as np

    rng = np.random.default_rng(0)
    losses = list(np.linspace(5.4, 3.43, 60)) + list(3.43 + rng.uniform(0.0, 0.25, 200))
    out = run_check("logit_cap_floor", {"train_loss": losses})
    assert out is None or not out.matched
    known = run_check("logit_cap_floor", {"train_loss": losses}, config={"n_classes": 221})
    assert known.matched and known.measures["n_classes"] == 221


def test_a_curve_still_falling_through_a_floor_does_not_match(run_check):
    # 2.3·e^(-i/40) + 0.05 over 20 steps ends at 1.48, 1.3 % above the ten-class sigmoid floor,
    # but it is still falling steeply there: it crosses floors, it does not rest on one.
    losses = [2.3 * math.exp(-i / 40) + 0.05 for i in range(20)]
    out = run_check("logit_cap_floor", {"train_loss": losses})
    assert out is None or not out.matched


def test_uniform_guess_reads_the_class_count_from_the_level(run_check):
    out = run_check(
        "uniform_guess", {"train_loss": [math.log(10) + 0.001 * (i % 3) for i in range(50)]}
    )
    assert out.matched and out.measures["n_classes"] == 10
    # binary with a 70/30 prior: the entropy of the prior (0.61) is still "no input used"
    assert run_check("uniform_guess", {"train_loss": [0.611] * 50}).matched
    # between two chance levels (t5-like flat fine-tune), falling from chance, above ln 12
    assert not run_check("uniform_guess", {"train_loss": [1.87] * 50}).matched
    falling = [math.log(3) * (1 - 0.01 * i) for i in range(50)]
    assert not run_check("uniform_guess", {"train_loss": falling}).matched
    assert run_check("uniform_guess", {"train_loss": [4.0] * 50}) is None
    # the config's class count wins; a regression run has no chance level
    assert not run_check(
        "uniform_guess", {"train_loss": [math.log(10)] * 50}, config={"n_classes": 3}
    ).matched
    assert (
        run_check("uniform_guess", {"train_loss": [1.0] * 50}, config={"task": "regression"})
        is None
    )


def _relu_mlp(sizes: list[int], init_std: float | None, seed: int = 0) -> tuple[Any, Any]:
    """A plain ReLU MLP of ``sizes``, optionally with every weight drawn from N(0, ``init_std``)
    (the large init behind an explosion from step 0), and its Adam optimizer at 1e-3."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(seed)
    layers: list = []
    for a, b in itertools.pairwise(sizes):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1])
    if init_std is not None:
        for p in net.parameters():
            torch.nn.init.normal_(p, std=init_std)
    return net, torch.optim.Adam(net.parameters(), lr=1e-3)


def _first_losses(init_std: float | None, seed: int = 0) -> list[float]:
    """Cross-entropy of a 5-layer ReLU MLP on 3 blobs over 40 Adam steps, optionally with a
    large init (see :func:`_relu_mlp`)."""
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 3, (300,), generator=g)
    x = torch.randn(3, 8, generator=g)[y] * 2 + torch.randn(300, 8, generator=g)
    net, opt = _relu_mlp([8, 32, 32, 32, 32, 3], init_std, seed)
    return minibatch_losses(net, opt, x, y, 40, g)


def test_start_beyond_chance_separates_a_large_init_from_a_default_one(run_check):
    blown, default = _first_losses(0.5), _first_losses(None)
    config = {"task": "classification", "n_classes": 3}
    out = run_check("start_beyond_chance", {"train_loss": blown}, config=config)
    assert out.matched and out.measures["excess"] >= 10
    assert not run_check("start_beyond_chance", {"train_loss": default}, config=config).matched


def test_start_beyond_chance_band_tells_raw_features_from_a_large_init(run_check):
    # real first steps: blobs in units 10x too wide (and offset) under the default init start a
    # few nats above ln 3; a large init blows the logits past 10
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 3, (300,), generator=g)
    x = (torch.randn(3, 8, generator=g)[y] * 2 + torch.randn(300, 8, generator=g)) * 10 + 40
    net, opt = _relu_mlp([8, 32, 32, 3], None)
    raw = minibatch_losses(net, opt, x, y, 40, g)
    band = {"min_nats": 3.0, "max_nats": 10.0, "first_point": True}
    config = {"task": "classification", "n_classes": 3}
    out = run_check("start_beyond_chance", {"train_loss": raw}, config=config, **band)
    assert out.matched and 3 <= out.measures["excess"] < 10
    blown = _first_losses(0.5)
    out = run_check("start_beyond_chance", {"train_loss": blown}, config=config, **band)
    assert not out.matched and out.measures["excess"] >= 10


def test_start_beyond_chance_first_point_reads_a_start_the_median_hides(run_check):
    # raw pixels: the first logits blown wide, the units they kill put the loss back at ln 10
    killed = [18.1] + [2.31] * 179
    config = {"task": "classification", "n_classes": 10}
    params = {"min_nats": 3.0, "config": config}
    assert not run_check("start_beyond_chance", {"train_loss": killed}, **params).matched
    out = run_check("start_beyond_chance", {"train_loss": killed}, first_point=True, **params)
    assert out.matched and out.measures["head"] == 18.1
    at_chance = [2.4] + [2.31] * 179
    assert not run_check(
        "start_beyond_chance", {"train_loss": at_chance}, first_point=True, **params
    ).matched


def test_start_beyond_chance_needs_to_know_it_is_a_classifier(run_check):
    huge = [500.0 - i for i in range(20)]
    assert run_check("start_beyond_chance", {"train_loss": huge}) is None  # could be an MSE
    regression = {"task": "regression"}
    assert run_check("start_beyond_chance", {"train_loss": huge}, config=regression) is None
    # an accuracy metric says classification; the class count unknown, the bar is over ln 1000
    with_acc = {"train_loss": huge, "val_acc": [0.5] * 20}
    assert run_check("start_beyond_chance", with_acc).matched
    assert not run_check("start_beyond_chance", {**with_acc, "train_loss": [15.0] * 20}).matched


def test_start_level_unless_classifier(run_check):
    huge = [3000.0 * 0.9**i for i in range(40)]
    out = run_check("start_level_unless_classifier", {"train_loss": huge}, min=1000.0)
    assert out.matched  # an MSE starting at the targets' variance
    assert not run_check(
        "start_level_unless_classifier", {"train_loss": [2.0] * 40}, min=1000.0
    ).matched
    # a classifier's cross-entropy of 3000 is no target variance: not read here
    for known in ({"config": {"task": "classification"}}, {"config": {"n_classes": 10}}):
        assert (
            run_check("start_level_unless_classifier", {"train_loss": huge}, min=1000.0, **known)
            is None
        )
    with_acc = {"train_loss": huge, "val_acc": [0.5] * 40}
    assert run_check("start_level_unless_classifier", with_acc, min=1000.0) is None


def _regression_losses(
    init_std: float | None, target_mean: float, target_std: float
) -> list[float]:
    """Per-step MSE of a 5-layer ReLU MLP on a smooth synthetic target over 400 Adam steps
    (batch 32), the targets rescaled to (``target_mean``, ``target_std``); optionally with a
    large init (see :func:`_relu_mlp`): outputs blown up from the first step."""
    torch = pytest.importorskip("torch")
    g = torch.Generator().manual_seed(0)
    x = torch.randn(512, 8, generator=g)
    y = torch.sin(x[:, :1] * 2) + 0.5 * x[:, 1:2] * x[:, 2:3]
    y = (y - y.mean()) / y.std() * target_std + target_mean
    net, opt = _relu_mlp([8, 64, 64, 64, 64, 1], init_std)
    return minibatch_losses(net, opt, x, y, 400, g, torch.nn.functional.mse_loss)


def test_huge_start_collapses_tells_a_blown_init_from_raw_targets(run_check):
    params = {"min_start": 1000.0, "max_ratio": 0.002}
    blown = run_check(
        "huge_start_collapses", {"train_loss": _regression_losses(0.5, 0, 1)}, **params
    )
    assert blown.matched and blown.measures["head"] >= 1000  # outputs shrink to unit-scale targets
    raw = run_check(
        "huge_start_collapses", {"train_loss": _regression_losses(None, 150, 75)}, **params
    )
    assert raw.measures["head"] >= 1000 and not raw.matched  # the loss stays on the targets' scale
    small = run_check(
        "huge_start_collapses", {"train_loss": _regression_losses(None, 0, 1)}, **params
    )
    assert not small.matched  # an ordinary start
    # a classifier, or logged target statistics, decide elsewhere
    huge = [5000.0 * 0.5**i for i in range(20)]
    assert run_check("huge_start_collapses", {"train_loss": huge, "val_acc": [0.5] * 20}) is None
    assert run_check("huge_start_collapses", {"train_loss": huge, "target_std": [1.0] * 20}) is None


def test_logits_within_bound(run_check):
    n = 30
    clf = {"task": "classification", "n_classes": 4}
    sig = {"pred_max": [min(1.0, 0.7 + 0.02 * i) for i in range(n)], "pred_min": [0.01] * n}
    out = run_check("logits_within_bound", sig, signals=["pred_max", "pred_min"], config=clf)
    assert out.matched and out.measures["bound"] == 0.0
    tanh = {"pred_max": [0.99] * n, "pred_min": [-0.99] * n}
    out = run_check("logits_within_bound", tanh, signals=["pred_max", "pred_min"], config=clf)
    assert out.matched and out.measures["bound"] == -1.0
    # free logits go past the ceiling; a net that barely moves its logits stays under it
    free = {"pred_max": [0.5 + 0.5 * i for i in range(n)], "pred_min": [-0.5 * i for i in range(n)]}
    small = {"pred_max": [0.3] * n, "pred_min": [-0.3] * n}
    for case in (free, small):
        assert not run_check(
            "logits_within_bound", case, signals=["pred_max", "pred_min"], config=clf
        ).matched
    # softmax probabilities average exactly 1/K: not logits
    probs = {**sig, "pred_mean": [0.25] * n}
    assert (
        run_check("logits_within_bound", probs, signals=["pred_max", "pred_min"], config=clf)
        is None
    )
    # a regression's outputs in [0, 1] are preds_pinned_*'s business
    assert run_check("logits_within_bound", sig, signals=["pred_max", "pred_min"]) is None
