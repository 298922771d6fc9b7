"""Generate the fault zoo: train, verify against healthy twins, write real log formats, label.

    python -m benchmarks.zoo.generate --out /work/zoo-out            # full corpus (~10-15 min)
    python -m benchmarks.zoo.generate --out /tmp/zoo --quick         # small corpus (~1-2 min)
    python -m benchmarks.zoo.generate --out examples/zoo --subset    # the committed subset
    python -m benchmarks.zoo.generate --out /work/zoo-fresh --families fresh   # the fresh split
    python -m benchmarks.zoo.generate --out /work/zoo-study --families study   # the study split

The fresh split (families nobody tunes rules on) is made only when named: ``--families fresh``
(or its family names); score it with ``benchmarks/accuracy.py DIR --split fresh`` and read the
aggregate table only. The study split (five more families, open for reading run by run) is made
the same way, only when named: ``--families study``; score it with ``--split study``.

Three phases, each in a process pool (``spawn``; one torch thread per worker):

1. train every healthy twin once (several scenarios share a twin);
2. train every scenario and verify it against its twin (verify.py); runs whose behaviour does
   not show their cause are dropped and counted, with the measured numbers;
3. give each kept run a format (round-robin within its cause, so every cause appears in every
   format) and a config mode, and write it at the three richness levels from the same history.

Histories travel between phases as pickles under ``OUT/.cache`` (removed at the end), so the
parent never holds hundreds of histories in memory.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing as mp
import pickle
import shutil
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.zoo.scenarios import (
    FAMILIES,
    FRESH_FAMILIES,
    STUDY_FAMILIES,
    Scenario,
    scenarios,
    spec_key,
)
from benchmarks.zoo.writers import FORMATS
from benchmarks.zoo.writers.common import CONFIG_MODES, LEVELS

QUICK_FAMILIES = ["digits_mlp", "cancer_mlp", "diabetes_mlp", "synthcls_mlp"]
LABEL_COLUMNS = (
    "run_id", "level", "path", "format", "config", "primary", "accepted", "split", "scenario",
    "seed", "verified_metric",
)  # fmt: skip


@dataclass
class Outcome:
    """What phase 2 says about one scenario."""

    scenario: Scenario
    ok: bool
    metric: str
    accepted: list[str] = field(default_factory=list)
    seconds: float = 0.0


# -- workers (top level, so that spawn can import them) ----------------------------------------


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


def _train_twin(job: tuple[dict[str, Any], str]) -> tuple[str, float]:
    from benchmarks.zoo.train import train

    spec, path = job
    h = train(spec)
    with open(path, "wb") as fh:
        pickle.dump(h, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path, float(h["seconds"])


def _run_scenario(job: tuple[Scenario, str, str]) -> Outcome:
    from benchmarks.zoo.train import train
    from benchmarks.zoo.verify import verify

    sc, twin_path, out_path = job
    with open(twin_path, "rb") as fh:
        twin = pickle.load(fh)
    same = spec_key(sc.spec) == spec_key(sc.twin_spec)
    h = twin if same else train(sc.spec)
    v = verify(sc.cause, h, twin)
    if v.ok:
        with open(out_path, "wb") as fh:
            pickle.dump(h, fh, protocol=pickle.HIGHEST_PROTOCOL)
    accepted = sorted(set(sc.accepts) | set(v.also_accept) - {sc.cause})
    return Outcome(sc, v.ok, v.metric, accepted, 0.0 if same else float(h["seconds"]))


def _write_run(job: tuple[str, str, str, str, str, list[str]]) -> list[tuple[str, str]]:
    from benchmarks.zoo.writers import WRITERS

    hist_path, out, run_id, fmt, config, levels = job
    with open(hist_path, "rb") as fh:
        h = pickle.load(fh)
    written = []
    for level in levels:
        run_dir = Path(out) / level / run_id
        if run_dir.exists():
            shutil.rmtree(run_dir)
        path = WRITERS[fmt](h, run_dir, level, config, run_id)
        written.append((level, path.relative_to(out).as_posix()))
    return written


def _map(fn: Callable[[Any], Any], jobs: list[Any], workers: int) -> Iterable[Any]:
    """Map in a spawn pool (or inline for one worker, as the smoke test does)."""
    if workers <= 1 or len(jobs) <= 1:
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # tiny models: extra threads only add contention
        try:
            yield from map(fn, jobs)
        finally:
            torch.set_num_threads(threads)
        return
    with mp.get_context("spawn").Pool(workers, initializer=_init_worker) as pool:
        yield from pool.imap_unordered(fn, jobs, chunksize=1)


# -- the three phases ---------------------------------------------------------------------------


#: Fresh (then study) runs sort last, so that adding them never moves an older run's format.
_SPLIT_ORDER = {"calib": 0, "holdout": 1, "fresh": 2, "study": 3}


def assign_formats(kept: list[Outcome]) -> dict[str, tuple[str, str]]:
    """run_id -> (format, config mode): round-robin within each cause, different start per cause.

    Every cause with ≥ 6 kept runs appears in every format; the config mode advances one extra
    step per round so that format and config mode are not locked together.
    """
    by_cause: dict[str, list[Outcome]] = defaultdict(list)
    for o in kept:
        by_cause[o.scenario.cause].append(o)
    order = {name: i for i, name in enumerate(FAMILIES)}
    out: dict[str, tuple[str, str]] = {}
    for c_idx, cause in enumerate(sorted(by_cause)):
        runs = sorted(
            by_cause[cause],
            key=lambda o: (_SPLIT_ORDER.get(o.scenario.split, 9), order.get(o.scenario.family, 99),
                           o.scenario.seed, o.scenario.variant),
        )  # fmt: skip
        for i, o in enumerate(runs):
            fmt = FORMATS[(i + c_idx) % len(FORMATS)]
            config = CONFIG_MODES[(i + i // len(FORMATS) + c_idx) % len(CONFIG_MODES)]
            out[o.scenario.run_id] = (fmt, config)
    return out


def generate(
    out: Path,
    scs: list[Scenario],
    *,
    workers: int = 2,
    levels_for: Callable[[Outcome, int], list[str]] | None = None,
    select: Callable[[list[Outcome]], list[Outcome]] | None = None,
    keep_cache: bool = False,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train, verify, write and label ``scs`` under ``out``; return the summary."""
    t_start = time.time()
    out.mkdir(parents=True, exist_ok=True)
    cache = out / ".cache"
    cache.mkdir(exist_ok=True)
    twins = {spec_key(sc.twin_spec): sc.twin_spec for sc in scs}
    twin_paths = {k: str(cache / f"twin-{k}.pkl") for k in twins}
    log(f"phase 1: {len(twins)} healthy twins")
    train_seconds = sum(
        s for _, s in _map(_train_twin, [(twins[k], twin_paths[k]) for k in twins], workers)
    )

    log(f"phase 2: {len(scs)} scenarios (train + verify)")
    jobs = [(sc, twin_paths[spec_key(sc.twin_spec)], str(cache / f"{sc.run_id}.pkl")) for sc in scs]
    outcomes: list[Outcome] = []
    for o in _map(_run_scenario, jobs, workers):
        outcomes.append(o)
        train_seconds += o.seconds
    t_trained = time.time()
    kept = [o for o in outcomes if o.ok]
    verified = dict(sorted(Counter(o.scenario.cause for o in kept).items()))
    if select is not None:
        kept = select(kept)
    assignment = assign_formats(kept)

    log(f"phase 3: writing {len(kept)} runs")
    by_id = {o.scenario.run_id: o for o in kept}
    write_jobs = []
    for i, o in enumerate(sorted(kept, key=lambda o: o.scenario.run_id)):
        fmt, config = assignment[o.scenario.run_id]
        levels = levels_for(o, i) if levels_for else list(LEVELS)
        write_jobs.append((str(cache / f"{o.scenario.run_id}.pkl"), str(out), o.scenario.run_id,
                           fmt, config, levels))  # fmt: skip
    labels: list[dict[str, Any]] = []
    for written in _map(_write_run, write_jobs, workers):
        for level, rel in written:
            run_id = rel.split("/")[1]
            o = by_id[run_id]
            fmt, config = assignment[run_id]
            labels.append(_label(o, level, rel, fmt, config))
    labels.sort(key=lambda r: (r["run_id"], LEVELS.index(r["level"])))
    write_labels(out / "labels.csv", labels)
    if not keep_cache:
        shutil.rmtree(cache, ignore_errors=True)
    summary = _summary(outcomes, kept, labels, assignment, t_start, t_trained, train_seconds)
    summary["verified_per_cause"] = verified
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def _label(o: Outcome, level: str, rel: str, fmt: str, config: str) -> dict[str, Any]:
    sc = o.scenario
    return {
        "run_id": sc.run_id,
        "level": level,
        "path": rel,
        "format": fmt,
        "config": config,
        "primary": sc.cause,
        "accepted": ";".join(o.accepted),
        "split": sc.split,
        "scenario": sc.name,
        "seed": sc.seed,
        "verified_metric": o.metric,
    }


def write_labels(path: Path, labels: list[dict[str, Any]]) -> None:
    """The corpus's labels.csv (LABEL_COLUMNS; the fault probe writes its corpus with it too)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=LABEL_COLUMNS)
        writer.writeheader()
        writer.writerows(labels)


def _summary(
    outcomes: list[Outcome],
    kept: list[Outcome],
    labels: list[dict[str, Any]],
    assignment: dict[str, tuple[str, str]],
    t_start: float,
    t_trained: float,
    train_seconds: float,
) -> dict[str, Any]:
    dropped: dict[str, list[str]] = defaultdict(list)
    for o in outcomes:
        if not o.ok:
            dropped[o.scenario.cause].append(f"{o.scenario.run_id}: {o.metric}")
    runs = {o.scenario.run_id: o for o in kept}
    return {
        "scenarios": len(outcomes),
        "kept_runs": len(kept),
        "label_rows": len(labels),
        "kept_per_cause": dict(sorted(Counter(o.scenario.cause for o in kept).items())),
        "tried_per_cause": dict(sorted(Counter(o.scenario.cause for o in outcomes).items())),
        "dropped_per_cause": {c: len(v) for c, v in sorted(dropped.items())},
        "dropped": dict(sorted(dropped.items())),
        "per_format": dict(sorted(Counter(f for f, _ in assignment.values()).items())),
        "per_config": dict(sorted(Counter(c for _, c in assignment.values()).items())),
        "per_split": dict(sorted(Counter(o.scenario.split for o in runs.values()).items())),
        "per_level": dict(sorted(Counter(r["level"] for r in labels).items())),
        "healthy_share": round(
            sum(o.scenario.cause == "healthy" for o in kept) / max(1, len(kept)), 3
        ),
        "slowest_runs": [
            f"{o.scenario.run_id}: {o.seconds:.1f} s"
            for o in sorted(outcomes, key=lambda o: -o.seconds)[:15]
        ],
        "seconds_training_cpu": round(train_seconds, 1),
        "seconds_wall_train_verify": round(t_trained - t_start, 1),
        "seconds_wall_total": round(time.time() - t_start, 1),
    }


def print_summary(summary: dict[str, Any], log: Callable[[str], None] = print) -> None:
    """The tally a person reads after a generation run."""
    log(f"\n{summary['kept_runs']} runs written of {summary['scenarios']} scenarios "
        f"({summary['label_rows']} labeled folders); healthy share {summary['healthy_share']:.0%}")  # fmt: skip
    log(f"{'cause':28s} {'tried':>6s} {'verified':>9s} {'dropped':>8s} {'written':>8s}")
    for cause, tried in summary["tried_per_cause"].items():
        ok = summary["verified_per_cause"].get(cause, 0)
        written = summary["kept_per_cause"].get(cause, 0)
        log(f"{cause:28s} {tried:6d} {ok:9d} {tried - ok:8d} {written:8d}")
    log(f"per format: {summary['per_format']}")
    log(f"per config: {summary['per_config']}")
    log(f"per split:  {summary['per_split']}")
    log(f"per level:  {summary['per_level']}")
    log(f"time: {summary['seconds_wall_total']} s wall "
        f"({summary['seconds_wall_train_verify']} s training + verification, "
        f"{summary['seconds_training_cpu']} s of training CPU)")  # fmt: skip


# -- the committed subset -----------------------------------------------------------------------

SUBSET_PER_CAUSE = 2
SUBSET_HEALTHY = 8


def subset_select(kept: list[Outcome]) -> list[Outcome]:
    """A couple of runs per cause (different families where possible) and a few healthy ones."""
    by_cause: dict[str, list[Outcome]] = defaultdict(list)
    for o in sorted(kept, key=lambda o: (o.scenario.seed, o.scenario.family, o.scenario.variant)):
        by_cause[o.scenario.cause].append(o)
    chosen: list[Outcome] = []
    for cause, runs in sorted(by_cause.items()):
        n = SUBSET_HEALTHY if cause == "healthy" else SUBSET_PER_CAUSE
        picked: list[Outcome] = []
        for o in runs:  # first pass: one per family
            if len(picked) < n and o.scenario.family not in {p.scenario.family for p in picked}:
                picked.append(o)
        picked += [o for o in runs if o not in picked][: n - len(picked)]
        chosen += picked
    return chosen


def subset_levels(o: Outcome, i: int) -> list[str]:
    """One richness level per committed run, rotating (the subset stays small)."""
    return [LEVELS[(i + 2) % len(LEVELS)]]


# -- CLI ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.zoo.generate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--out", required=True, type=Path, help="output folder (created)")
    ap.add_argument("--quick", action="store_true", help="4 families, 1 seed (~1-2 min)")
    ap.add_argument(
        "--subset",
        action="store_true",
        help="the compact committed subset: quick runs, 2 per cause, one level each",
    )
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--seeds", default="0,1", help="comma-separated seeds (default 0,1)")
    ap.add_argument(
        "--families",
        default=None,
        help='comma-separated family names ("fresh", "study": those splits)',
    )
    ap.add_argument("--keep-cache", action="store_true", help="keep the pickled histories")
    args = ap.parse_args(argv)

    seeds = tuple(int(s) for s in args.seeds.split(","))
    families = args.families.split(",") if args.families else None
    for split, names in (("fresh", FRESH_FAMILIES), ("study", STUDY_FAMILIES)):
        if families and split in families:
            families = [f for f in families if f != split] + list(names)
    if args.quick or args.subset:
        families = families or QUICK_FAMILIES
        seeds = (0,) if args.quick and args.seeds == "0,1" else seeds
    scs = scenarios(seeds, families)
    if not scs:
        print("no scenarios selected", file=sys.stderr)
        return 2
    summary = generate(
        args.out,
        scs,
        workers=args.jobs,
        select=subset_select if args.subset else None,
        levels_for=subset_levels if args.subset else None,
        keep_cache=args.keep_cache,
    )
    print_summary(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
