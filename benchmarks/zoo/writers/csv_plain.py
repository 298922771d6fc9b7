"""Plain wide CSV, as a hand-written training loop logs it: one row per logging call.

Train rows carry the step's loss (and, at richer levels, lr, gradient norms and the per-layer
columns); the row at the end of an epoch also carries the validation metrics; other cells are
blank (not logged). Three habits: ``step/train_loss/val_loss``, Keras-like
``iteration/loss/val_loss/learning_rate/gradient_norm`` and ``global_step/train/loss/valid/loss``.
Fresh families: ``training_loss/validation_loss``, the Trainer notebook table's ``Step/Training
Loss/Validation Loss`` and the NLP habit ``iter/trn_loss/dev_loss/gnorm``. Study families: an
epoch-first ``epoch,iter,train_loss_step,valid_loss``, a spreadsheet-like ``Iteration,Train
Loss,Val Loss,Learning Rate`` and ``steps,loss_train,loss_val,learning-rate``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from benchmarks.zoo.writers import common

NAME = "csv"

_STYLES: list[dict[str, str]] = [
    {"file": "train_log.csv", "step": "step", "train": "train_loss", "tacc": "train_acc",
     "val": "val_loss", "vacc": "val_acc", "vmae": "val_mae", "lr": "lr",
     "grad_norm": "grad_norm", "grad_norm_clipped": "grad_norm_clipped"},
    {"file": "history.csv", "step": "iteration", "train": "loss", "tacc": "acc",
     "val": "val_loss", "vacc": "val_acc", "vmae": "val_mae", "lr": "learning_rate",
     "grad_norm": "gradient_norm", "grad_norm_clipped": "clipped_grad_norm"},
    {"file": "log.csv", "step": "global_step", "train": "train/loss", "tacc": "train/accuracy",
     "val": "valid/loss", "vacc": "valid/accuracy", "vmae": "valid/mae", "lr": "lr",
     "grad_norm": "grad_norm/total", "grad_norm_clipped": "grad_norm_after_clip"},
]  # fmt: skip

_FRESH: list[dict[str, str]] = [
    {"file": "metrics.csv", "step": "step", "train": "training_loss", "tacc": "training_accuracy",
     "val": "validation_loss", "vacc": "validation_accuracy", "vmae": "validation_mae",
     "lr": "learning_rate", "grad_norm": "grad_norm_total",
     "grad_norm_clipped": "clipped_grad_norm"},
    {"file": "losses.csv", "step": "Step", "train": "Training Loss", "tacc": "Training Accuracy",
     "val": "Validation Loss", "vacc": "Validation Accuracy", "vmae": "Validation MAE",
     "lr": "lr", "grad_norm": "grad_norm", "grad_norm_clipped": "grad_norm_clipped"},
    {"file": "train_log.csv", "step": "iter", "train": "trn_loss", "tacc": "trn_acc",
     "val": "dev_loss", "vacc": "dev_acc", "vmae": "dev_mae", "lr": "lr", "grad_norm": "gnorm",
     "grad_norm_clipped": "clipped_grad_norm"},
]  # fmt: skip

_STUDY: list[dict[str, str]] = [
    {"file": "training_log.csv", "epoch_first": "1", "step": "iter", "train": "train_loss_step",
     "tacc": "train_acc_step", "val": "valid_loss", "vacc": "valid_acc", "vmae": "valid_mae",
     "lr": "lr", "grad_norm": "grad_norm", "grad_norm_clipped": "grad_norm_clipped"},
    {"file": "results.csv", "step": "Iteration", "train": "Train Loss", "tacc": "Train Acc",
     "val": "Val Loss", "vacc": "Val Acc", "vmae": "Val MAE", "lr": "Learning Rate",
     "grad_norm": "Grad Norm", "grad_norm_clipped": "Clipped Grad Norm"},
    {"file": "progress.csv", "step": "steps", "train": "loss_train", "tacc": "acc_train",
     "val": "loss_val", "vacc": "acc_val", "vmae": "mae_val", "lr": "learning-rate",
     "grad_norm": "total_grad_norm", "grad_norm_clipped": "grad_norm_clipped"},
]  # fmt: skip


def write(h: common.History, run_dir: Path, level: str, config: str, run_id: str) -> Path:
    """Write one run as a wide CSV (plus a config file beside it); return the run folder."""
    styles = common.naming(h, _STYLES, _FRESH, _STUDY)
    style = common.style_of(run_id, len(styles))
    n = styles[style]
    run_dir.mkdir(parents=True, exist_ok=True)
    rows: dict[int, dict[str, str]] = {}
    columns: list[str] = [n["step"], "epoch", n["train"]]
    if "epoch_first" in n:
        columns[:2] = ["epoch", n["step"]]
    for p in common.points(h, level):
        r = {n["step"]: str(p.step), "epoch": str(p.epoch), n["train"]: common.fmt_float(p.loss)}
        for key, value in p.signals.items():
            col = n.get(key, key)
            if col not in columns:
                columns.append(col)
            r[col] = common.fmt_float(value)
        rows[p.step] = r
    val_cols = [n["val"], n["vacc"] if common.is_clf(h) else n["vmae"]]
    if common.is_clf(h):
        val_cols.insert(0, n["tacc"])
    columns[3:3] = val_cols
    for e in h["epochs"]:
        r = rows.setdefault(int(e["step"]), {n["step"]: str(e["step"]), "epoch": str(e["epoch"])})
        r[n["val"]] = common.fmt_float(e["val_loss"])
        if common.is_clf(h):
            r[n["vacc"]] = common.fmt_float(e["val_acc"])
            r[n["tacc"]] = common.fmt_float(e["train_acc"])
        else:
            r[n["vmae"]] = common.fmt_float(e["val_mae"])
    with open(run_dir / n["file"], "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, restval="")
        writer.writeheader()
        for step in sorted(rows):
            writer.writerow(rows[step])
    common.write_side_config(run_dir, common.config_facts(h, config, run_id), style)
    return run_dir
