"""Tailers for line-based logs: CSV (plain, Keras CSVLogger, Lightning, Ultralytics) and JSON lines.

A record is a line, and a line is complete when its newline has been written: everything after
the last ``\\n`` stays pending in the :class:`~nn_doctor.watch.tail.ByteTail` until the writer
finishes it, so a row cut mid-number (``3,0.4`` of ``3,0.45``) is never parsed as a record.

The new complete lines of a poll are parsed by the readers' own code, as one small file would
be: CSV chunks go through :func:`~nn_doctor.readers._csvcore.read_tables` with the remembered
header line put back in front (the chunk then parses exactly like that part of the file, blank
versus ``nan`` included); JSON chunks through :func:`~nn_doctor.readers._jsonrows.parse_lines`
and :func:`~nn_doctor.readers._jsonrows.columns`. The numeric columns are appended to a
:class:`~nn_doctor.watch.table.WideTable`; :meth:`LineTail.raw` turns the table into the run with
:func:`~nn_doctor.readers._wide.to_long` and the options of the reader that owns the format
(:class:`Profile`). ``tests/watch`` checks, format by format, that a log read this way ends with
the same records as the reader's ``read()`` of the finished file.

CSV specifics: the header is the first non-blank line (a UTF-8 BOM before it is dropped). A line
equal to the header later in the file starts a new run (Keras ``append=True`` after a restart,
DECISIONS.md §1): the tailer then follows the new run, as it does when the Keras epoch counter
goes back to 0. A quoted field holding a newline would be split (no training logger writes one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nn_doctor.watch.table import WideTable
from nn_doctor.watch.tail import ByteTail

if TYPE_CHECKING:
    from nn_doctor.frame import RawRun
    from nn_doctor.readers._csvcore import Column

ConfigLoader = Callable[[Path, Mapping[str, Any]], tuple[dict[str, Any], list[str], list[str]]]

#: At most this many distinct warnings are kept from the chunks (a log with a bad line every
#: few rows must not grow the list without bound).
MAX_WARNINGS = 20


def _no_config(
    _path: Path, _first: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str], list[str]]:
    return {}, [], []


@dataclass(frozen=True)
class Profile:
    """How one reader turns its wide columns into a run: its ``to_long`` options and config.

    The values come from the reader modules themselves (their constants and helpers), so what a
    reader decides for a whole file is what the tailer decides for a growing one.
    """

    reader: str  # registry module name
    fmt: str  # the reader's NAME
    kind: str  # "csv" | "json"
    long_options: dict[str, Any] = field(default_factory=dict)
    split_epoch_restart: bool = False
    drop: Callable[[str], bool] | None = None  # JSON keys that are bookkeeping
    config: ConfigLoader = _no_config
    empty_what: str = "no numeric metric cell"


def _configs_beside(names: tuple[str, ...]) -> ConfigLoader:
    def load(path: Path, _first: Mapping[str, Any]) -> tuple[dict[str, Any], list[str], list[str]]:
        from nn_doctor.readers._common import load_configs

        return load_configs([path.parent / n for n in names])

    return load


def _wandb_config(
    path: Path, first: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str], list[str]]:
    from nn_doctor.readers import jsonl

    if path.name == jsonl._WANDB_HISTORY or "_step" in first:
        return jsonl._wandb_config(path)
    return {}, [], []


def profile(reader: str) -> Profile | None:
    """The :class:`Profile` of a line-based reader, or None (the format is not followed by lines)."""
    if reader == "csv_table":
        from nn_doctor.readers import csv_table

        return Profile(reader, csv_table.NAME, "csv")
    if reader == "keras_csv":
        from nn_doctor.readers import keras_csv

        return Profile(
            reader,
            keras_csv.NAME,
            "csv",
            long_options={"prefer_epoch": True},
            split_epoch_restart=True,
        )
    if reader == "lightning":
        from nn_doctor.readers import lightning

        return Profile(reader, lightning.NAME, "csv", config=_configs_beside(lightning._CONFIGS))
    if reader == "yolo":
        from nn_doctor.readers import yolo

        return Profile(
            reader,
            yolo.NAME,
            "csv",
            long_options={"prefer_epoch": True, "skip": ("time",)},
            config=_configs_beside(yolo._CONFIGS),
        )
    if reader == "jsonl":
        from nn_doctor.readers import jsonl
        from nn_doctor.readers._wide import WALL_NAMES

        return Profile(
            reader,
            jsonl.NAME,
            "json",
            long_options={
                "step_names": jsonl._STEP_KEYS,
                "wall_names": ("_timestamp", *WALL_NAMES),
                "skip": ("_runtime",),
            },
            config=_wandb_config,
            empty_what="no numeric metric in any line",
        )
    if reader == "detectron2":
        from nn_doctor.readers import detectron2

        return Profile(
            reader,
            detectron2.NAME,
            "json",
            long_options={"step_names": ("iteration",), "epoch_names": ()},
            drop=detectron2._DROP,
            config=_configs_beside(detectron2._CONFIGS),
            empty_what="no complete record",
        )
    return None


@dataclass
class Progress:
    """What one poll found: new bytes, new complete records, and lines for the status stream."""

    grew: bool = False
    records: int = 0
    notes: list[str] = field(default_factory=list)
    reset: bool = False


_RESET_NOTES = {
    "replaced": "{name} was replaced by a new file (rotated or rewritten): reading it from the start",
    "truncated": "{name} shrank below what was already read (truncated): reading it from the start",
    "rewritten": "{name} was rewritten in place: reading it from the start",
}


def reset_note(path: Path, why: str) -> str:
    """The one wording of "the file is not a continuation any more"."""
    return _RESET_NOTES[why].format(name=path.name)


class LineTail:
    """Follow one CSV or JSON-lines log (see the module docstring).

    ``records_parsed`` counts the rows handed to the parsers: each complete line once (the unit
    tests check that a poll parses only what is new).
    """

    def __init__(self, path: Path, prof: Profile) -> None:
        self.path = path
        self.profile = prof
        self.format = prof.fmt
        self.tail = ByteTail(path)
        self.records_parsed = 0
        self._fresh()

    def _fresh(self) -> None:
        self.table = WideTable()
        self.header: bytes | None = None
        self.runs_before = 0  # earlier runs this file held (a repeated header, an epoch restart)
        self.warnings: list[str] = []
        self.first_record: dict[str, Any] = {}

    def poll(self) -> Progress:
        """Read and parse the lines completed since the last poll."""
        got = self.tail.poll()
        if got is None:
            return Progress()
        out = Progress(grew=got.new_bytes > 0 or got.reset is not None)
        if got.reset:
            self._fresh()
            out.reset = True
            out.notes.append(reset_note(self.path, got.reset))
        buf = got.buf
        cut = buf.rfind(b"\n") + 1
        self.tail.commit(buf, cut)
        if cut:
            complete = buf[:cut]
            if self.profile.kind == "csv":
                out.records = self._csv(complete, out.notes)
            else:
                out.records = self._json(complete)
            self.records_parsed += out.records
        return out

    # -- CSV -------------------------------------------------------------------------------

    def _csv(self, chunk: bytes, notes: list[str]) -> int:
        if self.header is None:
            if chunk.startswith(b"\xef\xbb\xbf"):
                chunk = chunk[3:]
            while True:  # the header is the first non-blank line, leading spaces kept (YOLO)
                nl = chunk.find(b"\n")  # complete lines: there is one
                if chunk[:nl].strip():
                    break
                chunk = chunk[nl + 1 :]
                if not chunk:
                    return 0  # blank lines only: the header is still to come
            self.header = chunk[:nl].rstrip(b"\r")
            chunk = chunk[nl + 1 :]
        n = 0
        for k, piece in enumerate(self._split_runs(chunk)):
            if k:
                self._new_run(notes, "the header line appears again")
            n += self._csv_rows(piece)
        return n

    def _split_runs(self, chunk: bytes) -> list[bytes]:
        """Cut the chunk where the header line repeats (a new run appended to the file)."""
        header = self.header or b""
        if not header.strip():
            return [chunk]
        pieces: list[bytes] = []
        start = 0
        text = b"\n" + chunk  # text[i + 1] is chunk[i]: a match at i starts a line at chunk[i]
        needle = b"\n" + header
        pos = text.find(needle)
        while pos >= 0:
            end = pos + len(header)  # in chunk: the byte after the header line's text
            if chunk[end : end + 1] in (b"\r", b"\n"):
                pieces.append(chunk[start:pos])
                start = chunk.find(b"\n", end) + 1  # complete lines: there is a newline
            pos = text.find(needle, end + 1)
        pieces.append(chunk[start:])
        return pieces

    def _csv_rows(self, body: bytes) -> int:
        from nn_doctor.readers._csvcore import header_fields, read_tables

        if not body.strip():
            return 0
        header = self.header or b""
        tables = read_tables(header + b"\n" + body)
        n = 0
        order = header_fields(header.decode("utf-8", errors="replace"))
        for t in tables:  # one table: repeated headers were cut out before
            self.table.append(t.columns, t.n_rows, order=order)
            self.table.note_ignored(t.ignored)
            self._warn(t.warnings)
            n += t.n_rows
        return n

    def _new_run(self, notes: list[str], why: str) -> None:
        runs_before = self.runs_before + 1
        header = self.header
        self.table = WideTable()
        self.warnings = []
        self.runs_before, self.header = runs_before, header
        notes.append(f"{self.path.name}: {why}: a new run started in the file; following it")

    # -- JSON lines ------------------------------------------------------------------------

    def _json(self, chunk: bytes) -> int:
        from nn_doctor.readers._jsonrows import columns, parse_lines

        if self.tail.offset == len(chunk) and chunk.startswith(b"\xef\xbb\xbf"):
            chunk = chunk[3:]  # the file's own start (offset is past this chunk now)
        rows = parse_lines(chunk.decode("utf-8", errors="replace"))
        if not rows.rows:
            self._warn(rows.warnings)
            return 0
        if not self.first_record and self.table.n_rows == 0:
            self.first_record = dict(rows.rows[0])
        drop = self.profile.drop
        cols, warnings, ignored = columns(rows, drop=drop) if drop else columns(rows)
        self.table.append(cols, len(rows.rows), order=[c.name for c in cols])
        self.table.note_ignored(ignored)
        self._warn([*rows.warnings, *warnings])
        return len(rows.rows)

    # -- the run so far --------------------------------------------------------------------

    def _warn(self, lines: list[str]) -> None:
        for w in lines:
            if w not in self.warnings and len(self.warnings) < MAX_WARNINGS:
                self.warnings.append(w)

    def raw(self) -> RawRun:
        """The run as read so far, built as the format's reader builds it from a whole file."""
        from nn_doctor.readers._common import empty_warning, raw_run
        from nn_doctor.readers._wide import to_long

        prof = self.profile
        cols: list[Column] = self.table.columns()
        n_rows = self.table.n_rows
        runs_before = self.runs_before
        if prof.split_epoch_restart and n_rows:
            from nn_doctor.readers._csvcore import Table
            from nn_doctor.readers._csvrun import _split_at_epoch_restart

            parts = _split_at_epoch_restart(Table(cols, n_rows, []))
            runs_before += len(parts) - 1
            cols, n_rows = parts[-1].columns, parts[-1].n_rows
        long = to_long(cols, n_rows, **prof.long_options)
        config, sources, config_warnings = prof.config(self.path, self.first_record)
        warnings = [*config_warnings, *self.warnings, *long.warnings]
        if not n_rows:
            warnings = [*config_warnings, empty_warning(self.path, "no complete data row yet")]
        elif not len(long.records):
            warnings.append(empty_warning(self.path, prof.empty_what))
        return raw_run(
            prof.fmt,
            self.path,
            long.records,
            files=[self.path, *map(Path, sources)],
            run=f"{self.path}#{runs_before + 1}" if runs_before else str(self.path),
            config=config,
            config_sources=sources,
            warnings=warnings,
            ignored=[*self.table.ignored(), *long.ignored],
            axis=long.axis,
        )
