"""The TensorBoard fast path (numpy framer + fixed-layout decoder) against the general decoder.

The conftest already checks fast == general on every event file any reader test reads; these
tests add files built to sit on the edges of the fixed layout, damaged copies of a file big
enough for the numpy framer, the real-world files, and checks that the fast path really is
taken where it should be (so agreement is not won by sending everything to the general path).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from tests.readers.tb_agreement import CHECKED, check_modes

from nn_doctor.readers import _tbfast, _tbfile, _tfrecord, _tfrecord_np
from nn_doctor.readers import tensorboard as tb
from nn_doctor.readers._tbdecode import Decoder

tbx = pytest.importorskip("tensorboardX")
from tensorboardX.proto import event_pb2, summary_pb2  # noqa: E402
from tensorboardX.record_writer import RecordWriter  # noqa: E402

NAME = "events.out.tfevents.1700000000.host.1.0"


def scalar(tag: str, value: float, step: int, wall: float = 1.7e9) -> event_pb2.Event:
    """An event exactly as ``SummaryWriter.add_scalar`` builds it."""
    return event_pb2.Event(wall_time=wall, step=step, summary=tbx.summary.scalar(tag, value))


def write(path: Path, events: list, first: bool = True) -> Path:
    """Frame serialized events (``bytes`` are written as given) with tensorboardX's writer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    w = RecordWriter(str(path))
    if first:
        w.write(event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString())
    for ev in events:
        w.write(ev if isinstance(ev, bytes) else ev.SerializeToString())
    w.close()
    return path


def fast_records(path: Path) -> int:
    """How many records of ``path`` the fixed-layout decoder takes."""
    buf = path.read_bytes()
    framing = _tfrecord.frame(buf)
    arr = np.frombuffer(buf, dtype=np.uint8)
    return len(
        _tbfast._fixed_layout(arr, np.asarray(framing.starts), np.asarray(framing.ends))["records"]
    )


def big_scalar_file(tmp_path: Path, n_steps: int = 400, tags: int = 5) -> Path:
    events = [
        scalar(f"train/m{k}", math.sin(step * 0.1 + k), step, 1.7e9 + step)
        for step in range(n_steps)
        for k in range(tags)
    ]
    return write(tmp_path / "big" / NAME, events)


def test_writer_layouts_take_the_fast_path(tmp_path: Path) -> None:
    with tbx.SummaryWriter(str(tmp_path / "x")) as w:
        for step in range(50):
            w.add_scalar("loss", 1.0 / (step + 1), step)
            w.add_scalar("ünïcode/标签", float(step), step)
    (tbx_file,) = (tmp_path / "x").iterdir()
    assert fast_records(tbx_file) == 100  # every add_scalar record; not the file_version
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    with torch_tb.SummaryWriter(str(tmp_path / "t")) as w:
        for step in range(30):
            w.add_scalar("loss", 0.5, step)
    (torch_file,) = (tmp_path / "t").iterdir()
    assert fast_records(torch_file) == 30
    for path in (tbx_file, torch_file):
        check_modes(path)


def test_edges_of_the_fixed_layout(tmp_path: Path) -> None:
    long_tag = "t" * 118  # L1 = 127: the longest one-byte length
    too_long = "t" * 119
    multi = event_pb2.Event(wall_time=1.0, step=5)
    multi.summary.value.add(tag="a", simple_value=1.0)
    multi.summary.value.add(tag="b", simple_value=2.0)
    meta = scalar("m", 3.0, 6)
    meta.summary.value[0].metadata.plugin_data.plugin_name = "scalars"
    bad_utf8 = scalar("ab", 4.0, 7).SerializeToString().replace(b"ab", b"\xff\xfe")
    events = [
        scalar("zero_step", 1.0, 0),  # step omitted (proto3 default)
        scalar("zero_wall", 1.0, 3, wall=0.0),  # wall_time omitted: general path
        scalar("neg", 1.0, -1),  # 10-byte varint: general path
        scalar("huge", 1.0, 2**55),  # 8-byte varint: still fast
        scalar("huger", 1.0, 2**56),  # 9 bytes: general path
        scalar(long_tag, 1.0, 1),
        scalar(too_long, 1.0, 1),
        scalar("", 1.0, 2),  # empty tag: proto3 leaves the field out, general path
        scalar("nan", math.nan, 3),
        scalar("neg0", -0.0, 3),
        scalar("tiny", 1e-45, 3),  # a float32 subnormal
        multi,
        meta,
        bad_utf8,
    ]
    path = write(tmp_path / NAME, events)
    fast = fast_records(path)
    assert fast == 7  # zero_step, huge, long_tag, nan, neg0, tiny, and bad_utf8's shape
    decoder = Decoder()
    result = check_modes(path, "", decoder)
    assert result.decoded.undecodable == 1  # the bad UTF-8 tag, decided by the general decoder
    assert set(decoder.names) == {
        "zero_step",
        "zero_wall",
        "neg",
        "huge",
        "huger",
        long_tag,
        too_long,
        "",
        "nan",
        "neg0",
        "tiny",
        "a",
        "b",
        "m",
    }
    steps = dict(zip((decoder.names[c] for c in result.cols.codes), result.cols.steps, strict=True))
    assert (steps["zero_step"], steps["neg"], steps["huge"], steps["huger"]) == (
        0,
        -1,
        2**55,
        2**56,
    )


def test_numpy_framer_and_aggregate_crc_on_damaged_copies(tmp_path: Path) -> None:
    path = big_scalar_file(tmp_path)
    buf = path.read_bytes()
    framing = _tfrecord.frame(buf)
    assert len(framing) == 2001 and framing.stop is None
    assert _tbfile._small_records(buf)  # auto mode uses the numpy framer on this file
    heads = [s - 12 for s in framing.starts]
    target = tmp_path / "damaged" / NAME
    target.parent.mkdir()
    cases: list[bytes] = []
    for k in (1, 7, 1000, 2000):  # one flipped payload byte: only that record is lost
        b = bytearray(buf)
        b[framing.starts[k] + 3] ^= 0x40
        cases.append(bytes(b))
    b = bytearray(buf)  # two bad payloads, and a bad footer CRC
    b[framing.starts[10] + 1] ^= 1
    b[framing.starts[500] + 20] ^= 0x80
    b[framing.ends[900]] ^= 0xFF
    cases.append(bytes(b))
    b = bytearray(buf)  # a corrupt length in the middle: everything after it is lost
    b[heads[1200]] ^= 0x01
    cases.append(bytes(b))
    b = bytearray(buf)  # a zeroed block across several records
    b[heads[300] + 5 : heads[300] + 400] = bytes(395)
    cases.append(bytes(b))
    for cut in (len(buf) - 1, heads[1500] + 5, heads[1500], framing.ends[999] + 2):
        cases.append(buf[:cut])
    for case in cases:
        target.write_bytes(case)
        np_framing = _tfrecord_np.frame(case)
        ref = _tfrecord.frame(case)
        assert list(np_framing.starts) == list(ref.starts)
        assert (np_framing.stop, np_framing.stop_reason, np_framing.bad_payload) == (
            ref.stop,
            ref.stop_reason,
            ref.bad_payload,
        )
        check_modes(target)
    assert len(_tfrecord.frame(cases[4]).bad_payload) == 3


def test_aggregate_crc_catches_every_single_byte_flip(tmp_path: Path) -> None:
    path = big_scalar_file(tmp_path, n_steps=60, tags=5)
    buf = path.read_bytes()
    framing = _tfrecord.frame(buf)
    k = 150
    start, end = framing.starts[k], framing.ends[k]
    for pos in range(start, end + 4):  # every payload byte and the footer
        for bit in (0x01, 0x80):
            b = bytearray(buf)
            b[pos] ^= bit
            got = _tfrecord_np.frame(bytes(b))
            assert got.bad_payload == [start - 12], pos


def test_names_register_in_first_appearance_order(tmp_path: Path) -> None:
    events = []
    for step in range(300):
        events.append(scalar("b_scalar", 1.0, step))
        if step == 150:
            h = event_pb2.Event(wall_time=1.0, step=step)
            h.summary.value.add(tag="a_histo", histo=summary_pb2.HistogramProto(num=1, max=1.0))
            events.append(h)
        events.append(scalar("c_scalar", 2.0, step))
    path = write(tmp_path / NAME, events)
    decoder = Decoder()
    check_modes(path, "pre/", decoder)
    assert decoder.names[:2] == ["pre/b_scalar", "pre/c_scalar"]
    assert decoder.names[2].startswith("pre/a_histo:")


def test_the_conftest_checks_every_file_a_test_reads(tmp_path: Path) -> None:
    path = big_scalar_file(tmp_path, n_steps=60)
    CHECKED.discard(str(path))
    (raw,) = tb.read(path)
    assert len(raw.records) == 300
    assert str(path) in CHECKED


@pytest.mark.realworld
def test_realworld_event_files_agree(realworld: Path) -> None:
    files = sorted(p for p in realworld.rglob("*tfevents*") if p.is_file())
    assert len(files) >= 10
    fast_total = 0
    for path in files:
        check_modes(path)
        fast_total += fast_records(path)
    assert fast_total > 10_000  # PyTorch/Lightning/Ultralytics files mostly take the fast path
