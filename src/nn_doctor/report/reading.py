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


# A training loss that moved less than this share of its level between its first points and its
# last tenth stayed where it started: "flat" over the later half cannot tell that from converged.
STUCK_MOVE = 0.05
STUCK_PREFIX = "barely moved"


def moved(values: np.ndarray) -> float | None:
    """Relative change of a loss from its first points (median of up to 10) to its last tenth.

    Positive when it fell. None for a curve too short to tell or one that went non-finite.
    """
    if len(values) < 5 or not np.isfinite(values).all():
        return None
    start = float(np.median(values[: min(10, max(1, len(values) // 10))]))
    end = float(np.median(values[-max(1, len(values) // 10) :]))
    ref = max(abs(start), abs(end), 1e-12)
    return (start - end) / ref


def barely_moved(reading_: dict[str, Any]) -> bool:
    """Whether a reading says the training loss stayed where it started."""
    return str(reading_.get("text", "")).startswith(STUCK_PREFIX)


def no_cause_message(reading_: dict[str, Any]) -> str:
    """What to say when no rule fires: a loss that never moved is no healthy log."""
    if barely_moved(reading_):
        return (
            "No single cause stands out, but the loss barely moved over the run: unless it "
            "started converged (a resume, a fine-tune), the run did not learn."
        )
    return "No cause stands out: the log looks healthy for what it shows."


def reading(frame: RunFrame) -> dict[str, Any]:
    """The train/validation reading of one run."""
    train_values = (
        frame.series("train_loss").to_numpy(dtype=float) if frame.has("train_loss") else None
    )
    train = trend(train_values) if train_values is not None else None
    val = trend(frame.series("val_loss").to_numpy(dtype=float)) if frame.has("val_loss") else None
    if train and val:
        text = _TEXT.get((train, val), f"train {train}, validation {val}")
    elif train:
        text = _SINGLE[train]
    elif val:
        text = f"validation {val} (no training loss logged)"
    else:
        text = "no loss logged"
    change = moved(train_values) if train_values is not None and train != "rising" else None
    if change is not None and abs(change) < STUCK_MOVE:
        text = (
            f"{STUCK_PREFIX}: the training loss changed {change:.1%} between its first points and "
            "its end (stuck from the start, or started converged)"
        )
    return {"train": train, "val": val, "text": text}
