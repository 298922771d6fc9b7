"""Accuracy of nn-doctor on a labeled corpus (the fault zoo, or any folder with a labels.csv).

    python benchmarks/accuracy.py /work/zoo-out --split holdout --json holdout.json

For every row of ``DIR/labels.csv`` the run at ``DIR/<path>`` is diagnosed and scored:

* **top-1 accuracy** (faulty runs): the top finding is the primary cause or one an expert would
  also accept (``accepted``);
* **top-3 recall**: the primary cause is among the first three findings;
* **false-alarm rate** (healthy runs): a healthy run with *any* finding is a false alarm;
* per-class recall (top-1; for ``healthy``: no finding), the same per richness level, per
  format and per level and config mode (the config present, partial or absent: what a log
  states about its run decides as much as what it logs), and a confusion list (primary → what
  came first).

A run whose diagnosis fails counts as "no finding" (a miss, or a clean healthy run) and is
listed under errors. The diagnose function is injectable (``evaluate(..., diagnose=fn)``) so that
the metric arithmetic is tested without the engine; runs are diagnosed in a 2-process ``spawn``
pool by default.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HEALTHY = "healthy"

#: (ids with scores, best first; error message or None)
Result = tuple[list[tuple[str, float]], str | None]
DiagnoseFn = Callable[[str], Result]


def product_diagnose(path: str) -> Result:
    """Diagnose one run with nn-doctor's API; never raises (a crash is an error result)."""
    try:
        from nn_doctor.api import diagnose

        diagnoses = diagnose(path)
    except Exception as exc:
        return [], f"{type(exc).__name__}: {exc}"
    if not diagnoses:
        return [], "no run found"
    d = diagnoses[0]
    error = getattr(d, "error", None)
    message = None if error is None else str(getattr(error, "message", error))
    findings = [(str(f.id), float(f.score)) for f in (getattr(d, "findings", None) or [])]
    return findings, message


@dataclass
class Row:
    """One labeled run folder."""

    run_id: str
    level: str
    path: str
    format: str
    primary: str
    accepted: frozenset[str]
    split: str
    config: str = ""

    @property
    def healthy(self) -> bool:
        return self.primary == HEALTHY


def load_labels(directory: Path, split: str = "all") -> list[Row]:
    """Rows of ``labels.csv`` in ``split`` (``calib``, ``holdout``, ``fresh``, ``study`` or
    ``all``)."""
    rows = []
    with open(directory / "labels.csv", newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if split != "all" and r["split"] != split:
                continue
            accepted = frozenset(a for a in (r.get("accepted") or "").split(";") if a)
            rows.append(Row(r["run_id"], r["level"], r["path"], r["format"], r["primary"],
                            accepted, r["split"], r.get("config", "")))  # fmt: skip
    return rows


@dataclass
class Tally:
    """Counts behind one line of a table."""

    faulty: int = 0
    top1: int = 0
    top3: int = 0
    healthy: int = 0
    false_alarms: int = 0

    def add(self, row: Row, ids: list[str]) -> None:
        if row.healthy:
            self.healthy += 1
            self.false_alarms += bool(ids)
            return
        self.faulty += 1
        self.top1 += bool(ids) and ids[0] in (row.accepted | {row.primary})
        self.top3 += row.primary in ids[:3]

    def as_dict(self) -> dict[str, Any]:
        return {
            "faulty": self.faulty,
            "top1_accuracy": _ratio(self.top1, self.faulty),
            "top3_recall": _ratio(self.top3, self.faulty),
            "healthy": self.healthy,
            "false_alarm_rate": _ratio(self.false_alarms, self.healthy),
        }


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


@dataclass
class Report:
    """Every number the benchmark prints, as plain data (also what ``--json`` writes)."""

    overall: dict[str, Any]
    per_class: dict[str, dict[str, Any]]
    per_level: dict[str, dict[str, Any]]
    per_format: dict[str, dict[str, Any]]
    confusion: list[tuple[str, str, int]]
    errors: list[tuple[str, str]] = field(default_factory=list)
    per_level_config: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall,
            "per_class": self.per_class,
            "per_level": self.per_level,
            "per_format": self.per_format,
            "per_level_config": self.per_level_config,
            "confusion": [{"primary": p, "got": g, "count": n} for p, g, n in self.confusion],
            "errors": [{"path": p, "error": e} for p, e in self.errors],
        }


def compute(rows: list[Row], results: dict[str, Result]) -> Report:
    """Score diagnoses (``path -> result``) against labels; the arithmetic the tests pin down."""
    overall = Tally()
    by_level: dict[str, Tally] = defaultdict(Tally)
    by_format: dict[str, Tally] = defaultdict(Tally)
    by_level_config: dict[str, Tally] = defaultdict(Tally)
    per_class: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # correct, total
    confusion: Counter[tuple[str, str]] = Counter()
    errors: list[tuple[str, str]] = []
    for row in rows:
        findings, error = results.get(row.path, ([], "not diagnosed"))
        if error:
            errors.append((row.path, error))
        ids = [i for i, _ in findings]
        level_config = f"{row.level}, config {row.config or 'unknown'}"
        for tally in (
            overall,
            by_level[row.level],
            by_format[row.format],
            by_level_config[level_config],
        ):
            tally.add(row, ids)
        got = ids[0] if ids else "none"
        correct = not ids if row.healthy else got in (row.accepted | {row.primary})
        per_class[row.primary][0] += correct
        per_class[row.primary][1] += 1
        if not correct:
            confusion[(row.primary, got)] += 1
    classes = {c: {"n": n, "recall": _ratio(k, n)} for c, (k, n) in sorted(per_class.items())}
    return Report(
        overall=overall.as_dict(),
        per_class=classes,
        per_level={k: v.as_dict() for k, v in sorted(by_level.items())},
        per_format={k: v.as_dict() for k, v in sorted(by_format.items())},
        per_level_config={k: v.as_dict() for k, v in sorted(by_level_config.items())},
        confusion=[(p, g, n) for (p, g), n in confusion.most_common()],
        errors=errors,
    )


def _diagnose_many(paths: list[str], diagnose: DiagnoseFn, workers: int) -> Iterable[Result]:
    if workers <= 1 or len(paths) <= 1:
        yield from map(diagnose, paths)
        return
    with mp.get_context("spawn").Pool(workers) as pool:
        yield from pool.imap(diagnose, paths, chunksize=4)


def evaluate(
    directory: Path,
    *,
    split: str = "all",
    diagnose: DiagnoseFn = product_diagnose,
    workers: int = 2,
) -> Report:
    """Diagnose every labeled run in ``directory`` (``split`` only) and score the results."""
    rows = load_labels(directory, split)
    paths = [str(directory / r.path) for r in rows]
    results = dict(
        zip([r.path for r in rows], _diagnose_many(paths, diagnose, workers), strict=True)
    )
    return compute(rows, results)


# -- printing -------------------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "   -  " if x is None else f"{100 * x:5.1f}%"


def _table(title: str, groups: dict[str, dict[str, Any]], out: Callable[[str], None]) -> None:
    out(f"\n{title}")
    out(
        f"  {'':24s} {'faulty':>6s} {'top-1':>7s} {'top-3':>7s} {'healthy':>7s} {'false alarm':>11s}"
    )
    for name, t in groups.items():
        out(f"  {name:24s} {t['faulty']:6d} {_pct(t['top1_accuracy']):>7s} "
            f"{_pct(t['top3_recall']):>7s} {t['healthy']:7d} {_pct(t['false_alarm_rate']):>11s}")  # fmt: skip


def print_report(report: Report, out: Callable[[str], None] = print) -> None:
    """Print the benchmark's tables."""
    _table("overall", {"all runs": report.overall}, out)
    out("\nper-class recall (top-1; healthy = no finding)")
    for cls, v in report.per_class.items():
        out(f"  {cls:28s} {v['n']:5d} {_pct(v['recall']):>7s}")
    _table("per richness level", report.per_level, out)
    _table("per format", report.per_format, out)
    _table("per level and config mode", report.per_level_config, out)
    out("\nconfusion (primary -> top-1 got), misses only")
    for primary, got, n in report.confusion[:40]:
        out(f"  {n:4d}  {primary} -> {got}")
    if report.errors:
        out(f"\n{len(report.errors)} diagnoses failed (counted as no finding), e.g.:")
        for path, err in report.errors[:5]:
            out(f"  {path}: {err}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(prog="benchmarks/accuracy.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("directory", type=Path, help="a folder with labels.csv (e.g. the zoo)")
    ap.add_argument(
        "--split", choices=("holdout", "calib", "fresh", "study", "recipes", "all"), default="all"
    )
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers as JSON")
    ap.add_argument("--jobs", type=int, default=2, help="diagnosis worker processes")
    args = ap.parse_args(argv)
    if not (args.directory / "labels.csv").is_file():
        print(f"no labels.csv in {args.directory}", file=sys.stderr)
        return 2
    report = evaluate(args.directory, split=args.split, workers=args.jobs)
    print(f"{args.directory} (split: {args.split})")
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
