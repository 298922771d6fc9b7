"""Numeric helpers shared by checks: finite prefixes, cadence-aware smoothing, robust levels.

Every statistic here is scale-free or relative, because losses differ by orders of magnitude
between tasks and can be negative (NLL): thresholds in YAML then mean the same on every run.
Windows are fractions of the logged points (with floors), never raw step counts, so a rule
written for per-step logs still works on per-epoch logs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

EPS = 1e-12


def finite_prefix(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Steps and values before the first non-finite value (the part a curve shape can use)."""
    v = s.to_numpy(dtype=float)
    bad = ~np.isfinite(v)
    end = int(np.argmax(bad)) if bad.any() else len(v)
    return s.index.to_numpy()[:end], v[:end]


def finite_values(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Steps and values of all finite points."""
    v = s.to_numpy(dtype=float)
    ok = np.isfinite(v)
    return s.index.to_numpy()[ok], v[ok]


def window_len(n: int, frac: float, floor: int = 3) -> int:
    """A window of ``frac`` of ``n`` points, at least ``floor`` and at most ``n``."""
    return int(max(1, min(n, max(floor, round(n * frac)))))


def smooth(v: np.ndarray, frac: float = 0.05, floor: int = 1) -> np.ndarray:
    """Centered rolling median over ``frac`` of the points: removes mini-batch noise, keeps steps."""
    n = len(v)
    w = window_len(n, frac, floor)
    if w <= 1 or n < 3:
        return v.copy()
    return rolling_median(v, w, min_periods=1)


# Windows up to this many points get pandas' exact rolling median. Longer ones (a 5 % window on a
# 100k-step log is 5,000 points) are computed on block medians of about 1/32 of the window and
# interpolated back: the same smoothing for the shape statistics, at a fraction of the cost.
EXACT_WINDOW = 129


def rolling_median(v: np.ndarray, w: int, min_periods: int | None = None) -> np.ndarray:
    """Centered rolling median of a finite array, exact for small windows, blocked for large ones."""
    import pandas as pd

    n = len(v)
    if w <= EXACT_WINDOW or n < 4 * w // 32:
        out = pd.Series(v).rolling(w, center=True, min_periods=min_periods).median().to_numpy()
        return np.array(out, copy=True)
    b = max(2, w // 32)
    m = n // b
    blocks = np.median(v[: m * b].reshape(m, b), axis=1)
    centers = np.arange(m) * b + (b - 1) / 2
    if n > m * b:
        blocks = np.append(blocks, np.median(v[m * b :]))
        centers = np.append(centers, (m * b + n - 1) / 2)
    wb = max(1, round(w / b))
    mp = None if min_periods is None else max(1, round(min_periods / b))
    sm = pd.Series(blocks).rolling(wb, center=True, min_periods=mp).median().to_numpy()
    ok = np.isfinite(sm)
    if not ok.any():
        return np.full(n, np.nan)
    out = np.interp(np.arange(n), centers[ok], sm[ok])
    if min_periods is None:  # keep pandas' NaN edges where the full window does not fit
        out[: w // 2] = np.nan
        out[n - (w - 1) // 2 :] = np.nan
    return out


def smooth_sym(v: np.ndarray, frac: float = 0.05, floor: int = 1) -> np.ndarray:
    """Centered rolling median whose window shrinks symmetrically at the edges.

    :func:`smooth` truncates its window at the ends (``min_periods=1``), so on a curve that falls
    fast at the start the first smoothed points are medians of later, lower values: biased low.
    Reading train at the first validation steps needs the unbiased version.
    """
    n = len(v)
    w = window_len(n, frac, floor)
    half = w // 2
    if half < 1 or n < 3:
        return v.copy()
    # The interior has the full window: a rolling median. Only the edges need shrinking
    # windows; grow them two points at a time in a sorted list (O(w) per point, not O(w log w)).
    half = min(half, (n - 1) // 2)
    out = rolling_median(v, 2 * half + 1)
    out[:half] = _edge_medians(v, half)
    out[n - half :] = _edge_medians(v[::-1], half)[::-1]
    return out


def _edge_medians(v: np.ndarray, k: int) -> np.ndarray:
    """Medians of v[0:1], v[0:3], … v[0:2k-1]: the symmetric shrinking windows at a curve's edge."""
    from bisect import insort

    window: list[float] = []
    out = np.empty(k)
    for h in range(k):
        if h == 0:
            window.append(float(v[0]))
        else:
            insort(window, float(v[2 * h - 1]))
            insort(window, float(v[2 * h]))
        out[h] = window[h]  # the middle of 2h+1 sorted values
    return out


def head_level(v: np.ndarray, frac: float = 0.1, floor: int = 1) -> float:
    """Robust level of the first ``frac`` of the points."""
    return float(np.median(v[: window_len(len(v), frac, floor)]))


def tail_level(v: np.ndarray, frac: float = 0.1, floor: int = 1) -> float:
    """Robust level of the last ``frac`` of the points."""
    return float(np.median(v[-window_len(len(v), frac, floor) :]))


def scale(*levels: float) -> float:
    """A positive scale for relative changes that copes with negative and near-zero losses."""
    return max(max(abs(x) for x in levels), EPS)


def improvement(v: np.ndarray, frac: float = 0.1) -> float:
    """Relative drop from the start level to the end level (1 = fell to 0, <0 = rose)."""
    start, end = head_level(v, frac), tail_level(v, frac)
    return (start - end) / scale(start, end)


def rebound(v: np.ndarray, sm: np.ndarray | None = None) -> np.ndarray:
    """Per point: how far the smoothed curve has climbed back from its best toward its start.

    0 at the running best, 1 back at the starting level, above 1 above it. Scale-free and
    sign-agnostic, so it reads the same on a 0.01 MSE and a -4e6 NLL.
    """
    sm = smooth(v) if sm is None else sm
    best = np.minimum.accumulate(sm)
    start = sm[0]
    span = np.maximum(start - best, EPS * max(1.0, abs(start)))
    # A curve that never fell below its start has no span: measure the rise against its level.
    never_fell = (start - best) <= EPS * max(1.0, abs(start))
    rel = (sm - best) / span
    rel = np.where(never_fell, (sm - start) / scale(start), rel)
    return rel


def persistent_onset(mask: np.ndarray, for_points: int) -> int | None:
    """Index where ``mask`` first holds for ``for_points`` consecutive points (Prometheus `for`)."""
    if for_points <= 1:
        idx = np.flatnonzero(mask)
        return int(idx[0]) if len(idx) else None
    run = 0
    for i, m in enumerate(mask):
        run = run + 1 if m else 0
        if run >= for_points:
            return i - for_points + 1
    return None


def kendall_tau(v: np.ndarray) -> float:
    """Kendall's tau of the values against their order: -1 steadily falling, +1 rising."""
    n = len(v)
    if n < 3:
        return 0.0
    if n > 400:  # subsample: tau's sign and size are stable; O(n^2) is not
        v = v[np.linspace(0, n - 1, 400).astype(int)]
        n = 400
    d = np.sign(v[None, :] - v[:, None])
    iu = np.triu_indices(n, 1)
    return float(d[iu].sum() / len(iu[0]))
