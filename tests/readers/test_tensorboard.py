"""The TensorBoard event-file reader, on files written by the real writers in each test.

Writers: tensorboardX's and PyTorch's ``SummaryWriter``; TF2-style tensor summaries are built
with TensorBoard's own protos (``tensorboard.compat.proto``, not the ones the reader decodes with)
and framed by tensorboardX's ``RecordWriter``, since TensorFlow is not installed here.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nn_doctor.api import read_raw, read_runs
from nn_doctor.errors import InputError
from nn_doctor.frame import build_frame
from nn_doctor.readers import _tfrecord, discover
from nn_doctor.readers import tensorboard as tb

tbx = pytest.importorskip("tensorboardX")
from tensorboard.compat.proto import event_pb2 as tf_event_pb2  # noqa: E402
from tensorboard.compat.proto import summary_pb2 as tf_summary_pb2  # noqa: E402
from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2, types_pb2  # noqa: E402
from tensorboardX.record_writer import RecordWriter  # noqa: E402

# --------------------------------------------------------------------------------------------
# helpers


def read_one(path: Path):
    """The single RawRun the reader returns for ``path``."""
    runs = tb.read(path)
    assert len(runs) == 1
    return runs[0]


def series(raw, name: str) -> tuple[list[int], list[float]]:
    rec = raw.records[raw.records["name"] == name]
    return rec["step"].tolist(), rec["value"].tolist()


def event_file(folder: Path, *, stamp: int = 1700000000, host: str = "host", pid: int = 1) -> Path:
    """A path named the way PyTorch/tensorboardX name event files."""
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"events.out.tfevents.{stamp}.{host}.{pid}.0"


def write_events(path: Path, events: list) -> Path:
    """Frame serialized events with tensorboardX's RecordWriter (file_version first)."""
    w = RecordWriter(str(path))
    w.write(tf_event_pb2.Event(wall_time=1.0, file_version="brain.Event:2").SerializeToString())
    for ev in events:
        w.write(ev.SerializeToString())
    w.flush()
    w.close()
    return path


def scalar_events(tag: str, steps: list[int], values: list[float], wall0: float = 1e9) -> list:
    return [
        tf_event_pb2.Event(
            wall_time=wall0 + s,
            step=s,
            summary=tf_summary_pb2.Summary(
                value=[tf_summary_pb2.Summary.Value(tag=tag, simple_value=v)]
            ),
        )
        for s, v in zip(steps, values, strict=True)
    ]


def tf2_tensor_value(tag: str, tensor, plugin: str | None) -> tf_summary_pb2.Summary.Value:
    v = tf_summary_pb2.Summary.Value(tag=tag, tensor=tensor)
    if plugin:
        v.metadata.plugin_data.plugin_name = plugin
    return v


def tf2_scalar(value: float, dtype: str = "float") -> tensor_pb2.TensorProto:
    """A rank-0 tensor as TF2's ``tf.summary.scalar`` writes it."""
    if dtype == "float":
        return tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, float_val=[value])
    return tensor_pb2.TensorProto(
        dtype=types_pb2.DT_DOUBLE, tensor_content=np.float64(value).tobytes()
    )


def tf2_events(tag: str, steps, values, plugin_first: str = "scalars", **kw) -> list:
    """TF2 writers attach the plugin metadata to a tag's first value only."""
    out = []
    for i, (s, v) in enumerate(zip(steps, values, strict=True)):
        summary = tf_summary_pb2.Summary(
            value=[tf2_tensor_value(tag, tf2_scalar(v, **kw), plugin_first if i == 0 else None)]
        )
        out.append(tf_event_pb2.Event(wall_time=1e9 + s, step=s, summary=summary))
    return out


def record_bounds(buf: bytes) -> list[tuple[int, int]]:
    """(start, end) byte offsets of each whole record, from the length fields (test's own framer)."""
    out, off = [], 0
    while off < len(buf):
        (length,) = np.frombuffer(buf[off : off + 8], dtype="<u8")
        end = off + 12 + int(length) + 4
        out.append((off, end))
        off = end
    return out


# --------------------------------------------------------------------------------------------
# detection


def test_sniff_and_folder_files(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with tbx.SummaryWriter(str(run)) as w:
        w.add_scalar("loss", 1.0, 0)
    (ev,) = run.iterdir()
    assert tb.sniff(ev)
    marker = run / "events.out.tfevents.1660241684.host.profile-empty"
    marker.write_bytes(ev.read_bytes()[:40])
    assert not tb.sniff(marker)
    text = run / "events.out.tfevents.notes"
    text.write_text("step 1 loss 0.5\n" * 5)
    assert not tb.sniff(text)  # named like one, but its first header's CRC is wrong
    assert not tb.sniff(run)  # a folder
    assert not tb.sniff(tmp_path / "missing.tfevents")
    renamed = tmp_path / "log.bin"
    renamed.write_bytes(ev.read_bytes())
    assert not tb.sniff(renamed)  # by name first: cheap for audit over big trees
    names = frozenset(os.listdir(run))
    assert tb.folder_files(run, names) == [ev, text]  # names only; the reader warns on text
    assert tb.folder_files(tmp_path, frozenset(os.listdir(tmp_path))) == []


def test_module_import_is_light_and_reading_skips_torch(tmp_path: Path) -> None:
    path = write_events(event_file(tmp_path), scalar_events("loss", [0, 1], [1.0, 0.5]))
    code = (
        "import sys\n"
        "import nn_doctor.readers.tensorboard as tb\n"
        "light = not any(m in sys.modules for m in ('pandas', 'google.protobuf', 'numpy'))\n"
        f"raw = tb.read(__import__('pathlib').Path({str(path)!r}))[0]\n"
        "print(light, len(raw.records), 'torch' in sys.modules, 'tensorboardX' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "2", "False", "False"]


def test_private_proto_classes_decode_like_tensorboardx(tmp_path: Path) -> None:
    from tensorboardX.proto import event_pb2

    from nn_doctor.readers._tbproto import protos

    assert protos().source == "descriptors"
    with tbx.SummaryWriter(str(tmp_path)) as w:
        w.add_scalar("a/b", 0.25, 3)
        w.add_histogram("h", np.arange(10.0), 3)
        w.add_hparams({"lr": 0.1}, {"m": 1.0}, name="s")
    for path in tmp_path.rglob("events.out.tfevents.*"):
        buf = path.read_bytes()
        framing = _tfrecord.frame(buf)
        assert framing.stop is None
        assert len(framing) >= 2
        for payload in framing.payloads(buf):
            ours = protos().Event.FromString(payload)
            theirs = event_pb2.Event.FromString(payload)
            assert ours.SerializeToString(deterministic=True) == theirs.SerializeToString(
                deterministic=True
            )
            assert str(ours) == str(theirs)


# --------------------------------------------------------------------------------------------
# scalars


def test_tensorboardx_scalars_keep_order_and_logged_nonfinite(tmp_path: Path) -> None:
    values = [2.0 / (1 + i) for i in range(30)]
    values[10] = math.nan
    values[20] = math.inf
    with tbx.SummaryWriter(str(tmp_path)) as w:
        for i, v in enumerate(values):
            w.add_scalar("train/loss", v, i)
            if i % 10 == 0:
                w.add_scalar("lr", 0.1 / (1 + i), i)
    raw = read_one(tmp_path)
    assert raw.format == "tensorboard"
    assert str(raw.records["step"].dtype) == "int64"
    assert raw.records["value"].dtype == np.float64
    steps, got = series(raw, "train/loss")
    assert steps == list(range(30))
    expected = np.float32(values).astype(np.float64)  # simple_value is a float32
    np.testing.assert_array_equal(np.asarray(got), expected)  # NaN == NaN here
    assert np.isinf(got[20]) and np.isnan(got[10])
    assert series(raw, "lr")[0] == [0, 10, 20]
    assert raw.records["wall_time"].notna().all()
    assert raw.warnings == []
    frame = build_frame(raw)
    loss = frame.series("train_loss")
    assert math.isnan(loss.loc[10]) and loss.loc[20] == math.inf
    assert frame.has("lr")


def test_torch_writer_scalars_hparams_and_one_run(tmp_path: Path) -> None:
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    run = tmp_path / "exp1"
    with torch_tb.SummaryWriter(log_dir=str(run)) as w:
        for i in range(20):
            w.add_scalar("Loss/train", 1.0 / (1 + i), i)
            w.add_scalar("Loss/val", 1.2 / (1 + i), i)
        w.add_hparams(
            {"lr": 0.01, "batch_size": 32, "optimizer": "adam", "use_bn": True},
            {"hparam/accuracy": 0.875},
        )
    sessions = [p for p in run.iterdir() if p.is_dir()]
    assert len(sessions) == 1  # add_hparams wrote its session into a timestamp folder
    sources = discover(run)
    assert [(s.reader, s.path) for s in sources] == [("tensorboard", run)]
    raw = read_one(run)
    assert raw.config == {"lr": 0.01, "batch_size": 32.0, "optimizer": "adam", "use_bn": True}
    assert any("hparams plugin" in s for s in raw.config_sources)
    assert series(raw, "hparam/accuracy")[1] == [0.875]
    frame = build_frame(raw)
    assert frame.config["lr"] == 0.01 and frame.config["batch_size"] == 32
    assert len(frame.series("train_loss")) == 20 and len(frame.series("val_loss")) == 20


def test_tensorboardx_add_hparams_session_folder_is_part_of_the_run(tmp_path: Path) -> None:
    with tbx.SummaryWriter(str(tmp_path)) as w:
        w.add_scalar("loss", 1.0, 0)
        w.add_scalar("loss", 0.5, 1)
        w.add_hparams({"lr": 0.3, "depth": 4, "act": "relu"}, {"hparam/loss": 0.5})
    runs = read_runs(tmp_path)
    assert len(runs) == 1
    assert runs[0].config_raw == {"lr": 0.3, "depth": 4.0, "act": "relu"}
    assert runs[0].config["depth"] == 4
    # A session folder read on its own is a run of its own (TensorBoard shows it so).
    (session,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    raw = read_one(session)
    assert raw.config["lr"] == 0.3
    assert series(raw, "hparam/loss")[1] == [0.5]


def test_images_text_audio_are_counted_not_read(tmp_path: Path) -> None:
    with tbx.SummaryWriter(str(tmp_path)) as w:
        w.add_scalar("loss", 1.0, 0)
        for i in range(3):
            w.add_image("samples", np.zeros((3, 4, 4), dtype=np.float32), i)
        w.add_text("notes", "hello", 0)
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    with torch_tb.SummaryWriter(log_dir=str(tmp_path)) as w:  # tensorboardX needs soundfile
        w.add_audio("clip", np.zeros(100, dtype=np.float32), 0, sample_rate=100)
    raw = read_one(tmp_path)
    assert raw.records["name"].astype(str).unique().tolist() == ["loss"]
    assert "3 image summaries" in raw.ignored
    assert "1 audio summary" in raw.ignored
    assert "1 text summary" in raw.ignored


def test_tf2_tensor_scalars_metadata_on_first_value_only(tmp_path: Path) -> None:
    steps = list(range(6))
    loss = [1.5, 1.2, float("nan"), 0.9, float("-inf"), 0.7]
    events = tf2_events("epoch_loss", steps, loss)
    events += tf2_events("epoch_accuracy", steps, [0.1 * s for s in steps], dtype="double")
    text = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_STRING,
        string_val=[b"hi"],
        tensor_shape=tensor_shape_pb2.TensorShapeProto(),
    )
    events.append(
        tf_event_pb2.Event(
            step=0, summary=tf_summary_pb2.Summary(value=[tf2_tensor_value("cfg", text, "text")])
        )
    )
    path = write_events(event_file(tmp_path / "train").with_suffix(".v2"), events)
    raw = read_one(path)
    got_steps, got = series(raw, "epoch_loss")
    assert got_steps == steps
    np.testing.assert_array_equal(got, np.float32(loss).astype(float))
    # float64 tensor_content decodes to the exact double
    assert series(raw, "epoch_accuracy")[1] == [0.1 * s for s in steps]
    assert "1 text summary" in raw.ignored
    assert raw.axis == "epoch"  # every scalar tag is a Keras epoch_* tag


def test_tf2_histogram_tensor(tmp_path: Path) -> None:
    data = np.array([-1.0, -0.5, 0.0, 0.0, 0.5, 2.0])
    edges = np.linspace(data.min(), data.max(), 4)
    counts, _ = np.histogram(data, edges)
    buckets = np.stack([edges[:-1], edges[1:], counts.astype(float)], axis=1)
    tensor = tensor_pb2.TensorProto(
        dtype=types_pb2.DT_DOUBLE,
        tensor_content=buckets.astype("<f8").tobytes(),
        tensor_shape=tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=3)] * 2
        ),
    )
    summary = tf_summary_pb2.Summary(value=[tf2_tensor_value("weights/fc1", tensor, "histograms")])
    path = write_events(event_file(tmp_path), [tf_event_pb2.Event(step=7, summary=summary)])
    raw = read_one(path)
    stats = dict(zip(raw.records["name"].astype(str), raw.records["value"], strict=True))
    assert stats["weights/fc1:count"] == 6
    assert stats["weights/fc1:min"] == -1.0 and stats["weights/fc1:max"] == 2.0
    assert "weights/fc1:zero_frac" not in stats  # buckets of width 1: cannot be known
    assert stats["weights/fc1:mean"] == pytest.approx(data.mean(), abs=0.3)
    assert stats["weights/fc1:norm"] == pytest.approx(np.linalg.norm(data), rel=0.3)
    assert any("estimated from bucket centres" in w for w in raw.warnings)


# --------------------------------------------------------------------------------------------
# histograms


def relu_like(n: int = 5000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.maximum(rng.standard_normal(n) * 0.7 + 0.1, 0.0)


@pytest.mark.parametrize("writer", ["tensorboardX", "torch"])
def test_histogram_summaries_match_numpy(tmp_path: Path, writer: str) -> None:
    if writer == "torch":
        SummaryWriter = pytest.importorskip("torch.utils.tensorboard").SummaryWriter
        kw = {"log_dir": str(tmp_path)}
    else:
        SummaryWriter, kw = tbx.SummaryWriter, {"logdir": str(tmp_path)}
    rng = np.random.default_rng(1)
    arrays = {
        "activations/fc1": relu_like(),
        "gradients/fc1": rng.standard_normal(2000) * 1e-3,
        "weights/fc1": rng.standard_normal(3000) * 0.05 + 0.01,
    }
    w = SummaryWriter(**kw)
    for step in (0, 5):
        for tag, a in arrays.items():
            w.add_histogram(tag, a * (1 + step), step)
    w.close()
    raw = read_one(tmp_path)
    rec = raw.records
    for tag, base in arrays.items():
        for step in (0, 5):
            a = base * (1 + step)
            at = rec[rec["step"] == step]
            got = dict(zip(at["name"].astype(str), at["value"], strict=True))
            assert got[f"{tag}:count"] == a.size
            assert got[f"{tag}:mean"] == pytest.approx(a.mean(), rel=1e-9, abs=1e-12)
            assert got[f"{tag}:std"] == pytest.approx(a.std(), rel=1e-6)
            assert got[f"{tag}:min"] == a.min() and got[f"{tag}:max"] == a.max()
            assert got[f"{tag}:norm"] == pytest.approx(np.linalg.norm(a), rel=1e-9)
    act = rec[(rec["name"] == "activations/fc1:zero_frac")]["value"].tolist()
    assert act == [float((arrays["activations/fc1"] == 0).mean())] * 2  # exact, not approximate
    assert 0.3 < act[0] < 0.6  # the fixture really has many zeros
    # gradients straddle 0 without exact zeros: the tight bucket at 0 counts none of them
    assert rec[rec["name"] == "gradients/fc1:zero_frac"]["value"].tolist() == [0.0, 0.0]
    frame = build_frame(raw)
    assert frame.layers("act_zero_frac") == ["act_zero_frac/fc1"]
    assert frame.has("grad_norm/fc1") and frame.has("weight_norm/fc1")
    assert frame.series("weight_norm/fc1").iloc[0] == pytest.approx(
        np.linalg.norm(arrays["weights/fc1"])
    )


def test_zero_frac_only_when_buckets_allow_it(tmp_path: Path) -> None:
    a = relu_like(4000, seed=3)
    with tbx.SummaryWriter(str(tmp_path)) as w:
        w.add_histogram("act/wide", a - 0.2, 0, bins=10)  # 10 equal-width bins: unknowable
        w.add_histogram("act/positive", a + 1.0, 0)  # min > 0: no zeros at all
        w.add_histogram("act/dead", np.zeros(50), 0)  # all zeros
        # max_bins merges neighbouring buckets: 20 groups of ~77 exponential buckets still leave
        # the one holding 0 within float32 precision of it; 5 groups do not.
        w.add_histogram("act/merged20", a, 0, max_bins=20)
        w.add_histogram("act/merged5", a, 0, max_bins=5)
    raw = read_one(tmp_path)
    names = set(raw.records["name"].astype(str))
    got = dict(zip(raw.records["name"].astype(str), raw.records["value"], strict=True))
    assert "act/wide:zero_frac" not in names
    assert "act/merged5:zero_frac" not in names
    assert got["act/merged20:zero_frac"] == float((a == 0).mean())
    assert got["act/positive:zero_frac"] == 0.0
    assert got["act/dead:zero_frac"] == 1.0
    assert got["act/dead:std"] == 0.0 and got["act/dead:norm"] == 0.0


def test_zero_fraction_rule_directly() -> None:
    inf = math.inf
    # tensorboardX/TF layout: right edges only, buckets [left, right)
    rights = [-1e-12, 0.0, 1e-12, 0.5, 1.0]
    lefts = [-inf, *rights[:-1]]
    counts = [0, 3, 5, 1, 1]
    assert tb.zero_fraction(10, -0.3, 1.0, lefts, rights, counts) == 0.5
    # the bucket holding 0 is [-0.5, 0.5): too wide
    assert tb.zero_fraction(10, -0.6, 1.0, [-1, -0.5, 0.5], [-0.5, 0.5, 1.0], [1, 8, 1]) is None
    # a tight bucket is judged relative to the data's scale (float32 precision)
    assert tb.zero_fraction(10, -1e-9, 1e-9, lefts, rights, counts) is None
    assert tb.zero_fraction(0, 0, 0, [], [], []) is None
    assert tb.zero_fraction(4, math.nan, 1.0, lefts, rights, counts) is None


def test_histogram_with_nan_gives_logged_nonfinite_stats() -> None:
    stats = dict(
        tb.histogram_stats(3, math.nan, math.nan, math.nan, math.nan, [-math.inf], [1.0], [3])
    )
    assert math.isnan(stats["mean"]) and math.isnan(stats["std"]) and math.isnan(stats["norm"])
    assert stats["count"] == 3
    assert tb.histogram_stats(0, 0, 0, 0, 0, [], [], []) == [("count", 0.0)]


# --------------------------------------------------------------------------------------------
# layouts


def keras_layout(root: Path, with_eval_duplicates: bool = True) -> Path:
    epochs = list(range(5))
    write_events(
        event_file(root / "train", pid=7).with_suffix(".v2"),
        tf2_events("epoch_loss", epochs, [1.0 - 0.1 * e for e in epochs])
        + tf2_events("epoch_accuracy", epochs, [0.5 + 0.1 * e for e in epochs]),
    )
    val = tf2_events("epoch_loss", epochs, [1.1 - 0.05 * e for e in epochs])
    val += tf2_events("epoch_accuracy", epochs, [0.4 + 0.1 * e for e in epochs])
    if with_eval_duplicates:
        val += tf2_events(
            "evaluation_loss_vs_iterations", [100 * (e + 1) for e in epochs], [1.0] * 5
        )
    write_events(event_file(root / "validation", pid=7).with_suffix(".v2"), val)
    return root


def test_keras_train_validation_pair_is_one_run_on_the_epoch_axis(tmp_path: Path) -> None:
    root = keras_layout(tmp_path / "logs")
    assert len(tb.folder_files(root, frozenset(os.listdir(root)))) == 2
    assert [(s.reader, s.path) for s in discover(tmp_path)] == [("tensorboard", root)]
    raw = read_one(root)
    assert raw.axis == "epoch"
    assert set(raw.records["name"].astype(str)) == {
        "train/epoch_loss",
        "train/epoch_accuracy",
        "validation/epoch_loss",
        "validation/epoch_accuracy",
    }
    assert any("evaluation_*_vs_iterations" in i for i in raw.ignored)
    (frame,) = read_runs(tmp_path)
    assert frame.axis == "epoch"
    assert {"train_loss", "val_loss", "train_acc", "val_acc"} <= set(frame.signals)
    assert frame.series("val_loss").tolist() == pytest.approx([1.1 - 0.05 * e for e in range(5)])
    half = read_one(root / "validation")  # one half on its own: same rule, no prefix
    assert half.axis == "epoch"
    assert set(half.records["name"].astype(str)) == {"epoch_loss", "epoch_accuracy"}


def test_a_train_folder_with_other_logs_is_not_a_keras_half(tmp_path: Path) -> None:
    # Ultralytics: runs/detect/train/{results.csv, events...} is a YOLO run of its own
    detect = tmp_path / "runs" / "detect"
    for name in ("train", "train2"):
        folder = detect / name
        write_events(event_file(folder), scalar_events("train/box_loss", [1, 2], [1.0, 0.5]))
        (folder / "results.csv").write_text(
            "epoch,train/box_loss,metrics/mAP50(B),lr/pg0\n1,1.0,0.1,0.01\n2,0.5,0.2,0.01\n"
        )
    assert tb.folder_files(detect, frozenset(os.listdir(detect))) == []
    sources = discover(tmp_path)
    assert [(s.reader, s.path.name) for s in sources] == [("yolo", "train"), ("yolo", "train2")]


def test_mixed_epoch_and_iteration_tags_stay_on_the_step_axis(tmp_path: Path) -> None:
    path = write_events(
        event_file(tmp_path),
        tf2_events("epoch_loss", [0, 1], [1.0, 0.5]) + tf2_events("batch_loss", [0, 50], [1, 1]),
    )
    raw = read_one(path)
    assert raw.axis == "step"
    assert any("epoch_* tags count epochs" in w for w in raw.warnings)


def test_several_files_restart_later_write_wins(tmp_path: Path) -> None:
    # first process: steps 0..9; second process restarts at 5 (resumed from a checkpoint)
    write_events(
        event_file(tmp_path, stamp=1700000000, pid=11),
        scalar_events("loss", list(range(10)), [10.0 + s for s in range(10)]),
    )
    write_events(
        event_file(tmp_path, stamp=1700000100, pid=12),
        scalar_events("loss", list(range(5, 15)), [20.0 + s for s in range(5, 15)]),
    )
    raw = read_one(tmp_path)
    restart = [w for w in raw.warnings if "restart the step counter" in w]
    assert restart == [
        "1 of 2 event files restart the step counter (at step 5): read as restarts of one run; "
        "the later write wins (5 earlier records superseded)"
    ]
    loss = build_frame(raw).series("train_loss")
    assert loss.index.tolist() == list(range(15))
    assert loss.tolist() == [10.0 + s for s in range(5)] + [20.0 + s for s in range(5, 15)]


def test_restart_at_the_same_step_by_another_process(tmp_path: Path) -> None:
    # Ultralytics-style: the step is the epoch, many values per step; an aborted start and a
    # re-run both begin at epoch 1. The later process wins at that step.
    write_events(
        event_file(tmp_path, stamp=1700000000, pid=1), scalar_events("loss", [1] * 4, [9] * 4)
    )
    write_events(
        event_file(tmp_path, stamp=1700000500, pid=2),
        scalar_events("loss", [1, 1, 2, 2], [1.0, 3.0, 0.5, 0.5]),
    )
    frame = build_frame(read_one(tmp_path))
    assert frame.series("train_loss").tolist() == [2.0, 0.5]
    assert any("1 of 2 event files restart" in w for w in frame.warnings)


def test_same_process_second_writer_at_the_last_step_is_not_a_restart(tmp_path: Path) -> None:
    # HF Trainer: train writer, then an eval writer of the same process at the final step.
    write_events(
        event_file(tmp_path, stamp=1700000000, pid=5),
        scalar_events("train/loss", [10, 20], [1.0, 0.8])
        + scalar_events("train/epoch", [10, 20], [0.5, 1.0]),
    )
    write_events(
        event_file(tmp_path, stamp=1700000900, pid=5),
        scalar_events("eval/loss", [20], [0.9]) + scalar_events("train/epoch", [20], [1.0]),
    )
    raw = read_one(tmp_path)
    assert not any("restart" in w for w in raw.warnings)
    assert series(raw, "train/epoch")[0] == [10, 20, 20]


def test_lightning_hparams_yaml_beside_events(tmp_path: Path) -> None:
    version = tmp_path / "lightning_logs" / "version_0"
    with tbx.SummaryWriter(str(version)) as w:
        w.add_scalar("train_loss", 1.0, 49)
        w.add_scalar("hp_metric", -1.0, 0)
    (version / "hparams.yaml").write_text(
        "learning_rate: 0.001\n"
        "backbone: !!python/object:__main__.Backbone\n"
        "  hidden: 128\n"
        "model:\n  d_model: 64\n"
    )
    raw = read_one(version)
    assert raw.config["learning_rate"] == 0.001
    assert raw.config["backbone"] == {"hidden": 128}
    assert raw.config_sources == [str(version / "hparams.yaml")]
    # hp_metric = -1 is Lightning's placeholder only when hparams came with it; here it did not
    assert series(raw, "hp_metric")[1] == [-1.0]


def test_lightning_hp_metric_placeholder_and_empty_run(tmp_path: Path) -> None:
    from tensorboardX.summary import hparams

    with tbx.SummaryWriter(str(tmp_path)) as w:
        exp, ssi, sei = hparams({"model/d_model": 64.0, "lr": 0.1}, {"hp_metric": -1})
        for s in (exp, ssi, sei):
            w.file_writer.add_summary(s)
        w.add_scalar("hp_metric", -1.0, 0)
    (tmp_path / "hparams.yaml").write_text("model:\n  d_model: 64\nlr: 0.1\n")
    raw = read_one(tmp_path)
    assert len(raw.records) == 0
    assert any("hp_metric placeholder" in i for i in raw.ignored)
    # the flattened TB key is dropped because the YAML holds the same value, typed and nested
    assert raw.config == {"model": {"d_model": 64}, "lr": 0.1}
    (frame,) = read_runs(tmp_path)
    assert frame.signals == []


# --------------------------------------------------------------------------------------------
# damaged files


def scalar_file(tmp_path: Path, n: int = 12) -> tuple[Path, bytes]:
    path = write_events(
        event_file(tmp_path / "src"),
        scalar_events("loss", list(range(n)), [float(i) for i in range(n)]),
    )
    return path, path.read_bytes()


def test_truncated_file_keeps_every_complete_record(tmp_path: Path) -> None:
    _, buf = scalar_file(tmp_path)
    bounds = record_bounds(buf)
    n_scalars = len(bounds) - 1  # the first record is file_version
    cut_dir = tmp_path / "cut"
    cut_dir.mkdir()
    target = cut_dir / "events.out.tfevents.1700000000.host.1.0"
    for k in range(len(bounds) - 3, len(bounds)):
        start, end = bounds[k]
        for cut in range(start + 1, end):  # every byte boundary inside record k
            target.write_bytes(buf[:cut])
            raw = read_one(target)
            kept = k - 1  # scalar records wholly before record k
            assert series(raw, "loss")[1] == [float(i) for i in range(kept)], cut
            assert raw.warnings == [
                f"{target.name}: truncated at byte {start} of {cut} (cut off mid-write, e.g. by "
                f"a crash); read the {k} complete records before it"
            ]
    target.write_bytes(buf)
    raw = read_one(target)
    assert len(raw.records) == n_scalars and raw.warnings == []


def test_zero_byte_file(tmp_path: Path) -> None:
    path = event_file(tmp_path)
    path.write_bytes(b"")
    assert tb.sniff(path)  # an event file that never got flushed is still an event file
    raw = read_one(path)
    assert len(raw.records) == 0
    assert len(raw.warnings) == 1 and "empty file (0 bytes)" in raw.warnings[0]
    (raw2,) = read_raw(tmp_path)  # through discovery: a run that says it is empty
    assert raw2.warnings == raw.warnings


def test_zero_byte_file_beside_a_good_one(tmp_path: Path) -> None:
    write_events(event_file(tmp_path, stamp=1700000000), scalar_events("loss", [0, 1], [1, 2]))
    event_file(tmp_path, stamp=1700000001).write_bytes(b"")
    raw = read_one(tmp_path)
    assert series(raw, "loss")[1] == [1.0, 2.0]
    assert len(raw.warnings) == 1 and "empty file" in raw.warnings[0]


def test_every_flipped_byte_is_caught_or_harmless(tmp_path: Path) -> None:
    _, buf = scalar_file(tmp_path, n=5)
    bounds = record_bounds(buf)
    start, end = bounds[3]  # the record holding loss = 2.0
    target = tmp_path / "events.out.tfevents.1700000000.host.1.0"
    for pos in range(start, end):
        bad = bytearray(buf)
        bad[pos] ^= 0x5A
        target.write_bytes(bytes(bad))
        raw = read_one(target)
        values = series(raw, "loss")[1]
        assert values[:2] == [0.0, 1.0], pos  # records before the damage are intact
        assert len(raw.warnings) == 1, pos
        if pos < start + 12:  # the length or its checksum: nothing after can be located
            assert "corrupt record header at byte" in raw.warnings[0]
            assert values == [0.0, 1.0]
        else:  # payload or its checksum: only this record is lost
            assert "bad payload checksum" in raw.warnings[0]
            assert values == [0.0, 1.0, 3.0, 4.0]


def test_not_an_event_file_is_a_one_line_input_error(tmp_path: Path) -> None:
    path = tmp_path / "events.out.tfevents.1700000000.host"
    path.write_text("epoch,loss\n0,1.0\n1,0.5\n")
    with pytest.raises(InputError) as err:
        tb.read(path)
    assert "\n" not in str(err.value)
    assert "not a readable TensorBoard event file" in str(err.value)
    # beside a good file it is a warning, not an error
    write_events(event_file(tmp_path, stamp=1600000000), scalar_events("loss", [0], [1.0]))
    raw = read_one(tmp_path)
    assert series(raw, "loss")[1] == [1.0]
    assert any("no valid record header at byte 0" in w for w in raw.warnings)


def test_empty_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no TensorBoard event files"):
        tb.read(tmp_path)


def test_framer_reports_without_raising() -> None:
    assert _tfrecord.frame(b"").stop is None
    f = _tfrecord.frame(b"\x01\x02\x03")
    assert (f.stop, f.stop_reason, len(f)) == (0, "truncated", 0)
    f = _tfrecord.frame(b"\xff" * 64)
    assert (f.stop, f.stop_reason) == (0, "bad length checksum")
    assert _tfrecord.masked_crc32c(b"") == _tfrecord.mask(0)
    assert _tfrecord._crc32c_py(b"123456789") == 0xE3069283  # the CRC-32C check value


def test_torch_add_scalars_folders_are_one_run(tmp_path: Path) -> None:
    # add_scalars("Loss", {"train": .., "val": ..}) writes Loss_train/ and Loss_val/ through
    # writers of their own, each file tagged "Loss"; a second writer of the same process in
    # eval/ belongs to the run too. A separate run beside it (another process) stays its own.
    torch_tb = pytest.importorskip("torch.utils.tensorboard")
    run = tmp_path / "exp"
    with (
        torch_tb.SummaryWriter(log_dir=str(run)) as w,
        torch_tb.SummaryWriter(log_dir=str(run / "eval")) as ev,
    ):
        for i in range(10):
            w.add_scalars("Loss", {"train": 1.0 / (1 + i), "val": 1.2 / (1 + i)}, i)
            w.add_scalars("Accuracy/top1", {"train": 0.1 * i, "val": 0.09 * i}, i)
            w.add_scalar("lr", 0.01, i)
            ev.add_scalar("f1", 0.05 * i, i)
    assert [s.path for s in discover(tmp_path)] == [run]
    f = read_runs(run)[0]
    assert f.sources["train_loss"] == "Loss/train" and f.sources["val_loss"] == "Loss/val"
    assert f.sources["val_acc"] == "Accuracy/top1/val"
    assert f.has("eval/f1") and f.series("val_loss").tolist()[0] == pytest.approx(1.2)
    # a run another process wrote into a sub-folder stays a run of its own
    code = (
        "import sys, tensorboardX as t\n"
        "with t.SummaryWriter(sys.argv[1]) as w:\n"
        "    [w.add_scalar('Loss_x', 1.0, i) for i in range(3)]\n"
    )
    subprocess.run([sys.executable, "-c", code, str(run / "Loss_seed1")], check=True)
    assert [s.path for s in discover(tmp_path)] == [run, run / "Loss_seed1"]
    assert not read_runs(run)[0].has("Loss_x/seed1")
