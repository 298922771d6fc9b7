"""The general event decoder: every payload through ``Event.FromString`` (tensorboardX's protos).

This is the reference for everything an event file can hold: ``simple_value`` scalars, TF2
tensor scalars, histograms (``HistogramProto`` and TF2 ``[k, 3]`` tensors), hparams plugin data;
everything else (images, audio, text, graphs, run metadata) is counted, not read. The
vectorized fast path (:mod:`._tbfast`) decodes only the common one-scalar layout and hands every
other record here, so correctness never depends on the fast path; a test checks that both give
the same records on every event file the test suite reads.

Rows are kept as columns (lists of numbers and name codes), never as a Python object per scalar.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nn_doctor.readers._tbhisto import histo_proto_stats, tf2_histogram_stats
from nn_doctor.readers._tbhparams import session_hparams

# TensorFlow DataType enum values → numpy dtype and the TensorProto repeated field holding them.
_TENSOR_DTYPES: dict[int, tuple[str, str]] = {
    1: ("<f4", "float_val"),  # DT_FLOAT
    2: ("<f8", "double_val"),  # DT_DOUBLE
    3: ("<i4", "int_val"),  # DT_INT32
    9: ("<i8", "int64_val"),  # DT_INT64
    19: ("<f2", "half_val"),  # DT_HALF (half_val holds the 16 bits in an int32)
    10: ("?", "bool_val"),  # DT_BOOL
}


def tensor_values(t: Any) -> Any:
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


def tensor_scalar(t: Any) -> float | None:
    """The value of a one-element numeric tensor (TF2 scalar summaries), else ``None``."""
    if len(t.tensor_shape.dim) > 1 or any(d.size != 1 for d in t.tensor_shape.dim):
        return None
    values = tensor_values(t)
    if values is None or values.size != 1:
        return None
    return float(values[0])


@dataclass
class Decoded:
    """What one event file held, as columns (no Python object per scalar).

    ``codes`` index the decoder's :attr:`Decoder.names` (one string per distinct name, so a
    million scalars do not hold a million strings). ``scalar_tags`` are the tags of scalar
    summaries (not histogram stats), for the axis rule. ``row_starts`` (only when asked for)
    holds, per decoded payload, the index of its first row: the fast path uses it to put rows
    back in file order.
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
    row_starts: list[int] | None = None


class Decoder:
    """Decodes event payloads of one run; remembers each tag's plugin across files.

    TF2 writers attach a tag's ``SummaryMetadata`` to its first value only, so the plugin that
    gives a later tensor its meaning must be remembered (TensorBoard does the same per run/tag).
    """

    def __init__(self) -> None:
        from nn_doctor.readers._tbproto import protos

        classes = protos()
        self._event_from = classes.Event.FromString
        self._hparams_from = classes.HParamsPluginData.FromString
        self.plugins: dict[str, str] = {}
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
        mark = out.row_starts.append if out.row_starts is not None else None
        tag_codes: dict[str, int] = {}  # simple_value tag -> code of prefix + tag
        n_events = 0
        # The common case (one simple_value per event) runs first with locals only: this loop
        # is the per-record cost of the general path.
        for payload in payloads:
            if mark is not None:
                mark(len(steps))
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
                self._other(v, kind, tag, step, wall, prefix, out)
        out.n_events += n_events
        scalar_tags.update(tag_codes)
        return out

    def _other(
        self, v: Any, kind: str | None, tag: str, step: int, wall: float, prefix: str, out: Decoded
    ) -> None:
        """Every summary value that is not a ``simple_value``: plugins, tensors, histograms."""
        plugin = v.metadata.plugin_data.plugin_name if v.HasField("metadata") else ""
        # A tag's plugin is remembered from its first value (TF2 writes the metadata only there).
        plugin = self.plugins.setdefault(tag, plugin) if plugin else self.plugins.get(tag, "")
        ignored = out.ignored
        if plugin == "hparams":
            hparams = session_hparams(v.metadata.plugin_data.content, self._hparams_from)
            if hparams is None:
                ignored["unreadable hparams data"] += 1
            else:
                out.hparams.update(hparams)
        elif kind == "histo":
            self._emit_stats(histo_proto_stats(v.histo), step, prefix + tag, wall, out)
        elif kind == "tensor" and plugin in ("scalars", ""):
            value = tensor_scalar(v.tensor)
            if value is None:
                ignored[f"{plugin or 'tensor'} summaries"] += 1
                return
            out.steps.append(step)
            out.codes.append(self.code(prefix + tag))
            out.values.append(value)
            out.walls.append(wall)
            out.scalar_tags.add(tag)
        elif kind == "tensor" and plugin == "histograms":
            self._tf2_histogram(v.tensor, step, prefix + tag, wall, out)
        elif kind in ("image", "audio"):
            ignored[f"{kind} summaries"] += 1
        else:
            ignored[f"{plugin or kind or 'empty'} summaries"] += 1

    def _tf2_histogram(self, tensor: Any, step: int, tag: str, wall: float, out: Decoded) -> None:
        values = tensor_values(tensor)
        stats = None
        if values is not None and values.size % 3 == 0:
            stats = tf2_histogram_stats(values.astype(float).reshape(-1, 3))
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
    payloads: Iterable[Any], decoder: Decoder | None = None, prefix: str = ""
) -> Decoded:
    """The general decoder: each payload through ``Event.FromString`` (the fast path's reference).

    Names are codes into ``decoder.names``; pass one decoder for all files of a run.
    """
    return (decoder or Decoder()).decode(payloads, Decoded(), prefix)
