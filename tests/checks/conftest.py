"""Helpers for the check unit tests: build a small run frame and call a registered check."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pytest

from nn_doctor.checks import Inputs, Outcome, registry
from nn_doctor.frame import RawRun, RunFrame, build_frame


def make_frame(
    signals: dict[str, Sequence[float] | tuple[Sequence[float], Sequence[float]]],
    config: dict[str, Any] | None = None,
    axis: str = "step",
) -> RunFrame:
    """A run frame from ``{name: values}`` (steps 0..n-1) or ``{name: (steps, values)}``."""
    rows = []
    for name, spec in signals.items():
        if isinstance(spec, tuple):
            steps, values = spec
        else:
            values = spec
            steps = range(len(values))
        rows.extend((float(s), name, float(v)) for s, v in zip(steps, values, strict=True))
    records = pd.DataFrame(rows, columns=["step", "name", "value"])
    records["wall_time"] = math.nan
    raw = RawRun(
        records=records, format="test", path="<test>", run="t", config=config or {}, axis=axis
    )
    return build_frame(raw)


def call(name: str, frame: RunFrame, signals: Sequence[str] = (), **params: Any) -> Outcome | None:
    """Run the registered check ``name`` on ``frame`` the way the engine would.

    Also checks the check's contract: the measures it returns are the ones it declared (rule
    ``says`` templates rely on the declaration).
    """
    spec = registry()[name]
    merged = {**spec.defaults, **params}
    if spec.kind in ("config", "frame"):
        inputs = Inputs(frame=frame)
    elif spec.kind == "layers":
        family = signals[0].removesuffix("/*")
        inputs = Inputs(frame=frame, layers=[frame.series(n) for n in frame.layers(family)])
    elif spec.kind == "series":
        inputs = Inputs(frame=frame, series=frame.series(signals[0]))
    else:
        inputs = Inputs(
            frame=frame, series=frame.series(signals[0]), other=frame.series(signals[1])
        )
    out = spec.fn(inputs, **merged)
    if out is not None:
        # config_ratio also reports its two facts under their own names (its params' values)
        named = {v for v in merged.values() if isinstance(v, str)}
        undeclared = set(out.measures) - set(spec.measures) - {"value"} - named
        assert not undeclared, f"{name} returned undeclared measures {sorted(undeclared)}"
    return out


@pytest.fixture
def run_check() -> Any:
    """``run_check(check, {signal: values}, signals=[...], config={...}, **params)``."""

    def _run(
        name: str,
        data: dict[str, Any],
        signals: Sequence[str] = (),
        config: dict[str, Any] | None = None,
        axis: str = "step",
        **params: Any,
    ) -> Outcome | None:
        frame = make_frame(data, config=config, axis=axis)
        return call(name, frame, signals or list(data)[:2], **params)

    return _run


def minibatch_losses(
    net: Any, opt: Any, x: Any, y: Any, steps: int, g: Any, loss_fn: Any = None
) -> list[float]:
    """Per-step loss (cross-entropy unless ``loss_fn``) of ``steps`` mini-batches of 32 drawn
    with generator ``g``: the loss a real run logs, for tests that check a statistic against
    real training."""
    import torch

    loss_fn = loss_fn or torch.nn.functional.cross_entropy
    out = []
    for _ in range(steps):
        idx = torch.randint(0, len(y), (32,), generator=g)
        loss = loss_fn(net(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        out.append(loss.item())
    return out
