"""Healthy recipes people use and classic faults, logged by hand: python gen_recipes.py OUT [job ...]."""

import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits, make_classification
from torch.utils.tensorboard import SummaryWriter

torch.set_num_threads(1)
OUT = sys.argv[1]


def digits(flat=True, scale=16.0, sort=False, n_train=1400):
    d = load_digits()
    X = d.data if flat else d.images[:, None]
    X = torch.tensor(X / scale, dtype=torch.float32)
    y = torch.tensor(d.target)
    g = torch.Generator().manual_seed(0)
    p = torch.randperm(len(X), generator=g)
    tr, va = p[:n_train], p[1400:]
    Xtr, ytr = X[tr], y[tr]
    if sort:
        o = torch.argsort(ytr, stable=True)
        Xtr, ytr = Xtr[o], ytr[o]
    return Xtr, ytr, X[va], y[va]


def mlp(inp=64, h=128, out=10, depth=2, bn=False):
    layers = []
    d = inp
    for _ in range(depth):
        layers += [nn.Linear(d, h)] + ([nn.BatchNorm1d(h)] if bn else []) + [nn.ReLU()]
        d = h
    return nn.Sequential(*layers, nn.Linear(d, out))


def evaluate(m, X, y):
    m.eval()
    with torch.no_grad():
        o = m(X)
        return F.cross_entropy(o, y).item(), (o.argmax(1) == y).float().mean().item()


def epoch_loop(m, opt, Xtr, ytr, bs, shuffle=True):
    m.train()
    n = len(Xtr)
    p = torch.randperm(n) if shuffle else torch.arange(n)
    tot = cor = 0
    losses = []
    for i in range(0, n, bs):
        idx = p[i : i + bs]
        o = m(Xtr[idx])
        loss = F.cross_entropy(o, ytr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        tot += loss.item() * len(idx)
        cor += (o.argmax(1) == ytr[idx]).sum().item()
        losses.append(loss.item())
    return tot / n, cor / n, losses


def keras_epochs(m, opt, data, epochs, bs):
    """One Keras-style row per epoch: training means, then the validation pass."""
    Xtr, ytr, Xva, yva = data
    rows = []
    for ep in range(epochs):
        tl, ta, _ = epoch_loop(m, opt, Xtr, ytr, bs)
        vl, va = evaluate(m, Xva, yva)
        rows.append({"epoch": ep, "loss": tl, "accuracy": ta, "val_loss": vl, "val_accuracy": va})
    return rows


def keras_csv(path, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    keys = ["epoch", *sorted(k for k in rows[0] if k != "epoch")]
    with open(path, "w") as f:
        f.write(",".join(keys) + "\r\n")
        for r in rows:
            f.write(",".join(str(r[k]) for k in keys) + "\r\n")


def early_stopped(name):  # H1: early stopping with patience 5 (val rises for the last 5 epochs)
    torch.manual_seed(1)
    Xtr, ytr, Xva, yva = digits(n_train=300)
    m = mlp(h=256)
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    rows = []
    best = 9
    wait = 0
    for ep in range(200):
        tl, ta, _ = epoch_loop(m, opt, Xtr, ytr, 32)
        vl, va = evaluate(m, Xva, yva)
        rows.append({"epoch": ep, "loss": tl, "accuracy": ta, "val_loss": vl, "val_accuracy": va})
        if vl < best - 1e-4:
            best, wait = vl, 0
        else:
            wait += 1
            if wait >= 5:
                break
    keras_csv(f"{OUT}/{name}/training.log", rows)
    print(name, len(rows), rows[-1])


def plateau_sched(name):  # H2: BN MLP + Adam + ReduceLROnPlateau, per-epoch JSONL
    torch.manual_seed(2)
    Xtr, ytr, Xva, yva = digits()
    m = mlp(bn=True)
    opt = torch.optim.Adam(m.parameters(), 3e-3)
    sch = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=2)
    os.makedirs(f"{OUT}/{name}", exist_ok=True)
    with open(f"{OUT}/{name}/metrics.jsonl", "w") as f:
        for ep in range(30):
            tl, ta, _ = epoch_loop(m, opt, Xtr, ytr, 64)
            vl, va = evaluate(m, Xva, yva)
            sch.step(vl)
            f.write(
                json.dumps(
                    {
                        "epoch": ep + 1,
                        "train_loss": tl,
                        "train_acc": ta,
                        "val_loss": vl,
                        "val_acc": va,
                        "lr": opt.param_groups[0]["lr"],
                    }
                )
                + "\n"
            )
    print(name, tl, vl)


def gru_clip(name):  # H3: GRU sine regression, clipping at 5, TB loss/train loss/val grad_norm
    torch.manual_seed(3)
    t = torch.linspace(0, 60, 3000)
    s = torch.sin(t) + 0.1 * torch.randn(3000)
    X = torch.stack([s[i : i + 20] for i in range(2900)])[:, :, None]
    y = torch.stack([s[i + 20] for i in range(2900)])[:, None]
    Xtr, ytr, Xva, yva = X[:2400], y[:2400], X[2400:], y[2400:]

    class M(nn.Module):
        def __init__(s):
            super().__init__()
            s.g = nn.GRU(1, 32, batch_first=True)
            s.o = nn.Linear(32, 1)

        def forward(s, x):
            return s.o(s.g(x)[0][:, -1])

    m = M()
    opt = torch.optim.Adam(m.parameters(), 3e-3)
    w = SummaryWriter(f"{OUT}/{name}/tb")
    step = 0
    for _ep in range(8):
        p = torch.randperm(2400)
        m.train()
        for i in range(0, 2400, 32):
            idx = p[i : i + 32]
            loss = F.mse_loss(m(Xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            gn = nn.utils.clip_grad_norm_(m.parameters(), 5.0)
            opt.step()
            step += 1
            w.add_scalar("loss/train", loss.item(), step)
            w.add_scalar("grad_norm", float(gn), step)
        m.eval()
        with torch.no_grad():
            w.add_scalar("loss/val", F.mse_loss(m(Xva), yva).item(), step)
    w.close()
    json.dump(
        {"lr": 3e-3, "optimizer": "adam", "grad_clip": 5.0, "batch_size": 32, "hidden_size": 32},
        open(f"{OUT}/{name}/config.json", "w"),  # noqa: SIM115,
    )
    print(name, loss.item())


def finetune(name):  # H4: pretrain then fine-tune at 2e-5 AdamW: flat, low (HF-style)
    torch.manual_seed(4)
    Xtr, ytr, Xva, yva = digits()
    m = mlp()
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    for _ in range(15):
        epoch_loop(m, opt, Xtr, ytr, 32)
    opt = torch.optim.AdamW(m.parameters(), 2e-5, weight_decay=0.01)
    log = []
    step = 0
    for ep in range(3):
        m.train()
        p = torch.randperm(1400)
        for i in range(0, 1400, 16):
            idx = p[i : i + 16]
            loss = F.cross_entropy(m(Xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step % 10 == 0:
                log.append(
                    {
                        "loss": round(loss.item(), 4),
                        "learning_rate": 2e-5,
                        "epoch": round(step / 88, 2),
                        "step": step,
                    }
                )
        vl, va = evaluate(m, Xva, yva)
        log.append({"eval_loss": vl, "eval_accuracy": va, "epoch": float(ep + 1), "step": step})
    os.makedirs(f"{OUT}/{name}", exist_ok=True)
    json.dump(
        {
            "log_history": log,
            "global_step": step,
            "max_steps": step,
            "num_train_epochs": 3,
            "train_batch_size": 16,
            "best_metric": None,
            "epoch": 3.0,
            "is_world_process_zero": True,
            "is_local_process_zero": True,
            "is_hyper_param_search": False,
            "logging_steps": 10,
            "eval_steps": 88,
            "save_steps": 500,
            "total_flos": 0,
            "trial_name": None,
            "trial_params": None,
        },
        open(f"{OUT}/{name}/trainer_state.json", "w"),  # noqa: SIM115
        indent=2,
    )
    print(name, vl, va)


def big_batch(name):  # H5: batch 256 with lr scaled (Adam 3e-3), 60 epochs
    torch.manual_seed(5)
    Xtr, ytr, Xva, yva = digits()
    m = mlp()
    opt = torch.optim.Adam(m.parameters(), 3e-3)
    rows = keras_epochs(m, opt, (Xtr, ytr, Xva, yva), 60, 256)
    keras_csv(f"{OUT}/{name}/history.csv", rows)
    print(name, rows[-1])


def tiny_batch_steps(name):  # H6: batch 4, every step logged (noisy), SGD momentum
    torch.manual_seed(6)
    Xtr, ytr, Xva, yva = digits()
    m = mlp()
    opt = torch.optim.SGD(m.parameters(), 0.01, momentum=0.9)
    os.makedirs(f"{OUT}/{name}", exist_ok=True)
    step = 0
    with open(f"{OUT}/{name}/train_log.csv", "w") as f:
        f.write("iteration,loss,val_loss,val_acc\n")
        for _ep in range(3):
            _, _, ls = epoch_loop(m, opt, Xtr, ytr, 4)
            for batch_loss in ls[:-1]:
                step += 1
                f.write(f"{step},{batch_loss},,\n")
            step += 1
            vl, va = evaluate(m, Xva, yva)
            f.write(f"{step},{ls[-1]},{vl},{va}\n")
    print(name, vl, va)


def overfit_tiny(name):  # F3: 100 samples, wide MLP, 150 epochs -> overfitting
    torch.manual_seed(7)
    Xtr, ytr, Xva, yva = digits(n_train=100)
    m = mlp(h=512, depth=3)
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    rows = keras_epochs(m, opt, (Xtr, ytr, Xva, yva), 150, 20)
    keras_csv(f"{OUT}/{name}/training.log", rows)
    print(name, rows[-1])


def unshuffled(name):  # F4: sorted by label, no shuffling, per-step CSV
    torch.manual_seed(8)
    Xtr, ytr, Xva, yva = digits(sort=True)
    m = mlp()
    opt = torch.optim.SGD(m.parameters(), 0.05, momentum=0.9)
    os.makedirs(f"{OUT}/{name}", exist_ok=True)
    step = 0
    with open(f"{OUT}/{name}/log.csv", "w") as f:
        f.write("step,train_loss,val_loss,val_acc\n")
        for _ep in range(10):
            _, _, ls = epoch_loop(m, opt, Xtr, ytr, 32, shuffle=False)
            for batch_loss in ls:
                step += 1
                f.write(f"{step},{batch_loss},,\n")
            vl, va = evaluate(m, Xva, yva)
            f.write(f"{step},,{vl},{va}\n")
    print(name, vl, va)


def raw_pixels(name):  # F6: 0-16 pixel values unscaled... use 0-255 scale
    torch.manual_seed(9)
    Xtr, ytr, Xva, yva = digits(scale=16 / 255)
    m = mlp()
    opt = torch.optim.SGD(m.parameters(), 0.01)
    rows = keras_epochs(m, opt, (Xtr, ytr, Xva, yva), 20, 32)
    keras_csv(f"{OUT}/{name}/training.log", rows)
    print(name, rows[-1])


def dead_cnn(name):  # F2: CNN, Adam lr 0.05, bias -1 init; TB with activations/<l>/zero_fraction
    torch.manual_seed(10)
    Xtr, ytr, Xva, yva = digits(flat=False)
    m = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, 10),
    )
    for mod in m:
        if isinstance(mod, nn.Conv2d):
            nn.init.constant_(mod.bias, -1.0)
    opt = torch.optim.Adam(m.parameters(), 0.05)
    w = SummaryWriter(f"{OUT}/{name}")
    step = 0
    acts = {}
    for i, mod in enumerate(m):
        if isinstance(mod, nn.ReLU):
            mod.register_forward_hook(
                lambda _m, _i, o, i=i: acts.__setitem__(f"relu{i}", o.detach())
            )
    for _ep in range(8):
        p = torch.randperm(1400)
        m.train()
        for i in range(0, 1400, 32):
            idx = p[i : i + 32]
            loss = F.cross_entropy(m(Xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step % 10 == 0:
                w.add_scalar("Loss/train", loss.item(), step)
                for k, a in acts.items():
                    w.add_scalar(
                        f"activations/{k}/zero_fraction", (a == 0).float().mean().item(), step
                    )
        vl, va = evaluate(m, Xva, yva)
        w.add_scalar("Loss/val", vl, step)
        w.add_scalar("Accuracy/val", va, step)
    w.close()
    print(name, vl, va, {k: (a == 0).float().mean().item() for k, a in acts.items()})


def relu_output_reg(name):  # F5: regression with ReLU on the output, standardized targets
    torch.manual_seed(11)
    X, y = make_classification(1200, 10, random_state=0)[0], None
    rng = np.random.default_rng(0)
    w_ = rng.normal(size=10)
    y = X @ w_ + 0.1 * rng.normal(size=1200)
    y = (y - y.mean()) / y.std()
    X = torch.tensor(X, dtype=torch.float32)
    y = torch.tensor(y, dtype=torch.float32)[:, None]
    m = nn.Sequential(
        nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1), nn.ReLU()
    )
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    os.makedirs(f"{OUT}/{name}", exist_ok=True)
    with open(f"{OUT}/{name}/metrics.csv", "w") as f:
        f.write("epoch,train_mse,val_mse\n")
        for ep in range(40):
            p = torch.randperm(1000)
            tot = 0
            for i in range(0, 1000, 32):
                idx = p[i : i + 32]
                loss = F.mse_loss(m(X[:1000][idx]), y[:1000][idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                tot += loss.item() * len(idx)
            with torch.no_grad():
                vl = F.mse_loss(m(X[1000:]), y[1000:]).item()
            f.write(f"{ep},{tot / 1000},{vl}\n")
    print(name, tot / 1000, vl)


JOBS = {
    f.__name__: f
    for f in [
        early_stopped,
        plateau_sched,
        gru_clip,
        finetune,
        big_batch,
        tiny_batch_steps,
        overfit_tiny,
        unshuffled,
        raw_pixels,
        dead_cnn,
        relu_output_reg,
    ]
}
if __name__ == "__main__":
    for k in sys.argv[2:] or JOBS:
        JOBS[k](k)
