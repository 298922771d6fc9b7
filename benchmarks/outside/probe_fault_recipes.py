"""Fault probe: the catalog's causes injected by recipes the zoo's generator does not use.

    python -m benchmarks.outside.probe_fault_recipes --out /work/zoo-recipes [--families a,b]
    python benchmarks/accuracy.py /work/zoo-recipes --split recipes

The zoo injects each cause one or two ways (SGD at 3 for a too-high rate, dropout 0.9, half the
labels replaced ...), and every rule was calibrated on those runs. A corpus built independently
injects the same causes differently: Adam or RMSprop at 0.1, dropout 0.8, a quarter of the
labels wrong, softmax applied before ``CrossEntropyLoss``. This probe retrains
the zoo's families with such recipes, keeps a run only if the zoo's own verification (the run
against its healthy twin, ``verify.py``) says it shows its cause, and writes the kept runs as a
labeled corpus (``labels.csv``, split ``recipes``) at the three richness levels, formats and
config modes assigned round-robin as the generator does; each family's healthy twin is kept too,
as a healthy run. ``benchmarks/accuracy.py`` scores it.

A recipe that does not produce its cause on a family is dropped and counted, never relabeled.
About 40 minutes per seed on two cores for the default families; `--causes` limits a run to
some causes' recipes (with every family's twin, as healthy runs).
"""

from __future__ import annotations

import argparse
import pickle
import shutil
import tempfile
from collections.abc import Set as AbstractSet
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

#: cause -> [(variant, overrides, models it applies to (None: all), causes also accepted)]
Recipe = tuple[str, dict[str, Any], frozenset[str] | None, tuple[str, ...]]
_MLP = frozenset({"mlp"})
RECIPES: dict[str, list[Recipe]] = {
    "lr_too_high": [
        ("rmsprop-lr0.1", {"optimizer": "rmsprop", "lr": 0.1}, None, ()),
        ("momentum-lr0.5", {"optimizer": "momentum", "momentum": 0.9, "lr": 0.5}, None, ()),
        ("adamw-lr0.3", {"optimizer": "adamw", "lr": 0.3, "weight_decay": 0.01}, None, ()),
    ],
    "lr_too_low": [
        ("adam-2e-5", {"optimizer": "adam", "lr": 2e-5, "schedule": None}, None, ()),
        ("momentum-1e-4", {"optimizer": "momentum", "momentum": 0.9, "lr": 1e-4,
                           "schedule": None}, None, ()),
        ("rmsprop-1e-5", {"optimizer": "rmsprop", "lr": 1e-5, "schedule": None}, None, ()),
    ],
    "dead_relu": [
        ("bias-3", {"arch": {"bias_init": -3.0}}, _MLP, ("bad_init",)),
        ("rmsprop-lr0.05", {"optimizer": "rmsprop", "lr": 0.05}, _MLP, ("lr_too_high",)),
    ],
    "exploding_gradients": [
        ("deep-6-init-std1", {"arch": {"hidden": [64] * 6, "act": "relu", "init": "normal:1.0",
                                       "norm": None}}, _MLP, ("bad_init",)),
        ("deep-10-init-std0.4-sgd", {"arch": {"hidden": [64] * 10, "act": "relu",
                                              "init": "normal:0.4", "norm": None},
                                     "optimizer": "sgd", "momentum": 0.0, "lr": 0.01},
         _MLP, ("bad_init",)),
    ],
    "vanishing_gradients": [
        ("tanh-16-sgd", {"arch": {"hidden": [48] * 16, "act": "tanh", "norm": None},
                         "optimizer": "sgd", "momentum": 0.0, "lr": 0.05}, _MLP, ("too_deep",)),
        ("sigmoid-6-sgd", {"arch": {"hidden": [64] * 6, "act": "sigmoid", "norm": None},
                           "optimizer": "sgd", "momentum": 0.0, "lr": 0.05}, _MLP, ("too_deep",)),
    ],
    "too_deep": [
        ("plain-relu-20", {"arch": {"hidden": [40] * 20, "act": "relu", "norm": None}}, _MLP,
         ("vanishing_gradients",)),
        ("plain-elu-24", {"arch": {"hidden": [32] * 24, "act": "elu", "norm": None}}, _MLP,
         ("vanishing_gradients",)),
    ],
    "too_few_hidden_units": [
        ("width-3", {"arch": {"hidden": [3]}}, _MLP, ()),
        ("width-2-2", {"arch": {"hidden": [2, 2]}}, _MLP, ()),
    ],
    "bad_init": [
        ("constant-0.5", {"arch": {"init": "constant:0.5"}}, None, ()),
        ("normal-1e-4", {"arch": {"init": "normal:0.0001"}}, None, ()),
    ],
    "wrong_output_activation": [
        ("softmax-before-ce", {"arch": {"out_act": "softmax"}}, None, ()),
        ("relu-before-ce", {"arch": {"out_act": "relu"}}, None, ()),
        ("tanh-output", {"arch": {"out_act": "tanh"}}, None, ()),
    ],
    "overfitting": [
        ("small-set-wide-sgd", {"n_train": 60, "arch": {"hidden": [512, 512], "dropout": 0.0},
                                "optimizer": "momentum", "momentum": 0.9, "lr": 0.02,
                                "weight_decay": 0.0, "epochs": 200, "batch_size": 16,
                                "schedule": None}, _MLP, ()),
        # the family's own model and optimizer on its small training set, trained 8x as long:
        # the way most runs overfit (no bigger model, no change of optimizer)
        ("own-model-small-set-8x", {"n_train": "small", "arch": {"dropout": 0.0},
                                    "weight_decay": 0.0, "epochs_mult": 8}, None, ()),
        # AdamW's default decay and a warm-up cosine schedule do not prevent it
        ("small-set-adamw-cosine", {"n_train": "small", "arch": {"dropout": 0.0},
                                    "optimizer": "adamw", "lr": 1e-3, "weight_decay": 0.01,
                                    "schedule": {"kind": "warmup_cosine", "warmup": 0.05},
                                    "epochs_mult": 6}, None, ()),
    ],
    "over_regularization": [
        ("dropout-0.8", {"arch": {"dropout": 0.8}}, None, ()),
        ("adam-l2-0.1", {"optimizer": "adam", "lr": 1e-3, "weight_decay": 0.1}, None, ()),
    ],
    "no_normalization": [
        # one feature in other units than the rest (grams among kilograms), the rest scaled
        ("one-feature-x1000", {"feature_scale": 1000.0}, frozenset({"mlp", "lstm"}), ()),
    ],
    "oversized_batch": [
        ("quarter-set", {"batch_size": "quarter"}, None, ()),
    ],
    "unshuffled_data": [
        # sorted by label, in small batches: each batch holds one class for longer
        ("sorted-batch-8", {"shuffle": False, "sort_by_label": True, "batch_size": 8}, None, ()),
    ],
    "label_noise": [
        ("noise-30", {"label_noise": 0.3}, None, ()),
        ("noise-60", {"label_noise": 0.6}, None, ()),
    ],
    "gradient_clipping_masks_lr": [
        ("momentum-lr0.5-clip0.05", {"optimizer": "momentum", "momentum": 0.9, "lr": 0.5,
                                     "grad_clip": 0.05}, None, ("lr_too_high",)),
        ("sgd-lr5-clip0.5", {"optimizer": "sgd", "momentum": 0.0, "lr": 5.0, "grad_clip": 0.5},
         None, ("lr_too_high",)),
    ],
    "insufficient_training": [
        ("stopped-at-one-fifth", {"epochs_frac": 0.2}, None, ()),
        ("killed-at-one-third", {"stop_after_frac": 1 / 3}, None, ()),
    ],
    "softmax_overflow_nan": [
        ("naive-softmax-rmsprop0.01", {"loss": "naive_softmax", "optimizer": "rmsprop",
                                       "lr": 0.01}, None, ()),
    ],
    "train_val_mismatch": [
        ("permuted-features", {"val_shift": "permute"}, None, ()),
    ],
}  # fmt: skip


FAMILIES = (
    "iris_mlp", "digits_mlp", "wine_mlp", "synthcls_mlp", "friedman_mlp", "diabetes_mlp",
    "blobs8_relu_mlp", "spirals_silu_mlp", "letters7_sigmoid_mlp", "prices_mlp",
    "churn_elu_mlp", "digits16_mnistnet", "trends_lstm", "glyphs40_mlp",
)  # fmt: skip
_CLASSIFIER_ONLY = {"label_noise", "softmax_overflow_nan"}
_REGRESSION_VARIANTS = {"tanh-output"}
_CLASSIFIER_VARIANTS = {"softmax-before-ce", "relu-before-ce"}


def _spec(
    base: dict[str, Any], over: dict[str, Any], small_n_train: int | None = None
) -> dict[str, Any] | None:
    """The base recipe with a fault recipe's overrides: fractions and multiples of the base's
    epochs resolved, ``n_train: "small"`` as the family's own small training set (None: the
    family has none, so the recipe does not apply)."""
    from benchmarks.zoo.scenarios import merge

    over = dict(over)
    epochs = int(base["epochs"])
    if over.get("n_train") == "small":
        if small_n_train is None:
            return None
        over["n_train"] = small_n_train
    if "epochs_mult" in over:
        over["epochs"] = epochs * int(over.pop("epochs_mult"))
    if "epochs_frac" in over:
        over["epochs"] = max(2, round(epochs * over.pop("epochs_frac")))
    if "stop_after_frac" in over:
        over["stop_after"] = max(2, round(epochs * over.pop("stop_after_frac")))
    return merge(base, over)


def _applies(fam: Any, cause: str, variant: str, models: frozenset[str] | None) -> bool:
    clf = fam.task == "classification"
    model = fam.base.get("model", "mlp")
    if cause in fam.skip or (models is not None and model not in models):
        return False
    if cause in _CLASSIFIER_ONLY and not clf:
        return False
    if variant in _REGRESSION_VARIANTS and clf:
        return False
    if variant in _CLASSIFIER_VARIANTS and (not clf or fam.base.get("loss")):
        return False  # plain cross-entropy heads only (a BCE head has one logit)
    if cause == "dead_relu" and not fam.relu:
        return False
    return fam.deep_ok or cause not in ("too_deep", "vanishing_gradients", "too_few_hidden_units")


def recipes_for(
    family: str, seed: int, causes: AbstractSet[str] | None = None
) -> list[tuple[str, str, dict[str, Any], tuple[str, ...]]]:
    """(cause, variant, spec, accepted) for every recipe that applies to ``family``, less any
    that resolves to a spec the zoo itself injects for that cause (a tenth-of-ten-epochs stop is
    the zoo's own two-epoch run): the probe measures other injections only. ``causes``
    limits the recipes to those causes."""
    from benchmarks.zoo.scenarios import FAMILIES as ZOO
    from benchmarks.zoo.scenarios import injections, merge

    fam = ZOO[family]
    base = {**fam.base, "seed": seed}
    zoo = {
        c: [merge(base, over) for _, _, over, _, _ in found] for c, found in injections(fam).items()
    }
    out = []
    for cause, recipes in RECIPES.items():
        if causes is not None and cause not in causes:
            continue
        for variant, over, models, accepts in recipes:
            spec = _spec(base, over, fam.small_n_train)
            if spec is None or not _applies(fam, cause, variant, models):
                continue
            if spec not in zoo.get(cause, []):
                out.append((cause, variant, spec, accepts))
    return out


def _probe(job: tuple[str, int, frozenset[str] | None]) -> list[dict[str, Any]]:
    """Train one family's twin (kept as a healthy run) and every recipe that applies; return
    each run's verdict, with the verified runs' histories."""
    from benchmarks.zoo import train, verify
    from benchmarks.zoo.scenarios import FAMILIES as ZOO

    family, seed, causes = job
    base = {**ZOO[family].base, "seed": seed}
    twin = train.train(base)
    out = [_kept(family, "healthy", "base", seed, twin, "twin", [])]
    for cause, variant, spec, accepts in recipes_for(family, seed, causes):
        try:
            h = train.train(spec)
        except (RuntimeError, ValueError) as exc:  # a recipe the architecture cannot take
            out.append({"family": family, "cause": cause, "variant": variant, "seed": seed,
                        "ok": False, "metric": f"error={type(exc).__name__}"})  # fmt: skip
            continue
        v = verify.verify(cause, h, twin)
        row = {"family": family, "cause": cause, "variant": variant, "seed": seed,
               "ok": v.ok, "metric": v.metric,
               "accepted": sorted((set(accepts) | set(v.also_accept)) - {cause})}  # fmt: skip
        if v.ok:
            row = _kept(family, cause, variant, seed, h, v.metric, row["accepted"])
        out.append(row)
    return out


def _kept(
    family: str, cause: str, variant: str, seed: int, h: Any, metric: str, accepted: list[str]
) -> dict[str, Any]:
    """A verified run, its history pickled to a temporary file (histories are large)."""
    fd, path = tempfile.mkstemp(prefix="nn-doctor-fault-", suffix=".pkl")
    with open(fd, "wb") as fh:
        pickle.dump(h, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return {"family": family, "cause": cause, "variant": variant, "seed": seed, "ok": True,
            "metric": metric, "accepted": accepted, "history": path}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output folder (created; replaced if present)")
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--seeds", default="0")
    ap.add_argument("--causes", default="", help="only these causes' recipes (default: all)")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args(argv)
    causes = frozenset(a.causes.split(",")) if a.causes else None
    if causes and (unknown := causes - set(RECIPES)):
        ap.error(f"unknown cause(s): {', '.join(sorted(unknown))}")
    from benchmarks.zoo.generate import write_labels
    from benchmarks.zoo.writers import FORMATS, WRITERS
    from benchmarks.zoo.writers.common import CONFIG_MODES

    out = Path(a.out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    jobs = [(f, int(s), causes) for f in a.families.split(",") for s in a.seeds.split(",")]
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(a.jobs) as pool:
        for found in pool.map(_probe, jobs):
            rows.extend(found)
    labels = []
    kept = [r for r in rows if r["ok"]]
    for i, r in enumerate(sorted(kept, key=lambda r: (r["cause"], r["family"], r["variant"]))):
        with open(r["history"], "rb") as fh:
            h = pickle.load(fh)
        Path(r["history"]).unlink()
        fmt = FORMATS[i % len(FORMATS)]
        mode = CONFIG_MODES[(i + i // len(FORMATS)) % len(CONFIG_MODES)]
        run_id = f"{r['family'].replace('_', '-')}-{r['cause'].replace('_', '-')}-{r['variant']}-s{r['seed']}"
        for level in ("loss", "basic", "full"):
            path = WRITERS[fmt](h, out / level / run_id, level, mode, run_id)
            labels.append({"run_id": run_id, "level": level,
                           "path": path.relative_to(out).as_posix(), "format": fmt,
                           "config": mode, "primary": r["cause"],
                           "accepted": ";".join(r["accepted"]), "split": "recipes",
                           "scenario": f"{r['family']}/{r['cause']}/{r['variant']}",
                           "seed": r["seed"], "verified_metric": r["metric"]})  # fmt: skip
    write_labels(out / "labels.csv", labels)
    dropped = [r for r in rows if not r["ok"]]
    print(f"{len(kept)} runs kept, {len(dropped)} dropped (their recipe did not show the cause):")
    for r in sorted(dropped, key=lambda r: (r["cause"], r["variant"], r["family"])):
        print(f"  dropped {r['cause']:28s} {r['variant']:26s} {r['family']:22s} {r['metric']}")
    print(f"labels: {out / 'labels.csv'} ({len(labels)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
