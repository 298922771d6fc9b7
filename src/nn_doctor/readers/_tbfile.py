"""One event file: read, frame, decode, and describe every problem in one-line warnings.

Two decoders produce the same result (tested on every event file the test suite reads):

* ``"general"``: the struct framer (:mod:`._tfrecord`) and ``Event.FromString`` per record;
* ``"fast"``: the numpy framer (:mod:`._tfrecord_np`) and the fixed-layout scalar decoder
  (:mod:`._tbfast`), which hands every other record to the general decoder.

``"auto"`` (what :func:`read_file` does unless told) uses the general path for small files, where
numpy's fixed costs outweigh a few hundred records, and the numpy framer only when the records
are small (PERF-NOTES: a histogram file's large records are framed faster by the struct loop).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from nn_doctor.errors import InputError
from nn_doctor.readers import _tfrecord
from nn_doctor.readers._tbdecode import Decoded, Decoder, decode_payloads

Mode = Literal["auto", "fast", "general"]

#: Below this many records the general path is faster than numpy's fixed costs (measured).
FAST_MIN_RECORDS = 256
_SAMPLE_RECORDS = 64

#: What a file that is not an event file at all reads as (shown when no file of a run is one).
NO_HEADER = "no valid record header at byte 0 (not an event file, or a corrupt first record)"


@dataclass
class Columns:
    """One file's records as arrays (``codes`` index the run decoder's names)."""

    steps: Any
    codes: Any
    values: Any
    walls: Any

    @classmethod
    def of(cls, d: Decoded) -> Columns:
        import numpy as np

        return cls(
            np.asarray(d.steps, dtype=np.int64),
            np.asarray(d.codes, dtype=np.int64),
            np.asarray(d.values, dtype=np.float64),
            np.asarray(d.walls, dtype=np.float64),
        )

    def __len__(self) -> int:
        return len(self.steps)

    def keep(self, mask: Any) -> Columns:
        return Columns(self.steps[mask], self.codes[mask], self.values[mask], self.walls[mask])


COLUMN_FIELDS = ("steps", "codes", "values", "walls")


@dataclass
class FileResult:
    """What one file gave: decoded rows, bookkeeping, warnings; ``unreadable`` says why not."""

    path: Path
    prefix: str
    decoded: Decoded
    cols: Columns
    warnings: list[str]
    unreadable: str | None = None  # NO_HEADER, or why the file could not be read at all


def read_file(path: Path, prefix: str, decoder: Decoder, mode: Mode = "auto") -> FileResult:
    """Frame and decode one event file, describing every problem in one-line warnings."""
    from nn_doctor.readers._common import empty_warning, read_bytes

    empty = Decoded()
    try:
        buf = read_bytes(path)
    except InputError as exc:  # unreadable, or over the size limit
        return FileResult(path, prefix, empty, Columns.of(empty), [], exc.message)
    if not buf:
        msg = empty_warning(path, "empty file (0 bytes)")
        return FileResult(path, prefix, empty, Columns.of(empty), [msg])
    framing = frame(buf, mode)
    decoded, cols = decode(buf, framing, decoder, prefix, mode)
    if framing.stop == 0 and framing.stop_reason != "truncated":
        return FileResult(path, prefix, decoded, cols, [], NO_HEADER)
    return FileResult(path, prefix, decoded, cols, framing_warnings(path, framing, decoded))


def frame(buf: bytes, mode: Mode = "auto") -> _tfrecord.Framing:
    """Frame ``buf`` with the framer ``mode`` calls for (both give the same framing)."""
    if mode == "general" or (mode == "auto" and not _small_records(buf)):
        return _tfrecord.frame(buf)
    from nn_doctor.readers import _tfrecord_np

    return _tfrecord_np.frame(buf)


def _small_records(buf: bytes) -> bool:
    """Whether the file is big and its first records are small (the numpy framer pays off)."""
    from nn_doctor.readers._tfrecord_np import SMALL_RECORD_BYTES

    if len(buf) < FAST_MIN_RECORDS * SMALL_RECORD_BYTES // 4:
        return False
    view, off = memoryview(buf), 0
    for _ in range(_SAMPLE_RECORDS):
        nxt = _tfrecord.frame_one(view, off, len(buf))
        if isinstance(nxt, str):
            break
        off = nxt
    return off < _SAMPLE_RECORDS * SMALL_RECORD_BYTES


def decode(
    buf: bytes, framing: _tfrecord.Framing, decoder: Decoder, prefix: str, mode: Mode = "auto"
) -> tuple[Decoded, Columns]:
    """Decode the framed records of ``buf`` with the decoder ``mode`` calls for."""
    if mode == "general" or (mode == "auto" and len(framing) < FAST_MIN_RECORDS):
        decoded = decode_payloads(framing.payloads(buf), decoder, prefix)
        return decoded, Columns.of(decoded)
    from nn_doctor.readers._tbfast import decode_records

    rows, decoded = decode_records(buf, framing.starts, framing.ends, decoder, prefix)
    return decoded, Columns(rows.steps, rows.codes, rows.values, rows.walls)


def framing_warnings(path: Path, framing: _tfrecord.Framing, decoded: Decoded) -> list[str]:
    """One line per problem: a truncated tail, a corrupt header, bad payloads, non-events."""
    warnings = []
    kept = decoded.n_events
    if framing.stop_reason == "truncated":
        warnings.append(
            f"{path.name}: truncated at byte {framing.stop} of {framing.size} (cut off "
            f"mid-write, e.g. by a crash); read the {kept} complete records before it"
        )
    elif framing.stop is not None:
        warnings.append(
            f"{path.name}: corrupt record header at byte {framing.stop} of {framing.size} "
            f"(length checksum mismatch); read the {kept} records before it, the remaining "
            f"{framing.size - framing.stop} bytes cannot be located"
        )
    if framing.bad_payload:
        warnings.append(
            f"{path.name}: skipped {len(framing.bad_payload)} record(s) with a bad payload "
            f"checksum (first at byte {framing.bad_payload[0]})"
        )
    if decoded.undecodable:
        warnings.append(
            f"{path.name}: skipped {decoded.undecodable} record(s) that are not TensorBoard events"
        )
    return warnings
