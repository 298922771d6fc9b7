"""Unit tests for the per-layer family checks (model order: input -> output)."""

from __future__ import annotations

import pytest


def fam(family: str, per_layer: dict[str, list[float]]) -> dict[str, list[float]]:
    return {f"{family}/{name}": values for name, values in per_layer.items()}


def test_layer_level_max_zero_fraction(run_check):
    data = fam("act_zero_frac", {"fc1": [0.5] * 10, "fc2": [0.5] * 5 + [0.99] * 5})
    out = run_check("layer_level", data, signals=["act_zero_frac/*"], min=0.9)
    assert out.matched and out.measures["layer"] == "fc2"
    healthy = fam("act_zero_frac", {"fc1": [0.5] * 10, "fc2": [0.55] * 10})
    assert not run_check("layer_level", healthy, signals=["act_zero_frac/*"], min=0.9).matched


def test_layer_level_hidden_only_drops_output_layer(run_check):
    data = fam("act_zero_frac", {"fc1": [0.5] * 10, "out": [1.0] * 10})
    out = run_check("layer_level", data, signals=["act_zero_frac/*"], min=0.9, hidden_only=True)
    assert not out.matched
    # the last layer is dropped only when its name says it is the output: a log of hidden
    # layers alone keeps them all (a dead fc2 is a dead hidden layer)
    hidden = fam("act_zero_frac", {"fc1": [0.5] * 10, "fc2": [1.0] * 10})
    out = run_check("layer_level", hidden, signals=["act_zero_frac/*"], min=0.9, hidden_only=True)
    assert out.matched and out.measures["layer"] == "fc2"


def test_layer_level_median_is_not_carried_by_one_layer(run_check):
    # a too-small rate: every layer moves ~3e-5 per step, the small output head 2e-4
    slow = fam("update_ratio", {"fc1": [3e-5] * 10, "fc2": [4e-5] * 10, "out": [2e-4] * 10})
    params = {"signals": ["update_ratio/*"], "window": "early", "max": 1e-4}
    assert not run_check("layer_level", slow, agg="max", **params).matched
    out = run_check("layer_level", slow, agg="median", **params)
    assert out.matched and out.value == pytest.approx(4e-5) and out.measures["layers"] == 3
    healthy = fam("update_ratio", {"fc1": [1e-3] * 10, "fc2": [2e-3] * 10, "out": [5e-3] * 10})
    assert not run_check("layer_level", healthy, agg="median", **params).matched


def test_first_last_ratio(run_check):
    vanishing = fam("grad_norm", {"fc1": [1e-6] * 10, "fc2": [1e-3] * 10, "fc3": [0.1] * 10})
    out = run_check("first_last_ratio", vanishing, signals=["grad_norm/*"], max=1e-3)
    assert out.matched and out.measures["ratio"] == pytest.approx(1e-5)
    even = fam("grad_norm", {"fc1": [0.1] * 10, "fc2": [0.2] * 10})
    assert not run_check("first_last_ratio", even, signals=["grad_norm/*"], max=1e-3).matched
    one = fam("grad_norm", {"fc1": [0.1] * 10})
    assert run_check("first_last_ratio", one, signals=["grad_norm/*"]) is None


def test_layer_growth(run_check):
    data = fam("grad_norm", {"fc1": [1.0, 2.0, 500.0], "fc2": [1.0, 1.0, 1.0]})
    out = run_check("layer_growth", data, signals=["grad_norm/*"], min_factor=100.0)
    assert out.matched and out.measures["layer"] == "fc1"
    calm = fam("grad_norm", {"fc1": [1.0, 2.0, 3.0]})
    assert not run_check("layer_growth", calm, signals=["grad_norm/*"], min_factor=100.0).matched
    assert (
        run_check("layer_growth", fam("grad_norm", {"fc1": [1.0]}), signals=["grad_norm/*"]) is None
    )


def test_layer_growth_floors_a_near_zero_first_value(run_check):
    # a zero-initialised head: its first gradient is ~0 by construction, then ordinary (~0.05)
    head = [1e-7] + [0.05 + 0.01 * (i % 3) for i in range(39)]
    out = run_check(
        "layer_growth", {"grad_norm/head": head}, signals=["grad_norm/*"], min_factor=100.0
    )
    assert not out.matched and out.measures["factor"] < 20
    # a runaway still leaves its own median behind: 1 -> 1e6 geometrically
    runaway = [1.4**i for i in range(40)]
    out = run_check(
        "layer_growth", {"grad_norm/fc1": runaway}, signals=["grad_norm/*"], min_factor=100.0
    )
    assert out.matched


def test_layer_change_finds_a_layer_whose_gradient_died(run_check):
    data = fam("grad_norm", {"fc1": [1.0] * 5 + [1e-6] * 5, "fc2": [1.0] * 10})
    out = run_check("layer_change", data, signals=["grad_norm/*"], agg="min", max=1e-3)
    assert out.matched and out.measures["layer"] == "fc1"
    steady = fam("grad_norm", {"fc1": [1.0] * 5 + [0.5] * 5})
    assert not run_check("layer_change", steady, signals=["grad_norm/*"], max=1e-3).matched
    grow = run_check("layer_change", data, signals=["grad_norm/*"], agg="max", min=0.9)
    assert grow.matched and grow.measures["layer"] == "fc2"
    short = fam("grad_norm", {"fc1": [1.0, 0.0]})
    assert run_check("layer_change", short, signals=["grad_norm/*"]) is None
