"""Shared fixtures: write small real-format logs and run the CLI in a subprocess or in-process."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REALWORLD = SHARED / "realworld"


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m nn_doctor`` like a user would; stdout and stderr kept apart."""
    full_env = {**os.environ, "NO_COLOR": "1", **(env or {})}
    full_env.pop("GITHUB_ACTIONS", None)
    if env and "GITHUB_ACTIONS" in env:
        full_env["GITHUB_ACTIONS"] = env["GITHUB_ACTIONS"]
    return subprocess.run(
        [sys.executable, "-m", "nn_doctor", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=120,
    )


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write a wide CSV (``step`` + one column per metric); None is a blank cell."""

    def _write(
        columns: dict[str, list[float | None]],
        name: str = "run.csv",
        steps: list[int] | None = None,
    ) -> Path:
        n = max(len(v) for v in columns.values())
        steps = steps or list(range(n))
        path = tmp_path / name
        lines = ["step," + ",".join(columns)]
        for i in range(n):
            cells = []
            for values in columns.values():
                v = values[i] if i < len(values) else None
                cells.append(
                    ""
                    if v is None
                    else ("nan" if isinstance(v, float) and math.isnan(v) else repr(v))
                )
            lines.append(f"{steps[i]}," + ",".join(cells))
        path.write_text("\n".join(lines) + "\n")
        return path

    return _write


def diverging_loss(n: int = 200) -> list[float]:
    """A loss that falls, then climbs far above its start (shape only; tests the engine's logic)."""
    return [
        2.3 * math.exp(-i / 30) + 0.1 if i < n // 2 else 0.15 * math.exp((i - n // 2) / 20)
        for i in range(n)
    ]


def healthy_loss(n: int = 200) -> list[float]:
    """A loss that decays smoothly to a floor."""
    return [2.3 * math.exp(-i / 40) + 0.05 for i in range(n)]
