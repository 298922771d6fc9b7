"""The batch audit: find every run under some folders, diagnose them in parallel, summarize.

The pieces are small on purpose, each replaceable on its own:

- :mod:`~nn_doctor.audit.discovery` finds the runs (readers' own detection) and applies the
  ``--include``/``--exclude`` globs;
- :mod:`~nn_doctor.audit.worker` reads and diagnoses one run source inside a worker and returns
  JSON-ready dicts (cheap to pickle), turning every per-run failure into an error row;
- :mod:`~nn_doctor.audit.executor` runs the worker serially, in a process pool (``forkserver`` or
  ``spawn``, never ``fork``: DECISIONS.md §9) or on a Dask cluster;
- :mod:`~nn_doctor.audit.cache` skips runs whose files did not change since the last audit;
- :mod:`~nn_doctor.audit.rows` and :mod:`~nn_doctor.audit.writers` turn run dicts into the
  summary table and the ``--output`` files;
- :mod:`~nn_doctor.audit.core` ties them together: :func:`run_audit` is what the CLI calls.

Nothing here imports pandas at module level: the worker does, inside the processes that read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nn_doctor.audit.core import AuditResult

__all__ = ["audit"]


def audit(*roots: Any, **kwargs: Any) -> AuditResult:
    """Audit every run under ``roots`` (see :func:`nn_doctor.audit.core.run_audit`)."""
    from pathlib import Path

    from nn_doctor.audit.core import run_audit

    return run_audit([Path(r) for r in roots], **kwargs)
