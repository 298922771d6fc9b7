"""JSON lines of flat numeric objects, read with numpy instead of a dict per line.

Metric logs written with ``json.dumps`` (W&B's history, ``metrics.jsonl``) are lines like
``{"_step": 3, "loss": 0.25, "lr": NaN}``. Building a dict per line and a DataFrame from the
list costs ~7 s for 500k lines; here the file's structure is checked with vectorized byte
comparisons, the keys become codes by hashing their bytes (verified exactly), and every value is
gathered into one column of text, checked against JSON's number grammar and parsed by pandas'
C parser, so numbers, ``NaN``, ``Infinity`` and ``null`` mean exactly what they mean to the
general reader (``json.loads``).

The fast path reads a file only when it can prove the result equals the general reader's
(:func:`._jsonrows.parse_lines` + :func:`._jsonrows.columns`); it returns ``None`` otherwise:

* every line is ``{`` ``"key"`` ``:`` [one space] value (``,`` [one space] ``"key"`` ...) ``}``,
  keys without backslashes or control characters, values without quotes (a string value, a
  nested object or list never fits this shape, or fails the value parse and declines);
* the bytes are valid UTF-8 without characters ``str.splitlines`` would split on;
* no line repeats a key; no value is ``true``/``false``;
* only a last line cut short by a crash may be broken: it is left out, with the general
  reader's warning.

A property test checks fast == general on generated files, damaged ones included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nn_doctor.readers._csvcore import Column
from nn_doctor.readers._scan import count_below, count_outside_ascii_text, positions

_QUOTE, _COLON, _COMMA, _SPACE, _OPEN, _CLOSE, _NL, _CR = b'":, {}\n\r'
_HASH_MUL = np.uint64(0x9E3779B97F4A7C15)
#: ``[n]``: a mask keeping the ``n`` low (first, little-endian) bytes of a uint64.
_LOW_BYTES = np.array([(1 << (8 * n)) - 1 for n in range(8)] + [2**64 - 1], dtype=np.uint64)
# Characters str.splitlines() splits on beyond \n and \r\n (as UTF-8 bytes).
_LINE_BREAKS = (b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")
_TRUNCATED = (
    "the last line is not complete JSON (a crashed or still-running writer?): read up to the "
    "last complete record"
)
# Dense values matrix (lines x keys) allowed up to this many cells per pair (sparse logs decline).
_DENSITY = 8


@dataclass
class Flat:
    """What the fast path read: numeric columns (first-seen key order) and the row count."""

    columns: list[Column]
    n_rows: int
    first_keys: list[str]
    warnings: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def clean_bytes(buf: bytes, arr: Any, *, escapes: bool = False) -> bool:
    """No control characters but line ends, valid UTF-8 without exotic breaks; no escapes
    (backslashes) unless ``escapes`` (then no ``\\uD...`` surrogate escapes either)."""
    if b"\\" in buf and (not escapes or b"\\ud" in buf or b"\\uD" in buf):
        return False
    n_cr = buf.count(b"\r") if b"\r" in buf else 0
    if n_cr and n_cr != buf.count(b"\r\n"):
        return False
    line_ends = buf.count(b"\n") + n_cr
    odd = count_outside_ascii_text(arr)  # control characters and non-ASCII bytes
    if odd == line_ends:
        return True  # the only control characters are line ends, and all of it is ASCII
    if count_below(arr, 0x20) != line_ends:
        return False
    try:  # non-ASCII bytes: valid UTF-8, without the line breaks str.splitlines adds?
        buf.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(b in buf for b in _LINE_BREAKS)


def _lines(arr: Any, size: int) -> tuple[Any, Any] | None:
    """Start and end (exclusive, before ``\\r\\n``) of every non-empty line."""
    nl = positions(arr, _NL)
    starts = np.r_[0, nl + 1]
    ends = np.r_[nl, size]
    crlf = ends > starts
    crlf[crlf] = arr[ends[crlf] - 1] == _CR
    ends = ends - crlf
    keep = ends > starts
    if not keep[:-1].all():
        return None  # a blank line inside the file: the general reader's business
    return starts[keep], ends[keep]


class _Words:
    """Little-endian uint64 words starting at any byte offset, zero past the end of the data."""

    def __init__(self, arr: Any) -> None:
        self._n = len(arr)
        self._view = np.ndarray((max(0, self._n - 7),), dtype="<u8", buffer=arr, strides=(1,))
        self._tail_at = max(0, self._n - 8)
        tail = np.zeros(24, dtype=np.uint8)
        tail[: self._n - self._tail_at] = arr[self._tail_at :]
        self._tail = np.ndarray((17,), dtype="<u8", buffer=tail, strides=(1,))

    def at(self, pos: Any) -> Any:
        """The words at byte offsets ``pos`` (those in the last 8 bytes read zero-padded)."""
        near = pos > self._n - 8
        out = self._view[np.where(near, 0, np.minimum(pos, max(0, self._n - 8)))]
        if near.any():
            out[near] = self._tail[np.minimum(pos[near] - self._tail_at, 16)]
        return out


def _key_codes(arr: Any, start: Any, length: Any) -> tuple[Any, list[bytes]] | None:
    """Codes of the keys ``arr[start:start+length]`` (first-appearance order), their bytes.

    Keys are hashed from their 8-byte words, then verified word by word against the first key
    of the same hash, in blocks of :data:`_KEY_BLOCK` keys: a 4M-key log's hash words, masks
    and codes as whole-file arrays were ~100 MB of temporaries faulted in afresh (0.3-0.8 s
    here), while a block's stay small and are reused. Each block's few distinct keys are then
    matched to the file's by their bytes, so a hash collision, inside a block or across
    blocks, is always caught (and the general reader reads the file).
    """
    words8 = _Words(arr)
    n = len(start)
    codes = np.empty(n, dtype=np.intp)
    code_of: dict[int, int] = {}  # hash -> code
    names: list[bytes] = []
    for a in range(0, n, _KEY_BLOCK):
        st, ln = start[a : a + _KEY_BLOCK], length[a : a + _KEY_BLOCK]
        block = _block_codes(words8, st, ln)
        if block is None:
            return None
        local, hashes, firsts = block
        lut = np.empty(len(hashes), dtype=np.intp)
        for i, (h, f) in enumerate(zip(hashes.tolist(), firsts.tolist(), strict=True)):
            key = arr[st[f] : st[f] + ln[f]].tobytes()
            code = code_of.setdefault(h, len(names))
            if code == len(names):
                names.append(key)
            elif names[code] != key:
                return None  # the same hash as an earlier block's key, other bytes
            lut[i] = code
        codes[a : a + len(st)] = lut[local]
    return codes, names


_KEY_BLOCK = 1 << 16


def _block_codes(words8: _Words, start: Any, length: Any) -> tuple[Any, Any, Any] | None:
    """One block's key codes (first-appearance order), each code's hash and first position;
    ``None`` when two different keys of the block share a hash."""
    import pandas as pd

    n_words = int((int(length.max()) + 7) // 8) if len(length) else 0
    h = length.astype(np.uint64)
    words = []
    low = _LOW_BYTES
    for j in range(n_words):
        w = words8.at(start + 8 * j)
        w &= low[np.clip(length - 8 * j, 0, 8)]  # only this key's bytes
        words.append(w)
        h = (h ^ w) * _HASH_MUL
        h ^= h >> np.uint64(29)
    codes, hashes = pd.factorize(h)
    running = np.maximum.accumulate(codes)
    firsts = np.flatnonzero(np.r_[True, running[1:] > running[:-1]])
    same = length == length[firsts][codes]
    for w in words:
        same &= w == w[firsts][codes]
    if not same.all():
        return None  # a hash collision between two keys: let the general reader do it
    return codes, hashes, firsts


def flat_columns(buf: bytes) -> Flat | None:
    """The file's numeric columns when every line is a flat object of numbers, else ``None``."""
    if buf.startswith(b"\xef\xbb\xbf"):
        buf = buf[3:]
    arr = np.frombuffer(buf, dtype=np.uint8)
    size = len(arr)
    if size < 2 or not clean_bytes(buf, arr):
        return None
    spans = _lines(arr, size)
    if spans is None or not len(spans[0]):
        return None
    ls, le = spans
    warnings = []
    if arr[le[-1] - 1] != _CLOSE:  # a last line cut short: invalid JSON whatever follows
        if arr[ls[-1]] != _OPEN or buf[ls[-1] : le[-1]].rstrip().endswith(b"}"):
            return None  # not an object at all, or trailing blanks after a complete one
        cut = ls[-1]
        ls, le = ls[:-1], le[:-1]
        warnings.append(_TRUNCATED)
        if not len(ls):
            return None
    else:
        cut = size
    if not ((arr[ls] == _OPEN).all() and (arr[le - 1] == _CLOSE).all()):
        return None
    q = positions(arr, _QUOTE, stop=cut)
    if len(q) % 2:
        return None
    k_open, k_close = q[0::2], q[1::2]
    first = np.searchsorted(k_open, ls)
    count = np.searchsorted(k_open, le) - first
    line = np.repeat(np.arange(len(ls)), count)
    if len(k_open) and not ((k_close < le[line]) & (k_open > ls[line])).all():
        return None  # a quote pair across lines, or outside its braces
    empty = count == 0
    if empty.any() and not (le[empty] - ls[empty] == 2).all():
        return None  # only "{}" may hold no key
    if not len(k_open):
        return None
    last = np.zeros(len(k_open), dtype=bool)
    last[first[~empty] + count[~empty] - 1] = True
    is_first = np.zeros(len(k_open), dtype=bool)
    is_first[first[~empty]] = True
    gap = k_open[is_first] - ls[line[is_first]]  # "{" then the key's quote, or "{ "
    if not ((gap == 1) | ((gap == 2) & (arr[k_open[is_first] - 1] == _SPACE))).all():
        return None
    if not (arr[k_close + 1] == _COLON).all():
        return None
    vs = k_close + 2
    vs = vs + (arr[vs] == _SPACE)
    nxt = np.r_[k_open[1:], 0]
    comma1 = arr[np.maximum(nxt - 1, 0)] == _COMMA
    comma2 = (arr[np.maximum(nxt - 1, 0)] == _SPACE) & (arr[np.maximum(nxt - 2, 0)] == _COMMA)
    if not (last | comma1 | comma2).all():
        return None
    ve = np.where(last, le[line] - 1, np.where(comma1, nxt - 1, nxt - 2))
    if not (ve > vs).all():
        return None
    return _finish(buf, arr, line, len(ls), k_open + 1, k_close - k_open - 1, vs, ve, warnings)


def _finish(
    buf: bytes,
    arr: Any,
    line: Any,
    n_rows: int,
    key_at: Any,
    key_len: Any,
    vs: Any,
    ve: Any,
    warnings: list[str],
) -> Flat | None:
    """Keys to codes, values through one ``json.loads``, then the columns."""
    keys = _key_codes(arr, key_at, key_len)
    if keys is None:
        return None
    codes, raw_names = keys
    n_keys = len(raw_names)
    if n_rows * n_keys > _DENSITY * len(codes) + 1_000_000:
        return None  # very sparse: a dense matrix would be wasteful
    lead = arr[vs]
    if ((lead == ord("t")) | (lead == ord("f"))).any():
        return None  # booleans: the general reader decides per column what they are
    values = _parse_values(buf, vs, ve)
    if values is None or len(values) != len(codes):
        return None
    slot = np.full((n_rows, n_keys), -1, dtype=np.int64)
    slot[line, codes] = np.arange(len(codes))
    if int(np.count_nonzero(slot >= 0)) != len(codes):
        return None  # a key repeated within a line (json.loads keeps the last)
    names = [raw.decode("utf-8") for raw in raw_names]
    is_null = lead == ord("n")
    filled = slot >= 0
    columns: list[Column] = []
    ignored: list[str] = []
    for c, name in enumerate(names):
        rows = filled[:, c]
        idx = slot[rows, c]
        vals = np.full(n_rows, np.nan)
        vals[rows] = values[idx]
        logged = np.zeros(n_rows, dtype=bool)
        logged[rows] = ~is_null[idx]
        if not logged.any():
            # Only nulls: whether pandas makes that an object column (ignored) or a float one
            # (kept, empty) depends on which rows lack the key; the general reader decides.
            return None
        columns.append(Column(name, vals, logged))
    first_keys = [names[c] for c in codes[line == 0].tolist()]
    return Flat(columns, n_rows, first_keys, warnings, ignored)


def _parse_values(buf: bytes, vs: Any, ve: Any) -> Any:
    """Every value span parsed as a float (``null`` and ``NaN`` both NaN here), or ``None``.

    pandas' C parser reads floats exactly as ``json.loads`` does for the shortest-repr numbers
    JSON writers emit (checked on 300k random doubles, subnormals and extremes included; ~3x
    faster than one ``json.loads`` of an array), but it also accepts spellings JSON does not
    (``+1``, ``.5``, ``1.``, ``01``, ``inf``): :func:`_json_numbers` rules those out first, so a
    file the general reader would skip lines of is declined instead. Values longer than a float
    repr (20+ digit integers) decline too: the general reader converts those from exact ints.
    Values are parsed in chunks of :data:`_CHUNK_VALUES`, so the chunk's temporaries (a mask and
    a copy of its text) stay small and are reused rather than faulted in anew (see
    :mod:`._scan`); on two threads when a core is free: numpy releases the GIL for the masks,
    gathers and checks (pandas' parse itself does not), see :func:`._common.spare_workers`.
    """
    import warnings
    from concurrent.futures import ThreadPoolExecutor

    if int((ve - vs).max()) > _MAX_VALUE_LEN:
        return None
    from nn_doctor.readers._common import spare_workers

    n = len(vs)
    jobs = [
        (vs[a : a + _CHUNK_VALUES], ve[a : a + _CHUNK_VALUES]) for a in range(0, n, _CHUNK_VALUES)
    ]
    with warnings.catch_warnings():  # pandas' warnings, if any, are not the user's business
        warnings.simplefilter("ignore")
        if n < _THREADED_VALUES or len(jobs) < 2 or spare_workers() < 2:
            parts = []
            for job in jobs:
                parts.append(_parse_chunk(buf, *job))
                if parts[-1] is None:
                    return None
        else:
            with ThreadPoolExecutor(2) as pool:
                parts = list(pool.map(lambda job: _parse_chunk(buf, *job), jobs))
    if any(p is None for p in parts):
        return None
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


_THREADED_VALUES = 200_000
_CHUNK_VALUES = 1 << 18


def _parse_chunk(buf: bytes, vs: Any, ve: Any) -> Any:
    """The values of one run of consecutive spans (their bytes only), or ``None``."""
    import io

    import pandas as pd

    base, stop = int(vs[0]), int(ve[-1]) + 1
    arr = np.frombuffer(buf, dtype=np.uint8, count=stop - base, offset=base)
    vs, ve = vs - base, ve - base
    length = ve - vs
    delta = np.zeros(len(arr) + 1, dtype=np.int8)
    delta[vs] = 1
    delta[ve + 1] -= 1  # keep each terminator (',' or '}'): it becomes the line end
    keep = np.cumsum(delta[:-1], dtype=np.int8).view(bool)
    raw = np.empty(int(length.sum()) + len(vs) + 1, dtype=np.uint8)
    raw[0] = _NL  # a sentinel: every value is preceded by a line end
    np.compress(keep, arr, out=raw[1:])  # 3x faster than a boolean index
    starts = 1 + np.r_[0, np.cumsum(length + 1)[:-1]]
    raw[starts + length] = _NL
    if not _json_numbers(raw, starts, length):
        return None
    try:
        return pd.read_csv(
            io.BytesIO(raw[1:].tobytes()),
            header=None,
            names=["v"],
            dtype=np.float64,
            engine="c",
            keep_default_na=False,
            na_values=["NaN", "null"],
            skip_blank_lines=False,
        )["v"].to_numpy()
    except (ValueError, pd.errors.ParserError):
        return None


_MAX_VALUE_LEN = 24  # len("-1.2345678901234567e-308"): the longest float repr
# Byte classes of value text: what each byte may be (one table look-up per byte).
_DIGIT, _END, _DOT, _EXP, _PLUS, _MINUS, _LETTER, _OTHER = range(8)
_CLASS = np.full(256, _OTHER, dtype=np.uint8)
_CLASS[list(b"0123456789")] = _DIGIT
_CLASS[ord(".")] = _DOT
_CLASS[list(b"eE")] = _EXP
_CLASS[ord("+")] = _PLUS
_CLASS[ord("-")] = _MINUS
_CLASS[_NL] = _END
_CLASS[list(b"NaIinftyul")] = _LETTER  # the letters of NaN, Infinity, null
_SPECIALS = (b"NaN", b"Infinity", b"null", b"-Infinity")


def _json_numbers(raw: Any, starts: Any, length: Any) -> bool:
    """Whether every value is a JSON number, ``NaN``, ``Infinity``, ``-Infinity`` or ``null``.

    Local byte rules over the values' text (each value is preceded by a line end): allowed
    bytes only; letters only in the exact special tokens; ``.`` between digits; ``e``/``E``
    after a digit and before a digit or a signed digit; ``+`` only after ``e``/``E``; ``-`` only
    first or after ``e``/``E``, and before a digit (or ``I``); no leading zero before a digit.
    What these rules let through that is still not a number (``1.2.3``) fails pandas' parse.
    One pass over the text finds everything that is not a digit; the rules run on those few
    positions.
    """
    # Neither a digit nor a line end: bytes 11-47 and above 57 (no byte below 11 but the line
    # end is left: control characters were refused with the file), two cheap passes.
    at = np.flatnonzero((np.subtract(raw, 11, dtype=np.uint8) < 37) | (raw > ord("9")))
    kind = _CLASS[raw[at]]
    if (kind == _OTHER).any():
        return False
    end = len(raw) - 1
    lead, second = raw[starts], raw[np.minimum(starts + 1, end)]
    letters = 0
    for token in _SPECIALS:
        hit = (lead == token[0]) & ((second == token[1]) if token[0] == ord("-") else True)
        idx = starts[hit]
        ok = length[hit] == len(token)
        for k, byte in enumerate(token):
            ok &= raw[np.minimum(idx + k, end)] == byte
        if not ok.all():
            return False
        letters += len(idx) * sum(1 for b in token if _CLASS[b] == _LETTER)
    if int(np.count_nonzero(kind == _LETTER)) != letters:
        return False  # a letter outside the special tokens
    before, after = _CLASS[raw[at - 1]], _CLASS[raw[np.minimum(at + 1, end)]]
    after2 = _CLASS[raw[np.minimum(at + 2, end)]]
    dot, exp = kind == _DOT, kind == _EXP
    if not ((before[dot] == _DIGIT) & (after[dot] == _DIGIT)).all():
        return False
    signed = (after == _PLUS) | (after == _MINUS)
    exp_ok = (before == _DIGIT) & ((after == _DIGIT) | (signed & (after2 == _DIGIT)))
    if not exp_ok[exp].all():
        return False
    if not (before[kind == _PLUS] == _EXP).all():
        return False
    minus = kind == _MINUS
    first = before == _END
    minus_ok = (first | (before == _EXP)) & (
        (after == _DIGIT) | (first & (raw[np.minimum(at + 1, end)] == ord("I")))
    )
    if not minus_ok[minus].all():
        return False
    digit_at = _CLASS[raw[np.minimum(starts + 1, end)]] == _DIGIT
    zero = (lead == ord("0")) & digit_at
    neg_zero = (lead == ord("-")) & (second == ord("0"))
    neg_zero &= _CLASS[raw[np.minimum(starts + 2, end)]] == _DIGIT
    return not (zero | neg_zero).any()
