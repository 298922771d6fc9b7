"""Helpers every reader shares: safe peeking, the records table, and number tokens.

Sniffers run on every file of a tree during ``audit``, so they must be cheap and must never
raise: :func:`peek` reads a bounded head and decodes it with replacement characters. Readers
build their records through :func:`records` so every format hands :func:`~nn_doctor.frame.
build_frame` the same column types (``step`` int64, ``name`` categorical of str, ``value`` and
``wall_time`` float64).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nn_doctor.errors import InputError
from nn_doctor.frame import code_dtype

if TYPE_CHECKING:
    import pandas as pd

    from nn_doctor.frame import RawRun

#: Tokens that mean "logged, and not a number" (lower-case, stripped). Python, numpy, C and
#: Windows spell NaN differently; all of them are a logged non-finite value.
NAN_TOKENS = frozenset(
    {"nan", "-nan", "+nan", "nan(ind)", "-nan(ind)", "1.#qnan", "-1.#qnan", "1.#ind", "-1.#ind"}
)
POS_INF_TOKENS = frozenset({"inf", "+inf", "infinity", "+infinity", "1.#inf"})
NEG_INF_TOKENS = frozenset({"-inf", "-infinity", "-1.#inf"})
#: Tokens that mean "not logged" like a blank cell: Keras' CSVLogger writes ``NA`` for a key
#: missing from an epoch's logs, pandas and R write ``NA``/``<NA>``, JSON writers ``null``.
MISSING_TOKENS = frozenset({"", "na", "n/a", "<na>", "null", "none", "#n/a"})

PEEK_BYTES = 16384


#: Columns naming the run a row belongs to, when one table holds several: a sweep or a seed
#: study concatenated with pandas, Optuna's ``trials_dataframe``. Not ``name`` or ``model``:
#: the first is a long table's metric column, the second as often a constant description.
RUN_COLUMNS = ("run", "run_id", "run_name", "trial", "trial_id", "trial_number", "experiment",
               "experiment_name", "exp", "exp_name")  # fmt: skip


def peek(path: Path, size: int = PEEK_BYTES) -> str:
    """The first ``size`` bytes of a file as text ("" when unreadable); never raises."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(size)
    except OSError:
        return ""
    if b"\x00" in head:  # binary (event files, checkpoints): nothing a text reader wants
        return ""
    return head.decode("utf-8", errors="replace").lstrip("\ufeff")


def first_line(path: Path) -> str:
    """The first non-blank line of a text file ("" when unreadable or binary)."""
    for line in peek(path, 8192).splitlines():
        if line.strip():
            return line
    return ""


#: Environment variable overriding :data:`DEFAULT_MAX_FILE_BYTES` (``8G``, ``500M``, ``0`` = none).
MAX_FILE_SIZE_ENV = "NN_DOCTOR_MAX_FILE_SIZE"
#: Readers hold a whole log in memory (plus its parsed values, about as much again), so one file
#: larger than this is refused with a message instead of exhausting memory. 2 GiB of event file
#: is ~38 million scalars; training logs are rarely near it, and the override is one variable.
DEFAULT_MAX_FILE_BYTES = 2 * 1024**3
_UNITS = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def max_file_bytes() -> int | None:
    """The per-file size limit in bytes (``None``: no limit), from :data:`MAX_FILE_SIZE_ENV`."""
    raw = os.environ.get(MAX_FILE_SIZE_ENV, "").strip().upper().removesuffix("IB")
    if not raw:
        return DEFAULT_MAX_FILE_BYTES
    if raw in {"0", "NONE", "OFF", "UNLIMITED"}:
        return None
    unit = raw[-1] if raw[-1] in _UNITS else ""
    try:
        value = float(raw[: len(raw) - len(unit)].strip())
    except ValueError:
        value = -1.0
    if not value > 0 or not math.isfinite(value):
        raise InputError(
            f"{MAX_FILE_SIZE_ENV}={os.environ[MAX_FILE_SIZE_ENV]!r} is not a size",
            hint=f"use a size such as 8G or 500M, or 0 for no limit (default {_human(DEFAULT_MAX_FILE_BYTES)})",
        )
    return int(value * _UNITS[unit])


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def size_limit_hint() -> str:
    """How to read a file over the size limit anyway."""
    return f"set {MAX_FILE_SIZE_ENV} to a larger size (e.g. {MAX_FILE_SIZE_ENV}=8G; 0 = no limit)"


def check_size(path: Path) -> None:
    """Refuse a file over :func:`max_file_bytes` (an :class:`InputError`) before reading it."""
    limit = max_file_bytes()
    if limit is None:
        return
    try:
        size = os.stat(path).st_size
    except OSError:
        return  # the read reports it
    if size > limit:
        raise InputError(
            f"{path}: {_human(size)} is over the {_human(limit)} size limit for one log file "
            f"(it is read into memory whole); set {MAX_FILE_SIZE_ENV}=8G (or 0) to read it",
            hint=size_limit_hint(),
        )


def spare_workers(limit: int = 2) -> int:
    """How many threads a parse may use: 2 when a core is idle, else 1.

    Splitting a parse across threads (pandas and numpy release the GIL) halves it on an idle
    two-core machine, but on a busy one the threads fight for the GIL while descheduled and
    the parse gets *slower* (measured: 2.6-5.0 s against 1.8 s single-threaded at load 5 on 2
    cores). The 1-minute load average says whether a core is free, as ``make -l`` uses it.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cpus = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows
        load = 0.0
    if cpus < 2 or load > cpus - 0.5:
        return 1
    return min(limit, cpus)


def read_bytes(path: Path) -> bytes:
    """Read a whole log read-only; an unreadable or oversized file is an :class:`InputError`."""
    check_size(path)
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise InputError(
            f"cannot read {path}: {exc.strerror or exc}", hint="check the path and its permissions"
        ) from exc
    except MemoryError as exc:
        raise InputError(
            f"cannot read {path}: not enough memory to hold it", hint=size_limit_hint()
        ) from exc


def read_text(path: Path) -> str:
    """Read a whole text log; invalid UTF-8 becomes U+FFFD instead of an exception."""
    return read_bytes(path).decode("utf-8", errors="replace").lstrip("\ufeff")


def token_value(token: str) -> float | None:
    """A number from a text token: a float, NaN/inf spelled any common way, or None if not one."""
    s = token.strip()
    try:
        return float(s)
    except ValueError:
        pass
    low = s.lower()
    if low in NAN_TOKENS:
        return math.nan
    if low in POS_INF_TOKENS:
        return math.inf
    if low in NEG_INF_TOKENS:
        return -math.inf
    return None


def json_constant(name: str) -> float:
    """``parse_constant`` hook: JSON's bare ``NaN``/``Infinity``/``-Infinity`` as floats."""
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[name]


def number(value: Any) -> float | None:
    """A JSON-ish value as a float: numbers and numeric strings (W&B's ``" 0.163"``), else None.

    Booleans are not metrics (``"done": true``); None and missing-tokens are "not logged".
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:  # an integer beyond float range (JSON allows any length)
            return math.copysign(math.inf, value)
    if isinstance(value, str):
        return token_value(value)
    return None


def records(
    steps: Any,
    codes: Any,
    names: Sequence[str],
    values: Any,
    wall_time: Any = None,
) -> pd.DataFrame:
    """Build a ``RawRun.records`` table; ``codes`` index into ``names`` (kept as a categorical).

    A categorical name column keeps a million-row table cheap: the names are stored once.
    """
    import pandas as pd

    steps = np.asarray(steps, dtype=np.int64)
    vals = np.asarray(values, dtype=np.float64)
    wall = (
        np.full(len(vals), np.nan) if wall_time is None else np.asarray(wall_time, dtype=np.float64)
    )
    dtype = pd.CategoricalDtype(unique_names(names))
    # The code width pandas would pick anyway (int8 below 128 names): converting 19M codes to it
    # afterwards costs a pass, and a reader that builds codes in it passes them through as is.
    cat = pd.Categorical.from_codes(np.asarray(codes, dtype=code_dtype(len(names))), dtype=dtype)
    data = {"step": steps, "name": cat, "value": vals, "wall_time": wall}
    return pd.DataFrame(data, copy=False)  # the arrays are ours: no second copy


def unique_names(names: Sequence[str]) -> list[str]:
    """Names made unique (``a``, ``a.1``): two columns that strip to one name stay apart."""
    out: list[str] = []
    seen: set[str] = set()
    for n in names:
        cand, i = n, 0
        while cand in seen:
            i += 1
            cand = f"{n}.{i}"
        seen.add(cand)
        out.append(cand)
    return out


def empty_records() -> pd.DataFrame:
    """A records table with no rows (an empty log still yields a run that says so)."""
    return records([], [], [], [])


def raw_run(fmt: str, path: Path, recs: pd.DataFrame | None = None, **fields: Any) -> RawRun:
    """A :class:`RawRun` for ``path`` (run label defaults to the path); with ``columns`` and no
    ``recs``, its records are built from the columns when first read."""
    from nn_doctor.frame import RawRun

    files = fields.pop("files", None) or [str(path)]
    if recs is None and fields.get("columns") is None:
        recs = empty_records()
    return RawRun(
        records=recs,
        format=fmt,
        path=str(path),
        files=[str(f) for f in files],
        run=fields.pop("run", None) or str(path),
        **fields,
    )


def load_configs(paths: Sequence[Path]) -> tuple[dict[str, Any], list[str], list[str]]:
    """Merge config files that exist (later files win); returns (config, sources, warnings)."""
    from nn_doctor.readers.hparams import load_config_file

    config: dict[str, Any] = {}
    sources: list[str] = []
    warnings: list[str] = []
    for p in paths:
        if not p.is_file():
            continue
        try:
            data = load_config_file(p)
        except Exception as exc:  # a broken config must not hide the metrics
            warnings.append(f"could not read config {p.name}: {type(exc).__name__}; ignored")
            continue
        if data:
            config.update(data)
            sources.append(str(p))
    return config, sources, warnings


def metricish(name: str) -> bool:
    """Whether a column or key name looks like a training metric (a data table is not a run)."""
    from nn_doctor.signals import HIGHER_IS_BETTER, LOWER_IS_BETTER, SCALARS, canonical_name

    if name.strip().lower() in {"epoch", "epochs"}:
        return False
    if canonical_name(name).canonical in SCALARS:
        return True
    return bool(LOWER_IS_BETTER.search(name) or HIGHER_IS_BETTER.search(name))


def empty_warning(path: Path, what: str) -> str:
    """The one wording for "this log holds no records" (an empty run, never an exception)."""
    return (
        f"{path.name}: {what}; no metric was logged yet (empty or crashed before the first record)"
    )


def malformed_warnings(label: str, bad: list[int], n_lines: int, unit: str = "line") -> list[str]:
    """The warnings for a per-metric file's malformed lines (indices in ``bad`` of ``n_lines``):
    a bad last one is a write the crash cut short, read up to the one before; others skipped."""
    bad = list(bad)
    warnings = []
    if bad and bad[-1] == n_lines - 1:
        bad.pop()
        warnings.append(f"{label}: the last {unit} is cut short; read up to the {unit} before")
    if bad:
        warnings.append(f"{label}: skipped {len(bad)} malformed {unit}(s)")
    return warnings


def claimed_files(
    folder: Path, folder_files: Callable[[Path, frozenset[str]], list[Path]]
) -> list[Path]:
    """The files of ``folder`` a reader's ``folder_files`` claims (its names listed once)."""
    return folder_files(folder, frozenset(p.name for p in folder.iterdir()))
