"""Model order (input → output) of per-layer signals whose log lost it.

Rules that compare the first layers with the last (vanishing and exploding gradients, an
activation scale that drifts through the stack) read per-layer series in model order, which most
logs keep: the order in which a recorder first wrote them. Some writers sort their columns
instead: Keras' ``CSVLogger`` and Lightning's ``metrics.csv`` write keys alphabetically, where
``rnn`` comes after ``out`` and ``layers.10`` before ``layers.2``. A list that arrives exactly in
alphabetical order therefore says nothing about the model, and is put in the order its names
suggest: input-side names (``embed``, ``conv``, ``rnn``, ``features``) first, output-side
names (``out``, ``head``, ``classifier``, ``logits``) last, numbers compared as numbers
(``dense`` < ``dense_1`` < ``dense_2`` < ``dense_10``). Any other order is the log's and is kept.
"""

from __future__ import annotations

import re

# First name component (digits stripped) → where it sits in a network. Anything else is a
# middle layer (``fc``, ``dense``, ``layers``, ``blocks``, ``hidden``).
_INPUT_SIDE = frozenset({
    "input", "in", "inputs", "embed", "embeds", "embedding", "embeddings", "emb", "wte", "wpe",
    "tok", "stem", "encoder", "enc", "backbone", "features", "feature", "conv", "convs", "rnn",
    "lstm", "gru", "cell", "cells", "first",
})  # fmt: skip
_OUTPUT_SIDE = frozenset({
    "out", "output", "outputs", "head", "heads", "classifier", "cls", "logits", "logit", "final",
    "last", "pred", "preds", "predictor", "readout", "score", "lm_head", "fc_out",
})  # fmt: skip
_TABLES = frozenset({"wte", "wpe", "pos", "positional"})  # position_embeddings: by "emb"
_TOKEN = re.compile(r"\d+|[^\W\d_]+")


_NUMBERED = re.compile(r"\d+d?$")  # conv1 → conv, conv2d → conv, dense_1 handled by the split


def _rank(first: str) -> int:
    """0 for the input side, 2 for the output side, 1 for everything else."""
    for word in (first, first.split("_")[0]):  # lm_head and fc_out whole, dense_1 by its stem
        stem = _NUMBERED.sub("", word)
        if word in _OUTPUT_SIDE or stem in _OUTPUT_SIDE:
            return 2
        if word in _INPUT_SIDE or stem in _INPUT_SIDE:
            return 0
    return 1


def _key(layer: str) -> tuple[int, tuple[tuple[int, int | str], ...]]:
    low = layer.lower()
    parts = [p for p in re.split(r"[./:\-\s]+", low) if p]
    rank = _rank(parts[0] if parts else low)
    # numbers compare as numbers; a name with no number sorts before its numbered siblings
    # (Keras' ``dense`` is the first of ``dense_1``, ``dense_2``)
    natural = tuple((1, int(t)) if t.isdigit() else (0, t) for t in _TOKEN.findall(low))
    return rank, natural


_CONTAINERS = frozenset({"model", "module", "net", "network", "_orig_mod"})


def output_side(layer: str) -> bool:
    """Whether ``layer``'s name marks the network's output end (``out``, ``head``, ``logits``,
    ``out_act``, ``model.classifier`` …): where a per-layer statistic describes the output, not
    a hidden layer. Only the top-level name (past a ``model.``/``module.`` wrapper) counts: a
    transformer block's own ``output`` sub-module is hidden."""
    parts = [p for p in re.split(r"[./:\-\s]+", layer.lower()) if p]
    while len(parts) > 1 and parts[0] in _CONTAINERS:
        parts = parts[1:]
    return bool(parts) and _rank(parts[0]) == 2


def embedding_table(layer: str) -> bool:
    """Whether ``layer``'s name marks a lookup table (``wte``, ``tok_emb``, ``embed_tokens``,
    ``word_embeddings``, a learned position table ``pos``): its rows are looked up, not
    multiplied, so its size and init scale say nothing of a layer's width."""
    parts = [p for p in re.split(r"[^a-z0-9]+", layer.lower()) if p]
    return any(p.startswith("emb") or p in _TABLES for p in parts)


def model_order(names: list[str], prefix: str = "") -> list[str]:
    """``names`` (``grad_norm/fc1`` …, sharing ``prefix``) in model order; see the module doc."""
    layers = [n[len(prefix) :] for n in names]
    if len(layers) < 2 or layers != sorted(layers):
        return list(names)
    order = sorted(range(len(names)), key=lambda i: _key(layers[i]))
    return [names[i] for i in order]
