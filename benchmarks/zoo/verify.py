"""Behavioural criteria that a run must meet, against its healthy twin, to keep its label.

An injected fault does not always produce its failure (a high learning rate that the optimizer
survives, ReLUs that do not die). A label is only as good as the behaviour behind it, so each
cause has one explicit criterion, with the reason it is the right test, and runs that fail it
are dropped and counted. Each verifier returns a :class:`Verdict` with the measured numbers
(``metric``, written to ``labels.csv`` as ``verified_metric``) and, where the run's behaviour
makes another answer equally right, the extra causes an expert would accept.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from benchmarks.zoo import measures as m

History = m.History


@dataclass
class Verdict:
    """Whether a run shows its cause, the numbers that say so, and extra accepted causes."""

    ok: bool
    metric: str
    reason: str = ""
    also_accept: list[str] = field(default_factory=list)


def _fmt(**kv: float) -> str:
    return " ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in kv.items())


def _diverged(h: History) -> bool:
    """Non-finite loss, or an end loss above the start loss (the run ran away)."""
    return not m.finite(h) or m.end_loss(h) >= m.start_loss(h)


def _overfit_shape(h: History) -> bool:
    """Validation loss up ≥ 10% from its (smoothed) minimum, and ≥ 10% of its earlier fall, while
    the train loss ends at or below where it was at that minimum (falling, or at its floor)."""
    rise, i = m.val_rise(h)
    t = m.epoch_series(h, "train_loss")
    if not math.isfinite(rise) or i < 0:
        return False
    return rise >= 0.1 and m.val_rise_of_range(h) >= 0.1 and t[-1] <= 1.05 * t[i] + 1e-4


# -- one criterion per cause -------------------------------------------------------------------


def lr_too_high(h: History, twin: History) -> Verdict:
    """Diverges (non-finite, or ends above its start), or ends ≥ 5× the twin's loss while
    jumping around (instability ≥ 0.1 of the start loss, or a swing ≥ 1.5× the twin's) or stuck
    near its start (< 20% removed) where the twin learns.

    Why: the catalog's signature is a loss that runs away, jumps, swings around its trend or is
    knocked back to chance; a big lr that still converges to the twin's loss is not a failure.
    """
    sw, tsw = m.swing(h), m.swing(twin)
    end, tend = m.end_loss(h), m.end_loss(twin)
    inst = m.instability(h)
    div = _diverged(h)
    bad = end >= 5 * tend + 0.05 * m.start_loss(twin)
    stuck = m.reduction(h) < 0.2 < m.reduction(twin)
    osc = bad and (inst >= 0.1 or sw >= 1.5 * tsw or stuck)
    also = []
    if not m.finite(h) or m.max_grad_norm(h) >= 100 * max(m.median_grad_norm(h, (0, 0.1)), 1e-12):
        also.append("exploding_gradients")
    if m.max_zero_frac(h) >= 0.7 and m.max_zero_frac(twin) < 0.5:
        also.append("dead_relu")
    metric = _fmt(diverged=div, instability=inst, swing=sw, twin_swing=tsw, end=end, twin_end=tend)
    return Verdict(div or osc, metric, also_accept=also)


def lr_too_low(h: History, twin: History) -> Verdict:
    """Still finite and falling, but has removed < 25% of what the twin removed; updates tiny.

    Why: a too-low rate is slow *progress*, not a stall: the loss must be going down (else it is
    another cause), yet far slower than the same model at a sensible rate.
    """
    r, tr = m.reduction(h), m.reduction(twin)
    ur = m.update_ratio_median(h)
    falling = r > 0.01
    ok = m.finite(h) and tr > 0.3 and r < 0.25 * tr and falling and ur < 1e-3
    return Verdict(ok, _fmt(reduction=r, twin_reduction=tr, update_ratio=ur, falling=falling))


def dead_relu(h: History, twin: History) -> Verdict:
    """A hidden ReLU layer ≥ 70% exact zeros (≥ 20 points above the twin's), and the run ends
    worse than the twin.

    Why: dead units are zeros for every input; a high zero fraction alone is normal for sparse
    ReLU nets, so it must be well above the twin's and must cost accuracy or loss.
    """
    z, tz = m.max_zero_frac(h), m.max_zero_frac(twin)
    worse = (
        m.end_loss(h) >= 1.5 * m.end_loss(twin) or m.final_score(h) <= m.final_score(twin) - 0.05
    )
    ok = math.isfinite(z) and z >= 0.7 and (not math.isfinite(tz) or z >= tz + 0.2) and worse
    return Verdict(ok, _fmt(zero_frac=z, twin_zero_frac=tz, worse=worse))


def exploding_gradients(h: History, twin: History) -> Verdict:
    """Gradient norm peaks ≥ 100× the twin's peak, or goes non-finite.

    Why: explosion is growth by orders of magnitude; the twin (same data, sane init/depth)
    shows what the gradient scale of this problem normally is.
    """
    g, tg = m.max_grad_norm(h), m.max_grad_norm(twin)
    ok = (not math.isfinite(g)) or g >= 100 * tg
    also = ["lr_too_high"] if _diverged(h) else []
    return Verdict(
        ok, _fmt(max_grad_norm=g, twin_max_grad_norm=tg, finite=m.finite(h)), also_accept=also
    )


def vanishing_gradients(h: History, twin: History) -> Verdict:
    """First-layer gradient < 1e-3 of the last layer's (twin > 1e-2), and learning is slow.

    Why: the defining signal is the decay of gradient norms toward the input; it must hurt
    training (loss removed ≤ 60% of the twin's, or an end loss ≥ 3× the twin's) to be the
    failure and not just a trait.
    """
    ratio, tratio = m.first_last_grad_ratio(h), m.first_last_grad_ratio(twin)
    r, tr = m.reduction(h), m.reduction(twin)
    slow = r <= 0.6 * tr or m.end_loss(h) >= 3 * m.end_loss(twin) + 0.05
    ok = ratio < 1e-3 and tratio > 1e-2 and slow
    return Verdict(
        ok, _fmt(grad_ratio=ratio, twin_grad_ratio=tratio, reduction=r, twin_reduction=tr)
    )


def oversized_batch(h: History, twin: History) -> Verdict:
    """≤ 2 steps per epoch and, after the same epochs, end loss ≥ 1.5× the twin's.

    Why: the failure is few, low-noise updates; the twin shows what the same number of epochs
    achieves with ordinary mini-batches.
    """
    spe = h["steps_per_epoch"]
    end, tend = m.end_loss(h), m.end_loss(twin)
    ok = spe <= 2 and m.finite(h) and end >= 1.5 * tend + 0.02 * m.start_loss(twin)
    also = ["insufficient_training"] if m.still_falling(h) >= 0.1 else []
    return Verdict(ok, _fmt(steps_per_epoch=spe, end=end, twin_end=tend), also_accept=also)


def wrong_output_activation(h: History, twin: History) -> Verdict:
    """Loss floors far above the twin's; for regression the predictions miss a range of targets.

    Why: an output activation that cannot reach the targets caps the fit (ReLU never goes
    negative, sigmoid stays in (0, 1)); the twin with a linear output shows the fit is possible.
    """
    end, tend = m.end_loss(h), m.end_loss(twin)
    if h["task"] == "regression":
        outside = h["epochs"][-1].get("targets_outside_pred_range", math.nan)
        s, ts = m.final_score(h), m.final_score(twin)
        ok = outside >= 0.15 and s <= ts - 0.15
        return Verdict(ok, _fmt(targets_outside_pred_range=outside, r2=s, twin_r2=ts))
    ok = m.finite(h) and end >= 2 * tend + 0.1 and m.still_falling(h) < 0.1
    return Verdict(ok, _fmt(end=end, twin_end=tend))


def bad_init(h: History, twin: History) -> Verdict:
    """Stuck from step 0 (removes < 30% of the twin's reduction) or ends ≥ 2× the twin's loss.

    Why: zero or constant weights keep units identical (or silent), so the network cannot use
    its width; the twin with the default init learns the same task.
    """
    r, tr = m.reduction(h), m.reduction(twin)
    end, tend = m.end_loss(h), m.end_loss(twin)
    ok = m.finite(h) and (r < 0.3 * tr or end >= 2 * tend + 0.05)
    also = []
    if h["spec"]["arch"].get("act", "relu") == "relu" and m.max_zero_frac(h) >= 0.9:
        also.append("dead_relu")
    # a constant 0.5 init can blow the gradients up 100x past the twin's as surely as the
    # exploding recipes do (a large init, which accept bad_init the other way round): where the
    # run meets exploding's own criterion, an expert naming the explosion first is right too
    if exploding_gradients(h, twin).ok:
        also.append("exploding_gradients")
    return Verdict(
        ok, _fmt(reduction=r, twin_reduction=tr, end=end, twin_end=tend), also_accept=also
    )


def too_deep(h: History, twin: History) -> Verdict:
    """A 20–40-layer plain net removes < 40% of what the shallow twin removes (or ends ≥ 3× its
    loss), and gradients decay toward the input.

    Why: the catalog's too_deep is a plain deep stack that does not train; depth alone is not a
    failure unless the loss stays (nearly) flat where the shallow twin learns.
    """
    r, tr = m.reduction(h), m.reduction(twin)
    ratio = m.first_last_grad_ratio(h)
    ok = m.finite(h) and (r < 0.4 * tr or m.end_loss(h) >= 3 * m.end_loss(twin) + 0.05)
    ok = ok and ratio < 0.1
    return Verdict(ok, _fmt(reduction=r, twin_reduction=tr, grad_ratio=ratio))


def too_few_hidden_units(h: History, twin: History) -> Verdict:
    """Plateaus high (end ≥ 1.5× the twin's) with train and validation close together.

    Why: underfitting from capacity shows as a high, flat floor shared by both curves; a gap or
    a still-falling curve would point elsewhere.
    """
    end, tend = m.end_loss(h), m.end_loss(twin)
    e = h["epochs"][-1]
    gap = abs(e["val_loss"] - e["train_loss"]) / max(e["train_loss"], 1e-12)
    flat = m.tail_progress(h, 0.3) < 0.1
    ok = m.finite(h) and end >= 1.5 * tend + 0.05 and gap <= 0.35 and flat
    return Verdict(ok, _fmt(end=end, twin_end=tend, gap=gap, flat=flat))


def overfitting(h: History, twin: History) -> Verdict:
    """Val loss rises ≥ 10% from its minimum while train keeps falling; accuracy not improving;
    the twin's val loss rises < 20% and less than half as much.

    Why: the catalog's reading (train falling, validation rising) — and, per DECISIONS §6, a
    rising val loss with a still-improving task metric is not overfitting, so it must not.
    """
    rise, i = m.val_rise(h)
    trise, _ = m.val_rise(twin)
    s = m.epoch_series(h, "val_score")
    not_improving = len(s) > 0 and s[-1] <= s[i] + 0.01
    ok = _overfit_shape(h) and not_improving and trise < min(0.2, 0.5 * rise)
    return Verdict(
        ok,
        _fmt(val_rise=rise, min_epoch=i, twin_val_rise=trise, score_end=s[-1], score_at_min=s[i]),
    )


def over_regularization(h: History, twin: History) -> Verdict:
    """Train loss ends ≥ 2× the twin's and stays near (or above) validation; score worse.

    Why: too much regularization stops the model fitting even the training set; the train loss
    stays high and close to validation, unlike the twin's.
    """
    end, tend = m.end_loss(h), m.end_loss(twin)
    e = h["epochs"][-1]
    close = e["train_loss"] >= 0.8 * e["val_loss"]
    worse = m.final_score(h) <= m.final_score(twin) - 0.03
    ok = m.finite(h) and end >= 2 * tend + 0.03 and close and worse
    return Verdict(ok, _fmt(end=end, twin_end=tend, train_over_val=e["train_loss"] / e["val_loss"]))


def unshuffled_data(h: History, twin: History) -> Verdict:
    """Per-epoch periodicity in the step loss (autocorrelation at one epoch ≥ 0.3, twin < 0.15).

    Why: the same fixed order of label-sorted batches repeats every epoch, so the loss repeats
    with the epoch's period; shuffled batches carry no such period.
    """
    p, tp = m.periodicity(h), m.periodicity(twin)
    ok = math.isfinite(p) and p >= 0.3 and (not math.isfinite(tp) or tp < 0.15)
    return Verdict(ok, _fmt(periodicity=p, twin_periodicity=tp))


def label_noise(h: History, twin: History) -> Verdict:
    """Train loss ends ≥ 2× the twin's and train accuracy stays under the clean share of labels
    (≤ 1 − 0.3 × the fraction of labels made wrong).

    Why: random labels cannot be fit without memorizing them, so the train loss stays high and
    train accuracy stays near the clean share of labels while validation (clean) does better.
    """
    end, tend = m.end_loss(h), m.end_loss(twin)
    noise = float(h["spec"]["label_noise"])
    wrong = noise * (1 - 1 / max(h["n_classes"], 2))  # a random label is right 1/C of the time
    tacc = m.epoch_series(h, "train_acc")[-1]
    ok = m.finite(h) and end >= 2 * tend + 0.05 and tacc <= 1 - 0.3 * wrong
    also = ["overfitting"] if _overfit_shape(h) else []
    return Verdict(ok, _fmt(end=end, twin_end=tend, train_acc=tacc, noise=noise), also_accept=also)


def gradient_clipping_masks_lr(h: History, twin: History) -> Verdict:
    """Pre-clip gradient norm at/above the clip on most (≥ 50%) of the recorded steps; finite;
    ends ≥ 1.3× the twin's loss but not far above its own start (≤ 1.5×).

    Why: the clip turns every step into a fixed-length step that hides the lr; progress is slow
    and noisy but the run never blows up, unlike an unclipped high lr.
    """
    frac = m.clip_bound_fraction(h)
    end, tend = m.end_loss(h), m.end_loss(twin)
    hovering = end <= 1.5 * m.start_loss(h)  # a fixed-length step cannot run away
    ok = m.finite(h) and frac >= 0.5 and end >= 1.3 * tend + 0.02 and hovering
    return Verdict(ok, _fmt(clip_bound_frac=frac, end=end, twin_end=tend))


def insufficient_training(h: History, twin: History) -> Verdict:
    """Still falling: ≥ 10% of the run's progress made in its last quarter (a converged run makes
    < 10%, see :func:`healthy`); and the twin, trained on, ends ≤ 0.6× lower.

    Why: "stopped too early" is only true if more training would have helped; the twin is the
    same run continued, so it measures exactly that.
    """
    tail = m.tail_progress(h)
    end, tend = m.end_loss(h), m.end_loss(twin)
    ok = m.finite(h) and tail >= 0.1 and tend <= 0.6 * end
    return Verdict(ok, _fmt(tail_progress=tail, end=end, twin_end=tend))


def softmax_overflow_nan(h: History, twin: History) -> Verdict:
    """Finite and learning for ≥ 1 epoch (loss down ≥ 30%), then NaN/inf abruptly, without a
    gradual rise before; the twin (same run, stable cross-entropy) stays finite.

    Why: overflow in exp() is sudden: the loss is fine until a logit passes ~88.7; a gradual rise
    first would be divergence (lr_too_high) instead.
    """
    k = h["nonfinite_step"]
    if k is None or not m.finite(twin):
        return Verdict(False, _fmt(nan_step=-1, twin_finite=m.finite(twin)))
    x = m.losses(h)
    start = m.start_loss(h)
    best = m.min_loss_before(h, k)
    window = x[max(0, k - max(5, k // 10)) : k]
    no_rise = len(window) > 0 and float(window.max()) <= max(2.5 * best, 0.8 * start)
    ok = k >= max(h["steps_per_epoch"], 20) and best <= 0.7 * start and no_rise
    return Verdict(ok, _fmt(nan_step=k, start=start, best_before=best, no_rise=no_rise))


def train_val_mismatch(h: History, twin: History) -> Verdict:
    """Early on (10% of the epochs in) validation loss is ≥ 1.5× train loss and ≥ 2× the twin's
    validation loss; at the end the val/train ratio is ≥ 2 and ≥ 3× the twin's.

    Why: a shifted validation set is wrong from the start, unlike overfitting, which opens the gap
    late; the twin (validation from the training distribution) shows the ordinary gap of this
    data set, which on tiny sets is not 1.
    """
    n = len(h["epochs"])
    i = min(n - 1, max(1, n // 10))
    v, tv = h["epochs"][i]["val_loss"], twin["epochs"][min(i, len(twin["epochs"]) - 1)]["val_loss"]
    g0 = m.gap_ratio(h, "early")
    g1, t1 = m.gap_ratio(h, "last"), m.gap_ratio(twin, "last")
    ok = g0 >= 1.5 and v >= 2 * tv and g1 >= max(2.0, 3 * t1)
    return Verdict(ok, _fmt(gap_early=g0, val_vs_twin_early=v / tv, gap_last=g1, twin_gap_last=t1))


def no_normalization(h: History, twin: History) -> Verdict:
    """Ends clearly worse than the normalized twin (score −0.05, R² −0.1), or diverges.

    Why: raw scales are a failure only when they hurt: slow or unstable training and a worse
    model than the same network on standardized data.
    """
    s, ts = m.final_score(h), m.final_score(twin)
    margin = 0.05 if h["task"] == "classification" else 0.1
    div = _diverged(h)
    ok = div or s <= ts - margin
    return Verdict(
        ok, _fmt(score=s, twin_score=ts, diverged=div), also_accept=["lr_too_high"] if div else []
    )


def healthy(h: History, twin: History) -> Verdict:
    """Finite; learned (score near the family's base); converged (< 10% of the progress of train
    and validation loss made in the last quarter); no overfitting turn.

    Why: a healthy label must be as trustworthy as a fault label. Late val-loss drift is
    allowed only while the task metric is still as good as at the minimum (DECISIONS §6).
    """
    s, ts = m.final_score(h), m.final_score(twin)
    rise, i = m.val_rise(h)
    sc = m.epoch_series(h, "val_score")
    small = rise < 0.15 or m.val_rise_of_range(h) < 0.05
    drift_ok = small or (rise < 0.35 and sc[-1] >= sc[i] - 0.005)
    tail, vtail = m.tail_progress(h), m.tail_progress(h, key="val_loss")
    converged = tail < 0.1 and vtail < 0.1
    ok = m.finite(h) and m.reduction(h) > 0.4 and s >= ts - 0.04 and drift_ok and converged
    return Verdict(ok, _fmt(score=s, base_score=ts, val_rise=rise, tail=tail, val_tail=vtail))


CRITERIA: dict[str, Callable[[History, History], Verdict]] = {
    "healthy": healthy,
    "no_normalization": no_normalization,
    "lr_too_high": lr_too_high,
    "lr_too_low": lr_too_low,
    "dead_relu": dead_relu,
    "exploding_gradients": exploding_gradients,
    "vanishing_gradients": vanishing_gradients,
    "oversized_batch": oversized_batch,
    "wrong_output_activation": wrong_output_activation,
    "bad_init": bad_init,
    "too_deep": too_deep,
    "too_few_hidden_units": too_few_hidden_units,
    "overfitting": overfitting,
    "over_regularization": over_regularization,
    "unshuffled_data": unshuffled_data,
    "label_noise": label_noise,
    "gradient_clipping_masks_lr": gradient_clipping_masks_lr,
    "insufficient_training": insufficient_training,
    "softmax_overflow_nan": softmax_overflow_nan,
    "train_val_mismatch": train_val_mismatch,
}


def verify(cause: str, h: History, twin: History) -> Verdict:
    """Apply the cause's criterion; a crash in a criterion is a failed verification, not a label."""
    try:
        return CRITERIA[cause](h, twin)
    except (ValueError, IndexError, ZeroDivisionError, KeyError) as exc:
        return Verdict(False, f"error={type(exc).__name__}", reason=str(exc))
