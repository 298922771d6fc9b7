"""The watch loop: poll the log, re-diagnose what is new, alert once per cause, decide the exit.

One loop, one period (``--interval``): each turn polls the tailer (cheap when nothing changed: a
``stat``), and when complete records arrived since the last diagnosis, rebuilds the frame from
the records held in memory and runs every rule on it. Rebuilding the frame and the rules from the
accumulated records, rather than updating rule state record by record, keeps every rule exactly
as ``diagnose`` runs it (a rule may look at the whole curve: a rebound is measured against the
minimum so far); what is incremental is the expensive part, reading and parsing the log.

What alerts, and why so little:

* only causes at or above ``--fail-on`` (the same gate as ``diagnose``; preview rules never
  gate), so a warning-level hunch on a partial run does not stop a training job;
* never :data:`NOT_WHILE_RUNNING` causes: "insufficient training" says a run *ended* too early,
  which every run in progress looks like;
* rules see only what has been logged so far, so a cause fires when its evidence is in the log,
  not before; each cause alerts once, at the evaluation where it first fires (its onset step is
  where the rule places the start of the problem).

Exit codes (DECISIONS.md §5): 1 once a cause at the gate fires (right away, after ``--on-error``
ran, unless ``--no-exit-on-error``; then at the end), 2 when the log never appears within
``--wait`` or never holds a usable loss, 0 when the writer goes quiet for ``--idle`` seconds with
nothing at the gate. Ctrl-C leaves through the CLI's handler (130).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from nn_doctor.errors import NnDoctorError
from nn_doctor.exit_codes import ExitCode
from nn_doctor.watch.source import NotYet, Tailer, find

if TYPE_CHECKING:
    from nn_doctor.engine.diagnosis import Diagnosis, Finding
    from nn_doctor.engine.model import Rule

#: Causes that describe a finished run: every run still in progress looks like them.
NOT_WHILE_RUNNING = frozenset({"insufficient_training"})


@dataclass
class WatchOptions:
    """The knobs of one watch (the CLI's flags)."""

    interval: float = 2.0
    wait: float = 60.0
    idle: float = 300.0
    fail_on: str = "error"
    exit_on_error: bool = True
    on_error: str | None = None
    output: str = "text"  # "text" | "json"
    input_format: str | None = None
    lang: str | None = None
    report_at: float | None = None


class Watcher:
    """Follow one run until a cause at the gate fires, the writer goes quiet, or Ctrl-C."""

    def __init__(
        self,
        path: Path,
        options: WatchOptions,
        *,
        rules: list[Rule],
        aliases: Mapping[str, list[str]] | None = None,
        config_overrides: Mapping[str, Any] | None = None,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = path
        self.opt = options
        self.rules = rules
        self.aliases = aliases
        self.config_overrides = config_overrides
        self.out = stdout or sys.stdout
        self.err = stderr or sys.stderr
        self.clock = clock
        self.sleep = sleep
        self.maturity = {r.id: r.maturity for r in rules}
        self.tailer: Tailer | None = None
        self.alerted: dict[str, Finding] = {}
        self.hook_ran = False
        self.evaluations = 0
        self.last: Diagnosis | None = None
        self.build_error: str | None = None
        self._said: set[str] = set()

    # -- output ----------------------------------------------------------------------------

    def status(self, line: str, *, once: str | None = None) -> None:
        """A progress line on stderr (``once``: a key that prints it only the first time)."""
        if once is not None:
            if once in self._said:
                return
            self._said.add(once)
        print(f"watch: {line}", file=self.err, flush=True)

    # -- the loop --------------------------------------------------------------------------

    def run(self) -> int:
        """Watch until an exit condition; returns the exit code (Ctrl-C propagates: 130)."""
        try:
            return self._run()
        except KeyboardInterrupt:
            self.status("interrupted")
            raise

    def _run(self) -> int:
        start = self.clock()
        tailer = self._appear(start)
        if isinstance(tailer, int):
            return tailer
        self.tailer = tailer
        self.status(
            f"following {tailer.path} ({tailer.format}); alerts at --fail-on {self.opt.fail_on}; "
            f"re-diagnosing every {self.opt.interval:g} s while it grows, done after "
            f"{self.opt.idle:g} s without growth"
        )
        last_growth = self.clock()
        last_start: float | None = None  # when the last diagnosis started …
        last_end = 0.0  # … and ended
        dirty = False
        while True:
            progress = tailer.poll()
            now = self.clock()
            for note in progress.notes:
                self.status(note)
            if progress.grew:
                last_growth = now
            if progress.records or progress.reset:
                dirty = True
            # At most every --interval, and never busier than half the time: on a log of
            # millions of steps one diagnosis takes seconds, and watch must not take a core
            # away from the training it watches.
            if dirty and (
                last_start is None
                or (
                    now - last_start >= self.opt.interval * 0.999
                    and now - last_end >= last_end - last_start
                )
            ):
                dirty = False
                last_start = now
                code = self._evaluate()
                last_end = self.clock()
                if code is not None:
                    return code
            if now - last_growth >= self.opt.idle:
                if dirty:
                    code = self._evaluate()
                    if code is not None:
                        return code
                return self._finish(now - last_growth)
            wake = min(now + self.opt.interval, last_growth + self.opt.idle)
            self.sleep(max(0.0, wake - self.clock()))

    def _appear(self, start: float) -> Tailer | int:
        """Wait for PATH to hold a recognizable log; an exit code when it never does."""
        not_yet_since: float | None = None
        last_stamp: tuple[int, int] | None = None
        while True:
            found = find(self.path, self.opt.input_format)
            now = self.clock()
            if found is not None and not isinstance(found, NotYet):
                return found
            if found is None:
                if now - start >= self.opt.wait:
                    self.status(f"{self.path} did not appear within --wait {self.opt.wait:g} s")
                    return int(ExitCode.CANNOT_RUN)
                self.status(
                    f"waiting for {self.path} to appear (up to {self.opt.wait:g} s)", once="wait"
                )
                deadline = start + self.opt.wait
            else:
                # There, but not recognizable yet (an empty file a logger just created): it is
                # a log being written until it stops growing.
                if found.stamp != last_stamp or not_yet_since is None:
                    last_stamp, not_yet_since = found.stamp, now
                self.status(f"{self.path} is there but {found.why}; waiting", once="notyet")
                if now - not_yet_since >= self.opt.idle:
                    self.status(
                        f"{self.path}: {found.why}, and it has not grown for {self.opt.idle:g} s"
                    )
                    return int(ExitCode.CANNOT_RUN)
                deadline = not_yet_since + self.opt.idle
            self.sleep(max(0.0, min(self.opt.interval, deadline - self.clock())))

    # -- diagnosis and alerts --------------------------------------------------------------

    def _evaluate(self) -> int | None:
        """Diagnose the run as read so far; alert on new causes at the gate."""
        from nn_doctor.engine.diagnosis import diagnose_frame
        from nn_doctor.frame import build_frame
        from nn_doctor.report.gate import gate

        assert self.tailer is not None
        try:
            raw = self.tailer.raw()
        except NnDoctorError as exc:  # e.g. a half-written first record of a rewritten file
            self.build_error = exc.message
            self.status(f"cannot read the run yet: {exc.message}", once=f"build:{exc.message}")
            return None
        self.build_error = None
        frame = build_frame(raw, user_aliases=self.aliases, config_overrides=self.config_overrides)
        diag = diagnose_frame(
            frame, rules=self.rules, lang=self.opt.lang, report_at=self.opt.report_at
        )
        self.evaluations += 1
        self.last = diag
        if diag.error:
            self.status(f"{diag.error['message']} yet; waiting for more", once="noloss")
            return None
        self.status(f"reading {frame.run}: {_steps(diag)}; diagnosing as it grows", once="loss")
        gated = {cid for _, cid in gate([diag.to_dict()], self.opt.fail_on, [], self.maturity)}
        new = [
            f
            for f in diag.findings
            if f.id in gated and f.id not in NOT_WHILE_RUNNING and f.id not in self.alerted
        ]
        if not new:
            return None
        for f in new:
            self.alerted[f.id] = f
            self._alert(f, diag)
        if self.opt.on_error and not self.hook_ran:
            self.hook_ran = True
            self._run_hook(new[0], diag)
        if self.opt.exit_on_error:
            ids = ", ".join(f.id for f in new)
            self.status(f"stopping: {ids} at or above '{self.opt.fail_on}' (exit 1)")
            return int(ExitCode.FINDINGS)
        return None

    def _alert(self, f: Finding, diag: Diagnosis) -> None:
        last = diag.steps.get("last")
        if self.opt.output == "json":
            from nn_doctor.report.document import json_safe

            record = json_safe(alert_record(f, diag))
            self.out.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")
        else:
            onset = "unknown" if f.onset_step is None else f"step {f.onset_step}"
            lines = [
                f"ALERT {f.id} ({f.severity}): {f.title}",
                f"  run: {diag.run} · onset at {onset} · seen at step {last}",
            ]
            lines += [f"  evidence: {e['says']}" for e in f.evidence]
            if f.remedies:
                lines.append(f"  remedy: {f.remedies[0]['do']}")
            lines.append(f"  more: nn-doctor rules explain {f.id}")
            self.out.write("\n".join(lines) + "\n\n")
        self.out.flush()

    def _run_hook(self, f: Finding, diag: Diagnosis) -> None:
        """Run ``--on-error`` through the shell once, with the cause in its environment.

        Its output goes to stderr (stdout carries only alerts, so ``--format json`` stays one
        JSON object per line); it runs to completion before watch goes on or exits, so a
        pipeline can rely on the run being stopped when watch returns.
        """
        assert self.opt.on_error is not None
        last = diag.steps.get("last")
        step = f.onset_step if f.onset_step is not None else last
        env = {
            **os.environ,
            "NN_DOCTOR_CAUSE": f.id,
            "NN_DOCTOR_STEP": "" if step is None else str(step),
            "NN_DOCTOR_RUN": diag.run,
            "NN_DOCTOR_SEVERITY": f.severity,
            "NN_DOCTOR_TITLE": f.title,
            "NN_DOCTOR_PATH": diag.path,
            "NN_DOCTOR_LAST_STEP": "" if last is None else str(last),
        }
        self.status(f"running --on-error for {f.id}: {self.opt.on_error}")
        try:
            out: Any = self.err.fileno()
        except (AttributeError, OSError, ValueError):  # not a real stream (tests): discard
            out = subprocess.DEVNULL
        self.err.flush()
        self.out.flush()
        # shell=True on purpose: --on-error is a command line the user wrote for their shell.
        proc = subprocess.run(
            self.opt.on_error,
            shell=True,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            check=False,
        )
        if proc.returncode:
            self.status(f"--on-error exited with status {proc.returncode}")

    def _finish(self, quiet_for: float) -> int:
        """The writer went quiet: the exit code for the whole watch."""
        why = f"no growth for {quiet_for:.0f} s (--idle {self.opt.idle:g}): the writer looks done"
        diag = self.last
        if self.alerted:
            ids = ", ".join(self.alerted)
            self.status(f"{why}; {ids} fired at or above '{self.opt.fail_on}' (exit 1)")
            return int(ExitCode.FINDINGS)
        if diag is None or diag.error:
            what = (
                diag.error["message"]
                if diag is not None and diag.error
                else self.build_error or f"no complete record in {self.path}"
            )
            self.status(f"{why}; {what} (exit 2)")
            return int(ExitCode.CANNOT_RUN)
        self.status(f"{why}; {_steps(diag)}; nothing at or above '{self.opt.fail_on}' (exit 0)")
        return int(ExitCode.OK)


def _steps(diag: Diagnosis) -> str:
    s = diag.steps
    if s.get("first") is None:
        return "no step yet"
    return f"steps {s['first']}..{s['last']} ({s['count']} logged)"


def alert_record(f: Finding, diag: Diagnosis) -> dict[str, Any]:
    """One ``--format json`` alert line: the finding's fields plus where and when it was seen."""
    from nn_doctor import __version__

    return {
        "event": "alert",
        "id": f.id,
        "title": f.title,
        "severity": f.severity,
        "category": f.category,
        "score": f.score,
        "onset_step": f.onset_step,
        "seen_at_step": diag.steps.get("last"),
        "run": diag.run,
        "path": diag.path,
        "format": diag.format,
        "evidence": f.evidence,
        "remedy": f.remedies[0] if f.remedies else None,
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "tool": {"name": "nn-doctor", "version": __version__},
    }
