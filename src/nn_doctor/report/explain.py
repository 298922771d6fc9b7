"""A rule's docs as Markdown, in ruff's order: what, why, looks like, evidence, look-alikes, remedies."""

from __future__ import annotations

from nn_doctor.engine.model import Rule


def explain_markdown(rule: Rule, lang: str | None = None) -> str:
    """Render one rule's documentation."""
    loc = rule.localized(lang)
    docs = loc["docs"]
    out = [
        f"# {loc['title']} (`{rule.id}`)",
        "",
        f"*{rule.category} · severity {rule.severity} · {rule.maturity}*",
        "",
        loc["summary"],
        "",
    ]
    for key, head in (
        ("what", "What it is"),
        ("why", "Why it matters"),
        ("looks_like", "What it looks like in a log"),
    ):
        if docs.get(key):
            out += [f"## {head}", "", str(docs[key]).strip(), ""]
    out += ["## Evidence nn-doctor looks for", ""]
    for e in rule.evidence:
        sig = ", ".join(e.signals) if e.signals else "config"
        tag = " (key)" if e.key else ""
        what = e.check or f"{e.precedes[0]} before {e.precedes[1]}"
        out.append(f"- `{e.id}`{tag}: {what} on {sig}, weight {e.weight:g}")
    for e in rule.against:
        out.append(
            f"- against `{e.id}`: {e.check} on {', '.join(e.signals) or 'config'}, weight {e.weight:g}"
        )
    if rule.requires:
        out.append(f"- requires: {', '.join(rule.requires)}")
    out.append("")
    if loc["differential"]:
        out += ["## How to tell it from look-alikes", ""]
        for d in loc["differential"]:
            out.append(
                f"- **{d.get('cause')}** shares {d.get('shared', 'symptoms')}; tell apart by `{d.get('tell_apart_by', '?')}`. {d.get('note', '')}".rstrip()
            )
        out.append("")
    if loc["remedies"]:
        out += ["## What to try, cheapest first", ""]
        for i, r in enumerate(loc["remedies"], 1):
            why = f" — {r['why']}" if r.get("why") else ""
            out.append(f"{i}. {r['do']}{why}")
        out.append("")
    if rule.references:
        out += ["## References", ""]
        for ref in rule.references:
            out.append(
                f"- [{ref.get('title', ref.get('url'))}]({ref.get('url', '')})"
                + (f": {ref['supports']}" if ref.get("supports") else "")
            )
    return "\n".join(out).rstrip() + "\n"
