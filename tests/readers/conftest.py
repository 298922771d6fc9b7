"""Fixtures for reader tests: the shared real-world logs, skipped cleanly where absent.

Every event file a reader test reads is also read by the TensorBoard fast path and the general
decoder, and all three reads must agree (:mod:`tests.readers.tb_agreement`); every frame built
from a CSV reader's columns is also built from its long records, and the two must be equal
(:mod:`tests.readers.columns_agreement`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.readers import columns_agreement
from tests.readers.tb_agreement import install

REALWORLD = Path(__file__).resolve().parents[2].parent / "shared" / "realworld"


@pytest.fixture
def realworld() -> Path:
    """The shared real-world logs, or skip when this checkout has none beside it."""
    if not REALWORLD.is_dir():
        pytest.skip("shared/realworld is not beside this checkout")
    return REALWORLD


@pytest.fixture(autouse=True)
def _tensorboard_fast_path_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check fast == general on every event file read during the test."""
    install(monkeypatch)


@pytest.fixture(autouse=True)
def _columns_agree_with_long_records(monkeypatch: pytest.MonkeyPatch) -> None:
    columns_agreement.install(monkeypatch)
