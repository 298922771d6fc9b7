"""Rule cases: short synthetic series beside each rule, with the verdict it must reach.

The series use promtool's expanding notation (Prometheus ``promtool test rules``): ``axn`` is
n+1 samples of a; ``a+bxn`` and ``a-bxn`` add or subtract b each point; ``a*bxn`` multiplies by b
(training curves need geometric growth); ``_`` is a point that was not logged and ``_xn`` n of
them; ``nan``, ``inf`` and ``-inf`` are logged values. A series may also be a mapping
``{values: "...", step: "..."}`` to give it its own steps (validation every epoch, say).

These cases test a rule's logic on purpose-built shapes; accuracy on real training runs is
measured by the fault-zoo benchmark, not here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nn_doctor.errors import RuleError

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?"
_TOKEN = re.compile(
    rf"^(?P<a>{_NUM}|nan|[-+]?inf|_)(?:(?P<op>[-+*])(?P<b>{_NUM}))?(?:x(?P<n>\d+))?$", re.IGNORECASE
)


def expand(notation: str) -> list[float | None]:
    """Expand promtool-style notation into values (None = not logged)."""
    out: list[float | None] = []
    for tok in str(notation).split():
        m = _TOKEN.match(tok)
        if not m:
            raise ValueError(f"bad series token '{tok}'")
        a, op, b, n = m.group("a"), m.group("op"), m.group("b"), m.group("n")
        if a == "_":
            out.extend([None] * (int(n) if n else 1))
            continue
        start = float(a)
        if n is None:
            if op:
                raise ValueError(f"'{tok}': an operator needs a count (xN)")
            out.append(start)
            continue
        count, step = int(n), float(b) if b else 0.0
        for i in range(count + 1):
            if op == "+":
                out.append(start + i * step)
            elif op == "-":
                out.append(start - i * step)
            elif op == "*":
                out.append(start * step**i)
            else:
                out.append(start)
    return out


@dataclass
class CaseResult:
    """One case's outcome: passed, and the reason when it did not."""

    rule: str
    name: str
    passed: bool
    message: str = ""
    verdict: str = ""
    score: float = 0.0


def _frame_for(
    case: dict[str, Any], default_step: str | None, default_config: dict[str, Any]
) -> Any:
    import pandas as pd

    from nn_doctor.frame import RawRun, build_frame

    rows: list[tuple[float, str, float]] = []
    for name, spec in (case.get("series") or {}).items():
        values_notation = spec["values"] if isinstance(spec, dict) else spec
        step_notation = spec.get("step") if isinstance(spec, dict) else None
        values = expand(values_notation)
        steps_raw = expand(
            step_notation or case.get("step") or default_step or f"0+1x{len(values) - 1}"
        )
        steps = [s for s in steps_raw if s is not None]
        if len(steps) < len(values):
            raise ValueError(
                f"series '{name}' has {len(values)} points but only {len(steps)} steps"
            )
        rows.extend((steps[i], name, v) for i, v in enumerate(values) if v is not None)
    rows.sort(key=lambda r: r[0])
    records = pd.DataFrame(rows, columns=["step", "name", "value"])
    records["wall_time"] = math.nan
    raw = RawRun(
        records=records,
        format="cases",
        path="<case>",
        run=str(case.get("name", "case")),
        config={**default_config, **(case.get("config") or {})},
        axis=str(case.get("axis", "step")),
    )
    return build_frame(raw)


def run_case_file(path: Path, rules_by_id: dict[str, Any]) -> list[CaseResult]:
    """Run every case in one ``*.cases.yaml`` against its rule."""
    import yaml

    from nn_doctor.engine.evaluate import evaluate_rule
    from nn_doctor.engine.load import parse_yaml

    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RuleError(f"invalid cases file {path}: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict) or "rule" not in data or not isinstance(data.get("cases"), list):
        raise RuleError(f"invalid cases file {path}", hint="expected keys: rule, cases (a list)")
    rule = rules_by_id.get(data["rule"])
    if rule is None:
        raise RuleError(f"cases file {path} names unknown rule '{data['rule']}'")
    results = []
    for case in data["cases"]:
        name = str(case.get("name", "?"))
        try:
            frame = _frame_for(case, data.get("step"), data.get("config") or {})
            res = evaluate_rule(rule, frame)
        except (ValueError, KeyError, TypeError) as exc:
            results.append(CaseResult(rule.id, name, False, f"could not run: {exc}"))
            continue
        results.append(_judge(rule.id, name, case.get("expect") or {}, res))
    return results


def _judge(rule_id: str, name: str, expect: dict[str, Any], res: Any) -> CaseResult:
    problems = []
    want = expect.get("verdict")
    if want and res.verdict != want:
        problems.append(f"verdict {res.verdict}, expected {want}")
    if "min_score" in expect and res.score < expect["min_score"]:
        problems.append(f"score {res.score:.2f} < min_score {expect['min_score']}")
    if "max_score" in expect and res.score > expect["max_score"]:
        problems.append(f"score {res.score:.2f} > max_score {expect['max_score']}")
    matched = {r.item.id for r in res.items if r.status == "matched"}
    for ev in expect.get("evidence") or []:
        if ev not in matched:
            problems.append(f"evidence '{ev}' did not match")
    for ev in expect.get("not_evidence") or []:
        if ev in matched:
            problems.append(f"evidence '{ev}' matched but should not")
    if "missing" in expect:
        missing = set(res.missing_required) | {m for r in res.items for m in r.missing}
        for sig in expect["missing"]:
            if sig not in missing:
                problems.append(f"signal '{sig}' not reported missing")
    return CaseResult(rule_id, name, not problems, "; ".join(problems), res.verdict, res.score)


def case_files(folder: Path) -> list[Path]:
    """All ``*.cases.yaml`` under a rules folder."""
    return sorted(folder.rglob("*.cases.yaml"))
