"""``nn-doctor formats``: the input formats nn-doctor reads, in detection order."""

from __future__ import annotations

HELP = "List the input log formats nn-doctor reads (detection order)."


def formats() -> None:
    """Print one line per input format: its name and what it reads."""
    from nn_doctor.readers import REGISTRY, load

    for module in REGISTRY:
        mod = load(module)
        doc = (mod.__doc__ or "").strip().splitlines()[0] if mod.__doc__ else ""
        print(f"{getattr(mod, 'NAME', module):<14} {doc}")
