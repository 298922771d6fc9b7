"""From a wide CSV log to runs: segments, appended-run splits, labels and empty-file warnings.

Every CSV-based reader (plain CSV, Keras CSVLogger, Lightning, Ultralytics) reads through
:func:`csv_runs`, so blank-versus-NaN, truncated tails, malformed lines and appended runs
behave the same in all of them. Run labels follow DECISIONS.md §1: a file holding several
appended runs yields ``file.csv#1``, ``file.csv#2``, …
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from nn_doctor.frame import RawRun
from nn_doctor.readers._common import RUN_COLUMNS, empty_warning, raw_run
from nn_doctor.readers._csvcore import Column, Table
from nn_doctor.readers._csvlarge import read_file_tables
from nn_doctor.readers._wide import EPOCH_NAMES, to_columns
from nn_doctor.signals import canonical_name


def _split_at_epoch_restart(table: Table) -> list[Table]:
    """Split where the epoch counter restarts at 0 without a header (Keras append mode).

    A counter that goes back to a non-zero value is a resume, not a new run: it stays in one
    table and :func:`~nn_doctor.frame.build_frame` lets the later rows win.
    """
    epoch = next((c for c in table.columns if c.name.strip().lower() in EPOCH_NAMES), None)
    if epoch is None or table.n_rows < 2:
        return [table]
    # a restart is a 0 after a later epoch; rows that repeat epoch 0 (a log with several rows per
    # epoch) start nothing
    rows = np.flatnonzero(epoch.logged)
    vals = epoch.values[rows]
    starts = rows[1:][(vals[1:] == 0) & (vals[:-1] > 0)]
    cuts = [0, *[int(i) for i in starts], table.n_rows]
    if len(cuts) == 2:
        return [table]
    parts = []
    for a, b in pairwise(cuts):
        cols = [Column(c.name, c.values[a:b], c.logged[a:b]) for c in table.columns]
        parts.append(Table(cols, b - a, table.header, list(table.ignored), list(table.warnings)))
    return parts


def _run_column(header: Sequence[str]) -> str | None:
    """The first header field that names a run (lower-cased), if the table logs a loss.

    A table with no loss column is no training log (a ``labels.csv`` keyed by ``run_id``, a
    sweep's summary): cutting it per run would only turn one unreadable table into many.
    """
    if not any(canonical_name(f).canonical in ("train_loss", "val_loss") for f in header):
        return None
    return next((f.strip().lower() for f in header if f.strip().lower() in RUN_COLUMNS), None)


def _run_labels(table: Table, key: str) -> list[str] | None:
    """Each row's run label from the run column ``key`` (text or numbers), or None."""
    text = table.text.get(key)
    if text is not None:
        return ["" if v.lower() in ("", "nan", "none") else v for v in text.tolist()]
    col = table.get(key)
    if col is None:
        return None
    return [
        "" if not ok or v != v else str(int(v)) if float(v).is_integer() else repr(float(v))
        for v, ok in zip(col.values.tolist(), col.logged.tolist(), strict=True)
    ]


def _by_run_column(key: str) -> Callable[[Table], list[tuple[str, Table]]]:
    """Cut a table into one per value of its run column (in order of first appearance)."""

    def split(table: Table) -> list[tuple[str, Table]]:
        labels = _run_labels(table, key)
        if labels is None:
            return [("", table)]
        metrics = [c for c in table.columns if c.name.strip().lower() != key]
        order = list(dict.fromkeys(labels))
        if len(order) < 2:
            return [("", Table(metrics, table.n_rows, table.header, table.ignored, table.warnings))]
        parts = []
        array = np.array(labels, dtype=object)
        for label in order:
            rows = np.flatnonzero(array == label)
            cols = [Column(c.name, c.values[rows], c.logged[rows]) for c in metrics]
            name = f"{key} {label}" if label else f"no {key}"
            parts.append((name, Table(cols, len(rows), table.header, list(table.ignored),
                                      list(table.warnings))))  # fmt: skip
        return parts

    return split


def csv_runs(
    path: Path,
    fmt: str,
    *,
    prefer_epoch: bool = False,
    split_epoch_restart: bool = False,
    skip: Sequence[str] = (),
    config: dict[str, Any] | None = None,
    config_sources: Sequence[str] = (),
    config_warnings: Sequence[str] = (),
    files: Sequence[Path] = (),
    split_runs: Callable[[Table], list[tuple[str, Table]]] | None = None,
) -> list[RawRun]:
    """Read a wide CSV log into one :class:`RawRun` per appended run (at least one).

    ``split_runs`` cuts a table into named runs side by side (a W&B chart export has a column
    group per run): each is a run labelled ``file.csv (name)``. Without it, a run column
    (:data:`RUN_COLUMNS`) holding several values cuts the table, one run per value, and
    takes the place of the epoch-restart split (it names what that split guesses).
    """
    tables = read_file_tables(path, text_columns=RUN_COLUMNS)
    key = _run_column(tables[0].header) if tables and split_runs is None else None
    if key is not None:
        split_runs, split_epoch_restart = _by_run_column(key), False
    if split_epoch_restart:
        tables = [part for t in tables for part in _split_at_epoch_restart(t)]
    named: list[str | None] = [None] * len(tables)
    if split_runs is not None:
        pairs = [pair for t in tables for pair in split_runs(t)]
        named, tables = [n for n, _ in pairs], [t for _, t in pairs]
    runs: list[RawRun] = []
    for k, (name, table) in enumerate(zip(named, tables, strict=True), start=1):
        wide = to_columns(table.columns, table.n_rows, prefer_epoch=prefer_epoch, skip=skip)
        warnings = [*config_warnings, *table.warnings, *wide.warnings]
        if not table.n_rows:
            what = "header only, no data rows" if table.header else "empty file"
            warnings = [*config_warnings, empty_warning(path, what)]
        elif not wide.columns.n_records:
            warnings.append(empty_warning(path, "no numeric metric cell"))
        runs.append(
            raw_run(
                fmt,
                path,
                columns=wide.columns,  # records are built from these only if something asks
                files=[path, *files],
                run=f"{path} ({name})" if name else f"{path}#{k}" if len(tables) > 1 else str(path),
                config=dict(config or {}),
                config_sources=list(config_sources),
                warnings=warnings,
                ignored=[*table.ignored, *wide.ignored],
                axis=wide.axis,
            )
        )
    if not runs:  # an empty file: no header at all
        runs.append(
            raw_run(
                fmt,
                path,
                warnings=[*config_warnings, empty_warning(path, "empty file")],
                files=[path, *files],
                config=dict(config or {}),
                config_sources=list(config_sources),
            )
        )
    return runs
