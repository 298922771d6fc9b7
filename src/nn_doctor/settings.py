"""Project settings: ``.nn-doctor.yaml`` discovery merged with command-line flags.

Order (yamllint/black): ``--config FILE``, then ``$NN_DOCTOR_CONFIG``, then the nearest
``.nn-doctor.yaml`` walking up from the working directory (stopping at ``$HOME`` or ``/``),
then built-in defaults. Flags win over the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nn_doctor.errors import ConfigError

if TYPE_CHECKING:
    from nn_doctor.frame import RunFrame

CONFIG_NAME = ".nn-doctor.yaml"
_KNOWN_KEYS = {
    "rule_paths",
    "ignore",
    "select",
    "fail_on",
    "report_at",
    "signals",
    "rules",
    "set",
    "lang",
}


@dataclass
class Settings:
    """Everything a command needs besides the paths: aliases, config facts, rule tweaks."""

    source: Path | None = None
    rule_paths: list[Path] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    select: list[str] = field(default_factory=list)
    fail_on: str | None = None
    report_at: float | None = None
    aliases: dict[str, list[str]] = field(default_factory=dict)
    rule_overrides: dict[str, Any] = field(default_factory=dict)
    config_overrides: dict[str, Any] = field(default_factory=dict)
    lang: str | None = None

    def read_runs(self, path: Path, *, input_format: str | None = None) -> list[RunFrame]:
        """Read the runs at ``path`` with this project's aliases and config overrides."""
        from nn_doctor.api import read_runs

        return read_runs(
            path,
            input_format=input_format,
            aliases=self.aliases,
            config_overrides=self.config_overrides,
        )


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``.nn-doctor.yaml`` from ``start`` upward, stopping at $HOME or /."""
    env = os.environ.get("NN_DOCTOR_CONFIG")
    if env:
        return Path(env)
    here = (start or Path.cwd()).resolve()
    home = Path.home().resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
        if folder == home:
            break
    return None


def _as_list(value: Any, key: str, source: Path) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise ConfigError(f"invalid config {source}\n  ==> at {key}: expected a list of strings")


def load_settings(
    config: Path | None = None,
    *,
    set_: Iterable[str] | None = None,
    hparams: Path | None = None,
    ignore: Iterable[str] | None = None,
    rule_paths: Iterable[Path] | None = None,
) -> Settings:
    """Build the settings from the config file (if any) and the flags."""
    import yaml

    from nn_doctor.runconfig import KEYS, parse_set

    path = config or find_config()
    data: Mapping[str, Any] = {}
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise ConfigError(f"invalid config {path}: {str(exc).splitlines()[0]}") from exc
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"invalid config {path}: expected a mapping at the top level")
        unknown = sorted(set(loaded) - _KNOWN_KEYS)
        if unknown:
            raise ConfigError(
                f"invalid config {path}\n  ==> at {unknown[0]}: unknown key",
                hint=f"known keys: {', '.join(sorted(_KNOWN_KEYS))}",
            )
        data = loaded
    settings = Settings(source=path)
    base = path.parent if path else Path.cwd()
    settings.rule_paths = [base / p for p in _as_list(data.get("rule_paths"), "rule_paths", base)]
    settings.rule_paths += list(rule_paths or [])
    settings.ignore = _as_list(data.get("ignore"), "ignore", base) + list(ignore or [])
    settings.select = _as_list(data.get("select"), "select", base)
    settings.fail_on = data.get("fail_on")
    settings.report_at = data.get("report_at")
    settings.lang = data.get("lang")
    signals = data.get("signals") or {}
    if not isinstance(signals, dict):
        raise ConfigError(f"invalid config {path}\n  ==> at signals: expected a mapping")
    settings.aliases = {str(k): _as_list(v, f"signals.{k}", base) for k, v in signals.items()}
    rules = data.get("rules") or {}
    if not isinstance(rules, dict):
        raise ConfigError(f"invalid config {path}\n  ==> at rules: expected a mapping of rule ids")
    settings.rule_overrides = rules
    overrides: dict[str, Any] = {}
    file_set = data.get("set") or {}
    if not isinstance(file_set, dict):
        raise ConfigError(f"invalid config {path}\n  ==> at set: expected a mapping")
    overrides.update(file_set)
    if hparams is not None:
        from nn_doctor.readers.hparams import load_config_file
        from nn_doctor.runconfig import flatten, normalize_config

        if not hparams.is_file():
            raise ConfigError(f"--hparams file not found: {hparams}")
        try:
            facts, _ = normalize_config(flatten(load_config_file(hparams)))
        except Exception as exc:  # a broken YAML/JSON file is the user's input, not a bug
            raise ConfigError(
                f"cannot read --hparams {hparams}: {str(exc).splitlines()[0]}"
            ) from exc
        overrides.update(facts)
    overrides.update(parse_set(list(set_ or [])))
    for key in overrides:
        if key not in KEYS:
            raise ConfigError(
                f"unknown config key '{key}'", hint=f"known keys: {', '.join(sorted(KEYS))}"
            )
    settings.config_overrides = overrides
    return settings
