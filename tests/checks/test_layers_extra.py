"""Unit tests for the extra checks of the activation/gradient/init/capacity rules."""

from __future__ import annotations

import pytest


def test_pair_ratio_constant_output(run_check):
    data = {"pred_std": [0.5, 0.1, 0.001, 0.001, 0.001], "target_std": [1.0] * 5}
    out = run_check("pair_ratio", data, signals=["pred_std", "target_std"], max=0.05)
    assert out.matched and out.measures["ratio"] == pytest.approx(0.001)
    live = {"pred_std": [0.8] * 5, "target_std": [1.0] * 5}
    assert not run_check("pair_ratio", live, signals=["pred_std", "target_std"], max=0.05).matched


def test_pair_ratio_scale_free_and_windows(run_check):
    data = {"pred_std": [2000.0] * 3 + [20.0] * 7, "target_std": [1000.0] * 10}
    early = run_check(
        "pair_ratio", data, signals=["pred_std", "target_std"], window="early", min=1.5
    )
    assert early.matched and early.measures["ratio"] == pytest.approx(2.0)
    late = run_check(
        "pair_ratio", data, signals=["pred_std", "target_std"], window="late", max=0.05
    )
    assert late.matched


def test_pair_ratio_too_short_is_unknown(run_check):
    assert (
        run_check(
            "pair_ratio",
            {"pred_std": [1.0], "target_std": [1.0]},
            signals=["pred_std", "target_std"],
        )
        is None
    )


def test_layer_count(run_check):
    deep = {f"grad_norm/fc{i}": [0.1] * 5 for i in range(12)}
    out = run_check("layer_count", deep, signals=["grad_norm/*"], min=10)
    assert out.matched and out.measures["count"] == 12
    shallow = {f"grad_norm/fc{i}": [0.1] * 5 for i in range(3)}
    assert not run_check("layer_count", shallow, signals=["grad_norm/*"], min=10).matched
