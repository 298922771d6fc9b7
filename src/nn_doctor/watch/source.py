"""From ``watch PATH`` to a tailer: wait for the log, recognize its format, pick how to follow it.

PATH may not exist yet (the training job creates it when it logs for the first time), may exist
but hold too little to recognize (an empty file, half a first line), or may be a run folder whose
log file appears later. :func:`find` answers each poll with one of three things: nothing there
yet, something there that is not recognizable yet, or a tailer to follow it. Recognition is the
readers' own (``detect_file`` / ``discover``), with one addition: a text log is only sniffed once
its first line is complete, so a half-written ``{"step": 0, "lo`` is not mistaken for another
format by a sniffer that happens to accept the fragment.

How each format is followed:

* CSV family and JSON lines → :class:`~nn_doctor.watch.lines.LineTail` (incremental, by lines);
* TensorBoard → :class:`~nn_doctor.watch.events.EventTail` (incremental, by records);
* everything else → :class:`WholeTail`: formats that a writer rewrites as a whole (HF's
  ``trainer_state.json``, a Keras history JSON, exported TensorBoard tables), spread over many
  files (MLflow), or free text (console captures), plus long-format CSV tables. They are read
  again with the reader when their files change: correct, not incremental, and these logs are
  small.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from nn_doctor.errors import InputError
from nn_doctor.watch.lines import LineTail, Progress, profile

if TYPE_CHECKING:
    from nn_doctor.frame import RawRun


class Tailer(Protocol):
    """What the watch loop needs from a follower of one run."""

    path: Path
    format: str
    records_parsed: int

    def poll(self) -> Progress:
        """Read what was completed since the last poll."""
        ...

    def raw(self) -> RawRun:
        """The run as read so far."""
        ...


@dataclass
class NotYet:
    """PATH exists but holds nothing recognizable yet; ``stamp`` changes when it grows."""

    why: str
    stamp: tuple[int, int]


#: Files looked at when stamping a folder (enough for any run folder; bounded for a huge tree).
_MAX_STAMP_FILES = 5000


def stamp(path: Path) -> tuple[int, int]:
    """(total size, newest mtime) of a file or the files under a folder: changes when it grows."""
    try:
        if path.is_file():
            st = path.stat()
            return st.st_size, st.st_mtime_ns
        size, newest, n = 0, 0, 0
        for root, _dirs, files in os.walk(path):
            for name in files:
                try:
                    st = os.stat(os.path.join(root, name))
                except OSError:
                    continue
                size += st.st_size
                newest = max(newest, st.st_mtime_ns)
                n += 1
                if n >= _MAX_STAMP_FILES:
                    return size, newest
        return size, newest
    except OSError:
        return 0, 0


class WholeTail:
    """Follow a log by reading it again with its reader whenever its files change (see above)."""

    def __init__(self, reader: str, path: Path) -> None:
        self.reader = reader
        self.path = path
        from nn_doctor.readers import FORMATS

        self.format = FORMATS[reader]
        self.records_parsed = 0
        self._stamp: tuple[int, int] | None = None
        self._raw: RawRun | None = None
        self._n = 0
        self._failing: str | None = None

    def poll(self) -> Progress:
        from nn_doctor.errors import NnDoctorError
        from nn_doctor.readers import load

        now = stamp(self.path)
        if now == self._stamp:
            return Progress()
        self._stamp = now
        out = Progress(grew=True)
        try:
            raws = load(self.reader).read(self.path)
        except NnDoctorError as exc:  # caught mid-write: the next change may read fine
            if exc.message != self._failing:
                out.notes.append(f"cannot read {self.path.name} yet: {exc.message}")
            self._failing = exc.message
            return out
        self._failing = None
        if not raws:
            return out
        self._raw = raws[-1]  # several runs in one file: the latest is the one being written
        n = len(self._raw.records)
        out.records = n - self._n if n > self._n else (n if n != self._n else 0)
        out.reset = n < self._n
        self._n = n
        self.records_parsed += n
        return out

    def raw(self) -> RawRun:
        if self._raw is None:
            raise InputError(f"nothing read from {self.path} yet")
        return self._raw


def _line_complete(path: Path) -> bool:
    from nn_doctor.readers._tblayout import is_event_file_name

    if is_event_file_name(path.name):
        return True
    try:
        with open(path, "rb") as fh:
            return b"\n" in fh.read(65536)
    except OSError:
        return False


def _single(files: list[Path], folder: Path, fmt: str) -> Path:
    if len(files) == 1:
        return files[0]
    if not files:
        raise InputError(f"no {fmt} log in {folder}")
    names = ", ".join(f.name for f in files[:6])
    raise InputError(
        f"{folder} holds {len(files)} {fmt} logs ({names}); watch follows one log",
        hint="point watch at the log file being written",
    )


def tailer_for(reader: str, path: Path) -> Tailer:
    """The tailer that follows ``path`` (a log file or a run folder) read by ``reader``."""
    if reader == "tensorboard":
        from nn_doctor.watch.events import EventTail

        return EventTail(path)
    prof = profile(reader)
    if prof is None:
        return WholeTail(reader, path)
    from nn_doctor.readers import load

    module = load(reader)
    log = path
    if path.is_dir():
        log = _single(module.folder_files(path, frozenset(os.listdir(path))), path, module.NAME)
    if reader == "csv_table":
        from nn_doctor.readers._common import first_line
        from nn_doctor.readers._csvcore import header_fields
        from nn_doctor.readers.csv_table import _is_long

        if _is_long(header_fields(first_line(log))):
            return WholeTail(reader, log)  # metric,step,value rows: see the module docstring
    return LineTail(log, prof)


def find(path: Path, input_format: str | None = None) -> Tailer | NotYet | None:
    """What PATH holds right now: ``None`` (not there), :class:`NotYet`, or a tailer."""
    from nn_doctor.readers import by_format_name, detect_file, discover

    if not path.exists():
        return None
    forced = by_format_name(input_format) if input_format else None
    if path.is_file():
        if forced:
            return tailer_for(forced, path)
        if not _line_complete(path):
            return NotYet("its first line is not complete yet", stamp(path))
        reader = detect_file(path)
        if reader is None:
            return NotYet("not a training log nn-doctor recognizes (yet)", stamp(path))
        return tailer_for(reader, path)
    if not path.is_dir():
        raise InputError(f"not a regular file or folder: {path}")
    sources = discover(path, input_format=input_format)
    if not sources:
        return None  # a run folder whose log has not been written yet
    if len(sources) > 1:
        shown = ", ".join(str(s.path) for s in sources[:5])
        raise InputError(
            f"{path} holds {len(sources)} runs ({shown}{', …' if len(sources) > 5 else ''}); "
            "watch follows one run",
            hint="point watch at the run folder or log file being written",
        )
    return tailer_for(sources[0].reader, sources[0].path)
