"""``nn-doctor inspect PATH``: show how a run was read, before trusting a diagnosis."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from nn_doctor.cli import options

HELP = (
    "Show how each run at PATH was read: format and files, step range and cadence, each signal "
    "with the name it came from, non-finite counts, config facts, and what was ignored."
)


def inspect(
    paths: Annotated[
        list[Path], typer.Argument(help="Log files or run folders.", show_default=False)
    ],
    output_format: options.InspectFormat = "text",
    input_format: options.InputFormat = None,
    set_: options.SetOption = None,
    hparams: options.HparamsOption = None,
    config: options.ConfigOption = None,
) -> int:
    """Describe how each run was read."""
    from nn_doctor.inspect_run import describe
    from nn_doctor.settings import load_settings

    settings = load_settings(config, set_=set_, hparams=hparams)
    docs = []
    for path in paths:
        for frame in settings.read_runs(path, input_format=input_format):
            docs.append(describe(frame))
    if output_format == "json":
        print(json.dumps({"schema_version": 1, "runs": docs}, indent=2, default=str))
    else:
        from nn_doctor.report.inspect_text import render_inspect

        render_inspect(docs)
    return 0
