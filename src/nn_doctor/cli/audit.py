"""``nn-doctor audit DIR...``: every run under some folders, diagnosed in parallel, one row each.

stdout carries the table (or ``--format json|markdown|csv|github``); the progress bar, the
broken runs, the one-line summary and the gate's verdict go to stderr. An audit is a report
unless asked to gate: ``--fail-on`` defaults to ``never``, and broken runs make the exit 2 only
with ``--strict`` (DECISIONS.md §5). A folder that does not exist, or a search that finds no run
at all, always exits 2: nothing was checked, and that must never read as "checked and fine".
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from nn_doctor.cli import options

if TYPE_CHECKING:
    from nn_doctor.audit.core import AuditResult

HELP = (
    "Find every run under DIR... (recursively; several runs in one folder are told apart), "
    "diagnose them in parallel, and print one row per run sorted by severity then score. "
    "Broken runs are listed with their error and never stop the audit. "
    "Results are cached outside the tree, keyed on each log's size and modification time."
)
STDOUT_FORMATS = ("auto", "rich", "text", "json", "markdown", "csv", "github")
_MAX_RICH_ROWS = 2000  # past this a rich table costs more than it shows: plain text instead


def audit(
    dirs: Annotated[
        list[Path],
        typer.Argument(help="Folders (or log files) to audit.", show_default=False, metavar="DIR"),
    ],
    output: Annotated[
        Optional[list[Path]],  # noqa: UP045 - typer evaluates annotations at runtime on 3.10
        typer.Option(
            "--output",
            "-o",
            help="Also write the audit to FILE: .json (the diagnose document), .csv, .md or "
            ".html, one row per run (repeatable).",
        ),
    ] = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="What stdout shows: auto (rich on a terminal, text otherwise), rich, text, "
            "json, markdown, csv, github.",
        ),
    ] = "auto",
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Worker processes (0: one per usable CPU).")
    ] = 0,
    executor: Annotated[
        str,
        typer.Option(
            "--executor",
            help="auto (a process pool when there are enough runs), serial, process, or dask.",
        ),
    ] = "auto",
    scheduler: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--scheduler",
            help="Dask scheduler address for --executor dask (e.g. tcp://host:8786); "
            "default: dask's configuration, else a local cluster.",
        ),
    ] = None,
    include: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--include", help="Only runs whose path matches this glob (repeatable)."),
    ] = None,
    exclude: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--exclude", help="Skip runs whose path matches this glob (repeatable)."),
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on",
            help="Exit 1 when a finding is at or above: error, warning, info, never (default).",
        ),
    ] = "never",
    fail_on_id: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--fail-on-id", help="Exit 1 when any of these cause ids is found."),
    ] = None,
    ignore: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--ignore", help="Rule ids or categories to skip (comma-separated)."),
    ] = None,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Exit 0 even when a finding is at the gate.")
    ] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Exit 2 when a run could not be diagnosed (3 for an internal error)."
        ),
    ] = False,
    junit: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--junit", help="Write JUnit XML (one test case per run and cause)."),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Read every run again; do not use the cache.")
    ] = False,
    cache_dir: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--cache-dir",
            help="Cache folder (default: $NN_DOCTOR_CACHE_DIR, else $XDG_CACHE_HOME/nn-doctor, "
            "else ~/.cache/nn-doctor).",
        ),
    ] = None,
    progress: Annotated[
        Optional[bool],  # noqa: UP045
        typer.Option(
            "--progress/--no-progress", help="Progress bar on stderr (default: on a terminal)."
        ),
    ] = None,
    input_format: options.InputFormat = None,
    set_: options.SetOption = None,
    hparams: options.HparamsOption = None,
    config: options.ConfigOption = None,
    rules: options.RulesOption = None,
    lang: options.LangOption = None,
) -> int:
    """Audit the runs under ``dirs`` and return the exit code."""
    from nn_doctor.audit.core import run_audit
    from nn_doctor.audit.executor import EXECUTORS
    from nn_doctor.audit.writers import format_for, render
    from nn_doctor.engine.load import load_rules
    from nn_doctor.settings import load_settings

    _check_choice(output_format, STDOUT_FORMATS, "--format")
    _check_choice(executor, EXECUTORS, "--executor")
    _check_choice(fail_on, options.SEVERITIES, "--fail-on")
    if jobs < 0:
        raise typer.BadParameter("--jobs must be 0 (auto) or more")
    if lang not in (None, "en", "zh"):
        raise typer.BadParameter("--lang must be en or zh")
    outputs = []
    for path in output or []:
        fmt = format_for(path)
        if fmt is None:
            raise typer.BadParameter(f"--output {path}: use a .json, .csv, .md or .html file")
        outputs.append((path, fmt))

    settings = load_settings(
        config, set_=set_, hparams=hparams, ignore=options.split_ids(ignore), rule_paths=rules
    )
    rule_set = load_rules(
        settings.rule_paths,
        overrides=settings.rule_overrides,
        select=settings.select,
        ignore=settings.ignore,
    )
    with _ProgressBar(progress) as on_progress:
        result = run_audit(
            dirs,
            settings=settings,
            rules=rule_set,
            lang=lang,
            input_format=input_format,
            include=options.split_ids(include),
            exclude=options.split_ids(exclude),
            executor=executor,
            jobs=jobs,
            scheduler=scheduler,
            use_cache=not no_cache,
            cache_dir=cache_dir,
            progress=on_progress,
        )

    fmt = _stdout_format(output_format, len(result.rows))
    text = _render_stdout(result, fmt, render)
    sys.stdout.write(text)
    sys.stdout.flush()
    for path, file_fmt in outputs:
        path.write_text(render(result, file_fmt), encoding="utf-8")
    if junit is not None:
        from nn_doctor.report.junit import write_junit

        write_junit(junit, result.runs)
    return _verdict(
        result, dirs, fail_on, options.split_ids(fail_on_id), exit_zero=exit_zero, strict=strict
    )


def _check_choice(value: str, choices: tuple[str, ...], flag: str) -> None:
    if value not in choices:
        raise typer.BadParameter(f"{flag} must be one of: {', '.join(choices)}")


class _ProgressBar:
    """A rich progress bar on stderr, or nothing when stderr is not a terminal."""

    def __init__(self, wanted: bool | None) -> None:
        self.wanted = sys.stderr.isatty() if wanted is None else wanted
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Any:
        if not self.wanted:
            return None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(
            TextColumn("auditing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.bar.start()
        self.task = self.bar.add_task("audit", total=None)
        return self._update

    def _update(self, done: int, total: int) -> None:
        self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _stdout_format(fmt: str, n_rows: int) -> str:
    if fmt != "auto":
        return fmt
    rich_ok = sys.stdout.isatty() and not os.environ.get("NO_COLOR") and n_rows <= _MAX_RICH_ROWS
    return "rich" if rich_ok else "text"


def _cells(row: Any) -> list[str]:
    d = row.as_dict()
    top = d["top_cause"] or (f"error: {d['error']}" if d["error"] else "-")
    score = f"{row.score:.2f}" if row.score is not None else ""
    return [d["status"], d["run"], d["format"], str(d["steps"]), top, score, str(d["onset"])]


_HEAD = ["status", "run", "format", "steps", "top cause", "score", "onset"]
_RIGHT = {3, 5, 6}


def _render_stdout(result: AuditResult, fmt: str, render: Any) -> str:
    if fmt in ("json", "csv", "markdown"):
        return str(render(result, fmt))
    if fmt == "github":
        from nn_doctor.report.text import render_github

        return render_github(result.runs)
    rows = [_cells(r) for r in result.rows]
    if fmt == "rich":
        return _render_rich(rows)
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(_HEAD)]
    widths[4] = min(widths[4], 60)

    def line(cells: list[str]) -> str:
        out = []
        for i, (c, w) in enumerate(zip(cells, widths, strict=True)):
            c = c if len(c) <= w else c[: w - 1] + "…"
            out.append(c.rjust(w) if i in _RIGHT else c.ljust(w))
        return "  ".join(out).rstrip()

    return "\n".join([line(_HEAD), *(line(r) for r in rows)]) + "\n"


def _render_rich(rows: list[list[str]]) -> str:
    from rich.console import Console
    from rich.table import Table

    style = {"error": "bold red", "warning": "yellow", "info": "cyan", "broken": "magenta"}
    table = Table(box=None, header_style="bold", pad_edge=False, collapse_padding=True)
    for i, head in enumerate(_HEAD):
        if head == "run":
            table.add_column(head, overflow="fold", min_width=16)
        elif head == "top cause":
            table.add_column(head, overflow="ellipsis", no_wrap=True, max_width=24)
        else:
            right = i in _RIGHT
            table.add_column(head, justify="right" if right else "left", min_width=len(head))
    for r in rows:
        top = r[4] if len(r[4]) <= 24 else r[4][:23] + "…"
        table.add_row(*r[:4], top, *r[5:], style=style.get(r[0]))
    console = Console(file=None, record=True, width=_term_width())
    with console.capture() as cap:
        console.print(table)
    return cap.get()


def _term_width() -> int:
    import shutil

    return max(80, shutil.get_terminal_size().columns)


def _verdict(
    result: AuditResult,
    dirs: list[Path],
    fail_on: str,
    fail_on_ids: list[str],
    *,
    exit_zero: bool,
    strict: bool,
) -> int:
    """Print the broken runs and the summary on stderr; return the exit code (§5)."""
    from nn_doctor.exit_codes import ExitCode, worst
    from nn_doctor.report.gate import gate

    err = sys.stderr
    codes: list[int] = []
    broken = result.broken
    for row in broken[:20]:
        print(f"error: {row.run}: {row.error}", file=err)
    if len(broken) > 20:
        print(f"… and {len(broken) - 20} more runs that could not be diagnosed", file=err)
    if result.missing_roots:
        codes.append(ExitCode.CANNOT_RUN)
    if result.sources == 0:
        excluded = result.filtered_out
        why = f" ({excluded} excluded by --include/--exclude)" if excluded else ""
        where = ", ".join(str(p) for p in dirs)
        print(f"error: no training run found under {where}{why}", file=err)
        codes.append(ExitCode.CANNOT_RUN)
    if result.cache_warning:
        print(f"warning: {result.cache_warning}", file=err)
    gated = gate(result.runs, fail_on, fail_on_ids, result.maturity)
    if gated and not exit_zero:
        codes.append(ExitCode.FINDINGS)
    internal = [r for r in result.runs if (r.get("error") or {}).get("exception")]
    if strict and broken:
        codes.append(ExitCode.INTERNAL if internal else ExitCode.CANNOT_RUN)
    print(_summary(result, gated, fail_on, len(internal)), file=err)
    return int(worst(codes))


def _summary(result: AuditResult, gated: list[Any], fail_on: str, internal: int) -> str:
    by: dict[str, int] = {}
    for row in result.rows:
        by[row.status] = by.get(row.status, 0) + 1
    found = sum(by.get(s, 0) for s in ("error", "warning", "info"))
    parts = [f"{len(result.rows)} run(s)"]
    detail = ", ".join(f"{by[s]} {s}" for s in ("error", "warning", "info") if by.get(s))
    parts.append(f"{found} with findings" + (f" ({detail})" if detail else ""))
    if by.get("broken"):
        extra = f", {internal} internal error(s)" if internal else ""
        parts.append(f"{by['broken']} could not be diagnosed{extra}")
    if result.cache_hits:
        parts.append(f"{result.cache_hits} source(s) from cache")
    rate = result.sources / result.seconds if result.seconds > 0 else 0.0
    parts.append(f"{result.seconds:.1f} s ({rate:.0f} runs/s, {result.executor})")
    if gated:
        parts.append(f"{len(gated)} finding(s) at or above '{fail_on}' (--fail-on {fail_on})")
    return " · ".join(parts)
