"""Every TensorBoard run in shared/realworld, read through the public API (see its INDEX.md).

Folders a more specific reader claims (Ultralytics' ``results.csv`` beside the events) are read
with ``input_format="tensorboard"``; the others go through normal detection. Expected numbers come
from INDEX.md (points per metric, restarts, ignored images).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nn_doctor.api import read_runs

REALWORLD = Path(__file__).resolve().parents[2].parent / "shared" / "realworld"

pytestmark = pytest.mark.realworld

# folder -> (forced input format or None, {signal: points}, other expectations)
CASES: dict[str, tuple[str | None, dict[str, int], dict[str, object]]] = {
    "hf-t5-summarization/runs": (
        None,
        {"train_loss": 430, "val_loss": 1, "grad_norm": 430, "lr": 430, "eval/rouge1": 1},
        {"ignored": ["2 text summaries"]},
    ),
    "keras-tf1-irfanet/logs221017": (
        None,
        {"train_loss": 133, "val_loss": 133, "train_acc": 133, "val_acc": 133},
        {"ignored": ["graph_def", "meta_graph_def"]},
    ),
    "keras-tf2-tb-signlang": (
        None,
        # three runs' files in Logs/train: read as restarts, so the last file's 789 epochs win
        {"train_loss": 789, "train_acc": 789},
        {"axis": "epoch", "warning": "2 of 3 event files in train/ restart the step counter"},
    ),
    "lightning-tb-contrastive/lightning_logs/version_0": (
        None,
        {"train_loss": 7738, "val_loss": 100},
        {"config": {"lr": 1e-4, "weight_decay": 0.01}},
    ),
    "lightning-tb-deepsc/lightning_logs/version_0": (
        None,
        # no val_loss logged: the validation cross-entropy stands in for it (a note says so)
        {"train_loss": 190, "lr": 190, "val_loss": 18, "val_bleu": 18},
        {"config": {"batch_size": 128}},
    ),
    "lightning-tb-fractaldb/lightning_logs/version_0": (
        None,
        {"train_loss": 78, "val_loss": 2},
        {"config": {"lr": 0.001}},
    ),
    "lightning-tb-satd-hmer/lightning_logs/version_0": (
        None,
        {"train_loss": 240, "val_loss": 120, "lr": 240, "val_ExpRate": 120},
        {"config": {"lr": 0.08, "dropout": 0.3}},
    ),
    "yolo11-drone-valoff": (
        "tensorboard",
        {"train_loss": 20, "val_loss": 19, "lr": 20},
        {"ignored": ["graph_def", "run metadata"]},
    ),
    "yolo11seg-gallstone": ("tensorboard", {"train_loss": 10, "val_loss": 10}, {}),
    "yolov5-elevator/exp2": (
        "tensorboard",
        {"train_loss": 300, "val_loss": 300, "lr": 300, "metrics/mAP_0.5": 300},
        {"ignored": ["graph_def", "run metadata", "6 image summaries"]},
    ),
    "yolov8-ppe-resumed": (
        "tensorboard",
        {"train_loss": 10, "val_loss": 10},
        {"warning": "3 of 4 event files restart the step counter (at step 1)"},
    ),
}


@pytest.fixture(scope="module")
def realworld() -> Path:
    if not REALWORLD.is_dir():
        pytest.skip("shared/realworld is not beside this checkout")
    return REALWORLD


@pytest.mark.parametrize("folder", sorted(CASES))
def test_realworld_tensorboard_run(realworld: Path, folder: str) -> None:
    forced, points, extra = CASES[folder]
    (frame,) = read_runs(realworld / folder, input_format=forced)
    assert frame.format == "tensorboard"
    for signal, n in points.items():
        assert frame.has(signal), (signal, frame.signals)
        assert len(frame.series(signal)) == n, signal
    assert frame.axis == extra.get("axis", "step")
    if "warning" in extra:
        assert any(str(extra["warning"]) in w for w in frame.warnings), frame.warnings
    else:
        assert frame.warnings == []
    for item in extra.get("ignored", []):  # type: ignore[attr-defined]
        assert item in frame.ignored, frame.ignored
    for key, value in extra.get("config", {}).items():  # type: ignore[attr-defined]
        assert frame.config.get(key) == pytest.approx(value), key
    for signal in frame.signals:  # every series is a real number series, in order
        s = frame.series(signal)
        assert s.index.is_monotonic_increasing and s.index.is_unique


def test_yolov8_restart_keeps_only_the_complete_run(realworld: Path) -> None:
    (frame,) = read_runs(realworld / "yolov8-ppe-resumed", input_format="tensorboard")
    assert frame.series("train_loss").index.tolist() == list(range(1, 11))


def test_lightning_run_without_training_scalars(realworld: Path) -> None:
    folder = realworld / "lightning-tb-empty-allencell"
    (frame,) = read_runs(folder)
    assert frame.signals == []
    assert frame.config_raw  # the hparams (plugin and hparams.yaml) were still read
    assert any("hp_metric placeholder" in i for i in frame.ignored)
    out = subprocess.run(
        [sys.executable, "-m", "nn_doctor", "diagnose", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in out.stderr + out.stdout
    assert "no usable loss" in out.stderr + out.stdout
