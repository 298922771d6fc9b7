"""Plain CSV/TSV tables: wide (a column per metric) or long (metric,step,value rows).

The generic fallback for CSV files no specific reader claimed. Wide tables use a
``step``/``global_step``/``iteration``/``iter`` column as the axis, else ``epoch``, else the row
number. Long ("tidy") tables have a name column (``metric``, ``tag``, ``name`` or ``key``), a
``value`` column and an axis column. Blank cells are "not logged"; ``nan``/``inf`` are values;
a stray word in a numeric column skips that cell only; text columns are listed as ignored.
A wide table with a run column holding several values is one run per value (see
:func:`._csvrun.csv_runs`).
"""

from __future__ import annotations

import re
from pathlib import Path

from nn_doctor.frame import RawRun
from nn_doctor.readers._common import (
    claimed_files,
    empty_warning,
    first_line,
    metricish,
    peek,
    raw_run,
    records,
)
from nn_doctor.readers._csvcore import Column, Table, header_fields
from nn_doctor.readers._csvlarge import read_file_tables
from nn_doctor.readers._csvrun import csv_runs
from nn_doctor.readers._wide import EPOCH_NAMES, STEP_NAMES, WALL_NAMES, wall_clock

NAME = "csv"

_SUFFIXES = {".csv", ".tsv"}
NAME_COLUMNS = ("metric", "tag", "name", "key", "series")
_NUMBERISH = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$|^\s*[-+]?(nan|inf)", re.I)


def _is_long(fields: list[str]) -> bool:
    low = {f.lower() for f in fields}
    return (
        "value" in low and bool(low & set(NAME_COLUMNS)) and bool(low & {*STEP_NAMES, *EPOCH_NAMES})
    )


def sniff(path: Path) -> bool:
    """A .csv/.tsv file whose first data row holds at least one number."""
    if path.suffix.lower() not in _SUFFIXES:
        return False
    lines = [ln for ln in peek(path, 8192).splitlines() if ln.strip()]
    if not lines or len(header_fields(lines[0])) < 1:
        return False
    if len(lines) == 1:
        return any(metricish(f) for f in header_fields(lines[0]))  # header-only log
    cells = header_fields(lines[1])
    return any(_NUMBERISH.match(c) for c in cells)


def folder_files(folder: Path, names: frozenset[str]) -> list[Path]:
    """CSV files in ``folder`` whose header names a metric (a data table is not a run)."""
    out = []
    for n in sorted(names):
        p = folder / n
        if Path(n).suffix.lower() not in _SUFFIXES or not p.is_file():
            continue
        fields = header_fields(first_line(p))
        if (_is_long(fields) or any(metricish(f) for f in fields)) and sniff(p):
            out.append(p)
    return out


def _long_run(path: Path, table: Table) -> RawRun:
    """A long (tidy) table: one row per (metric, step, value)."""
    name_key = next(n for n in NAME_COLUMNS if n in table.text)
    value = table.get("value")
    axis_col = next((table.get(n) for n in STEP_NAMES if table.get(n) is not None), None)
    axis = "step"
    if axis_col is None:
        axis_col = next(table.get(n) for n in EPOCH_NAMES if table.get(n) is not None)
        axis = "epoch"
    assert value is not None and axis_col is not None
    names = table.text[name_key]
    keep = value.logged & axis_col.logged & (names != "").to_numpy()
    wall = None
    for w in WALL_NAMES:
        col = table.get(w)
        if col is not None and col is not axis_col:
            wall = wall_clock(col)
            break
    codes, uniques = names[keep].factorize(sort=False)
    recs = records(
        axis_col.values[keep],
        codes,
        [str(u) for u in uniques],
        value.values[keep],
        None if wall is None else wall[keep],
    )
    warnings = list(table.warnings)
    if not len(recs):
        warnings.append(empty_warning(path, "no data rows"))
    return raw_run(NAME, path, recs, warnings=warnings, ignored=list(table.ignored), axis=axis)


# A W&B chart export: "Step", then "<run name> - <metric>" for each run shown, each with its
# smoothing band "<run name> - <metric>__MIN" / "__MAX".
_WANDB_COLUMN = re.compile(r"^(?P<run>.+?) - (?P<metric>.+?)(?P<band>__MIN|__MAX)?$")


def _is_wandb_export(fields: list[str]) -> bool:
    axes = {*STEP_NAMES, *EPOCH_NAMES}
    others = [f for f in fields if f.strip().lower() not in axes]
    return 0 < len(others) < len(fields) and all(_WANDB_COLUMN.match(f) for f in others)


def _wandb_runs(table: Table) -> list[tuple[str, Table]]:
    """One table per run of a W&B chart export: the axis, and the run's metrics by their own
    names (its ``__MIN``/``__MAX`` band columns are the chart's smoothing band, not metrics)."""
    axes = [c for c in table.columns if c.name.strip().lower() in {*STEP_NAMES, *EPOCH_NAMES}]
    by_run: dict[str, list[Column]] = {}
    bands: list[str] = []
    for c in table.columns:
        m = _WANDB_COLUMN.match(c.name) if not any(c is a for a in axes) else None
        if m is None:
            continue
        if m["band"]:
            bands.append(c.name)
            continue
        by_run.setdefault(m["run"], []).append(Column(m["metric"], c.values, c.logged))
    ignored = [*table.ignored, *(f"column '{b}': a chart's smoothing band" for b in bands[:10])]
    return [
        (run, Table([*axes, *cols], table.n_rows, table.header, ignored, list(table.warnings)))
        for run, cols in by_run.items()
    ]


def _read_file(path: Path) -> list[RawRun]:
    fields = header_fields(first_line(path))
    if _is_wandb_export(fields):
        return csv_runs(path, NAME, split_runs=_wandb_runs)
    if _is_long(fields):
        tables = read_file_tables(path, text_columns=NAME_COLUMNS)
        if tables and any(n in tables[0].text for n in NAME_COLUMNS) and tables[0].get("value"):
            runs = [_long_run(path, t) for t in tables]
            if len(runs) > 1:
                for k, run in enumerate(runs, start=1):
                    run.run = f"{path}#{k}"
            return runs
    return csv_runs(path, NAME)


def read(path: Path) -> list[RawRun]:
    """Read a CSV file, or every metric CSV in a folder."""
    if path.is_dir():
        return [run for f in claimed_files(path, folder_files) for run in _read_file(f)]
    return _read_file(path)
