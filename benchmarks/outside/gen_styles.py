"""Probe runs in other people's styles (not the zoo's code): python gen_styles.py OUT [job ...]."""

import csv
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_diabetes, load_digits
from torch.utils.tensorboard import SummaryWriter

torch.set_num_threads(1)
OUT = sys.argv[1]


def seqdata(n, seed):
    g = np.random.default_rng(seed)
    x = g.integers(0, 10, size=(n, 16))
    y = ((x == 3).sum(1) > (x == 5).sum(1)).astype(int)
    return torch.tensor(x), torch.tensor(y)


class TinyTransformer(nn.Module):
    def __init__(s, d=32):
        super().__init__()
        s.emb = nn.Embedding(10, d)
        s.pos = nn.Parameter(torch.randn(16, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, 4, 64, dropout=0.1, batch_first=True)
        s.enc = nn.TransformerEncoder(layer, 2)
        s.head = nn.Linear(d, 2)

    def forward(s, x):
        return s.head(s.enc(s.emb(x) + s.pos).mean(1))


def run_transformer(name, lr, epochs=12, smoothing=0.1):
    torch.manual_seed(0)
    xtr, ytr = seqdata(2000, 0)
    xva, yva = seqdata(500, 1)
    m = TinyTransformer()
    opt = torch.optim.AdamW(m.parameters(), lr=lr, weight_decay=0.01)
    steps = epochs * (len(xtr) // 32)
    warm = steps // 10
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1, s / steps)))
    )
    w = SummaryWriter(f"{OUT}/{name}/runs/exp1")
    step = 0
    for _ep in range(epochs):
        perm = torch.randperm(len(xtr))
        m.train()
        for i in range(0, len(xtr) - 31, 32):
            idx = perm[i : i + 32]
            loss = F.cross_entropy(m(xtr[idx]), ytr[idx], label_smoothing=smoothing)
            opt.zero_grad()
            loss.backward()
            gn = torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if step % 10 == 0:
                w.add_scalar("Loss/train", loss.item(), step)
                w.add_scalar("LR", sched.get_last_lr()[0], step)
                w.add_scalar("Grad/global_norm", float(gn), step)
        m.eval()
        with torch.no_grad():
            out = m(xva)
            vl = F.cross_entropy(out, yva).item()
            va = (out.argmax(1) == yva).float().mean().item()
        w.add_scalar("Loss/val", vl, step)
        w.add_scalar("Accuracy/val", va, step)
    w.close()
    json.dump(
        {
            "lr": lr,
            "optimizer": "AdamW",
            "batch_size": 32,
            "epochs": epochs,
            "weight_decay": 0.01,
            "label_smoothing": smoothing,
            "grad_clip": 1.0,
            "scheduler": "cosine",
        },
        open(f"{OUT}/{name}/config.json", "w"),  # noqa: SIM115,
    )
    print(name, "val_acc", va, "val_loss", vl)


class ResCNN(nn.Module):
    def __init__(s, c=16):
        super().__init__()
        s.stem = nn.Sequential(nn.Conv2d(1, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU())
        s.b1 = nn.Sequential(
            nn.Conv2d(c, c, 3, padding=1),
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.Conv2d(c, c, 3, padding=1),
            nn.BatchNorm2d(c),
        )
        s.head = nn.Linear(c, 10)

    def forward(s, x):
        h = s.stem(x)
        h = F.relu(h + s.b1(h))
        return s.head(h.mean((2, 3)))


def run_rescnn(name, lr, epochs=10, onecycle=True):
    torch.manual_seed(0)
    d = load_digits()
    X = torch.tensor(d.images / 16.0, dtype=torch.float32)[:, None]
    y = torch.tensor(d.target)
    g = torch.Generator().manual_seed(0)
    p = torch.randperm(len(X), generator=g)
    tr, va = p[:1400], p[1400:]
    m = ResCNN()
    opt = torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    spe = 1400 // 32
    sched = (
        torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * spe)
        if onecycle
        else None
    )
    os.makedirs(f"{OUT}/{name}", exist_ok=True)
    rows = []
    step = 0
    for ep in range(epochs):
        m.train()
        q = tr[torch.randperm(len(tr))]
        for i in range(spe):
            idx = q[i * 32 : (i + 1) * 32]
            loss = F.cross_entropy(m(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            if sched:
                sched.step()
            step += 1
            rows.append(
                {
                    "step": step,
                    "epoch": ep,
                    "train_loss": loss.item(),
                    "lr": opt.param_groups[0]["lr"],
                }
            )
        m.eval()
        with torch.no_grad():
            out = m(X[va])
            rows.append(
                {
                    "step": step,
                    "epoch": ep,
                    "val_loss": F.cross_entropy(out, y[va]).item(),
                    "val_acc": (out.argmax(1) == y[va]).float().mean().item(),
                }
            )
    keys = ["epoch", "step", "train_loss", "lr", "val_loss", "val_acc"]
    with open(f"{OUT}/{name}/metrics.csv", "w", newline="") as f:
        wr = csv.DictWriter(f, keys)
        wr.writeheader()
        [wr.writerow(r) for r in rows]
    print(name, rows[-1])


def run_ae(name, lr, epochs=30):
    torch.manual_seed(0)
    d = load_digits()
    X = torch.tensor(d.data / 16.0, dtype=torch.float32)
    tr, va = X[:1400], X[1400:]
    m = nn.Sequential(
        nn.Linear(64, 32),
        nn.ReLU(),
        nn.Linear(32, 8),
        nn.ReLU(),
        nn.Linear(8, 32),
        nn.ReLU(),
        nn.Linear(32, 64),
        nn.Sigmoid(),
    )
    opt = torch.optim.Adam(m.parameters(), lr=lr)
    os.makedirs(f"{OUT}/{name}", exist_ok=True)
    with open(f"{OUT}/{name}/log.csv", "w") as f:
        f.write("epoch,loss,val_loss\n")
        for ep in range(epochs):
            p = torch.randperm(1400)
            tot = 0
            for i in range(0, 1400, 64):
                b = tr[p[i : i + 64]]
                loss = F.mse_loss(m(b), b)
                opt.zero_grad()
                loss.backward()
                opt.step()
                tot += loss.item() * len(b)
            with torch.no_grad():
                vl = F.mse_loss(m(va), va).item()
            f.write(f"{ep},{tot / 1400},{vl}\n")
    print(name, tot / 1400, vl)


def run_reg_steplr(name, lr, epochs=60):
    torch.manual_seed(0)
    d = load_diabetes()
    X = torch.tensor((d.data - d.data.mean(0)) / d.data.std(0), dtype=torch.float32)
    y = torch.tensor((d.target - d.target.mean()) / d.target.std(), dtype=torch.float32)[:, None]
    tr, va = slice(0, 350), slice(350, None)
    m = nn.Sequential(
        nn.Linear(10, 64),
        nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(64, 64),
        nn.ReLU(),
        nn.Linear(64, 1),
    )
    opt = torch.optim.Adam(m.parameters(), lr=lr)
    sch = torch.optim.lr_scheduler.StepLR(opt, 20, 0.1)
    os.makedirs(f"{OUT}/{name}", exist_ok=True)
    hist = []
    for ep in range(epochs):
        m.train()
        p = torch.randperm(350)
        tot = 0
        for i in range(0, 350, 16):
            idx = p[i : i + 16]
            loss = F.mse_loss(m(X[tr][idx]), y[tr][idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += loss.item() * len(idx)
        m.eval()
        with torch.no_grad():
            vl = F.mse_loss(m(X[va]), y[va]).item()
            mae = (m(X[va]) - y[va]).abs().mean().item()
        hist.append(
            {
                "epoch": ep + 1,
                "loss": tot / 350,
                "val_loss": vl,
                "val_mae": mae,
                "lr": sch.get_last_lr()[0],
            }
        )
        sch.step()
    # Keras-History-like JSON dump
    with open(f"{OUT}/{name}/history.json", "w") as f:
        json.dump({k: [h[k] for h in hist] for k in hist[0]}, f)
    print(name, hist[-1])


def run_sigmoid_deep(name, lr=0.05, depth=12, epochs=15):
    torch.manual_seed(0)
    d = load_digits()
    X = torch.tensor(d.data / 16.0, dtype=torch.float32)
    y = torch.tensor(d.target)
    layers = [nn.Linear(64, 64), nn.Sigmoid()]
    for _ in range(depth - 1):
        layers += [nn.Linear(64, 64), nn.Sigmoid()]
    m = nn.Sequential(*layers, nn.Linear(64, 10))
    opt = torch.optim.SGD(m.parameters(), lr=lr)
    w = SummaryWriter(f"{OUT}/{name}")
    step = 0
    for _ep in range(epochs):
        p = torch.randperm(1400)
        for i in range(0, 1400, 32):
            idx = p[i : i + 32]
            loss = F.cross_entropy(m(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if step % 5 == 0:
                w.add_scalar("train/loss", loss.item(), step)
                for j, lin in enumerate(k for k in m if isinstance(k, nn.Linear)):
                    w.add_scalar(f"grad_norm/layer{j}", lin.weight.grad.norm().item(), step)
        with torch.no_grad():
            out = m(X[1400:])
            w.add_scalar("val/loss", F.cross_entropy(out, y[1400:]).item(), step)
            w.add_scalar("val/accuracy", (out.argmax(1) == y[1400:]).float().mean().item(), step)
    w.close()
    print(name, loss.item())


if __name__ == "__main__":
    which = sys.argv[2:]
    jobs = {
        "transformer-healthy": lambda: run_transformer("transformer-healthy", 1e-3),
        "transformer-lr-high": lambda: run_transformer("transformer-lr-high", 3e-1),
        "rescnn-healthy": lambda: run_rescnn("rescnn-healthy", 0.1),
        "rescnn-lr-low": lambda: run_rescnn("rescnn-lr-low", 1e-5, onecycle=False),
        "ae-healthy": lambda: run_ae("ae-healthy", 1e-3),
        "reg-steplr-healthy": lambda: run_reg_steplr("reg-steplr-healthy", 1e-3),
        "sigmoid-deep-vanishing": lambda: run_sigmoid_deep("sigmoid-deep-vanishing"),
    }
    for k in which or jobs:
        jobs[k]()
