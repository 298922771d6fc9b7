"""TensorBoard event files (PyTorch, tensorboardX, TF1, TF2/Keras): scalars, histograms, hparams.

What is read from ``events.out.tfevents.*`` files:

* scalars: ``simple_value`` (PyTorch's ``SummaryWriter``, tensorboardX, TF1, Keras) and TF2 tensor
  scalars (a one-element float tensor, plugin ``scalars``);
* histograms (``HistogramProto`` and TF2 ``[k, 3]`` tensors), reduced per step to
  ``<tag>:mean|std|min|max|norm|count|zero_frac`` records (:func:`histogram_stats`);
* hparams plugin data (``_hparams_/session_start_info``) and Lightning's ``hparams.yaml`` → config.

Everything else (images, audio, text, graphs, run metadata, profiler markers) is counted in
``RawRun.ignored``. Layout rules (DECISIONS.md §1): all event files directly in a folder are one
run, read in file-name order (a file that restarts the step counter wins from its restart step,
:func:`_supersede_restarts`); Keras' ``train/`` + ``validation/`` halves are
one run whose tags get a ``train/`` or ``validation/`` prefix; other sub-folders are other runs,
except the timestamp-named folders ``add_hparams`` creates (see :data:`HPARAMS_SESSION_GLOB`).

Framing (``_tfrecord``) is separate from decoding (here, ``Event.FromString`` with tensorboardX's
compiled protos, loaded by ``_tbproto`` without importing tensorboardX's writer stack), so a
vectorized decoder for the common scalar layout can slot in per file (:func:`decode_payloads` is
the general fallback it must agree with). Protobuf, numpy and pandas are imported inside
functions: importing this module stays cheap for ``--help`` and ``formats``.
"""

from __future__ import annotations

import fnmatch
import math
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nn_doctor.errors import InputError
from nn_doctor.readers import _tfrecord

if TYPE_CHECKING:
    import pandas as pd

    from nn_doctor.frame import RawRun

NAME = "tensorboard"

#: Keras' TensorBoard callback writes ``logdir/train`` and ``logdir/validation``: one run.
KERAS_HALVES = ("train", "validation")

#: ``SummaryWriter.add_hparams`` (PyTorch and tensorboardX) writes the hparams session into a new
#: sub-folder named ``str(time.time())`` (e.g. ``1712345678.123``) holding only the hparams and the
#: metric values passed with them. Read on their own these would be phantom runs without a loss,
#: and the run they describe would lose its config, so a run folder claims them. A user-named
#: session folder (``run_name=``/``name=``) stays a run of its own, as TensorBoard shows it.
HPARAMS_SESSION_GLOB = "1[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9].*"

OWNED_SUBDIRS: tuple[str, ...] = (*KERAS_HALVES, HPARAMS_SESSION_GLOB)

#: Histogram reductions, in the order they are emitted per histogram.
HISTOGRAM_STATS = ("mean", "std", "min", "max", "norm", "count", "zero_frac")

# float32 machine epsilon (2**-23): the relative precision most networks compute in.
_FLOAT32_EPS = 2.0**-23

# Lightning's TensorBoardLogger logs ``hp_metric = -1`` with the hparams as a placeholder
# (``default_hp_metric=True``); it is not a measurement.
_HP_METRIC = "hp_metric"
_HP_METRIC_PLACEHOLDER = -1.0

# Keras (TF >= 2.3) also writes each validation metric as ``evaluation_<m>_vs_iterations`` with the
# optimizer iteration as step: the same numbers as ``validation/epoch_<m>`` on another axis.
_KERAS_EVAL_PREFIX = "evaluation_"
_KERAS_EVAL_SUFFIX = "_vs_iterations"

# TensorFlow DataType enum values → numpy dtype and the TensorProto repeated field holding them.
_TENSOR_DTYPES: dict[int, tuple[str, str]] = {
    1: ("<f4", "float_val"),  # DT_FLOAT
    2: ("<f8", "double_val"),  # DT_DOUBLE
    3: ("<i4", "int_val"),  # DT_INT32
    9: ("<i8", "int64_val"),  # DT_INT64
    19: ("<f2", "half_val"),  # DT_HALF (half_val holds the 16 bits in an int32)
    10: ("?", "bool_val"),  # DT_BOOL
}


# --------------------------------------------------------------------------------------------
# Detection


def is_event_file_name(name: str) -> bool:
    """An event file by name; TF's ``*.profile-empty`` profiler markers hold no metrics."""
    return "tfevents" in name and not name.endswith(".profile-empty")


def sniff(path: Path) -> bool:
    """A file named like an event file whose first record header checks out (never raises)."""
    try:
        if not is_event_file_name(path.name) or not path.is_file():
            return False
        with open(path, "rb") as fh:
            head = fh.read(_tfrecord.HEADER_SIZE)
        return _tfrecord.head_is_record(head)
    except (OSError, ValueError):
        return False


def _event_files_in(folder: Path, names: Iterable[str] | None = None) -> list[Path]:
    """Event files directly in ``folder``, in file-name order (TensorBoard's reading order)."""
    try:
        if names is None:
            names = [e.name for e in os.scandir(folder) if e.is_file()]
            return [folder / n for n in sorted(names) if is_event_file_name(n)]
        return [
            folder / n for n in sorted(names) if is_event_file_name(n) and (folder / n).is_file()
        ]
    except OSError:
        return []


def keras_half_files(sub: Path) -> list[Path]:
    """Event files of a Keras ``train/``/``validation/`` half, or ``[]`` if ``sub`` is not one.

    A half holds only what Keras' callback writes: event files, profiler markers and a
    ``plugins/`` folder. Any other file (Ultralytics' ``runs/detect/train/results.csv``) makes it a
    run folder of its own, left to the reader of that format.
    """
    try:
        entries = list(os.scandir(sub))
        if any(
            e.is_file() and "tfevents" not in e.name and not e.name.startswith(".") for e in entries
        ):
            return []
    except OSError:
        return []
    return _event_files_in(sub, [e.name for e in entries])


def folder_files(folder: Path, names: frozenset[str]) -> list[Path]:
    """Event files directly in ``folder``, plus those of a Keras ``train/``/``validation/`` pair."""
    files = _event_files_in(folder, names)
    for half in KERAS_HALVES:
        if half in names:
            files.extend(keras_half_files(folder / half))
    return files


# --------------------------------------------------------------------------------------------
# Histogram reductions


def histogram_stats(
    num: float,
    total: float,
    sum_squares: float,
    lo: float,
    hi: float,
    lefts: Iterable[float],
    rights: Iterable[float],
    counts: Iterable[float],
) -> list[tuple[str, float]]:
    """Per-histogram summaries: ``(stat, value)`` pairs from :data:`HISTOGRAM_STATS`.

    ``mean``, ``std`` (population, as ``numpy.std``), ``norm`` (sqrt of the sum of squares) come
    from the writer's exact sums; ``min``/``max`` are the data's extremes. An empty histogram
    yields only ``count = 0``. Non-finite sums (a NaN in the tensor) give non-finite stats: that
    is what was logged, not missing data. ``zero_frac`` follows :func:`zero_fraction` and is left
    out when it cannot be known.
    """
    if not num > 0:
        return [("count", float(num) if math.isfinite(num) else 0.0)]
    mean = total / num
    var = sum_squares / num - mean * mean
    if var < 0:  # float cancellation on a constant tensor
        var = 0.0
    out = [
        ("mean", mean),
        ("std", _sqrt(var)),
        ("min", lo),
        ("max", hi),
        ("norm", _sqrt(sum_squares)),
        ("count", float(num)),
    ]
    zf = zero_fraction(num, lo, hi, lefts, rights, counts)
    if zf is not None:
        out.append(("zero_frac", zf))
    return out


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0 else (x if math.isnan(x) else math.nan)


def zero_fraction(
    num: float,
    lo: float,
    hi: float,
    lefts: Iterable[float],
    rights: Iterable[float],
    counts: Iterable[float],
) -> float | None:
    """Fraction of exact zeros, when the histogram's buckets make it knowable; else ``None``.

    The rule:

    * ``min > 0`` or ``max < 0``: no zeros (0.0); ``min == max == 0``: all zeros (1.0).
    * Otherwise take the bucket that holds 0. Buckets are left-closed ``[left, right)``, as both
      writers build them (``numpy.histogram`` in PyTorch/tensorboardX, ``upper_bound`` in TF's
      C++ ``Histogram``), so with a bucket edge at 0 the zeros are in the bucket *starting* at 0.
      Clip the bucket to the data's ``[min, max]``; if what is left lies within
      ``±max(|min|, |max|) * 2**-23`` (float32's relative precision), every value it counts is zero
      at the precision the network computed in, and its count over ``num`` is the zero fraction.
      The default ``"tensorflow"`` bins of PyTorch/tensorboardX have edges at 0 and ±1e-12, so a
      ReLU output's zeros are counted exactly. Wide buckets (TF2's 30 equal-width buckets, or
      ``max_bins`` compression) give ``None``: the fraction cannot be known from them.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or not num > 0:
        return None
    if lo > 0 or hi < 0:
        return 0.0
    if lo == 0 and hi == 0:
        return 1.0
    tol = max(abs(lo), abs(hi)) * _FLOAT32_EPS
    for left, right, count in zip(lefts, rights, counts, strict=False):
        if left <= 0 < right:
            inside_lo, inside_hi = max(left, lo), min(right, hi)
            if inside_lo >= -tol and inside_hi <= tol:
                return min(float(count) / float(num), 1.0)
            return None
    return None


def _histo_proto_stats(h: Any) -> list[tuple[str, float]]:
    """Stats of a ``HistogramProto`` (PyTorch, tensorboardX, TF1)."""
    rights = list(h.bucket_limit)
    lefts = [-math.inf, *rights[:-1]]
    return histogram_stats(h.num, h.sum, h.sum_squares, h.min, h.max, lefts, rights, h.bucket)


def _tf2_histogram_stats(buckets: Any) -> list[tuple[str, float]] | None:
    """Stats of a TF2 ``[k, 3]`` (left, right, count) histogram tensor.

    TF2 keeps no sums, so ``mean``/``std``/``norm`` are estimated by treating each bucket as
    uniform over its width (mid-points plus the width²/12 variance term); ``min``/``max`` are the
    outer edges of the non-empty buckets, which TF2 places at the data's extremes.
    """
    import numpy as np

    if buckets.ndim != 2 or buckets.shape[1] != 3:
        return None
    left, right, count = buckets[:, 0], buckets[:, 1], buckets[:, 2]
    num = float(count.sum())
    if not num > 0:
        return [("count", 0.0)]
    nz = np.flatnonzero(count > 0)
    lo, hi = float(left[nz[0]]), float(right[nz[-1]])
    mid = (left + right) / 2.0
    width = right - left
    total = float((count * mid).sum())
    sum_squares = float((count * (mid * mid + width * width / 12.0)).sum())
    # TF2 buckets are closed at the last right edge; a lone [v, v] bucket holds only v.
    rights = right.copy()
    rights[-1] = np.nextafter(rights[-1], np.inf)
    return histogram_stats(num, total, sum_squares, lo, hi, left, rights, count)


# --------------------------------------------------------------------------------------------
# Decoding


def _tensor_values(t: Any) -> Any:
    """A TensorProto's numbers as a flat numpy array (``None`` for strings and unknown dtypes)."""
    import numpy as np

    spec = _TENSOR_DTYPES.get(t.dtype)
    if spec is None:
        return None
    dtype, field_name = spec
    if t.tensor_content:
        try:
            return np.frombuffer(t.tensor_content, dtype=dtype)
        except ValueError:  # content length not a multiple of the item size
            return None
    values = getattr(t, field_name)
    if field_name == "half_val":
        return np.asarray(values, dtype=np.uint16).view(np.float16)
    return np.asarray(values, dtype=dtype)


def _tensor_scalar(t: Any) -> float | None:
    """The value of a one-element numeric tensor (TF2 scalar summaries), else ``None``."""
    if len(t.tensor_shape.dim) > 1 or any(d.size != 1 for d in t.tensor_shape.dim):
        return None
    values = _tensor_values(t)
    if values is None or values.size != 1:
        return None
    return float(values[0])


def _pb_value(v: Any) -> Any:
    """A ``google.protobuf.Value`` (hparams) as a plain Python value."""
    kind = v.WhichOneof("kind")
    if kind == "number_value":
        return v.number_value
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return v.bool_value
    if kind == "list_value":
        return [_pb_value(x) for x in v.list_value.values]
    if kind == "struct_value":
        return {k: _pb_value(x) for k, x in v.struct_value.fields.items()}
    return None


@dataclass
class Decoded:
    """What one event file held, as columns (no Python object per scalar).

    ``codes`` index the decoder's :attr:`_Decoder.names` (one string per distinct name, so a
    million scalars do not hold a million strings). ``scalar_tags`` are the tags of scalar
    summaries (not histogram stats), for the axis rule.
    """

    steps: list[int] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)
    scalar_tags: set[str] = field(default_factory=set)
    hparams: dict[str, Any] = field(default_factory=dict)
    ignored: Counter[str] = field(default_factory=Counter)
    n_events: int = 0
    undecodable: int = 0
    tf2_histograms: int = 0


class _Decoder:
    """Decodes event payloads of one run; remembers each tag's plugin across files.

    TF2 writers attach a tag's ``SummaryMetadata`` to its first value only, so the plugin that
    gives a later tensor its meaning must be remembered (TensorBoard does the same per run/tag).
    """

    def __init__(self) -> None:
        from nn_doctor.readers._tbproto import protos

        classes = protos()
        self._event_from = classes.Event.FromString
        self._hparams_from = classes.HParamsPluginData.FromString
        self._plugins: dict[str, str] = {}
        #: Every record name seen in this run (prefix + tag, or ``tag:stat``), by code.
        self.names: list[str] = []
        self._codes: dict[str, int] = {}

    def code(self, name: str) -> int:
        """The code of a record name (interned once per run)."""
        c = self._codes.get(name)
        if c is None:
            c = self._codes[name] = len(self.names)
            self.names.append(name)
        return c

    def decode(self, payloads: Iterable[Any], out: Decoded, prefix: str = "") -> Decoded:
        """Decode ``payloads`` (bytes-like, in file order) into ``out``; names get ``prefix``."""
        from google.protobuf.message import DecodeError

        event_from = self._event_from
        steps, codes, values, walls = out.steps, out.codes, out.values, out.walls
        add_step, add_code, add_value, add_wall = (
            steps.append,
            codes.append,
            values.append,
            walls.append,
        )
        scalar_tags, ignored = out.scalar_tags, out.ignored
        tag_codes: dict[str, int] = {}  # simple_value tag -> code of prefix + tag
        n_events = 0
        # The common case (one simple_value per event) runs first with locals only: this loop
        # is the per-record cost of the general path.
        for payload in payloads:
            try:
                ev = event_from(payload)
            except DecodeError:
                out.undecodable += 1
                continue
            n_events += 1
            what = ev.WhichOneof("what")
            if what != "summary":
                if what is not None and what != "file_version":
                    ignored[what] += 1
                continue
            step, wall = ev.step, ev.wall_time
            for v in ev.summary.value:
                kind = v.WhichOneof("value")
                tag = v.tag
                if kind == "simple_value":
                    c = tag_codes.get(tag)
                    if c is None:
                        c = tag_codes[tag] = self.code(prefix + tag)
                    add_step(step)
                    add_code(c)
                    add_value(v.simple_value)
                    add_wall(wall)
                    continue
                plugin = v.metadata.plugin_data.plugin_name if v.HasField("metadata") else ""
                if plugin:
                    plugin = self._plugins.setdefault(tag, plugin)
                else:
                    plugin = self._plugins.get(tag, "")
                if plugin == "hparams":
                    self._hparams(v.metadata.plugin_data.content, out)
                elif kind == "histo":
                    self._emit_stats(_histo_proto_stats(v.histo), step, prefix + tag, wall, out)
                elif kind == "tensor" and plugin in ("scalars", ""):
                    value = _tensor_scalar(v.tensor)
                    if value is None:
                        ignored[f"{plugin or 'tensor'} summaries"] += 1
                        continue
                    steps.append(step)
                    codes.append(self.code(prefix + tag))
                    values.append(value)
                    walls.append(wall)
                    scalar_tags.add(tag)
                elif kind == "tensor" and plugin == "histograms":
                    self._tf2_histogram(v.tensor, step, prefix + tag, wall, out)
                elif kind in ("image", "audio"):
                    ignored[f"{kind} summaries"] += 1
                else:
                    ignored[f"{plugin or kind or 'empty'} summaries"] += 1
        out.n_events += n_events
        scalar_tags.update(tag_codes)
        return out

    def _hparams(self, content: bytes, out: Decoded) -> None:
        from google.protobuf.message import DecodeError

        try:
            data = self._hparams_from(content)
        except DecodeError:
            out.ignored["unreadable hparams data"] += 1
            return
        if data.WhichOneof("data") == "session_start_info":
            for key, value in data.session_start_info.hparams.items():
                out.hparams[key] = _pb_value(value)

    def _tf2_histogram(self, tensor: Any, step: int, tag: str, wall: float, out: Decoded) -> None:
        values = _tensor_values(tensor)
        stats = None
        if values is not None and values.size % 3 == 0:
            stats = _tf2_histogram_stats(values.astype(float).reshape(-1, 3))
        if stats is None:
            out.ignored["histograms summaries (not a [k, 3] tensor)"] += 1
            return
        out.tf2_histograms += 1
        self._emit_stats(stats, step, tag, wall, out)

    def _emit_stats(
        self, stats: list[tuple[str, float]], step: int, tag: str, wall: float, out: Decoded
    ) -> None:
        for stat, value in stats:
            out.steps.append(step)
            out.codes.append(self.code(f"{tag}:{stat}"))
            out.values.append(value)
            out.walls.append(wall)


def decode_payloads(
    payloads: Iterable[Any], decoder: _Decoder | None = None, prefix: str = ""
) -> Decoded:
    """The general decoder: each payload through ``Event.FromString`` (the fast path's reference).

    Names are codes into ``decoder.names``; pass one decoder for all files of a run.
    """
    return (decoder or _Decoder()).decode(payloads, Decoded(), prefix)


# --------------------------------------------------------------------------------------------
# One file


@dataclass
class _Columns:
    """One file's records as arrays (``codes`` index the run decoder's names)."""

    steps: Any
    codes: Any
    values: Any
    walls: Any

    @classmethod
    def of(cls, d: Decoded) -> _Columns:
        import numpy as np

        return cls(
            np.asarray(d.steps, dtype=np.int64),
            np.asarray(d.codes, dtype=np.int64),
            np.asarray(d.values, dtype=np.float64),
            np.asarray(d.walls, dtype=np.float64),
        )

    def __len__(self) -> int:
        return len(self.steps)

    def keep(self, mask: Any) -> _Columns:
        return _Columns(self.steps[mask], self.codes[mask], self.values[mask], self.walls[mask])


@dataclass
class _FileResult:
    path: Path
    prefix: str
    decoded: Decoded
    cols: _Columns
    warnings: list[str]
    unreadable: bool  # not an event file at all (bad header at byte 0, nothing decoded)


def _read_file(path: Path, prefix: str, decoder: _Decoder) -> _FileResult:
    """Frame and decode one event file, describing every problem in one-line warnings."""
    from nn_doctor.readers._common import empty_warning

    empty = Decoded()
    try:
        buf = path.read_bytes()
    except OSError as exc:
        msg = f"{path.name}: cannot be read ({exc.strerror or exc})"
        return _FileResult(path, prefix, empty, _Columns.of(empty), [msg], True)
    if not buf:
        msg = empty_warning(path, "empty file (0 bytes)")
        return _FileResult(path, prefix, empty, _Columns.of(empty), [msg], False)
    framing = _tfrecord.frame(buf)
    decoded = decode_payloads(framing.payloads(buf), decoder, prefix)
    cols = _Columns.of(decoded)
    if framing.stop == 0 and framing.stop_reason != "truncated":
        return _FileResult(path, prefix, decoded, cols, [], True)
    return _FileResult(
        path, prefix, decoded, cols, _framing_warnings(path, framing, decoded), False
    )


def _framing_warnings(path: Path, framing: _tfrecord.Framing, decoded: Decoded) -> list[str]:
    warnings = []
    kept = decoded.n_events
    if framing.stop_reason == "truncated":
        warnings.append(
            f"{path.name}: truncated at byte {framing.stop} of {framing.size} (cut off "
            f"mid-write, e.g. by a crash); read the {kept} complete records before it"
        )
    elif framing.stop is not None:
        warnings.append(
            f"{path.name}: corrupt record header at byte {framing.stop} of {framing.size} "
            f"(length checksum mismatch); read the {kept} records before it, the remaining "
            f"{framing.size - framing.stop} bytes cannot be located"
        )
    if framing.bad_payload:
        warnings.append(
            f"{path.name}: skipped {len(framing.bad_payload)} record(s) with a bad payload "
            f"checksum (first at byte {framing.bad_payload[0]})"
        )
    if decoded.undecodable:
        warnings.append(
            f"{path.name}: skipped {decoded.undecodable} record(s) that are not TensorBoard events"
        )
    return warnings


# --------------------------------------------------------------------------------------------
# One run


@dataclass
class _Layout:
    """Which files make up one run, grouped by the tag prefix they get."""

    groups: list[tuple[str, list[Path]]]  # (prefix, files in name order)
    sessions: list[Path]  # add_hparams session files (config + their metric values)
    profile_markers: int
    hparams_yaml: Path | None


def _layout(path: Path) -> _Layout:
    if path.is_file():
        yaml_path = path.parent / "hparams.yaml"
        return _Layout([("", [path])], [], 0, yaml_path if yaml_path.is_file() else None)
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError as exc:
        raise InputError(f"cannot list {path}: {exc.strerror or exc}") from exc
    names = [e.name for e in entries]
    markers = sum(1 for n in names if n.endswith(".profile-empty"))
    groups = [("", _event_files_in(path, names))]
    sessions: list[Path] = []
    for e in entries:
        try:
            is_dir = e.is_dir()
        except OSError:
            continue
        if not is_dir:
            continue
        if e.name in KERAS_HALVES:
            sub = Path(e.path)
            half_files = keras_half_files(sub)
            groups.append((e.name + "/", half_files))
            if half_files:
                markers += sum(1 for n in os.listdir(sub) if n.endswith(".profile-empty"))
        elif fnmatch.fnmatch(e.name, HPARAMS_SESSION_GLOB):
            sessions.extend(_event_files_in(Path(e.path)))
    groups = [(prefix, files) for prefix, files in groups if files]
    yaml_path = path / "hparams.yaml"
    return _Layout(groups, sessions, markers, yaml_path if yaml_path.is_file() else None)


def writer_id(name: str) -> str | None:
    """``host.pid`` of the process that wrote an event file, from its name (``None`` if absent).

    PyTorch, tensorboardX and TF2 name files ``events.out.tfevents.<time>.<host>.<pid>.<n>``
    (``.v2`` appended by TF2); TF1 names carry no pid.
    """
    tail = name.split("tfevents.", 1)[-1].removesuffix(".v2")
    parts = tail.split(".")
    if len(parts) >= 4 and parts[-1].isdigit() and parts[-2].isdigit():
        return ".".join(parts[1:-1])
    return None


def _supersede_restarts(results: list[_FileResult], n_names: int, where: str) -> str | None:
    """Apply the restart rule across the event files of one folder; one warning line or None.

    A file restarts a tag when its first step for that tag is below the highest step the earlier
    files logged for it, or equal to it while written by another process (a resumed or re-run
    training that logs its first point at the same step, e.g. Ultralytics' per-epoch steps). The
    later write wins from that step on, per tag, as TensorBoard purges after a restart; earlier
    files' records of that tag at or after that step are dropped here. Equal steps from one
    process (HF's train and eval writers) are not restarts.
    """
    import numpy as np

    big = np.iinfo(np.int64).max
    high = np.full(n_names, np.iinfo(np.int64).min, dtype=np.int64)
    last_writer: list[str | None] = [None] * n_names
    restart_steps: list[int] = []
    dropped = 0
    with_data = 0
    for k, r in enumerate(results):
        cols = r.cols
        if not len(cols):
            continue
        with_data += 1
        writer = writer_id(r.path.name)
        codes, first_idx = np.unique(cols.codes, return_index=True)
        firsts = cols.steps[first_idx]
        seen = high[codes] > np.iinfo(np.int64).min
        back = seen & (firsts < high[codes])
        if writer is not None:
            other = np.array([last_writer[c] != writer for c in codes], dtype=bool)
            back |= seen & other & (firsts == high[codes])
        file_high = np.full(n_names, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(file_high, cols.codes, cols.steps)
        if back.any():
            cut = np.full(n_names, big, dtype=np.int64)
            cut[codes[back]] = firsts[back]
            restart_steps.append(int(firsts[back].min()))
            for earlier in results[:k]:
                keep = earlier.cols.steps < cut[earlier.cols.codes]
                dropped += int((~keep).sum())
                earlier.cols = earlier.cols.keep(keep)
            high[codes[back]] = file_high[codes[back]]
        high = np.maximum(high, file_high)
        for c in codes:
            last_writer[c] = writer
    if not restart_steps:
        return None
    return (
        f"{len(restart_steps)} of {with_data} event files{where} restart the step counter "
        f"(at step {min(restart_steps)}): read as restarts of one run; the later write wins "
        f"({dropped} earlier records superseded)"
    )


def _describe_ignored(counts: Counter[str], markers: int) -> list[str]:
    """``"graph_def"``, ``"12 image summaries"`` … for ``RawRun.ignored``."""
    labels = {
        "graph_def": "graph_def",
        "meta_graph_def": "meta_graph_def",
        "tagged_run_metadata": "run metadata",
        "session_log": "session_log",
        "log_message": "log_message",
    }
    out = []
    for key, n in counts.items():
        if key in labels:
            out.append(labels[key] if n == 1 else f"{n} × {labels[key]}")
        else:
            out.append(f"{n} {key}" if n != 1 else f"1 {key.replace('summaries', 'summary')}")
    if markers:
        out.append(f"{markers} profile-empty marker file{'s' if markers != 1 else ''}")
    return out


def _merge_config(tb_hparams: dict[str, Any], yaml_config: dict[str, Any]) -> dict[str, Any]:
    """TensorBoard hparams overlaid by ``hparams.yaml`` (typed and nested, so it wins).

    Lightning logs nested hparams to TensorBoard flattened with ``/`` (``model/d_model``); such a
    key is dropped when the YAML holds the same path, so a value does not appear twice.
    """
    config = {k: v for k, v in tb_hparams.items() if not _yaml_has(yaml_config, k)}
    config.update(yaml_config)
    return config


def _yaml_has(tree: dict[str, Any], key: str) -> bool:
    node: Any = tree
    for part in key.split("/"):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _keras_eval_duplicates(tags: set[str]) -> set[str]:
    """Keras' ``evaluation_<m>_vs_iterations`` tags that repeat an ``epoch_<m>`` tag beside them."""
    dups = set()
    for tag in tags:
        prefix, _, bare = tag.rpartition("/")
        if bare.startswith(_KERAS_EVAL_PREFIX) and bare.endswith(_KERAS_EVAL_SUFFIX):
            metric = bare[len(_KERAS_EVAL_PREFIX) : -len(_KERAS_EVAL_SUFFIX)]
            if f"{prefix}/epoch_{metric}".lstrip("/") in tags:
                dups.add(tag)
    return dups


@dataclass
class _RunParts:
    """Everything read from the files of one run, before it becomes a :class:`RawRun`."""

    decoder: _Decoder
    chunks: list[_Columns] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)
    hparams: dict[str, Any] = field(default_factory=dict)
    config_sources: list[str] = field(default_factory=list)
    scalar_tags: set[str] = field(default_factory=set)
    unreadable: list[Path] = field(default_factory=list)
    n_read: int = 0
    tf2_histograms: int = 0

    def absorb(self, result: _FileResult) -> None:
        """Append one file's records (file order is write order) and what it said."""
        self.files.append(str(result.path))
        self.warnings.extend(result.warnings)
        if result.unreadable:
            self.unreadable.append(result.path)
            return
        self.n_read += 1
        d = result.decoded
        self.ignored.update(d.ignored)
        self.tf2_histograms += d.tf2_histograms
        self.scalar_tags.update(result.prefix + t for t in d.scalar_tags)
        if d.hparams:
            self.hparams.update(d.hparams)
            self.config_sources.append(f"{result.path} (hparams plugin)")
        if len(result.cols):
            self.chunks.append(result.cols)

    def columns(self) -> _Columns:
        import numpy as np

        if not self.chunks:
            return _Columns.of(Decoded())
        if len(self.chunks) > 1:
            self.chunks = [
                _Columns(
                    *(np.concatenate([getattr(c, f) for c in self.chunks]) for f in _COLUMN_FIELDS)
                )
            ]
        return self.chunks[0]

    def drop_names(self, names: set[str], reason: str) -> None:
        """Remove every record of ``names`` and count them in ``ignored`` under ``reason``."""
        import numpy as np

        cols = self.columns()
        drop = np.isin(cols.codes, [self.decoder.code(n) for n in names])
        if drop.any():
            self.ignored[reason] += int(drop.sum())
            self.chunks = [cols.keep(~drop)]
        self.scalar_tags -= names

    def values_of(self, name: str) -> Any:
        cols = self.columns()
        return cols.values[cols.codes == self.decoder.code(name)]

    def records(self) -> pd.DataFrame:
        """One records table for the whole run (a categorical name column)."""
        from nn_doctor.readers._common import records

        c = self.columns()
        table = records(c.steps, c.codes, self.decoder.names, c.values, c.walls)
        table["name"] = table["name"].cat.remove_unused_categories()
        return table


_COLUMN_FIELDS = ("steps", "codes", "values", "walls")


def _read_run(path: Path) -> RawRun:
    from nn_doctor.readers._common import raw_run

    layout = _layout(path)
    if not layout.groups and not layout.sessions:
        raise InputError(
            f"no TensorBoard event files in {path}",
            hint="point at a folder holding events.out.tfevents.* files, or at one such file",
        )
    parts = _RunParts(_Decoder())
    for prefix, group_files in layout.groups:
        results = [_read_file(f, prefix, parts.decoder) for f in group_files]
        where = f" in {prefix}" if prefix else ""
        line = _supersede_restarts(results, len(parts.decoder.names), where)
        for r in results:
            parts.absorb(r)
        if line:
            parts.warnings.append(line)
    for f in layout.sessions:
        parts.absorb(_read_file(f, "", parts.decoder))

    if parts.unreadable and parts.n_read == 0:
        raise InputError(
            f"not a readable TensorBoard event file: {parts.unreadable[0]} (no valid record "
            "header at byte 0: another format, or a corrupt first record)",
            hint="if it is another format, pass --input-format NAME",
        )
    for bad in parts.unreadable:
        parts.warnings.append(
            f"{bad.name}: no valid record header at byte 0 (not an event file, or a corrupt "
            "first record); skipped"
        )

    if (
        parts.hparams
        and _HP_METRIC in parts.scalar_tags
        and bool((parts.values_of(_HP_METRIC) == _HP_METRIC_PLACEHOLDER).all())
    ):
        parts.drop_names({_HP_METRIC}, "hp_metric placeholder (-1, logged with the hparams)")
    dups = _keras_eval_duplicates(parts.scalar_tags)
    if dups:
        parts.drop_names(
            dups,
            "Keras evaluation_*_vs_iterations values (the validation metrics again, on the "
            "iteration axis)",
        )
    axis, axis_warning = _axis(parts.scalar_tags)
    if axis_warning:
        parts.warnings.append(axis_warning)
    if parts.tf2_histograms:
        parts.warnings.append(
            f"{parts.tf2_histograms} TF2 histogram(s): mean/std/norm estimated from bucket "
            "centres (TF2 does not store the sums)"
        )

    yaml_config: dict[str, Any] = {}
    if layout.hparams_yaml is not None:
        yaml_config = _load_yaml_config(layout.hparams_yaml, parts.warnings)
        if yaml_config:
            parts.config_sources.append(str(layout.hparams_yaml))

    return raw_run(
        NAME,
        path,
        parts.records(),
        files=parts.files,
        config=_merge_config(parts.hparams, yaml_config),
        config_sources=parts.config_sources,
        warnings=parts.warnings,
        ignored=_describe_ignored(parts.ignored, layout.profile_markers),
        axis=axis,
    )


def _axis(scalar_tags: set[str]) -> tuple[str, str | None]:
    """``"epoch"`` when every scalar tag is a Keras ``epoch_*`` tag (its step is the epoch)."""
    bare = {t.rsplit("/", 1)[-1] if t.split("/", 1)[0] in KERAS_HALVES else t for t in scalar_tags}
    epochy = {t for t in bare if t.startswith("epoch_")}
    if epochy and epochy == bare:
        return "epoch", None
    if epochy:
        others = sorted(bare - epochy)
        shown = ", ".join(others[:3]) + (", …" if len(others) > 3 else "")
        return "step", (
            f"epoch_* tags count epochs but {shown} count other steps; all are read on one "
            "step axis"
        )
    return "step", None


def _load_yaml_config(path: Path, warnings: list[str]) -> dict[str, Any]:
    from nn_doctor.readers.hparams import load_config_file

    try:
        return load_config_file(path)
    except Exception as exc:  # any YAML/encoding problem: the events are still worth reading
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        warnings.append(f"{path.name}: not readable as YAML ({first}); config from it ignored")
        return {}


def read(path: Path) -> list[RawRun]:
    """Read one event file, or a run folder (its event files, Keras halves, hparams sessions)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"no such file or folder: {path}")
    return [_read_run(path)]
