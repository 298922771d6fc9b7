"""The CLI loads numpy with one BLAS thread for the commands that read logs, and leaves the
environment of its children as the user had it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("threadpoolctl")

_PROBE = """
import json, os, sys
if sys.argv[1:] == ["plain"]:
    import numpy
else:
    from nn_doctor.cli import _load_numpy_single_threaded
    _load_numpy_single_threaded(sys.argv[1:])
from threadpoolctl import threadpool_info
blas = [d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"]
left = {v: os.environ.get(v) for v in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")}
print(json.dumps({"blas": blas, "env": left, "numpy": "numpy" in sys.modules}))
"""
_VARS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")


def _probe(*args: str, **env: str) -> dict:
    full = {k: v for k, v in os.environ.items() if k not in _VARS}
    full.update(env)
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        env=full,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_data_commands_load_numpy_with_one_blas_thread_and_restore_the_env() -> None:
    got = _probe("diagnose", "run.csv")
    assert got["numpy"]
    assert got["blas"] and set(got["blas"]) == {1}
    assert got["env"] == dict.fromkeys(_VARS)  # children see the user's environment


def test_an_exported_thread_count_wins_and_stays() -> None:
    got = _probe("audit", "runs/", OPENBLAS_NUM_THREADS="2")
    assert got["blas"] == _probe("plain", OPENBLAS_NUM_THREADS="2")["blas"]
    assert got["env"]["OPENBLAS_NUM_THREADS"] == "2"
    assert got["env"]["OMP_NUM_THREADS"] is None


def test_help_and_other_commands_do_not_load_numpy() -> None:
    assert not _probe("diagnose", "--help")["numpy"]
    assert not _probe("formats")["numpy"]
