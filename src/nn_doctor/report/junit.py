"""JUnit XML for CI dashboards (GitLab test reports, Jenkins, GitHub test-report actions).

The mapping, one ``<testsuite>`` per run:

- each **finding** is a test case (``classname`` = the run, ``name`` = the cause id) with a
  ``<failure>`` whose ``type`` is its severity: a finding is something the tool stands behind,
  whatever the gate. Whether the pipeline fails is the exit code's business (``--fail-on``);
- a run with **no finding** gets one passing case, ``no_cause_found``;
- a run that **could not be diagnosed** gets one case, ``read``, with an ``<error>``: JUnit's
  "the test could not run", never a pass — "could not check" must not read as "fine";
- each rule that was **inconclusive** (signals missing) is a ``<skipped>`` case naming them.

No timestamps or host names: the same runs give the same file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

# Characters XML 1.0 cannot carry even escaped (control characters from a log's metric names).
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(el: ET.Element) -> None:
    for key, value in el.attrib.items():
        el.set(key, _INVALID.sub("?", value))
    if el.text:
        el.text = _INVALID.sub("?", el.text)
    for child in el:
        _clean(child)


def _finding_text(f: dict[str, Any]) -> str:
    lines = [f.get("summary") or f["title"], ""]
    lines += [f"  evidence: {e['says']}" for e in f.get("evidence") or []]
    lines += [f"  against: {e['says']}" for e in f.get("counter_evidence") or []]
    lines += [f"  try: {r['do']}" for r in f.get("remedies") or []]
    lines.append(f"  more: nn-doctor rules explain {f['id']}")
    return "\n".join(lines)


def _suite(run: dict[str, Any]) -> ET.Element:
    name = str(run["run"])
    suite = ET.Element("testsuite", name=name)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}

    def case(case_name: str) -> ET.Element:
        counts["tests"] += 1
        el = ET.SubElement(suite, "testcase", classname=name, name=case_name)
        el.set("file", str(run.get("path") or name))
        return el

    error = run.get("error")
    if error:
        counts["errors"] += 1
        err = ET.SubElement(case("read"), "error", message=str(error.get("message", "")))
        err.set("type", str(error.get("exception") or "could_not_diagnose"))
        err.text = str(error.get("hint") or "")
    for f in run.get("findings") or []:
        counts["failures"] += 1
        onset = f" from step {f['onset_step']}" if f.get("onset_step") is not None else ""
        message = f"{f['title']} ({f['severity']}, score {float(f['score']):.2f}{onset})"
        fail = ET.SubElement(case(f["id"]), "failure", message=message, type=f["severity"])
        fail.text = _finding_text(f)
    if not error and not run.get("findings"):
        case("no_cause_found")
    for item in run.get("inconclusive") or []:
        counts["skipped"] += 1
        missing = ", ".join(item.get("missing_signals") or []) or "signals"
        ET.SubElement(case(item["id"]), "skipped", message=f"could not check: missing {missing}")
    for key, value in counts.items():
        suite.set(key, str(value))
    return suite


def to_junit(runs: Sequence[dict[str, Any]], *, name: str = "nn-doctor") -> str:
    """The JUnit XML document for the run entries of a diagnose/audit JSON document."""
    root = ET.Element("testsuites", name=name)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for run in runs:
        suite = _suite(run)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
        root.append(suite)
    for key, value in totals.items():
        root.set(key, str(value))
    _clean(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(path: Any, runs: Sequence[dict[str, Any]]) -> None:
    """Write :func:`to_junit` to ``path`` (UTF-8)."""
    from pathlib import Path

    Path(path).write_text(to_junit(runs), encoding="utf-8")
