"""Meta-tests over the built-in rules: one rule per catalog id, complete docs, valid templates."""

from __future__ import annotations

import string

import pytest
import yaml

from nn_doctor.catalog import CATALOG
from nn_doctor.checks import registry
from nn_doctor.engine.load import builtin_rules_dir, load_rules, rule_files

RULES_DIR = builtin_rules_dir()
RULES = {r.id: r for r in load_rules()}
FILES = {p.stem: p for p in rule_files(RULES_DIR)}
#: Names every ``says`` template may use besides the check's params and declared measures.
ENGINE_NAMES = {"value", "onset", "step", "signal"}


def _raw(rule_id: str) -> dict:
    return yaml.safe_load(FILES[rule_id].read_text(encoding="utf-8"))


def _cases(rule_id: str) -> dict:
    path = FILES[rule_id].with_name(f"{rule_id}.cases.yaml")
    assert path.is_file(), f"{rule_id}: no cases file {path.name} beside the rule"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _fields(template: str) -> set[str]:
    names = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field:
            names.add(field.split(".")[0].split("[")[0])
    return names


def test_every_catalog_id_has_exactly_one_rule() -> None:
    stems = [p.stem for p in rule_files(RULES_DIR)]
    assert sorted(stems) == sorted(set(stems)), "a rule id appears in two files"
    assert set(stems) == set(CATALOG)


@pytest.mark.parametrize("rule_id", sorted(CATALOG))
def test_stem_category_and_severity(rule_id: str) -> None:
    path = FILES[rule_id]
    rule = RULES[rule_id]
    category, severity = CATALOG[rule_id]
    assert rule.id == path.stem
    assert path.parent.name == category == rule.category
    assert rule.severity == severity
    assert rule.maturity == "stable"


@pytest.mark.parametrize("rule_id", sorted(CATALOG))
def test_docs_remedies_references(rule_id: str) -> None:
    rule = RULES[rule_id]
    for key in ("what", "why", "looks_like"):
        assert str(rule.docs.get(key, "")).strip(), f"{rule_id}: docs.{key} is empty"
    assert rule.summary.strip()
    assert rule.remedies, f"{rule_id}: no remedies"
    for remedy in rule.remedies:
        assert str(remedy.get("do", "")).strip() and str(remedy.get("why", "")).strip()
    urls = [str(ref.get("url", "")) for ref in rule.references]
    assert any(u.startswith(("http://", "https://")) for u in urls), f"{rule_id}: no reference URL"
    for ref in rule.references:
        assert str(ref.get("title", "")).strip()


@pytest.mark.parametrize("rule_id", sorted(CATALOG))
def test_chinese_translation(rule_id: str) -> None:
    rule = RULES[rule_id]
    zh = rule.translations.get("zh")
    assert zh, f"{rule_id}: no zh block"
    assert str(zh.get("title", "")).strip() and str(zh.get("summary", "")).strip()
    assert len(zh.get("remedies") or []) == len(rule.remedies), (
        f"{rule_id}: zh remedies differ in number"
    )
    for key in ("what", "why", "looks_like"):
        assert str((zh.get("docs") or {}).get(key, "")).strip(), (
            f"{rule_id}: zh docs.{key} is empty"
        )
    localized = rule.localized("zh")
    assert localized["title"] == zh["title"]
    if zh.get("says"):
        ids = {e.id for e in rule.evidence + rule.against}
        assert set(zh["says"]) <= ids, f"{rule_id}: zh says for unknown evidence ids"


@pytest.mark.parametrize("rule_id", sorted(CATALOG))
def test_differential_names_catalog_causes(rule_id: str) -> None:
    for entry in RULES[rule_id].differential:
        assert entry.get("cause") in CATALOG, f"{rule_id}: differential names {entry.get('cause')}"
        assert entry.get("cause") != rule_id
        for key in ("shared", "tell_apart_by", "note"):
            assert str(entry.get(key, "")).strip(), (
                f"{rule_id}: differential {entry.get('cause')} lacks {key}"
            )


@pytest.mark.parametrize("rule_id", sorted(CATALOG))
def test_cases_cover_fires_quiet_and_inconclusive(rule_id: str) -> None:
    data = _cases(rule_id)
    assert data["rule"] == rule_id
    verdicts = [c.get("expect", {}).get("verdict") for c in data["cases"]]
    assert "fires" in verdicts and "quiet" in verdicts
    if RULES[rule_id].requires:
        assert "inconclusive" in verdicts


@pytest.mark.parametrize("rule_id", sorted(CATALOG))
def test_checks_registered_and_templates_resolvable(rule_id: str) -> None:
    checks = registry()
    rule = RULES[rule_id]
    zh_says = (rule.translations.get("zh") or {}).get("says") or {}
    for item in rule.evidence + rule.against:
        templates = [item.says] + ([zh_says[item.id]] if item.id in zh_says else [])
        if item.precedes:
            allowed = ENGINE_NAMES | {"gap"}
        else:
            assert item.check in checks, f"{rule_id}.{item.id}: unknown check {item.check}"
            spec = checks[item.check]
            named = {v for v in item.params.values() if isinstance(v, str)}
            allowed = ENGINE_NAMES | set(spec.params) | set(spec.measures) | named
        for template in templates:
            unknown = _fields(template) - allowed
            assert not unknown, f"{rule_id}.{item.id}: says uses {sorted(unknown)}"


@pytest.mark.parametrize("rule_id", sorted(CATALOG))
def test_every_number_is_commented(rule_id: str) -> None:
    """Each evidence item's params carry a comment with their reason (a YAML `#` line nearby)."""
    text = FILES[rule_id].read_text(encoding="utf-8")
    raw = _raw(rule_id)
    for item in (raw.get("evidence") or []) + (raw.get("against") or []):
        if not item.get("params"):
            continue
        # the item's block, from its id to the next item
        start = text.index(f"id: {item['id']}")
        end = text.find("\n  - id:", start + 1)
        block = text[start : end if end > 0 else len(text)]
        assert "#" in block, f"{rule_id}.{item['id']}: params without a comment giving their reason"
