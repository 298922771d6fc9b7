"""Robustness suite: fuzzed and malformed inputs for every reader and the CLI.

Every event file read here also goes through the TensorBoard fast-path agreement check, every
frame built from a CSV reader's columns through the long-records agreement check, and
the number of generated inputs each property test tried is printed at the end of the session.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.readers import columns_agreement
from tests.readers.tb_agreement import install
from tests.robustness.fuzz import TRIED


@pytest.fixture(autouse=True)
def _tensorboard_fast_path_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch)


@pytest.fixture(autouse=True)
def _columns_agree_with_long_records(monkeypatch: pytest.MonkeyPatch) -> None:
    columns_agreement.install(monkeypatch)


@pytest.fixture(autouse=True)
def _cache_outside(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """``audit``'s cache in a temporary folder, never in the user's home or the inputs."""
    cache = tmp_path_factory.mktemp("nn-doctor-cache")
    monkeypatch.setenv("NN_DOCTOR_CACHE_DIR", str(cache))
    return cache


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TRIED:
        total = sum(n for name, n in TRIED.items() if "taken" not in name)  # "taken": subsets
        terminalreporter.write_sep("-", f"robustness: {total} generated inputs tried")
        for name, n in sorted(TRIED.items()):
            terminalreporter.write_line(f"  {n:6d}  {name}")
