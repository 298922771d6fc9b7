"""The README's promises: its two commands, and that `.ci/run` runs exactly the test command."""

from __future__ import annotations

import json
import re

from tests.conftest import REPO, run_cli

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_ci_runs_the_readme_test_command() -> None:
    test_cmd = "pip install -e '.[test,torch,frameworks]' && python -m pytest"
    assert test_cmd in README
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install" in ci and "-e '.[test,torch,frameworks]'" in ci
    assert re.search(r"^python -m pytest\s*$", ci, re.MULTILINE)


def test_first_command_diagnoses_the_bundled_example() -> None:
    assert "pip install . && nn-doctor diagnose examples/diverged" in README
    res = run_cli("diagnose", str(REPO / "examples" / "diverged"), "-f", "json")
    doc = json.loads(res.stdout)
    top = doc["runs"][0]["findings"][0]
    assert top["id"] == "lr_too_high"
    assert res.returncode == 1  # a diverged run trips the default gate


def test_every_documented_command_exists() -> None:
    for command in ("diagnose", "inspect", "audit", "watch", "formats", "rules"):
        assert f"nn-doctor {command}" in README
        assert run_cli(command, "--help").returncode == 0
