"""The ``nn-doctor`` Typer app: the root options and every command's registration."""

from __future__ import annotations

import typer

from nn_doctor import __version__
from nn_doctor.cli import EXIT_CODES_HELP

app = typer.Typer(
    name="nn-doctor",
    help="Diagnose failed neural-network training runs from their logs.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"nn-doctor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        callback=_version,
        is_eager=True,
        help="Show the version and exit.",
    ),
) -> None:
    """Diagnose failed neural-network training runs from their logs."""


def _register() -> None:
    from nn_doctor.cli import audit, diagnose, formats, inspect, rules, watch

    app.command("diagnose", help=diagnose.HELP, epilog=EXIT_CODES_HELP)(diagnose.diagnose)
    app.command("audit", help=audit.HELP, epilog=EXIT_CODES_HELP)(audit.audit)
    app.command("inspect", help=inspect.HELP)(inspect.inspect)
    app.command("formats", help=formats.HELP)(formats.formats)
    app.add_typer(rules.app, name="rules")
    app.command("watch", help=watch.HELP, epilog=watch.EXIT_CODES_HELP)(watch.watch)


_register()
