"""Large CSV logs read in one pass, without reading the file's bytes first.

The whole-file reader (:func:`._csvcore.read_tables`) first reads the file's bytes to find
repeated header lines (appended runs) and a cut-off last line, then pandas reads the file again.
For a log of hundreds of MB that first read costs a second copy of the file in memory (~370 MB
for 1M rows x 20 columns) and ~0.2-0.3 s. Here only the head and the tail are read: pandas
parses the file (itself when a copy fits in free memory, else from a stream that stops before a
cut-off last line: see :func:`_parse`), and a repeated header is recognized after parsing (it
turns every column it crosses into text holding the column's own name), in which case ``None``
sends the caller to the whole-file reader, as do an all-numeric header line and a parse error
(an unbalanced quote: that reader knows what to do with it).

Why not two threads on two halves? Measured here: pandas' C parser keeps the GIL while it
parses, so two threads take twice the CPU time of one half, in twice its wall time; a split
would cost an extra pass and never gain.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nn_doctor.readers._common import check_size, read_bytes
from nn_doctor.readers._csvcore import Table, _read, classify, read_tables, separator

if TYPE_CHECKING:
    import pandas as pd

#: Files at least this big are streamed (below it, holding the bytes costs nothing worth it).
LARGE_BYTES = 32 * 1024 * 1024
_PEEK = 1 << 16
_TRUNCATED = (
    "the last line is cut short (a crashed or still-running writer?): read up to the last "
    "complete line"
)


class _Range(io.RawIOBase):
    """Bytes ``0:end`` of a file as a stream pandas reads in chunks (a cut-off tail left out)."""

    def __init__(self, path: Path, end: int) -> None:
        super().__init__()
        self._fh = open(path, "rb", buffering=0)  # noqa: SIM115 - closed in close()
        self._left = end

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = min(len(b), self._left)
        if n <= 0:
            return 0
        got = self._fh.readinto(memoryview(b)[:n]) or 0
        self._left -= got
        return got

    def close(self) -> None:
        self._fh.close()
        super().close()


def _plan(path: Path, size: int) -> tuple[str, int] | None:
    """The separator and where the last complete line ends (``None``: not for this path)."""
    with open(path, "rb") as fh:
        head = fh.read(_PEEK)
        fh.seek(max(0, size - _PEEK))
        tail = fh.read(_PEEK)
    nl = head.find(b"\n")
    if nl < 0:
        return None
    text = head[:nl].rstrip(b"\r").decode("utf-8", errors="replace").lstrip("\ufeff")
    sep = separator(text)
    fields = [f.strip() for f in text.split(sep)]
    if not any(fields) or all(_is_number(f) for f in fields):
        return None  # no header line to recognize a repeat of
    end = size
    if not tail.endswith(b"\n"):  # a last line without its newline: complete or cut short?
        last = tail[tail.rfind(b"\n") + 1 :]
        if last.strip() and last.count(sep.encode()) + 1 < len(fields):
            end = size - len(last)
    return sep, end


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_large(path: Path, size: int, text_columns: set[str]) -> list[Table] | None:
    """The file's one table, streamed; ``None`` when the whole-file reader must read it."""
    import pandas as pd

    plan = _plan(path, size)
    if plan is None:
        return None
    sep, end = plan
    try:
        df, bad = _parse(path, size, end, sep)
    except (pd.errors.ParserError, ValueError):
        return None
    for name in df.columns:
        column = df[name]
        if column.dtype.kind not in "iufb" and _holds(column, str(name)):
            return None  # a repeated header line: segments are the whole-file reader's
    cache: dict[str, bytes] = {}

    def seg() -> bytes:
        if "buf" not in cache:
            with open(path, "rb") as fh:
                data = fh.read(end)
            cache["buf"] = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        return cache["buf"]

    def source() -> bytes | Path:
        return path if end == size else seg()

    table = classify(df, bad, source, seg, sep, text_columns)
    if end != size:
        table.warnings.append(_TRUNCATED)
    return [table]


def _parse(path: Path, size: int, end: int, sep: str) -> tuple[pd.DataFrame, list[str]]:
    """pandas' parse of bytes ``0:end`` of the file.

    A complete file is parsed from its path, strictly: pandas' fast case (see
    :func:`._csvcore._read`; on the 1M x 20 CSV, medians of 4 alternating benchmark rounds at
    load ~3: 0.66 against 0.75 s streamed, pandas itself 0.61 s), with its bytes as they are
    (no decompression guessed from the name). That case holds a copy of the file while it
    parses (peak 807 against 423 MB there, as pandas' own ``read_csv``), so it is taken only
    when a copy fits comfortably in free memory (:func:`_room_for_a_copy`). Otherwise, and for
    a bad line, a cut-off last line, or a file that grew while it was parsed (a writer still
    appending), pandas parses a stream that stops at ``end``, skipping and reporting bad lines.
    """
    import pandas as pd

    if end == size and _room_for_a_copy(size):
        try:
            df, bad = _read(path, sep, on_bad_lines="error", compression=None)
        except pd.errors.ParserError:
            pass
        else:
            with contextlib.suppress(OSError):
                if os.stat(path).st_size == size:
                    return df, bad
    with _Range(path, end) as stream:
        return _read(stream, sep)  # type: ignore[arg-type]


def _room_for_a_copy(size: int) -> bool:
    """Whether free physical memory holds four copies of ``size`` bytes (False if unknown)."""
    try:
        free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not Linux: stream
        return False
    return 4 * size <= free


def _holds(column: pd.Series, name: str) -> bool:
    """Whether a text column holds its own header name (a header line repeated mid-file)."""
    return bool((column.astype(str).str.strip() == name.strip()).any())


def read_file_tables(path: Path, text_columns: Sequence[str] = ()) -> list[Table]:
    """Every header segment of the CSV log at ``path`` as a :class:`Table` (the readers' entry).

    Large files go through :func:`read_large`; small ones, and large ones it declines, through
    :func:`._csvcore.read_tables` on the whole file's bytes.
    """
    check_size(path)
    try:
        size = os.stat(path).st_size
    except OSError:
        size = 0  # read_bytes reports it
    if size >= LARGE_BYTES:
        tables = read_large(path, size, {t.lower() for t in text_columns})
        if tables is not None:
            return tables
    return read_tables(read_bytes(path), text_columns, path=path)
