"""Property tests of the TensorBoard reader: generated event files, damaged at random.

Events are built with tensorboardX's protos (scalars with any tag, step and float32 value,
histograms, TF2 tensor scalars, several values per summary, images, non-event records) and
framed with valid checksums; then a truncation, a flipped byte, a zeroed block or a bad
checksum may be applied. Properties:

* nothing but a one-line ``InputError`` ever escapes, and (via the conftest) the numpy fast
  path and the general decoder agree on every file;
* on an undamaged file every scalar comes back, in order, as the float32 that was logged;
* a file cut at any byte (a crashed run) yields exactly the scalars of the complete records
  before the cut, with one warning naming the cut.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from tests.robustness.fuzz import fuzz, tried

from nn_doctor.errors import InputError
from nn_doctor.readers import _tfrecord
from nn_doctor.readers import tensorboard as tb

NAME = "events.out.tfevents.1700000000.host.42.0"
TAGS = st.text(
    alphabet=st.sampled_from([*"abcxyz_/.-0123456789 ", "ü", "损", "失", "\u00e9", "😀"]),
    min_size=0,
    max_size=24,
).filter(lambda t: not t.startswith(("hp_metric", "evaluation_")))
STEPS = st.one_of(st.integers(0, 10_000), st.integers(-(2**63), 2**63 - 1))
VALUES = st.floats(width=32, allow_nan=True, allow_infinity=True)
WALLS = st.one_of(st.just(0.0), st.floats(0, 2e9, allow_nan=False))

SCALAR = st.tuples(st.just("scalar"), TAGS, STEPS, VALUES, WALLS)
OTHER = st.one_of(
    st.tuples(st.just("histogram"), TAGS, STEPS, st.lists(st.floats(-1e6, 1e6), max_size=30)),
    st.tuples(st.just("tensor"), TAGS, STEPS, VALUES),
    st.tuples(st.just("multi"), TAGS, STEPS, VALUES),
    st.tuples(st.just("image"), TAGS, STEPS),
    # 0xff: field 31 with wire type 7, which no protobuf parser accepts: never an event
    st.tuples(st.just("garbage"), st.binary(max_size=40).map(lambda b: b"\xff\xff" + b)),
)
EVENTS = st.lists(st.one_of(SCALAR, SCALAR, SCALAR, OTHER), max_size=40)


def payload(spec: tuple) -> bytes:
    """One record's payload, as the writers serialize it."""
    import numpy as np
    from tensorboardX.proto.event_pb2 import Event
    from tensorboardX.proto.summary_pb2 import Summary
    from tensorboardX.proto.tensor_pb2 import TensorProto
    from tensorboardX.summary import histogram

    kind = spec[0]
    if kind == "garbage":
        return spec[1]
    tag, step = spec[1], spec[2]
    ev = Event(wall_time=1.7e9, step=step)
    if kind == "scalar":  # the bytes add_scalar writes, without its tag clean-up
        ev.wall_time = spec[4]
        ev.summary.value.add(tag=tag, simple_value=spec[3])
    elif kind == "histogram":
        values = np.asarray(spec[3] or [0.0])
        ev.summary.CopyFrom(histogram(tag + ":h", values, bins=np.linspace(-1e6, 1e6, 9)))
    elif kind == "tensor":
        v = ev.summary.value.add(tag=tag + ":t", tensor=TensorProto(dtype=1, float_val=[spec[3]]))
        v.metadata.plugin_data.plugin_name = "scalars"
    elif kind == "multi":
        ev.summary.value.add(tag=tag + ":a", simple_value=spec[3])
        ev.summary.value.add(tag=tag + ":b", simple_value=0.5)
    elif kind == "image":
        ev.summary.value.add(tag=tag + ":i", image=Summary.Image(height=1, width=1))
    return ev.SerializeToString()


def frame(payloads: list[bytes]) -> tuple[bytes, list[int]]:
    """Framed records with valid checksums; and each record's end offset."""
    out, ends = bytearray(), []
    for data in payloads:
        head = len(data).to_bytes(8, "little")
        out += head + _tfrecord.masked_crc32c(head).to_bytes(4, "little")
        out += data + _tfrecord.masked_crc32c(data).to_bytes(4, "little")
        ends.append(len(out))
    return bytes(out), ends


def file_version() -> bytes:
    from tensorboardX.proto.event_pb2 import Event

    return Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString()


def scalars_of(specs: list[tuple]) -> dict[str, list[tuple[int, float]]]:
    """What a reader must return for the plain scalars among ``specs``."""
    out: dict[str, list[tuple[int, float]]] = {}
    for s in specs:
        if s[0] == "scalar":
            out.setdefault(s[1], []).append((s[2], float(np.float32(s[3]))))
    return out


def read_scalars(
    path: Path, tags: set[str]
) -> tuple[dict[str, list[tuple[int, float]]], list[str]]:
    (raw,) = tb.read(path)
    rec = raw.records
    got: dict[str, list[tuple[int, float]]] = {}
    for step, name, value in zip(rec["step"], rec["name"].astype(str), rec["value"], strict=True):
        if name in tags:
            got.setdefault(name, []).append((int(step), float(value)))
    return got, raw.warnings


def same(a: dict[str, list[tuple[int, float]]], b: dict[str, list[tuple[int, float]]]) -> bool:
    """Equal, with NaN equal to NaN."""
    if a.keys() != b.keys():
        return False
    for k in a:
        if len(a[k]) != len(b[k]):
            return False
        for (s1, v1), (s2, v2) in zip(a[k], b[k], strict=True):
            if s1 != s2 or not (v1 == v2 or (math.isnan(v1) and math.isnan(v2))):
                return False
    return True


DAMAGE = st.one_of(
    st.none(),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(1, 255)),
    st.tuples(st.just("zero"), st.floats(0, 1), st.integers(1, 80)),
    st.tuples(st.just("footer"), st.floats(0, 1)),
)


@fuzz(max_examples=80)
@given(specs=EVENTS, damage=DAMAGE, repeat=st.sampled_from([1, 1, 1, 12]))
def test_generated_event_files(specs: list[tuple], damage: tuple | None, repeat: int) -> None:
    tried("TensorBoard: generated event files, damaged")
    specs = specs * repeat  # x12: past FAST_MIN_RECORDS, so auto mode takes the fast path too
    buf, ends = frame([file_version(), *(payload(s) for s in specs)])
    if damage is not None and buf:
        b = bytearray(buf)
        pos = min(int(damage[1] * len(b)), len(b) - 1)
        if damage[0] == "truncate":
            del b[pos:]
        elif damage[0] == "flip":
            b[pos] ^= damage[2]
        elif damage[0] == "zero":
            b[pos : pos + damage[2]] = bytes(len(b[pos : pos + damage[2]]))
        else:  # a bad payload checksum on the record around pos
            end = next(e for e in ends if e > pos)
            b[end - 1] ^= 0xFF
        buf = bytes(b)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / NAME
        path.write_bytes(buf)
        expected = scalars_of(specs)
        try:
            got, warnings = read_scalars(path, set(expected))
        except InputError as exc:
            message = exc.message
            assert "\n" not in message
            assert damage is not None  # an undamaged file always reads
            return
        assert all("\n" not in w for w in warnings)
        if damage is None:
            assert same(got, expected)
            garbage = sum(1 for s in specs if s[0] == "garbage")
            assert bool(garbage) == any("not TensorBoard events" in w for w in warnings)


@fuzz(max_examples=60)
@given(specs=st.lists(SCALAR, min_size=1, max_size=25), cut=st.floats(0, 1))
def test_a_cut_file_yields_every_complete_record_before_the_cut(
    specs: list[tuple], cut: float
) -> None:
    tried("TensorBoard: cut at any byte")
    buf, ends = frame([file_version(), *(payload(s) for s in specs)])
    at = int(cut * len(buf))
    complete = sum(1 for e in ends if e <= at)  # records wholly before the cut
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / NAME
        path.write_bytes(buf[:at])
        if at == 0:
            got, warnings = read_scalars(path, set())
            assert len(warnings) == 1 and "empty file" in warnings[0]
            return
        kept = specs[: max(0, complete - 1)]  # minus the file_version record
        got, warnings = read_scalars(path, {s[1] for s in specs})
        assert same(got, scalars_of(kept))
        if at not in ends:  # cut inside a record (at a record's end, the file is just shorter)
            assert len(warnings) == 1 and "truncated at byte" in warnings[0]
            assert f"read the {complete} complete records" in warnings[0]
        else:
            assert warnings == []


def test_every_cut_of_a_small_file(tmp_path: Path) -> None:
    """Exhaustively: a 5-record file cut at every one of its bytes."""
    specs = [("scalar", "loss", i, 1.0 / (i + 1), 1.7e9 + i) for i in range(4)]
    buf, ends = frame([file_version(), *(payload(s) for s in specs)])
    path = tmp_path / NAME
    for at in range(1, len(buf) + 1):
        tried("TensorBoard: every cut of a small file")
        path.write_bytes(buf[:at])
        complete = sum(1 for e in ends if e <= at)
        got, _ = read_scalars(path, {"loss"})
        assert same(got, scalars_of(specs[: max(0, complete - 1)])), at
