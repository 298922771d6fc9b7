"""What ``inspect`` shows: how one run was read (format, files, steps, signals, config)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from nn_doctor.frame import RunFrame


def describe(frame: RunFrame) -> dict[str, Any]:
    """A JSON-ready description of how a run was read."""
    signals = []
    for name in frame.signals:
        s = frame.series(name)
        values = s.to_numpy(dtype=float)
        finite = np.isfinite(values)
        signals.append(
            {
                "signal": name,
                "source": frame.sources.get(name, name),
                "points": len(s),
                "non_finite": int((~finite).sum()),
                "first_step": int(s.index[0]),
                "last_step": int(s.index[-1]),
                "min": float(values[finite].min()) if finite.any() else None,
                "max": float(values[finite].max()) if finite.any() else None,
            }
        )
    rng = frame.step_range
    primary = frame.sources.get("train_loss")
    return {
        "path": frame.path,
        "run": frame.run,
        "format": frame.format,
        "files": frame.files,
        "axis": frame.axis,
        "steps": {
            "first": rng[0] if rng else None,
            "last": rng[1] if rng else None,
            "count": frame.n_steps,
            "cadence": frame.cadence(),
            "steps_per_epoch": frame.steps_per_epoch,
        },
        "primary_loss": ({"signal": "train_loss", "source": primary} if primary else None),
        "signals": signals,
        "config": frame.config,
        "config_sources": frame.config_sources,
        "warnings": frame.warnings,
        "ignored": frame.ignored,
        "notes": frame.notes,
    }
