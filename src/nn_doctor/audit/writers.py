"""The audit's ``--output`` files: JSON (the diagnose document), CSV, Markdown, HTML.

JSON holds every run in full, as ``diagnose --format json`` does, so one schema validates both.
The tabular formats hold one summary row per run (:data:`~nn_doctor.audit.rows.COLUMNS`), in
the table's order. The HTML page is a self-contained table (no scripts, no external assets), for
a CI artifact or a shared folder; the rich diagnosis report lives in ``report/html.py``.
"""

from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nn_doctor.audit.rows import COLUMNS

if TYPE_CHECKING:
    from nn_doctor.audit.core import AuditResult

FORMATS = {".json": "json", ".csv": "csv", ".md": "markdown", ".markdown": "markdown",
           ".html": "html", ".htm": "html"}  # fmt: skip


def format_for(path: Path) -> str | None:
    """The output format a file name asks for (None: unknown suffix)."""
    return FORMATS.get(path.suffix.lower())


def to_json(result: AuditResult) -> str:
    """The JSON document shared with ``diagnose`` (DECISIONS.md §7)."""
    from nn_doctor.report.document import document

    return json.dumps(document(result.runs), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def to_csv(result: AuditResult) -> str:
    """One row per run; list cells are space-separated ids."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in result.rows:
        writer.writerow(row.as_dict())
    return buf.getvalue()


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def to_markdown(result: AuditResult) -> str:
    """A GitHub-flavoured Markdown table (for a PR comment or a job summary)."""
    cols = ("status", "run", "format", "steps", "top_cause", "score", "onset", "error")
    lines = [
        f"## nn-doctor audit: {len(result.rows)} run(s)",
        "",
        "| " + " | ".join(c.replace("_", " ") for c in cols) + " |",
        "|" + "|".join("---:" if c in ("steps", "score", "onset") else "---" for c in cols) + "|",
    ]
    for row in result.rows:
        d = row.as_dict()
        lines.append("| " + " | ".join(_md_cell(d[c]) for c in cols) + " |")
    return "\n".join(lines) + "\n"


_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}th,td{padding:.3em .7em;border-bottom:1px solid #ddd;text-align:left}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.error td:first-child{color:#b00020;font-weight:600}tr.warning td:first-child{color:#a15c00}
tr.info td:first-child{color:#005a9c}tr.broken td:first-child{color:#6a1b9a}
tr.ok td:first-child{color:#1b5e20}
"""


def to_html(result: AuditResult) -> str:
    """A self-contained HTML page with the summary table."""
    from nn_doctor import __version__

    cols = ("status", "run", "format", "steps", "top_cause", "score", "onset", "causes", "error")
    head = "".join(f"<th>{html.escape(c.replace('_', ' '))}</th>" for c in cols)
    body = []
    for row in result.rows:
        d = row.as_dict()
        cells = "".join(
            f'<td class="num">{html.escape(str(d[c]))}</td>'
            if c in ("steps", "score", "onset")
            else f"<td>{html.escape(str(d[c]))}</td>"
            for c in cols
        )
        body.append(f'<tr class="{html.escape(row.status)}">{cells}</tr>')
    return (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>nn-doctor audit</title><style>{_CSS}</style></head><body>\n"
        f"<h1>nn-doctor audit</h1><p>{len(result.rows)} run(s) · nn-doctor {__version__}</p>\n"
        f"<table><thead><tr>{head}</tr></thead><tbody>\n"
        + "\n".join(body)
        + "\n</tbody></table></body></html>\n"
    )


WRITERS = {"json": to_json, "csv": to_csv, "markdown": to_markdown, "html": to_html}


def render(result: AuditResult, fmt: str) -> str:
    """The audit in one of :data:`WRITERS`' formats."""
    return WRITERS[fmt](result)
