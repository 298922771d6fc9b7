"""Checks over the run's config facts and the frame's shape (cadence, steps per epoch)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nn_doctor.checks import Inputs, Outcome, check
from nn_doctor.checks._util import finite_prefix, improvement
from nn_doctor.frame import config_steps_per_epoch

_NUM = (int, float)


#: The usual learning rate per optimizer (the defaults of torch/Keras and the common choices
#: for SGD), matched as a substring of the config's optimizer name, first entry first (nadam,
#: radam -> adam; adamax before adam); ``default`` for an optimizer not listed. The one table
#: every rate check reads. Adadelta's 1.0 is torch's default and PyTorch's MNIST example (read
#: against 0.01 it made that example "100x too high"); Lion runs 3-10x below Adam.
USUAL_LR: dict[str, float] = {
    "adadelta": 1.0,
    "lbfgs": 1.0,
    "lion": 1e-4,
    "adamax": 0.002,
    "adam": 0.001,
    "adamw": 0.001,
    "rmsprop": 0.001,
    "adagrad": 0.01,
    "sgd": 0.05,
    "default": 0.01,
}

#: Optimizers left out of the band a run that names no optimizer is read against: it is most
#: likely on a common one, and these sit decades outside that band (every unnamed rate would
#: read "unknown" if Adadelta's 1.0 and Lion's 1e-4 widened it).
RARE_OPTIMIZERS = frozenset({"adadelta", "lbfgs", "lion"})


@check("config_is", kind="config", measures=("key",), defaults={}, key=str, values=list)
def config_is(x: Inputs, *, key: str, values: list[Any]) -> Outcome | None:
    """Whether a config fact is one of ``values`` (unknown when the run does not say)."""
    if key not in x.config:
        return None
    v = x.config[key]
    norm = {str(a).lower() for a in values}
    return Outcome(str(v).lower() in norm, measures={"value": v, "key": key})


@check(
    "config_range",
    kind="config",
    measures=("key",),
    defaults={"min": -math.inf, "max": math.inf},
    key=str,
    min=_NUM,
    max=_NUM,
)
def config_range(x: Inputs, *, key: str, min: float, max: float) -> Outcome | None:
    """Whether a numeric config fact lies within [min, max]; lists (hidden_units) use their smallest."""
    v = x.config.get(key)
    if isinstance(v, list) and v:
        v = min_(v)
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return None
    return Outcome(min <= float(v) <= max, value=float(v), measures={"value": v, "key": key})


def _widths(config: dict[str, Any]) -> list[int]:
    """The config's hidden widths (one stated width, or a list), positive counts only."""
    units = config.get("hidden_units")
    widths = units if isinstance(units, list) else [units]
    return [
        int(w) for w in widths if isinstance(w, (int, float)) and not isinstance(w, bool) and w > 0
    ]


@check(
    "init_scale",
    kind="config",
    measures=("value", "std", "bar", "width"),
    defaults={"schemes": []},
    side=str,
    factor=_NUM,
    absolute=_NUM,
    schemes=list,
)
def init_scale(
    x: Inputs, *, side: str, factor: float, absolute: float, schemes: list[str]
) -> Outcome | None:
    """Whether a random init's stated spread is ``large`` or ``tiny`` for the layers' width.

    A layer of fan-in n keeps its signal's scale when its weights have std about 1/sqrt(n)
    (LeCun; He's sqrt(2/n) for ReLU): ``factor`` times that is the bar, with n the config's
    median hidden width, and ``absolute`` the bar when the config states no width. With no
    spread stated (``init: normal``), ``side: large`` falls back to the scheme's name being one
    of ``schemes`` (an unscaled normal or uniform draws std 1 by default) and ``side: tiny`` is
    unknown.
    """
    if side not in ("large", "tiny"):
        raise ValueError(f"init_scale: side must be 'large' or 'tiny', got {side!r}")
    std = x.config.get("init_std")
    scheme = x.config.get("init")
    if not isinstance(std, (int, float)) or isinstance(std, bool) or not math.isfinite(std):
        if side == "large" and scheme is not None and schemes:
            named = str(scheme).lower() in {s.lower() for s in schemes}
            return Outcome(named, measures={"value": scheme, "std": math.nan, "bar": math.nan,
                                            "width": 0})  # fmt: skip
        return None
    widths = _widths(x.config)
    width = int(np.median(widths)) if widths else 0
    bar = factor / math.sqrt(width) if width else absolute
    matched = std >= bar if side == "large" else std <= bar
    desc = f"{scheme or 'random'} with std {std:.3g}"
    return Outcome(matched, value=float(std),
                   measures={"value": desc, "std": float(std), "bar": bar, "width": width})  # fmt: skip


#: Hidden activations that pass about half of a layer's variance (a ReLU zeroes half its
#: inputs; its smooth kin nearly so): a layer keeps its signal's scale at He's std sqrt(2/n)
#: after them, at LeCun's 1/sqrt(n) after the rest (tanh, SELU, linear).
HALVING_ACTIVATIONS = (
    "relu",
    "relu6",
    "leaky_relu",
    "prelu",
    "elu",
    "gelu",
    "silu",
    "swish",
    "mish",
)  # fmt: skip
#: Bounded activations: a too-wide init saturates them (tanh(3) is 0.995) instead of growing the
#: signal, which starves the gradients (vanishing_gradients' reading), so no gain is read.
SATURATING_ACTIVATIONS = ("tanh", "sigmoid", "hardtanh", "softsign", "hardsigmoid")


@check(
    "init_gain",
    kind="config",
    measures=("gain", "per_layer", "depth", "std", "keep", "width"),
    defaults={"min_gain": 10.0},
    min_gain=_NUM,
)
def init_gain(x: Inputs, *, min_gain: float) -> Outcome | None:
    """How many times a stated init scales the signal up through the hidden stack at step 0.

    Each hidden layer multiplies the scale of what passes through it by ``std / keep``, where
    ``keep`` is the std that holds it constant: He's sqrt(2/n) after a ReLU-family activation,
    LeCun's 1/sqrt(n) after the others, n the median hidden width (Glorot & Bengio 2010; He et
    al. 2015). Over ``depth`` layers the output starts ``(std / keep) ** depth`` times the
    input's scale, and the gradients grow the same way backwards: an init 1.5x too wide is
    harmless in two layers and a hundredfold in twelve. Matched at ``min_gain`` or more.
    Unknown unless the config states the init's std, the widths and the depth (derived from a
    list of widths when read), and for a saturating activation (tanh, sigmoid: a wide init
    saturates them, it does not grow the signal). An unstated activation is taken as ReLU, the
    default of most code.
    Widths read as units: a conv layer's fan-in is channels x kernel area, so its gain is
    underestimated, never overstated. A 12-layer ReLU MLP of width 48 at std 0.3 reads 101x;
    measured on its first forward pass, 150x.
    """
    std = x.config.get("init_std")
    widths = _widths(x.config)
    depth = x.config.get("depth")  # runconfig derives it from a list of widths
    if not isinstance(std, (int, float)) or not math.isfinite(std) or std <= 0:
        return None
    if not widths or not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        return None
    width = int(np.median(widths))
    act = str(x.config.get("hidden_activation", "relu")).lower()
    if any(act.startswith(a) for a in SATURATING_ACTIVATIONS):
        return None
    halving = any(act.startswith(a) for a in HALVING_ACTIVATIONS)
    keep = math.sqrt((2.0 if halving else 1.0) / width)
    per_layer = float(std) / keep
    gain = per_layer**depth
    return Outcome(
        gain >= min_gain,
        value=gain,
        measures={"gain": gain, "per_layer": per_layer, "depth": depth, "std": float(std),
                  "keep": keep, "width": width},
    )  # fmt: skip


#: Optimizers whose weight decay is decoupled from the gradient (Loshchilov & Hutter 2019):
#: the weights shrink by lr x decay per step, so the usual values are far larger than an L2
#: penalty's (GPT-2/3, LLaMA and nanoGPT train AdamW at 0.1; SGD's L2 is 5e-4). Matched as a
#: substring of the optimizer's name (adamw_torch, paged_adamw_8bit, FusedLAMB).
DECOUPLED_DECAY = ("adamw", "lion", "lamb", "adafactor", "sgdw")


@check(
    "weight_decay_strong",
    kind="config",
    measures=("value", "bar", "optimizer", "key"),
    defaults={"min": 0.1, "decoupled_min": 0.3},
    min=_NUM,
    decoupled_min=_NUM,
)
def weight_decay_strong(x: Inputs, *, min: float, decoupled_min: float) -> Outcome | None:
    """Weight decay at or above the bar for its kind: ``min`` for an L2 penalty (SGD, Adam),
    ``decoupled_min`` for decoupled decay (AdamW and kin, :data:`DECOUPLED_DECAY`).

    With no optimizer named, a value between the two bars is unknown (AdamW's 0.1 for a
    transformer is the usual setting, SGD's 0.1 is 200x its usual one), as lr_vs_typical
    answers only where every optimizer agrees.
    """
    v = x.config.get("weight_decay")
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return None
    opt = str(x.config.get("optimizer", "")).lower()
    if not opt and min <= float(v) < decoupled_min:
        return None
    bar = decoupled_min if any(k in opt for k in DECOUPLED_DECAY) else min
    return Outcome(
        float(v) >= bar,
        value=float(v),
        measures={"value": v, "bar": bar, "optimizer": opt or "unknown", "key": "weight_decay"},
    )


@check(
    "optimizer_kind",
    kind="config",
    measures=("optimizer",),
    defaults={},
    kinds=list,
)
def optimizer_kind(x: Inputs, *, kinds: list[str]) -> Outcome | None:
    """Whether the config's optimizer is of one of ``kinds``, matched as a substring of its
    name (``adam`` covers AdamW, NAdam, ``adamw_torch``); unknown when no optimizer is named."""
    opt = str(x.config.get("optimizer", "")).lower()
    if not opt:
        return None
    return Outcome(any(str(k).lower() in opt for k in kinds), measures={"optimizer": opt})


_PICKS = ("min", "last", "first")


def _picked(v: Any, pick: str) -> Any:
    """One number from a list fact (hidden_units per layer) as ``pick`` says; others as given."""
    if not isinstance(v, list):
        return v
    if not v:
        return math.nan
    if pick == "last":
        return v[-1]
    return v[0] if pick == "first" else min_(v)


def min_(values: list[Any]) -> float:
    """Smallest numeric item (the check's keyword ``min`` shadows the builtin)."""
    nums = [float(v) for v in values if isinstance(v, (int, float))]
    return sorted(nums)[0] if nums else math.nan


@check(
    "config_ratio",
    kind="config",
    measures=("ratio", "num", "den"),
    defaults={"min": -math.inf, "max": math.inf, "pick": "min", "task": "any"},
    numerator=str,
    denominator=str,
    min=_NUM,
    max=_NUM,
    pick=str,
    task=str,
)
def config_ratio(
    x: Inputs, *, numerator: str, denominator: str, min: float, max: float, pick: str, task: str
) -> Outcome | None:
    """Ratio of two numeric config facts (batch_size / n_train), within [min, max].

    A list fact (hidden_units per layer) contributes its smallest item, with ``pick: last`` its
    last one (the layer that feeds the output), with ``pick: first`` its first (the layer that
    reads the inputs). ``task``: a rule of thumb that holds for one task only (width against
    inputs is regression's: 784 pixels are no reason for 784 units); not matched on the other
    task, unknown when the config does not say. Measures: ``ratio``, ``num``, ``den``, and the
    two facts under their own names.
    """
    if pick not in _PICKS:
        raise ValueError(f"pick must be one of {', '.join(_PICKS)}, not {pick!r}")
    if task != "any":
        if "task" not in x.config:
            return None
        if str(x.config["task"]).lower() != task:
            return Outcome(False)
    a, b = _picked(x.config.get(numerator), pick), _picked(x.config.get(denominator), pick)
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or b == 0:
        return None
    r = float(a) / float(b)
    return Outcome(
        min <= r <= max,
        value=r,
        measures={"ratio": r, "num": a, "den": b, numerator: a, denominator: b},
    )


@check(
    "lr_vs_typical",
    kind="config",
    measures=("factor", "lr", "typical", "optimizer"),
    defaults={"typical": USUAL_LR, "min_factor": 0.0, "max_factor": math.inf},
    typical=dict,
    min_factor=_NUM,
    max_factor=_NUM,
)
def lr_vs_typical(
    x: Inputs, *, typical: dict[str, float], min_factor: float, max_factor: float
) -> Outcome | None:
    """The rate used over the usual one for its optimizer (``typical``: optimizer → lr, USUAL_LR).

    With no optimizer in the config the usual rates span 50x (Adam 1e-3, SGD 0.05), so the
    answer is given only where every optimizer agrees: matched when the rate is out of bounds
    against each usual one, not matched when it is inside against each, unknown in between
    (Adam's 1e-3 is not "a tenth of the usual rate" because the optimizer went unlogged, nor is
    0.01 "not large"). ``factor`` is then read against the usual rate the bound is about.
    """
    lr = _rate_used(x)
    if lr is None:
        return None
    named = {k: float(v) for k, v in typical.items() if k != "default" and v}
    common = [v for k, v in named.items() if k not in RARE_OPTIMIZERS]
    if "optimizer" not in x.config and common:
        lo, hi = lr / max(common), lr / min(common)  # smallest, largest factor
        if min_factor <= lo and hi <= max_factor:
            matched = True
        elif hi < min_factor or lo > max_factor:
            matched = False
        else:
            return None
        base = min(common) if max_factor < math.inf else max(common)
        factor = lr / base
        return Outcome(
            matched,
            value=factor,
            measures={"factor": factor, "lr": lr, "typical": base, "optimizer": "unknown"},
        )
    opt = str(x.config.get("optimizer", "default")).lower()
    base = next((v for k, v in named.items() if k in opt), None)
    if base is None:
        base = float(typical.get("default", 0) or 0)
    if base <= 0:
        return None
    factor = float(lr) / base
    return Outcome(
        factor >= min_factor and factor <= max_factor,
        value=factor,
        measures={"factor": factor, "lr": lr, "typical": base, "optimizer": opt},
    )


@check(
    "clipped_at_high_lr",
    kind="config",
    measures=("clip", "factor", "lr", "typical", "optimizer", "acting"),
    defaults={"typical": USUAL_LR, "min_factor": 10.0, "min_acting": 0.0},
    typical=dict,
    min_factor=_NUM,
    min_acting=_NUM,
)
def clipped_at_high_lr(
    x: Inputs, *, typical: dict[str, float], min_factor: float, min_acting: float
) -> Outcome | None:
    """Gradient clipping configured with a rate ``min_factor`` x the usual one or more.

    The catalog's config signature of a clip that masks the rate: clipping alone is the outlier
    guard every RNN practitioner sets, and a large rate alone is lr_too_high's question. Not
    matched when the config turns clipping off; unknown when it gives no clip or no readable
    rate (the rate is read as in :func:`lr_vs_typical`).

    Where the pre-clip gradient norm is logged, the clip must also reach it on ``min_acting``
    of the steps: the run's own numbers answer what the config only suggests (a clip the norm
    seldom reaches masks nothing, whatever the rate).
    """
    clip = x.config.get("grad_clip")
    if not isinstance(clip, (int, float)) or isinstance(clip, bool):
        return None
    if clip <= 0:
        return Outcome(False, measures={"clip": clip})
    rate = lr_vs_typical(x, typical=typical, min_factor=min_factor, max_factor=math.inf)
    if rate is None:
        return None
    measures = {"clip": float(clip), **rate.measures}
    if min_acting > 0 and x.frame.has("grad_norm"):
        acting = _share_at_clip(x.frame.series("grad_norm"), clip)
        if acting is not None:
            measures["acting"] = acting
            if acting < min_acting:
                return Outcome(False, value=rate.value, measures=measures)
    return Outcome(rate.matched, value=rate.value, measures=measures)


def _share_at_clip(norms: Any, clip: float, tolerance: float = 0.0) -> float | None:
    """Share of the logged (finite) pre-clip norms at or above the clip; None under 3 of them."""
    v = np.asarray(norms, dtype=float)
    v = v[np.isfinite(v)]
    return float(np.mean(v >= clip * (1 - tolerance))) if len(v) >= 3 else None


@check(
    "stalled_at_small_lr",
    kind="series",
    measures=("factor", "lr", "typical", "optimizer", "improvement", "effective_steps"),
    defaults={
        "typical": USUAL_LR,
        "max_factor": 0.1,
        "min_improvement": -0.05,
        "max_improvement": 0.1,
        "max_effective_steps": 100.0,
    },
    typical=dict,
    max_factor=_NUM,
    min_improvement=_NUM,
    max_improvement=_NUM,
    max_effective_steps=_NUM,
)
def stalled_at_small_lr(
    x: Inputs,
    *,
    typical: dict[str, float],
    max_factor: float,
    min_improvement: float,
    max_improvement: float,
    max_effective_steps: float,
) -> Outcome | None:
    """The loss barely moved, at a small rate, over a run worth few steps at the usual rate.

    Barely moved: lost under ``max_improvement`` of its start and rose no more than
    ``-min_improvement`` (small steps do not push a loss up). Small rate: under ``max_factor`` x
    the usual one (read as in :func:`lr_vs_typical`). Few steps: the summed rate is worth at most
    ``max_effective_steps`` steps at the usual rate.

    A loss that hardly moves is by itself no evidence of the rate (dead units, a zero init, a
    vanishing signal look the same), and a small rate is by itself no failure: a fine-tune
    starts near its final loss and runs small steps for a long time (a real t5 run: 215k steps
    at 5e-5, worth thousands of usual steps). The summed rate tells them apart: 1,000 steps at
    a hundredth of the usual rate are worth ten usual steps, too few to get anywhere. Unknown
    without a rate, with fewer than 8 finite loss points, or on a per-epoch log whose steps
    per epoch the config does not give.
    """
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    if len(v) < 8:
        return None
    read = _rate_and_usual_steps(x, steps, typical, min_factor=0.0, max_factor=max_factor)
    if read is None:
        return None
    rate, effective = read
    imp = improvement(v)
    return Outcome(
        bool(rate.matched)
        and min_improvement <= imp <= max_improvement
        and effective <= max_effective_steps,
        value=imp,
        measures={**rate.measures, "improvement": imp, "effective_steps": effective},
    )


@check(
    "few_usual_steps",
    kind="series",
    measures=("factor", "lr", "typical", "optimizer", "effective_steps"),
    defaults={"typical": USUAL_LR, "min_factor": 0.1, "max_effective_steps": 100.0},
    typical=dict,
    min_factor=_NUM,
    max_effective_steps=_NUM,
)
def few_usual_steps(
    x: Inputs, *, typical: dict[str, float], min_factor: float, max_effective_steps: float
) -> Outcome | None:
    """The whole run is worth at most ``max_effective_steps`` steps at the usual rate.

    Measured by its summed learning rate, at a rate of ``min_factor`` x the usual one or more
    (a smaller rate is lr_too_low's question).

    A network trained from scratch needs hundreds of ordinary steps to get anywhere (the zoo's
    healthy runs cover 140 and up); a run of a few dozen was stopped before it could learn,
    whatever its loss looks like. Unknown without a rate, or on a per-epoch log whose steps per
    epoch the config does not give (the rate is read as in :func:`lr_vs_typical`).
    """
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    if len(v) < 2:
        return None
    read = _rate_and_usual_steps(x, steps, typical, min_factor=min_factor, max_factor=math.inf)
    if read is None:
        return None
    rate, effective = read
    return Outcome(
        bool(rate.matched) and effective <= max_effective_steps,
        value=effective,
        measures={**rate.measures, "effective_steps": effective},
    )


def _rate_and_usual_steps(
    x: Inputs, steps: np.ndarray, typical: dict[str, float], min_factor: float, max_factor: float
) -> tuple[Outcome, float] | None:
    """The rate read against the usual one (:func:`lr_vs_typical`) and what the whole run is
    worth in steps at that usual rate; None when either cannot be told."""
    rate = lr_vs_typical(x, typical=typical, min_factor=min_factor, max_factor=max_factor)
    if rate is None:
        return None
    effective = _usual_steps(x, steps, rate.measures["typical"])
    return None if effective is None else (rate, effective)


def _usual_steps(x: Inputs, steps: np.ndarray, usual: float) -> float | None:
    """How many steps at the ``usual`` rate the run's summed learning rate is worth.

    Optimizer steps are the span of the loss's axis plus one logging interval (times the
    config's steps per epoch on a per-epoch log); the rate is the logged one averaged over the
    steps it was logged at (schedules included), else the configured one.
    """
    per_unit = config_steps_per_epoch(x.config) if x.frame.axis == "epoch" else 1.0
    if per_unit is None:
        return None
    span = float(steps[-1] - steps[0]) + float(np.median(np.diff(steps)))
    mean_lr = None
    if x.frame.has("lr"):
        lr = x.frame.series("lr").dropna()
        lr = lr[lr > 0]
        at = lr.index.to_numpy(dtype=float)
        if len(lr) >= 2 and at[-1] > at[0]:
            rate = lr.to_numpy(dtype=float)  # trapezoid rule (np.trapezoid is numpy 2 only)
            mean_lr = float(np.sum((rate[1:] + rate[:-1]) / 2 * np.diff(at)) / (at[-1] - at[0]))
        elif len(lr):
            mean_lr = float(lr.iloc[0])
    if mean_lr is None:
        configured = x.config.get("lr")
        if not isinstance(configured, (int, float)) or configured <= 0:
            return None
        mean_lr = float(configured)
    return span * per_unit * mean_lr / usual


def _rate_used(x: Inputs) -> float | None:
    """The peak of the logged learning rate, else the configured one (None if neither is usable).

    The logged rate is what the optimizer actually used: a scheduler or a wrapper can leave it
    far from the config's value (a real Lightning log configured at 3e-4 ran at 6e-8), and
    under warm-up or decay the peak is the rate the run was set to.
    """
    if x.frame.has("lr"):
        v = x.frame.series("lr").to_numpy(dtype=float)
        v = v[np.isfinite(v) & (v > 0)]
        if len(v):
            return float(v.max())
    lr = x.config.get("lr")
    return float(lr) if isinstance(lr, (int, float)) and lr > 0 else None


@check(
    "steps_per_epoch",
    kind="frame",
    measures=("steps_per_epoch",),
    defaults={"min": -math.inf, "max": math.inf},
    min=_NUM,
    max=_NUM,
)
def steps_per_epoch(x: Inputs, *, min: float, max: float) -> Outcome | None:
    """Optimizer steps per epoch (from a logged epoch counter or n_train / batch_size)."""
    spe = x.frame.steps_per_epoch if x.frame.axis != "epoch" else None
    if spe is None:
        spe = config_steps_per_epoch(x.config)
    if spe is None:
        return None
    return Outcome(min <= spe <= max, value=float(spe), measures={"steps_per_epoch": spe})


@check(
    "clip_pinned",
    kind="series",
    measures=("frac", "clip", "median_ratio"),
    defaults={"min_frac": 0.5, "max_frac": 1.0, "tolerance": 0.0},
    min_frac=_NUM,
    max_frac=_NUM,
    tolerance=_NUM,
)
def clip_pinned(x: Inputs, *, min_frac: float, max_frac: float, tolerance: float) -> Outcome | None:
    """Fraction of steps whose pre-clip gradient norm is at or above the configured clip value.

    Matched when it lies in [``min_frac``, ``max_frac``]: the default reads "clipping acts on
    most steps"; ``max_frac`` alone reads the reverse, a clip that seldom acts (an outlier guard).
    """
    clip = x.config.get("grad_clip")
    assert x.series is not None
    if not isinstance(clip, (int, float)) or clip <= 0:
        return None
    frac = _share_at_clip(x.series, clip, tolerance)
    if frac is None:
        return None
    v = x.series.to_numpy(dtype=float)
    ratio = float(np.median(v[np.isfinite(v)]) / clip)
    return Outcome(
        min_frac <= frac <= max_frac,
        step=int(x.series.index[0]),
        value=frac,
        measures={"frac": frac, "clip": clip, "median_ratio": ratio},
    )


def _norm(v: Any) -> str:
    """Compare config values as text: booleans as true/false, numbers as floats, text lower-case."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(float(v))
    return str(v).strip().lower()


@check(
    "config_match",
    kind="config",
    measures=("facts",),
    defaults={"optional": []},
    conditions=dict,
    optional=list,
)
def config_match(x: Inputs, *, conditions: dict[str, Any], optional: list[str]) -> Outcome | None:
    """Whether every listed config fact holds: a list of allowed values, or ``{min, max}``.

    Unknown when a needed fact is missing (keys in ``optional`` may be missing), and not matched
    as soon as one known fact fails: an AND of facts, so a rule can say "regression with a ReLU
    output" or "10+ layers without normalization" in one item.
    """
    seen: dict[str, Any] = {}
    failed = missing = False
    for key, want in conditions.items():
        if key not in x.config:
            missing = missing or key not in optional
            continue
        v = x.config[key]
        seen[key] = v
        if isinstance(want, dict):
            num = min_(v) if isinstance(v, list) else v
            ok = (
                isinstance(num, (int, float))
                and not isinstance(num, bool)
                and float(want.get("min", -math.inf))
                <= float(num)
                <= float(want.get("max", math.inf))
            )
        else:
            wanted = want if isinstance(want, list) else [want]
            ok = _norm(v) in {_norm(a) for a in wanted}
        failed = failed or not ok
    if failed:
        return Outcome(False, measures={"facts": _facts(seen)})
    if missing:
        return None
    return Outcome(True, measures={"facts": _facts(seen)})


def _facts(seen: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in seen.items())
