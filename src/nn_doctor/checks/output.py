"""Checks on what the output layer can express and how wide it starts, read from the loss.

A squashing activation on a classifier's logits (sigmoid, tanh, a second softmax) bounds them to
an interval of width ``w`` (1 for sigmoid/softmax, 2 for tanh). Cross-entropy over ``K`` classes
then cannot go below ``log(1 + (K - 1) * exp(-w))`` even on a perfectly classified sample, so
the training loss flattens onto that exact value and never dips below it. The floor is a
property of the loss function, not of the data, which makes it one of the few causes a
loss-only log can prove: 0.313 for a binary sigmoid-capped head, 0.127 for tanh, 1.461 and 0.797
for ten classes.

The same chance level, ``log K``, says how wide the logits start: a classifier's first loss sits
near it, so one far above it means logits blown up before any learning (``start_beyond_chance``);
and outputs pressed into [0, 1] or [-1, 1] are squashed logits (``logits_within_bound``).
"""

from __future__ import annotations

import math

import numpy as np

from nn_doctor.checks import Inputs, Outcome, check
from nn_doctor.checks._util import (
    finite_prefix,
    head_level,
    known_classifier,
    tail_level,
    window_len,
)
from nn_doctor.checks.series import level

_NUM = (int, float)

#: logit interval width -> the activations that produce it
_CAPS = {1.0: "sigmoid or a second softmax", 2.0: "tanh"}


def _classifier_loss(
    x: Inputs, *, min_finite: int = 8
) -> tuple[np.ndarray, np.ndarray, int | None] | None:
    """The finite loss (steps, values) and the config's class count, or None.

    None for a run the config calls something other than classification, and for a log of
    under 8 points: too short to say where a loss settles. ``min_finite``: how many finite
    points before the first NaN the caller needs (one to read where a loss started).
    """
    assert x.series is not None
    if x.config.get("task") not in (None, "classification"):
        return None
    steps, v = finite_prefix(x.series)
    if len(v) < min_finite or len(x.series) < 8:
        return None
    known = x.config.get("n_classes")
    return steps, v, int(known) if isinstance(known, (int, float)) and known >= 2 else None


def logit_cap_floor(n_classes: int, width: float) -> float:
    """Lowest cross-entropy reachable when every logit lies in an interval of ``width``."""
    return math.log1p((n_classes - 1) * math.exp(-width))


def _class_candidates(v: np.ndarray, known: int | None, slack: float, max_k: int) -> range:
    """Class counts to try: the config's, else those whose chance loss ``log K`` is near the
    start of the loss ``v`` (the median of its first 2 %).

    A freshly initialised classifier starts near ``log K``; init and a first update move it by
    well under ``slack`` (1.35x in K, i.e. ±0.3 nats).
    """
    if known is not None:
        return range(known, known + 1)
    first_loss = float(np.median(v[: max(1, len(v) // 50)]))
    if not math.isfinite(first_loss) or first_loss <= 0 or first_loss > math.log(max_k) + 1:
        return range(0)
    k = math.exp(first_loss)
    return range(max(2, round(k / slack)), min(max_k, round(k * slack)) + 1)


def _separated(k: int, width: float, touch: float) -> bool:
    """Whether the floor for ``k`` classes stands apart from ``k - 1`` and ``k + 1`` by more than ``touch``.

    With an estimated class count, a match only means something when the neighbouring counts'
    floors lie outside the tolerance: true for a few classes (0.551 vs 0.735 for 3 vs 4 classes
    under sigmoid), false for hundreds (log 30.8 vs log 31.1), where any plateau would fit one.
    """
    floor = logit_cap_floor(k, width)
    nearest = min(abs(logit_cap_floor(n, width) / floor - 1) for n in (k - 1, k + 1) if n >= 2)
    return nearest > 2 * touch


@check(
    "logit_cap_floor",
    kind="series",
    measures=("floor", "n_classes", "cap", "lowest", "tail"),
    defaults={
        "touch": 0.02,
        "below": 0.005,
        "tail_max": 1.1,
        "hold": 0.1,
        "slack": 1.35,
        "max_classes": 1000,
    },
    touch=_NUM,
    below=_NUM,
    tail_max=_NUM,
    hold=_NUM,
    slack=_NUM,
    max_classes=int,
)
def logit_cap_floor_check(
    x: Inputs,
    *,
    touch: float,
    below: float,
    tail_max: float,
    hold: float,
    slack: float,
    max_classes: int,
) -> Outcome | None:
    """Whether the loss flattens onto the cross-entropy floor of capped logits and never dips below it.

    Matched when, for the run's class count (config ``n_classes``, else the counts whose chance
    loss is near the first loss), the lowest loss lies within ``touch`` above a capped-logit floor
    (no lower than ``below`` under it), reached it with at least ``hold`` (a tenth) of the run still to go
    (a curve still falling steeply crosses every floor on its way down), and the last quarter's
    median lies within ``tail_max`` x the floor. Not matched when the loss went below every
    floor a capped head could reach; unknown when it stays above them without resting on one
    (not arrived yet), for a regression run, or for a curve too short to have a tail.
    """
    loss = _classifier_loss(x)
    if loss is None:
        return None
    steps, v, known = loss
    lowest = float(np.min(v))
    tail = float(np.median(v[-max(3, len(v) // 4) :]))
    best: tuple[float, int, float] | None = None
    candidates = _class_candidates(v, known, slack, max_classes)
    for k in candidates:
        for width in _CAPS:
            floor = logit_cap_floor(k, width)
            if known is None and not _separated(k, width, touch):
                continue  # neighbouring class counts have floors within the tolerance
            near = np.flatnonzero(v <= (1 + touch) * floor)
            held = len(near) > 0 and near[0] <= (1 - hold) * (len(v) - 1)
            if (
                (1 - below) * floor <= lowest <= (1 + touch) * floor
                and tail <= tail_max * floor
                and held
            ):
                fit = abs(lowest / floor - 1)
                if best is None or fit < abs(lowest / best[0] - 1):
                    best = (floor, k, width)
    if best is None:
        # Refuted only when the loss went below every floor a capped head could have (no capped
        # head gets there); a loss still above them may simply not have arrived yet: unknown.
        lowest_floor = min(
            (logit_cap_floor(k, w) for k in candidates for w in _CAPS), default=math.inf
        )
        if lowest < (1 - below) * lowest_floor:
            return Outcome(False, measures={"lowest": lowest, "tail": tail})
        return None
    floor, k, width = best
    onset = int(np.argmax(v <= (1 + touch) * floor))
    return Outcome(
        True,
        step=int(steps[onset]),
        value=floor,
        measures={
            "floor": floor,
            "n_classes": k,
            "cap": _CAPS[width],
            "lowest": lowest,
            "tail": tail,
        },
    )


def _chance_tolerance(k: int, share: float) -> float:
    """``share`` of the distance from ``log k`` to the nearest other class count's ``log``."""
    gaps = [abs(math.log(k) - math.log(n)) for n in (k - 1, k + 1) if n >= 2]
    return share * min(gaps)


@check(
    "uniform_guess",
    kind="series",
    measures=("n_classes", "chance", "level"),
    defaults={"share": 0.25, "max_drift": 0.05, "max_classes": 12},
    share=_NUM,
    max_drift=_NUM,
    max_classes=int,
)
def uniform_guess(x: Inputs, *, share: float, max_drift: float, max_classes: int) -> Outcome | None:
    """The loss sits at ``log K`` (a uniform guess over K classes) from its first points to its last.

    A classifier whose output does not depend on its input predicts the same distribution for
    every sample, and cross-entropy then stays at the entropy of that guess: ``log K`` for a
    uniform one. Nothing learned reaches the output, from the first step (zero or constant init,
    units dead from the start, a signal that vanishes through a deep stack). K comes from the
    config or, failing that, from the level itself, only for up to ``max_classes`` classes where
    ``log K`` and its neighbours stand apart; the level must lie within ``share`` of the gap to
    the nearest neighbour's, and the first and last tenth within ``max_drift`` (relative) of it.
    Not matched when the loss is at no such level or moved; unknown for a regression run, a
    level above ``log(max_classes)`` with no class count in the config, or a short log.
    """
    loss = _classifier_loss(x)
    if loss is None:
        return None
    steps, v, known = loss
    level = float(np.median(v))
    if known is not None:
        k = known
    elif level > math.log(max_classes + 0.5):
        return None
    else:
        k = max(2, round(math.exp(level)))
    chance = math.log(k)
    w = max(1, len(v) // 10)
    head, tail = float(np.median(v[:w])), float(np.median(v[-w:]))
    at_chance = abs(level - chance) <= _chance_tolerance(k, share)
    flat = max(abs(head - level), abs(tail - level)) <= max_drift * chance
    return Outcome(
        at_chance and flat,
        step=int(steps[0]),
        value=level,
        measures={"n_classes": k, "chance": chance, "level": level},
    )


@check(
    "start_level_unless_classifier",
    kind="series",
    measures=(),
    defaults={"frac": 0.01, "min": -math.inf, "max": math.inf},
    frac=_NUM,
    min=_NUM,
    max=_NUM,
)
def start_level_unless_classifier(
    x: Inputs, *, frac: float, min: float, max: float
) -> Outcome | None:
    """The loss starts within [``min``, ``max``] (median of its first ``frac``), unless a classifier.

    Unknown for a run known to be a classification.

    A regression's first MSE is about its targets' variance, so a first loss in the thousands
    reads as targets in raw units. A classifier's first cross-entropy is about ``log K`` instead:
    one in the thousands means logits thousands wide, an init or input scale multiplied up
    through the stack (see :func:`start_beyond_chance`), not a target scale.
    """
    if known_classifier(x):
        return None
    return level(x, stat="median", window="early", frac=frac, min=min, max=max, absolute=False)


@check(
    "huge_start_collapses",
    kind="series",
    measures=("head", "tail", "ratio"),
    defaults={"frac": 0.01, "min_start": 1000.0, "max_ratio": 0.002},
    frac=_NUM,
    min_start=_NUM,
    max_ratio=_NUM,
)
def huge_start_collapses(
    x: Inputs, *, frac: float, min_start: float, max_ratio: float
) -> Outcome | None:
    """A loss that starts at ``min_start`` or more and ends at ``max_ratio`` of that or less.

    Why: a regression's first MSE in the thousands is either targets in raw units or outputs
    blown up by the init. Raw targets keep the loss on their scale: the first MSE is their
    second moment (mean squared plus variance, outputs start near zero) and a fit removes a
    share of it, so the loss ends at a few percent of its start or more (the zoo's raw-target
    runs: 2-80 %; a house-price model in raw dollars with R^2 = 0.95 ends near 1 %). Outputs
    blown up at step 0 shrink back to the targets' unit scale, a far larger drop (the zoo's
    blown-up regressions: 0.05-0.8 % of their start). Unknown for a known classifier
    (:func:`start_beyond_chance` reads those), where the target statistics are logged (they
    say directly whether the targets are raw), and for a log under 8 points; the start is the
    median of the first ``frac``, the end of the last tenth. Where the config says the targets
    are standardized (``normalize_targets``) and does not say the inputs are raw, no MSE in the
    thousands is their scale: the start alone decides (raw inputs blow outputs up too, and are
    no_normalization's to claim).
    """
    if known_classifier(x) or x.frame.has("target_std"):
        return None
    assert x.series is not None
    steps, v = finite_prefix(x.series)
    if len(v) < 8:
        return None
    head, tail = head_level(v, frac), tail_level(v, 0.1)
    ratio = tail / head if head > 0 else math.inf
    unit_targets = (
        x.config.get("normalize_targets") is True and x.config.get("normalize_inputs") is not False
    )
    return Outcome(
        head >= min_start and (ratio <= max_ratio or unit_targets),
        step=int(steps[0]),
        value=ratio,
        measures={"head": head, "tail": tail, "ratio": ratio},
    )


@check(
    "start_beyond_chance",
    kind="series",
    measures=("n_classes", "classes", "chance", "head", "excess"),
    defaults={
        "min_nats": 10.0,
        "max_nats": math.inf,
        "max_classes": 1000,
        "before_updates": False,
        "min_finite": 8,
        "first_point": False,
    },
    min_nats=_NUM,
    max_nats=_NUM,
    max_classes=int,
    before_updates=bool,
    min_finite=int,
    first_point=bool,
)
def start_beyond_chance(
    x: Inputs,
    *,
    min_nats: float,
    max_nats: float,
    max_classes: int,
    before_updates: bool,
    min_finite: int,
    first_point: bool,
) -> Outcome | None:
    """A classifier's cross-entropy starts ``min_nats`` or more above chance (``log K``), and
    under ``max_nats`` (a band: how far the logits are blown says what blew them).

    A freshly initialised classifier outputs near-uniform probabilities, so its first loss sits
    at ``log K`` give or take a fraction of a nat. Ten nats above means the true class gets
    e^-10 of a uniform guess's probability on average: the logits are tens of units wide from
    the first forward pass, so activations (and with them gradients) are already blown up
    through the stack: an init or input scale that multiplies the signal at every layer. Read
    on the first 2 % of the points. K is the config's class count; without one the bar is
    taken over the largest plausible K (``max_classes``), which only lowers the measured excess.
    Unknown unless the run is known to be a classification (config task or class count, or an
    accuracy metric in the log), the log has 8 points and its loss ``min_finite`` finite ones
    before any NaN (1: a loss NaN right after its first point still shows where it started, but
    that one point is all there is to read). ``before_updates``: only a first point logged at
    step 0 or 1, measured on the initial weights, so that no step size can have made it
    (unknown on a per-epoch log, whose first point averages an epoch of updates).
    ``first_point``: the first logged value rather than the median of the first 2 %: raw inputs
    blow the first logits up and the units they kill can bring the loss straight back to
    ``log K`` (raw 0-255 pixels: 18.1 at the first point, 2.31 from the second on).
    """
    loss = _classifier_loss(x, min_finite=min_finite)
    if loss is None or not known_classifier(x):
        return None
    steps, v, known = loss
    if before_updates and (x.frame.axis != "step" or steps[0] > 1):
        return None
    k = known if known is not None else max_classes
    chance = math.log(k)
    head = float(v[0] if before_updates or first_point else np.median(v[: max(1, len(v) // 50)]))
    excess = head - chance
    return Outcome(
        min_nats <= excess < max_nats,
        step=int(steps[0]),
        value=head,
        measures={
            "n_classes": k,
            "classes": f"{k} classes" if known is not None else f"up to {k} classes",
            "chance": chance,
            "head": head,
            "excess": excess,
        },
    )


@check(
    "logits_within_bound",
    kind="pair",
    measures=("high", "low", "bound"),
    defaults={"tol": 0.02, "frac": 0.3},
    tol=_NUM,
    frac=_NUM,
)
def logits_within_bound(x: Inputs, *, tol: float, frac: float) -> Outcome | None:
    """A classifier's outputs touch 1 and never leave [0, 1] or [-1, 1]: squashed logits.

    ``series`` is ``pred_max``, ``other`` ``pred_min``, read over the last ``frac`` of the run: a
    sigmoid or tanh before the softmax bounds the logits to its range.

    Logits of a classifier that learns spread over several units (the zoo's healthy runs end at
    ±5 to ±25); squashed ones press against the activation's ceiling instead. Outputs that are
    already probabilities also live in [0, 1], but a softmax's average is the constant 1/K: a
    ``pred_mean`` that does not move over the window marks them and the answer is unknown. Not
    matched when the outputs stay below the ceiling (a net that barely moves its logits:
    vanishing or dead units) or go past it; unknown for a run not known to be a classifier.
    """
    assert x.series is not None and x.other is not None
    if not known_classifier(x):
        return None
    hi_steps, hi_v = finite_prefix(x.series)
    _, lo_v = finite_prefix(x.other)
    if len(hi_v) < 3 or len(lo_v) < 3:
        return None
    late_from = -window_len(len(hi_v), frac, 1)
    high = float(np.max(hi_v[late_from:]))
    low = float(np.min(lo_v[-window_len(len(lo_v), frac, 1) :]))
    if x.frame.has("pred_mean"):
        _, mean = finite_prefix(x.frame.series("pred_mean"))
        late = mean[-window_len(len(mean), frac, 1) :]
        if len(late) >= 3 and float(np.ptp(late)) <= 1e-3 * max(1e-12, abs(float(late.mean()))):
            return None  # a softmax's constant 1/K: probabilities, not logits
    bound = 0.0 if low >= -tol else -1.0
    inside = low >= bound - tol and high <= 1.0 + tol
    return Outcome(
        inside and high >= 1.0 - tol,
        step=int(hi_steps[late_from]),
        value=high,
        measures={"high": high, "low": low, "bound": bound},
    )


def calibrated_loss(acc: float, n_classes: int) -> float:
    """Cross-entropy of a calibrated classifier at accuracy ``acc`` over ``n_classes`` classes:
    confidence ``acc`` on its answer, the rest spread evenly (Fano's bound: the most a loss at
    that accuracy needs to be)."""
    a = min(max(acc, 1e-9), 1 - 1e-9)
    return -(a * math.log(a) + (1 - a) * math.log((1 - a) / max(n_classes - 1, 1)))


@check(
    "underconfident",
    kind="series",
    measures=("ratio", "level", "acc", "n_classes", "calibrated"),
    defaults={
        "min_ratio": 2.5,
        "min_level": 0.3,
        "max_level": 1.0,
        "min_acc": 0.8,
        "acc_cap": 0.99,
        "frac": 0.2,
        "slack": 1.35,
        "max_classes": 1000,
    },
    min_ratio=_NUM,
    min_level=_NUM,
    max_level=_NUM,
    min_acc=_NUM,
    acc_cap=_NUM,
    frac=_NUM,
    slack=_NUM,
    max_classes=int,
)
def underconfident(
    x: Inputs,
    *,
    min_ratio: float,
    min_level: float,
    max_level: float,
    min_acc: float,
    acc_cap: float,
    frac: float,
    slack: float,
    max_classes: int,
) -> Outcome | None:
    """Whether the training cross-entropy stays several times what the training accuracy needs.

    A classifier that gets ``acc`` of its training batches right needs a loss of at most
    :func:`calibrated_loss` (confidence ``acc`` on every answer); one whose loss ends
    ``min_ratio`` times above that, between ``min_level`` and ``max_level`` of the chance level
    ``log K``, while its accuracy is ``min_acc`` of the way from chance to perfect, ranks the
    classes right but cannot grow its logits: they are squashed before the loss (a sigmoid,
    tanh or a second softmax on the class scores). The loss need not reach the capped floor
    (dropout and batch noise keep it above; ``logit_cap_floor`` reads the case where it does).
    Training loss against training accuracy, the same batches: a validation loss rises above
    the calibrated level when a model overfits, a training loss does not. Accuracy is capped at
    ``acc_cap`` (a perfect score needs no loss at all). ``K``: the config's class count, else
    every count whose chance loss is near the first loss (the check must hold for all of them).
    Unknown without a logged training accuracy or a class count.
    """
    loss = _classifier_loss(x)
    if loss is None or not x.frame.has("train_acc"):
        return None
    steps, v, known = loss
    _, acc_v = finite_prefix(x.frame.series("train_acc"))
    if len(acc_v) < 3:
        return None
    candidates = list(_class_candidates(v, known, slack, max_classes))
    if not candidates:
        return None
    tail = float(np.median(v[-window_len(len(v), frac) :]))
    acc = float(np.median(acc_v[-window_len(len(acc_v), frac) :]))
    outcomes = []
    for k in candidates:
        chance = 1.0 / k
        rel = (acc - chance) / (1.0 - chance)
        calibrated = calibrated_loss(min(acc, acc_cap), k)
        ratio = tail / calibrated
        lvl = tail / math.log(k)
        hit = ratio >= min_ratio and min_level <= lvl <= max_level and rel >= min_acc
        outcomes.append((hit, ratio, lvl, k, calibrated))
    hit, ratio, lvl, k, calibrated = min(outcomes, key=lambda o: (o[0], o[1]))
    return Outcome(
        hit,
        step=int(steps[-window_len(len(v), frac)]),
        value=ratio,
        measures={
            "ratio": ratio,
            "level": lvl,
            "acc": acc,
            "n_classes": k,
            "calibrated": calibrated,
        },
    )
