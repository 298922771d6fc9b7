"""Framework callbacks: a clear ImportError without the framework, a real run with it.

Lightning, transformers and Keras are optional and usually absent from CI: the functional tests
skip with a reason then, and the import-error tests check the message users see instead.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import pytest

from nn_doctor.api import read_runs

FRAMEWORKS = {
    "nn_doctor.record.lightning": (("lightning", "pytorch_lightning"), "pip install lightning"),
    "nn_doctor.record.hf": (("transformers",), "pip install transformers"),
    "nn_doctor.record.keras": (("keras", "tensorflow"), "pip install keras"),
}


def _installed(names: tuple[str, ...]) -> bool:
    return any(importlib.util.find_spec(n) is not None for n in names)


@pytest.mark.parametrize("module", sorted(FRAMEWORKS))
def test_missing_framework_gives_a_clear_import_error(module: str) -> None:
    names, hint = FRAMEWORKS[module]
    if _installed(names):
        pytest.skip(f"{names[0]} is installed: the callback imports")
    with pytest.raises(ImportError, match=hint):
        importlib.import_module(module)


def test_lightning_callback_logs_canonical_signals(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    pl = pytest.importorskip("lightning.pytorch", reason="Lightning is not installed")
    from nn_doctor.record.lightning import NnDoctorCallback

    class Tiny(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.net = torch.nn.Sequential(
                torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)
            )

        def training_step(self, batch, batch_idx):
            x, y = batch
            return torch.nn.functional.cross_entropy(self.net(x), y)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    ds = torch.utils.data.TensorDataset(torch.randn(64, 4), torch.randint(0, 2, (64,)))
    log = tmp_path / "metrics.jsonl"
    trainer = pl.Trainer(
        max_epochs=2,
        callbacks=[NnDoctorCallback(every=2, log=log)],
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
    )
    trainer.fit(Tiny(), torch.utils.data.DataLoader(ds, batch_size=8))
    (frame,) = read_runs(tmp_path)
    assert sorted(frame.series("train_loss").index) == list(range(0, 16, 2))
    assert frame.layers("act_zero_frac") == ["act_zero_frac/net.1"]
    assert frame.has("update_ratio/net.0") and frame.has("grad_norm")


def test_hf_callback_logs_canonical_signals(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers", reason="transformers is not installed")
    from nn_doctor.record.hf import NnDoctorCallback

    class Tiny(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = torch.nn.Linear(4, 2)

        def forward(self, x, labels=None):
            logits = self.fc(x)
            loss = torch.nn.functional.cross_entropy(logits, labels)
            return {"loss": loss, "logits": logits}

    rows = [{"x": torch.randn(4), "labels": int(i % 2)} for i in range(32)]
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"),
        per_device_train_batch_size=8,
        num_train_epochs=2,
        report_to=[],
        save_strategy="no",
        use_cpu=True,
    )
    log = tmp_path / "metrics.jsonl"
    trainer = transformers.Trainer(
        model=Tiny(), args=args, train_dataset=rows, callbacks=[NnDoctorCallback(every=2, log=log)]
    )
    trainer.train()
    (frame,) = read_runs(tmp_path)
    assert sorted(frame.series("train_loss").index) == [0, 2, 4, 6]
    assert frame.has("grad_norm/fc") and frame.config["batch_size"] == 8


def test_keras_callback_logs_weight_norms(tmp_path: Path) -> None:
    keras = pytest.importorskip("keras", reason="Keras is not installed")
    np = pytest.importorskip("numpy")
    from nn_doctor.record.keras import NnDoctorCallback

    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu", name="d1"),
            keras.layers.Dense(2, name="d2"),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x, y = np.random.randn(64, 4), np.random.randn(64, 2)
    log = tmp_path / "metrics.jsonl"
    model.fit(
        x,
        y,
        batch_size=8,
        epochs=2,
        verbose=0,
        validation_split=0.25,
        callbacks=[NnDoctorCallback(log, every=2)],
    )
    (frame,) = read_runs(tmp_path)
    assert sorted(frame.series("train_loss").index) == list(range(0, 12, 2))
    assert frame.layers("weight_norm") == ["weight_norm/d1", "weight_norm/d2"]
    assert frame.has("val_loss") and frame.has("update_ratio/d1")
