"""``--executor dask``: the audit on a Dask cluster gives the same rows as a serial one.

Runs on a ``LocalCluster`` of threads in this process: it starts in about a second, where a
worker process would spend several seconds importing pandas. That the spec and the results
survive pickling is what the process-pool test checks. Skipped when dask.distributed is not
installed: ``pip install -e '.[test,dask]'`` to run it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

distributed = pytest.importorskip("dask.distributed", reason="dask[distributed] not installed")


def test_dask_executor_matches_serial(tree: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from nn_doctor.audit import audit

    serial = audit(tree, executor="serial", use_cache=False)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        on_dask = audit(tree, executor="dask", scheduler=cluster.scheduler_address, use_cache=False)
        assert on_dask.executor == "dask"
        assert [r.as_dict() for r in on_dask.rows] == [r.as_dict() for r in serial.rows]
        code, out, err = cli(
            "audit", str(tree), "--executor", "dask", "--scheduler", cluster.scheduler_address,
            "--no-cache", "--no-progress", "--fail-on", "error",
        )  # fmt: skip
        assert code == 1, err
        assert "lr_too_high" in out and "dask" in err


def test_unreachable_scheduler_is_exit_2(tree: Path, cli) -> None:  # type: ignore[no-untyped-def]
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code, _, err = cli(
            "audit", str(tree), "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9",
            "--no-cache", "--no-progress",
        )  # fmt: skip
    assert code == 2 and "Dask scheduler" in err
