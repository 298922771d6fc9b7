"""The JSON document shared by ``diagnose`` and ``audit`` (DECISIONS.md §7), and its schema."""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING, Any

from nn_doctor import __version__
from nn_doctor.engine.diagnosis import SCHEMA_VERSION

if TYPE_CHECKING:
    from nn_doctor.engine.diagnosis import Diagnosis

RULES_VERSION = "1"


def error_run(path: str, message: str, hint: str | None) -> dict[str, Any]:
    """A run entry for a path that could not be read: listed, never silently skipped."""
    return {
        "path": path,
        "run": path,
        "format": None,
        "steps": {"first": None, "last": None, "count": 0, "cadence": None, "axis": None},
        "signals": [],
        "config": {},
        "reading": {"train": None, "val": None, "text": "not read"},
        "findings": [],
        "inconclusive": [],
        "notes": [],
        "warnings": [],
        "error": {"message": message, "hint": hint},
    }


def document(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The whole JSON document."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "nn-doctor", "version": __version__, "rules_version": RULES_VERSION},
        "runs": json_safe(runs),
    }


def json_safe(obj: Any) -> Any:
    """``obj`` with every non-finite float as the text ``"inf"``, ``"-inf"`` or ``"nan"``.

    Evidence from a run that blew up carries the values it blew up to; strict JSON has no
    spelling for them, and the schema allows a string wherever a measured value goes (the
    ``nonfinite`` check already reports ``"nan"`` that way).
    """
    if isinstance(obj, float):
        if obj != obj:
            return "nan"
        if obj in (float("inf"), float("-inf")):
            return "inf" if obj > 0 else "-inf"
        return obj
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if type(obj).__module__ == "numpy" and hasattr(obj, "item"):
        return json_safe(obj.item())
    return obj


def to_json(diagnoses: list[Diagnosis], errors: list[dict[str, Any]] | None = None) -> str:
    """Serialize diagnoses (and unreadable paths) as the JSON document."""
    runs = [d.to_dict() for d in diagnoses] + list(errors or [])
    return json.dumps(
        document(runs), indent=2, ensure_ascii=False, default=_default, allow_nan=False
    )


def _default(obj: Any) -> Any:
    try:
        import numpy as np

        if isinstance(obj, np.generic):
            return obj.item()
    except ImportError:  # pragma: no cover
        pass
    return str(obj)


def schema() -> dict[str, Any]:
    """The JSON Schema shipped in the package (``nn_doctor/schema/diagnosis.schema.json``)."""
    text = resources.files("nn_doctor").joinpath("schema/diagnosis.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]
