"""Observations that are not causes (DECISIONS.md §6): they go to ``notes``, never to findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nn_doctor.engine.evaluate import val_metrics
from nn_doctor.signals import higher_is_better

if TYPE_CHECKING:
    from nn_doctor.frame import RunFrame


def _lr_schedule(frame: RunFrame) -> list[str]:
    if not frame.has("lr"):
        return []
    s = frame.series("lr")
    v = s.to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    if len(v) < 3 or v.max() <= 0:
        return []
    notes = []
    peak = int(np.argmax(v))
    if peak > 0 and v[0] < 0.5 * v[peak]:
        notes.append(
            f"learning-rate warm-up detected: {v[0]:.3g} → {v[peak]:.3g} by step {int(s.index[peak])}"
        )
    if v[-1] < 0.5 * v.max():
        kind = "step decay" if len(np.unique(np.round(v, 12))) <= 6 else "decay"
        notes.append(f"learning-rate {kind} detected: {v.max():.3g} → {v[-1]:.3g}")
    return notes


def _val_loss_vs_metric(frame: RunFrame) -> list[str]:
    if not frame.has("val_loss"):
        return []
    vl = frame.series("val_loss").to_numpy(dtype=float)
    vl = vl[np.isfinite(vl)]
    if len(vl) < 3 or vl[-1] <= vl.min() * 1.02:
        return []
    out = []
    for name in val_metrics(frame):
        m = frame.series(name).to_numpy(dtype=float)
        m = m[np.isfinite(m)]
        if len(m) < 3:
            continue
        best_at_end = m[-1] >= m.max() * 0.99 if higher_is_better(name) else m[-1] <= m.min() * 1.01
        if best_at_end:
            out.append(
                f"validation loss rose from its minimum while {name} kept improving: "
                "not read as overfitting (a confident model can raise the loss while the task metric improves)"
            )
            break
    return out


def _placeholder_zeros(frame: RunFrame) -> list[str]:
    out = []
    for name in frame.signals:
        if not name.startswith(("val", "metrics/")):
            continue
        v = frame.series(name).to_numpy(dtype=float)
        if len(v) >= 4 and np.mean(v == 0.0) >= 0.75 and np.any(v[-1:] != 0.0):
            out.append(
                f"{name} is exactly 0 on most points and non-zero at the end: read as a placeholder (validation off)"
            )
    return out


def run_notes(frame: RunFrame, fired: frozenset[str] = frozenset()) -> list[str]:
    """Every observation worth printing about this run that is not a cause.

    ``fired`` are the causes reported: a note must not contradict them (a metric that ends near
    its best, while the overfitting rule saw it stall after the loss minimum, says nothing).
    """
    metric = [] if "overfitting" in fired else _val_loss_vs_metric(frame)
    return _lr_schedule(frame) + metric + _placeholder_zeros(frame)
