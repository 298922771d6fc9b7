"""Hugging Face ``Trainer``: ``trainer_state.json`` with its ``log_history``.

Written as ``Trainer`` writes it: every ``logging_steps`` an entry with the *mean* loss of the
window (rounded to 4 decimals), ``grad_norm`` (the pre-clip norm of the window's last step) and
``learning_rate``; ``eval_*`` entries at each epoch end; a final ``train_loss`` summary entry;
``epoch`` as a float (rounded to 2 decimals by older versions). With the default
``logging_nan_inf_filter=True`` a non-finite step loss is replaced by the running mean of the
window, so once the weights are NaN the logged loss is exactly ``0.0`` while ``grad_norm`` is
``NaN`` — the masking HF users meet in real logs. Config: the model's ``config.json`` and the
training arguments saved as JSON. Study families: ``compute_metrics`` returning ``acc`` (logged
``eval_acc``) and HF's ``linear``/``reduce_lr_on_plateau`` scheduler names.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from benchmarks.zoo.writers import common

NAME = "hf_trainer"


def masked_window_loss(window: tuple[float, ...]) -> float:
    """The loss HF logs for a window, with ``logging_nan_inf_filter`` (transformers' Trainer):
    ``tr_loss += tr_loss / (1 + steps since last log)`` for a non-finite step loss."""
    tr_loss = 0.0
    for k, loss in enumerate(window):
        tr_loss = tr_loss + tr_loss / (1 + k) if not math.isfinite(loss) else tr_loss + loss
    return tr_loss


def _model_config(facts: dict[str, Any], clf: bool) -> dict[str, Any]:
    cfg = common.spell(facts, "hf_model")
    # transformers writes the labels, not their count: config.json has id2label/label2id
    k = cfg.pop("num_labels", None)
    if isinstance(k, int) and k >= 2:
        cfg["id2label"] = {str(i): f"LABEL_{i}" for i in range(k)}
        cfg["label2id"] = {f"LABEL_{i}": i for i in range(k)}
    cfg = {"architectures": ["MLPForSequenceClassification" if clf else "MLPForRegression"], **cfg}
    cfg.setdefault("model_type", "mlp")
    cfg["transformers_version"] = "4.44.2"
    return cfg


_HF_OPTIM = {"sgd": "sgd", "momentum": "sgd", "nesterov": "sgd", "adam": "adam",
             "adamw": "adamw_torch", "rmsprop": "rmsprop", "adagrad": "adagrad"}  # fmt: skip
_ARG_KEYS = ("lr", "batch_size", "epochs", "optimizer", "weight_decay", "grad_clip", "seed")


def _training_args(train: dict[str, Any], h: common.History, config: str) -> dict[str, Any]:
    """The facts ``TrainingArguments`` has fields for, under HF's names (others are dropped)."""
    facts = {k: v for k, v in train.items() if k in _ARG_KEYS}
    if "optimizer" in facts:
        facts["optimizer"] = _HF_OPTIM.get(str(facts["optimizer"]), facts["optimizer"])
    args = common.spell(facts, "hf_args")
    if config == "present":
        args.setdefault("max_grad_norm", 0.0)  # clipping off (HF's default would be 1.0)
        args["logging_steps"] = int(h["spec"]["log_every"])
        args["eval_strategy"] = "epoch"
        sched = h["spec"].get("schedule")
        # HF has no step decay among its scheduler types (a custom scheduler is not named here).
        kind = sched["kind"] if sched else "constant"
        named = {
            "warmup_cosine": "cosine",
            "warmup": "constant_with_warmup",
            "constant": "constant",
            "linear": "linear",
            "plateau": "reduce_lr_on_plateau",
        }
        if kind in named:
            args["lr_scheduler_type"] = named[kind]
    return args


def write(h: common.History, run_dir: Path, level: str, config: str, run_id: str) -> Path:
    """Write one run as an HF output folder; return it."""
    style = common.style_of(run_id, 2)
    run_dir.mkdir(parents=True, exist_ok=True)
    clf = common.is_clf(h)
    spe = int(h["steps_per_epoch"])
    log: list[dict[str, Any]] = []
    total = 0.0
    epochs = {int(e["step"]): e for e in h["epochs"]}
    pts = {p.step: p for p in common.points(h, level)}
    last_step = len(h["loss"])
    # compute_metrics' keys are the user's: the study families return {"acc": ...}
    acc_key = "eval_acc" if h["spec"].get("log_names") == "study" else "eval_accuracy"
    for step in sorted(set(pts) | set(epochs)):
        ep = round(step / spe, 2) if style == 0 else step / spe
        if step in pts:
            p = pts[step]
            tr = masked_window_loss(p.window_losses)
            total += tr
            entry: dict[str, Any] = {"epoch": ep}
            for key, value in p.signals.items():
                entry["learning_rate" if key == "lr" else key] = value
            entry["loss"] = round(tr / len(p.window_losses), 4)
            entry["step"] = step
            log.append(dict(sorted(entry.items())))
        if step in epochs:
            e = epochs[step]
            n_val = h["n_val"]
            runtime = max(1e-4, float(e.get("_eval_seconds", 1e-3)))
            entry = {"epoch": ep, "eval_loss": e["val_loss"]}
            if clf:
                entry[acc_key] = e["val_acc"]
            else:
                entry["eval_mae"] = e["val_mae"]
            entry.update({"eval_runtime": round(runtime, 4),
                          "eval_samples_per_second": round(n_val / runtime, 3),
                          "eval_steps_per_second": round(math.ceil(n_val / 8) / runtime, 3),
                          "step": step})  # fmt: skip
            log.append(dict(sorted(entry.items())))
    seconds = max(h["seconds"], 1e-3)
    n_train = h["n_train"]
    log.append({"epoch": round(last_step / spe, 2) if style == 0 else last_step / spe,
                "step": last_step, "total_flos": float(last_step * n_train * 1000),
                "train_loss": total / max(1, last_step), "train_runtime": round(seconds, 4),
                "train_samples_per_second": round(n_train * len(h["epochs"]) / seconds, 3),
                "train_steps_per_second": round(last_step / seconds, 3)})  # fmt: skip
    cfg = h["config"]
    state = {
        "best_metric": None,
        "best_model_checkpoint": None,
        "epoch": last_step / spe,
        "eval_steps": None,
        "global_step": last_step,
        "is_hyper_param_search": False,
        "is_local_process_zero": True,
        "is_world_process_zero": True,
        "log_history": log,
        "logging_steps": int(h["spec"]["log_every"]),
        "max_steps": int(h["n_steps_planned"]),
        "num_input_tokens_seen": 0,
        "num_train_epochs": int(cfg.get("epochs", len(h["epochs"]))),
        "save_steps": 500,
        "stateful_callbacks": {
            "TrainerControl": {
                "args": {
                    "should_epoch_stop": False,
                    "should_evaluate": False,
                    "should_log": False,
                    "should_save": True,
                    "should_training_stop": True,
                },
                "attributes": {},
            }
        },
        "total_flos": float(last_step * n_train * 1000),
        "train_batch_size": int(cfg.get("batch_size", 8)),
        "trial_name": None,
        "trial_params": None,
    }
    common.write_json(run_dir / "trainer_state.json", state, indent=2, sort_keys=True)
    facts = common.config_facts(h, config, run_id)
    if facts:
        model, train = common.split_model_and_training(facts)
        if config == "present":
            common.write_json(run_dir / "config.json", _model_config(model, clf), sort_keys=True)
        args = _training_args(train, h, config)
        common.write_json(run_dir / "training_args.json", dict(sorted(args.items())))
    return run_dir
