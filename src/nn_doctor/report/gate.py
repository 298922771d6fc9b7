"""The CI gate: which findings make ``diagnose``/``audit`` exit 1."""

from __future__ import annotations

from typing import Any

_LEVEL = {"error": 0, "warning": 1, "info": 2}


def gate(
    runs: list[dict[str, Any]],
    fail_on: str,
    fail_on_ids: list[str] | None = None,
    maturity: dict[str, str] | None = None,
) -> list[tuple[str, str]]:
    """(run, cause id) pairs at or above ``fail_on`` (or named by ``--fail-on-id``).

    Preview rules never gate (ruff's preview); ``never`` gates nothing but explicit ids.
    """
    limit = _LEVEL.get(fail_on, -1)
    ids = set(fail_on_ids or [])
    out = []
    for run in runs:
        for f in run.get("findings", []):
            if (maturity or {}).get(f["id"], "stable") == "preview" and f["id"] not in ids:
                continue
            if f["id"] in ids or _LEVEL.get(f["severity"], 9) <= limit:
                out.append((run["run"], f["id"]))
    return out
