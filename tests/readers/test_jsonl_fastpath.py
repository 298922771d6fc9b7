"""The vectorized JSON-lines path against the general reader (``json.loads`` per line).

Every case is read both ways and must give the same columns, or the fast path must decline
(return ``None``) so the general reader reads it. Cases where declining would be a missed
speed-up are marked as taken.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from nn_doctor.readers._jsonfast import flat_columns
from nn_doctor.readers._jsonrows import columns, parse_lines


def general(buf: bytes):
    rows = parse_lines(buf.decode("utf-8", errors="replace").lstrip("\ufeff"))
    cols, warnings, ignored = columns(rows)
    return cols, len(rows.rows), [*rows.warnings, *warnings], ignored


def assert_agrees(buf: bytes, *, taken: bool | None = None, reader=flat_columns) -> None:
    fast = reader(buf)
    if taken is True:
        assert fast is not None
    if taken is False:
        assert fast is None
    if fast is None:
        return
    cols, n_rows, warnings, ignored = general(buf)
    assert fast.n_rows == n_rows
    assert [c.name for c in fast.columns] == [c.name for c in cols]
    for a, b in zip(fast.columns, cols, strict=True):
        np.testing.assert_array_equal(a.logged, b.logged, err_msg=a.name)
        np.testing.assert_array_equal(a.values[a.logged], b.values[b.logged], err_msg=a.name)
    assert fast.warnings == warnings
    assert fast.ignored == ignored


def lines(*rows: dict, sep: str = "\n", **dumps) -> bytes:
    return (sep.join(json.dumps(r, **dumps) for r in rows) + sep).encode()


ROWS = [
    {"_step": i, "loss": 1.0 / (i + 1), "lr": 1e-3 * 0.5**i, "epoch": i // 3} for i in range(12)
]


CASES = [
    ("json.dumps", lines(*ROWS), True),
    ("compact", lines(*ROWS, separators=(",", ":")), True),
    ("crlf", lines(*ROWS, sep="\r\n"), True),
    ("no final newline", lines(*ROWS)[:-1], True),
    ("bom", b"\xef\xbb\xbf" + lines(*ROWS), True),
    ("keys vary", lines({"a": 1}, {"b": 2.5}, {"a": 3, "b": 4}, {}), True),
    ("nan inf null", lines({"a": math.nan, "b": None}, {"a": math.inf, "b": -math.inf}), True),
    ("only null", lines({"a": None, "b": 1}, {"a": None, "b": 2}), False),
    (
        "unicode keys",
        lines({"损失": 1.0, "ü/acc": 0.5}, {"损失": 0.5}, ensure_ascii=False),
        True,
    ),
    ("escaped unicode", lines({"损失": 1.0}), False),  # \u escapes: the general reader
    ("surrogate pair", b'{"\\ud83d\\ude00": 1}\n', False),
    ("lone surrogate", b'{"\\ud800": 1}\n', False),
    ("tiny and huge", lines({"a": 5e-324, "b": 1.7976931348623157e308, "c": -0.0}), True),
    ("ints", lines({"a": 2**53 + 1, "b": -(2**63), "c": 0}), True),
    ("big int", lines({"a": 10**30}), False),
    ("string value", lines({"a": 1, "tag": "x"}), False),
    ("bool value", lines({"a": 1, "done": True}), False),
    ("nested", lines({"a": {"b": 1}}), False),
    ("list", lines({"a": [1, 2]}), False),
    ("repeated key", b'{"a": 1, "a": 2}\n', False),
    ("blank line", lines(*ROWS[:2]) + b"\n" + lines(*ROWS[2:4]), False),
    ("truncated tail", lines(*ROWS) + b'{"_step": 12, "loss": 0.0', True),
    ("truncated mid-number", lines(*ROWS) + b'{"_step": 12, "loss": 0.', True),
    ("truncated in key", lines(*ROWS) + b'{"_step": 12, "lo', True),
    ("not an object last", lines(*ROWS) + b"[1, 2]", False),
    ("broken line inside", lines(*ROWS[:3]) + b'{"a": }\n' + lines(*ROWS[3:]), False),
    ("plus sign", b'{"a": +1}\n', False),
    ("leading dot", b'{"a": .5}\n', False),
    ("trailing dot", b'{"a": 1.}\n', False),
    ("leading zero", b'{"a": 01}\n', False),
    ("negative leading zero", b'{"a": -01}\n', False),
    ("exponents", b'{"a": 1e5, "b": 1E+05, "c": -2.5e-3, "d": 0e0}\n', True),
    ("bad exponent", b'{"a": 1e}\n', False),
    ("two dots", b'{"a": 1.2.3}\n', False),
    ("lowercase inf", b'{"a": inf}\n', False),
    ("nan spelled", b'{"a": nan}\n', False),
    ("space before colon", b'{"a" : 1}\n', False),
    ("two spaces", b'{"a":  1}\n', False),
    ("tab", b'{"a":\t1}\n', False),
    ("control char in key", b'{"a\x01": 1}\n', False),
    ("invalid utf8 key", b'{"\xff": 1}\n', False),
    ("line separator in key", '{"a\u2028b": 1}\n'.encode(), False),
    ("empty file", b"", False),
    ("only newlines", b"\n\n", False),
    ("empty objects", b"{}\n{}\n", False),
]


@pytest.mark.parametrize(("case", "buf", "taken"), CASES, ids=[c[0] for c in CASES])
def test_fast_path_agrees_or_declines(case: str, buf: bytes, taken: bool | None) -> None:
    assert_agrees(buf, taken=taken)


def test_truncated_tail_warns_like_the_general_reader() -> None:
    buf = lines(*ROWS) + b'{"_step": 12, "loss": 0.0'
    fast = flat_columns(buf)
    assert fast is not None and fast.n_rows == 12
    assert fast.warnings == general(buf)[2]
    assert len(fast.warnings) == 1 and "not complete JSON" in fast.warnings[0]


def test_large_file_in_two_threads_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("nn_doctor.readers._common.spare_workers", lambda limit=2: 2)
    rng = np.random.default_rng(0)
    vals = rng.standard_normal((120_000, 2)) * 10.0 ** rng.integers(-300, 300, (120_000, 2))
    rows = [{"step": i, "a": float(a), "b": float(b)} for i, (a, b) in enumerate(vals)]
    buf = lines(*rows)
    fast = flat_columns(buf)
    assert fast is not None  # 360k values: parsed in two halves
    np.testing.assert_array_equal(fast.columns[1].values, vals[:, 0])
    assert_agrees(buf)


@pytest.mark.parametrize("threads", [1, 2])
def test_values_in_many_chunks_agree(monkeypatch: pytest.MonkeyPatch, threads: int) -> None:
    """Values parsed in chunks of 5, keys hashed in blocks of 3, scans in blocks of 7 bytes:
    the same columns."""
    monkeypatch.setattr("nn_doctor.readers._jsonfast._CHUNK_VALUES", 5)
    monkeypatch.setattr("nn_doctor.readers._jsonfast._KEY_BLOCK", 3)
    monkeypatch.setattr("nn_doctor.readers._jsonfast._THREADED_VALUES", 0)
    monkeypatch.setattr("nn_doctor.readers._scan.BLOCK", 7)
    monkeypatch.setattr("nn_doctor.readers._common.spare_workers", lambda limit=2: threads)
    for _, buf, taken in CASES:
        assert_agrees(buf, taken=taken)


@pytest.mark.parametrize("block", [1, 2, 3, 1 << 16])
def test_key_hash_collisions_decline_in_a_block_and_across_blocks(
    monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """With every key hashing alike, two keys meet in one block or in two: always declined."""
    buf = lines(*ROWS)
    monkeypatch.setattr("nn_doctor.readers._jsonfast._KEY_BLOCK", block)
    assert_agrees(buf, taken=True)
    monkeypatch.setattr("nn_doctor.readers._jsonfast._HASH_MUL", np.uint64(0))
    assert_agrees(buf, taken=False)
    assert_agrees(lines(*[{"loss": float(i)} for i in range(5)]), taken=True)  # one key: fine


def test_block_scans_equal_whole_array_scans(monkeypatch: pytest.MonkeyPatch) -> None:
    from nn_doctor.readers import _scan

    rng = np.random.default_rng(1)
    arr = rng.integers(0, 256, 1000).astype(np.uint8)
    arr[rng.integers(0, 1000, 50)] = 10
    for block in (1, 7, 64, 1 << 22):
        monkeypatch.setattr(_scan, "BLOCK", block)
        np.testing.assert_array_equal(_scan.positions(arr, 10), np.flatnonzero(arr == 10))
        np.testing.assert_array_equal(
            _scan.positions(arr, 10, stop=333), np.flatnonzero(arr[:333] == 10)
        )
        assert _scan.count_below(arr, 0x20) == np.count_nonzero(arr < 0x20)
        odd = np.count_nonzero((arr < 0x20) | (arr >= 0x80))
        assert _scan.count_outside_ascii_text(arr) == odd
    assert len(_scan.positions(arr[:0], 10)) == 0


def test_pyarrow_path_agrees_or_declines() -> None:
    """The optional pyarrow reader on the same cases: equal to json.loads, or it declines."""
    pytest.importorskip("pyarrow.json")
    from nn_doctor.readers._jsonarrow import arrow_columns

    for _, buf, _ in CASES:
        assert_agrees(buf, reader=arrow_columns)
    for name in ("json.dumps", "compact", "crlf", "keys vary", "nan inf null", "escaped unicode"):
        buf = next(b for n, b, _ in CASES if n == name)
        assert_agrees(buf, reader=arrow_columns, taken=True)
