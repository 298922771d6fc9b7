"""Unicode charts: shapes survive downsampling, NaN is marked, log scale when it spans decades."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nn_doctor.report import charts


def _levels(glyphs: str) -> list[int]:
    return [charts.BLOCKS.index(c) for c in glyphs]


@pytest.mark.parametrize("n", [10, 40, 1000, 50_000])
def test_monotone_curve_gives_monotone_glyphs(n: int) -> None:
    x = np.arange(n)
    up = charts.sparkline(x, np.linspace(0.1, 5.0, n), 40)
    down = charts.sparkline(x, np.linspace(5.0, 0.1, n), 40)
    lv_up, lv_down = _levels(up.glyphs), _levels(down.glyphs)
    assert lv_up == sorted(lv_up) and lv_up[0] == 0 and lv_up[-1] == len(charts.BLOCKS) - 1
    assert lv_down == sorted(lv_down, reverse=True)
    assert len(up.glyphs) == min(n, 40)


def test_exponential_loss_is_monotone_on_log_scale_too() -> None:
    x = np.arange(300)
    sp = charts.sparkline(x, np.exp(x / 20.0), 48)
    assert sp.log
    assert _levels(sp.glyphs) == sorted(_levels(sp.glyphs))
    # on a log scale an exponential is a straight line: every level is used, none skipped
    assert set(_levels(sp.glyphs)) == set(range(len(charts.BLOCKS)))


def test_nan_and_inf_are_marked_where_they_were_logged() -> None:
    y = np.linspace(1.0, 2.0, 100)
    y[60] = math.nan
    y[90:] = math.inf
    sp = charts.sparkline(np.arange(100), y, 100)
    assert sp.glyphs[60] == charts.NONFINITE
    assert set(sp.glyphs[90:]) == {charts.NONFINITE}
    assert charts.NONFINITE not in sp.glyphs[:60]
    assert sp.nonfinite == 11
    chart = charts.braille_chart(np.arange(100), y, 50, 3)
    axis = chart.lines[-2]
    assert axis.count(charts.NONFINITE) >= 2
    assert "11 non-finite" in " ".join(chart.notes)


def test_an_all_nan_curve_still_draws_its_marks() -> None:
    sp = charts.sparkline([0, 1, 2], [math.nan] * 3, 10)
    assert sp.glyphs == charts.NONFINITE * 3
    chart = charts.braille_chart([0, 1, 2], [math.nan] * 3, 10, 2)
    assert charts.NONFINITE in chart.lines[-2]


def test_log_scale_is_chosen_only_for_positive_curves_spanning_decades() -> None:
    assert charts.use_log_scale([1e-3, 1.0, 1e3])
    assert charts.use_log_scale([0.1, 0.5, 10.0])  # exactly two decades
    assert not charts.use_log_scale([0.5, 1.0, 2.0])
    assert not charts.use_log_scale([-1e3, 1.0, 1e3])  # NLL can be negative: no log
    assert not charts.use_log_scale([0.0, 1.0, 1e6])
    assert charts.braille_chart(range(3), [1e-3, 1.0, 1e3], 10).log
    assert "log scale" in charts.braille_chart(range(3), [1e-3, 1.0, 1e3], 10).notes


def test_a_one_step_spike_survives_a_long_curve() -> None:
    rng = np.random.default_rng(0)
    y = 1.0 + 0.01 * rng.standard_normal(100_000)
    y[54_321] = 40.0
    sp = charts.sparkline(np.arange(y.size), y, 60)
    assert sp.glyphs.count("█") == 1
    dx, dy = charts.downsample(np.arange(y.size), y, 2000)
    assert dy.max() == 40.0 and 54_321 in dx
    assert len(dx) <= 2000
    assert dy.min() == y.min()  # the dips survive as well


def test_downsample_keeps_the_first_nonfinite_point_of_a_bucket() -> None:
    y = np.ones(10_000)
    y[7_777] = math.nan
    dx, dy = charts.downsample(np.arange(y.size), y, 500)
    assert 7_777 in dx and math.isnan(dy[list(dx).index(7_777)])
    short_x, _ = charts.downsample([0, 1], [1.0, 2.0], 500)
    assert list(short_x) == [0, 1]


def test_onset_is_marked_under_its_step() -> None:
    sp = charts.sparkline(np.arange(101), np.linspace(0, 1, 101), 11, onset=50)
    assert sp.onset_col == 5
    assert sp.marker_line() == " " * 5 + charts.ONSET
    chart = charts.braille_chart(np.arange(301), np.linspace(1, 2, 301), 30, 3, onset=150)
    labels = chart.lines[-1]
    assert f"{charts.ONSET}150" in labels
    assert labels.index(charts.ONSET) - chart.plot_offset == chart.onset_col == 15
    assert charts.sparkline(range(10), range(10), 10, onset=99).onset_col is None


def test_curves_on_a_shared_step_range_line_up() -> None:
    dense = charts.sparkline(np.arange(0, 1001), np.linspace(3, 1, 1001), 20, x_range=(0, 1000))
    sparse = charts.sparkline([500, 1000], [2.0, 1.5], 20, x_range=(0, 1000))
    assert len(dense.glyphs) == len(sparse.glyphs) == 20
    # the sparse curve starts half-way along the same axis
    assert sparse.glyphs[:9].strip() == "" and sparse.glyphs[10] != " "


def test_braille_chart_shape_and_labels() -> None:
    chart = charts.braille_chart(np.arange(50), np.linspace(0.5, 9.5, 50), 25, 4)
    assert len(chart.lines) == 4 + 2  # plot rows, axis, step labels
    assert chart.lines[0].startswith("9.5 ┤") and chart.lines[3].startswith("0.5 ┤")
    plot = [line[chart.plot_offset :] for line in chart.lines[:4]]
    assert all(len(row) == 25 for row in plot)
    assert all(0x2800 <= ord(c) <= 0x28FF for row in plot for c in row)
    # a rising line: the top row is inked only on the right, the bottom row on the left
    assert plot[0][:10] == chr(0x2800) * 10 and plot[3][-10:] == chr(0x2800) * 10
    assert chart.lines[-1].split() == ["0", "49"]


def test_fmt_value_is_short() -> None:
    assert charts.fmt_value(3.0) == "3"
    assert charts.fmt_value(0.000123456) == "0.000123"
    assert charts.fmt_value(5432.1) == "5.43e+03"
    assert charts.fmt_value(math.inf) == "inf"
    assert charts.fmt_value(None) == "-"
