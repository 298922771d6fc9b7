"""Vectorized decoding of the common scalar-event layout, with the general decoder for the rest.

PyTorch's and tensorboardX's ``add_scalar`` (and TF1's scalar summaries) serialize every event
to the same bytes, field by field::

    0x09 wall_time:f64 [0x10 step:varint] 0x2a L1 0x0a L2 0x0a TL tag[TL] 0x15 value:f32

(``step`` is left out when it is 0; ``L1 = L2 + 2``, ``L2 = TL + 7``). Records in exactly that
shape are decoded with fixed-width gathers through unaligned numpy views, every length checked
against the record's end; tags become codes by hashing their bytes word by word, and every
record's bytes are then compared with its code's representative, so a hash collision cannot merge
two tags. Anything else (``file_version``, histograms, TF2 tensor scalars, several values in one
summary, plugin metadata, a step varint longer than 8 bytes, a tag that is not UTF-8) goes to
:class:`~._tbdecode.Decoder`, and the rows of both are merged back into file order. So
correctness does not depend on this module: it only decides which records are cheap.

Names are registered with the run's decoder in the order the general decoder would register them
(first appearance in file order), so the records table is the same, category order included.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from nn_doctor.readers._tbdecode import Decoded, Decoder

_MIN_PAYLOAD = 20  # 9 (wall) + 2 (summary) + 2 (value) + 2 (tag) + 5 (float), no step
_MAX_VARINT = 8  # step varints decoded here: < 2**56 (longer ones, or negative steps, fall back)
_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)


@dataclass
class Rows:
    """Decoded rows of one file, in file order; ``codes`` index the run decoder's names."""

    steps: Any
    codes: Any
    values: Any
    walls: Any


def _unaligned(arr: Any, dtype: str) -> Any:
    width = np.dtype(dtype).itemsize
    return np.ndarray((max(0, len(arr) - width + 1),), dtype=dtype, buffer=arr, strides=(1,))


def _step_varints(arr: Any, pos: Any) -> tuple[Any, Any]:
    """Values and byte lengths of the varints at ``pos`` (length 0: longer than 8 bytes)."""
    value = np.zeros(len(pos), dtype=np.int64)
    length = np.zeros(len(pos), dtype=np.int64)
    open_ = np.ones(len(pos), dtype=bool)
    for k in range(_MAX_VARINT):
        byte = arr[pos + k].astype(np.int64)
        value |= np.where(open_, (byte & 0x7F) << (7 * k), 0)
        ends = open_ & (byte < 0x80)
        length[ends] = k + 1
        open_ &= ~ends
        if not open_.any():
            break
    return value, length


def _fixed_layout(arr: Any, start: Any, end: Any) -> dict[str, Any]:
    """Which records have the fixed layout, and their fields (for the ``ok`` ones only)."""
    ok = end - start >= _MIN_PAYLOAD
    idx = np.flatnonzero(ok)
    s, e = start[idx], end[idx]
    good = arr[s] == 0x09
    has_step = arr[s + 9] == 0x10
    step, vlen = _step_varints(arr, s + 10)  # s + 18 <= e: inside the record
    good &= ~has_step | (vlen > 0)
    step = np.where(has_step, step, 0)
    q = s + 9 + np.where(has_step, 1 + vlen, 0)  # the summary field
    good &= q + 11 <= e
    q = np.where(good, q, s)  # every gather below stays inside the record (checked after)
    tl = arr[q + 5].astype(np.int64)
    good &= (q + 11 + tl == e) & (tl + 9 < 0x80)  # one-byte lengths only
    good &= (arr[q] == 0x2A) & (arr[q + 2] == 0x0A) & (arr[q + 4] == 0x0A)
    good &= (arr[q + 1] == tl + 9) & (arr[q + 3] == tl + 7)
    good &= arr[np.where(good, e - 5, s)] == 0x15
    keep = idx[good]
    return {
        "records": keep,
        "wall": _unaligned(arr, "<f8")[s[good] + 1],
        "step": step[good],
        "tag_at": q[good] + 6,
        "tag_len": tl[good],
        "value": _unaligned(arr, "<f4")[e[good] - 4].astype(np.float64),
    }


def _tag_codes(arr: Any, at: Any, length: Any) -> tuple[Any, list[bytes], Any]:
    """Local codes (first-appearance order), each code's tag bytes, and a verified-record mask."""
    import pandas as pd

    u64 = _unaligned(arr, "<u8")
    n_words = int((int(length.max()) + 7) // 8) if len(length) else 0
    words = []
    h = length.astype(np.uint64)
    for j in range(n_words):
        left = length - 8 * j  # bytes of this tag still to hash
        w = u64[np.minimum(at + 8 * j, len(u64) - 1)]
        bits = (np.clip(left, 0, 8) * 8).astype(np.uint64)
        w = np.where(left >= 8, w, w & ((np.uint64(1) << np.minimum(bits, 63)) - np.uint64(1)))
        w = np.where(left > 0, w, np.uint64(0))
        words.append(w)
        h = (h ^ w) * _HASH_MUL
        h ^= h >> np.uint64(29)
    codes, _ = pd.factorize(h)
    codes = codes.astype(np.int64)
    running = np.maximum.accumulate(codes) if len(codes) else codes
    firsts = np.flatnonzero(np.r_[True, running[1:] > running[:-1]]) if len(codes) else codes
    same = length == length[firsts][codes]
    for w in words:  # exact comparison with each code's representative: no hash collisions
        same &= w == w[firsts][codes]
    spans = zip(at[firsts].tolist(), length[firsts].tolist(), strict=True)
    tags = [arr[a : a + n].tobytes() for a, n in spans]
    return codes, tags, same


def decode_records(
    buf: Any, starts: Any, ends: Any, decoder: Decoder, prefix: str = ""
) -> tuple[Rows, Decoded]:
    """Decode every record ``buf[starts[i]:ends[i]]``: fixed layout here, the rest in general.

    Returns the rows in file order and the :class:`Decoded` bookkeeping (ignored kinds, hparams,
    scalar tags, event counts) the general decoder would have produced for the same payloads.
    """
    arr = np.frombuffer(buf, dtype=np.uint8)
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    fields = _fixed_layout(arr, starts, ends)
    fast = fields["records"]
    local, tags, same = _tag_codes(arr, fields["tag_at"], fields["tag_len"])
    names: list[str | None] = []
    for raw in tags:
        try:
            names.append(raw.decode("utf-8"))
        except UnicodeDecodeError:  # the general decoder decides what such a record is
            names.append(None)
    valid = np.array([n is not None for n in names], dtype=bool)
    if len(local):
        same &= valid[local]
    if not same.all():
        fast, local = fast[same], local[same]
        for key in ("wall", "step", "value"):
            fields[key] = fields[key][same]
    slow_mask = np.ones(len(starts), dtype=bool)
    slow_mask[fast] = False
    slow = np.flatnonzero(slow_mask)

    scratch = _scratch(decoder)
    decoded = Decoded(row_starts=[])
    view = memoryview(buf)
    spans = zip(starts[slow].tolist(), ends[slow].tolist(), strict=True)
    scratch.decode((view[s:e] for s, e in spans), decoded, prefix)
    decoded.n_events += len(fast)
    n_fast_names = len(names)
    decoded.scalar_tags.update(str(names[c]) for c in np.unique(local).tolist())
    rows = _merge(fields, fast, local, slow, decoded, n_fast_names)
    codes = _register(rows.codes, names, scratch.names, prefix, n_fast_names, decoder)
    rows.codes = codes
    return rows, decoded


def _scratch(decoder: Decoder) -> Decoder:
    """A decoder with its own name table that shares the run decoder's plugin memory."""
    scratch = Decoder.__new__(Decoder)
    scratch.__dict__.update(decoder.__dict__)
    scratch.names, scratch._codes = [], {}
    return scratch


def _merge(
    fields: dict[str, Any], fast: Any, local: Any, slow: Any, decoded: Decoded, n_fast: int
) -> Rows:
    """Fast rows and general rows in file order; codes are temporary (fast, then general + n)."""
    if not decoded.steps:
        return Rows(fields["step"], local, fields["value"], fields["wall"])
    row_starts = np.asarray(decoded.row_starts, dtype=np.int64)
    counts = np.diff(np.r_[row_starts, len(decoded.steps)])
    slow_rec = np.repeat(slow, counts)
    order = np.argsort(np.r_[fast, slow_rec], kind="stable")
    cat = np.concatenate
    return Rows(
        cat([fields["step"], np.asarray(decoded.steps, dtype=np.int64)])[order],
        cat([local, np.asarray(decoded.codes, dtype=np.int64) + n_fast])[order],
        cat([fields["value"], np.asarray(decoded.values, dtype=np.float64)])[order],
        cat([fields["wall"], np.asarray(decoded.walls, dtype=np.float64)])[order],
    )


def _register(
    temp: Any,
    fast_names: list[str | None],
    slow_names: list[str],
    prefix: str,
    n_fast: int,
    decoder: Decoder,
) -> Any:
    """Run codes for temporary codes, registering names in first-appearance order."""
    import pandas as pd

    if not len(temp):
        return temp.astype(np.int64)
    order, uniques = pd.factorize(temp)
    mapping = np.empty(len(uniques), dtype=np.int64)
    for k, t in enumerate(uniques.tolist()):
        name = prefix + str(fast_names[t]) if t < n_fast else slow_names[t - n_fast]
        mapping[k] = decoder.code(name)
    return mapping[order]
