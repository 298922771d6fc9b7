"""Make the repository's ``benchmarks`` package importable however pytest is started."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def assert_split_scenarios(scs: list, split: str, families: tuple[str, ...]) -> None:
    """A by-name split's scenarios: all of that split, every family present, and a quarter
    healthy overall and within each family (false alarms are measured on them)."""
    assert scs and all(sc.split == split for sc in scs)
    assert {sc.family for sc in scs} == set(families)
    assert sum(sc.cause == "healthy" for sc in scs) >= len(scs) / 4
    for name in families:
        own = [sc for sc in scs if sc.family == name]
        assert sum(sc.cause == "healthy" for sc in own) >= len(own) / 4
