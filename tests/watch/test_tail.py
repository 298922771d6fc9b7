"""The tailers: each byte read once, each record parsed once and only when complete; rotation,
truncation and in-place rewrites start over; the runs they build equal the readers' own."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from nn_doctor.frame import build_frame
from nn_doctor.watch.lines import LineTail, profile
from nn_doctor.watch.source import NotYet, find
from nn_doctor.watch.tail import ByteTail


def csv_tail(path: Path, reader: str = "csv_table") -> LineTail:
    prof = profile(reader)
    assert prof is not None
    return LineTail(path, prof)


def losses(tail: LineTail) -> dict[int, float]:
    frame = build_frame(tail.raw())
    s = frame.series("train_loss")
    return {int(k): float(v) for k, v in s.items()}


def append(path: Path, text: str | bytes) -> None:
    with open(path, "ab") as fh:
        fh.write(text.encode() if isinstance(text, str) else text)


# -- reading only what is new ------------------------------------------------------------


def test_each_byte_is_read_once_and_each_row_parsed_once(tmp_path: Path) -> None:
    log = tmp_path / "run.csv"
    log.write_text("step,loss\n" + "".join(f"{i},{1 / (i + 1)}\n" for i in range(100)))
    tail = csv_tail(log)
    first = tail.poll()
    assert (first.records, tail.records_parsed) == (100, 100)
    assert tail.tail.bytes_read == log.stat().st_size

    append(log, "".join(f"{i},{1 / (i + 1)}\n" for i in range(100, 110)))
    second = tail.poll()
    assert second.records == 10  # only the new rows were parsed
    assert tail.records_parsed == 110
    assert tail.tail.bytes_read == log.stat().st_size  # and only the new bytes read

    idle = tail.poll()
    assert (idle.records, idle.grew) == (0, False)
    assert tail.tail.bytes_read == log.stat().st_size
    assert sorted(losses(tail)) == list(range(110))


def test_a_row_cut_mid_write_waits_for_its_newline(tmp_path: Path) -> None:
    log = tmp_path / "run.csv"
    log.write_text("step,loss\n0,1.0\n1,0.9\n2,0.")  # the writer is inside "0.85\n"
    tail = csv_tail(log)
    assert tail.poll().records == 2
    assert losses(tail) == {0: 1.0, 1: 0.9}
    assert tail.tail.offset == len(b"step,loss\n0,1.0\n1,0.9\n")  # the last good offset
    append(log, "8")
    assert tail.poll().records == 0  # still no newline: still not a record
    append(log, "5\n3,0.8")
    assert tail.poll().records == 1
    assert losses(tail) == {0: 1.0, 1: 0.9, 2: 0.85}  # 0.85, never 0.0 or 0.8
    assert tail.tail.bytes_read == log.stat().st_size  # the pending bytes were not read twice


def test_a_header_cut_mid_write_waits_too(tmp_path: Path) -> None:
    log = tmp_path / "run.csv"
    log.write_text("ste")
    tail = csv_tail(log)
    assert tail.poll().records == 0
    append(log, "p,loss\n0,2.0\n")
    assert tail.poll().records == 1
    assert losses(tail) == {0: 2.0}


def test_jsonl_counts_lines_and_waits_for_a_complete_one(tmp_path: Path) -> None:
    log = tmp_path / "metrics.jsonl"
    log.write_text("".join(json.dumps({"step": i, "loss": 1.0 - i / 10}) + "\n" for i in range(5)))
    prof = profile("jsonl")
    assert prof is not None
    tail = LineTail(log, prof)
    assert tail.poll().records == 5
    append(log, '{"step": 5, "loss": 0.4')
    assert tail.poll().records == 0
    append(log, '5, "val_loss": NaN}\n')
    assert tail.poll().records == 1
    frame = build_frame(tail.raw())
    assert frame.series("train_loss")[5] == pytest.approx(0.45)
    assert np.isnan(frame.series("val_loss")[5])  # a logged NaN stays a value
    assert tail.records_parsed == 6


def test_blank_cells_stay_not_logged_across_chunks(tmp_path: Path) -> None:
    log = tmp_path / "metrics.csv"
    log.write_text("step,loss,val_loss\n0,1.0,\n1,0.9,\n")
    tail = csv_tail(log)
    tail.poll()
    append(log, "2,0.8,nan\n3,0.7,0.75\n")
    tail.poll()
    frame = build_frame(tail.raw())
    val = frame.series("val_loss")
    assert list(val.index) == [2, 3]  # blanks are no points; nan is one
    assert np.isnan(val[2])
    assert val[3] == 0.75


# -- rotation, truncation, rewrites, new runs --------------------------------------------


def test_a_replaced_file_is_read_from_the_start(tmp_path: Path) -> None:
    log = tmp_path / "run.csv"
    log.write_text("step,loss\n" + "".join(f"{i},{2.0 - i / 100}\n" for i in range(50)))
    tail = csv_tail(log)
    tail.poll()
    fresh = tmp_path / "run.csv.new"
    fresh.write_text("step,loss\n0,5.0\n1,4.0\n")
    os.replace(fresh, log)  # rotation: the path names another file now
    got = tail.poll()
    assert got.reset
    assert any("replaced" in n for n in got.notes)
    assert losses(tail) == {0: 5.0, 1: 4.0}


def test_a_truncated_file_is_read_from_the_start(tmp_path: Path) -> None:
    log = tmp_path / "run.csv"
    log.write_text("step,loss\n" + "".join(f"{i},{2.0 - i / 100}\n" for i in range(50)))
    tail = csv_tail(log)
    tail.poll()
    with open(log, "r+") as fh:  # same file, cut short and started again
        fh.truncate(0)
        fh.write("step,loss\n0,3.0\n")
    got = tail.poll()
    assert got.reset
    assert any("truncated" in n for n in got.notes)
    assert losses(tail) == {0: 3.0}


def test_a_file_rewritten_in_place_is_read_from_the_start(tmp_path: Path) -> None:
    """Lightning rewrites metrics.csv in place, longer, when a new metric key appears."""
    log = tmp_path / "metrics.csv"
    log.write_text("step,loss\n0,2.0\n1,1.5\n")
    tail = csv_tail(log)
    tail.poll()
    inode = log.stat().st_ino
    with open(log, "r+") as fh:
        fh.write("step,loss,val_loss\n0,2.0,\n1,1.5,1.6\n2,1.2,\n")
    assert log.stat().st_ino == inode and log.stat().st_size > tail.tail.read_pos
    got = tail.poll()
    assert got.reset
    assert any("rewritten" in n for n in got.notes)
    frame = build_frame(tail.raw())
    assert list(frame.series("train_loss").index) == [0, 1, 2]
    assert list(frame.series("val_loss").index) == [1]


def test_a_repeated_header_starts_a_new_run_that_is_followed(tmp_path: Path) -> None:
    log = tmp_path / "run.csv"
    log.write_text("step,loss\n0,2.0\n1,1.0\n")
    tail = csv_tail(log)
    tail.poll()
    append(log, "step,loss\n")  # the header arrives alone; its rows come at the next poll
    got = tail.poll()
    assert any("new run" in n for n in got.notes)
    append(log, "0,9.0\n1,8.0\n")
    tail.poll()
    assert losses(tail) == {0: 9.0, 1: 8.0}
    assert tail.raw().run == f"{log}#2"


def test_keras_epoch_restart_follows_the_new_run(tmp_path: Path) -> None:
    log = tmp_path / "training.log"
    log.write_text("epoch,loss,val_loss\n0,2.0,2.1\n1,1.5,1.6\n2,1.2,1.3\n")
    tail = csv_tail(log, "keras_csv")
    tail.poll()
    append(log, "0,3.0,3.1\n1,2.5,2.6\n")  # CSVLogger(append=True) after a restart: no header
    tail.poll()
    assert losses(tail) == {0: 3.0, 1: 2.5}
    assert tail.raw().run == f"{log}#2"


def test_byte_tail_sees_nothing_for_a_missing_file(tmp_path: Path) -> None:
    tail = ByteTail(tmp_path / "later.csv")
    assert tail.poll() is None
    (tmp_path / "later.csv").write_text("step,loss\n")
    got = tail.poll()
    assert got is not None and got.buf == b"step,loss\n"


def test_find_waits_for_a_recognizable_first_line(tmp_path: Path) -> None:
    log = tmp_path / "metrics.jsonl"
    assert find(log) is None
    log.write_text('{"step": 0, "lo')
    assert isinstance(find(log), NotYet)
    append(log, 'ss": 1.0}\n')
    found = find(log)
    assert isinstance(found, LineTail) and found.format == "jsonl"


def test_find_refuses_a_folder_of_several_runs(tmp_path: Path) -> None:
    from nn_doctor.errors import InputError

    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "run.csv").write_text("step,loss\n0,1.0\n")
    with pytest.raises(InputError, match="2 runs"):
        find(tmp_path)


def test_a_padded_header_repeated_later_is_recognized(tmp_path: Path) -> None:
    """Ultralytics pads its header with spaces; the repeat must match it byte for byte."""
    log = tmp_path / "results.csv"
    head = "      epoch,  train/box_loss,    metrics/mAP50(B),   lr/pg0"
    log.write_text(f"\n{head}\n        1,   1.5,   0.1,  0.01\n        2,   1.2,   0.2,  0.01\n")
    tail = csv_tail(log, "yolo")
    assert tail.poll().records == 2
    append(log, f"{head}\n        1,   3.0,   0.0,  0.01\n")
    assert any("new run" in n for n in tail.poll().notes)
    frame = build_frame(tail.raw())
    assert dict(frame.series("train_loss")) == {1: 3.0}
