"""JSON lines (``metrics.jsonl``): one object per logging call, as custom loggers write them.

Three habits: ``step/train_loss/val_loss``; ``iter/loss/eval_loss`` with ``gnorm`` (fairseq's
name); and a W&B-like history where ``_step`` counts log calls (not optimizer steps), with
``_runtime``, ``_timestamp`` and ``trainer/global_step``. Non-finite values are written the way
Python's ``json`` writes them (``NaN``, ``Infinity``). Fresh families: the names HF's W&B
integration logs (``train/global_step``, ``train/loss``, ``eval/loss``, ``train/learning_rate``,
``train/epoch``) and fastai-like ``loss/valid_loss``. Study families: nanoGPT-like
``it``/``train/loss``/``val/loss`` and ``global_step``/``train_loss``/``eval_loss`` with
``total_grad_norm``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.zoo.writers import common

NAME = "jsonl"

_STYLES: list[dict[str, str]] = [
    {"step": "step", "train": "train_loss", "val": "val_loss", "vacc": "val_acc",
     "tacc": "train_acc", "vmae": "val_mae", "lr": "lr", "grad_norm": "grad_norm"},
    {"step": "iter", "train": "loss", "val": "eval_loss", "vacc": "eval_accuracy",
     "tacc": "accuracy", "vmae": "eval_mae", "lr": "learning_rate", "grad_norm": "gnorm"},
    {"step": "trainer/global_step", "train": "train/loss", "val": "val/loss", "vacc": "val/acc",
     "tacc": "train/acc", "vmae": "val/mae", "lr": "train/lr", "grad_norm": "train/grad_norm",
     "wandb": "1"},
]  # fmt: skip

_FRESH: list[dict[str, str]] = [
    {"step": "train/global_step", "epoch": "train/epoch", "train": "train/loss",
     "val": "eval/loss", "vacc": "eval/accuracy", "tacc": "train/accuracy", "vmae": "eval/mae",
     "lr": "train/learning_rate", "grad_norm": "train/grad_norm", "wandb": "1"},
    {"step": "step", "train": "loss", "val": "valid_loss", "vacc": "valid_acc", "tacc": "acc",
     "vmae": "valid_mae", "lr": "lr", "grad_norm": "grad_norm_total"},
]  # fmt: skip

_STUDY: list[dict[str, str]] = [
    {"step": "it", "epoch": "epoch", "train": "train/loss", "val": "val/loss", "vacc": "val/acc",
     "tacc": "train/acc", "vmae": "val/mae", "lr": "lr", "grad_norm": "grad_norm"},
    {"step": "global_step", "train": "train_loss", "val": "eval_loss", "vacc": "eval_acc",
     "tacc": "train_acc", "vmae": "eval_mae", "lr": "learning_rate",
     "grad_norm": "total_grad_norm"},
]  # fmt: skip


def write(h: common.History, run_dir: Path, level: str, config: str, run_id: str) -> Path:
    """Write one run as ``metrics.jsonl`` (plus a config beside it); return the folder."""
    styles = common.naming(h, _STYLES, _FRESH, _STUDY)
    style = common.style_of(run_id, len(styles))
    n = styles[style]
    ep = n.get("epoch", "epoch")
    run_dir.mkdir(parents=True, exist_ok=True)
    events: list[tuple[int, int, float, dict[str, Any]]] = []
    for p in common.points(h, level):
        obj: dict[str, Any] = {n["step"]: p.step, ep: p.epoch, n["train"]: p.loss}
        obj.update({n.get(k, k): v for k, v in p.signals.items()})
        events.append((p.step, 0, p.wall_time, obj))
    for e in h["epochs"]:
        obj = {n["step"]: int(e["step"]), ep: int(e["epoch"]), n["val"]: e["val_loss"]}
        if common.is_clf(h):
            obj[n["vacc"]] = e["val_acc"]
            obj[n["tacc"]] = e["train_acc"]
        else:
            obj[n["vmae"]] = e["val_mae"]
        events.append((int(e["step"]), 1, float(e["_time"]), obj))
    events.sort(key=lambda ev: (ev[0], ev[1]))
    t0 = float(h["t0"])
    with open(run_dir / "metrics.jsonl", "w", encoding="utf-8") as fh:
        for i, (_, _, t, obj) in enumerate(events):
            if "wandb" in n:
                obj = {"_runtime": round(t - t0, 3), "_step": i, "_timestamp": round(t, 3), **obj}
            fh.write(json.dumps(obj) + "\n")
    common.write_side_config(run_dir, common.config_facts(h, config, run_id), style + 2)
    return run_dir
