"""A Hugging Face ``TrainerCallback`` on the recorder core: ``Trainer(callbacks=[NnDoctorCallback()])``.

Importable only when ``transformers`` is installed; otherwise importing this module raises an
ImportError that says what to install.

How the Trainer's events map onto :class:`~nn_doctor.record.torch.TorchRecorder`:

* ``on_train_begin`` builds the recorder on ``model`` and ``optimizer`` and writes the config
  facts (``batch_size``, ``epochs``, ``weight_decay``, ``grad_clip`` from ``TrainingArguments``).
* ``on_step_begin`` (start of an optimizer step, before its first micro-batch) arms the hooks at
  ``state.global_step``. The Trainer passes no batch to callbacks, and its models take keyword
  arguments, so ``input_*`` ranges are not logged; the loss is caught from the model output's
  ``.loss`` by a forward hook (mean over the micro-batches of the step).
* ``on_step_end`` (after ``optimizer.step()``) finishes the step and writes the row. Gradients
  were caught before the Trainer clips them (``max_grad_norm``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

try:
    from transformers import TrainerCallback
except ImportError as exc:
    raise ImportError(
        "nn_doctor.record.hf needs Hugging Face transformers: pip install transformers "
        "(pin a version compatible with your torch)"
    ) from exc

import torch

from nn_doctor.record.recording import Recording, attach

__all__ = ["NnDoctorCallback"]


class NnDoctorCallback(TrainerCallback):  # type: ignore[misc]
    """Log nn-doctor's per-layer signals every ``every`` optimizer steps.

    :param every: record steps whose index is a multiple of this.
    :param log: ``*.jsonl``/``*.csv`` file or TensorBoard folder; default
        ``<output_dir>/nn_doctor/metrics.jsonl``.
    :param known: canonical config facts only you know (``n_train=…``).
    """

    def __init__(
        self, every: int = 10, log: str | os.PathLike[str] | None = None, **known: Any
    ) -> None:
        self.every = every
        self.log = log
        self.known = known
        self.recording: Recording | None = None
        self._loss_handle: Any = None
        self._losses: list[torch.Tensor] = []

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Build the recorder; write config facts from the model, optimizer and arguments."""
        model, optimizer = kwargs.get("model"), kwargs.get("optimizer")
        if model is None:
            return
        log = self.log or Path(args.output_dir) / "nn_doctor" / "metrics.jsonl"
        clip = getattr(args, "max_grad_norm", None)
        facts: dict[str, Any] = {
            "batch_size": getattr(args, "per_device_train_batch_size", None),
            "epochs": getattr(args, "num_train_epochs", None),
            "weight_decay": getattr(args, "weight_decay", None),
        }
        facts.update(self.known)
        self.recording = attach(
            model,
            optimizer,
            log=log,
            every=self.every,
            grad_clip=float(clip) if clip else None,
            **{k: v for k, v in facts.items() if v is not None},
        )

    def _loss_hook(self, module: Any, args: Any, output: Any) -> None:
        loss = output.get("loss") if isinstance(output, dict) else getattr(output, "loss", None)
        if isinstance(loss, torch.Tensor):
            self._losses.append(loss.detach())

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Arm the hooks for this optimizer step, if recorded."""
        rec = self.recording
        if rec is None:
            return
        self._losses.clear()
        if rec.start(state.global_step):
            self._loss_handle = rec.recorder.model.register_forward_hook(self._loss_hook)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Finish the step (after ``optimizer.step()``) and write its row."""
        if self.recording is None:
            return
        if self._loss_handle is not None:
            self._loss_handle.remove()
            self._loss_handle = None
        loss = torch.stack(self._losses).float().mean() if self._losses else None
        self._losses.clear()
        self.recording.finish(loss=loss)

    def on_evaluate(
        self,
        args: Any,
        state: Any,
        control: Any,
        metrics: dict[str, float] | None = None,
        **kw: Any,
    ) -> None:
        """Write ``eval_loss``/``eval_accuracy`` as ``val_loss``/``val_acc``."""
        if self.recording is None or not metrics:
            return
        names = {"eval_loss": "val_loss", "eval_accuracy": "val_acc"}
        out = {names[k]: float(v) for k, v in metrics.items() if k in names}
        if out:
            self.recording.log(state.global_step, **out)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Remove the hooks and close the log."""
        if self.recording is not None:
            self.recording.close()
