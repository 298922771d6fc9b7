"""How the audit hands out work: shrinking chunks, and a forkserver started early."""

from __future__ import annotations

from pathlib import Path

import pytest

from nn_doctor.audit import cache as cache_mod
from nn_doctor.audit import executor
from nn_doctor.audit.worker import SourceResult
from nn_doctor.readers import RunSource


@pytest.mark.parametrize(("n", "workers"), [(0, 2), (1, 2), (7, 2), (100, 2), (1000, 2), (999, 3)])
def test_guided_chunks_cover_every_task_in_order_and_shrink(n: int, workers: int) -> None:
    tasks = list(range(n))
    chunks = executor.guided(tasks, workers)  # type: ignore[arg-type]
    assert [t for c in chunks for t in c] == tasks
    sizes = [len(c) for c in chunks]
    assert all(1 <= s <= executor.MAX_CHUNK for s in sizes)
    assert sizes == sorted(sizes, reverse=True)  # the big chunks first, single runs last
    if n >= 8 * workers:
        assert sizes[-1] == 1 and max(sizes) > 1


def test_cache_knows_whether_its_stamp_was_ever_stored(tmp_path: Path) -> None:
    store = cache_mod.AuditCache(tmp_path, "stamp-a")
    assert not store.knows_stamp()
    source = RunSource("csv", tmp_path / "run")
    result = SourceResult("csv", str(source.path), ["{}"], deps={"x": [1, 2]})
    store.put(source, result)
    store.flush()
    assert store.knows_stamp()
    assert not cache_mod.AuditCache(tmp_path, "stamp-b").knows_stamp()
    store.close()


def test_prestart_is_a_no_op_where_no_pool_follows(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(executor, "mp_context", lambda *a: calls.append(a))
    executor.prestart("serial", 4)
    executor.prestart("dask", 4)
    executor.prestart("auto", 1)
    assert calls == []
    executor.prestart("auto", 2)  # a broken context is left for the pool to report
    assert len(calls) == 1


def test_warm_workers_use_one_blas_thread_unless_told_otherwise() -> None:
    import os
    import subprocess
    import sys

    code = "import nn_doctor.audit._warm, os; print(os.environ['OPENBLAS_NUM_THREADS'])"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "1", out.stderr
    env["OPENBLAS_NUM_THREADS"] = "3"  # the user's own setting wins
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "3", out.stderr
