"""Hugging Face Trainer runs: trainer_state.json log_history (+ config/args/results JSON).

``log_history`` holds train entries (``loss``, ``grad_norm``, ``learning_rate``, ``epoch``,
``step``), eval entries (``eval_loss``, ``eval_*``), ``predict_*`` entries and a final summary
(``train_loss`` as the run average, ``train_runtime``); the summary is not a point of the curve.
``checkpoint-N/`` folders hold snapshots of the same run: the top-level file wins, else the
latest checkpoint (DECISIONS.md §1). The Trainer replaces a non-finite loss by default
(``logging_nan_inf_filter``): a loss of exactly 0.0 beside a non-finite ``grad_norm``, or before
a non-finite ``eval_loss``, is read as non-finite. Config comes from the state and from JSON
siblings only (never from the pickled ``training_args.bin``).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from nn_doctor.frame import RawRun
from nn_doctor.readers._common import (
    empty_warning,
    json_constant,
    load_configs,
    peek,
    raw_run,
    read_text,
)
from nn_doctor.readers._jsonrows import Rows, columns, suffix_match
from nn_doctor.readers._wide import to_long

NAME = "hf-trainer"
OWNED_SUBDIRS = ("checkpoint-*", "runs")

_STATE = "trainer_state.json"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
_STATE_KEYS = ("train_batch_size", "num_train_epochs", "max_steps", "logging_steps", "eval_steps")
_DROP = suffix_match(
    ("_runtime", "_samples_per_second", "_steps_per_second"),
    names=("total_flos", "num_input_tokens_seen"),
)


def sniff(path: Path) -> bool:
    """``trainer_state.json``, or a JSON document with a ``log_history`` near its head."""
    if path.name == _STATE:
        return True
    return path.suffix.lower() == ".json" and '"log_history"' in peek(path, 4096)


def _latest_checkpoint(folder: Path, names: frozenset[str]) -> Path | None:
    best: tuple[int, Path] | None = None
    for n in names:
        m = _CHECKPOINT.match(n)
        if m and (folder / n / _STATE).is_file():
            cand = (int(m.group(1)), folder / n / _STATE)
            best = cand if best is None or cand[0] > best[0] else best
    return best[1] if best else None


def folder_files(folder: Path, names: frozenset[str]) -> list[Path]:
    """The top-level ``trainer_state.json``, else the latest ``checkpoint-N`` one."""
    if _STATE in names and (folder / _STATE).is_file():
        return [folder / _STATE]
    latest = _latest_checkpoint(folder, names)
    return [latest] if latest else []


def _salvage(text: str) -> tuple[dict[str, Any], bool]:
    """The complete ``log_history`` entries of a state file cut short by a crash."""
    decoder = json.JSONDecoder(parse_constant=json_constant)
    start = text.find("[", max(text.find('"log_history"'), 0))
    entries: list[Any] = []
    pos = start + 1 if start >= 0 else len(text)
    while pos < len(text):
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        try:
            entry, pos = decoder.raw_decode(text, pos)
        except ValueError:
            break
        entries.append(entry)
    return {"log_history": entries}, bool(entries)


def _load_state(path: Path) -> tuple[dict[str, Any], list[str]]:
    text = read_text(path)
    try:
        state = json.loads(text, parse_constant=json_constant)
    except ValueError:
        state, ok = _salvage(text)
        what = "read the complete log entries before the cut" if ok else "nothing could be read"
        return state, [f"{path.name} is not complete JSON (a crash mid-write?): {what}"]
    return (state if isinstance(state, dict) else {}), []


def _entries(history: list[Any]) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """Curve entries (summary dropped, filtered losses restored): (entries, warnings, ignored)."""
    entries: list[dict[str, Any]] = []
    ignored: list[str] = []
    filtered = 0
    for e in history:
        if not isinstance(e, dict):
            continue
        if "train_runtime" in e or ("train_loss" in e and "loss" not in e):
            ignored.append(
                "the final summary entry (train_loss is the run's average, train_runtime): "
                "not a point of the curve"
            )
            continue
        if "step" not in e and entries and "step" in entries[-1]:
            # predict_* entries (a callback calling trainer.predict) carry no step: they were
            # logged right after the entry before them.
            e = {**e, "step": entries[-1]["step"]}
        gn = e.get("grad_norm")
        if e.get("loss") == 0.0 and isinstance(gn, float) and not math.isfinite(gn):
            e = {**e, "loss": math.nan}
            filtered += 1
        entries.append(e)
    filtered += _restore_beside_nan_evals(entries)
    warnings = []
    if filtered:
        warnings.append(
            f"HF logged loss 0.0 with a non-finite grad_norm or eval_loss at {filtered} steps: "
            "read as non-finite (logging_nan_inf_filter)"
        )
    return entries, warnings, ignored


def _nonfinite(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("nan", "inf", "-inf", "infinity", "-infinity")
    return isinstance(value, float) and not math.isfinite(value)


def _restore_beside_nan_evals(entries: list[dict[str, Any]]) -> int:
    """Loss 0.0 whose next evaluation (else the last one) is non-finite: a filtered NaN.

    Logs without ``grad_norm`` (older transformers, or the loss-only view) still show the NaN
    weights in ``eval_loss``. A real 0.0 (HF rounds the logged loss to 4 decimals, so a
    memorized training set logs 0.0) sits beside finite evaluations and is kept.
    """
    evals = [i for i, e in enumerate(entries) if "eval_loss" in e]
    if not evals:
        return 0
    restored, k = 0, 0
    for i, e in enumerate(entries):
        while k < len(evals) and evals[k] < i:
            k += 1
        if e.get("loss") != 0.0:
            continue
        judge = evals[k] if k < len(evals) else evals[-1]
        if _nonfinite(entries[judge]["eval_loss"]):
            entries[i] = {**e, "loss": math.nan}
            restored += 1
    return restored


#: What the Trainer uses when ``training_args.json`` does not say (``TrainingArguments.optim``
#: defaults to an AdamW; trainer_state.json never records it, training_args.bin is a pickle
#: that is never loaded): without it a rate of 0.5 reads as "maybe SGD". Taken only where the
#: Trainer demonstrably ran, i.e. saved its ``training_args.bin`` beside the state or in a
#: checkpoint: a trainer_state.json written by another loop (a converter, a hand-rolled
#: logger in HF's format) says nothing about the optimizer, and assuming AdamW there would
#: read an SGD rate of 0.1 as a hundred times too high.
_TRAINER_DEFAULTS = {"optimizer": "adamw"}
_TRAINER_ARTIFACT = "training_args.bin"


def _config(path: Path, state: dict[str, Any]) -> tuple[dict[str, Any], list[str], list[str]]:
    folders = [path.parent]
    if _CHECKPOINT.match(path.parent.name):
        folders.insert(0, path.parent.parent)  # the output dir holds the results files
    else:  # save_state() without save_model(): the model config is in the latest checkpoint
        checkpoints = sorted(
            (p for p in path.parent.glob("checkpoint-*") if _CHECKPOINT.match(p.name)),
            key=lambda p: int(p.name.rpartition("-")[2]),
        )
        folders += checkpoints[-1:]
    model, src_m, warn_m = load_configs([f / "config.json" for f in folders])
    results, src_r, warn_r = load_configs([f / "all_results.json" for f in folders])
    args, src_a, warn_a = load_configs([f / "training_args.json" for f in folders])
    # all_results.json mixes facts (train_samples, eval_samples) with final metrics and the
    # realized epoch count: only the data sizes are config.
    sizes = {k: v for k, v in results.items() if k.endswith("_samples")}
    from_state = {k: state[k] for k in _STATE_KEYS if k in state}
    config = {**model, **sizes, **from_state, **args}  # later wins: explicit arguments last
    sources = [*src_m, *src_r, f"{path} (trainer state)", *src_a]
    from nn_doctor.runconfig import KEYS

    written = {str(k).lower().rpartition(".")[2] for k in config}
    trainer_ran = any((f / _TRAINER_ARTIFACT).is_file() for f in {path.parent, *folders})
    for key, value in _TRAINER_DEFAULTS.items() if trainer_ran else ():
        if not {key, *KEYS[key][1]} & written:  # the run's own spelling of the key wins
            config[key] = value
            sources.append(f"the Trainer's default {key} ({value})")
    return config, sources, [*warn_m, *warn_r, *warn_a]


def read(path: Path) -> list[RawRun]:
    """Read one HF run: its top-level (or latest checkpoint) trainer state."""
    ignored: list[str] = []
    if path.is_dir():
        names = frozenset(p.name for p in path.iterdir())
        files = folder_files(path, names)
        if not files:
            return []
        state_path = files[0]
        snapshots = sorted(
            n for n in names if _CHECKPOINT.match(n) and (path / n / _STATE).is_file()
        )
        ignored += [
            f"{n}/{_STATE}: a snapshot of the same run"
            for n in snapshots
            if path / n / _STATE != state_path
        ]
    else:
        state_path = path
    state, warnings = _load_state(state_path)
    history = state.get("log_history")
    entries, nan_warnings, summary = _entries(history if isinstance(history, list) else [])
    cols, col_warnings, col_ignored = columns(Rows(entries, nested=True, nan_text=True), drop=_DROP)
    long = to_long(cols, len(entries), step_names=("step",), wall_names=())
    config, sources, config_warnings = _config(state_path, state)
    warnings = [*warnings, *config_warnings, *nan_warnings, *col_warnings, *long.warnings]
    if not len(long.records):
        warnings.append(empty_warning(state_path, "log_history holds no metric"))
    return [
        raw_run(
            NAME,
            state_path,
            long.records,
            files=[state_path, *(Path(s) for s in sources if Path(s).is_file())],
            config=config,
            config_sources=sources,
            warnings=warnings,
            ignored=[*ignored, *summary[:1], *col_ignored, *long.ignored],
            axis=long.axis,
        )
    ]
