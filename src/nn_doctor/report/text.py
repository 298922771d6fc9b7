"""Plain-text report: readable without colour, stable enough to grep and to paste in an issue."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nn_doctor.report.reading import no_cause_message

if TYPE_CHECKING:
    from nn_doctor.frame import RunFrame

# Shown when no cause stands out: what a log cannot show (CATALOG.md, last paragraph).
CHECKLIST = (
    "Look at the model's actual outputs on a few training examples.",
    "Check the preprocessing: the same normalization in training and evaluation, the labels aligned with the inputs.",
    "Overfit a tiny subset (a few batches) first: a model that cannot do that has a bug.",
    "Log the learning rate, the global gradient norm and per-layer activation statistics "
    "(nn_doctor.record) so the next diagnosis can see more.",
)


def missing_phrase(signal: str, run: dict[str, Any]) -> str:
    """ "not logged", or "logged but unusable here" when the log has it (too short, all NaN)."""
    names = run.get("signals") or []
    if signal.endswith("/*"):
        present = any(n.startswith(signal[:-1]) for n in names)
    else:
        present = signal in names
    return "logged but not usable here" if present else "not logged"


def _bar(score: float, width: int = 10) -> str:
    full = round(score * width)
    return "█" * full + "░" * (width - full)


def _fmt_steps(run: dict[str, Any]) -> str:
    st = run["steps"]
    unit = "epochs" if st.get("axis") == "epoch" else "steps"
    if st["first"] is None:
        return f"0 {unit}"
    return f"{unit} {st['first']}..{st['last']} ({st['count']} logged)"


def chart_signals(run: dict[str, Any], frame: RunFrame | None, limit: int = 6) -> list[str]:
    """The curves a run's report draws: the key ones, then the findings' evidence curves."""
    from nn_doctor.report import curves

    names = curves.key_signals(frame)
    for f in run["findings"]:
        names += [s for s in curves.finding_signals(frame, f, layers=2) if s not in names]
    return names[:limit]


def curve_lines(run: dict[str, Any], frame: RunFrame | None, width: int = 48) -> list[str]:
    """Sparklines of the run's curves on one shared step axis, the top finding's onset marked.

    Plain characters only (blocks, ``×`` for NaN/inf, ``▲`` for the onset): the block reads the
    same pasted into an issue as in a terminal without colour.
    """
    from nn_doctor.report import charts, curves

    names = chart_signals(run, frame)
    xr = curves.x_range(frame, names)
    if frame is None or not names or xr is None:
        return []
    points = max(len(frame.series(n)) for n in names)
    width = max(1, min(width, points))
    top = run["findings"][0] if run["findings"] else None
    onset = top["onset_step"] if top else None
    unit = "epochs" if run["steps"].get("axis") == "epoch" else "steps"
    head = f"  curves ({unit} {charts.fmt_value(xr[0])}..{charts.fmt_value(xr[1])}"
    if onset is not None:
        head += f"; {charts.ONSET} onset of {top['id']} at {onset}"  # type: ignore[index]
    lines = [head + f"; {charts.NONFINITE} NaN/inf):"]
    name_w = max(len(n) for n in names)
    marker = ""
    for name in names:
        x, y = curves.arrays(frame, name)
        sp = charts.sparkline(x, y, width, x_range=xr, onset=onset)
        rng = f"{charts.fmt_value(sp.lo)}..{charts.fmt_value(sp.hi)}"
        extra = " log" if sp.log else ""
        if sp.nonfinite:
            extra += f", {sp.nonfinite} non-finite"
        lines.append(f"    {name:<{name_w}}  {sp.glyphs}  {rng}{extra}")
        marker = marker or sp.marker_line()
    if marker and top:
        lines.append(f"    {'':<{name_w}}  {marker} onset of {top['id']}, step {onset}")
    return lines


def render_run(run: dict[str, Any], *, verbose: bool = False, frame: RunFrame | None = None) -> str:
    """One run's report as plain text (with sparklines of its curves when ``frame`` is given)."""
    lines: list[str] = []
    head = f"{run['run']} · {run['format'] or '?'} · {_fmt_steps(run)}"
    lines.append(head)
    if run.get("error"):
        lines.append(f"  error: {run['error']['message']}")
        if run["error"].get("hint"):
            lines.append(f"  hint: {run['error']['hint']}")
        return "\n".join(lines)
    shown = [
        s
        for s in run["signals"]
        if "/" not in s
        or not s.split("/")[0].startswith(("act_", "grad_norm", "weight_norm", "update_ratio"))
    ]
    layer_count = len(run["signals"]) - len(shown)
    sig = ", ".join(shown[:12]) + (" …" if len(shown) > 12 else "")
    if layer_count:
        sig += f" + {layer_count} per-layer series"
    lines.append(f"  signals: {sig}")
    if run["config"]:
        lines.append("  config: " + ", ".join(f"{k}={v}" for k, v in run["config"].items()))
    r = run["reading"]
    arrows = {"falling": "↓", "flat": "→", "rising": "↑", None: "-"}
    lines.append(f"  reading: train {arrows[r['train']]} val {arrows[r['val']]}: {r['text']}")
    lines.extend(curve_lines(run, frame))
    for w in run.get("warnings", []):
        lines.append(f"  warning: {w}")
    if not run["findings"]:
        lines.append("")
        lines.append(f"  {no_cause_message(run['reading'])}")
        lines.append("  Worth checking anyway:")
        lines.extend(f"    - {c}" for c in CHECKLIST)
    for i, f in enumerate(run["findings"], 1):
        lines.append("")
        onset = f" from step {f['onset_step']}" if f["onset_step"] is not None else ""
        lines.append(
            f" {i:>2}  {f['id']:<28} {f['severity']:<7} {_bar(f['score'])} {f['score']:.2f}{onset}"
        )
        lines.append(f"     {f['title']}: {f.get('summary', '')}".rstrip(": "))
        for e in f["evidence"]:
            lines.append(f"     ✓ {e['says']}")
        for e in f["counter_evidence"]:
            lines.append(f"     ✗ {e['says']}")
        for m in f["missing_signals"][: 3 if not verbose else None]:
            lines.append(f"     ? {m['signal']} {missing_phrase(m['signal'], run)}: {m['hint']}")
        for d in f["differential"][:2]:
            lines.append(
                f"     ≈ vs {d.get('cause')}: {d.get('note') or d.get('tell_apart_by', '')}".rstrip()
            )
        if f["remedies"]:
            lines.append("     Try, cheapest first:")
            for j, rem in enumerate(f["remedies"], 1):
                lines.append(f"       {j}. {rem['do']}")
        lines.append(f"     More: nn-doctor rules explain {f['id']}")
    if run["inconclusive"]:
        ids = ", ".join(i["id"] for i in run["inconclusive"])
        lines.append("")
        lines.append(f"  could not check (signals missing): {ids}")
    for n in run.get("notes", []):
        lines.append(f"  note: {n}")
    return "\n".join(lines)


def render_text(runs: list[dict[str, Any]], frames: list[RunFrame | None] | None = None) -> str:
    """All runs as plain text, separated by blank lines (``frames`` adds the curves)."""
    frames = (list(frames or []) + [None] * len(runs))[: len(runs)]
    return "\n\n".join(render_run(r, frame=f) for r, f in zip(runs, frames, strict=True)) + "\n"


def _md_code(s: Any) -> str:
    """Inline code that survives backticks in a metric name."""
    text = str(s)
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}" if fence == "`" else f"{fence} {text} {fence}"


def _md_detail(e: dict[str, Any]) -> str:
    parts = [_md_code(e["signal"])] if e.get("signal") else []
    if e.get("step") is not None:
        parts.append(f"step {e['step']}")
    return f" ({', '.join(parts)})" if parts else ""


def render_markdown(runs: list[dict[str, Any]], frames: list[RunFrame | None] | None = None) -> str:
    """A Markdown report (PR comments, issue bodies); ``frames`` adds a block of sparklines."""
    frames = (list(frames or []) + [None] * len(runs))[: len(runs)]
    out = ["# nn-doctor diagnosis", ""]
    for run, frame in zip(runs, frames, strict=True):
        out.append(f"## {_md_code(run['run'])} ({run['format'] or '?'})")
        out.append("")
        if run.get("error"):
            out.append(f"**Could not read:** {run['error']['message']}")
            if run["error"].get("hint"):
                out.append("")
                out.append(f"Hint: {run['error']['hint']}")
            out.append("")
            continue
        out.append(f"- {_fmt_steps(run)}; reading: {run['reading']['text']}")
        out.append("")
        chart = curve_lines(run, frame)
        if chart:
            out += ["```text", *(line[2:] for line in chart), "```", ""]
        if not run["findings"]:
            out.append("No cause stands out.")
            out.append("")
        else:
            out.append("| # | cause | severity | score | onset |")
            out.append("|---|---|---|---|---|")
            for i, f in enumerate(run["findings"], 1):
                out.append(
                    f"| {i} | `{f['id']}` {f['title']} | {f['severity']} | {f['score']:.2f} | {f['onset_step'] if f['onset_step'] is not None else '-'} |"
                )
            out.append("")
            for f in run["findings"]:
                out.append(f"### {f['title']} (`{f['id']}`)")
                out.append("")
                out.extend(f"- ✓ {e['says']}{_md_detail(e)}" for e in f["evidence"])
                out.extend(f"- ✗ {e['says']}{_md_detail(e)}" for e in f["counter_evidence"])
                out.extend(
                    f"- ? {_md_code(m['signal'])} {missing_phrase(m['signal'], run)}: {m['hint']}"
                    for m in f["missing_signals"][:3]
                )
                out.extend(
                    f"- ≈ vs `{d.get('cause')}`: {d.get('note') or d.get('tell_apart_by', '')}".rstrip()
                    for d in f["differential"][:2]
                )
                out.append("")
                out.append("Try, cheapest first:")
                out.append("")
                out.extend(f"{j}. {r['do']}" for j, r in enumerate(f["remedies"], 1))
                out.append("")
        if run["inconclusive"]:
            out.append("Could not check: " + ", ".join(f"`{i['id']}`" for i in run["inconclusive"]))
            out.append("")
    return "\n".join(out)


def render_github(runs: list[dict[str, Any]]) -> str:
    """GitHub Actions workflow annotations, one per finding (error/warning/notice)."""
    level = {"error": "error", "warning": "warning", "info": "notice"}
    out = []
    for run in runs:
        if run.get("error"):
            out.append(
                f"::error file={_prop(run['path'])},title=nn-doctor could not read the run::{_esc(run['error']['message'])}"
            )
            continue
        for f in run["findings"]:
            onset = f" from step {f['onset_step']}" if f["onset_step"] is not None else ""
            ev = "; ".join(e["says"] for e in f["evidence"][:2])
            msg = f"{f['title']} (score {f['score']:.2f}{onset}): {ev}. Try: {f['remedies'][0]['do'] if f['remedies'] else ''}"
            out.append(
                f"::{level[f['severity']]} file={_prop(run['path'])},title=nn-doctor {f['id']}::{_esc(msg)}"
            )
    return "\n".join(out) + ("\n" if out else "")


def _esc(s: str) -> str:
    """Escape a workflow-command message (GitHub's rules: %, CR and LF)."""
    return str(s).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(s: str) -> str:
    """Escape a workflow-command property value (also : and ,)."""
    return _esc(s).replace(":", "%3A").replace(",", "%2C")
