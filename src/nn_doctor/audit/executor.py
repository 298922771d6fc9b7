"""Run the audit worker over many sources: serially, in a process pool, or on a Dask cluster.

Every executor calls ``on_result(source, result)`` in the parent as results arrive, in no
particular order (the caller sorts). Choices made here, and why:

- **Start method**: ``forkserver`` where it exists, else ``spawn`` — never ``fork``, which
  hangs once polars or pyarrow have run in the parent (DECISIONS.md §9). The forkserver preloads
  :mod:`nn_doctor.audit._warm`, so workers fork from a process that already imported pandas.
- **Chunks**: small runs take a few milliseconds, about the cost of a task round trip, so tasks
  carry up to 32 sources; at most two chunks per worker are in flight, which keeps the progress
  bar moving and Ctrl-C prompt. Chunks shrink toward the end (guided scheduling: a quarter of
  an even share of what is left), so no worker sits idle while another finishes a long chunk.
- **Start-up**: the forkserver (and its imports) can be started before the runs are even found
  (:func:`prestart`), so that ~0.5 s overlaps the walk of the tree instead of following it.
- **A worker that dies** (killed, out of memory, a crash in a C extension) breaks a
  ``ProcessPoolExecutor``: the sources that were in flight are retried one at a time in a fresh
  pool, so the one that kills its worker is found and becomes an error row while the others are
  diagnosed. The audit goes on.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from nn_doctor.audit import worker
from nn_doctor.errors import ConfigError

if TYPE_CHECKING:
    from nn_doctor.audit.worker import SourceResult, WorkSpec
    from nn_doctor.readers import RunSource

OnResult = Callable[["RunSource", "SourceResult"], None]
EXECUTORS = ("auto", "serial", "process", "dask")
#: Below this many runs to diagnose, starting worker processes costs more than it saves.
MIN_POOL_TASKS = 24
MAX_CHUNK = 32


def default_jobs() -> int:
    """The CPUs this process may use (the affinity mask, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def chunked(
    tasks: Sequence[RunSource], workers: int, cap: int = MAX_CHUNK
) -> list[list[RunSource]]:
    """Split tasks into chunks: about four per worker, at most ``cap`` sources each."""
    if not tasks:
        return []
    size = max(1, min(cap, math.ceil(len(tasks) / (max(1, workers) * 4))))
    return [list(tasks[i : i + size]) for i in range(0, len(tasks), size)]


def guided(tasks: Sequence[RunSource], workers: int, cap: int = MAX_CHUNK) -> list[list[RunSource]]:
    """Chunks of at most ``cap`` that shrink as the work runs out (guided scheduling).

    Each chunk is a quarter of an even share of what is left, so the last chunks are single
    runs and the workers finish together.
    """
    out: list[list[RunSource]] = []
    i, n, share = 0, len(tasks), max(1, workers) * 4
    while i < n:
        size = max(1, min(cap, (n - i) // share))
        out.append(list(tasks[i : i + size]))
        i += size
    return out


def prestart(executor: str, jobs: int) -> None:
    """Start the forkserver now (it imports pandas, the readers and the engine meanwhile).

    Only where a pool may follow (``executor`` auto or process, more than one job) and the
    start method is forkserver; anything that goes wrong here is left to the pool to report.
    """
    jobs = jobs if jobs > 0 else default_jobs()
    if executor not in ("auto", "process") or jobs < 2:
        return
    with contextlib.suppress(Exception):
        ctx = mp_context()
        if ctx.get_start_method() == "forkserver":
            from multiprocessing import forkserver

            forkserver.ensure_running()


def run(
    tasks: Sequence[RunSource],
    spec: WorkSpec,
    on_result: OnResult,
    *,
    executor: str = "auto",
    jobs: int = 0,
    scheduler: str | None = None,
) -> str:
    """Diagnose ``tasks`` with the chosen executor; return the one actually used."""
    jobs = jobs if jobs > 0 else default_jobs()
    if executor == "dask":
        run_dask(tasks, spec, on_result, scheduler=scheduler)
        return "dask"
    if executor == "process" or (executor == "auto" and jobs > 1 and len(tasks) >= MIN_POOL_TASKS):
        run_pool(tasks, spec, on_result, jobs=jobs)
        return "process"
    run_serial(tasks, spec, on_result)
    return "serial"


def run_serial(tasks: Sequence[RunSource], spec: WorkSpec, on_result: OnResult) -> None:
    """In this process: no start-up cost, the right choice for a handful of runs."""
    for source in tasks:
        on_result(source, worker.diagnose_source(spec, source))


def mp_context(method: str | None = None) -> Any:
    """A multiprocessing context that never forks the (possibly polars-using) parent."""
    import multiprocessing as mp

    method = method or os.environ.get("NN_DOCTOR_START_METHOD") or None
    available = mp.get_all_start_methods()
    if method is None:
        method = "forkserver" if "forkserver" in available else "spawn"
    if method not in ("forkserver", "spawn"):
        raise ConfigError(f"start method '{method}' is not allowed", hint="use forkserver or spawn")
    ctx = mp.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["nn_doctor.audit._warm"])
    return ctx


def _crashed(source: RunSource, why: str) -> SourceResult:
    from nn_doctor.audit.worker import SourceResult, dumps_run
    from nn_doctor.readers import FORMATS
    from nn_doctor.report.document import error_run

    row = error_run(str(source.path), why, worker.INTERNAL_HINT.format(path=source.path))
    row["format"] = FORMATS.get(source.reader, source.reader)
    row["error"]["exception"] = "WorkerDied"
    return SourceResult(source.reader, str(source.path), [dumps_run(row)], internal_errors=1)


def _terminate(ex: Any) -> None:
    """Stop a pool's workers now (Ctrl-C must not wait for a long read to finish)."""
    for proc in list((getattr(ex, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):  # already gone
            proc.terminate()
    ex.shutdown(wait=False, cancel_futures=True)


def run_pool(
    tasks: Sequence[RunSource],
    spec: WorkSpec,
    on_result: OnResult,
    *,
    jobs: int,
    start_method: str | None = None,
) -> None:
    """A process pool of ``jobs`` warm workers, chunked, surviving workers that die."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    ctx = mp_context(start_method)
    pending: deque[list[RunSource]] = deque(guided(tasks, jobs))
    suspects: deque[RunSource] = deque()  # in flight when a worker died: retried alone
    while pending or suspects:
        ex = ProcessPoolExecutor(
            max_workers=jobs, mp_context=ctx, initializer=worker.init, initargs=(spec,)
        )
        in_flight: dict[Any, list[RunSource]] = {}
        alone: Any = None  # the future of a suspect running on its own
        lost: list[list[RunSource]] = []
        broken = False
        try:
            while (pending or suspects or in_flight) and not broken:
                if suspects:
                    if not in_flight:
                        one = [suspects.popleft()]
                        try:
                            alone = ex.submit(worker.process_chunk, one)
                        except BrokenProcessPool:  # broke before we could submit: retry
                            suspects.appendleft(one[0])
                            broken = True
                            break
                        in_flight[alone] = one
                else:
                    while pending and len(in_flight) < 2 * jobs:
                        chunk = pending.popleft()
                        try:
                            in_flight[ex.submit(worker.process_chunk, chunk)] = chunk
                        except BrokenProcessPool:  # a worker died meanwhile: new pool
                            pending.appendleft(chunk)
                            broken = True
                            break
                if not in_flight:
                    continue
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for fut in done:
                    chunk = in_flight.pop(fut)
                    try:
                        results = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        if fut is alone:  # it ran on its own: it is what kills workers
                            on_result(chunk[0], _crashed(chunk[0], DIED))
                        else:
                            lost.append(chunk)
                        continue
                    except Exception as exc:  # e.g. a result that cannot be pickled
                        why = f"internal error: {type(exc).__name__}: {exc}".splitlines()[0]
                        results = [_crashed(s, why) for s in chunk]
                    for source, result in zip(chunk, results, strict=True):
                        on_result(source, result)
        except BaseException:
            _terminate(ex)
            raise
        if broken:
            lost.extend(in_flight.values())
            suspects.extend(s for chunk in lost for s in chunk)
            _terminate(ex)
        else:
            ex.shutdown(wait=True)


DIED = "the worker process died while diagnosing this run (killed, out of memory, or a crash)"


def run_dask(
    tasks: Sequence[RunSource],
    spec: WorkSpec,
    on_result: OnResult,
    *,
    scheduler: str | None = None,
) -> None:
    """On a Dask cluster: ``scheduler`` is its address (default: dask's own configuration).

    The spec (settings and rules) is scattered once to every worker; each task is a chunk of
    sources, read on the workers (the files must be on storage they can reach).
    """
    try:
        from dask.distributed import Client, as_completed
    except ImportError as exc:
        raise ConfigError(
            "--executor dask needs dask.distributed, which is not installed",
            hint="pip install 'nn-doctor[dask]'",
        ) from exc
    try:
        client = Client(scheduler) if scheduler else Client()
    except OSError as exc:
        raise ConfigError(
            f"cannot reach the Dask scheduler {scheduler or '(default)'}: {exc}",
            hint="check --scheduler (e.g. tcp://host:8786) and that the cluster is up",
        ) from exc
    futures: dict[Any, list[RunSource]] = {}
    try:
        threads = max(1, sum(client.nthreads().values()))
        spec_future = client.scatter(spec, broadcast=True, hash=False)
        for chunk in chunked(tasks, threads, cap=256):
            fut = client.submit(worker.process_chunk_with, spec_future, chunk, pure=False)
            futures[fut] = chunk
        for fut in as_completed(list(futures)):
            chunk = futures.pop(fut)
            try:
                results = fut.result()
            except Exception as exc:  # the task failed on the cluster (a worker died, …)
                why = f"dask task failed: {type(exc).__name__}: {exc}".splitlines()[0]
                results = [_crashed(s, why) for s in chunk]
            fut.release()
            for source, result in zip(chunk, results, strict=True):
                on_result(source, result)
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        client.close()
