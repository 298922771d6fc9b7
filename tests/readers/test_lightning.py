"""Lightning CSVLogger version folders: sparse rows, literal nan, hparams with python tags."""

from __future__ import annotations

import math
from pathlib import Path

from nn_doctor.api import read_raw, read_runs
from nn_doctor.readers import discover

HPARAMS = """\
lr: 0.001
batch_size: 32
model: !!python/object:__main__.Net
  hidden_size: 64
  act: !!python/name:torch.nn.ReLU ''
"""


def _version(root: Path, n: int, body: str) -> Path:
    d = root / "lightning_logs" / f"version_{n}"
    d.mkdir(parents=True)
    (d / "metrics.csv").write_text(body)
    (d / "hparams.yaml").write_text(HPARAMS)
    return d


SPARSE = (
    "epoch,step,train_loss_step,train_loss_epoch,val_loss,lr-Adam\n"
    "0,49,2.5,,,0.001\n"
    "0,99,2.1,,,0.001\n"
    "0,99,,,2.4,\n"
    "0,99,,2.3,,\n"
    "1,149,nan,,,0.001\n"
    "1,199,inf,,,0.001\n"
    "1,199,,,nan,\n"
)


def test_sparse_metrics_csv(tmp_path: Path) -> None:
    d = _version(tmp_path, 0, SPARSE)
    [f] = read_runs(d)
    assert f.format == "lightning" and f.axis == "step"
    loss = f.series("train_loss")  # train_loss_step: the per-step series wins
    assert loss.index.tolist() == [49, 99, 149, 199]
    assert math.isnan(loss.loc[149]) and loss.loc[199] == math.inf
    val = f.series("val_loss")
    assert val.index.tolist() == [99, 199] and math.isnan(val.loc[199])
    assert f.series("lr").index.tolist() == [49, 99, 149, 199]
    epoch = f.series("epoch")
    assert epoch.index.tolist() == [49, 99, 149, 199] and epoch.loc[199] == 1
    assert not any("several values" in n for n in f.notes if n.startswith("epoch"))


def test_blank_cells_are_no_records(tmp_path: Path) -> None:
    d = _version(tmp_path, 0, SPARSE)
    [raw] = read_raw(d)
    names = raw.records["name"].astype(str)
    assert (names == "val_loss").sum() == 2
    assert (names == "train_loss_epoch").sum() == 1


def test_hparams_with_python_tags_are_read_without_constructing(tmp_path: Path) -> None:
    d = _version(tmp_path, 0, SPARSE)
    [f] = read_runs(d)
    assert f.config["lr"] == 0.001 and f.config["batch_size"] == 32
    assert f.config["hidden_units"] == 64
    assert str(d / "hparams.yaml") in f.config_sources


def test_each_version_is_a_run_and_files_are_not_written(tmp_path: Path) -> None:
    for n in (0, 1, 3):
        _version(tmp_path, n, SPARSE)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    sources = discover(tmp_path)
    assert [s.reader for s in sources] == ["lightning"] * 3
    assert len(read_runs(tmp_path)) == 3
    assert before == {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
