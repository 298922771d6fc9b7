"""From a run frame to a :class:`Diagnosis`: every rule evaluated, findings ranked, JSON-ready."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nn_doctor.checks._util import memo_scope
from nn_doctor.engine.evaluate import (
    DEFAULT_REPORT_AT,
    DEFAULT_UNKNOWN_WEIGHT,
    RuleResult,
    evaluate_rule,
    fill,
    has_signal,
    reads_config,
)
from nn_doctor.engine.model import SEVERITY_RANK, Rule

if TYPE_CHECKING:
    from nn_doctor.frame import RunFrame

SCHEMA_VERSION = 1


@dataclass
class Finding:
    """One cause the tool stands behind on this run (score at or above the report threshold)."""

    id: str
    title: str
    category: str
    severity: str
    score: float
    onset_step: int | None
    evidence: list[dict[str, Any]]
    counter_evidence: list[dict[str, Any]]
    missing_signals: list[dict[str, str]]
    differential: list[dict[str, str]]
    remedies: list[dict[str, str]]
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The finding as in the JSON document (DECISIONS.md §7)."""
        return {
            "id": self.id,
            "title": self.title,
            "category": self.category,
            "severity": self.severity,
            "score": self.score,
            "onset_step": self.onset_step,
            "summary": self.summary,
            "evidence": self.evidence,
            "counter_evidence": self.counter_evidence,
            "missing_signals": self.missing_signals,
            "differential": self.differential,
            "remedies": self.remedies,
        }


@dataclass
class Diagnosis:
    """Everything nn-doctor concluded about one run."""

    path: str
    run: str
    format: str
    steps: dict[str, Any]
    signals: list[str]
    config: dict[str, Any]
    reading: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    inconclusive: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: dict[str, str] | None = None
    results: list[RuleResult] = field(default_factory=list, repr=False)
    frame: RunFrame | None = field(default=None, repr=False)

    @property
    def healthy(self) -> bool:
        """No finding and no error."""
        return not self.findings and self.error is None

    def to_dict(self) -> dict[str, Any]:
        """The run entry of the JSON document (DECISIONS.md §7)."""
        return {
            "path": self.path,
            "run": self.run,
            "format": self.format,
            "steps": self.steps,
            "signals": self.signals,
            "config": self.config,
            "reading": self.reading,
            "findings": [f.to_dict() for f in self.findings],
            "inconclusive": self.inconclusive,
            "notes": self.notes,
            "warnings": self.warnings,
            "error": self.error,
        }


def _evidence_entry(r: Any, lang_says: dict[str, str]) -> dict[str, Any]:
    out = r.outcome
    values: dict[str, Any] = {**r.item.params}
    if out is not None:
        values.update(out.measures)
        values.setdefault("value", out.value)
        values["onset"] = out.step
        values["step"] = out.step
    # a frame check names the signal it measured (scales_within's largest) in its measures
    values["signal"] = r.signal or values.get("signal")
    template = lang_says.get(r.item.id, r.item.says)
    value = out.value if out is not None else None
    return {
        "id": r.item.id,
        "signal": r.signal,
        "says": fill(template, values),
        "step": out.step if out is not None else None,
        "value": value if value is None or isinstance(value, (int, float, str)) else str(value),
    }


def _missing(result: RuleResult) -> list[dict[str, str]]:
    """Signals and config facts whose absence left evidence unevaluated, with what they'd test."""
    seen: dict[str, str] = {}
    for r in result.items:
        if r.status != "unknown" or r.item.weight <= 0:
            continue
        for sig in r.missing or ([r.signal] if r.signal else []):
            if sig and sig not in seen:
                seen[sig] = r.item.hint or (
                    f"would test: {r.item.says.split('{')[0].strip() or r.item.id}"
                    if not sig.startswith("config.")
                    else f"set it (--set {sig[7:]}=…) to test: {r.item.says.split('{')[0].strip() or r.item.id}"
                )
    return [{"signal": s, "hint": h} for s, h in seen.items()]


def _finding(result: RuleResult, lang: str | None) -> Finding:
    rule = result.rule
    loc = rule.localized(lang)
    says = loc.get("says") or {}
    evidence = [
        _evidence_entry(r, says)
        for r in result.items
        if r.status == "matched" and r.item.weight > 0
    ]
    counter = [
        _evidence_entry(r, says)
        for r in result.items
        if r.status == "matched" and r.item.weight < 0
    ]
    return Finding(
        id=rule.id,
        title=loc["title"],
        category=rule.category,
        severity=rule.severity,
        score=result.score,
        onset_step=result.onset_step,
        evidence=evidence,
        counter_evidence=counter,
        missing_signals=_missing(result),
        differential=[dict(d) for d in loc["differential"]],
        remedies=[dict(r) for r in loc["remedies"]],
        summary=loc["summary"],
    )


#: A quiet rule scoring this much, on evidence read from the curves, is named as a close fit when
#: nothing fired on a run that did not learn (a run that learned needs no candidates).
CLOSE_FIT = 0.3
#: How many close fits a note names.
CLOSE_FITS = 3


def _absent(signal: str, frame: RunFrame) -> bool:
    """Whether ``signal`` (or a ``config.`` fact) is missing from the run, not merely unusable."""
    return signal.startswith("config.") or not has_signal(frame, signal)


def _absent_first(missing: list[dict[str, str]], frame: RunFrame) -> list[str]:
    """The signals of ``missing`` the run lacks; all of them when it logs every one (then a
    logged signal that could not be read here is the whole story)."""
    names = [m["signal"] for m in missing]
    return [n for n in names if _absent(n, frame)] or names


def closest_fits(results: list[RuleResult], frame: RunFrame, lang: str | None) -> list[str]:
    """Notes naming the causes that came closest on a run that did not learn, none confirmed.

    "The loss barely moved and no cause stands out" leaves a user with nothing to try; the
    rules that scored highest without firing say where to look, and their missing signals what
    to log to settle it. Only rules some curve spoke for count (a config fact alone is no fit),
    and the note says they are below the report line: they are not findings (DECISIONS §6). On
    the zoo, one of the three named is an accepted cause for 26 of the 45 such faulty runs.
    """
    fits = []
    for result in results:
        if result.verdict != "quiet" or result.score < CLOSE_FIT:
            continue
        curve = [
            r
            for r in result.items
            if r.status == "matched" and r.item.weight > 0 and not reads_config(r.item)
        ]
        if curve:
            fits.append((result, max(curve, key=lambda r: r.item.weight)))
    fits.sort(key=lambda f: (-f[0].score, f[0].rule.id))
    notes = []
    for result, strongest in fits[:CLOSE_FITS]:
        loc = result.rule.localized(lang)
        says = _evidence_entry(strongest, loc.get("says") or {})["says"]
        # what is absent, not what is logged but could not be read here
        missing = [m["signal"] for m in _missing(result) if _absent(m["signal"], frame)][:3]
        confirm = f"; to settle it, log or set {', '.join(missing)}" if missing else ""
        notes.append(
            f"close fit, not a finding: {result.rule.id} ({result.score:.2f}, below the report "
            f"line): {says}{confirm}"
        )
    return notes


def rank_key(f: Finding) -> tuple[float, int, str]:
    """Ranking: score (descending), then severity, then id — deterministic."""
    return (-f.score, SEVERITY_RANK.get(f.severity, 9), f.id)


def diagnose_frame(
    frame: RunFrame,
    *,
    rules: list[Rule] | None = None,
    lang: str | None = None,
    report_at: float | None = None,
    unknown_weight: float | None = None,
) -> Diagnosis:
    """Evaluate every rule on one run and build its ranked :class:`Diagnosis`."""
    from nn_doctor.engine.load import load_rules
    from nn_doctor.engine.notes import run_notes
    from nn_doctor.report.reading import barely_moved, reading

    rules = load_rules() if rules is None else rules
    rng = frame.step_range
    diag = Diagnosis(
        path=frame.path,
        run=frame.run,
        format=frame.format,
        steps={
            "first": rng[0] if rng else None,
            "last": rng[1] if rng else None,
            "count": frame.n_steps,
            "cadence": frame.cadence(),
            "axis": frame.axis,
        },
        signals=frame.signals,
        config=frame.config,
        reading=reading(frame),
        warnings=list(frame.warnings),
        notes=list(frame.notes),
        frame=frame,
    )
    if not frame.has("train_loss") and not frame.has("val_loss"):
        found = ", ".join(frame.signals[:12]) or "none"
        diag.error = {
            "message": f"no usable loss signal in {frame.run}",
            "hint": f"found signals: {found}; map yours in .nn-doctor.yaml "
            "(signals: {train_loss: [my_loss]}) or run `nn-doctor inspect`",
        }
        return diag
    threshold = DEFAULT_REPORT_AT if report_at is None else report_at
    weight = DEFAULT_UNKNOWN_WEIGHT if unknown_weight is None else unknown_weight
    with memo_scope():  # the checks of every rule share what they compute on this run
        _evaluate_all(diag, frame, rules, lang, threshold, weight)
    diag.findings.sort(key=rank_key)
    diag.notes.extend(run_notes(frame, frozenset(f.id for f in diag.findings)))
    if not diag.findings and barely_moved(diag.reading):
        diag.notes.extend(closest_fits(diag.results, frame, lang))
    return diag


def _evaluate_all(
    diag: Diagnosis,
    frame: RunFrame,
    rules: list[Rule],
    lang: str | None,
    threshold: float,
    weight: float,
) -> None:
    for rule in rules:
        result = evaluate_rule(rule, frame, report_at=threshold, unknown_weight=weight)
        diag.results.append(result)
        keys = [r for r in result.items if r.item.key]
        if result.verdict == "fires":
            diag.findings.append(_finding(result, lang))
        elif result.verdict == "inconclusive" or (
            keys and all(r.status == "unknown" for r in keys)
        ):
            missing = result.missing_required or _absent_first(_missing(result), frame)
            diag.inconclusive.append({"id": rule.id, "missing_signals": missing})
