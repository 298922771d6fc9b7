"""JSON lines through pyarrow's multi-threaded reader, when pyarrow happens to be installed.

pyarrow is not a dependency; when it is present (pandas 3 uses it for strings, so it often
is) its JSON reader parses a numeric log in ~0.3 s where the numpy path of :mod:`._jsonfast`
takes ~1 s (500k lines, 2 cores; ``benchmarks/readers_speed.py``). It is used only when its
answer is provably the general reader's (``json.loads`` per line), else ``None``:

* every column is int64 or double (booleans, strings, nested values, null-only columns: no);
* the bytes are valid UTF-8 without control characters but line ends or surrogate escapes,
  and hold no ``Inf`` that is not ``Infinity`` (pyarrow accepts ``Inf``, ``json.loads`` not);
* pyarrow itself refuses what JSON forbids (a cut-off line, a key repeated in a row), and then
  the caller falls back;
* every line starts with ``{`` and gives one row (so rows are the general reader's lines).

Numbers are converted by Arrow's own correctly rounded parser, so values are the same doubles.
Nothing here runs before a process pool forks: ``audit`` starts its workers with ``forkserver``
or ``spawn`` (DECISIONS.md §9).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from nn_doctor.readers._csvcore import Column
from nn_doctor.readers._jsonfast import _CR, _LINE_BREAKS, _NL, _OPEN, Flat
from nn_doctor.readers._scan import count_below, count_outside_ascii_text, positions

_NUMERIC = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "double")


def _pyarrow_json() -> Any:
    try:
        import pyarrow.json as pa_json
    except ImportError:  # optional: the numpy path reads the file
        return None
    return pa_json


def _provable(buf: bytes, arr: Any) -> int | None:
    """The number of rows when pyarrow's lines are the general reader's, else ``None``.

    A few vectorized comparisons (no table look-ups: ``arr == c`` is ~10x cheaper than
    ``table[arr]`` on 100 MB here): every line starts with ``{``; no control character but line
    ends (``str.splitlines`` splits on some that pyarrow keeps inside a line); valid UTF-8
    without U+0085/U+2028/U+2029; no ``Inf`` but ``Infinity``; no surrogate escapes.
    """
    nl = positions(arr, _NL)
    n_lines = len(nl) + (0 if buf.endswith(b"\n") else 1)
    if not n_lines or arr[0] != _OPEN or not (arr[nl[nl < len(arr) - 1] + 1] == _OPEN).all():
        return None
    odd = count_outside_ascii_text(arr)
    n_cr = 0
    if b"\r" in buf:
        cr = positions(arr, _CR)
        if not (arr[np.minimum(cr + 1, len(arr) - 1)] == _NL).all():
            return None  # a lone carriage return: a line break to str.splitlines only
        n_cr = len(cr)
    if odd != len(nl) + n_cr:
        if count_below(arr, 0x20) != len(nl) + n_cr:
            return None  # control characters
        try:
            buf.decode("utf-8")
        except UnicodeDecodeError:
            return None
        if any(b in buf for b in _LINE_BREAKS):
            return None
    big_i = positions(arr, ord("I")) if b"I" in buf else np.empty(0, dtype=np.intp)
    if len(big_i):
        end = len(arr) - 1
        inf = (arr[np.minimum(big_i + 1, end)] == ord("n")) & (
            arr[np.minimum(big_i + 2, end)] == ord("f")
        )
        for idx in big_i[inf].tolist():
            if buf[idx : idx + 8] != b"Infinity":
                return None  # pyarrow reads "Inf"; json.loads does not
    slash = positions(arr, ord("\\")) if b"\\" in buf else np.empty(0, dtype=np.intp)
    if len(slash):
        end = len(arr) - 1
        u = arr[np.minimum(slash + 1, end)] == ord("u")
        d = (arr[np.minimum(slash + 2, end)] | 0x20) == ord("d")
        if (u & d).any():
            return None  # a surrogate escape: lone surrogates decode differently
    return n_lines


def arrow_columns(buf: bytes) -> Flat | None:
    """The file's numeric columns read by pyarrow, or ``None`` (not installed, or not provable)."""
    pa_json = _pyarrow_json()
    if pa_json is None:
        return None
    if buf.startswith(b"\xef\xbb\xbf"):
        buf = buf[3:]
    arr = np.frombuffer(buf, dtype=np.uint8)
    n_rows = _provable(buf, arr) if len(arr) else None
    if n_rows is None:
        return None
    try:
        # pyarrow reads the bytes where they are (a BytesIO is read through Python into a copy:
        # 0.29 against 0.25 s for 500k lines, medians of 9 alternating)
        import pyarrow

        table = pa_json.read_json(pyarrow.BufferReader(buf))
    except Exception:  # ArrowInvalid and friends: not provably what json.loads reads
        return None
    if table.num_rows != n_rows:
        return None  # a line that is not exactly one object
    columns = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        if str(col.type) not in _NUMERIC:
            return None
        logged = ~col.is_null().to_numpy(zero_copy_only=False)
        if not logged.any():
            return None
        values = col.to_numpy(zero_copy_only=False).astype(np.float64, copy=True)
        values[~logged] = np.nan
        columns.append(Column(str(name), values, logged))
    first = buf[: buf.find(b"\n") if b"\n" in buf else len(buf)]
    try:
        first_keys = list(json.loads(first))
    except ValueError:
        return None
    return Flat(columns, table.num_rows, first_keys)
