"""A small tree of runs in real formats, and what the audit must say about each run.

The tree holds every case the audit must tell apart (DECISIONS.md §1): a healthy CSV run, a
diverged one, a broken ``trainer_state.json``, a Lightning ``version_0``/``version_1`` pair, a
Keras CSVLogger file with two appended runs, and a symlink loop back to the root.
"""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path

from tests.conftest import diverging_loss, healthy_loss

#: run label (relative to the tree) -> what the audit must say about it.
EXPECTED = {
    "diverged/metrics.csv": "error",
    "healthy/metrics.csv": "ok",
    "broken/trainer_state.json": "broken",
    "exp/lightning_logs/version_0/metrics.csv": "ok",
    "exp/lightning_logs/version_1/metrics.csv": "ok",
    "keras/training.log#1": "ok",
    "keras/training.log#2": "ok",
}


def _csv(path: Path, loss: list[float]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [f"{i},{v!r},{v * 1.05 + 0.01!r}" for i, v in enumerate(loss)]
    path.write_text("step,train_loss,val_loss\n" + "\n".join(rows) + "\n")


def _lightning(folder: Path, loss: list[float]) -> None:
    folder.mkdir(parents=True)
    lines = ["epoch,step,train_loss,val_loss"]
    for i, v in enumerate(loss):
        lines.append(f"{i // 20},{i},{v!r},")
        if i % 20 == 19:
            lines.append(f"{i // 20},{i},,{v * 1.05 + 0.01!r}")
    (folder / "metrics.csv").write_text("\n".join(lines) + "\n")
    (folder / "hparams.yaml").write_text("lr: 0.001\nbatch_size: 32\n")


def _keras_two_runs(path: Path) -> None:
    path.parent.mkdir(parents=True)
    lines = []
    for _ in range(2):  # CSVLogger(append=True): the header is written again for run 2
        lines.append("epoch,loss,val_loss")
        lines += [f"{e},{2 * math.exp(-e / 8) + 0.1!r},{2.1 * math.exp(-e / 8) + 0.15!r}"
                  for e in range(30)]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")


def build_tree(root: Path) -> Path:
    """Write the tree under ``root`` and return it."""
    _csv(root / "diverged" / "metrics.csv", diverging_loss())
    _csv(root / "healthy" / "metrics.csv", healthy_loss())
    (root / "broken").mkdir(parents=True)
    (root / "broken" / "trainer_state.json").write_text("this is not JSON {")
    _lightning(root / "exp" / "lightning_logs" / "version_0", healthy_loss())
    _lightning(root / "exp" / "lightning_logs" / "version_1", healthy_loss(160))
    _keras_two_runs(root / "keras" / "training.log")
    os.symlink(root, root / "healthy" / "loop", target_is_directory=True)
    return root


def label(run: dict[str, object], root: Path) -> str:
    """A run's label relative to the tree, as in :data:`EXPECTED`."""
    return str(run["run"]).replace(str(root) + os.sep, "")


def snapshot(root: Path) -> dict[str, str]:
    """Every directory and the hash of every file under ``root`` (symlinks not followed)."""
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            p = Path(dirpath, d)
            out[str(p)] = f"link:{os.readlink(p)}" if p.is_symlink() else "dir"
        for f in filenames:
            p = Path(dirpath, f)
            st = p.lstat()
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            out[str(p)] = f"{digest}:{st.st_size}:{st.st_mtime_ns}"
    return out
