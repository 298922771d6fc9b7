"""nn-doctor: diagnose failed neural-network training runs from their logs.

The public API is deliberately small: :func:`diagnose` for one path or frame, and
:func:`read_runs` to get the normalized run frames without diagnosing. Both import pandas
lazily so that ``import nn_doctor`` (and the CLI's ``--version``) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from nn_doctor.engine.diagnosis import Diagnosis
    from nn_doctor.frame import RunFrame

__all__ = ["__version__", "diagnose", "read_runs"]


def read_runs(path: str, **kwargs: Any) -> list[RunFrame]:
    """Read every run under ``path`` into normalized run frames (see :mod:`nn_doctor.api`)."""
    from nn_doctor.api import read_runs as _read_runs

    return _read_runs(path, **kwargs)


def diagnose(path_or_frame: Any, **kwargs: Any) -> list[Diagnosis]:
    """Diagnose every run in a path, or one RunFrame (see :mod:`nn_doctor.api`)."""
    from nn_doctor.api import diagnose as _diagnose

    return _diagnose(path_or_frame, **kwargs)
