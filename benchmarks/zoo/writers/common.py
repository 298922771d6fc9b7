"""What every format writer shares: richness levels, logging points and config rendering.

A writer gets one trained history and writes it the way one real tool would, at one richness
level, with the config present, partial or absent. The *values* come from here, so that the six
formats of one run carry the same numbers and differ only in what real tools differ in: names,
cadence, file layout and quirks (HF's NaN masking, Lightning's sparse rows, Keras' epoch rows).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

History = dict[str, Any]

LEVELS = ("loss", "basic", "full")
CONFIG_MODES = ("present", "partial", "absent")
BASIC_KEYS = ("lr", "grad_norm", "grad_norm_clipped")
_PRIVATE = ("step", "_s", "_time", "train_loss")


def select(row: dict[str, float], level: str) -> dict[str, float]:
    """The recorder row's signals a ``level`` keeps (``loss`` keeps none: losses come apart)."""
    if level == "loss":
        return {}
    if level == "basic":
        return {k: row[k] for k in BASIC_KEYS if k in row}
    return {k: v for k, v in row.items() if k not in _PRIVATE}


@dataclass(frozen=True)
class Point:
    """One logging call of the training loop: the last step of a ``log_every`` window."""

    step: int  # optimizer steps done (1-based), as HF's global_step
    epoch: int  # 0-based epoch the step belongs to
    epoch_float: float  # steps done / steps per epoch, as HF reports it
    loss: float  # the batch loss at this step
    window_losses: tuple[float, ...]  # every batch loss since the previous point
    signals: dict[str, float]  # recorder signals at this step (lr, grad norms, per-layer …)
    wall_time: float


def points(h: History, level: str) -> list[Point]:
    """Logging points of a run at a richness level, in step order."""
    losses = h["loss"]
    spe = int(h["steps_per_epoch"])
    out: list[Point] = []
    prev = 0
    for row in h["rows"]:
        s1 = int(row["step"])
        if s1 > len(losses):
            break
        out.append(
            Point(
                step=s1,
                epoch=(s1 - 1) // spe,
                epoch_float=s1 / spe,
                loss=float(losses[s1 - 1]),
                window_losses=tuple(float(x) for x in losses[prev:s1]),
                signals=select(row, level),
                wall_time=float(row["_time"]),
            )
        )
        prev = s1
    return out


def epoch_signals(h: History, level: str) -> dict[int, dict[str, float]]:
    """The recorder signals at the last recorded step of each epoch (for per-epoch loggers)."""
    spe = int(h["steps_per_epoch"])
    out: dict[int, dict[str, float]] = {}
    for row in h["rows"]:
        out[(int(row["step"]) - 1) // spe] = select(row, level)
    return out


def is_clf(h: History) -> bool:
    return h["task"] == "classification"


def naming(
    h: History,
    styles: list[dict[str, str]],
    fresh: list[dict[str, str]],
    study: list[dict[str, str]] | None = None,
) -> list[dict[str, str]]:
    """A writer's naming habits for this run: the fresh families (``log_names: fresh``) and the
    study families (``log_names: study``) draw from habits of their own, so that those splits
    also test names the rules were not tuned on; every other run uses ``styles``."""
    own = {"fresh": fresh, "study": study}.get(h["spec"].get("log_names") or "")
    return own if own else styles


#: Optimizer class names as Lightning's LearningRateMonitor spells them (``lr-<name>``).
OPT_CLASS = {
    "sgd": "SGD", "momentum": "SGD", "nesterov": "SGD", "adam": "Adam", "adamw": "AdamW",
    "rmsprop": "RMSprop", "adagrad": "Adagrad", "nadam": "NAdam", "radam": "RAdam",
    "adadelta": "Adadelta",
}  # fmt: skip


def style_of(run_id: str, n: int) -> int:
    """A stable per-run choice among ``n`` naming styles (hash of the run id, not Python's)."""
    return int(hashlib.sha1(run_id.encode()).hexdigest(), 16) % n


def fmt_float(x: float) -> str:
    """Shortest round-trip repr, with Python's spellings for non-finite values (``nan``, ``inf``)."""
    return repr(float(x))


# -- config ------------------------------------------------------------------------------------

#: How each config style spells the canonical keys (all spellings are real tools' habits).
KEY_STYLES: dict[str, dict[str, str]] = {
    "plain": {},
    "lightning": {
        "lr": "learning_rate", "epochs": "max_epochs", "grad_clip": "gradient_clip_val",
        "normalize_inputs": "normalize", "n_classes": "num_classes", "n_inputs": "input_dim",
        "depth": "num_layers", "hidden_units": "hidden_dim", "hidden_activation": "activation",
        "output_activation": "out_activation", "loss": "criterion", "init": "weight_init",
        "n_train": "train_size", "n_val": "val_size", "norm_layers": "batch_norm",
    },
    "hf_model": {
        "depth": "num_hidden_layers", "hidden_units": "hidden_size", "hidden_activation":
        "hidden_act", "dropout": "hidden_dropout_prob", "n_classes": "num_labels",
        "task": "problem_type", "init": "initializer", "n_inputs": "input_size",
        "output_activation": "final_activation",
    },
    "hf_args": {
        "lr": "learning_rate", "batch_size": "per_device_train_batch_size",
        "epochs": "num_train_epochs", "optimizer": "optim", "grad_clip": "max_grad_norm",
    },
}  # fmt: skip

_MODEL_KEYS = (
    "depth", "hidden_units", "hidden_activation", "output_activation", "dropout", "n_classes",
    "task", "init", "n_inputs", "norm_layers", "residual",
)  # fmt: skip
_TRAIN_KEYS = (
    "lr", "batch_size", "epochs", "optimizer", "momentum", "weight_decay", "grad_clip",
    "shuffle", "normalize_inputs", "normalize_targets", "loss", "n_train", "n_val",
    "lr_schedule", "early_stopping_patience",
)  # fmt: skip
_PARTIAL_POOL = (
    "lr",
    "batch_size",
    "epochs",
    "optimizer",
    "hidden_units",
    "dropout",
    "weight_decay",
)


def spell(facts: dict[str, Any], style: str) -> dict[str, Any]:
    names = KEY_STYLES[style]
    out: dict[str, Any] = {}
    for k, v in facts.items():
        if isinstance(v, float) and not math.isfinite(v):
            continue
        out[names.get(k, k)] = v
    return out


def config_facts(h: History, mode: str, run_id: str) -> dict[str, Any]:
    """The canonical facts a run's config file holds: all (present), 2–4 (partial) or none."""
    if mode == "absent":
        return {}
    facts = {k: v for k, v in h["config"].items() if v is not None}
    if facts.get("grad_clip") is None:
        facts.pop("grad_clip", None)
    if mode == "present":
        facts["seed"] = h["spec"]["seed"]
        facts["dataset"] = h["spec"]["dataset"]
        return facts
    rng = np.random.default_rng(int(hashlib.sha1(run_id.encode()).hexdigest(), 16) % 2**32)
    pool = [k for k in _PARTIAL_POOL if k in facts]
    keep = rng.choice(pool, size=min(len(pool), int(rng.integers(2, 5))), replace=False)
    return {k: facts[k] for k in pool if k in set(keep)}


def spelled_config(h: History, mode: str, run_id: str, style: str) -> dict[str, Any]:
    """Config facts spelled in one style (``plain``, ``lightning``)."""
    return spell(config_facts(h, mode, run_id), style)


def split_model_and_training(facts: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """HF keeps model facts in ``config.json`` and training facts in the training arguments."""
    model = {k: v for k, v in facts.items() if k in _MODEL_KEYS}
    train = {k: v for k, v in facts.items() if k not in _MODEL_KEYS}
    return model, train


def write_json(path: Path, obj: Any, *, indent: int | None = 2, sort_keys: bool = False) -> None:
    """JSON as Python writes it (``NaN``/``Infinity`` literals allowed, as real logs have them)."""
    path.write_text(json.dumps(obj, indent=indent, sort_keys=sort_keys) + "\n", encoding="utf-8")


def write_yaml(path: Path, obj: dict[str, Any]) -> None:
    """YAML the way PyYAML's ``dump`` writes a flat hparams dict (Lightning uses it)."""
    import yaml

    text = "{}\n" if not obj else yaml.safe_dump(_plain(obj), sort_keys=True)
    path.write_text(text, encoding="utf-8")


def _plain(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in obj.items()}


def write_side_config(run_dir: Path, facts: dict[str, Any], style_idx: int) -> list[str]:
    """A config file beside a log (CSV, Keras, JSONL): ``config.json``, ``hparams.yaml`` or a
    W&B-style ``config.yaml`` (``{key: {desc, value}}``). Returns the file names written."""
    if not facts:
        return []
    choice = style_idx % 3
    if choice == 0:
        write_json(run_dir / "config.json", _plain(spell(facts, "plain")), indent=4)
        return ["config.json"]
    if choice == 1:
        write_yaml(run_dir / "hparams.yaml", spell(facts, "lightning"))
        return ["hparams.yaml"]
    import yaml

    wandb = {"wandb_version": 1}
    wandb.update({k: {"desc": None, "value": v} for k, v in _plain(spell(facts, "plain")).items()})
    (run_dir / "config.yaml").write_text(yaml.safe_dump(wandb, sort_keys=False), encoding="utf-8")
    return ["config.yaml"]
