"""One summary row per run, and the order the audit table uses.

A run's *top cause* is its most severe finding, the highest score among equals: the table is
sorted by severity then score, so the row must show the finding that put it where it is (the
diagnosis itself ranks by score, which can put a strong ``warning`` above a weak ``error``).
Runs that could not be diagnosed sort after the runs with findings and before healthy ones: they
are not a finding, but "could not check" must not hide among the runs that were fine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

STATUS_ORDER = {"error": 0, "warning": 1, "info": 2, "broken": 3, "ok": 4}
COLUMNS = (
    "status",
    "run",
    "format",
    "steps",
    "top_cause",
    "severity",
    "score",
    "onset",
    "causes",
    "inconclusive",
    "error",
    "path",
)


@dataclass(frozen=True)
class Row:
    """What the audit table and the CSV/Markdown/HTML outputs show for one run."""

    status: str  # error | warning | info (severity of the top cause) | broken | ok
    run: str
    format: str | None
    steps: int
    top_cause: str | None
    severity: str | None
    score: float | None
    onset: int | None
    causes: tuple[str, ...]
    inconclusive: tuple[str, ...]
    error: str | None
    path: str
    cached: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The row with list-valued cells joined (for CSV and tables)."""
        return {
            "status": self.status,
            "run": self.run,
            "format": self.format or "",
            "steps": self.steps,
            "top_cause": self.top_cause or "",
            "severity": self.severity or "",
            "score": "" if self.score is None else round(self.score, 3),
            "onset": "" if self.onset is None else self.onset,
            "causes": " ".join(self.causes),
            "inconclusive": " ".join(self.inconclusive),
            "error": self.error or "",
            "path": self.path,
        }


def top_finding(run: dict[str, Any]) -> dict[str, Any] | None:
    """The most severe finding, then the highest score, then the id (deterministic)."""
    findings = run.get("findings") or []
    if not findings:
        return None
    best: dict[str, Any] = min(
        findings, key=lambda f: (STATUS_ORDER.get(f["severity"], 9), -f["score"], f["id"])
    )
    return best


def to_row(run: dict[str, Any], *, cached: bool = False) -> Row:
    """Summarize one run entry of the JSON document."""
    top = top_finding(run)
    error = run.get("error")
    status = top["severity"] if top else ("broken" if error else "ok")
    return Row(
        status=status,
        run=str(run["run"]),
        format=run.get("format"),
        steps=int((run.get("steps") or {}).get("count") or 0),
        top_cause=top["id"] if top else None,
        severity=top["severity"] if top else None,
        score=float(top["score"]) if top else None,
        onset=top.get("onset_step") if top else None,
        causes=tuple(f["id"] for f in run.get("findings") or []),
        inconclusive=tuple(i["id"] for i in run.get("inconclusive") or []),
        error=error["message"] if error else None,
        path=str(run["path"]),
        cached=cached,
    )


def _natural(name: str) -> tuple[tuple[int, int | str], ...]:
    """``file.csv#2`` before ``file.csv#10``, ``version_9`` before ``version_10``."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in _DIGITS.split(name) if p)


_DIGITS = re.compile(r"(\d+)")


def sort_key(row: Row) -> tuple[int, float, tuple[tuple[int, int | str], ...]]:
    """Severity, then score (descending), then the run's name in natural order."""
    return (STATUS_ORDER.get(row.status, 9), -(row.score or 0.0), _natural(row.run))
