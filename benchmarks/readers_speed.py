"""How fast nn-doctor's readers are, side by side with what users run today, in one run.

Data sets (written once, deterministically, by ``benchmarks/readers_data.py`` into the
git-ignored ``benchmarks/data/``): a 1,000,000-scalar event file (~54 MB), an event file of
50,000 scalars + 5,000 histograms (~35 MB), a 1,000,000 x 20 CSV (~370 MB) and 500,000 JSON
lines (~105 MB).

Contenders, each in a fresh child process (so peak RSS is its own), imports done and a tiny file
of the same format read once before timing:

=================  ==========================================================================
nn-doctor          the reader nn-doctor uses, to its ``RawRun`` (records, or columns); for JSON lines
                   also without pyarrow (its optional accelerator), as most users run it;
                   "-> RunFrame" adds ``build_frame`` (the frame every command reads)
tbparse            ``SummaryReader(path).scalars`` (and ``.histograms``)
EventAccumulator   TensorBoard's ``EventAccumulator``: ``Reload()``, then every tag's values
upb loop           struct framing + ``Event.FromString`` per record (TensorBoard's compiled
                   protos, upb backend), scalars to numpy: the fastest plain-Python loop
pandas             ``read_csv`` (C engine) / ``read_json(lines=True)``
pyarrow, polars    ``pyarrow.csv``/``pyarrow.json`` and ``polars.read_csv``/``read_ndjson``,
                   each ``.to_pandas()``; skipped with a note when not installed
=================  ==========================================================================

Times are the median of ``--repeat`` runs (5); contenders whose first run takes over 10 s run
once (over 4 s: three times), and the table says how many runs each median is of. Peak RSS is
the child's ``ru_maxrss``; "+RSS" is its growth over the process after imports and warm-up.

``--cli`` adds ``nn-doctor --version`` and ``nn-doctor diagnose`` on a 100,000-step, 20-signal
CSV run (median of 5 subprocess runs each); ``--profile`` prints where ``diagnose`` spends its
time (cProfile, in-process, cumulative per rule check and per stage).

Run: ``python benchmarks/readers_speed.py`` (``--only tb_scalars,csv``, ``--repeat 3``,
``--no-baselines``, ``--regenerate``, ``--cli``, ``--profile``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import readers_data  # beside this script: on sys.path when it is run as a script

SLOW_ONCE, SLOW_THRICE = 10.0, 4.0

# Reference figures from the issue (2 cores, whole file, median of 5), for the last column.
REFERENCE: dict[tuple[str, str], float] = {
    ("tb_scalars", "tbparse"): 38.4,
    ("tb_scalars", "EventAccumulator"): 38.6,
    ("tb_scalars", "upb loop"): 4.4,
    ("tb_histograms", "tbparse"): 9.3,
    ("tb_histograms", "EventAccumulator"): 10.8,
    ("tb_histograms", "upb loop"): 0.44,
    ("csv", "pandas"): 1.35,
    ("csv", "pyarrow"): 1.6,
    ("csv", "polars"): 1.6,
    ("jsonl", "pandas"): 3.7,
    ("jsonl", "pyarrow"): 1.3,
    ("jsonl", "polars"): 0.57,
}


# --------------------------------------------------------------------------------------------
# contenders: name -> function(path) -> rows read (run in the child process)


def _nn_doctor(fmt: str) -> Callable[[Path], int]:
    def run(path: Path) -> int:
        from nn_doctor.readers import load

        # n_records: a reader that hands over columns (the CSV family) is timed to its RawRun,
        # not to a long table nothing needs (build_frame reads the columns directly).
        return sum(r.n_records for r in load(fmt).read(path))

    return run


def _nn_doctor_frame(fmt: str) -> Callable[[Path], int]:
    """The reader, then :func:`~nn_doctor.frame.build_frame`: what every command reads."""

    def run(path: Path) -> int:
        from nn_doctor.frame import build_frame
        from nn_doctor.readers import load

        return sum(len(build_frame(r).data) for r in load(fmt).read(path))

    return run


def _nn_doctor_without_pyarrow(path: Path) -> int:
    """The JSON-lines reader as users without pyarrow get it (the numpy path)."""
    from nn_doctor.readers import _jsonarrow

    _jsonarrow._pyarrow_json = lambda: None  # type: ignore[assignment]
    return _nn_doctor("jsonl")(path)


def _tbparse(path: Path, histograms: bool) -> int:
    from tbparse import SummaryReader

    types = {"scalars", "histograms"} if histograms else {"scalars"}
    reader = SummaryReader(str(path), event_types=types)
    n = len(reader.scalars)
    return n + (len(reader.histograms) if histograms else 0)


def _event_accumulator(path: Path, histograms: bool) -> int:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    tags = acc.Tags()
    n = sum(len(acc.Scalars(t)) for t in tags["scalars"])
    if histograms:
        n += sum(len(acc.Histograms(t)) for t in tags["histograms"])
    return n


def _upb_loop(path: Path) -> int:
    """Struct framing (no CRC) and ``Event.FromString`` per record; scalars into numpy."""
    import struct

    import numpy as np
    from tensorboard.compat.proto.event_pb2 import Event

    buf = path.read_bytes()
    view = memoryview(buf)
    header = struct.Struct("<Q").unpack_from
    parse = Event.FromString
    steps: list[int] = []
    values: list[float] = []
    walls: list[float] = []
    tags: list[str] = []
    histos = 0
    off, size = 0, len(buf)
    while off + 12 <= size:
        (length,) = header(view, off)
        ev = parse(view[off + 12 : off + 12 + length])
        off += 16 + length
        for v in ev.summary.value:
            kind = v.WhichOneof("value")
            if kind == "simple_value":
                steps.append(ev.step)
                values.append(v.simple_value)
                walls.append(ev.wall_time)
                tags.append(v.tag)
            elif kind == "histo":
                histos += 1
    np.asarray(steps), np.asarray(values), np.asarray(walls)
    return len(values) + histos


def _pandas_csv(path: Path) -> int:
    import pandas as pd

    return len(pd.read_csv(path))


def _pyarrow_csv(path: Path) -> int:
    from pyarrow import csv

    return len(csv.read_csv(path).to_pandas())


def _polars_csv(path: Path) -> int:
    import polars as pl

    return len(pl.read_csv(path).to_pandas())


def _pandas_jsonl(path: Path) -> int:
    import pandas as pd

    return len(pd.read_json(path, lines=True))


def _pyarrow_jsonl(path: Path) -> int:
    from pyarrow import json as pa_json

    return len(pa_json.read_json(path).to_pandas())


def _polars_jsonl(path: Path) -> int:
    import polars as pl

    return len(pl.read_ndjson(path).to_pandas())


#: dataset -> [(contender, module it needs or None, function)]
CONTENDERS: dict[str, list[tuple[str, str | None, Callable[[Path], int]]]] = {
    "tb_scalars": [
        ("nn-doctor", None, _nn_doctor("tensorboard")),
        ("nn-doctor -> RunFrame", None, _nn_doctor_frame("tensorboard")),
        ("upb loop", "tensorboard", _upb_loop),
        ("tbparse", "tbparse", lambda p: _tbparse(p, False)),
        ("EventAccumulator", "tensorboard", lambda p: _event_accumulator(p, False)),
    ],
    "tb_histograms": [
        ("nn-doctor", None, _nn_doctor("tensorboard")),
        ("nn-doctor -> RunFrame", None, _nn_doctor_frame("tensorboard")),
        ("upb loop", "tensorboard", _upb_loop),
        ("tbparse", "tbparse", lambda p: _tbparse(p, True)),
        ("EventAccumulator", "tensorboard", lambda p: _event_accumulator(p, True)),
    ],
    "csv": [
        ("nn-doctor", None, _nn_doctor("csv_table")),
        ("nn-doctor -> RunFrame", None, _nn_doctor_frame("csv_table")),
        ("pandas", "pandas", _pandas_csv),
        ("pyarrow", "pyarrow", _pyarrow_csv),
        ("polars", "polars", _polars_csv),
    ],
    "jsonl": [
        ("nn-doctor", None, _nn_doctor("jsonl")),
        ("nn-doctor -> RunFrame", None, _nn_doctor_frame("jsonl")),
        ("nn-doctor, no pyarrow", None, _nn_doctor_without_pyarrow),
        ("pandas", "pandas", _pandas_jsonl),
        ("pyarrow", "pyarrow", _pyarrow_jsonl),
        ("polars", "polars", _polars_jsonl),
    ],
}

#: Tiny files of each format, read once before timing (imports, caches, first-call costs).
WARMUP_SIZES: dict[str, dict[str, int]] = {
    "tb_scalars": {"n_steps": 20, "n_tags": 2},
    "tb_histograms": {"n_steps": 10, "n_scalar_tags": 2, "n_histo_tags": 1},
    "csv": {"n_rows": 50, "n_metrics": 4},
    "jsonl": {"n_lines": 200},
}


def _warmup_file(dataset: str) -> Path:
    rel, writer = readers_data.DATASETS[dataset]
    path = readers_data.DATA / "warmup" / rel
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        writer(path, **WARMUP_SIZES[dataset])  # type: ignore[call-arg]
    return path


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(dataset: str, contender: str, repeat: int) -> dict[str, Any]:
    """Time one contender on one data set (in this process); the result as a dict."""
    _, _, fn = next(c for c in CONTENDERS[dataset] if c[0] == contender)
    import numpy  # noqa: F401 - every contender's dependency, imported before timing
    import pandas  # noqa: F401

    path = readers_data.ensure(dataset)
    fn(_warmup_file(dataset))
    base = _peak_mb()
    times: list[float] = []
    rows = 0
    while len(times) < repeat:
        t0 = time.perf_counter()
        rows = fn(path)
        times.append(time.perf_counter() - t0)
        if times[0] > SLOW_ONCE or (times[0] > SLOW_THRICE and len(times) >= 3):
            break
    return {
        "median": statistics.median(times),
        "runs": len(times),
        "rows": rows,
        "peak_mb": _peak_mb(),
        "grow_mb": _peak_mb() - base,
    }


def _run_child(dataset: str, contender: str, repeat: int) -> dict[str, Any] | str:
    cmd = [sys.executable, __file__, "--child", dataset, contender, str(repeat)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        return (out.stderr.strip().splitlines() or ["failed"])[-1]
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _available(module: str | None) -> bool:
    if module is None:
        return True
    import importlib.util

    return importlib.util.find_spec(module) is not None


def readers_table(datasets: list[str], repeat: int, baselines: bool) -> None:
    """Run every contender on every data set and print the side-by-side table."""
    header = (
        f"{'data set':<14} {'contender':<22} {'median s':>9} {'runs':>4} {'vs ours':>8} "
        f"{'peak RSS':>9} {'+RSS':>7} {'rows':>10}  reference (issue)"
    )
    print(header)
    print("-" * len(header))
    for dataset in datasets:
        path = readers_data.ensure(dataset)
        size_mb = path.stat().st_size / 1e6
        ours: float | None = None
        for name, module, _ in CONTENDERS[dataset]:
            if name != "nn-doctor" and not baselines:
                continue
            if not _available(module):
                print(f"{dataset:<14} {name:<22} {'skipped: ' + str(module) + ' not installed'}")
                continue
            res = _run_child(dataset, name, repeat)
            if isinstance(res, str):
                print(f"{dataset:<14} {name:<22} failed: {res}")
                continue
            if name == "nn-doctor":
                ours = res["median"]
            ratio = f"{res['median'] / ours:.1f}x" if ours else ""
            ref = REFERENCE.get((dataset, name))
            print(
                f"{dataset:<14} {name:<22} {res['median']:>9.3f} {res['runs']:>4} {ratio:>8} "
                f"{res['peak_mb']:>7.0f}MB {res['grow_mb']:>5.0f}MB {res['rows']:>10,}  "
                f"{f'{ref:.2f} s' if ref else ''}"
            )
        print(f"{'':<14} (file: {size_mb:.0f} MB)")


# --------------------------------------------------------------------------------------------
# the CLI: start-up and diagnose end to end


def diagnose_run(root: Path = readers_data.DATA) -> Path:
    """A 100,000-step run with 20 signals (plain CSV, every signal every step), seeded."""
    import numpy as np
    import pandas as pd

    path = root / "diagnose" / "metrics.csv"
    if path.is_file():
        return path
    rng = np.random.default_rng(7)
    n = 100_000
    t = np.arange(n)
    cols: dict[str, Any] = {"step": t}
    cols["train_loss"] = 2.5 * np.exp(-t / 20_000) + 0.1 + rng.normal(0, 0.02, n)
    cols["val_loss"] = cols["train_loss"] * 1.05 + 0.02
    cols["train_acc"] = 1 - cols["train_loss"] / 3
    cols["val_acc"] = 1 - cols["val_loss"] / 3
    cols["lr"] = 1e-3 * np.minimum(1, t / 2_000) * np.cos(np.pi * t / (2 * n))
    cols["grad_norm"] = 1.0 + rng.gamma(2, 0.2, n)
    for k in range(14):
        cols[f"metric_{k:02d}"] = rng.random(n)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(cols).to_csv(path, index=False)
    return path


def _cli_median(args: list[str], repeat: int = 5) -> tuple[float, int]:
    times, code = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-m", "nn_doctor", *args], capture_output=True, text=True
        )
        times.append(time.perf_counter() - t0)
        code = out.returncode
    return statistics.median(times), code


def cli_table() -> None:
    run = diagnose_run()
    print(f"\n{'command':<58} {'median s':>9}  exit")
    for label, args in (
        ("nn-doctor --version", ["--version"]),
        ("nn-doctor diagnose (100k steps x 20 signals, text)", ["diagnose", str(run)]),
        ("nn-doctor diagnose (same, --format json)", ["diagnose", str(run), "--format", "json"]),
    ):
        median, code = _cli_median(args)
        print(f"{label:<58} {median:>9.3f}  {code}")


def profile_diagnose(top: int = 25) -> None:
    """Where ``diagnose`` spends its time on the 100k x 20 run (in-process cProfile)."""
    import cProfile
    import pstats

    from nn_doctor.api import read_raw, read_runs
    from nn_doctor.engine.diagnosis import diagnose_frame
    from nn_doctor.engine.load import load_rules
    from nn_doctor.frame import build_frame
    from nn_doctor.report.curves import frames_for
    from nn_doctor.report.text import render_text

    run = diagnose_run()
    stages: dict[str, float] = {}
    code = (
        "import time; t = time.perf_counter(); import numpy, pandas, yaml; "
        "from nn_doctor.cli.app import app; from nn_doctor.engine import diagnosis, load; "
        "from nn_doctor.report import text; print(time.perf_counter() - t)"
    )
    imports = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout)
        for _ in range(3)
    ]
    stages["imports (fresh process)"] = statistics.median(imports)
    t0 = time.perf_counter()
    rules = load_rules()
    stages["load rules"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    (frame,) = read_runs(run)
    stages["read + build frame"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    raws = read_raw(run)
    stages["  of which: read (reader)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    build_frame(raws[0])
    stages["  of which: build_frame"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    diagnosis = diagnose_frame(frame, rules=rules)
    stages["rules (diagnose_frame)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    render_text([diagnosis.to_dict()], frames_for([diagnosis.to_dict()], [diagnosis]))
    stages["render (text report)"] = time.perf_counter() - t0
    print("\nstages of diagnose on the 100k x 20 run (after imports but the first line):")
    for k, v in stages.items():
        print(f"  {k:<28} {v * 1000:8.0f} ms")
    prof = cProfile.Profile()
    prof.enable()
    (frame,) = read_runs(run)
    diagnose_frame(frame, rules=rules)
    prof.disable()
    stats = pstats.Stats(prof)
    print("\nper rule check (cumulative, nn_doctor/checks/):")
    rows = []
    for (file, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if "nn_doctor/checks/" in file and not func.startswith("_"):
            rows.append((ct, f"{Path(file).stem}.{func}"))
    for ct, name in sorted(rows, reverse=True)[:15]:
        print(f"  {name:<40} {ct * 1000:8.1f} ms")
    print("\ntop functions (cumulative):")
    stats.sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated data sets (default: all)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--cli", action="store_true", help="also time --version and diagnose")
    parser.add_argument("--profile", action="store_true", help="profile diagnose end to end")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        dataset, contender, repeat = args.child
        print(json.dumps(child(dataset, contender, int(repeat))))
        return
    datasets = args.only.split(",") if args.only else list(readers_data.DATASETS)
    for name in datasets:
        if args.regenerate or not (readers_data.DATA / readers_data.DATASETS[name][0]).is_file():
            print(f"writing {name} ...", flush=True)
            readers_data.ensure(name, regenerate=True)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    readers_table(datasets, args.repeat, not args.no_baselines)
    if args.cli:
        cli_table()
    if args.profile:
        profile_diagnose()


if __name__ == "__main__":
    main()
