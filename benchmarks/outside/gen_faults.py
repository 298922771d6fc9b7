"""Faults the other probe scripts do not cover, through real tools: python gen_faults.py OUT [job ...].

Keras' own ``model.fit`` with its ``CSVLogger`` (torch backend), Lightning's ``Trainer`` with its
``CSVLogger`` and ``grad_norm`` utility, tensorboardX's writer, a printed console log and JSON
lines, each with a healthy twin in the same style so that a false alarm shows next to a miss.
"""

import itertools
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_breast_cancer, load_digits

torch.set_num_threads(1)
OUT = sys.argv[1]


def digits_split(seed=0, n_train=1400):
    d = load_digits()
    p = np.random.default_rng(seed).permutation(len(d.target))
    X, y = d.data.astype("float32") / 16.0, d.target
    return X[p[:n_train]], y[p[:n_train]], X[p[n_train:]], y[p[n_train:]]


# --- Keras model.fit + CSVLogger ----------------------------------------------------------


def _keras_fit(name, X, y, layers, opt, loss, epochs, bs=32, metrics=("accuracy",)):
    import keras

    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((X.shape[1],)), *layers])
    m.compile(optimizer=opt, loss=loss, metrics=list(metrics))
    os.makedirs(f"{OUT}/{name}", exist_ok=True)
    h = m.fit(
        X,
        y,
        batch_size=bs,
        epochs=epochs,
        validation_split=0.2,
        verbose=0,
        callbacks=[keras.callbacks.CSVLogger(f"{OUT}/{name}/training.log")],
    )
    print(name, {k: round(v[-1], 4) for k, v in h.history.items()})


def _cancer_net(name, X):
    """Two ReLU layers and a sigmoid on breast cancer, SGD 0.01: raw or standardized inputs."""
    import keras

    L = keras.layers
    _keras_fit(
        name,
        X.astype("float32"),
        load_breast_cancer().target,
        [
            L.Dense(32, activation="relu"),
            L.Dense(32, activation="relu"),
            L.Dense(1, activation="sigmoid"),
        ],
        keras.optimizers.SGD(0.01),
        "binary_crossentropy",
        40,
    )


def keras_raw_features(name):  # breast cancer's raw features (areas in the thousands), SGD
    _cancer_net(name, load_breast_cancer().data)


def keras_scaled_healthy(name):  # the same net on standardized features
    X = load_breast_cancer().data
    _cancer_net(name, (X - X.mean(0)) / X.std(0))


def keras_heavy_dropout(name):  # dropout 0.9 after every layer and a large L2: cannot fit
    import keras

    X, y, _, _ = digits_split()
    L = keras.layers
    reg = keras.regularizers.l2(0.05)
    _keras_fit(
        name,
        X,
        y,
        [
            L.Dense(128, activation="relu", kernel_regularizer=reg),
            L.Dropout(0.9),
            L.Dense(128, activation="relu", kernel_regularizer=reg),
            L.Dropout(0.9),
            L.Dense(10, activation="softmax"),
        ],
        keras.optimizers.Adam(1e-3),
        "sparse_categorical_crossentropy",
        40,
    )


# --- Lightning Trainer + CSVLogger + grad_norm ----------------------------------------------


def _lightning(name, net, lr, epochs, opt="sgd", log_grads=True, extra_hparams=None):
    import lightning as L
    from lightning.pytorch.loggers import CSVLogger
    from lightning.pytorch.utilities import grad_norm
    from torch.utils.data import DataLoader, TensorDataset

    class Classifier(L.LightningModule):
        def __init__(self, lr, optimizer, **hp):
            super().__init__()
            self.save_hyperparameters()
            self.net = net

        def training_step(self, batch, _):
            x, y = batch
            loss = F.cross_entropy(self.net(x), y)
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch, _):
            x, y = batch
            out = self.net(x)
            self.log("val_loss", F.cross_entropy(out, y))
            self.log("val_acc", (out.argmax(1) == y).float().mean())

        def on_before_optimizer_step(self, optimizer):
            if log_grads:
                self.log_dict(grad_norm(self.net, norm_type=2))

        def configure_optimizers(self):
            if self.hparams.optimizer == "adam":
                return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9)

    L.seed_everything(0, verbose=False)
    Xtr, ytr, Xva, yva = digits_split()
    tr = DataLoader(
        TensorDataset(torch.tensor(Xtr), torch.tensor(ytr)), batch_size=32, shuffle=True
    )
    va = DataLoader(TensorDataset(torch.tensor(Xva), torch.tensor(yva)), batch_size=256)
    model = Classifier(lr, opt, **(extra_hparams or {}))
    trainer = L.Trainer(
        max_epochs=epochs,
        logger=CSVLogger(f"{OUT}/{name}"),
        log_every_n_steps=5,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        accelerator="cpu",
    )
    trainer.fit(model, tr, va)
    print(
        name,
        {k: round(float(v), 4) for k, v in trainer.callback_metrics.items() if "norm" not in k},
    )


def _stack(widths, act):
    layers = []
    for a, b in itertools.pairwise(widths):
        layers += [nn.Linear(a, b), act()]
    return layers


def pl_zero_init(name):  # every weight and bias zero: the hidden units stay identical
    net = nn.Sequential(*_stack([64, 64, 64], nn.Tanh), nn.Linear(64, 10))
    for p in net.parameters():
        nn.init.zeros_(p)
    _lightning(name, net, 0.05, 15, extra_hparams={"hidden": 64, "init": "zeros"})


def pl_deep_sigmoid(name):  # 14 sigmoid layers, plain SGD: the early layers get no gradient
    net = nn.Sequential(*_stack([64] + [64] * 14, nn.Sigmoid), nn.Linear(64, 10))
    _lightning(name, net, 0.05, 15, extra_hparams={"num_layers": 14, "activation": "sigmoid"})


def pl_healthy(name):  # three ReLU layers, Adam 1e-3
    net = nn.Sequential(*_stack([64, 128, 128], nn.ReLU), nn.Linear(128, 10))
    _lightning(
        name, net, 1e-3, 15, opt="adam", extra_hparams={"num_layers": 2, "activation": "relu"}
    )


def pl_two_units(name):  # a 2-unit bottleneck for 10 classes
    net = nn.Sequential(*_stack([64, 2], nn.ReLU), nn.Linear(2, 10))
    _lightning(name, net, 1e-2, 20, opt="adam", log_grads=False, extra_hparams={"hidden_size": 2})


# --- tensorboardX writer, hand-written loops ------------------------------------------------


def _seq_task(n, T, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, T, 1, generator=g)
    y = (x[:, : T // 2, 0].sum(1) > 0).long()  # the sign of the first half's sum
    return x, y


def _rnn_run(name, scale, clip, epochs, lr):
    from tensorboardX import SummaryWriter

    torch.manual_seed(0)
    xtr, ytr = _seq_task(1024, 40, 0)
    xva, yva = _seq_task(256, 40, 1)
    rnn = nn.RNN(1, 64, batch_first=True, nonlinearity="relu")
    head = nn.Linear(64, 2)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(torch.eye(64) * scale)
    params = [*rnn.parameters(), *head.parameters()]
    opt = torch.optim.SGD(params, lr=lr, momentum=0.9)
    w = SummaryWriter(f"{OUT}/{name}")
    step = 0
    for _ep in range(epochs):
        p = torch.randperm(1024)
        for i in range(0, 1024, 32):
            idx = p[i : i + 32]
            out, _ = rnn(xtr[idx])
            loss = F.cross_entropy(head(out[:, -1]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            gn = torch.nn.utils.clip_grad_norm_(params, clip if clip else float("inf"))
            opt.step()
            step += 1
            w.add_scalar("train/loss", loss.item(), step)
            w.add_scalar("train/grad_norm", float(gn), step)
        with torch.no_grad():
            out, _ = rnn(xva)
            o = head(out[:, -1])
            w.add_scalar("val/loss", F.cross_entropy(o, yva).item(), step)
            w.add_scalar("val/acc", (o.argmax(1) == yva).float().mean().item(), step)
    w.close()
    print(name, step, loss.item(), float(gn))


def rnn_explode(name):  # a ReLU RNN whose recurrent matrix starts at 1.3 x identity, no clipping
    _rnn_run(name, 1.3, None, 6, 0.01)


def rnn_healthy(name):  # the identity-RNN recipe (IRNN, Le et al. 2015) with clipping at 1
    _rnn_run(name, 1.0, 1.0, 6, 0.01)


def softmax_by_hand(name):  # exp(z) / sum exp(z) written out: overflows once the logits pass ~88
    from tensorboardX import SummaryWriter

    torch.manual_seed(0)
    Xtr, ytr, Xva, yva = (torch.tensor(a) for a in digits_split())
    Xtr, Xva = Xtr * 16, Xva * 16  # raw pixel counts 0..16
    m = nn.Sequential(
        nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)

    def nll(z, y):
        e = torch.exp(z)
        return -torch.log(e[torch.arange(len(y)), y] / e.sum(1)).mean()

    w = SummaryWriter(f"{OUT}/{name}")
    step = 0
    for _ep in range(20):
        p = torch.randperm(len(Xtr))
        for i in range(0, len(Xtr), 64):
            idx = p[i : i + 64]
            loss = nll(m(Xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            w.add_scalar("loss", loss.item(), step)
        with torch.no_grad():
            w.add_scalar("val_loss", nll(m(Xva), yva).item(), step)
    w.close()
    print(name, step, loss.item())


# --- console logs and JSON lines ------------------------------------------------------------


def _console_run(name, ytr_noise=0.0, val_shift=None, epochs=30):
    torch.manual_seed(0)
    Xtr, ytr, Xva, yva = digits_split()
    rng = np.random.default_rng(0)
    if ytr_noise:
        flip = rng.random(len(ytr)) < ytr_noise
        ytr = ytr.copy()
        ytr[flip] = rng.integers(0, 10, flip.sum())
    if val_shift is not None:
        Xva = val_shift(Xva)
    Xtr, ytr, Xva, yva = (torch.tensor(a) for a in (Xtr, ytr, Xva, yva))
    m = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10))
    opt = torch.optim.Adam(m.parameters(), 1e-3, weight_decay=1e-4)
    os.makedirs(f"{OUT}/{name}", exist_ok=True)
    with open(f"{OUT}/{name}/train.log", "w") as f:
        f.write(
            f"Namespace(batch_size=64, epochs={epochs}, lr=0.001, weight_decay=0.0001, hidden=64)\n"
        )
        for ep in range(1, epochs + 1):
            m.train()
            p = torch.randperm(len(Xtr))
            tot = 0.0
            for i in range(0, len(Xtr), 64):
                idx = p[i : i + 64]
                loss = F.cross_entropy(m(Xtr[idx]), ytr[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                tot += loss.item() * len(idx)
            m.eval()
            with torch.no_grad():
                o = m(Xva)
                vl = F.cross_entropy(o, yva).item()
                va = (o.argmax(1) == yva).float().mean().item()
            f.write(
                f"Epoch {ep}/{epochs} | train_loss: {tot / len(Xtr):.4f} | val_loss: {vl:.4f} | val_acc: {va:.4f}\n"
            )
    print(name, tot / len(Xtr), vl, va)


def noisy_labels(name):  # half the training labels replaced at random; validation labels clean
    _console_run(name, ytr_noise=0.5)


def inverted_val(name):  # validation images inverted (16 - pixel): another distribution
    _console_run(name, val_shift=lambda x: 1.0 - x)


def console_healthy(name):
    _console_run(name)


def _jsonl_run(name, lr, clip=None, epochs=10, every=5, config=None, momentum=0.0):
    torch.manual_seed(0)
    Xtr, ytr, Xva, yva = (torch.tensor(a) for a in digits_split())
    m = nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10)
    )
    opt = torch.optim.SGD(m.parameters(), lr=lr, momentum=momentum)
    os.makedirs(f"{OUT}/{name}", exist_ok=True)
    if config is not None:
        with open(f"{OUT}/{name}/config.json", "w") as f:
            json.dump(config, f, indent=2)
    step = 0
    with open(f"{OUT}/{name}/metrics.jsonl", "w") as f:
        for ep in range(epochs):
            p = torch.randperm(len(Xtr))
            for i in range(0, len(Xtr) - 31, 32):
                idx = p[i : i + 32]
                loss = F.cross_entropy(m(Xtr[idx]), ytr[idx])
                opt.zero_grad()
                loss.backward()
                gn = torch.nn.utils.clip_grad_norm_(m.parameters(), clip or float("inf"))
                opt.step()
                step += 1
                if step % every == 0:
                    rec = {"step": step, "epoch": ep, "loss": loss.item(), "grad_norm": float(gn)}
                    f.write(json.dumps(rec) + "\n")
            with torch.no_grad():
                o = m(Xva)
                rec = {"step": step, "epoch": ep, "val_loss": F.cross_entropy(o, yva).item()}
                rec["val_accuracy"] = (o.argmax(1) == yva).float().mean().item()
            f.write(json.dumps(rec) + "\n")
    print(name, step, loss.item(), rec)


def sgd_lr_high(name):  # SGD with momentum 0.9 at lr 0.5
    _jsonl_run(name, 0.5, momentum=0.9, config={"optimizer": "sgd", "lr": 0.5, "momentum": 0.9})


def clip_masks_lr(name):  # lr 2.0, every gradient clipped to norm 0.25
    cfg = {"optimizer": "sgd", "lr": 2.0, "max_grad_norm": 0.25}
    _jsonl_run(name, 2.0, clip=0.25, config=cfg)


def stopped_early(
    name,
):  # SGD momentum 0.9 at 0.01 for 2 epochs: still falling fast when it stopped
    cfg = {"optimizer": "sgd", "lr": 0.01, "momentum": 0.9, "epochs": 2}
    _jsonl_run(name, 0.01, epochs=2, every=2, config=cfg, momentum=0.9)


def jsonl_healthy(name):  # SGD momentum 0.9 at 0.05 for 10 epochs
    _jsonl_run(name, 0.05, momentum=0.9, config={"optimizer": "sgd", "lr": 0.05, "momentum": 0.9})


JOBS = {
    f.__name__.replace("_", "-"): f
    for f in [
        keras_raw_features,
        keras_scaled_healthy,
        keras_heavy_dropout,
        pl_zero_init,
        pl_deep_sigmoid,
        pl_healthy,
        pl_two_units,
        rnn_explode,
        rnn_healthy,
        softmax_by_hand,
        noisy_labels,
        inverted_val,
        console_healthy,
        sgd_lr_high,
        clip_masks_lr,
        stopped_early,
        jsonl_healthy,
    ]
}

if __name__ == "__main__":
    for k in sys.argv[2:] or JOBS:
        JOBS[k](k)
