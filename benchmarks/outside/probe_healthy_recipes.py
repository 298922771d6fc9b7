"""False-alarm probe: healthy recipes the zoo's healthy variants do not try, on its families.

    python -m benchmarks.outside.probe_healthy_recipes [--families a,b] [--seeds 0,1]

Each recipe is a common way to train a healthy net (textbook dropout 0.5 and 0.3, SGDR warm
restarts, clipping at 1.0, AdamW at 3e-4, batch 4, label smoothing 0.1, mixup 0.2, a cyclic
rate); each family's base run
is retrained with it, written as a plain CSV with the full
config at the ``loss`` and ``full`` levels, and diagnosed, if the zoo's own healthy criterion
(``verify.healthy`` against the base run) accepts it. A healthy run should get no finding. Round eleven found dropout 0.5 read as over-regularized on
11 of 12 families (fixed: 0.5 is the textbook setting); SGDR read clean. Round fourteen
added the habitual fast rates (Adam at 1e-2, SGD 0.1 with momentum): a digits CNN that
learned read as dead ReLUs (fixed), a memorized set's Adam spikes read as exploding
gradients (left: see the README), and mild late overfitting (left); the cautious rates
(plain SGD at 0.01, Adam at 1e-4) read clean on the 20 runs healthy enough to keep. Round
fifteen added the other optimizers at their frameworks' defaults (RMSprop at torch's 0.01 and
Keras' 0.001, Adagrad at 0.01, NAdam at 2e-3): 2 of 68 healthy runs with a finding, one digits
MLP's mild late overfitting read at both levels. Trains with torch on CPU: about 25 minutes for
the default families and recipes on two workers.
"""

from __future__ import annotations

import argparse
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

#: recipe -> (overrides of the base recipe, epochs multiplier: restarts and dropout need time)
RECIPES: dict[str, tuple[dict[str, Any], int]] = {
    "dropout-0.5": ({"arch": {"dropout": 0.5}}, 2),
    "dropout-0.3": ({"arch": {"dropout": 0.3}}, 2),
    "sgdr-t0-5": ({"schedule": {"kind": "cosine_restarts", "t0": 5}}, 3),
    "sgdr-t0-3-mult-2": ({"schedule": {"kind": "cosine_restarts", "t0": 3, "mult": 2}}, 3),
    "clip-1.0": ({"grad_clip": 1.0}, 1),  # the transformer/RNN habit, at the base's own rate
    "adamw-3e-4": ({"optimizer": "adamw", "lr": 3e-4, "weight_decay": 0.01}, 2),
    "batch-4": ({"batch_size": 4}, 1),
    # label smoothing 0.1 (timm's and many papers' default): the loss floors well above 0
    "label-smoothing": ({"loss": "ce_label_smoothing"}, 1),
    # mixup at alpha 0.2 (the paper's ImageNet setting): the training loss is on blended
    # examples, so it stays above validation by design (noisy labels' and dropout's signature)
    "mixup-0.2": ({"mixup": 0.2}, 2),
    # torch's CyclicLR, triangular between a tenth of the rate and the rate, 2 epochs up
    "cyclic-lr": ({"schedule": {"kind": "cyclic", "half_epochs": 2}}, 2),
    # the "fast" rates people set by habit: Adam at 1e-2 on a small net (10x its default) and
    # CIFAR's SGD 0.1 with momentum 0.9 (twice the table's usual SGD rate)
    "adam-1e-2": ({"optimizer": "adam", "lr": 1e-2}, 1),
    "sgd-momentum-0.1": ({"optimizer": "momentum", "lr": 0.1, "momentum": 0.9}, 1),
    # and the cautious ones, given twice the epochs: the textbook's plain SGD at 0.01 and Adam
    # at 1e-4 (a fine-tuning habit carried over to training from scratch)
    "sgd-0.01": ({"optimizer": "sgd", "lr": 0.01, "momentum": 0.0}, 2),
    "adam-1e-4": ({"optimizer": "adam", "lr": 1e-4}, 2),
    # the other optimizers at their frameworks' defaults, as people who never tune them run them:
    # torch's RMSprop (0.01, ten times Keras' 0.001), torch's Adagrad (0.01) and NAdam (2e-3)
    "rmsprop-1e-2": ({"optimizer": "rmsprop", "lr": 1e-2}, 1),
    "rmsprop-1e-3": ({"optimizer": "rmsprop", "lr": 1e-3}, 1),
    "adagrad-1e-2": ({"optimizer": "adagrad", "lr": 1e-2}, 2),
    "nadam-2e-3": ({"optimizer": "nadam", "lr": 2e-3}, 1),
}
FAMILIES = (
    "iris_mlp", "digits_mlp", "wine_mlp", "friedman_mlp", "diabetes_mlp", "synthcls_mlp",
    "blobs8_relu_mlp", "spirals_silu_mlp", "prices_mlp", "digits16_mnistnet",
    "letters7_sigmoid_mlp", "trends_lstm",
)  # fmt: skip
#: models whose builder takes a dropout setting
_DROPOUT_MODELS = {"mlp", "cnn2d_bn", "resmlp", "cnn1d", "gru", "lstm", "embbag"}


def _probe(job: tuple[str, int, list[str], list[str]]) -> list[tuple[str, str, int, str, str]]:
    """Train the family's base run (the twin) and each recipe; keep the runs the zoo's own
    healthy criterion accepts (a recipe can simply not suit a family: batch 4 at the base's
    momentum rate diverges), diagnose those at two levels."""
    from benchmarks.zoo import train, verify
    from benchmarks.zoo.scenarios import FAMILIES as ZOO
    from benchmarks.zoo.scenarios import merge
    from benchmarks.zoo.writers import WRITERS

    from nn_doctor.api import diagnose

    family, seed, recipes, formats = job
    fam = ZOO[family]
    base = {**fam.base, "seed": seed}
    twin = train.train(base)
    rows = []
    for recipe in recipes:
        over, mult = RECIPES[recipe]
        if "dropout" in over.get("arch", {}) and base.get("model", "mlp") not in _DROPOUT_MODELS:
            continue
        if (over.get("loss") or over.get("mixup")) and (
            fam.task != "classification" or base.get("loss")
        ):
            continue  # a classification recipe, for families on plain cross-entropy
        history = train.train(merge(base, {**over, "epochs": int(base["epochs"]) * mult}))
        verdict = verify.healthy(history, twin)
        if not verdict.ok:
            rows.append((family, recipe, seed, "-", f"(not healthy here: {verdict.metric})"))
            continue
        for fmt in formats:
            for level in ("loss", "full"):
                run_dir = Path(tempfile.mkdtemp(prefix="nn-doctor-probe-")) / "run"
                run_dir.mkdir()
                run_id = f"{family}-{recipe}-s{seed}"
                log = WRITERS[fmt](history, run_dir, level, "present", run_id)
                [diag] = diagnose(log)
                found = ", ".join(f"{f.id} {f.score:.2f}" for f in diag.findings) or "-"
                rows.append((family, recipe, seed, f"{fmt}/{level}", found))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--recipes", default=",".join(RECIPES))
    ap.add_argument("--formats", default="csv", help="zoo writers, comma-separated (or all)")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    from benchmarks.zoo.writers import WRITERS

    recipes = a.recipes.split(",")
    formats = sorted(WRITERS) if a.formats == "all" else a.formats.split(",")
    jobs = [
        (f, int(s), recipes, formats) for f in a.families.split(",") for s in a.seeds.split(",")
    ]
    alarms = total = dropped = 0
    print(f"{'family':22s} {'recipe':18s} seed format/level     findings (none expected)")
    with ProcessPoolExecutor(a.jobs) as pool:
        for rows in pool.map(_probe, jobs):
            for family, recipe, seed, level, found in rows:
                if level == "-":
                    dropped += 1
                else:
                    total += 1
                    alarms += found != "-"
                print(f"{family:22s} {recipe:18s} {seed:4d} {level:18s} {found}")
    print(f"\n{alarms} of {total} healthy runs got a finding ({dropped} recipe runs not healthy)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
