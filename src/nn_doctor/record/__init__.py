"""Record the signals nn-doctor reads, from inside a training loop (the recorder core).

The diagnoses that need more than a loss curve (dead ReLUs, vanishing gradients, a too-low
learning rate judged by the update/weight ratio, unnormalized inputs) need per-layer statistics
that few training scripts log. This subpackage computes them under the canonical names of
DECISIONS.md §3 so that any log written from its rows is read without an alias table.

One line for users: ``rec = nn_doctor.record.recording(model, opt, log="runs/x/metrics.jsonl")``
(:mod:`nn_doctor.record.recording`); writers in :mod:`nn_doctor.record.writers`; framework
callbacks in :mod:`nn_doctor.record.lightning`, :mod:`~nn_doctor.record.hf` and
:mod:`~nn_doctor.record.keras`.

Framework code lives in framework modules (:mod:`nn_doctor.record.torch`), imported only when
asked for: ``import nn_doctor`` and ``import nn_doctor.record`` never import torch, because torch
is an optional extra (``pip install 'nn-doctor[torch]'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nn_doctor.record.writers import CSVWriter, JSONLWriter, TensorBoardWriter, write_config

if TYPE_CHECKING:
    from nn_doctor.record.recording import Recording, attach
    from nn_doctor.record.torch import TorchRecorder, config_facts

__all__ = [
    "CSVWriter",
    "JSONLWriter",
    "Recording",
    "TensorBoardWriter",
    "TorchRecorder",
    "attach",
    "config_facts",
    "write_config",
]

# Torch-backed names, imported on first use so this package stays importable without torch.
_LAZY = {
    "TorchRecorder": "nn_doctor.record.torch",
    "config_facts": "nn_doctor.record.torch",
    "attach": "nn_doctor.record.recording",
    "Recording": "nn_doctor.record.recording",
}


def __getattr__(name: str) -> Any:
    """Import the torch recorder lazily, so this package stays importable without torch."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'nn_doctor.record' has no attribute {name!r}")
