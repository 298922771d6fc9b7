"""``nn-doctor watch`` end to end: a subprocess follows a log that a thread writes meanwhile."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tests.watch.helpers import (
    TIMEOUT,
    WatchProcess,
    Writer,
    csv_lines,
    diverging,
    healthy,
    jsonl_lines,
)

FAST = ("--interval", "0.2")


def _stopped_hook(tmp_path: Path) -> tuple[str, Path, Path]:
    """An --on-error command that records its environment and "stops the run" (a flag file)."""
    flag = tmp_path / "stopped"
    env_file = tmp_path / "hook-env.json"
    script = tmp_path / "hook.py"
    script.write_text(
        "import json, os, pathlib\n"
        f"env = {{k: v for k, v in os.environ.items() if k.startswith('NN_DOCTOR_')}}\n"
        f"pathlib.Path({str(env_file)!r}).write_text(json.dumps(env))\n"
        f"pathlib.Path({str(flag)!r}).touch()\n"
    )
    return f'"{sys.executable}" "{script}"', flag, env_file


def test_divergence_alerts_runs_on_error_and_exits_1_before_the_run_ends(tmp_path: Path) -> None:
    log = tmp_path / "run.csv"
    hook, flag, env_file = _stopped_hook(tmp_path)
    watch = WatchProcess(str(log), *FAST, "--idle", "30", "--on-error", hook)
    watch.watch_exit()
    writer = Writer(
        log,
        csv_lines(diverging(n=100, until=6000)),
        delay=0.005,
        stop=lambda: flag.exists() or watch.exited_at is not None,
    )
    writer.start()
    code = watch.finish()
    writer.finished.wait(TIMEOUT)

    assert code == 1, watch.stderr
    assert "ALERT lr_too_high (error)" in watch.stdout
    assert "remedy:" in watch.stdout and "evidence:" in watch.stdout
    assert flag.exists()  # --on-error ran …
    env = json.loads(env_file.read_text())
    assert env["NN_DOCTOR_CAUSE"] == "lr_too_high"
    assert env["NN_DOCTOR_RUN"] == str(log)
    onset = int(env["NN_DOCTOR_STEP"])
    assert 100 <= onset <= 300  # the climb starts at step 100
    # … and stopped the run early: the writer never got near the end of its 6000 steps.
    assert writer.written < 6000
    # Shortly after the onset: from the moment the onset row was written to watch's exit.
    assert watch.exited_at is not None
    assert watch.exited_at - writer.times[onset + 1] < 20
    assert "stopping: lr_too_high" in watch.stderr
    assert "ALERT" not in watch.stderr  # alerts are the payload: stdout only


def test_healthy_log_that_stops_growing_exits_0_after_idle(tmp_path: Path) -> None:
    log = tmp_path / "run.csv"
    writer = Writer(log, csv_lines(healthy(200)), delay=0.002)
    writer.start()
    started = time.monotonic()
    watch = WatchProcess(str(log), *FAST, "--idle", "1.5")
    code = watch.finish()
    assert code == 0, watch.stdout + watch.stderr
    assert watch.stdout == ""  # no alert, not even insufficient_training on the partial run
    assert "looks done" in watch.stderr and "(exit 0)" in watch.stderr
    assert writer.finished.is_set()
    assert time.monotonic() - started >= 1.5


def test_a_log_that_appears_later_is_watched(tmp_path: Path) -> None:
    log = tmp_path / "later" / "run.csv"
    hook, flag, _ = _stopped_hook(tmp_path)
    watch = WatchProcess(str(log), *FAST, "--wait", "30", "--idle", "30", "--on-error", hook)
    assert watch.wait_stderr("waiting for"), watch.stderr
    log.parent.mkdir()
    writer = Writer(log, csv_lines(diverging(until=3000)), stop=flag.exists)
    writer.start()
    assert watch.finish() == 1, watch.stderr
    assert "following" in watch.stderr
    assert "ALERT lr_too_high" in watch.stdout


def test_a_log_that_never_appears_exits_2_within_wait(tmp_path: Path) -> None:
    started = time.monotonic()
    watch = WatchProcess(str(tmp_path / "never.csv"), *FAST, "--wait", "1")
    assert watch.finish() == 2
    assert "did not appear within --wait 1 s" in watch.stderr
    assert time.monotonic() - started < TIMEOUT / 2  # startup + 1 s, with room for a slow box


def test_jsonl_with_json_alerts_one_object_per_line(tmp_path: Path) -> None:
    log = tmp_path / "metrics.jsonl"
    watch = WatchProcess(str(log), *FAST, "--idle", "30", "--format", "json")
    watch.watch_exit()
    writer = Writer(
        log, jsonl_lines(diverging(until=6000)), stop=lambda: watch.exited_at is not None
    )
    writer.start()
    assert watch.finish() == 1, watch.stderr
    alerts = [json.loads(line) for line in watch.stdout.splitlines()]
    assert alerts and all(a["event"] == "alert" for a in alerts)
    assert "lr_too_high" in {a["id"] for a in alerts}
    first = alerts[0]
    assert first["severity"] == "error" and first["format"] == "jsonl"
    assert first["onset_step"] is not None and first["seen_at_step"] >= first["onset_step"]
    assert first["remedy"]["do"]


def test_tensorboard_folder_written_by_summary_writer(tmp_path: Path) -> None:
    tbx = pytest.importorskip("tensorboardX")
    logdir = tmp_path / "runs" / "exp1"
    watch = WatchProcess(str(logdir), *FAST, "--idle", "30", "--wait", "30")
    watch.watch_exit()
    done = threading.Event()

    def train() -> None:
        try:
            with tbx.SummaryWriter(str(logdir), flush_secs=1) as w:
                for step, loss in diverging(until=6000):
                    if watch.exited_at is not None:
                        break
                    w.add_scalar("loss", loss, step)
                    if step % 5 == 0:
                        w.flush()
                        time.sleep(0.02)
        finally:
            done.set()

    threading.Thread(target=train, daemon=True).start()
    assert watch.finish() == 1, watch.stderr
    done.wait(TIMEOUT)
    assert "(tensorboard)" in watch.stderr
    assert "ALERT lr_too_high" in watch.stdout


def test_no_exit_on_error_keeps_watching_alerts_once_and_exits_1_at_the_end(
    tmp_path: Path,
) -> None:
    log = tmp_path / "run.csv"
    writer = Writer(log, csv_lines(diverging(until=400)), delay=0.001)
    writer.start()
    watch = WatchProcess(str(log), *FAST, "--idle", "1.5", "--no-exit-on-error")
    assert watch.finish() == 1, watch.stderr
    assert watch.stdout.count("ALERT lr_too_high") == 1
    assert "fired at or above 'error' (exit 1)" in watch.stderr
    assert writer.finished.is_set()  # it watched to the end of the run


def test_ctrl_c_exits_130(tmp_path: Path) -> None:
    if os.name == "nt":
        pytest.skip("SIGINT to a child process is a POSIX test")
    watch = WatchProcess(str(tmp_path / "never.csv"), *FAST, "--wait", "60")
    assert watch.wait_stderr("waiting for"), watch.stderr
    watch.proc.send_signal(signal.SIGINT)
    assert watch.finish() == 130
    assert "interrupted" in watch.stderr


@pytest.mark.parametrize(
    "args", [("--interval", "0"), ("--idle", "-1"), ("--fail-on", "fatal"), ("--format", "xml")]
)
def test_bad_options_exit_2(tmp_path: Path, args: tuple[str, str]) -> None:
    from nn_doctor.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["watch", str(tmp_path / "x.csv"), *args])
    assert exc.value.code == 2


def test_watch_help_does_not_import_pandas_or_protobuf() -> None:
    code = (
        "import sys; from nn_doctor.cli import main\n"
        "try:\n    main(['watch', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('HEAVY=' + ','.join(m for m in ('pandas', 'google.protobuf') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY=\n" in out.stdout + "\n"
    assert "--on-error" in out.stdout
