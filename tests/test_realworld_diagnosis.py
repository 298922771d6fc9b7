"""Diagnoses on real logs people committed (../shared/realworld), by their known outcomes.

Only runs whose outcome is stated by the author or self-evident in the file are used (INDEX.md):
healthy runs must get no finding at all (any finding is a false alarm), failed runs must trip the
CI gate, and a log with no training data must be "could not run". Skips where shared/ is absent.
"""

from __future__ import annotations

import json

import pytest
from tests.conftest import REALWORLD, run_cli

pytestmark = pytest.mark.skipif(not REALWORLD.is_dir(), reason="../shared/realworld not present")

HEALTHY = [
    "hf-t5-summarization",
    "keras-csvlogger-brats-unet",
    "detectron2-medwaste",
    "lightning-tb-satd-hmer",
    "hf-chatglm-ptuning-geollm",
    "hf-seq2seq-cpt",
    "hf-chatglm2-prefix-checkpoints",
    "hf-whisper-hi-blogrecipe",
    "hf-whisper-flemish",
]
FAILED_NAN = [
    "genrisk-gan/lightning_logs/version_0",
    "genrisk-gan/lightning_logs/version_1",
    "ptychopinn-keras-nan",
]


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_runs_get_no_finding(name: str) -> None:
    res = run_cli("diagnose", str(REALWORLD / name), "-f", "json")
    doc = json.loads(res.stdout)
    found = {r["run"]: [f["id"] for f in r["findings"]] for r in doc["runs"]}
    assert all(not ids for ids in found.values()), found
    assert res.returncode == 0


@pytest.mark.parametrize("name", FAILED_NAN)
def test_runs_that_went_nan_trip_the_gate(name: str) -> None:
    res = run_cli("diagnose", str(REALWORLD / name), "-f", "json")
    doc = json.loads(res.stdout)
    assert res.returncode == 1, res.stderr
    assert any(f["severity"] == "error" for r in doc["runs"] for f in r["findings"])


def test_author_labelled_overfit_run_reads_as_overfitting() -> None:
    # Whisper fine-tune whose model card shows validation loss rising 0.32 -> 0.42 at every
    # evaluation while WER stalls near 0.74: the author's own "overfit" (INDEX.md #2)
    res = run_cli("diagnose", str(REALWORLD / "hf-whisper-ja-overfit"), "-f", "json")
    doc = json.loads(res.stdout)
    [run] = doc["runs"]
    assert run["findings"] and run["findings"][0]["id"] == "overfitting", run["findings"]


def test_log_without_training_data_cannot_run() -> None:
    res = run_cli("diagnose", str(REALWORLD / "lightning-tb-empty-allencell"), "-f", "json")
    assert res.returncode == 2
    assert "no usable loss" in json.loads(res.stdout)["runs"][0]["error"]["message"]
