"""TFRecord framing: where each record's payload starts and ends in an event file.

A record is ``uint64 length | uint32 masked_crc(length) | payload | uint32 masked_crc(payload)``
(little-endian; CRC-32C, masked). Framing is kept apart from decoding on purpose: the numpy
framer (:mod:`._tfrecord_np`) and the fixed-layout scalar decoder (:mod:`._tbfast`) replace the
pieces for files of many small records, with this loop as the reference they are tested against
(same :class:`Framing` for every file).

Checksums, and why both are verified here:

* The **length CRC** is what makes framing trustworthy: without it a flipped bit in a length field
  sends the reader into the middle of a payload and every later record is garbage. A bad one ends
  the readable part of the file (nothing after it can be located reliably).
* The **payload CRC** costs one ``crc32c`` call per record: about 0.1 µs on a 50-byte scalar
  record here, against 3–4 µs to decode the same record with ``Event.FromString`` (PERF-NOTES:
  "upb loop" 4.4 s per 1M records), i.e. a few percent of this general path. That is little, and
  it buys something real: a flipped byte inside a float is otherwise decoded silently as a wrong
  value. A record with a bad payload CRC is skipped alone (its length was verified, so the next
  record is still found). The numpy framer verifies them too, without a call per record: one
  aggregate CRC over all payloads (CRC-32C is affine), 3-4x cheaper than a call per record on
  1M records (its docstring has the algebra and the measurement).
  ``verify_payload=False`` skips them here (rustboard's default).
* Without the ``crc32c`` package (it is optional) the 8-byte length CRC is computed with a small
  pure-Python table (8 table steps per record, cheap), and payload CRCs are not verified: a
  byte-serial Python loop over every payload is what makes TensorBoard's own stub reader ~20 µs
  per record (PERF-NOTES).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

_HEADER = struct.Struct("<QI")  # length, masked crc of the 8 length bytes
_FOOTER = struct.Struct("<I")
HEADER_SIZE = 12
FOOTER_SIZE = 4
_MASK_DELTA = 0xA282EAD8

# A length this large is not a TensorBoard record even if its CRC happened to match: TensorBoard
# itself refuses records over 2 GiB, and a file holding one would be absurd for a training log.
_MAX_RECORD = 1 << 31


def _crc32c_table() -> list[int]:
    poly = 0x82F63B78  # CRC-32C (Castagnoli), reflected
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE: list[int] | None = None


def _crc32c_py(data: bytes | memoryview) -> int:
    """Pure-Python CRC-32C; only used on 8-byte headers when the ``crc32c`` package is missing."""
    global _TABLE
    if _TABLE is None:
        _TABLE = _crc32c_table()
    table = _TABLE
    crc = 0xFFFFFFFF
    for b in bytes(data):
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def native_crc32c() -> Callable[[Any], int] | None:
    """The ``crc32c`` package's hardware CRC-32C, or ``None`` when it is not installed."""
    try:
        from crc32c import crc32c
    except ImportError:  # optional: see the module docstring
        return None
    return crc32c  # type: ignore[no-any-return]


_native_crc32c = native_crc32c  # the name this module used first


def crc32c_function() -> Callable[[Any], int]:
    """A CRC-32C function: the native one, else the pure-Python table loop (short inputs only)."""
    return native_crc32c() or _crc32c_py


def mask(crc: int) -> int:
    """TFRecord's CRC masking (rotate right by 15, add a constant), as TensorFlow writes it."""
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def masked_crc32c(data: bytes | memoryview) -> int:
    """Masked CRC-32C of ``data`` (what a TFRecord header or footer stores)."""
    native = _native_crc32c()
    return mask(native(data) if native else _crc32c_py(data))


@dataclass
class Framing:
    """Where the complete, checksum-clean records of one buffer are.

    ``starts[i]:ends[i]`` is the payload of record ``i`` (in file order). ``stop`` is the byte
    offset where reading stopped early (``None`` when the file was framed cleanly to its end), with
    ``stop_reason`` ``"truncated"`` (the file ends inside a record: a crash mid-write) or
    ``"bad length checksum"`` (nothing after it can be located). ``bad_payload`` holds the header
    offsets of records skipped because their payload checksum did not match. ``starts`` and
    ``ends`` are lists from :func:`frame` and int64 arrays from the numpy framer
    (:mod:`._tfrecord_np`), which returns the same framing.
    """

    starts: Any = field(default_factory=list)
    ends: Any = field(default_factory=list)
    size: int = 0
    stop: int | None = None
    stop_reason: str | None = None
    bad_payload: list[int] = field(default_factory=list)
    payload_verified: bool = False

    def __len__(self) -> int:
        return len(self.starts)

    def payloads(self, buf: bytes | memoryview) -> Iterator[memoryview]:
        """Zero-copy views of each payload, in file order."""
        view = memoryview(buf)
        for s, e in zip(self.starts, self.ends, strict=True):
            yield view[s:e]


def frame_one(view: memoryview, off: int, size: int) -> int | str:
    """The offset after the record at ``off``, or why none can be read there.

    One step of :func:`frame` without the payload check, for framers that verify payloads
    separately: returns ``"truncated"`` or ``"bad length checksum"`` as :func:`frame` would stop.
    """
    if size - off < HEADER_SIZE:
        return "truncated"
    length, length_crc = _HEADER.unpack_from(view, off)
    if mask(crc32c_function()(view[off : off + 8])) != length_crc or length >= _MAX_RECORD:
        return "bad length checksum"
    end = off + HEADER_SIZE + length
    if end + FOOTER_SIZE > size:
        return "truncated"
    return int(end + FOOTER_SIZE)


def frame(buf: bytes | memoryview, *, verify_payload: bool = True) -> Framing:
    """Locate every record in ``buf``: a struct loop over headers (the general framer).

    Never raises on bad data: whatever cannot be framed is described in the returned
    :class:`Framing` (``stop``/``stop_reason``/``bad_payload``) for the caller to report.
    """
    view = memoryview(buf)
    size = len(view)
    native = _native_crc32c()
    crc = native or _crc32c_py
    check_payload = verify_payload and native is not None
    out = Framing(size=size, payload_verified=check_payload)
    starts, ends, bad = out.starts, out.ends, out.bad_payload
    unpack_header, unpack_footer = _HEADER.unpack_from, _FOOTER.unpack_from
    delta, full = _MASK_DELTA, 0xFFFFFFFF
    off = 0
    # The masking is inlined (see :func:`mask`): this loop runs once per record.
    while off < size:
        if size - off < HEADER_SIZE:
            out.stop, out.stop_reason = off, "truncated"
            break
        length, length_crc = unpack_header(view, off)
        x = crc(view[off : off + 8])
        if ((((x >> 15) | (x << 17)) + delta) & full) != length_crc or length >= _MAX_RECORD:
            out.stop, out.stop_reason = off, "bad length checksum"
            break
        start = off + HEADER_SIZE
        end = start + length
        if end + FOOTER_SIZE > size:
            out.stop, out.stop_reason = off, "truncated"
            break
        if check_payload:
            x = crc(view[start:end])
            if ((((x >> 15) | (x << 17)) + delta) & full) != unpack_footer(view, end)[0]:
                bad.append(off)
                off = end + FOOTER_SIZE
                continue
        starts.append(start)
        ends.append(end)
        off = end + FOOTER_SIZE
    return out


def head_is_record(head: bytes) -> bool:
    """Whether ``head`` (the first bytes of a file) starts with a valid record header.

    Fewer than 12 bytes can't be checked and count as a yes: an event file cut short by a crash is
    still an event file, and the reader reports it better than "unknown format" would.
    """
    if len(head) < HEADER_SIZE:
        return True
    length, length_crc = _HEADER.unpack_from(head, 0)
    native = _native_crc32c()
    value = native(head[:8]) if native else _crc32c_py(head[:8])
    return mask(value) == length_crc and length < _MAX_RECORD
