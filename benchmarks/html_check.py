"""Open nn-doctor's HTML report in a real headless browser: it must draw, offline, without errors.

Usage::

    python benchmarks/html_check.py [RUN_PATH ...] [--out benchmarks/out]

For each run (by default a real diverged Keras run from ``../shared/realworld`` plus a synthetic
run with NaN losses, a gradient surge, a learning-rate jump and a hostile metric name) it:

1. diagnoses the run and writes the HTML report to ``OUT/<name>.html`` (size printed);
2. loads it in headless Chromium (Debian's ``chromium``) with ``--dump-dom`` and console logging
   on stderr, and fails on any console message (``:CONSOLE`` lines: uncaught errors,
   ``console.error``, blocked network requests), on the page's own error counter
   (``<html data-errors>``, set by the report's boot script), and unless every chart was drawn
   (``data-plots`` equals the number of chart slots, one ``<canvas>`` each);
3. saves a screenshot ``OUT/<name>.png`` (1280 × 2000) to look at.

A negative control runs first: a page with a deliberate error must be flagged, so a checker that
silently sees nothing cannot pass. Exit 0 when every page passes, 1 otherwise, 2 without Chromium.
Nothing here is needed by CI: ``tests/report/test_html_browser.py`` skips without ``chromium``.
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REAL_DIVERGED = (
    REPO.parent
    / "shared/realworld/keras-tf2-tb-signlang/Logs/train"
    / "events.out.tfevents.1660341224.DESKTOP-R6DUUDI.4040.701.v2"
)
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=5000",  # let the scripts run before the DOM/screenshot is taken
)


def find_browser() -> str | None:
    """The first Chromium-family browser on PATH."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass
class PageCheck:
    """What the browser saw on one page."""

    html: Path
    size: int
    slots: int
    plots: int | None
    canvases: int
    page_errors: int
    console: list[str] = field(default_factory=list)
    screenshot: Path | None = None

    @property
    def ok(self) -> bool:
        """Every chart drawn, no error anywhere."""
        return (
            not self.console
            and self.page_errors == 0
            and self.plots == self.slots
            and self.canvases >= self.slots
        )


def _run(browser: str, args: list[str], timeout: float = 90) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="nnd-chrome-") as profile:
        return subprocess.run(
            [browser, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def check_page(browser: str, html: Path, screenshot: Path | None = None) -> PageCheck:
    """Load ``html`` headless; collect console messages, the page's counters and a screenshot."""
    url = html.resolve().as_uri()
    res = _run(browser, ["--enable-logging=stderr", "--v=0", "--dump-dom", url])
    dom = res.stdout
    console = [line for line in res.stderr.splitlines() if ":CONSOLE" in line]
    root = re.search(r"<html[^>]*>", dom)
    attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', root.group(0))) if root else {}
    source = html.read_text(encoding="utf-8")
    slots = len(re.findall(r'<div class="plot" data-plot="\d+"', source))
    check = PageCheck(
        html=html,
        size=html.stat().st_size,
        slots=slots,
        plots=int(attrs["data-plots"]) if "data-plots" in attrs else None,
        canvases=dom.count("<canvas"),
        page_errors=int(attrs.get("data-errors", "0")),
        console=console,
    )
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        _run(browser, ["--window-size=1280,2000", f"--screenshot={screenshot.resolve()}", url])
        check.screenshot = screenshot if screenshot.exists() else None
    return check


def negative_control(browser: str, folder: Path) -> bool:
    """A page that throws must be caught: proves the checker is not blind."""
    bad = folder / "negative-control.html"
    bad.write_text(
        '<!doctype html><html><body><div class="plot" data-plot="0"></div>'
        "<script>notDefinedAnywhere();</script></body></html>",
        encoding="utf-8",
    )
    seen = check_page(browser, bad)
    bad.unlink()
    return not seen.ok and any("notDefinedAnywhere" in c for c in seen.console)


def synthetic_run(folder: Path) -> Path:
    """A diverging run with NaN losses, a gradient surge, an lr jump and a hostile metric name."""
    n = 400
    rows = ["step,loss,val_loss,grad_norm,lr,<script>alert(1)</script>"]
    for i in range(n):
        base = 2.3 * math.exp(-i / 40) + 0.1 if i < 200 else 0.15 * math.exp((i - 200) / 25)
        loss = "nan" if i >= 370 else f"{base:.6g}"
        val = f"{base * 1.08:.6g}" if i % 20 == 0 and i < 370 else ""
        grad = 1.0 + (0 if i < 190 else math.exp((i - 190) / 18))
        lr = 0.001 if i < 100 else 0.02
        rows.append(f"{i},{loss},{val},{grad:.6g},{lr},{0.5 + 0.001 * i:.4g}")
    path = folder / "synthetic-diverged.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def render(run: Path, out: Path, name: str) -> Path:
    """Diagnose ``run`` and write its HTML report as ``out/name.html``."""
    from nn_doctor.api import diagnose
    from nn_doctor.report.html import render_html

    page = out / f"{name}.html"
    page.write_text(render_html(diagnose(run)), encoding="utf-8")
    return page


def main(argv: list[str] | None = None) -> int:
    """Render, load, check and screenshot each run's report; print one line per page."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="*", type=Path, help="runs to report (default: see module doc)")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out")
    args = ap.parse_args(argv)
    browser = find_browser()
    if browser is None:
        print("chromium not found on PATH (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    if not negative_control(browser, out):
        print("FAIL negative control: a page with an error was not flagged", file=sys.stderr)
        return 1
    runs: list[tuple[str, Path]] = [(p.stem or p.name, p) for p in args.runs]
    if not runs:
        if REAL_DIVERGED.exists():
            runs.append(("realworld-keras-signlang-diverged", REAL_DIVERGED))
        runs.append(("synthetic-diverged", synthetic_run(out)))
    failed = 0
    for name, run in runs:
        page = render(run, out, name)
        seen = check_page(browser, page, out / f"{name}.png")
        status = "ok  " if seen.ok else "FAIL"
        failed += not seen.ok
        print(
            f"{status} {page.relative_to(REPO) if page.is_relative_to(REPO) else page}: "
            f"{seen.size / 1024:.0f} KB, charts {seen.plots}/{seen.slots} drawn "
            f"({seen.canvases} canvases), page errors {seen.page_errors}, "
            f"console messages {len(seen.console)}, screenshot {seen.screenshot}"
        )
        for line in seen.console:
            print(f"     console: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
