"""Every case beside every rule (``rules/**/<id>.cases.yaml``), one pytest item each.

Ids read ``<rule>::<case>`` (``lr_too_high::healthy_decay``). The cases test a rule's logic on
short synthetic curves; they are the same ones ``nn-doctor rules test`` runs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from nn_doctor.engine.cases import case_files, run_case_file
from nn_doctor.engine.load import builtin_rules_dir, load_rules

RULES_DIR = builtin_rules_dir()


@cache
def _rules_by_id() -> dict[str, object]:
    return {r.id: r for r in load_rules()}


def _cases() -> list[tuple[Path, str]]:
    out = []
    for path in case_files(RULES_DIR):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out.extend((path, str(case["name"])) for case in data["cases"])
    return out


@cache
def _results(path: Path) -> dict[str, object]:
    return {r.name: r for r in run_case_file(path, _rules_by_id())}


CASES = _cases()


def test_there_are_cases() -> None:
    assert len(CASES) >= 3 * len(_rules_by_id())


def test_case_names_are_unique_per_rule() -> None:
    seen: set[tuple[Path, str]] = set()
    for item in CASES:
        assert item not in seen, f"duplicate case name {item[1]} in {item[0].name}"
        seen.add(item)


@pytest.mark.parametrize(
    ("path", "name"),
    CASES,
    ids=[f"{p.name.removesuffix('.cases.yaml')}::{n}" for p, n in CASES],
)
def test_rule_case(path: Path, name: str) -> None:
    res = _results(path)[name]
    assert res.passed, (
        f"{res.rule}::{res.name}: {res.message} (verdict {res.verdict}, score {res.score})"
    )
