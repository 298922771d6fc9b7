"""Small torch models for the zoo: MLPs of any depth and width, a small CNN, a small RNN.

Each model is built from a plain dict of architecture settings so that a scenario can inject a
fault by changing one setting (an activation, an init, a depth). Layer names differ between
styles (``fc1``/``act1`` versus ``layers.0``/``layers.1``) because real models differ, and the
recorder names layers by module path.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import torch
from torch import nn

_ACTS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
}


def activation(name: str) -> nn.Module:
    """An activation module by name."""
    return _ACTS[name]()


def mlp(n_in: int, n_out: int, arch: dict[str, Any]) -> nn.Module:
    """A multi-layer perceptron; ``arch`` keys: hidden, act, out_act, dropout, names."""
    hidden: list[int] = list(arch.get("hidden", [64, 64]))
    act = arch.get("act", "relu")
    dropout = float(arch.get("dropout", 0.0))
    out_act = arch.get("out_act")
    items: list[tuple[str, nn.Module]] = []
    width = n_in
    for i, h in enumerate(hidden, start=1):
        items.append((f"fc{i}", nn.Linear(width, h)))
        items.append((f"act{i}", activation(act)))
        if dropout > 0:
            items.append((f"drop{i}", nn.Dropout(dropout)))
        width = h
    items.append(("out", nn.Linear(width, n_out)))
    if out_act:
        items.append(("out_act", activation(out_act)))
    if arch.get("names", "named") == "named":
        return nn.Sequential(OrderedDict(items))
    return _Layers(nn.Sequential(*(m for _, m in items)))


class _Layers(nn.Module):
    """An MLP kept under ``self.layers`` (module paths ``layers.0``, ``layers.1`` …)."""

    def __init__(self, layers: nn.Sequential) -> None:
        super().__init__()
        self.layers = layers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class SmallCNN(nn.Module):
    """Two 3×3 conv layers on 8×8 digit images, a hidden dense layer and a linear head."""

    def __init__(self, n_out: int, arch: dict[str, Any]) -> None:
        super().__init__()
        act = arch.get("act", "relu")
        c1, c2 = arch.get("channels", (8, 16))
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
        self.act1 = activation(act)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        self.act2 = activation(act)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(c2 * 16, int(arch.get("fc", 64)))
        self.act3 = activation(act)
        self.drop = nn.Dropout(float(arch.get("dropout", 0.0)))
        self.out = nn.Linear(int(arch.get("fc", 64)), n_out)
        self.out_act = activation(arch["out_act"]) if arch.get("out_act") else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.view(-1, 1, 8, 8)
        x = self.pool(self.act2(self.conv2(self.act1(self.conv1(x)))))
        x = self.drop(self.act3(self.fc(x.flatten(1))))
        x = self.out(x)
        return self.out_act(x) if self.out_act is not None else x


class SmallRNN(nn.Module):
    """An Elman RNN over a sequence and a linear head on the last hidden state."""

    def __init__(self, n_in: int, n_out: int, arch: dict[str, Any]) -> None:
        super().__init__()
        self.seq_len = int(arch.get("seq_len", 0))
        self.rnn = nn.RNN(
            n_in if not self.seq_len else n_in // self.seq_len,
            int(arch.get("hidden_size", 64)),
            num_layers=int(arch.get("num_layers", 1)),
            nonlinearity=arch.get("act", "tanh"),
            batch_first=True,
        )
        self.drop = nn.Dropout(float(arch.get("dropout", 0.0)))
        self.out = nn.Linear(int(arch.get("hidden_size", 64)), n_out)
        self.out_act = activation(arch["out_act"]) if arch.get("out_act") else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.seq_len:  # flat digits (N, 64) read as 8 rows of 8 pixels
            x = x.view(x.shape[0], self.seq_len, -1)
        h, _ = self.rnn(x)
        y = self.out(self.drop(h[:, -1]))
        return self.out_act(y) if self.out_act is not None else y


def build(kind: str, n_in: int, n_out: int, arch: dict[str, Any]) -> nn.Module:
    """Build a model of ``kind`` (``mlp``, ``cnn``, ``rnn``) and apply its init settings."""
    if kind == "mlp":
        model = mlp(n_in, n_out, arch)
    elif kind == "cnn":
        model = SmallCNN(n_out, arch)
    elif kind == "rnn":
        model = SmallRNN(n_in, n_out, arch)
    else:
        raise ValueError(f"unknown model kind {kind!r}")
    init_weights(model, arch)
    return model


def init_weights(model: nn.Module, arch: dict[str, Any]) -> None:
    """Apply an init scheme: ``default`` (torch's), ``he``, ``xavier``, ``zeros``,
    ``constant:<v>``, ``normal:<std>``; plus ``bias_init`` on hidden layers and
    ``recurrent_scale`` (orthogonal recurrent weights times a gain) for RNNs.
    """
    scheme = str(arch.get("init", "default"))
    bias_init = arch.get("bias_init")
    weighted = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    with torch.no_grad():
        for i, m in enumerate(weighted):
            is_out = i == len(weighted) - 1
            if scheme == "he":
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif scheme == "xavier":
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
            elif scheme == "zeros":
                nn.init.zeros_(m.weight)
                nn.init.zeros_(m.bias)
            elif scheme.startswith("constant:"):
                nn.init.constant_(m.weight, float(scheme.split(":")[1]))
                nn.init.zeros_(m.bias)
            elif scheme.startswith("normal:"):
                nn.init.normal_(m.weight, std=float(scheme.split(":")[1]))
                nn.init.zeros_(m.bias)
            if bias_init is not None and not is_out:
                nn.init.constant_(m.bias, float(bias_init))
        for m in model.modules():
            if isinstance(m, nn.RNN):
                for name, p in m.named_parameters():
                    if scheme == "zeros":
                        nn.init.zeros_(p)
                    elif name.startswith("weight_hh") and "recurrent_scale" in arch:
                        nn.init.orthogonal_(p, gain=float(arch["recurrent_scale"]))
                    elif name.startswith("weight_ih") and "input_scale" in arch:
                        bound = float(arch["input_scale"]) / math.sqrt(p.shape[1])
                        nn.init.uniform_(p, -bound, bound)
