"""Parse a CSV log fast *and* keep "blank" (not logged) apart from ``nan`` (a logged NaN).

pandas' C engine turns both a blank cell and the literal ``nan`` into NaN. Reading every cell
as a string to tell them apart is about 25x slower (DECISIONS.md §8), so this module parses
floats natively and recovers the difference only where it can matter:

1. a float column without NaN needs nothing;
2. NaN cells are blanks unless the raw text holds a NaN spelling at all (a few ``bytes.find``
   calls, memchr-fast); when it does, only the columns holding NaN are re-read as strings;
3. columns pandas could not parse as floats (a stray string, ``-Infinity``, padded ``NaN``) are
   re-read as strings and coerced cell by cell: numbers and NaN/inf spellings are values,
   missing-tokens are blanks, anything else is a skipped cell with a warning.

A header line repeated mid-file starts a new segment (Keras ``CSVLogger(append=True)``); a last
line cut short by a crash is dropped with a warning.
"""

from __future__ import annotations

import csv
import io
import warnings as _warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from nn_doctor.errors import InputError
from nn_doctor.readers._common import MISSING_TOKENS, NAN_TOKENS, token_value

if TYPE_CHECKING:
    import pandas as pd

# Raw spellings whose presence means a NaN cell may be a logged value rather than a blank.
_NAN_NEEDLES = (b"nan", b"NaN", b"NAN", b"Nan", b"#IND", b"#QNAN", b"#ind", b"#qnan")


@dataclass(eq=False)
class Column:
    """One numeric column: float values and which cells were logged (not blank)."""

    name: str
    values: np.ndarray
    logged: np.ndarray


@dataclass
class Table:
    """One header segment of a CSV file: its numeric columns, in header order."""

    columns: list[Column]
    n_rows: int
    header: list[str]
    ignored: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    text: dict[str, pd.Series] = field(default_factory=dict)  # requested text columns

    def get(self, name: str) -> Column | None:
        """The column whose stripped, lower-cased name is ``name`` (None if absent)."""
        for col in self.columns:
            if col.name.strip().lower() == name:
                return col
        return None


def separator(header_line: str) -> str:
    """The field separator a header line uses: comma, else tab or semicolon."""
    if "," in header_line:
        return ","
    if "\t" in header_line:
        return "\t"
    if ";" in header_line:
        return ";"
    return ","


def header_fields(line: str) -> list[str]:
    """Split a header line into stripped field names (quotes removed)."""
    sep = separator(line)
    return [f.strip().strip('"').strip() for f in line.strip().split(sep)]


def _segments(buf: bytes) -> tuple[bytes, list[tuple[int, int]]]:
    """The header line and (start, end) byte ranges of each segment that starts with it."""
    nl = buf.find(b"\n")
    header = (buf if nl < 0 else buf[:nl]).rstrip(b"\r")
    bounds = [0]
    if header.strip():
        needle = b"\n" + header
        pos = nl
        while pos >= 0:
            pos = buf.find(needle, pos)
            if pos < 0:
                break
            after = pos + len(needle)
            if after == len(buf) or buf[after : after + 1] in (b"\r", b"\n"):
                bounds.append(pos + 1)
            pos = after
    bounds.append(len(buf))
    return header, [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


def _drop_truncated_tail(seg: bytes, n_fields: int, sep: bytes) -> tuple[bytes, bool]:
    """Drop a last line a crash cut short (no newline, fewer fields than the header)."""
    if not seg or seg.endswith(b"\n"):
        return seg, False
    cut = seg.rfind(b"\n")
    tail = seg[cut + 1 :]
    if tail.strip() and tail.count(sep) + 1 < n_fields:
        return seg[: cut + 1], True
    return seg, False


def read_tables(
    buf: bytes, text_columns: Sequence[str] = (), path: Path | None = None
) -> list[Table]:
    """Parse a CSV log held in ``buf`` into one :class:`Table` per header segment.

    Non-numeric columns named in ``text_columns`` (lower-case) are kept as raw strings in
    :attr:`Table.text` (the metric-name column of a long table) instead of being ignored.
    When the file is one clean segment, pandas reads ``path`` itself: its file reader is about
    twice as fast as reading the same bytes from a ``BytesIO``.
    """
    if buf.startswith(b"\xef\xbb\xbf"):
        buf = buf[3:]
    header, spans = _segments(buf)
    sep = separator(header.decode("utf-8", errors="replace"))
    n_fields = header.count(sep.encode()) + 1
    tables = []
    for k, (start, end) in enumerate(spans):
        seg, cut = _drop_truncated_tail(buf[start:end], n_fields, sep.encode())
        whole = path is not None and len(spans) == 1 and not cut
        source: bytes | Path = path if whole and path is not None else seg
        table = _parse_segment(source, seg, sep, {t.lower() for t in text_columns})
        if cut:
            table.warnings.append(
                "the last line is cut short (a crashed or still-running writer?): read up to the "
                "last complete line"
            )
        if k and not table.n_rows:
            continue  # a repeated header with nothing after it adds no run
        tables.append(table)
    return tables


def _read(source: bytes | Path, sep: str, **kwargs: Any) -> tuple[pd.DataFrame, list[str]]:
    """pandas' C engine with our options; malformed lines are skipped and reported.

    pandas parses a file at half its speed when it is to skip and report bad lines
    (``on_bad_lines="warn"``: 0.69 against 0.34 s on the 1M x 20 CSV, bad lines or not; from
    bytes or a stream both take the slower time). A path is therefore parsed strictly first,
    which gives the same table whenever no line is bad (nearly always); only a parser error (a
    bad line, an unbalanced quote) costs the tolerant parse after it. ``on_bad_lines="error"``
    asks for the strict parse alone: :class:`pandas.errors.ParserError` then reaches the caller.
    """
    import pandas as pd

    if isinstance(source, Path) and "on_bad_lines" not in kwargs:
        try:
            return _pandas(source, sep, "error", kwargs)
        except pd.errors.ParserError:
            pass  # the tolerant parse says what was wrong
    return _pandas(source, sep, kwargs.pop("on_bad_lines", "warn"), kwargs)


def _pandas(
    source: bytes | Path, sep: str, on_bad_lines: Literal["error", "warn"], kwargs: dict[str, Any]
) -> tuple[pd.DataFrame, list[str]]:
    """One ``pandas.read_csv`` of :func:`_read` (the retry with quotes as text included)."""
    import pandas as pd

    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        try:
            df = pd.read_csv(
                io.BytesIO(source) if isinstance(source, bytes) else source,
                sep=sep,
                engine="c",
                # Chunked (pandas' default): ~20 % faster than low_memory=False here. A column
                # whose chunks infer different types comes back as object and is re-read as
                # text below, exactly as a column holding a stray word always is.
                encoding_errors="replace",
                index_col=False,
                on_bad_lines=on_bad_lines,
                **kwargs,
            )
        except pd.errors.EmptyDataError:
            df = pd.DataFrame()
        except pd.errors.ParserError as exc:
            if on_bad_lines == "error":
                raise  # the strict parse: a tolerant one comes next, or the caller decides
            # An unbalanced quote (a damaged file) makes the tokenizer give up: read quotes as
            # plain text instead; the cells they spoil are then reported as not numbers.
            if kwargs.get("quoting") == csv.QUOTE_NONE or not isinstance(source, (bytes, Path)):
                if not isinstance(source, (bytes, Path)):
                    raise  # a stream cannot be re-read: the caller falls back
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "parser error"
                raise InputError(f"not readable as CSV ({reason})") from exc
            return _read(source, sep, quoting=csv.QUOTE_NONE, **kwargs)
    # pandas puts several skipped lines in one message, one per text line: one entry each.
    bad = [
        line.strip()
        for w in caught
        for line in str(w.message).splitlines()
        if "Skipping line" in line
    ]
    return df, bad


def _has_nan_text(seg: bytes) -> bool:
    """Whether a NaN spelling occurs in the data lines at all (memchr-fast when it does not)."""
    start = seg.find(b"\n") + 1
    if seg.find(b"n", start) < 0 and seg.find(b"N", start) < 0:
        return False  # every NaN spelling has an n: a purely numeric body is settled here
    return any(seg.find(needle, start) >= 0 for needle in _NAN_NEEDLES)


def _parse_segment(source: bytes | Path, seg: bytes, sep: str, text_columns: set[str]) -> Table:
    df, bad = _read(source, sep)
    return classify(df, bad, lambda: source, lambda: seg, sep, text_columns)


def classify(
    df: pd.DataFrame,
    bad: list[str],
    source: Callable[[], bytes | Path],
    seg: Callable[[], bytes],
    sep: str,
    text_columns: set[str],
) -> Table:
    """Numeric columns of a parsed segment, blank kept apart from NaN (the module's steps 1-3).

    ``source`` gives what pandas can re-read for raw text, ``seg`` the segment's bytes; both are
    called only when a column needs a second look, so a clean file is never held twice.
    """
    header = [str(c).strip() for c in df.columns]
    table = Table(columns=[], n_rows=len(df), header=header)
    if not len(df):
        return table  # header only: nothing to classify
    if bad:
        lines = "; ".join(bad[:3]) + (" …" if len(bad) > 3 else "")
        table.warnings.append(f"skipped {len(bad)} malformed line(s): {lines}")
    # Which columns need their raw text: unparsed (object) columns always; NaN-holding float
    # columns only when a NaN spelling occurs in the text at all.
    nan_text: bool | None = None  # looked up once, only if a float column holds NaN
    parsed: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    need_text: list[int] = []
    for i, name in enumerate(df.columns):
        s = df.iloc[:, i]
        kind = s.dtype.kind
        if kind in "iuf":
            vals = s.to_numpy(dtype=np.float64)
            nan = np.isnan(vals)
            parsed[i] = (vals, ~nan)
            if kind == "f" and nan.any():
                if nan_text is None:
                    nan_text = _has_nan_text(seg())
                if nan_text:
                    need_text.append(i)
        elif kind == "b":
            table.ignored.append(f"column '{str(name).strip()}': true/false values, not a metric")
        else:
            need_text.append(i)
    float_nan = [i for i in need_text if i in parsed]
    by_line = _nan_cells_by_line(seg(), sep, len(df), float_nan) if float_nan and not bad else None
    if by_line is not None:  # few NaN spellings: found from their lines, no string re-read
        for i, rows in by_line.items():
            parsed[i][1][rows] = True
        need_text = [i for i in need_text if i not in parsed]
    if need_text:
        text = _read_as_text(source(), sep, need_text, len(df), bool(bad))
        for i in need_text:
            raw = text.iloc[:, i if text.shape[1] == df.shape[1] else need_text.index(i)]
            name = header[i]
            if i in parsed:  # float column: only its NaN cells need a look
                vals, logged = parsed[i]
                rows = np.flatnonzero(~logged)
                tokens = raw.iloc[rows].str.strip().str.lower()
                logged[rows] = tokens.isin(NAN_TOKENS).to_numpy()
            else:
                coerced = coerce_text(raw)
                if coerced is None and name.lower() in text_columns:
                    table.text[name.lower()] = raw.astype(str).str.strip()
                    continue
                if coerced is None:
                    example = next((v.strip() for v in raw if v.strip()), "")
                    table.ignored.append(f"column '{name}': not numeric (e.g. {example!r})")
                    continue
                vals, logged, n_bad, first_bad = coerced
                parsed[i] = (vals, logged)
                if n_bad:
                    table.warnings.append(
                        f"column '{name}': {n_bad} cell(s) are not numbers (first {first_bad!r}); "
                        "those cells were skipped"
                    )
    table.columns = [Column(header[i], *parsed[i]) for i in sorted(parsed)]
    return table


def _nan_cells_by_line(
    seg: bytes, sep: str, n_rows: int, cols: list[int]
) -> dict[int, np.ndarray] | None:
    """Rows whose cell in ``cols`` is a NaN spelling, found from the lines that hold one.

    Costs one vectorized newline scan plus work per occurrence, so a long log with a handful of
    ``nan`` cells (a run that diverged at the end) never re-reads whole columns as strings.
    Returns None (use the column re-read) when lines cannot be mapped to rows one-to-one
    (quotes, blank lines) or when the spellings are too many for a per-line look to pay off.
    """
    if b'"' in seg or b"\n\n" in seg or b"\n\r\n" in seg:
        return None
    ends = np.flatnonzero(np.frombuffer(seg, dtype=np.uint8) == 10)
    if len(ends) - (0 if seg.endswith(b"\n") else -1) != n_rows + 1:
        return None
    limit = max(1000, n_rows // 20)
    hits: set[int] = set()
    for needle in _NAN_NEEDLES:
        pos = seg.find(needle, int(ends[0]) + 1 if len(ends) else len(seg))
        while pos >= 0:
            hits.add(int(np.searchsorted(ends, pos)))  # line number; 0 is the header
            if len(hits) > limit:
                return None
            pos = seg.find(needle, pos + len(needle))
    starts = np.r_[0, ends + 1]
    found: dict[int, list[int]] = {i: [] for i in cols}
    for line in sorted(hits):
        end = int(ends[line]) if line < len(ends) else len(seg)
        cells = seg[int(starts[line]) : end].decode("utf-8", errors="replace").split(sep)
        for i in cols:
            if i < len(cells) and cells[i].strip().lower() in NAN_TOKENS:
                found[i].append(line - 1)
    return {i: np.asarray(rows, dtype=np.intp) for i, rows in found.items()}


def _read_as_text(
    source: bytes | Path, sep: str, cols: list[int], n_rows: int, had_bad: bool
) -> pd.DataFrame:
    """Re-read some columns as raw strings, row-aligned with the float pass."""
    opts: dict[str, Any] = {"dtype": str, "keep_default_na": False, "na_filter": False}
    # With usecols pandas does not notice over-long lines, so rows could shift: read all
    # columns whenever the float pass skipped a malformed line.
    text, _ = _read(source, sep, **opts) if had_bad else _read(source, sep, usecols=cols, **opts)
    if len(text) != n_rows:
        text, _ = _read(source, sep, **opts)
    return text


def coerce_text(raw: pd.Series) -> tuple[np.ndarray, np.ndarray, int, str] | None:
    """Coerce a column of strings: (values, logged, n_not_numbers, first_not_number).

    Returns None when the column is not numeric (more cells are words than numbers), so a
    timestamp or a string column is ignored as a whole while one stray word is only skipped.
    """
    import pandas as pd

    stripped = raw.astype(str).str.strip()
    # A copy: pandas 3 may hand back a read-only view, and NaN/inf spellings are filled in below.
    vals = pd.to_numeric(stripped, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    logged = ~np.isnan(vals)
    rows = np.flatnonzero(~logged)
    # Blanks and missing-tokens are the bulk of the NaN cells: classify them in one vector op,
    # and look at the few remaining cells (NaN/inf spellings, stray words) one by one.
    missing = stripped.iloc[rows].str.lower().isin(MISSING_TOKENS).to_numpy()
    n_bad, first_bad = 0, ""
    for r in rows[~missing]:
        token = str(stripped.iat[r])
        v = token_value(token)
        if v is None:
            n_bad += 1
            first_bad = first_bad or token
        else:
            vals[r] = v
            logged[r] = True
    n_num = int(logged.sum())
    if n_num == 0 or n_bad > n_num:
        return None
    return vals, logged, n_bad, first_bad
