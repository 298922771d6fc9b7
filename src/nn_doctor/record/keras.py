"""A Keras callback: ``model.fit(..., callbacks=[NnDoctorCallback(log="runs/x/metrics.jsonl")])``.

Importable only when Keras is installed (``keras`` 3, or ``tf.keras``); otherwise importing this
module raises an ImportError that says what to install. It does not use the torch recorder
core: Keras exposes no gradient or activation hooks to callbacks, and recomputing them with a
``tf.GradientTape`` would run a second forward/backward pass. So it logs what is free or cheap,
under the same canonical names, through the same writers:

* every batch that is a multiple of ``every`` (a global step count, not Keras's per-epoch batch
  index): ``train_loss`` (Keras's running epoch mean, what ``logs["loss"]`` holds), ``lr``,
  ``weight_norm`` and ``weight_norm/<layer>``, and ``update_ratio/<layer>`` (‖ΔW‖/‖W‖ over that
  batch, from a weight snapshot taken at its start — one host copy of the weights per recorded
  step, which is why ``every`` matters);
* every epoch: ``val_loss``, ``train_acc``/``val_acc`` and other metrics Keras reports, and
  ``epoch``.

Not logged (use the PyTorch recorder when you need them): gradient norms, activation
statistics, input/target/prediction ranges.
"""

from __future__ import annotations

import math
import os
from typing import Any

try:
    import keras
except ImportError:
    try:
        from tensorflow import keras  # type: ignore[no-redef]
    except ImportError as exc:
        raise ImportError(
            "nn_doctor.record.keras needs Keras: pip install keras (with a backend)"
        ) from exc

import numpy as np

from nn_doctor.record.writers import RowWriter, open_writer, write_config

__all__ = ["NnDoctorCallback"]

_EPOCH_NAMES = {"loss": "train_loss", "accuracy": "train_acc", "acc": "train_acc"}


def _canonical(key: str) -> str:
    """Keras metric name → canonical: ``val_accuracy`` → ``val_acc``, ``loss`` → ``train_loss``."""
    if key.startswith("val_"):
        rest = key[4:]
        return "val_acc" if rest in ("accuracy", "acc") else f"val_{rest}"
    return _EPOCH_NAMES.get(key, key)


class NnDoctorCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Log loss, lr, per-layer weight norms and update ratios every ``every`` batches.

    :param log: ``*.jsonl``/``*.csv`` file or a TensorBoard folder.
    :param every: record global batch indices that are a multiple of this.
    :param known: canonical config facts only you know (``n_train=…``, ``batch_size=…``).
    """

    def __init__(self, log: str | os.PathLike[str], every: int = 10, **known: Any) -> None:
        super().__init__()
        self.every = every
        self.log_path = log
        self.known = known
        self.writer: RowWriter | None = None
        self._step = -1
        self._before: dict[str, list[np.ndarray]] | None = None

    def _layers(self) -> dict[str, list[np.ndarray]]:
        return {
            layer.name: [np.asarray(w, dtype=np.float64) for w in layer.get_weights()]
            for layer in self.model.layers
            if layer.trainable_weights
        }

    def _lr(self) -> float | None:
        opt = getattr(self.model, "optimizer", None)
        lr = getattr(opt, "learning_rate", None)
        try:
            return float(np.asarray(lr))
        except (TypeError, ValueError):
            return None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Open the log and write the config facts Keras exposes."""
        self.writer = open_writer(self.log_path)
        opt = getattr(self.model, "optimizer", None)
        facts: dict[str, Any] = {"depth": max(0, len(self._layers()) - 1)}
        if opt is not None:
            facts["optimizer"] = type(opt).__name__.lower()
        lr = self._lr()
        if lr is not None:
            facts["lr"] = lr
        facts.update(self.known)
        write_config(self.writer.folder / self.writer.config_name, facts)

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Count the global step; snapshot the weights on recorded steps."""
        self._step += 1
        self._before = self._layers() if self._step % self.every == 0 else None

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Write loss, lr, weight norms and update ratios on recorded steps."""
        if self.writer is None or self._before is None:
            return
        row: dict[str, float] = {"step": float(self._step)}
        if logs and "loss" in logs:
            row["train_loss"] = float(logs["loss"])
        lr = self._lr()
        if lr is not None:
            row["lr"] = lr
        after = self._layers()
        total = 0.0
        for name, ws in after.items():
            w_sq = sum(float(np.sum(w * w)) for w in ws)
            total += w_sq
            row[f"weight_norm/{name}"] = math.sqrt(w_sq)
            olds = self._before.get(name)
            if olds is not None and len(olds) == len(ws):
                o_sq = sum(float(np.sum(o * o)) for o in olds)
                d_sq = sum(float(np.sum((w - o) ** 2)) for w, o in zip(ws, olds, strict=True))
                if o_sq > 0:
                    row[f"update_ratio/{name}"] = math.sqrt(d_sq / o_sq)
        row["weight_norm"] = math.sqrt(total)
        self._before = None
        self.writer.write(row)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Write the epoch's metrics (validation included) at the current step."""
        if self.writer is None or not logs:
            return
        row: dict[str, float] = {"step": float(max(self._step, 0)), "epoch": float(epoch)}
        for k, v in logs.items():
            if k == "loss":  # already logged per batch at this step: one value per step
                continue
            try:
                row[_canonical(str(k))] = float(v)
            except (TypeError, ValueError):
                continue
        self.writer.write(row)
        self.writer.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Close the log."""
        if self.writer is not None:
            self.writer.close()
