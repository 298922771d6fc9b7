"""Canonical signal names and the one alias table that maps what real tools write onto them.

Readers keep the original metric names; :func:`canonical_name` decides what each one means.
It works in three passes, most specific first:

1. an exact alias (``eval_loss`` → ``val_loss``, ``lr-Adam`` → ``lr``), including the user's own
   from ``.nn-doctor.yaml`` (``signals: {grad_norm: [gn]}``);
2. per-layer and data-range families (``grad_norm/fc1``, ``act_zero_frac/conv2``, histogram
   summaries ``activations/fc1:zero_frac`` …);
3. a structural parse of "split + base" names, so that ``Loss/train``, ``train_loss_step``,
   ``validation/epoch_loss``, ``val/accuracy`` and ``loss_val`` need no table row each.

Names that match nothing are kept as they are: unknown metrics are never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: Global scalars every rule may read (DECISIONS.md §3).
SCALARS = (
    "train_loss",
    "val_loss",
    "train_acc",
    "val_acc",
    "lr",
    "grad_norm",
    "grad_norm_clipped",
    "weight_norm",
    "epoch",
)

#: Per-layer families, written ``<family>/<layer>`` in model order (input → output).
LAYER_FAMILIES = (
    "grad_norm",
    "weight_norm",
    "update_ratio",
    "act_mean",
    "act_std",
    "act_zero_frac",
    "act_sat_frac",
)

#: Data-range series: ``input_mean`` … ``pred_max``.
DATA_RANGES = tuple(
    f"{what}_{stat}"
    for what in ("input", "target", "pred")
    for stat in ("mean", "std", "min", "max")
)

#: Metrics where a higher value is better; everything else that is not a loss is assumed lower.
HIGHER_IS_BETTER = re.compile(
    r"(acc|accuracy|bleu|rouge|map|f1|precision|recall|auc|r2|iou|dice|score|meteor|chrf)",
    re.IGNORECASE,
)
LOWER_IS_BETTER = re.compile(
    r"(loss|cost|wer|cer|mae|mse|rmse|perplexity|ppl|error|nll)", re.IGNORECASE
)

# Exact aliases, lower-case. Order inside a list breaks ties when several are logged equally often.
ALIASES: dict[str, tuple[str, ...]] = {
    "train_loss": (
        "train_loss",
        "loss",
        "training_loss",
        "train/loss",
        "loss/train",
        "train_loss_step",
        "train_loss_epoch",
        "trainloss",
        "total_loss",  # detectron2
        "train/total_loss",
        "epoch_loss",  # Keras TensorBoard callback, train/ folder
        "batch_loss",
        "epoch/loss",  # a cadence in front is not a component (compare D/loss)
        "batch/loss",
        "step/loss",
        "iter/loss",
        "cost",  # TensorFlow 1 tutorials and Andrew Ng's courses: cost, train_cost, val_cost
    ),
    "val_loss": (
        "val_loss",
        "eval_loss",
        "valid_loss",
        "validation_loss",
        "val/loss",
        "eval/loss",
        "valid/loss",
        "validation/loss",
        "loss/val",
        "loss/valid",
        "loss/validation",
        "loss/eval",
        "val_loss_epoch",
        "validation/epoch_loss",
        "test_loss",  # many tutorials call their held-out set "test"
        "test/loss",
        "loss/test",
        "valloss",  # the spelling of trainloss beside it
        "validloss",
        "testloss",
    ),
    # Keras names the training accuracy without a split prefix (CSVLogger, History, W&B).
    "train_acc": (
        "train_acc",
        "acc",
        "accuracy",
        "categorical_accuracy",
        "sparse_categorical_accuracy",
        "binary_accuracy",
        "epoch_accuracy",  # Keras TensorBoard callback, train/ folder
    ),
    "lr": (
        "lr",
        "learning_rate",
        "train/learning_rate",
        "train/lr",
        "learning-rate",
        "lr/pg0",  # Ultralytics
        "x/lr0",  # YOLOv5
        "lr-adam",
        "lr-adamw",
        "lr-sgd",
        "epoch_learning_rate",
        "epoch_lr",
        "learningrate",  # "LearningRate"
    ),
    "grad_norm": (
        "grad_norm",
        "gradient_norm",
        "train/grad_norm",
        "gradients/global_norm",
        "global_grad_norm",
        "grad_norm_total",
        "total_grad_norm",
        "grad_2.0_norm_total",  # Lightning's grad_norm utility
        "gnorm",  # fairseq
        "grad_norm/total",
        "grad_norm/global",
        "grad_norm/all",
        "gradnorm",
        "total_norm",  # what torch.nn.utils.clip_grad_norm_ returns, logged under its own name
        "grad_norm_before_clip",  # the norm clipping acted on is the gradient's norm
        "grad_norm_pre_clip",
        "grad_norm_unclipped",
        "unclipped_grad_norm",
    ),
    "grad_norm_clipped": (
        "grad_norm_clipped",
        "clipped_grad_norm",
        "grad_norm_after_clip",
        "grad_norm_post_clip",
    ),
    "weight_norm": (
        "weight_norm",
        "param_norm",
        "weights/global_norm",
        "parameter_norm",
        "weight_norm/global",
        "weight_norm/total",
    ),
    "epoch": (
        "epoch",
        "epochs",
        "train/epoch",
        "trainer/epoch",
        "ep",
        "epoch_num",
        "epoch_number",
        "epoch_idx",
    ),
}

_SPLITS = {
    "train": "train",
    "training": "train",
    "trn": "train",
    "tr": "train",  # HF Trainer's tr_loss
    "val": "val",
    "valid": "val",
    "validation": "val",
    "eval": "val",
    "dev": "val",
    "test": "val",
    "tst": "val",  # trn/tst, as trn/dev
    "va": "val",  # tr/va, as hand-written loops abbreviate them
}
_ACC_BASES = {
    "acc",
    "accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "binary_accuracy",
    "top1",
    "acc1",
    "top1_acc",
}
# What a loss is called after its split is taken off (``cost`` is TensorFlow 1's word for it).
_LOSS_BASES = {"loss", "losses", "total_loss", "cost"}
_LAYER_RE = re.compile(r"^(" + "|".join(LAYER_FAMILIES) + r")/(.+)$")
_HIST_STAT_RE = re.compile(r"^(?P<tag>.+):(?P<stat>mean|std|min|max|norm|zero_frac|count)$")
# Lightning's grad_norm utility: ``grad_2.0_norm/fc1.weight`` and ``grad_2.0_norm_total``; before
# 1.5 (track_grad_norm=2) the parameter was joined with "_" and the norm type could be ``2``. Only
# the L2 norm: an inf- or 1-norm is another scale and keeps its name.
_LIGHTNING_NORM_RE = re.compile(
    r"^grad(?:_norm)?_2(?:\.0)?_norm(?:_total|[/_](?P<param>.+))$", re.IGNORECASE
)
_LR_OPT_RE = re.compile(r"^lr-[a-z0-9_]+(?:/pg(?P<group>\d+))?$")
# the rate of one parameter group: lr_0, learning_rate/pg1, lr_group_2, param_group_0_lr
_LR_GROUP_RE = re.compile(
    r"^(?:(?:param_)?group_?(?P<pre>\d+)[_/])?(?:lr|learning_rate)"
    r"(?:[_/\-]?(?:pg|(?:param_)?group)?_?(?P<post>\d+))?$"
)
# input/target/prediction ranges as people spell them: x_mean, inputs/std, preds_max, y_min
_DATA_RANGE_RE = re.compile(
    r"^(?P<what>inputs?|x|features|targets?|y|labels?|preds?|predictions?|outputs?)"
    r"[_/.](?P<stat>mean|std|min|max)$"
)
_DATA_WHAT = {"i": "input", "x": "input", "f": "input", "t": "target", "y": "target",
              "l": "target", "p": "pred", "o": "pred"}  # fmt: skip
# Words that qualify a loss without changing what it is: avg_loss, epoch_val_loss, loss_mean
_LOSS_QUALIFIERS = {"avg", "average", "mean", "running", "smoothed", "ema", "epoch", "batch",
                    "step", "iter", "overall"}  # fmt: skip


# Per-layer statistics spelled the other ways people log them (``fc1/grad_norm``,
# ``gradients/fc1.weight``, ``activations/fc1/zero_frac``, ``fc1.weight.grad_norm``): the words
# that name each family, whole or as the statistic under an activations/gradients/weights group.
_FAMILY_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ("grad_norm", "gradnorm", "grad", "grads", "gradient", "gradients", "gradient_norm",
         "grad_l2", "grad_l2_norm"), "grad_norm"),
    **dict.fromkeys(
        ("weight_norm", "weights", "weight", "param_norm", "params", "param", "parameter_norm",
         "parameters", "w_norm"), "weight_norm"),
    **dict.fromkeys(
        ("update_ratio", "update_to_weight", "update_weight_ratio", "update_to_data",
         "upd_ratio"), "update_ratio"),
    **dict.fromkeys(
        ("act_mean", "activation_mean", "activations_mean", "mean_activation"), "act_mean"),
    **dict.fromkeys(("act_std", "activation_std", "activations_std", "std_activation"), "act_std"),
    **dict.fromkeys(
        ("act_zero_frac", "zero_frac", "zero_fraction", "frac_zero", "fraction_zero",
         "dead_frac", "dead_fraction", "frac_dead", "fraction_dead", "dead_ratio", "zero_ratio",
         "sparsity", "act_sparsity", "activation_sparsity", "dead_relu_frac", "dead_relu_fraction",
         "dead_relu_ratio", "dead_units_frac", "dead_unit_frac", "dead_neurons_frac",
         "frac_dead_units", "dead_relus", "relu_zero_frac", "relu_zero_fraction", "act_frac_zero",
         "activation_zero_frac", "activation_zero_fraction", "act_dead_frac", "dead_units"),
        "act_zero_frac"),
    **dict.fromkeys(
        ("act_sat_frac", "sat_frac", "saturation", "saturated_frac", "sat_fraction",
         "saturated_fraction", "saturation_frac"), "act_sat_frac"),
}  # fmt: skip
# A statistic names a family only under its group, whether the group leads
# (``activations/fc1/zero_frac``, TensorBoard's ``gradients/fc2:norm``) or follows the layer
# (``fc1/activations:mean``, ``fc1.grad:norm``): group word -> (family of each statistic).
_ACT_STATS = {
    "mean": "act_mean",
    "std": "act_std",
    "zero_frac": "act_zero_frac",
    "zero_fraction": "act_zero_frac",
    "sparsity": "act_zero_frac",
    "dead_frac": "act_zero_frac",
    "dead_fraction": "act_zero_frac",
    "frac_zero": "act_zero_frac",
    "sat_frac": "act_sat_frac",
    "saturation": "act_sat_frac",
}
_GRAD_STATS = {"norm": "grad_norm", "l2": "grad_norm", "l2_norm": "grad_norm"}
_WEIGHT_STATS = {"norm": "weight_norm", "l2": "weight_norm", "l2_norm": "weight_norm"}
_GROUP_STATS: dict[str, dict[str, str]] = {
    **dict.fromkeys(("activations", "activation", "acts", "act"), _ACT_STATS),
    **dict.fromkeys(("gradients", "gradient", "grads", "grad"), _GRAD_STATS),
    **dict.fromkeys(("weights", "weight", "params", "param", "parameters"), _WEIGHT_STATS),
}  # fmt: skip
# the group after the layer: activations after a slash (``fc1/out`` is the module's output),
# gradients and weights after a slash or a dot (``fc1.weight``), gradients also after ``_``
_GROUP_AFTER = re.compile(
    r"^(?P<layer>.+?)(?:/(?P<act>activations?|acts?|act|out)"
    r"|[/.](?P<wgt>weights?|params?|parameters)|[/._](?P<grd>gradients?|grads?|grad))$",
    re.IGNORECASE,
)


def _grouped(tag: str, stat: str) -> tuple[str, str] | None:
    """(family, layer) for a group-qualified ``tag`` and its statistic, or None."""
    head, sep, rest = tag.partition("/")
    if sep and rest and head.lower() in _GROUP_STATS:
        stats, layer = _GROUP_STATS[head.lower()], rest
    else:
        m = _GROUP_AFTER.match(tag)
        if not m:
            return None
        word = (m["act"] and "activations") or (m["wgt"] and "weights") or "gradients"
        stats, layer = _GROUP_STATS[word], m["layer"]
    family = stats.get(stat.lower())
    return (family, layer) if family else None


# Not layers: a split, or the whole model (``train/grad_norm``, ``global/grad_norm``).
_WHOLE_MODEL = {"global", "total", "all", "model", "net", "norm", "total_norm", "global_norm"}
_NOT_A_LAYER = {*_SPLITS, *_WHOLE_MODEL, "optimizer", "optim"}
# Words that qualify a statistic rather than name a layer (``grad_norm_clipped``, ``max_grad_norm``)
_QUALIFIERS = {
    *_LOSS_QUALIFIERS, "clip", "clipped", "unclipped", "pre_clip", "post_clip", "before_clip",
    "after_clip", "max", "min", "std", "median", "sum", "raw", "l2", "l1", "inf",
}  # fmt: skip
# A statistic a group's family is not, after the layer (``weights/fc1/std``,
# ``gradients/fc1/mean``): the weights' spread or the gradients' mean is no norm, so such a
# name is no layer of the family (``weights/mean`` alone may still be a layer called "mean").
_OTHER_STATS = {*_QUALIFIERS, "var", "variance", "stddev", "hist", "histogram", "abs_mean",
                "mean_abs", "rms", "mean_norm", "sparsity"}  # fmt: skip
# The family words that are unambiguous joined to a layer name by "_" (``grad_norm_fc1``,
# ``fc1_zero_frac``); one-word ones (``grad``, ``weights``) would claim too much. Longest first.
_JOINED_FAMILY_WORDS = sorted((w for w in _FAMILY_WORDS if "_" in w), key=len, reverse=True)


# A bias parameter: a layer's ``bias``, and torch's recurrent ``bias_ih_l0``, ``bias_hh_l1_reverse``
_BIAS = re.compile(r"bias(_[a-z]{2}_l\d+(_reverse)?)?")


def _layer_path(path: str) -> str | None:
    """The layer a parameter path names: ``fc1.weight`` → ``fc1``; None for a bias
    (``fc1.bias``, and a recurrent layer's ``rnn.bias_ih_l0``)."""
    for sep in (".", "/"):
        head, _, last = path.rpartition(sep)
        if head and last in ("weight", "kernel"):
            return head
        if head and _BIAS.fullmatch(last):
            return None  # a bias's statistics would pose as a layer of their own
    return path


def _per_layer(name: str) -> Resolved | None:
    """``<family>/<layer>``, ``<layer>/<family>``, ``<group>/<layer>/<stat>``, ``<layer>.<family>``."""
    low = name.strip().lower()
    parts = low.split("/")
    tag, _, stat = name.strip().rpartition("/")
    grouped = _grouped(tag, stat) if tag and len(parts) >= 3 else None
    family = layer = None
    if grouped:
        family, layer = grouped
    elif (
        len(parts) >= 3
        and parts[0] in _GROUP_STATS
        and _FAMILY_WORDS.get(parts[-1]) in _GROUP_STATS[parts[0]].values()
    ):  # a group, the layer, then a word of the group's family: activations/fc1/frac_dead
        family, layer = _FAMILY_WORDS[parts[-1]], tag.split("/", 1)[1]
    elif (
        len(parts) >= 2
        and parts[0] in _FAMILY_WORDS
        and not (len(parts) >= 3 and parts[-1] in _OTHER_STATS)
    ):
        family, layer = _FAMILY_WORDS[parts[0]], name.strip().split("/", 1)[1]
    elif len(parts) >= 2 and parts[-1] in _FAMILY_WORDS:
        family, layer = _FAMILY_WORDS[parts[-1]], name.strip().rsplit("/", 1)[0]
    else:
        head, dot, last = name.strip().rpartition(".")
        # a joined family word names the statistic of a parameter path (``grad_norm_fc1.weight``
        # is fc1's gradient norm, not the weight norm of a layer called ``grad_norm_fc1``)
        family, layer = _joined(name.strip()) if "/" not in low else (None, None)
        if family is None and dot and head and last.lower() in _FAMILY_WORDS and "/" not in head:
            family, layer = _FAMILY_WORDS[last.lower()], head
    return _layer_claim(name, family, layer, 25)


def _joined(name: str) -> tuple[str | None, str | None]:
    """(family, layer) for ``grad_norm_fc1`` / ``fc1_grad_norm`` (a CSV column per layer)."""
    low = name.lower()
    for word in _JOINED_FAMILY_WORDS:
        if low.startswith(word + "_"):
            layer = name[len(word) + 1 :]
        elif low.endswith("_" + word):
            layer = name[: -len(word) - 1]
        else:
            continue
        return (None, None) if layer.lower() in _QUALIFIERS else (_FAMILY_WORDS[word], layer)
    return None, None


def _layer_claim(name: str, family: str | None, layer: str | None, rank: int) -> Resolved | None:
    """``family/layer`` for a parsed name (a parameter suffix names its layer; a bias is none).

    A whole-model "layer" (``gradients/norm``, ``grad_norm/total_norm``) is the global scalar.
    """
    if family is None or layer is None:
        return None
    if layer.lower() in _WHOLE_MODEL and family in SCALARS:
        return Resolved(family, 30)
    if layer.lower() in _NOT_A_LAYER:
        return None
    path = _layer_path(layer)
    return Resolved(f"{family}/{path}", rank) if path else Resolved(name, 100)


@dataclass(frozen=True)
class Resolved:
    """What an original name means: its canonical name and how sure the mapping is."""

    canonical: str
    rank: int  # lower is a better claim on the canonical name when several names compete


def _split_and_base(name: str) -> tuple[str, str, bool] | None:
    """Return (split, base, per_epoch) for names like ``Loss/train`` or ``val_acc_epoch``."""
    per_epoch = False
    n = name
    for suffix, epochy in (("_step", False), ("_epoch", True)):
        if n.endswith(suffix):
            n = n[: -len(suffix)]
            per_epoch = epochy
            break
    parts = [p for p in re.split(r"[/_\-. ]+", n) if p]
    kept = [p for p in parts if p not in _LOSS_QUALIFIERS]
    if kept != parts and kept and kept[-1] in {*_LOSS_BASES, *_ACC_BASES}:
        per_epoch = per_epoch or "epoch" in parts
        parts = kept if len(kept) > 1 else ["train", *kept]  # avg_loss: the training loss
    if len(parts) < 2:
        return None
    for split_idx in (0, len(parts) - 1):
        split = _SPLITS.get(parts[split_idx])
        if split is None:
            continue
        base_parts = parts[1:] if split_idx == 0 else parts[:-1]
        if base_parts and base_parts[0] == "epoch":  # Keras: validation/epoch_loss
            base_parts = base_parts[1:]
            per_epoch = True
        base = "_".join(base_parts)
        if base in _LOSS_BASES:
            return split, "loss", per_epoch
        if base in _ACC_BASES:
            return split, "acc", per_epoch
    return None


# Error metrics that are a training objective themselves (an MSE-trained regression logging
# ``train_mse``, Keras' ``mean_squared_error``): read as the loss when no loss is logged at all.
_OBJECTIVE_BASES = {"mse", "rmse", "mae", "mean_squared_error", "mean_absolute_error",
                    "root_mean_squared_error", "nll", "cross_entropy", "crossentropy", "xent",
                    "ce", "bce", "l1", "l2", "huber"}  # fmt: skip


def objective_split(name: str) -> str | None:
    """``train``/``val`` when ``name`` is an error metric that can stand in for that loss.

    A bare metric (``mse``) is the training one, as Keras logs ``mse`` next to ``val_mse``.
    """
    low = snake_case(name.strip()).lower()
    if low in _OBJECTIVE_BASES:
        return "train"
    parts = [p for p in re.split(r"[/_\-. ]+", low) if p]
    if len(parts) < 2:
        return None
    for split_idx in (0, len(parts) - 1):
        split = _SPLITS.get(parts[split_idx])
        base = "_".join(parts[1:] if split_idx == 0 else parts[:-1])
        if split is not None and base in _OBJECTIVE_BASES:
            return split
    return None


def snake_case(name: str) -> str:
    """``valLoss`` → ``val_loss`` (an underscore wherever a lower-case letter meets a capital)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def canonical_name(name: str, user_aliases: Mapping[str, Iterable[str]] | None = None) -> Resolved:
    """Map one original metric name to its canonical signal name (or itself)."""
    low = re.sub(r"\s+", "_", name.strip().lower())  # "Learning Rate", "Grad Norm"
    if user_aliases:
        for canonical, names in user_aliases.items():
            if low in {n.strip().lower() for n in names}:
                return Resolved(canonical, 0)
    snake = snake_case(name.strip())  # learningRate, gradNorm
    for canonical, names in ALIASES.items():
        for spelling in (low, snake):
            if spelling in names:
                return Resolved(canonical, 10 + names.index(spelling))
    # Lightning's on_step/on_epoch twins of a bare name: `loss_step`, `loss_epoch`, `acc_epoch`
    for suffix, extra in (("_step", 20), ("_epoch", 25)):
        if low.endswith(suffix):
            base = low[: -len(suffix)]
            for canonical, names in ALIASES.items():
                if base in names:
                    return Resolved(canonical, extra + names.index(base))
    lr_group = _LR_GROUP_RE.match(low)
    if lr_group and (lr_group["pre"] or lr_group["post"]):
        return Resolved("lr", 40 + int(lr_group["pre"] or lr_group["post"]))
    lr_opt = _LR_OPT_RE.match(low)
    if lr_opt:
        # Lightning's LearningRateMonitor: lr-Adam, or lr-AdamW/pg1, /pg2 … per parameter group
        # (the first group is the model's main one)
        return Resolved("lr", 40 + int(lr_opt.group("group") or 0))
    m = _LAYER_RE.match(name.strip())
    if m:
        if m.group(2).lower() in _WHOLE_MODEL and m.group(1) in SCALARS:
            return Resolved(m.group(1), 30)  # grad_norm/total_norm: the whole model's
        path = _layer_path(m.group(2))
        return Resolved(f"{m.group(1)}/{path}", 0) if path else Resolved(name, 100)
    lightning = _LIGHTNING_NORM_RE.match(name.strip())
    if lightning:
        # Lightning's grad_norm utility: one entry per parameter (fc1.weight, fc1.bias)
        if not lightning["param"]:
            return Resolved("grad_norm", 20)
        path = _layer_path(lightning["param"])
        return Resolved(f"grad_norm/{path}", 20) if path else Resolved(name, 100)
    if low in DATA_RANGES:
        return Resolved(low, 0)
    data_range = _DATA_RANGE_RE.match(low)
    if data_range:
        return Resolved(f"{_DATA_WHAT[data_range['what'][0]]}_{data_range['stat']}", 5)
    h = _HIST_STAT_RE.match(name.strip())
    if h:  # a TensorBoard histogram's summary: ``activations/fc1:zero_frac``
        grouped = _grouped(h.group("tag"), h.group("stat"))
        claim = _layer_claim(name, *grouped, 30) if grouped else None
        return claim or Resolved(name, 100)
    per_layer = _per_layer(name)
    if per_layer is not None:
        return per_layer
    # camelCase spellings (valLoss, lossTrain, trainAcc) parse as their snake_case twins
    parsed = _split_and_base(low) or _split_and_base(snake)
    if parsed:
        split, base, per_epoch = parsed
        # Per-step values beat per-epoch aggregates of the same metric (denser, same meaning).
        return Resolved(
            f"{split}_{base}", 50 + (5 if per_epoch else 0) + (3 if "test" in low else 0)
        )
    # A namespace in front of a known name: ptl/val_loss (Ray Tune), metrics/val_loss,
    # optimizer/lr. Ranked after every direct spelling of the same signal.
    head, sep, rest = name.strip().partition("/")
    if sep and head and rest:
        inner = canonical_name(rest, user_aliases)
        # a bare `loss` under a prefix is a component (D/loss, G/loss, box/loss), not the loss
        bare = rest.strip().lower() in ("loss", "acc", "accuracy")
        if inner.rank < 100 and "/" not in inner.canonical and not bare:
            return Resolved(inner.canonical, min(60 + inner.rank, 99))
    return Resolved(name, 100)


def is_layer_signal(name: str) -> bool:
    """Whether ``name`` is a per-layer series such as ``act_zero_frac/fc1``.

    A bias's statistic keeps its logged name (``grad_norm/fc1.bias``) but is no layer of its own.
    """
    m = _LAYER_RE.match(name)
    return bool(m) and _layer_path(m.group(2)) is not None


def higher_is_better(name: str) -> bool | None:
    """Direction of a task metric: True (accuracy, BLEU…), False (loss, WER…), None if unknown."""
    if LOWER_IS_BETTER.search(name):
        return False
    if HIGHER_IS_BETTER.search(name):
        return True
    return None
