"""Weights & Biases run files: ``wandb/run-*/run-<id>.wandb`` (online and offline runs alike).

Since W&B 0.10 a run keeps its history only in this binary file (``wandb-history.jsonl`` is the
legacy client's; an offline run has nothing else). The file is a LevelDB-style log: a 7-byte
header (``:W&B``, magic 0xBEE1, version 0), then 32 KiB blocks of chunks, each with a CRC-32 of its
type byte and data, a length and a type (whole, first, middle, last). Each assembled record is a
``wandb.Record`` protobuf; the fields read here (from W&B's ``wandb_internal.proto``):

- ``Record``: ``history`` = 2, ``config`` = 5, ``run`` = 17 (whose ``config`` = 4);
- ``HistoryRecord``: ``item`` = 1, ``step`` = 2 (``HistoryStep.num`` = 1);
- ``HistoryItem``: ``key`` = 1, ``nested_key`` = 2, ``boolean`` = 4, ``integer`` = 5 (zigzag),
  ``number`` = 6 (double), ``value_json`` = 16 (what every client writes);
- ``ConfigRecord``: ``update`` = 1; ``ConfigItem``: ``key`` = 1, ``nested_key`` = 2,
  ``value_json`` = 16.

A small wire-format walk decodes them: W&B is not a dependency (it pulls in a Go binary and a
dozen packages to read a log). A chunk whose checksum fails or that runs past the end of the
file (a run killed mid-write) ends the read with a warning; what came before stands.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nn_doctor.frame import RawRun
from nn_doctor.readers._common import claimed_files, empty_warning, raw_run, read_bytes
from nn_doctor.readers._jsonrows import Rows, columns
from nn_doctor.readers.jsonl import history_columns

NAME = "wandb"
# The run folder's other contents: requirements, console output, debug logs (not runs of their own).
OWNED_SUBDIRS = ("files", "logs", "tmp")

_SUFFIX = ".wandb"
_IDENT = b":W&B"
_BLOCK = 32768
_HEADER = 7  # file header and chunk header alike
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4


def sniff(path: Path) -> bool:
    """A ``*.wandb`` file that starts with W&B's log header."""
    if path.suffix != _SUFFIX:
        return False
    try:
        with path.open("rb") as fh:
            return fh.read(4) == _IDENT
    except OSError:
        return False


def folder_files(folder: Path, names: frozenset[str]) -> list[Path]:
    """The ``run-<id>.wandb`` file of a W&B run folder."""
    return [folder / n for n in sorted(names) if n.endswith(_SUFFIX) and sniff(folder / n)]


def _chunks(data: bytes) -> tuple[list[bytes], list[str]]:
    """The assembled records of a W&B log, and a warning where it stops early."""
    out: list[bytes] = []
    pending: list[bytes] | None = None
    pos = _HEADER
    while pos + _HEADER <= len(data):
        left = _BLOCK - pos % _BLOCK
        if left < _HEADER:  # a block's tail too short for a chunk header is padding
            pos += left
            continue
        crc, length, kind = struct.unpack_from("<IHB", data, pos)
        if crc == length == kind == 0:  # zero fill: the writer padded out the block
            pos += left
            continue
        start, end = pos + _HEADER, pos + _HEADER + length
        body = data[start:end]
        if end > len(data) or zlib.crc32(bytes([kind]) + body) != crc:
            where = "cut short" if end > len(data) else "damaged (checksum mismatch)"
            return out, [f"the log is {where} after {len(out)} records; read up to there"]
        pos = end
        if kind == _FULL:
            out.append(body)
        elif kind == _FIRST:
            pending = [body]
        elif kind in (_MIDDLE, _LAST) and pending is not None:
            pending.append(body)
            if kind == _LAST:
                out.append(b"".join(pending))
                pending = None
    return out, []


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) of one protobuf message; bytes for length-delimited.

    One-byte varints (field keys, short lengths, small integers) skip the general decoder:
    they are nearly all of a history record.
    """
    i, n = 0, len(buf)
    while i < n:
        key = buf[i]
        if key < 0x80:
            i += 1
        else:
            key, i = _varint(buf, i)
        wire = key & 7
        if wire == 2:
            size = buf[i]
            if size < 0x80:
                i += 1
            else:
                size, i = _varint(buf, i)
            value: Any = buf[i : i + size]
            i += size
        elif wire == 0:
            value, i = _varint(buf, i)
        elif wire == 1:
            value, i = buf[i : i + 8], i + 8
        elif wire == 5:
            value, i = buf[i : i + 4], i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if i > n:
            raise ValueError("protobuf message runs past its end")
        yield key >> 3, wire, value


def _item(buf: bytes) -> tuple[str, Any]:
    """A HistoryItem or ConfigItem: its dotted key (nested keys joined by ``/``) and value."""
    parts: list[str] = []
    key = ""
    value: Any = None
    for field, wire, raw in _fields(buf):
        if field == 1:
            key = raw.decode("utf-8", "replace")
        elif field == 2:
            parts.append(raw.decode("utf-8", "replace"))
        elif field == 4 and wire == 0:
            value = bool(raw)
        elif field == 5 and wire == 0:
            value = (raw >> 1) ^ -(raw & 1)  # zigzag (sint64)
        elif field == 6 and wire == 1:
            value = struct.unpack("<d", raw)[0]
        elif field == 16:
            try:
                value = float(raw)  # a plain number, NaN or Infinity: nearly every value
            except ValueError:
                try:
                    value = json.loads(raw)  # a dict, list, string or bool
                except ValueError:
                    value = None
    return "/".join(parts) if parts else key, value


def _config_items(buf: bytes, config: dict[str, Any]) -> None:
    for field, _, raw in _fields(buf):
        if field == 1:
            key, value = _item(raw)
            if key and not key.startswith("_"):  # _wandb: the client's own bookkeeping
                config[key] = value


def _decode(records: list[bytes]) -> tuple[list[dict[str, Any]], dict[str, Any], str | None]:
    """History rows (one per ``wandb.log`` commit), the config, and the run's display name."""
    rows: list[dict[str, Any]] = []
    config: dict[str, Any] = {}
    name: str | None = None
    for rec in records:
        for field, _, raw in _fields(rec):
            if field == 2:  # history
                row: dict[str, Any] = {}
                for f, _, sub in _fields(raw):
                    if f == 1:
                        key, value = _item(sub)
                        row[key] = value
                    elif f == 2:
                        row.setdefault("_step", next((v for g, _, v in _fields(sub) if g == 1), 0))
                rows.append(row)
            elif field == 5:  # a config update
                _config_items(raw, config)
            elif field == 17:  # the run record: its config and display name
                for f, _, sub in _fields(raw):
                    if f == 4:
                        _config_items(sub, config)
                    elif f == 8 and sub:
                        name = sub.decode("utf-8", "replace")
    return rows, config, name


def read_file(path: Path) -> RawRun:
    """Read one ``run-<id>.wandb`` file."""
    data = read_bytes(path)
    warnings: list[str] = []
    if data[:4] != _IDENT:
        from nn_doctor.errors import InputError

        raise InputError(f"{path.name} is not a W&B run file", hint="expected a run-<id>.wandb")
    records, warnings = _chunks(data)
    try:
        rows, config, name = _decode(records)
    except (ValueError, IndexError, struct.error):
        rows, config, name = [], {}, None
        warnings.append(f"{path.name}: a record could not be decoded; no history read")
    cols, col_warnings, ignored = columns(Rows(rows))
    wide = history_columns(cols, len(rows))
    warnings += [*col_warnings, *wide.warnings]
    if not wide.columns.n_records:
        warnings.append(empty_warning(path, "no numeric history in the W&B run"))
    run = str(path.parent) + (f" ({name})" if name else "")
    return raw_run(
        NAME,
        path,
        columns=wide.columns,
        run=run,
        config=config,
        config_sources=[str(path)] if config else [],
        warnings=warnings,
        ignored=[*ignored, *wide.ignored],
        axis=wide.axis,
    )


def read(path: Path) -> list[RawRun]:
    """Read a W&B run file, or the run file in a run folder."""
    if path.is_dir():
        return [read_file(f) for f in claimed_files(path, folder_files)]
    return [read_file(path)]
