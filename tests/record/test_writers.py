"""Writers round-trip through the readers; the recorder + a writer lets ``diagnose`` name a fault."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from nn_doctor.api import diagnose, read_runs
from nn_doctor.record.writers import (
    CSVWriter,
    JSONLWriter,
    TensorBoardWriter,
    open_writer,
    write_config,
)

ROWS = [
    {"step": 0.0, "train_loss": 2.5, "lr": 0.1, "grad_norm/fc1": 1.5, "act_zero_frac/relu1": 0.25},
    {
        "step": 10.0,
        "train_loss": 1.25,
        "lr": 0.1,
        "grad_norm/fc1": 0.75,
        "act_zero_frac/relu1": 0.5,
    },
    # a signal that first appears later (validation) and one that stops (no act stats)
    {"step": 20.0, "train_loss": 0.5, "lr": 0.05, "grad_norm/fc1": 0.5, "val_loss": 0.875},
]


def _series(frame, name: str) -> dict[int, float]:
    s = frame.series(name)
    return {int(k): float(v) for k, v in s.items()}


def _write(kind: str, tmp_path: Path) -> Path:
    if kind == "jsonl":
        w = JSONLWriter(tmp_path / "metrics.jsonl")
    elif kind == "csv":
        w = CSVWriter(tmp_path / "metrics.csv", flush_every=1)  # flush each row: forces a rewrite
    else:
        w = TensorBoardWriter(tmp_path / "tb")
    for row in ROWS:
        w.write(row)
    w.close()
    write_config(w.folder / w.config_name, {"batch_size": 32, "hidden_units": [8, 8]})
    if kind == "csv":
        assert w.rewrites == 1  # val_loss widened the header once
    return w.folder


@pytest.mark.parametrize("kind", ["jsonl", "csv", "tensorboard"])
def test_rows_round_trip_under_canonical_names(kind: str, tmp_path: Path) -> None:
    if kind == "tensorboard":
        pytest.importorskip("tensorboardX")
    folder = _write(kind, tmp_path)
    (frame,) = read_runs(folder)
    approx = pytest.approx  # TensorBoard stores float32: 0.1 comes back as 0.100000001
    assert _series(frame, "train_loss") == {0: 2.5, 10: 1.25, 20: 0.5}
    assert _series(frame, "lr") == approx({0: 0.1, 10: 0.1, 20: 0.05}, rel=1e-6)
    assert _series(frame, "grad_norm/fc1") == {0: 1.5, 10: 0.75, 20: 0.5}
    assert _series(frame, "act_zero_frac/relu1") == {0: 0.25, 10: 0.5}  # blank at 20: not logged
    assert _series(frame, "val_loss") == {20: 0.875}
    assert frame.layers("grad_norm") == ["grad_norm/fc1"]
    assert frame.config["batch_size"] == 32
    assert frame.config["hidden_units"] == [8, 8]


def test_non_finite_values_survive_jsonl(tmp_path: Path) -> None:
    w = JSONLWriter(tmp_path / "metrics.jsonl")
    for i, v in enumerate([1.0, 0.5, math.nan, math.inf]):
        w.write({"step": float(i), "train_loss": v})
    w.close()
    (frame,) = read_runs(tmp_path)
    vals = list(frame.series("train_loss").values)
    assert vals[:2] == [1.0, 0.5]
    assert math.isnan(vals[2]) and math.isinf(vals[3])


def test_open_writer_picks_by_suffix(tmp_path: Path) -> None:
    assert isinstance(open_writer(tmp_path / "a.jsonl"), JSONLWriter)
    assert isinstance(open_writer(tmp_path / "a.csv"), CSVWriter)
    with pytest.raises(ValueError, match="unknown log type"):
        open_writer(tmp_path / "a.parquet")


def test_import_record_pulls_no_framework() -> None:
    code = (
        "import sys, nn_doctor, nn_doctor.record, nn_doctor.record.writers;"
        "print(sorted(m for m in ('torch', 'lightning', 'pytorch_lightning', 'transformers',"
        " 'keras', 'tensorflow', 'tensorboardX') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- end to end: a tiny real model, an injected fault, diagnose names it ----------------------

torch = pytest.importorskip("torch")
nn = torch.nn


def _train(log: Path, *, fault: str | None) -> None:
    """Train a 2-hidden-layer ReLU MLP for 160 steps on a separable 4-class problem."""
    import nn_doctor.record

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: threads only add contention
    try:
        torch.manual_seed(0)
        n, d, k = 512, 16, 4
        x_all = torch.randn(n, d)
        y_all = (x_all @ torch.randn(d, k)).argmax(1)
        model = nn.Sequential(
            nn.Linear(d, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, k)
        )
        lr = 0.05
        if fault == "dead_relu":  # a large negative bias: every hidden unit outputs 0
            with torch.no_grad():
                model[0].bias.fill_(-10.0)
                model[2].bias.fill_(-10.0)
        elif fault == "lr_too_high":
            lr = 5.0
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()
        rec = nn_doctor.record.attach(
            model, opt, log=log, every=5, loss_fn=loss_fn, batch_size=32, n_train=n
        )
        with rec:
            for _ in range(10):
                perm = torch.randperm(n)
                for i in range(0, n, 32):
                    x, y = x_all[perm[i : i + 32]], y_all[perm[i : i + 32]]
                    with rec.step(inputs=x, targets=y) as s:
                        opt.zero_grad()
                        loss = loss_fn(model(x), y)
                        loss.backward()
                        opt.step()
                        s.loss = loss
    finally:
        torch.set_num_threads(threads)


def _findings(folder: Path) -> list:
    (diag,) = diagnose(folder)
    assert diag.error is None
    return diag.findings


def test_recorded_run_has_the_per_layer_signals_and_config(tmp_path: Path) -> None:
    _train(tmp_path / "metrics.jsonl", fault=None)
    (frame,) = read_runs(tmp_path)
    # the two ReLU modules, input → output (class-index targets have no range: not logged)
    assert frame.layers("act_zero_frac") == ["act_zero_frac/1", "act_zero_frac/3"]
    assert frame.layers("update_ratio") == [f"update_ratio/{i}" for i in (0, 2, 4)]
    for name in ("grad_norm", "input_std", "input_max", "pred_min"):
        assert frame.has(name), name
    assert frame.series("train_loss").index.max() == 155  # every 5 of 160 steps
    assert frame.config["optimizer"] == "sgd"
    assert frame.config["batch_size"] == 32
    assert frame.config["task"] == "classification"


def test_dead_relu_fault_is_the_top_finding(tmp_path: Path) -> None:
    _train(tmp_path / "metrics.jsonl", fault="dead_relu")
    findings = _findings(tmp_path)
    assert findings, "no finding for a net whose ReLUs are all dead"
    assert findings[0].id == "dead_relu"


def test_lr_too_high_fault_is_named(tmp_path: Path) -> None:
    # lr 100x too high also kills ReLUs, so dead_relu ranks first; lr_too_high must be named.
    _train(tmp_path / "metrics.jsonl", fault="lr_too_high")
    ids = [f.id for f in _findings(tmp_path)]
    assert "lr_too_high" in ids


def test_healthy_twin_gets_no_error_finding(tmp_path: Path) -> None:
    _train(tmp_path / "metrics.csv", fault=None)  # the CSV path, end to end
    errors = [f.id for f in _findings(tmp_path) if f.severity == "error"]
    assert errors == []
