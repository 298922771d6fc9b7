"""The run frame: one long table of logged values (``step, signal, value, wall_time``).

Readers hand over a :class:`RawRun` with the names as the tool wrote them, in write order.
:func:`build_frame` turns it into a :class:`RunFrame`: canonical names (one alias table,
:mod:`nn_doctor.signals`), resumed runs cut where the counter went back (the later write wins,
as TensorBoard does after a restart), repeated values at one step reduced to one point, and the
config mapped to canonical keys.

Long format keeps "not logged" and "logged NaN" apart for free: a blank cell is no row at all,
a logged ``nan``/``inf`` is a row whose value is non-finite.

Readers of wide tables (the CSV family, JSON lines) may hand over :class:`Columns` instead: a
step per row and a value array per metric. ``RawRun.records`` is then built from them on first
use, so every consumer still sees the long table, while :func:`build_frame` concatenates the
columns straight into the frame (writing ~19M long records for a 1M x 20 CSV and sorting them back by signal cost
more than parsing the file). Both routes give the same frame; any case the direct route does not
cover (a step that repeats or goes back, two names merged into one signal) takes the long one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from nn_doctor.layer_order import model_order
from nn_doctor.signals import LAYER_FAMILIES, canonical_name, is_layer_signal, objective_split

if TYPE_CHECKING:
    import pandas as pd

#: Columns of ``RawRun.records`` and ``RunFrame.data``.
COLUMNS = ("step", "name", "value", "wall_time")


@dataclass(eq=False)
class Columns:
    """Records as a wide table: cell ``(i, j)`` is a record where ``logged[j][i]`` holds.

    The long records are those cells row by row, columns in order: step ``steps[i]``, name
    ``names[j]``, value ``values[j][i]``, wall time ``wall_time[i]`` (NaN when ``None``).
    ``logged[j]`` is ``None`` when every row of column ``j`` is logged. Names are unique.
    """

    steps: np.ndarray  # int64, one per row
    names: list[str]
    values: list[np.ndarray]  # float64, one per column, one value per row
    logged: list[np.ndarray | None]  # bool per row, or None: all rows
    wall_time: np.ndarray | None = None  # float64 per row

    @property
    def n_rows(self) -> int:
        return len(self.steps)

    @cached_property
    def counts(self) -> list[int]:
        """Records per column."""
        n = self.n_rows
        return [n if m is None else int(np.count_nonzero(m)) for m in self.logged]

    @property
    def n_records(self) -> int:
        return sum(self.counts)

    def long(self) -> pd.DataFrame:
        """The records table (:func:`~nn_doctor.readers._common.records`), row by row."""
        from nn_doctor.readers._common import records

        n, k = self.n_rows, len(self.names)
        wall = self.wall_time
        if not k or not n:
            return records([], [], self.names, [])
        values = np.empty((n, k), dtype=np.float64)
        for j, v in enumerate(self.values):  # row-major: records come out row by row
            values[:, j] = v
        if all(m is None for m in self.logged):  # dense (the common case): no masks
            return records(
                np.repeat(self.steps, k),
                np.tile(np.arange(k, dtype=code_dtype(k)), n),
                self.names,
                values.reshape(-1),
                None if wall is None else np.repeat(wall, k),
            )
        logged = np.ones((n, k), dtype=bool)
        for j, m in enumerate(self.logged):
            if m is not None:
                logged[:, j] = m
        per_row = logged.sum(axis=1)
        return records(
            np.repeat(self.steps, per_row),
            np.broadcast_to(np.arange(k, dtype=code_dtype(k)), (n, k))[logged],
            self.names,
            values[logged],
            None if wall is None else np.repeat(wall, per_row),
        )


class _LongRecords:
    """``RawRun.records``: the table a reader gave, or the one its :class:`Columns` make (built
    on first use and kept). A dataclass field whose default is this descriptor."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = "_" + name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _LongRecords: ...
    @overload
    def __get__(self, obj: RawRun, owner: type | None = None) -> pd.DataFrame: ...
    def __get__(self, obj: RawRun | None, owner: type | None = None) -> Any:
        if obj is None:
            raise AttributeError("records")  # no default: the dataclass field is required
        rec = obj.__dict__.get(self._slot)
        if rec is None:
            from nn_doctor.readers._common import empty_records

            rec = obj.columns.long() if obj.columns is not None else empty_records()
            obj.__dict__[self._slot] = rec
        return rec

    def __set__(self, obj: RawRun, value: pd.DataFrame | None) -> None:
        obj.__dict__[self._slot] = value


@dataclass
class RawRun:
    """One run as a reader found it: original metric names, rows in write order.

    ``records`` has columns ``step`` (float or int; the x axis, epochs when ``axis`` is
    ``"epoch"``), ``name`` (the original metric name), ``value`` (float64; NaN/inf are logged
    values) and ``wall_time`` (float64 seconds since the epoch, NaN when unknown). A reader of a
    wide table may pass ``records=None`` and ``columns`` instead: ``records`` is then built from
    the columns when something reads it, and :func:`build_frame` need not.
    """

    records: _LongRecords = _LongRecords()
    # mypy takes the descriptor for a default; it is not one (its class access raises).
    format: str  # type: ignore[misc]
    path: str  # type: ignore[misc]
    files: list[str] = field(default_factory=list)
    run: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    config_sources: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    axis: str = "step"  # "step" or "epoch"
    columns: Columns | None = None

    @property
    def n_records(self) -> int:
        """How many records the run holds (without building ``records`` from columns)."""
        if self.columns is not None and self.__dict__.get("_records") is None:
            return self.columns.n_records
        return len(self.records)


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
        sliced = _sorted_groups(self.data)
        if sliced is not None:
            return sliced
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
        """Per-layer signal names of one family (``act_zero_frac``), in model order.

        The order the log wrote them in, unless that order is alphabetical (Keras' and
        Lightning's CSV writers sort their columns): then the order the names suggest
        (:func:`nn_doctor.layer_order.model_order`).
        """
        prefix = family + "/"
        names = [s for s in self._groups if s.startswith(prefix) and is_layer_signal(s)]
        return model_order(names, prefix)

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
                values = ep.to_numpy(dtype=float)
                steps = ep.index.to_numpy(dtype=float)
                if np.all(values == np.round(values)):
                    # an integer counter (Lightning, Keras, plain CSV) holds one value for a whole
                    # epoch: measure between the first steps of the first and last epochs, not
                    # to the last logged step, which would stretch the epoch by up to one epoch
                    # over the run's length (31.4 steps for 30 over 19 epochs)
                    last = int(np.argmax(values == values[-1]))
                    steps, values = steps[[0, last]], values[[0, last]]
                span = float(steps[-1] - steps[0])
                epochs = float(values[-1] - values[0])
                if epochs > 0 and span > 0:
                    return span / epochs
        return config_steps_per_epoch(self.config)


def config_steps_per_epoch(config: dict[str, Any]) -> float | None:
    """Optimizer steps per epoch the config implies (ceil of n_train / batch_size), or None."""
    n, bs = config.get("n_train"), config.get("batch_size")
    if isinstance(n, (int, float)) and isinstance(bs, (int, float)) and bs > 0:
        return float(np.ceil(n / bs))
    return None


def _sorted_groups(data: pd.DataFrame) -> dict[str, pd.Series] | None:
    """Each signal's series as slices, when the frame is sorted by signal code (as
    :func:`build_frame` leaves it); ``None`` for any other frame (the groupby reads it)."""
    import pandas as pd

    if not len(data) or not isinstance(data["signal"].dtype, pd.CategoricalDtype):
        return None
    codes = data["signal"].cat.codes.to_numpy()
    if codes[0] < 0 or not bool((codes[1:] >= codes[:-1]).all()):
        return None
    steps = data["step"].to_numpy()
    values = data["value"].to_numpy()
    if steps.dtype != np.int64 or values.dtype != np.float64:
        return None
    categories = data["signal"].cat.categories
    counts = _count_codes(codes, len(categories))
    ends = np.cumsum(counts)
    out: dict[str, pd.Series] = {}
    for code in np.flatnonzero(counts).tolist():
        a, b = int(ends[code] - counts[code]), int(ends[code])
        name = str(categories[code])
        index = pd.Index(steps[a:b].copy(), name="step")
        out[name] = pd.Series(values[a:b].copy(), index=index, name=name)
    return out


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
            counts.index.to_numpy(dtype=np.int64).tolist(), counts.to_numpy().tolist(), strict=True
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

    if raw.columns is not None:
        direct = _from_columns(raw.columns, user_aliases)
        if direct is not None:
            data, claimed, claim_notes = direct
            return _run_frame(raw, data, claimed, list(raw.warnings), claim_notes, config_overrides)

    rec = raw.records
    warnings = list(raw.warnings)
    notes: list[str] = []
    # Records a reader built with ``records()`` (integer steps, a categorical of string names)
    # are coded from the categorical's codes; anything else (NaN steps, names that are not all
    # strings, a NaN name) takes the general path below, unchanged.
    coded = _Coded.of(rec) if len(rec) else None
    count_of: Callable[[str], int]
    if coded is not None:
        names, count_of = coded.names, coded.count_of
    else:
        if len(rec):
            rec = rec[pd.notna(rec["step"])]
        names = [str(n) for n in pd.unique(rec["name"])] if len(rec) else []
        counts = rec.groupby("name", sort=False).size() if len(rec) else pd.Series(dtype=int)
        count_of = _lookup(counts)
    rename, sources = _claim_names(names, count_of, user_aliases, notes)

    if len(rec):
        # Work on integer signal codes (first-written order, so per-layer families stay in model
        # order); strings only come back as the categories of the final column.
        if coded is not None:
            targets, codes = coded.target_codes(rename)
            steps = coded.steps
        else:
            raw_codes, uniques = pd.factorize(rec["name"])
            named = [rename.get(str(u), str(u)) for u in uniques]
            targets = list(dict.fromkeys(named))  # unique, first-written order
            position = {t: i for i, t in enumerate(targets)}
            codes = np.array([position[t] for t in named], dtype=np.int64)[raw_codes]
            steps = np.round(rec["step"].to_numpy(dtype=float)).astype(np.int64)
        values = rec["value"].to_numpy(dtype=float)
        wall = rec["wall_time"].to_numpy(dtype=float)
        columns = _in_order(codes, steps, values, wall, len(targets))
        if columns is None:  # a restart or a repeated step somewhere: the general treatment
            columns = _supersede_and_reduce(codes, steps, values, wall, targets, warnings, notes)
        step_col, code_col, value_col, wall_col = columns
        data = _data(step_col, code_col, value_col, wall_col, targets)
        logged = _count_codes(code_col, len(targets))
        present = {targets[i] for i in np.flatnonzero(logged).tolist()}
    else:
        data = pd.DataFrame(
            {
                "step": pd.Series(dtype=np.int64),
                "signal": pd.Series(dtype=object),
                "value": pd.Series(dtype=float),
                "wall_time": pd.Series(dtype=float),
            }
        )
        present = set()
    sources = {k: v for k, v in sources.items() if k in present}
    return _run_frame(raw, data, sources, warnings, notes, config_overrides)


def _run_frame(
    raw: RawRun,
    data: pd.DataFrame,
    sources: dict[str, str],
    warnings: list[str],
    notes: list[str],
    config_overrides: Mapping[str, Any] | None,
) -> RunFrame:
    """The frame around ``data``, with the config normalized (its notes after ``notes``)."""
    from nn_doctor.runconfig import normalize_config

    config, config_notes = normalize_config(raw.config, config_overrides)
    notes.extend(config_notes)
    return RunFrame(
        data=data,
        format=raw.format,
        path=raw.path,
        run=raw.run or raw.path,
        files=list(raw.files),
        config=config,
        sources=sources,
        warnings=warnings,
        ignored=list(raw.ignored),
        notes=notes,
        axis=raw.axis,
        config_sources=list(raw.config_sources),
        config_raw=dict(raw.config),
    )


def _from_columns(
    cols: Columns, user_aliases: Mapping[str, Iterable[str]] | None
) -> tuple[pd.DataFrame, dict[str, str], list[str]] | None:
    """``(data, sources, notes)`` straight from a reader's columns, or ``None`` when the long
    route must build the frame: no record at all, a column whose steps do not strictly rise (a
    restart or a repeat: superseded and reduced there), steps beyond 2**53, or two names that
    become one signal. What it returns equals what the long route builds from
    :meth:`Columns.long`: the same names in first-written order, the same sort by
    (signal, step), the same types."""
    steps = cols.steps
    counts = cols.counts
    present = [j for j, c in enumerate(counts) if c]
    if not present or steps.dtype != np.int64:
        return None
    if int(steps.min()) < -_EXACT_INT or int(steps.max()) > _EXACT_INT:
        return None  # the long route's float round trip decides these
    dense = all(m is None for m in cols.logged)
    if dense:
        if not bool((steps[1:] > steps[:-1]).all()):
            return None
    else:
        for j in present:
            mask = cols.logged[j]
            s = steps if mask is None else steps[mask]
            if not bool((s[1:] > s[:-1]).all()):
                return None
    # First-written order: by the first row a column is logged in, then by column.
    first = {j: 0 if (m := cols.logged[j]) is None else int(np.argmax(m)) for j in present}
    order = sorted(present, key=lambda j: (first[j], j))
    names = [cols.names[j] for j in order]
    by_name = {cols.names[j]: counts[j] for j in present}
    notes: list[str] = []
    rename, sources = _claim_names(names, lambda name: by_name.get(name, 0), user_aliases, notes)
    targets = [rename.get(n, n) for n in names]
    if len(set(targets)) != len(targets):
        return None  # two names merge into one signal: its steps may repeat
    # Each signal's records are its column's logged cells, already in rising step order: the
    # frame's (signal, step) sort is the columns one after another.
    k = len(order)
    sizes = np.asarray([counts[j] for j in order], dtype=np.int64)
    n_total = int(sizes.sum())
    wall = cols.wall_time
    step_col = np.tile(steps, k) if dense else np.empty(n_total, dtype=np.int64)
    value_col = np.empty(n_total, dtype=np.float64)
    if wall is None:
        # No wall clock (most CSV logs): one NaN seen through a read-only, stride-0 view instead
        # of 8 bytes a record to write (152 MB for 1M x 20). pandas keeps the view as it is, and
        # hands out read-only arrays of every column anyway (copy-on-write).
        wall_col = np.broadcast_to(np.float64(np.nan), (n_total,))
    else:
        wall_col = np.empty(n_total, dtype=np.float64)
    a = 0
    for j, size in zip(order, sizes.tolist(), strict=True):
        mask = cols.logged[j]
        b = a + size
        value_col[a:b] = cols.values[j] if mask is None else cols.values[j][mask]
        if not dense:
            step_col[a:b] = steps if mask is None else steps[mask]
        if wall is not None:
            wall_col[a:b] = wall if mask is None else wall[mask]
        a = b
    code_col = np.repeat(np.arange(k, dtype=code_dtype(k)), sizes)
    data = _data(step_col, code_col, value_col, wall_col, targets)
    signals = set(targets)
    return data, {t: v for t, v in sources.items() if t in signals}, notes


def _data(
    step: np.ndarray, codes: np.ndarray, value: np.ndarray, wall: np.ndarray, targets: list[str]
) -> pd.DataFrame:
    """The frame's long table from new arrays (no second copy): signal codes index ``targets``."""
    import pandas as pd

    return pd.DataFrame(
        {
            "step": step,
            "signal": pd.Categorical.from_codes(codes, categories=pd.Index(targets)),
            "value": value,
            "wall_time": wall,
        },
        copy=False,
    )


def _lookup(counts: pd.Series) -> Callable[[str], int]:
    """``counts.get(name, 0)`` as an int."""
    return lambda name: int(counts.get(name, 0))


def _claim_names(
    names: list[str],
    count_of: Callable[[str], int],
    user_aliases: Mapping[str, Iterable[str]] | None,
    notes: list[str],
) -> tuple[dict[str, str], dict[str, str]]:
    """Which original name becomes which signal: ``(rename, sources)``; notes are appended."""
    # Decide which original name owns each canonical name: the most-logged candidate wins, then
    # the alias rank (so HF's many-point `loss` beats its one-point summary `train_loss`).
    claims: dict[str, list[tuple[int, int, str]]] = {}
    for original in names:
        resolved = canonical_name(str(original), user_aliases)
        claims.setdefault(resolved.canonical, []).append(
            (-count_of(original), resolved.rank, str(original))
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

    # No total loss: the loss rules read a stand-in, and say so. The first loss component in
    # file order (YOLO box/cls/dfl), else the error a regression was trained on (``train_mse``,
    # ``val_rmse``, Keras' ``mean_squared_error``: the objective's own curve).
    unclaimed = [str(n) for n in names if rename.get(str(n), str(n)) == str(n)]
    for split in ("train", "val"):
        target = f"{split}_loss"
        if target in sources:
            continue
        comps = [n for n in unclaimed if "loss" in n.lower() and _split_of(n) == split]
        metrics = [n for n in unclaimed if objective_split(n) == split]
        if comps:
            pick = comps[0]
            if len(comps) > 1:
                notes.append(
                    f"no total {split} loss logged; {target} is '{pick}', the first of "
                    f"{len(comps)} loss components ({', '.join(comps)})"
                )
        elif metrics:
            pick = metrics[0]
            notes.append(f"no {split} loss logged; {target} is '{pick}', the error metric")
        else:
            continue
        rename[pick] = target
        sources[target] = pick
    return rename, sources


_EXACT_INT = 2**53  # integers a float64 holds exactly: the float round trip is the identity


def code_dtype(n_names: int) -> Any:
    """The smallest signed integer type holding ``n_names`` category codes (as pandas picks)."""
    if n_names < 2**7:
        return np.int8
    if n_names < 2**15:
        return np.int16
    return np.int32 if n_names < 2**31 else np.int64


@dataclass
class _Coded:
    """Records whose names are codes into ``labels``, counted, in first-written order."""

    codes: np.ndarray  # per record, an index into labels
    labels: list[str]
    order: np.ndarray  # the labels that occur, in first-written order
    counts: np.ndarray  # records per label
    steps: np.ndarray  # int64, what the general path's float round trip gives

    @property
    def names(self) -> list[str]:
        return [self.labels[k] for k in self.order.tolist()]

    def count_of(self, name: str) -> int:
        return int(self.counts[self._index[name]])

    @cached_property
    def _index(self) -> dict[str, int]:
        return {label: i for i, label in enumerate(self.labels)}

    @classmethod
    def of(cls, rec: pd.DataFrame) -> _Coded | None:
        """The coded records, or ``None`` when the general path must read them."""
        import pandas as pd

        step_col, name_col = rec["step"], rec["name"]
        kind = step_col.dtype.kind if isinstance(step_col.dtype, np.dtype) else ""
        if kind not in "iuf" or not kind:
            return None  # nullable or object steps
        if kind == "f":
            as_float = step_col.to_numpy()
            if np.isnan(as_float).any():
                return None  # NaN steps: the general path drops them
            steps = np.round(as_float).astype(np.int64)
        else:
            steps = step_col.to_numpy()
            if kind == "i" and steps.min() >= -_EXACT_INT and steps.max() <= _EXACT_INT:
                steps = steps.astype(np.int64, copy=False)
            else:  # beyond 2**53 (or unsigned): the general path's float round trip, as it is
                steps = np.round(step_col.to_numpy(dtype=float)).astype(np.int64)
        order: np.ndarray | None = None
        if isinstance(name_col.dtype, pd.CategoricalDtype):
            labels = list(name_col.dtype.categories)
            codes = name_col.cat.codes.to_numpy()
        else:
            codes, uniques = pd.factorize(name_col)
            labels = list(uniques)
            order = np.arange(len(labels))
        if not all(isinstance(label, str) for label in labels):
            return None
        try:
            counts = _count_codes(codes, len(labels))
        except ValueError:
            return None  # a missing name (code -1)
        if order is None:
            order = _first_written(codes, int(np.count_nonzero(counts)))
        return cls(codes, [str(label) for label in labels], order, counts, steps)

    def target_codes(self, rename: Mapping[str, str]) -> tuple[list[str], np.ndarray]:
        """The signals (first-written order) and each record's signal code."""
        named = [rename.get(n, n) for n in self.names]
        targets = list(dict.fromkeys(named))
        position = {t: i for i, t in enumerate(targets)}
        lut = np.zeros(len(self.labels), dtype=code_dtype(len(targets)))
        lut[self.order] = [position[t] for t in named]
        if len(lut) == len(targets) and np.array_equal(lut, np.arange(len(lut))):
            return targets, self.codes  # names are the signals, in code order already
        return targets, lut[self.codes]


_COUNT_BLOCK = 1 << 20


def _count_codes(codes: np.ndarray, n: int) -> np.ndarray:
    """``np.bincount(codes, minlength=n)`` in blocks: bincount widens small codes to intp, and a
    temporary of 8x the codes is fresh memory to fault in when it is large. ValueError on a
    negative code, as bincount."""
    counts = np.zeros(n, dtype=np.int64)
    for a in range(0, len(codes), _COUNT_BLOCK):
        part = np.bincount(codes[a : a + _COUNT_BLOCK], minlength=n)
        if len(part) > n:
            raise ValueError("a code beyond the categories")
        counts += part
    return counts


def _first_written(codes: np.ndarray, n_present: int) -> np.ndarray:
    """The distinct codes in order of first appearance (a prefix usually holds them all)."""
    n = len(codes)
    size = min(n, 1 << 16)
    while True:
        uniq, first = np.unique(codes[:size], return_index=True)
        if len(uniq) >= n_present or size >= n:
            return uniq[np.argsort(first, kind="stable")]
        size = min(n, size * 16)


def _in_order(
    codes: np.ndarray, steps: np.ndarray, values: np.ndarray, wall: np.ndarray, n_signals: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The records sorted by (signal, step) when every signal's steps only go up, else ``None``.

    The common case (no restart, no repeated step): one stable reorder by signal code, and the
    check that each signal's steps then strictly increase. Records that come in rows of every
    signal (a dense wide table, a step-major event file) are reordered by a transposition.
    """
    n = len(codes)
    counts = _count_codes(codes, n_signals)
    reorder = _reorder(codes, n_signals)
    s = reorder(steps)
    if n > 1:
        rising = s[1:] > s[:-1]
        starts = np.cumsum(counts)[:-1]
        rising[starts[starts > 0] - 1] = True  # a new signal starts: no comparison
        if not rising.all():
            return None
    sorted_codes = np.repeat(np.arange(n_signals, dtype=code_dtype(n_signals)), counts)
    return s, sorted_codes, reorder(values), reorder(wall)


def _reorder(codes: np.ndarray, k: int) -> Callable[[np.ndarray], np.ndarray]:
    """A function putting an array of records in stable signal-code order (a new array)."""
    n = len(codes)
    if k == 1 or n < 2:
        return lambda a: np.array(a, copy=True)
    if n % k == 0:
        head = codes[:k]
        distinct = bool((np.bincount(head, minlength=k) == 1).all())
        if distinct and bool((codes.reshape(-1, k) == head).all()):
            inv = np.argsort(head)  # row j of the transposed table is signal head[j]
            return lambda a: a.reshape(-1, k).T[inv].reshape(-1)
    order = np.argsort(codes, kind="stable")
    return lambda a: a[order]


def _supersede_and_reduce(
    codes: np.ndarray,
    steps: np.ndarray,
    values: np.ndarray,
    wall: np.ndarray,
    targets: list[str],
    warnings: list[str],
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Restarts (the later write wins) and repeated steps (one value), sorted by (signal, step)."""
    import pandas as pd

    codes = np.asarray(codes, dtype=np.int64)
    data = pd.DataFrame({"code": codes, "step": steps, "value": values, "wall_time": wall})
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
    return (
        data["step"].to_numpy(copy=True),
        data["code"].to_numpy(dtype=code_dtype(len(targets)), copy=True),
        data["value"].to_numpy(copy=True),
        data["wall_time"].to_numpy(copy=True),
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
