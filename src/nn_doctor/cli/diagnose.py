"""``nn-doctor diagnose PATH...``: ranked causes for each run, and the CI gate."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from nn_doctor.cli import options

HELP = (
    "Diagnose each run at PATH (a log file, a run folder, or a tree of runs): the likely causes, "
    "ranked, with the evidence from the log and the remedy."
)


def diagnose(
    paths: Annotated[
        list[Path], typer.Argument(help="Log files or run folders.", show_default=False)
    ],
    output_format: options.OutputFormat = "auto",
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="Write the report to FILE instead of stdout."),
    ] = None,
    fail_on: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--fail-on",
            help="Exit 1 when a finding is at or above: error (default), warning, info, never.",
        ),
    ] = None,
    fail_on_id: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--fail-on-id",
            help="Exit 1 when any of these cause ids is found (comma-separated, repeatable).",
        ),
    ] = None,
    ignore: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--ignore", help="Rule ids or categories to skip (comma-separated, repeatable)."
        ),
    ] = None,
    exit_zero: Annotated[
        bool, typer.Option("--exit-zero", help="Always exit 0 when the run was checked.")
    ] = False,
    junit: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--junit", help="Also write JUnit XML (one test case per run and cause)."),
    ] = None,
    input_format: options.InputFormat = None,
    set_: options.SetOption = None,
    hparams: options.HparamsOption = None,
    config: options.ConfigOption = None,
    rules: options.RulesOption = None,
    lang: options.LangOption = None,
) -> int:
    """Diagnose runs and return the exit code (0 ok, 1 findings at the gate, 2 could not run)."""
    from nn_doctor.engine.diagnosis import diagnose_frame
    from nn_doctor.engine.load import load_rules
    from nn_doctor.errors import NnDoctorError
    from nn_doctor.exit_codes import ExitCode, worst
    from nn_doctor.report.document import error_run
    from nn_doctor.report.gate import gate
    from nn_doctor.settings import load_settings

    settings = load_settings(
        config, set_=set_, hparams=hparams, ignore=options.split_ids(ignore), rule_paths=rules
    )
    fail_level = fail_on or settings.fail_on or "error"
    if fail_level not in options.SEVERITIES:
        raise typer.BadParameter(f"--fail-on must be one of: {', '.join(options.SEVERITIES)}")
    rule_set = load_rules(
        settings.rule_paths,
        overrides=settings.rule_overrides,
        select=settings.select,
        ignore=settings.ignore,
    )
    language = lang or settings.lang
    if language not in (None, "en", "zh"):
        raise typer.BadParameter("--lang must be en or zh")

    diagnoses = []
    errors = []
    codes: list[int] = []
    for path in paths:
        try:
            frames = settings.read_runs(path, input_format=input_format)
        except NnDoctorError as exc:
            errors.append(error_run(str(path), exc.message, exc.hint))
            codes.append(ExitCode.CANNOT_RUN)
            continue
        for frame in frames:
            d = diagnose_frame(frame, rules=rule_set, lang=language, report_at=settings.report_at)
            diagnoses.append(d)
            if d.error:
                codes.append(ExitCode.CANNOT_RUN)

    runs = [d.to_dict() for d in diagnoses] + errors
    fmt = _resolve_format(output_format, output)
    text = _render(fmt, diagnoses, errors, runs)
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
        sys.stdout.flush()

    if junit is not None:
        from nn_doctor.report.junit import write_junit

        write_junit(junit, runs)
    gated = gate(
        runs, fail_level, options.split_ids(fail_on_id), {r.id: r.maturity for r in rule_set}
    )
    if gated and not exit_zero:
        codes.append(ExitCode.FINDINGS)
    _summary(runs, gated, fail_level)
    return int(worst(codes))


def _resolve_format(fmt: str, output: Path | None) -> str:
    if fmt != "auto":
        return fmt
    if os.environ.get("GITHUB_ACTIONS") == "true" and output is None:
        return "github"
    if output is not None:
        suffix = output.suffix.lower()
        return {".json": "json", ".md": "markdown", ".html": "html", ".htm": "html"}.get(
            suffix, "text"
        )
    from nn_doctor.report.rich_report import color_wanted

    return "rich" if sys.stdout.isatty() and color_wanted() else "text"


def _render(fmt: str, diagnoses: list, errors: list, runs: list) -> str:  # type: ignore[type-arg]
    from nn_doctor.report import text as plain
    from nn_doctor.report.curves import frames_for

    frames = frames_for(runs, diagnoses)  # the curves behind the charts; None for unreadable paths
    if fmt == "json":
        from nn_doctor.report.document import to_json

        return to_json(diagnoses, errors) + "\n"
    if fmt == "markdown":
        return plain.render_markdown(runs, frames)
    if fmt == "github":
        return plain.render_github(runs)
    if fmt == "rich":
        from nn_doctor.report.rich_report import render_rich

        return render_rich(runs, frames)
    if fmt == "html":
        from nn_doctor.report.html import render_html

        return render_html(diagnoses, errors)
    return plain.render_text(runs, frames)


def _summary(runs: list, gated: list, fail_level: str) -> None:  # type: ignore[type-arg]
    """One line on stderr: what was found and why the exit code is what it is."""
    n_find = sum(len(r["findings"]) for r in runs)
    n_err = sum(1 for r in runs if r.get("error"))
    for r in runs:
        if r.get("error"):
            print(f"error: {r['run']}: {r['error']['message']}", file=sys.stderr)
        elif r["inconclusive"]:
            ids = ", ".join(i["id"] for i in r["inconclusive"])
            print(f"{r['run']}: could not check (signals missing): {ids}", file=sys.stderr)
    parts = [f"{len(runs)} run(s)", f"{n_find} finding(s)"]
    if n_err:
        parts.append(f"{n_err} could not be diagnosed")
    if gated:
        parts.append(f"{len(gated)} at or above '{fail_level}' (--fail-on {fail_level})")
    print(" · ".join(parts), file=sys.stderr)
