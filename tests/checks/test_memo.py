"""The fast paths of the shared helpers compute exactly what the plain code computed.

Speed work must not move a single diagnosis: every fast path here is checked bit for bit
against the reference it replaced (numpy's median, pandas' rolling median, the n x n pair
matrices), and the evaluation memo against evaluating without it.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pandas as pd
import pytest

from nn_doctor.checks._util import (
    Memo,
    current_memo,
    finite_prefix,
    finite_values,
    kendall_tau,
    median,
    memo_scope,
    memoized,
    persistent_onset,
    rolling_median,
    smooth,
    smooth_sym,
    upper_pairs,
)
from nn_doctor.checks.optimization_extra import block_medians, theil_sen


def _same(a: object, b: object) -> bool:
    """Equal bit for bit (NaN equals NaN, -0.0 differs from 0.0)."""
    x = np.atleast_1d(np.asarray(a, dtype=float))
    y = np.atleast_1d(np.asarray(b, dtype=float))
    return x.shape == y.shape and bool(np.array_equal(x.view(np.int64), y.view(np.int64)))


def _values(rng: np.random.Generator, n: int, kind: int) -> np.ndarray:
    """Awkward inputs: ties, signed zeros, huge and tiny magnitudes, heavy tails."""
    if kind == 0:
        return rng.normal(size=n)
    if kind == 1:
        return np.round(rng.normal(size=n), 1)  # many ties
    if kind == 2:
        return rng.uniform(-1, 1, size=n) * 1.7e308  # sums of two overflow
    if kind == 3:
        return rng.integers(-2, 3, n) * 0.0 * rng.choice([-1.0, 1.0], n)  # 0.0 and -0.0
    if kind == 4:
        return np.exp(rng.normal(size=n) * 50)
    return rng.standard_cauchy(n) * 10.0 ** float(rng.integers(-300, 300))


def _reference_rolling(v: np.ndarray, w: int, min_periods: int | None) -> np.ndarray:
    return pd.Series(v).rolling(w, center=True, min_periods=min_periods).median().to_numpy()


def test_median_is_numpys_bit_for_bit() -> None:
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for t in range(6000):
            v = _values(rng, int(rng.integers(1, 50)), t % 6)
            if t % 11 == 0:
                v[rng.integers(0, len(v))] = np.nan
            if t % 13 == 0:
                v[rng.integers(0, len(v))] = np.inf
            expected, got = np.median(v), median(v)
            assert _same(expected, got), (t, v)
            assert type(got) is type(expected)
        for odd in (np.array([], dtype=float), np.arange(5), np.ones((2, 3))):
            assert _same(np.median(odd), median(odd))


def test_rolling_median_is_pandas_bit_for_bit() -> None:
    rng = np.random.default_rng(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for t in range(1500):
            n = int(rng.integers(1, 600))
            w = int(rng.integers(1, min(n, 129) + 1))
            v = _values(rng, n, t % 6)
            if t % 17 == 0:
                v[rng.integers(0, n)] = np.inf  # pandas reads it as missing: its own path
            for mp in (None, 1, max(1, w // 2)):
                assert _same(_reference_rolling(v, w, mp), rolling_median(v, w, mp)), (t, n, w)


def test_pair_statistics_match_the_matrix_forms() -> None:
    def tau_ref(v: np.ndarray) -> float:
        n = len(v)
        if n < 3:
            return 0.0
        if n > 400:
            v = v[np.linspace(0, n - 1, 400).astype(int)]
            n = 400
        d = np.sign(v[None, :] - v[:, None])
        iu = np.triu_indices(n, 1)
        return float(d[iu].sum() / len(iu[0]))

    def theil_ref(x: np.ndarray, y: np.ndarray, max_points: int = 300) -> float:
        n = len(y)
        if n < 2:
            return 0.0
        if n > max_points:
            idx = np.linspace(0, n - 1, max_points).astype(int)
            x, y = x[idx], y[idx]
        dx = x[None, :] - x[:, None]
        dy = y[None, :] - y[:, None]
        iu = np.triu_indices(len(y), 1)
        ok = dx[iu] != 0
        if not ok.any():
            return 0.0
        return float(np.median(dy[iu][ok] / dx[iu][ok]))

    rng = np.random.default_rng(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for t in range(400):
            n = int(rng.integers(0, 700))
            v = _values(rng, n, t % 6)
            x = np.arange(n, dtype=float) if t % 3 else np.round(rng.uniform(0, 10, n))
            assert _same(tau_ref(v), kendall_tau(v))
            assert _same(theil_ref(x, v), theil_sen(x, v))
            with memo_scope():
                assert _same(theil_ref(x, v), theil_sen(x, v))
                assert _same(theil_ref(x, v), theil_sen(x, v))  # from the memo
    i, j = upper_pairs(7)
    ri, rj = np.triu_indices(7, 1)
    assert np.array_equal(i, ri) and np.array_equal(j, rj)
    assert not i.flags.writeable


def test_memo_hands_out_fresh_copies_and_read_only_shared_parts() -> None:
    v = np.r_[np.linspace(3.0, 1.0, 40), np.linspace(1.0, 1.5, 20)]
    s = pd.Series(np.r_[v, np.nan], index=np.arange(61) * 10)
    with memo_scope():
        a = smooth(v, 0.1)
        a[:] = -1.0  # a caller scribbling on its result ...
        b = smooth(v, 0.1)
        assert b is not a and _same(b, smooth(v.copy(), 0.1))  # ... does not reach the next one
        assert _same(b, _reference_rolling(v, 6, 1))
        _steps, values = finite_prefix(s)
        assert finite_prefix(s)[1] is values  # shared, like pandas' own views
        assert not values.flags.writeable and len(values) == 60
        fs, fv = finite_values(s)
        assert not fv.flags.writeable and not fs.flags.writeable
        sym = smooth_sym(v, 0.1)
        assert _same(sym, smooth_sym(v, 0.1)) and sym.flags.writeable
        assert _same(block_medians(v, 7), block_medians(v, 7))
    assert current_memo() is None


def test_memo_scopes_do_not_leak() -> None:
    calls = []

    @memoized
    def twice(v: np.ndarray) -> np.ndarray:
        calls.append(1)
        return v * 2

    v = np.arange(5.0)
    twice(v)
    twice(v)
    assert len(calls) == 2  # outside a scope: no memo
    with memo_scope():
        twice(v)
        with memo_scope():  # nested: the outer memo is used
            twice(v)
        twice(v.copy())  # equal content: a hit
        twice(v + 1)  # other content: computed
        twice(-0.0 * v)  # -0.0 is not 0.0
    assert len(calls) == 5
    with memo_scope():
        twice(v)  # a new scope starts empty
    assert len(calls) == 6


def test_memo_is_per_thread() -> None:
    seen: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def work(name: str) -> None:
        with memo_scope():
            seen[name] = current_memo()
            barrier.wait()

    threads = [threading.Thread(target=work, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen["a"] is not seen["b"]


@pytest.mark.parametrize("w", [1, 2, 3, 10, 129])
def test_rolling_median_short_and_edge_cases(w: int) -> None:
    for n in range(max(1, w - 1), w + 3):
        v = np.cos(np.arange(n, dtype=float))
        for mp in (None, 1):
            if w <= n:
                assert _same(_reference_rolling(v, w, mp), rolling_median(v, w, mp))


def test_persistent_onset_matches_the_running_count() -> None:
    def reference(mask: np.ndarray, for_points: int) -> int | None:
        if for_points <= 1:
            idx = np.flatnonzero(mask)
            return int(idx[0]) if len(idx) else None
        run = 0
        for i, m in enumerate(mask):
            run = run + 1 if m else 0
            if run >= for_points:
                return i - for_points + 1
        return None

    rng = np.random.default_rng(4)
    for _ in range(3000):
        mask = rng.random(int(rng.integers(0, 60))) < rng.random()
        k = int(rng.integers(-1, 8))
        assert persistent_onset(mask, k) == reference(mask, k)
        assert persistent_onset(list(mask), k) == reference(mask, k)  # not an array: the loop


def test_memo_stays_within_its_budget() -> None:
    memo = Memo(budget=1000)
    for k in range(10):
        memo.put(("a", k), np.zeros(50))  # 400 bytes each
    assert memo.size <= 1000 and len(memo.data) == 2
    assert memo.get(("a", 9)) is not None and memo.get(("a", 0)) is None
    shared = memo.share((np.ones(3), np.zeros(2)))
    assert not shared[0].flags.writeable and memo.key_part(shared[1], [])[0] == "s"
    assert memo.key_part(np.zeros(2), [])[0] == "a"  # an equal copy is keyed by content
