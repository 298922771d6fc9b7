"""The audit itself: discover, serve what the cache still knows, diagnose the rest, summarize."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nn_doctor.audit.rows import Row, sort_key, to_row

if TYPE_CHECKING:
    from nn_doctor.audit.worker import SourceResult
    from nn_doctor.engine.model import Rule
    from nn_doctor.readers import RunSource
    from nn_doctor.settings import Settings

#: ``progress(done, total)`` is called in the parent as each run source is finished.
Progress = Callable[[int, int], None]


@dataclass
class AuditResult:
    """Every run found, diagnosed or not, with its summary row; sorted by severity, score."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    missing_roots: list[str] = field(default_factory=list)
    sources: int = 0
    filtered_out: int = 0
    cache_hits: int = 0
    cache_warning: str | None = None
    internal_errors: int = 0
    executor: str = "serial"
    seconds: float = 0.0
    maturity: dict[str, str] = field(default_factory=dict)

    @property
    def broken(self) -> list[Row]:
        """Runs that could not be diagnosed (unreadable, no usable loss, a bug)."""
        return [r for r in self.rows if r.status == "broken"]


def _settings_facts(settings: Settings, lang: str | None, input_format: str | None) -> Any:
    return {
        "aliases": settings.aliases,
        "config_overrides": settings.config_overrides,
        "report_at": settings.report_at,
        "lang": lang,
        "input_format": input_format,
    }


def run_audit(
    roots: Sequence[Path],
    *,
    settings: Settings | None = None,
    rules: Sequence[Rule] | None = None,
    lang: str | None = None,
    input_format: str | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    executor: str = "auto",
    jobs: int = 0,
    scheduler: str | None = None,
    use_cache: bool = True,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> AuditResult:
    """Audit every run under ``roots``; one broken run never stops the others.

    :param roots: folders (or log files) to search for runs, recursively.
    :param include: globs a run's path (relative to its root) must match, if any are given.
    :param exclude: globs that drop a run (see :func:`nn_doctor.audit.discovery.matches`).
    :param executor: ``auto`` (a process pool when it pays), ``serial``, ``process`` or ``dask``.
    :param jobs: worker processes for the pool (0: the CPUs this process may use).
    :param scheduler: the Dask scheduler address for ``executor="dask"``.
    :param use_cache: reuse results for runs whose files did not change (see ``audit.cache``).
    """
    from nn_doctor.audit import cache as cache_mod
    from nn_doctor.audit import executor as executors
    from nn_doctor.audit.discovery import find_sources
    from nn_doctor.audit.worker import WorkSpec
    from nn_doctor.engine.load import load_rules
    from nn_doctor.report.document import error_run
    from nn_doctor.settings import load_settings

    t0 = time.perf_counter()
    settings = settings or load_settings()
    if rules is None:
        rules = load_rules(
            settings.rule_paths,
            overrides=settings.rule_overrides,
            select=settings.select,
            ignore=settings.ignore,
        )
    lang = lang or settings.lang
    stamp = cache_mod.stamp(rules, _settings_facts(settings, lang, input_format))
    store = cache_mod.AuditCache(cache_dir or cache_mod.default_dir(), stamp) if use_cache else None
    if store is None or not store.knows_stamp():
        # Nothing cached for these rules and settings: the runs will need workers. Start the
        # forkserver's imports now, alongside the walk of the tree.
        executors.prestart(executor, jobs)
    found = find_sources(roots, include=include, exclude=exclude, input_format=input_format)
    out = AuditResult(
        sources=len(found.sources),
        filtered_out=found.filtered_out,
        maturity={r.id: r.maturity for r in rules},
    )
    spec = WorkSpec(
        settings=settings,
        rules=tuple(rules),
        lang=lang,
        key=stamp,
        fingerprint=bool(store and store.enabled),
    )
    results: dict[int, SourceResult] = {}
    index = {id(s): i for i, s in enumerate(found.sources)}
    done = 0

    def on_result(source: RunSource, result: SourceResult) -> None:
        nonlocal done
        results[index[id(source)]] = result
        if store is not None:
            store.put(source, result)
        done += 1
        if progress is not None:
            progress(done, len(found.sources))

    try:
        tasks = []
        hits = []
        for source in found.sources:
            hit = store.get(source) if store is not None else None
            if hit is None:
                tasks.append(source)
            else:
                hits.append(source)
                on_result(source, hit)
        if store is not None:
            store.touch(hits)
        out.executor = executors.run(
            tasks, spec, on_result, executor=executor, jobs=jobs, scheduler=scheduler
        )
    finally:
        if store is not None:
            out.cache_hits = store.hits
            store.close()
            out.cache_warning = store.warning

    runs: list[tuple[Row, dict[str, Any]]] = []
    for root, message, hint in found.root_errors:
        out.missing_roots.append(root)
        run = error_run(root, message, hint)
        runs.append((to_row(run), run))
    for i in range(len(found.sources)):
        result = results[i]
        out.internal_errors += result.internal_errors
        for text in result.runs:
            run = json.loads(text)
            runs.append((to_row(run, cached=result.cached), run))
    runs.sort(key=lambda pair: sort_key(pair[0]))
    out.rows = [row for row, _ in runs]
    out.runs = [run for _, run in runs]
    out.seconds = time.perf_counter() - t0
    return out
