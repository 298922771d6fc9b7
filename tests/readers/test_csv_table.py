"""Plain CSV tables: wide and long, blank versus NaN, stray words, broken files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from nn_doctor.api import read_raw, read_runs
from nn_doctor.readers import csv_table, detect_file, discover


def _one(path: Path):
    frames = read_runs(path)
    assert len(frames) == 1
    return frames[0]


def test_wide_blank_is_not_logged_and_nan_inf_are_values(tmp_path: Path) -> None:
    p = tmp_path / "scalars.csv"
    p.write_text(
        "step,loss,val_loss,grad_norm\n0,2.0,,1.0\n1,1.5,,inf\n2,nan,1.9,-Infinity\n3,NaN,,NA\n"
    )
    f = _one(p)
    assert f.format == "csv"
    loss = f.series("train_loss")
    assert list(loss.index) == [0, 1, 2, 3]
    assert loss.iloc[0] == 2.0 and math.isnan(loss.iloc[2]) and math.isnan(loss.iloc[3])
    val = f.series("val_loss")
    assert list(val.index) == [2]  # blanks are no rows
    gn = f.series("grad_norm")
    assert list(gn.index) == [0, 1, 2]  # NA is Keras/pandas' "missing", not a value
    assert gn.iloc[1] == math.inf and gn.iloc[2] == -math.inf


def test_nan_spellings_in_a_long_file_are_found_without_losing_blanks(tmp_path: Path) -> None:
    rows = ["step,loss,val_loss"]
    rows += [f"{i},{1.0 / (i + 1)}," for i in range(3000)]
    rows[2500] = "2499,nan,"
    rows[2001] = "2000,0.1,0.5"
    p = tmp_path / "run.csv"
    p.write_text("\n".join(rows) + "\n")
    f = _one(p)
    assert len(f.series("train_loss")) == 3000
    assert math.isnan(f.series("train_loss").loc[2499])
    assert list(f.series("val_loss").index) == [2000]


def test_stray_string_skips_the_cell_not_the_column(tmp_path: Path) -> None:
    p = tmp_path / "log.csv"
    p.write_text(
        "epoch,loss,when\n1,0.9,2024-01-01 10:00\n2,oops,2024-01-01 10:05\n3,0.7,2024-01-01 10:09\n"
    )
    [raw] = read_raw(p)
    assert raw.axis == "epoch"
    f = _one(p)
    assert list(f.series("train_loss").index) == [1, 3]
    assert any("oops" in w and "loss" in w for w in f.warnings)
    assert any("when" in i for i in f.ignored)
    assert "when" not in f.signals


def test_no_axis_column_uses_row_number(tmp_path: Path) -> None:
    p = tmp_path / "losses.csv"
    p.write_text("loss,acc\n1.0,0.1\n0.8,0.2\n0.7,0.3\n")
    f = _one(p)
    assert list(f.series("train_loss").index) == [0, 1, 2]
    assert any("row number" in w for w in f.warnings)


def test_long_table(tmp_path: Path) -> None:
    p = tmp_path / "scalars.csv"
    p.write_text(
        "metric,step,value\nloss,0,1.0\nlr,0,0.1\nloss,1,nan\nlr,1,\nval_loss,1,0.9\nloss,2,0.5\n"
    )
    f = _one(p)
    assert f.series("train_loss").index.tolist() == [0, 1, 2]
    assert math.isnan(f.series("train_loss").loc[1])
    assert f.series("lr").index.tolist() == [0]  # the blank value is no row
    assert f.series("val_loss").loc[1] == 0.9


def test_repeated_header_is_two_runs(tmp_path: Path) -> None:
    p = tmp_path / "appended.csv"
    p.write_text("step,loss\n0,1.0\n1,0.9\nstep,loss\n0,2.0\n1,1.8\n2,1.7\n")
    frames = read_runs(p)
    assert [fr.run for fr in frames] == [f"{p}#1", f"{p}#2"]
    assert frames[1].series("train_loss").tolist() == [2.0, 1.8, 1.7]


def test_truncated_last_line_is_dropped_with_warning(tmp_path: Path) -> None:
    p = tmp_path / "crash.csv"
    p.write_bytes(b"step,loss,acc\n0,1.0,0.1\n1,0.9,0.2\n2,0.8")
    f = _one(p)
    assert f.series("train_loss").index.tolist() == [0, 1]
    assert any("cut short" in w for w in f.warnings)


def test_invalid_utf8_does_not_crash(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_bytes(b"step,loss,note\n0,1.0,caf\xe9\n1,0.5,\xff\xfe\n")
    f = _one(p)
    assert f.series("train_loss").tolist() == [1.0, 0.5]


@pytest.mark.parametrize("content", [b"", b"step,loss,val_loss\n"])
def test_empty_and_header_only_give_an_empty_run_with_a_warning(
    tmp_path: Path, content: bytes
) -> None:
    p = tmp_path / "empty.csv"
    p.write_bytes(content)
    [raw] = csv_table.read(p)
    assert len(raw.records) == 0
    assert any("no metric was logged" in w for w in raw.warnings)


def test_data_table_in_a_folder_is_not_a_run(tmp_path: Path) -> None:
    (tmp_path / "features.csv").write_text("x1,x2,label\n0.1,0.2,1\n0.3,0.4,0\n")
    (tmp_path / "train_log.csv").write_text("step,loss\n0,1.0\n1,0.5\n")
    sources = discover(tmp_path)
    assert [(s.reader, s.path) for s in sources] == [("csv_table", tmp_path)]
    assert [r.files[0] for r in read_raw(tmp_path)] == [str(tmp_path / "train_log.csv")]


def test_tsv_and_sniff(tmp_path: Path) -> None:
    p = tmp_path / "run.tsv"
    p.write_text("step\tloss\n0\t1.0\n5\t0.5\n")
    assert detect_file(p) == "csv_table"
    assert _one(p).series("train_loss").index.tolist() == [0, 5]


def test_records_columns_and_types(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("global_step,loss,wall_time\n10,1.0,1700000000.5\n20,0.5,1700000001.5\n")
    [raw] = read_raw(p)
    rec = raw.records
    assert list(rec.columns) == ["step", "name", "value", "wall_time"]
    assert rec["step"].dtype == np.int64 and rec["value"].dtype == np.float64
    assert rec["step"].tolist() == [10, 20]
    assert rec["wall_time"].tolist() == [1700000000.5, 1700000001.5]
    assert set(rec["name"].astype(str)) == {"loss"}


def test_fast_path_reads_the_file_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blanks without any NaN spelling need no string re-read (DECISIONS §8)."""
    from nn_doctor.readers import _csvcore

    calls: list[dict] = []
    real = _csvcore._read

    def counting(source, sep, **kwargs):
        calls.append(kwargs)
        return real(source, sep, **kwargs)

    monkeypatch.setattr(_csvcore, "_read", counting)
    p = tmp_path / "sparse.csv"
    p.write_text("step,loss,val_loss\n" + "".join(f"{i},{i * 0.1},\n" for i in range(500)))
    [raw] = read_raw(p)
    assert len(calls) == 1
    assert len(raw.records) == 500


def test_bad_lines_are_skipped_and_reported_after_the_strict_parse(tmp_path: Path) -> None:
    """pandas first parses a file strictly (its fast case); a line with too many fields sends it
    to the tolerant parse, which skips and reports it, and an unbalanced quote to the parse
    that reads quotes as text."""
    from nn_doctor.readers._csvcore import read_tables

    p = tmp_path / "log.csv"
    p.write_text("step,loss\n0,1.0\n1,0.9,7,8\n2,0.8\n3,0.7\n")
    [raw] = read_raw(p)
    assert raw.records["step"].tolist() == [0, 2, 3]
    assert any("skipped 1 malformed line" in w for w in raw.warnings)
    q = tmp_path / "quote.csv"
    q.write_text('step,loss\n0,"1.0\n1,0.9\n2,0.8\n')
    [table] = read_tables(q.read_bytes(), path=q)
    assert table.n_rows == 3
    assert any("not numbers" in w for w in table.warnings)


def test_the_row_index_pandas_writes_is_no_signal(tmp_path: Path) -> None:
    # pd.DataFrame(history.history).to_csv("history.csv"): a nameless index column first
    p = tmp_path / "history.csv"
    p.write_text(",loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n2,0.6,0.8\n")
    [f] = read_runs(p)
    assert sorted(f.signals) == ["train_loss", "val_loss"]
    assert f.series("val_loss").tolist() == [1.1, 0.9, 0.8]


def test_a_wandb_chart_export_is_one_run_per_run_shown(tmp_path: Path) -> None:
    p = tmp_path / "wandb_export_2026-11-23.csv"
    p.write_text(
        '"Step","sunny-1 - train/loss","sunny-1 - train/loss__MIN","sunny-1 - train/loss__MAX",'
        '"rainy-2 - train/loss","rainy-2 - train/loss__MIN","rainy-2 - train/loss__MAX"\n'
        '"0","2.3","2.2","2.4","2.3","2.2","2.4"\n'
        '"10","1.1","1.0","1.2","","",""\n'
        '"20","0.6","0.5","0.7","4.5","4.4","4.6"\n'
    )
    runs = read_runs(p)
    assert [f.run for f in runs] == [f"{p} (sunny-1)", f"{p} (rainy-2)"]
    sunny, rainy = runs
    assert sunny.sources["train_loss"] == "train/loss" and sunny.signals == ["train_loss"]
    assert sunny.series("train_loss").to_dict() == {0: 2.3, 10: 1.1, 20: 0.6}
    assert rainy.series("train_loss").to_dict() == {0: 2.3, 20: 4.5}  # blank: not logged


def test_a_run_column_makes_one_run_per_value(tmp_path: Path) -> None:
    # a sweep concatenated with pandas: the epochs restart per run, rows interleave freely
    p = tmp_path / "sweep.csv"
    p.write_text(
        "run,epoch,train_loss,val_loss\n"
        "lr-0.01,0,2.3,2.2\nlr-1.0,0,2.3,2.2\nlr-0.01,1,1.1,1.2\nlr-1.0,1,9.0,9.5\n"
        "lr-0.01,2,0.6,0.7\nlr-1.0,2,40.0,41.0\n"
    )
    runs = read_runs(p)
    assert [f.run for f in runs] == [f"{p} (run lr-0.01)", f"{p} (run lr-1.0)"]
    low, high = runs
    assert low.series("train_loss").to_dict() == {0: 2.3, 1: 1.1, 2: 0.6}
    assert high.series("val_loss").to_dict() == {0: 2.2, 1: 9.5, 2: 41.0}
    assert not any(f.warnings for f in runs)  # no "step counter went back": not a resume


def test_a_numeric_trial_column_splits_and_a_constant_one_does_not(tmp_path: Path) -> None:
    p = tmp_path / "trials.csv"
    p.write_text("trial,step,loss\n0,0,2.0\n0,1,1.0\n1,0,2.0\n1,1,3.0\n")
    runs = read_runs(p)
    assert [f.run for f in runs] == [f"{p} (trial 0)", f"{p} (trial 1)"]
    assert runs[1].series("train_loss").to_dict() == {0: 2.0, 1: 3.0}
    one = tmp_path / "one.csv"
    one.write_text("run_id,step,loss\n7,0,2.0\n7,1,1.0\n")
    f = _one(one)
    assert f.run == str(one) and f.signals == ["train_loss"]  # the id is no metric
    # a table keyed by run that logs no loss (a zoo's labels.csv, a sweep summary) is no sweep
    labels = tmp_path / "labels.csv"
    labels.write_text("run_id,level,seed\na,loss,0\nb,full,1\n")
    assert len(read_runs(labels)) == 1


@pytest.mark.parametrize("axis", ["ep", "epoch_num", "epoch_idx"])
def test_an_epoch_column_spelled_short_is_the_axis(tmp_path: Path, axis: str) -> None:
    p = tmp_path / "log.csv"
    p.write_text(f"{axis},tr_loss,va_loss\n0,2.0,2.1\n1,1.0,1.2\n2,0.5,0.8\n")
    f = _one(p)
    assert f.axis == "epoch" and f.signals == ["train_loss", "val_loss"]
    assert f.series("val_loss").to_dict() == {0: 2.1, 1: 1.2, 2: 0.8}
