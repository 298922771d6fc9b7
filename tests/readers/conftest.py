"""Fixtures for reader tests: the shared real-world logs, skipped cleanly where absent."""

from __future__ import annotations

from pathlib import Path

import pytest

REALWORLD = Path(__file__).resolve().parents[2].parent / "shared" / "realworld"


@pytest.fixture
def realworld() -> Path:
    """The shared real-world logs, or skip when this checkout has none beside it."""
    if not REALWORLD.is_dir():
        pytest.skip("shared/realworld is not beside this checkout")
    return REALWORLD
