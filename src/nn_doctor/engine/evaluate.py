"""Evaluate one rule on one run frame: run its checks, weigh the evidence, score the cause.

Scoring, in one paragraph (what ``rules explain`` prints): each evidence item comes out
*matched*, *not matched* or *unknown* (its signal is missing or too short). The score is the
sum of the weights of matched items (counter-evidence subtracts its weight) divided by the sum of
the positive weights of the items that could be evaluated plus ``unknown_weight`` (default 0.5)
times the weights of those that could not, clamped to 0–1. Items in one ``group`` are
alternative symptoms and count once, as their heaviest item. So a cause supported only by indirect
evidence still ranks, but below one whose decisive evidence was measured and matched. A rule
fires when every required signal is present, at least one key item matched, and the score
reaches its report threshold; a missing required signal makes it inconclusive, never a pass.
"""

from __future__ import annotations

import math
import string
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nn_doctor.checks import Inputs, Outcome, registry
from nn_doctor.checks._util import current_memo, memo_scope, memoized
from nn_doctor.engine.model import EvidenceItem, Rule
from nn_doctor.signals import higher_is_better

if TYPE_CHECKING:
    import pandas as pd

    from nn_doctor.frame import RunFrame

DEFAULT_REPORT_AT = 0.5
DEFAULT_UNKNOWN_WEIGHT = 0.5
VAL_METRIC = "@val_metric"  # selector: every validation task metric with a known direction


@dataclass
class ItemResult:
    """How one evidence item came out on this run."""

    item: EvidenceItem
    status: str  # matched | unmatched | unknown
    outcome: Outcome | None = None
    missing: list[str] = field(default_factory=list)
    signal: str | None = None


@dataclass
class RuleResult:
    """A rule's verdict on a run: fires, quiet or inconclusive, with score and evidence."""

    rule: Rule
    verdict: str
    score: float
    onset_step: int | None
    items: list[ItemResult]
    missing_required: list[str]


class _Formatter(string.Formatter):
    """``str.format`` that leaves unknown fields visible and tolerates None and text values."""

    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        return (
            kwargs.get(key, "?") if isinstance(key, str) else super().get_value(key, args, kwargs)
        )

    def format_field(self, value: Any, format_spec: str) -> str:
        if value is None:
            return "?"
        if isinstance(value, float) and not math.isfinite(value):
            # "∞x as much", "slope ∞": Python's "inf" next to a unit reads as a word ("infx")
            return "∞" if value > 0 else "-∞" if value < 0 else "nan"
        try:
            return super().format_field(value, format_spec)
        except (ValueError, TypeError):
            return str(value)


_FMT = _Formatter()


def fill(template: str, values: dict[str, Any]) -> str:
    """Fill a ``says`` template with measured values, parameters and the onset step."""
    try:
        return _FMT.format(template, **values)
    except (IndexError, KeyError, ValueError, AttributeError):
        return template


def val_metrics(frame: RunFrame) -> list[str]:
    """Validation task metrics (not losses) whose direction is known: val_acc, eval_wer, mAP…"""
    out = []
    for name in frame.signals:
        low = name.lower()
        is_val = low.startswith(
            ("val_", "val/", "eval_", "eval/", "valid", "validation", "metrics/")
        )
        if not is_val or "loss" in low or higher_is_better(name) is None:
            continue
        out.append(name)
    return out


def _oriented(s: pd.Series) -> pd.Series:
    """The metric with 'higher is better' orientation (lower-is-better metrics negated)."""
    return s if higher_is_better(str(s.name)) else -s


@memoized(shared=True)
def _oriented_series(frame: RunFrame, name: str) -> pd.Series:
    """``name``'s series, oriented and named, built once per diagnosis (one object per name)."""
    return _oriented(frame.series(name)).rename(name)


_CHECKS: dict[str, Any] = {}


def _spec(name: str) -> Any:
    """The registered check ``name`` (the registry, imported once)."""
    if not _CHECKS:
        _CHECKS.update(registry())
    spec = _CHECKS.get(name)
    if spec is None:  # registered after the first look (a plugin, a test)
        _CHECKS.update(registry())
        spec = _CHECKS[name]
    return spec


def reads_config(item: EvidenceItem) -> bool:
    """Whether ``item`` reads only the config (a stated fact, no curve behind it)."""
    return item.check is not None and _spec(item.check).kind == "config"


def _run_check(item: EvidenceItem, frame: RunFrame) -> ItemResult:
    """The item's check on this frame; one computation per distinct (check, signals, params).

    Rules share evidence (nine read the same ``plateau`` of ``train_loss``): inside a memo scope
    the first result is reused, with a copy of its outcome, by every item that asks the same.
    """
    memo = current_memo()
    if memo is None:
        return _compute_check(item, frame)
    key = ("check", id(frame), item.memo_key)
    res: ItemResult | None = memo.get(key)
    if res is None:
        res = _compute_check(item, frame)
        memo.put(key, res, frame)
    out = res.outcome
    if out is not None:  # a copy (every field, its measures too): no two items share one
        first, out = out, object.__new__(Outcome)
        out.__dict__.update(first.__dict__)
        out.measures = dict(first.measures)
    return ItemResult(item, res.status, out, list(res.missing), res.signal)


def _compute_check(item: EvidenceItem, frame: RunFrame) -> ItemResult:
    spec = _spec(item.check or "")
    params = dict(item.params)
    if spec.kind in ("config", "frame"):
        res = _status(item, spec.fn(Inputs(frame=frame), **params), None)
        if res.status == "unknown":
            res.missing = [f"config.{k}" for k in config_keys(params) if k not in frame.config]
        return res
    if spec.kind == "layers":
        names = frame.layers(item.signals[0][:-2])
        if not names:
            return ItemResult(item, "unknown", missing=[item.signals[0]])
        layers = [frame.series(n) for n in names]
        return _status(item, spec.fn(Inputs(frame=frame, layers=layers), **params), item.signals[0])
    first = item.signals[0]
    if not frame.has(first):
        return ItemResult(item, "unknown", missing=[first])
    if spec.kind == "series":
        return _status(
            item, spec.fn(Inputs(frame=frame, series=frame.series(first)), **params), first
        )
    second = item.signals[1]
    candidates = val_metrics(frame) if second == VAL_METRIC else [second]
    candidates = [c for c in candidates if frame.has(c)]
    if not candidates:
        return ItemResult(item, "unknown", missing=[second])
    best: ItemResult | None = None
    for name in candidates:
        other = _oriented_series(frame, name) if second == VAL_METRIC else frame.series(name)
        res = _status(
            item,
            spec.fn(Inputs(frame=frame, series=frame.series(first), other=other), **params),
            f"{first}, {name}",
        )
        if (
            best is None
            or (res.status == "matched" and best.status != "matched")
            or best.status == "unknown"
        ):
            best = res
    assert best is not None
    return best


def config_keys(params: dict[str, Any]) -> list[str]:
    """The config facts a config check reads, from its parameters (to name them when missing)."""
    keys: list[str] = []
    for name in ("key", "numerator", "denominator"):
        if isinstance(params.get(name), str):
            keys.append(params[name])
    optional = set(params.get("optional") or [])
    if isinstance(params.get("conditions"), dict):
        keys += [k for k in params["conditions"] if k not in optional]
    if "typical" in params:  # lr_vs_typical
        keys.append("lr")
    return keys


def _status(item: EvidenceItem, outcome: Outcome | None, signal: str | None) -> ItemResult:
    if outcome is None:
        return ItemResult(item, "unknown", signal=signal)
    return ItemResult(item, "matched" if outcome.matched else "unmatched", outcome, signal=signal)


def evaluate_rule(
    rule: Rule,
    frame: RunFrame,
    *,
    report_at: float = DEFAULT_REPORT_AT,
    unknown_weight: float = DEFAULT_UNKNOWN_WEIGHT,
) -> RuleResult:
    """Run every evidence item of ``rule`` on ``frame`` and score it."""
    with memo_scope():
        return _evaluate_rule(rule, frame, report_at=report_at, unknown_weight=unknown_weight)


def _evaluate_rule(
    rule: Rule, frame: RunFrame, *, report_at: float, unknown_weight: float
) -> RuleResult:
    missing_required = [s for s in rule.requires if not has_signal(frame, s)]
    results: dict[str, ItemResult] = {}
    for item in rule.evidence + rule.against:
        if item.precedes:
            continue
        try:
            results[item.id] = _run_check(item, frame)
        except (ValueError, ArithmeticError, IndexError):
            # A check that cannot compute on this data (an edge index, an overflow) is an
            # unknown, not a crash of the whole diagnosis.
            results[item.id] = ItemResult(item, "unknown")
    for item in rule.evidence + rule.against:
        if not item.precedes:
            continue
        a, b = (results.get(i) for i in item.precedes)
        if a is None or b is None or a.status == "unknown" or b.status == "unknown":
            results[item.id] = ItemResult(item, "unknown")
            continue
        if a.status == "matched" and b.status == "matched" and a.outcome and b.outcome:
            sa, sb = a.outcome.step, b.outcome.step
            ok = sa is not None and sb is not None and sa <= sb
            gap = (sb - sa) if ok and sa is not None and sb is not None else None
            results[item.id] = ItemResult(
                item, "matched" if ok else "unmatched", Outcome(ok, step=sa, measures={"gap": gap})
            )
        else:
            results[item.id] = ItemResult(item, "unmatched")

    matched = {i for i, r in results.items() if r.status == "matched"}
    for item in rule.evidence + rule.against:
        # an item voided by another that matched: its reason is answered (see EvidenceItem.unless)
        if matched.intersection(item.unless):
            results[item.id] = ItemResult(item, "unmatched", results[item.id].outcome)
    items = [results[i.id] for i in rule.evidence + rule.against]
    score = _score(items, unknown_weight)
    key_matched = [r for r in items if r.item.weight > 0 and r.item.key and r.status == "matched"]
    onsets = [r.outcome.step for r in key_matched if r.outcome and r.outcome.step is not None]
    threshold = rule.report_at if rule.report_at is not None else report_at
    if missing_required:
        verdict = "inconclusive"
    elif key_matched and score >= threshold - 1e-9:
        verdict = "fires"
    else:
        verdict = "quiet"
    return RuleResult(
        rule, verdict, round(score, 4), min(onsets) if onsets else None, items, missing_required
    )


def _score(items: list[ItemResult], unknown_weight: float) -> float:
    """Matched weight over evaluable weight (+ a discounted share of unknown weight), in 0–1.

    Grouped items are alternatives: a group counts once, with the weight of its heaviest item;
    it is matched (with that item's weight) if any item matched, and unknown only if all are.

    A matched *conclusive* item (a config fact that is the defect by definition, such as an
    all-zero init) leaves unmatched evidence out of the denominator: the run's curves not
    showing a symptom does not make a stated defect less present; counter-evidence still counts.

    A *one-sided* item that did not match is left out altogether: its absence is no evidence
    against the cause (the symptom belongs to a look-alike, and this cause shows it only often).
    """
    confessed = any(r.item.conclusive and r.status == "matched" for r in items)
    units: dict[str, list[ItemResult]] = {}
    for r in items:
        if r.item.weight > 0 and (r.status == "matched" or not r.item.one_sided):
            units.setdefault(r.item.group or f"#{r.item.id}", []).append(r)
    evaluable = unknown = matched = 0.0
    for members in units.values():
        weight = max(m.item.weight for m in members)
        hits = [m.item.weight for m in members if m.status == "matched"]
        if hits:
            matched += max(hits)
            evaluable += weight
        elif all(m.status == "unknown" for m in members):
            unknown += 0.0 if confessed else weight
        elif not confessed:
            evaluable += weight
    matched += sum(r.item.weight for r in items if r.item.weight < 0 and r.status == "matched")
    denom = evaluable + unknown_weight * unknown
    return max(0.0, min(1.0, matched / denom)) if denom > 0 else 0.0


def has_signal(frame: RunFrame, pattern: str) -> bool:
    """Whether ``frame`` logs ``pattern`` (a signal, or a layer family as ``family/*``)."""
    if pattern.endswith("/*"):
        return bool(frame.layers(pattern[:-2]))
    return frame.has(pattern)
