"""Checks over two series read together: train vs validation loss, a metric vs the loss."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from nn_doctor.checks import Inputs, Outcome, check
from nn_doctor.checks._util import (
    EPS,
    finite_prefix,
    finite_values,
    head_level,
    improvement,
    memoized,
    scale,
    smooth,
    smooth_sym,
    tail_level,
    window_len,
)

if TYPE_CHECKING:
    import pandas as pd

_NUM = (int, float)


def _aligned(
    x: Inputs, *, min_train: int = 2, min_val: int = 2, symmetric: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Train values interpolated at the validation steps (validation is the sparser series)."""
    assert x.series is not None and x.other is not None
    return _aligned_series(x.series, x.other, min_train, min_val, symmetric)


@memoized
def _aligned_series(
    series: pd.Series, other: pd.Series, min_train: int, min_val: int, symmetric: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    ts, tv = finite_prefix(series)
    vs, vv = finite_prefix(other)
    if len(ts) < min_train or len(vs) < min_val:
        return None
    # smooth mini-batch noise in train before reading it at the validation steps; the window
    # shrinks symmetrically at the edges so a fast early drop is not read too low
    tv = smooth_sym(tv, 0.05) if symmetric else smooth(tv, 0.05)
    inside = (vs >= ts[0]) & (vs <= ts[-1])
    if inside.sum() < min_val:
        return None
    vs, vv = vs[inside], vv[inside]
    return vs, np.interp(vs, ts, tv), vv


@check(
    "val_turns_up",
    kind="pair",
    measures=("rise", "train_drop", "val_min", "gap_start", "gap_end"),
    defaults={"min_rise": 0.1, "min_train_drop": 0.0, "min_points_after": 2, "min_snr": 0.0},
    min_rise=_NUM,
    min_train_drop=_NUM,
    min_points_after=int,
    min_snr=_NUM,
)
def val_turns_up(
    x: Inputs, *, min_rise: float, min_train_drop: float, min_points_after: int, min_snr: float
) -> Outcome | None:
    """Validation loss bottoms out and rises by ``min_rise`` (relative) while train keeps falling.

    ``min_snr`` also asks the rise to stand ``min_snr`` times above the evaluations' own scatter
    around their smoothed curve after the minimum (1.4826 x MAD): a small validation set's loss
    jumps from one evaluation to the next, and a rise within that scatter is noise, not a turn.
    """
    al = _aligned(x)
    if al is None or len(al[0]) < 4:
        return None
    steps, train, val = al
    sv = smooth(val, 0.1)
    m = int(np.argmin(sv))
    after = len(sv) - 1 - m
    rise_abs = tail_level(val, 0.2) - sv[m]
    # the scatter where the rise is measured: after the minimum (the early descent is smoother)
    resid = (val - sv)[m:] if after >= 3 else val - sv
    noise = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
    clear = rise_abs >= min_snr * noise
    rise = rise_abs / scale(sv[m], tail_level(val, 0.2))
    train_drop = (train[m] - train[-1]) / scale(train[m], train[-1])
    gap_start = (val[m] - train[m]) / scale(train[m])
    gap_end = (val[-1] - train[-1]) / scale(train[-1])
    return Outcome(
        after >= min_points_after and rise >= min_rise and train_drop >= min_train_drop and clear,
        step=int(steps[m]),
        value=rise,
        measures={
            "rise": rise,
            "train_drop": train_drop,
            "val_min": float(sv[m]),
            "gap_start": gap_start,
            "gap_end": gap_end,
        },
    )


@check(
    "gap",
    kind="pair",
    measures=("gap", "train", "val"),
    defaults={
        "window": "late",
        "frac": 0.2,
        "min": -math.inf,
        "max": math.inf,
        "max_train_progress": math.inf,
        "min_train_progress": -math.inf,
        "relative": True,
    },
    window=str,
    frac=_NUM,
    min=_NUM,
    max=_NUM,
    max_train_progress=_NUM,
    min_train_progress=_NUM,
    relative=bool,
)
def gap(
    x: Inputs,
    *,
    window: str,
    frac: float,
    min: float,
    max: float,
    max_train_progress: float,
    min_train_progress: float,
    relative: bool,
) -> Outcome | None:
    """Relative validation-minus-train gap, (val - train) / |train|, over an early, middle or late window.

    ``relative: false`` reads the plain difference instead: for accuracies, whose gaps are
    read in points (0.82 vs 0.72 is ten points, whatever the level).

    ``max_train_progress`` (default: no limit) keeps only evaluations made before the training
    series had covered that share of its total change (a loss's drop, an accuracy's rise): "from the very start" means before training
    converged, which the first evaluation of a fine-tuning run (made after most of the drop)
    cannot show. ``min_train_progress`` keeps only evaluations made after training had covered
    that share: with ``window: early``, the gap at the first evaluation past that point (a gap
    compared at the same stage of training, whatever the cadence or the first epoch's lag).
    Unknown when no evaluation qualifies.
    """
    al = _aligned(x)
    if al is None:
        return None
    steps, train, val = al
    if math.isfinite(max_train_progress) or math.isfinite(min_train_progress):
        assert x.series is not None
        _, tv = finite_prefix(x.series)
        sm = smooth_sym(tv, 0.05)
        # a loss falls toward its minimum, an accuracy rises toward its maximum
        start = float(sm[0])
        best = float(np.min(sm)) if start >= float(sm[-1]) else float(np.max(sm))
        span = start - best
        if abs(span) <= EPS * scale(start):
            span = EPS * scale(start)
        progress = (start - train) / span
        keep = (progress <= max_train_progress) & (progress >= min_train_progress)
        if not keep.any():
            return None
        steps, train, val = steps[keep], train[keep], val[keep]
    n = len(steps)
    w = window_len(n, frac, 1)
    if window == "middle":
        # between the first and the last ``frac``: past the first epochs (where a per-epoch
        # training mean lags the end-of-epoch evaluation) and before the end (where a model
        # memorizing its training set reverses whatever gap there was).
        if n - 2 * w < 2:
            return None
        sel = slice(w, n - w)
    else:
        sel = slice(0, w) if window == "early" else slice(n - w, None)
    t, v = float(np.median(train[sel])), float(np.median(val[sel]))
    g = (v - t) / scale(t) if relative else v - t
    return Outcome(
        min <= g <= max, step=int(steps[sel][0]), value=g, measures={"gap": g, "train": t, "val": v}
    )


@check(
    "train_flat_val_falls",
    kind="pair",
    measures=("train_improvement", "val_improvement", "total_improvement"),
    defaults={
        "max_train_improvement": 0.05,
        "min_val_improvement": 0.1,
        "max_total_improvement": math.inf,
    },
    max_train_improvement=_NUM,
    min_val_improvement=_NUM,
    max_total_improvement=_NUM,
)
def train_flat_val_falls(
    x: Inputs,
    *,
    max_train_improvement: float,
    min_val_improvement: float,
    max_total_improvement: float,
) -> Outcome | None:
    """Train loss flat while validation loss falls: the CATALOG's 'data set problem' reading.

    Validation's fall is counted from no higher than training's level at the first evaluation:
    a validation loss that starts above it (a model knocked off by its first updates) and comes
    back down has recovered, not learned what the training labels hide.

    ``max_total_improvement`` bounds the training loss's drop over its whole log (its own first
    tenth to its last), not only from the first evaluation on: a loss that fell most of the way
    before the first evaluation (a fine-tune converges within its first epoch) and then only
    wanders by mini-batch noise has not "stayed high".
    """
    al = _aligned(x)
    if al is None or len(al[0]) < 3:
        return None
    steps, train, val = al
    ti = (head_level(train) - tail_level(train)) / scale(head_level(train), tail_level(train))
    v0 = min(head_level(val), head_level(train))
    vi = (v0 - tail_level(val)) / scale(v0, tail_level(val))
    assert x.series is not None
    total = improvement(finite_prefix(x.series)[1])
    return Outcome(
        ti <= max_train_improvement
        and vi >= min_val_improvement
        and total <= max_total_improvement,
        step=int(steps[0]),
        value=ti,
        measures={"train_improvement": ti, "val_improvement": vi, "total_improvement": total},
    )


@check(
    "metric_improves_after",
    kind="pair",
    measures=("gain", "metric"),
    defaults={"min_gain": 0.01},
    min_gain=_NUM,
)
def metric_improves_after(x: Inputs, *, min_gain: float) -> Outcome | None:
    """A validation task metric keeps improving after the validation loss's minimum (not overfitting).

    ``series`` is the validation loss; ``other`` the metric, whose direction the engine resolved
    (it hands over the metric negated when lower is better, so higher is always better here).
    """
    assert x.series is not None and x.other is not None
    ls, lv = finite_prefix(x.series)
    ms, mv = finite_prefix(x.other)
    if len(lv) < 3 or len(mv) < 3:
        return None
    m_step = ls[int(np.argmin(smooth(lv, 0.1)))]
    # the metric smoothed like the loss: the best of many noisy evaluations after the minimum
    # beats the best of those before by the scatter alone (a flat, noisy validation MAE
    # "improved" 2 % that way)
    sm = smooth(mv, 0.1)
    before = sm[ms <= m_step]
    after = sm[ms > m_step]
    if len(before) == 0 or len(after) == 0:
        return None
    best_before, best_after = float(np.max(before)), float(np.max(after))
    gain = (best_after - best_before) / max(abs(best_before), EPS)
    return Outcome(
        gain >= min_gain,
        step=int(m_step),
        value=gain,
        measures={"gain": gain, "metric": str(x.other.name)},
    )


@check(
    "pred_bound",
    kind="pair",
    measures=("pred", "target", "excess", "bound"),
    defaults={
        "side": "low",
        "bounds": [0.0, 1.0, -1.0],
        "tol": 0.02,
        "min_excess": 0.1,
        "frac": 0.3,
    },
    side=str,
    bounds=list,
    tol=_NUM,
    min_excess=_NUM,
    frac=_NUM,
)
def pred_bound(
    x: Inputs, *, side: str, bounds: list[float], tol: float, min_excess: float, frac: float
) -> Outcome | None:
    """Predictions pinned at an activation bound (0, ±1) while the targets lie beyond it.

    ``series`` is ``pred_min`` (side ``low``) or ``pred_max`` (side ``high``), ``other`` the
    matching target extreme. Both are read as medians over the last ``frac`` of their points.
    ``excess`` is how far the targets go past the predictions, relative to the larger of the
    two magnitudes. A ReLU output never goes below 0, a sigmoid never leaves (0, 1), a tanh
    never leaves (-1, 1): targets out there cannot be fitted.
    """
    assert x.series is not None and x.other is not None
    if side not in ("low", "high"):
        raise ValueError(f"side must be low or high, not {side!r}")
    _, pv = finite_values(x.series)
    _, tv = finite_values(x.other)
    if len(pv) < 2 or len(tv) < 1:
        return None
    window = pv[-window_len(len(pv), frac, 1) :]
    pred = float(np.median(window))
    target = float(np.median(tv[-window_len(len(tv), frac, 1) :]))
    beyond = target - pred if side == "high" else pred - target
    excess = beyond / scale(pred, target)
    # pinned: near the bound and never past it; an activation cannot cross its own bound, while
    # an unbounded output's batch extremes scatter around wherever they sit (a linear output's
    # batch minima of -0.98 in the median went below -1 on other batches)
    worst = float(np.max(window)) if side == "high" else float(np.min(window))
    at = [
        float(b)
        for b in bounds
        if abs(pred - float(b)) <= tol
        and (worst <= b + tol if side == "high" else worst >= b - tol)
    ]
    steps = x.series.index
    return Outcome(
        bool(at) and excess >= min_excess,
        step=int(steps[-window_len(len(steps), frac, 1)]),
        value=excess,
        measures={
            "pred": pred,
            "target": target,
            "excess": excess,
            "bound": at[0] if at else float("nan"),
        },
    )


@check(
    "ratio_above",
    kind="pair",
    measures=("frac", "median_ratio"),
    defaults={"min_ratio": 1.01, "min_frac": 0.5},
    min_ratio=_NUM,
    min_frac=_NUM,
)
def ratio_above(x: Inputs, *, min_ratio: float, min_frac: float) -> Outcome | None:
    """Share of common steps where ``series / other`` is at least ``min_ratio`` (clipping active)."""
    assert x.series is not None and x.other is not None
    a = x.series[np.isfinite(x.series.to_numpy(dtype=float))]
    b = x.other[np.isfinite(x.other.to_numpy(dtype=float))]
    common = a.index.intersection(b.index)
    if len(common) < 3:
        return None
    av = a.loc[common].to_numpy(dtype=float)
    bv = b.loc[common].to_numpy(dtype=float)
    ratio = np.abs(av) / np.maximum(np.abs(bv), EPS)
    hit = ratio >= min_ratio
    share = float(hit.mean())
    first = int(common[int(np.argmax(hit))]) if hit.any() else None
    return Outcome(
        share >= min_frac,
        step=first,
        value=share,
        measures={"frac": share, "median_ratio": float(np.median(ratio))},
    )
