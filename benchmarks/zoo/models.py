"""Small torch models for the zoo: MLPs of any depth and width, a small CNN, a small RNN; and,
for the "fresh" families, a residual MLP, a 1-D CNN, a GRU/LSTM and a tiny transformer encoder;
for the "study" families, an MLP with BatchNorm, a 2-D CNN with BatchNorm and max-pooling, and
torchtext's bag-of-embeddings text classifier.

Each model is built from a plain dict of architecture settings so that a scenario can inject a
fault by changing one setting (an activation, an init, a depth). Layer names differ between
styles (``fc1``/``act1`` versus ``layers.0``/``layers.1``) because real models differ, and the
recorder names layers by module path.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

_ACTS: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    # over the last axis: the bug of a softmax before CrossEntropyLoss (which applies its own)
    "softmax": lambda: nn.Softmax(dim=-1),
}


def activation(name: str) -> nn.Module:
    """An activation module by name."""
    return _ACTS[name]()


def mlp(n_in: int, n_out: int, arch: dict[str, Any]) -> nn.Module:
    """A multi-layer perceptron; ``arch`` keys: hidden, act, out_act, dropout, names, norm
    (``"batch"``: a BatchNorm1d between each hidden Linear and its activation)."""
    hidden: list[int] = list(arch.get("hidden", [64, 64]))
    act = arch.get("act", "relu")
    dropout = float(arch.get("dropout", 0.0))
    out_act = arch.get("out_act")
    batch_norm = arch.get("norm") == "batch"
    items: list[tuple[str, nn.Module]] = []
    width = n_in
    for i, h in enumerate(hidden, start=1):
        items.append((f"fc{i}", nn.Linear(width, h)))
        if batch_norm:
            items.append((f"bn{i}", nn.BatchNorm1d(h)))
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


# -- models of the "fresh" families -------------------------------------------------------------


class ResBlock(nn.Module):
    """Pre-norm residual block: ``x + fc2(act(fc1(norm(x))))`` (norm optional)."""

    def __init__(self, width: int, arch: dict[str, Any]) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width) if arch.get("norm", True) else nn.Identity()
        self.fc1 = nn.Linear(width, width)
        self.act = activation(arch.get("act", "relu"))
        self.drop = nn.Dropout(float(arch.get("dropout", 0.0)))
        self.fc2 = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fc2(self.drop(self.act(self.fc1(self.norm(x)))))


class ResMLP(nn.Module):
    """Input projection, ``len(hidden)`` residual blocks of width ``hidden[0]``, a linear head."""

    residual = True

    def __init__(self, n_in: int, n_out: int, arch: dict[str, Any]) -> None:
        super().__init__()
        hidden: list[int] = list(arch.get("hidden", [64, 64]))
        width = int(hidden[0])
        self.inp = nn.Linear(n_in, width)
        self.inp_act = activation(arch.get("act", "relu"))
        self.blocks = nn.Sequential(*(ResBlock(width, arch) for _ in hidden))
        self.head_norm = nn.LayerNorm(width) if arch.get("norm", True) else nn.Identity()
        self.out = nn.Linear(width, n_out)
        self.out_act = activation(arch["out_act"]) if arch.get("out_act") else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.out(self.head_norm(self.blocks(self.inp_act(self.inp(x)))))
        return self.out_act(y) if self.out_act is not None else y


class CNN1d(nn.Module):
    """Conv1d stack on (N, T, C) sequences, global average pooling, a dense layer and a head."""

    def __init__(self, n_in: int, n_out: int, arch: dict[str, Any]) -> None:
        super().__init__()
        act = arch.get("act", "relu")
        chans = [n_in, *[int(c) for c in arch.get("channels", (16, 32))]]
        k = int(arch.get("kernel", 5))
        layers: list[tuple[str, nn.Module]] = []
        for i in range(1, len(chans)):
            layers.append((f"conv{i}", nn.Conv1d(chans[i - 1], chans[i], k, padding=k // 2)))
            layers.append((f"act{i}", activation(act)))
            if i < len(chans) - 1:
                layers.append((f"pool{i}", nn.MaxPool1d(2)))
        self.features = nn.Sequential(OrderedDict(layers))
        fc = int(arch.get("fc", 32))
        self.fc = nn.Linear(chans[-1], fc)
        self.fc_act = activation(act)
        self.drop = nn.Dropout(float(arch.get("dropout", 0.0)))
        self.out = nn.Linear(fc, n_out)
        self.out_act = activation(arch["out_act"]) if arch.get("out_act") else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x.transpose(1, 2)).mean(dim=2)
        y = self.out(self.drop(self.fc_act(self.fc(h))))
        return self.out_act(y) if self.out_act is not None else y


class GatedRNN(nn.Module):
    """A GRU or LSTM over (N, T, F) sequences; a linear head on the last hidden state."""

    def __init__(self, n_in: int, n_out: int, arch: dict[str, Any]) -> None:
        super().__init__()
        cell = nn.LSTM if arch.get("cell", "gru") == "lstm" else nn.GRU
        size = int(arch.get("hidden_size", 32))
        self.rnn = cell(n_in, size, num_layers=int(arch.get("num_layers", 1)), batch_first=True)
        self.drop = nn.Dropout(float(arch.get("dropout", 0.0)))
        self.out = nn.Linear(size, n_out)
        self.out_act = activation(arch["out_act"]) if arch.get("out_act") else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(x)
        y = self.out(self.drop(h[:, -1]))
        return self.out_act(y) if self.out_act is not None else y


def encoder_stack(
    d: int, arch: dict[str, Any], *, ff: int, act: str, norm_first: bool, layers: int
) -> nn.TransformerEncoder:
    """``nn.TransformerEncoder`` layers of width ``d`` from ``arch`` (``nhead``, ``ff``,
    ``dropout``, ``act``, ``norm_first``, ``num_layers``); the keyword arguments are a model's
    defaults (``ff`` as a multiple of ``d``)."""
    layer = nn.TransformerEncoderLayer(
        d,
        int(arch.get("nhead", 4)),
        dim_feedforward=int(arch.get("ff", ff * d)),
        dropout=float(arch.get("dropout", 0.0)),
        activation=activation(arch.get("act", act)),
        batch_first=True,
        norm_first=bool(arch.get("norm_first", norm_first)),
    )
    return nn.TransformerEncoder(
        layer, int(arch.get("num_layers", layers)), enable_nested_tensor=False
    )


class TinyTransformer(nn.Module):
    """Token projection + learned positions, a 1–2 layer ``nn.TransformerEncoder``, mean pooling
    and a linear head. Inputs are (N, T, V) one-hot tokens (a linear projection of a one-hot is
    an embedding lookup)."""

    def __init__(self, n_in: int, n_out: int, arch: dict[str, Any]) -> None:
        super().__init__()
        d = int(arch.get("d_model", 32))
        self.embed = nn.Linear(n_in, d)
        self.pos = nn.Embedding(int(arch.get("max_len", 64)), d)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.encoder = encoder_stack(d, arch, ff=2, act="relu", norm_first=False, layers=1)
        self.out = nn.Linear(d, n_out)
        self.out_act = activation(arch["out_act"]) if arch.get("out_act") else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x) + self.pos.weight[: x.shape[1]]
        y = self.out(self.encoder(h).mean(dim=1))
        return self.out_act(y) if self.out_act is not None else y


# -- models of the "study" families ------------------------------------------------------------


class CNN2dBN(nn.Module):
    """Conv2d blocks (conv 3×3, BatchNorm2d, activation, max-pool 2) on square one-channel
    images stored as (N, H·W, 1), a hidden dense layer and a linear head. ``norm: False`` drops
    the BatchNorm layers (a plain stack)."""

    def __init__(self, n_in: int, n_out: int, arch: dict[str, Any]) -> None:
        super().__init__()
        act = arch.get("act", "relu")
        self.side = int(arch.get("side", 12))
        chans = [n_in, *[int(c) for c in arch.get("channels", (16, 32))]]
        n_pool = min(len(chans) - 1, int(arch.get("pools", 2)))
        layers: list[tuple[str, nn.Module]] = []
        side = self.side
        for i in range(1, len(chans)):
            layers.append((f"conv{i}", nn.Conv2d(chans[i - 1], chans[i], 3, padding=1)))
            if arch.get("norm", True):
                layers.append((f"bn{i}", nn.BatchNorm2d(chans[i])))
            layers.append((f"act{i}", activation(act)))
            if i <= n_pool:
                layers.append((f"pool{i}", nn.MaxPool2d(2)))
                side //= 2
        self.features = nn.Sequential(OrderedDict(layers))
        fc = int(arch.get("fc", 64))
        self.fc = nn.Linear(chans[-1] * side * side, fc)
        self.fc_act = activation(act)
        self.drop = nn.Dropout(float(arch.get("dropout", 0.0)))
        self.out = nn.Linear(fc, n_out)
        self.out_act = activation(arch["out_act"]) if arch.get("out_act") else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], self.side, self.side, -1).permute(0, 3, 1, 2)
        h = self.features(x).flatten(1)
        y = self.out(self.drop(self.fc_act(self.fc(h))))
        return self.out_act(y) if self.out_act is not None else y


class BagOfEmbeddings(nn.Module):
    """torchtext's text classifier: the mean of a document's token embeddings
    (``nn.EmbeddingBag``) and a linear head. Inputs are (N, T) token ids stored as floats; ids
    a shifted validation set pushes out of the vocabulary are clipped to its ends."""

    def __init__(self, n_in: int, n_out: int, arch: dict[str, Any]) -> None:
        super().__init__()
        self.vocab = int(arch.get("vocab", 300))
        self.embedding = nn.EmbeddingBag(self.vocab, int(arch.get("embed_dim", 32)), mode="mean")
        nn.init.uniform_(self.embedding.weight, -0.5, 0.5)  # the tutorial's init_weights
        self.drop = nn.Dropout(float(arch.get("dropout", 0.0)))
        self.fc = nn.Linear(int(arch.get("embed_dim", 32)), n_out)
        self.out_act = activation(arch["out_act"]) if arch.get("out_act") else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ids = (x.round() if x.is_floating_point() else x).clamp(0, self.vocab - 1).long()
        y = self.fc(self.drop(self.embedding(ids)))
        return self.out_act(y) if self.out_act is not None else y


class BasicBlock(nn.Module):
    """ResNet's basic block: two 3×3 convs (each with BatchNorm unless ``norm`` is off) and a
    shortcut (a strided 1×1 conv where the shape changes), summed before the last activation."""

    def __init__(self, c_in: int, c_out: int, stride: int, act: str, norm: bool) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=not norm)
        self.bn1 = nn.BatchNorm2d(c_out) if norm else nn.Identity()
        self.act1 = activation(act)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=not norm)
        self.bn2 = nn.BatchNorm2d(c_out) if norm else nn.Identity()
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=not norm),
                nn.BatchNorm2d(c_out) if norm else nn.Identity(),
            )
        self.act2 = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(self.act1(self.bn1(self.conv1(x)))))
        return self.act2(out + self.shortcut(x))


class SmallResNet(nn.Module):
    """A CIFAR-style ResNet, small: a conv stem, one basic block per stage (the later stages
    stride 2), global average pooling and a linear head, on square images stored as
    (N, H·W, C). ``norm: False`` drops every BatchNorm (and gives the convs biases)."""

    residual = True

    def __init__(self, n_in: int, n_out: int, arch: dict[str, Any]) -> None:
        super().__init__()
        act, norm = arch.get("act", "relu"), bool(arch.get("norm", True))
        self.side = int(arch.get("side", 12))
        chans = [int(c) for c in arch.get("channels", (16, 32))]
        self.stem = nn.Conv2d(n_in, chans[0], 3, 1, 1, bias=not norm)
        self.stem_bn = nn.BatchNorm2d(chans[0]) if norm else nn.Identity()
        self.stem_act = activation(act)
        blocks, width = [], chans[0]
        for i, c in enumerate(chans):
            for j in range(int(arch.get("blocks", 1))):
                stride = 2 if i > 0 and j == 0 else 1
                blocks.append(BasicBlock(width, c, stride, act, norm))
                width = c
        self.blocks = nn.Sequential(*blocks)
        self.drop = nn.Dropout(float(arch.get("dropout", 0.0)))
        self.fc = nn.Linear(width, n_out)
        self.out_act = activation(arch["out_act"]) if arch.get("out_act") else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], self.side, self.side, -1).permute(0, 3, 1, 2)
        h = self.blocks(self.stem_act(self.stem_bn(self.stem(x))))
        y = self.fc(self.drop(h.mean(dim=(2, 3))))
        return self.out_act(y) if self.out_act is not None else y


class CharGPT(nn.Module):
    """nanoGPT, small: character and position embeddings, pre-norm causal self-attention blocks
    (GELU MLP 4x wide, dropout), a final LayerNorm and a head on the last position. Inputs are
    (N, T) character ids; the head predicts the next character (``n_out`` = vocabulary)."""

    def __init__(self, n_in: int, n_out: int, arch: dict[str, Any]) -> None:
        super().__init__()
        d = int(arch.get("d_model", 48))
        self.wte = nn.Embedding(n_out, d)
        self.wpe = nn.Embedding(n_in, d)
        self.blocks = encoder_stack(d, arch, ff=4, act="gelu", norm_first=True, layers=2)
        self.ln_f = nn.LayerNorm(d) if arch.get("norm", True) else nn.Identity()
        self.head = nn.Linear(d, n_out)
        self.out_act = activation(arch["out_act"]) if arch.get("out_act") else None
        for emb in (self.wte, self.wpe):  # nanoGPT's init; init_weights may override it
            nn.init.normal_(emb.weight, std=0.02)
            emb.zoo_init = True  # type: ignore[attr-defined]
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(n_in))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ids = x.long().clamp(0, self.wte.num_embeddings - 1)
        t = ids.shape[1]
        h = self.wte(ids) + self.wpe.weight[:t]
        h = self.blocks(h, mask=self.mask[:t, :t], is_causal=True)
        y = self.head(self.ln_f(h[:, -1]))
        return self.out_act(y) if self.out_act is not None else y


def build(kind: str, n_in: int, n_out: int, arch: dict[str, Any]) -> nn.Module:
    """Build a model of ``kind`` (``mlp``, ``cnn``, ``rnn``; fresh: ``resmlp``, ``cnn1d``,
    ``gru``, ``transformer``; study: ``lstm``, ``cnn2d_bn``, ``embbag``, ``resnet``, ``gpt``) and apply its init
    settings."""
    if kind == "mlp":
        model = mlp(n_in, n_out, arch)
    elif kind == "cnn":
        model = SmallCNN(n_out, arch)
    elif kind == "rnn":
        model = SmallRNN(n_in, n_out, arch)
    elif kind == "resmlp":
        model = ResMLP(n_in, n_out, arch)
    elif kind == "cnn1d":
        model = CNN1d(n_in, n_out, arch)
    elif kind == "gru":
        model = GatedRNN(n_in, n_out, arch)
    elif kind == "transformer":
        model = TinyTransformer(n_in, n_out, arch)
    elif kind == "lstm":
        model = GatedRNN(n_in, n_out, {**arch, "cell": "lstm"})
    elif kind == "cnn2d_bn":
        model = CNN2dBN(n_in, n_out, arch)
    elif kind == "embbag":
        model = BagOfEmbeddings(n_in, n_out, arch)
    elif kind == "resnet":
        model = SmallResNet(n_in, n_out, arch)
    elif kind == "gpt":
        model = CharGPT(n_in, n_out, arch)
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
    weighted = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d, nn.Conv1d))]
    with torch.no_grad():
        for i, m in enumerate(weighted):
            is_out = i == len(weighted) - 1
            if scheme == "he":
                nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            elif scheme == "xavier":
                nn.init.xavier_uniform_(m.weight)
            elif scheme == "zeros":
                nn.init.zeros_(m.weight)
            elif scheme.startswith("constant:"):
                nn.init.constant_(m.weight, float(scheme.split(":")[1]))
            elif scheme.startswith("normal:"):
                nn.init.normal_(m.weight, std=float(scheme.split(":")[1]))
            if m.bias is None:  # a conv followed by BatchNorm has no bias of its own
                continue
            if scheme != "default":
                nn.init.zeros_(m.bias)
            if bias_init is not None and not is_out:
                nn.init.constant_(m.bias, float(bias_init))
        for m in model.modules():
            # an EmbeddingBag, or an embedding a model marks (older models' position tables
            # keep their own init, so their runs stay what they were)
            embedding = isinstance(m, nn.EmbeddingBag) or getattr(m, "zoo_init", False)
            if embedding and scheme == "zeros":
                nn.init.zeros_(m.weight)
            elif embedding and scheme.startswith("constant:"):
                nn.init.constant_(m.weight, float(scheme.split(":")[1]))
            elif embedding and scheme.startswith("normal:"):
                nn.init.normal_(m.weight, std=float(scheme.split(":")[1]))
            if isinstance(m, nn.RNN):
                for name, p in m.named_parameters():
                    if scheme == "zeros":
                        nn.init.zeros_(p)
                    elif name.startswith("weight_hh") and "recurrent_scale" in arch:
                        nn.init.orthogonal_(p, gain=float(arch["recurrent_scale"]))
                    elif name.startswith("weight_ih") and "input_scale" in arch:
                        bound = float(arch["input_scale"]) / math.sqrt(p.shape[1])
                        nn.init.uniform_(p, -bound, bound)
            elif isinstance(m, (nn.GRU, nn.LSTM, nn.MultiheadAttention)):
                # Gated cells and attention projections (fresh families): the same schemes.
                for name, p in m.named_parameters(recurse=False):
                    if scheme == "zeros" or (name.startswith("bias") and scheme != "default"):
                        nn.init.zeros_(p)
                    elif scheme.startswith("constant:"):
                        nn.init.constant_(p, float(scheme.split(":")[1]))
                    elif scheme.startswith("normal:"):
                        nn.init.normal_(p, std=float(scheme.split(":")[1]))
                    elif name.startswith("weight_hh") and "recurrent_scale" in arch:
                        for chunk in p.split(p.shape[1]):
                            nn.init.orthogonal_(chunk, gain=float(arch["recurrent_scale"]))
