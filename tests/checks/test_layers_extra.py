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


def test_narrow_at_start_reads_the_first_norms_of_hidden_layers(run_check):
    # fc1 and fc2 start at one unit under PyTorch's default init and grow as they train: the
    # first values count, not later ones
    data = {
        "weight_norm/fc1": [0.55, 0.9, 1.6, 2.0],
        "weight_norm/fc2": [0.45, 0.9, 1.6, 2.0],
        "weight_norm/out": [0.5] * 4,
    }
    out = run_check("narrow_at_start", data, signals=["weight_norm/*"])
    assert out.matched and out.measures["layer"] == "fc2"
    assert out.measures["norm"] == pytest.approx(0.5)
    assert out.measures["units"] == pytest.approx(3 * 0.5**2)
    wide = {**data, "weight_norm/fc1": [4.6] * 4, "weight_norm/fc2": [4.6] * 4}
    assert not run_check("narrow_at_start", wide, signals=["weight_norm/*"]).matched


def test_narrow_at_start_one_narrow_layer_in_a_wide_net_is_a_design(run_check):
    # a squeeze-excitation block's 2-unit squeeze between 64-channel convs: the median is wide
    data = {
        "weight_norm/conv1": [4.6] * 3,
        "weight_norm/se.squeeze": [0.8] * 3,
        "weight_norm/conv2": [4.6] * 3,
        "weight_norm/fc": [1.8] * 3,
    }
    out = run_check("narrow_at_start", data, signals=["weight_norm/*"])
    assert not out.matched and out.measures["layer"] == "se.squeeze"
    assert out.measures["narrowest"] == pytest.approx(0.8)


def test_narrow_at_start_leaves_out_output_embeddings_and_zero_inits(run_check):
    # the last layer is the output even unnamed (Keras' dense_2); wte is a lookup table; a
    # zero init is no width; a LoRA adapter is narrow by design
    keras = {"weight_norm/dense": [6.5] * 3, "weight_norm/dense_1": [0.58] * 3}
    out = run_check("narrow_at_start", keras, signals=["weight_norm/*"])
    assert not out.matched and out.measures["layer"] == "dense"
    gpt = {
        "weight_norm/wte": [0.6] * 3,
        "weight_norm/block": [6.9] * 3,
        "weight_norm/block.lora_A": [0.9] * 3,
        "weight_norm/head": [3.0] * 3,
    }
    out = run_check("narrow_at_start", gpt, signals=["weight_norm/*"])
    assert not out.matched and out.measures["layer"] == "block"
    zeros = {
        "weight_norm/fc1": [0.0] * 3,
        "weight_norm/fc2": [4.0] * 3,
        "weight_norm/out": [1.0] * 3,
    }
    out = run_check("narrow_at_start", zeros, signals=["weight_norm/*"])
    assert not out.matched and out.measures["layer"] == "fc2"


def test_narrow_at_start_ignores_recurrent_and_bias_parameters(run_check):
    # a univariate LSTM logged per parameter: torch starts weight_ih at U(+-1/sqrt(hidden)), so
    # its norm is 1.15 at any width, and its biases are no layer; the 64-unit projection counts
    lstm = {
        "weight_norm/rnn.weight_ih_l0": [1.15] * 3,
        "weight_norm/rnn.bias_ih_l0": [1.15] * 3,
        "weight_norm/proj": [4.6] * 3,
        "weight_norm/out": [0.58] * 3,
    }
    out = run_check("narrow_at_start", lstm, signals=["weight_norm/*"])
    assert not out.matched and out.measures["layer"] == "proj"


def test_narrow_at_start_gives_no_reading_where_norms_do_not_count_units(run_check):
    # the same 1-unit norms: a stated init std (a fixed-std init measures fan_in * fan_out, not
    # units), stated widths (the config's count beats the estimate) and attention layers (fixed
    # std by convention) each leave the reading unknown
    data = {
        "weight_norm/fc1": [0.55] * 3,
        "weight_norm/fc2": [0.45] * 3,
        "weight_norm/out": [0.5] * 3,
    }
    assert run_check("narrow_at_start", data, signals=["weight_norm/*"]).matched
    for config in ({"init_std": 0.02}, {"hidden_units": [32, 32]}):
        assert run_check("narrow_at_start", data, signals=["weight_norm/*"], config=config) is None
    for name in ("encoder.layer.0.attention.self.query", "h.0.attn.c_attn", "layers.0.q_proj"):
        bert = {**data, f"weight_norm/{name}": [0.64] * 3}
        assert run_check("narrow_at_start", bert, signals=["weight_norm/*"]) is None
    # torch's own attention scales by fan-in like any default layer: its norms still count
    torch_native = {**data, "weight_norm/layers.0.self_attn.in_proj": [0.64] * 3}
    assert run_check("narrow_at_start", torch_native, signals=["weight_norm/*"]).matched
