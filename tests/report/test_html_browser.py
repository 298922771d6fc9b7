"""The HTML report in a real headless browser (skipped where Chromium is not installed).

CI does not depend on a browser: without ``chromium`` on PATH this module skips. Where it is
present (``apt-get install chromium``), the report must draw every chart with no console message
at all, and the checker must catch a page that does throw (negative control).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from tests.conftest import REPO


def _checker():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "html_check", REPO / "benchmarks" / "html_check.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["html_check"] = module
    spec.loader.exec_module(module)
    return module


html_check = _checker()
BROWSER = html_check.find_browser()
pytestmark = [
    pytest.mark.skipif(BROWSER is None, reason="chromium not installed (apt-get install chromium)"),
    pytest.mark.slow,
]


def test_checker_catches_a_broken_page(tmp_path: Path) -> None:
    assert html_check.negative_control(BROWSER, tmp_path)


def test_report_of_a_diverged_run_draws_without_errors(tmp_path: Path) -> None:
    run = html_check.synthetic_run(tmp_path)  # NaN tail, gradient surge, lr jump, hostile name
    page = html_check.render(run, tmp_path, "diverged")
    seen = html_check.check_page(BROWSER, page, tmp_path / "diverged.png")
    assert seen.console == []
    assert seen.page_errors == 0
    assert seen.slots >= 4 and seen.plots == seen.slots and seen.canvases >= seen.slots
    assert seen.screenshot is not None and seen.screenshot.stat().st_size > 10_000
    assert seen.ok
