"""Unit tests for the shared numeric helpers."""

from __future__ import annotations

import numpy as np
import pytest

from nn_doctor.checks._util import (
    improvement,
    kendall_tau,
    persistent_onset,
    rebound,
    smooth,
    smooth_sym,
    window_len,
)


def test_window_len_bounds() -> None:
    assert window_len(100, 0.1) == 10
    assert window_len(10, 0.01) == 3  # floor
    assert window_len(2, 0.5, floor=3) == 2  # never more than n


def test_smooth_sym_is_unbiased_at_a_falling_start() -> None:
    v = np.array([3.6, 2.4, 1.9, 1.6, 1.3, 1.1, 1.0, 0.9, 0.85, 0.8] * 1 + [0.8] * 30)
    assert smooth(v, 0.3)[1] < 2.0  # truncated window reads later, lower values
    assert smooth_sym(v, 0.3)[1] == pytest.approx(2.4)  # window of 3 centred on index 1
    assert smooth_sym(v, 0.3)[0] == pytest.approx(3.6)


def test_improvement_and_rebound() -> None:
    falling = np.linspace(2.0, 0.0, 50)
    assert improvement(falling) == pytest.approx(1.0, abs=0.1)
    back = np.r_[np.linspace(2.0, 1.0, 25), np.linspace(1.0, 3.0, 25)]
    assert rebound(back, back).max() == pytest.approx(2.0)


def test_persistent_onset_and_tau() -> None:
    mask = np.array([False, True, False, True, True, True, False])
    assert persistent_onset(mask, 3) == 3
    assert persistent_onset(mask, 4) is None
    assert kendall_tau(np.arange(10.0)) == pytest.approx(1.0)
    assert kendall_tau(np.arange(10.0)[::-1]) == pytest.approx(-1.0)


def test_smooth_sym_matches_the_direct_definition() -> None:
    """The fast edge/interior split equals the per-point median of a symmetric shrinking window."""
    import numpy as np

    from nn_doctor.checks._util import smooth_sym, window_len

    def direct(v: np.ndarray, frac: float, floor: int) -> np.ndarray:
        n = len(v)
        half = window_len(n, frac, floor) // 2
        if half < 1 or n < 3:
            return v.copy()
        return np.array(
            [
                np.median(v[i - min(half, i, n - 1 - i) : i + min(half, i, n - 1 - i) + 1])
                for i in range(n)
            ]
        )

    rng = np.random.default_rng(1)
    for n in (3, 4, 7, 31, 100, 257):
        for frac in (0.05, 0.5, 1.0):
            if window_len(n, frac, 3) > 129:  # beyond EXACT_WINDOW the blocked path applies
                continue
            v = rng.normal(size=n)
            assert np.allclose(smooth_sym(v, frac, 3), direct(v, frac, 3))


def test_blocked_rolling_median_tracks_the_exact_one_on_long_curves() -> None:
    """Long windows are computed on block medians: within the noise of the exact rolling median."""
    import numpy as np
    import pandas as pd

    from nn_doctor.checks._util import EXACT_WINDOW, rolling_median

    rng = np.random.default_rng(0)
    x = np.arange(50_000)
    v = 2.3 * np.exp(-x / 10_000) + rng.normal(0, 0.05, len(x))
    w = 2_501
    assert w > EXACT_WINDOW
    exact = pd.Series(v).rolling(w, center=True, min_periods=1).median().to_numpy()
    approx = rolling_median(v, w, min_periods=1)
    assert np.max(np.abs(approx - exact)) < 0.05  # one noise sigma, on a curve spanning 2.3
    assert np.median(np.abs(approx - exact)) < 0.005
