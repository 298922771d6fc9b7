"""The fault probe's recipe catalogue (no training): other injections than the zoo's own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from benchmarks.outside.probe_fault_recipes import FAMILIES, RECIPES, _spec, recipes_for
from benchmarks.zoo import train
from benchmarks.zoo.models import build
from benchmarks.zoo.scenarios import FAMILIES as ZOO
from benchmarks.zoo.scenarios import injections, merge

CATALOG = Path(__file__).resolve().parents[3] / "shared" / "CATALOG.md"


def test_every_recipe_is_a_catalog_cause() -> None:
    if not CATALOG.exists():
        pytest.skip("../shared is not beside the checkout")
    ids = set(re.findall(r"^\| `(\w+)`", CATALOG.read_text(encoding="utf-8"), re.M))
    assert set(RECIPES) == ids  # every cause gets at least one other recipe


def test_no_recipe_is_one_the_zoo_already_injects() -> None:
    """The probe's point: the same causes, injected otherwise. A recipe that resolves to the
    spec of a zoo injection on some family (a fifth of ten epochs is the zoo's own two-epoch
    stop) would only re-measure the calibration set: recipes_for leaves it out."""
    made = 0
    for name in FAMILIES:
        base = {**ZOO[name].base, "seed": 0}
        zoo = {c: [merge(base, o) for _, _, o, _, _ in f] for c, f in injections(ZOO[name]).items()}
        for cause, variant, spec, _ in recipes_for(name, 0):
            made += 1
            assert spec not in zoo.get(cause, []), (name, variant)
    assert made >= 200  # most recipes apply to most families
    # the filter acts: the MNIST example's ten epochs stopped at a fifth are the zoo's own run
    mnist = {v for _, v, _, _ in recipes_for("digits16_mnistnet", 0)}
    assert "stopped-at-one-fifth" not in mnist and "killed-at-one-third" in mnist


def test_fractional_epochs_resolve_against_the_base() -> None:
    base = {**ZOO["iris_mlp"].base, "seed": 0}  # 40 epochs
    assert _spec(base, {"epochs_frac": 0.2})["epochs"] == 8
    assert _spec(base, {"stop_after_frac": 1 / 3})["stop_after"] == 13


def test_small_training_set_and_epoch_multiples_resolve_per_family() -> None:
    # "small" is the family's own small training set; a family without one takes no such recipe
    base = {**ZOO["iris_mlp"].base, "seed": 0}  # 40 epochs, small set of 50
    spec = _spec(base, {"n_train": "small", "epochs_mult": 8}, small_n_train=50)
    assert spec is not None and spec["n_train"] == 50 and spec["epochs"] == 320
    assert _spec(base, {"n_train": "small"}, small_n_train=None) is None
    wine = {v for c, v, _, _ in recipes_for("wine_mlp", 0) if c == "overfitting"}
    assert ZOO["wine_mlp"].small_n_train is None and "own-model-small-set-8x" not in wine
    lstm = {v for c, v, _, _ in recipes_for("trends_lstm", 0) if c == "overfitting"}
    assert "own-model-small-set-8x" in lstm  # not an MLP-only recipe


def test_causes_limit_the_recipes() -> None:
    only = recipes_for("iris_mlp", 0, {"overfitting"})
    assert only and {c for c, _, _, _ in only} == {"overfitting"}
    assert len(recipes_for("iris_mlp", 0)) > len(only)


def test_quarter_batch_and_softmax_head() -> None:
    import torch

    assert train.batch_size({"batch_size": "quarter"}, 100) == 25
    assert train.batch_size({"batch_size": "half"}, 101) == 51
    model = build("mlp", 4, 3, {"hidden": [8], "out_act": "softmax"})
    out = model(torch.randn(5, 4))
    assert torch.allclose(out.sum(dim=1), torch.ones(5))  # a softmax before the loss's own
