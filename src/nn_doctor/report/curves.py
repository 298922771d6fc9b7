"""Which curves a report draws, and their data as numpy arrays (shared by text, rich and HTML).

A report shows the curves that decide most diagnoses (training loss, validation loss, global
gradient norm, learning rate) for the run, and for each finding the curves its evidence was
measured on (``evidence[].signal``). An evidence signal is one name (``train_loss``), a pair
(``"train_loss, val_acc"``) or a per-layer family (``grad_norm/*``); a family is drawn as a few
of its layers, first to last in model order, because forty layer curves in one chart help no one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from nn_doctor.frame import RunFrame

#: The run-level curves, in the order they are drawn.
KEY_SIGNALS = ("train_loss", "val_loss", "grad_norm", "lr")
_LABEL = {
    "train_loss": "training loss",
    "val_loss": "validation loss",
    "grad_norm": "gradient norm",
    "lr": "learning rate",
}


def label(signal: str) -> str:
    """A reader-facing name for a canonical signal (the signal itself when unknown)."""
    return _LABEL.get(signal, signal)


def arrays(frame: RunFrame, signal: str) -> tuple[np.ndarray, np.ndarray]:
    """Steps and values of one signal as float arrays (NaN/inf kept: they are logged values)."""
    s = frame.series(signal)
    return s.index.to_numpy(dtype=float), s.to_numpy(dtype=float)


def key_signals(frame: RunFrame | None) -> list[str]:
    """The run-level curves this run has."""
    if frame is None:
        return []
    return [s for s in KEY_SIGNALS if frame.has(s)]


def _spread(names: list[str], limit: int) -> list[str]:
    """``limit`` names evenly spread from first to last (first and last layers always kept)."""
    if len(names) <= limit:
        return names
    idx = sorted({round(i * (len(names) - 1) / (limit - 1)) for i in range(limit)})
    return [names[i] for i in idx]


def resolve(frame: RunFrame | None, signal: str | None, *, layers: int = 4) -> list[str]:
    """The logged signals an evidence ``signal`` field refers to (empty for config evidence)."""
    if frame is None or not signal:
        return []
    out: list[str] = []
    for part in (p.strip() for p in str(signal).split(",")):
        if part.endswith("/*"):
            out.extend(_spread(frame.layers(part[:-2]), layers))
        elif part and frame.has(part):
            out.append(part)
    return out


def finding_signals(
    frame: RunFrame | None, finding: dict[str, Any], *, layers: int = 4, limit: int = 8
) -> list[str]:
    """The curves behind one finding: its evidence and counter-evidence signals, in order."""
    seen: dict[str, None] = {}
    items: Iterable[dict[str, Any]] = [*finding["evidence"], *finding["counter_evidence"]]
    for e in items:
        for name in resolve(frame, e.get("signal"), layers=layers):
            seen.setdefault(name, None)
    return list(seen)[:limit]


def x_range(frame: RunFrame | None, signals: Iterable[str]) -> tuple[float, float] | None:
    """The step range shared by several curves, so their charts line up column for column."""
    if frame is None:
        return None
    lo: float | None = None
    hi: float | None = None
    for name in signals:
        if not frame.has(name):
            continue
        idx = frame.series(name).index
        if not len(idx):
            continue
        a, b = float(idx.min()), float(idx.max())
        lo = a if lo is None else min(lo, a)
        hi = b if hi is None else max(hi, b)
    if lo is None or hi is None:
        return None
    return lo, hi


def frames_for(runs: list[dict[str, Any]], diagnoses: Iterable[Any]) -> list[RunFrame | None]:
    """One frame (or None) per run entry: the diagnoses come first, unreadable paths after."""
    frames: list[RunFrame | None] = [getattr(d, "frame", None) for d in diagnoses]
    return (frames + [None] * len(runs))[: len(runs)]
