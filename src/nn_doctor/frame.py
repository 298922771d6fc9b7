"""The run frame: one long table of logged values (``step, signal, value, wall_time``).

Readers hand over a :class:`RawRun` with the names as the tool wrote them, in write order.
:func:`build_frame` turns it into a :class:`RunFrame`: canonical names (one alias table,
:mod:`nn_doctor.signals`), resumed runs cut where the counter went back (the later write wins,
as TensorBoard does after a restart), repeated values at one step reduced to one point, and the
config mapped to canonical keys.

Long format keeps "not logged" and "logged NaN" apart for free: a blank cell is no row at all,
a logged ``nan``/``inf`` is a row whose value is non-finite.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from nn_doctor.signals import LAYER_FAMILIES, canonical_name

if TYPE_CHECKING:
    import pandas as pd

#: Columns of ``RawRun.records`` and ``RunFrame.data``.
COLUMNS = ("step", "name", "value", "wall_time")


@dataclass
class RawRun:
    """One run as a reader found it: original metric names, rows in write order.

    ``records`` has columns ``step`` (float or int; the x axis, epochs when ``axis`` is
    ``"epoch"``), ``name`` (the original metric name), ``value`` (float64; NaN/inf are logged
    values) and ``wall_time`` (float64 seconds since the epoch, NaN when unknown).
    """

    records: pd.DataFrame
    format: str
    path: str
    files: list[str] = field(default_factory=list)
    run: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    config_sources: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    axis: str = "step"  # "step" or "epoch"


@dataclass
class RunFrame:
    """The normalized run every rule reads. Build it with :func:`build_frame`."""

    data: pd.DataFrame  # step:int64, signal:str, value:float64, wall_time:float64
    format: str
    path: str
    run: str
    files: list[str]
    config: dict[str, Any]
    sources: dict[str, str]  # canonical signal -> original name it came from
    warnings: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    axis: str = "step"
    config_sources: list[str] = field(default_factory=list)
    config_raw: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def _groups(self) -> dict[str, pd.Series]:
        out: dict[str, pd.Series] = {}
        for name, group in self.data.groupby("signal", sort=False, observed=True):
            s = group.set_index("step")["value"]
            s.name = str(name)
            out[str(name)] = s
        return out

    @property
    def signals(self) -> list[str]:
        """Signal names in first-logged order (per-layer families keep model order)."""
        return list(self._groups)

    def has(self, name: str) -> bool:
        """Whether a signal was logged at least once."""
        return name in self._groups

    def series(self, name: str) -> pd.Series:
        """The values of one signal indexed by step (sorted, unique). KeyError if absent."""
        return self._groups[name]

    def layers(self, family: str) -> list[str]:
        """Per-layer signal names of one family (``act_zero_frac``), in model order."""
        prefix = family + "/"
        return [s for s in self._groups if s.startswith(prefix)]

    @property
    def n_steps(self) -> int:
        """Number of distinct steps logged."""
        return int(self.data["step"].nunique()) if len(self.data) else 0

    @property
    def step_range(self) -> tuple[int, int] | None:
        """First and last logged step."""
        if not len(self.data):
            return None
        return int(self.data["step"].min()), int(self.data["step"].max())

    def cadence(self, name: str = "train_loss") -> float | None:
        """Median step distance between logged points of ``name`` (None if under 2 points)."""
        if not self.has(name):
            return None
        idx = self.series(name).index.to_numpy()
        if len(idx) < 2:
            return None
        return float(np.median(np.diff(idx)))

    @cached_property
    def steps_per_epoch(self) -> float | None:
        """Optimizer steps per epoch, from a logged epoch counter or the config."""
        if self.axis == "epoch":
            return 1.0
        if self.has("epoch"):
            ep = self.series("epoch").dropna()
            if len(ep) >= 2 and ep.iloc[-1] > ep.iloc[0]:
                span = float(ep.index[-1] - ep.index[0])
                epochs = float(ep.iloc[-1] - ep.iloc[0])
                if epochs > 0 and span > 0:
                    return span / epochs
        n, bs = self.config.get("n_train"), self.config.get("batch_size")
        if isinstance(n, (int, float)) and isinstance(bs, (int, float)) and bs > 0:
            return float(np.ceil(n / bs))
        return None


def _drop_superseded(steps: np.ndarray) -> np.ndarray:
    """Mask of records to keep when a counter goes back (a resumed or restarted run).

    A record is superseded when a *later* restart point logs a step at or below it: the later
    write wins from that step on. Contiguous repeats of one step are not restarts.
    """
    n = len(steps)
    if n < 2:
        return np.ones(n, dtype=bool)
    restart = np.full(n, np.inf)
    back = np.r_[False, steps[1:] < steps[:-1]]
    restart[back] = steps[back]
    # suffix minimum of restart points strictly after i
    suffix = np.minimum.accumulate(restart[::-1])[::-1]
    later = np.r_[suffix[1:], np.inf]
    return ~(later <= steps)


def _reduce_repeats(df: pd.DataFrame, names: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """Reduce several values of one signal at one step to one: the mean, or the first non-finite."""
    dup = df.duplicated(["code", "step"], keep=False)
    if not dup.any():
        return df, []
    import pandas as pd

    rep = df[dup]
    counts = rep.groupby("code", sort=False).size()
    finite = np.isfinite(rep["value"].to_numpy())
    agg = rep.assign(_f=finite).groupby(["code", "step"], sort=False)
    means = agg["value"].mean()
    all_finite = agg["_f"].all()
    firsts_nonfinite = rep[~finite].groupby(["code", "step"], sort=False)["value"].first()
    value = means.where(all_finite, firsts_nonfinite.reindex(means.index))
    wall = agg["wall_time"].max()
    reduced = pd.DataFrame({"value": value, "wall_time": wall}).reset_index()
    out = pd.concat([df[~dup], reduced], ignore_index=True)
    notes = [
        f"{names[code]}: several values per step at {n} points; averaged per step"
        for code, n in zip(
            counts.index.to_numpy(dtype=np.int64).tolist(), counts.to_numpy().tolist()
        )
    ]
    return out, notes


def build_frame(
    raw: RawRun,
    *,
    user_aliases: Mapping[str, Iterable[str]] | None = None,
    config_overrides: Mapping[str, Any] | None = None,
) -> RunFrame:
    """Normalize a reader's :class:`RawRun` into the :class:`RunFrame` every rule reads."""
    import pandas as pd

    from nn_doctor.runconfig import normalize_config

    rec = raw.records
    warnings = list(raw.warnings)
    notes: list[str] = []
    if len(rec):
        rec = rec[pd.notna(rec["step"])]
    names: list[str] = [str(n) for n in pd.unique(rec["name"])] if len(rec) else []

    # Decide which original name owns each canonical name: the most-logged candidate wins, then
    # the alias rank (so HF's many-point `loss` beats its one-point summary `train_loss`).
    counts = rec.groupby("name", sort=False).size() if len(rec) else pd.Series(dtype=int)
    claims: dict[str, list[tuple[int, int, str]]] = {}
    for original in names:
        resolved = canonical_name(str(original), user_aliases)
        claims.setdefault(resolved.canonical, []).append(
            (-int(counts.get(original, 0)), resolved.rank, str(original))
        )
    rename: dict[str, str] = {}
    sources: dict[str, str] = {}
    for canonical, cands in claims.items():
        cands.sort()
        winner = cands[0][2]
        rename[winner] = canonical
        sources[canonical] = winner
        for _, _, other in cands[1:]:
            rename[other] = other  # kept under its own name, never dropped
    # A losing name that is itself a canonical name (HF's one-point summary `train_loss` next to
    # its many-point `loss`) must not merge into the winner's series.
    for original, target in list(rename.items()):
        if target == original and target in sources and sources[target] != original:
            rename[original] = f"{original}.unused"
    for original, target in rename.items():
        sources.setdefault(target, original)

    # Several losses and no total (YOLO box/cls/dfl, GAN G/D): the loss rules read the first
    # component in file order, and say so.
    for split in ("train", "val"):
        target = f"{split}_loss"
        if target in sources:
            continue
        comps = [
            str(n)
            for n in names
            if rename.get(str(n), str(n)) == str(n)
            and "loss" in str(n).lower()
            and _split_of(str(n)) == split
        ]
        if comps:
            rename[comps[0]] = target
            sources[target] = comps[0]
            if len(comps) > 1:
                notes.append(
                    f"no total {split} loss logged; {target} is '{comps[0]}', the first of "
                    f"{len(comps)} loss components ({', '.join(comps)})"
                )

    if len(rec):
        # Work on integer signal codes (factorize keeps first-written order, so per-layer families
        # stay in model order); strings only come back as the categories of the final column.
        codes, uniques = pd.factorize(rec["name"])
        named = [rename.get(str(u), str(u)) for u in uniques]
        targets = list(dict.fromkeys(named))  # unique, first-written order
        position = {t: i for i, t in enumerate(targets)}
        codes = np.array([position[t] for t in named], dtype=np.int64)[codes]
        steps = np.round(rec["step"].to_numpy(dtype=float)).astype(np.int64)
        data = pd.DataFrame(
            {
                "code": codes.astype(np.int64),
                "step": steps,
                "value": rec["value"].to_numpy(dtype=float),
                "wall_time": rec["wall_time"].to_numpy(dtype=float),
            }
        )
        # Resumed runs: per signal, the later write wins from the step where the counter went back.
        keep = np.ones(len(data), dtype=bool)
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        for idx in np.split(order, bounds):
            keep[idx] = _drop_superseded(steps[idx])
        dropped = int((~keep).sum())
        if dropped:
            warnings.append(
                f"the step counter went back (a resumed or restarted run): {dropped} earlier "
                "records were superseded by later writes at the same steps"
            )
        data = data[keep]
        data, repeat_notes = _reduce_repeats(data, targets)
        notes.extend(repeat_notes)
        data = data.sort_values(["code", "step"], kind="stable")
        data = pd.DataFrame(
            {
                "step": data["step"].to_numpy(),
                "signal": pd.Categorical.from_codes(
                    data["code"].to_numpy(dtype=np.int64), categories=pd.Index(targets)
                ),
                "value": data["value"].to_numpy(),
                "wall_time": data["wall_time"].to_numpy(),
            }
        )
    else:
        data = pd.DataFrame(
            {
                "step": pd.Series(dtype=np.int64),
                "signal": pd.Series(dtype=object),
                "value": pd.Series(dtype=float),
                "wall_time": pd.Series(dtype=float),
            }
        )

    present = {str(x) for x in pd.unique(data["signal"].astype(object))}
    config, config_notes = normalize_config(raw.config, config_overrides)
    notes.extend(config_notes)
    return RunFrame(
        data=data,
        format=raw.format,
        path=raw.path,
        run=raw.run or raw.path,
        files=list(raw.files),
        config=config,
        sources={k: v for k, v in sources.items() if k in present},
        warnings=warnings,
        ignored=list(raw.ignored),
        notes=notes,
        axis=raw.axis,
        config_sources=list(raw.config_sources),
        config_raw=dict(raw.config),
    )


def _split_of(name: str) -> str | None:
    """``train``/``val`` for names such as ``train/box_loss`` or ``val_cls_loss``."""
    low = name.lower()
    for token, split in (("train", "train"), ("val", "val"), ("valid", "val"), ("eval", "val")):
        if low.startswith(token + "/") or low.startswith(token + "_"):
            return split
    return None


def layer_families() -> tuple[str, ...]:
    """The per-layer families a frame can hold (re-exported for the engine)."""
    return LAYER_FAMILIES
