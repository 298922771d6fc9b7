"""Rules as data: the frozen dataclasses a rule file loads into."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence: a registered check applied to a signal (or config), with a weight.

    ``signals`` holds one name for series checks, two for pair checks (``train_loss``,
    ``val_loss``), a family pattern (``act_zero_frac/*``) for layer checks, and nothing for
    config/frame checks. ``precedes`` instead orders two other items' onsets in time. Items that
    share a ``group`` are alternative manifestations of one symptom (a loss that diverges *or*
    oscillates *or* turns NaN): the group weighs as its heaviest item, once.
    """

    id: str
    check: str | None
    signals: tuple[str, ...]
    params: dict[str, Any]
    weight: float
    says: str
    key: bool = False
    precedes: tuple[str, ...] = ()
    hint: str | None = None
    group: str | None = None  # items in one group are alternative symptoms: the best one counts
    # a config fact that is the defect by definition (init: zeros): when it matches, curve
    # evidence that did not show is not held against the rule (see evaluate._score)
    conclusive: bool = False
    # a symptom the cause shares with a look-alike whose signature it is (a loss stuck at ln K
    # is bad_init's, and also what a vanishing signal gives): it weighs when it shows and says
    # nothing when it does not (see evaluate._score)
    one_sided: bool = False
    # other items of the rule that, when matched, void this one: counter-evidence whose reason
    # another item already answers ("see lr_too_low" when the config shows a usual rate)
    unless: tuple[str, ...] = ()

    @cached_property
    def memo_key(self) -> tuple[str | None, tuple[str, ...], str]:
        """What the item computes (check, signals, params): equal keys, equal results."""
        return (self.check, self.signals, repr(sorted(self.params.items())))


@dataclass(frozen=True)
class Rule:
    """One failure mode: evidence for and against, its remedies, docs and references."""

    id: str
    title: str
    category: str
    severity: str
    summary: str
    evidence: tuple[EvidenceItem, ...]
    against: tuple[EvidenceItem, ...] = ()
    requires: tuple[str, ...] = ()
    report_at: float | None = None
    maturity: str = "stable"
    differential: tuple[dict[str, str], ...] = ()
    remedies: tuple[dict[str, str], ...] = ()
    docs: dict[str, str] = field(default_factory=dict)
    references: tuple[dict[str, str], ...] = ()
    translations: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = ""

    def localized(self, lang: str | None) -> dict[str, Any]:
        """Title, summary, remedies, docs and ``says`` texts in ``lang`` (English fallback)."""
        base: dict[str, Any] = {
            "title": self.title,
            "summary": self.summary,
            "remedies": list(self.remedies),
            "docs": dict(self.docs),
            "says": {},
            "differential": list(self.differential),
        }
        if lang and lang != "en" and lang in self.translations:
            tr = self.translations[lang]
            for k in ("title", "summary", "remedies", "says", "differential"):
                if tr.get(k):
                    base[k] = tr[k]
            if tr.get("docs"):
                base["docs"] = {**base["docs"], **tr["docs"]}
        return base
