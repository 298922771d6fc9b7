"""Generated CSV and JSON-lines logs: odd cells, odd names, odd bytes; and the fast paths.

CSV cells are numbers (huge, tiny, negative zero), NaN/inf in every spelling, blanks, missing
tokens, stray words, quoted text with separators and line ends, invalid UTF-8; names are
unicode, blank or repeated; separators, line ends, a BOM and a cut-off last line vary. JSON
lines hold numbers, NaN/Infinity, null, booleans, strings and nested values under unicode keys.

Properties: the reader returns well-typed records or a one-line ``InputError``; a purely
numeric table comes back cell for cell; the streamed CSV path for large files gives what the whole-file path
gives (or declines); the vectorized JSON-lines path gives what ``json.loads`` per line gives (or
declines).
"""

from __future__ import annotations

import importlib.util
import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.robustness.fuzz import fuzz, tried

from nn_doctor.errors import InputError
from nn_doctor.readers import _csvlarge, csv_table, jsonl
from nn_doctor.readers._csvcore import read_tables
from nn_doctor.readers._jsonfast import flat_columns
from nn_doctor.readers._jsonrows import columns, parse_lines

NUMBERS = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1e308", "-1e308", "5e-324", "-0.0", "0", "1E5", "2.5e-300"]),
)
SPECIAL = st.sampled_from(
    ["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "-Infinity", "NA", "null", "", " "]
)
WORDS = st.sampled_from(["oops", "tensor(0.5)", "1,5", '"a,b"', '"x\ny"', "N/A", "true", "—"])
CELL = st.one_of(NUMBERS, NUMBERS, NUMBERS, SPECIAL, WORDS)
NAMES = st.sampled_from(
    ["step", "epoch", "loss", "val_loss", "lr", "损失", "ü/acc", "", " loss ", "loss", "time"]
)


@st.composite
def csv_text(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A CSV log's bytes, and whether every cell is a plain number or blank."""
    sep = draw(st.sampled_from([",", ",", "\t", ";"]))
    names = draw(st.lists(NAMES, min_size=1, max_size=6))
    n_rows = draw(st.integers(0, 12))
    numeric = draw(st.booleans())
    cell = st.one_of(NUMBERS, st.just("")) if numeric else CELL
    rows = [[draw(cell) for _ in names] for _ in range(n_rows)]
    end = draw(st.sampled_from(["\n", "\r\n"]))
    text = end.join([sep.join(names), *(sep.join(r) for r in rows)]) + end
    data = text.encode("utf-8")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 5)) == 0:  # invalid UTF-8 somewhere
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\xff\xfe" + data[at:]
        numeric = False
    if draw(st.integers(0, 5)) == 0:  # a crash mid-write
        data = data[: draw(st.integers(0, len(data)))]
        numeric = False
    plain = (
        numeric and sep == "," and len(set(names)) == len(names) and all(n.strip() for n in names)
    )
    return data, plain


def read_csv_file(path: Path) -> list:
    try:
        return csv_table.read(path)
    except InputError as exc:
        message = exc.message
    assert "\n" not in message
    return []


@fuzz(max_examples=150)
@given(case=csv_text())
def test_generated_csv_logs(case: tuple[bytes, bool]) -> None:
    tried("CSV: generated logs")
    data, plain = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.csv"
        path.write_bytes(data)
        runs = read_csv_file(path)
        for raw in runs:
            assert raw.records["value"].dtype == np.float64
            assert all("\n" not in w for w in raw.warnings)
        if plain and runs:
            check_numeric_table(data, runs)


def check_numeric_table(data: bytes, runs: list) -> None:
    """Every non-blank cell of a numeric table comes back as its float, per column."""
    text = data.decode("utf-8").lstrip("\ufeff")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    names = [n.strip() for n in lines[0].split(",")]
    (raw,) = runs
    rec = raw.records
    axis = next((n for n in names if n in ("step", "epoch")), None)
    for j, name in enumerate(names):
        if name == axis or name == "time":
            continue
        cells = [ln.split(",")[j] for ln in lines[1:]]
        want = [float(c) for c in cells if c.strip()]
        got = rec.loc[rec["name"].astype(str) == name, "value"].tolist()
        if name == "epoch" or (axis is not None and not _whole_numbers(lines, names.index(axis))):
            continue  # emitted once per step, or the axis column itself was unusable
        assert got == want, name


def _whole_numbers(lines: list[str], j: int) -> bool:
    cells = [ln.split(",")[j] for ln in lines[1:]]
    vals = [float(c) for c in cells if c.strip()]
    return len(vals) == len(cells) and all(
        math.isfinite(v) and v == int(v) and abs(v) < 2**62 for v in vals
    )


@fuzz(max_examples=80)
@given(case=csv_text(), room=st.booleans())
def test_streamed_csv_path_matches_the_whole_file(case: tuple[bytes, bool], room: bool) -> None:
    """The large-file reader, parsing the path itself or a stream (``room`` for a copy of the
    file in memory or not), reads what the whole-file reader reads."""
    tried("CSV: streamed path vs whole file")
    data, _ = case
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        mp.setattr(_csvlarge, "LARGE_BYTES", 0)
        mp.setattr(_csvlarge, "_room_for_a_copy", lambda size: room)
        path = Path(tmp) / "log.csv"
        path.write_bytes(data)
        streamed = _csvlarge.read_large(path, len(data), set()) if data else None
        if streamed is None:
            return
        whole = read_tables(data, path=path)
        assert len(streamed) == len(whole) == 1
        a, b = streamed[0], whole[0]
        assert (a.n_rows, a.header, a.warnings, a.ignored) == (
            b.n_rows,
            b.header,
            b.warnings,
            b.ignored,
        )
        assert [c.name for c in a.columns] == [c.name for c in b.columns]
        for x, y in zip(a.columns, b.columns, strict=True):
            np.testing.assert_array_equal(x.values, y.values)
            np.testing.assert_array_equal(x.logged, y.logged)


KEYS = st.sampled_from(
    ["_step", "step", "loss", "val/loss", "lr", "损失", "ü", "a:b", "x,y", "{k}", ""]
)
JSON_VALUES = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(),
    st.booleans(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), max_size=2),
)
FLAT_VALUES = st.one_of(
    st.floats(), st.floats(), st.integers(-(10**15), 10**15), st.sampled_from([None, 0, -0.0])
)


@st.composite
def jsonl_bytes(draw: st.DrawFn) -> bytes:
    values = JSON_VALUES if draw(st.integers(0, 3)) == 0 else FLAT_VALUES
    rows = draw(st.lists(st.dictionaries(KEYS, values, max_size=5), min_size=0, max_size=15))
    seps = draw(st.sampled_from([None, (",", ":"), (", ", ": ")]))
    ascii_only = draw(st.integers(0, 3)) == 0  # \u escapes: the general reader's business
    end = draw(st.sampled_from(["\n", "\r\n"]))
    data = "".join(json.dumps(r, separators=seps, ensure_ascii=ascii_only) + end for r in rows)
    buf = data.encode("utf-8")
    damage = draw(st.integers(0, 8))
    if damage == 0 and buf:  # a crash mid-write
        buf = buf[: draw(st.integers(0, len(buf)))]
    elif damage == 1 and buf:  # a flipped byte
        at = draw(st.integers(0, len(buf) - 1))
        buf = buf[:at] + bytes([buf[at] ^ draw(st.integers(1, 255))]) + buf[at + 1 :]
    return buf


def _arrow_columns(buf: bytes):
    pytest.importorskip("pyarrow.json")
    from nn_doctor.readers._jsonarrow import arrow_columns

    return arrow_columns(buf)


@fuzz(max_examples=200)
@given(buf=jsonl_bytes())
def test_jsonl_fast_path_agrees_with_json_loads(buf: bytes) -> None:
    tried("JSON lines: numpy path vs json.loads")
    assert_same_as_json_loads(buf, flat_columns(buf), "numpy")


@fuzz(max_examples=150)
@given(buf=jsonl_bytes())
def test_jsonl_pyarrow_path_agrees_with_json_loads(buf: bytes) -> None:
    """pyarrow is optional: skipped where it is not installed."""
    tried("JSON lines: pyarrow path vs json.loads")
    assert_same_as_json_loads(buf, _arrow_columns(buf), "pyarrow")


def assert_same_as_json_loads(buf: bytes, fast, label: str) -> None:
    if fast is None:
        return
    tried(f"JSON lines: {label} path taken")
    rows = parse_lines(buf.decode("utf-8", errors="replace").lstrip("\ufeff"))
    cols, warnings, ignored = columns(rows)
    assert fast.n_rows == len(rows.rows)
    assert fast.warnings == [*rows.warnings, *warnings]
    assert fast.ignored == ignored
    assert [c.name for c in fast.columns] == [c.name for c in cols]
    for a, b in zip(fast.columns, cols, strict=True):
        np.testing.assert_array_equal(a.logged, b.logged)
        np.testing.assert_array_equal(a.values[a.logged], b.values[b.logged])


@fuzz(max_examples=80)
@given(buf=jsonl_bytes())
def test_generated_jsonl_logs_read(buf: bytes) -> None:
    tried("JSON lines: generated logs")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "metrics.jsonl"
        path.write_bytes(buf)
        for raw in jsonl.read(path):
            assert raw.records["value"].dtype == np.float64
            assert all("\n" not in w for w in raw.warnings)


@fuzz(max_examples=100)
@given(
    rows=st.lists(
        st.dictionaries(KEYS, st.one_of(st.floats(), st.integers(-(10**15), 10**15)), max_size=6),
        min_size=1,
        max_size=20,
    ),
    seps=st.sampled_from([None, (",", ":")]),
)
def test_jsonl_fast_path_takes_flat_numeric_logs(rows: list[dict], seps: tuple | None) -> None:
    """What JSON writers emit for numeric logs is always read by the fast path, exactly."""
    tried("JSON lines: flat numeric logs")
    buf = "".join(json.dumps(r, separators=seps, ensure_ascii=False) + "\n" for r in rows).encode()
    if all(not r for r in rows):
        return  # only "{}" lines: nothing to read either way
    fast = flat_columns(buf)
    assert fast is not None
    check_flat(fast, rows)
    if importlib.util.find_spec("pyarrow") is not None:
        arrow = _arrow_columns(buf)
        assert arrow is not None
        check_flat(arrow, rows)


def check_flat(fast, rows: list[dict]) -> None:
    by_key: dict[str, list[float]] = {}
    for r in rows:
        for k, v in r.items():
            by_key.setdefault(k, []).append(float(v))
    assert [c.name for c in fast.columns] == list(by_key)
    for c in fast.columns:
        np.testing.assert_array_equal(c.values[c.logged], np.array(by_key[c.name]))
