"""Ctrl-C: exit 130, workers stopped, and what was finished stays in the cache."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path
from typing import Any

import pytest

from nn_doctor.audit import audit


def _interrupt_after(monkeypatch: pytest.MonkeyPatch, n: int) -> Any:
    """Make the (serial) worker raise KeyboardInterrupt on its n-th source, as Ctrl-C would."""
    import nn_doctor.audit.worker as worker

    real = worker.diagnose_source
    calls = {"n": 0}

    def diagnose_source(spec: Any, source: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == n:
            raise KeyboardInterrupt
        return real(spec, source)

    monkeypatch.setattr(worker, "diagnose_source", diagnose_source)
    return real


def test_ctrl_c_exits_130_and_keeps_finished_runs_cached(
    cli, tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    import nn_doctor.audit.worker as worker

    real = _interrupt_after(monkeypatch, 3)
    code, out, err = cli("audit", str(tree), "--executor", "serial", "--no-progress")
    assert code == 130, err
    assert out == ""  # no partial report
    monkeypatch.setattr(worker, "diagnose_source", real)
    result = audit(tree, executor="serial")
    assert result.cache_hits == 2  # the two sources finished before Ctrl-C


def test_ctrl_c_in_the_pool_stops_the_workers(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nn_doctor.audit import executor
    from nn_doctor.audit.discovery import find_sources
    from nn_doctor.audit.worker import WorkSpec
    from nn_doctor.engine.load import load_rules
    from nn_doctor.settings import load_settings

    procs: list[Any] = []

    class Recording(concurrent.futures.ProcessPoolExecutor):
        def shutdown(self, *args: Any, **kwargs: Any) -> None:
            procs.extend((self._processes or {}).values())  # shutdown forgets them
            super().shutdown(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Recording)
    spec = WorkSpec(load_settings(), tuple(load_rules()), fingerprint=False)
    sources = find_sources([tree]).sources

    def on_result(source: Any, result: Any) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        executor.run_pool(sources, spec, on_result, jobs=2)
    for p in procs:
        p.join(timeout=10)
    assert procs and not any(p.is_alive() for p in procs)


def test_a_worker_killed_mid_audit_loses_no_run(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL one worker (as the OOM killer would): the runs in flight are retried, not lost."""
    import os
    import signal

    from nn_doctor.audit import executor
    from nn_doctor.audit.discovery import find_sources
    from nn_doctor.audit.worker import WorkSpec
    from nn_doctor.engine.load import load_rules
    from nn_doctor.settings import load_settings

    pools: list[Any] = []

    class Recording(concurrent.futures.ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            pools.append(self)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Recording)
    spec = WorkSpec(load_settings(), tuple(load_rules()), fingerprint=False)
    sources = find_sources([tree]).sources
    results: dict[str, Any] = {}

    def on_result(source: Any, result: Any) -> None:
        if not results:  # after the first result, kill a worker of the first pool
            pid = next(iter(pools[0]._processes))
            os.kill(pid, signal.SIGKILL)
        results[str(source.path)] = result

    executor.run_pool(sources, spec, on_result, jobs=2)
    assert len(pools) >= 2  # a fresh pool took over
    assert sorted(results) == sorted(str(s.path) for s in sources)
    assert not any(r.internal_errors for r in results.values())
