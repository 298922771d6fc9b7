"""Option types shared by the commands (typer's Annotated style)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

OUTPUT_FORMATS = ("auto", "rich", "text", "json", "markdown", "html", "github")
SEVERITIES = ("error", "warning", "info", "never")


def split_ids(values: list[str] | None) -> list[str]:
    """Flatten repeatable, comma-separated id options (``--ignore a,b --ignore c``)."""
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def _choice(values: tuple[str, ...], what: str):  # type: ignore[no-untyped-def]
    def check(value: str | None) -> str | None:
        if value is not None and value not in values:
            raise typer.BadParameter(f"{what} must be one of: {', '.join(values)}")
        return value

    return check


OutputFormat = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help=(
            "Output: auto (rich on a colour terminal, text otherwise or with NO_COLOR; github "
            "under GitHub Actions; by --output suffix: .json, .md, .html), rich, text, json, "
            "markdown, html (one self-contained file with plots), github."
        ),
        callback=_choice(OUTPUT_FORMATS, "--format"),
    ),
]
InspectFormat = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help="Output: text or json.",
        callback=_choice(("text", "json"), "--format"),
    ),
]
InputFormat = Annotated[
    Optional[str],  # noqa: UP045 - typer evaluates annotations at runtime on 3.10
    typer.Option("--input-format", help="Force the input reader (see `nn-doctor formats`)."),
]
SetOption = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--set", help="Add or override a config fact, e.g. --set batch_size=4096 (repeatable)."
    ),
]
HparamsOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--hparams", help="A YAML/JSON file of config facts that win over the run's own."),
]
ConfigOption = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--config", help="Project config file (default: nearest .nn-doctor.yaml)."),
]
RulesOption = Annotated[
    Optional[list[Path]],  # noqa: UP045
    typer.Option("--rules", help="Extra rule folder (repeatable)."),
]
LangOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--lang", help="Language of titles, remedies and docs: en or zh."),
]
