"""Histogram summaries reduced to scalars: ``<tag>:mean|std|min|max|norm|count|zero_frac``.

Rules read distributions as a few numbers per step (a weight norm that explodes, a ReLU layer
whose activations are all zero), so each ``HistogramProto`` (PyTorch, tensorboardX, TF1) or TF2
``[k, 3]`` bucket tensor becomes :data:`HISTOGRAM_STATS` records. Kept apart from decoding so
the reduction rule is tested on its own (:func:`zero_fraction` is the subtle one).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

#: Histogram reductions, in the order they are emitted per histogram.
HISTOGRAM_STATS = ("mean", "std", "min", "max", "norm", "count", "zero_frac")

# float32 machine epsilon (2**-23): the relative precision most networks compute in.
_FLOAT32_EPS = 2.0**-23


def histogram_stats(
    num: float,
    total: float,
    sum_squares: float,
    lo: float,
    hi: float,
    lefts: Iterable[float],
    rights: Iterable[float],
    counts: Iterable[float],
) -> list[tuple[str, float]]:
    """Per-histogram summaries: ``(stat, value)`` pairs from :data:`HISTOGRAM_STATS`.

    ``mean``, ``std`` (population, as ``numpy.std``), ``norm`` (sqrt of the sum of squares) come
    from the writer's exact sums; ``min``/``max`` are the data's extremes. An empty histogram
    yields only ``count = 0``. Non-finite sums (a NaN in the tensor) give non-finite stats: that
    is what was logged, not missing data. ``zero_frac`` follows :func:`zero_fraction` and is left
    out when it cannot be known.
    """
    if not num > 0:
        return [("count", float(num) if math.isfinite(num) else 0.0)]
    mean = total / num
    var = sum_squares / num - mean * mean
    if var < 0:  # float cancellation on a constant tensor
        var = 0.0
    out = [
        ("mean", mean),
        ("std", _sqrt(var)),
        ("min", lo),
        ("max", hi),
        ("norm", _sqrt(sum_squares)),
        ("count", float(num)),
    ]
    zf = zero_fraction(num, lo, hi, lefts, rights, counts)
    if zf is not None:
        out.append(("zero_frac", zf))
    return out


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0 else (x if math.isnan(x) else math.nan)


def zero_fraction(
    num: float,
    lo: float,
    hi: float,
    lefts: Iterable[float],
    rights: Iterable[float],
    counts: Iterable[float],
) -> float | None:
    """Fraction of exact zeros, when the histogram's buckets make it knowable; else ``None``.

    The rule:

    * ``min > 0`` or ``max < 0``: no zeros (0.0); ``min == max == 0``: all zeros (1.0).
    * Otherwise take the bucket that holds 0. Buckets are left-closed ``[left, right)``, as both
      writers build them (``numpy.histogram`` in PyTorch/tensorboardX, ``upper_bound`` in TF's
      C++ ``Histogram``), so with a bucket edge at 0 the zeros are in the bucket *starting* at 0.
      Clip the bucket to the data's ``[min, max]``; if what is left lies within
      ``±max(|min|, |max|) * 2**-23`` (float32's relative precision), every value it counts is zero
      at the precision the network computed in, and its count over ``num`` is the zero fraction.
      The default ``"tensorflow"`` bins of PyTorch/tensorboardX have edges at 0 and ±1e-12, so a
      ReLU output's zeros are counted exactly. Wide buckets (TF2's 30 equal-width buckets, or
      ``max_bins`` compression) give ``None``: the fraction cannot be known from them.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or not num > 0:
        return None
    if lo > 0 or hi < 0:
        return 0.0
    if lo == 0 and hi == 0:
        return 1.0
    tol = max(abs(lo), abs(hi)) * _FLOAT32_EPS
    for left, right, count in zip(lefts, rights, counts, strict=False):
        if left <= 0 < right:
            inside_lo, inside_hi = max(left, lo), min(right, hi)
            if inside_lo >= -tol and inside_hi <= tol:
                return min(float(count) / float(num), 1.0)
            return None
    return None


def histo_proto_stats(h: Any) -> list[tuple[str, float]]:
    """Stats of a ``HistogramProto`` (PyTorch, tensorboardX, TF1).

    Only the bucket holding 0 matters to :func:`zero_fraction`, and ``bucket_limit`` (the right
    edges) is sorted as every writer builds it, so that bucket is found by bisection instead of
    a Python walk over hundreds of buckets (thousands of histograms per run). The bisection's
    answer is checked to be the one the walk would give, and the walk runs when it is not.
    """
    num, lo, hi = h.num, h.min, h.max
    rights = h.bucket_limit
    k = _zero_bucket(rights)
    if k is None:  # unsorted edges: the general walk over every bucket
        lefts = [-math.inf, *rights[:-1]]
        return histogram_stats(num, h.sum, h.sum_squares, lo, hi, lefts, rights, h.bucket)
    left = -math.inf if k == 0 else rights[k - 1]
    return histogram_stats(
        num, h.sum, h.sum_squares, lo, hi, [left], rights[k : k + 1], h.bucket[k : k + 1]
    )


def _zero_bucket(rights: Any) -> int | None:
    """The first ``k`` with ``rights[k-1] <= 0 < rights[k]``, when bisection can prove it.

    Bisection assumes sorted edges; its answer ``k`` is then verified exactly (every earlier
    edge is <= 0, so no earlier bucket can hold 0), with C-level ``max`` instead of a Python
    loop. ``None`` means "not proven": the caller walks the buckets as the general rule does.
    """
    n = len(rights)
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi) // 2
        if rights[mid] > 0:
            hi = mid
        else:
            lo = mid + 1
    # ``not (max <= 0)`` rather than ``max > 0``: a NaN first edge makes ``max`` NaN.
    if lo == n or (lo and not max(rights[:lo]) <= 0):
        return None
    return lo


def tf2_histogram_stats(buckets: Any) -> list[tuple[str, float]] | None:
    """Stats of a TF2 ``[k, 3]`` (left, right, count) histogram tensor.

    TF2 keeps no sums, so ``mean``/``std``/``norm`` are estimated by treating each bucket as
    uniform over its width (mid-points plus the width²/12 variance term); ``min``/``max`` are the
    outer edges of the non-empty buckets, which TF2 places at the data's extremes.
    """
    import numpy as np

    if buckets.ndim != 2 or buckets.shape[1] != 3:
        return None
    left, right, count = buckets[:, 0], buckets[:, 1], buckets[:, 2]
    num = float(count.sum())
    if not num > 0:
        return [("count", 0.0)]
    nz = np.flatnonzero(count > 0)
    lo, hi = float(left[nz[0]]), float(right[nz[-1]])
    mid = (left + right) / 2.0
    width = right - left
    total = float((count * mid).sum())
    sum_squares = float((count * (mid * mid + width * width / 12.0)).sum())
    # TF2 buckets are closed at the last right edge; a lone [v, v] bucket holds only v.
    rights = right.copy()
    rights[-1] = np.nextafter(rights[-1], np.inf)
    return histogram_stats(num, total, sum_squares, lo, hi, left, rights, count)
