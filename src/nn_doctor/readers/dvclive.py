"""DVCLive run folders: ``dvclive/`` with ``plots/metrics/**/<name>.tsv`` and ``params.yaml``.

``Live.log_metric("train/loss", v)`` appends a row to ``plots/metrics/train/loss.tsv``: a
header (``step`` and the metric's base name; DVCLive 2 also wrote ``timestamp`` first, in
milliseconds) and one tab-separated row per logged value. The metric is named by its path
under ``plots/metrics`` (``train/loss``). ``params.yaml`` (``Live.log_param``) is the config;
``metrics.json`` only repeats the last values and is not read. A cut-off last row is skipped
with a warning, as the other readers do.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from nn_doctor.frame import RawRun
from nn_doctor.readers._common import (
    empty_warning,
    load_configs,
    malformed_warnings,
    raw_run,
    read_text,
    records,
    token_value,
)

NAME = "dvclive"
OWNED_SUBDIRS = ("plots", "artifacts", "report*", "images")

_METRICS = ("plots", "metrics")


def _root(path: Path) -> Path | None:
    """The DVCLive folder of ``path`` (itself, or the folder holding its plots/metrics/)."""
    for cand in (path, *path.parents):
        if cand.joinpath(*_METRICS).is_dir():
            return cand
    return None


def sniff(path: Path) -> bool:
    """A ``.tsv`` metric file under a DVCLive folder's ``plots/metrics/``."""
    try:
        return (
            path.suffix.lower() == ".tsv"
            and "/plots/metrics/" in path.as_posix()
            and (_root(path.parent) is not None)
        )
    except OSError:
        return False


def folder_files(folder: Path, names: frozenset[str]) -> list[Path]:
    """The metric files of a folder holding ``plots/metrics/`` with at least one ``.tsv``."""
    if "plots" not in names:
        return []
    return [f for _, f in _metric_files(folder.joinpath(*_METRICS))]


def _metric_files(root: Path) -> list[tuple[str, Path]]:
    """(metric name, file) for every ``.tsv`` under ``root``, in name order."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for f in sorted(filenames):
            if f.lower().endswith(".tsv"):
                full = Path(dirpath) / f
                out.append((full.relative_to(root).with_suffix("").as_posix(), full))
    return out


def _metric(file: Path, label: str) -> tuple[np.ndarray, list[str]]:
    """Rows of (step, value, wall seconds or NaN) from one metric file, and warnings."""
    lines = [ln.split("\t") for ln in read_text(file).splitlines() if ln.strip()]
    if not lines:
        return np.empty((0, 3)), []
    header = [h.strip().lower() for h in lines[0]]
    if "step" not in header or len(header) < 2:
        return np.empty((0, 3)), [f"{label}: no step column in the header; skipped"]
    i_step = header.index("step")
    i_time = header.index("timestamp") if "timestamp" in header else None
    i_value = next(i for i in range(len(header) - 1, -1, -1) if i not in (i_step, i_time))
    rows: list[tuple[float, float, float]] = []
    bad: list[int] = []
    for n, cells in enumerate(lines[1:], start=1):
        nums = [token_value(c.strip()) for c in cells]
        if len(cells) != len(header) or nums[i_step] is None or nums[i_value] is None:
            bad.append(n)
            continue
        wall = nums[i_time] / 1000.0 if i_time is not None and nums[i_time] is not None else np.nan
        rows.append((nums[i_step], nums[i_value], wall))  # type: ignore[arg-type]
    warnings = malformed_warnings(label, bad, len(lines), unit="row")
    return np.array(rows, dtype=np.float64).reshape(-1, 3), warnings


def read(path: Path) -> list[RawRun]:
    """Read one DVCLive folder (given as the folder or one of its metric files)."""
    root = _root(path if path.is_dir() else path.parent) or path
    warnings: list[str] = []
    names: list[str] = []
    chunks: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    files = _metric_files(root.joinpath(*_METRICS))
    for name, file in files:
        arr, w = _metric(file, f"plots/metrics/{name}.tsv")
        warnings += w
        codes.append(np.full(len(arr), len(names)))
        chunks.append(arr)
        names.append(name)
    data = np.concatenate(chunks) if chunks else np.empty((0, 3))
    code = np.concatenate(codes) if codes else np.array([], dtype=int)
    order = np.argsort(data[:, 0], kind="stable")  # step order; metrics in name order within
    data, code = data[order], code[order]
    walls = data[:, 2] if np.isfinite(data[:, 2]).any() else None
    recs = records(data[:, 0], code, names, data[:, 1], walls)
    config, sources, config_warnings = load_configs([root / "params.yaml"])
    if not len(recs):
        warnings.append(empty_warning(root.joinpath(*_METRICS), "no metric file with values"))
    return [
        raw_run(
            NAME,
            root,
            recs,
            files=[f for _, f in files],
            config=config,
            config_sources=sources,
            warnings=[*config_warnings, *warnings],
        )
    ]
