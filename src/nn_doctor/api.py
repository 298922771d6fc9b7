"""The Python API: read runs into frames, and diagnose them.

``nn_doctor.diagnose("runs/exp1")`` is what the CLI's ``diagnose`` does, minus the rendering.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nn_doctor.errors import InputError

if TYPE_CHECKING:
    from nn_doctor.engine.diagnosis import Diagnosis
    from nn_doctor.frame import RawRun, RunFrame


def read_raw(path: str | Path, *, input_format: str | None = None) -> list[RawRun]:
    """Read every run at ``path`` as the readers found them (original names)."""
    from nn_doctor.readers import discover, load

    raws: list[RawRun] = []
    for source in discover(Path(path), input_format=input_format):
        for raw in load(source.reader).read(source.path):
            if not raw.config and raw.files:
                _read_sibling_config(raw)
            raws.append(raw)
    if not raws:
        raise InputError(
            f"no training log found under {path}",
            hint="point at a log file or a run folder (see `nn-doctor formats`)",
        )
    return raws


#: Config files people keep beside a log, read when the format itself carries no config.
SIBLING_CONFIGS = (
    "config.yaml",
    "config.yml",
    "config.json",
    "hparams.yaml",
    "hparams.yml",
    "hparams.json",
    "params.yaml",
    "params.json",
    "args.yaml",
    "args.json",
    "hyperparams.yaml",
    "hyperparams.json",
    "hyperparameters.yaml",
    "hyperparameters.json",
    "run_config.yaml",
    "run_config.json",
    "training_args.json",
    ".hydra/config.yaml",  # Hydra's resolved config, beside the run's own log in its output dir
)
#: Log sub-folders whose config sits one level up (run/config.yaml beside run/logs/metrics.csv).
LOG_SUBFOLDERS = {"logs", "log", "tb", "tensorboard", "tb_logs", "metrics", "events", "csv"}
#: Folders a logger fills with one sub-folder per run (SummaryWriter's runs/<date_host>/,
#: Lightning's lightning_logs/version_0/): the config beside such a folder is the run's only when
#: it holds that one run; with several, it would be a guess which of them it describes.
LOG_CONTAINERS = {*LOG_SUBFOLDERS, "runs", "lightning_logs"}


def _config_folders(folder: Path) -> list[Path]:
    """The folders whose config files may describe the log in ``folder``, nearest first."""
    if folder.name.lower() in LOG_SUBFOLDERS:
        return [folder, folder.parent]
    container = folder.parent
    if container.name.lower() in LOG_CONTAINERS:
        try:
            alone = sum(1 for p in container.iterdir() if p.is_dir()) == 1
        except OSError:
            alone = False
        if alone:
            return [folder, container, container.parent]
    return [folder]


def _read_sibling_config(raw: RawRun) -> None:
    """Fill a run's config from a config file beside its log (a plain CSV has no place for one)."""
    from nn_doctor.readers._common import load_configs

    candidates: list[Path] = []
    for where in _config_folders(Path(raw.files[0]).parent):  # the nearest with any config wins
        candidates = [where / name for name in SIBLING_CONFIGS if (where / name).is_file()]
        if candidates:
            break
    if not candidates:
        return
    config, sources, warnings = load_configs(candidates)
    raw.config.update(config)
    raw.config_sources.extend(sources)
    raw.warnings.extend(warnings)


def read_runs(
    path: str | Path,
    *,
    input_format: str | None = None,
    aliases: Mapping[str, Iterable[str]] | None = None,
    config_overrides: Mapping[str, Any] | None = None,
) -> list[RunFrame]:
    """Read every run at ``path`` into normalized :class:`~nn_doctor.frame.RunFrame` objects.

    :param path: a log file, a run folder, or a tree of run folders.
    :param input_format: force a reader (``tensorboard``, ``csv``, …) instead of detecting it.
    :param aliases: extra signal aliases, ``{canonical: [names as logged]}``.
    :param config_overrides: config facts that win over the run's own (``{"batch_size": 4096}``).
    """
    from nn_doctor.frame import build_frame

    return [
        build_frame(raw, user_aliases=aliases, config_overrides=config_overrides)
        for raw in read_raw(path, input_format=input_format)
    ]


def diagnose(path_or_frame: Any, **kwargs: Any) -> list[Diagnosis]:
    """Diagnose each run in a path (or one RunFrame): ranked causes with evidence and remedies."""
    from nn_doctor.engine.diagnosis import diagnose_frame
    from nn_doctor.frame import RunFrame

    engine_kwargs = {k: kwargs.pop(k) for k in ("rules", "lang", "report_at") if k in kwargs}
    frames = (
        [path_or_frame]
        if isinstance(path_or_frame, RunFrame)
        else read_runs(path_or_frame, **kwargs)
    )
    return [diagnose_frame(frame, **engine_kwargs) for frame in frames]
