"""Keras ``CSVLogger``: ``training.log``, one row per epoch, columns ``epoch`` + sorted keys.

Keras writes whatever is in the epoch's ``logs`` dict, sorted (``CSVLogger`` sorts the keys), so
the loss is the epoch's running mean and metrics follow Keras' names: ``accuracy`` (TF2) or
``acc`` (Keras 2.2), ``lr`` (``ReduceLROnPlateau`` in TF2) or ``learning_rate`` (Keras 3).
Richer levels add what a custom callback would put in ``logs``: ``grad_norm`` and per-layer
statistics at the epoch's last recorded step. Non-finite values are written as ``nan``/``inf``.
Fresh families log to ``training.csv``/``log.csv`` with Keras 3's ``learning_rate`` or the
spelled-out ``mean_absolute_error``. Study families: ``history.csv`` with ``categorical_accuracy``
and ``learning_rate``, and a ``CSVLogger(..., separator=";")`` file ``train_history.csv`` with
``acc``/``mae``/``lr``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from benchmarks.zoo.writers import common

NAME = "keras_csv"

_STYLES: list[dict[str, str]] = [
    {"file": "training.log", "acc": "accuracy", "mae": "mae", "lr": "learning_rate"},
    {"file": "training.log", "acc": "acc", "mae": "mean_absolute_error", "lr": "lr"},
    {"file": "training_log.csv", "acc": "sparse_categorical_accuracy", "mae": "mae", "lr": "lr"},
]
_FRESH: list[dict[str, str]] = [
    {"file": "training.csv", "acc": "accuracy", "mae": "mean_absolute_error",
     "lr": "learning_rate"},
    {"file": "log.csv", "acc": "sparse_categorical_accuracy", "mae": "mae", "lr": "lr"},
]  # fmt: skip
_STUDY: list[dict[str, str]] = [
    {"file": "history.csv", "acc": "categorical_accuracy", "mae": "mean_absolute_error",
     "lr": "learning_rate"},
    {"file": "train_history.csv", "sep": ";", "acc": "acc", "mae": "mae", "lr": "lr"},
]  # fmt: skip


def write(h: common.History, run_dir: Path, level: str, config: str, run_id: str) -> Path:
    """Write one run as a Keras CSVLogger file (plus a config beside it); return the folder."""
    styles = common.naming(h, _STYLES, _FRESH, _STUDY)
    style = common.style_of(run_id, len(styles))
    n = styles[style]
    run_dir.mkdir(parents=True, exist_ok=True)
    per_epoch = common.epoch_signals(h, level)
    rows: list[dict[str, float]] = []
    for e in h["epochs"]:
        logs: dict[str, float] = {"loss": e["train_loss"], "val_loss": e["val_loss"]}
        if common.is_clf(h):
            logs[n["acc"]] = e["train_acc"]
            logs["val_" + n["acc"]] = e["val_acc"]
        else:
            logs["val_" + n["mae"]] = e["val_mae"]
        for key, value in per_epoch.get(int(e["epoch"]), {}).items():
            logs[n["lr"] if key == "lr" else key] = value
        rows.append(logs)
    keys = sorted({k for r in rows for k in r})
    with open(run_dir / n["file"], "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["epoch", *keys], restval="NA", delimiter=n.get("sep", ",")
        )
        writer.writeheader()
        for epoch, logs in enumerate(rows):
            writer.writerow({"epoch": epoch, **{k: repr(float(v)) for k, v in logs.items()}})
    common.write_side_config(run_dir, common.config_facts(h, config, run_id), style + 1)
    return run_dir
