"""Fixtures for the audit tests: the tree, a cache outside it, the CLI run in-process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.audit.helpers import build_tree


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """The audited tree (its parent also holds the cache folder, outside the tree)."""
    return build_tree(tmp_path / "tree")


@pytest.fixture(autouse=True)
def _cache_outside_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never write a developer's ~/.cache from a test; keep the stamp steady during a test.

    The cache stamp includes a hash of nn-doctor's own source files, so an edit to any module
    invalidates it: right in use, but in a shared checkout a colleague's edit between a test's
    two audits would turn a hit into a miss. The stamp's other parts are tested on their own.
    """
    folder = tmp_path / "cache"
    monkeypatch.setenv("NN_DOCTOR_CACHE_DIR", str(folder))
    monkeypatch.setattr("nn_doctor.audit.cache._package_hash", lambda: "fixed-for-tests")
    _fast_rules(monkeypatch)
    return folder


def _fast_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse the rule files once per arguments: YAML parsing dominated these tests' run time.

    Rules are frozen dataclasses, so sharing them between audits changes nothing they compute;
    rule loading itself is tested in tests/test_engine.py.
    """
    from nn_doctor.engine import load

    real = load.load_rules

    def load_rules(*args: Any, **kwargs: Any) -> Any:
        key = repr((args, sorted(kwargs.items())))
        if key not in _RULES:
            _RULES[key] = real(*args, **kwargs)
        return list(_RULES[key])

    monkeypatch.setattr(load, "load_rules", load_rules)


_RULES: dict[str, Any] = {}


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run the CLI in this process: (exit code, stdout, stderr)."""
    from nn_doctor.cli import main

    def _run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return _run
