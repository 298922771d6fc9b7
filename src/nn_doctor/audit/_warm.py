"""Import what every audit worker needs, once, before the first task arrives.

The process pool's ``forkserver`` imports this module (``set_forkserver_preload``), so each
worker it forks starts with pandas, the readers, the engine and the checks already imported
instead of paying ~0.7 s of imports itself. Importing it has no other effect.
"""

from __future__ import annotations

import contextlib
import importlib

import numpy  # noqa: F401
import pandas  # noqa: F401

import nn_doctor.checks
import nn_doctor.engine.diagnosis
import nn_doctor.engine.evaluate
import nn_doctor.frame
import nn_doctor.report.document
import nn_doctor.report.reading
from nn_doctor.readers import REGISTRY

nn_doctor.checks.registry()  # the check modules register on first use
for _name in REGISTRY:
    # A reader that fails to import is reported by the task that needs it, not here.
    with contextlib.suppress(Exception):
        importlib.import_module(f"nn_doctor.readers.{_name}")
