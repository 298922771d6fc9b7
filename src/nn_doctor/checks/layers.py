"""Checks over a family of per-layer series (``act_zero_frac/*``, ``grad_norm/*``), in model order."""

from __future__ import annotations

import math

import numpy as np

from nn_doctor.checks import Inputs, Outcome, check
from nn_doctor.checks._util import EPS, finite_values, window_len
from nn_doctor.layer_order import output_side

_NUM = (int, float)


def _window_medians(x: Inputs, window: str, frac: float) -> list[tuple[str, float, int]]:
    """(layer, median over the window, first step of the window) for each layer with data."""
    out = []
    for s in x.layers:
        steps, v = finite_values(s)
        if len(v) == 0:
            continue
        w = window_len(len(v), frac, 1)
        sel = {"early": slice(0, w), "late": slice(len(v) - w, None), "all": slice(None)}[window]
        out.append((str(s.name).split("/", 1)[-1], float(np.median(v[sel])), int(steps[sel][0])))
    return out


@check(
    "layer_level",
    kind="layers",
    measures=("layer", "layers"),
    defaults={
        "agg": "max",
        "window": "late",
        "frac": 0.3,
        "min": -math.inf,
        "max": math.inf,
        "hidden_only": False,
    },
    agg=str,
    window=str,
    frac=_NUM,
    min=_NUM,
    max=_NUM,
    hidden_only=bool,
)
def layer_level(
    x: Inputs,
    *,
    agg: str,
    window: str,
    frac: float,
    min: float,
    max: float,
    hidden_only: bool,
) -> Outcome | None:
    """The max/mean/median/min over layers of each layer's median in a window, within [min, max].

    ``hidden_only`` leaves out the layers whose names mark the output end (``out``, ``head``,
    ``out_act`` …): an output ReLU stuck at 0 or a saturated output sigmoid is the output
    activation's failure (wrong_output_activation), not a hidden layer's. A layer the name does
    not place is kept.
    """
    meds = _window_medians(x, window, frac)
    if hidden_only:
        meds = [m for m in meds if not output_side(m[0])]
    if not meds:
        return None
    values = np.array([m for _, m, _ in meds])
    pick = {"max": int(np.argmax(values)), "min": int(np.argmin(values))}.get(agg)
    if agg in ("mean", "median"):
        # the typical layer: a median is not carried by one layer out of line (a small output
        # head whose ratio runs ten times its neighbours')
        value = float(values.mean() if agg == "mean" else np.median(values))
        layer, step = "all layers", meds[0][2]
    elif pick is not None:
        layer, value, step = meds[pick]
    else:
        raise ValueError(f"agg must be max, mean, median or min, not {agg!r}")
    return Outcome(
        min <= value <= max,
        step=step,
        value=value,
        measures={"value": value, "layer": layer, "layers": len(meds)},
    )


@check(
    "first_last_ratio",
    kind="layers",
    measures=("ratio", "first", "last"),
    defaults={"window": "all", "frac": 0.3, "min": -math.inf, "max": math.inf},
    window=str,
    frac=_NUM,
    min=_NUM,
    max=_NUM,
)
def first_last_ratio(
    x: Inputs,
    *,
    window: str,
    frac: float,
    min: float,
    max: float,
) -> Outcome | None:
    """First layer's median over the last layer's (AUTOTRAINER: < 1e-3 vanishing, > 70 exploding).

    None where the last layer's value is zero: a ratio to nothing says nothing of how the signal
    changes through the layers (a dead ReLU output gives every layer a zero gradient, which is
    no gradient at all, not one that vanished on the way to the input).
    """
    meds = _window_medians(x, window, frac)
    if len(meds) < 2:
        return None
    first, last = meds[0][1], meds[-1][1]
    if abs(last) <= EPS:
        return None
    ratio = abs(first) / max_(abs(last), EPS)
    return Outcome(
        min <= ratio <= max,
        step=meds[0][2],
        value=ratio,
        measures={"ratio": ratio, "first": meds[0][0], "last": meds[-1][0]},
    )


def max_(a: float, b: float) -> float:
    """Plain max (the check's keyword ``max`` shadows the builtin)."""
    return a if a > b else b


@check(
    "layer_growth",
    kind="layers",
    measures=("factor", "layer"),
    defaults={"min_factor": 100.0, "for_points": 1},
    min_factor=_NUM,
    for_points=int,
)
def layer_growth(x: Inputs, *, min_factor: float, for_points: int) -> Outcome | None:
    """The largest growth of any layer's value from its first logged point to its maximum.

    The first point is floored at a tenth of the layer's median (rel_growth's floored minimum):
    a layer whose first gradient is near zero by construction (a zero-initialised head, a
    parameter nothing flows to before the first update) "grows" a thousandfold into its
    ordinary range; a runaway also leaves its own median far behind. ``for_points``: the
    maximum is the highest level held over that many consecutive points (a lone spike of one
    mini-batch is not a runaway).
    """
    best: tuple[float, str, int] | None = None
    for s in x.layers:
        steps, v = finite_values(s)
        if len(v) < max(2, for_points):
            continue
        a = np.abs(v)
        base = max(float(a[0]), 0.1 * float(np.median(a)), EPS)
        if for_points > 1:  # the level each run of for_points consecutive points stays above
            held = np.lib.stride_tricks.sliding_window_view(a, for_points).min(axis=1)
        else:
            held = a
        g = float(np.max(held) / base)
        i = int(np.argmax(held))
        if best is None or g > best[0]:
            best = (g, str(s.name).split("/", 1)[-1], int(steps[i]))
    if best is None:
        return None
    return Outcome(
        best[0] >= min_factor,
        step=best[2],
        value=best[0],
        measures={"factor": best[0], "layer": best[1]},
    )


@check(
    "layer_change",
    kind="layers",
    measures=("ratio", "layer", "layers"),
    defaults={"agg": "min", "frac": 0.2, "min": -math.inf, "max": math.inf, "hidden_only": False},
    agg=str,
    frac=_NUM,
    min=_NUM,
    max=_NUM,
    hidden_only=bool,
)
def layer_change(
    x: Inputs, *, agg: str, frac: float, min: float, max: float, hidden_only: bool
) -> Outcome | None:
    """Per layer, the late median over the early median; the smallest (or largest) within [min, max].

    Scale-free: a layer whose gradient norm fell 1000x from its own early level has stopped
    learning, whatever the absolute size of its gradients.
    """
    changes: list[tuple[float, str, int]] = []
    series = x.layers[:-1] if hidden_only and len(x.layers) > 1 else x.layers
    for s in series:
        steps, v = finite_values(s)
        if len(v) < 4:
            continue
        w = window_len(len(v), frac, 1)
        early, late = float(np.median(np.abs(v[:w]))), float(np.median(np.abs(v[-w:])))
        if early <= EPS:
            continue  # no early level to compare with
        changes.append((late / early, str(s.name).split("/", 1)[-1], int(steps[-w])))
    if not changes:
        return None
    if agg not in ("min", "max"):
        raise ValueError(f"agg must be min or max, not {agg!r}")
    pick = (min_ if agg == "min" else max_pair)(changes)
    ratio, layer, step = pick
    return Outcome(
        min <= ratio <= max,
        step=step,
        value=ratio,
        measures={"ratio": ratio, "layer": layer, "layers": len(changes)},
    )


def min_(items: list[tuple[float, str, int]]) -> tuple[float, str, int]:
    """The item with the smallest ratio (the check's keyword ``min`` shadows the builtin)."""
    return sorted(items, key=lambda t: t[0])[0]


def max_pair(items: list[tuple[float, str, int]]) -> tuple[float, str, int]:
    """The item with the largest ratio."""
    return sorted(items, key=lambda t: t[0])[-1]
