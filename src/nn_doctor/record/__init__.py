"""Record the signals nn-doctor reads, from inside a training loop (the recorder core).

The diagnoses that need more than a loss curve (dead ReLUs, vanishing gradients, a too-low
learning rate judged by the update/weight ratio, unnormalized inputs) need per-layer statistics
that few training scripts log. This subpackage computes them under the canonical names of
DECISIONS.md §3 so that any log written from its rows is read without an alias table.

Framework code lives in framework modules (:mod:`nn_doctor.record.torch`), imported only when
asked for: ``import nn_doctor`` and ``import nn_doctor.record`` never import torch, because torch
is an optional extra (``pip install 'nn-doctor[torch]'``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nn_doctor.record.torch import TorchRecorder, config_facts

__all__ = ["TorchRecorder", "config_facts"]


def __getattr__(name: str) -> Any:
    """Import the torch recorder lazily, so this package stays importable without torch."""
    if name in __all__:
        from nn_doctor.record import torch as _torch_recorder

        return getattr(_torch_recorder, name)
    raise AttributeError(f"module 'nn_doctor.record' has no attribute {name!r}")
