"""Large CSV logs: pandas' C engine on both cores, without holding the file twice.

``pandas.read_csv`` tokenizes and converts with the GIL released, so two threads parsing the two
halves of a file (split at a line end) run on two cores. For a log of a million rows this is the
difference between "as fast as pandas" and "faster than pandas" (``benchmarks/readers_speed.py``);
on a one-core machine it costs nothing measurable.

The split is only taken when it cannot change the result of reading the file whole
(:func:`._csvcore.read_tables`); otherwise ``None`` sends the caller to that path:

* the file has no ``"`` (a quoted field may hold a line end) and its header line is not all
  numbers;
* each half parses without malformed lines (their messages carry line numbers), to the same
  column kinds (an int column in one half and a float one in the other is fine);
* no text column holds its own header name (a header repeated mid-file, Keras' append mode:
  segments are the whole-file reader's business).

A last line cut short by a crash is left out before parsing, as the whole-file reader does.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nn_doctor.readers._common import check_size, read_bytes
from nn_doctor.readers._csvcore import Table, classify, read_tables, separator

if TYPE_CHECKING:
    import pandas as pd

#: Files at least this big are parsed in parallel (smaller ones: thread start-up is not worth it).
PARALLEL_MIN_BYTES = 32 * 1024 * 1024
_PEEK = 1 << 16
_TRUNCATED = (
    "the last line is cut short (a crashed or still-running writer?): read up to the last "
    "complete line"
)


def _workers() -> int:
    from nn_doctor.readers._common import spare_workers

    return spare_workers()


def _read_range(path: Path, start: int, end: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(start)
        return fh.read(end - start)


class _Range(io.RawIOBase):
    """Bytes ``start:end`` of a file as a stream pandas reads in chunks (no copy of the range).

    Reading the range into one ``bytes`` first costs an allocation and a copy of half the file
    per thread (~0.3 s for 190 MB here); pandas' own chunked reads from a stream cost nothing
    beside parsing. It also notes whether any chunk held a ``"``.
    """

    def __init__(self, path: Path, start: int, end: int) -> None:
        super().__init__()
        self._fh = open(path, "rb", buffering=0)  # noqa: SIM115 - closed in close()
        self._fh.seek(start)
        self._left = end - start
        self.quoted = False

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = min(len(b), self._left)
        if n <= 0:
            return 0
        got = self._fh.readinto(memoryview(b)[:n]) or 0
        chunk = b if isinstance(b, bytearray) else memoryview(b)[:got].tobytes()
        if chunk.find(b'"', 0, got) >= 0:
            self.quoted = True
        self._left -= got
        return got

    def close(self) -> None:
        self._fh.close()
        super().close()


def _plan(path: Path, size: int) -> tuple[bytes, str, list[int], int] | None:
    """Header line, separator, split offsets and the end of the last complete line (or None)."""
    with open(path, "rb") as fh:
        head = fh.read(_PEEK)
        fh.seek(max(0, size - _PEEK))
        tail = fh.read(_PEEK)
    nl = head.find(b"\n")
    if nl < 0 or b'"' in head or b'"' in tail:
        return None
    header = head[:nl].rstrip(b"\r")
    text = header.decode("utf-8", errors="replace").lstrip("\ufeff")
    sep = separator(text)
    fields = [f.strip() for f in text.split(sep)]
    if not any(fields) or all(_is_number(f) for f in fields):
        return None
    end = size
    if not tail.endswith(b"\n"):  # a last line without its newline: complete or cut short?
        last = tail[tail.rfind(b"\n") + 1 :]
        if last.strip() and last.count(sep.encode()) + 1 < len(fields):
            end = size - len(last)
    cuts = [nl + 1]
    n = _workers()
    with open(path, "rb") as fh:
        for k in range(1, n):
            fh.seek(max(nl + 1, end * k // n))
            window = fh.read(_PEEK)
            at = window.find(b"\n")
            if at < 0:
                return None
            cuts.append(fh.tell() - len(window) + at + 1)
    cuts.append(end)
    if any(b <= a for a, b in pairwise(cuts)):
        return None
    return head[: nl + 1], sep, cuts, end


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_large(path: Path, size: int, text_columns: set[str]) -> list[Table] | None:
    """The file's one table, parsed in parallel; ``None`` when the whole-file path must read it."""
    import numpy as np
    import pandas as pd

    from nn_doctor.readers._csvcore import _read

    plan = _plan(path, size)
    if plan is None:
        return None
    header_line, sep, cuts, end = plan
    names = list(pd.read_csv(io.BytesIO(header_line), sep=sep, nrows=0, index_col=False).columns)

    def parse(k: int) -> tuple[pd.DataFrame, list[str], bool]:
        with _Range(path, 0 if k == 0 else cuts[k], cuts[k + 1]) as stream:
            if k == 0:
                df, bad = _read(stream, sep)  # type: ignore[arg-type]
            else:
                df, bad = _read(stream, sep, header=None, names=names)  # type: ignore[arg-type]
            return df, bad, stream.quoted

    def attempt(k: int) -> tuple[pd.DataFrame, list[str], bool] | None:
        try:
            return parse(k)
        except Exception:  # e.g. an unbalanced quote: the whole-file reader knows what to do
            return None

    with ThreadPoolExecutor(max_workers=len(cuts) - 1) as pool:
        results = list(pool.map(attempt, range(len(cuts) - 1)))
    parts = [r for r in results if r is not None]
    if len(parts) < len(results) or any(bad or quoted for _, bad, quoted in parts):
        return None
    frames = [df for df, _, _ in parts]
    if any(list(df.columns) != names for df in frames) or not _same_kinds(frames):
        return None
    columns: dict[str, Any] = {}
    for i, name in enumerate(names):
        arrays = [df.iloc[:, i] for df in frames]
        if all(a.dtype.kind in "iuf" for a in arrays):
            columns[name] = np.concatenate([a.to_numpy(dtype=np.float64) for a in arrays])
        else:
            joined = pd.concat(arrays, ignore_index=True)
            if (joined.astype(str).str.strip() == str(name).strip()).any():
                return None  # a repeated header line: segments
            columns[name] = joined
    df = pd.DataFrame(columns, copy=False)
    cache: dict[str, bytes] = {}

    def seg() -> bytes:
        if "buf" not in cache:
            data = _read_range(path, 0, end)
            cache["buf"] = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        return cache["buf"]

    def source() -> bytes | Path:
        return path if end == size else seg()

    table = classify(df, [], source, seg, sep, text_columns)
    if end != size:
        table.warnings.append(_TRUNCATED)
    return [table]


def _same_kinds(frames: list[Any]) -> bool:
    """Whether every column parsed to the same kind in every part (ints and floats mix)."""
    kinds = [["f" if k in "iu" else k for k in (d.kind for d in df.dtypes)] for df in frames]
    return all(k == kinds[0] for k in kinds[1:])


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
    if size >= PARALLEL_MIN_BYTES:
        tables = read_large(path, size, {t.lower() for t in text_columns})
        if tables is not None:
            return tables
    return read_tables(read_bytes(path), text_columns, path=path)
