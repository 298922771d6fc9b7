"""Model order of per-layer signals whose log sorted them alphabetically."""

from __future__ import annotations

import pytest

from nn_doctor.layer_order import embedding_table, model_order, output_side


@pytest.mark.parametrize(
    ("logged", "expected"),
    [
        # Keras CSVLogger / Lightning metrics.csv sort keys: the recurrent layer lands after "out"
        (["out", "rnn"], ["rnn", "out"]),
        # numbers compare as numbers (a 30-layer plain stack's layers.10 is not its second layer)
        (
            ["layers.0", "layers.10", "layers.2", "layers.4"],
            ["layers.0", "layers.2", "layers.4", "layers.10"],
        ),
        # Keras names its first Dense layer "dense", then dense_1, dense_2 ...
        (["dense", "dense_1", "dense_10", "dense_2"], ["dense", "dense_1", "dense_2", "dense_10"]),
        # torchvision-style feature extractor and head
        (
            ["classifier.1", "features.0", "features.3"],
            ["features.0", "features.3", "classifier.1"],
        ),
        (["decoder.0", "encoder.0"], ["encoder.0", "decoder.0"]),
        (["conv2d", "conv2d_1", "dense", "dense_1"], ["conv2d", "conv2d_1", "dense", "dense_1"]),
        (["head", "lm_head", "wte"], ["wte", "head", "lm_head"]),
    ],
)
def test_an_alphabetical_log_is_put_in_the_order_its_names_suggest(logged, expected) -> None:
    assert model_order([f"grad_norm/{n}" for n in logged], "grad_norm/") == [
        f"grad_norm/{n}" for n in expected
    ]


def test_an_order_that_is_not_alphabetical_is_the_logs_and_is_kept() -> None:
    # a recorder that wrote them as it met them: "rnn" before "out" (or anything else) stays
    assert model_order(["rnn", "out"]) == ["rnn", "out"]
    assert model_order(["fc2", "fc1"]) == ["fc2", "fc1"]
    assert model_order(["only"]) == ["only"]


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        ("out_act", True),
        ("out", True),
        ("head", True),
        ("model.classifier", True),
        ("module.fc_out", True),
        ("act1", False),
        ("layers.3", False),
        ("encoder.layer.0.output.dense", False),  # a transformer block's own "output" is hidden
        ("bert.pooler", False),
    ],
)
def test_output_side_names_the_networks_output_end(layer, expected) -> None:
    assert output_side(layer) is expected


@pytest.mark.parametrize(
    ("layer", "expected"),
    [
        ("wte", True),
        ("transformer.wpe", True),
        ("pos", True),
        ("position_embeddings", True),
        ("tok_emb", True),
        ("model.embed_tokens", True),
        ("bert.embeddings.word_embeddings", True),
        ("encoder.layer.0", False),
        ("member_fc", False),
        ("dense_1", False),
        # a transformer's position-wise feed-forward layer is a layer
        ("position_wise_ff", False),
    ],
)
def test_embedding_table_names_lookup_tables(layer, expected) -> None:
    assert embedding_table(layer) is expected
