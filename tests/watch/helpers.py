"""Helpers for the watch tests: a log written while the test runs, and a watch subprocess.

No test sleeps and hopes: the writer and the test wait on events (a line seen on the watcher's
stderr, a file the ``--on-error`` hook creates, the watcher's exit), each with a generous
timeout, so the tests hold on a loaded two-core machine and still finish in seconds.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

#: Upper bound for anything a test waits on; hitting it means the test failed, not "slow".
TIMEOUT = 60.0


def diverging(n: int = 100, until: int = 6000) -> Iterator[tuple[int, float]]:
    """(step, loss): falls for ``n`` steps, then climbs exponentially (an lr_too_high run)."""
    for i in range(until):
        if i < n:
            yield i, 2.3 * math.exp(-i / 30) + 0.1
        else:
            yield i, min(0.15 * math.exp((i - n) / 20), 1e30)


def healthy(n: int = 200) -> Iterator[tuple[int, float]]:
    """(step, loss): a loss that decays smoothly to a floor."""
    for i in range(n):
        yield i, 2.3 * math.exp(-i / 40) + 0.05


def csv_lines(points: Iterable[tuple[int, float]]) -> Iterator[str]:
    """A CSV log: the header, then ``step,loss`` rows."""
    yield "step,loss\n"
    for step, loss in points:
        yield f"{step},{loss!r}\n"


def jsonl_lines(points: Iterable[tuple[int, float]]) -> Iterator[str]:
    """A JSON-lines log: one ``{"step", "loss"}`` object per line."""
    for step, loss in points:
        yield json.dumps({"step": step, "loss": loss}) + "\n"


class Writer(threading.Thread):
    """Append lines to a log while the test runs, as a training loop does.

    Stops early when ``stop()`` turns true (the watch's ``--on-error`` stopped the run, or the
    watcher exited) and records when each step was written.
    """

    def __init__(
        self,
        path: Path,
        lines: Iterable[str],
        *,
        delay: float = 0.005,
        start_when: threading.Event | None = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.lines = lines
        self.delay = delay
        self.start_when = start_when
        self.stop = stop
        self.written = 0
        self.times: list[float] = []
        self.finished = threading.Event()

    def run(self) -> None:
        try:
            if self.start_when is not None:
                self.start_when.wait(TIMEOUT)
            with open(self.path, "a", encoding="utf-8") as fh:
                for line in self.lines:
                    if self.stop():
                        break
                    fh.write(line)
                    fh.flush()
                    self.written += 1
                    self.times.append(time.monotonic())
                    time.sleep(self.delay)
        finally:
            self.finished.set()


class WatchProcess:
    """``python -m nn_doctor watch …`` in a subprocess, its output collected line by line."""

    def __init__(self, *args: str, cwd: Path | None = None) -> None:
        env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
        env.pop("GITHUB_ACTIONS", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "nn_doctor", "watch", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
            env=env,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._changed = threading.Condition()
        self.exited_at: float | None = None
        self._readers = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for t in self._readers:
            t.start()

    def _pump(self, stream: Any, into: list[str]) -> None:
        for line in stream:
            with self._changed:
                into.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_stderr(self, text: str, timeout: float = TIMEOUT) -> bool:
        """Block until ``text`` appears on stderr (False on timeout or exit without it)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                if any(text in line for line in self.err):
                    return True
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._readers[1].is_alive()):
                    return False
                self._changed.wait(min(left, 0.2))

    def running(self) -> bool:
        return self.proc.poll() is None

    def finish(self, timeout: float = TIMEOUT) -> int:
        """Wait for the exit code (kill and fail on timeout)."""
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"watch did not exit within {timeout} s:\n{self.stderr}") from None
        if self.exited_at is None:
            self.exited_at = time.monotonic()
        for t in self._readers:
            t.join(10)
        return code

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def watch_exit(self) -> threading.Thread:
        """A thread that notes when the process exits (the writer stops then)."""

        def note() -> None:
            self.proc.wait()
            self.exited_at = time.monotonic()

        t = threading.Thread(target=note, daemon=True)
        t.start()
        return t
