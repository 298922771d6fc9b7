"""The CI snippets in docs/ci.md work: their nn-doctor commands fail on a diverged run.

The commands run in this process (``main(argv)``, as the console script does) to keep the suite
fast; tests/test_cli.py covers the same entry point through a real subprocess.
"""

from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.conftest import REPO, diverging_loss

DOC = REPO / "docs" / "ci.md"


def _commands(node: Any) -> list[str]:
    """Every ``nn-doctor …`` line of a workflow step's ``run:`` or a job's ``script:``."""
    out: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("run", "script"):
                lines = value if isinstance(value, list) else str(value).splitlines()
                out += [ln.strip() for ln in lines if ln.strip().startswith("nn-doctor ")]
            else:
                out += _commands(value)
    elif isinstance(node, list):
        for item in node:
            out += _commands(item)
    return out


def _snippets() -> list[tuple[str, str]]:
    """(section title, command) for each YAML block of the doc."""
    text = DOC.read_text(encoding="utf-8")
    found = []
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        title = section.splitlines()[0]
        for block in re.findall(r"```yaml\n(.*?)```", section, flags=re.S):
            found += [(title, cmd) for cmd in _commands(yaml.safe_load(block))]
    return found


SNIPPETS = _snippets()


def test_the_doc_has_both_ci_snippets() -> None:
    titles = {t for t, _ in SNIPPETS}
    assert {"GitHub Actions", "GitLab CI"} <= titles


@pytest.mark.parametrize(("title", "command"), SNIPPETS)
def test_snippet_fails_the_pipeline_on_a_diverged_run(
    title: str, command: str, tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    run = tmp_path / "runs" / "latest"
    run.mkdir(parents=True)
    rows = [f"{i},{v!r}" for i, v in enumerate(diverging_loss())]
    (run / "metrics.csv").write_text("step,train_loss\n" + "\n".join(rows) + "\n")
    monkeypatch.chdir(tmp_path)  # the CI's checkout; the cache is outside it (conftest)
    if title == "GitHub Actions":
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
    else:
        monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    args = shlex.split(command)
    assert args[0] == "nn-doctor"
    code, out, err = cli(*args[1:])
    assert code == 1, err
    if title == "GitHub Actions":
        assert "::error " in out  # annotations by default under Actions
    for xml_name in [a for a in args if a.endswith(".xml")]:
        suites = ET.parse(tmp_path / xml_name).getroot()
        assert int(suites.get("failures", "0")) >= 1
