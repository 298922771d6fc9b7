"""Numeric helpers shared by checks: finite prefixes, cadence-aware smoothing, robust levels.

Every statistic here is scale-free or relative, because losses differ by orders of magnitude
between tasks and can be negative (NLL): thresholds in YAML then mean the same on every run.
Windows are fractions of the logged points (with floors), never raw step counts, so a rule
written for per-step logs still works on per-epoch logs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from nn_doctor.checks import Inputs

EPS = 1e-12

# --------------------------------------------------------------------------------------------
# The evaluation memo. The checks of one diagnosis read the same few series many times over:
# on a typical run ~140 check calls take finite_prefix of 4-5 distinct series about 70 times
# and compute the same rolling medians 5x over. Inside ``memo_scope()`` (the engine opens one
# per diagnosis) these helpers compute each distinct input once. Keys are exact: a series by
# identity (the memo holds it, so the id cannot be reused), an array the memo itself handed out
# read-only (the finite part of a series) by identity too, any other array by its dtype, shape
# and bytes, a number by its type and value. Arrays that were fresh before are handed out as
# fresh copies; shared inputs (the finite parts of a series) are read-only, as pandas' own are.
# The memo lives in a ContextVar, so threads (a Dask worker) never share one, and it is dropped
# when the scope ends: nothing leaks from one run into the next. It holds at most MEMO_BYTES of
# keys and results (oldest entries go first), so a huge run costs no more memory than that.

MEMO_BYTES = 128 << 20

F = TypeVar("F", bound=Callable[..., Any])


def _nbytes(x: Any) -> int:
    """Bytes held by a memoized value: its arrays (a float or a None holds none to speak of)."""
    if isinstance(x, np.ndarray):
        return int(x.nbytes)
    if isinstance(x, tuple):
        return sum(_nbytes(v) for v in x)
    return 0


class Memo:
    """What one diagnosis computed, by exact key (see the notes above)."""

    def __init__(self, budget: int = MEMO_BYTES) -> None:
        self.data: dict[Any, tuple[Any, Any, int]] = {}  # key -> (value, kept alive, bytes)
        self.shared: dict[int, np.ndarray] = {}  # id -> read-only array handed out
        self.budget = budget
        self.size = 0

    def get(self, key: Any) -> Any:
        """The value stored under ``key``, or None."""
        hit = self.data.get(key)
        return None if hit is None else hit[0]

    def put(self, key: Any, value: Any, keep: Any = None, key_bytes: int = 0) -> None:
        """Store ``value`` (and keep ``keep`` alive with it), dropping the oldest if over budget.

        ``key_bytes``: what the key itself holds (the bytes of the arrays it was made from).
        """
        size = key_bytes + _nbytes(value)
        self.data[key] = (value, keep, size)
        self.size += size
        while self.size > self.budget and len(self.data) > 1:
            oldest = next(iter(self.data))
            self.size -= self.data.pop(oldest)[2]

    def share(self, value: Any) -> Any:
        """Make ``value``'s arrays read-only and known by identity; return it."""
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
            self.shared[id(value)] = value
        elif isinstance(value, tuple):
            for v in value:
                self.share(v)
        return value

    def key_part(self, x: Any, keep: list[Any]) -> Any:
        """The exact key of one argument."""
        if isinstance(x, np.ndarray):
            if self.shared.get(id(x)) is x:
                return ("s", id(x))  # handed out read-only by this memo: its content is fixed
            return ("a", x.dtype.str, x.shape, x.tobytes())
        if isinstance(x, float):
            return ("f", x.hex())  # -0.0 and 0.0 differ; NaN never equals itself (never hits)
        if x is None or isinstance(x, (bool, int, str)):
            return (type(x).__name__, x)
        keep.append(x)  # a series (or other object): by identity, kept alive by the memo
        return ("o", id(x))


_MEMO: ContextVar[Memo | None] = ContextVar("nn_doctor_check_memo", default=None)


@contextmanager
def memo_scope() -> Iterator[None]:
    """Share computed series statistics between the checks run inside (one diagnosis)."""
    if _MEMO.get() is not None:  # already inside one: the outer scope owns the memo
        yield
        return
    token = _MEMO.set(Memo())
    try:
        yield
    finally:
        _MEMO.reset(token)


def current_memo() -> Memo | None:
    """The memo of the enclosing :func:`memo_scope`, or None outside one."""
    return _MEMO.get()


def _fresh(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return tuple(_fresh(v) for v in value)
    return value


def memoized(fn: F | None = None, *, shared: bool = False) -> Any:
    """Compute ``fn`` once per distinct arguments inside a :func:`memo_scope` (else as is).

    ``shared``: hand the cached arrays out read-only instead of as fresh copies (for inputs
    that were shared views before, such as the finite part of a series).
    """

    def wrap(f: F) -> F:
        name = f"{f.__module__}.{f.__qualname__}"

        @functools.wraps(f)
        def inner(*args: Any, **kwargs: Any) -> Any:
            memo = _MEMO.get()
            if memo is None:
                return f(*args, **kwargs)
            keep: list[Any] = []
            parts = tuple(memo.key_part(a, keep) for a in args)
            if kwargs:  # after the positional parts, each value behind its name
                for k, v in sorted(kwargs.items()):
                    parts += (("=", k), memo.key_part(v, keep))
            key = (name, parts)
            hit = memo.data.get(key)
            if hit is not None:
                value = hit[0]
            else:
                value = f(*args, **kwargs)
                if shared:
                    value = memo.share(value)
                memo.put(key, value, keep, sum(len(p[3]) for p in parts if p[0] == "a"))
            return value if shared else _fresh(value)

        return inner  # type: ignore[return-value]

    return wrap(fn) if fn is not None else wrap


@memoized(shared=True)
def finite_prefix(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Steps and values before the first non-finite value (the part a curve shape can use)."""
    v = s.to_numpy(dtype=float)
    bad = ~np.isfinite(v)
    end = int(np.argmax(bad)) if bad.any() else len(v)
    return s.index.to_numpy()[:end], v[:end]


@memoized(shared=True)
def finite_values(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Steps and values of all finite points."""
    v = s.to_numpy(dtype=float)
    ok = np.isfinite(v)
    return s.index.to_numpy()[ok], v[ok]


def lr_clock(lr: pd.Series | None, steps: np.ndarray) -> np.ndarray | None:
    """The summed learning rate up to each of ``steps``: the optimizer's own clock.

    With plain gradient descent a step moves the loss by about ``lr`` times the squared gradient,
    so a run whose rate decays (cosine, step decay, linear) slows down even where nothing else
    changed; read against this clock, a loss the steps were too small to bend is a straight line
    again. None where no usable rate is logged, or where it stays within 1.5x (the step axis
    already is that clock). Rates between logged points are interpolated, outside them held.
    """
    if lr is None or len(steps) < 2:
        return None
    ls, lv = finite_values(lr)
    keep = lv > 0
    ls, lv = ls[keep], lv[keep]
    if len(lv) < 2 or lv.max() <= 1.5 * lv.min():
        return None
    rate = np.interp(steps.astype(float), ls.astype(float), lv)
    dt = np.diff(steps.astype(float), prepend=2.0 * steps[0] - steps[1])
    return np.cumsum(rate * np.maximum(dt, 0.0))


def shape_clock(x: Inputs, steps: np.ndarray, clock: str) -> np.ndarray | None:
    """The time axis a curve's shape is read on: None for the logged points (``clock: steps``),
    else the summed learning rate (``clock: lr``) where the run logs a rate that decays."""
    if clock not in ("steps", "lr"):
        raise ValueError(f"clock must be steps or lr, not {clock!r}")
    if clock == "steps" or not x.frame.has("lr"):
        return None
    t = lr_clock(x.frame.series("lr"), steps)
    return t if t is not None and t[-1] > t[0] else None


def window_len(n: int, frac: float, floor: int = 3) -> int:
    """A window of ``frac`` of ``n`` points, at least ``floor`` and at most ``n``."""
    return int(max(1, min(n, max(floor, round(n * frac)))))


@memoized
def smooth(v: np.ndarray, frac: float = 0.05, floor: int = 1) -> np.ndarray:
    """Centered rolling median over ``frac`` of the points: removes mini-batch noise, keeps steps."""
    n = len(v)
    w = window_len(n, frac, floor)
    if w <= 1 or n < 3:
        return v.copy()
    return rolling_median(v, w, min_periods=1)


def median(a: np.ndarray) -> Any:
    """``np.median`` of a 1-D array, bit for bit, without its overhead on small float arrays.

    The same order statistics (``np.partition``), the same mean of the two middle values for an
    even count and the same NaN result; anything but a non-empty 1-D float64 array goes to
    ``np.median`` itself.
    """
    if type(a) is not np.ndarray or a.ndim != 1 or a.dtype != np.float64 or len(a) == 0:
        return np.median(a)
    n = len(a)
    h = n // 2
    # np.median takes np.mean of the middle value(s), whose sum starts from +0.0: the same
    # result bit for bit, including a -0.0 middle value coming out as +0.0
    if n % 2:
        part = np.partition(a, (h, n - 1))
        mid = part[h] + 0.0
    else:
        part = np.partition(a, (h - 1, h, n - 1))
        mid = (0.0 + part[h - 1] + part[h]) / 2
    return part[n - 1] if np.isnan(part[n - 1]) else mid


# Windows up to this many points get the exact rolling median. Longer ones (a 5 % window on a
# 100k-step log is 5,000 points) are computed on block medians of about 1/32 of the window and
# interpolated back: the same smoothing for the shape statistics, at a fraction of the cost.
EXACT_WINDOW = 129
# Up to this many window cells (points x window) the exact median is taken with numpy over a
# sliding window view (a few microseconds on a short log, where pandas' rolling machinery costs
# ~0.2 ms a call); longer logs use pandas' skiplist, which is O(n log w).
_NUMPY_CELLS = 1 << 18


def _exact_rolling_median(v: np.ndarray, w: int, min_periods: int | None) -> np.ndarray:
    """What ``pd.Series(v).rolling(w, center=True, min_periods=...).median()`` computes.

    Pandas' centered window at point i is ``v[i + 1 + off - w : i + 1 + off]`` clipped to the
    array, ``off = (w - 1) // 2``; it is NaN when it holds fewer than ``min_periods`` (default
    ``w``) points; its median is the middle order statistic, or the mean of the two middle ones.
    Finite input without -0.0 only (pandas reads inf as missing, and among equal zeros of both
    signs the two algorithms may pick a different one): the caller checks.
    """
    n = len(v)
    off = (w - 1) // 2
    h = w // 2
    out = np.full(n, np.nan)
    win = np.lib.stride_tricks.sliding_window_view(v, w)
    if w % 2:
        full = np.partition(win, h, axis=1)[:, h]
    else:
        part = np.partition(win, (h - 1, h), axis=1)
        full = (part[:, h - 1] + part[:, h]) / 2
    first = w - 1 - off  # the first point whose window is whole
    out[first : first + n - w + 1] = full
    need = w if min_periods is None else min_periods
    if need < w:  # the truncated windows at both ends
        for i in range(first):
            if i + 1 + off >= need:
                out[i] = median(v[: i + 1 + off])
        for i in range(first + n - w + 1, n):
            if n - (i + 1 + off - w) >= need:
                out[i] = median(v[i + 1 + off - w :])
    return out


@memoized
def rolling_median(v: np.ndarray, w: int, min_periods: int | None = None) -> np.ndarray:
    """Centered rolling median of a finite array, exact for small windows, blocked for large ones."""
    import pandas as pd

    n = len(v)
    if w <= EXACT_WINDOW or n < 4 * w // 32:
        if (
            1 <= w <= n
            and n * w <= _NUMPY_CELLS
            and v.dtype == np.float64
            and (min_periods is None or min_periods >= 1)
            and np.isfinite(v).all()
            and not (np.signbit(v) & (v == 0)).any()  # no -0.0: which zero is "the" median
        ):
            return _exact_rolling_median(v, w, min_periods)
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


@memoized
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
    return float(median(v[: window_len(len(v), frac, floor)]))


def first_evaluations(v: np.ndarray, frac: float = 0.1) -> float:
    """Level of a validation curve's first evaluations: ``head_level`` over at most 3 of them.

    Each evaluation already averages a whole held-out set, so a validation curve has little
    point-to-point noise to smooth; what a wide window does is reach into the learning itself. A
    300-epoch run on a small set learns in its first 30 epochs, exactly the 10 % a fractional
    window takes, and its "start" would then be its best. The median of 3 still outvotes a single
    odd evaluation.
    """
    return float(median(v[: min(window_len(len(v), frac, 1), 3)]))


def tail_level(v: np.ndarray, frac: float = 0.1, floor: int = 1) -> float:
    """Robust level of the last ``frac`` of the points."""
    return float(median(v[-window_len(len(v), frac, floor) :]))


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
    if isinstance(mask, np.ndarray) and mask.dtype == np.bool_ and mask.ndim == 1:
        # the first window of for_points points that are all True, from a running count
        if len(mask) < for_points:
            return None
        count = np.cumsum(mask, dtype=np.int64)
        full = count[for_points - 1 :] - np.r_[0, count[: len(mask) - for_points]]
        hits = np.flatnonzero(full == for_points)
        return int(hits[0]) if len(hits) else None
    run = 0
    for i, m in enumerate(mask):
        run = run + 1 if m else 0
        if run >= for_points:
            return i - for_points + 1
    return None


@functools.lru_cache(maxsize=16)
def upper_pairs(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.triu_indices(n, 1)``: the index pairs i < j of ``n`` points, row-major, read-only.

    Cached: building them costs more than using them, and one run asks for the same few sizes.
    """
    i, j = np.triu_indices(n, 1)
    i, j = i.astype(np.int32), j.astype(np.int32)
    i.flags.writeable = False
    j.flags.writeable = False
    return i, j


@memoized
def kendall_tau(v: np.ndarray) -> float:
    """Kendall's tau of the values against their order: -1 steadily falling, +1 rising."""
    n = len(v)
    if n < 3:
        return 0.0
    if n > 400:  # subsample: tau's sign and size are stable; O(n^2) is not
        v = v[np.linspace(0, n - 1, 400).astype(int)]
        n = 400
    # sign(v[j] - v[i]) over the pairs i < j, gathered directly rather than from an n x n matrix
    i, j = upper_pairs(n)
    return float(np.sign(v[j] - v[i]).sum() / len(i))


_ACCURACY_SIGNALS = ("train_acc", "val_acc")


def known_classifier(x: Inputs) -> bool:
    """Whether the run is known to be a classification: the config's task or class count, or an
    accuracy metric in the log (a regression logs no accuracy)."""
    n = x.config.get("n_classes")
    return (
        x.config.get("task") == "classification"
        or (isinstance(n, (int, float)) and n >= 2)
        or any(x.frame.has(name) for name in _ACCURACY_SIGNALS)
    )
