"""Write ``examples/diverged/``: one vivid, real failed run for the README's first command.

    python -m benchmarks.zoo.diverged --out examples/diverged

An MLP regressor on scikit-learn's Friedman #1 data, SGD with momentum and a linear warm-up to a
learning rate of 1.0 (about 100× too high for this net): the loss falls while the rate is small,
then climbs and goes NaN once the rate does — the ``lr_too_high`` story users know. It is trained for real (seed 0),
verified against its healthy twin like every zoo run, and written as a Lightning ``CSVLogger``
run at full richness with its ``hparams.yaml``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from benchmarks.zoo.scenarios import FAMILIES, merge

FAMILY = "friedman_mlp"
OVERRIDES = {
    "optimizer": "momentum",
    "momentum": 0.9,
    "lr": 1.0,
    "epochs": 12,
    "schedule": {"kind": "warmup", "warmup": 0.6},
}


def main(argv: list[str] | None = None) -> int:
    """Train, verify and write the example run."""
    import torch

    from benchmarks.zoo.train import train
    from benchmarks.zoo.verify import verify
    from benchmarks.zoo.writers import lightning

    ap = argparse.ArgumentParser(prog="python -m benchmarks.zoo.diverged")
    ap.add_argument("--out", type=Path, default=Path("examples/diverged"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    base = {**FAMILIES[FAMILY].base, "seed": 0}
    h = train(merge(base, OVERRIDES))
    twin = train(base)
    verdict = verify("lr_too_high", h, twin)
    if not verdict.ok or h["nonfinite_step"] is None:
        print(f"the run did not diverge as intended: {verdict.metric}", file=sys.stderr)
        return 1
    if args.out.exists():
        shutil.rmtree(args.out)
    lightning.write(h, args.out, "full", "present", "diverged")
    print(f"wrote {args.out} (NaN from step {h['nonfinite_step']}; {verdict.metric})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
