"""Train one zoo scenario with torch on CPU and keep everything the writers and verifiers need.

The loop is an ordinary mini-batch loop (no DataLoader: on tiny tabular data its per-batch
overhead would dominate the run time). It keeps every step's batch loss (cheap, and what the
verifiers and HF's interval averaging need), the recorder's rows every ``log_every`` steps, and
one row per epoch with the validation metrics. Nothing here is drawn from a formula: every
number is measured on the model being trained.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from benchmarks.zoo import data as zdata
from benchmarks.zoo.models import build
from nn_doctor.record.torch import TorchRecorder, config_facts

#: Every setting a scenario may change, with its default.
DEFAULTS: dict[str, Any] = {
    "dataset": "iris",
    "model": "mlp",
    "arch": {},
    "optimizer": "adam",
    "lr": 1e-3,
    "momentum": 0.0,
    "weight_decay": 0.0,
    # {"kind": "warmup_cosine"|"step"|"warmup"|"linear"|"exp"|"plateau"|"onecycle"|
    #  "cosine_restarts", ...}
    "schedule": None,
    "batch_size": 32,
    "epochs": 20,
    "shuffle": True,
    "sort_by_label": False,
    "grad_clip": None,
    "loss": "auto",  # "ce" | "naive_softmax" | "mse" | "huber" | "bce_with_logits" | "naive_bce"
    "mixup": 0.0,  # mixup's Beta(alpha, alpha) (classification, cross-entropy): 0 = off
    "n_train": None,
    "label_noise": 0.0,
    "raw_inputs": False,
    "raw_targets": False,
    "val_shift": None,
    # one input feature in other units than the rest (x this factor, training and validation
    # alike): a second no_normalization recipe, for the fault probe
    "feature_scale": None,
    "early_stop": None,  # patience in epochs
    "stop_after": None,  # epochs actually run of the planned ``epochs`` (a killed job)
    "log_every": 5,
    "seed": 0,
    "init_name": None,  # what the config says about init, when the scenario knows it
    "log_names": None,  # "fresh" / "study": the writers' naming habits of those families
    # {"dataset": …, "epochs": …}: pretrain the model on that dataset first (Adam 1e-3, not
    # logged) and fine-tune it with a new head, as a fine-tuning script loads a checkpoint
    "pretrain": None,
}

# After the loss first goes non-finite the run is kept going to the end of the next epoch (the
# weights are NaN by then), as a user who was not watching would have let it.
_EPOCHS_AFTER_NAN = 1


def make_optimizer(spec: dict[str, Any], params: Any) -> torch.optim.Optimizer:
    """SGD, SGD with (Nesterov) momentum, Adam, AdamW, RMSprop, Adagrad, NAdam, Adadelta or
    RAdam."""
    name, lr, wd = spec["optimizer"], spec["lr"], spec["weight_decay"]
    # foreach: one fused call per step instead of a Python loop over tensors (deep nets).
    if name == "sgd":
        return torch.optim.SGD(
            params, lr=lr, momentum=spec["momentum"], weight_decay=wd, foreach=True
        )
    if name == "momentum":
        return torch.optim.SGD(
            params, lr=lr, momentum=spec["momentum"] or 0.9, weight_decay=wd, foreach=True
        )
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=wd, foreach=True)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd, foreach=True)
    if name == "nesterov":
        return torch.optim.SGD(
            params, lr=lr, momentum=spec["momentum"] or 0.9, nesterov=True, weight_decay=wd,
            foreach=True,
        )  # fmt: skip
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, weight_decay=wd, foreach=True)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, weight_decay=wd, foreach=True)
    if name == "nadam":
        return torch.optim.NAdam(params, lr=lr, weight_decay=wd, foreach=True)
    if name == "adadelta":  # PyTorch's MNIST example: lr 1.0, its default
        return torch.optim.Adadelta(params, lr=lr, weight_decay=wd, foreach=True)
    if name == "radam":
        return torch.optim.RAdam(params, lr=lr, weight_decay=wd, foreach=True)
    raise ValueError(f"unknown optimizer {name!r}")


def lr_at(spec: dict[str, Any], step: int, n_steps: int) -> float:
    """The learning rate for ``step`` under the spec's schedule (warm-up, step decay, cosine,
    linear decay, exponential decay; ``plateau`` is the base rate here, scaled by the loop)."""
    base = float(spec["lr"])
    sched = spec.get("schedule")
    if not sched:
        return base
    kind = sched["kind"]
    warm = int(sched.get("warmup", 0.0) * n_steps)
    if warm and step < warm:
        return base * (step + 1) / warm
    if kind in ("warmup", "plateau"):
        return base
    if kind == "linear":  # linear decay to ``floor`` × base (transformers' linear schedule)
        t = (step - warm) / max(1, n_steps - warm)
        floor = sched.get("floor", 0.0)
        return base * (1 - (1 - floor) * t)
    if kind == "exp":  # ExponentialLR(gamma) stepped at every epoch end
        spe = max(1, n_steps // max(1, int(spec["epochs"])))
        return base * float(sched.get("gamma", 0.9)) ** (step // spe)
    if kind == "warmup_cosine":
        t = (step - warm) / max(1, n_steps - warm)
        floor = sched.get("floor", 0.02)
        return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t)))
    if kind == "cosine_restarts":  # torch's CosineAnnealingWarmRestarts(T_0 epochs, T_mult)
        spe = max(1, n_steps // max(1, int(spec["epochs"])))
        length, mult, t = int(sched.get("t0", 5)) * spe, int(sched.get("mult", 1)), step
        while t >= length:
            t, length = t - length, length * mult
        return base * (0.5 * (1 + math.cos(math.pi * t / length)))
    if kind == "onecycle":  # torch's OneCycleLR: cosine up to base over 30 %, then down
        up = max(1, int(sched.get("pct_start", 0.3) * n_steps))
        start, end = base / 25.0, base / 25.0 / 1e4
        if step < up:
            return start + (base - start) * 0.5 * (1 - math.cos(math.pi * step / up))
        t = (step - up) / max(1, n_steps - up)
        return end + (base - end) * 0.5 * (1 + math.cos(math.pi * t))
    if kind == "cyclic":  # torch's CyclicLR, triangular: base/10 up to base and back
        spe = max(1, n_steps // max(1, int(spec["epochs"])))
        half = max(1, int(sched.get("half_epochs", 2)) * spe)
        t = (step % (2 * half)) / half
        low = base / 10.0
        return low + (base - low) * (t if t <= 1 else 2 - t)
    if kind == "step":
        factor = 1.0
        for milestone in sched.get("milestones", (0.5, 0.75)):
            if step >= milestone * n_steps:
                factor *= sched.get("gamma", 0.1)
        return base * factor
    raise ValueError(f"unknown schedule {kind!r}")


def naive_softmax_ce(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy through a hand-written softmax, *without* subtracting the max logit.

    This is the bug behind ``softmax_overflow_nan``: exp() overflows float32 once a logit
    passes ~88.7 (inf/inf = NaN), and underflows to 0 for very negative ones (log 0 = -inf).
    """
    e = torch.exp(logits)
    p = e / e.sum(dim=1, keepdim=True)
    return -torch.log(p[torch.arange(len(y)), y]).mean()


def bce_logits(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy on one logit per sample (``BCEWithLogitsLoss``), integer labels."""
    return F.binary_cross_entropy_with_logits(logits[:, 0], y.to(logits.dtype))


def naive_bce(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy through a hand-written sigmoid and ``log``: once a logit passes ~17
    the sigmoid rounds to 1.0 in float32 and ``log(1 - p)`` is -inf (the exp-based-loss bug of
    ``softmax_overflow_nan``, binary edition)."""
    p = torch.sigmoid(logits[:, 0])
    t = y.to(logits.dtype)
    return -(t * torch.log(p) + (1 - t) * torch.log(1 - p)).mean()


def predict(out: torch.Tensor) -> torch.Tensor:
    """Class predictions: argmax of the logits, or ``logit > 0`` for a single binary logit."""
    return out.argmax(1) if out.shape[1] > 1 else (out[:, 0] > 0).long()


#: Label smoothing of the ``ce_label_smoothing`` loss (timm's and many papers' default).
LABEL_SMOOTHING = 0.1

#: Softmax temperature of the ``*_t`` losses (logits / τ, as in contrastive losses).
TEMPERATURE = 0.05


#: Losses on one logit per sample (binary classification).
_BINARY_LOSSES = ("bce_with_logits", "naive_bce")


def _loss_fn(spec: dict[str, Any], task: str) -> tuple[str, Any]:
    loss = spec["loss"]
    if loss == "auto":
        loss = "ce" if task == "classification" else "mse"
    fns = {
        "ce": F.cross_entropy,
        "ce_label_smoothing": lambda z, y: F.cross_entropy(z, y, label_smoothing=LABEL_SMOOTHING),
        "naive_softmax": naive_softmax_ce,
        "ce_t": lambda z, y: F.cross_entropy(z / TEMPERATURE, y),
        "naive_softmax_t": lambda z, y: naive_softmax_ce(z / TEMPERATURE, y),
        "mse": F.mse_loss,
        "huber": F.huber_loss,  # delta 1: quadratic near the target, linear beyond
        "bce_with_logits": bce_logits,
        "naive_bce": naive_bce,
    }
    return loss, fns[loss]


def batch_size(spec: dict[str, Any], n: int) -> int:
    """The spec's batch size on ``n`` samples (``"half"``/``"quarter"`` of the set; capped at ``n``)."""
    bs = spec["batch_size"]
    if bs in ("half", "quarter"):
        return math.ceil(n / (2 if bs == "half" else 4))
    return min(int(bs), n)


def _batches(
    spec: dict[str, Any], y: np.ndarray, rng: np.random.Generator, order: np.ndarray
) -> list[np.ndarray]:
    n = len(y)
    bs = batch_size(spec, n)
    idx = rng.permutation(n) if spec["shuffle"] else order
    batches = [idx[i : i + bs] for i in range(0, n, bs)]
    # A last batch of a handful of samples gives one wild loss per epoch, a period that has
    # nothing to do with the data order; fold it into the batch before it.
    if len(batches) > 1 and len(batches[-1]) < bs // 2:
        last = batches.pop()  # popped first: ``batches[-2] = ...(batches.pop())`` would assign
        batches[-1] = np.concatenate([batches[-1], last])  # past the shortened list's end
    return batches


def _fixed_order(spec: dict[str, Any], data: zdata.Data) -> np.ndarray:
    """The order an unshuffled loader sees: as stored, or sorted by label/target."""
    if not spec["sort_by_label"]:
        return np.arange(len(data.y_train))
    key = data.y_train if data.task == "classification" else data.y_train[:, 0]
    return np.argsort(key, kind="stable")


def _evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Any, task: str) -> dict:
    model.eval()
    with torch.no_grad():
        out = model(x)
        loss = float(loss_fn(out, y))
        res: dict[str, float] = {"loss": loss}
        if task == "classification":
            res["acc"] = float((predict(out) == y).float().mean())
            res["score"] = res["acc"]
        else:
            err = out - y
            res["mae"] = float(err.abs().mean())
            var = float(((y - y.mean()) ** 2).mean())
            mse = float((err**2).mean())
            res["score"] = 1.0 - mse / var if var > 0 and math.isfinite(mse) else -math.inf
            res["pred_min"] = float(out.min())
            res["pred_max"] = float(out.max())
            inside = (y >= out.min()) & (y <= out.max())
            res["targets_outside_pred_range"] = float(1 - inside.float().mean())
    model.train()
    return res


def train(spec_in: dict[str, Any]) -> dict[str, Any]:
    """Train one scenario; return its history as plain data (picklable, JSON-able)."""
    spec = {**DEFAULTS, **spec_in}
    seed = int(spec["seed"])
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    data = zdata.load(
        spec["dataset"],
        seed,
        n_train=spec["n_train"],
        raw_inputs=spec["raw_inputs"],
        raw_targets=spec["raw_targets"],
        label_noise=spec["label_noise"],
        val_shift=spec["val_shift"],
    )
    if spec["feature_scale"]:
        for x in (data.x_train, data.x_val):
            x[..., 0] *= float(spec["feature_scale"])
    arch = dict(spec["arch"])
    # Features per sample (MLP, CNN) or per time step (RNN on (N, T, F) sequences).
    loss_name, loss_fn = _loss_fn(spec, data.task)
    n_out = 1 if loss_name in _BINARY_LOSSES else data.n_outputs  # one logit for a binary loss
    model = build(spec["model"], int(data.x_train.shape[-1]), n_out, arch)
    if spec["pretrain"]:
        _load_pretrained(model, spec, arch, seed)
    opt = make_optimizer(spec, model.parameters())
    every = int(spec["log_every"])
    rec = TorchRecorder(model, every=every, optimizer=opt, grad_clip=spec["grad_clip"])

    x_tr, y_tr = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    x_va, y_va = torch.from_numpy(data.x_val), torch.from_numpy(data.y_val)
    if data.normalized_inputs is None:  # token ids: int64 into the model, as real pipelines do
        x_tr, x_va = x_tr.round().long(), x_va.round().long()
    order = _fixed_order(spec, data)
    bs = batch_size(spec, len(y_tr))
    steps_per_epoch = math.ceil(len(y_tr) / bs)
    if steps_per_epoch > 1 and len(y_tr) % bs and len(y_tr) % bs < bs // 2:
        steps_per_epoch -= 1
    n_steps = steps_per_epoch * int(spec["epochs"])

    losses: list[float] = []
    accs: list[float] = []
    lrs: list[float] = []
    rows: list[dict[str, float]] = []
    epochs: list[dict[str, Any]] = []
    nonfinite_step: int | None = None
    stopped = "completed"
    best_val, since_best = math.inf, 0
    # ReduceLROnPlateau (``schedule.kind == "plateau"``): the factor applied to lr_at's rate.
    plateau = (
        spec["schedule"] if spec["schedule"] and spec["schedule"]["kind"] == "plateau" else None
    )
    lr_scale, plateau_best, plateau_bad = 1.0, math.inf, 0
    t0 = time.time()
    step = 0
    model.train()
    run_epochs = int(spec["epochs"])
    if spec["stop_after"]:  # killed (time limit, pre-emption): the schedule was planned longer
        run_epochs, stopped = min(run_epochs, int(spec["stop_after"])), "killed"
    for epoch in range(run_epochs):
        ep_losses, ep_accs = [], []
        for b in _batches(spec, data.y_train, rng, order):
            lr = lr_at(spec, step, n_steps) * lr_scale
            for g in opt.param_groups:
                g["lr"] = lr
            xb, yb = x_tr[b], y_tr[b]
            # Recorded steps are the last of each logging window (1-based step % every == 0),
            # the step HF and Lightning attach a window's grad_norm and lr to.
            rec.start(step + 1, targets=yb)
            if spec["mixup"]:  # mixup (Zhang et al. 2018): blend pairs of inputs and their losses
                lam = float(rng.beta(spec["mixup"], spec["mixup"]))
                perm = torch.from_numpy(rng.permutation(len(b)))
                out = model(lam * xb + (1 - lam) * xb[perm])
                loss = lam * loss_fn(out, yb) + (1 - lam) * loss_fn(out, yb[perm])
            else:
                out = model(xb)
                loss = loss_fn(out, yb)
            opt.zero_grad()
            loss.backward()
            if spec["grad_clip"] is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), float(spec["grad_clip"]))
            opt.step()
            row = rec.finish(loss=loss)
            lv = float(loss.detach())
            losses.append(lv)
            lrs.append(lr)
            ep_losses.append(lv)
            if data.task == "classification":
                acc = float((predict(out.detach()) == yb).float().mean())
                accs.append(acc)
                ep_accs.append(acc)
            if row is not None:
                row["_s"] = float(step)
                row["_time"] = time.time()
                rows.append(row)
            if nonfinite_step is None and not math.isfinite(lv):
                nonfinite_step = step
            step += 1
        t_eval = time.time()
        ev = _evaluate(model, x_va, y_va, loss_fn, data.task)
        t_eval = time.time() - t_eval
        ep_row: dict[str, Any] = {
            "epoch": epoch,
            "step": step,
            "train_loss": float(np.mean(ep_losses)),
            "val_loss": ev["loss"],
            "val_score": ev["score"],
            "_time": time.time(),
            "_eval_seconds": t_eval,
        }
        if data.task == "classification":
            ep_row["train_acc"] = float(np.mean(ep_accs))
            ep_row["val_acc"] = ev["acc"]
        else:
            ep_row["val_mae"] = ev["mae"]
            ep_row["val_pred_min"] = ev["pred_min"]
            ep_row["val_pred_max"] = ev["pred_max"]
            ep_row["targets_outside_pred_range"] = ev["targets_outside_pred_range"]
        epochs.append(ep_row)
        if plateau is not None:  # torch's ReduceLROnPlateau, mode "min", relative threshold
            if ev["loss"] < plateau_best * (1 - float(plateau.get("threshold", 1e-4))):
                plateau_best, plateau_bad = ev["loss"], 0
            else:
                plateau_bad += 1
                if plateau_bad > int(plateau.get("patience", 2)):
                    lr_scale *= float(plateau.get("factor", 0.5))
                    plateau_bad = 0
        if (
            nonfinite_step is not None
            and epoch >= nonfinite_step // steps_per_epoch + _EPOCHS_AFTER_NAN
        ):
            stopped = "nan"
            break
        if spec["early_stop"]:
            if ev["loss"] < best_val:
                best_val, since_best = ev["loss"], 0
            else:
                since_best += 1
                if since_best >= int(spec["early_stop"]):
                    stopped = "early_stopping"
                    break
    rec.close()

    facts = config_facts(
        model,
        opt,
        loss_fn=loss_name,
        task=data.task,
        batch_size=batch_size(spec, len(y_tr)),
        n_train=len(y_tr),
        n_val=len(y_va),
        epochs=int(spec["epochs"]),
        grad_clip=spec["grad_clip"],
        shuffle=bool(spec["shuffle"]),
        normalize_inputs=data.normalized_inputs,
        normalize_targets=data.normalized_targets if data.task == "regression" else None,
        n_classes=data.n_classes or None,
        init=spec["init_name"] or _init_name(arch),
        residual=bool(getattr(model, "residual", False)),
    )
    if loss_name == "ce_label_smoothing":  # as CrossEntropyLoss(label_smoothing=…) reports it
        facts["label_smoothing"] = LABEL_SMOOTHING
    if spec["mixup"]:  # as timm's and most training scripts' configs state it
        facts["mixup"] = float(spec["mixup"])
    facts["lr"] = float(spec["lr"])  # the configured (peak) lr, not where a schedule ended
    if spec["schedule"]:
        facts["lr_schedule"] = spec["schedule"]["kind"]
    if spec["early_stop"]:
        facts["early_stopping_patience"] = int(spec["early_stop"])
    return {
        "spec": spec,
        "task": data.task,
        "n_classes": data.n_classes,
        "n_train": len(y_tr),
        "n_val": len(y_va),
        "steps_per_epoch": steps_per_epoch,
        "n_steps_planned": n_steps,
        "loss": losses,
        "acc": accs,
        "lr": lrs,
        "rows": rows,
        "epochs": epochs,
        "config": facts,
        "nonfinite_step": nonfinite_step,
        "stopped": stopped,
        "t0": t0,
        "seconds": time.time() - t0,
    }


def _load_pretrained(
    model: nn.Module, spec: dict[str, Any], arch: dict[str, Any], seed: int
) -> None:
    """Pretrain a copy of the model on ``spec["pretrain"]``'s dataset and load every weight but
    the head's (its shape is the source task's) into ``model``: a checkpoint and a new head."""
    pre = spec["pretrain"]
    src = zdata.load(pre["dataset"], seed)
    x, y = torch.from_numpy(src.x_train), torch.from_numpy(src.y_train)
    source = build(spec["model"], int(x.shape[-1]), src.n_outputs, {**arch, "out_act": None})
    opt = torch.optim.Adam(source.parameters(), lr=float(pre.get("lr", 1e-3)))
    gen = torch.Generator().manual_seed(seed)
    for _ in range(int(pre["epochs"])):
        for b in torch.randperm(len(y), generator=gen).split(64):
            opt.zero_grad()
            F.cross_entropy(source(x[b]), y[b]).backward()
            opt.step()
    own = model.state_dict()
    own.update({k: v for k, v in source.state_dict().items() if own[k].shape == v.shape})
    model.load_state_dict(own)


def _init_name(arch: dict[str, Any]) -> str | None:
    scheme = str(arch.get("init", "default"))
    if scheme == "default":
        return None  # torch's default init: a config would not mention it
    return scheme.replace(":", "_")
