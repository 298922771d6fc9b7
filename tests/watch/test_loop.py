"""The watch loop in-process, on a simulated clock: when it diagnoses, what it alerts, how it ends."""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from nn_doctor.api import diagnose
from nn_doctor.engine.load import load_rules
from nn_doctor.watch import NOT_WHILE_RUNNING, Watcher, WatchOptions


@pytest.fixture(scope="module")
def rules():  # type: ignore[no-untyped-def]
    return load_rules()


class SimClock:
    """Time that passes only when the loop sleeps; ``on_sleep`` plays the writer meanwhile."""

    def __init__(self, on_sleep: Callable[[int], None] = lambda _n: None) -> None:
        self.now = 1000.0
        self.sleeps = 0
        self.on_sleep = on_sleep

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        self.sleeps += 1
        self.on_sleep(self.sleeps)


def run(path: Path, rules, sim: SimClock, **opts) -> tuple[int, Watcher, str, str]:  # type: ignore[no-untyped-def]
    out, err = io.StringIO(), io.StringIO()
    watcher = Watcher(
        path,
        WatchOptions(**opts),
        rules=rules,
        stdout=out,
        stderr=err,
        clock=sim.clock,
        sleep=sim.sleep,
    )
    code = watcher.run()
    return code, watcher, out.getvalue(), err.getvalue()


def loss(i: int) -> float:
    return 2.3 * math.exp(-i / 40) + 0.05


def test_diagnoses_only_when_records_arrived_and_ends_after_idle(tmp_path: Path, rules) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "run.csv"
    log.write_text("step,loss\n" + "".join(f"{i},{loss(i)!r}\n" for i in range(20)))

    def write(n: int) -> None:  # ten rows per poll for the first eight polls, then nothing
        if n <= 8:
            with open(log, "a") as fh:
                fh.writelines(f"{i},{loss(i)!r}\n" for i in range(10 + n * 10, 20 + n * 10))

    sim = SimClock(write)
    code, watcher, out, err = run(log, rules, sim, interval=2.0, idle=10.0)
    assert code == 0, err
    assert out == ""
    assert watcher.evaluations == 9  # the first read + one per poll that brought rows
    assert watcher.last is not None and watcher.last.steps["last"] == 99
    assert sim.now - 1000.0 >= 8 * 2.0 + 10.0  # quiet for --idle after the last growth
    assert "(exit 0)" in err


def test_a_finished_looking_cause_never_alerts_while_running(tmp_path: Path, rules) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "run.csv"
    log.write_text("step,loss\n" + "".join(f"{i},{loss(i)!r}\n" for i in range(20)))
    (full,) = diagnose(log)
    assert "insufficient_training" in {f.id for f in full.findings}  # diagnose says so …
    _, watcher, out, _ = run(
        log, rules, SimClock(), interval=1.0, idle=3.0, fail_on="info", exit_on_error=False
    )
    assert "insufficient_training" in NOT_WHILE_RUNNING
    assert "insufficient_training" not in out  # … watch does not, for a run in progress
    assert "insufficient_training" not in watcher.alerted


def test_never_gates_nothing(tmp_path: Path, rules) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "run.csv"
    rows = [
        2.3 * math.exp(-i / 30) + 0.1 if i < 100 else 0.15 * math.exp((i - 100) / 20)
        for i in range(200)
    ]
    log.write_text("step,loss\n" + "".join(f"{i},{v!r}\n" for i, v in enumerate(rows)))
    code, _, out, _ = run(log, rules, SimClock(), interval=1.0, idle=3.0, fail_on="never")
    assert (code, out) == (0, "")
    code, _, out, err = run(log, rules, SimClock(), interval=1.0, idle=3.0)
    assert code == 1 and "ALERT lr_too_high" in out
    assert "stopping: lr_too_high" in err


def test_a_log_without_any_loss_ends_with_2(tmp_path: Path, rules) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "run.csv"
    log.write_text("step,lr\n" + "".join(f"{i},0.1\n" for i in range(20)))
    code, _, out, err = run(log, rules, SimClock(), interval=1.0, idle=3.0)
    assert code == 2 and out == ""
    assert "no usable loss" in err


def test_an_empty_file_that_never_grows_ends_with_2_after_idle(tmp_path: Path, rules) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "training.log"
    log.write_text("")  # Keras creates the file before the first epoch ends
    sim = SimClock()
    code, _, _, err = run(log, rules, sim, interval=1.0, idle=5.0, wait=1.0)
    assert code == 2
    assert "is there but" in err and "has not grown for 5 s" in err
    assert sim.now - 1000.0 >= 5.0  # --idle, not --wait, applies to a file that exists


def test_json_alerts_stay_strict_json_when_the_loss_turns_nan(tmp_path: Path, rules) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "run.csv"
    rows = [f"{i},{2.3 * math.exp(-i / 30) + 0.1!r},{1.0 + i / 100!r}" for i in range(80)]
    rows += [f"{i},nan,{1e6!r}" for i in range(80, 100)]
    log.write_text("step,loss,grad_norm\n" + "\n".join(rows) + "\n")
    code, _, out, _ = run(log, rules, SimClock(), interval=1.0, idle=3.0, output="json")
    assert code == 1
    lines = out.splitlines()
    assert lines
    for line in lines:
        alert = json.loads(line, parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))
        assert alert["event"] == "alert" and alert["severity"] == "error"


def test_a_rotated_log_is_followed_into_the_new_file(tmp_path: Path, rules) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "run.csv"
    log.write_text("step,loss\n" + "".join(f"{i},{loss(i)!r}\n" for i in range(150)))

    def rotate(n: int) -> None:  # the job restarts with a new log at the same path
        if n == 2:
            fresh = tmp_path / "run.csv.tmp"
            rows = [
                2.3 * math.exp(-i / 30) + 0.1 if i < 100 else 0.15 * math.exp((i - 100) / 20)
                for i in range(200)
            ]
            fresh.write_text("step,loss\n" + "".join(f"{i},{v!r}\n" for i, v in enumerate(rows)))
            os.replace(fresh, log)

    code, watcher, out, err = run(log, rules, SimClock(rotate), interval=1.0, idle=5.0)
    assert code == 1, err
    assert "was replaced by a new file" in err
    assert "ALERT lr_too_high" in out
    assert watcher.last is not None and watcher.last.steps["last"] == 199
