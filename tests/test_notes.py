"""Run notes (DECISIONS §6): observations that are not causes, and never contradict a finding."""

from __future__ import annotations

import numpy as np
from tests.checks.conftest import make_frame

from nn_doctor.engine.diagnosis import diagnose_frame

EVALS = list(range(9, 300, 10))  # 30 evaluations over 300 steps


def _run(val_acc: list[float]):
    train = [2.3 * 0.97**i for i in range(300)]  # memorizes: falls to ~0
    val = [2.3 * 0.8**i + 0.5 for i in range(10)] + [0.5 + 0.02 * i for i in range(20)]
    return diagnose_frame(
        make_frame(
            {
                "train_loss": train,
                "val_loss": (EVALS, val),
                "val_acc": (EVALS, val_acc),
            }
        )
    )


def test_a_metric_still_improving_is_a_note_not_overfitting() -> None:
    improving = list(np.linspace(0.3, 0.95, 30))
    diag = _run(improving)
    assert "overfitting" not in {f.id for f in diag.findings}
    assert any("not read as overfitting" in n for n in diag.notes)


def test_no_note_contradicts_an_overfitting_finding() -> None:
    # accuracy reached its level with the loss minimum and stayed there: the end is "near its
    # best", but nothing improved after the minimum, so the run overfits and no note says otherwise
    stalled = [*np.linspace(0.3, 0.87, 10), *([0.87, 0.868] * 10)]
    diag = _run(stalled)
    assert "overfitting" in {f.id for f in diag.findings}
    assert not any("not read as overfitting" in n for n in diag.notes)
