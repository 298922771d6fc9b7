"""The train/validation reading, and what a report says when no cause fires."""

from __future__ import annotations

import math

import numpy as np
from tests.checks.conftest import make_frame

from nn_doctor.frame import RunFrame
from nn_doctor.report.reading import barely_moved, moved, no_cause_message, reading


def _frame(train: list[float]) -> RunFrame:
    return make_frame({"train_loss": train})


def test_a_loss_that_never_left_its_start_barely_moved() -> None:
    # a classifier stuck at ln 29 for the whole run (the mini-batch noise included)
    rng = np.random.default_rng(0)
    stuck = list(math.log(29) + 0.02 * rng.standard_normal(300))
    r = reading(_frame(stuck))
    assert barely_moved(r)
    assert r["text"].startswith("barely moved")
    assert "did not learn" in no_cause_message(r)


def test_a_loss_that_fell_fast_and_converged_is_no_stuck_run() -> None:
    # 95 % of the fall in the first 2 % of a long run: "flat" over the later half, yet learned
    fast = [2.0 * math.exp(-i / 20) + 0.1 for i in range(5000)]
    r = reading(_frame(fast))
    assert r["train"] == "flat" and not barely_moved(r)
    assert no_cause_message(r).endswith("looks healthy for what it shows.")


def test_moved_is_signed_and_needs_a_finite_curve() -> None:
    assert moved(np.array([1.0] * 10 + [0.5] * 90)) == 0.5
    assert moved(np.array([1.0] * 10 + [2.0] * 90)) == -0.5  # rose: a divergence, not "stuck"
    assert moved(np.array([1.0, math.nan, 1.0, 1.0, 1.0, 1.0])) is None
    assert moved(np.array([1.0, 1.0])) is None


def test_a_run_that_did_not_learn_names_its_closest_fits_as_notes() -> None:
    # a loss stuck where it started and no config: nothing fires, so the report says the run did
    # not learn; the rules that came closest are named in notes, with what would settle them
    from nn_doctor.engine.diagnosis import CLOSE_FIT, CLOSE_FITS, diagnose_frame

    rng = np.random.default_rng(0)
    stuck = list(math.log(29) + 0.02 * rng.standard_normal(300))
    d = diagnose_frame(_frame(stuck))
    assert not d.findings and barely_moved(d.reading)
    fits = [n for n in d.notes if n.startswith("close fit, not a finding: ")]
    assert 1 <= len(fits) <= CLOSE_FITS
    scores = [float(n.split("(")[1].split(",")[0]) for n in fits]
    assert scores == sorted(scores, reverse=True) and min(scores) >= CLOSE_FIT
    ids = [n.split(": ")[1].split(" ")[0] for n in fits]
    quiet = {r.rule.id: r for r in d.results if r.verdict == "quiet"}
    assert all(i in quiet and quiet[i].score >= CLOSE_FIT for i in ids)
    assert any("to settle it, log or set" in n for n in fits)


def test_a_run_that_learned_gets_no_close_fits() -> None:
    from nn_doctor.engine.diagnosis import diagnose_frame

    learned = [2.0 * math.exp(-i / 60) + 0.1 for i in range(300)]
    d = diagnose_frame(_frame(learned))
    assert not d.findings and not barely_moved(d.reading)
    assert not [n for n in d.notes if n.startswith("close fit")]
