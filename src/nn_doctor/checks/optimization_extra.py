"""Optimization checks: loss blow-ups that recover, and robust (Theil–Sen) trend statistics.

Both read a curve the way a noisy per-step or per-epoch log needs: the median of pairwise
slopes ignores single noisy points that move end-to-end differences, and every measure is a
share of the curve's own drop or starting level, so thresholds are scale-free.
"""

from __future__ import annotations

import math

import numpy as np

from nn_doctor.checks import Inputs, Outcome, check
from nn_doctor.checks._util import (
    EPS,
    finite_prefix,
    finite_values,
    kendall_tau,
    median,
    memoized,
    scale,
    shape_clock,
    smooth,
    tail_level,
    upper_pairs,
)

_NUM = (int, float)


@memoized
def theil_sen(x: np.ndarray, y: np.ndarray, max_points: int = 300) -> float:
    """Median of pairwise slopes (Theil–Sen): robust to single outliers, O(n^2) on a subsample."""
    n = len(y)
    if n < 2:
        return 0.0
    if n > max_points:
        idx = np.linspace(0, n - 1, max_points).astype(int)
        x, y = x[idx], y[idx]
    i, j = upper_pairs(len(y))  # the pairs i < j, gathered without n x n matrices
    dx = x[j] - x[i]
    ok = dx != 0
    if not ok.any():
        return 0.0
    return float(np.median((y[j] - y[i])[ok] / dx[ok]))


@memoized
def block_medians(v: np.ndarray, blocks: int) -> np.ndarray:
    """Medians of ``blocks`` consecutive, near-equal blocks of ``v`` (``v`` itself when shorter)."""
    if blocks < 2 or len(v) <= blocks:
        return v
    return np.array([median(b) for b in np.array_split(v, blocks)])


@check(
    "peak_rise",
    kind="series",
    measures=("factor", "peak", "best_before", "end"),
    defaults={"min": 10.0, "spike_ratio": 0.0, "singular_below": 10.0, "outgrown": 0.0},
    min=_NUM,
    spike_ratio=_NUM,
    singular_below=_NUM,
    outgrown=_NUM,
)
def peak_rise(
    x: Inputs, *, min: float, spike_ratio: float, singular_below: float, outgrown: float
) -> Outcome | None:
    """Largest climb of the (finite) curve above its best-so-far, in units of its starting level.

    A loss that once jumped ten starting levels above where it had been is a blow-up, even when
    it later comes back down (a run that recovers, or settles at chance): mini-batch noise and
    schedule bumps stay well below one starting level. With ``spike_ratio`` a lone jump of
    under ``singular_below`` levels must also stand ``spike_ratio`` times above the next-largest climb
    (away from it) or hold for two logged points: an unaveraged small-batch loss with heavy
    tails throws single batches several levels up all run long, and its largest is one of
    several alike (a study-zoo healthy run: 3.3, 2.6, 2.3 levels); a blow-up is singular (a
    zoo run knocked to chance: 8.2 against 2.4).
    """
    assert x.series is not None
    steps, v = finite_values(x.series)
    if len(v) < 4:
        return None
    best = np.minimum.accumulate(v)
    rise = (v - best) / scale(v[0], float(np.median(v)))
    i = int(np.argmax(rise))
    factor = float(rise[i])
    stands_out = True
    if spike_ratio > 0 and len(rise) >= 20 and factor < singular_below:
        held = float(np.max(np.minimum(rise[:-1], rise[1:])))
        others = np.concatenate([rise[: max(0, i - 1)], rise[i + 2 :]])  # spike, neighbours out
        stands_out = held >= min or factor >= spike_ratio * float(np.max(others))
    end = tail_level(v[i:])
    # a moderate jump (under ``singular_below`` levels) the run trained through: it went on to
    # end below ``outgrown`` times its best before the jump (a warmup overshoot, a transient
    # the rate recovered from); a jump of orders of magnitude is a blow-up whatever follows
    trained_through = outgrown > 0 and factor < singular_below and end < outgrown * float(best[i])
    return Outcome(
        factor >= min and stands_out and not trained_through,
        step=int(steps[i]),
        value=factor,
        measures={"factor": factor, "peak": float(v[i]), "best_before": float(best[i]), "end": end},
    )


@check(
    "tail_trend",
    kind="series",
    measures=("share", "tau", "drop"),
    defaults={"tail": 0.3, "min_share": 0.1, "max_tau": -0.2, "min_total_drop": 0.1},
    tail=_NUM,
    min_share=_NUM,
    max_tau=_NUM,
    min_total_drop=_NUM,
)
def tail_trend(
    x: Inputs, *, tail: float, min_share: float, max_tau: float, min_total_drop: float
) -> Outcome | None:
    """Whether the curve was still falling at the end: robust slope over the last ``tail``.

    ``share`` is the drop the Theil–Sen line over the last ``tail`` of the points implies across
    that window, as a share of the curve's total drop (start level to its smoothed best); ``tau``
    (Kendall, on the tail) says how steady it is; ``drop`` is the total drop relative to the start.
    """
    measured = _tail_share(x, tail)
    if measured is None:
        return None
    share, tau, drop, onset = measured
    return Outcome(
        share >= min_share and tau <= max_tau and drop >= min_total_drop,
        step=onset,
        value=share,
        measures={"share": share, "tau": tau, "drop": drop},
    )


def _tail_share(x: Inputs, tail: float) -> tuple[float, float, float, int] | None:
    """(share, tau, drop, first step of the tail) of :func:`tail_trend`; None if unreadable."""
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    if len(v) < 6 or len(v) < len(x.series):
        return None
    sm = smooth(v, 0.05)
    w = max(4, round(len(v) * tail))
    w = min(w, len(v))
    start = float(np.median(v[: max(1, min(3, len(v) // 10 or 1))]))
    total = start - float(np.min(sm))
    if total <= EPS * scale(start):
        return 0.0, 0.0, 0.0, int(steps[-w])
    xs = np.arange(w, dtype=float)  # positions: cadence-free within a uniformly logged tail
    slope = theil_sen(xs, v[-w:])
    share = float(-slope * (w - 1) / total)
    return (
        share,
        kendall_tau(v[-w:]),
        float(total / scale(start, float(np.min(sm)))),
        int(steps[-w]),
    )


@check(
    "levelled_off",
    kind="series",
    measures=("share", "drop"),
    defaults={"tail": 0.3, "max_share": 0.03, "min_total_drop": 0.3, "min_tail_points": 8},
    tail=_NUM,
    max_share=_NUM,
    min_total_drop=_NUM,
    min_tail_points=int,
)
def levelled_off(
    x: Inputs, *, tail: float, max_share: float, min_total_drop: float, min_tail_points: int
) -> Outcome | None:
    """The curve fell a good part of its start and then levelled: converged, by its own reading.

    The reverse of :func:`tail_trend`: the Theil–Sen line over the last ``tail`` of the points
    implies at most ``max_share`` of the curve's total drop (flat or rising), after a fall of
    ``min_total_drop`` of the start level, read on ``min_tail_points`` or more points (a
    handful of noisy points says nothing either way).
    """
    assert x.series is not None
    if round(len(x.series) * tail) < min_tail_points:
        return None
    measured = _tail_share(x, tail)
    if measured is None:
        return None
    share, _, drop, onset = measured
    return Outcome(
        share <= max_share and drop >= min_total_drop,
        step=onset,
        value=share,
        measures={"share": share, "drop": drop},
    )


@check(
    "last_step_share",
    kind="series",
    measures=("share", "drop", "points"),
    defaults={"max_share": 0.02, "min_total_drop": 0.1, "min_points": 4, "max_points": 12},
    max_share=_NUM,
    min_total_drop=_NUM,
    min_points=int,
    max_points=int,
)
def last_step_share(
    x: Inputs, *, max_share: float, min_total_drop: float, min_points: int, max_points: int
) -> Outcome | None:
    """The last point-to-point step of a short log bought at most ``max_share`` of its drop.

    For a log of ``min_points``-``max_points`` points, each one an evaluation on a fixed
    held-out set or an epoch's mean (no mini-batch noise to smooth away, and too few points
    for a trend over a tail): the step from the second-to-last point to the last, as a share of
    the fall from the first point to the lowest. A rise at the end reads as a negative share.
    The curve must have fallen ``min_total_drop`` of its first level at all. Longer logs are
    for the trend checks (:func:`levelled_off`, ``plateau``): there the last step is noise.
    """
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    if not min_points <= len(v) <= max_points or len(v) < len(x.series):
        return None
    total = float(v[0] - np.min(v))
    drop = total / scale(float(v[0]))
    if total <= 0 or drop < min_total_drop:
        return Outcome(False, step=int(steps[-1]), value=None, measures={"drop": drop})
    share = float(v[-2] - v[-1]) / total
    return Outcome(
        share <= max_share,
        step=int(steps[-1]),  # the last point: the step that bought (or lost) the share
        value=share,
        measures={"share": share, "drop": drop, "points": len(v)},
    )


@check(
    "steady_decline",
    kind="series",
    measures=("linearity", "tau", "improvement"),
    defaults={
        "max_improvement": 0.3,
        "max_tau": -0.5,
        "min_linearity": 0.4,
        "blocks": 20,
        "clock": "steps",
    },
    max_improvement=_NUM,
    max_tau=_NUM,
    min_linearity=_NUM,
    blocks=int,
    clock=str,
)
def steady_decline(
    x: Inputs,
    *,
    max_improvement: float,
    max_tau: float,
    min_linearity: float,
    blocks: int,
    clock: str,
) -> Outcome | None:
    """A small, steady decline that does not bend: Theil–Sen slope of the late half over the early half.

    ``linearity`` is about 1 for a straight line and near 0 for a curve that fell and flattened;
    robust slopes keep it meaningful on a noisy per-step log where end-point differences are not.
    ``improvement`` is the relative drop from the robust start to the robust end (1 = fell to 0).
    ``tau`` (Kendall) is read on the medians of ``blocks`` equal blocks of points: how steady the
    trend is, whatever the logging cadence, not how noisy each mini-batch is. ``clock: lr``
    reads the slopes against the summed learning rate where a decaying rate is logged.
    """
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    if len(v) < 8 or len(v) < len(x.series):
        return None
    t = shape_clock(x, steps, clock)
    xs = np.arange(len(v), dtype=float) if t is None else t
    half = len(v) // 2 if t is None else int(np.searchsorted(t, (t[0] + t[-1]) / 2))
    half = min(max(half, 2), len(v) - 3)
    early = theil_sen(xs[: half + 1], v[: half + 1])
    late = theil_sen(xs[half:], v[half:])
    linearity = float(late / early) if early < 0 else (0.0 if late >= 0 else math.inf)
    tau = kendall_tau(block_medians(v, blocks))
    full = theil_sen(xs, v)
    start = float(v[0]) if len(v) < 10 else float(np.median(v[: max(3, len(v) // 20)]))
    fitted_end = start + full * (xs[-1] - xs[0])
    imp = float((start - fitted_end) / scale(start, fitted_end))
    return Outcome(
        tau <= max_tau and linearity >= min_linearity and imp <= max_improvement and full < 0,
        step=int(steps[0]),
        value=linearity,
        measures={"linearity": linearity, "tau": tau, "improvement": imp},
    )


@check(
    "early_nonfinite",
    kind="series",
    measures=("finite_before", "finite_frac", "value"),
    defaults={"max_points": 3, "max_frac": 0.05, "cap_frac": 0.5},
    max_points=int,
    max_frac=_NUM,
    cap_frac=_NUM,
)
def early_nonfinite(
    x: Inputs, *, max_points: int, max_frac: float, cap_frac: float
) -> Outcome | None:
    """Whether the series went NaN/inf within its first ``max_points`` logged points or ``max_frac`` of them.

    Cadence-aware: on a per-epoch log of 12 points "the first 5 %" is less than one point, while
    "within the first three logging intervals" means the same on per-step and per-epoch logs.
    ``cap_frac`` keeps a NaN that came after most of a very short log (3 of 5 points) out.
    """
    assert x.series is not None
    v = x.series.to_numpy(dtype=float)
    if len(v) == 0:
        return None
    bad = ~np.isfinite(v)
    if not bad.any():
        return Outcome(False, measures={"finite_frac": 1.0, "finite_before": len(v)})
    first = int(np.argmax(bad))
    frac = first / len(v)
    value = "nan" if math.isnan(v[first]) else ("inf" if v[first] > 0 else "-inf")
    return Outcome(
        (first <= max_points or frac <= max_frac) and frac <= cap_frac,
        step=int(x.series.index[first]),
        measures={"finite_before": first, "finite_frac": frac, "value": value},
    )


@check(
    "lr_cut_unlocks",
    kind="series",
    measures=("factor", "share", "lr_before", "lr_after"),
    defaults={"min_factor": 3.0, "max_share": 0.35, "cut": 3.0},
    min_factor=_NUM,
    max_share=_NUM,
    cut=_NUM,
)
def lr_cut_unlocks(x: Inputs, *, min_factor: float, max_share: float, cut: float) -> Outcome | None:
    """Whether the loss fell ``min_factor``x as soon as a step schedule cut the rate ``cut``x,
    having made under ``max_share`` of its whole (log-scale) drop at the rate before the cut.

    A healthy step schedule (ResNet's staircase) does most of its work at the first rate and
    refines after each cut; a rate too high holds the loss up until a cut lets it settle. Read
    on the logged ``lr``: a cut is one logged interval where the rate fell ``cut``x after
    holding within 1.5x (a step or a plateau cut, not a smooth cosine tail). The loss levels are
    medians of a few points each side (a quarter of the points before, 3 to 10), so one noisy
    batch moves neither. None without a positive loss or a logged rate that is cut.
    """
    assert x.series is not None
    steps, v = finite_values(x.series)
    if len(v) < 10 or float(v.min()) <= 0 or not x.frame.has("lr"):
        return None
    ls, lv = finite_values(x.frame.series("lr"))
    ls, lv = ls[lv > 0], lv[lv > 0]
    best: Outcome | None = None
    for i in np.flatnonzero(lv[1:] <= lv[:-1] / cut) + 1:
        at = ls[i]
        pre, post = v[steps < at], v[steps >= at]
        w = max(3, min(10, len(pre) // 4))
        if len(pre) < 2 * w or len(post) < w:
            continue
        held = lv[(ls < at) & (ls >= steps[steps < at][-w])]
        if held.size and held.max() > 1.5 * held.min():
            continue  # the rate was still moving: a smooth schedule, not a cut
        before, after = median(pre[-w:]), median(post[:w])
        start, low = median(v[:w]), min(median(v[-w:]), after)
        total = math.log(start) - math.log(low)
        if total <= 0:
            continue
        share = (math.log(start) - math.log(before)) / total
        factor = before / after
        hit = factor >= min_factor and share <= max_share
        if best is None or (hit, factor) > (best.matched, best.measures["factor"]):
            best = Outcome(
                hit,
                step=int(at),
                value=factor,
                measures={
                    "factor": factor,
                    "share": share,
                    "lr_before": float(lv[i - 1]),
                    "lr_after": float(lv[i]),
                },
            )
    return best
