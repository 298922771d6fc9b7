"""Config keys: aliases, typing, overrides, --set parsing."""

from __future__ import annotations

import pytest

from nn_doctor.errors import ConfigError
from nn_doctor.runconfig import init_spread, normalize_config, parse_set


def test_aliases_and_types() -> None:
    cfg, notes = normalize_config(
        {
            "lr0": 0.01,
            "batch": 16,
            "optimizer": "SGD",
            "momentum": "0.9",
            "dropout": 0.5,
            "gradient_clip_val": 1.0,
            "shuffle": "false",
            "hidden_sizes": "[64, 32]",
            "nc": 3,
        }
    )
    assert cfg == {
        "lr": 0.01,
        "batch_size": 16,
        "optimizer": "sgd",
        "momentum": 0.9,
        "dropout": 0.5,
        "grad_clip": 1.0,
        "shuffle": False,
        "hidden_units": [64, 32],
        "n_classes": 3,
        "depth": 2,
    }
    assert notes == []


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("output_act", "sigmoid", {"output_activation": "sigmoid"}),
        ("head_activation", "tanh", {"output_activation": "tanh"}),
        ("final_act", "softmax", {"output_activation": "softmax"}),
        ("weight_decay_rate", 0.1, {"weight_decay": 0.1}),
        ("data_shuffle", False, {"shuffle": False}),
    ],
)
def test_more_spellings_people_use(key: str, value: object, expected: dict) -> None:
    """Keys seen in scripts and in Hugging Face's TF optimizer (weight_decay_rate)."""
    assert normalize_config({key: value})[0] == expected


def test_canonical_key_beats_alias() -> None:
    cfg, _ = normalize_config({"learning_rate": 0.1, "lr": 0.001})
    assert cfg["lr"] == 0.001


def test_bad_value_is_a_note_not_a_crash() -> None:
    cfg, notes = normalize_config({"batch_size": "auto"})
    assert "batch_size" not in cfg
    assert notes and "batch_size" in notes[0]


def test_overrides_validated() -> None:
    with pytest.raises(ConfigError):
        normalize_config({}, {"nope": 1})
    cfg, _ = normalize_config({"lr": 0.1}, {"lr": "0.5"})
    assert cfg["lr"] == 0.5


def test_parse_set() -> None:
    assert parse_set(["batch_size=4096", "hidden_units=[64, 64]", "shuffle=false"]) == {
        "batch_size": 4096,
        "hidden_units": [64, 64],
        "shuffle": False,
    }
    with pytest.raises(ConfigError):
        parse_set(["batch_size"])


def test_value_spellings_are_canonical():
    from nn_doctor.runconfig import normalize_config

    config, _ = normalize_config(
        {
            "criterion": "CrossEntropyLoss",
            "out_activation": "none",
            "problem_type": "single_label_classification",
            "act": "LeakyReLU",
        }
    )
    assert config == {
        "loss": "cross_entropy",
        "output_activation": "linear",
        "task": "classification",
        "hidden_activation": "leaky_relu",
    }
    # Keras' categorical cross-entropy takes probabilities: it must stay apart from torch's
    keras, _ = normalize_config({"loss": "sparse_categorical_crossentropy"})
    assert keras["loss"] == "categorical_crossentropy"


def test_wandb_config_entries_are_unwrapped():
    from nn_doctor.runconfig import normalize_config

    raw = {
        "wandb_version": 1,
        "hidden_units": {"desc": None, "value": 1},
        "lr": {"desc": "learning rate", "value": 0.003},
        "model": {"value": {"depth": 4}},
    }
    config, _ = normalize_config(raw)
    assert config["hidden_units"] == 1
    assert config["lr"] == 0.003
    assert config["depth"] == 4


def test_init_scheme_loses_its_argument():
    from nn_doctor.runconfig import normalize_config

    for raw, want in [("constant:0.1", "constant"), ("normal_0.5", "normal"), ("zeros", "zeros")]:
        assert normalize_config({"init": raw})[0]["init"] == want
    assert normalize_config({"init": "xavier_uniform"})[0]["init"] == "xavier_uniform"


def test_spellings_other_tools_use():
    from nn_doctor.runconfig import normalize_config

    config, notes = normalize_config(
        {
            "batch-size": 64,  # argparse-style
            "Learning Rate": 0.1,
            "nb_epoch": 5,  # Keras 1
            "hidden_layer_sizes": [100, 50],  # scikit-learn
            "l2_lambda": 0.5,
            "dropout_prob": 0.9,
            "initialization": "zeros",
            "num_class": 3,
            "shuffle_dataset": False,
        }
    )
    assert config == {
        "batch_size": 64,
        "lr": 0.1,
        "epochs": 5,
        "hidden_units": [100, 50],
        "weight_decay": 0.5,
        "dropout": 0.9,
        "init": "zeros",
        "n_classes": 3,
        "shuffle": False,
        "depth": 2,
    }
    assert not notes


def test_camel_case_keys_resolve():
    from nn_doctor.runconfig import normalize_config

    config, _ = normalize_config({"learningRate": 0.1, "batchSize": 32, "numLayers": 12})
    assert config == {"lr": 0.1, "batch_size": 32, "depth": 12}


def test_values_spelled_as_code():
    """What people paste from their script: the class or function they used."""
    from nn_doctor.runconfig import normalize_config

    config, _ = normalize_config(
        {
            "activation": "torch.nn.ReLU()",
            "output_activation": "nn.Softmax(dim=1)",
            "init": "nn.init.zeros_",
            "optimizer": "torch.optim.SGD",
            "loss": "nn.BCEWithLogitsLoss()",
        }
    )
    assert config == {
        "hidden_activation": "relu",
        "output_activation": "softmax",
        "init": "zeros",
        "optimizer": "sgd",
        "loss": "bce_with_logits",
    }
    keras, _ = normalize_config({"kernel_initializer": "RandomNormal", "act": "LeakyReLU(0.2)"})
    assert keras == {"init": "normal", "hidden_activation": "leaky_relu"}
    # the argument-stripping of init schemes still applies first
    assert normalize_config({"init": "nn.init.normal_(std=0.5)"})[0]["init"] == "normal"


def test_label_smoothing_as_each_library_names_it():
    from nn_doctor.runconfig import normalize_config

    # HF TrainingArguments, PyTorch/Keras losses, timm's train.py
    for key in ("label_smoothing_factor", "label_smoothing", "smoothing"):
        config, notes = normalize_config({key: 0.1})
        assert config == {"label_smoothing": 0.1} and not notes


def test_mixup_as_training_scripts_name_it():
    from nn_doctor.runconfig import normalize_config

    # timm's train.py (--mixup, --cutmix), mixup_alpha in many configs
    for key in ("mixup", "mixup_alpha", "cutmix"):
        config, notes = normalize_config({key: 0.2})
        assert config == {"mixup": 0.2} and not notes


def test_a_label_map_gives_the_class_count() -> None:
    # Hugging Face's config.json: id2label/label2id, no num_labels
    hf = {
        "architectures": ["BertForSequenceClassification"],
        "id2label": {"0": "World", "1": "Sports", "2": "Business", "3": "Sci/Tech"},
        "label2id": {"World": 0, "Sports": 1, "Business": 2, "Sci/Tech": 3},
        "problem_type": "single_label_classification",
    }
    cfg, _ = normalize_config(hf)
    assert cfg["n_classes"] == 4 and cfg["task"] == "classification"
    # a list of class names, nested as a data module's hyper-parameters
    cfg, _ = normalize_config({"data": {"class_names": ["cat", "dog", "bird"]}})
    assert cfg["n_classes"] == 3
    # a stated class count wins; a regression head's one-entry map says nothing
    assert normalize_config({"num_classes": 10, "classes": ["a", "b"]})[0]["n_classes"] == 10
    assert "n_classes" not in normalize_config({"id2label": {"0": "LABEL_0"}})[0]


def test_an_optimizer_group_names_the_optimizer() -> None:
    # Hydra's instantiate target and LightningCLI's class_path, with the rate inside the group
    hydra = {"optimizer": {"_target_": "torch.optim.AdamW", "lr": 3e-4, "weight_decay": 0.01}}
    assert normalize_config(hydra)[0] == {"optimizer": "adamw", "lr": 3e-4, "weight_decay": 0.01}
    cli = {"optimizer": {"class_path": "torch.optim.SGD", "init_args": {"lr": 0.1}}}
    assert normalize_config(cli)[0] == {"optimizer": "sgd", "lr": 0.1}
    assert normalize_config({"optimizer": {"name": "adam"}})[0] == {"optimizer": "adam"}


@pytest.mark.parametrize(
    "raw",
    [
        # yaml.safe_dump sorts keys: the evaluation group came first and its batch size won
        {"eval": {"batch_size": 256}, "train": {"batch_size": 32}},
        {"data": {"val": {"batch_size": 512}, "train": {"batch_size": 32}}},
        # mmengine's loaders, in sorted order
        {"test_dataloader": {"batch_size": 1}, "train_dataloader": {"batch_size": 32}},
    ],
)
def test_an_evaluation_group_is_not_the_training_config(raw: dict) -> None:
    cfg, _ = normalize_config(raw)
    assert cfg["batch_size"] == 32


def test_a_warmup_start_rate_is_not_the_learning_rate() -> None:
    raw = {"lr_scheduler": {"warmup": {"init_lr": 1e-6}}, "optimizer": {"lr": 1e-3}}
    assert normalize_config(raw)[0]["lr"] == 1e-3


def test_a_list_of_hidden_layers_gives_their_widths() -> None:
    """``hidden_layers=[256, 128]`` (a hand-written MLP's argument) lists one width per layer."""
    cfg, notes = normalize_config({"hidden_layers": [256, 128]})
    assert cfg == {"hidden_units": [256, 128], "depth": 2} and not notes
    assert normalize_config({"hidden_layers": 3})[0] == {"depth": 3}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"keep_prob": 0.3}, {"dropout": 0.7}),
        ({"model": {"dropout_keep_prob": 0.5}}, {"dropout": 0.5}),
        ({"keep_prob": 0.3, "dropout": 0.1}, {"dropout": 0.1}),  # a stated dropout wins
        ({"keep_prob": "all"}, {}),
        ({"lr_init": 0.4, "normalize_data": False}, {"lr": 0.4, "normalize_inputs": False}),
        ({"num_hidden_layers": 10, "units_per_layer": 3}, {"depth": 10, "hidden_units": 3}),
    ],
)
def test_older_and_hand_written_spellings(raw: dict, expected: dict) -> None:
    """TF1's keep probability is dropout's complement; a script's own names for the rest."""
    assert normalize_config(raw)[0] == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"d_model": 2, "nhead": 1, "num_layers": 2}, {"hidden_units": 2, "depth": 2}),
        ({"n_embd": 384, "n_layer": 6}, {"hidden_units": 384, "depth": 6}),
        ({"num_filters": [2, 2], "kernel_size": 3}, {"hidden_units": [2, 2], "depth": 2}),
        # an image's channel count is the input's, not a width; a stated hidden size beats d_model
        ({"channels": 3, "filters": 32}, {"hidden_units": 32}),
        ({"hidden_size": 256, "d_model": 2}, {"hidden_units": 256}),
    ],
)
def test_a_transformer_or_cnn_states_its_width_by_its_own_name(raw: dict, expected: dict) -> None:
    assert normalize_config(raw)[0] == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"weight_init": {"type": "kaiming_normal", "mode": "fan_in"}}, {"init": "kaiming_normal"}),
        (
            {"model": {"activation": {"name": "LeakyReLU", "negative_slope": 0.1}}},
            {"hidden_activation": "leaky_relu"},
        ),
        ({"criterion": {"_target_": "torch.nn.CrossEntropyLoss"}}, {"loss": "cross_entropy"}),
        ({"norm": {"type": "BatchNorm1d"}}, {"norm_layers": True}),
        # a numeric key's group is not a choice: the rate's schedule type is no rate
        ({"lr": {"type": "cosine", "base": 0.1}}, {}),
    ],
)
def test_a_group_names_its_choice_in_a_name_or_type_field(raw: dict, expected: dict) -> None:
    """mmcv-style ``dict(type=...)``, Hydra's ``_target_``: the group's name is the config key."""
    cfg, notes = normalize_config(raw)
    assert cfg == expected and not notes


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"no_shuffle": True}, {"shuffle": False}),
        ({"no_shuffle": False}, {"shuffle": True}),
        ({"disable_batchnorm": "yes"}, {"norm_layers": False}),
        ({"no_cuda": True, "no_log": True}, {}),  # negations of keys we do not read
    ],
)
def test_a_negated_flag_is_read_inverted(raw: dict, expected: dict) -> None:
    """argparse's opt-out switches (``--no_shuffle``) are written as ``no_shuffle: true``."""
    assert normalize_config(raw)[0] == expected


def test_a_non_positive_count_is_a_sentinel() -> None:
    """Lightning's ``max_epochs: -1`` trains until stopped; it is not an epoch count."""
    assert normalize_config({"max_epochs": -1, "batch_size": 0, "depth": 0})[0] == {"depth": 0}


@pytest.mark.parametrize(
    ("value", "std"),
    [
        ("normal_0.5", 0.5),  # the zoo's and many scripts' scheme_arg
        ("normal:0.3", 0.3),
        ("nn.init.normal_(mean=0.0, std=1e-4)", 1e-4),
        ("normal(0, 0.5)", 0.5),  # mean, std
        ("RandomNormal(stddev=0.05)", 0.05),  # Keras
        ("trunc_normal_(std=0.02)", 0.02),  # timm
        ("uniform(-0.1, 0.1)", 0.2 / 12**0.5),
        ("uniform(a=-0.1, b=0.1)", 0.2 / 12**0.5),
        ("uniform:0.1", 0.2 / 12**0.5),  # a bound
        ("RandomUniform(minval=-0.05, maxval=0.05)", 0.1 / 12**0.5),
        ("normal", None),  # a scheme alone states no spread
        ("kaiming_normal", None),
        ("constant_0.1", None),  # a constant has no spread: bad_init's symmetric_init
        ("normal(mean=0)", None),
        (0.5, None),
    ],
)
def test_init_spread(value: object, std: float | None) -> None:
    assert init_spread(value) == (pytest.approx(std) if std is not None else None)


def test_init_std_from_the_init_or_its_own_key() -> None:
    """The init's argument becomes init_std; a key of its own (initializer_range) wins."""
    assert normalize_config({"init": "normal_0.5"})[0] == {"init": "normal", "init_std": 0.5}
    cfg = normalize_config({"init": "normal_0.5", "initializer_range": 0.02})[0]
    assert cfg["init_std"] == 0.02
    assert normalize_config({}, {"init": "normal:1.0"})[0]["init_std"] == 1.0


@pytest.mark.parametrize(
    ("raw", "rate"),
    [
        ({"noise_rate": 0.4}, 0.4),  # Co-teaching's flag
        ({"noise_rate": 40}, 0.4),  # a percentage
        ({"data": {"label_noise": 0.2}}, 0.2),
        ({"label_flip_rate": 1}, 1),  # every label flipped: a fraction of 1, not 1 %
    ],
)
def test_a_stated_label_noise_rate_is_a_fraction(raw: dict, rate: float) -> None:
    assert normalize_config(raw)[0]["label_noise"] == pytest.approx(rate)
