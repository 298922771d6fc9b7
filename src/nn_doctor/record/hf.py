"""A Hugging Face ``TrainerCallback`` on the recorder core: ``Trainer(callbacks=[NnDoctorCallback()])``.

Importable only when ``transformers`` is installed; otherwise importing this module raises an
ImportError that says what to install.

How the Trainer's events map onto :class:`~nn_doctor.record.torch.TorchRecorder`:

* ``on_train_begin`` builds the recorder on ``model`` and ``optimizer`` and writes the config
  facts (``batch_size``, ``epochs``, ``weight_decay``, ``grad_clip`` from ``TrainingArguments``,
  ``n_train`` from the training dataloader's dataset).
* ``on_step_begin`` (start of an optimizer step, before its first micro-batch) arms the hooks at
  ``state.global_step``. The Trainer passes no batch to callbacks, but it calls the model with
  keyword arguments, which the recorder's pre-forward hook reads: the first floating tensor that
  is not ``labels`` gives the ``input_*`` range (token ids are integers and give none), and
  ``labels`` the ``target_*`` range when they are floats (regression). The loss is caught from
  the model output's ``.loss`` by a forward hook (mean over the micro-batches of the step), and
  ``pred_*`` from its ``logits``.
* ``on_optimizer_step`` (after ``optimizer.step()``, before ``model.zero_grad()``) finishes the
  step and writes the row, so ``grad_norm_clipped`` still sees the clipped gradients; gradients
  for ``grad_norm`` were caught before the Trainer clipped them (``max_grad_norm``).
  ``on_step_end`` finishes instead on Trainers without that event (transformers < 4.41), where
  the gradients are already zeroed and ``grad_norm_clipped`` is not written.
* ``on_evaluate`` writes ``eval_loss``/``eval_accuracy`` as ``val_loss``/``val_acc``.
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

from nn_doctor.record import DEFAULT_EVERY
from nn_doctor.record.recording import Recording, attach

__all__ = ["NnDoctorCallback"]


def _unwrap(optimizer: Any) -> Any:
    """The torch optimizer inside accelerate's ``AcceleratedOptimizer`` (what the Trainer passes):
    its class gives the ``optimizer`` config fact."""
    inner = getattr(optimizer, "optimizer", None)
    while isinstance(inner, torch.optim.Optimizer):  # the wrapper subclasses Optimizer too
        optimizer, inner = inner, getattr(inner, "optimizer", None)
    return optimizer


def _dataset_size(loader: Any) -> int | None:
    """``len(loader.dataset)`` when the dataloader has a sized dataset (not a stream)."""
    try:
        return len(loader.dataset)
    except (AttributeError, TypeError):
        return None


class NnDoctorCallback(TrainerCallback):  # type: ignore[misc]
    """Log nn-doctor's per-layer signals every ``every`` optimizer steps.

    :param every: record steps whose index is a multiple of this.
    :param log: ``*.jsonl``/``*.csv`` file or TensorBoard folder; default
        ``<output_dir>/nn_doctor/metrics.jsonl``.
    :param known: canonical config facts only you know (``n_train=…``).
    """

    def __init__(
        self, every: int = DEFAULT_EVERY, log: str | os.PathLike[str] | None = None, **known: Any
    ) -> None:
        self.every = every
        self.log = log
        self.known = known
        self.recording: Recording | None = None
        self._loss_handle: Any = None
        self._losses: list[torch.Tensor] = []

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Build the recorder; write config facts from the model, optimizer and arguments."""
        model, optimizer = kwargs.get("model"), _unwrap(kwargs.get("optimizer"))
        if model is None:
            return
        log = self.log or Path(args.output_dir) / "nn_doctor" / "metrics.jsonl"
        clip = getattr(args, "max_grad_norm", None)
        facts: dict[str, Any] = {
            "batch_size": getattr(args, "per_device_train_batch_size", None),
            "epochs": getattr(args, "num_train_epochs", None),
            "weight_decay": getattr(args, "weight_decay", None),
            "n_train": _dataset_size(kwargs.get("train_dataloader")),
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

    def on_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Finish the step (after ``optimizer.step()``, gradients not yet zeroed)."""
        self._finish()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        """Finish the step if ``on_optimizer_step`` did not (older Trainers)."""
        self._finish()

    def _finish(self) -> None:
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
