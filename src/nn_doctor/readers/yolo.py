"""Ultralytics / YOLOv5 results.csv (one row per epoch) with args.yaml / opt.yaml / hyp.yaml.

Headers are space-padded (``      train/box_loss``) and YOLOv5 pads the cells too; names are
stripped, cells parse as numbers. Several losses are logged without a total (box/obj/cls/dfl):
they are kept as they are and the frame picks the first as the loss (DECISIONS.md §3). Zero
placeholders (a single-class ``cls_loss``, ``val/*`` with ``val=False``) are logged zeros, not
blanks. ``time`` is the elapsed time and is not a metric. The axis is the epoch.
"""

from __future__ import annotations

from pathlib import Path

from nn_doctor.frame import RawRun
from nn_doctor.readers._common import first_line, load_configs
from nn_doctor.readers._csvcore import header_fields
from nn_doctor.readers._csvrun import csv_runs

NAME = "yolo"

_RESULTS = "results.csv"
# hyp first, then the run's options (later files win on a shared key).
_CONFIGS = ("hyp.yaml", "opt.yaml", "args.yaml")


def _yolo_header(fields: list[str]) -> bool:
    low = [f.lower() for f in fields]
    if "epoch" not in low:
        return False
    has_loss = any(f.startswith("train/") and f.endswith("_loss") for f in low)
    has_yolo = any(f.startswith(("metrics/", "lr/pg", "x/lr")) for f in low)
    return has_loss and has_yolo


def sniff(path: Path) -> bool:
    """A CSV whose header has ``epoch``, ``train/*_loss`` and ``metrics/*`` or ``lr/pg*``."""
    if path.suffix.lower() != ".csv":
        return False
    return _yolo_header(header_fields(first_line(path)))


def folder_files(folder: Path, names: frozenset[str]) -> list[Path]:
    """``results.csv`` with an Ultralytics header."""
    if _RESULTS not in names:
        return []
    path = folder / _RESULTS
    return [path] if sniff(path) else []


def read(path: Path) -> list[RawRun]:
    """Read results.csv (given directly or as its folder) plus the YAML config beside it."""
    results = path / _RESULTS if path.is_dir() else path
    config, sources, warnings = load_configs([results.parent / c for c in _CONFIGS])
    return csv_runs(
        results,
        NAME,
        prefer_epoch=True,
        skip=("time",),
        config=config,
        config_sources=sources,
        config_warnings=warnings,
        files=[Path(s) for s in sources],
    )
