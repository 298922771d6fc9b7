"""The CLI contract: exit codes, streams, lazy imports, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import diverging_loss, healthy_loss, run_cli


def test_version_starts_without_heavy_imports() -> None:
    code = (
        "import sys; from nn_doctor.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'rich', 'google.protobuf', 'numpy', 'yaml') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("nn-doctor ")
    assert "HEAVY=\n" in out.stdout + "\n", out.stdout


def test_help_does_not_import_pandas_or_protobuf() -> None:
    code = (
        "import sys; from nn_doctor.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('HEAVY=' + ','.join(m for m in ('pandas', 'google.protobuf') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY=\n" in out.stdout + "\n"
    assert "diagnose" in out.stdout


def test_diverged_run_exits_1_with_report_on_stdout(write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"loss": diverging_loss()})
    res = run_cli("diagnose", str(path), "--format", "text")
    assert res.returncode == 1, res.stderr
    assert "lr_too_high" in res.stdout
    assert "at or above 'error'" in res.stderr
    assert "lr_too_high" not in res.stderr.split("\n")[-2] or "finding" in res.stderr


def test_healthy_run_exits_0_and_prints_reading(write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"loss": healthy_loss(), "val_loss": [v * 1.05 for v in healthy_loss()]})
    res = run_cli("diagnose", str(path), "--format", "text")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "reading:" in res.stdout
    assert "No cause stands out" in res.stdout


def test_json_is_the_only_thing_on_stdout(write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"loss": diverging_loss()})
    res = run_cli("diagnose", str(path), "--format", "json")
    doc = json.loads(res.stdout)
    assert doc["schema_version"] == 1
    assert doc["runs"][0]["findings"][0]["id"] == "lr_too_high"
    assert res.returncode == 1


def test_missing_path_is_exit_2_one_line_no_traceback(tmp_path: Path) -> None:
    res = run_cli("diagnose", str(tmp_path / "nope.csv"), "--format", "text")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr + res.stdout
    assert "no such file or folder" in res.stderr


def test_readable_and_missing_paths_exit_2_but_report_both(write_csv, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"loss": diverging_loss()})
    res = run_cli("diagnose", str(path), str(tmp_path / "missing"), "--format", "json")
    doc = json.loads(res.stdout)
    assert res.returncode == 2  # precedence: could not run (2) over findings (1)
    assert len(doc["runs"]) == 2
    assert doc["runs"][0]["findings"] and doc["runs"][1]["error"]


def test_no_loss_signal_is_exit_2(write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"accuracy_of_something": [0.1, 0.2, 0.3]})
    res = run_cli("diagnose", str(path), "--format", "json")
    assert res.returncode == 2
    assert "no usable loss" in json.loads(res.stdout)["runs"][0]["error"]["message"]


def test_fail_on_never_and_exit_zero(write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"loss": diverging_loss()})
    assert run_cli("diagnose", str(path), "--fail-on", "never", "-f", "json").returncode == 0
    assert run_cli("diagnose", str(path), "--exit-zero", "-f", "json").returncode == 0
    assert run_cli("diagnose", str(path), "--ignore", "lr_too_high", "-f", "json").returncode == 0


def test_fail_on_id_gates_a_named_cause(write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"loss": diverging_loss()})
    res = run_cli(
        "diagnose", str(path), "--fail-on", "never", "--fail-on-id", "lr_too_high", "-f", "json"
    )
    assert res.returncode == 1


def test_bad_option_is_usage_error_exit_2(write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"loss": healthy_loss()})
    res = run_cli("diagnose", str(path), "--format", "yaml")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr


def test_github_format_emits_annotations(write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"loss": diverging_loss()})
    res = run_cli("diagnose", str(path), env={"GITHUB_ACTIONS": "true"})
    assert res.stdout.startswith("::error file=")
    assert "nn-doctor lr_too_high" in res.stdout


def test_output_file_gets_the_report(write_csv, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"loss": diverging_loss()})
    out = tmp_path / "report.json"
    res = run_cli("diagnose", str(path), "--output", str(out))
    assert res.stdout == ""
    assert json.loads(out.read_text())["runs"][0]["findings"]


def test_lang_zh_translates_titles_not_ids(write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"loss": diverging_loss()})
    doc = json.loads(run_cli("diagnose", str(path), "-f", "json", "--lang", "zh").stdout)
    f = doc["runs"][0]["findings"][0]
    assert f["id"] == "lr_too_high"
    assert f["title"] == "学习率过高"


def test_set_overrides_config(write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"loss": healthy_loss()})
    doc = json.loads(
        run_cli("diagnose", str(path), "-f", "json", "--set", "batch_size=4096").stdout
    )
    assert doc["runs"][0]["config"]["batch_size"] == 4096
    bad = run_cli("diagnose", str(path), "-f", "json", "--set", "not_a_key=1")
    assert bad.returncode == 2 and "unknown config key" in bad.stderr


def test_inspect_json_names_sources(write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"Loss/train": healthy_loss(), "lr-Adam": [0.001] * 200})
    doc = json.loads(run_cli("inspect", str(path), "--format", "json").stdout)
    sig = {s["signal"]: s["source"] for s in doc["runs"][0]["signals"]}
    assert sig["train_loss"] == "Loss/train"
    assert sig["lr"] == "lr-Adam"


def test_input_files_are_never_modified(write_csv, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"loss": diverging_loss()})
    before = (path.read_bytes(), sorted(p.name for p in tmp_path.iterdir()))
    run_cli("diagnose", str(tmp_path), "-f", "json")
    run_cli("inspect", str(tmp_path))
    assert (path.read_bytes(), sorted(p.name for p in tmp_path.iterdir())) == before


def test_config_one_level_above_a_logs_folder_is_read(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    rows = ["step,loss", *(f"{i},{v}" for i, v in enumerate(healthy_loss()))]
    (logs / "run.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "hyperparameters.json").write_text('{"learningRate": 0.5}')
    doc = json.loads(run_cli("inspect", str(logs / "run.csv"), "--format", "json").stdout)
    assert doc["runs"][0]["config"] == {"lr": 0.5}


def test_config_beside_a_runs_folder_describes_its_only_run(tmp_path: Path) -> None:
    # SummaryWriter's default layout: <project>/runs/<date_host>/, the config in <project>
    rows = ["step,loss", *(f"{i},{v}" for i, v in enumerate(healthy_loss()))]
    (tmp_path / "config.json").write_text('{"lr": 0.5}')
    first = tmp_path / "runs" / "Nov22_10-00-00_host"
    first.mkdir(parents=True)
    (first / "run.csv").write_text("\n".join(rows) + "\n")
    doc = json.loads(run_cli("inspect", str(first / "run.csv"), "--format", "json").stdout)
    assert doc["runs"][0]["config"] == {"lr": 0.5}
    # with a second run beside it, which run the config describes is a guess: none is taken
    second = tmp_path / "runs" / "Nov22_11-00-00_host"
    second.mkdir()
    (second / "run.csv").write_text("\n".join(rows) + "\n")
    doc = json.loads(run_cli("inspect", str(first / "run.csv"), "--format", "json").stdout)
    assert doc["runs"][0]["config"] == {}


def test_hydra_config_of_the_output_dir_is_read(tmp_path: Path) -> None:
    # Hydra: outputs/<date>/<time>/ holds the run's log and .hydra/config.yaml (resolved)
    out = tmp_path / "outputs" / "2026-11-23" / "10-00-00"
    (out / ".hydra").mkdir(parents=True)
    lines = [f"[2026-11-23 10:00:{i:02d}][__main__][INFO] - step {i} loss={v:.4f}" for i, v in
             enumerate(healthy_loss())]  # fmt: skip
    (out / "train.log").write_text("\n".join(lines) + "\n")
    (out / ".hydra" / "config.yaml").write_text(
        "optimizer:\n  _target_: torch.optim.Adam\n  lr: 0.5\ndata:\n  batch_size: 64\n"
    )
    doc = json.loads(run_cli("inspect", str(tmp_path), "--format", "json").stdout)
    assert doc["runs"][0]["config"] == {"optimizer": "adam", "lr": 0.5, "batch_size": 64}


def test_config_beside_a_plain_csv_is_read(write_csv, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = write_csv({"loss": healthy_loss()})
    (tmp_path / "config.json").write_text('{"learning_rate": 0.5, "hidden_act": "relu"}')
    doc = json.loads(run_cli("inspect", str(path), "--format", "json").stdout)
    run = doc["runs"][0]
    assert run["config"] == {"lr": 0.5, "hidden_activation": "relu"}
    assert run["config_sources"][0].endswith("config.json")
