"""Follow one file's bytes: what was appended since the last poll, or all of it after a rotation.

:class:`ByteTail` is the format-neutral half of every tailer. It remembers how far the file has
been read (``read_pos``) and the bytes read but not yet usable (``pending``: a CSV or JSON line
without its newline, an event record whose end has not been written). Each :meth:`ByteTail.poll`
reads only the bytes past ``read_pos``, hands ``pending + new`` to the format tailer, and the
format tailer says with :meth:`ByteTail.commit` how much of it formed complete records; the rest
stays pending. So every byte of the file is read once, and a record is parsed once, when it is
complete.

Why the file is opened and closed on every poll instead of held open: a held handle keeps
reading a file that was renamed away (logrotate) or deleted, and on Windows it stops the writer
from replacing it. Identity comes from ``fstat`` on the handle just opened, so a rename between
``stat`` and ``open`` cannot mix two files up.

When is the content *not* a continuation of what was read (→ start over from byte 0, with a note)?

* **replaced**: the path now names another file (device/inode changed): rotation, or a writer
  that writes ``run.csv.tmp`` and renames it over ``run.csv``;
* **truncated**: the file is shorter than what was already read;
* **rewritten**: the first bytes or the last bytes before ``read_pos`` changed. Lightning's
  CSVLogger rewrites the whole file in place when a new metric key appears (same inode, and the
  new file is usually *longer*), which neither check above would notice. Two 64-byte reads per
  poll (only when size or mtime changed) catch it; a rewrite that keeps every byte already read
  is, correctly, still a continuation.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

#: Bytes compared at the start of the file and just before ``read_pos`` to detect a rewrite.
ANCHOR_BYTES = 64


@dataclass
class TailRead:
    """One poll's result: the bytes to parse, and whether they start the file afresh."""

    buf: bytes  # pending bytes from earlier polls + the new bytes
    reset: str | None = None  # "replaced" | "truncated" | "rewritten": buf starts at byte 0
    new_bytes: int = 0  # how many of buf's bytes were read from the file in this poll


class ByteTail:
    """Read what a growing file appends, poll by poll (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.identity: tuple[int, int] | None = None
        self.read_pos = 0  # bytes of the file consumed (including ``pending``)
        self.pending = b""  # consumed bytes that do not yet form a complete record
        self.bytes_read = 0  # every byte read from the file as new data (anchors not counted)
        self._seen: tuple[int, int] | None = None  # (size, mtime_ns) at the last poll
        self._head = b""
        self._tail = b""

    @property
    def offset(self) -> int:
        """Where the last complete record ends: the next poll parses from here."""
        return self.read_pos - len(self.pending)

    def exists(self) -> bool:
        """Whether the path names a regular file right now."""
        return self.path.is_file()

    def poll(self) -> TailRead | None:
        """Read the new bytes; ``None`` when the file is missing or nothing changed."""
        try:
            with open(self.path, "rb") as fh:
                return self._read(fh)
        except OSError:  # gone between two polls, or unreadable for now: try again next poll
            return None

    def _read(self, fh: BinaryIO) -> TailRead | None:
        st = os.fstat(fh.fileno())
        identity = (st.st_dev, st.st_ino)
        seen = (st.st_size, st.st_mtime_ns)
        reset: str | None = None
        if self.identity is not None and identity != self.identity:
            reset = "replaced"
        elif st.st_size < self.read_pos:
            reset = "truncated"
        elif seen != self._seen and self.read_pos and not self._anchors_hold(fh):
            reset = "rewritten"
        self.identity, self._seen = identity, seen
        if reset:
            self.read_pos, self.pending = 0, b""
            self._head = self._tail = b""
        elif st.st_size == self.read_pos:
            return None
        fh.seek(self.read_pos)
        new = fh.read(max(0, st.st_size - self.read_pos))
        self.bytes_read += len(new)
        self.read_pos += len(new)
        buf = self.pending + new if self.pending else new
        self.pending = b""
        if len(self._head) < ANCHOR_BYTES:
            self._head = (self._head + new)[:ANCHOR_BYTES]
        self._tail = (self._tail + new)[-ANCHOR_BYTES:]
        return TailRead(buf, reset, len(new))

    def commit(self, buf: bytes, used: int) -> None:
        """Keep ``buf[used:]`` (an incomplete record) for the next poll."""
        self.pending = buf[used:]

    def _anchors_hold(self, fh: BinaryIO) -> bool:
        """Whether the bytes already read are still there (see "rewritten" above)."""
        fh.seek(0)
        if fh.read(len(self._head)) != self._head:
            return False
        fh.seek(self.read_pos - len(self._tail))
        return fh.read(len(self._tail)) == self._tail
