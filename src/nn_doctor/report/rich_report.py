"""Colour terminal report: the plain-text layout with severity colours (rich, imported lazily)."""

from __future__ import annotations

import io
import shutil
from typing import Any

from nn_doctor.report.text import render_run

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def render_rich(runs: list[dict[str, Any]]) -> str:
    """Render runs with rich markup; returns the ANSI text so callers can route it anywhere."""
    from rich.console import Console
    from rich.text import Text

    buf = io.StringIO()
    console = Console(
        file=buf,
        force_terminal=True,
        width=shutil.get_terminal_size((100, 20)).columns,
        highlight=False,
        soft_wrap=True,
    )
    for i, run in enumerate(runs):
        if i:
            console.print()
        for line in render_run(run).splitlines():
            text = Text(line)
            if line.startswith(run["run"]):
                text.stylize("bold")
            for sev, style in _STYLE.items():
                idx = line.find(f" {sev} ")
                if idx > 0 and line.lstrip()[:2].strip().isdigit():
                    text.stylize(style, idx + 1, idx + 1 + len(sev))
                    text.stylize("bold", 0, idx)
            if line.lstrip().startswith("✓"):
                text.stylize("green", 0, len(line) - len(line.lstrip()) + 1)
            elif line.lstrip().startswith(("✗", "?")):
                text.stylize("yellow", 0, len(line) - len(line.lstrip()) + 1)
            elif line.lstrip().startswith(("warning:", "error:")):
                text.stylize("yellow")
            console.print(text)
    return buf.getvalue()
