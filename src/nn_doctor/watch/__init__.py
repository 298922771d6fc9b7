"""``nn-doctor watch``: diagnose a training log while it is being written.

The pieces, one job each:

==============  ===========================================================================
``tail``        one file's new bytes since the last poll; rotation, truncation, rewrites
``table``       the accumulating wide record table (CSV and JSON-lines columns)
``lines``       the CSV / JSON-lines tailer: complete lines → the readers' parsers
``events``      the TensorBoard tailer: complete records → the reader's framer and decoders
``source``      PATH → a tailer, once the log is there and recognizable
``loop``        poll, re-diagnose what is new, alert once per cause, the exit code
==============  ===========================================================================

Reading is incremental (each byte read once, each record parsed once, when complete); the run
frame and the rules are rebuilt from the records in memory at most every ``--interval`` seconds,
only when new records arrived. Nothing here imports at ``nn_doctor.cli`` import time.
"""

from __future__ import annotations

from nn_doctor.watch.loop import NOT_WHILE_RUNNING, Watcher, WatchOptions

__all__ = ["NOT_WHILE_RUNNING", "WatchOptions", "Watcher"]
