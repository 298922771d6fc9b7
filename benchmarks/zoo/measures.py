"""Scale-free measurements of a trained history, shared by the verifiers.

Every verifier compares a faulty run with its healthy twin through these numbers, so they are
defined once, on the *complete* training record (every step's loss, every recorded row), never
on what a particular log format happens to keep.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

History = dict[str, Any]


def losses(h: History) -> np.ndarray:
    return np.asarray(h["loss"], dtype=np.float64)


def finite(h: History) -> bool:
    """Whether every step's loss was finite."""
    return h["nonfinite_step"] is None


def start_loss(h: History) -> float:
    """Median of the first ~2% of step losses (at least 3): the loss the run started from."""
    x = losses(h)
    return float(np.median(x[: max(3, len(x) // 50)]))


def end_loss(h: History) -> float:
    """Median of the last 10% of step losses; inf if the run went non-finite."""
    if not finite(h):
        return math.inf
    x = losses(h)
    return float(np.median(x[-max(3, len(x) // 10) :]))


def min_loss_before(h: History, step: int) -> float:
    x = losses(h)[:step]
    x = x[np.isfinite(x)]
    return float(x.min()) if len(x) else math.inf


def reduction(h: History) -> float:
    """Fraction of the start loss the run removed (1 = down to zero, 0 = no progress)."""
    s, e = start_loss(h), end_loss(h)
    if not math.isfinite(e) or s <= 0:
        return -math.inf
    return (s - e) / s


def epoch_series(h: History, key: str) -> np.ndarray:
    return np.asarray([e.get(key, math.nan) for e in h["epochs"]], dtype=np.float64)


def final_score(h: History) -> float:
    """Validation accuracy (classification) or R² (regression) at the last epoch."""
    s = epoch_series(h, "val_score")
    return float(s[-1]) if len(s) and math.isfinite(s[-1]) else -math.inf


def smoothed(x: np.ndarray, w: int) -> np.ndarray:
    """Trailing moving average (window ``w``; shorter at the start)."""
    c = np.cumsum(np.insert(x, 0, 0.0))
    idx = np.arange(1, len(x) + 1)
    lo = np.maximum(0, idx - w)
    return (c[idx] - c[lo]) / (idx - lo)


def val_rise(h: History) -> tuple[float, int]:
    """Relative rise of the (smoothed) validation loss from its minimum to the end, and the
    epoch of the minimum. Smoothing over ~10% of the epochs keeps a noisy small validation set
    from turning one lucky epoch into a "minimum".
    """
    v = epoch_series(h, "val_loss")
    if not len(v) or not np.all(np.isfinite(v)):
        return math.nan, -1
    sv = smoothed(v, max(2, len(v) // 10))
    i = int(np.argmin(sv))
    return (float(sv[-1]) - sv[i]) / max(abs(sv[i]), 1e-12), i


def val_rise_of_range(h: History) -> float:
    """The rise from the smoothed minimum to the end as a share of the total fall before it."""
    v = epoch_series(h, "val_loss")
    if not len(v) or not np.all(np.isfinite(v)):
        return math.nan
    sv = smoothed(v, max(2, len(v) // 10))
    i = int(np.argmin(sv))
    fall = v[0] - sv[i]
    return float((sv[-1] - sv[i]) / fall) if fall > 0 else math.inf


def still_falling(h: History, frac: float = 0.25) -> float:
    """Relative drop of the epoch train loss over the last ``frac`` of the run (0 = flat)."""
    t = epoch_series(h, "train_loss")
    if len(t) < 4 or not np.all(np.isfinite(t)):
        return math.nan
    a = t[max(0, round(len(t) * (1 - frac)) - 1)]
    return float((a - t[-1]) / max(abs(a), 1e-12))


def tail_progress(h: History, frac: float = 0.25, key: str = "loss") -> float:
    """Share of the run's total progress made in its last ``frac`` (0 = converged, flat tail).

    Scale-free where a plain relative drop is not: a loss going 0.065 → 0.050 at the end of a run
    that started at 1.0 is converged, while 0.8 → 0.6 after starting at 1.1 is not. ``key`` is
    ``"loss"`` (step losses, smoothed over an epoch or at most 1/8 of the run) or ``"val_loss"``.
    """
    if key == "loss":
        x = losses(h)
        if not np.all(np.isfinite(x)) or len(x) < 8:
            return math.nan
        x = smoothed(x, max(3, min(int(h["steps_per_epoch"]), len(x) // 8)))
    else:
        x = epoch_series(h, key)
        if len(x) < 4 or not np.all(np.isfinite(x)):
            return math.nan
        x = smoothed(x, max(1, len(x) // 10))
    a = x[max(0, round(len(x) * (1 - frac)) - 1)]
    total = float(np.max(x) - x[-1])
    return float((a - x[-1]) / total) if total > 0 else 0.0


def gap_onset(h: History, ratio: float = 1.5) -> float:
    """Fraction of the epochs after which validation loss first exceeds ``ratio`` × train loss."""
    n = len(h["epochs"])
    for i, e in enumerate(h["epochs"]):
        t = train_loss_at_epoch_end(h, i)
        if t > 0 and math.isfinite(t) and e["val_loss"] >= ratio * t:
            return i / n
    return math.inf


def instability(h: History) -> float:
    """Largest jump of the (lightly smoothed) loss above its running minimum after the first 5%
    of the run, in units of the start loss (a diverging or oscillating run jumps back up)."""
    x = losses(h)
    x = x[np.isfinite(x)]
    if len(x) < 8:
        return math.nan
    sm = smoothed(x, max(2, len(x) // 50))
    run_min = np.minimum.accumulate(sm)
    skip = len(sm) // 20
    s0 = start_loss(h)
    return float(np.max(sm[skip:] - run_min[skip:]) / max(abs(s0), 1e-12))


def val_still_falling(h: History, frac: float = 0.25) -> float:
    """Relative drop of the validation loss over the last ``frac`` of the epochs."""
    v = epoch_series(h, "val_loss")
    if len(v) < 4 or not np.all(np.isfinite(v)):
        return math.nan
    a = v[max(0, round(len(v) * (1 - frac)) - 1)]
    return float((a - v[-1]) / max(abs(a), 1e-12))


def swing(h: History, part: float = 0.5) -> float:
    """Median step-to-step relative change of the loss over the last ``part`` of the run."""
    x = losses(h)
    x = x[int(len(x) * (1 - part)) :]
    x = x[np.isfinite(x)]
    if len(x) < 3:
        return math.nan
    d = np.abs(np.diff(x)) / np.maximum(np.abs(x[:-1]), 1e-12)
    return float(np.median(d))


def row_series(h: History, key: str) -> np.ndarray:
    return np.asarray([r.get(key, math.nan) for r in h["rows"]], dtype=np.float64)


def layer_names(h: History, family: str) -> list[str]:
    """Layers that have ``family/<layer>`` in the rows, in row (model) order."""
    if not h["rows"]:
        return []
    prefix = family + "/"
    return [k[len(prefix) :] for k in h["rows"][0] if k.startswith(prefix)]


def max_grad_norm(h: History) -> float:
    g = row_series(h, "grad_norm")
    return float(np.nanmax(np.where(np.isfinite(g), g, np.inf))) if len(g) else math.nan


def median_grad_norm(h: History, part: tuple[float, float] = (0.0, 1.0)) -> float:
    g = row_series(h, "grad_norm")
    g = g[int(len(g) * part[0]) : max(1, int(len(g) * part[1]))]
    g = g[np.isfinite(g)]
    return float(np.median(g)) if len(g) else math.nan


def first_last_grad_ratio(h: History) -> float:
    """Median over recorded steps of ‖g_first layer‖ / ‖g_last layer‖ (vanishing < 1e-3)."""
    names = layer_names(h, "grad_norm")
    if len(names) < 2:
        return math.nan
    first = row_series(h, f"grad_norm/{names[0]}")
    last = row_series(h, f"grad_norm/{names[-1]}")
    ok = np.isfinite(first) & np.isfinite(last) & (last > 0)
    if not ok.any():
        return math.nan
    return float(np.median(first[ok] / last[ok]))


def max_zero_frac(h: History, part: float = 0.25) -> float:
    """Highest mean exact-zero fraction of a hidden ReLU layer over the last ``part`` of rows."""
    best = math.nan
    for name in layer_names(h, "act_zero_frac"):
        if name.endswith("out_act"):
            continue
        z = row_series(h, f"act_zero_frac/{name}")
        z = z[int(len(z) * (1 - part)) :]
        z = z[np.isfinite(z)]
        if len(z):
            best = max(float(z.mean()), best) if math.isfinite(best) else float(z.mean())
    return best


def periodicity(h: History) -> float:
    """Autocorrelation of the detrended step loss at a lag of one epoch.

    An unshuffled, label-sorted loader makes every epoch replay the same sequence of biased
    batches, so the loss repeats with the epoch's period; shuffled batches do not.
    """
    p = int(h["steps_per_epoch"])
    x = losses(h)
    x = x[np.isfinite(x)]
    if p < 3 or len(x) < 3 * p:
        return math.nan
    x = np.log(np.maximum(x, 1e-12))
    kernel = np.ones(p) / p
    trend = np.convolve(x, kernel, mode="same")
    r = (x - trend)[p:-p]
    if len(r) < 2 * p or r.std() == 0:
        return math.nan
    a, b = r[:-p], r[p:]
    return float(np.corrcoef(a, b)[0, 1])


def update_ratio_median(h: History) -> float:
    """Median over layers and recorded steps of the update/weight ratio."""
    vals = []
    for name in layer_names(h, "update_ratio"):
        u = row_series(h, f"update_ratio/{name}")
        vals.extend(u[np.isfinite(u)].tolist())
    return float(np.median(vals)) if vals else math.nan


def clip_bound_fraction(h: History) -> float:
    """Share of recorded steps whose pre-clip gradient norm reached the clip value."""
    clip = h["spec"].get("grad_clip")
    g = row_series(h, "grad_norm")
    if clip is None or not len(g):
        return math.nan
    return float(np.mean(g >= clip))


def train_loss_at_epoch_end(h: History, epoch: int) -> float:
    """Mean of the last quarter of the step losses of ``epoch`` (the model as evaluated)."""
    spe = int(h["steps_per_epoch"])
    x = losses(h)[epoch * spe : (epoch + 1) * spe]
    x = x[-max(1, spe // 4) :]
    return float(np.mean(x)) if len(x) else math.nan


def gap_ratio(h: History, which: str = "early") -> float:
    """Validation loss over the end-of-epoch train loss, early (epoch ~10% in) or at the end."""
    n = len(h["epochs"])
    i = min(n - 1, max(1, n // 10)) if which == "early" else n - 1
    t = train_loss_at_epoch_end(h, i)
    v = h["epochs"][i]["val_loss"]
    return v / t if t > 0 and math.isfinite(t) else math.nan
