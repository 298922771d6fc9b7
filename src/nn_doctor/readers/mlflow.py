"""MLflow file-store runs: mlruns/<experiment>/<run_id>/ with meta.yaml, metrics/ and params/.

Each ``metrics/<name>`` file holds one ``timestamp value step`` line per logged value (older
clients wrote ``timestamp value``); names with slashes live in sub-folders
(``metrics/train/loss``). Timestamps are milliseconds. ``params/<name>`` files hold one value
each and become the config. A cut-off last line is skipped with a warning.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from nn_doctor.frame import RawRun
from nn_doctor.readers._common import (
    empty_warning,
    malformed_warnings,
    raw_run,
    read_text,
    records,
    token_value,
)

NAME = "mlflow"
OWNED_SUBDIRS = ("metrics", "params", "tags", "artifacts")

_META = "meta.yaml"


def _run_root(path: Path) -> Path | None:
    """The run folder of ``path`` (itself, or the folder above its metrics/ file)."""
    for cand in (path, *path.parents):
        if (cand / _META).is_file() and (cand / "metrics").is_dir():
            return cand
        if cand.name == "mlruns":
            break
    return None


def sniff(path: Path) -> bool:
    """A run's ``meta.yaml``, or a metric file inside a run's ``metrics/`` folder."""
    try:
        if path.name == _META:
            return (path.parent / "metrics").is_dir()
        return "metrics" in path.parts and _run_root(path.parent) is not None
    except OSError:
        return False


def folder_files(folder: Path, names: frozenset[str]) -> list[Path]:
    """``meta.yaml`` beside a ``metrics/`` folder (an experiment's meta.yaml has none)."""
    if _META in names and "metrics" in names and (folder / "metrics").is_dir():
        return [folder / _META]
    return []


def _walk(root: Path) -> list[tuple[str, Path]]:
    """(name, file) for every file under ``root``; sub-folders join the name with ``/``."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames):
            full = Path(dirpath) / f
            out.append((full.relative_to(root).as_posix(), full))
    return out


def _metric(file: Path, label: str) -> tuple[np.ndarray, list[str]]:
    """Rows of (timestamp_ms, value, step) from one metric file, and warnings."""
    lines = [ln.split() for ln in read_text(file).splitlines() if ln.strip()]
    width = max((len(p) for p in lines), default=3)  # 3 fields, or 2 before steps existed
    rows: list[tuple[float, float, float]] = []
    bad: list[int] = []
    for i, parts in enumerate(lines):
        nums = [token_value(p) for p in parts]
        if len(parts) != width or width not in (2, 3) or any(n is None for n in nums):
            bad.append(i)
            continue
        ts, val = nums[0], nums[1]
        step = nums[2] if width == 3 else float(len(rows))
        rows.append((ts, val, step))  # type: ignore[arg-type]
    warnings = malformed_warnings(f"metrics/{label}", bad, len(lines))
    return np.array(rows, dtype=np.float64).reshape(-1, 3), warnings


def read(path: Path) -> list[RawRun]:
    """Read one MLflow run folder (given as the folder, its meta.yaml or a metric file)."""
    root = _run_root(path if path.is_dir() else path.parent) or path
    warnings: list[str] = []
    names: list[str] = []
    parts = []
    for name, file in _walk(root / "metrics"):
        arr, w = _metric(file, name)
        warnings += w
        parts.append((len(names), arr))
        names.append(name)
    if parts:
        codes = np.concatenate([np.full(len(a), c) for c, a in parts])
        data = np.concatenate([a for _, a in parts])
        order = np.argsort(data[:, 0], kind="stable")  # write order across metric files
        data, codes = data[order], codes[order]
    else:
        codes, data = np.array([], dtype=int), np.empty((0, 3))
    steps = data[:, 2]
    recs = records(steps, codes, names, data[:, 1], data[:, 0] / 1000.0)
    config = {name: read_text(f).strip() for name, f in _walk(root / "params")}
    run = str(root)
    run_name = root / "tags" / "mlflow.runName"
    if run_name.is_file():
        run = f"{root} ({read_text(run_name).strip()})"
    if "lifecycle_stage: deleted" in read_text(root / _META):
        warnings.append("MLflow marks this run as deleted")
    if not len(recs):
        warnings.append(empty_warning(root / "metrics", "no metric file with values"))
    return [
        raw_run(
            NAME,
            root,
            recs,
            files=[root / _META],
            run=run,
            config=config,
            config_sources=[str(root / "params")] if config else [],
            warnings=warnings,
        )
    ]
