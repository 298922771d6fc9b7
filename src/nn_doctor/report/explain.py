"""A rule's docs as Markdown, in ruff's order: what, why, looks like, evidence, look-alikes, remedies.

The same Markdown feeds ``rules explain`` in the terminal (rendered by rich), ``--format
markdown`` and the generated ``docs/rules.md``, so there is one text to keep right. Reference
URLs are written as autolinks (``<https://…>``): a terminal without hyperlinks, a pipe and a
Markdown viewer all show the address itself. Headings follow ``--lang``; rule ids, check names
and signal names never change.
"""

from __future__ import annotations

from nn_doctor.engine.model import Rule

_HEADINGS = {
    "en": {
        "what": "What it is",
        "why": "Why it matters",
        "looks_like": "What it looks like in a log",
        "evidence": "Evidence nn-doctor looks for",
        "differential": "How to tell it from look-alikes",
        "remedies": "What to try, cheapest first",
        "references": "References",
        "severity": "severity",
        "key": "key",
        "against": "against",
        "weight": "weight",
        "requires": "requires",
        "on": "on",
        "before": "before",
        "shares": "shares",
        "tell": "tell apart by",
        "config": "config",
    },
    "zh": {
        "what": "是什么",
        "why": "为什么重要",
        "looks_like": "在日志里的样子",
        "evidence": "nn-doctor 检查的证据",
        "differential": "如何与相似问题区分",
        "remedies": "可以尝试（从最省事的开始）",
        "references": "参考资料",
        "severity": "严重程度",
        "key": "关键",
        "against": "反证",
        "weight": "权重",
        "requires": "需要",
        "on": "作用于",
        "before": "早于",
        "shares": "共同症状",
        "tell": "区分依据",
        "config": "配置",
    },
}


def explain_markdown(rule: Rule, lang: str | None = None) -> str:
    """Render one rule's documentation."""
    h = _HEADINGS.get(lang or "en", _HEADINGS["en"])
    loc = rule.localized(lang)
    docs = loc["docs"]
    out = [
        f"# {loc['title']} (`{rule.id}`)",
        "",
        f"*{rule.category} · {h['severity']} {rule.severity} · {rule.maturity}*",
        "",
        str(loc["summary"]).strip(),
        "",
    ]
    for key in ("what", "why", "looks_like"):
        if docs.get(key):
            out += [f"## {h[key]}", "", str(docs[key]).strip(), ""]
    out += [f"## {h['evidence']}", ""]
    for e in rule.evidence:
        sig = ", ".join(f"`{s}`" for s in e.signals) if e.signals else h["config"]
        tag = f" ({h['key']})" if e.key else ""
        what = e.check or f"{e.precedes[0]} {h['before']} {e.precedes[1]}"
        out.append(f"- `{e.id}`{tag}: {what} {h['on']} {sig}, {h['weight']} {e.weight:g}")
    for e in rule.against:
        sig = ", ".join(f"`{s}`" for s in e.signals) or h["config"]
        out.append(
            f"- {h['against']} `{e.id}`: {e.check} {h['on']} {sig}, {h['weight']} {e.weight:g}"
        )
    if rule.requires:
        out.append(f"- {h['requires']}: {', '.join(f'`{s}`' for s in rule.requires)}")
    out.append("")
    if loc["differential"]:
        out += [f"## {h['differential']}", ""]
        for d in loc["differential"]:
            note = f" {d['note']}" if d.get("note") else ""
            out.append(
                f"- **`{d.get('cause')}`** — {h['shares']}: {d.get('shared', '?')}; "
                f"{h['tell']} `{d.get('tell_apart_by', '?')}`.{note}"
            )
        out.append("")
    if loc["remedies"]:
        out += [f"## {h['remedies']}", ""]
        for i, r in enumerate(loc["remedies"], 1):
            why = f" *{r['why']}*" if r.get("why") else ""
            out.append(f"{i}. **{r['do']}**{why}")
        out.append("")
    if rule.references:
        out += [f"## {h['references']}", ""]
        for ref in rule.references:
            title = ref.get("title") or ref.get("url", "")
            line = f"- {title}"
            if ref.get("supports"):
                line += f": {ref['supports']}"
            if ref.get("url"):
                line += f" <{ref['url']}>"
            out.append(line)
    return "\n".join(out).rstrip() + "\n"


def render_terminal(text: str, *, color: bool | None = None, width: int | None = None) -> str:
    """Markdown rendered for a terminal by rich: styled on a colour TTY, plain otherwise.

    Lines are right-stripped (rich pads them to the console width), so the output pipes and
    diffs cleanly.
    """
    import io
    import shutil
    import sys

    from rich.console import Console
    from rich.markdown import Markdown

    from nn_doctor.report.rich_report import color_wanted

    if color is None:
        color = sys.stdout.isatty() and color_wanted()
    buf = io.StringIO()
    console = Console(
        file=buf,
        force_terminal=color,
        no_color=not color,
        width=width or min(100, shutil.get_terminal_size((100, 20)).columns),
        highlight=False,
        emoji=False,
    )
    console.print(Markdown(text))
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"
