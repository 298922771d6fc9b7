"""JSON lines: W&B wandb-history.jsonl (+ config.yaml), metrics.jsonl and other *.jsonl logs.

One JSON object per log call. The step is ``_step`` (W&B), ``step``, ``global_step``,
``iteration`` or ``iter``, else ``epoch`` (then the axis is the epoch), else the line number.
W&B's legacy client wrote some values as strings with a leading space (``" 0.163"``): they are
read as numbers. A ``.json`` file holding one array of such objects (a loop's rows dumped at the
end) reads the same, up to its last complete object if the array was cut off. Train and
validation keys may sit on alternating lines; a key absent from a line is "not logged". Nested dicts flatten with ``/``. W&B's ``config.yaml`` (``{key: {desc,
value}}``) becomes the run's config.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nn_doctor.frame import RawRun
from nn_doctor.readers._common import (
    RUN_COLUMNS,
    claimed_files,
    empty_warning,
    first_line,
    json_constant,
    load_configs,
    metricish,
    peek,
    raw_run,
    read_bytes,
)
from nn_doctor.readers._jsonrows import Rows, columns, parse_lines
from nn_doctor.readers._wide import STEP_NAMES, WALL_NAMES, to_columns
from nn_doctor.signals import canonical_name

if TYPE_CHECKING:
    from nn_doctor.readers._csvcore import Column
    from nn_doctor.readers._wide import Wide

NAME = "jsonl"

_SUFFIXES = {".jsonl", ".ndjson"}
_WANDB_HISTORY = "wandb-history.jsonl"
# W&B files that are not the training history (system stats, summaries).
_NOT_HISTORY = {"wandb-events.jsonl"}
_STEP_KEYS = ("_step", *STEP_NAMES)
_LOSSES = ("train_loss", "val_loss")
# What the training framework logs beside W&B's own ``_step`` (which counts log calls, so a
# train row and an eval row at one optimizer step get two): Hugging Face's WandbCallback adds
# ``train/global_step`` to every call, Lightning's WandbLogger ``trainer/global_step``.
_FRAMEWORK_STEPS = ("train/global_step", "trainer/global_step")


def _step_keys(cols: Sequence[Column], n_rows: int) -> tuple[str, ...]:
    """``_STEP_KEYS``, led by a framework's global step when every row carries one."""
    for c in cols:
        name = c.name.strip().lower()
        if name in _FRAMEWORK_STEPS and int(c.logged.sum()) == n_rows:
            return (name, *_STEP_KEYS)
    return _STEP_KEYS


def history_columns(cols: Sequence[Column], n_rows: int) -> Wide:
    """Columns of logged rows with W&B's bookkeeping read as such: the step (a framework's
    global step first, else ``_step``), ``_timestamp`` as wall time, ``_runtime`` not a metric.
    Shared by the legacy ``wandb-history.jsonl`` and the ``.wandb`` reader."""
    return to_columns(
        cols,
        n_rows,
        step_names=_step_keys(cols, n_rows),
        wall_names=("_timestamp", *WALL_NAMES),
        skip=("_runtime",),
    )


def _first_record(path: Path) -> dict[str, Any] | None:
    try:
        rec = json.loads(first_line(path))
    except ValueError:
        return None
    return rec if isinstance(rec, dict) else None


# A .json document that is an array of objects: the rows a hand-written loop collected and
# dumped at the end (``json.dump(history, f)``), pretty-printed or not.
_ARRAY_HEAD = re.compile(r"^\ufeff?\s*\[\s*\{")
_KEY = re.compile(r'"([^"\\]{1,200})"\s*:')


def _records_array(path: Path) -> bool:
    """A .json array of row objects whose first keys include a step or a metric name."""
    head = peek(path, 4096)
    if not _ARRAY_HEAD.match(head):
        return False
    keys = _KEY.findall(head[: head.find("}") + 1 if "}" in head else len(head)])
    return any(k in _STEP_KEYS or metricish(k) for k in keys)


def sniff(path: Path) -> bool:
    """A .jsonl/.ndjson file (or a .json file of JSON lines) whose first line is an object,
    or a .json array of such objects."""
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES and suffix != ".json":
        return False
    if suffix == ".json" and _records_array(path):
        return True
    if _first_record(path) is None:
        return False
    if suffix == ".json":  # one document per line, not one pretty-printed document
        lines = [ln for ln in peek(path, 8192).splitlines() if ln.strip()][:2]
        return len(lines) == 2 and lines[1].lstrip().startswith("{")
    return True


def _is_log(path: Path) -> bool:
    """Whether a JSON-lines file is a training log (a step or metric key), not a data set."""
    rec = _first_record(path)
    if rec is None:
        return False
    return any(k in rec for k in _STEP_KEYS) or any(metricish(str(k)) for k in rec)


def folder_files(folder: Path, names: frozenset[str]) -> list[Path]:
    """``wandb-history.jsonl``, else every JSON-lines training log in the folder."""
    if _WANDB_HISTORY in names:
        return [folder / _WANDB_HISTORY]
    out = []
    for n in sorted(names):
        p = folder / n
        suffix = p.suffix.lower()
        if (suffix not in _SUFFIXES and suffix != ".json") or not p.is_file():
            continue
        lines = suffix in _SUFFIXES and n not in _NOT_HISTORY and _is_log(p)
        if lines or (suffix == ".json" and _records_array(p)):
            out.append(p)
    return out


def _array_rows(text: str) -> Rows:
    """The objects of a JSON array, up to the last complete one: a loop that crashed while
    dumping its history leaves a truncated array, which is read up to there, with a warning."""
    decoder = json.JSONDecoder(parse_constant=json_constant)
    rows: list[dict[str, Any]] = []
    i = text.index("[") + 1
    warnings: list[str] = []
    while True:
        while i < len(text) and text[i] in " \t\r\n,":
            i += 1
        if i >= len(text) or text[i] == "]":
            break
        try:
            obj, i = decoder.raw_decode(text, i)
        except ValueError:
            warnings.append(
                f"the JSON array ends mid-record after {len(rows)} rows (a crash mid-write?): "
                "read up to the last complete one"
            )
            break
        if isinstance(obj, dict):
            rows.append(obj)
    if i >= len(text) and not warnings:
        warnings.append(f"the JSON array is not closed after {len(rows)} rows: read them all")
    return Rows(rows, warnings)


def _wandb_config(path: Path) -> tuple[dict[str, Any], list[str], list[str]]:
    """W&B's config.yaml beside the history: ``{key: {desc, value}}`` → ``{key: value}``."""
    config, sources, warnings = load_configs([path.parent / "config.yaml"])
    plain = {
        k: (v["value"] if isinstance(v, dict) and "value" in v else v)
        for k, v in config.items()
        if k not in {"wandb_version", "_wandb"}
    }
    return plain, sources, warnings


def _run_key(buf: bytes) -> str | None:
    """The run key of a log whose lines name their run (a sweep written to one file), if any."""
    end = buf.find(b"\n")
    try:
        first = json.loads(
            buf[: end if end >= 0 else len(buf)].decode("utf-8", "replace").lstrip("\ufeff")
        )
    except ValueError:
        return None
    if not isinstance(first, dict) or not any(
        canonical_name(k).canonical in _LOSSES for k in first
    ):
        return None
    return next((k for k in first if k.strip().lower() in RUN_COLUMNS), None)


def _split_rows(rows: Rows, key: str) -> list[tuple[str, Rows]]:
    """One :class:`Rows` per value of ``key`` (in order of first appearance), the key dropped."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows.rows:
        value = row.get(key)
        label = "" if value is None else str(value)
        groups.setdefault(label, []).append({k: v for k, v in row.items() if k != key})
    if len(groups) < 2:
        return [("", Rows(list(next(iter(groups.values()), [])), rows.warnings, rows.nested,
                          rows.nan_text))]  # fmt: skip
    return [
        (f"{key} {label}" if label else f"no {key}",
         Rows(group, list(rows.warnings), rows.nested, rows.nan_text))
        for label, group in groups.items()
    ]  # fmt: skip


def read_file(path: Path) -> list[RawRun]:
    """Read one JSON-lines log: pyarrow (if installed), else numpy, for flat numeric lines.

    Lines that name their run (``run``, ``trial``, … as a CSV's run column, see
    :data:`._common.RUN_COLUMNS`) are one run per value, read through the Python parser.
    """
    from nn_doctor.readers._jsonarrow import arrow_columns
    from nn_doctor.readers._jsonfast import flat_columns

    buf = read_bytes(path)
    array = path.suffix.lower() == ".json" and bool(
        _ARRAY_HEAD.match(buf[:64].decode("utf-8", "replace"))
    )
    key = None if array else _run_key(buf)
    flat = None if array or key else arrow_columns(buf) or flat_columns(buf)
    if flat is not None:
        first_keys = flat.first_keys
        return [_run(path, flat.columns, flat.n_rows, first_keys, flat.warnings, [], flat.ignored)]
    text = buf.decode("utf-8", errors="replace").lstrip("\ufeff")
    rows = _array_rows(text) if array else parse_lines(text)
    first_keys = list(rows.rows[0]) if rows.rows else []
    runs = []
    for label, part in _split_rows(rows, key) if key else [("", rows)]:
        cols, warnings, ignored = columns(part)
        run = _run(path, cols, len(part.rows), first_keys, part.warnings, warnings, ignored)
        if label:
            run.run = f"{path} ({label})"
        runs.append(run)
    return runs


def _run(
    path: Path,
    cols: Sequence[Column],
    n_rows: int,
    first_keys: list[str],
    row_warnings: list[str],
    warnings: list[str],
    ignored: list[str],
) -> RawRun:
    """One run from its parsed columns, with W&B's config when the log is W&B's history."""
    wide = history_columns(cols, n_rows)
    config: dict[str, Any] = {}
    sources: list[str] = []
    config_warnings: list[str] = []
    if path.name == _WANDB_HISTORY or "_step" in first_keys:
        config, sources, config_warnings = _wandb_config(path)
    all_warnings = [*config_warnings, *row_warnings, *warnings, *wide.warnings]
    if not wide.columns.n_records:
        all_warnings.append(empty_warning(path, "no numeric metric in any line"))
    return raw_run(
        NAME,
        path,
        columns=wide.columns,  # records are built from these only if something asks
        files=[path, *map(Path, sources)],
        config=config,
        config_sources=sources,
        warnings=all_warnings,
        ignored=[*ignored, *wide.ignored],
        axis=wide.axis,
    )


def read(path: Path) -> list[RawRun]:
    """Read a JSON-lines file, or the training logs in a folder."""
    if path.is_dir():
        return [run for f in claimed_files(path, folder_files) for run in read_file(f)]
    return read_file(path)
