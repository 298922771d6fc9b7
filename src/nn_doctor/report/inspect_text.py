"""Plain-text rendering of ``inspect`` (stable, greppable, no colour needed)."""

from __future__ import annotations

import sys
from typing import Any, TextIO


def _num(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def render_inspect(docs: list[dict[str, Any]], out: TextIO | None = None) -> None:
    """Write one block per run: header, signals table, config, warnings."""
    out = out or sys.stdout
    for doc in docs:
        steps = doc["steps"]
        print(f"{doc['run']}  [{doc['format']}]", file=out)
        print(f"  files: {', '.join(doc['files']) or '-'}", file=out)
        print(
            f"  {doc['axis']}s {_num(steps['first'])}..{_num(steps['last'])} "
            f"({steps['count']} logged, cadence {_num(steps['cadence'])}, "
            f"steps/epoch {_num(steps['steps_per_epoch'])})",
            file=out,
        )
        if doc["primary_loss"]:
            print(f"  primary loss: train_loss <- {doc['primary_loss']['source']}", file=out)
        else:
            print("  primary loss: none found", file=out)
        if doc["signals"]:
            width = max(len(s["signal"]) for s in doc["signals"])
            print(
                f"  {'signal':<{width}}  {'from':<28} {'points':>7} {'non-fin':>7}  range", file=out
            )
            for s in doc["signals"]:
                print(
                    f"  {s['signal']:<{width}}  {s['source'][:28]:<28} {s['points']:>7} "
                    f"{s['non_finite']:>7}  {_num(s['min'])}..{_num(s['max'])}",
                    file=out,
                )
        if doc["config"]:
            facts = ", ".join(f"{k}={v}" for k, v in doc["config"].items())
            print(f"  config: {facts}", file=out)
            if doc["config_sources"]:
                print(f"  config from: {', '.join(doc['config_sources'])}", file=out)
        for label in ("warnings", "notes", "ignored"):
            for line in doc[label]:
                print(f"  {label[:-1] if label != 'ignored' else 'ignored'}: {line}", file=out)
        print(file=out)
