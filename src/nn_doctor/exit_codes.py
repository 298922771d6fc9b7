"""The exit-code contract shared by every command (ruff/sqlfluff style)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What a CI script can rely on. Precedence when several apply: 3 > 2 > 1 > 0."""

    OK = 0  # ran; nothing at or above the gate
    FINDINGS = 1  # ran; a finding at or above --fail-on
    CANNOT_RUN = 2  # bad usage, unreadable log, no usable signal, invalid rule/config
    INTERNAL = 3  # a bug in nn-doctor
    INTERRUPTED = 130  # Ctrl-C


def worst(codes: list[ExitCode] | list[int]) -> ExitCode:
    """Combine exit codes by precedence: internal > could not run > findings > ok."""
    order = [ExitCode.INTERNAL, ExitCode.CANNOT_RUN, ExitCode.FINDINGS]
    present = {int(c) for c in codes}
    for code in order:
        if int(code) in present:
            return code
    return ExitCode.OK
