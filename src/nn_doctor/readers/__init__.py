"""Readers: one module per log format, each turning files into :class:`~nn_doctor.frame.RawRun`.

Every reader module defines four names (a module-level protocol, as pre-commit's languages do):

``NAME``
    the input-format id shown to users (``--input-format NAME``).
``sniff(path: Path) -> bool``
    whether this reader understands the *file* ``path`` (by name and a peek at its head).
``folder_files(folder: Path, names: frozenset[str]) -> list[Path]``
    the files directly in ``folder`` (``names`` lists its entries) that make it a run of this
    format, or ``[]``. Sub-layouts the format owns count too (Keras' ``train/`` +
    ``validation/``, HF's ``checkpoint-N/``).
``OWNED_SUBDIRS`` (optional tuple of glob patterns)
    sub-folders that belong to a run folder of this format and are not searched for other runs
    (HF's ``runs`` and ``checkpoint-*``). A sub-folder holding a file ``folder_files`` claimed
    belongs to the run as well (TensorBoard's ``add_scalars`` folders). Other sub-folders are
    still searched.
``read(path: Path) -> list[RawRun]``
    read a file or a run folder. Several runs in one file (appended Keras CSVs) are several items.

Registry order is detection precedence: the most specific formats first, generic CSV and console
text last. Modules are imported only when needed, so ``--help`` never pays for pandas.
"""

from __future__ import annotations

import fnmatch
import importlib
import os
from dataclasses import dataclass
from glob import escape as glob_escape
from pathlib import Path
from types import ModuleType

from nn_doctor.errors import InputError

#: Reader modules in detection order, with the user-facing format name each one defines as NAME.
FORMATS: dict[str, str] = {
    "hf_trainer": "hf-trainer",
    "lightning": "lightning",
    "mlflow": "mlflow",
    "dvclive": "dvclive",
    "yolo": "yolo",
    "detectron2": "detectron2",
    "tensorboard": "tensorboard",
    "wandb": "wandb",
    "tb_export": "tb-export",
    "keras_history": "keras-history",
    "jsonl": "jsonl",
    "keras_csv": "keras-csv",
    "csv_table": "csv",
    "console": "console",
}
REGISTRY: tuple[str, ...] = tuple(FORMATS)

# Folders never worth descending into when looking for runs.
_SKIP_DIRS = {
    "__pycache__",
    "node_modules",
    ".git",
    ".hg",
    ".svn",
    "site-packages",
    ".venv",
    "venv",
}


@dataclass(frozen=True)
class RunSource:
    """Where one run (or one file holding several) lives, and which reader reads it."""

    reader: str  # module name in REGISTRY
    path: Path  # a file, or the run folder


def load(module: str) -> ModuleType:
    """Import one reader module by registry name."""
    return importlib.import_module(f"nn_doctor.readers.{module}")


def by_format_name(name: str) -> str:
    """Registry module for a user-facing format name (``--input-format``)."""
    for module, fmt in FORMATS.items():
        if name in (module, fmt):
            return module
    raise InputError(
        f"unknown input format '{name}'", hint=f"known formats: {', '.join(FORMATS.values())}"
    )


def detect_file(path: Path) -> str | None:
    """The first reader (in precedence order) that understands a single file."""
    for module in REGISTRY:
        try:
            if load(module).sniff(path):
                return module
        except OSError:
            return None
    return None


def _folder_reader(folder: Path, names: frozenset[str]) -> tuple[str | None, list[Path]]:
    """The first reader that claims ``folder`` as a run, and the files it claimed."""
    for module in REGISTRY:
        files = load(module).folder_files(folder, names)
        if files:
            return module, files
    return None, []


def _points_inside(entry: os.DirEntry[str], root: str) -> bool:
    """Whether ``entry`` is a symlink to a path inside ``root`` (a real path)."""
    try:
        return entry.is_symlink() and os.path.realpath(entry.path).startswith(root + os.sep)
    except OSError:
        return False


def discover(
    path: Path, *, input_format: str | None = None, recursive: bool = True
) -> list[RunSource]:
    """Find the runs at ``path``: a log file, a run folder, or a tree of run folders.

    A folder that holds a recognized log is one run (its sub-layouts belong to it); a folder that
    holds none is searched recursively. Symlink loops are survived by tracking real paths.
    """
    if not path.exists():
        raise InputError(f"no such file or folder: {path}", hint="check the path")
    forced = by_format_name(input_format) if input_format else None
    if path.is_file():
        reader = forced or detect_file(path)
        if reader is None:
            raise InputError(
                f"not a training log nn-doctor recognizes: {path}",
                hint="pass --input-format NAME (see `nn-doctor formats`) or point at the run folder",
            )
        return [RunSource(reader, path)]
    if not path.is_dir():
        raise InputError(f"not a regular file or folder: {path}")
    found: list[RunSource] = []
    seen: set[str] = set()
    root = os.path.realpath(path)
    stack = [path]
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in seen:
            continue
        seen.add(real)
        try:
            # a link to something inside the tree being walked is a second name for it (W&B's
            # wandb/latest-run and wandb/debug.log): the target is read under its own name
            entries = sorted(
                (e for e in os.scandir(folder) if not _points_inside(e, root)),
                key=lambda e: e.name,
            )
        except OSError:
            continue
        names = frozenset(e.name for e in entries)
        if forced:
            claimed = load(forced).folder_files(folder, names)
            module: str | None = forced if claimed else None
        else:
            module, claimed = _folder_reader(folder, names)
        owned: tuple[str, ...] = ()
        if module is not None:
            found.append(RunSource(module, folder))
            owned = tuple(getattr(load(module), "OWNED_SUBDIRS", ()))
            # sub-folders holding claimed files are the run's (names matched literally)
            subs = {f.relative_to(folder).parts[0] for f in claimed if folder in f.parents[1:]}
            owned += tuple(glob_escape(n) for n in sorted(subs))
        if not recursive and folder != path:
            continue
        subdirs = []
        for e in entries:
            if e.name.startswith(".") or e.name in _SKIP_DIRS:
                continue
            if any(fnmatch.fnmatch(e.name, pattern) for pattern in owned):
                continue
            try:
                if e.is_dir():
                    subdirs.append(Path(e.path))
            except OSError:
                continue
        stack.extend(reversed(subdirs))
    found.sort(key=lambda s: str(s.path))
    return found
