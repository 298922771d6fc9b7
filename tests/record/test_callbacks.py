"""Framework callbacks, run for real: a tiny training run with an injected fault, logged through
each callback, read back by nn-doctor with the canonical signals and config facts, and diagnosed.

Lightning, transformers and Keras (3, on the torch backend) are in the ``frameworks`` extra that
CI installs (see pyproject.toml). Where one is missing its tests skip with a reason, and the
import-error test checks the message users see instead.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import os
from pathlib import Path

import pytest

# Keras 3 picks its backend at import: torch, never TensorFlow (not installed, not wanted).
os.environ.setdefault("KERAS_BACKEND", "torch")

from nn_doctor.api import diagnose, read_runs

FRAMEWORKS = {
    "nn_doctor.record.lightning": (("lightning", "pytorch_lightning"), "pip install lightning"),
    "nn_doctor.record.hf": (("transformers",), "pip install transformers"),
    "nn_doctor.record.keras": (("keras", "tensorflow"), "pip install keras"),
}

# The same problem for every framework: 4 classes, separable by a linear map of 16 features.
N, D, K, BATCH, EPOCHS = 512, 16, 4, 32, 10
STEPS = N // BATCH * EPOCHS  # 160 optimizer steps
EVERY = 5


def _installed(names: tuple[str, ...]) -> bool:
    return any(importlib.util.find_spec(n) is not None for n in names)


@pytest.mark.parametrize("module", sorted(FRAMEWORKS))
def test_missing_framework_gives_a_clear_import_error(module: str) -> None:
    names, hint = FRAMEWORKS[module]
    if _installed(names):
        pytest.skip(f"{names[0]} is installed: the callback imports")
    with pytest.raises(ImportError, match=hint):
        importlib.import_module(module)


def _data(torch):  # type: ignore[no-untyped-def]
    g = torch.Generator().manual_seed(0)
    x = torch.randn(N, D, generator=g)
    y = (x @ torch.randn(D, K, generator=g)).argmax(1)
    return x, y


def _mlp(torch, *, dead: bool):  # type: ignore[no-untyped-def]
    """16-64-64-4 with a ReLU module after each hidden layer; ``dead``: biases at -10."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(D, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, 64),
        torch.nn.ReLU(),
        torch.nn.Linear(64, K),
    )
    if dead:  # every hidden unit's pre-activation is far below 0: all ReLUs output exactly 0
        with torch.no_grad():
            net[0].bias.fill_(-10.0)
            net[2].bias.fill_(-10.0)
    return net


def _steps(frame, name: str) -> list[int]:  # type: ignore[no-untyped-def]
    return sorted(int(s) for s in frame.series(name).index)


def _top_error(folder: Path) -> str:
    """The highest-ranked error-severity finding (what gates CI).

    The Lightning and HF runs clip gradients hard on purpose (to check that ``grad_norm`` is read
    before clipping), so ``gradient_clipping_masks_lr`` (a warning) may rightly rank above.
    """
    (diag,) = diagnose(folder)
    assert diag.error is None
    errors = [f.id for f in diag.findings if f.severity == "error"]
    assert errors, f"no error finding: {[f.id for f in diag.findings]}"
    return errors[0]


# -- Lightning ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_lightning_callback_logs_and_diagnoses_dead_relus(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    pl = pytest.importorskip("lightning.pytorch", reason="Lightning is not installed")
    from nn_doctor.record.lightning import NnDoctorCallback

    class Module(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = _mlp(torch, dead=True)

        def forward(self, x):  # type: ignore[no-untyped-def]
            return self.net(x)

        def training_step(self, batch, batch_idx):  # type: ignore[no-untyped-def]
            x, y = batch
            return torch.nn.functional.cross_entropy(self(x), y)

        def validation_step(self, batch, batch_idx):  # type: ignore[no-untyped-def]
            x, y = batch
            logits = self(x)
            self.log("val_loss", torch.nn.functional.cross_entropy(logits, y))
            self.log("val_accuracy", (logits.argmax(1) == y).float().mean())

        def configure_optimizers(self):  # type: ignore[no-untyped-def]
            return torch.optim.SGD(self.parameters(), lr=0.05, momentum=0.9)

    x, y = _data(torch)
    train = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(x, y), batch_size=BATCH, shuffle=True
    )
    val = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x[:128], y[:128]), 64)
    trainer = pl.Trainer(
        max_epochs=EPOCHS,
        gradient_clip_val=0.1,
        callbacks=[NnDoctorCallback(every=EVERY, log=tmp_path / "metrics.jsonl", n_train=N)],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
    )
    trainer.fit(Module(), train, val)

    (frame,) = read_runs(tmp_path)
    assert _steps(frame, "train_loss") == list(range(0, STEPS, EVERY))
    assert frame.layers("act_zero_frac") == ["act_zero_frac/net.1", "act_zero_frac/net.3"]
    assert frame.layers("update_ratio") == [f"update_ratio/net.{i}" for i in (0, 2, 4)]
    for name in ("grad_norm", "grad_norm/net.0", "weight_norm", "lr", "input_std", "pred_max"):
        assert frame.has(name), name
    assert frame.series("act_zero_frac/net.1").min() == 1.0  # the injected fault, as logged
    # grad_norm is taken before Lightning clips, grad_norm_clipped after
    pre, post = frame.series("grad_norm"), frame.series("grad_norm_clipped")
    for step in pre.index:
        assert post[step] == pytest.approx(min(pre[step], 0.1), rel=1e-3)
    assert pre.max() > 0.1  # so the clip did bite at least once
    # one validation row per epoch, under the canonical names
    assert len(frame.series("val_loss")) == EPOCHS
    assert frame.has("val_acc")
    cfg = frame.config
    assert (cfg["optimizer"], cfg["lr"], cfg["momentum"]) == ("sgd", 0.05, 0.9)
    assert (cfg["depth"], cfg["hidden_units"], cfg["hidden_activation"]) == (2, 64, "relu")
    assert (cfg["grad_clip"], cfg["n_train"]) == (0.1, N)

    assert _top_error(tmp_path) == "dead_relu"


# -- Hugging Face -------------------------------------------------------------------------------


@pytest.mark.slow
def test_hf_callback_logs_and_diagnoses_dead_relus(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    from nn_doctor.record.hf import NnDoctorCallback

    class Classifier(torch.nn.Module):
        """What the Trainer expects: keyword inputs, a ``loss`` and ``logits`` in the output."""

        def __init__(self) -> None:
            super().__init__()
            self.net = _mlp(torch, dead=True)

        def forward(self, features, labels=None):  # type: ignore[no-untyped-def]
            logits = self.net(features)
            out = {"logits": logits}
            if labels is not None:
                out["loss"] = torch.nn.functional.cross_entropy(logits, labels)
            return out

    x, y = _data(torch)
    rows = [{"features": x[i], "labels": int(y[i])} for i in range(N)]
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"),
        per_device_train_batch_size=BATCH,
        per_device_eval_batch_size=64,
        num_train_epochs=EPOCHS,
        learning_rate=0.05,
        optim="sgd",
        lr_scheduler_type="constant",
        max_grad_norm=0.1,
        eval_strategy="epoch",
        save_strategy="no",
        logging_strategy="no",
        report_to=[],
        disable_tqdm=True,
        use_cpu=True,
        seed=0,
    )
    log = tmp_path / "run" / "metrics.jsonl"
    trainer = transformers.Trainer(
        model=Classifier(),
        args=args,
        train_dataset=rows,
        eval_dataset=rows[:128],
        callbacks=[NnDoctorCallback(every=EVERY, log=log)],
    )
    trainer.train()

    (frame,) = read_runs(log.parent)
    assert _steps(frame, "train_loss") == list(range(0, STEPS, EVERY))
    assert frame.layers("act_zero_frac") == ["act_zero_frac/net.1", "act_zero_frac/net.3"]
    assert frame.layers("grad_norm") == [f"grad_norm/net.{i}" for i in (0, 2, 4)]
    # the Trainer calls model(features=..., labels=...): inputs come from the keyword tensor,
    # predictions from ``logits``; integer labels have no range
    for name in ("input_std", "pred_min", "pred_max", "update_ratio/net.4", "lr"):
        assert frame.has(name), name
    assert not frame.has("target_mean")
    assert frame.series("input_std").iloc[0] == pytest.approx(1.0, abs=0.2)
    # finished in on_optimizer_step: the clipped gradients are still there
    pre, post = frame.series("grad_norm"), frame.series("grad_norm_clipped")
    for step in pre.index:
        assert post[step] == pytest.approx(min(pre[step], 0.1), rel=1e-3)
    assert pre.max() > 0.1  # so the clip did bite at least once
    assert len(frame.series("val_loss")) == EPOCHS
    cfg = frame.config
    assert (cfg["optimizer"], cfg["lr"], cfg["batch_size"]) == ("sgd", 0.05, BATCH)
    assert (cfg["grad_clip"], cfg["epochs"], cfg["n_train"]) == (0.1, EPOCHS, N)
    assert (cfg["depth"], cfg["hidden_units"]) == (2, 64)

    assert _top_error(log.parent) == "dead_relu"


# -- Keras --------------------------------------------------------------------------------------


def _keras_fit(keras, np, log: Path, *, lr: float) -> None:  # type: ignore[no-untyped-def]
    from nn_doctor.record.keras import NnDoctorCallback

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, D)).astype("float32")
    y = (x @ rng.standard_normal((D, 1))).astype("float32")  # a linear regression target
    model = keras.Sequential(
        [
            keras.Input((D,)),
            keras.layers.Dense(64, activation="relu", name="d1"),
            keras.layers.Dense(64, activation="relu", name="d2"),
            keras.layers.Dense(1, name="out"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(lr, momentum=0.9), loss="mse")
    model.fit(
        x,
        y,
        batch_size=BATCH,
        epochs=EPOCHS,
        verbose=0,
        shuffle=True,
        validation_data=(x[:128], y[:128]),
        callbacks=[NnDoctorCallback(log, every=EVERY, batch_size=BATCH, n_train=N)],
    )


@pytest.mark.slow
# Keras' torch backend converts tensors with np.array(x) (not our code): numpy 2 warns about it.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")
def test_keras_callback_logs_and_diagnoses_a_too_high_learning_rate(tmp_path: Path) -> None:
    keras = pytest.importorskip("keras", reason="Keras is not installed")
    np = pytest.importorskip("numpy")
    if keras.backend.backend() != "torch":
        pytest.skip(f"Keras runs on {keras.backend.backend()}, these tests use torch")
    healthy, faulty = tmp_path / "healthy", tmp_path / "lr"
    _keras_fit(keras, np, healthy / "metrics.jsonl", lr=0.01)
    _keras_fit(keras, np, faulty / "metrics.jsonl", lr=1.0)

    (frame,) = read_runs(healthy)
    # every 5th batch, and each epoch's last batch (the epoch's mean loss)
    epoch_ends = {(e + 1) * (N // BATCH) - 1 for e in range(EPOCHS)}
    assert _steps(frame, "train_loss") == sorted(set(range(0, STEPS, EVERY)) | epoch_ends)
    assert _steps(frame, "weight_norm") == list(range(0, STEPS, EVERY))
    assert frame.layers("weight_norm") == ["weight_norm/d1", "weight_norm/d2", "weight_norm/out"]
    assert frame.layers("update_ratio") == [
        "update_ratio/d1",
        "update_ratio/d2",
        "update_ratio/out",
    ]
    assert frame.series("lr").unique().tolist() == [0.01]
    assert len(frame.series("val_loss")) == EPOCHS
    assert frame.series("epoch").tolist() == list(range(EPOCHS))
    assert frame.series("train_loss").iloc[-1] < frame.series("train_loss").iloc[0] / 5
    cfg = frame.config
    assert (cfg["optimizer"], cfg["lr"], cfg["momentum"], cfg["loss"]) == ("sgd", 0.01, 0.9, "mse")
    assert (cfg["task"], cfg["depth"], cfg["hidden_units"], cfg["n_inputs"]) == (
        "regression",
        2,
        64,
        D,
    )
    assert (cfg["hidden_activation"], cfg["output_activation"]) == ("relu", "linear")
    assert (cfg["batch_size"], cfg["n_train"]) == (BATCH, N)
    (diag,) = diagnose(healthy)
    assert [f.id for f in diag.findings if f.severity == "error"] == []

    (frame,) = read_runs(faulty)
    losses = frame.series("train_loss")
    assert not math.isfinite(losses.iloc[-1]) or losses.iloc[-1] > 1e3 * losses.iloc[0]
    assert _top_error(faulty) == "lr_too_high"
