"""The ``nn-doctor`` command line: one Typer app (``cli/app.py``), one error handler here.

Command modules import only the standard library and typer at module level; pandas, rich and
protobuf are imported inside the commands, so ``--help`` starts fast, and ``--version`` does not
even build the app.
"""

from __future__ import annotations

import os
import sys

from nn_doctor import __version__
from nn_doctor.exit_codes import ExitCode

EXIT_CODES_HELP = (
    "Exit codes: 0 nothing at or above --fail-on; 1 a finding at or above it; "
    "2 could not run (bad usage, unreadable log, no usable signal); 3 internal error; "
    "130 interrupted."
)


def _traceback_requested(argv: list[str]) -> bool:
    return "--traceback" in argv or os.environ.get("NN_DOCTOR_TRACEBACK") == "1"


#: Commands that read logs: numpy and pandas load for every one of them.
_DATA_COMMANDS = frozenset({"diagnose", "audit", "inspect", "watch"})
_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")


def _load_numpy_single_threaded(args: list[str]) -> None:
    """Load numpy with one BLAS thread for a command that reads logs (a value the user
    exported wins).

    Why: the rules' BLAS calls are small (dot products and least squares over at most a few
    hundred thousand points), too small for threads to pay, while OpenBLAS starts its thread
    pool when numpy loads and its threads spin against whatever else runs on the cores.
    Measured on the 2-core benchmark machine (``diagnose`` on the 100,000-step x 20-signal run of
    ``benchmarks/readers_speed.py --cli``, medians of 7, one thread and the default alternating):
    at load ~2, 1.07 -> 1.00 s wall and 1.05 -> 0.97 s CPU; at load ~1.3, 0.95 -> 0.93 s wall
    and 1.02 -> 0.93 s CPU; ``import numpy`` alone 0.148 -> 0.090 s. (``audit`` workers already run
    single-threaded: ``audit/_warm.py``.) OpenBLAS reads the variables once, when it loads, so
    they are removed again right after: commands that ``watch --on-error`` runs (and any other
    child) get the user's environment as it was.
    """
    if not args or args[0] not in _DATA_COMMANDS or {"-h", "--help"} & set(args):
        return
    if "numpy" in sys.modules:
        return  # loaded already (an in-process caller): too late to choose
    added = [var for var in _BLAS_THREADS if var not in os.environ]
    for var in added:
        os.environ[var] = "1"
    try:
        import numpy  # noqa: F401
    finally:
        for var in added:
            os.environ.pop(var, None)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI and turn every failure into a one-line message and a documented exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    show_tb = _traceback_requested(args)
    args = [a for a in args if a != "--traceback"]
    if args in (["--version"], ["-V"]):
        # The one answer that needs nothing else: skip building the app (typer, click) entirely.
        print(f"nn-doctor {__version__}")
        sys.exit(ExitCode.OK)
    _load_numpy_single_threaded(args)
    import typer

    from nn_doctor.cli.app import app
    from nn_doctor.errors import NnDoctorError

    try:
        rv = app(args=args, prog_name="nn-doctor", standalone_mode=False)
    except NnDoctorError as exc:
        if show_tb:
            raise
        _error(f"error: {exc.message}", exc.hint)
        sys.exit(ExitCode.CANNOT_RUN)
    except KeyboardInterrupt:
        _error("interrupted", None)
        sys.exit(ExitCode.INTERRUPTED)
    except SystemExit:
        raise
    except Exception as exc:  # the crash handler: a bug, not the user's fault
        # typer >= 0.24 vendors click, so match click's exceptions by shape, not by import.
        if isinstance(exc, typer.Abort) or type(exc).__name__ == "Abort":
            _error("interrupted", None)
            sys.exit(ExitCode.INTERRUPTED)
        if callable(getattr(exc, "show", None)) and isinstance(
            getattr(exc, "exit_code", None), int
        ):
            exc.show()  # type: ignore[attr-defined]  # usage errors: click's own message
            sys.exit(ExitCode.CANNOT_RUN)
        if show_tb:
            raise
        _error(
            f"internal error: {type(exc).__name__}: {exc}",
            "this is a bug in nn-doctor; rerun with --traceback and report it",
        )
        sys.exit(ExitCode.INTERNAL)
    code = int(rv) if isinstance(rv, int) else 0
    if code == ExitCode.INTERRUPTED:  # typer >= 0.24 turns Ctrl-C into Exit(130) itself
        _error("interrupted", None)
    sys.exit(code)


def _error(message: str, hint: str | None) -> None:
    print(message.splitlines()[0] if message else "error", file=sys.stderr)
    if hint:
        print(f"  hint: {hint}", file=sys.stderr)
