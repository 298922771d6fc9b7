"""The one-line API: a :class:`TorchRecorder` wired to a writer, config facts written at start.

::

    rec = nn_doctor.record.attach(model, opt, log="runs/exp1/metrics.jsonl", every=50)
    for x, y in loader:
        with rec.step(inputs=x, targets=y) as s:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            s.loss = loss            # what the row logs as train_loss
    rec.log(val_loss=0.42)           # any other scalar, at the current step
    rec.close()

Why a ``with`` block and not a single ``rec.step(loss=...)`` after the step: activation
statistics and the pre-clipping gradient norm can only be caught by hooks armed *before* the
forward pass, so the recorder has to be told where a step begins and where it ends. The
explicit form (``rec.start(...)`` / ``rec.finish(loss=...)``) is there for loops that do not
fit a block.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from nn_doctor.record import DEFAULT_EVERY
from nn_doctor.record.torch import Row, TorchRecorder
from nn_doctor.record.torch_config import config_facts
from nn_doctor.record.writers import RowWriter, open_writer, write_config

__all__ = ["Recording", "StepOutcome", "attach"]


@dataclass
class StepOutcome:
    """Filled inside a ``with rec.step(...)`` block: what :meth:`TorchRecorder.finish` needs."""

    loss: torch.Tensor | float | None = None
    preds: torch.Tensor | None = None
    targets: torch.Tensor | None = None
    #: The row written for this step (``None`` on steps that are not recorded).
    row: Row | None = None


class Recording:
    """A recorder plus a writer: rows go to the log as they are produced, nothing is kept."""

    def __init__(self, recorder: TorchRecorder, writer: RowWriter) -> None:
        self.recorder = recorder
        self.writer = writer
        self.current_step = -1  # last step started (auto-incremented when not given)
        self._closed = False

    # -- explicit protocol -----------------------------------------------------------------
    def start(
        self,
        step: int | None = None,
        *,
        inputs: torch.Tensor | None = None,
        targets: torch.Tensor | None = None,
    ) -> bool:
        """Begin a step (before the forward pass); ``step`` defaults to the previous + 1."""
        self.current_step = self.current_step + 1 if step is None else step
        return self.recorder.start(self.current_step, inputs=inputs, targets=targets)

    def finish(
        self,
        *,
        loss: torch.Tensor | float | None = None,
        preds: torch.Tensor | None = None,
        targets: torch.Tensor | None = None,
    ) -> Row | None:
        """End the step (after ``optimizer.step()``), write its row if recorded, return it."""
        row = self.recorder.finish(loss=loss, preds=preds, targets=targets)
        if row is not None:
            self.writer.write(row)
        return row

    # -- block form ------------------------------------------------------------------------
    @contextmanager
    def step(
        self,
        step: int | None = None,
        *,
        inputs: torch.Tensor | None = None,
        targets: torch.Tensor | None = None,
    ) -> Iterator[StepOutcome]:
        """One training step as a block; set ``.loss`` (and ``.preds``) on what it yields."""
        out = StepOutcome(targets=targets)
        self.start(step, inputs=inputs, targets=targets)
        try:
            yield out
        except BaseException:
            self.recorder.close()
            raise
        out.row = self.finish(loss=out.loss, preds=out.preds, targets=out.targets)

    def log(self, step: int | None = None, **scalars: float) -> None:
        """Write other scalars (``val_loss``, ``val_acc``, ``epoch``) at ``step`` (default: current).

        Written on every call, not every ``every`` steps: evaluation is already infrequent.
        """
        row: dict[str, float] = {"step": float(self.current_step if step is None else step)}
        row.update({k: float(v) for k, v in scalars.items()})
        self.writer.write(row)

    def close(self) -> None:
        """Remove hooks and close the log (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.recorder.close()
        self.writer.close()

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def attach(
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    log: str | os.PathLike[str] | RowWriter,
    every: int = DEFAULT_EVERY,
    loss_fn: nn.Module | str | None = None,
    grad_clip: float | None = None,
    activations: str = "auto",
    config: Mapping[str, Any] | None = None,
    **known: Any,
) -> Recording:
    """Record ``model`` every ``every`` steps to ``log`` and write its config facts now.

    :param log: ``*.jsonl`` (recommended), ``*.csv``, a folder (TensorBoard), or a writer.
    :param loss_fn: gives the ``loss`` and ``task`` config facts.
    :param grad_clip: the clip value if you clip (also a config fact).
    :param config: extra config facts written as given (e.g. your own hparams dict).
    :param known: canonical facts only you know (``batch_size=64``, ``n_train=50000`` …).
    """
    writer = open_writer(log) if isinstance(log, (str, os.PathLike)) else log
    recorder = TorchRecorder(
        model, every, optimizer=optimizer, grad_clip=grad_clip, activations=activations
    )
    facts = config_facts(model, optimizer, loss_fn=loss_fn, grad_clip=grad_clip, **known)
    if config:
        facts.update(config)
    write_config(writer.folder / writer.config_name, facts)
    return Recording(recorder, writer)
