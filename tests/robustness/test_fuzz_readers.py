"""Every reader on damaged copies of a valid log: a best-effort read or a one-line error.

Hypothesis picks a reader's seed (:mod:`tests.robustness.seeds`), one of its files, and a few
mutations (truncation, flipped bits, zeroed or random blocks, deleted or repeated spans), then
reads it with the format forced (the reader must cope with whatever it is handed) and detected
(discovery must cope too). Allowed outcomes: runs whose records have the documented column
types, or an :class:`~nn_doctor.errors.NnDoctorError` with a one-line message (exit code 2).
Anything else is a bug.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from tests.robustness.fuzz import expected_failure, fuzz, tried
from tests.robustness.seeds import SEEDS, write_seed

from nn_doctor.api import read_raw, read_runs

MUTATION = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(1, 255)),
    st.tuples(st.just("zero"), st.floats(0, 1), st.integers(1, 64)),
    st.tuples(st.just("random"), st.floats(0, 1), st.binary(min_size=1, max_size=32)),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 64)),
    st.tuples(st.just("repeat"), st.floats(0, 1), st.integers(1, 64)),
    st.tuples(st.just("replace"), st.binary(max_size=200)),
)


def mutate(data: bytes, ops: list[tuple]) -> bytes:
    """Apply mutations in order; positions are fractions of the current length."""
    buf = bytearray(data)
    for op in ops:
        kind = op[0]
        if kind == "replace":
            buf = bytearray(op[1])
            continue
        pos = min(int(op[1] * len(buf)), max(len(buf) - 1, 0))
        if kind == "truncate":
            del buf[pos:]
        elif not buf:
            continue
        elif kind == "flip":
            buf[pos] ^= op[2]
        elif kind == "zero":
            buf[pos : pos + op[2]] = bytes(len(buf[pos : pos + op[2]]))
        elif kind == "random":
            buf[pos : pos + len(op[2])] = op[2]
        elif kind == "delete":
            del buf[pos : pos + op[2]]
        elif kind == "repeat":
            buf[pos:pos] = buf[pos : pos + op[2]]
    return bytes(buf)


def attempt(fn: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    """``fn()``'s result, or the exception it raised (asserted on outside the handler)."""
    try:
        return fn(), None
    except Exception as exc:
        return None, exc


def check_runs(path: Path, fmt: str | None) -> None:
    """Read ``path``; only well-typed runs or a one-line NnDoctorError may come out."""
    raws, exc = attempt(lambda: read_raw(path, input_format=fmt))
    if exc is not None:
        assert expected_failure(exc), f"{type(exc).__name__}: {exc}"
        return
    for raw in raws:
        rec = raw.records
        assert list(rec.columns) == ["step", "name", "value", "wall_time"]
        assert rec["value"].dtype == np.float64 and rec["wall_time"].dtype == np.float64
        assert all(isinstance(w, str) and "\n" not in w for w in raw.warnings)
    frames, exc = attempt(lambda: read_runs(path, input_format=fmt))
    if exc is not None:
        assert expected_failure(exc), f"{type(exc).__name__}: {exc}"
        return
    for frame in frames:
        assert frame.data["step"].dtype == np.int64


@fuzz(max_examples=240)
@given(
    fmt=st.sampled_from(sorted(SEEDS)),
    which=st.integers(0, 2),
    ops=st.lists(MUTATION, min_size=1, max_size=4),
    detect=st.booleans(),
)
def test_damaged_logs_read_or_fail_cleanly(fmt: str, which: int, ops: list, detect: bool) -> None:
    tried("damaged logs, every reader")
    with tempfile.TemporaryDirectory() as tmp:
        seed = write_seed(fmt, Path(tmp))
        target = seed.files[which % len(seed.files)]
        target.write_bytes(mutate(target.read_bytes(), ops))
        check_runs(seed.path, None if detect else fmt)


@fuzz(max_examples=60)
@given(fmt=st.sampled_from(sorted(SEEDS)), data=st.binary(max_size=512))
def test_arbitrary_bytes_under_every_log_name(fmt: str, data: bytes) -> None:
    """A file named like each format's log but holding anything at all."""
    tried("arbitrary bytes under log names")
    with tempfile.TemporaryDirectory() as tmp:
        seed = write_seed(fmt, Path(tmp))
        for f in seed.files:
            f.write_bytes(data)
        check_runs(seed.path, fmt)
        check_runs(seed.path, None)
