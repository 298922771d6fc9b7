"""The TensorBoard fast path must agree with the general decoder: the check, and its fixture.

:func:`check_modes` reads one event file three ways (``general``: struct framer + ``Event.
FromString``; ``fast``: numpy framer + fixed-layout decoder; ``auto``: what users get) on
clones of the same run decoder, and asserts identical results: rows, names and the order they
were registered in, bookkeeping, warnings. :func:`install` wraps the reader's per-file function
so that *every* event file any test in ``tests/readers`` or ``tests/robustness`` reads goes
through this check (the conftests install it for every test).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nn_doctor.readers import _tbfile
from nn_doctor.readers._tbdecode import Decoder

#: Paths checked in this session (the agreement test reports and asserts on it).
CHECKED: set[str] = set()
_ORIGINAL = _tbfile.read_file
_DECODED_FIELDS = ("scalar_tags", "hparams", "ignored", "n_events", "undecodable", "tf2_histograms")


def clone(decoder: Decoder) -> Decoder:
    """An independent copy of a run decoder's state (names, codes, remembered plugins)."""
    twin = Decoder.__new__(Decoder)
    twin.__dict__.update(decoder.__dict__)
    twin.names = list(decoder.names)
    twin._codes = dict(decoder._codes)
    twin.plugins = dict(decoder.plugins)
    return twin


def assert_same(a: _tbfile.FileResult, da: Decoder, b: _tbfile.FileResult, db: Decoder) -> None:
    """Two reads of one file gave the same result (NaN equals NaN; codes and names identical)."""
    where = f"{a.path} ({len(a.cols)} rows)"
    assert a.warnings == b.warnings, where
    assert a.unreadable == b.unreadable, where
    for name in _DECODED_FIELDS:
        assert getattr(a.decoded, name) == getattr(b.decoded, name), (where, name)
    for name in _tbfile.COLUMN_FIELDS:
        x, y = getattr(a.cols, name), getattr(b.cols, name)
        assert x.dtype == y.dtype, (where, name)
        np.testing.assert_array_equal(x, y, err_msg=f"{where}: {name}")
    assert da.names == db.names, where
    assert da.plugins == db.plugins, where


def check_modes(path: Path, prefix: str = "", decoder: Decoder | None = None) -> Any:
    """Read ``path`` in every mode on clones of ``decoder``; assert agreement; the ``auto`` result."""
    decoder = decoder if decoder is not None else Decoder()
    results = {}
    for mode in ("general", "fast"):
        twin = clone(decoder)
        results[mode] = (_ORIGINAL(path, prefix, twin, mode), twin)
    auto = _ORIGINAL(path, prefix, decoder, "auto")
    assert_same(*results["general"], *results["fast"])
    assert_same(*results["general"], auto, decoder)
    CHECKED.add(str(path))
    return auto


def _checked_read_file(
    path: Path, prefix: str, decoder: Decoder, mode: _tbfile.Mode = "auto"
) -> _tbfile.FileResult:
    if mode != "auto":
        return _ORIGINAL(path, prefix, decoder, mode)
    result: _tbfile.FileResult = check_modes(path, prefix, decoder)
    return result


def install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Route every per-file read through :func:`check_modes` for the rest of a test."""
    monkeypatch.setattr(_tbfile, "read_file", _checked_read_file)
