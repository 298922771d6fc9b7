"""Read and diagnose one run source inside a worker; never let one run stop the audit.

Workers receive a :class:`~nn_doctor.readers.RunSource` (a path and a reader name: cheap to
send) and return each run as JSON text (cheap to pickle, stored as is by the cache, and
normalized once: numpy scalars become numbers, non-finite evidence values become strings so the
document stays valid JSON). The rules travel once per worker in the :class:`WorkSpec` given to
the pool initializer (or scattered once to a Dask cluster), not with every task.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nn_doctor.engine.model import Rule
    from nn_doctor.readers import RunSource
    from nn_doctor.settings import Settings

INTERNAL_HINT = (
    "this is a bug in nn-doctor; rerun `nn-doctor diagnose {path} --traceback` and report it"
)


@dataclass(frozen=True)
class WorkSpec:
    """Everything a worker needs besides the paths: settings, loaded rules, output language."""

    settings: Settings
    rules: tuple[Rule, ...]
    lang: str | None = None
    key: str = ""  # the cache stamp: identifies this spec on a long-lived (Dask) worker
    fingerprint: bool = True  # record the files read, for the cache


@dataclass
class SourceResult:
    """The runs of one source, as JSON texts, and what the cache needs to reuse them."""

    reader: str
    path: str
    runs: list[str]
    seconds: float = 0.0
    deps: dict[str, list[Any]] | None = None  # file -> stat stamp; None: do not cache
    internal_errors: int = 0
    cached: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


_SPEC: WorkSpec | None = None
_BY_KEY: dict[str, WorkSpec] = {}


def init(spec: WorkSpec) -> None:
    """Pool initializer: keep the spec, warm the imports, leave Ctrl-C to the parent."""
    import signal

    global _SPEC
    _SPEC = spec
    _BY_KEY[spec.key] = spec
    with contextlib.suppress(ValueError):  # not the main thread: nothing to ignore
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    from nn_doctor.audit import _warm  # noqa: F401  - pandas, readers, engine, checks


def process(source: RunSource) -> SourceResult:
    """Diagnose one source with the spec given to :func:`init`."""
    if _SPEC is None:  # pragma: no cover - a programming error, not a user's
        raise RuntimeError("audit worker used before init()")
    return diagnose_source(_SPEC, source)


def process_chunk(sources: list[RunSource]) -> list[SourceResult]:
    """Diagnose several sources in one task: small runs are cheaper than the task overhead."""
    return [process(s) for s in sources]


def process_chunk_with(spec: WorkSpec, sources: list[RunSource]) -> list[SourceResult]:
    """The Dask task: the scattered spec is set up once per worker process, then reused."""
    known = _BY_KEY.get(spec.key)
    if known is None:
        _BY_KEY[spec.key] = known = spec
    return [diagnose_source(known, s) for s in sources]


def dumps_run(run: dict[str, Any]) -> str:
    from nn_doctor.report.document import _default, json_safe

    try:
        return json.dumps(run, ensure_ascii=False, default=_default, allow_nan=False)
    except ValueError:  # a non-finite number somewhere: say "inf"/"nan" rather than fail
        return json.dumps(json_safe(run), ensure_ascii=False, allow_nan=False)


def _error_run(path: str, fmt: str | None, exc: BaseException) -> dict[str, Any]:
    from nn_doctor.errors import NnDoctorError
    from nn_doctor.report.document import error_run

    if isinstance(exc, NnDoctorError):
        row = error_run(path, exc.message, exc.hint)
    else:
        message = f"internal error: {type(exc).__name__}: {exc}".splitlines()[0]
        row = error_run(path, message, INTERNAL_HINT.format(path=path))
        row["error"]["exception"] = type(exc).__name__
    row["format"] = fmt
    return row


def _run_files(source: RunSource) -> list[str]:
    """The files that make the folder a run for its reader (Keras' ``train/`` halves, …).

    Listed even when a reader does not name them in ``RawRun.files``: an event file that grows
    inside a sub-folder changes no entry of the run folder itself.
    """
    import os

    from nn_doctor.readers import load

    if not source.path.is_dir():
        return []
    try:
        names = frozenset(os.listdir(source.path))
        return [str(p) for p in load(source.reader).folder_files(source.path, names)]
    except Exception:  # the read already reported what is wrong with this run
        return []


def diagnose_source(spec: WorkSpec, source: RunSource) -> SourceResult:
    """Read every run of ``source`` and diagnose each; failures become error rows."""
    from nn_doctor.api import _read_sibling_config
    from nn_doctor.audit.cache import probe, stat_stamps
    from nn_doctor.engine.diagnosis import diagnose_frame
    from nn_doctor.errors import NnDoctorError
    from nn_doctor.frame import build_frame
    from nn_doctor.readers import FORMATS, load

    t0 = time.perf_counter()
    path = str(source.path)
    fmt = FORMATS.get(source.reader, source.reader)
    before = probe(source.path) if spec.fingerprint else {}
    runs: list[dict[str, Any]] = []
    read_files: list[str] = []
    internal = 0
    settings = spec.settings
    try:
        raws = load(source.reader).read(source.path)
        if not raws:
            from nn_doctor.errors import InputError

            raise InputError(f"no run found in {path}", hint="run `nn-doctor inspect` on it")
    except Exception as exc:
        internal += not isinstance(exc, NnDoctorError)
        runs.append(_error_run(path, fmt, exc))
        raws = []
    for raw in raws:
        if not raw.config and raw.files:
            _read_sibling_config(raw)  # as diagnose does: a config.yaml beside a plain log
        read_files.extend([*raw.files, *raw.config_sources])
        try:
            frame = build_frame(
                raw, user_aliases=settings.aliases, config_overrides=settings.config_overrides
            )
            diag = diagnose_frame(
                frame, rules=list(spec.rules), lang=spec.lang, report_at=settings.report_at
            )
            runs.append(diag.to_dict())
        except Exception as exc:
            internal += not isinstance(exc, NnDoctorError)
            runs.append(_error_run(raw.run or path, fmt, exc))
    deps: dict[str, list[Any]] | None = None
    if spec.fingerprint and not internal:
        read_files.extend(_run_files(source))
        deps = {**before, **stat_stamps(f for f in read_files if f not in before)}
        # A file that changed while we read it: the stamps may not match what we read.
        if probe(source.path) != before:
            deps = None
    return SourceResult(
        reader=source.reader,
        path=path,
        runs=[dumps_run(r) for r in runs],
        seconds=time.perf_counter() - t0,
        deps=deps,
        internal_errors=internal,
    )
