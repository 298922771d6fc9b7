"""PyTorch Lightning CSVLogger runs: lightning_logs/version_N/metrics.csv (+ hparams.yaml).

Each ``version_N`` folder is one run (DECISIONS.md §1). ``metrics.csv`` is sparse: a training
row and a validation row share the columns, and a metric absent from a row is a blank cell,
i.e. "not logged" — while a literal ``nan`` is a logged NaN. The axis is ``step``; ``epoch`` is
also emitted as a metric. ``hparams.yaml`` (and LightningCLI's ``config.yaml``) are read with a
loader that never constructs ``!!python/object`` tags.
"""

from __future__ import annotations

import re
from pathlib import Path

from nn_doctor.frame import RawRun
from nn_doctor.readers._common import first_line, load_configs
from nn_doctor.readers._csvcore import header_fields
from nn_doctor.readers._csvrun import csv_runs

NAME = "lightning"

_VERSION_DIR = re.compile(r"^version_\d+$")
_METRICS = "metrics.csv"
_CONFIGS = ("config.yaml", "hparams.yaml")  # later wins: hparams are what the module saved


def sniff(path: Path) -> bool:
    """A ``metrics.csv`` whose header has Lightning's ``step`` column."""
    if path.name != _METRICS:
        return False
    return "step" in {f.lower() for f in header_fields(first_line(path))}


def folder_files(folder: Path, names: frozenset[str]) -> list[Path]:
    """``metrics.csv`` in a ``version_N`` folder or beside ``hparams.yaml``."""
    if _METRICS not in names:
        return []
    if not (_VERSION_DIR.match(folder.name) or "hparams.yaml" in names):
        return []
    path = folder / _METRICS
    return [path] if sniff(path) else []


def read(path: Path) -> list[RawRun]:
    """Read one version folder (or its metrics.csv) as one run."""
    folder = path if path.is_dir() else path.parent
    metrics = folder / _METRICS if path.is_dir() else path
    configs = [folder / c for c in _CONFIGS]
    config, sources, warnings = load_configs(configs)
    return csv_runs(
        metrics,
        NAME,
        config=config,
        config_sources=sources,
        config_warnings=warnings,
        files=[Path(s) for s in sources],
    )
