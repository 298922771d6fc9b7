"""The rule engine: loading with path-chain errors, scoring, verdicts, ranking, overrides."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from nn_doctor.engine.cases import expand
from nn_doctor.engine.diagnosis import diagnose_frame
from nn_doctor.engine.evaluate import evaluate_rule
from nn_doctor.engine.load import load_rules, parse_rule
from nn_doctor.errors import RuleError
from nn_doctor.frame import RawRun, build_frame

RULE = {
    "id": "toy",
    "title": "Toy",
    "category": "optimization",
    "severity": "warning",
    "summary": "A toy rule.",
    "evidence": [
        {
            "id": "div",
            "key": True,
            "group": "g",
            "signal": "train_loss",
            "check": "diverges",
            "params": {"min_rebound": 1.0},
            "weight": 0.5,
            "says": "diverged at {onset}",
        },
        {
            "id": "nan",
            "key": True,
            "group": "g",
            "signal": "train_loss",
            "check": "nonfinite",
            "weight": 0.5,
            "says": "nan at {onset}",
        },
        {
            "id": "zeros",
            "signal": "act_zero_frac/*",
            "check": "layer_level",
            "params": {"min": 0.7},
            "weight": 0.5,
            "says": "zeros {value}",
        },
    ],
    "remedies": [{"do": "x"}],
}


def frame(values: list[float | None], extra: dict[str, list[float]] | None = None):  # type: ignore[no-untyped-def]
    rows = [(i, "loss", v) for i, v in enumerate(values) if v is not None]
    for name, vals in (extra or {}).items():
        rows += [(i, name, v) for i, v in enumerate(vals)]
    df = pd.DataFrame(rows, columns=["step", "name", "value"])
    df["wall_time"] = math.nan
    return build_frame(RawRun(records=df, format="t", path="p"))


def rule(**changes: object):  # type: ignore[no-untyped-def]
    return parse_rule({**RULE, **changes}, Path("toy.yaml"))


def test_expand_notation() -> None:
    got = expand("1x2 0+0.5x2 _ 2*2x2")
    assert got == [1.0, 1.0, 1.0, 0.0, 0.5, 1.0, None, 2.0, 4.0, 8.0]
    assert math.isnan(expand("nan")[0]) and expand("_x3") == [None, None, None]
    with pytest.raises(ValueError, match="bad series token"):
        expand("1y3")


def test_group_counts_once_and_unknown_is_discounted() -> None:
    f = frame([2.0 - 0.01 * i for i in range(100)] + [1.0 + 0.05 * i for i in range(100)])
    res = evaluate_rule(rule(), f)
    assert res.verdict == "fires"
    # group g matched (0.5) + zeros unknown (0.5 * 0.5): 0.5 / 0.75
    assert res.score == pytest.approx(0.5 / 0.75, abs=1e-3)
    assert res.onset_step is not None and res.onset_step > 100


def test_decisive_evidence_outranks_thin() -> None:
    up = [2.0 - 0.01 * i for i in range(100)] + [1.0 + 0.05 * i for i in range(100)]
    thin = evaluate_rule(rule(), frame(up)).score
    rich = evaluate_rule(rule(), frame(up, {"act_zero_frac/fc1": [0.9] * 200})).score
    assert rich == 1.0 and thin < rich


def test_requires_missing_is_inconclusive() -> None:
    res = evaluate_rule(rule(requires=["grad_norm"]), frame([1.0] * 50))
    assert res.verdict == "inconclusive" and res.missing_required == ["grad_norm"]


#: Counter-evidence that matches on :func:`_warmed_up_divergence`: the rate rose 10x.
WARMUP = {
    "id": "warm",
    "signal": "lr",
    "check": "lr_step_up",
    "params": {"min_factor": 3.0},
    "weight": -0.5,
    "says": "warmup",
}


def _warmed_up_divergence():  # type: ignore[no-untyped-def]
    """A loss that falls then runs away, under a rate warmed up 10x over its first 10 steps."""
    up = [2.0 - 0.01 * i for i in range(100)] + [1.0 + 0.05 * i for i in range(100)]
    lr = [0.001 * (1 + i) if i < 10 else 0.01 for i in range(200)]
    return frame(up, {"lr": lr})


def test_against_lowers_score() -> None:
    f = _warmed_up_divergence()
    plain = evaluate_rule(rule(), f).score
    lowered = evaluate_rule(rule(against=[WARMUP]), f).score
    assert lowered < plain


def test_an_item_is_void_when_an_item_it_names_matched() -> None:
    """``unless``: counter-evidence whose reason another item answers does not subtract."""
    f = _warmed_up_divergence()
    plain = evaluate_rule(rule(), f).score
    lowered = evaluate_rule(rule(against=[WARMUP]), f)
    voided = evaluate_rule(rule(against=[{**WARMUP, "unless": ["div"]}]), f)
    kept = evaluate_rule(rule(against=[{**WARMUP, "unless": ["zeros"]}]), f)  # zeros: unknown
    assert lowered.score < plain
    assert voided.score == plain
    assert {r.item.id: r.status for r in voided.items}["warm"] == "unmatched"
    assert kept.score == lowered.score


CONFESSION = {
    "id": "stated",
    "key": True,
    "conclusive": True,
    "check": "config_is",
    "params": {"key": "init", "values": ["zeros"]},
    "weight": 0.3,
    "says": "init is {value}",
}


def test_a_conclusive_config_fact_is_not_diluted_by_symptoms_that_did_not_show() -> None:
    flat_loss = [1.0] * 200  # neither diverged nor NaN: the group is evaluable and unmatched
    with_config = frame(flat_loss)
    with_config.config["init"] = "zeros"
    plain = evaluate_rule(
        rule(evidence=[*RULE["evidence"], {**CONFESSION, "conclusive": False}]), with_config
    )
    confessed = evaluate_rule(rule(evidence=[*RULE["evidence"], CONFESSION]), with_config)
    # without the flag: 0.3 matched over 0.3 + 0.5 (group g) + 0.25 (zeros unknown, halved)
    assert plain.score == pytest.approx(0.3 / 1.05, abs=1e-3) and plain.verdict == "quiet"
    assert confessed.score == 1.0 and confessed.verdict == "fires"
    # counter-evidence still counts against a confessed cause
    against = [
        {
            **CONFESSION,
            "id": "flat",
            "conclusive": False,
            "check": "relative_range",
            "signal": "train_loss",
            "params": {"max": 0.01},
            "weight": -0.15,
            "says": "flat",
            "key": False,
        }
    ]
    countered = evaluate_rule(
        rule(evidence=[*RULE["evidence"], CONFESSION], against=against), with_config
    )
    assert countered.score == pytest.approx((0.3 - 0.15) / 0.3, abs=1e-3)
    # a config fact that does not hold confesses nothing
    other = frame(flat_loss)
    other.config["init"] = "kaiming"
    assert evaluate_rule(rule(evidence=[*RULE["evidence"], CONFESSION]), other).verdict == "quiet"


def test_a_one_sided_item_weighs_when_it_shows_and_is_silent_when_not() -> None:
    shared = {
        "id": "shared",
        "check": "relative_range",
        "signal": "train_loss",
        "params": {"max": 0.01},  # the loss barely moves
        "weight": 0.2,
        "says": "flat",
    }
    flat = frame([1.0] * 200)
    moving = frame([2.0 - 0.01 * i for i in range(100)] + [1.0 + 0.05 * i for i in range(100)])
    two_sided = rule(evidence=[*RULE["evidence"], shared])
    one_sided = rule(evidence=[*RULE["evidence"], {**shared, "one_sided": True}])
    base = evaluate_rule(rule(), moving).score
    assert base > 0  # it diverged
    # not shown: a two-sided item dilutes the score, a one-sided one leaves it as it was
    assert evaluate_rule(two_sided, moving).score < base
    assert evaluate_rule(one_sided, moving).score == pytest.approx(base)
    # shown: both weigh the same
    assert evaluate_rule(one_sided, flat).score == pytest.approx(
        evaluate_rule(two_sided, flat).score
    )
    assert evaluate_rule(one_sided, flat).score > evaluate_rule(rule(), flat).score


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"severity": "fatal"}, "severity"),
        (
            {"evidence": [{**RULE["evidence"][0], "params": {"min_rebund": 1}}]},
            "unknown param 'min_rebund'",
        ),
        ({"evidence": [{**RULE["evidence"][0], "check": "nope"}]}, "unknown check 'nope'"),
        ({"evidence": [{**RULE["evidence"][0], "key": False}]}, "key: true"),
        ({"evidence": [{**RULE["evidence"][0], "weight": -1}]}, "positive weight"),
        ({"evidence": [{**RULE["evidence"][0], "params": {"min_rebound": "x"}}]}, "expected"),
        ({"colour": "red"}, "unknown key"),
        ({"evidence": [{**RULE["evidence"][0], "conclusive": True}]}, "only positive config"),
        (
            {"against": [{**RULE["evidence"][0], "weight": -0.2, "one_sided": True}]},
            "only positive evidence can be one-sided",
        ),
        (
            {"evidence": [{**RULE["evidence"][0], "unless": ["nope"]}]},
            "unknown evidence id 'nope'",
        ),
        ({"evidence": [{**RULE["evidence"][0], "unless": "nan"}]}, "expected a list of evidence"),
    ],
)
def test_malformed_rules_name_file_and_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(RuleError) as info:
        rule(**change)
    assert "invalid rule file toy.yaml" in info.value.message
    assert message in info.value.message


def test_id_must_match_stem(tmp_path: Path) -> None:
    path = tmp_path / "other.yaml"
    path.write_text(yaml.safe_dump(RULE))
    with pytest.raises(RuleError, match="file stem"):
        load_rules([tmp_path], include_builtin=False)


def test_user_rules_folder_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "toy.yaml").write_text(yaml.safe_dump(RULE))
    rules = load_rules(
        [tmp_path],
        include_builtin=False,
        overrides={
            "toy": {"severity": "error", "evidence": {"div": {"params": {"min_rebound": 50.0}}}}
        },
    )
    assert rules[0].severity == "error"
    assert rules[0].evidence[0].params["min_rebound"] == 50.0
    with pytest.raises(RuleError, match="unknown evidence id"):
        load_rules([tmp_path], include_builtin=False, overrides={"toy": {"evidence": {"zzz": {}}}})


def test_ranking_is_deterministic_and_findings_only_above_threshold() -> None:
    r1 = rule()
    r2 = parse_rule({**RULE, "id": "atoy", "severity": "error"}, Path("atoy.yaml"))
    up = [2.0 - 0.01 * i for i in range(100)] + [1.0 + 0.05 * i for i in range(100)]
    d = diagnose_frame(frame(up), rules=[r1, r2])
    assert [f.id for f in d.findings] == ["atoy", "toy"]  # same score: error before warning
    d_high = diagnose_frame(frame(up), rules=[r1, r2], report_at=0.9)
    assert d_high.findings == []


def test_builtin_rules_load() -> None:
    rules = load_rules()
    assert rules and all(r.source for r in rules)


def test_says_template_fields_are_validated() -> None:
    bad = {**RULE["evidence"][0], "says": "diverged {factr:.1f}x"}
    with pytest.raises(RuleError, match="'\\{factr\\}' is not something check 'diverges' measures"):
        rule(evidence=[bad])


def test_missing_config_facts_are_named() -> None:
    item = {
        "id": "relu",
        "check": "config_is",
        "params": {"key": "hidden_activation", "values": ["relu"]},
        "weight": 0.5,
        "says": "relu",
    }
    up = [2.0 - 0.01 * i for i in range(100)] + [1.0 + 0.05 * i for i in range(100)]
    d = diagnose_frame(frame(up), rules=[rule(evidence=[*RULE["evidence"], item])])
    missing = {m["signal"]: m["hint"] for m in d.findings[0].missing_signals}
    assert "config.hidden_activation" in missing
    assert "--set hidden_activation=" in missing["config.hidden_activation"]


def test_yaml_c_parser_reads_every_rule_file_as_pyyaml_does(tmp_path: Path) -> None:
    from nn_doctor.engine.load import builtin_rules_dir, parse_yaml

    files = sorted(builtin_rules_dir().rglob("*.yaml"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert parse_yaml(text) == yaml.safe_load(text), path
    bad = tmp_path / "toy.yaml"
    bad.write_text("id: toy\nevidence: [a, b\n")
    with pytest.raises(yaml.YAMLError) as py_error:
        yaml.safe_load(bad.read_text())
    with pytest.raises(RuleError) as info:
        load_rules([tmp_path], include_builtin=False)
    assert str(py_error.value).splitlines()[0] in info.value.message  # PyYAML's own words


def test_the_evaluation_memo_changes_no_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every rule on every example run: the same results with the memo as without it."""
    import contextlib
    from dataclasses import asdict

    from nn_doctor.api import read_runs
    from nn_doctor.engine import diagnosis, evaluate

    rules = load_rules()
    root = Path(__file__).resolve().parents[1] / "examples"
    frames = [f for p in sorted((root / "zoo" / "full").iterdir())[:8] for f in read_runs(p)]
    frames += read_runs(root / "diverged")

    def results(d: diagnosis.Diagnosis) -> str:  # repr: NaN measures compare equal
        return repr([(asdict(r.rule)["id"], r.verdict, r.score, r.onset_step, [
            (i.item.id, i.status, i.signal, i.missing, i.outcome) for i in r.items
        ]) for r in d.results])  # fmt: skip

    with_memo = [(diagnose_frame(f, rules=rules), f) for f in frames]
    monkeypatch.setattr(diagnosis, "memo_scope", contextlib.nullcontext)
    monkeypatch.setattr(evaluate, "memo_scope", contextlib.nullcontext)
    for memo_diag, f in with_memo:
        plain = diagnose_frame(f, rules=rules)
        assert results(plain) == results(memo_diag)
        assert repr(plain.to_dict()) == repr(memo_diag.to_dict())


def test_says_renders_infinity_as_a_symbol_not_a_word() -> None:
    from nn_doctor.engine.evaluate import fill

    # a ratio over a zero denominator: "infx as much" read as a word
    assert fill("{r:.1f}x as much", {"r": math.inf}) == "∞x as much"
    assert fill("{r:.2f}", {"r": -math.inf}) == "-∞"
    assert fill("{r:.2f}", {"r": 1.5}) == "1.50"


def test_a_frame_check_names_the_signal_it_measured_in_its_says() -> None:
    # scales_within reports which of its signals was largest; the says must show it, not "?"
    from tests.checks.conftest import make_frame

    n = 40
    f = make_frame(
        {
            "train_loss": [2.0 * math.exp(-i / 10) + 0.1 for i in range(n)],
            "input_std": [1.0] * n,
            "input_mean": [0.0] * n,
            "target_std": [0.5] * n,
            "target_mean": [3.0] * n,
        }
    )
    d = diagnose_frame(f)
    result = next(r for r in d.results if r.rule.id == "no_normalization")
    item = next(i for i in result.items if i.item.id == "data_on_unit_scale")
    assert item.status == "matched"
    from nn_doctor.engine.diagnosis import _evidence_entry

    says = _evidence_entry(item, {})["says"]
    assert "target_mean 3" in says and "?" not in says


def test_inconclusive_names_what_is_absent_before_what_was_logged() -> None:
    # a short flat loss: some rules' loss items cannot read it (unknown) while their other
    # evidence needs signals or config the log lacks; the absent ones are what to add
    from tests.checks.conftest import make_frame

    d = diagnose_frame(make_frame({"train_loss": [2.3, 2.3, 2.29, 2.3, 2.3, 2.31, 2.3, 2.3]}))
    assert d.inconclusive
    for entry in d.inconclusive:
        names = entry["missing_signals"]
        absent = [n for n in names if n.startswith("config.") or n != "train_loss"]
        assert names and (not absent or "train_loss" not in names), entry
