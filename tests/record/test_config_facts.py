"""config_facts reads canonical config keys off torch objects, and only what they can vouch for."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from nn_doctor.record.torch import config_facts  # noqa: E402


def test_mlp_classifier_facts() -> None:
    model = nn.Sequential(
        nn.Linear(10, 32),
        nn.Tanh(),
        nn.Dropout(0.3),
        nn.Linear(32, 16),
        nn.Tanh(),
        nn.Linear(16, 4),
    )
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    facts = config_facts(model, opt, loss_fn=nn.CrossEntropyLoss(), batch_size=64, init=None)
    assert facts["depth"] == 2
    assert facts["hidden_units"] == [32, 16]
    assert facts["hidden_activation"] == "tanh"
    assert facts["output_activation"] == "none"
    assert facts["dropout"] == pytest.approx(0.3)
    assert facts["norm_layers"] is False
    assert facts["optimizer"] == "sgd"
    assert facts["lr"] == pytest.approx(0.05)
    assert facts["momentum"] == pytest.approx(0.9)
    assert facts["weight_decay"] == pytest.approx(1e-4)
    assert facts["task"] == "classification"
    assert facts["loss"] == "cross_entropy"
    assert facts["n_classes"] == 4
    assert facts["n_inputs"] == 10
    assert facts["batch_size"] == 64
    assert "init" not in facts  # None means unknown, and unknown is not written
    assert "label_smoothing" not in facts  # plain cross-entropy smooths nothing


def test_label_smoothing_is_a_fact() -> None:
    """Smoothed targets keep the training loss above validation by design: label_noise reads
    the fact as counter-evidence, so the recorder must say so."""
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    facts = config_facts(model, loss_fn=nn.CrossEntropyLoss(label_smoothing=0.1))
    assert facts["label_smoothing"] == pytest.approx(0.1)
    assert facts["loss"] == "cross_entropy"


def test_regression_with_output_activation_and_adam() -> None:
    model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1), nn.ReLU())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    facts = config_facts(model, opt, loss_fn=nn.MSELoss(), grad_clip=1.0, init="he")
    assert facts["output_activation"] == "relu"
    assert facts["hidden_units"] == 8
    assert facts["norm_layers"] is True
    assert facts["task"] == "regression"
    assert "n_classes" not in facts
    assert "momentum" not in facts  # Adam's beta1 is not reported as momentum
    assert facts["optimizer"] == "adam"
    assert facts["grad_clip"] == 1.0
    assert facts["init"] == "he"


def test_stacked_rnn_counts_each_layer() -> None:
    class Seq(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.RNN(5, 20, num_layers=2, nonlinearity="relu", dropout=0.1)
            self.out = nn.Linear(20, 2)

    facts = config_facts(Seq(), task="classification")
    assert facts["depth"] == 2
    assert facts["hidden_units"] == 20
    assert facts["hidden_activation"] == "relu"
    assert facts["dropout"] == pytest.approx(0.1)
    assert facts["n_inputs"] == 5
    assert facts["n_classes"] == 2
