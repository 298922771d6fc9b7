"""Extra checks for the activation/gradient/init/capacity rules (scale-free pair statistics)."""

from __future__ import annotations

import math

import numpy as np

from nn_doctor.checks import Inputs, Outcome, check
from nn_doctor.checks._util import EPS, finite_values, window_len

_NUM = (int, float)


@check(
    "pair_ratio",
    kind="pair",
    measures=("ratio",),
    defaults={"window": "late", "frac": 0.3, "min": -math.inf, "max": math.inf},
    window=str,
    frac=_NUM,
    min=_NUM,
    max=_NUM,
)
def pair_ratio(x: Inputs, *, window: str, frac: float, min: float, max: float) -> Outcome | None:
    """|series| / |other|, each as its median over an early or late window, within [min, max].

    Scale-free: ``pred_std / target_std`` near 0 means the model outputs a constant whatever the
    units of the targets.
    """
    assert x.series is not None and x.other is not None
    if window not in ("early", "late", "all"):
        raise ValueError(f"window must be early, late or all, not {window!r}")
    sa, a = finite_values(x.series)
    _, b = finite_values(x.other)
    if len(a) < 2 or len(b) < 1:
        return None

    def med(v: np.ndarray) -> float:
        w = window_len(len(v), frac, 1)
        part = {"early": v[:w], "late": v[-w:], "all": v}[window]
        return float(np.median(np.abs(part)))

    ratio = med(a) / (med(b) if med(b) > EPS else EPS)
    w = window_len(len(a), frac, 1)
    step = int(sa[0] if window != "late" else sa[-w])
    return Outcome(min <= ratio <= max, step=step, value=ratio, measures={"ratio": ratio})


@check(
    "layer_count",
    kind="layers",
    measures=("count",),
    defaults={"min": -math.inf, "max": math.inf},
    min=_NUM,
    max=_NUM,
)
def layer_count(x: Inputs, *, min: float, max: float) -> Outcome | None:
    """How many layers of a per-layer family carry data, within [min, max] (a lower bound on depth)."""
    n = sum(1 for s in x.layers if len(finite_values(s)[1]) > 0)
    if n == 0:
        return None
    return Outcome(min <= n <= max, value=float(n), measures={"count": n})
