"""Columns (the CSV family's wide records) and the long records they make: the same RunFrame.

``build_frame`` concatenates a reader's columns straight into the frame, and falls back to the
long route for whatever that does not cover (a step that repeats or goes back, names merged into
one signal). Here both routes run on the same data and must agree exactly: generated tables
(NaN/inf, blanks, repeats, restarts, sparse columns, canonical-name clashes) and real files of
every reader that hands over columns (plain CSV, Keras CSVLogger with appended runs,
Lightning's sparse ``metrics.csv``, JSON lines; truncated last lines, resumed counters).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.readers.columns_agreement import _ORIGINAL, assert_same, both_routes
from tests.robustness.fuzz import fuzz, tried

from nn_doctor.api import read_raw
from nn_doctor.frame import Columns, RawRun, build_frame

NAMES = [
    "loss",
    "train_loss",
    "val_loss",
    "epoch",
    "lr",
    "train/box_loss",
    "val/box_loss",
    "acc",
    "grad_norm/fc1",
    "metric",
]


def took_direct_route(raw: RawRun) -> bool:
    assert raw.columns is not None
    return _ORIGINAL(raw.columns, None) is not None


# -- generated tables ------------------------------------------------------------------------

VALUE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, 1e308]),
)


@st.composite
def tables(draw: st.DrawFn) -> Columns:
    n = draw(st.integers(0, 30))
    k = draw(st.integers(1, 5))
    names = draw(st.lists(st.sampled_from(NAMES), min_size=k, max_size=k, unique=True))
    shape = draw(st.sampled_from(["rising", "repeats", "restart", "any"]))
    if shape == "rising":
        steps = np.cumsum(draw(st.lists(st.integers(1, 5), min_size=n, max_size=n)))
    elif shape == "repeats":
        steps = np.cumsum(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    elif shape == "restart":
        steps = np.arange(n)
        if n > 2:
            cut = draw(st.integers(1, n - 1))
            steps[cut:] = np.arange(n - cut) + draw(st.integers(0, cut))
    else:
        steps = np.asarray(draw(st.lists(st.integers(-3, 40), min_size=n, max_size=n)))
    values = [
        np.asarray(draw(st.lists(VALUE, min_size=n, max_size=n)), dtype=np.float64)
        for _ in range(k)
    ]
    logged: list[np.ndarray | None] = []
    for _ in range(k):
        kind = draw(st.sampled_from(["all", "sparse", "none"]))
        if kind == "all":
            logged.append(None)
        elif kind == "none":
            logged.append(np.zeros(n, dtype=bool))
        else:
            logged.append(np.asarray(draw(st.lists(st.booleans(), min_size=n, max_size=n))))
    wall = None
    if draw(st.booleans()):
        wall = 1.7e9 + np.arange(n, dtype=np.float64) * 0.5
    return Columns(np.asarray(steps, dtype=np.int64), names, values, logged, wall)


# The long route averages repeats, and numpy warns on the mean of inf and -inf (kept as is).
@pytest.mark.filterwarnings("ignore:invalid value encountered in reduceat:RuntimeWarning")
@fuzz(max_examples=300)
@given(cols=tables(), aliases=st.booleans())
def test_columns_and_their_long_records_make_the_same_frame(cols: Columns, aliases: bool) -> None:
    tried("columns: generated tables, both routes")
    raw = RawRun(records=None, format="t", path="p", columns=cols)
    user_aliases = {"train_loss": ["acc"]} if aliases else None
    direct, long = both_routes(raw, user_aliases=user_aliases)
    assert_same(direct, long)
    # Reading ``records`` builds the long table once, and it is what the route above read.
    assert raw.n_records == cols.n_records == len(raw.records)
    pd.testing.assert_frame_equal(raw.records, cols.long())
    assert raw.records is raw.records


def test_dense_columns_take_the_direct_route_and_match() -> None:
    n = 1000
    rng = np.random.default_rng(0)
    values = [rng.random(n) for _ in range(4)]
    values[1][10] = math.nan
    values[2][20] = -math.inf
    cols = Columns(np.arange(n) * 10, ["loss", "val_loss", "lr", "grad_norm"], values, [None] * 4)
    raw = RawRun(records=None, format="t", path="p", columns=cols)
    assert took_direct_route(raw)
    assert "_records" not in raw.__dict__ or raw.__dict__["_records"] is None
    direct, long = both_routes(raw)
    assert_same(direct, long)
    assert math.isnan(direct.series("val_loss").loc[100])


@pytest.mark.parametrize(
    ("steps", "direct"),
    [
        ([0, 1, 2, 3], True),
        ([0, 1, 1, 2], False),  # a repeated step: averaged on the long route
        ([0, 1, 2, 1], False),  # the counter went back: the later write wins
        ([0, 1, 2**53 + 1, 2**53 + 2], False),  # beyond 2**53: the long route's round trip
    ],
)
def test_what_the_direct_route_leaves_to_the_long_one(steps: list[int], direct: bool) -> None:
    cols = Columns(np.asarray(steps, dtype=np.int64), ["loss"], [np.arange(4.0)], [None])
    raw = RawRun(records=None, format="t", path="p", columns=cols)
    assert took_direct_route(raw) is direct
    assert_same(*both_routes(raw))


def test_user_aliases_give_the_same_frame_on_both_routes() -> None:
    cols = Columns(
        np.arange(3, dtype=np.int64),
        ["metric", "loss", "train/box_loss"],
        [np.arange(3.0), np.arange(3.0) + 10, np.arange(3.0) + 20],
        [None, np.array([True, False, True]), None],
    )
    raw = RawRun(records=None, format="t", path="p", columns=cols)
    for aliases in (None, {"train_loss": ["metric"]}, {"val_loss": ["loss"]}):
        assert_same(*both_routes(raw, user_aliases=aliases))


def test_empty_columns_are_an_empty_run() -> None:
    cols = Columns(np.zeros(0, dtype=np.int64), [], [], [])
    raw = RawRun(records=None, format="t", path="p", columns=cols)
    assert raw.n_records == 0 and len(raw.records) == 0
    f = build_frame(raw)
    assert f.signals == [] and len(f.data) == 0


# -- real files of every CSV-family reader ----------------------------------------------------


def _file_cases(tmp_path: Path) -> dict[str, tuple[Path, str | None]]:
    cases: dict[str, tuple[Path, str | None]] = {}

    def write(name: str, text: str, fmt: str | None = None) -> None:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        cases[name] = (p, fmt)

    write(
        "nan_inf.csv",
        "step,loss,val_loss,grad_norm\n0,2.0,,1.0\n1,1.5,,inf\n2,nan,1.9,-Infinity\n3,NaN,,NA\n",
    )
    write("repeats.csv", "step,loss,acc\n0,1.0,0.1\n1,0.9,0.2\n1,0.7,0.3\n2,0.5,0.4\n")
    write("restart.csv", "step,loss\n" + "".join(f"{s},{10 - s}\n" for s in [0, 1, 2, 3, 4, 2, 3]))
    write("truncated.csv", "step,loss,val_loss\n0,1.0,2.0\n1,0.9,1.8\n2,0.8,1.")
    write("no_step.csv", "loss,acc\n1.0,0.1\n0.9,0.2\n0.8,\n")
    write("blank_steps.csv", "step,loss\n0,1.0\n,0.9\n2,0.8\n")
    write("wall.csv", "step,loss,timestamp\n0,1.0,1700000000\n1,0.9,1700000001\n")
    write(
        "lightning_logs/version_0/metrics.csv",
        "epoch,step,train_loss,val_loss,val_acc\n"
        + "".join(
            f"{e},{s},{1 / (s + 1)},,\n"
            + (f"{e},{s},,{2 / (s + 2)},{s / 100}\n" if s % 4 == 3 else "")
            for s in range(12)
            for e in [s // 4]
        ),
    )
    write(
        "keras/training.log",
        "epoch,acc,loss,val_acc,val_loss\n"
        + "".join(f"{e},{e / 10},{1 - e / 10},{e / 11},{1 - e / 11}\n" for e in range(4))
        + "".join(f"{e},{e / 10},{1 - e / 10},NA,nan\n" for e in range(3))  # appended run
        + "epoch,acc,loss,val_acc,val_loss\n"
        + "0,0.1,0.9,0.1,0.9\n1,0.2,0.8,0.2,0.8\n",
        "keras-csv",
    )
    write(
        "keras/resumed.log",
        "epoch,loss,val_loss\n0,1.0,1.1\n1,0.9,1.0\n2,0.8,0.9\n1,0.85,0.95\n2,0.75,0.85\n",
        "keras-csv",
    )
    write(
        "history.jsonl",
        "".join(
            f'{{"_step": {i}, "_timestamp": {1.7e9 + i}, "loss": {1 / (i + 1)}'
            + (', "val_loss": NaN' if i % 3 == 2 else "")
            + "}\n"
            for i in range(9)
        )
        + '{"_step": 9, "loss": 0.',  # cut short by a crash
        "jsonl",
    )
    return cases


def test_every_wide_reader_gives_the_same_frame_on_both_routes(tmp_path: Path) -> None:
    cases = _file_cases(tmp_path)
    routes = {}
    for name, (path, fmt) in cases.items():
        raws = read_raw(path, input_format=fmt)
        assert raws, name
        for raw in raws:
            assert raw.columns is not None, name
            routes[f"{name}:{raw.run}"] = took_direct_route(raw)
            assert_same(*both_routes(raw))
    # the common shapes go straight; repeats and restarts through the long route
    assert routes[f"nan_inf.csv:{cases['nan_inf.csv'][0]}"]
    assert routes[f"history.jsonl:{cases['history.jsonl'][0]}"]
    assert routes[f"truncated.csv:{cases['truncated.csv'][0]}"]
    lightning = cases["lightning_logs/version_0/metrics.csv"][0]
    assert routes[f"lightning_logs/version_0/metrics.csv:{lightning}"]
    assert not routes[f"restart.csv:{cases['restart.csv'][0]}"]
    assert not routes[f"repeats.csv:{cases['repeats.csv'][0]}"]


def test_lightning_sparse_columns_keep_first_written_order(tmp_path: Path) -> None:
    # val_loss comes before train_loss in the header but is first logged later: the frame's
    # signals follow the write order, as the long records have it.
    p = tmp_path / "version_0" / "metrics.csv"
    p.parent.mkdir()
    p.write_text("val_loss,epoch,step,train_loss\n,0,0,1.0\n,0,1,0.9\n2.0,0,1,\n,1,2,0.8\n")
    (raw,) = read_raw(p, input_format="lightning")
    assert took_direct_route(raw)
    direct, long = both_routes(raw)
    assert_same(direct, long)
    assert direct.signals.index("train_loss") < direct.signals.index("val_loss")
    assert direct.series("epoch").index.tolist() == [0, 1, 2]  # once per step, not per row
