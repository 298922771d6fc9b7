"""Checks for the data and regularization rules: how far a curve ever improved, and whether a
validation task metric is still improving at the end of the run (not merely once after the
validation-loss minimum)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from nn_doctor.checks import Inputs, Outcome, check
from nn_doctor.checks._util import (
    EPS,
    finite_prefix,
    first_evaluations,
    head_level,
    scale,
    window_len,
)
from nn_doctor.checks._util import smooth as _smooth

if TYPE_CHECKING:
    from nn_doctor.frame import RunFrame

_NUM = (int, float)


@check(
    "best_improvement",
    kind="series",
    measures=("improvement", "best"),
    defaults={"frac": 0.1, "smooth": 0.1, "min": -math.inf, "max": math.inf},
    frac=_NUM,
    smooth=_NUM,
    min=_NUM,
    max=_NUM,
)
def best_improvement(
    x: Inputs, *, frac: float, smooth: float, min: float, max: float
) -> Outcome | None:
    """Relative drop from the start level to the best (smoothed minimum) level, in [min, max].

    Unlike ``improvement`` (start vs end), this asks whether the curve *ever* got better: a
    validation loss that improved before it turned up has, one that never left its first value
    has not. 1 = fell to 0, 0 = never went below its start.
    """
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    if len(v) < 3:
        return None
    sm = _smooth(v, smooth) if smooth > 0 else v
    i = int(np.argmin(sm))
    start, best = first_evaluations(v, frac), float(sm[i])
    imp = (start - best) / scale(start, best)
    return Outcome(
        min <= imp <= max,
        step=int(steps[i]),
        value=imp,
        measures={"improvement": imp, "best": best},
    )


@check(
    "metric_improving_at_end",
    kind="pair",
    measures=("gain", "late_gain", "metric", "onset"),
    defaults={"min_gain": 0.01, "min_late_gain": 0.002, "tail": 0.2},
    min_gain=_NUM,
    min_late_gain=_NUM,
    tail=_NUM,
)
def metric_improving_at_end(
    x: Inputs, *, min_gain: float, min_late_gain: float, tail: float
) -> Outcome | None:
    """A validation task metric improved after the val-loss minimum and is still rising at the end.

    ``series`` is the validation loss, ``other`` the metric oriented so that higher is better.
    ``gain``: the metric's best after the val-loss minimum relative to its best up to it.
    ``late_gain``: the metric's level over the last ``tail`` of its points relative to the
    window just before it — positive while the metric still improves, about 0 once it has plateaued (a
    memorizing model's accuracy), negative once it declines. Both must hold: a metric that
    improved once after the minimum and then stalled is not "still improving".
    """
    assert x.series is not None and x.other is not None
    ls, lv = finite_prefix(x.series)
    ms, mv = finite_prefix(x.other)
    if len(lv) < 3 or len(mv) < 4:
        return None
    m_step = ls[int(np.argmin(_smooth(lv, 0.1)))]
    before = mv[ms <= m_step]
    if len(before) == 0 or (ms > m_step).sum() < 2:
        return None
    # at least two evaluations a window: with five evaluations a fifth is one noisy point (a
    # WER of 32.01 then 32.10 is a plateau, not a decline)
    w = window_len(len(mv), tail, 2)
    end = float(np.median(mv[-w:]))
    prev_part = mv[-2 * w : -w] if len(mv) >= 2 * w else mv[:-w]
    if len(prev_part) == 0:
        return None
    prev = float(np.median(prev_part))
    best_before = float(np.max(before))
    best_after = float(np.max(mv[ms > m_step]))
    gain = (best_after - best_before) / max(abs(best_before), EPS)
    late_gain = (end - prev) / max(abs(prev), EPS)
    return Outcome(
        gain >= min_gain and late_gain >= min_late_gain,
        step=int(m_step),
        value=gain,
        measures={
            "gain": gain,
            "late_gain": late_gain,
            "metric": str(x.other.name),
            "onset": int(m_step),
        },
    )


@check(
    "epoch_periodicity",
    kind="series",
    measures=("acf", "period", "lag"),
    defaults={
        "min_acf": 0.3,
        "min_periods": 3,
        "min_points_per_period": 4,
        "tolerance": 0.1,
        "multiple_min_acf": 0.5,
    },
    min_acf=_NUM,
    min_periods=int,
    min_points_per_period=int,
    tolerance=_NUM,
    multiple_min_acf=_NUM,
)
def epoch_periodicity(
    x: Inputs,
    *,
    min_acf: float,
    min_periods: int,
    min_points_per_period: int,
    tolerance: float,
    multiple_min_acf: float,
) -> Outcome | None:
    """Autocorrelation of the detrended curve at a lag of about one epoch, best lag within ±tolerance.

    The epoch length is estimated (from a sparse or integer epoch counter, from the step count),
    so it can be off by a few steps; at the exact estimated lag a fixed data order then drifts
    out of phase and its repeating pattern is missed. The best autocorrelation over the lags
    within ``tolerance`` (relative) of the estimate is taken instead.

    A positive curve (a loss) is read on a log scale: the swings of a fixed data order are
    multiplicative (the loss of a batch from a class the model just forgot is several times the
    others), so on the raw scale a few spikes dominate the correlation, and a healthy run's
    noise grows and shrinks with the loss level. On the zoo this found 15 of 17 step-logged
    unshuffled runs against 13 raw, and no healthy run against 2.

    Where an epoch counter says which epoch each point belongs to, the pattern must also survive
    a second detrending, by each epoch's own median, and the smaller of the two correlations
    counts. A multi-epoch fine-tune whose loss drops a step at every epoch boundary (the model
    meets the same examples again: a real Whisper recipe log) repeats with the epoch under the
    running median but is flat within each epoch; a steep decline early in training is the
    reverse. A fixed data order swings within every epoch and survives both.
    """
    assert x.series is not None
    spe = x.frame.steps_per_epoch
    steps, v = finite_prefix(x.series)
    if spe is None or len(v) < 8 or x.frame.axis == "epoch":
        return None
    if float(v.min()) > 0:
        v = np.log(v)
    cadence = float(np.median(np.diff(steps))) if len(steps) > 1 else 1.0
    lag0 = spe / max(cadence, EPS)

    # an epoch of 9.5 logged points repeats in the log only every two epochs (19 points): the
    # logging steps fall at other places in the epoch in between, so the nearest whole multiple
    # of the epoch is tried too, held to the bar of a search that knows no epoch
    # (periodic_loss's 0.5): a real healthy Whisper log (16.4 points an epoch) reads 0.32 at two
    # epochs, the zoo's fixed orders 0.69-0.95
    def window(base: float) -> list[int]:
        lo = int(np.floor(base * (1 - tolerance))) if tolerance > 0 else round(base)
        hi = int(np.ceil(base * (1 + tolerance))) if tolerance > 0 else round(base)
        return [
            lag
            for lag in range(lo, hi + 1)
            if lag >= min_points_per_period and len(v) >= lag * min_periods
        ]

    candidates = [(lag, min_acf) for lag in window(lag0)]
    if abs(lag0 - round(lag0)) > 0.2:
        candidates += [(lag, max(min_acf, multiple_min_acf)) for lag in window(2 * lag0)]
    if not candidates:
        return None
    within_epoch = _within_epoch_residual(x.frame, steps, v, min_periods)
    best, best_lag, best_bar = -math.inf, candidates[0][0], min_acf
    for lag, bar in candidates:
        residual = _swing_residual(v, lag)
        if residual is None:
            continue
        acf = _lag_correlation(residual, lag)
        if within_epoch is not None:
            acf = min(acf, _lag_correlation(within_epoch, lag))
        acf = _over_alternation(residual, lag, acf)
        # the best margin over its own bar wins (a doubled epoch must clear the stricter one)
        if not math.isfinite(best) or acf - bar > best - best_bar:
            best, best_lag, best_bar = acf, lag, bar
    if not math.isfinite(best):
        return Outcome(False, measures={"acf": 0.0, "period": spe, "lag": best_lag})
    return Outcome(
        best >= best_bar,
        step=int(steps[best_lag]),
        value=best,
        measures={"acf": best, "period": best_lag * cadence, "lag": best_lag},
    )


@check(
    "periodic_loss",
    kind="series",
    measures=("acf", "period", "lag"),
    defaults={"min_acf": 0.5, "min_periods": 3, "min_points_per_period": 4, "max_points": 2000},
    min_acf=_NUM,
    min_periods=int,
    min_points_per_period=int,
    max_points=int,
)
def periodic_loss(
    x: Inputs, *, min_acf: float, min_periods: int, min_points_per_period: int, max_points: int
) -> Outcome | None:
    """A detrended loss that repeats with some period, found without knowing the epoch length.

    For logs that give no epoch counter and no data-set size (so :func:`epoch_periodicity`
    cannot place an epoch): every lag of ``min_points_per_period`` points or more that fits
    ``min_periods`` times is tried (geometrically spaced past 20 points, then refined around the
    best), on the log-scale curve minus its rolling median over the lag. The score of a lag is
    the smaller of the autocorrelations at it and at twice it: a pattern that truly repeats
    recurs at both, while a single bump or a drift correlates at one lag only. On the zoo a
    fixed data order scores 0.35-0.96 (median 0.8) and no healthy run more than 0.29, hence the
    stricter bar than the epoch-anchored check's 0.3. Read on the first ``max_points`` points:
    a pattern that repeats shows there as well, and the search stays fast on long logs.
    Unknown on a per-epoch log, under 24 points, or where the epoch length is known: a search
    over every lag finds some period in more logs than the one that matters (a real Whisper
    fine-tune's loss, logged every 25 steps, scored 0.53 at 100 steps, and 0.25 at its epoch).
    """
    assert x.series is not None
    if x.frame.steps_per_epoch is not None:
        return None  # the epoch is known: epoch_periodicity reads it, anchored where it must be
    steps, v = finite_prefix(x.series)
    v, steps = v[:max_points], steps[:max_points]
    if len(v) < 24 or x.frame.axis == "epoch":
        return None
    if float(v.min()) > 0:
        v = np.log(v)
    top = len(v) // (min_periods + 1)  # the lag and twice it must both leave room

    def score(lag: int) -> float:
        residual = _swing_residual(v, lag)
        if residual is None:
            return -math.inf
        return min(_lag_correlation(residual, lag), _lag_correlation(residual, 2 * lag))

    # every lag up to 20 points, then 10 % apart; then every lag within 5 % of the best
    coarse = sorted({*range(min_points_per_period, min(20, top) + 1),
                     *(round(20 * 1.1**k) for k in range(100) if 20 * 1.1**k <= top)})  # fmt: skip
    if not coarse:
        return None
    scored = {lag: score(lag) for lag in coarse}
    near = max(scored, key=lambda k: scored[k])
    lo, hi = max(min_points_per_period, round(near * 0.95)), min(top, round(near * 1.05))
    for lag in range(lo, hi + 1):
        if lag not in scored:
            scored[lag] = score(lag)
    best_lag = max(scored, key=lambda k: scored[k])
    best = scored[best_lag]
    if not math.isfinite(best):
        return Outcome(False, measures={"acf": 0.0, "period": 0.0, "lag": 0})
    cadence = float(np.median(np.diff(steps)))
    return Outcome(
        best >= min_acf,
        step=int(steps[best_lag]),
        value=best,
        measures={"acf": best, "period": best_lag * cadence, "lag": best_lag},
    )


def _over_alternation(residual: np.ndarray, lag: int, acf: float) -> float:
    """``acf`` (the correlation at the epoch's even ``lag``) if it stands 0.1 above the
    correlation at 2 points, else what is left of it over that.

    A loss that flips up and down from one logged point to the next (a step size too large, an
    oscillation clipping cannot damp) correlates at every even lag, an epoch of 4 points
    included: the epoch's correlation then says nothing of its own (a zoo run: 0.44 at 2
    points, 0.43 at its epoch's 4). A fixed data order's own sub-patterns are not discounted:
    a sorted two-class set repeats every half epoch (0.84 at 3 points of a 6-point epoch).
    """
    if lag % 2 or lag < 4:
        return acf
    two = _lag_correlation(residual, 2)
    return acf if two <= acf - 0.1 else acf - two


def _swing_residual(v: np.ndarray, lag: int) -> np.ndarray | None:
    """``v`` minus its rolling median over ``lag`` points, or None when nothing swings there."""
    residual = v - (_smooth(v, 0.0, floor=lag) if lag > 1 else v)
    return residual if _has_swings(residual, v) else None


def _has_swings(residual: np.ndarray, v: np.ndarray) -> bool:
    """Whether a curve minus its rolling median still moves from point to point.

    A fixed data order shows as swings between consecutive batches; a curve without any (a
    noiseless decay, a loss averaged over each logging window) leaves a residual that either
    is zero but at a few scattered points (a monotone run under an odd median window) or
    drifts slowly (the median lagging the curve's bend). Both correlate at any lag by
    construction, the epoch's included, so they are not read: under half the points off the
    trend, or point-to-point changes under half the residual's spread (white noise gives 1.4,
    the zoo's unshuffled runs 0.8 and up, a smooth exponential decay 0.16).
    """
    if np.mean(np.abs(residual) > EPS * (1.0 + np.abs(v))) < 0.5:
        return False
    spread = float(np.std(residual))
    return spread > 0 and float(np.std(np.diff(residual))) >= 0.5 * spread


def _lag_correlation(r: np.ndarray, lag: int) -> float:
    """Autocorrelation of a residual at ``lag`` (-inf for a constant residual).

    The residual is first clipped to its 5th-95th percentiles (winsorized): a transient that
    happens once (the first epoch's plunge to 1e-4 on a log scale) would otherwise outweigh a
    pattern that repeats every epoch, while the repeating swings, a share of every epoch, stay.
    """
    lo, hi = np.percentile(r, [5.0, 95.0])
    r = np.clip(r, lo, hi)
    r = r - r.mean()
    denom = float(np.dot(r, r))
    if denom <= EPS:
        return -math.inf
    return float(np.dot(r[:-lag], r[lag:]) / denom)


def _within_epoch_residual(
    frame: RunFrame, steps: np.ndarray, v: np.ndarray, min_periods: int
) -> np.ndarray | None:
    """``v`` minus the median of its own epoch, or None without a usable epoch counter.

    Each point takes the epoch the counter last reported at or before its step (fractional
    counters, as Hugging Face logs them, are floored). Needs ``min_periods`` epochs of 2+ points.
    """
    if not frame.has("epoch"):
        return None
    ep = frame.series("epoch").dropna()
    ep = ep[np.isfinite(ep.to_numpy(float))]
    if len(ep) < 2:
        return None
    at = np.searchsorted(ep.index.to_numpy(), steps, side="right") - 1
    if at[0] < 0:
        return None
    epoch = np.floor(ep.to_numpy(float)[at] + 1e-6)
    labels, inverse, counts = np.unique(epoch, return_inverse=True, return_counts=True)
    if int((counts >= 2).sum()) < min_periods:
        return None
    medians = np.array([np.median(v[inverse == k]) for k in range(len(labels))])
    return v - medians[inverse]


@check(
    "train_learns_val_never",
    kind="pair",
    measures=("train_improvement", "val_improvement"),
    defaults={"min_train_improvement": 0.3, "max_val_improvement": 0.05},
    min_train_improvement=_NUM,
    max_val_improvement=_NUM,
)
def train_learns_val_never(
    x: Inputs, *, min_train_improvement: float, max_val_improvement: float
) -> Outcome | None:
    """Training loss falls while validation loss never gets below its first evaluations.

    ``train_improvement``: start-to-end drop of the training loss over the evaluated span; ``val_improvement``: drop of
    the validation loss from its first evaluations to its best (smoothed) point. What is learned
    on the training data never helped on the validation data: a validation set from another
    distribution. Overfitting improves validation first and loses it later.
    """
    assert x.series is not None and x.other is not None
    ts, tv = finite_prefix(x.series)
    vs, vv = finite_prefix(x.other)
    if len(vv) < 3:
        return None
    # training progress over the span validation observes: a first evaluation made after the
    # training loss had converged (fine-tuning) cannot show what the early drop carried over
    tv = tv[(ts >= vs[0]) & (ts <= vs[-1])]
    if len(tv) < 4:
        return None
    t0, t1 = head_level(tv, 0.1), float(np.median(tv[-window_len(len(tv), 0.1, 1) :]))
    ti = (t0 - t1) / scale(t0, t1)
    v0 = first_evaluations(vv, 0.1)
    vbest = float(np.min(_smooth(vv, 0.1)))
    vi = (v0 - vbest) / scale(v0, vbest)
    return Outcome(
        ti >= min_train_improvement and vi <= max_val_improvement,
        step=int(vs[0]),
        value=vi,
        measures={"train_improvement": ti, "val_improvement": vi},
    )


@check(
    "give_back",
    kind="series",
    measures=("give_back", "rise", "gain"),
    defaults={"frac": 0.1, "tail": 0.2, "min": -math.inf, "max": math.inf},
    frac=_NUM,
    tail=_NUM,
    min=_NUM,
    max=_NUM,
)
def give_back(x: Inputs, *, frac: float, tail: float, min: float, max: float) -> Outcome | None:
    """Share of its own improvement a loss gives back by the end: (end - best) / (start - best).

    0 = ends at its best, 1 = back at its starting level, above 1 = worse than it started
    (infinite if it never improved). Scale-free in both directions: a 15 % rise off a minimum
    that is 97 % below the start is a 0.5 % give-back (noise around a converged minimum), while
    the same 15 % rise off a minimum only 20 % below the start gives back most of what was gained.
    """
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    if len(v) < 4:
        return None
    sm = _smooth(v, 0.1)
    i = int(np.argmin(sm))
    start, best = first_evaluations(v, frac), float(sm[i])
    end = float(np.median(v[-window_len(len(v), tail, 1) :]))
    gain = start - best
    rise = end - best
    if gain <= EPS * scale(start, best):
        gb = math.inf if rise > EPS * scale(best) else 0.0
    else:
        gb = rise / gain
    return Outcome(
        min <= gb <= max,
        step=int(steps[i]),
        value=gb,
        measures={
            "give_back": gb,
            "rise": rise / scale(best),
            "gain": gain / scale(start),
        },
    )


@check(
    "val_outpaces_train",
    kind="pair",
    measures=("train_improvement", "val_improvement", "ratio"),
    defaults={"min_ratio": 1.5, "min_val_improvement": 0.2, "max_train_improvement": math.inf},
    min_ratio=_NUM,
    min_val_improvement=_NUM,
    max_train_improvement=_NUM,
)
def val_outpaces_train(
    x: Inputs, *, min_ratio: float, min_val_improvement: float, max_train_improvement: float
) -> Outcome | None:
    """Validation loss improves ``min_ratio`` times as much (relatively) as training loss.

    Start-to-end relative drops over the span both are observed. The scale-free form of the
    CATALOG's "flat train, falling validation" reading: the model learns what generalizes (clean
    validation labels) while the training loss stays high on labels it cannot fit. In a healthy
    run training improves at least as much as validation. ``max_train_improvement`` asks the
    training loss to have stayed high, not merely to have fallen less than validation.
    """
    al = _aligned_pair(x)
    if al is None:
        return None
    steps, train, val = al
    ti = head_level(train) - float(np.median(train[-window_len(len(train), 0.1, 1) :]))
    ti /= scale(head_level(train))
    # from no higher than training's level at the first evaluation (see train_flat_val_falls)
    v0 = min(head_level(val), head_level(train))
    vi = (v0 - float(np.median(val[-window_len(len(val), 0.1, 1) :]))) / scale(v0)
    ratio = vi / ti if ti > EPS else math.inf
    return Outcome(
        vi >= min_val_improvement and ratio >= min_ratio and ti <= max_train_improvement,
        step=int(steps[0]),
        value=ratio,
        measures={"train_improvement": ti, "val_improvement": vi, "ratio": ratio},
    )


def _aligned_pair(x: Inputs) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Train (smoothed, read at the validation steps) and validation over their common span."""
    from nn_doctor.checks.pair import _aligned

    return _aligned(x, min_train=4, min_val=3, symmetric=False)


@check(
    "scales_within",
    kind="frame",
    measures=("signal",),
    defaults={"max": 10.0},
    signals=list,
    max=_NUM,
)
def scales_within(x: Inputs, *, signals: list[str], max: float) -> Outcome | None:
    """Every logged one of ``signals`` has a median magnitude of at most ``max``.

    One statement about the whole data side (inputs *and* targets on a small scale), so a rule
    can weigh it against a cause without one side's good scale cancelling the other side's
    raw one: standardized inputs say nothing about raw regression targets. ``value`` is the
    largest median magnitude, ``signal`` the one it came from; None when none is logged.
    """
    worst, name = -math.inf, ""
    for s in signals:
        if not x.frame.has(s):
            continue
        v = x.frame.series(s).to_numpy(dtype=float)
        v = np.abs(v[np.isfinite(v)])
        if len(v) == 0:
            continue
        m = float(np.median(v))
        if m > worst:
            worst, name = m, s
    if not name:
        return None
    return Outcome(worst <= max, value=worst, measures={"signal": name})
