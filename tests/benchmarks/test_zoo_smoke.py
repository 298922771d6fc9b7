"""Smoke test of the fault zoo: one healthy and one faulty scenario, trained for real (seconds).

The full zoo is too slow for CI; this trains two tiny iris runs end to end (train → verify
against the twin → write every format and level → label) and checks what the writers promise.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from benchmarks.zoo import generate as gen
from benchmarks.zoo.scenarios import FAMILIES, Scenario, merge
from benchmarks.zoo.train import train
from benchmarks.zoo.verify import verify
from benchmarks.zoo.writers import FORMATS, WRITERS
from benchmarks.zoo.writers.hf_trainer import masked_window_loss

FAM = FAMILIES["iris_mlp"]
BASE = {**FAM.base, "seed": 0, "epochs": 20}
BAD = merge(BASE, {"arch": {"init": "zeros"}})


@pytest.fixture(scope="module")
def histories() -> Iterator[dict[str, dict]]:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: more threads only add contention on a busy machine
    try:
        yield {"healthy": train(BASE), "bad_init": train(BAD)}
    finally:
        torch.set_num_threads(threads)


def test_verification_tells_the_fault_from_its_twin(histories: dict[str, dict]) -> None:
    healthy, bad = histories["healthy"], histories["bad_init"]
    assert verify("bad_init", bad, healthy).ok
    assert not verify("bad_init", healthy, healthy).ok  # the twin itself is no bad_init
    assert verify("healthy", healthy, healthy).ok
    assert not verify("healthy", bad, healthy).ok


def test_a_constant_init_that_explodes_accepts_exploding_gradients() -> None:
    # constant weights over three 32-wide ReLU layers: 0.5 compounds to a 1000x gradient (the
    # exploding criterion holds, so an expert naming it first is right), 0.1 to no explosion
    base = {**BASE, "arch": {"hidden": [32, 32, 32], "act": "relu"}}
    twin = train(base)
    for value, explodes in ((0.5, True), (0.1, False)):
        run = train(merge(base, {"arch": {"init": f"constant:{value}"}}))
        verdict = verify("bad_init", run, twin)
        assert verdict.ok
        assert verify("exploding_gradients", run, twin).ok is explodes
        assert ("exploding_gradients" in verdict.also_accept) is explodes


def test_generate_writes_every_level_and_labels(tmp_path: Path) -> None:
    scs = [
        Scenario("iris_mlp", "healthy", "base", 0, BASE, BASE, FAM.split),
        Scenario("iris_mlp", "bad_init", "zeros", 0, BAD, BASE, FAM.split, ("dead_relu",)),
    ]
    summary = gen.generate(tmp_path, scs, workers=1, log=lambda _: None)
    assert summary["kept_runs"] == 2
    with open(tmp_path / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6
    assert {r["level"] for r in rows} == {"loss", "basic", "full"}
    assert {r["primary"] for r in rows} == {"healthy", "bad_init"}
    bad = next(r for r in rows if r["primary"] == "bad_init")
    assert bad["accepted"] == "dead_relu"
    assert bad["split"] == "calib"
    assert bad["verified_metric"].startswith("reduction=")
    for r in rows:
        assert (tmp_path / r["path"]).is_dir()
        assert r["format"] in FORMATS
    assert not (tmp_path / ".cache").exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_keeps_its_levels_apart(fmt: str, histories: dict, tmp_path: Path) -> None:
    h = histories["healthy"]
    loss_dir = WRITERS[fmt](h, tmp_path / "loss" / "r", "loss", "present", "r")
    full_dir = WRITERS[fmt](h, tmp_path / "full" / "r", "full", "present", "r")
    loss_text = "".join(p.read_text(errors="ignore") for p in loss_dir.rglob("*") if p.is_file())
    full_bytes = sum(p.stat().st_size for p in full_dir.rglob("*") if p.is_file())
    loss_bytes = sum(p.stat().st_size for p in loss_dir.rglob("*") if p.is_file())
    assert full_bytes > 2 * loss_bytes  # per-layer statistics only at the full level
    if fmt != "tensorboard":  # event files are binary; their tags are checked below
        assert "act_zero_frac/" not in loss_text
        assert "act_zero_frac/" in "".join(
            p.read_text(errors="ignore") for p in full_dir.rglob("*") if p.is_file()
        )


def test_file_shapes_follow_the_real_tools(histories: dict, tmp_path: Path) -> None:
    h = histories["healthy"]
    # HF: log_history with loss/grad_norm/learning_rate, eval entries, a final train_loss summary
    hf = WRITERS["hf_trainer"](h, tmp_path / "hf", "basic", "present", "r")
    state = json.loads((hf / "trainer_state.json").read_text())
    log = state["log_history"]
    assert {"loss", "grad_norm", "learning_rate", "epoch", "step"} <= set(log[0])
    assert any("eval_loss" in e and "eval_accuracy" in e for e in log)
    assert "train_loss" in log[-1]
    assert state["global_step"] == len(h["loss"])
    # Lightning: sorted columns, val row before the train-epoch row at the same step
    lt = WRITERS["lightning"](h, tmp_path / "lt", "basic", "absent", "r")
    with open(lt / "metrics.csv", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        body = list(reader)
    assert header == sorted(header)
    assert (lt / "hparams.yaml").read_text() == "{}\n"
    assert lt.name == "version_0" and lt.parent.name == "lightning_logs"
    assert any(c.startswith("lr-") for c in header)
    # Keras CSVLogger: epoch first, then the keys sorted
    kr = WRITERS["keras_csv"](h, tmp_path / "kr", "loss", "absent", "r")
    keras_file = next(p for p in kr.iterdir() if p.suffix in (".log", ".csv"))
    keras_header = keras_file.read_text().splitlines()[0].split(",")
    assert keras_header[0] == "epoch" and keras_header[1:] == sorted(keras_header[1:])
    assert len(keras_file.read_text().splitlines()) == len(h["epochs"]) + 1
    # TensorBoard: scalars readable by TensorBoard itself
    from tensorboard.backend.event_processing import event_accumulator

    tb = WRITERS["tensorboard"](h, tmp_path / "tb", "full", "present", "r")
    acc = event_accumulator.EventAccumulator(str(tb))
    acc.Reload()
    tags = acc.Tags()["scalars"]
    assert any(t.startswith("act_zero_frac/") for t in tags)
    assert len(body) > len(h["epochs"])


def test_hf_masks_non_finite_losses_as_it_does() -> None:
    assert masked_window_loss((math.nan, math.nan)) == 0.0  # weights already NaN: logs 0.0
    # HF adds tr_loss / (1 + steps already in the window): 2 + 2 / (1 + 1)
    assert masked_window_loss((2.0, math.nan)) == pytest.approx(3.0)
    assert masked_window_loss((1.0, 3.0)) == pytest.approx(4.0)


@pytest.mark.parametrize("n", [40, 50, 100, 101, 355])
def test_every_training_sample_is_in_exactly_one_batch_per_epoch(n: int) -> None:
    # a short last batch is folded into the one before it; none is lost or seen twice (the
    # fold once overwrote the third-to-last batch, and raised on two batches)
    import numpy as np
    from benchmarks.zoo.train import _batches

    spec = {"batch_size": 32, "shuffle": True}
    batches = _batches(spec, np.zeros(n), np.random.default_rng(0), np.arange(n))
    seen = np.sort(np.concatenate(batches))
    assert np.array_equal(seen, np.arange(n))
    assert all(len(b) >= 16 for b in batches)
