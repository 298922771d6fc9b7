"""TensorBoard event files through ``torch.utils.tensorboard.SummaryWriter``.

Three naming habits: the PyTorch tutorial's ``Loss/train`` + ``Loss/val``, the ``train/loss`` +
``val/loss`` slash style, and Lightning's TensorBoardLogger names (``train_loss_step``,
``val_loss``, ``lr-Adam``, ``grad_2.0_norm_total``, ``epoch``; step = global step − 1). The
config goes where TensorBoard keeps it: the hparams plugin, in the same event file (Lightning
also writes ``hparams.yaml`` beside it). Fresh families: ``loss/train`` + ``loss/validation``,
capitalised ``Train/Loss`` + ``Valid/Loss`` + ``LR``, and Lightning with ``train/loss_step`` +
``val/loss_epoch``. Study families: ``Loss/train`` + ``Loss/valid`` with ``Learning Rate``,
``training/loss`` + ``validation/loss`` with ``optimizer/lr`` and ``gradients/global_norm``, and
Lightning with ``loss_step`` + ``val_loss_epoch``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.zoo.writers import common

NAME = "tensorboard"

_STYLES: list[dict[str, str]] = [
    {"train": "Loss/train", "val": "Loss/val", "tacc": "Accuracy/train", "vacc": "Accuracy/val",
     "vmae": "MAE/val", "lr": "lr", "grad_norm": "grad_norm",
     "grad_norm_clipped": "grad_norm_clipped"},
    {"train": "train/loss", "val": "val/loss", "tacc": "train/acc", "vacc": "val/acc",
     "vmae": "val/mae", "lr": "train/lr", "grad_norm": "train/grad_norm",
     "grad_norm_clipped": "train/grad_norm_clipped"},
    {"train": "train_loss_step", "train_epoch": "train_loss_epoch", "val": "val_loss",
     "tacc": "train_acc_epoch", "vacc": "val_acc", "vmae": "val_mae", "lr": "lr-{opt}",
     "grad_norm": "grad_2.0_norm_total", "grad_norm_clipped": "grad_norm_clipped",
     "epoch": "epoch", "lightning": "1"},
]  # fmt: skip

_FRESH: list[dict[str, str]] = [
    {"train": "loss/train", "val": "loss/validation", "tacc": "accuracy/train",
     "vacc": "accuracy/validation", "vmae": "mae/validation", "lr": "learning_rate",
     "grad_norm": "gradient_norm", "grad_norm_clipped": "clipped_grad_norm"},
    {"train": "Train/Loss", "val": "Valid/Loss", "tacc": "Train/Accuracy",
     "vacc": "Valid/Accuracy", "vmae": "Valid/MAE", "lr": "LR", "grad_norm": "grad_norm",
     "grad_norm_clipped": "grad_norm_clipped"},
    {"train": "train/loss_step", "train_epoch": "train/loss_epoch", "val": "val/loss_epoch",
     "tacc": "train/acc_epoch", "vacc": "val/acc_epoch", "vmae": "val/mae_epoch",
     "lr": "lr-{opt}", "grad_norm": "grad_2.0_norm_total",
     "grad_norm_clipped": "grad_norm_clipped", "epoch": "epoch", "lightning": "1"},
]  # fmt: skip

_STUDY: list[dict[str, str]] = [
    {"train": "Loss/train", "val": "Loss/valid", "tacc": "Accuracy/train",
     "vacc": "Accuracy/valid", "vmae": "MAE/valid", "lr": "Learning Rate",
     "grad_norm": "Gradient Norm", "grad_norm_clipped": "Gradient Norm (clipped)"},
    {"train": "training/loss", "val": "validation/loss", "tacc": "training/accuracy",
     "vacc": "validation/accuracy", "vmae": "validation/mae", "lr": "optimizer/lr",
     "grad_norm": "gradients/global_norm", "grad_norm_clipped": "gradients/clipped_norm"},
    {"train": "loss_step", "train_epoch": "loss_epoch", "val": "val_loss_epoch",
     "tacc": "acc_epoch", "vacc": "val_acc_epoch", "vmae": "val_mae_epoch", "lr": "lr-{opt}",
     "grad_norm": "grad_2.0_norm_total", "grad_norm_clipped": "grad_norm_clipped",
     "epoch": "epoch", "lightning": "1"},
]  # fmt: skip

_OPT_NAMES = common.OPT_CLASS


def _hparam_value(v: Any) -> Any:
    """TensorBoard's hparams plugin takes numbers, strings and bools only."""
    if isinstance(v, bool | int | float | str):
        return v
    return str(list(v) if isinstance(v, tuple) else v)


def write(h: common.History, run_dir: Path, level: str, config: str, run_id: str) -> Path:
    """Write one run as a TensorBoard event file; return the run folder."""
    from torch.utils.tensorboard import SummaryWriter
    from torch.utils.tensorboard.summary import hparams

    styles = common.naming(h, _STYLES, _FRESH, _STUDY)
    style = common.style_of(run_id, len(styles))
    names = styles[style]
    lightning = "lightning" in names
    shift = 1 if lightning else 0  # Lightning logs at global_step - 1
    opt = _OPT_NAMES.get(h["spec"]["optimizer"], "SGD")
    run_dir.mkdir(parents=True, exist_ok=True)
    w = SummaryWriter(log_dir=str(run_dir))
    try:
        facts = common.config_facts(h, config, run_id)
        if facts:
            spelled = common.spell(facts, "lightning" if lightning else "plain")
            exp, ssi, sei = hparams({k: _hparam_value(v) for k, v in spelled.items()}, {})
            for summary in (exp, ssi, sei):
                w.file_writer.add_summary(summary)
            if lightning:
                common.write_yaml(run_dir / "hparams.yaml", spelled)
        for p in common.points(h, level):
            step = p.step - shift
            w.add_scalar(names["train"], p.loss, step, walltime=p.wall_time)
            for key, value in p.signals.items():
                tag = names.get(key, key).format(opt=opt)
                w.add_scalar(tag, value, step, walltime=p.wall_time)
        for e in h["epochs"]:
            step, t = int(e["step"]) - shift, float(e["_time"])
            w.add_scalar(names["val"], e["val_loss"], step, walltime=t)
            if common.is_clf(h):
                w.add_scalar(names["vacc"], e["val_acc"], step, walltime=t)
                w.add_scalar(names["tacc"], e["train_acc"], step, walltime=t)
            else:
                w.add_scalar(names["vmae"], e["val_mae"], step, walltime=t)
            if "train_epoch" in names:
                w.add_scalar(names["train_epoch"], e["train_loss"], step, walltime=t)
            if "epoch" in names:
                w.add_scalar(names["epoch"], float(e["epoch"]), step, walltime=t)
    finally:
        w.close()
    return run_dir
