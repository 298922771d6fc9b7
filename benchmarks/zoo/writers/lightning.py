"""Lightning ``CSVLogger``: ``lightning_logs/version_0/metrics.csv`` + ``hparams.yaml``.

Sparse rows, as Lightning writes them: a row per logging step (``train_loss_step``, the
gradient norms a ``grad_norm`` hook logs, per-layer statistics) at step = global step − 1, the
``LearningRateMonitor``'s own rows (``lr-Adam``, no epoch), and at each epoch end first the
validation row, then the train-epoch row (``train_loss_epoch``). Columns are sorted, as
Lightning's writer sorts them. ``hparams.yaml`` is always there and is ``{}`` when nothing was
saved with ``save_hyperparameters``. Fresh families name their metrics ``training_loss``/
``validation_loss``, ``train_loss``/``valid_loss`` or ``train/loss``/``val/loss_epoch`` (validation
logged with ``on_epoch=True``). Study families: ``training/loss``/``validation/loss``, Ray Tune's
``trn_loss``/``ptl/val_loss`` and a bare ``loss``/``val_loss_epoch``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from benchmarks.zoo.writers import common

NAME = "lightning"

_STYLES: list[dict[str, str]] = [
    {"train": "train_loss", "acc": "train_acc", "val": "val_loss", "vacc": "val_acc",
     "vmae": "val_mae", "grad_norm": "grad_2.0_norm_total"},
    {"train": "train/loss", "acc": "train/acc", "val": "val/loss", "vacc": "val/acc",
     "vmae": "val/mae", "grad_norm": "grad_2.0_norm_total"},
    {"train": "loss", "acc": "train_accuracy", "val": "val_loss", "vacc": "val_accuracy",
     "vmae": "val_mae", "grad_norm": "grad_norm"},
]  # fmt: skip

_FRESH: list[dict[str, str]] = [
    {"train": "training_loss", "acc": "training_acc", "val": "validation_loss",
     "vacc": "validation_acc", "vmae": "validation_mae", "grad_norm": "grad_2.0_norm_total"},
    {"train": "train_loss", "acc": "train_acc", "val": "valid_loss", "vacc": "valid_acc",
     "vmae": "valid_mae", "grad_norm": "grad_norm"},
    {"train": "train/loss", "acc": "train/acc", "val": "val/loss_epoch", "vacc": "val/acc_epoch",
     "vmae": "val/mae_epoch", "grad_norm": "grad_2.0_norm_total"},
]  # fmt: skip

_STUDY: list[dict[str, str]] = [
    {"train": "training/loss", "acc": "training/acc", "val": "validation/loss",
     "vacc": "validation/acc", "vmae": "validation/mae", "grad_norm": "grad_2.0_norm_total"},
    {"train": "trn_loss", "acc": "trn_acc", "val": "ptl/val_loss", "vacc": "ptl/val_accuracy",
     "vmae": "ptl/val_mae", "grad_norm": "grad_norm"},
    {"train": "loss", "acc": "acc", "val": "val_loss_epoch", "vacc": "val_acc_epoch",
     "vmae": "val_mae_epoch", "grad_norm": "grad_2.0_norm_total"},
]  # fmt: skip

_OPT = common.OPT_CLASS


def write(h: common.History, run_dir: Path, level: str, config: str, run_id: str) -> Path:
    """Write one run as a Lightning CSVLogger version folder; return that folder."""
    styles = common.naming(h, _STYLES, _FRESH, _STUDY)
    style = common.style_of(run_id, len(styles))
    n = styles[style]
    version = run_dir / "lightning_logs" / "version_0"
    version.mkdir(parents=True, exist_ok=True)
    lr_name = f"lr-{_OPT.get(h['spec']['optimizer'], 'SGD')}"
    rows: list[dict[str, str]] = []
    for p in common.points(h, level):
        step = str(p.step - 1)
        row = {"epoch": str(p.epoch), "step": step, f"{n['train']}_step": common.fmt_float(p.loss)}
        for key, value in p.signals.items():
            if key == "lr":
                rows.append({lr_name: common.fmt_float(value), "step": step})
                continue
            row[n.get(key, key)] = common.fmt_float(value)
        rows.append(row)
    for e in h["epochs"]:
        step, epoch = str(int(e["step"]) - 1), str(e["epoch"])
        val = {"epoch": epoch, "step": step, n["val"]: common.fmt_float(e["val_loss"])}
        train = {
            "epoch": epoch,
            "step": step,
            f"{n['train']}_epoch": common.fmt_float(e["train_loss"]),
        }
        if common.is_clf(h):
            val[n["vacc"]] = common.fmt_float(e["val_acc"])
            train[f"{n['acc']}_epoch"] = common.fmt_float(e["train_acc"])
        else:
            val[n["vmae"]] = common.fmt_float(e["val_mae"])
        rows.extend([val, train])
    rows.sort(key=lambda r: int(r["step"]))  # stable: keeps val-then-train order at a step
    keys = sorted({k for r in rows for k in r})
    with open(version / "metrics.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=keys, restval="")
        writer.writeheader()
        writer.writerows(rows)
    common.write_yaml(
        version / "hparams.yaml", common.spelled_config(h, config, run_id, "lightning")
    )
    return version
