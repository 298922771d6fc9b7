"""Which files make up one TensorBoard run: event-file names, Keras halves, hparams sessions.

Layout rules (DECISIONS.md §1): all event files directly in a folder are one run, read in
file-name order; Keras' ``train/`` + ``validation/`` halves are one run whose tags get a
``train/`` or ``validation/`` prefix; other sub-folders are other runs, except the
timestamp-named folders ``add_hparams`` creates (:data:`HPARAMS_SESSION_GLOB`). Only names and
directory listings are looked at here (no file is opened), so discovery over a tree of thousands
of runs stays cheap; nothing heavier than the standard library is imported.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nn_doctor.errors import InputError

#: Keras' TensorBoard callback writes ``logdir/train`` and ``logdir/validation``: one run.
KERAS_HALVES = ("train", "validation")

#: ``SummaryWriter.add_hparams`` (PyTorch and tensorboardX) writes the hparams session into a new
#: sub-folder named ``str(time.time())`` (e.g. ``1712345678.123``) holding only the hparams and the
#: metric values passed with them. Read on their own these would be phantom runs without a loss,
#: and the run they describe would lose its config, so a run folder claims them. A user-named
#: session folder (``run_name=``/``name=``) stays a run of its own, as TensorBoard shows it.
HPARAMS_SESSION_GLOB = "1[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9].*"

PROFILE_MARKER_SUFFIX = ".profile-empty"

#: PyTorch's ``add_scalars(main_tag, {key: value})`` writes each key through a writer of its
#: own, into a sub-folder named ``<main_tag>_<key>`` (slashes as ``_``) whose files carry the
#: tag ``main_tag``: ``Loss_train/`` and ``Loss_val/`` under the run are its ``Loss/train`` and
#: ``Loss/val``. A second ``SummaryWriter`` the same process opens in a sub-folder (``val/``)
#: belongs to the run the same way. Such groups read under this marker; their names are settled
#: once the tags are known (:func:`sub_writer_name`).
SUB_WRITER = "\x00sub-writer\x00"


def is_event_file_name(name: str) -> bool:
    """An event file by name; TF's ``*.profile-empty`` profiler markers hold no metrics."""
    return "tfevents" in name and not name.endswith(PROFILE_MARKER_SUFFIX)


def event_files_in(folder: Path, names: Iterable[str] | None = None) -> list[Path]:
    """Event files directly in ``folder``, in file-name order (TensorBoard's reading order)."""
    try:
        if names is None:
            names = [e.name for e in os.scandir(folder) if e.is_file()]
            return [folder / n for n in sorted(names) if is_event_file_name(n)]
        return [
            folder / n for n in sorted(names) if is_event_file_name(n) and (folder / n).is_file()
        ]
    except OSError:
        return []


def keras_half_files(sub: Path) -> list[Path]:
    """Event files of a Keras ``train/``/``validation/`` half, or ``[]`` if ``sub`` is not one.

    A half holds only what Keras' callback writes: event files, profiler markers and a
    ``plugins/`` folder. Any other file (Ultralytics' ``runs/detect/train/results.csv``) makes it a
    run folder of its own, left to the reader of that format.
    """
    try:
        entries = list(os.scandir(sub))
        if any(
            e.is_file() and "tfevents" not in e.name and not e.name.startswith(".") for e in entries
        ):
            return []
    except OSError:
        return []
    return event_files_in(sub, [e.name for e in entries])


def sub_writer_dirs(folder: Path, names: Iterable[str]) -> list[str]:
    """Sub-folders written by the process that wrote the run's own event files (same host and
    pid in the file names): ``add_scalars`` folders and a second writer's folder, one run."""
    names = sorted(names)
    parent = {writer_id(n) for n in names if is_event_file_name(n)} - {None}
    out: list[str] = []
    for n in names if parent else ():
        if n in KERAS_HALVES or fnmatch.fnmatch(n, HPARAMS_SESSION_GLOB):
            continue
        sub = folder / n
        if not sub.is_dir():
            continue
        files = keras_half_files(sub)
        if files and all(writer_id(f.name) in parent for f in files):
            out.append(n)
    return out


def sub_writer_name(folder: str, tag: str) -> str:
    """The name of ``tag`` read from a sub-writer's ``folder``: ``Loss`` in ``Loss_train`` is
    ``Loss/train`` (add_scalars), ``loss`` in ``val`` is ``val/loss`` (a second writer)."""
    stem = tag.replace("/", "_") + "_"
    if folder.startswith(stem) and len(folder) > len(stem):
        return f"{tag}/{folder[len(stem) :]}"
    return f"{folder}/{tag}"


def folder_files(folder: Path, names: frozenset[str]) -> list[Path]:
    """Event files directly in ``folder``, plus those of a Keras ``train/``/``validation/`` pair
    and of the sub-folders its own writer process wrote (:func:`sub_writer_dirs`)."""
    files = event_files_in(folder, names)
    for half in KERAS_HALVES:
        if half in names:
            files.extend(keras_half_files(folder / half))
    if files:
        for sub in sub_writer_dirs(folder, names):
            files.extend(keras_half_files(folder / sub))
    return files


@dataclass
class Layout:
    """Which files make up one run, grouped by the tag prefix they get."""

    groups: list[tuple[str, list[Path]]]  # (prefix, files in name order)
    sessions: list[Path]  # add_hparams session files (config + their metric values)
    profile_markers: int
    hparams_yaml: Path | None


def layout(path: Path) -> Layout:
    """The files of the run at ``path`` (an event file, or a run folder)."""
    if path.is_file():
        yaml_path = path.parent / "hparams.yaml"
        return Layout([("", [path])], [], 0, yaml_path if yaml_path.is_file() else None)
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError as exc:
        raise InputError(f"cannot list {path}: {exc.strerror or exc}") from exc
    names = [e.name for e in entries]
    markers = sum(1 for n in names if n.endswith(PROFILE_MARKER_SUFFIX))
    groups = [("", event_files_in(path, names))]
    sessions: list[Path] = []
    for e in entries:
        try:
            is_dir = e.is_dir()
        except OSError:
            continue
        if not is_dir:
            continue
        if e.name in KERAS_HALVES:
            sub = Path(e.path)
            half_files = keras_half_files(sub)
            groups.append((e.name + "/", half_files))
            if half_files:
                markers += sum(1 for n in os.listdir(sub) if n.endswith(PROFILE_MARKER_SUFFIX))
        elif fnmatch.fnmatch(e.name, HPARAMS_SESSION_GLOB):
            sessions.extend(event_files_in(Path(e.path)))
    for sub in sub_writer_dirs(path, names):
        groups.append((f"{SUB_WRITER}{sub}{SUB_WRITER}", keras_half_files(path / sub)))
    groups = [(prefix, files) for prefix, files in groups if files]
    yaml_path = path / "hparams.yaml"
    return Layout(groups, sessions, markers, yaml_path if yaml_path.is_file() else None)


def writer_id(name: str) -> str | None:
    """``host.pid`` of the process that wrote an event file, from its name (``None`` if absent).

    PyTorch, tensorboardX and TF2 name files ``events.out.tfevents.<time>.<host>.<pid>.<n>``
    (``.v2`` appended by TF2); TF1 names carry no pid.
    """
    tail = name.split("tfevents.", 1)[-1].removesuffix(".v2")
    parts = tail.split(".")
    if len(parts) >= 4 and parts[-1].isdigit() and parts[-2].isdigit():
        return ".".join(parts[1:-1])
    return None
