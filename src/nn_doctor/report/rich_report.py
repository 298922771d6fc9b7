"""The terminal report: a header panel, the reading, braille charts and one panel per finding.

Built from the same run dicts as every other format (so it can never say something the JSON
does not), plus the run frames for the curves. Everything that comes from a log (run names,
metric names, config values) goes in as :class:`rich.text.Text`, never as markup, so a metric
called ``[bold]x`` prints as written.

Colour is decoration only: every mark that carries meaning is a glyph (``✓ ✗ ? ≈ × ▲``,
the score bar), so the report reads the same under ``NO_COLOR``, where it is rendered with no
escape codes at all. ``diagnose --format auto`` picks this report only on a colour TTY.
"""

from __future__ import annotations

import io
import os
import shutil
from typing import TYPE_CHECKING, Any

from nn_doctor.report.text import CHECKLIST, missing_phrase

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.text import Text

    from nn_doctor.frame import RunFrame
    from nn_doctor.report.charts import Chart

SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}
_TREND = {
    "falling": ("↓", "green"),
    "flat": ("→", "yellow"),
    "rising": ("↑", "red"),
    None: ("-", "dim"),
}
_EIGHTHS = " ▏▎▍▌▋▊▉"
_CHART_STYLE = {"train_loss": "cyan", "val_loss": "magenta", "grad_norm": "yellow", "lr": "green"}


def color_wanted() -> bool:
    """Colour unless ``NO_COLOR`` is set (any value, no-color.org) or the terminal is dumb."""
    return not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def score_bar(score: float, width: int = 12) -> str:
    """A bar in eighths of a cell: ``█████▌░░░░░░`` for 0.46 at width 12."""
    eighths = round(max(0.0, min(1.0, score)) * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (_EIGHTHS[part] if part else "")
    return bar + "░" * (width - len(bar))


def render_rich(
    runs: list[dict[str, Any]],
    frames: list[RunFrame | None] | None = None,
    *,
    width: int | None = None,
    color: bool | None = None,
) -> str:
    """Render runs for a terminal; returns the text (ANSI-styled when ``color``) for any stream."""
    from rich.console import Console

    color = color_wanted() if color is None else color
    buf = io.StringIO()
    console = Console(
        file=buf,
        force_terminal=color,
        no_color=not color,
        width=width or max(60, shutil.get_terminal_size((100, 20)).columns),
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )
    frames = (list(frames or []) + [None] * len(runs))[: len(runs)]
    for i, (run, frame) in enumerate(zip(runs, frames, strict=True)):
        if i:
            console.print()
        for part in _run_parts(run, frame, console.width):
            console.print(part)
    return buf.getvalue()


def _t(*parts: str | tuple[str, str]) -> Text:
    from rich.text import Text

    return Text.assemble(*parts)


def _steps_text(run: dict[str, Any]) -> str:
    st = run["steps"]
    unit = "epochs" if st.get("axis") == "epoch" else "steps"
    if st.get("first") is None:
        return f"no {unit} logged"
    out = f"{unit} {st['first']}..{st['last']} · {st['count']} logged"
    if st.get("cadence"):
        out += f" · every {st['cadence']:g}"
    return out


def _signals_text(signals: list[str]) -> str:
    families: dict[str, int] = {}
    plain = []
    for s in signals:
        head, sep, _ = s.partition("/")
        if sep and head.startswith(("act_", "grad_norm", "weight_norm", "update_ratio")):
            families[head] = families.get(head, 0) + 1
        else:
            plain.append(s)
    parts = plain + [f"{fam}/* ({n} layers)" for fam, n in families.items()]
    return ", ".join(parts) or "-"


def _reading_text(reading: dict[str, Any]) -> Text:
    t_arrow, t_style = _TREND.get(reading.get("train"), _TREND[None])
    v_arrow, v_style = _TREND.get(reading.get("val"), _TREND[None])
    return _t(
        "train ",
        (t_arrow, f"bold {t_style}"),
        "  val ",
        (v_arrow, f"bold {v_style}"),
        "  ",
        (str(reading.get("text", "")), "bold"),
    )


def _header(run: dict[str, Any]) -> RenderableType:
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="dim", no_wrap=True)
    grid.add_column(overflow="fold")
    if run["path"] != run["run"]:
        grid.add_row("path", Text(str(run["path"])))
    grid.add_row("format", Text(str(run["format"] or "?")))
    grid.add_row("steps", _steps_text(run))
    grid.add_row("signals", Text(_signals_text(run["signals"])))
    if run["config"]:
        facts = ", ".join(f"{k}={v}" for k, v in run["config"].items())
        grid.add_row("config", Text(facts))
    grid.add_row("reading", _reading_text(run["reading"]))
    return Panel(
        grid,
        title=Text(str(run["run"]), style="bold"),
        title_align="left",
        border_style="blue",
        padding=(0, 1),
    )


def _styled(out: Text, line: str, styles: dict[str, str], default: str) -> None:
    """Append ``line`` with per-glyph styles, one span per run of equal style (short ANSI)."""
    start = 0
    for i in range(1, len(line) + 1):
        if i == len(line) or styles.get(line[i], default) != styles.get(line[start], default):
            out.append(line[start:i], style=styles.get(line[start], default))
            start = i


def _chart_text(chart: Chart, accent: str, onset_style: str) -> Text:
    """Style a braille chart by glyph: curve in the accent colour, NaN marks red, onset marked."""
    from rich.text import Text

    from nn_doctor.report.charts import NONFINITE, ONSET

    out = Text()
    n = len(chart.lines)
    for r, line in enumerate(chart.lines):
        off = chart.plot_offset
        if r < n - 2:  # plot rows: label, axis tick, dots
            out.append(line[:off], style="dim")
            out.append(line[off:], style=accent)
        elif r == n - 2:  # axis with NaN marks
            _styled(out, line, {NONFINITE: "bold red"}, "dim")
        else:  # step labels with the onset
            i = line.find(ONSET)
            if i < 0:
                out.append(line, style="dim")
            else:
                k = line.find("  ", i)
                k = len(line) if k < 0 else k
                out.append(line[:i], style="dim")
                out.append(line[i:k], style=f"bold {onset_style}")
                out.append(line[k:], style="dim")
        if r < n - 1:
            out.append("\n")
    return out


def _curves(run: dict[str, Any], frame: RunFrame | None, width: int) -> RenderableType | None:
    """Braille charts of the key curves on one step axis, the top finding's onset marked."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    from nn_doctor.report import charts, curves

    names = curves.key_signals(frame)
    xr = curves.x_range(frame, names)
    if frame is None or not names or xr is None:
        return None
    top = run["findings"][0] if run["findings"] else None
    onset = top["onset_step"] if top else None
    onset_style = SEVERITY_STYLE.get(top["severity"], "magenta") if top else "magenta"
    cols = 2 if width >= 110 and len(names) > 1 else 1
    inner = width - 4  # panel border and padding
    avail = (inner - 3 * (cols - 1)) // cols
    data = {name: curves.arrays(frame, name) for name in names}
    heights = {name: 4 if name.endswith("loss") else 3 for name in names}
    # One y-label width for every chart, so stacked charts keep their step columns aligned.
    label_w = max(
        charts.braille_chart(x, y, 8, heights[n], x_range=xr).plot_offset - 2
        for n, (x, y) in data.items()
    )
    chart_w = max(16, min(90, avail - label_w - 3))
    cells = []
    for name, (x, y) in data.items():
        ch = charts.braille_chart(
            x, y, chart_w, heights[name], x_range=xr, onset=onset, label_width=label_w
        )
        head = _t((curves.label(name), "bold"), (f"  {name}", "dim"))
        if ch.notes:
            head.append("  · " + " · ".join(ch.notes), style="dim")
        body = _chart_text(ch, _CHART_STYLE.get(name, "cyan"), onset_style)
        cells.append(Text("\n").join([head, body]))
    grid = Table.grid(padding=(0, 3))
    for _ in range(cols):
        grid.add_column(no_wrap=True)
    for i in range(0, len(cells), cols):
        row = cells[i : i + cols]
        grid.add_row(*row, *([""] * (cols - len(row))))
    unit = "epochs" if run["steps"].get("axis") == "epoch" else "steps"
    title = f"curves by {unit[:-1]}"
    if top and onset is not None:
        title += f" · ▲ onset of {top['id']} at {onset}"
    return Panel(grid, title=title, title_align="left", border_style="dim", padding=(0, 1))


def _detail(e: dict[str, Any]) -> str:
    from nn_doctor.report.charts import fmt_value

    parts = []
    if e.get("signal"):
        parts.append(str(e["signal"]))
    if e.get("step") is not None:
        parts.append(f"step {e['step']}")
    if isinstance(e.get("value"), (int, float)):
        parts.append(f"value {fmt_value(float(e['value']))}")
    return "  [" + " · ".join(parts) + "]" if parts else ""


def _range_text(sp: Any) -> str:
    from nn_doctor.report.charts import fmt_value

    out = f"  {fmt_value(sp.lo)}..{fmt_value(sp.hi)}"
    if sp.log:
        out += " log"
    if sp.nonfinite:
        out += f", {sp.nonfinite} NaN/inf"
    return out


def _finding_sparklines(
    frame: RunFrame | None, finding: dict[str, Any], width: int, style: str
) -> list[Text]:
    from nn_doctor.report import charts, curves

    names = curves.finding_signals(frame, finding, layers=3, limit=5)
    xr = curves.x_range(frame, names)
    if frame is None or not names or xr is None:
        return []
    points = max(len(frame.series(n)) for n in names)
    name_w = max(len(n) for n in names)
    onset = finding["onset_step"]
    data = {n: curves.arrays(frame, n) for n in names}
    ranges = {n: _range_text(charts.sparkline(x, y, 8, x_range=xr)) for n, (x, y) in data.items()}
    # room for glyphs: panel (4), indent (5), name, gap (2), the range text
    w = max(8, min(60, width - 4 - 5 - name_w - 2 - max(map(len, ranges.values())), points))
    out = []
    marker = ""
    for name, (x, y) in data.items():
        sp = charts.sparkline(x, y, w, x_range=xr, onset=onset)
        line = _t(("     ", ""), (f"{name:<{name_w}}  ", "dim"))
        _styled(line, sp.glyphs, {charts.NONFINITE: "bold red"}, style)
        line.append(ranges[name], style="dim")
        out.append(line)
        marker = marker or sp.marker_line()
    if marker:
        out.append(_t(" " * (7 + name_w), (f"{marker} onset, step {onset}", f"bold {style}")))
    return out


def _marked_rows() -> Any:
    """A two-column grid (mark, text) so wrapped lines hang under the text, not the mark."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, justify="right", width=4)
    grid.add_column(overflow="fold")
    return grid


def _finding(
    i: int, f: dict[str, Any], run: dict[str, Any], frame: RunFrame | None, width: int
) -> RenderableType:
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    sev = SEVERITY_STYLE.get(f["severity"], "white")
    head = _t(
        (f" {f['severity']} ", f"bold reverse {sev}"),
        "  ",
        (score_bar(f["score"]), sev),
        (f" {f['score']:.2f}", "bold"),
    )
    if f["onset_step"] is not None:
        head.append(f"   onset: step {f['onset_step']}", style="bold")
    head.append(f"   {f['category']}", style="dim")
    lines: list[RenderableType] = [head, _t((str(f["title"]), "bold"))]
    if f.get("summary"):
        lines.append(Text(str(f["summary"]), style="italic"))
    marks = _marked_rows()
    for e in f["evidence"]:
        marks.add_row(Text("✓", style="bold green"), _t(str(e["says"]), (_detail(e), "dim")))
    for e in f["counter_evidence"]:
        marks.add_row(Text("✗", style="bold yellow"), _t(str(e["says"]), (_detail(e), "dim")))
    for m in f["missing_signals"][:4]:
        marks.add_row(
            Text("?", style="bold blue"),
            _t(
                (str(m["signal"]), "bold"), f" {missing_phrase(m['signal'], run)}: ", str(m["hint"])
            ),
        )
    for d in f["differential"][:3]:
        note = d.get("note") or d.get("tell_apart_by", "")
        marks.add_row(
            Text("≈", style="dim"), _t((f"vs {d.get('cause')}: ", "bold dim"), (note, "dim"))
        )
    if marks.row_count:
        lines += [Text(""), marks]
    spark = _finding_sparklines(frame, f, width, sev)
    if spark:
        lines.append(Text(""))
        lines.extend(spark)
    if f["remedies"]:
        lines += [Text(""), Text("Try, cheapest first:", style="bold")]
        steps = _marked_rows()
        for j, r in enumerate(f["remedies"], 1):
            body = Text(str(r["do"]))
            if r.get("why"):
                body.append("\n" + str(r["why"]), style="dim")
            steps.add_row(Text(f"{j}.", style="bold"), body)
        lines.append(steps)
    lines.append(_t(("More: ", "dim"), (f"nn-doctor rules explain {f['id']}", "dim underline")))
    return Panel(
        Group(*lines),
        title=_t((f" {i} ", f"bold {sev}"), (f"{f['id']} ", "bold")),
        title_align="left",
        border_style=sev,
        padding=(0, 1),
    )


def _healthy(reading: dict[str, Any]) -> RenderableType:
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    from nn_doctor.report.reading import barely_moved, no_cause_message

    healthy = not barely_moved(reading)
    lines: list[RenderableType] = [
        Text(no_cause_message(reading), style="bold green" if healthy else "bold yellow"),
        Text("Worth checking anyway:"),
    ]
    lines += [_t(("  - ", "dim"), c) for c in CHECKLIST]
    return Panel(Group(*lines), border_style="green" if healthy else "yellow", padding=(0, 1))


def _error(run: dict[str, Any]) -> RenderableType:
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    err = run["error"]
    lines: list[RenderableType] = [_t(("error: ", "bold red"), str(err["message"]))]
    if err.get("hint"):
        lines.append(_t(("hint: ", "bold"), str(err["hint"])))
    return Panel(
        Group(*lines),
        title=Text(str(run["run"]), style="bold"),
        title_align="left",
        border_style="red",
        padding=(0, 1),
    )


def _run_parts(run: dict[str, Any], frame: RunFrame | None, width: int) -> list[RenderableType]:
    from rich.text import Text

    if run.get("error") and run.get("format") is None:
        return [_error(run)]
    parts: list[RenderableType] = [_header(run)]
    if run.get("error"):
        return [*parts, _error(run)]
    for w in run.get("warnings", []):
        parts.append(_t(("warning: ", "bold yellow"), str(w)))
    chart = _curves(run, frame, width)
    if chart is not None:
        parts.append(chart)
    if not run["findings"]:
        parts.append(_healthy(run["reading"]))
    for i, f in enumerate(run["findings"], 1):
        parts.append(_finding(i, f, run, frame, width))
    if run["inconclusive"]:
        ids = ", ".join(
            f"{i['id']} (needs {', '.join(i['missing_signals']) or '?'})"
            for i in run["inconclusive"]
        )
        parts.append(_t(("could not check: ", "bold yellow"), ids))
    for n in run.get("notes", []):
        parts.append(_t(("note: ", "bold cyan"), str(n)))
    if not parts:
        parts.append(Text(""))
    return parts
