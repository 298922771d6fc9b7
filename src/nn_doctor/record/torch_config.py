"""Read the canonical config keys (DECISIONS.md §3) off a torch model, optimizer and loss.

Half of the catalog's causes are settled by config rather than curves (a dropout of 0.9, 40 plain
layers, batch size equal to the training set). Users rarely write these down, but the model and
optimizer objects know them; this module turns what they know into the canonical keys. Facts the
objects cannot know (the init scheme, whether inputs were normalized, shuffle) are taken from
keyword arguments and written only when given: a guessed config is worse than none.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import torch
from torch import nn

# Layers that carry the network's depth and width. Not annotated: the inferred tuple of classes
# lets isinstance() narrow to them, so their typed attributes (out_features: int …) type-check.
_DENSE = (nn.Linear, nn.Bilinear)
_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_RNN = (nn.RNN, nn.LSTM, nn.GRU)
_NORM: tuple[type[nn.Module], ...] = (
    nn.BatchNorm1d,
    nn.BatchNorm2d,
    nn.BatchNorm3d,
    nn.LayerNorm,
    nn.GroupNorm,
    nn.InstanceNorm1d,
    nn.InstanceNorm2d,
    nn.InstanceNorm3d,
)
_DROPOUT = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout)

_ACTIVATIONS: dict[type[nn.Module], str] = {
    nn.ReLU: "relu",
    nn.ReLU6: "relu6",
    nn.LeakyReLU: "leaky_relu",
    nn.PReLU: "prelu",
    nn.ELU: "elu",
    nn.SELU: "selu",
    nn.GELU: "gelu",
    nn.SiLU: "silu",
    nn.Mish: "mish",
    nn.Sigmoid: "sigmoid",
    nn.Tanh: "tanh",
    nn.Hardtanh: "hardtanh",
    nn.Softplus: "softplus",
    nn.Softmax: "softmax",
    nn.LogSoftmax: "log_softmax",
}

_LOSSES: dict[type[nn.Module], tuple[str, str]] = {
    nn.CrossEntropyLoss: ("cross_entropy", "classification"),
    nn.NLLLoss: ("nll", "classification"),
    nn.BCELoss: ("bce", "classification"),
    nn.BCEWithLogitsLoss: ("bce_with_logits", "classification"),
    nn.MSELoss: ("mse", "regression"),
    nn.L1Loss: ("l1", "regression"),
    nn.SmoothL1Loss: ("smooth_l1", "regression"),
    nn.HuberLoss: ("huber", "regression"),
}


def _layer_sequence(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Leaf-ish modules in registration order: weight layers, activations, norms, dropouts."""
    kinds = _DENSE + _CONV + _RNN + _NORM + _DROPOUT + tuple(_ACTIVATIONS)
    return [(n, m) for n, m in model.named_modules() if n and isinstance(m, kinds)]


def _width(module: nn.Module) -> int:
    if isinstance(module, _DENSE):
        return int(module.out_features)
    if isinstance(module, _CONV):
        return int(module.out_channels)
    if isinstance(module, _RNN):
        return int(module.hidden_size)
    raise TypeError(f"not a weight layer: {type(module).__name__}")


def _architecture(model: nn.Module) -> dict[str, Any]:
    """Depth, widths and activations from the module sequence (registration order)."""
    seq = _layer_sequence(model)
    weight_idx = [i for i, (_, m) in enumerate(seq) if isinstance(m, _DENSE + _CONV + _RNN)]
    facts: dict[str, Any] = {}
    if not weight_idx:
        return facts
    # Each RNN layer of a stacked RNN is a hidden layer of its own.
    widths: list[int] = []
    for i in weight_idx:
        m = seq[i][1]
        widths.extend([_width(m)] * (int(m.num_layers) if isinstance(m, _RNN) else 1))
    hidden = widths[:-1]
    facts["depth"] = len(hidden)
    if hidden:
        facts["hidden_units"] = hidden[0] if len(set(hidden)) == 1 else hidden
    first, last = seq[weight_idx[0]][1], seq[weight_idx[-1]][1]
    if isinstance(first, nn.Linear):  # (nn.Bilinear has two inputs: in1_ and in2_features)
        facts["n_inputs"] = int(first.in_features)
    elif isinstance(first, _RNN):
        facts["n_inputs"] = int(first.input_size)
    if isinstance(last, _DENSE):
        facts["n_outputs"] = int(last.out_features)
    hidden_acts = Counter(
        _ACTIVATIONS[type(m)] for _, m in seq[: weight_idx[-1]] if type(m) in _ACTIVATIONS
    )
    rnn_acts = [m.nonlinearity for _, m in seq if isinstance(m, nn.RNN)]
    hidden_acts.update(rnn_acts)
    if any(isinstance(m, (nn.LSTM, nn.GRU)) for _, m in seq):
        hidden_acts.update(["tanh"])
    if hidden_acts:
        facts["hidden_activation"] = hidden_acts.most_common(1)[0][0]
    out_acts = [
        _ACTIVATIONS[type(m)] for _, m in seq[weight_idx[-1] + 1 :] if type(m) in _ACTIVATIONS
    ]
    facts["output_activation"] = out_acts[-1] if out_acts else "none"
    facts["norm_layers"] = any(isinstance(m, _NORM) for _, m in seq)
    drops = [float(m.p) for _, m in seq if isinstance(m, _DROPOUT)]
    drops += [float(m.dropout) for _, m in seq if isinstance(m, _RNN) and m.dropout > 0]
    facts["dropout"] = max(drops) if drops else 0.0
    return facts


def _optimizer_facts(optimizer: torch.optim.Optimizer) -> dict[str, Any]:
    group = optimizer.param_groups[0]
    facts: dict[str, Any] = {"optimizer": type(optimizer).__name__.lower()}
    if "lr" in group:
        facts["lr"] = float(group["lr"])
    # Adam's beta1 is not SGD momentum: only report momentum where the optimizer calls it so.
    if "momentum" in group:
        facts["momentum"] = float(group["momentum"])
    if "weight_decay" in group:
        facts["weight_decay"] = float(group["weight_decay"])
    return facts


def config_facts(
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    loss_fn: nn.Module | str | None = None,
    **known: Any,
) -> dict[str, Any]:
    """Return the canonical config keys that the objects (and the caller) can vouch for.

    :param model: the network; gives depth, hidden_units, activations, dropout, norm_layers,
        n_inputs/n_outputs (and n_classes for classification).
    :param optimizer: gives optimizer, lr, momentum (SGD-style only) and weight_decay.
    :param loss_fn: a loss module or a name; gives ``loss`` and, unless given, ``task``.
    :param known: facts only the caller knows, under canonical keys: ``batch_size``,
        ``n_train``, ``n_val``, ``epochs``, ``grad_clip``, ``shuffle``, ``init``,
        ``normalize_inputs``, ``normalize_targets``, ``residual``, ``task``, ``n_classes`` ….
        ``None`` values are dropped.
    """
    facts: dict[str, Any] = _architecture(model)
    if optimizer is not None:
        facts.update(_optimizer_facts(optimizer))
    if isinstance(loss_fn, nn.Module):
        for kind, (name, task) in _LOSSES.items():
            if isinstance(loss_fn, kind):
                facts["loss"] = name
                facts["task"] = task
                break
        else:
            facts["loss"] = type(loss_fn).__name__.lower()
        # smoothed targets keep the training loss above validation by design (label_noise)
        if getattr(loss_fn, "label_smoothing", 0.0):
            facts["label_smoothing"] = float(loss_fn.label_smoothing)
    elif isinstance(loss_fn, str):
        facts["loss"] = loss_fn
    facts.update({k: v for k, v in known.items() if v is not None})
    if facts.get("task") == "classification" and "n_classes" not in facts and "n_outputs" in facts:
        n_out = int(facts["n_outputs"])
        facts["n_classes"] = 2 if n_out == 1 else n_out
    return facts
