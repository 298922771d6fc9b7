"""TensorBoard's CSV/JSON downloads: written the way TensorBoard's scalars plugin writes them."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest

from nn_doctor.api import read_runs
from nn_doctor.errors import InputError
from nn_doctor.frame import build_frame
from nn_doctor.readers import detect_file, discover
from nn_doctor.readers import tb_export as tbe

ROWS = [(1700000000.25, 0, 2.5), (1700000010.5, 50, math.nan), (1700000020.75, 100, math.inf)]


def as_csv(rows) -> str:
    """Exactly what ``scalars_plugin.scalars_impl`` returns for ``format=csv``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Wall time", "Step", "Value"])
    writer.writerows(rows)
    return out.getvalue()


def as_json(rows) -> str:
    """The JSON response body: a list of [wall_time, step, value] (Python's json: bare NaN)."""
    return json.dumps([list(r) for r in rows])


def values(raw, name: str) -> list[float]:
    return raw.records[raw.records["name"] == name]["value"].tolist()


def test_tag_from_filename_restores_slashes_the_alias_table_knows() -> None:
    assert tbe.parse_filename("run-version_0-tag-train_loss.csv") == ("version_0", "train_loss")
    assert tbe.parse_filename("run_foo-tag-Loss_train.json") == ("foo", "Loss/train")
    assert tbe.parse_filename("run-.-tag-train_grad_norm.csv") == (".", "train/grad_norm")
    assert tbe.parse_filename("run-a-b-tag-eval_loss.csv") == ("a-b", "eval_loss")
    assert tbe.parse_filename("run-x-tag-my_metric_name.csv") == ("x", "my_metric_name")
    assert tbe.parse_filename("loss.csv") == (None, "loss")


def test_csv_download_keeps_logged_nonfinite(tmp_path: Path) -> None:
    path = tmp_path / "run-version_0-tag-train_loss.csv"
    path.write_text(as_csv(ROWS))
    assert tbe.sniff(path)
    assert detect_file(path) == "tb_export"
    (raw,) = tbe.read(path)
    assert raw.format == "tb-export"
    assert raw.records["step"].tolist() == [0, 50, 100]
    got = values(raw, "train_loss")
    assert got[0] == 2.5 and math.isnan(got[1]) and got[2] == math.inf
    assert raw.records["wall_time"].tolist() == [r[0] for r in ROWS]
    frame = build_frame(raw)
    assert frame.has("train_loss") and math.isnan(frame.series("train_loss").loc[50])


def test_json_download_and_stem_fallback(tmp_path: Path) -> None:
    path = tmp_path / "val_loss.json"
    path.write_text(as_json(ROWS))
    assert tbe.sniff(path)
    (raw,) = tbe.read(path)
    got = values(raw, "val_loss")
    assert got[0] == 2.5 and math.isnan(got[1]) and math.isinf(got[2])


def test_folder_of_downloads_is_one_run(tmp_path: Path) -> None:
    (tmp_path / "run-exp-tag-Loss_train.csv").write_text(as_csv([(1.0, 0, 1.0), (2.0, 1, 0.5)]))
    (tmp_path / "run-exp-tag-Loss_val.json").write_text(as_json([(1.0, 0, 1.2), (2.0, 1, 0.9)]))
    (tmp_path / "notes.txt").write_text("not a download")
    assert [s.reader for s in discover(tmp_path)] == ["tb_export"]
    (frame,) = read_runs(tmp_path)
    assert frame.series("train_loss").tolist() == [1.0, 0.5]
    assert frame.series("val_loss").tolist() == [1.2, 0.9]
    assert frame.sources["train_loss"] == "Loss/train"


def test_same_tag_from_two_runs_is_kept_apart(tmp_path: Path) -> None:
    (tmp_path / "run-a-tag-loss.csv").write_text(as_csv([(1.0, 0, 1.0)]))
    (tmp_path / "run-b-tag-loss.csv").write_text(as_csv([(1.0, 0, 3.0)]))
    (raw,) = tbe.read(tmp_path)
    assert values(raw, "a/loss") == [1.0] and values(raw, "b/loss") == [3.0]
    assert any("several runs" in w for w in raw.warnings)


def test_sniff_rejects_look_alikes(tmp_path: Path) -> None:
    other = tmp_path / "metrics.csv"
    other.write_text("Wall time,Step,Value,Extra\n1,2,3,4\n")
    assert not tbe.sniff(other)
    lower = tmp_path / "lower.csv"
    lower.write_text("wall_time,step,value\n1,2,3\n")
    assert not tbe.sniff(lower)
    objects = tmp_path / "history.json"
    objects.write_text('[{"loss": 1.0}]')
    assert not tbe.sniff(objects)
    nested_text = tmp_path / "x.json"
    nested_text.write_text('[["a", 1, 2]]')
    assert not tbe.sniff(nested_text)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\x00\x01\x02")
    assert not tbe.sniff(binary)
    assert not tbe.sniff(tmp_path / "missing.csv")
    assert not tbe.sniff(tmp_path)


def test_damaged_downloads(tmp_path: Path) -> None:
    cut = tmp_path / "run-r-tag-loss.json"
    cut.write_text(as_json(ROWS)[:-15])
    with pytest.raises(InputError) as err:
        tbe.read(cut)
    assert "not valid JSON" in str(err.value) and "\n" not in str(err.value)
    short = tmp_path / "run-r-tag-acc.csv"
    short.write_text(as_csv([(1.0, 0, 0.5), (2.0, 1, 0.6)]) + "3.0,2\n")  # cut mid-row
    (raw,) = tbe.read(short)
    assert values(raw, "acc") == [0.5, 0.6]  # the half row is not a logged NaN
    assert raw.warnings == [
        "run-r-tag-acc.csv: skipped 1 row(s) that are not wall_time, step, value"
    ]
    # in a folder, a broken file is a warning and the rest is read
    (raw,) = tbe.read(tmp_path)
    assert values(raw, "acc") == [0.5, 0.6]
    assert any("run-r-tag-loss.json: not valid JSON" in w for w in raw.warnings)


def test_header_only_download_is_an_empty_run(tmp_path: Path) -> None:
    path = tmp_path / "run-r-tag-loss.csv"
    path.write_text("Wall time,Step,Value\n")
    (raw,) = tbe.read(path)
    assert len(raw.records) == 0
    assert len(raw.warnings) == 1 and "no data rows" in raw.warnings[0]
