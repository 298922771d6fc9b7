"""JUnit XML: one test case per run and cause, failures for findings, errors for broken runs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from tests.conftest import diverging_loss, healthy_loss

from nn_doctor.report.document import error_run
from nn_doctor.report.junit import to_junit


def _finding(fid: str, severity: str, score: float) -> dict:  # type: ignore[type-arg]
    return {
        "id": fid,
        "title": fid.replace("_", " "),
        "category": "optimization",
        "severity": severity,
        "score": score,
        "onset_step": 12,
        "summary": "why it matters",
        "evidence": [{"id": "e", "signal": "train_loss", "says": "loss <rose> & fell\x01"}],
        "counter_evidence": [],
        "missing_signals": [],
        "differential": [],
        "remedies": [{"do": "lower the learning rate"}],
    }


def _run(name: str, findings: list, inconclusive: list | None = None) -> dict:  # type: ignore[type-arg]
    run = error_run(name, "", None)
    run.update(error=None, findings=findings, inconclusive=inconclusive or [])
    return run


def test_one_case_per_run_and_cause() -> None:
    runs = [
        _run("a", [_finding("lr_too_high", "error", 0.9), _finding("overfitting", "warning", 0.6)]),
        _run("b", [], [{"id": "dead_relu", "missing_signals": ["act_zero_frac/*"]}]),
        error_run("c", "no usable loss signal in c", "map it"),
    ]
    root = ET.fromstring(to_junit(runs))  # parses: control characters were replaced
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "5",
        "2",
        "1",
        "1",
    )
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert list(suites) == ["a", "b", "c"]
    cases_a = suites["a"].findall("testcase")
    assert [c.get("name") for c in cases_a] == ["lr_too_high", "overfitting"]
    failure = cases_a[0].find("failure")
    assert failure is not None and failure.get("type") == "error"
    assert "score 0.90" in failure.get("message", "") and "from step 12" in failure.get(
        "message", ""
    )
    assert "lower the learning rate" in (failure.text or "")
    names_b = [c.get("name") for c in suites["b"].findall("testcase")]
    assert names_b == ["no_cause_found", "dead_relu"]
    assert suites["b"].find("testcase[@name='dead_relu']/skipped") is not None
    err = suites["c"].find("testcase/error")
    assert err is not None and "no usable loss" in err.get("message", "")


def test_same_runs_same_file() -> None:
    runs = [_run("a", [_finding("lr_too_high", "error", 0.9)])]
    assert to_junit(runs) == to_junit(runs)


def test_diagnose_junit_option(write_csv, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from nn_doctor.cli import main

    bad = write_csv({"train_loss": diverging_loss()}, name="bad.csv")
    good = write_csv({"train_loss": healthy_loss()}, name="good.csv")
    out = tmp_path / "report.xml"
    with pytest.raises(SystemExit) as exit_:
        main(["diagnose", str(bad), str(good), "--format", "json", "--junit", str(out)])
    assert exit_.value.code == 1
    assert capsys.readouterr().out.lstrip().startswith("{")  # stdout: only the JSON
    root = ET.parse(out).getroot()
    suites = {Path(s.get("name", "")).name: s for s in root.iter("testsuite")}
    assert set(suites) == {"bad.csv", "good.csv"}
    assert suites["bad.csv"].find("testcase[@name='lr_too_high']/failure") is not None
    assert suites["good.csv"].find("testcase[@name='no_cause_found']") is not None
    assert suites["good.csv"].find("testcase/failure") is None
