"""Large CSV logs, streamed, must give what the whole-file reader gives.

The streamed path only runs on files over ``LARGE_BYTES``; here the threshold is lowered so
small files exercise it, and every result is compared with :func:`read_tables` on the whole
file's bytes: columns, logged masks, values (NaN == NaN), warnings, ignored columns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nn_doctor.readers import _csvlarge
from nn_doctor.readers._csvcore import Table, read_tables


@pytest.fixture(autouse=True)
def _streamed_for_small_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_csvlarge, "LARGE_BYTES", 0)


def same_tables(a: list[Table], b: list[Table]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.n_rows == y.n_rows
        assert x.header == y.header
        assert x.warnings == y.warnings
        assert x.ignored == y.ignored
        assert [c.name for c in x.columns] == [c.name for c in y.columns]
        for cx, cy in zip(x.columns, y.columns, strict=True):
            np.testing.assert_array_equal(cx.values, cy.values, err_msg=cx.name)
            np.testing.assert_array_equal(cx.logged, cy.logged, err_msg=cx.name)


def both(path: Path) -> tuple[list[Table], list[Table] | None]:
    whole = read_tables(path.read_bytes(), path=path)
    streamed = _csvlarge.read_large(path, path.stat().st_size, set())
    return whole, streamed


ROWS = [f"{i},{1.0 / (i + 1)},{'' if i % 3 else 0.5 * i},{i % 7}" for i in range(400)]


CASES = [
    ("dense", "step,loss,val,k\n" + "\n".join(ROWS) + "\n", True),
    ("no final newline", "step,loss,val,k\n" + "\n".join(ROWS), True),
    ("truncated", "step,loss,val,k\n" + "\n".join(ROWS) + "\n401,0.5", True),
    ("nan spellings", "step,loss,val,k\n" + "\n".join(ROWS[:300]) + "\n300,nan,,1\n", True),
    ("crlf", "step,loss,val,k\r\n" + "\r\n".join(ROWS) + "\r\n", True),
    ("bom", "\ufeffstep,loss,val,k\n" + "\n".join(ROWS) + "\n", True),
    ("tsv", "step\tloss\n" + "".join(f"{i}\t{i / 3}\n" for i in range(500)), True),
    (
        "a stray word late",
        "step,loss\n" + "".join(f"{i},{i}\n" for i in range(300)) + "300,oops\n",
        None,
    ),
    ("quotes", 'step,loss\n0,"1.0"\n' + "".join(f"{i},{i}\n" for i in range(1, 300)), True),
    (
        "repeated header",
        "step,loss\n0,1\n1,2\nstep,loss\n" + "".join(f"{i},{i}\n" for i in range(300)),
        None,
    ),
    ("numeric header", "1,2\n" + "".join(f"{i},{i}\n" for i in range(300)), None),
    (
        "malformed line",
        "step,loss\n"
        + "".join(f"{i},{i}\n" for i in range(200))
        + "9,9,9,9\n"
        + "".join(f"{i},{i}\n" for i in range(200)),
        None,
    ),
    (
        "text column",
        "step,loss,phase\n"
        + "".join(f"{i},{i},{'train' if i % 2 else 'val'}\n" for i in range(400)),
        True,
    ),
]


@pytest.mark.parametrize(("name", "text", "taken"), CASES, ids=[c[0] for c in CASES])
def test_streamed_parse_matches_the_whole_file(
    tmp_path: Path, name: str, text: str, taken: bool | None
) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(text.encode("utf-8"))
    whole, streamed = both(path)
    if taken:
        assert streamed is not None, name
    if streamed is None:  # declined: the entry point falls back to the whole-file reader
        same_tables(_csvlarge.read_file_tables(path), whole)
    else:
        same_tables(streamed, whole)
        same_tables(_csvlarge.read_file_tables(path), whole)


def test_declines_what_the_whole_file_reader_must_read(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text('step,loss\n0,"1.0\n' + "".join(f"{i},{i}\n" for i in range(1, 300)))
    assert _csvlarge.read_large(path, path.stat().st_size, set()) is None  # unbalanced quote
    path.write_text("step,loss\n" + "".join(f"{i},{i}\n" for i in range(300)) + "x,y\nstep,loss\n")
    assert _csvlarge.read_large(path, path.stat().st_size, set()) is None  # a repeated header
