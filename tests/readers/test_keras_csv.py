"""Keras CSVLogger: epoch axis, NA cells, runs appended into one file."""

from __future__ import annotations

import math
from pathlib import Path

from nn_doctor.api import read_raw, read_runs
from nn_doctor.readers import detect_file

HEADER = "epoch,acc,loss,val_acc,val_loss\r\n"  # CSVLogger: epoch first, sorted keys, \r\n


def _rows(epochs: range, loss0: float) -> str:
    return "".join(
        f"{e},{0.5 + e / 100},{loss0 / (e + 1)},{0.4 + e / 100},{loss0 / (e + 1) + 0.1}\r\n"
        for e in epochs
    )


def test_training_log_reads_per_epoch(tmp_path: Path) -> None:
    p = tmp_path / "training.log"
    p.write_text(HEADER + _rows(range(5), 2.0) + "5,0.6,nan,NA,NA\r\n")
    assert detect_file(p) == "keras_csv"
    [f] = read_runs(p)
    assert f.format == "keras-csv" and f.axis == "epoch"
    assert f.series("train_loss").index.tolist() == [0, 1, 2, 3, 4, 5]
    assert math.isnan(f.series("train_loss").loc[5])
    assert f.series("val_loss").index.tolist() == [0, 1, 2, 3, 4]  # NA: not logged
    assert f.series("train_acc").loc[0] == 0.5  # Keras' bare `acc` is the training accuracy
    assert "epoch" not in f.signals  # the axis itself is not a metric


def test_append_mode_epoch_restart_without_header_is_a_new_run(tmp_path: Path) -> None:
    p = tmp_path / "training_logs(5).log"
    p.write_text(HEADER + _rows(range(4), 1.0) + _rows(range(3), 2.0) + _rows(range(2), 3.0))
    frames = read_runs(p)
    assert [f.run for f in frames] == [f"{p}#1", f"{p}#2", f"{p}#3"]
    assert [f.n_steps for f in frames] == [4, 3, 2]
    assert frames[1].series("train_loss").iloc[0] == 2.0


def test_append_mode_with_repeated_header(tmp_path: Path) -> None:
    p = tmp_path / "history.csv"
    p.write_text(HEADER + _rows(range(3), 1.0) + HEADER + _rows(range(2), 5.0))
    frames = read_runs(p)
    assert [f.n_steps for f in frames] == [3, 2]
    assert frames[1].series("train_loss").iloc[0] == 5.0


def test_resume_to_nonzero_epoch_stays_one_run(tmp_path: Path) -> None:
    p = tmp_path / "training.log"
    p.write_text(HEADER + _rows(range(6), 1.0) + _rows(range(3, 5), 9.0))
    [raw] = read_raw(p)
    assert raw.run == str(p)
    [f] = read_runs(p)
    loss = f.series("train_loss")
    assert loss.index.tolist() == [0, 1, 2, 3, 4]  # later rows win from epoch 3 on
    assert loss.loc[3] == 9.0 / 4
    assert any("went back" in w for w in f.warnings)


def test_folder_with_two_logs_and_a_non_keras_text(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text(HEADER + _rows(range(2), 1.0))
    (tmp_path / "b.log").write_text(HEADER + _rows(range(3), 1.0))
    (tmp_path / "notes.txt").write_text("epoch,comment\n1,hello\n")
    assert [len(r.records) > 0 for r in read_raw(tmp_path)] == [True, True]


def test_yolo_and_free_text_are_not_keras(tmp_path: Path) -> None:
    y = tmp_path / "results.log"
    y.write_text("epoch,train/box_loss,val/box_loss\n0,1,2\n")
    t = tmp_path / "train.log"
    t.write_text("Epoch 1/10 | Loss: 0.5\n")
    assert detect_file(y) != "keras_csv"
    assert detect_file(t) != "keras_csv"


def test_a_hand_written_log_with_several_rows_per_epoch_is_one_run(tmp_path: Path) -> None:
    # `epoch` first and `val_` names, as CSVLogger writes, but a step column and one row per
    # logged step (train rows, then a validation row per epoch): a hand-written loop's log, read
    # on its step axis as one run, not split at every row that repeats epoch 0.
    rows = ["epoch,step,train_loss,lr,val_loss,val_acc"]
    for e in range(3):
        rows += [f"{e},{e * 4 + i},{2.0 / (e * 4 + i)},0.1,," for i in range(1, 5)]
        rows.append(f"{e},{e * 4 + 4},,,{2.0 / (e + 1)},{0.5 + e / 10}")
    p = tmp_path / "metrics.csv"
    p.write_text("\n".join(rows) + "\n")
    assert detect_file(p) != "keras_csv"
    [f] = read_runs(p)
    assert f.axis == "step"
    assert f.series("train_loss").index.tolist() == list(range(1, 13))
    assert f.series("val_loss").index.tolist() == [4, 8, 12]


def test_repeated_epoch_zero_rows_start_no_new_run(tmp_path: Path) -> None:
    # a CSVLogger-shaped file whose first epoch was written twice (a callback logging on batch
    # end too): only a return to 0 after a later epoch is an appended run
    p = tmp_path / "training.log"
    p.write_text(HEADER + _rows(range(1), 1.0) + _rows(range(4), 1.0) + _rows(range(2), 3.0))
    frames = read_runs(p)
    assert [f.n_steps for f in frames] == [4, 2]


def test_a_run_column_names_the_runs_rather_than_epoch_restarts(tmp_path: Path) -> None:
    # two CSVLogger histories concatenated with a run column, rows interleaved: the epoch
    # counter restarts on every other row, the run column says which rows belong together
    p = tmp_path / "history.csv"
    p.write_text("epoch,loss,val_loss,run\n0,2.3,2.2,a\n0,2.3,2.2,b\n1,1.1,1.2,a\n1,5.0,6.0,b\n")
    runs = read_runs(p)
    assert [f.run for f in runs] == [f"{p} (run a)", f"{p} (run b)"]
    assert runs[1].series("val_loss").to_dict() == {0: 2.2, 1: 6.0}
