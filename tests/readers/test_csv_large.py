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


def _recording(monkeypatch: pytest.MonkeyPatch, on_first_path=None, room=True) -> list[str]:  # type: ignore[no-untyped-def]
    """Record how ``read_large`` calls ``_read``: ``Path:error`` (strict, from the path) or
    ``_Range:warn`` (tolerant, from a stream); ``room`` for a copy of the file in memory."""
    monkeypatch.setattr(_csvlarge, "_room_for_a_copy", lambda size: room)
    original = _csvlarge._read
    calls: list[str] = []

    def recording(source, sep, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(f"{type(source).__name__}:{kwargs.get('on_bad_lines', 'warn')}")
        out = original(source, sep, **kwargs)
        if isinstance(source, Path) and on_first_path is not None and len(calls) == 1:
            on_first_path(source)
        return out

    monkeypatch.setattr(_csvlarge, "_read", recording)
    return calls


def test_a_complete_file_is_parsed_strictly_from_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "metrics.csv"
    p.write_text("step,loss,val_loss\n" + "".join(f"{i},{1 / (i + 1)},\n" for i in range(50)))
    calls = _recording(monkeypatch)
    whole, streamed = both(p)
    assert streamed is not None
    same_tables(whole, streamed)
    assert calls == ["PosixPath:error"]


def test_a_bad_line_is_reported_from_the_tolerant_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "metrics.csv"
    p.write_text("step,loss\n0,1.0\n1,0.9,7,8\n2,0.8\n")
    calls = _recording(monkeypatch)
    whole, streamed = both(p)
    assert streamed is not None
    same_tables(whole, streamed)
    assert streamed[0].warnings and "malformed" in streamed[0].warnings[0]
    assert calls == ["PosixPath:error", "_Range:warn"]


def test_a_line_appended_while_the_path_is_parsed_is_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer appended to the file while pandas read it: parsed again from a stream that
    stops where the file ended when the read was planned."""
    p = tmp_path / "metrics.csv"
    p.write_text("step,loss,val_loss\n" + "".join(f"{i},{1 / (i + 1)},\n" for i in range(50)))
    expected = read_tables(p.read_bytes(), path=p)
    size = p.stat().st_size

    def append(path: Path) -> None:
        with open(path, "a") as fh:
            fh.write("50,0.0196,1.")  # the writer's next line, half written

    calls = _recording(monkeypatch, append)
    streamed = _csvlarge.read_large(p, size, set())
    assert streamed is not None
    same_tables(expected, streamed)
    assert calls == ["PosixPath:error", "_Range:warn"]


def test_a_compressed_name_is_read_as_the_bytes_it_holds(tmp_path: Path) -> None:
    """The stream never guessed a compression from the name; the path read does not either."""
    p = tmp_path / "metrics.csv.gz"
    p.write_text("step,loss\n" + "".join(f"{i},{1 / (i + 1)}\n" for i in range(20)))
    streamed = _csvlarge.read_large(p, p.stat().st_size, set())
    assert streamed is not None and streamed[0].n_rows == 20


def test_without_room_for_a_copy_the_file_is_streamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "metrics.csv"
    p.write_text("step,loss,val_loss\n" + "".join(f"{i},{1 / (i + 1)},\n" for i in range(50)))
    calls = _recording(monkeypatch, room=False)
    whole, streamed = both(p)
    assert streamed is not None
    same_tables(whole, streamed)
    assert calls == ["_Range:warn"]


def test_room_for_a_copy_needs_four_copies_of_free_memory() -> None:
    assert _csvlarge._room_for_a_copy(0)
    assert not _csvlarge._room_for_a_copy(2**62)
