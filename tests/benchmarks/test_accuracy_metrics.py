"""The accuracy benchmark's arithmetic, on hand-made labels and a fake diagnose."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from benchmarks import accuracy

LABELS = [
    # run_id, level, path, format, primary, accepted, split
    ("r1", "full", "full/r1", "tensorboard", "lr_too_high", "exploding_gradients", "calib"),
    ("r2", "loss", "loss/r2", "csv", "dead_relu", "", "calib"),
    ("r3", "full", "full/r3", "csv", "overfitting", "", "holdout"),
    ("r4", "loss", "loss/r4", "tensorboard", "healthy", "", "calib"),
    ("r5", "full", "full/r5", "tensorboard", "healthy", "", "holdout"),
    ("r6", "basic", "basic/r6", "hf_trainer", "lr_too_high", "", "calib"),
]

FINDINGS = {
    "full/r1": (["exploding_gradients", "lr_too_high"], None),  # accepted top-1, primary in top-3
    "loss/r2": (["lr_too_low", "dead_relu"], None),  # wrong top-1, primary in top-3
    "full/r3": ([], None),  # missed
    "loss/r4": ([], None),  # clean healthy run
    "full/r5": (["insufficient_training"], None),  # false alarm
    "basic/r6": ([], "boom"),  # the diagnosis failed
}


def fake_diagnose(path: str) -> accuracy.Result:
    key = "/".join(Path(path).parts[-2:])
    ids, error = FINDINGS[key]
    return [(i, 1.0 - 0.1 * k) for k, i in enumerate(ids)], error


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    with open(tmp_path / "labels.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["run_id", "level", "path", "format", "config", "primary", "accepted", "split",
                    "scenario", "seed", "verified_metric"])  # fmt: skip
        for run_id, level, path, fmt, primary, accepted, split in LABELS:
            config = "present" if run_id == "r1" else "absent"
            w.writerow([run_id, level, path, fmt, config, primary, accepted, split, "s", 0, ""])
    return tmp_path


def test_overall_numbers(corpus: Path) -> None:
    report = accuracy.evaluate(corpus, diagnose=fake_diagnose, workers=1)
    assert report.overall == {
        "faulty": 4,
        "top1_accuracy": 0.25,  # only r1 (an accepted cause first)
        "top3_recall": 0.5,  # r1 and r2
        "healthy": 2,
        "false_alarm_rate": 0.5,  # r5
    }


def test_per_class_level_and_format(corpus: Path) -> None:
    report = accuracy.evaluate(corpus, diagnose=fake_diagnose, workers=1)
    assert report.per_class == {
        "dead_relu": {"n": 1, "recall": 0.0},
        "healthy": {"n": 2, "recall": 0.5},
        "lr_too_high": {"n": 2, "recall": 0.5},
        "overfitting": {"n": 1, "recall": 0.0},
    }
    assert report.per_level["full"] == {
        "faulty": 2, "top1_accuracy": 0.5, "top3_recall": 0.5, "healthy": 1,
        "false_alarm_rate": 1.0,
    }  # fmt: skip
    assert report.per_level["loss"]["top3_recall"] == 1.0
    assert report.per_level["basic"]["top1_accuracy"] == 0.0
    assert report.per_level["basic"]["false_alarm_rate"] is None  # no healthy run at that level
    assert report.per_format["tensorboard"]["top1_accuracy"] == 1.0
    assert report.per_format["tensorboard"]["false_alarm_rate"] == 0.5
    assert report.per_format["csv"]["top3_recall"] == 0.5
    assert report.per_level_config["full, config present"] == {
        "faulty": 1, "top1_accuracy": 1.0, "top3_recall": 1.0, "healthy": 0,
        "false_alarm_rate": None,
    }  # fmt: skip
    absent = report.per_level_config["full, config absent"]
    assert (absent["faulty"], absent["top1_accuracy"], absent["false_alarm_rate"]) == (1, 0.0, 1.0)


def test_confusion_and_errors(corpus: Path) -> None:
    report = accuracy.evaluate(corpus, diagnose=fake_diagnose, workers=1)
    assert sorted(report.confusion) == [
        ("dead_relu", "lr_too_low", 1),
        ("healthy", "insufficient_training", 1),
        ("lr_too_high", "none", 1),
        ("overfitting", "none", 1),
    ]
    assert report.errors == [("basic/r6", "boom")]


def test_split_filter(corpus: Path) -> None:
    report = accuracy.evaluate(corpus, split="holdout", diagnose=fake_diagnose, workers=1)
    assert report.overall["faulty"] == 1  # r3
    assert report.overall["top1_accuracy"] == 0.0
    assert report.overall["false_alarm_rate"] == 1.0  # r5
    calib = accuracy.evaluate(corpus, split="calib", diagnose=fake_diagnose, workers=1)
    assert calib.overall["faulty"] == 3
    assert calib.overall["healthy"] == 1


def test_json_and_printed_tables(corpus: Path) -> None:
    report = accuracy.evaluate(corpus, diagnose=fake_diagnose, workers=1)
    data = json.loads(json.dumps(report.as_dict()))
    assert data["overall"]["top1_accuracy"] == 0.25
    assert {"primary": "dead_relu", "got": "lr_too_low", "count": 1} in data["confusion"]
    lines: list[str] = []
    accuracy.print_report(report, lines.append)
    text = "\n".join(lines)
    assert " 25.0%" in text
    assert "dead_relu -> lr_too_low" in text
    assert "full, config present" in text


def test_product_diagnose_reports_instead_of_raising(tmp_path: Path) -> None:
    findings, error = accuracy.product_diagnose(str(tmp_path / "no-such-run"))
    assert findings == []
    assert error
