"""Every non-TensorBoard run in shared/realworld (INDEX.md) reads with the right signals.

These are files real people committed; each case pins what INDEX.md says about the run (its
length, its edge case) so a reader change that mis-parses one shows up here.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from nn_doctor.api import read_runs
from nn_doctor.readers import discover

pytestmark = pytest.mark.realworld

# folder → (format, n_steps of the one run, signals that must be there)
SINGLE_RUNS = {
    "hf-t5-summarization": ("hf-trainer", 430, {"train_loss", "grad_norm", "lr", "epoch"}),
    "hf-whisper-ja-overfit": ("hf-trainer", 200, {"train_loss", "val_loss", "eval_wer", "lr"}),
    "hf-whisper-hi-blogrecipe": ("hf-trainer", 200, {"train_loss", "val_loss", "eval_wer"}),
    "hf-whisper-flemish": ("hf-trainer", 150, {"train_loss", "val_loss", "eval_wer"}),
    "hf-whisper-braj-highlr": ("hf-trainer", 25, {"train_loss", "val_loss", "grad_norm", "lr"}),
    "hf-trocr-fractions": ("hf-trainer", 700, {"train_loss", "val_loss", "grad_norm", "lr"}),
    "hf-chatglm-ptuning-geollm": ("hf-trainer", 300, {"train_loss", "lr", "epoch"}),
    "hf-chatglm2-prefix-checkpoints": ("hf-trainer", 300, {"train_loss", "lr"}),
    "hf-seq2seq-cpt": ("hf-trainer", 20, {"train_loss", "val_loss", "predict_loss", "eval_rouge-l"}),
    "hf-eagle3-draft-partial": ("hf-trainer", 2000, {"train_loss", "grad_norm", "lr", "train/acc_0"}),
    "genrisk-gan/lightning_logs/version_0": ("lightning", 320, {"train_loss", "train_gen_loss"}),
    "genrisk-gan/lightning_logs/version_1": ("lightning", 320, {"train_loss", "train_gen_loss"}),
    "genrisk-gan/lightning_logs/version_2": ("lightning", 320, {"train_loss", "train_gen_loss"}),
    "genrisk-gan/lightning_logs/version_10": ("lightning", 320, {"train_loss", "train_gen_loss"}),
    "nlp2-probe/lightning_logs/version_0": ("lightning", 28, {"train_loss", "train_acc", "epoch"}),
    "nlp2-probe/lightning_logs/version_3": ("lightning", 28, {"train_loss", "train_acc", "epoch"}),
    "lightning-csv-slm-sweep/lightning_logs/version_3": ("lightning", 26, {"train_loss", "val_loss"}),
    "lightning-csv-slm-sweep/lightning_logs/version_16": ("lightning", None, {"train_loss", "val_loss"}),
    "lightning-csv-slm-full/lightning_logs/version_0": ("lightning", None, {"train_loss", "val_loss"}),
    "ptychopinn-keras-nan": ("keras-history", 5, {"train_loss", "val_loss", "lr"}),
    "keras-csvlogger-brats-unet": ("keras-csv", 24, {"train_loss", "val_loss", "train_acc", "lr"}),
    "yolo11-drone-valoff": ("yolo", 20, {"train_loss", "val_loss", "lr", "metrics/mAP50(B)"}),
    "yolo11seg-gallstone": ("yolo", 10, {"train_loss", "val_loss", "train/seg_loss"}),
    "yolov8-ppe-resumed": ("yolo", 10, {"train_loss", "val_loss", "lr"}),
    "yolov5-elevator/exp2": ("yolo", 300, {"train_loss", "val_loss", "lr", "train/cls_loss"}),
    "yolov5-pcb": ("yolo", 70, {"train_loss", "val_loss", "lr", "val/cls_loss"}),
    "detectron2-medwaste/output": ("detectron2", 200, {"train_loss", "lr", "loss_cls"}),
    "detectron2-maskrcnn-truncated/output": ("detectron2", 5, {"train_loss", "lr", "loss_mask"}),
    "text-log-rooftop-unet": ("console", 200, {"train_loss"}),
    "wandb-legacy-catsdogs/wandb/run-20200228_173521-6lp07cge": (
        "jsonl", 1350, {"train_loss", "val_loss", "train_acc", "val_acc", "epoch"}),
    "wandb-legacy-catsdogs/wandb/run-20200228_174009-z6hhs4tz": (
        "jsonl", 1360, {"train_loss", "val_loss", "train_acc", "val_acc"}),
}  # fmt: skip


@pytest.mark.parametrize("folder", sorted(SINGLE_RUNS))
def test_single_run_folders(realworld: Path, folder: str) -> None:
    fmt, n_steps, signals = SINGLE_RUNS[folder]
    frames = read_runs(realworld / folder)
    assert len(frames) == 1, [f.run for f in frames]
    [f] = frames
    assert f.format == fmt
    assert signals <= set(f.signals), sorted(f.signals)
    if n_steps is not None:
        assert f.n_steps == n_steps
    for name in f.signals:  # one value per step per signal: no double-counted snapshots
        assert f.series(name).index.is_unique


def test_keras_append_mode_runs(realworld: Path) -> None:
    frames = read_runs(realworld / "keras-tf1-irfanet" / "training_logs221017.log")
    assert [f.n_steps for f in frames] == [133, 4, 5, 9]
    assert [f.run.rsplit("#", 1)[1] for f in frames] == ["1", "2", "3", "4"]
    frames = read_runs(realworld / "keras-tf1-irfanet" / "training_logs191017(5).log")
    assert [f.n_steps for f in frames] == [26, 200]
    assert all({"train_loss", "val_loss", "train_acc", "val_acc"} <= set(f.signals) for f in frames)


def test_keras_voiceid_both_logs(realworld: Path) -> None:
    frames = read_runs(realworld / "keras-csvlogger-voiceid")
    assert sorted(f.n_steps for f in frames) == [15, 50]


def test_genrisk_nans_are_preserved(realworld: Path) -> None:
    v0 = read_runs(realworld / "genrisk-gan/lightning_logs/version_0")[0]
    disc = v0.series("train_loss").to_numpy()
    assert disc[0] == pytest.approx(1.6226933508321501e24)
    assert np.isnan(disc[1:]).all() and len(disc) == 320
    v1 = read_runs(realworld / "genrisk-gan/lightning_logs/version_1")[0]
    assert np.isnan(v1.series("train_gen_loss").to_numpy()).all()


def test_lightning_sparse_blanks_are_not_rows(realworld: Path) -> None:
    f = read_runs(realworld / "lightning-csv-slm-sweep/lightning_logs/version_3")[0]
    assert f.series("val_loss").size == 4  # one per epoch, not one per row
    assert np.isfinite(f.series("train_loss").to_numpy()).all()
    assert f.config["lr"] == pytest.approx(8.532365328192224e-4)


def test_hf_checkpoint_prefixes_are_one_run(realworld: Path) -> None:
    [f] = read_runs(realworld / "hf-chatglm2-prefix-checkpoints")
    loss = f.series("train_loss")
    assert loss.index.tolist() == list(range(10, 3001, 10))
    assert not any("superseded" in w for w in f.warnings)


def test_hf_trocr_grad_norm_and_flemish_epochs(realworld: Path) -> None:
    [f] = read_runs(realworld / "hf-trocr-fractions")
    gn = f.series("grad_norm")
    assert len(gn) == 700 and gn.min() > 1e4  # huge but finite pre-clipping norms
    [fl] = read_runs(realworld / "hf-whisper-flemish")
    assert fl.config_raw["num_train_epochs"] == 9223372036854775807
    assert "epochs" not in fl.config


def test_wandb_strings_are_numbers(realworld: Path) -> None:
    [f] = read_runs(realworld / "wandb-legacy-catsdogs/wandb/run-20200228_174009-z6hhs4tz")
    assert f.step_range == (5393, 6752)
    assert f.series("train_loss").loc[5393] == pytest.approx(0.163)
    assert f.series("val_loss").iloc[-1] == pytest.approx(0.201)
    assert f.config["batch_size"] == 100


def test_yolov5_zero_class_loss_is_logged_zero(realworld: Path) -> None:
    [f] = read_runs(realworld / "yolov5-elevator/exp2")
    cls = f.series("train/cls_loss")
    assert len(cls) == 300 and (cls == 0.0).all()
    assert f.config["momentum"] == pytest.approx(0.937)


def test_ptychopinn_nan_from_epoch_3(realworld: Path) -> None:
    [f] = read_runs(realworld / "ptychopinn-keras-nan")
    loss = f.series("train_loss")
    assert loss.loc[0] == pytest.approx(-3863464.0)
    assert math.isnan(loss.loc[3]) and math.isnan(loss.loc[4])


def test_rooftop_console(realworld: Path) -> None:
    [f] = read_runs(realworld / "text-log-rooftop-unet")
    assert f.axis == "epoch" and f.step_range == (1, 200)
    assert f.series("train_loss").loc[200] == pytest.approx(0.5025)


def test_every_text_run_is_found_and_nonempty(realworld: Path) -> None:
    text = [s for s in discover(realworld) if s.reader not in {"tensorboard", "tb_export"}]
    assert len(text) == 33
    for source in text:
        for f in read_runs(source.path, input_format=None):
            assert len(f.data), f.run
