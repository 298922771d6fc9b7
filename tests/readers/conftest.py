"""Fixtures for reader tests: write logs the way each tool writes them, read them back."""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path

import pytest

REALWORLD = Path(__file__).resolve().parents[2].parent / "shared" / "realworld"


def _ensure_registry_importable() -> None:
    """Stand in for a reader module another change has not landed yet (detection skips it).

    Discovery imports every registered reader; until ``tb_export`` exists, reader tests would
    fail for a reason unrelated to them. The stand-in claims nothing, so it changes no result.
    """
    name = "nn_doctor.readers.tb_export"
    try:
        importlib.import_module(name)
    except ModuleNotFoundError:
        stub = types.ModuleType(name)
        stub.NAME = "tb-export"  # type: ignore[attr-defined]
        stub.sniff = lambda path: False  # type: ignore[attr-defined]
        stub.folder_files = lambda folder, names: []  # type: ignore[attr-defined]
        stub.read = lambda path: []  # type: ignore[attr-defined]
        sys.modules[name] = stub


_ensure_registry_importable()


@pytest.fixture
def realworld() -> Path:
    """The shared real-world logs, or skip when this checkout has none beside it."""
    if not REALWORLD.is_dir():
        pytest.skip("shared/realworld is not beside this checkout")
    return REALWORLD
