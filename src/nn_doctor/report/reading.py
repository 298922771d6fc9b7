"""The train-versus-validation reading from CATALOG.md, printed with every diagnosis.

| train   | validation      | reading |
| falling | falling         | still learning |
| falling | flat or rising  | overfitting |
| flat    | falling         | data set problem |
| flat    | flat            | converged, or stuck: lower the lr or the batch size |
| rising  | rising          | divergence |

Each curve is read over the later half of its finite part (the question is where the run is
heading), and a curve that turns NaN/inf reads as rising.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from nn_doctor.frame import RunFrame

# A change of under 3 % of the curve's level over its later half is "flat". This is a reading,
# not a cause: the rules carry their own thresholds in YAML.
FLAT_TOLERANCE = 0.03

_TEXT = {
    ("falling", "falling"): "still learning",
    ("falling", "flat"): "overfitting: validation stopped improving while training loss falls",
    ("falling", "rising"): "overfitting: validation loss rises while training loss falls",
    ("flat", "falling"): "data set problem: training loss flat while validation improves",
    ("flat", "flat"): "converged, or stuck: if the level is poor, lower the lr or the batch size",
    ("rising", "rising"): "divergence: architecture, hyper-parameters or data need fixing",
    ("rising", "flat"): "training loss rising: unstable optimization",
    (
        "rising",
        "falling",
    ): "training loss rising while validation falls: unusual, check the logging",
    (
        "flat",
        "rising",
    ): "validation rising with a flat training loss: overfitting or a data problem",
}
_SINGLE = {
    "falling": "still learning (no validation loss logged)",
    "flat": "converged, or stuck (no validation loss logged)",
    "rising": "divergence (no validation loss logged)",
}


def trend(values: np.ndarray) -> str:
    """falling / flat / rising over the later half of a curve; non-finite reads as rising."""
    finite = np.isfinite(values)
    if len(values) and not finite.all():
        return "rising"
    if len(values) < 3:
        return "flat"
    half = values[len(values) // 2 :]
    k = max(1, len(half) // 4)
    start, end = float(np.median(half[:k])), float(np.median(half[-k:]))
    ref = max(abs(start), abs(end), float(np.ptp(values)) * 0.1, 1e-12)
    change = (end - start) / ref
    # Mini-batch noise: a difference of two medians of k noisy points is only real when it
    # clears about two standard errors of that noise, as well as the flat tolerance.
    noise = 1.4826 * float(np.median(np.abs(np.diff(half)))) / np.sqrt(2) if len(half) > 2 else 0.0
    tolerance = max(FLAT_TOLERANCE, 2 * 1.25 * noise * np.sqrt(2 / k) / ref)
    if change <= -tolerance:
        return "falling"
    if change >= tolerance:
        return "rising"
    return "flat"


def reading(frame: RunFrame) -> dict[str, Any]:
    """The train/validation reading of one run."""
    train = (
        trend(frame.series("train_loss").to_numpy(dtype=float)) if frame.has("train_loss") else None
    )
    val = trend(frame.series("val_loss").to_numpy(dtype=float)) if frame.has("val_loss") else None
    if train and val:
        text = _TEXT.get((train, val), f"train {train}, validation {val}")
    elif train:
        text = _SINGLE[train]
    elif val:
        text = f"validation {val} (no training loss logged)"
    else:
        text = "no loss logged"
    return {"train": train, "val": val, "text": text}
