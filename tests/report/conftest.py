"""A real diverged run for the report tests: a CSV through the readers and the engine."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import diverging_loss


def diverged_columns(n: int = 300, nan_from: int | None = 280) -> dict[str, list[float | None]]:
    """Loss falls then climbs far above its start and turns NaN; grad norm surges; lr jumps."""
    loss: list[float | None] = list(diverging_loss(n))
    if nan_from is not None:
        loss[nan_from:] = [math.nan] * (n - nan_from)
    return {
        "loss": loss,
        "val_loss": [v * 1.1 if i % 10 == 0 and v == v else None for i, v in enumerate(loss)],  # type: ignore[operator]
        "grad_norm": [1.0 + (0.0 if i < 170 else math.exp((i - 170) / 15)) for i in range(n)],
        "lr": [0.001 if i < 50 else 0.01 for i in range(n)],
    }


@pytest.fixture
def diverged_csv(write_csv: Callable[..., Path]) -> Path:
    """A diverged run as a CSV file."""
    return write_csv(diverged_columns(), name="diverged.csv")


@pytest.fixture
def diverged(diverged_csv: Path):  # type: ignore[no-untyped-def]
    """The run's Diagnosis (one run, lr_too_high among the findings)."""
    from nn_doctor.api import diagnose

    (d,) = diagnose(diverged_csv)
    assert d.findings, "the fixture run must produce a finding"
    return d
