"""The "study" split of the fault zoo: nineteen more families, open for reading run by run.

Checks the catalogue only (no training beyond one tiny forward/backward per new architecture):
the study families exist, are new architectures/data/optimizers against every other split, have
split "study", keep at least a quarter of their scenarios healthy, are made only by name, and
their models give the per-layer statistics the ``full`` level logs. The writers' study naming
habits are checked on a small hand-made history (no training): each writer uses names of its
own for the study families, names neither the old nor the fresh habits use.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from benchmarks.zoo.scenarios import (
    FAMILIES,
    FRESH_FAMILIES,
    STUDY_FAMILIES,
    injections,
    scenarios,
)
from benchmarks.zoo.writers import WRITERS, csv_plain, jsonl, keras_csv, lightning, tensorboard
from benchmarks.zoo.writers.common import naming
from tests.benchmarks.conftest import assert_split_scenarios

STUDY = ["quantiles_gelu_mlp", "hastie_bn_mlp", "sine_lstm", "friedman3_leaky", "shapes_cnn2d_bn"]
# the second group (round ten): today's recipes (warm-up + cosine, step decay, Nesterov,
# RMSprop, light dropout) on data no other family uses
STUDY_B = ["spirals_silu_mlp", "blobs8_relu_mlp", "trends_lstm", "prices_mlp"]
# the third group (round eleven): the scripts people copy (PyTorch's MNIST example, torchtext's
# tutorial, the textbook sigmoid MLP, a dense autoencoder) and what they bring with them
STUDY_C = ["digits16_mnistnet", "topics_embbag", "letters7_sigmoid_mlp", "signals_autoencoder"]
# the fourth group (round twelve): what today's papers and tutorials train (a ResNet on colour
# images, forty classes, an imbalanced binary target, a Huber regression)
STUDY_D = ["textures_resnet", "glyphs40_mlp", "churn_elu_mlp", "meters_huber_tanh"]
# the fifth group (round thirteen): a character-level language model and a fine-tune
STUDY_E = ["chars_gpt", "scenes_finetune"]
NAMED_WRITERS = (csv_plain, jsonl, keras_csv, lightning, tensorboard)


def test_study_families_exist_with_split_study() -> None:
    study = [name for name, fam in FAMILIES.items() if fam.split == "study"]
    assert study == STUDY + STUDY_B + STUDY_C + STUDY_D + STUDY_E == list(STUDY_FAMILIES)
    others = [fam for fam in FAMILIES.values() if fam.split != "study"]  # calib, holdout, fresh
    old_data = {fam.base["dataset"] for fam in others}
    old_models = {fam.base.get("model", "mlp") for fam in others}
    old_opts = {fam.base["optimizer"] for fam in others}
    old_scheds = {(fam.base.get("schedule") or {}).get("kind") for fam in others}
    old_arch = [
        (fam.base.get("model", "mlp"), fam.base["arch"].get("act", "relu"), fam.base.get("loss"))
        for fam in others
    ]
    for name in STUDY:
        base = FAMILIES[name].base
        assert base["dataset"] not in old_data  # new data for every study family
        assert base["log_names"] == "study"  # and their own naming habits
        arch = (base.get("model", "mlp"), base["arch"].get("act", "relu"), base.get("loss"))
        assert arch not in old_arch or base["arch"].get("norm")  # a new architecture
    assert {FAMILIES[n].base.get("model", "mlp") for n in STUDY} - old_models == {
        "lstm", "cnn2d_bn",
    }  # fmt: skip
    assert {FAMILIES[n].base["optimizer"] for n in STUDY} - old_opts == {"nadam"}
    kinds = {(FAMILIES[n].base.get("schedule") or {}).get("kind") for n in STUDY}
    assert kinds - old_scheds == {"linear", "exp", "plateau"}


def test_second_study_group_brings_new_data_and_todays_recipes() -> None:
    first = {FAMILIES[n].base["dataset"] for n in FAMILIES if n not in STUDY_B}
    for name in STUDY_B:
        base = FAMILIES[name].base
        assert base["dataset"] not in first and base["log_names"] == "study"
    kinds = {(FAMILIES[n].base.get("schedule") or {}).get("kind") for n in STUDY_B}
    assert {"warmup_cosine", "step"} <= kinds
    scs = scenarios((0, 1), STUDY_B)
    assert_split_scenarios(scs, "study", STUDY_B)
    assert not any(sc.split == "study" for sc in scenarios((0,)))


def test_third_study_group_brings_the_copied_scripts_recipes() -> None:
    earlier = [fam for name, fam in FAMILIES.items() if name not in STUDY_C]
    for name in STUDY_C:
        base = FAMILIES[name].base
        assert base["dataset"] not in {f.base["dataset"] for f in earlier}
        assert base["log_names"] == "study"
    new = {FAMILIES[n].base["optimizer"] for n in STUDY_C} - {f.base["optimizer"] for f in earlier}
    assert new == {"adadelta"}
    kinds = {(FAMILIES[n].base.get("schedule") or {}).get("kind") for n in STUDY_C}
    assert "onecycle" in kinds - {(f.base.get("schedule") or {}).get("kind") for f in earlier}
    assert {FAMILIES[n].base.get("model", "mlp") for n in STUDY_C} >= {"embbag"}
    scs = scenarios((0, 1), STUDY_C)
    assert_split_scenarios(scs, "study", STUDY_C)


def test_fourth_study_group_brings_residual_convs_many_classes_imbalance_and_huber() -> None:
    earlier = [fam for name, fam in FAMILIES.items() if name not in STUDY_D]
    for name in STUDY_D:
        base = FAMILIES[name].base
        assert base["dataset"] not in {f.base["dataset"] for f in earlier}
        assert base["log_names"] == "study"
    assert "resnet" not in {f.base.get("model", "mlp") for f in earlier}
    assert FAMILIES["textures_resnet"].base["model"] == "resnet"
    assert max(f.n_classes for f in earlier) < FAMILIES["glyphs40_mlp"].n_classes == 40
    assert "huber" not in {f.base.get("loss") for f in earlier}
    scs = scenarios((0, 1), STUDY_D)
    assert_split_scenarios(scs, "study", STUDY_D)
    # a ResNet's convs have no bias (BatchNorm follows): no bias-init dead-ReLU recipe for it
    dead = [v for _, v, *_ in injections(FAMILIES["textures_resnet"]).get("dead_relu", [])]
    assert dead == ["adam-lr0.1"]


def test_fifth_study_group_brings_a_language_model_and_a_fine_tune() -> None:
    earlier = [fam for name, fam in FAMILIES.items() if name not in STUDY_E]
    for name in STUDY_E:
        base = FAMILIES[name].base
        assert base["dataset"] not in {f.base["dataset"] for f in earlier}
        assert base["log_names"] == "study"
    assert "gpt" not in {f.base.get("model", "mlp") for f in earlier}
    assert not any(f.base.get("pretrain") for f in earlier)
    scs = scenarios((0, 1), STUDY_E)
    assert_split_scenarios(scs, "study", STUDY_E)
    # a checkpoint's weights replace any init: no init fault is injected into the fine-tune
    tried = set(injections(FAMILIES["scenes_finetune"]))
    assert not tried & {"bad_init", "exploding_gradients", "dead_relu"}


def test_the_language_model_predicts_the_next_character_of_its_window() -> None:
    from benchmarks.zoo import data as zdata

    d = zdata.load("chars29", 0)
    assert d.normalized_inputs is None and d.n_classes == len(zdata.CHARS) == 29
    x, y = d.x_train.astype(int), d.y_train
    # windows overlap in the text: a window's last 15 characters and its next one are another
    # window's first 16 somewhere in the set, as a strided LM dataset's are
    starts = {tuple(row) for row in x}
    shifted = sum((*row[1:], nxt) in starts for row, nxt in zip(x, y, strict=True))
    assert shifted > len(x) // 10


def test_fine_tuning_starts_from_the_pretrained_backbone() -> None:
    """The fine-tune's new head sits on features that already separate the classes: after its
    first epoch the validation loss is far below the same recipe's from scratch."""
    from benchmarks.zoo.train import train

    base = {**FAMILIES["scenes_finetune"].base, "seed": 0}
    tuned = train(base)["epochs"][0]["val_loss"]
    scratch = train({**base, "pretrain": None})["epochs"][0]["val_loss"]
    assert tuned < 0.75 * scratch


def test_churn_is_imbalanced_and_colour_textures_are_images() -> None:
    from benchmarks.zoo import data as zdata

    churn = zdata.load("churn", 0, raw_inputs=True)
    assert 0.08 < churn.y_train.mean() < 0.16  # the minority class leaves
    tex = zdata.load("textures10", 0, raw_inputs=True)
    assert tex.x_train.shape[1:] == (144, 3) and tex.x_train.max() <= 255 and tex.n_classes == 10


def test_token_ids_are_never_standardized() -> None:
    from benchmarks.zoo import data as zdata

    d = zdata.load("topics", 0)
    assert d.normalized_inputs is None  # a config says nothing about normalizing token ids
    assert (d.x_train == d.x_train.round()).all() and d.x_train.max() > 100


def test_onecycle_rises_to_the_peak_then_anneals_far_below_the_start() -> None:
    from benchmarks.zoo.train import lr_at

    spec = {"lr": 1e-2, "epochs": 10, "schedule": {"kind": "onecycle"}}
    rates = [lr_at(spec, s, 100) for s in range(100)]
    peak = max(range(100), key=rates.__getitem__)
    assert peak == 30 and math.isclose(rates[0], 1e-2 / 25)
    assert rates[-1] < rates[0] / 50  # torch's final_div_factor: 1e4 below the start at the end


def test_study_scenarios_are_study_and_a_quarter_healthy() -> None:
    scs = scenarios((0, 1), STUDY)
    assert_split_scenarios(scs, "study", STUDY)
    assert len({sc.run_id for sc in scs}) == len(scs)
    # Study runs are made only by name: neither the default corpus nor the fresh split has them.
    assert not any(sc.split == "study" for sc in scenarios((0,)))
    assert not any(sc.split == "study" for sc in scenarios((0, 1), list(FRESH_FAMILIES)))


def test_study_families_try_every_cause_that_applies() -> None:
    """Each family attempts the catalog's causes except those its comments say cannot apply."""
    tried = {name: set(injections(FAMILIES[name])) for name in STUDY}
    every = set().union(*tried.values())
    assert len(every) == 19  # every catalog cause on at least one study family
    not_applicable = {
        "quantiles_gelu_mlp": {"dead_relu"},  # GELU has no exact zeros
        "hastie_bn_mlp": {"no_normalization"},  # standard normal inputs already
        "sine_lstm": {
            "dead_relu",
            "vanishing_gradients",
            "too_deep",
            "label_noise",
            "softmax_overflow_nan",
        },
        "friedman3_leaky": {"dead_relu", "label_noise", "softmax_overflow_nan"},
        "shapes_cnn2d_bn": set(),
    }
    for name, missing in not_applicable.items():
        assert every - tried[name] == missing, name


@pytest.mark.parametrize("name", STUDY + STUDY_B + STUDY_C + STUDY_D + STUDY_E)
def test_study_models_give_per_layer_statistics(name: str) -> None:
    import torch
    from benchmarks.zoo import data as zdata
    from benchmarks.zoo.models import build
    from benchmarks.zoo.train import _loss_fn

    from nn_doctor.record.torch import TorchRecorder

    fam = FAMILIES[name]
    d = zdata.load(fam.base["dataset"], 0, n_train=16)
    loss_name, loss_fn = _loss_fn({"loss": fam.base.get("loss", "auto")}, d.task)
    n_out = 1 if loss_name == "bce_with_logits" else d.n_outputs
    model = build(fam.base.get("model", "mlp"), d.x_train.shape[-1], n_out,
                  dict(fam.base["arch"]))  # fmt: skip
    rec = TorchRecorder(model, every=1)
    x, y = torch.from_numpy(d.x_train), torch.from_numpy(d.y_train)
    rec.start(1, targets=y)
    out = model(x)
    loss = loss_fn(out, y)
    loss.backward()
    row = rec.finish(loss=loss)
    rec.close()
    assert row is not None and math.isfinite(float(loss.detach()))
    layers = [k for k in row if k.startswith("grad_norm/")]
    assert len(layers) >= 2
    if fam.base.get("model") != "embbag":  # a bag of embeddings has no hidden activation
        assert any(k.startswith(("act_zero_frac/", "act_sat_frac/")) for k in row)


# -- naming habits ---------------------------------------------------------------------------


@pytest.mark.parametrize("writer", NAMED_WRITERS, ids=lambda w: w.NAME)
def test_study_naming_habits_are_their_own(writer: Any) -> None:
    study, fresh, old = writer._STUDY, writer._FRESH, writer._STYLES
    assert len(study) >= 2
    for n in study:
        assert n not in fresh and n not in old

    # Every study habit differs from every older one in the names that matter most: the file,
    # the step axis, the separator or the train/validation loss names.
    def key(n: dict[str, str]) -> tuple[str | None, ...]:
        return tuple(n.get(k) for k in ("file", "sep", "step", "train", "val"))

    assert not {key(n) for n in study} & {key(n) for n in [*fresh, *old]}

    def h(log_names: str | None) -> dict[str, Any]:
        return {"spec": {"log_names": log_names}}

    assert naming(h("study"), old, fresh, study) is study
    assert naming(h("fresh"), old, fresh, study) is fresh
    assert naming(h(None), old, fresh, study) is old


def _history() -> dict[str, Any]:
    """A hand-made classification history of a study family (4 steps/epoch, 2 epochs)."""
    spec = {**FAMILIES["hastie_bn_mlp"].base, "seed": 0, "log_every": 2}
    losses = [0.7, 0.6, 0.55, 0.5, 0.45, 0.42, 0.4, 0.38]
    rows = [
        {
            "step": float(s),
            "_s": float(s - 1),
            "_time": 1000.0 + s,
            "lr": 0.05,
            "grad_norm": 1.0 / s,
            "grad_norm/fc1": 0.5 / s,
        }
        for s in (2, 4, 6, 8)
    ]
    epochs = [
        {
            "epoch": e,
            "step": 4 * (e + 1),
            "train_loss": 0.6 - 0.15 * e,
            "val_loss": 0.62 - 0.15 * e,
            "val_score": 0.7 + 0.1 * e,
            "train_acc": 0.7 + 0.1 * e,
            "val_acc": 0.7 + 0.1 * e,
            "_time": 1004.5 + 4 * e,
            "_eval_seconds": 0.01,
        }
        for e in (0, 1)
    ]
    return {
        "spec": spec, "task": "classification", "n_classes": 2, "n_train": 160, "n_val": 40,
        "steps_per_epoch": 4, "n_steps_planned": 8, "loss": losses, "acc": [], "lr": [0.05] * 8,
        "rows": rows, "epochs": epochs, "config": {"lr": 0.05, "batch_size": 40, "epochs": 2},
        "nonfinite_step": None, "stopped": "completed", "t0": 1000.0, "seconds": 9.0,
    }  # fmt: skip


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_writers_write_study_names(fmt: str, tmp_path: Path) -> None:
    """A study run's files carry the study habits' names (every habit, over several run ids)."""
    pytest.importorskip("yaml")
    h = _history()
    texts: list[str] = []
    files: set[str] = set()
    for i in range(12):
        folder = WRITERS[fmt](h, tmp_path / f"run{i}", "basic", "present", f"study-run-{i}")
        for f in folder.rglob("*"):
            if f.is_file():
                files.add(f.name)
                texts.append(f.read_bytes().decode("latin-1"))
    text = "\n".join(texts)
    if fmt == "hf_trainer":
        assert '"eval_acc"' in text and '"eval_accuracy"' not in text
        return
    module = {w.NAME: w for w in NAMED_WRITERS}[fmt]
    for n in module._STUDY:  # every study habit appears
        if fmt == "keras_csv":
            assert n["file"] in files
            assert n.get("sep", ",") + n["acc"] + n.get("sep", ",") in text
            continue
        if "file" in n:
            assert n["file"] in files
        key = n["train"] if fmt != "lightning" else n["train"] + "_step"
        assert key in text, key


def test_warm_restarts_return_to_the_peak_at_each_restart() -> None:
    from benchmarks.zoo.train import lr_at

    spec = {"lr": 0.1, "epochs": 9, "schedule": {"kind": "cosine_restarts", "t0": 3}}
    rates = [lr_at(spec, s, 90) for s in range(90)]  # 10 steps an epoch: restarts at 30, 60
    assert rates[0] == rates[30] == rates[60] == 0.1
    assert rates[29] < 0.001 and rates[15] == pytest.approx(0.05)
    doubling = {"lr": 0.1, "epochs": 9, "schedule": {"kind": "cosine_restarts", "t0": 3, "mult": 2}}
    assert [s for s in range(1, 90) if lr_at(doubling, s, 90) == 0.1] == [30]  # then 60 long
