"""Errors a user can act on. Each carries a one-line message and a hint; all exit with 2."""

from __future__ import annotations


class NnDoctorError(Exception):
    """An expected failure: bad input, bad config or a bad rule. Never a bug."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class InputError(NnDoctorError):
    """A log that is missing, unreadable, unrecognized, or holds no usable signal."""


class ConfigError(NnDoctorError):
    """An invalid project config, --set value or --hparams file."""


class RuleError(NnDoctorError):
    """An invalid rule file; the message names the file and the field path."""
