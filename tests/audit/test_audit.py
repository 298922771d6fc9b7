"""``nn-doctor audit``: every run once, broken runs listed, sort order, exit codes, outputs."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest
from tests.audit.helpers import EXPECTED, label, snapshot

from nn_doctor.audit.rows import STATUS_ORDER
from nn_doctor.report.document import schema


def _audit_json(cli, *args: str) -> tuple[int, dict, str]:  # type: ignore[no-untyped-def]
    code, out, err = cli("audit", *args, "--format", "json", "--no-progress")
    return code, json.loads(out), err


def test_every_run_once_broken_listed_audit_finishes(cli, tree: Path) -> None:  # type: ignore[no-untyped-def]
    code, doc, err = _audit_json(cli, str(tree))
    assert code == 0, err  # default --fail-on never: an audit is a report
    jsonschema.validate(doc, schema())
    labels = [label(r, tree) for r in doc["runs"]]
    assert sorted(labels) == sorted(EXPECTED)  # each once, despite the symlink loop
    broken = next(r for r in doc["runs"] if label(r, tree) == "broken/trainer_state.json")
    assert broken["error"]["message"]
    assert "broken/trainer_state.json" in err  # listed on stderr with its error
    assert "7 run(s)" in err.splitlines()[-1]


def test_rows_sorted_by_severity_then_score(cli, tree: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("audit", str(tree), "--format", "csv", "--no-progress")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    status = {label({"run": r["run"]}, tree): r["status"] for r in rows}
    assert status == EXPECTED, out
    keys = [(STATUS_ORDER[r["status"]], -float(r["score"] or 0)) for r in rows]
    assert keys == sorted(keys)
    assert rows[0]["top_cause"] == "lr_too_high" and rows[0]["onset"]


def test_text_table_has_the_summary_columns(cli, tree: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("audit", str(tree), "--no-progress")
    assert code == 0, err
    head = out.splitlines()[0].split()
    assert head[:4] == ["status", "run", "format", "steps"] and "onset" in head
    assert "lr_too_high" in out.splitlines()[1]
    assert "run(s)" not in out and "run(s)" in err  # summary on stderr, report on stdout


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ((), 0),
        (("--fail-on", "error"), 1),
        (("--fail-on", "error", "--exit-zero"), 0),
        (("--fail-on-id", "lr_too_high"), 1),
        (("--strict",), 2),
        (("--fail-on", "error", "--strict"), 2),  # could not check outranks a finding
        (("--fail-on", "error", "--ignore", "lr_too_high"), 0),
    ],
)
def test_exit_codes(cli, tree: Path, flags: tuple[str, ...], expected: int) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("audit", str(tree), "--no-progress", *flags)
    assert code == expected, err


def test_missing_folder_or_no_run_is_exit_2(cli, tree: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("audit", str(tree), str(tmp_path / "gone"), "--no-progress", "-f", "csv")
    assert code == 2
    assert "gone" in err and len(list(csv.DictReader(io.StringIO(out)))) == len(EXPECTED) + 1
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = cli("audit", str(empty), "--no-progress")
    assert code == 2 and "no training run found" in err


def test_internal_error_is_that_runs_error(cli, tree: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from nn_doctor.readers import csv_table

    real = csv_table.read

    def buggy(path: Path):  # type: ignore[no-untyped-def]
        if "healthy" in str(path):
            raise KeyError("a reader bug")
        return real(path)

    monkeypatch.setattr(csv_table, "read", buggy)
    code, doc, err = _audit_json(cli, str(tree), "--executor", "serial", "--no-cache")
    assert code == 0 and "KeyError" in err
    bad = [r for r in doc["runs"] if r["error"] and r["error"].get("exception")]
    assert len(bad) == 1 and "healthy" in bad[0]["path"]
    assert "KeyError" in bad[0]["error"]["message"] and "--traceback" in bad[0]["error"]["hint"]
    assert len(doc["runs"]) == len(EXPECTED)  # the others were still diagnosed
    code, _, _ = cli("audit", str(tree), "--executor", "serial", "--no-cache", "--strict")
    assert code == 3


def test_include_and_exclude_globs(cli, tree: Path) -> None:  # type: ignore[no-untyped-def]
    _, doc, _ = _audit_json(cli, str(tree), "--include", "lightning_logs/*")
    assert sorted(label(r, tree) for r in doc["runs"]) == [
        "exp/lightning_logs/version_0/metrics.csv",
        "exp/lightning_logs/version_1/metrics.csv",
    ]
    _, doc, _ = _audit_json(cli, str(tree), "--exclude", "version_*,broken", "--exclude", "keras")
    assert sorted(label(r, tree) for r in doc["runs"]) == [
        "diverged/metrics.csv",
        "healthy/metrics.csv",
    ]
    _, doc, _ = _audit_json(cli, str(tree), "--include", "*diverged*")
    assert [label(r, tree) for r in doc["runs"]] == ["diverged/metrics.csv"]


def test_outputs_and_inputs_untouched(cli, tree: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(tree)
    out = tmp_path / "out"
    out.mkdir()
    files = [out / n for n in ("audit.json", "audit.csv", "audit.md", "audit.html")]
    args = [a for f in files for a in ("--output", str(f))]
    code, _, err = cli("audit", str(tree), "--no-progress", *args, "--junit", str(out / "a.xml"))
    assert code == 0, err
    assert snapshot(tree) == before  # no file changed, none created next to the runs
    doc = json.loads(files[0].read_text())
    jsonschema.validate(doc, schema())
    assert len(doc["runs"]) == len(EXPECTED)
    rows = list(csv.DictReader(io.StringIO(files[1].read_text())))
    assert len(rows) == len(EXPECTED) and rows[0]["status"] == "error"
    assert files[2].read_text().count("\n| ") == len(EXPECTED) + 1  # header + one per run
    html = files[3].read_text()
    assert html.count("<tr class=") == len(EXPECTED) and "<script" not in html
    assert (tmp_path / "cache").is_dir()  # the cache went to NN_DOCTOR_CACHE_DIR


def test_bad_output_suffix_is_usage_error(cli, tree: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("audit", str(tree), "--output", str(tmp_path / "a.xlsx"))
    assert code == 2 and ".json" in err


def test_process_pool_gives_the_serial_result(tree: Path) -> None:
    from nn_doctor.audit import audit

    serial = audit(tree, executor="serial", use_cache=False)
    pooled = audit(tree, executor="process", jobs=2, use_cache=False)
    assert pooled.executor == "process"
    assert [r.as_dict() for r in pooled.rows] == [r.as_dict() for r in serial.rows]


def test_a_config_beside_a_plain_log_is_read_as_diagnose_reads_it(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run = tmp_path / "runs" / "a"
    run.mkdir(parents=True)
    (run / "metrics.csv").write_text(
        "step,loss\n" + "".join(f"{i},{2.3 * 0.97**i}\n" for i in range(60)), encoding="utf-8"
    )
    (run / "config.yaml").write_text("batch_size: 64\nlearning_rate: 0.003\n", encoding="utf-8")
    _, doc, _ = _audit_json(cli, str(tmp_path / "runs"), "--no-cache")
    direct = json.loads(cli("diagnose", str(run / "metrics.csv"), "--format", "json")[1])
    assert doc["runs"][0]["config"] == direct["runs"][0]["config"]
    assert doc["runs"][0]["config"]["batch_size"] == 64
