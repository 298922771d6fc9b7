"""Tailer for TensorBoard event files: new complete records from the last good offset.

Each event file of the run gets a :class:`~nn_doctor.watch.tail.ByteTail`. A poll frames the new
bytes with the reader's framer (:func:`~nn_doctor.readers._tbfile.frame`, length and payload
CRCs checked) and decodes the complete records with the reader's decoders
(:func:`~nn_doctor.readers._tbfile.decode`: the general ``Event`` decoder, or the vectorized
scalar decoder for a large backlog). Where framing stops is the last good offset: a record whose
end is not written yet ("truncated") stays pending until it is; a corrupt length header ends what
can be read of that file (as in the reader), with a warning, until the file is replaced.

One :class:`~nn_doctor.readers._tbdecode.Decoder` serves the whole run, as in the reader: it
interns tag names and remembers each tag's plugin across files and polls (TF2 writes a tag's
plugin metadata with its first value only, and that value may have come polls ago).

A run folder is listed on every poll with the reader's own layout rules
(:func:`~nn_doctor.readers._tblayout.layout`), so event files a restarted writer adds, Keras'
``train/`` and ``validation/`` halves and ``add_hparams`` sessions are picked up as they appear.
:meth:`EventTail.raw` hands the decoded records of every file to
:func:`~nn_doctor.readers.tensorboard.assemble_run`, which applies the run-level rules
(restarts, duplicates, hparams, the axis) exactly as ``read()`` does, without reading a file again.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from nn_doctor.watch.lines import Progress, reset_note
from nn_doctor.watch.tail import ByteTail

if TYPE_CHECKING:
    from nn_doctor.frame import RawRun
    from nn_doctor.readers._tbdecode import Decoded, Decoder
    from nn_doctor.readers._tbfile import Columns, FileResult


class _EventFile:
    """One event file's tail, its decoded records (as column chunks) and what went wrong."""

    def __init__(self, path: Path, prefix: str) -> None:
        self.path = path
        self.prefix = prefix
        self.tail = ByteTail(path)
        self._fresh()

    def _fresh(self) -> None:
        from nn_doctor.readers._tbdecode import Decoded

        self.meta: Decoded = Decoded()  # everything but the rows (those are in ``chunks``)
        self.chunks: list[Columns] = []
        self.warnings: list[str] = []
        self.bad_payloads = 0
        self.unreadable: str | None = None
        self.stuck = False  # a corrupt length header: nothing after it can be located

    def poll(self, decoder: Decoder, out: Progress) -> None:
        from nn_doctor.readers import _tbfile

        got = self.tail.poll()
        if got is None:
            return
        out.grew = out.grew or got.new_bytes > 0 or got.reset is not None
        if got.reset:
            self._fresh()
            out.reset = True
            out.notes.append(reset_note(self.path, got.reset))
        buf = got.buf
        if self.stuck or not buf:
            self.tail.commit(buf, len(buf))
            return
        base = self.tail.read_pos - len(buf)  # file offset of buf[0]
        framing = _tbfile.frame(buf)
        used = len(buf) if framing.stop is None else framing.stop
        if framing.stop_reason not in (None, "truncated"):
            self.stuck = True
            used = len(buf)
            if base + (framing.stop or 0) == 0:
                self.unreadable = _tbfile.NO_HEADER
            else:
                self.warnings.append(
                    f"{self.path.name}: corrupt record header at byte {base + (framing.stop or 0)} "
                    "(length checksum mismatch); read the records before it, the rest of the "
                    "file cannot be located"
                )
                out.notes.append(self.warnings[-1])
        if len(framing):
            decoded, cols = _tbfile.decode(buf, framing, decoder, self.prefix)
            self._absorb(decoded)
            if len(cols):
                self.chunks.append(cols)
            out.records += decoded.n_events
        self.bad_payloads += len(framing.bad_payload)
        self.tail.commit(buf, used)

    def _absorb(self, d: Decoded) -> None:
        m = self.meta
        m.scalar_tags.update(d.scalar_tags)
        m.hparams.update(d.hparams)
        m.ignored.update(d.ignored)
        m.n_events += d.n_events
        m.undecodable += d.undecodable
        m.tf2_histograms += d.tf2_histograms

    def result(self) -> FileResult:
        """This file as the reader's per-file result (a new object: the restart rule edits it)."""
        import numpy as np

        from nn_doctor.readers._tbfile import COLUMN_FIELDS, Columns, FileResult

        if len(self.chunks) > 1:
            self.chunks = [
                Columns(
                    *(np.concatenate([getattr(c, f) for c in self.chunks]) for f in COLUMN_FIELDS)
                )
            ]
        cols = self.chunks[0] if self.chunks else Columns.of(self.meta)  # empty: no rows
        warnings = list(self.warnings)
        if self.bad_payloads:
            warnings.append(
                f"{self.path.name}: skipped {self.bad_payloads} record(s) with a bad payload checksum"
            )
        if self.meta.undecodable:
            warnings.append(
                f"{self.path.name}: skipped {self.meta.undecodable} record(s) that are not "
                "TensorBoard events"
            )
        return FileResult(self.path, self.prefix, self.meta, cols, warnings, self.unreadable)


class EventTail:
    """Follow a TensorBoard run: one event file, or a run folder (see the module docstring)."""

    format = "tensorboard"

    def __init__(self, path: Path) -> None:
        from nn_doctor.readers._tbdecode import Decoder

        self.path = path
        self.decoder = Decoder()
        self.files: dict[Path, _EventFile] = {}
        self.records_parsed = 0
        self._polled = False

    @property
    def bytes_read(self) -> int:
        """Bytes read from every event file so far (each byte once)."""
        return sum(f.tail.bytes_read for f in self.files.values())

    def _wanted(self) -> list[tuple[str, Path]]:
        from nn_doctor.readers._tblayout import layout

        if self.path.is_file():
            return [("", self.path)]
        if not self.path.is_dir():
            return []
        lay = layout(self.path)
        return [(prefix, f) for prefix, files in lay.groups for f in files] + [
            ("", f) for f in lay.sessions
        ]

    def poll(self) -> Progress:
        """Read the records completed since the last poll, in every event file of the run."""
        out = Progress()
        wanted = self._wanted()
        for prefix, f in wanted:
            state = self.files.get(f)
            if state is None:
                state = self.files[f] = _EventFile(f, prefix)
                if self._polled:
                    out.notes.append(f"new event file {f.name}: following it too")
            state.poll(self.decoder, out)
        gone = set(self.files) - {f for _, f in wanted}
        for f in sorted(gone):
            del self.files[f]
            out.grew = out.reset = True
            out.notes.append(f"event file {f.name} was removed: its records are dropped")
        self.records_parsed += out.records
        self._polled = True
        return out

    def _read_one(self, path: Path, prefix: str, _decoder: Any) -> FileResult:
        state = self.files.get(path)
        if state is None:  # appeared after the last poll: read at the next one
            state = _EventFile(path, prefix)
        return state.result()

    def raw(self) -> RawRun:
        """The run as read so far, assembled by the reader's run-level rules."""
        from nn_doctor.readers.tensorboard import assemble_run

        return assemble_run(self.path, self._read_one, self.decoder)
