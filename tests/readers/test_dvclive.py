"""DVCLive folders: plots/metrics/**/<name>.tsv (both header layouts) and params.yaml."""

from __future__ import annotations

from pathlib import Path

from nn_doctor.api import read_runs
from nn_doctor.readers import detect_file, discover


def _write(root: Path, name: str, header: str, rows: list[str]) -> Path:
    p = root / "plots" / "metrics" / f"{name}.tsv"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(header + "\n" + "".join(r + "\n" for r in rows))
    return p


def test_dvclive_folder_is_one_run_with_its_params(tmp_path: Path) -> None:
    root = tmp_path / "exp" / "dvclive"
    _write(root, "train/loss", "step\tloss", [f"{s}\t{1 / (s + 1)}" for s in range(5)])
    # DVCLive 2 wrote a millisecond timestamp first
    _write(root, "eval/loss", "timestamp\tstep\tloss", ["1700000000000\t4\t0.3", "1700000001000\t"])
    _write(root, "train/acc", "step\tacc", [f"{s}\t{0.5 + s / 10}" for s in range(5)])
    (root / "params.yaml").write_text("lr: 0.001\nbatch_size: 64\n")
    (root / "metrics.json").write_text('{"train": {"loss": 0.2}, "step": 4}')
    assert [(s.reader, s.path) for s in discover(tmp_path)] == [("dvclive", root)]
    [f] = read_runs(root)
    assert f.format == "dvclive" and f.sources["train_loss"] == "train/loss"
    assert f.series("train_loss").index.tolist() == [0, 1, 2, 3, 4]
    assert f.series("val_loss").to_dict() == {4: 0.3}  # the cut-off last row is skipped
    assert any("cut short" in w for w in f.warnings)
    assert f.config["lr"] == 0.001 and f.config["batch_size"] == 64


def test_a_metric_file_reads_its_whole_run(tmp_path: Path) -> None:
    p = _write(tmp_path / "dvclive", "loss", "step\tloss", ["0\t1.0", "1\t0.5", "2\t0.4"])
    assert detect_file(p) == "dvclive"
    [f] = read_runs(p)
    assert f.series("train_loss").tolist() == [1.0, 0.5, 0.4]
