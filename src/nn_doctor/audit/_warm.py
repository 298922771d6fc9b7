"""Import what every audit worker needs, once, before the first task arrives.

The process pool's ``forkserver`` imports this module (``set_forkserver_preload``), so each
worker it forks starts with pandas, the readers, the engine and the checks already imported
instead of paying ~0.7 s of imports itself. Besides the imports it only caps BLAS threads.
"""

# ruff: noqa: E402 - the BLAS setting must come before numpy is imported

from __future__ import annotations

import contextlib
import importlib
import os

# The pool already runs one worker per core: BLAS threads inside each worker only oversubscribe
# the cores (on a busy 2-core machine a 50,000-point np.dot took ~1 ms instead of ~20 us, and a
# 50k-step run's rules 7 s instead of 0.9 s). Set before numpy loads its BLAS; a value the user
# exported wins.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

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
