"""JSON records (one dict per log call) into numeric columns, keeping "absent" apart from NaN.

JSON-lines logs (W&B history, detectron2 metrics.json, generic metrics.jsonl) and HF's
``log_history`` are lists of dicts whose keys vary from row to row: a key missing from a row
is "not logged", a ``NaN``/``Infinity`` token is a logged non-finite value. Columns are built
with pandas from the whole list at once; presence is checked per cell only where a column holds
NaN *and* the text had a NaN token at all. Values logged as strings (W&B's ``" 0.163"``) are
parsed as numbers; words, booleans, lists and media dicts are not metrics.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nn_doctor.readers._common import MISSING_TOKENS, number
from nn_doctor.readers._csvcore import Column

_NAN_WORDS = ("NaN", "Infinity", "nan", "inf", "Inf", "NAN")


@dataclass
class Rows:
    """Parsed JSON lines plus what went wrong reading them."""

    rows: list[dict[str, Any]]
    warnings: list[str] = field(default_factory=list)
    nested: bool = True  # whether any value may be a dict (flatten needed)
    nan_text: bool = True  # whether the text holds a NaN/inf token at all


def parse_lines(text: str) -> Rows:
    """Parse JSON lines: all at once when every line is valid, else line by line.

    A bad last line is a crash mid-write (read up to it, with a warning); bad lines elsewhere
    are skipped and counted.
    """
    lines = [ln for ln in text.splitlines() if ln.strip()]
    warnings: list[str] = []
    try:
        parsed = json.loads("[" + ",".join(lines) + "]")
    except ValueError:
        parsed, bad = [], []
        for i, line in enumerate(lines):
            try:
                parsed.append(json.loads(line))
            except ValueError:
                bad.append(i)
        if bad and bad[-1] == len(lines) - 1:
            bad.pop()
            warnings.append(
                "the last line is not complete JSON (a crashed or still-running writer?): read "
                "up to the last complete record"
            )
        if bad:
            warnings.append(
                f"skipped {len(bad)} line(s) that are not valid JSON (first: line {bad[0] + 1})"
            )
    rows = [r for r in parsed if isinstance(r, dict)]
    if len(rows) < len(parsed):
        warnings.append(f"skipped {len(parsed) - len(rows)} line(s) that are not JSON objects")
    return Rows(
        rows,
        warnings,
        nested=text.count("{") > len(rows),
        nan_text=any(w in text for w in _NAN_WORDS),
    )


def flatten_row(row: dict[str, Any], media: set[str], prefix: str = "") -> dict[str, Any]:
    """Flatten nested dicts with ``/``; W&B media and histogram dicts (``_type``) are dropped."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        key = f"{prefix}/{k}" if prefix else str(k)
        if isinstance(v, dict):
            if "_type" in v:
                media.add(key)
            else:
                out.update(flatten_row(v, media, key))
        else:
            out[key] = v
    return out


def _object_column(
    name: str, cells: np.ndarray, rows: list[dict[str, Any]], nan_text: bool
) -> tuple[np.ndarray, np.ndarray, int, str]:
    """Values, logged mask, count and first example of cells that are not numbers."""
    vals = np.full(len(cells), np.nan)
    logged = np.zeros(len(cells), dtype=bool)
    n_bad, first_bad = 0, ""
    for i, cell in enumerate(cells):
        if isinstance(cell, float) and math.isnan(cell):
            # pandas fills absent keys (and null) with NaN: only a float NaN in the row is logged
            logged[i] = nan_text and isinstance(rows[i].get(name), float)
            continue
        if cell is None or (isinstance(cell, str) and cell.strip().lower() in MISSING_TOKENS):
            continue
        v = number(cell)
        if v is None:
            n_bad += 1
            first_bad = first_bad or str(cell)[:40]
        else:
            vals[i], logged[i] = v, True
    return vals, logged, n_bad, first_bad


def columns(
    rows: Rows,
    *,
    drop: Callable[[str], bool] = lambda _name: False,
) -> tuple[list[Column], list[str], list[str]]:
    """Numeric columns of the rows, in first-seen key order: (columns, warnings, ignored).

    ``drop`` names keys that are bookkeeping, not training signals (listed as ignored).
    """
    import pandas as pd

    media: set[str] = set()
    data = [flatten_row(r, media) for r in rows.rows] if rows.nested else rows.rows
    df = pd.DataFrame(data)
    cols: list[Column] = []
    warnings: list[str] = []
    ignored = [f"'{m}': media or histogram, not a scalar" for m in sorted(media)]
    dropped: list[str] = []
    for name in df.columns:
        key = str(name)
        if drop(key):
            dropped.append(key)
            continue
        s = df[name]
        if s.dtype.kind in "iuf":
            vals = s.to_numpy(dtype=np.float64)
            logged = ~np.isnan(vals)
            if rows.nan_text and not logged.all():
                for i in np.flatnonzero(~logged):
                    logged[i] = isinstance(data[i].get(key), float)  # NaN token, not absent/null
            cols.append(Column(key, vals, logged))
            continue
        if s.dtype.kind == "b":
            ignored.append(f"'{key}': true/false values, not a metric")
            continue
        vals, logged, n_bad, first_bad = _object_column(
            key, s.to_numpy(dtype=object), data, rows.nan_text
        )
        n_num = int(logged.sum())
        if n_num == 0 or n_bad > n_num:
            example = first_bad or "no value"
            ignored.append(f"'{key}': not numeric (e.g. {example!r})")
            continue
        if n_bad:
            warnings.append(
                f"'{key}': {n_bad} value(s) are not numbers (first {first_bad!r}); skipped"
            )
        cols.append(Column(key, vals, logged))
    if dropped:
        ignored.append("bookkeeping keys, not training signals: " + ", ".join(dropped))
    return cols, warnings, ignored


def suffix_match(suffixes: Sequence[str], names: Sequence[str] = ()) -> Callable[[str], bool]:
    """A ``drop`` predicate for exact ``names`` and names ending in one of ``suffixes``."""
    exact = set(names)
    return lambda key: key in exact or key.endswith(tuple(suffixes))
