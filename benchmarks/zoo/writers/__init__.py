"""Format writers: each writes one trained history the way one real tool writes its logs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.zoo.writers import csv_plain, hf_trainer, jsonl, keras_csv, lightning, tensorboard

Writer = Callable[[dict[str, Any], Path, str, str, str], Path]

#: format name -> writer, in the round-robin order the generator assigns them.
WRITERS: dict[str, Writer] = {
    tensorboard.NAME: tensorboard.write,
    csv_plain.NAME: csv_plain.write,
    keras_csv.NAME: keras_csv.write,
    lightning.NAME: lightning.write,
    hf_trainer.NAME: hf_trainer.write,
    jsonl.NAME: jsonl.write,
}
FORMATS = tuple(WRITERS)
