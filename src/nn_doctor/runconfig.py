"""The run's config: canonical hyper-parameter keys (DECISIONS.md §3) and their aliases.

Readers collect whatever the run wrote (``hparams.yaml``, ``args.yaml``, TensorBoard hparams,
MLflow ``params/``, HF trainer state …) as a flat dict with the original keys; this module maps
it onto canonical keys with typed values. Nested keys are flattened with dots and matched on their
last component, so ``model.hidden_act``, ``SOLVER.BASE_LR`` and ``optimizer.lr`` all resolve.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from nn_doctor.signals import snake_case

#: canonical key -> (type, aliases). Aliases are lower-case last path components or full paths.
KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "lr": (
        "float",
        (
            "lr",
            "learning_rate",
            "lr0",
            "base_lr",
            "solver.base_lr",
            "init_lr",
            "initial_lr",
            "optimizer.lr",
            "max_lr",
            "learningrate",
            "learning_rate_init",  # scikit-learn's MLP
            "lr_init",
        ),
    ),
    "batch_size": (
        "int",
        (
            "batch_size",
            "train_batch_size",
            "per_device_train_batch_size",
            "batch",
            "bs",
            "solver.ims_per_batch",
            "batchsize",
            "mini_batch_size",
            "per_gpu_train_batch_size",
            "train_bs",
        ),
    ),
    "n_train": (
        "int",
        (
            "n_train",
            "train_size",
            "num_train_samples",
            "n_train_samples",
            "num_examples",
            "train_samples",
            "dataset_size",
            "n_samples_train",
            "num_train_examples",
        ),
    ),
    "n_val": ("int", ("n_val", "val_size", "num_val_samples", "n_val_samples", "eval_samples")),
    "epochs": (
        "int",
        (
            "epochs",
            "num_train_epochs",
            "max_epochs",
            "n_epochs",
            "num_epochs",
            "epoch",
            "nb_epoch",  # Keras 1
            "n_epoch",
            "num_epoch",
            "max_epoch",
            "total_epochs",
        ),
    ),
    "optimizer": (
        "str",
        (
            "optimizer",
            "optim",
            "opt",
            "optimizer_name",
            "optimizer_type",
            "optimizer_class",
        ),
    ),
    "momentum": ("float", ("momentum", "solver.momentum", "beta1", "adam_beta1")),
    "weight_decay": (
        "float",
        (
            "weight_decay",
            "wd",
            "solver.weight_decay",
            "l2",
            "l2_reg",
            "weightdecay",
            "l2_lambda",
            "l2_penalty",
            "lambda_l2",
            "l2_weight",
            "weight_decay_rate",  # Hugging Face's TF AdamWeightDecay
        ),
    ),
    "dropout": (
        "float",
        (
            "dropout",
            "dropout_rate",
            "drop_rate",
            "p_dropout",
            "hidden_dropout_prob",
            "drop_prob",
            "dropout_p",
            "dropout_prob",
            "dropout_ratio",
        ),
    ),
    # the training loss's floor: cross-entropy against smoothed targets cannot go below their
    # entropy (0.50 nats for 10 classes at 0.1), while an evaluation on hard labels can
    "label_smoothing": (
        "float",
        (
            "label_smoothing",
            "label_smoothing_factor",
            "smoothing",
            "label_smooth",
            "labelsmoothing",
        ),
    ),
    # the share of training labels known to be wrong: noisy-label research states it (Co-teaching's
    # and JoCoR's noise_rate, "symmetric noise 0.4"), and so does a pipeline that corrupts labels
    # on purpose; a fraction, or a percentage over 1
    "label_noise": (
        "float",
        (
            "label_noise",
            "label_noise_rate",
            "noise_rate",
            "noisy_label_rate",
            "label_noise_ratio",
            "label_corruption",
            "label_flip_rate",  # not a bare flip_rate: an augmentation's flip probability
        ),
    ),
    # mixup / cutmix (their Beta alpha): the training loss is on blended examples and labels,
    # so it stays above an evaluation on clean ones by design, as label smoothing's does
    "mixup": (
        "float",
        ("mixup", "mixup_alpha", "mix_up", "cutmix", "cutmix_alpha", "mixup_cutmix"),
    ),
    "grad_clip": (
        "float",
        (
            "grad_clip",
            "gradient_clip_val",
            "max_grad_norm",
            "clip_grad_norm",
            "clip_grad",
            "clipnorm",
            "clip_norm",
            "gradient_clipping",
            "clip_value",
            "gradient_clip",
            "grad_clip_norm",
            "gradient_clip_norm",
            "clip_grad_max_norm",
        ),
    ),
    "shuffle": (
        "bool",
        (
            "shuffle",
            "shuffle_data",
            "shuffle_train",
            "shuffle_dataset",
            "shuffle_train_data",
            "data_shuffle",
        ),
    ),
    "normalize_inputs": (
        "bool",
        (
            "normalize_inputs",
            "normalize",
            "normalise",
            "standardize",
            "input_normalization",
            "normalize_input",
            "scale_inputs",
            "standardize_inputs",
            "normalize_data",
            "standardize_data",
            "normalize_features",
            "standardize_features",
        ),
    ),
    "normalize_targets": ("bool", ("normalize_targets", "normalize_target", "scale_targets")),
    "task": ("str", ("task", "task_type", "problem_type")),
    "n_classes": (
        "int",
        (
            "n_classes",
            "num_classes",
            "nc",
            "num_labels",
            "classes_count",
            "num_class",
            "n_class",
            "nclasses",
            "number_of_classes",
        ),
    ),
    "n_inputs": ("int", ("n_inputs", "input_dim", "in_features", "n_features", "input_size")),
    "n_outputs": ("int", ("n_outputs", "output_dim", "out_features", "output_size")),
    "depth": (
        "int",
        (
            "depth",
            "num_layers",
            "n_layers",
            "num_hidden_layers",
            "hidden_layers",
            "n_hidden_layers",
            "n_layer",
        ),
    ),
    "hidden_units": (
        "units",
        (
            "hidden_units",
            "hidden_size",
            "hidden_dim",
            "width",
            "units",
            "hidden_sizes",
            "n_hidden",
            "num_hidden",  # MXNet's FullyConnected(num_hidden=...)
            "hidden",
            "hidden_layer_sizes",  # scikit-learn's MLP
            "hidden_dims",
            "layer_sizes",
            "num_units",
            "n_units",
            "neurons",
            # a transformer's width (its residual stream), by the names its code states it:
            # PyTorch and T5/Whisper configs say d_model, GPT-2's n_embd
            "hidden_units_per_layer",
            "units_per_layer",
            "neurons_per_layer",
            "d_model",
            "n_embd",
            "model_dim",
            # a CNN's filter counts (Keras' Conv2D(filters=...)); not "channels", which as often
            # means the input's (3 for RGB) as the layers' own
            "filters",
            "num_filters",
            "n_filters",
        ),
    ),
    "hidden_activation": (
        "str",
        (
            "hidden_activation",
            "activation",
            "hidden_act",
            "act",
            "activation_fn",
            "nonlinearity",
            "activation_function",
            "act_fn",
            "nonlin",
        ),
    ),
    "output_activation": (
        "str",
        (
            "output_activation",
            "final_activation",
            "out_activation",
            "out_act",
            "last_activation",
            "output_act",
            "final_act",
            "head_activation",
            "output_nonlinearity",
            "last_layer_activation",
        ),
    ),
    "loss": ("str", ("loss", "loss_fn", "criterion", "loss_function")),
    "init": (
        "str",
        (
            "init",
            "weight_init",
            "initializer",
            "kernel_initializer",
            "init_method",
            "initialization",
            "init_scheme",
            "init_type",
            "weight_initializer",
            "kernel_init",
            "weights_init",
            "w_init",
        ),
    ),
    # the spread of a random init (a normal's std), stated on its own (HF's initializer_range)
    # or read from the init's argument (normal_0.5, normal(std=0.5), uniform(-a, a)): see
    # init_spread
    "init_std": (
        "float",
        (
            "init_std",
            "weight_init_std",
            "initializer_range",
            "init_stddev",
            "std_init",
            "initializer_std",
            "init_sigma",
        ),
    ),
    "residual": (
        "bool",
        (
            "residual",
            "skip_connections",
            "use_residual",
            "residual_connections",
            "use_skip",
            "skip_connection",
        ),
    ),
    "norm_layers": (
        "bool",
        (
            "norm_layers",
            "batch_norm",
            "batchnorm",
            "use_bn",
            "use_batchnorm",
            "normalization",
            "layer_norm",
            "norm",
            "use_batch_norm",
            "batch_normalization",
            "bn",
            "use_layer_norm",
        ),
    ),
}

_ALIAS_TO_KEY: dict[str, str] = {}
for _key, (_, _aliases) in KEYS.items():
    for _alias in _aliases:
        _ALIAS_TO_KEY.setdefault(_alias, _key)

#: canonical key -> {spelling: canonical value}. Frameworks spell the same choice many ways
#: (``CrossEntropyLoss``, ``categorical_crossentropy``, ``ce``); rules match one spelling.
#: Lookups ignore case, ``-``, ``_`` and spaces.
_VALUE_ALIASES: dict[str, dict[str, str]] = {
    "loss": {
        **dict.fromkeys(
            ["ce", "crossentropy", "crossentropyloss", "softmaxcrossentropy", "celoss"],
            "cross_entropy",
        ),
        # Keras' losses take probabilities (a softmax output is right there), torch's take logits
        **dict.fromkeys(
            ["categoricalcrossentropy", "sparsecategoricalcrossentropy"],
            "categorical_crossentropy",
        ),
        **dict.fromkeys(["nll", "nllloss", "negativeloglikelihood"], "nll"),
        **dict.fromkeys(["bce", "bceloss", "binarycrossentropy"], "bce"),
        **dict.fromkeys(
            ["bcewithlogits", "bcewithlogitsloss", "binarycrossentropywithlogits"],
            "bce_with_logits",
        ),
        **dict.fromkeys(["mse", "mseloss", "meansquarederror", "l2", "l2loss"], "mse"),
        **dict.fromkeys(["mae", "l1", "l1loss", "meanabsoluteerror"], "mae"),
        **dict.fromkeys(["huber", "huberloss", "smoothl1", "smoothl1loss"], "huber"),
    },
    "task": {
        **dict.fromkeys(
            [
                "classification",
                "clf",
                "classify",
                "multiclass",
                "binary",
                "singlelabelclassification",
            ],
            "classification",
        ),
        **dict.fromkeys(["multilabel", "multilabelclassification"], "multilabel_classification"),
        **dict.fromkeys(["regression", "reg"], "regression"),
    },
    "output_activation": {
        **dict.fromkeys(["none", "linear", "identity", "null"], "linear"),
        "logistic": "sigmoid",
        "logsoftmax": "log_softmax",
    },
    "init": {
        "randomnormal": "normal",  # Keras' initializer class names
        "randomuniform": "uniform",
        "zero": "zeros",
    },
    "hidden_activation": {
        "logistic": "sigmoid",
        "leakyrelu": "leaky_relu",
        "lrelu": "leaky_relu",
    },
}

# Keys whose values people write as the class or function they used (``nn.ReLU()``).
_CODE_VALUED = {"hidden_activation", "output_activation", "loss", "init", "optimizer"}

_TRUE = {"true", "yes", "on", "1", "y"}
_FALSE = {"false", "no", "off", "0", "n", "none", "null"}
# Values a config uses to say "effectively unlimited" (HF's streaming num_train_epochs = int64 max).
_HUGE = 2**53


_WANDB_ENTRY = {"desc", "value"}
#: Config groups that describe evaluation, not training (``eval.batch_size``; mmengine's
#: ``val_dataloader`` / ``test_dataloader``): matched on a group's first ``_`` word.
_EVAL_GROUPS = {"val", "valid", "validation", "eval", "evaluation", "test", "testing", "dev"}
#: Fields that name a group's choice: ``optimizer: {_target_: torch.optim.AdamW, lr: …}``
#: (Hydra), ``class_path`` (LightningCLI), ``weight_init: {type: kaiming}``,
#: ``activation: {name: relu}`` (mmcv, timm-style configs). The group's name is the key.
_CHOICE_FIELDS = {"_target_", "class_path", "class_name", "name", "type", "kind", "method"}
#: TF1's keep probabilities (dropout's complement), read as dropout.
_KEEP_KEYS = frozenset({"keep_prob", "keep_probability", "dropout_keep_prob", "keep_rate"})
#: Prefixes that negate a flag: ``no_shuffle: true`` (argparse's store_true for an opt-out).
_NEGATIONS = ("no_", "disable_", "dont_", "without_")
#: Counts where a non-positive value is a sentinel, not a size: Lightning's ``max_epochs: -1``
#: (train until stopped), ``batch_size: -1`` or ``0`` (tools' "auto" / "whole set").
_POSITIVE_COUNTS = {"batch_size", "epochs", "n_train", "n_val", "n_classes", "n_inputs"}


def flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested mappings with dotted keys; lists of scalars stay lists."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping) and "value" in v and set(v) <= _WANDB_ENTRY:
            v = v["value"]  # W&B's config.yaml wraps every entry as {desc: ..., value: ...}
        if isinstance(v, Mapping):
            out.update(flatten(v, key))
        else:
            out[key] = v
    return out


def _coerce(kind: str, value: Any) -> Any:
    """Coerce a raw config value to the canonical key's type, or raise ValueError."""
    if kind == "float":
        if isinstance(value, bool):
            raise ValueError("boolean")
        f = float(value)
        if not math.isfinite(f):
            raise ValueError("non-finite")
        return f
    if kind == "int":
        if isinstance(value, bool):
            raise ValueError("boolean")
        f = float(value)
        if not math.isfinite(f) or abs(f) >= _HUGE or f != int(f):
            raise ValueError("not a usable integer")
        return int(f)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return bool(value)
        s = str(value).strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        # "batchnorm", "layernorm" etc. as a normalization kind means yes
        if s:
            return True
        raise ValueError("not a boolean")
    if kind == "units":
        if isinstance(value, (list, tuple)):
            return [int(float(v)) for v in value]
        if isinstance(value, str) and re.fullmatch(
            r"[\[\(]?\s*\d+(\s*[, x]\s*\d+)*\s*[\]\)]?", value
        ):
            nums = [int(n) for n in re.findall(r"\d+", value)]
            return nums[0] if len(nums) == 1 else nums
        return int(float(value))
    s = str(value).strip()
    if not s:
        raise ValueError("empty")
    return s.lower()


def canonical_value(key: str, value: Any) -> Any:
    """The canonical spelling of a string value (``CrossEntropyLoss`` -> ``cross_entropy``).

    An init scheme loses its argument (``constant:0.1``, ``normal_0.5`` -> ``constant``,
    ``normal``): rules match the scheme; the argument stays in the raw config.
    """
    code = key in _CODE_VALUED and isinstance(value, str)
    if code:  # a call's arguments go: torch.nn.ReLU(), nn.init.normal_(std=0.5)
        value = re.sub(r"\(.*\)$", "", value.strip()) or value
    if key == "init" and isinstance(value, str):
        value = re.sub(r"\s*[:_(=]\s*[-+0-9.e]+\)?$", "", value)
    if code:  # then the module path and torch's in-place "_": nn.init.zeros_, keras...Zeros
        value = value.rsplit(".", 1)[-1].rstrip("_") or value
    if key == "label_noise" and isinstance(value, (int, float)) and 1 < value <= 100:
        return value / 100  # a percentage: noise_rate 40
    table = _VALUE_ALIASES.get(key)
    if not table or not isinstance(value, str):
        return value
    return table.get(re.sub(r"[-_\s.]", "", value.lower()), value)


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?"
_NORMAL_SCHEMES = ("normal", "gaussian", "truncnormal", "truncatednormal", "randomnormal")
_UNIFORM_SCHEMES = ("uniform", "randomuniform")


def init_spread(value: Any) -> float | None:
    """The standard deviation an init's argument states, or None when it states none.

    ``normal_0.5``, ``normal:0.5``, ``normal(std=0.5)``, ``normal(0, 0.5)`` (mean, std),
    ``RandomNormal(stddev=0.05)``, ``trunc_normal_(std=0.02)`` give their std;
    ``uniform:0.1`` (a bound), ``uniform(-0.1, 0.1)`` and ``uniform(a=-0.1, b=0.1)`` the std of
    that interval, (b - a) / sqrt(12). Rules read the init's *scale* from it: a scheme name
    alone ("normal") says nothing about whether std 1e-4 or 1.0 was drawn.
    """
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if "(" in text:
        name, args = text.split("(", 1)
        args = args.rsplit(")", 1)[0]
    elif m := re.match(rf"^(.*?)[\s:_=]+({_NUMBER})$", text):
        name, args = m.group(1), m.group(2)
    else:
        return None
    scheme = re.sub(r"[-_\s]", "", name.rsplit(".", 1)[-1])
    named = {k: float(v) for k, v in re.findall(rf"(\w+)\s*=\s*({_NUMBER})", args)}
    positional = [float(n) for n in re.findall(_NUMBER, re.sub(r"\w+\s*=\s*\S+", "", args))]
    if scheme in _NORMAL_SCHEMES:
        for key in ("std", "stddev", "sigma"):
            if key in named:
                return abs(named[key])
        return abs(positional[-1]) if positional and len(positional) <= 2 else None
    if scheme in _UNIFORM_SCHEMES:
        low = named.get("a", named.get("minval"))
        high = named.get("b", named.get("maxval", named.get("limit")))
        if high is not None:
            return abs(high - (low if low is not None else -high)) / math.sqrt(12)
        if len(positional) == 2:
            return abs(positional[1] - positional[0]) / math.sqrt(12)
        if len(positional) == 1:
            return 2 * abs(positional[0]) / math.sqrt(12)
    return None


def normalize_config(
    raw: Mapping[str, Any], overrides: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Map raw config keys onto canonical keys. Returns (config, notes about what was skipped).

    Canonical keys already present in ``raw`` win over aliases; ``overrides`` (``--set``,
    ``--hparams``) win over everything.
    """
    flat = flatten(raw)
    stated_init: Any = None  # the init as written, with its argument (normal_0.5)
    config: dict[str, Any] = {}
    rank: dict[str, int] = {}
    notes: list[str] = []
    for key, value in flat.items():
        if value is None:
            continue
        # batch-size, "Batch Size", batchSize
        low = re.sub(r"[-\s]+", "_", snake_case(key.strip()))
        parts = low.split(".")
        group = _ALIAS_TO_KEY.get(parts[-2]) if len(parts) > 1 else None
        if parts[-1] in _CHOICE_FIELDS and group and KEYS[group][0] in ("str", "bool"):
            # the group is the key, its name/type field the value: weight_init.type -> init
            low = ".".join(parts[:-1])
        last = low.rsplit(".", 1)[-1]
        canonical = _ALIAS_TO_KEY.get(low) or _ALIAS_TO_KEY.get(last)
        negated = False
        if canonical is None and last.startswith(_NEGATIONS):
            bare = last.split("_", 1)[1].removeprefix("use_")
            canonical = _ALIAS_TO_KEY.get(bare)
            negated = canonical is not None and KEYS[canonical][0] == "bool"
            if not negated:
                continue
            last = low = bare
        # TF1's dropout argument is the probability of *keeping* a unit (tf.nn.dropout(x,
        # keep_prob)): dropout is its complement, ranked after every dropout spelling
        complement = canonical is None and last in _KEEP_KEYS
        if complement:
            canonical = "dropout"
        if canonical is None:
            continue
        groups = low.split(".")[:-1]
        if any(g.split("_")[0] in _EVAL_GROUPS for g in groups):
            continue  # eval.batch_size, val_dataloader.batch_size: not the training run's
        kind, aliases = KEYS[canonical]
        if complement:
            r = len(aliases)
        elif low in aliases:
            r = aliases.index(low)
        else:
            r = aliases.index(last) + (1 if "." in low else 0)
        if any("sched" in g or "warmup" in g for g in groups):
            r += len(aliases)  # warmup.init_lr, scheduler.max_lr: after the optimizer's own rate
        if canonical == "depth" and isinstance(value, (list, tuple)):
            # hidden_layers: [256, 128] lists the widths, one per hidden layer (depth follows)
            canonical, r = "hidden_units", len(KEYS["hidden_units"][1])
            kind = KEYS[canonical][0]
        if canonical in rank and rank[canonical] <= r:
            continue
        try:
            coerced = _coerce(kind, value)
            if canonical in _POSITIVE_COUNTS and coerced <= 0:
                continue  # max_epochs: -1 is "until stopped", not a count
            if complement:
                if not 0.0 < coerced <= 1.0:
                    raise ValueError("a keep probability lies in (0, 1]")
                coerced = round(1.0 - coerced, 6)
            config[canonical] = canonical_value(canonical, not coerced if negated else coerced)
            rank[canonical] = r
            if canonical == "init":
                stated_init = coerced
        except (TypeError, ValueError):
            notes.append(f"config '{key}' = {value!r} is not a usable {canonical}; ignored")
    for key, value in (overrides or {}).items():
        if key not in KEYS:
            known = ", ".join(sorted(KEYS))
            from nn_doctor.errors import ConfigError

            raise ConfigError(f"unknown config key '{key}'", hint=f"known keys: {known}")
        try:
            config[key] = canonical_value(key, _coerce(KEYS[key][0], value))
        except (TypeError, ValueError) as exc:
            from nn_doctor.errors import ConfigError

            raise ConfigError(f"config '{key}' = {value!r}: {exc}") from exc
        if key == "init":
            stated_init = value
    _derive(config, raw)
    if "init_std" not in config and (std := init_spread(stated_init)) is not None:
        config["init_std"] = std
    return config, notes


#: Keys whose value maps or lists a classifier's labels: their length is the class count.
#: Hugging Face's config.json writes ``id2label``/``label2id``, never ``num_labels``.
_LABEL_MAPS = frozenset({"id2label", "label2id", "class_names", "label_names", "classes"})


def _label_count(raw: Mapping[str, Any]) -> int | None:
    """The class count a label map or list in ``raw`` (at any depth) gives: 2+ entries."""
    for key, value in raw.items():
        if str(key).lower() in _LABEL_MAPS and isinstance(value, (Mapping, list)):
            if len(value) >= 2 and all(not isinstance(v, (Mapping, list)) for v in value):
                return len(value)
        elif isinstance(value, Mapping):
            found = _label_count(value)
            if found is not None:
                return found
    return None


def _derive(config: dict[str, Any], raw: Mapping[str, Any] | None = None) -> None:
    """Fill facts that follow from others (hidden_units list → depth; a label map → n_classes)."""
    units = config.get("hidden_units")
    if isinstance(units, list) and units and "depth" not in config:
        config["depth"] = len(units)
    if "n_classes" not in config and raw is not None:
        count = _label_count(raw)
        if count is not None:
            config["n_classes"] = count


def parse_set(items: list[str]) -> dict[str, Any]:
    """Parse ``--set key=value`` options (values are YAML scalars: 1e-3, true, [64, 64])."""
    import yaml

    from nn_doctor.errors import ConfigError

    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(
                f"--set expects key=value, got '{item}'", hint="e.g. --set batch_size=4096"
            )
        key, _, value = item.partition("=")
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            out[key.strip()] = value
    return out
