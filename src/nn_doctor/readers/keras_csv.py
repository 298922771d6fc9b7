"""Keras CSVLogger files (training.log, history.csv, *.log): one row per epoch.

``CSVLogger`` writes ``epoch`` as the first column, then the sorted metric names (``loss``,
``acc``/``accuracy``, ``val_*``, ``lr``), and ``NA`` for a metric missing from an epoch's logs.
With ``append=True`` several runs land in one file: a repeated header, or the epoch counter
restarting at 0 without one, starts a new run (``file.log#1``, ``#2``, … — DECISIONS.md §1).
A counter that goes back to a non-zero epoch is a resume (``initial_epoch``): same run.
"""

from __future__ import annotations

from pathlib import Path

from nn_doctor.frame import RawRun
from nn_doctor.readers._common import claimed_files, first_line
from nn_doctor.readers._csvcore import header_fields
from nn_doctor.readers._csvrun import csv_runs
from nn_doctor.readers._wide import STEP_NAMES

NAME = "keras-csv"

_SUFFIXES = {".log", ".csv", ".txt", ".tsv"}
_KNOWN_NAMES = {"training.log", "history.csv", "training.csv", "log.csv"}


def _keras_header(fields: list[str]) -> bool:
    """``epoch`` first, then Keras-style metric names (a loss, an accuracy or a ``val_`` twin)."""
    if len(fields) < 2 or fields[0].lower() != "epoch":
        return False
    rest = [f.lower() for f in fields[1:]]
    if any(not f or " " in f for f in rest):
        return False  # free-text headers are not Keras
    if any(f in STEP_NAMES for f in rest):
        return False  # CSVLogger writes one row per epoch and no step counter: a hand-written log
    # A bare Keras name is required: Ultralytics' train/box_loss, val/box_loss have none, while a
    # CSVLogger fed by a callback may add per-layer columns such as grad_norm/fc1.
    return any(f in {"loss", "acc", "accuracy"} or f.startswith("val_") for f in rest)


def sniff(path: Path) -> bool:
    """A text file whose first line is a CSVLogger header (``epoch,…,loss,…,val_loss``)."""
    if path.suffix.lower() not in _SUFFIXES and path.name.lower() not in _KNOWN_NAMES:
        return False
    return _keras_header(header_fields(first_line(path)))


def folder_files(folder: Path, names: frozenset[str]) -> list[Path]:
    """Every CSVLogger file directly in ``folder`` (each holds one or more runs)."""
    return [folder / n for n in sorted(names) if (folder / n).is_file() and sniff(folder / n)]


def read(path: Path) -> list[RawRun]:
    """Read a CSVLogger file (or all of them in a folder); the axis is the epoch."""
    if path.is_dir():
        files = claimed_files(path, folder_files)
        return [run for f in files for run in read(f)]
    return csv_runs(path, NAME, prefer_epoch=True, split_epoch_restart=True)
