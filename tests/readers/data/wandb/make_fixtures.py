"""Make the W&B fixtures for tests/readers/test_wandb.py: wandb 0.31.0 writing offline runs.

Run in a separate environment (``pip install wandb``; nn-doctor does not depend on it), from an
empty folder; copy each ``wandb/offline-run-*/run-*.wandb`` into a folder of the same name here.
"""

import math
import os

import wandb

os.environ["WANDB_MODE"] = "offline"
os.environ["WANDB_SILENT"] = "true"

# 1: a short run that goes NaN, with a nested config
run = wandb.init(
    project="nn-doctor-fixtures",
    name="nan-run",
    config={
        "learning_rate": 0.5,
        "batch_size": 64,
        "model": {"hidden_units": 128, "activation": "relu"},
    },
)
for step in range(40):
    loss = 2.3 * math.exp(-step / 12) + 0.1
    row = {
        "train/loss": float("nan") if step >= 35 else loss,
        "train/lr": 0.5,
        "train/global_step": step * 10,
    }
    if step % 10 == 9:
        row["eval/loss"] = loss * 1.15
        row["eval/accuracy"] = 1 - loss / 3
    wandb.log(row)
run.finish()

# 2: a longer run whose records cross 32 KiB blocks (chunks split first/middle/last)
run = wandb.init(
    project="nn-doctor-fixtures", name="long-run", config={"lr": 0.001, "optimizer": "AdamW"}
)
for step in range(100):
    wandb.log(
        {
            "loss": 1.0 / (1 + step / 20),
            "grad_norm": 0.5 + 0.001 * step,
            "layers": {f"fc{i}": {"grad_norm": 0.1 * i} for i in range(1, 4)},
        },
        step=step,
    )
run.finish()
