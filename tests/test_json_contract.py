"""The JSON document validates against the schema shipped in the package."""

from __future__ import annotations

import json

import jsonschema
import pytest
from tests.conftest import diverging_loss, healthy_loss, run_cli

from nn_doctor.report.document import error_run, schema


def test_findings_document_validates(write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"loss": diverging_loss(), "lr": [0.1] * 200})
    doc = json.loads(run_cli("diagnose", str(path), "-f", "json").stdout)
    jsonschema.validate(doc, schema())
    run = doc["runs"][0]
    assert run["findings"][0]["evidence"][0]["step"] is not None
    assert {"name", "version", "rules_version"} <= set(doc["tool"])


def test_healthy_and_error_documents_validate(write_csv, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"loss": healthy_loss()})
    doc = json.loads(run_cli("diagnose", str(path), str(tmp_path / "gone"), "-f", "json").stdout)
    jsonschema.validate(doc, schema())
    assert doc["runs"][0]["findings"] == []
    assert doc["runs"][0]["reading"]["text"]
    assert doc["runs"][1]["error"]["message"]


def test_schema_rejects_a_broken_document() -> None:
    bad = {
        "schema_version": 1,
        "tool": {"name": "nn-doctor", "version": "x", "rules_version": "1"},
        "runs": [error_run("p", "m", None) | {"findings": [{"id": "X"}]}],
    }
    try:
        jsonschema.validate(bad, schema())
    except jsonschema.ValidationError:
        return
    raise AssertionError("schema accepted a finding without required keys")


def test_values_a_run_blew_up_to_are_spelled_as_text(write_csv) -> None:  # type: ignore[no-untyped-def]
    # validation never improves and then climbs: it gave back infinitely more than it gained, a
    # measured value that strict JSON has no number for (seen on a real Keras log)
    loss = [1.0 - 0.009 * i for i in range(100)]
    val = [1.0] * 50 + [1.0 + 0.04 * i for i in range(50)]
    result = run_cli("diagnose", str(write_csv({"loss": loss, "val_loss": val})), "-f", "json")
    assert result.returncode in (0, 1), result.stderr
    doc = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"bare {c} in JSON"))
    jsonschema.validate(doc, schema())
    values = [e["value"] for f in doc["runs"][0]["findings"] for e in f["evidence"]]
    assert "inf" in values
