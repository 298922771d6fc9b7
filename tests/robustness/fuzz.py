"""Shared settings and bookkeeping of the property and fuzz tests.

Every test here is derandomized (the same inputs on every run, so CI is deterministic) and has a
modest ``max_examples`` so the whole robustness suite runs in well under a minute on two busy
cores. :data:`TRIED` counts the generated inputs each test actually ran; the conftest prints
the totals at the end of the session.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings

from nn_doctor.errors import NnDoctorError

#: Generated inputs tried per test, for the end-of-session summary.
TRIED: Counter[str] = Counter()

FUZZ = settings(
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def fuzz(max_examples: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@settings`` of this suite with ``max_examples`` (derandomized, no deadline)."""
    return settings(FUZZ, max_examples=max_examples)


def tried(name: str) -> None:
    """Count one generated input of test ``name``."""
    TRIED[name] += 1


def expected_failure(exc: BaseException) -> bool:
    """Whether an exception is one the tool is allowed to raise: a user-facing error (exit 2)."""
    return isinstance(exc, NnDoctorError) and "\n" not in exc.message and bool(exc.message)
