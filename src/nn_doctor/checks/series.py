"""Checks over one series: non-finite values, divergence, spikes, oscillation, trend, plateau."""

from __future__ import annotations

import math

import numpy as np

from nn_doctor.checks import Inputs, Outcome, check
from nn_doctor.checks._util import (
    EPS,
    finite_prefix,
    finite_values,
    head_level,
    improvement,
    kendall_tau,
    known_classifier,
    persistent_onset,
    rebound,
    scale,
    shape_clock,
    smooth,
    tail_level,
    window_len,
)

_NUM = (int, float)


def _step(steps: np.ndarray, i: int | None) -> int | None:
    return None if i is None else int(steps[i])


@check(
    "nonfinite",
    kind="series",
    measures=("finite_frac", "finite_before", "nonfinite_frac"),
    defaults={"min_finite_frac": 0.0, "max_finite_frac": 1.0},
    min_finite_frac=_NUM,
    max_finite_frac=_NUM,
)
def nonfinite(x: Inputs, *, min_finite_frac: float, max_finite_frac: float) -> Outcome | None:
    """Whether the series logged NaN or inf, with a share of finite history before it in [min, max].

    ``min_finite_frac`` asks for normal training before the blow-up (an abrupt overflow);
    ``max_finite_frac`` for a series that was non-finite (almost) from its first point.
    """
    assert x.series is not None
    v = x.series.to_numpy(dtype=float)
    if len(v) == 0:
        return None
    bad = ~np.isfinite(v)
    if not bad.any():
        return Outcome(False, measures={"finite_frac": 1.0})
    first = int(np.argmax(bad))
    finite_frac = first / len(v)
    value = "nan" if math.isnan(v[first]) else ("inf" if v[first] > 0 else "-inf")
    return Outcome(
        min_finite_frac <= finite_frac <= max_finite_frac,
        step=int(x.series.index[first]),
        measures={
            "value": value,
            "finite_frac": finite_frac,
            "finite_before": first,
            "nonfinite_frac": float(bad.mean()),
        },
    )


@check(
    "pre_nonfinite_rise",
    kind="series",
    measures=("rebound",),
    defaults={"min_rebound": 0.5, "max_rebound": math.inf, "window": 0.15},
    min_rebound=_NUM,
    max_rebound=_NUM,
    window=_NUM,
)
def pre_nonfinite_rise(
    x: Inputs, *, min_rebound: float, max_rebound: float, window: float
) -> Outcome | None:
    """Whether the curve was already climbing back up before it went non-finite (gradual divergence).

    With ``max_rebound`` the other way round: a curve that went non-finite while still falling
    (an abrupt overflow rather than a runaway).
    """
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    if len(v) == len(x.series):
        return Outcome(False, measures={"rebound": 0.0})  # never went non-finite
    if len(v) < 3:
        return None  # too little history before the NaN to judge (three epochs of a per-epoch
        # log are enough to see whether it was still falling or already climbing)
    rb = rebound(v, smooth(v, 0.03))
    w = window_len(len(v), window, 2)
    peak = float(np.max(rb[-w:]))
    return Outcome(
        min_rebound <= peak <= max_rebound, step=int(steps[-w]), measures={"rebound": peak}
    )


@check(
    "diverges",
    kind="series",
    measures=("rebound", "factor", "best_step"),
    defaults={"min_rebound": 1.0, "for_points": 3, "smooth": 0.03, "min_span": 0.0},
    min_rebound=_NUM,
    for_points=int,
    smooth=_NUM,
    min_span=_NUM,
)
def diverges(
    x: Inputs, *, min_rebound: float, for_points: int, smooth: float, min_span: float
) -> Outcome | None:
    """Whether the smoothed curve climbs back from its best by ``min_rebound`` of its total drop and stays.

    ``min_span`` (default 0) counts a rebound only once the curve had fallen by at least that
    share of its starting level (or never fell at all, when the rise is read against the level):
    early on, when the drop so far is tiny, mini-batch noise alone makes "rebound" large. The
    fall must also clear the smoothed curve's scatter (three standard errors), whatever
    ``min_span`` says.
    """
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    if len(v) < max(5, for_points + 2):
        return None
    from nn_doctor.checks._util import smooth as _smooth

    sm = _smooth(v, smooth)
    rb = rebound(v, sm)
    start = sm[0]
    fell = start - np.minimum.accumulate(sm)
    never_fell = fell <= EPS * max(1.0, abs(start))
    # a fall within the smoothed curve's own scatter is a noise dip, and "back above the start"
    # after it is noise around a flat line (an unaveraged small-batch loss that never learned):
    # three standard errors of the rolling median (robust residual scatter / sqrt(window))
    w = window_len(len(v), smooth, 1)
    noise = 3.0 * 1.4826 * float(np.median(np.abs(v - sm))) / math.sqrt(w)
    dip_noise = noise
    if w < 3:
        # a short log is not smoothed at all, so that residual is zero: a dip must then clear
        # the scatter of successive differences (three sigmas; a difference holds two points'
        # noise), or the lowest value of a flat, noisy per-step log (a converged fine-tune) is
        # a "fall" and every value above the first one a "rebound"
        d = np.diff(v)
        dip_noise = max(
            noise, 3.0 * 1.4826 * float(np.median(np.abs(d - np.median(d)))) / math.sqrt(2)
        )
    counted = never_fell | (fell >= max(min_span * scale(start), dip_noise))
    # "back above the start" must clear the same scatter: on a flat, noisy line every dip is
    # followed by a return to the start level, which is noise, not a run that got worse. A
    # curve that never really fell must clear the dip scatter too (a low first point, then
    # noise); one that fell well beyond it and came back to its start has rebounded.
    never_dipped = fell < dip_noise
    above = (rb < 1.0) | (sm - start >= np.where(never_dipped, dip_noise, noise))
    onset = persistent_onset(
        (rb >= min_rebound) & counted & above, min(for_points, max(1, len(v) // 10))
    )
    best_i = int(np.argmin(_smooth(v, smooth)))
    factor = float(np.max(v[best_i:]) / v[best_i]) if v[best_i] > EPS else float("nan")
    return Outcome(
        onset is not None,
        step=_step(steps, onset),
        value=float(np.max(rb)),
        measures={"rebound": float(np.max(rb)), "factor": factor, "best_step": int(steps[best_i])},
    )


@check(
    "rel_growth",
    kind="series",
    measures=("factor",),
    defaults={
        "window": 0.2,
        "min_factor": 10.0,
        "for_points": 1,
        "baseline": "min",
        "min_of_head": 0.0,
        "for_frac": 0.0,
    },
    window=_NUM,
    min_factor=_NUM,
    for_points=int,
    baseline=str,
    min_of_head=_NUM,
    for_frac=_NUM,
)
def rel_growth(
    x: Inputs,
    *,
    window: float,
    min_factor: float,
    for_points: int,
    baseline: str,
    min_of_head: float,
    for_frac: float,
) -> Outcome | None:
    """Whether a positive series rises ``min_factor`` times above its minimum over the preceding window.

    ``baseline: floored_min`` floors that minimum at a tenth of the window's median: a series that
    dips toward zero (a gradient norm or a loss near convergence) then no longer makes ordinary
    noise look like a 1000x surge, while steady geometric growth still reads as growth.
    ``min_of_head``: the risen points must also reach that share of the series' opening level
    (the median of its first tenth): a memorized training set's loss of 1e-6 that jumps to 5e-4
    on one misfit mini-batch rose 500x, yet stays a two-thousandth of where it started, and a
    blow-up is a return to large values, not a ratio between two tiny ones.
    ``for_frac``: the rise must also hold for that share of the points (at least ``for_points``):
    a per-step gradient norm of batch-4 training spans four decades from batch to batch, and
    over 600 points three in a row land far above the floor by chance; a runaway holds.
    """
    assert x.series is not None
    steps, v = finite_values(x.series)
    v = np.abs(v)
    if len(v) < 4:
        return None
    for_points = max(for_points, round(for_frac * len(v)))
    if baseline not in ("min", "floored_min"):
        raise ValueError(f"baseline must be min or floored_min, not {baseline!r}")
    import pandas as pd

    w = window_len(len(v), window, 3)
    rolling = pd.Series(v).rolling(w, min_periods=1)
    base = rolling.min().shift(1).to_numpy()
    if baseline == "floored_min":
        base = np.fmax(base, rolling.median().shift(1).to_numpy() / 10)
    ratio = v / np.maximum(base, EPS)
    ratio[0] = 1.0
    high = v >= min_of_head * head_level(v, 0.1, 3) if min_of_head > 0 else True
    onset = persistent_onset((ratio >= min_factor) & high, for_points)
    return Outcome(
        onset is not None,
        step=_step(steps, onset),
        value=float(np.nanmax(ratio)),
        measures={"factor": float(np.nanmax(ratio))},
    )


@check(
    "spikes",
    kind="series",
    measures=("count", "frac", "max_factor"),
    defaults={"factor": 3.0, "window": 0.1, "min_count": 1, "min_frac": 0.0},
    factor=_NUM,
    window=_NUM,
    min_count=int,
    min_frac=_NUM,
)
def spikes(
    x: Inputs, *, factor: float, window: float, min_count: int, min_frac: float
) -> Outcome | None:
    """Points above ``factor`` times the rolling median of the points before them (LLM Foundry style)."""
    assert x.series is not None
    steps, v = finite_values(x.series)
    if len(v) < 8:
        return None
    import pandas as pd

    w = window_len(len(v), window, 4)
    base = pd.Series(v).rolling(w, min_periods=3).median().shift(1).to_numpy()
    spread = (
        pd.Series(v)
        .rolling(w, min_periods=3)
        .apply(lambda a: np.median(np.abs(a - np.median(a))), raw=True)
        .shift(1)
        .to_numpy()
    )
    # above factor x baseline for positive series; fall back to a spread test otherwise
    thresh = np.where(base > 0, base * factor, base + factor * 5 * np.maximum(spread, EPS))
    hit = np.nan_to_num(v > thresh)
    count = int(hit.sum())
    frac = count / len(v)
    rel = v / np.where(base > EPS, base, np.nan)
    max_factor = float(np.nanmax(rel)) if np.isfinite(rel).any() else float("nan")
    return Outcome(
        count >= min_count and frac >= min_frac,
        step=_step(steps, int(np.argmax(hit)) if count else None),
        value=float(count),
        measures={"count": count, "frac": frac, "max_factor": max_factor},
    )


@check(
    "oscillation",
    kind="series",
    measures=("amplitude",),
    defaults={
        "min_amplitude": 0.2,
        "part": 0.5,
        "smooth": 0.1,
        "max_improvement": math.inf,
        "val_max_tau": -1.0,
        "val_max_step": 0.0,
        "max_classes": 0,
    },
    min_amplitude=_NUM,
    max_improvement=_NUM,
    part=_NUM,
    smooth=_NUM,
    val_max_tau=_NUM,
    val_max_step=_NUM,
    max_classes=int,
)
def oscillation(
    x: Inputs,
    *,
    min_amplitude: float,
    part: float,
    smooth: float,
    max_improvement: float,
    val_max_tau: float,
    val_max_step: float,
    max_classes: int,
) -> Outcome | None:
    """Swing of the curve around its own trend, relative to how far it has come down (late part).

    ``max_improvement`` (default: no limit) also asks that the trend itself got nowhere: its
    relative drop from start to end is at most this. Mini-batch noise on a curve that still
    fell most of the way is not the oscillation of a too-large step (BTTackler's heavy-oscillation
    rule likewise requires a non-negative slope).

    ``max_classes`` (0: off): a known classifier whose trend ends above the uniform guess
    (``log K``; ``log max_classes`` when the class count is not given) got nowhere, however far
    it fell from its first logged point: Adam at 1 had the loss at 33 by the first log (step
    10), and its swings between 4 and 20 "fell" 77 % from there while never beating chance.
    """
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    if len(v) < 8:
        return None
    from nn_doctor.checks._util import smooth as _smooth

    trend = _smooth(v, smooth, 3)
    start = max(0, int(len(v) * (1 - part)))
    resid = np.abs(v[start:] - trend[start:])
    # the reference scale: the curve's own level range, so a loss near 0 is not penalized
    ref = scale(head_level(v) - float(np.min(trend)), tail_level(trend))
    amp = float(np.median(resid) / ref)
    # the start is the first logged loss when it is above the head's median (an unaveraged
    # small-batch loss can fall most of the way within the head window, whose median then
    # starts the trend at the floor; a warmup overshoot above it is not the start), the end the
    # trend's last tenth over at least three points (a short log's rolling median of an
    # alternating loss alternates too, and two points of it are one swing, not a level)
    start_level = max(float(v[0]), head_level(trend))
    end_level = tail_level(trend, 0.1, 3)
    trend_imp = (start_level - end_level) / scale(start_level, end_level)
    if max_classes and known_classifier(x):
        n = x.config.get("n_classes")
        classes = int(n) if isinstance(n, (int, float)) and n >= 2 else max_classes
        if end_level > math.log(classes):
            trend_imp = min(trend_imp, 0.0)
    # Swings of the training loss under a steady validation loss are mini-batch noise: steps
    # that overshoot move the parameters back and forth, and held-out data would see it. Steady:
    # fell at nearly every evaluation (Kendall tau at most ``val_max_tau``), or moved by at most
    # ``val_max_step`` of its level from one evaluation to the next (median); the defaults never.
    val_steady = False
    if (val_max_tau > -1.0 or val_max_step > 0) and x.frame.has("val_loss"):
        _, val = finite_prefix(x.frame.series("val_loss"))
        if len(val) >= 8:
            step_size = float(np.median(np.abs(np.diff(val)))) / scale(float(np.median(val)))
            val_steady = kendall_tau(val) <= val_max_tau or step_size <= val_max_step
    return Outcome(
        amp >= min_amplitude and trend_imp <= max_improvement and not val_steady,
        step=int(steps[start]),
        value=amp,
        measures={"amplitude": amp},
    )


@check(
    "improvement",
    kind="series",
    measures=("improvement",),
    defaults={"frac": 0.1, "min": -math.inf, "max": math.inf},
    frac=_NUM,
    min=_NUM,
    max=_NUM,
)
def improvement_check(x: Inputs, *, frac: float, min: float, max: float) -> Outcome | None:
    """Relative drop from the start level to the end level, within [min, max] (1 = fell to zero)."""
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    if len(v) < 3:
        return None
    imp = improvement(v, frac)
    return Outcome(min <= imp <= max, step=int(steps[0]), value=imp, measures={"improvement": imp})


@check(
    "learned_nothing",
    kind="series",
    measures=("improvement", "val_improvement"),
    defaults={"frac": 0.1, "max": 0.05},
    frac=_NUM,
    max=_NUM,
)
def learned_nothing(x: Inputs, *, frac: float, max: float) -> Outcome | None:
    """The training loss improved at most ``max``, and so did the validation loss where logged.

    Why the validation loss too: a training loss scored against noisy labels can stay flat
    while the model learns what generalizes, and the validation loss shows it; a run that
    learned nothing moves neither. Without a validation loss the training loss decides alone.
    """
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    if len(v) < 3:
        return None
    imp = improvement(v, frac)
    val_imp = math.nan
    if x.frame.has("val_loss"):
        _, vv = finite_prefix(x.frame.series("val_loss"))
        if len(vv) >= 3:
            val_imp = improvement(vv, frac)
    flat = imp <= max and not val_imp > max
    return Outcome(
        flat,
        step=int(steps[0]),
        value=imp,
        measures={"improvement": imp, "val_improvement": val_imp},
    )


@check(
    "relative_range",
    kind="series",
    measures=("range", "points"),
    defaults={"min_points": 5, "max": math.inf},
    min_points=int,
    max=_NUM,
)
def relative_range(x: Inputs, *, min_points: int, max: float) -> Outcome | None:
    """The whole curve's spread, (max - min) / |median|, is at most ``max``: a frozen curve.

    Unknown with fewer than ``min_points`` finite points (a short log says little about
    whether a curve ever moved).
    """
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    if len(v) < min_points:
        return None
    spread = float((v.max() - v.min()) / scale(float(np.median(v))))
    return Outcome(
        spread <= max,
        step=int(steps[0]),
        value=spread,
        measures={"range": spread, "points": len(v)},
    )


@check(
    "still_falling",
    kind="series",
    measures=("share", "tau", "drop"),
    defaults={"tail": 0.2, "min_share": 0.1, "max_tau": -0.3, "min_total_drop": 0.0},
    tail=_NUM,
    min_share=_NUM,
    max_tau=_NUM,
    min_total_drop=_NUM,
)
def still_falling(
    x: Inputs, *, tail: float, min_share: float, max_tau: float, min_total_drop: float
) -> Outcome | None:
    """Whether the last ``tail`` of the run still brings ``min_share`` of the total drop, steadily.

    ``min_total_drop`` (default 0) asks that the run made a real drop at all (relative to the
    starting level): on a flat, noisy line the "share of the total drop" is a share of noise.

    The tail holds at least three points (Kendall's tau needs them), so on a short log it spans
    more of the run than ``tail``: the last 3 of 5 epochs are half the run, and a converging
    curve's last half brings far more than its last fifth. ``min_share`` then grows in
    proportion to the span the tail really covers (0.1 over 20 % is 0.25 over 50 %): a healthy
    five-epoch Keras run whose last half brought 11 % of its drop read as stopped early.
    """
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    # five points: a five-epoch log (Keras, an HF fine-tune) still shows whether its last
    # epochs were falling; a strictly falling five-point run is 1 in 120 by chance
    if len(v) < 5 or len(v) < len(x.series):
        return None
    sm = smooth(v, 0.05)
    w = window_len(len(v), tail, 3)
    total = sm[0] - float(np.min(sm))
    if total <= EPS * scale(sm[0]):
        return Outcome(False, measures={"share": 0.0, "tau": 0.0})
    tail_drop = sm[-w] - sm[-1]
    share = float(tail_drop / total)
    tau = kendall_tau(v[-w:])
    drop = float(total / scale(sm[0], float(np.min(sm))))
    span = float(steps[-1] - steps[0])
    covered = float(steps[-1] - steps[-w]) / span if span > 0 else 1.0
    needed = min_share * max(1.0, covered / tail)
    return Outcome(
        share >= needed and tau <= max_tau and drop >= min_total_drop,
        step=int(steps[-w]),
        value=share,
        measures={"share": share, "tau": tau, "drop": drop},
    )


@check(
    "plateau",
    kind="series",
    measures=("plateau_frac", "improvement"),
    defaults={"tol": 0.1, "min_frac": 0.5, "max_improvement": math.inf},
    tol=_NUM,
    min_frac=_NUM,
    max_improvement=_NUM,
)
def plateau(x: Inputs, *, tol: float, min_frac: float, max_improvement: float) -> Outcome | None:
    """Whether the curve stopped improving early: the share of the run spent within ``tol`` of its end level."""
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    if len(v) < 8:
        return None
    sm = smooth(v, 0.05)
    start, end = sm[0], float(np.min(sm))
    span = start - end
    ref = scale(start, end)
    # first point from which the running best never improves by more than tol of the start scale
    best = np.minimum.accumulate(sm)
    remaining = best - end
    reached = np.flatnonzero(remaining <= tol * max(span, 0) + tol * 0.1 * ref)
    i = int(reached[0]) if len(reached) else len(sm) - 1
    frac = 1.0 - i / len(sm)
    imp = span / ref
    return Outcome(
        frac >= min_frac and imp <= max_improvement,
        step=int(steps[i]),
        value=frac,
        measures={"plateau_frac": frac, "improvement": imp},
    )


@check(
    "level",
    kind="series",
    measures=(),
    defaults={
        "stat": "median",
        "window": "all",
        "frac": 0.2,
        "min": -math.inf,
        "max": math.inf,
        "absolute": False,
    },
    stat=str,
    window=str,
    frac=_NUM,
    min=_NUM,
    max=_NUM,
    absolute=bool,
)
def level(
    x: Inputs,
    *,
    stat: str,
    window: str,
    frac: float,
    min: float,
    max: float,
    absolute: bool,
) -> Outcome | None:
    """A statistic (median/mean/max/min/first/last) of a window (all/early/late) within [min, max]."""
    assert x.series is not None
    steps, v = finite_values(x.series)
    if len(v) == 0:
        return None
    if absolute:
        v = np.abs(v)
    w = window_len(len(v), frac, 1)
    sel = {"all": slice(None), "early": slice(0, w), "late": slice(len(v) - w, None)}.get(window)
    if sel is None:
        raise ValueError(f"window must be all, early or late, not {window!r}")
    part, part_steps = v[sel], steps[sel]
    fns = {
        "median": np.median,
        "mean": np.mean,
        "max": np.max,
        "min": np.min,
        "first": lambda a: a[0],
        "last": lambda a: a[-1],
    }
    if stat not in fns:
        raise ValueError(f"stat must be one of {', '.join(fns)}, not {stat!r}")
    value = float(fns[stat](part))
    return Outcome(
        min <= value <= max, step=int(part_steps[0]), value=value, measures={"value": value}
    )


@check(
    "periodicity",
    kind="series",
    measures=("acf", "period"),
    defaults={"min_acf": 0.3, "min_periods": 3, "min_points_per_period": 4},
    min_acf=_NUM,
    min_periods=int,
    min_points_per_period=int,
)
def periodicity(
    x: Inputs, *, min_acf: float, min_periods: int, min_points_per_period: int
) -> Outcome | None:
    """Autocorrelation of the detrended curve at a lag of one epoch (fixed data order repeats)."""
    assert x.series is not None
    spe = x.frame.steps_per_epoch
    steps, v = finite_prefix(x.series)
    if spe is None or len(v) < 8 or x.frame.axis == "epoch":
        return None
    cadence = float(np.median(np.diff(steps))) if len(steps) > 1 else 1.0
    lag = round(spe / max(cadence, EPS))
    if lag < min_points_per_period or len(v) < lag * min_periods:
        return None
    trend = smooth(v, 0.0, floor=lag) if lag > 1 else v
    r = v - trend
    r = r - r.mean()
    denom = float(np.dot(r, r))
    if denom <= EPS:
        return Outcome(False, measures={"acf": 0.0, "period": spe})
    acf = float(np.dot(r[:-lag], r[lag:]) / denom)
    return Outcome(
        acf >= min_acf, step=int(steps[lag]), value=acf, measures={"acf": acf, "period": spe}
    )


@check(
    "chance_level",
    kind="series",
    measures=("ratio", "chance"),
    defaults={"window": "late", "frac": 0.2, "min": -math.inf, "max": math.inf},
    window=str,
    frac=_NUM,
    min=_NUM,
    max=_NUM,
)
def chance_level(x: Inputs, *, window: str, frac: float, min: float, max: float) -> Outcome | None:
    """Cross-entropy level relative to chance, ln(n_classes): 1.0 means the model predicts uniformly."""
    assert x.series is not None
    n = x.config.get("n_classes")
    if not isinstance(n, int) or n < 2 or x.config.get("task") == "regression":
        return None
    steps, v = finite_prefix(x.series)
    if len(v) == 0:
        return None
    w = window_len(len(v), frac, 1)
    part = v[:w] if window == "early" else v[-w:]
    ratio = float(np.median(part) / math.log(n))
    return Outcome(
        min <= ratio <= max,
        step=int(steps[0] if window == "early" else steps[-w]),
        value=ratio,
        measures={"ratio": ratio, "chance": math.log(n)},
    )


@check(
    "lr_step_up",
    kind="series",
    measures=("factor",),
    defaults={"min_factor": 3.0, "peak_after": 0.0},
    min_factor=_NUM,
    peak_after=_NUM,
)
def lr_step_up(x: Inputs, *, min_factor: float, peak_after: float) -> Outcome | None:
    """Whether the learning rate rose by ``min_factor`` or more from its starting value (warm-up, restarts).

    ``peak_after``: the rate must reach its highest value only after that share of the logged
    points: a ramp that is still climbing when things go wrong (a range test, a schedule
    raising the rate for most of the run), not a warm-up that ended in the first few percent.
    """
    assert x.series is not None
    steps, v = finite_values(x.series)
    if len(v) < 2 or v[0] <= 0:
        return None
    ratio = float(np.max(v) / v[0])
    late = int(np.argmax(v)) >= peak_after * (len(v) - 1)
    i = int(np.argmax(v >= v[0] * min_factor)) if ratio >= min_factor else None
    return Outcome(
        ratio >= min_factor and late, step=_step(steps, i), value=ratio, measures={"factor": ratio}
    )


@check(
    "decline_shape",
    kind="series",
    measures=("linearity", "tau", "improvement"),
    defaults={
        "max_improvement": math.inf,
        "min_improvement": 0.0,
        "max_tau": -0.5,
        "min_linearity": 0.5,
        "clock": "steps",
    },
    max_improvement=_NUM,
    min_improvement=_NUM,
    max_tau=_NUM,
    min_linearity=_NUM,
    clock=str,
)
def decline_shape(
    x: Inputs,
    *,
    max_improvement: float,
    min_improvement: float,
    max_tau: float,
    min_linearity: float,
    clock: str,
) -> Outcome | None:
    """A steady decline that is not slowing down: the late half falls as much as the early half.

    ``linearity`` is the smoothed drop over the second half of the run divided by the drop over
    the first half: about 1 for a straight line (steps too small to reach the curve's bend),
    near 0 for a healthy curve that fell fast and flattened, negative if it rose late. ``tau``
    (Kendall) says how steady the decline is; ``improvement`` how far it got (1 = fell to 0).
    ``clock: lr`` measures the halves in summed learning rate where a decaying rate is logged
    (see ``lr_clock``): the drop per unit of rate, late over early. ``min_improvement``: a
    curve that moved less than that did not decline, it stayed where it was (a smooth
    validation loss drifting 0.003 % at chance is monotone, yet flat).
    """
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    if len(v) < 8 or len(v) < len(x.series):
        return None
    sm = smooth(v, 0.05)
    t = shape_clock(x, steps, clock)
    half = len(sm) // 2 if t is None else int(np.searchsorted(t, (t[0] + t[-1]) / 2))
    half = min(max(half, 1), len(sm) - 2)
    early = sm[0] - sm[half]
    late = sm[half] - sm[-1]
    if t is not None:  # drops per unit of rate: the halves hold unequal shares of it
        early, late = early / (t[half] - t[0]), late / (t[-1] - t[half])
    ref = scale(sm[0], sm[-1]) / (1.0 if t is None else t[-1] - t[0])
    if early <= EPS * ref:
        linearity = 0.0 if late <= EPS * ref else math.inf
    else:
        linearity = float(late / early)
    tau = kendall_tau(v)
    imp = improvement(v)
    return Outcome(
        tau <= max_tau and linearity >= min_linearity and min_improvement <= imp <= max_improvement,
        step=int(steps[0]),
        value=linearity,
        measures={"linearity": linearity, "tau": tau, "improvement": imp},
    )


@check(
    "end_vs_peak",
    kind="series",
    measures=("ratio", "peak", "last"),
    defaults={"min": -math.inf, "max": math.inf},
    min=_NUM,
    max=_NUM,
)
def end_vs_peak(x: Inputs, *, min: float, max: float) -> Outcome | None:
    """The last finite value over the largest one, within [min, max] (a learning rate annealed to 0)."""
    assert x.series is not None
    steps, v = finite_values(x.series)
    if len(v) < 3:
        return None
    peak = float(np.max(np.abs(v)))
    if peak <= EPS:
        return None
    ratio = float(abs(v[-1]) / peak)
    return Outcome(
        min <= ratio <= max,
        step=int(steps[int(np.argmax(np.abs(v)))]),
        value=ratio,
        measures={"ratio": ratio, "peak": peak, "last": float(v[-1])},
    )


@check(
    "acc_vs_chance",
    kind="series",
    measures=("rel", "acc", "chance", "versus"),
    defaults={"window": "late", "frac": 0.2, "stat": "max", "min": -math.inf, "max": math.inf},
    window=str,
    frac=_NUM,
    stat=str,
    min=_NUM,
    max=_NUM,
)
def acc_vs_chance(
    x: Inputs, *, window: str, frac: float, stat: str, min: float, max: float
) -> Outcome | None:
    """Accuracy as the share of the way from chance (1/n_classes) to perfect: 0 chance, 1 perfect.

    Without a class count in the config, chance is only known to lie between 0 (many classes)
    and 1/2 (two): the outcome is then the one every class count agrees on, and unknown where
    they disagree. A log of accuracy alone rarely says how many classes there are, and guessing
    them from the loss would turn an epoch-averaged first loss into a class count.
    ``versus`` names the chance level the message can honestly quote.
    """
    assert x.series is not None
    if x.config.get("task") == "regression":
        return None
    n = x.config.get("n_classes")
    known = isinstance(n, int) and n >= 2
    steps, v = finite_values(x.series)
    if len(v) == 0:
        return None
    if np.nanmax(v) > 1.0 + 1e-9:  # logged in percent
        v = v / 100.0
    w = window_len(len(v), frac, 1)
    sel = {"all": slice(None), "early": slice(0, w), "late": slice(len(v) - w, None)}.get(window)
    if sel is None:
        raise ValueError(f"window must be all, early or late, not {window!r}")
    fns = {"max": np.max, "median": np.median, "min": np.min}
    if stat not in fns:
        raise ValueError(f"stat must be one of {', '.join(fns)}, not {stat!r}")
    acc = float(fns[stat](v[sel]))
    chances = [1.0 / n] if known else [0.0, 0.5]
    rels = [(acc - c) / (1.0 - c) for c in chances]
    verdicts = {min <= rel <= max for rel in rels}
    if len(verdicts) > 1:
        return None  # the class count decides, and the log does not say it
    versus = f"chance {chances[0]:.0%}" if known else "whatever the number of classes"
    return Outcome(
        verdicts.pop(),
        step=int(steps[sel][0]),
        value=rels[0],
        measures={"rel": rels[0], "acc": acc, "chance": chances[0], "versus": versus},
    )
