"""A reader's columns and the long records they make must give the same frame: the check, and
its fixture.

:func:`build_frame` builds the frame straight from :class:`~nn_doctor.frame.Columns` (the CSV
family's readers hand those over) and leaves what that route does not cover to the long one.
:func:`install` wraps the direct route so that *every* frame any test in ``tests/readers`` or
``tests/robustness`` builds from columns is built the long way too and compared (the conftests
install it for every test), on top of the generated tables of ``test_columns.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import pytest

from nn_doctor import frame as frame_module
from nn_doctor.frame import Columns, RawRun, RunFrame, build_frame

#: Frames checked in this session.
CHECKED: list[int] = [0]
_ORIGINAL = frame_module._from_columns


def assert_same(a: RunFrame, b: RunFrame) -> None:
    """Two frames hold the same data, signals, sources, warnings and notes."""
    pd.testing.assert_frame_equal(a.data, b.data, check_exact=True)
    assert a.signals == b.signals
    assert (a.sources, a.warnings, a.notes, a.axis) == (b.sources, b.warnings, b.notes, b.axis)
    for name in a.signals:
        pd.testing.assert_series_equal(a.series(name), b.series(name), check_exact=True)


def both_routes(raw: RawRun, **kw: Any) -> tuple[RunFrame, RunFrame]:
    """The frame from the run's columns and the frame from the long records they make."""
    assert raw.columns is not None
    direct = build_frame(raw, **kw)
    long = dataclasses.replace(raw, records=raw.columns.long(), columns=None)
    return direct, build_frame(long, **kw)


def _checked(
    cols: Columns, user_aliases: Mapping[str, Iterable[str]] | None
) -> tuple[pd.DataFrame, dict[str, str], list[str]] | None:
    out = _ORIGINAL(cols, user_aliases)
    if out is not None:
        data, sources, notes = out
        long = build_frame(
            RawRun(records=cols.long(), format="t", path="p"), user_aliases=user_aliases
        )
        pd.testing.assert_frame_equal(data, long.data, check_exact=True)
        assert (sources, notes) == (long.sources, long.notes)
        CHECKED[0] += 1
    return out


def install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check the direct route against the long one on every frame built from columns."""
    monkeypatch.setattr(frame_module, "_from_columns", _checked)
