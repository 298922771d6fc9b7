"""Keras History dumped as JSON (history.json): ``{"loss": [...], "val_loss": [...]}``.

Also the ``{"epochs": [...], "metrics": {name: [...]}}`` shape, a ``{"history": {...},
"params": {...}}`` wrapper (``params`` becomes the config), and Sacred's ``metrics.json``
(``{name: {"steps": [...], "values": [...], "timestamps": [...]}}``: each metric on its own
steps, the axis then the step). One list entry per epoch; ``null``
is "not logged", bare ``NaN``/``Infinity`` tokens (Python's json writes them) are logged
non-finite values. The axis is the epoch: the ``epochs`` list when given, else the list index.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from nn_doctor.frame import RawRun
from nn_doctor.readers._common import (
    claimed_files,
    empty_warning,
    json_constant,
    load_configs,
    number,
    peek,
    raw_run,
    read_text,
    records,
)

NAME = "keras-history"

# The head of a dict whose first value is a list (the Keras history shape), or the
# epochs/metrics shape. Cheap enough to run on every .json file.
_LIST_HEAD = re.compile(r'^\s*\{\s*"[^"]+"\s*:\s*\[')
_SHAPED_HEAD = re.compile(r'^\s*\{\s*"(epochs|history|metrics)"\s*:\s*[\[{]')
_SACRED_METRICS = "metrics.json"  # Sacred's FileStorageObserver: beside config.json, run.json
_SACRED_HEAD = re.compile(r'^\s*\{\s*"[^"]+"\s*:\s*\{\s*"(steps|values|timestamps)"\s*:\s*\[')


def sniff(path: Path) -> bool:
    """A .json document shaped like a Keras History (a dict of per-epoch lists)."""
    if path.suffix.lower() != ".json":
        return False
    head = peek(path, 2048)
    return bool(_LIST_HEAD.match(head) or _SHAPED_HEAD.match(head) or _SACRED_HEAD.match(head))


def folder_files(folder: Path, names: frozenset[str]) -> list[Path]:
    """JSON files named like a history (``history.json``, ``train_history.json``)."""
    return [
        folder / n
        for n in sorted(names)
        if ("history" in n.lower() or n == _SACRED_METRICS)
        and (folder / n).is_file()
        and sniff(folder / n)
    ]


def _sacred(doc: dict[str, Any]) -> dict[str, tuple[list[Any], list[Any]]]:
    """Sacred's metrics.json: name → (steps, values), for entries with both lists."""
    return {
        str(k): (v["steps"], v["values"])
        for k, v in doc.items()
        if isinstance(v, dict) and isinstance(v.get("steps"), list)
        and isinstance(v.get("values"), list)
    }  # fmt: skip


def _series(doc: dict[str, Any]) -> tuple[list[float] | None, dict[str, list[Any]], dict[str, Any]]:
    """(epochs or None, name → per-epoch list, config) from any of the accepted shapes."""
    config: dict[str, Any] = {}
    if isinstance(doc.get("history"), dict):
        params = doc.get("params")
        config = params if isinstance(params, dict) else {}
        doc = doc["history"]
    epochs = doc.get("epochs") if isinstance(doc.get("epochs"), list) else None
    if epochs is None and isinstance(doc.get("epoch"), list):
        epochs = doc["epoch"]
    nested = doc.get("metrics")
    metrics: dict[str, Any] = nested if isinstance(nested, dict) else doc
    series = {
        str(k): v
        for k, v in metrics.items()
        if isinstance(v, list) and k not in {"epochs", "epoch"}
    }
    return epochs, series, config


def read(path: Path) -> list[RawRun]:
    """Read one history JSON (or every history JSON in a folder)."""
    if path.is_dir():
        files = claimed_files(path, folder_files)
        return [run for f in files for run in read(f)]
    warnings: list[str] = []
    try:
        doc = json.loads(read_text(path), parse_constant=json_constant)
    except ValueError:
        doc = {}
        warnings.append(f"{path.name} is not complete JSON (a crash mid-write?): nothing read")
    doc = doc if isinstance(doc, dict) else {}
    sacred = _sacred(doc)
    epochs, series, config = _series(doc)
    # one (axis values or None, values) pair per metric: a shared epochs list, or Sacred's own
    per_metric = sacred or {name: (epochs, seq) for name, seq in series.items()}
    sources = [str(path)] if config else []
    if sacred:  # the experiment's config sits beside its metrics
        config, sources, config_warnings = load_configs([path.parent / "config.json"])
        warnings += config_warnings
    ignored: list[str] = []
    steps: list[int] = []
    codes: list[int] = []
    values: list[float] = []
    names: list[str] = []
    for name, (axis, seq) in per_metric.items():
        code = len(names)
        names.append(name)
        for i, cell in enumerate(seq):
            v = number(cell)
            if v is None:
                if cell is not None:
                    ignored.append(f"'{name}'[{i}]: {cell!r} is not a number")
                continue
            ep = number(axis[i]) if axis is not None and i < len(axis) else float(i)
            if ep is None or not np.isfinite(ep):
                continue
            steps.append(round(ep))
            codes.append(code)
            values.append(v)
    # Write order: epoch by epoch, metrics in key order (what Keras appended per epoch).
    order = np.lexsort((codes, steps)) if steps else np.array([], dtype=int)
    recs = records(
        np.asarray(steps)[order], np.asarray(codes)[order], names, np.asarray(values)[order]
    )
    if not len(recs):
        warnings.append(empty_warning(path, "no per-epoch list of numbers"))
    return [
        raw_run(
            NAME,
            path,
            recs,
            config=config,
            config_sources=sources,
            warnings=warnings,
            ignored=ignored[:20],
            axis="step" if sacred else "epoch",
        )
    ]
