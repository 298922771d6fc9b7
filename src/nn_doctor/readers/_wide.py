"""Turn a wide table (one column per metric) into records, with numpy and no row loop.

The x axis is a step-like column when there is one, else an epoch column, else the row
number. An epoch column beside a step axis is also emitted as the metric ``epoch``, once per
step (Lightning repeats it on the train row and the validation row of the same step).
Records come out row by row, columns in header order: the order the writer logged them.

:func:`to_columns` keeps them as columns (:class:`~nn_doctor.frame.Columns`, which
:func:`~nn_doctor.frame.build_frame` reads directly); :func:`to_long` is the long table the same
columns make.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nn_doctor.readers._common import unique_names

if TYPE_CHECKING:
    import pandas as pd

    from nn_doctor.frame import Columns
    from nn_doctor.readers._csvcore import Column

#: Step-axis column names, most specific first (lower-case, stripped): the names loggers write
#: for an optimizer-step counter (fairseq's ``num_updates``, hand-written loops' ``train_step``,
#: ``n_iter``, ``it``). ``it`` last: the shortest, least specific.
STEP_NAMES = (
    "step",
    "global_step",
    "_step",
    "trainer/global_step",
    "iteration",
    "iter",
    "steps",
    "num_updates",
    "train_step",
    "global_iteration",
    "n_iter",
    "it",
)
EPOCH_NAMES = ("epoch", "epochs", "ep", "epoch_num", "epoch_number", "epoch_idx")
#: Columns that may hold a wall clock (seconds or milliseconds since 1970).
WALL_NAMES = ("wall_time", "walltime", "wall time", "timestamp", "_timestamp", "time")

#: A nameless first column: the row index ``DataFrame.to_csv()`` writes by default.
_ROW_INDEX = ("", "unnamed: 0")

_EPOCH_SECONDS = 1e8  # 1973: anything smaller is an elapsed time, not a wall clock


@dataclass
class Long:
    """The result of :func:`to_long`: records plus what the caller should tell the user."""

    records: pd.DataFrame
    axis: str
    warnings: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


@dataclass
class Wide:
    """The result of :func:`to_columns`: the records as columns, plus what to tell the user."""

    columns: Columns
    axis: str
    warnings: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def _find(columns: Sequence[Column], names: Sequence[str]) -> Column | None:
    by_name = {c.name.strip().lower(): c for c in columns}
    for n in names:
        if n in by_name:
            return by_name[n]
    return None


_STEP_LIMIT = 2.0**62  # steps must fit int64 (with room): 1e300 is not a step counter


def _integral(col: Column) -> bool:
    v = col.values[col.logged]
    return (
        bool(len(v))
        and bool(np.all(np.isfinite(v)))
        and bool(np.all(np.abs(v) < _STEP_LIMIT))
        and bool(np.all(v == np.round(v)))
    )


def wall_clock(col: Column) -> np.ndarray | None:
    """Seconds since 1970 from a time column, or None when it is an elapsed time."""
    v = col.values[col.logged & np.isfinite(col.values)]
    if not len(v) or float(np.median(v)) < _EPOCH_SECONDS:
        return None
    scale = 1e-3 if float(np.median(v)) > 1e11 else 1.0  # milliseconds (MLflow, JS)
    return np.where(col.logged, col.values * scale, np.nan)


def to_long(columns: Sequence[Column], n_rows: int, **options: Any) -> Long:
    """Long records from numeric columns: :func:`to_columns` (same options), then every logged cell."""
    wide = to_columns(columns, n_rows, **options)
    return Long(wide.columns.long(), wide.axis, wide.warnings, wide.ignored)


def to_columns(
    columns: Sequence[Column],
    n_rows: int,
    *,
    step_names: Sequence[str] = STEP_NAMES,
    epoch_names: Sequence[str] = EPOCH_NAMES,
    wall_names: Sequence[str] = WALL_NAMES,
    skip: Sequence[str] = (),
    prefer_epoch: bool = False,
) -> Wide:
    """The records of numeric columns: pick the axis, then say which cells of which metric
    columns are logged (no copy of a column that is logged in every row).

    ``prefer_epoch`` makes an epoch column the axis even when a step column exists (formats
    whose unit of progress is the epoch). ``skip`` names columns that are not metrics.
    """
    from nn_doctor.frame import Columns

    warnings: list[str] = []
    ignored: list[str] = []
    step_col = None if prefer_epoch else _find(columns, step_names)
    epoch_col = _find(columns, epoch_names)
    axis = "step"
    axis_col = step_col
    if axis_col is not None and not _integral(axis_col):
        warnings.append(
            f"column '{axis_col.name}' is not a whole-number counter; not used as the step"
        )
        axis_col = None
    if axis_col is None and epoch_col is not None and _integral(epoch_col):
        axis_col, axis = epoch_col, "epoch"
    used = {id(axis_col)} if axis_col is not None else set()
    skipped = {*(s.lower() for s in skip), *_ROW_INDEX}

    wall: np.ndarray | None = None
    for name in wall_names:
        col = _find(columns, (name,))
        if col is None or id(col) in used:
            continue
        clock = wall_clock(col)
        used.add(id(col))
        if clock is not None and wall is None:
            wall = clock
        else:
            ignored.append(f"column '{col.name}': elapsed time, not a training signal")

    if axis_col is None:
        steps = np.arange(n_rows, dtype=np.float64)
        keep = np.ones(n_rows, dtype=bool)
        warnings.append("no step or epoch column: the row number is used as the step")
    else:
        steps = axis_col.values
        keep = axis_col.logged & np.isfinite(steps)
        if not keep.all():
            warnings.append(
                f"{int((~keep).sum())} row(s) without a '{axis_col.name}' value were skipped"
            )

    metrics = [c for c in columns if id(c) not in used and c.name.strip().lower() not in skipped]
    for c in columns:
        if c.name.strip().lower() in skipped and id(c) not in used:
            ignored.append(f"column '{c.name}': not a training signal")
    if not metrics or not n_rows:
        empty = Columns(np.zeros(0, dtype=np.int64), [], [], [])
        return Wide(empty, axis, warnings, ignored)

    col_logged = [c.logged for c in metrics]
    if axis == "step" and epoch_col is not None and any(c is epoch_col for c in metrics):
        # The epoch counter is a metric here; emit it once per step, not once per row.
        e = next(i for i, c in enumerate(metrics) if c is epoch_col)
        same = np.r_[
            False, (steps[1:] == steps[:-1]) & (epoch_col.values[1:] == epoch_col.values[:-1])
        ]
        col_logged[e] = col_logged[e] & ~same
    # Steps are whole numbers here (checked above, or row numbers): int64 once, per row.
    all_kept = bool(keep.all())
    row_steps = (steps if all_kept else np.where(keep, steps, 0)).astype(np.int64)
    logged: list[np.ndarray | None] = []
    for m in col_logged:
        if all_kept:
            logged.append(None if m.all() else m)
        else:
            logged.append(m & keep)
    out = Columns(
        row_steps,
        unique_names([c.name.strip() for c in metrics]),
        [c.values for c in metrics],
        logged,
        wall,
    )
    return Wide(out, axis, warnings, ignored)
