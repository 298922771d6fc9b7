"""Registered statistics ("checks") that rules name in YAML.

A check is a small function over one input — a series, a pair of series, a family of per-layer
series, the config, or the whole frame — with typed, declared parameters. It returns an
:class:`Outcome` (matched or not, where, and the measured values that fill a rule's ``says``
template), or ``None`` when it cannot be evaluated (too few points, a missing config fact): an
unknown, which the engine reports and never treats as a pass.

YAML only ever names a check and its parameters; it never holds code or expressions (pandera's
registered checks, DESIGN.md §3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from nn_doctor.frame import RunFrame

#: Input kinds a check can take.
KINDS = ("series", "pair", "layers", "config", "frame")


@dataclass
class Outcome:
    """What a check measured. ``step`` is the onset where the condition starts to hold."""

    matched: bool
    step: int | None = None
    value: float | None = None
    measures: dict[str, Any] = field(default_factory=dict)


@dataclass
class Inputs:
    """What the engine hands a check: the resolved input plus the frame for context."""

    frame: RunFrame
    series: pd.Series | None = None
    other: pd.Series | None = None
    layers: list[pd.Series] = field(default_factory=list)

    @property
    def config(self) -> dict[str, Any]:
        """The run's canonical config facts."""
        return self.frame.config


@dataclass(frozen=True)
class CheckSpec:
    """A registered check: its function, input kind, parameter types and defaults."""

    name: str
    fn: Callable[..., Outcome | None]
    kind: str
    params: dict[str, type | tuple[type, ...]]
    defaults: dict[str, Any]
    doc: str
    measures: tuple[str, ...] = ()  # names an Outcome's ``measures`` may hold (for ``says``)


REGISTRY: dict[str, CheckSpec] = {}


def check(
    name: str,
    *,
    kind: str,
    defaults: dict[str, Any] | None = None,
    measures: tuple[str, ...] = (),
    **params: type | tuple[type, ...],
) -> Callable[[Callable[..., Outcome | None]], Callable[..., Outcome | None]]:
    """Register a check under ``name`` with its input kind, typed parameters and measure names.

    ``measures`` declares the names the check may put in :attr:`Outcome.measures`; rule
    ``says`` templates may use those, the parameters, and ``value``/``onset``/``step``/``signal``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown check kind {kind}")

    def register(fn: Callable[..., Outcome | None]) -> Callable[..., Outcome | None]:
        REGISTRY[name] = CheckSpec(
            name=name,
            fn=fn,
            kind=kind,
            params=params,
            defaults=dict(defaults or {}),
            doc=(fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else "",
            measures=tuple(measures),
        )
        return fn

    return register


def registry() -> dict[str, CheckSpec]:
    """All checks, importing the modules that register them on first use."""
    from nn_doctor.checks import (  # noqa: F401
        config,
        data_extra,
        layers,
        layers_extra,
        optimization_extra,
        output,
        pair,
        series,
    )

    return REGISTRY
