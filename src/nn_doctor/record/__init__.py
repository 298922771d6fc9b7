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

#: Record every this many steps unless told otherwise (``attach`` and the three callbacks).
#:
#: Why 50: recording a step costs a fixed extra (hooks, passes over the weights for the update
#: ratios, a few over the hooked activations, one host sync, and a slower step right after it),
#: and steps that are not recorded cost nothing, so the overhead falls as 1/``every``. On the
#: benchmark's small models, where that extra is largest next to a step (a small CNN and a
#: 784-256-256-10 MLP: recording one step costs 0.7-0.9x a plain step;
#: ``benchmarks/record_overhead.py`` on a shared 2-core machine), that predicts 2.8-3.6 % at
#: ``every=25`` and 1.4-1.8 % at ``every=50``; blocks of steps measured against plain ones, with
#: ±3-5 % of noise there, gave 4-6 % at 25 and 1-4 % at 50 (target: < 5 %). 50 is
#: also Lightning's ``log_every_n_steps`` default (HF's ``logging_steps`` is 500, W&B's
#: ``watch(log_freq=...)`` 1000, which only feed dashboards); the rules still get 20 rows per
#: 1 000 steps. For runs of a few hundred steps pass ``every=5`` or ``10``: the cost is paid
#: over few steps.
DEFAULT_EVERY = 50

if TYPE_CHECKING:
    from nn_doctor.record.recording import Recording, attach
    from nn_doctor.record.torch import TorchRecorder, config_facts

__all__ = [
    "DEFAULT_EVERY",
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
