"""A Keras callback: ``model.fit(..., callbacks=[NnDoctorCallback(log="runs/x/metrics.jsonl")])``.

Importable only when Keras is installed (``keras`` 3 with a backend, or ``tf.keras``); otherwise
importing this module raises an ImportError that says what to install. Keras 3 picks its backend
from ``KERAS_BACKEND`` (TensorFlow by default): ``KERAS_BACKEND=torch`` runs it on an installed
torch without TensorFlow.

It does not use the torch recorder core: Keras exposes no gradient or activation hooks to
callbacks on every backend, and recomputing them with a ``tf.GradientTape`` would run a second
forward/backward pass. So it logs what is free or cheap, under the same canonical names, through
the same writers:

* every batch that is a multiple of ``every`` (a global step count, not Keras's per-epoch batch
  index): ``train_loss`` (and ``train_acc``) as Keras reports them after that batch — the running
  mean over the epoch so far, what ``logs["loss"]`` holds in Keras 3 — ``lr``, ``weight_norm``
  and ``weight_norm/<layer>``, and ``update_ratio/<layer>`` (‖ΔW‖/‖W‖ over that batch, from a
  weight snapshot taken at its start: one host copy of the weights per recorded step, which is
  why ``every`` matters);
* every epoch: ``val_loss``, ``val_acc`` and other metrics Keras reports, and ``epoch``;
* at the start, the config facts the model shows: ``depth``, ``hidden_units``,
  ``hidden_activation``, ``output_activation``, ``n_inputs``/``n_outputs``, ``dropout``,
  ``norm_layers``, ``optimizer``, ``lr``, ``momentum``, ``weight_decay``, ``loss`` (Keras' own
  name: its cross-entropies take probabilities, unlike torch's) and the ``task`` it implies.

Not logged (use the PyTorch recorder when you need them): gradient norms, activation
statistics, input/target/prediction ranges.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from typing import Any

try:
    import keras
except ImportError as exc:
    try:
        from tensorflow import keras  # type: ignore[no-redef]
    except ImportError:
        raise ImportError(
            "nn_doctor.record.keras needs Keras: pip install keras (Keras 3 also needs a "
            "backend: KERAS_BACKEND=torch uses an installed torch, or install tensorflow or jax)"
        ) from exc

import numpy as np

from nn_doctor.record import DEFAULT_EVERY
from nn_doctor.record.writers import RowWriter, open_writer, write_config

__all__ = ["NnDoctorCallback"]

_TRAIN_NAMES = {"loss": "train_loss", "accuracy": "train_acc", "acc": "train_acc"}
_REGRESSION_LOSSES = {
    "mse",
    "mae",
    "mape",
    "msle",
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "huber",
    "huber_loss",
    "log_cosh",
    "logcosh",
}
_NORM_LAYERS = ("BatchNormalization", "LayerNormalization", "GroupNormalization")


def _canonical(key: str) -> str:
    """Keras metric name → canonical: ``val_accuracy`` → ``val_acc``, ``loss`` → ``train_loss``."""
    if key.startswith("val_"):
        rest = key[4:]
        return "val_acc" if rest in ("accuracy", "acc") else f"val_{rest}"
    return _TRAIN_NAMES.get(key, key)


def _number(value: Any) -> float | None:
    """A Keras scalar (variable, tensor, numpy or Python number) as a float, float32 noise off.

    ``SGD(0.1)`` stores 0.1 as float32 (0.10000000149…); the shortest float32 repr gives 0.1 back.
    """
    try:
        arr = np.asarray(value)
        if arr.size != 1:
            return None
        x = arr.reshape(()).item()
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            return None
        return float(str(np.float32(x))) if arr.dtype == np.float32 else float(x)
    except (TypeError, ValueError):
        return None


def _activation(layer: Any) -> str | None:
    act = layer.get_config().get("activation")
    if isinstance(act, dict):  # a serialized activation object
        act = act.get("config", {}).get("name") or act.get("class_name")
    return act if isinstance(act, str) else None


def _loss_name(loss: Any) -> str | None:
    if isinstance(loss, str):
        return loss
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None)
    return str(name) if name else None


def config_facts(model: Any) -> dict[str, Any]:
    """The canonical config keys (DECISIONS §3) a compiled Keras model shows."""
    layers = [layer for layer in model.layers if layer.trainable_weights]
    facts: dict[str, Any] = {"depth": max(0, len(layers) - 1)}
    units = [layer.get_config().get("units") for layer in layers]
    if units and all(isinstance(u, int) for u in units):
        hidden = units[:-1]
        if hidden:
            facts["hidden_units"] = hidden[0] if len(set(hidden)) == 1 else hidden
        facts["n_outputs"] = units[-1]
    inputs = getattr(model, "inputs", None)
    if inputs:
        width = inputs[0].shape[-1]
        if isinstance(width, int):
            facts["n_inputs"] = width
    acts = [_activation(layer) for layer in layers]
    hidden_acts = Counter(a for a in acts[:-1] if a is not None and a != "linear")
    if hidden_acts:
        facts["hidden_activation"] = hidden_acts.most_common(1)[0][0]
    if acts and acts[-1] is not None:
        facts["output_activation"] = acts[-1]
    kinds = [type(layer).__name__ for layer in model.layers]
    facts["norm_layers"] = any(k in _NORM_LAYERS for k in kinds)
    rates = [
        float(layer.rate) for layer in model.layers if type(layer).__name__.endswith("Dropout")
    ]
    facts["dropout"] = max(rates) if rates else 0.0
    opt = getattr(model, "optimizer", None)
    if opt is not None:
        facts["optimizer"] = type(opt).__name__.lower()
        for key in ("learning_rate", "momentum", "weight_decay"):
            value = _number(getattr(opt, key, None))
            if value is not None:
                facts["lr" if key == "learning_rate" else key] = value
    loss = _loss_name(getattr(model, "loss", None))
    if loss:
        facts["loss"] = loss
        if "crossentropy" in loss or "hinge" in loss:
            facts["task"] = "classification"
        elif loss in _REGRESSION_LOSSES:
            facts["task"] = "regression"
    if facts.get("task") == "classification" and "n_outputs" in facts:
        n_out = int(facts["n_outputs"])
        facts["n_classes"] = 2 if n_out == 1 else n_out
    return facts


class NnDoctorCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Log loss, lr, per-layer weight norms and update ratios every ``every`` batches.

    :param log: ``*.jsonl``/``*.csv`` file or a TensorBoard folder.
    :param every: record global batch indices that are a multiple of this.
    :param known: canonical config facts only you know (``n_train=…``, ``batch_size=…``).
    """

    def __init__(
        self, log: str | os.PathLike[str], every: int = DEFAULT_EVERY, **known: Any
    ) -> None:
        super().__init__()
        if every < 1:
            raise ValueError("every must be >= 1")
        self.every = every
        self.log_path = log
        self.known = known
        self.writer: RowWriter | None = None
        self._step = -1
        self._written = -1  # the last step a batch row was written at
        self._before: dict[str, list[np.ndarray]] | None = None

    def _layers(self) -> dict[str, list[np.ndarray]]:
        return {
            layer.name: [np.asarray(w, dtype=np.float64) for w in layer.get_weights()]
            for layer in self.model.layers
            if layer.trainable_weights
        }

    def _lr(self) -> float | None:
        opt = getattr(self.model, "optimizer", None)
        return _number(getattr(opt, "learning_rate", None))

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Open the log and write the config facts Keras exposes."""
        self.writer = open_writer(self.log_path)
        facts = config_facts(self.model)
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
        for key, value in (logs or {}).items():
            name = _TRAIN_NAMES.get(str(key))
            number = _number(value) if name else None
            if name and number is not None:
                row[name] = number
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
        self._written = self._step
        self.writer.write(row)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Write the epoch's metrics (validation included) at the current step."""
        if self.writer is None or not logs:
            return
        row: dict[str, float] = {"step": float(max(self._step, 0)), "epoch": float(epoch)}
        for k, v in logs.items():
            # The epoch's training loss is the running mean after its last batch: already in
            # the row written at this step if that batch was recorded (one value per step).
            if k in _TRAIN_NAMES and self._written == self._step:
                continue
            number = _number(v)
            if number is not None:
                row[_canonical(str(k))] = number
        self.writer.write(row)
        self.writer.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Close the log."""
        if self.writer is not None:
            self.writer.close()
