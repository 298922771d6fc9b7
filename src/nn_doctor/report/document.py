"""The JSON document shared by ``diagnose`` and ``audit`` (DECISIONS.md §7), and its schema."""

from __future__ import annotations

import json
import math
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
    """Plain JSON values: numpy scalars as Python ones, a non-finite float as ``"inf"``/``"nan"``.

    Evidence from a run that blew up carries the values it blew up to; strict JSON has no
    spelling for them, and the schema allows a string wherever a measured value goes (the
    ``nonfinite`` check already reports ``"nan"`` that way). Shared by the JSON document, the
    audit rows and watch's alert records.
    """
    if hasattr(obj, "item") and not isinstance(obj, (list, dict, str, bytes)):
        obj = obj.item()  # numpy scalar
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return str(obj)


def to_json(diagnoses: list[Diagnosis], errors: list[dict[str, Any]] | None = None) -> str:
    """Serialize diagnoses (and unreadable paths) as the JSON document."""
    runs = [d.to_dict() for d in diagnoses] + list(errors or [])
    return json.dumps(document(runs), indent=2, ensure_ascii=False, allow_nan=False)


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
