"""``nn-doctor watch PATH``: follow a log while training runs; alert, and stop, when it goes wrong."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from nn_doctor.cli import options

HELP = (
    "Follow a log (CSV, JSON lines, TensorBoard, …) while training writes it: re-diagnose as "
    "records arrive, print an alert when a cause at or above --fail-on sets in, run --on-error "
    "and exit 1, so a pipeline can stop the run early. PATH may appear later (--wait); watch "
    "ends with 0 once the log stops growing (--idle) and nothing fired. Alerts go to stdout, "
    "progress to stderr."
)
EXIT_CODES_HELP = (
    "Exit codes: 0 the log stopped growing for --idle seconds with nothing at or above "
    "--fail-on; 1 a cause at or above it fired; 2 the log did not appear within --wait, holds "
    "no usable loss, or bad usage; 3 internal error; 130 interrupted."
)


def watch(
    path: Annotated[
        Path,
        typer.Argument(
            help="The log file or run folder being written (it may not exist yet).",
            show_default=False,
        ),
    ],
    interval: Annotated[
        float,
        typer.Option(
            "--interval",
            help=(
                "Seconds between polls; the rules run at most this often, only when new "
                "records arrived (and less often when one diagnosis takes longer than this)."
            ),
        ),
    ] = 2.0,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            help="Seconds to wait for PATH (for a folder: a log in it) to appear before exiting 2.",
        ),
    ] = 60.0,
    idle: Annotated[
        float,
        typer.Option(
            "--idle",
            help=(
                "Seconds without growth after which the writer counts as finished (exit 0 if "
                "nothing fired). Keep it above the writer's flush period (TensorBoard: 120 s)."
            ),
        ),
    ] = 300.0,
    on_error: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--on-error",
            metavar="CMD",
            help=(
                "Shell command run once when the first cause at the gate fires, with "
                "NN_DOCTOR_CAUSE, NN_DOCTOR_STEP (onset), NN_DOCTOR_RUN, NN_DOCTOR_SEVERITY, "
                "NN_DOCTOR_LAST_STEP set. Its output goes to stderr."
            ),
        ),
    ] = None,
    exit_on_error: Annotated[
        bool,
        typer.Option(
            "--exit-on-error/--no-exit-on-error",
            help="Exit 1 at the first cause at the gate, or keep watching (and exit 1 at the end).",
        ),
    ] = True,
    fail_on: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            "--fail-on",
            help="Alert on causes at or above: error (default), warning, info, never.",
        ),
    ] = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="Alerts as text blocks, or json: one JSON object per line per alert.",
            callback=options._choice(("text", "json"), "--format"),
        ),
    ] = "text",
    ignore: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            "--ignore", help="Rule ids or categories to skip (comma-separated, repeatable)."
        ),
    ] = None,
    input_format: options.InputFormat = None,
    set_: options.SetOption = None,
    hparams: options.HparamsOption = None,
    config: options.ConfigOption = None,
    rules: options.RulesOption = None,
    lang: options.LangOption = None,
) -> int:
    """Watch one run and return the exit code (see EXIT_CODES_HELP)."""
    from nn_doctor.engine.load import load_rules
    from nn_doctor.settings import load_settings
    from nn_doctor.watch import Watcher, WatchOptions

    for name, value, low in (("--interval", interval, 0.0), ("--idle", idle, 0.0)):
        if not value > low:
            raise typer.BadParameter(f"{name} must be a positive number of seconds")
    if not wait >= 0:
        raise typer.BadParameter("--wait must be 0 or more seconds")
    settings = load_settings(
        config, set_=set_, hparams=hparams, ignore=options.split_ids(ignore), rule_paths=rules
    )
    fail_level = fail_on or settings.fail_on or "error"
    if fail_level not in options.SEVERITIES:
        raise typer.BadParameter(f"--fail-on must be one of: {', '.join(options.SEVERITIES)}")
    language = lang or settings.lang
    if language not in (None, "en", "zh"):
        raise typer.BadParameter("--lang must be en or zh")
    rule_set = load_rules(
        settings.rule_paths,
        overrides=settings.rule_overrides,
        select=settings.select,
        ignore=settings.ignore,
    )
    watcher = Watcher(
        path,
        WatchOptions(
            interval=interval,
            wait=wait,
            idle=idle,
            fail_on=fail_level,
            exit_on_error=exit_on_error,
            on_error=on_error,
            output=output_format,
            input_format=input_format,
            lang=language,
            report_at=settings.report_at,
        ),
        rules=rule_set,
        aliases=settings.aliases,
        config_overrides=settings.config_overrides,
    )
    return watcher.run()
