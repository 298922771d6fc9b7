"""Small unicode charts of training curves, for the terminal and the plain-text report.

Two shapes, both pure numpy and both readable with no colour at all:

* :func:`sparkline`: one row of block characters (``▁▂▃▄▅▆▇█``), one column per slice of the
  step axis. Each column shows the value of its slice that lies furthest from the curve's
  median, so a one-step spike or dip survives however long the run is.
* :func:`braille_chart`: a few rows of braille dots (2 × 4 dots per character), with the
  min/max of each dot column drawn as a vertical stroke and joined to its neighbour: a line
  chart in which spikes survive downsampling. It carries y labels, the step axis, ``×`` under
  the steps where the curve went NaN/inf and ``▲`` under the onset step.

Columns are laid out by *step*, not by point index, so charts of curves logged at different
cadences (a training loss every step, a validation loss every epoch) line up when they are
given the same ``x_range``. A curve that spans two orders of magnitude or more, and is
positive, is drawn on a log scale (a loss that explodes from 1 to 1e6 is a flat line with one
spike in linear scale). :func:`downsample` keeps min and max per bucket for the HTML report.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

BLOCKS = "▁▂▃▄▅▆▇█"
NONFINITE = "×"
ONSET = "▲"
#: A positive curve whose max/min reaches this ratio is drawn on a log scale.
LOG_SPAN = 100.0
_BRAILLE_BASE = 0x2800
# Dot bit for (column within the cell, row within the cell), Unicode braille pattern order.
_BRAILLE_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


def _arrays(
    steps: Sequence[float] | np.ndarray, values: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    x = np.asarray(steps, dtype=float)
    y = np.asarray(values, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"steps and values differ in length: {x.shape} vs {y.shape}")
    order = np.argsort(x, kind="stable")
    return x[order], y[order]


def use_log_scale(values: Sequence[float] | np.ndarray) -> bool:
    """Whether a curve reads better on a log scale: positive and spanning ≥ 2 orders of magnitude."""
    import numpy as np

    y = np.asarray(values, dtype=float)
    finite = y[np.isfinite(y)]
    if finite.size < 2 or bool((finite <= 0).any()):
        return False
    return bool(finite.max() / finite.min() >= LOG_SPAN)


@dataclass
class _Columns:
    """A curve cut into ``width`` step slices (values already in plotting scale)."""

    lo: np.ndarray  # finite min per column (NaN where none)
    hi: np.ndarray  # finite max per column
    first: np.ndarray  # first finite value per column (in step order)
    last: np.ndarray  # last finite value per column
    nonfinite: np.ndarray  # bool: a NaN/inf was logged in this column
    ymin: float
    ymax: float
    log: bool


def _column_of(step: float, x_range: tuple[float, float], width: int) -> int:
    lo, hi = x_range
    if width <= 1 or hi <= lo:
        return 0
    return int(min(width - 1, max(0, round((step - lo) / (hi - lo) * (width - 1)))))


def _columns(
    x: np.ndarray, y: np.ndarray, width: int, x_range: tuple[float, float], log: bool
) -> _Columns:
    import numpy as np

    lo_x, hi_x = x_range
    if width <= 1 or hi_x <= lo_x:
        col = np.zeros(len(x), dtype=int)
    else:
        col = np.clip(np.rint((x - lo_x) / (hi_x - lo_x) * (width - 1)), 0, width - 1).astype(int)
    finite = np.isfinite(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(finite, np.log10(np.where(finite & (y > 0), y, 1.0)) if log else y, np.nan)
    lo = np.full(width, np.nan)
    hi = np.full(width, np.nan)
    first = np.full(width, np.nan)
    last = np.full(width, np.nan)
    fc, fv = col[finite], v[finite]
    if fc.size:
        np.fmin.at(lo, fc, fv)
        np.fmax.at(hi, fc, fv)
        # x is sorted, so the first occurrence of a column is its first point in step order.
        uniq, first_idx = np.unique(fc, return_index=True)
        first[uniq] = fv[first_idx]
        rev_uniq, rev_idx = np.unique(fc[::-1], return_index=True)
        last[rev_uniq] = fv[::-1][rev_idx]
    nonfinite = np.zeros(width, dtype=bool)
    nonfinite[col[~finite]] = True
    if fv.size:
        ymin, ymax = float(fv.min()), float(fv.max())
    else:
        ymin, ymax = 0.0, 1.0
    if ymax - ymin <= 1e-12 * max(1.0, abs(ymax)):
        pad = 0.5 if ymax == 0 else abs(ymax) * 0.05
        ymin, ymax = ymin - pad, ymax + pad
    return _Columns(lo, hi, first, last, nonfinite, ymin, ymax, log)


def _interpolate_gaps(values: np.ndarray) -> np.ndarray:
    """Fill empty columns between two filled ones linearly (a sparse curve is still a curve)."""
    import numpy as np

    out = values.copy()
    have = np.flatnonzero(np.isfinite(values))
    if have.size >= 2:
        inner = np.arange(have[0], have[-1] + 1)
        out[inner] = np.interp(inner, have, values[have])
    return out


def _x_range(x: np.ndarray, x_range: tuple[float, float] | None) -> tuple[float, float]:
    if x_range is not None:
        return float(x_range[0]), float(x_range[1])
    if not len(x):
        return 0.0, 1.0
    return float(x[0]), float(x[-1])


@dataclass
class Sparkline:
    """One row of block glyphs plus what a reader needs to interpret it."""

    glyphs: str
    lo: float | None  # smallest finite value (original units)
    hi: float | None
    log: bool
    nonfinite: int  # number of non-finite points
    onset_col: int | None = None

    def marker_line(self) -> str:
        """A line with ``▲`` under the onset column (empty when there is no onset)."""
        if self.onset_col is None:
            return ""
        return " " * self.onset_col + ONSET


def sparkline(
    steps: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    width: int = 40,
    *,
    x_range: tuple[float, float] | None = None,
    log: bool | None = None,
    onset: float | None = None,
) -> Sparkline:
    """A one-row chart of ``values`` against ``steps``; ``×`` where a NaN/inf was logged.

    ``width`` is a maximum: a curve with fewer points than columns gets one column per point
    (unless ``x_range`` is given, which fixes the layout so several sparklines line up).
    """
    import numpy as np

    x, y = _arrays(steps, values)
    if x_range is None:
        width = max(1, min(width, len(x)))
    xr = _x_range(x, x_range)
    log = use_log_scale(y) if log is None else log
    cols = _columns(x, y, width, xr, log)
    centre = float(np.nanmedian(np.r_[cols.lo, cols.hi])) if np.isfinite(cols.lo).any() else 0.0
    with np.errstate(invalid="ignore"):
        pick = np.where(cols.hi - centre >= centre - cols.lo, cols.hi, cols.lo)
    filled = _interpolate_gaps(pick)
    span = cols.ymax - cols.ymin
    chars = []
    for j in range(width):
        if cols.nonfinite[j]:
            chars.append(NONFINITE)
        elif np.isfinite(filled[j]):
            level = round((filled[j] - cols.ymin) / span * (len(BLOCKS) - 1))
            chars.append(BLOCKS[int(min(len(BLOCKS) - 1, max(0, level)))])
        else:
            chars.append(" ")
    finite = y[np.isfinite(y)]
    onset_col = None
    if onset is not None and xr[0] <= onset <= xr[1]:
        onset_col = _column_of(onset, xr, width)
    return Sparkline(
        glyphs="".join(chars),
        lo=float(finite.min()) if finite.size else None,
        hi=float(finite.max()) if finite.size else None,
        log=log,
        nonfinite=int((~np.isfinite(y)).sum()),
        onset_col=onset_col,
    )


def fmt_value(v: float | None) -> str:
    """A short, stable number for labels: 3 significant digits, no trailing noise."""
    if v is None:
        return "-"
    if v != v:  # NaN
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    if v == int(v) and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.3g}"


@dataclass
class Chart:
    """A multi-row braille chart as plain lines (style them by glyph if colour is wanted)."""

    title: str
    lines: list[str]
    log: bool
    nonfinite: int
    onset_col: int | None = None
    plot_offset: int = 0  # column where the plot area starts in every line
    notes: list[str] = field(default_factory=list)


def braille_chart(
    steps: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    width: int = 60,
    height: int = 4,
    *,
    title: str = "",
    x_range: tuple[float, float] | None = None,
    log: bool | None = None,
    onset: float | None = None,
    onset_label: str = "",
    label_width: int = 0,
) -> Chart:
    """A line chart ``width`` characters wide and ``height`` rows high, in braille dots.

    Each dot column draws the min..max of its slice and joins the previous column's last value,
    so spikes and NaN-adjacent jumps stay visible. Non-finite points are marked ``×`` on the
    axis line; the onset step is marked ``▲`` on the label line. ``label_width`` pads the y
    labels so charts stacked above each other keep their plot columns aligned.
    """
    import numpy as np

    x, y = _arrays(steps, values)
    xr = _x_range(x, x_range)
    log = use_log_scale(y) if log is None else log
    dots_w, dots_h = 2 * width, 4 * height
    cols = _columns(x, y, dots_w, xr, log)
    span = cols.ymax - cols.ymin

    def row_of(v: float) -> int:
        r = round((1.0 - (v - cols.ymin) / span) * (dots_h - 1))
        return int(min(dots_h - 1, max(0, r)))

    # Empty dot columns between two filled ones get the straight line between them.
    mid = _interpolate_gaps(np.where(np.isfinite(cols.lo), (cols.lo + cols.hi) / 2, np.nan))
    grid = np.zeros((height, width), dtype=np.int64)
    prev_last: float | None = None
    for j in range(dots_w):
        if np.isfinite(cols.lo[j]):
            lo, hi = float(cols.lo[j]), float(cols.hi[j])
            if prev_last is not None:
                lo, hi = min(lo, prev_last), max(hi, prev_last)
            prev_last = float(cols.last[j])
        elif np.isfinite(mid[j]) and not cols.nonfinite[j]:
            lo = hi = float(mid[j])
            if prev_last is not None:
                lo, hi = min(lo, prev_last), max(hi, prev_last)
            prev_last = float(mid[j])
        else:
            prev_last = None  # a NaN or the curve's ends: do not join across
            continue
        for r in range(row_of(hi), row_of(lo) + 1):
            grid[r // 4, j // 2] |= _BRAILLE_BITS[j % 2][r % 4]

    def label(v: float) -> str:
        return fmt_value(float(10**v) if log else v)

    top, bottom = label(cols.ymax), label(cols.ymin)
    finite = y[np.isfinite(y)]
    if not finite.size:
        top = bottom = ""
    lw = max(label_width, len(top), len(bottom))
    lines = []
    for r in range(height):
        lab = top if r == 0 else bottom if r == height - 1 else ""
        body = "".join(chr(_BRAILLE_BASE + int(b)) for b in grid[r])
        lines.append(f"{lab:>{lw}} ┤{body}")
    axis = ["─"] * width
    for bad in np.flatnonzero(cols.nonfinite).tolist():
        axis[bad // 2] = NONFINITE
    lines.append(" " * lw + " └" + "".join(axis))
    onset_col = None
    labels = [" "] * (width + 1)

    def put(text: str, at: int) -> bool:
        at = max(0, min(at, len(labels) - len(text)))
        if any(c != " " for c in labels[max(0, at - 1) : at + len(text) + 1]):
            return False
        labels[at : at + len(text)] = list(text)
        return True

    if onset is not None and xr[0] <= onset <= xr[1]:
        onset_col = _column_of(onset, xr, dots_w) // 2
        put(ONSET + fmt_value(onset) + (f" {onset_label}" if onset_label else ""), onset_col)
    put(fmt_value(xr[0]), 0)
    last_label = fmt_value(xr[1])
    put(last_label, width + 1 - len(last_label))
    lines.append(" " * (lw + 2) + "".join(labels).rstrip())
    notes = []
    if log:
        notes.append("log scale")
    n_bad = int((~np.isfinite(y)).sum())
    if n_bad:
        notes.append(f"{n_bad} non-finite ({NONFINITE})")
    return Chart(
        title=title,
        lines=lines,
        log=log,
        nonfinite=n_bad,
        onset_col=onset_col,
        plot_offset=lw + 2,
        notes=notes,
    )


def downsample(
    steps: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    max_points: int = 2000,
) -> tuple[np.ndarray, np.ndarray]:
    """About ``max_points`` points: each bucket's min and max (and its first NaN/inf, if any).

    A curve at or under ``max_points`` comes back whole. Taking every k-th point would drop exactly the one-step spikes a diagnosis is about; the
    min/max pair per bucket keeps the envelope, so the plot looks like the full curve.
    """
    import numpy as np

    x, y = _arrays(steps, values)
    n = len(x)
    if n <= max_points:
        return x, y
    buckets = max(1, max_points // 2)
    edges = np.linspace(0, n, buckets + 1).astype(int)
    keep: list[int] = []
    for a, b in itertools.pairwise(edges):
        if b <= a:
            continue
        seg = y[a:b]
        fin = np.isfinite(seg)
        picks = set()
        if fin.any():
            idx = np.flatnonzero(fin)
            picks.add(a + int(idx[np.argmin(seg[fin])]))
            picks.add(a + int(idx[np.argmax(seg[fin])]))
        if not fin.all():
            picks.add(a + int(np.flatnonzero(~fin)[0]))
        keep.extend(sorted(picks))
    k = np.asarray(keep, dtype=int)
    return x[k], y[k]
