"""The accumulating record table of a wide log (CSV, JSON lines): columns that only grow.

CSV and JSON-lines readers parse a whole file into numeric :class:`~nn_doctor.readers._csvcore.
Column` objects (values + a "logged" mask, one per metric) and only then pick the axis and emit
long records (:func:`~nn_doctor.readers._wide.to_long`). The tailers parse each chunk of new
lines with the same code and append the chunk's columns here, aligned by name. Keeping the
*wide* columns, not each chunk's long records, is deliberate: the axis choice (step, else
epoch, else the row number), the wall-clock detection and the Keras epoch-restart split look at
a whole column, so they are made once over everything read so far, exactly as the reader makes
them over the whole file. That last step is numpy work over arrays already in memory (no text is
parsed again), which is what "rebuilt from the accumulated records" costs per evaluation.

Columns live in buffers that double their capacity when full, so appending a chunk costs the
chunk, not the history; :meth:`WideTable.columns` hands out views of the filled part. Nothing
downstream writes into those arrays (``to_long`` and the epoch split copy or slice).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

from nn_doctor.readers._csvcore import Column

_NAMED = re.compile(r"^(?:column )?'(?P<name>[^']*)'")


class _Buffer:
    """One growing column: values and the logged mask, with spare capacity at the end."""

    def __init__(self, rows_before: int) -> None:
        cap = max(64, 2 * rows_before)
        self.values = np.full(cap, np.nan)
        self.logged = np.zeros(cap, dtype=bool)
        self.n = rows_before  # the rows before this column's first chunk: not logged

    def _reserve(self, n: int) -> None:
        if n <= len(self.values):
            return
        cap = max(n, 2 * len(self.values))
        values = np.full(cap, np.nan)
        logged = np.zeros(cap, dtype=bool)
        values[: self.n] = self.values[: self.n]
        logged[: self.n] = self.logged[: self.n]
        self.values, self.logged = values, logged

    def extend(self, values: np.ndarray | None, logged: np.ndarray | None, n: int) -> None:
        """Append ``n`` rows (``None``: the column is absent from the chunk, not logged)."""
        self._reserve(self.n + n)
        end = self.n + n
        if values is not None and logged is not None:
            self.values[self.n : end] = values
            self.logged[self.n : end] = logged
        # else: the spare capacity already holds NaN / False
        self.n = end


class WideTable:
    """Numeric columns of one run, appended chunk by chunk (see the module docstring)."""

    def __init__(self) -> None:
        self.names: list[str] = []  # first-seen order (the header order for CSV)
        self.n_rows = 0
        self._buffers: dict[str, _Buffer] = {}
        self._numeric: set[str] = set()  # names some chunk parsed as a numeric column
        self._ignored: dict[str, str] = {}  # name -> the latest "not numeric" message
        self._other_ignored: list[str] = []

    def append(self, columns: Sequence[Column], n_rows: int, order: Iterable[str] = ()) -> None:
        """Add one chunk of ``n_rows`` rows; ``order`` registers names first-seen in order.

        A name in ``order`` without a numeric column in this chunk (a CSV column whose cells
        were all blank or words so far) keeps its place in the column order, so the records come
        out in the writer's order once it does hold numbers.
        """
        for name in order:
            self._register(name)
        by_name = {c.name: c for c in columns}
        for c in columns:
            self._register(c.name)
            self._numeric.add(c.name)
        for name in self.names:
            col = by_name.get(name)
            buf = self._buffers[name]
            if col is None:
                buf.extend(None, None, n_rows)
            else:
                buf.extend(col.values, col.logged, n_rows)
        self.n_rows += n_rows

    def _register(self, name: str) -> None:
        if name not in self._buffers:
            self._buffers[name] = _Buffer(self.n_rows)
            self.names.append(name)

    def note_ignored(self, messages: Iterable[str]) -> None:
        """Remember a chunk's "ignored" lines; shown only for names no chunk read as numbers.

        A chunk of Keras rows whose ``val_loss`` is ``NA`` throughout reads as "not numeric" on
        its own; the whole file would not, so such a line must not outlive the chunk.
        """
        for msg in messages:
            m = _NAMED.match(msg)
            if m:
                self._ignored[m.group("name")] = msg
            elif msg not in self._other_ignored:
                self._other_ignored.append(msg)

    def ignored(self) -> list[str]:
        """The ignored lines that still hold for the whole table."""
        return [
            *(msg for name, msg in self._ignored.items() if name not in self._numeric),
            *self._other_ignored,
        ]

    def columns(self) -> list[Column]:
        """Every numeric column over all rows so far (views into the buffers, no copy).

        A name no chunk parsed as numbers (a text column) is left out, as the reader leaves it
        out of a whole file.
        """
        n = self.n_rows
        return [
            Column(name, self._buffers[name].values[:n], self._buffers[name].logged[:n])
            for name in self.names
            if name in self._numeric
        ]
