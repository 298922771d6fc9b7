"""W&B run files (``run-<id>.wandb``), as wandb 0.31.0 wrote them offline (data/wandb/make_fixtures.py)."""

from __future__ import annotations

import math
import os
import shutil
from pathlib import Path

import pytest

from nn_doctor.api import read_runs
from nn_doctor.readers import detect_file, discover

DATA = Path(__file__).parent / "data" / "wandb"
NAN_RUN = DATA / "offline-run-20261123_070349-jwgqnmnd"
LONG_RUN = DATA / "offline-run-20261123_070349-tnfhwkn9"


def test_history_config_and_nan() -> None:
    [f] = read_runs(NAN_RUN)
    assert f.format == "wandb"
    assert detect_file(NAN_RUN / "run-jwgqnmnd.wandb") == "wandb"
    loss = f.series("train_loss")
    # the framework's global step (logged on every call) is the axis, not W&B's call counter
    assert loss.index[:3].tolist() == [0, 10, 20] and len(loss) == 40
    assert loss.iloc[0] == pytest.approx(2.4)
    assert math.isnan(loss.loc[350]) and math.isfinite(loss.loc[340])  # a logged NaN stays NaN
    assert f.series("val_loss").index.tolist() == [90, 190, 290, 390]  # eval/loss every 10 calls
    assert f.has("val_acc") and f.has("lr")
    # wandb.init(config=...) with a nested model section; W&B's own _wandb entry is not config
    assert f.config["lr"] == 0.5 and f.config["batch_size"] == 64
    assert f.config["hidden_units"] == 128 and f.config["hidden_activation"] == "relu"
    assert "nan-run" in f.run
    assert f.data["wall_time"].notna().all()  # _timestamp


def test_records_that_cross_32k_blocks() -> None:
    """Chunks split across blocks (first/middle/last) are joined back: every call is read."""
    wandb_file = LONG_RUN / "run-tnfhwkn9.wandb"
    assert wandb_file.stat().st_size > 32768
    [f] = read_runs(LONG_RUN)
    loss = f.series("train_loss")
    assert loss.index.tolist() == list(range(100))
    assert loss.iloc[-1] == pytest.approx(1.0 / (1 + 99 / 20))
    assert f.series("grad_norm").iloc[-1] == pytest.approx(0.599)
    assert f.config == {"lr": 0.001, "optimizer": "adamw"}
    assert not f.warnings


def test_a_run_cut_mid_write_is_read_up_to_there(tmp_path: Path) -> None:
    data = (LONG_RUN / "run-tnfhwkn9.wandb").read_bytes()
    cut = tmp_path / "run-cut.wandb"
    cut.write_bytes(data[: len(data) * 2 // 3])
    [f] = read_runs(cut)
    n = len(f.series("train_loss"))
    assert 30 < n < 100
    assert any("cut short" in w for w in f.warnings)


def test_a_damaged_chunk_ends_the_read_with_a_warning(tmp_path: Path) -> None:
    data = bytearray((LONG_RUN / "run-tnfhwkn9.wandb").read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad = tmp_path / "run-bad.wandb"
    bad.write_bytes(bytes(data))
    [f] = read_runs(bad)
    assert 0 < len(f.series("train_loss")) < 100
    assert any("checksum" in w for w in f.warnings)


def test_a_wandb_folder_is_two_runs_not_four(tmp_path: Path) -> None:
    """``wandb/latest-run`` and the root ``debug.log`` links name what is already there."""
    root = tmp_path / "wandb"
    root.mkdir()
    for run in (NAN_RUN, LONG_RUN):
        shutil.copytree(run, root / run.name)
        (root / run.name / "logs").mkdir()
        (root / run.name / "logs" / "debug.log").write_text(
            "2026-11-23 07:03:49 INFO step 1 loss 0.5\n"
        )
    os.symlink(LONG_RUN.name, root / "latest-run")
    os.symlink(f"{LONG_RUN.name}/logs/debug.log", root / "debug.log")
    sources = discover(root)
    assert [(s.reader, s.path.name) for s in sources] == [
        ("wandb", NAN_RUN.name),
        ("wandb", LONG_RUN.name),
    ]
    # pointing at the link itself still reads the run
    assert read_runs(root / "latest-run")[0].format == "wandb"


def test_not_a_wandb_file(tmp_path: Path) -> None:
    other = tmp_path / "run-x.wandb"
    other.write_bytes(b"not a log at all")
    assert detect_file(other) is None
