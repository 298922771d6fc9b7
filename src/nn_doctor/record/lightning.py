"""A PyTorch Lightning callback on the recorder core: ``Trainer(callbacks=[NnDoctorCallback()])``.

Importable only when Lightning is installed (``lightning`` or the older ``pytorch_lightning``);
otherwise importing this module raises an ImportError that says what to install.

How the Lightning hooks map onto :class:`~nn_doctor.record.torch.TorchRecorder`:

* ``on_train_batch_start`` arms the hooks (``start``) with the batch's first two tensors as
  inputs and targets, at ``trainer.global_step`` (optimizer steps, so ``every`` counts updates).
* ``on_before_optimizer_step`` marks that this batch ends an optimizer step. Gradients are
  already caught *before* Lightning clips them (the recorder's post-accumulate hooks), so the
  flag is all this hook has to do: with gradient accumulation, micro-batches that do not step
  are not finished (their update ratio would be 0).
* ``on_train_batch_end`` finishes the step with the loss Lightning returns and writes the row.

* ``on_validation_epoch_end`` copies what the module logged for validation
  (``self.log("val_loss", …)``, ``val_acc``/``val_accuracy``, other ``val_*``) from
  ``trainer.callback_metrics`` under the canonical names, so ``overfitting`` can be read from this
  one log; :meth:`NnDoctorCallback.log_scalars` writes anything else.

With accumulation, activation statistics are those of the last micro-batch of a step. The
prediction range (``pred_*``) needs the module to be called (``self(x)`` in ``training_step``):
Lightning calls ``training_step``, not ``forward``, and a module that calls a submodule directly
never runs its own forward hooks.

The log path is kept in ``log_path``: Lightning sets ``callback.log`` (and ``log_dict``) on every
callback to the module's ``log`` method when training starts.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

try:
    import lightning.pytorch as pl
except ImportError:
    try:
        import pytorch_lightning as pl  # type: ignore[no-redef]
    except ImportError as exc:
        raise ImportError(
            "nn_doctor.record.lightning needs PyTorch Lightning: pip install lightning "
            "(pin a version compatible with your torch)"
        ) from exc

import torch

from nn_doctor.record import DEFAULT_EVERY
from nn_doctor.record.recording import Recording, attach

__all__ = ["NnDoctorCallback"]


def _tensors(batch: Any) -> list[torch.Tensor]:
    """The first tensors of a batch (``(x, y)``, ``[x, y]`` or a dict in insertion order)."""
    items = batch.values() if isinstance(batch, dict) else batch
    if isinstance(items, torch.Tensor):
        return [items]
    try:
        return [t for t in items if isinstance(t, torch.Tensor)][:2]
    except TypeError:
        return []


def _val_name(key: str) -> str | None:
    """``val_loss`` → ``val_loss``, ``val_accuracy``/``val/acc`` → ``val_acc``; None if not val."""
    key = key.replace("/", "_")
    for suffix in ("_epoch", "_step"):  # self.log(..., on_step=True, on_epoch=True) adds these
        if key.endswith(suffix):
            return None if suffix == "_step" else _val_name(key[: -len(suffix)])
    if not key.startswith("val_"):
        return None
    rest = key[4:]
    return "val_acc" if rest in ("acc", "accuracy") else f"val_{rest}"


class NnDoctorCallback(pl.Callback):
    """Log nn-doctor's per-layer signals every ``every`` optimizer steps.

    :param every: record steps whose index is a multiple of this.
    :param log: ``*.jsonl``/``*.csv`` file or TensorBoard folder; default
        ``<trainer.log_dir>/nn_doctor/metrics.jsonl``.
    :param known: canonical config facts only you know (``n_train=…``, ``batch_size=…``).
    """

    def __init__(
        self, every: int = DEFAULT_EVERY, log: str | os.PathLike[str] | None = None, **known: Any
    ) -> None:
        super().__init__()
        self.every = every
        self.log_path = log  # not ``self.log``: Lightning overwrites that attribute
        self.known = known
        self.recording: Recording | None = None
        self._stepped = False

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        """Build the recorder on the module and the first optimizer; write the config facts."""
        log = self.log_path
        if log is None:
            root = trainer.log_dir or trainer.default_root_dir
            log = Path(root) / "nn_doctor" / "metrics.jsonl"
        optimizer = trainer.optimizers[0] if trainer.optimizers else None
        clip = trainer.gradient_clip_val
        hparams = dict(getattr(pl_module, "hparams", None) or {})
        self.recording = attach(
            pl_module,
            optimizer,
            log=log,
            every=self.every,
            grad_clip=float(clip) if clip else None,
            config=hparams,
            **self.known,
        )

    def on_train_batch_start(
        self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int
    ) -> None:
        """Arm the hooks (on recorded steps only)."""
        if self.recording is None:
            return
        ts = _tensors(batch)
        self._stepped = False
        self.recording.start(
            trainer.global_step,
            inputs=ts[0] if ts else None,
            targets=ts[1] if len(ts) > 1 else None,
        )

    def on_before_optimizer_step(self, trainer: Any, pl_module: Any, optimizer: Any) -> None:
        """Note that this batch ends an optimizer step (so it is the one to finish)."""
        self._stepped = True

    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        """Finish the step after the optimizer stepped, and write its row."""
        if self.recording is None or not self._stepped:
            return
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        self.recording.finish(loss=loss if isinstance(loss, torch.Tensor | float) else None)
        self._stepped = False

    def on_validation_epoch_end(self, trainer: Any, pl_module: Any) -> None:
        """Write the validation metrics the module logged, under the canonical names."""
        if self.recording is None or trainer.sanity_checking:
            return
        out: dict[str, float] = {}
        for key, value in trainer.callback_metrics.items():
            name = _val_name(str(key))
            if name is None:
                continue
            try:
                out[name] = float(value)
            except (TypeError, ValueError):
                continue
        if out:
            out["epoch"] = float(trainer.current_epoch)
            self.recording.log(trainer.global_step, **out)

    def log_scalars(self, trainer: Any, **scalars: float) -> None:
        """Write other scalars (``val_loss=…``) at the current global step."""
        if self.recording is not None:
            self.recording.log(trainer.global_step, **scalars)

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        """Remove the hooks and close the log."""
        if self.recording is not None:
            self.recording.close()
