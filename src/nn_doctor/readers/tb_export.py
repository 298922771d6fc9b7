"""TensorBoard's own downloads: one tag per CSV ("Wall time,Step,Value") or JSON file.

TensorBoard's scalar card exports a single (run, tag) series, as CSV with the header
``Wall time,Step,Value`` or as JSON ``[[wall_time, step, value], ...]``. The metric name is not in
the file; browsers save it as ``run-<run>-tag-<tag>.csv`` (``/`` in names become ``_``), so the
name comes from the file name (:func:`tag_from_filename`), else the file stem. A folder of such
files is one run: its tags are merged.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nn_doctor.errors import InputError

if TYPE_CHECKING:
    from nn_doctor.frame import RawRun

NAME = "tb-export"

CSV_HEADER = "Wall time,Step,Value"
_SUFFIXES = (".csv", ".json")
_FILE_RE = re.compile(r"^run[-_](?P<run>.*?)-tag-(?P<tag>.+)$")
_JSON_HEAD_RE = re.compile(r"^\s*\[\s*\[\s*[-+0-9.]")


def parse_filename(name: str) -> tuple[str | None, str]:
    """``(run, tag)`` from a download's file name; ``(None, stem)`` when it is not one."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    m = _FILE_RE.match(stem)
    if not m:
        return None, stem
    return m.group("run"), tag_from_filename(m.group("tag"))


def tag_from_filename(flat: str) -> str:
    """The original tag for a file-name tag where every ``/`` became ``_``.

    Which ``_`` was a ``/`` cannot be known, so the reading the alias table knows best wins:
    the name as it is, or with one ``_`` turned back into ``/``, whichever
    :func:`~nn_doctor.signals.canonical_name` maps with the better rank (the name as it is on a
    tie). So ``Loss_train`` becomes ``Loss/train`` (PyTorch's tutorial tag, an exact alias) and
    ``train_grad_norm`` becomes HF's ``train/grad_norm``, while ``train_loss`` stays as it is.
    """
    from nn_doctor.signals import canonical_name

    best, best_rank = flat, canonical_name(flat).rank
    for i, ch in enumerate(flat):
        if ch != "_" or i == 0 or i == len(flat) - 1:
            continue
        cand = flat[:i] + "/" + flat[i + 1 :]
        rank = canonical_name(cand).rank
        if rank < best_rank:
            best, best_rank = cand, rank
    return best


def sniff(path: Path) -> bool:
    """A ``.csv`` whose first line is exactly TensorBoard's header, or a ``.json`` of triples."""
    from nn_doctor.readers._common import first_line, peek

    try:
        if path.suffix.lower() not in _SUFFIXES or not path.is_file():
            return False
        if path.suffix.lower() == ".csv":
            return first_line(path).strip() == CSV_HEADER
        return bool(_JSON_HEAD_RE.match(peek(path, 64)))
    except (OSError, ValueError):
        return False


def folder_files(folder: Path, names: frozenset[str]) -> list[Path]:
    """Downloads named ``run-<run>-tag-<tag>.csv|.json`` directly in ``folder``."""
    out = []
    for n in sorted(names):
        if n.lower().endswith(_SUFFIXES) and _FILE_RE.match(n.rsplit(".", 1)[0]):
            p = folder / n
            if p.is_file():
                out.append(p)
    return out


def _number(token: Any) -> float | None:
    from nn_doctor.readers._common import number

    return number(token)


def _rows_csv(text: str) -> tuple[list[tuple[float, float, float]], int]:
    """Rows of a CSV download (header already checked) and how many lines were unusable."""
    rows: list[tuple[float, float, float]] = []
    bad = 0
    reader = csv.reader(io.StringIO(text))
    next(reader, None)
    for fields in reader:
        if not fields or not any(f.strip() for f in fields):
            continue
        row = _triple(fields)
        if row is None:
            bad += 1
        else:
            rows.append(row)
    return rows, bad


def _triple(fields: Any) -> tuple[float, float, float] | None:
    """``(wall_time, step, value)`` from three fields, or None (a short or non-numeric row)."""
    if not isinstance(fields, (list, tuple)) or len(fields) != 3:
        return None
    wall, step, value = (_number(f) for f in fields)
    if step is None or value is None or not math.isfinite(step):
        return None
    return (wall if wall is not None else math.nan, step, value)


def _rows_json(data: Any) -> tuple[list[tuple[float, float, float]], int]:
    if not isinstance(data, list):
        raise ValueError("not a JSON list of [wall_time, step, value] rows")
    rows = []
    bad = 0
    for item in data:
        row = _triple(item)
        if row is None:
            bad += 1
        else:
            rows.append(row)
    return rows, bad


def _read_rows(path: Path) -> tuple[list[tuple[float, float, float]], int]:
    """Parse one download; raises ValueError (with a one-line reason) when it is not one."""
    from nn_doctor.readers._common import read_text

    text = read_text(path)
    if path.suffix.lower() == ".csv" or text.lstrip().startswith("Wall time"):
        first = text.splitlines()[0].strip() if text.strip() else ""
        if first != CSV_HEADER:
            raise ValueError(f"first line is not TensorBoard's header '{CSV_HEADER}'")
        return _rows_csv(text)
    import json

    try:  # Python's json reads the bare NaN/Infinity TensorBoard's Python server writes
        data = json.loads(text) if text.strip() else []
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at line {exc.lineno}; cut off?)") from exc
    return _rows_json(data)


def _read(path: Path, files: list[Path]) -> RawRun:
    from nn_doctor.readers._common import empty_warning, raw_run, records

    warnings: list[str] = []
    parsed: list[tuple[Path, str | None, str, list[tuple[float, float, float]]]] = []
    for f in files:
        try:
            rows, bad = _read_rows(f)
        except ValueError as exc:
            if len(files) == 1:
                raise InputError(f"{f}: {exc}") from exc
            warnings.append(f"{f.name}: {exc}; skipped")
            continue
        if bad:
            warnings.append(f"{f.name}: skipped {bad} row(s) that are not wall_time, step, value")
        if not rows:
            warnings.append(empty_warning(f, "no data rows"))
        run, tag = parse_filename(f.name)
        parsed.append((f, run, tag, rows))

    # One tag downloaded from two runs: keep both, told apart by their run names.
    runs_of_tag: dict[str, set[str | None]] = {}
    for _, run, tag, _ in parsed:
        runs_of_tag.setdefault(tag, set()).add(run)
    names: list[str] = []
    steps: list[float] = []
    codes: list[int] = []
    values: list[float] = []
    walls: list[float] = []
    for _, run, tag, rows in parsed:
        name = f"{run}/{tag}" if len(runs_of_tag[tag]) > 1 and run else tag
        if name not in names:
            names.append(name)
        code = names.index(name)
        for wall, step, value in rows:
            walls.append(wall)
            steps.append(step)
            values.append(value)
            codes.append(code)
    clashes = sorted(t for t, r in runs_of_tag.items() if len(r) > 1)
    if clashes:
        warnings.append(
            f"tag {clashes[0]!r}{' and others' if len(clashes) > 1 else ''} was downloaded from "
            "several runs; each is kept under '<run>/<tag>'"
        )
    return raw_run(
        NAME,
        path,
        records(steps, codes, names, values, walls),
        files=[str(f) for f in files],
        warnings=warnings,
    )


def read(path: Path) -> list[RawRun]:
    """Read one download, or a folder of them (one run, tags merged)."""
    from nn_doctor.readers._common import claimed_files

    path = Path(path)
    if path.is_dir():
        files = claimed_files(path, folder_files)
        if not files:
            raise InputError(
                f"no TensorBoard downloads (run-<run>-tag-<tag>.csv/.json) in {path}",
                hint="point at one downloaded CSV/JSON file",
            )
        return [_read(path, files)]
    if not path.is_file():
        raise InputError(f"no such file or folder: {path}")
    return [_read(path, [path])]
