"""Write recorder rows where nn-doctor's readers find them: CSV, JSON lines or TensorBoard.

A row is a flat ``{canonical name: float}`` dict with a ``"step"`` key (what
:meth:`nn_doctor.record.torch.TorchRecorder.finish` returns). Every writer keeps the names
as they are (DECISIONS §3), so the readers map nothing and per-layer names (``grad_norm/fc1``)
survive unchanged.

Why three writers and how each handles the awkward cases:

* :class:`JSONLWriter` is the default: one object per line, a signal that appears later (a
  layer first hit on step 500, ``val_loss`` every epoch) is just another key, and a missing key
  means "not logged". Non-finite values are written as bare ``NaN``/``Infinity`` tokens, which
  the JSONL reader accepts, because a diverged loss is exactly what must survive the trip.
* :class:`CSVWriter` writes a *wide* table (``step`` + one column per signal, blank = not
  logged). The header is fixed by the first row; when a later row brings a new column the file
  is rewritten once with the widened header (old rows get blanks). New columns are rare after
  the first recorded step (the layer set is fixed), so the rewrite costs O(file) a handful of
  times per run; use JSONL when signals come and go all the time.
* :class:`TensorBoardWriter` calls tensorboardX's ``add_scalar(name, value, step)``;
  tensorboardX is imported only when this writer is built.

:func:`write_config` writes the config facts as YAML beside the log: ``hparams.yaml`` beside
TensorBoard event files (the TensorBoard reader reads it), ``config.yaml`` beside CSV/JSONL logs
(the JSONL reader reads it, and ``nn_doctor.api`` reads a sibling ``config.yaml`` for any log).
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "CSVWriter",
    "JSONLWriter",
    "RowWriter",
    "TensorBoardWriter",
    "open_writer",
    "write_config",
]


class RowWriter(Protocol):
    """What the one-line API and the callbacks need from a writer."""

    #: The folder the log lives in (the config file goes here).
    folder: Path
    #: The config file name the readers pick up beside this kind of log.
    config_name: str

    def write(self, row: Mapping[str, float]) -> None:
        """Append one row (must hold ``"step"``)."""

    def flush(self) -> None:
        """Push buffered rows to disk, so a crash loses at most the current row."""

    def close(self) -> None:
        """Flush and release the file."""


def _step_of(row: Mapping[str, float]) -> int:
    if "step" not in row:
        raise ValueError("a row needs a 'step' key")
    return int(row["step"])


def _cell(value: float) -> str:
    """CSV cell text: integers without '.0' noise, non-finite values as the readers spell them."""
    v = float(value)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


class JSONLWriter:
    """Append rows as JSON lines (``{"step": 10, "train_loss": 0.7, "grad_norm/fc1": ...}``)."""

    config_name = "config.yaml"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.folder = self.path.parent
        self.folder.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def write(self, row: Mapping[str, float]) -> None:
        """Append one row; ``step`` is written as an integer first."""
        out: dict[str, Any] = {"step": _step_of(row)}
        out.update((k, float(v)) for k, v in row.items() if k != "step")
        self._fh.write(json.dumps(out, allow_nan=True) + "\n")

    def flush(self) -> None:
        """Flush the file buffer."""
        self._fh.flush()

    def close(self) -> None:
        """Close the file (idempotent)."""
        if not self._fh.closed:
            self._fh.close()


class CSVWriter:
    """A wide CSV: ``step`` + one column per signal in first-seen order, blanks for not-logged.

    Rows are kept in a small buffer and written on :meth:`flush` (every ``flush_every`` rows and
    at :meth:`close`). A column first seen after the header was written triggers one rewrite of
    the file with the widened header; see the module docstring for why that is acceptable.
    """

    config_name = "config.yaml"

    def __init__(self, path: str | os.PathLike[str], *, flush_every: int = 50) -> None:
        self.path = Path(path)
        self.folder = self.path.parent
        self.folder.mkdir(parents=True, exist_ok=True)
        self.flush_every = max(1, flush_every)
        self._columns: list[str] = ["step"]
        self._written_columns: list[str] = []  # header currently on disk ([] = no file yet)
        self._buffer: list[dict[str, str]] = []
        self.rewrites = 0  # how many times a new column forced a rewrite (for tests/benchmarks)

    def write(self, row: Mapping[str, float]) -> None:
        """Buffer one row; new signal names become new columns."""
        cells = {"step": str(_step_of(row))}
        for k, v in row.items():
            if k == "step":
                continue
            if k not in cells and k not in self._columns:
                self._columns.append(k)
            cells[k] = _cell(v)
        self._buffer.append(cells)
        if len(self._buffer) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        """Write buffered rows; rewrite the file once if the header must widen."""
        if not self._buffer and self._written_columns == self._columns:
            return
        if self._written_columns and self._written_columns != self._columns:
            self._rewrite_with_header()
        mode = "a" if self._written_columns else "w"
        with open(self.path, mode, newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=self._columns, restval="")
            if not self._written_columns:
                w.writeheader()
                self._written_columns = list(self._columns)
            w.writerows(self._buffer)
        self._buffer.clear()

    def _rewrite_with_header(self) -> None:
        with open(self.path, newline="", encoding="utf-8") as fh:
            old_rows = list(csv.DictReader(fh))
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=self._columns, restval="")
            w.writeheader()
            w.writerows(old_rows)
        os.replace(tmp, self.path)
        self._written_columns = list(self._columns)
        self.rewrites += 1

    def close(self) -> None:
        """Write what is buffered."""
        self.flush()


class TensorBoardWriter:
    """Scalars to TensorBoard event files via tensorboardX (``pip install tensorboardX``)."""

    config_name = "hparams.yaml"

    def __init__(self, logdir: str | os.PathLike[str]) -> None:
        try:
            from tensorboardX import SummaryWriter
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "TensorBoardWriter needs tensorboardX: pip install tensorboardX "
                "(or log to .jsonl/.csv instead)"
            ) from exc
        self.folder = Path(logdir)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._sw = SummaryWriter(logdir=str(self.folder))

    def write(self, row: Mapping[str, float]) -> None:
        """One ``add_scalar`` per signal, at the row's step."""
        step = _step_of(row)
        for k, v in row.items():
            if k != "step":
                self._sw.add_scalar(k, float(v), step)

    def flush(self) -> None:
        """Flush the event file."""
        self._sw.flush()

    def close(self) -> None:
        """Close the event file."""
        self._sw.close()


def open_writer(log: str | os.PathLike[str]) -> RowWriter:
    """Pick a writer from the path: ``*.jsonl`` / ``*.csv`` files, anything else a TB logdir."""
    path = Path(log)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return JSONLWriter(path)
    if suffix == ".csv":
        return CSVWriter(path)
    if suffix:
        raise ValueError(f"unknown log type {suffix!r}: use .jsonl, .csv or a TensorBoard folder")
    return TensorBoardWriter(path)


def _plain(value: Any) -> Any:
    """YAML-safe plain data (tuples → lists, numpy/torch scalars → Python numbers)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    return str(value)


def write_config(path: str | os.PathLike[str], facts: Mapping[str, Any]) -> Path:
    """Write config facts as YAML to ``path`` (a file, or a folder → ``config.yaml`` in it).

    Only a safe subset of YAML is written (plain mappings, lists and scalars) so that the
    readers' safe loader reads it back as written.
    """
    import yaml

    target = Path(path)
    if target.is_dir() or not target.suffix:
        target = target / "config.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8") as fh:
        yaml.safe_dump(_plain(dict(facts)), fh, sort_keys=False)
    return target
