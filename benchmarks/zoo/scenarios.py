"""The scenario catalogue: scenario families (dataset × architecture) × injected causes × seeds.

A *family* is one dataset with one architecture and a healthy base recipe (optimizer, lr, batch
size, epochs); its runs are the base itself (the healthy twin), healthy variants (schedules,
small batches, early stopping …) and one injected cause per faulty run. The split is by family:
holdout families are never used to calibrate, so the holdout numbers measure generalization to
data and architectures the rules were not tuned on. The holdout has since been read while tuning
rules, so a third split, "fresh", holds families nobody tunes on: other architectures (residual
MLP with LayerNorm, 1-D CNN, GRU, transformer encoder), data, optimizers, schedules and log
naming habits. Look at its aggregate numbers only, never at its individual runs. A fourth split,
"study", is built the same way from five more families (GELU MLP, BatchNorm MLP with a binary
logit, LSTM forecaster, LeakyReLU MLP, 2-D CNN with BatchNorm; new data, optimizers, schedules
and log naming habits) and is open for study: engineers may read its individual runs to learn
why rules fail on families they were not tuned on.

Injections are chosen to really produce the failure on *this* family (verify.py checks that
they did); several causes have two or more injections so that no cause is learned from a single
recipe.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Family:
    """One dataset × architecture with its healthy base recipe."""

    name: str
    split: str  # "calib" | "holdout" | "fresh" | "study"
    base: dict[str, Any]
    task: str
    n_classes: int = 0
    raw_inputs: bool = False  # raw features are badly scaled (a real no_normalization case)
    raw_targets: bool = False  # raw regression targets are far from unit scale
    relu: bool = True  # hidden ReLUs (dead_relu applies)
    deep_ok: bool = True  # an MLP whose depth a scenario may change
    small_n_train: int | None = None  # training-set size for the overfitting scenario
    skip: frozenset[str] = frozenset()
    # Causes that few families produce get extra seeds on the families that do produce them.
    boost: frozenset[str] = frozenset()
    # Healthy variants per seed besides the base run (fresh/study: enough for ≥ 1/4 healthy).
    healthy_per_seed: int = 4


@dataclass(frozen=True)
class Scenario:
    """One training run to make: a family, a cause (or healthy) and a variant, with a seed."""

    family: str
    cause: str  # a catalog id or "healthy"
    variant: str
    seed: int
    spec: dict[str, Any] = field(hash=False, compare=False)
    twin_spec: dict[str, Any] = field(hash=False, compare=False)
    split: str = "calib"
    accepts: tuple[str, ...] = ()  # causes this injection makes an equally right answer

    @property
    def name(self) -> str:
        return f"{self.family}/{self.cause}/{self.variant}"

    @property
    def run_id(self) -> str:
        raw = f"{self.family}-{self.cause}-{self.variant}-s{self.seed}".replace("_", "-")
        return re.sub(r"[^A-Za-z0-9.-]+", "-", raw)


def spec_key(spec: dict[str, Any]) -> str:
    """A stable key for a spec, so twins shared by several scenarios are trained once."""
    blob = json.dumps(spec, sort_keys=True, default=str)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Overlay a scenario's settings on a base recipe; ``arch`` merges key by key."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if k == "arch":
            out["arch"] = {**out.get("arch", {}), **v}
        else:
            out[k] = copy.deepcopy(v)
    return out


F = Family
B = frozenset
FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        F("iris_mlp", "calib", task="classification", n_classes=3, small_n_train=50,
          base={"dataset": "iris", "arch": {"hidden": [16, 16], "act": "relu"},
                "optimizer": "adam", "lr": 3e-3, "batch_size": 16, "epochs": 40, "log_every": 2},
          skip=B({"too_few_hidden_units", "oversized_batch"}),
          boost=B({"overfitting", "insufficient_training"})),
        F("cancer_mlp", "holdout", task="classification", n_classes=2, raw_inputs=True,
          small_n_train=60,
          base={"dataset": "breast_cancer", "arch": {"hidden": [32, 32], "act": "relu",
                "names": "layers"}, "optimizer": "adam", "lr": 1e-3, "batch_size": 32,
                "epochs": 30, "log_every": 2},
          skip=B({"too_few_hidden_units"}),
          boost=B({"softmax_overflow_nan", "overfitting", "insufficient_training"})),
        F("digits_mlp", "calib", task="classification", n_classes=10, raw_inputs=True,
          small_n_train=120,
          base={"dataset": "digits", "arch": {"hidden": [128, 64], "act": "relu"},
                "optimizer": "momentum", "lr": 0.02, "momentum": 0.9, "batch_size": 32,
                "epochs": 20, "log_every": 5},
          boost=B({"softmax_overflow_nan", "too_few_hidden_units"})),
        # Adam on a CNN copes with 0–255 pixels here, so raw inputs are no failure for this family.
        F("digits_cnn", "calib", task="classification", n_classes=10,
          deep_ok=False, small_n_train=100,
          base={"dataset": "digits", "model": "cnn", "arch": {"act": "relu"},
                "optimizer": "adam", "lr": 1e-3, "batch_size": 32, "epochs": 15,
                "log_every": 5},
          skip=B({"too_deep", "vanishing_gradients"}),
          boost=B({"softmax_overflow_nan", "overfitting", "insufficient_training",
                   "too_few_hidden_units"})),
        F("synthcls_mlp", "calib", task="classification", n_classes=6, raw_inputs=True,
          small_n_train=100,
          base={"dataset": "synth_cls", "arch": {"hidden": [64, 64], "act": "relu",
                "names": "layers"}, "optimizer": "sgd", "lr": 0.05, "batch_size": 32,
                "epochs": 25, "log_every": 4},
          boost=B({"overfitting", "insufficient_training", "too_few_hidden_units"})),
        F("diabetes_mlp", "calib", task="regression", raw_inputs=True, raw_targets=True,
          small_n_train=120,
          base={"dataset": "diabetes", "arch": {"hidden": [32], "act": "relu"},
                "optimizer": "adam", "lr": 1e-3, "weight_decay": 1e-4, "batch_size": 32,
                "epochs": 40, "log_every": 2},
          skip=B({"too_few_hidden_units"})),
        # make_regression is linear: one hidden unit suffices and a big net barely overfits it.
        F("synthreg_mlp", "calib", task="regression", raw_targets=True,
          base={"dataset": "synth_reg", "arch": {"hidden": [64, 64], "act": "relu"},
                "optimizer": "momentum", "lr": 0.01, "momentum": 0.9, "batch_size": 32,
                "epochs": 25, "log_every": 4},
          skip=B({"too_few_hidden_units"})),
        F("seqsum_rnn", "calib", task="regression", raw_targets=True, relu=False,
          deep_ok=False,
          base={"dataset": "seq_sum", "model": "rnn", "arch": {"hidden_size": 32, "act": "tanh"},
                "optimizer": "adam", "lr": 3e-3, "batch_size": 32, "epochs": 20,
                "log_every": 4},
          skip=B({"too_deep", "vanishing_gradients", "dead_relu", "bad_init",
                  "overfitting", "too_few_hidden_units"})),
        # ---- holdout families: never used for calibration -----------------------------------
        F("wine_mlp", "holdout", task="classification", n_classes=3, raw_inputs=True,
          small_n_train=None,
          base={"dataset": "wine", "arch": {"hidden": [32, 32], "act": "relu", "names": "layers"},
                "optimizer": "adamw", "lr": 2e-3, "weight_decay": 1e-2, "batch_size": 16,
                "epochs": 40, "log_every": 2},
          skip=B({"overfitting", "too_few_hidden_units"}),
          boost=B({"insufficient_training"})),
        F("moons_mlp", "holdout", task="classification", n_classes=2, small_n_train=None,
          relu=False,
          base={"dataset": "moons", "arch": {"hidden": [32, 32, 32], "act": "tanh"},
                "optimizer": "adam", "lr": 3e-3, "batch_size": 32, "epochs": 35,
                "log_every": 3},
          skip=B({"overfitting", "no_normalization"}),
          boost=B({"too_few_hidden_units"})),
        F("digits_rnn", "holdout", task="classification", n_classes=10, raw_inputs=True,
          deep_ok=False, relu=False, small_n_train=100,
          base={"dataset": "digits", "model": "rnn",
                "arch": {"hidden_size": 64, "act": "tanh", "seq_len": 8},
                "optimizer": "adam", "lr": 3e-3, "batch_size": 32, "epochs": 12,
                "log_every": 5},
          skip=B({"too_deep", "vanishing_gradients", "dead_relu"}),
          boost=B({"overfitting", "insufficient_training", "too_few_hidden_units"})),
        F("friedman_mlp", "holdout", task="regression", raw_targets=True,
          base={"dataset": "friedman", "arch": {"hidden": [64, 64], "act": "relu",
                "names": "layers"}, "optimizer": "adamw", "lr": 3e-3, "weight_decay": 1e-2,
                "batch_size": 32, "epochs": 25, "log_every": 4},
          skip=B({"overfitting"}),
          boost=B({"too_few_hidden_units"})),
        # ---- fresh families: nobody tunes rules on these (aggregate numbers only) ----------
        # A naive softmax never overflowed on them in trials (LayerNorm, tanh or mean pooling
        # before the head keeps the logits bounded; none of the fits gets over-confident enough),
        # so softmax_overflow_nan is skipped rather than faked.
        # Residual MLP (pre-norm LayerNorm blocks) on 12 classes in physical units; Nesterov
        # SGD with warm-up + cosine. Residuals and norms: too_deep/vanishing do not apply.
        F("blobs_resmlp", "fresh", task="classification", n_classes=12, raw_inputs=True,
          deep_ok=False, small_n_train=80, healthy_per_seed=7, skip=B({"softmax_overflow_nan"}),
          base={"dataset": "blobs12", "model": "resmlp",
                "arch": {"hidden": [48, 48, 48], "act": "relu", "dropout": 0.1},
                "optimizer": "nesterov", "momentum": 0.9, "lr": 0.05, "weight_decay": 5e-4,
                "batch_size": 64, "epochs": 12, "log_every": 5,
                "schedule": {"kind": "warmup_cosine", "warmup": 0.05}, "log_names": "fresh"}),
        # 1-D CNN on raw sensor traces (ADC counts); RMSprop with step decay.
        F("waves_cnn1d", "fresh", task="classification", n_classes=5, raw_inputs=True,
          deep_ok=False, small_n_train=80, healthy_per_seed=7, skip=B({"softmax_overflow_nan"}),
          base={"dataset": "waveforms", "model": "cnn1d",
                "arch": {"channels": [16, 32], "act": "relu"},
                "optimizer": "rmsprop", "lr": 1e-3, "batch_size": 32, "epochs": 15,
                "log_every": 5,
                "schedule": {"kind": "step", "milestones": (0.6, 0.85), "gamma": 0.2},
                "log_names": "fresh"}),
        # GRU over a sequence whose class needs memory of its first half; RMSprop, batch 64.
        F("halves_gru", "fresh", task="classification", n_classes=4, relu=False,
          deep_ok=False, small_n_train=80, healthy_per_seed=7, skip=B({"softmax_overflow_nan"}),
          base={"dataset": "seq_halves", "model": "gru", "arch": {"hidden_size": 24},
                "optimizer": "rmsprop", "lr": 3e-3, "batch_size": 64, "epochs": 15,
                "log_every": 5, "log_names": "fresh"}),
        # One-layer transformer encoder on one-hot token sequences; AdamW, warm-up + cosine.
        F("tokens_transformer", "fresh", task="classification", n_classes=6, relu=False,
          deep_ok=False, small_n_train=40, healthy_per_seed=7, skip=B({"softmax_overflow_nan"}),
          base={"dataset": "tokens_major", "model": "transformer",
                "arch": {"d_model": 24, "nhead": 4, "ff": 48, "act": "relu"},
                "optimizer": "adamw", "lr": 2e-3, "weight_decay": 1e-2, "batch_size": 64,
                "epochs": 10, "log_every": 5,
                "schedule": {"kind": "warmup_cosine", "warmup": 0.1}, "log_names": "fresh"}),
        # Tapered regression MLP on Friedman #2 (inputs in circuit units); Adagrad, batch 48.
        F("friedman2_mlp", "fresh", task="regression", raw_inputs=True, raw_targets=True,
          small_n_train=80, healthy_per_seed=7,
          base={"dataset": "friedman2", "arch": {"hidden": [96, 48, 24], "act": "relu"},
                "optimizer": "adagrad", "lr": 5e-3, "batch_size": 48, "epochs": 30,
                "log_every": 5, "log_names": "fresh"}),
        # ---- study families: open for study (individual runs may be read) ----------------------
        # Wide shallow GELU MLP on 6-D Gaussian quantile shells (features in physical units);
        # Adam with linear decay to 0, batch 128. GELU has no exact zeros: dead_relu does not
        # apply.
        F("quantiles_gelu_mlp", "study", task="classification", n_classes=4, raw_inputs=True,
          relu=False, small_n_train=80, healthy_per_seed=7,
          base={"dataset": "gauss_quantiles", "arch": {"hidden": [256], "act": "gelu"},
                "optimizer": "adam", "lr": 2e-3, "batch_size": 128, "epochs": 40,
                "log_every": 5, "schedule": {"kind": "linear"}, "log_names": "study"}),
        # Linear-BatchNorm-ReLU MLP on Hastie 10.2 (binary: one logit, BCEWithLogitsLoss); SGD
        # with momentum and ExponentialLR. Inputs are standard normal already: no_normalization
        # does not apply. A hand-written BCE overflows here (boosted: few families produce it).
        F("hastie_bn_mlp", "study", task="classification", n_classes=2, small_n_train=80,
          healthy_per_seed=7, boost=B({"softmax_overflow_nan"}),
          base={"dataset": "hastie", "arch": {"hidden": [64, 64], "act": "relu", "norm": "batch"},
                "loss": "bce_with_logits", "optimizer": "momentum", "momentum": 0.9, "lr": 0.05,
                "batch_size": 40, "epochs": 25, "log_every": 8,
                "schedule": {"kind": "exp", "gamma": 0.9}, "log_names": "study"}),
        # LSTM forecasting the next value of a load curve in megawatts; Adam with the gradient
        # clipped at 1.0, as RNN practitioners do. Gated cells of fixed depth: vanishing_gradients,
        # too_deep and dead_relu do not apply.
        F("sine_lstm", "study", task="regression", raw_inputs=True, raw_targets=True, relu=False,
          deep_ok=False, small_n_train=80, healthy_per_seed=7,
          base={"dataset": "sine_mix", "model": "lstm", "arch": {"hidden_size": 32},
                "optimizer": "adam", "lr": 3e-3, "grad_clip": 1.0, "batch_size": 64,
                "epochs": 30, "log_every": 5, "log_names": "study"}),
        # LeakyReLU MLP on Friedman #3 (inputs in circuit units, target an angle in radians, near
        # unit scale already: no raw-target case); NAdam, batch 24. Leaky units do not die.
        F("friedman3_leaky", "study", task="regression", raw_inputs=True, relu=False,
          small_n_train=80, healthy_per_seed=7,
          base={"dataset": "friedman3", "arch": {"hidden": [64, 64, 64], "act": "leaky_relu"},
                "optimizer": "nadam", "lr": 2e-3, "batch_size": 24, "epochs": 30,
                "log_every": 10, "log_names": "study"}),
        # 2-D CNN (conv-BatchNorm-ReLU-maxpool ×2) on 12×12 synthetic shape images in 0-255
        # pixels; AdamW with ReduceLROnPlateau on the validation loss. The one study family whose
        # ReLUs die (BatchNorm re-centres the MLP's): dead_relu boosted.
        F("shapes_cnn2d_bn", "study", task="classification", n_classes=5, raw_inputs=True,
          deep_ok=False, small_n_train=100, healthy_per_seed=7, boost=B({"dead_relu"}),
          base={"dataset": "shapes12", "model": "cnn2d_bn",
                "arch": {"channels": [16, 32], "fc": 64, "act": "relu"},
                "optimizer": "adamw", "lr": 1e-3, "weight_decay": 5e-2, "batch_size": 64,
                "epochs": 15, "log_every": 5,
                "schedule": {"kind": "plateau", "patience": 2, "factor": 0.5},
                "log_names": "study"}),
        # ---- study families, second group (round ten): the recipes practitioners use now
        # (warm-up + cosine, step decay, Nesterov/RMSprop, light dropout), other data shapes.
        # Wide SiLU MLP on three spiral arms in millimetres; Adam with warm-up + cosine.
        F("spirals_silu_mlp", "study", task="classification", n_classes=3, raw_inputs=True,
          relu=False, small_n_train=60, healthy_per_seed=7,
          base={"dataset": "spirals3", "arch": {"hidden": [128, 128], "act": "silu"},
                "optimizer": "adam", "lr": 3e-3, "batch_size": 32, "epochs": 40,
                "log_every": 5, "schedule": {"kind": "warmup_cosine", "warmup": 0.05},
                "log_names": "study"}),
        # ReLU MLP with light dropout on 8 blobs in physical units; Nesterov SGD, step decay.
        F("blobs8_relu_mlp", "study", task="classification", n_classes=8, raw_inputs=True,
          small_n_train=80, healthy_per_seed=7,
          base={"dataset": "blobs8", "arch": {"hidden": [96, 96], "act": "relu", "dropout": 0.1},
                "optimizer": "nesterov", "momentum": 0.9, "lr": 0.02, "batch_size": 32,
                "epochs": 20, "log_every": 5,
                "schedule": {"kind": "step", "milestones": (0.5, 0.8), "gamma": 0.1},
                "log_names": "study"}),
        # LSTM classifying the trend of a temperature series (degrees C); AdamW, cosine.
        F("trends_lstm", "study", task="classification", n_classes=4, raw_inputs=True,
          relu=False, deep_ok=False, small_n_train=60, healthy_per_seed=7,
          base={"dataset": "trends", "model": "lstm", "arch": {"hidden_size": 32},
                "optimizer": "adamw", "lr": 3e-3, "weight_decay": 1e-2, "batch_size": 32,
                "epochs": 20, "log_every": 5,
                "schedule": {"kind": "warmup_cosine", "warmup": 0.05}, "log_names": "study"}),
        # Tapered ReLU MLP on house prices (features in their units, price in dollars); RMSprop.
        F("prices_mlp", "study", task="regression", raw_inputs=True, raw_targets=True,
          small_n_train=80, healthy_per_seed=7,
          base={"dataset": "prices", "arch": {"hidden": [128, 64], "act": "relu"},
                "optimizer": "rmsprop", "lr": 1e-3, "batch_size": 64, "epochs": 30,
                "log_every": 5, "log_names": "study"}),
        # ---- study families, third group (round eleven): the scripts people copy, and the
        # optimizers and schedules they bring (Adadelta, OneCycle, plateau decay by 10x).
        # PyTorch's MNIST example, small: two ReLU convs and max-pooling, dropout before the
        # head, Adadelta at its default 1.0, ExponentialLR 0.7; 0-255 pixels when unscaled.
        F("digits16_mnistnet", "study", task="classification", n_classes=10, raw_inputs=True,
          deep_ok=False, small_n_train=100, healthy_per_seed=7,
          base={"dataset": "digits16", "model": "cnn2d_bn",
                "arch": {"channels": [16, 32], "fc": 64, "act": "relu", "norm": False,
                         "side": 16, "dropout": 0.25},
                "optimizer": "adadelta", "lr": 1.0, "batch_size": 64, "epochs": 10,
                "log_every": 5, "schedule": {"kind": "exp", "gamma": 0.7},
                "log_names": "study"}),
        # torchtext's text-classification tutorial, small: EmbeddingBag (mean) and a linear
        # head; SGD at 5 with the gradient clipped at 0.1 and the rate cut 10x when the
        # validation loss stalls. No hidden units to die; token ids are not normalized.
        F("topics_embbag", "study", task="classification", n_classes=4, relu=False,
          deep_ok=False, small_n_train=60, healthy_per_seed=7,
          base={"dataset": "topics", "model": "embbag", "arch": {"vocab": 300, "embed_dim": 32},
                "optimizer": "sgd", "lr": 5.0, "grad_clip": 0.1, "batch_size": 64,
                "epochs": 10, "log_every": 5,
                "schedule": {"kind": "plateau", "patience": 0, "factor": 0.1},
                "log_names": "study"}),
        # The textbook MLP: sigmoid hidden units, SGD with momentum at a constant 0.1, on seven
        # overlapping classes of stroke features in their units.
        F("letters7_sigmoid_mlp", "study", task="classification", n_classes=7, raw_inputs=True,
          relu=False, small_n_train=80, healthy_per_seed=7,
          base={"dataset": "letters7", "arch": {"hidden": [64, 64], "act": "sigmoid"},
                "optimizer": "momentum", "momentum": 0.9, "lr": 0.1, "batch_size": 32,
                "epochs": 30, "log_every": 5, "log_names": "study"}),
        # A dense autoencoder (32 -> 64 -> 8 -> 64 -> 32) on signal windows in millivolts; Adam
        # on torch's OneCycleLR, MSE on the reconstruction.
        F("signals_autoencoder", "study", task="regression", raw_inputs=True, raw_targets=True,
          small_n_train=80, healthy_per_seed=7,
          base={"dataset": "signals32", "arch": {"hidden": [64, 8, 64], "act": "relu"},
                "optimizer": "adam", "lr": 3e-3, "weight_decay": 1e-5, "batch_size": 64,
                "epochs": 30, "log_every": 5, "schedule": {"kind": "onecycle"},
                "log_names": "study"}),
        # ---- study families, fourth group (round twelve): what today's papers and tutorials
        # train: a ResNet on colour images, forty classes, an imbalanced binary target, a Huber
        # regression.
        # CIFAR's recipe, small: a ResNet (stem + two basic blocks, BatchNorm, global pooling) on
        # 12x12 colour textures in 0-255; SGD with Nesterov momentum at 0.1, weight decay 5e-4,
        # cosine decay, batch 128.
        F("textures_resnet", "study", task="classification", n_classes=10, raw_inputs=True,
          deep_ok=False, small_n_train=100, healthy_per_seed=7,
          base={"dataset": "textures10", "model": "resnet", "arch": {"channels": [16, 32]},
                "optimizer": "nesterov", "momentum": 0.9, "lr": 0.1, "weight_decay": 5e-4,
                "batch_size": 128, "epochs": 12, "log_every": 3,
                "schedule": {"kind": "warmup_cosine", "warmup": 0.0, "floor": 0.0},
                "log_names": "study"}),
        # Forty classes from standardized features: a ReLU MLP with BatchNorm and dropout 0.2,
        # AdamW, cross-entropy with label smoothing 0.1; chance is ln 40 = 3.7.
        F("glyphs40_mlp", "study", task="classification", n_classes=40, small_n_train=200,
          healthy_per_seed=7,
          base={"dataset": "glyphs40",
                "arch": {"hidden": [256, 256], "act": "relu", "norm": "batch", "dropout": 0.2},
                "loss": "ce_label_smoothing", "optimizer": "adamw", "lr": 1e-3,
                "weight_decay": 1e-2, "batch_size": 64, "epochs": 30, "log_every": 5,
                "log_names": "study"}),
        # Churn: an imbalanced binary target (12 % positive) from features in their units; an
        # ELU MLP, two logits and cross-entropy, Adam at Keras' 1e-3, batch 256. A net that
        # learns nothing sits at the prior's entropy (0.37), not at ln 2.
        F("churn_elu_mlp", "study", task="classification", n_classes=2, raw_inputs=True,
          relu=False, small_n_train=120, healthy_per_seed=7,
          base={"dataset": "churn", "arch": {"hidden": [32, 16], "act": "elu"},
                "optimizer": "adam", "lr": 1e-3, "batch_size": 256, "epochs": 40,
                "log_every": 2, "log_names": "study"}),
        # A building's energy use in kWh: a tanh MLP under the Huber loss (linear beyond one
        # unit of error), SGD with momentum and step decay.
        F("meters_huber_tanh", "study", task="regression", raw_inputs=True, raw_targets=True,
          relu=False, small_n_train=80, healthy_per_seed=7,
          base={"dataset": "meters", "arch": {"hidden": [64, 64], "act": "tanh"},
                "loss": "huber", "optimizer": "momentum", "momentum": 0.9, "lr": 0.01,
                "batch_size": 32, "epochs": 30, "log_every": 5,
                "schedule": {"kind": "step", "milestones": (0.6, 0.85), "gamma": 0.1},
                "log_names": "study"}),
        # ---- study families, fifth group (round thirteen): a language model and a fine-tune.
        # nanoGPT's shakespeare_char, small: a two-block pre-norm causal transformer on
        # character ids (GELU, dropout 0.1) predicting the next of 29 characters; AdamW with
        # weight decay 0.1, warm-up + cosine to a tenth, the gradient clipped at 1.0.
        F("chars_gpt", "study", task="classification", n_classes=29, relu=False,
          deep_ok=False, small_n_train=200, healthy_per_seed=7,
          base={"dataset": "chars29", "model": "gpt",
                "arch": {"d_model": 32, "nhead": 4, "num_layers": 2, "dropout": 0.1},
                "optimizer": "adamw", "lr": 2e-3, "weight_decay": 0.1, "grad_clip": 1.0,
                "batch_size": 64, "epochs": 12, "log_every": 10,
                "schedule": {"kind": "warmup_cosine", "warmup": 0.05, "floor": 0.1},
                "log_names": "study"}),
        # A fine-tune: a GELU MLP pretrained on twenty classes, a new head for five of them,
        # AdamW 5e-4 with a linear warm-up and decay over five epochs (the Trainer's shape).
        # The checkpoint's weights replace any init, so init faults do not apply.
        F("scenes_finetune", "study", task="classification", n_classes=5, relu=False,
          deep_ok=False, small_n_train=60, healthy_per_seed=7,
          skip=B({"bad_init", "exploding_gradients"}),
          base={"dataset": "scenes5_ft", "arch": {"hidden": [128, 128], "act": "gelu",
                "dropout": 0.1}, "pretrain": {"dataset": "scenes20_src", "epochs": 8},
                "optimizer": "adamw", "lr": 5e-4, "weight_decay": 0.01, "batch_size": 32,
                "epochs": 5, "log_every": 5, "schedule": {"kind": "linear", "warmup": 0.1},
                "log_names": "study"}),
    ]
}  # fmt: skip

#: The fresh split: generated only by name, ``--families`` with these (scored, never tuned on).
FRESH_FAMILIES = tuple(name for name, fam in FAMILIES.items() if fam.split == "fresh")
#: The study split: generated only by name, ``--families study`` (open for reading run by run).
STUDY_FAMILIES = tuple(name for name, fam in FAMILIES.items() if fam.split == "study")
#: Splits made only when their families are named (never part of the default corpus).
BY_NAME_SPLITS = ("fresh", "study")

#: Extra seeds for a family's ``boost`` causes.
BOOST_SEEDS = (2, 3)


#: (cause, variant, overrides, twin overrides, causes the variant itself makes acceptable)
Injection = tuple[str, str, dict[str, Any], dict[str, Any], tuple[str, ...]]


def injections(fam: Family) -> dict[str, list[Injection]]:
    """Injections per cause that apply to ``fam``; a run's seed picks one (see :func:`scenarios`).

    Recipes were chosen by trying them on the calibration families: an injection that does not
    produce its failure on most seeds is not worth its training time (verify.py drops it anyway).
    """
    b = fam.base
    lr, model = b["lr"], b.get("model", "mlp")
    clf = fam.task == "classification"
    epochs = int(b["epochs"])
    # Recipes only the fresh and study families get (older families unchanged).
    fresh = fam.split in BY_NAME_SPLITS
    study = fam.split == "study"  # recipes for the study families' architectures
    # A "plain" deep stack drops the base's normalization layers (BatchNorm would rescue it).
    plain: dict[str, Any] = {"norm": None} if study and b["arch"].get("norm") else {}
    binary = b.get("loss") in ("bce_with_logits", "naive_bce")  # one logit, BCE
    out: dict[str, list[Injection]] = {}

    def add(
        cause: str,
        variant: str,
        over: dict[str, Any],
        twin: dict[str, Any] | None = None,
        accepts: tuple[str, ...] = (),
    ) -> None:
        if cause not in fam.skip:
            out.setdefault(cause, []).append((cause, variant, over, twin or {}, accepts))

    # no_normalization: raw features (wildly different units, or 0–255 pixels) / raw targets.
    if fam.raw_inputs:
        add("no_normalization", "raw-inputs", {"raw_inputs": True})
    if fam.raw_targets and not clf:
        add("no_normalization", "raw-targets", {"raw_targets": True})
    # lr_too_high: 20–100× a sensible rate for the optimizer.
    add("lr_too_high", "sgd-lr3", {"optimizer": "sgd", "momentum": 0.0, "lr": 3.0})
    add("lr_too_high", "momentum-lr1", {"optimizer": "momentum", "momentum": 0.9, "lr": 1.0})
    add("lr_too_high", "adam-lr1", {"optimizer": "adam", "lr": 1.0})
    # lr_too_low: 1e-5 for Adam, 3e-4 for plain SGD (100–1000× too small).
    add("lr_too_low", "adam-1e-5", {"optimizer": "adam", "lr": 1e-5})
    add("lr_too_low", "sgd-3e-4", {"optimizer": "sgd", "momentum": 0.0, "lr": 3e-4})
    # dead_relu: negative bias init, or a high Adam rate that knocks units dead.
    biased = model != "resnet"  # a ResNet's convs have no bias (BatchNorm follows them)
    if fam.relu and biased:
        add("dead_relu", "neg-bias", {"arch": {"bias_init": -4.0}}, accepts=("bad_init",))
    if fam.relu:
        add("dead_relu", "adam-lr0.1", {"optimizer": "adam", "lr": 0.1}, accepts=("lr_too_high",))
    if fam.relu and biased:
        add(
            "dead_relu",
            "adam-lr0.05-bias-1",
            {"optimizer": "adam", "lr": 0.05, "arch": {"bias_init": -1.0}},
            accepts=("lr_too_high",),
        )
    # exploding_gradients: deep net with a large init std; RNN with big recurrent weights.
    if model == "mlp":
        add(
            "exploding_gradients",
            "deep-init-std0.5",
            {
                "arch": {"hidden": [64] * 8, "act": "relu", "init": "normal:0.5", **plain},
                "epochs": min(epochs, 15),
            },
            accepts=("bad_init",),
        )
        add(
            "exploding_gradients",
            "deep-init-std0.3",
            {
                "arch": {"hidden": [48] * 12, "act": "relu", "init": "normal:0.3", **plain},
                "epochs": min(epochs, 15),
            },
            accepts=("bad_init",),
        )
    if model == "rnn":
        add(
            "exploding_gradients",
            "recurrent-scale4",
            {"arch": {"act": "relu", "recurrent_scale": 4.0}},
            accepts=("bad_init",),
        )
        add(
            "exploding_gradients",
            "recurrent-scale3",
            {"arch": {"act": "relu", "recurrent_scale": 3.0}},
            accepts=("bad_init",),
        )
    # Fresh architectures: a large init std without (or despite) normalization layers.
    if model == "resmlp":
        add(
            "exploding_gradients",
            "no-norm-8-blocks-init-std0.5",
            {"arch": {"hidden": [48] * 8, "norm": False, "init": "normal:0.5"}},
            accepts=("bad_init",),
        )
        add(
            "exploding_gradients",
            "no-norm-6-blocks-init-std1",
            {"arch": {"hidden": [48] * 6, "norm": False, "init": "normal:1.0"}},
            accepts=("bad_init",),
        )
    if model == "cnn1d":
        add(
            "exploding_gradients",
            "4-conv-init-std0.5",
            {"arch": {"channels": [32] * 4, "init": "normal:0.5"}},
            accepts=("bad_init",),
        )
        add(
            "exploding_gradients",
            "3-conv-init-std1",
            {"arch": {"channels": [16] * 3, "init": "normal:1.0"}},
            accepts=("bad_init",),
        )
    if model == "transformer":
        add(  # post-norm LayerNorms rescale the gradients away; pre-norm ones do not
            "exploding_gradients",
            "pre-norm-2-layer-init-std2",
            {"arch": {"num_layers": 2, "norm_first": True, "init": "normal:2.0"}},
            accepts=("bad_init",),
        )
    if model == "gpt":  # a large init, the base's clipping off (pre-norm keeps the residuals)
        add(
            "exploding_gradients",
            "init-std2-no-clip",
            {"arch": {"init": "normal:2.0"}, "grad_clip": None},
            accepts=("bad_init",),
        )
        add(
            "exploding_gradients",
            "no-final-norm-init-std1-no-clip",
            {"arch": {"init": "normal:1.0", "norm": False}, "grad_clip": None},
            accepts=("bad_init",),
        )
    if model == "lstm":  # a large init and the base's clipping switched off
        add(
            "exploding_gradients",
            "init-std1-no-clip",
            {"arch": {"init": "normal:1.0"}, "grad_clip": None},
            accepts=("bad_init",),
        )
        add(
            "exploding_gradients",
            "init-std2-no-clip",
            {"arch": {"init": "normal:2.0"}, "grad_clip": None},
            accepts=("bad_init",),
        )
    if model == "resnet":  # BatchNorm removed and a large init: the shortcuts add up
        add(
            "exploding_gradients",
            "no-bn-init-std0.5",
            {"arch": {"norm": False, "init": "normal:0.5"}},
            accepts=("bad_init",),
        )
        add(
            "exploding_gradients",
            "no-bn-2-blocks-init-std0.3",
            {"arch": {"norm": False, "blocks": 2, "init": "normal:0.3"}},
            accepts=("bad_init",),
        )
    if model == "cnn2d_bn":  # BatchNorm removed, more convs, a large init std
        add(
            "exploding_gradients",
            "no-bn-4-conv-init-std0.5",
            {"arch": {"channels": [32] * 4, "norm": False, "init": "normal:0.5"}},
            accepts=("bad_init",),
        )
        add(
            "exploding_gradients",
            "no-bn-3-conv-init-std1",
            {"arch": {"channels": [16] * 3, "norm": False, "init": "normal:1.0"}},
            accepts=("bad_init",),
        )
        # A plain (no BatchNorm) conv stack: sigmoid with SGD, or 16 ReLU convs.
        add(
            "vanishing_gradients",
            "no-bn-sigmoid-8-conv-momentum",
            {
                "arch": {"channels": [16] * 8, "norm": False, "act": "sigmoid"},
                "optimizer": "momentum",
                "momentum": 0.9,
                "lr": 0.05,
                "schedule": None,
            },
            accepts=("too_deep",),
        )
        add(
            "too_deep",
            "no-bn-plain-16-conv",
            {"arch": {"channels": [16] * 16, "norm": False}},
            accepts=("vanishing_gradients",),
        )
    # vanishing_gradients: deep sigmoid stacks trained with SGD (Adam would rescale them away).
    if model == "mlp" and fam.deep_ok:
        add(
            "vanishing_gradients",
            "sigmoid-8-momentum",
            {
                "arch": {"hidden": [64] * 8, "act": "sigmoid", **plain},
                "optimizer": "momentum",
                "momentum": 0.9,
                "lr": 0.05,
                "epochs": min(epochs, 20),
            },
        )
        add(
            "vanishing_gradients",
            "sigmoid-10-sgd",
            {
                "arch": {"hidden": [48] * 10, "act": "sigmoid", **plain},
                "optimizer": "sgd",
                "momentum": 0.0,
                "lr": 0.1,
                "epochs": min(epochs, 20),
            },
            accepts=("too_deep",),
        )
        # too_deep: 24–32 plain layers, no residuals, no normalization.
        add(
            "too_deep",
            "plain-relu-30",
            {"arch": {"hidden": [32] * 30, **plain}, "epochs": min(epochs, 15)},
            accepts=("vanishing_gradients",),
        )
        add(
            "too_deep",
            "plain-tanh-24",
            {"arch": {"hidden": [32] * 24, "act": "tanh", **plain}, "epochs": min(epochs, 15)},
            accepts=("vanishing_gradients",),
        )
    # oversized_batch: full batch, or half the training set per step.
    add("oversized_batch", "full-batch", {"batch_size": 100_000})
    add("oversized_batch", "half-set", {"batch_size": "half"})
    # wrong_output_activation: a squashing activation before softmax; ReLU/sigmoid regression head.
    if clf and binary:  # a sigmoid (or tanh) on the logit fed to BCEWithLogitsLoss
        add(
            "wrong_output_activation", "sigmoid-before-bce-logits", {"arch": {"out_act": "sigmoid"}}
        )
        add("wrong_output_activation", "tanh-before-bce-logits", {"arch": {"out_act": "tanh"}})
    elif clf:
        add("wrong_output_activation", "sigmoid-before-softmax", {"arch": {"out_act": "sigmoid"}})
        add("wrong_output_activation", "tanh-before-softmax", {"arch": {"out_act": "tanh"}})
    else:
        add("wrong_output_activation", "relu-output", {"arch": {"out_act": "relu"}})
        add("wrong_output_activation", "sigmoid-output", {"arch": {"out_act": "sigmoid"}})
    # bad_init: all-zero or constant weights (units stay identical).
    if model != "rnn":
        add("bad_init", "zeros", {"arch": {"init": "zeros"}})
        add("bad_init", "constant", {"arch": {"init": "constant:0.1"}})
    # too_few_hidden_units: 1–2 units where the task needs more.
    if model == "mlp" and fam.deep_ok:
        add(
            "too_few_hidden_units",
            "width-2" if clf else "width-1",
            {"arch": {"hidden": [2] if clf else [1]}},
        )
        add("too_few_hidden_units", "width-1-1", {"arch": {"hidden": [1, 1]}})
    # Fresh architectures: one or two units (channels, model width) where the task needs more.
    narrow: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
        "resmlp": ({"hidden": [2]}, {"hidden": [1, 1]}),
        "cnn1d": ({"channels": [2, 2], "fc": 2}, {"channels": [1], "fc": 1}),
        "gru": ({"hidden_size": 2}, {"hidden_size": 1}),
        "transformer": ({"d_model": 2, "nhead": 1, "ff": 2}, {"d_model": 1, "nhead": 1, "ff": 1}),
        "lstm": ({"hidden_size": 2}, {"hidden_size": 1}),
        "cnn2d_bn": ({"channels": [2, 2], "fc": 2}, {"channels": [1], "fc": 1}),
        "embbag": ({"embed_dim": 2}, {"embed_dim": 1}),
        "resnet": ({"channels": [2, 2]}, {"channels": [1, 1]}),
        "gpt": ({"d_model": 2, "nhead": 1, "ff": 2}, {"d_model": 1, "nhead": 1, "ff": 1}),
    }
    if model in narrow:
        add("too_few_hidden_units", "width-2", {"arch": narrow[model][0]})
        add("too_few_hidden_units", "width-1", {"arch": narrow[model][1]})
    # overfitting: a small training set, a big model, many epochs, no regularization.
    if fam.small_n_train and fresh:
        big = {
            "gru": {"hidden_size": 128},
            "cnn1d": {"channels": [64, 64], "fc": 256},
            "transformer": {"d_model": 64, "ff": 256},
            "lstm": {"hidden_size": 128},
            "cnn2d_bn": {"channels": [64, 64], "fc": 256},
            "embbag": {"embed_dim": 256},
            "resnet": {"channels": [64, 128]},
            "gpt": {"d_model": 64, "ff": 256},
        }.get(model, {"hidden": [256, 256]})
        for variant, n in (("small-set-big-model", fam.small_n_train), ("tiny-set-big-model", 40)):
            add(
                "overfitting",
                variant,
                {
                    "n_train": n,
                    "arch": {**big, "dropout": 0.0},
                    "epochs": 120,
                    "batch_size": 16,
                    "optimizer": "adam",
                    "lr": 1e-3,
                    "weight_decay": 0.0,
                    "schedule": None,
                },
            )
    elif fam.small_n_train:
        big = {"hidden": [256, 256], "fc": 256} if model != "rnn" else {"hidden_size": 128}
        add(
            "overfitting",
            "small-set-big-model",
            {
                "n_train": fam.small_n_train,
                "arch": {**big, "dropout": 0.0},
                "epochs": 150,
                "optimizer": "adam",
                "lr": 3e-3,
                "weight_decay": 0.0,
            },
        )
        add(
            "overfitting",
            "tiny-set-long",
            {
                "n_train": max(40, fam.small_n_train // 2),
                "arch": {**big, "dropout": 0.0},
                "epochs": 250,
                "batch_size": 16,
                "optimizer": "adam",
                "lr": 1e-3,
                "weight_decay": 0.0,
            },
        )
    # over_regularization: dropout 0.9, or weight decay far too strong.
    add("over_regularization", "dropout-0.9", {"arch": {"dropout": 0.9}})
    add(
        "over_regularization",
        "sgd-weight-decay-0.5",
        {"optimizer": "momentum", "momentum": 0.9, "lr": min(lr, 0.02), "weight_decay": 0.5},
    )
    add(
        "over_regularization",
        "adamw-weight-decay-5",
        {"optimizer": "adamw", "lr": 1e-3, "weight_decay": 5.0},
    )
    # unshuffled_data: the training set sorted by label (or target), never shuffled.
    add("unshuffled_data", "sorted", {"shuffle": False, "sort_by_label": True})
    # label_noise: 40–70% of training labels replaced by random classes (validation clean).
    if clf:
        add("label_noise", "noise-50", {"label_noise": 0.5})
        add("label_noise", "noise-70", {"label_noise": 0.7})
        add("label_noise", "noise-40", {"label_noise": 0.4})
    # gradient_clipping_masks_lr: clip 0.1–0.3 with a 50–1000× too-high lr.
    if fresh:  # fixed-length steps of 0.15 (plain SGD) first, then the calibration recipes
        add(
            "gradient_clipping_masks_lr",
            "sgd-lr3-clip0.05",
            {"optimizer": "sgd", "momentum": 0.0, "lr": 3.0, "grad_clip": 0.05, "schedule": None},
            accepts=("lr_too_high",),
        )
    add(
        "gradient_clipping_masks_lr",
        "sgd-lr10-clip0.3",
        {"optimizer": "sgd", "momentum": 0.0, "lr": 10.0, "grad_clip": 0.3},
        accepts=("lr_too_high",),
    )
    add(
        "gradient_clipping_masks_lr",
        "momentum-lr1-clip0.1",
        {"optimizer": "momentum", "momentum": 0.9, "lr": 1.0, "grad_clip": 0.1},
        accepts=("lr_too_high",),
    )
    add(
        "gradient_clipping_masks_lr",
        "sgd-lr20-clip0.1",
        {"optimizer": "sgd", "momentum": 0.0, "lr": 20.0, "grad_clip": 0.1},
        accepts=("lr_too_high",),
    )
    # insufficient_training: the healthy recipe stopped at 1/8–1/4 of its epochs.
    if fresh and not clf:  # a fast optimizer converges in a sixth: a low lr and a tenth
        add(
            "insufficient_training",
            "stopped-at-one-tenth-lr-div20",
            {"epochs": max(3, epochs // 10), "lr": lr / 20},
            {"lr": lr / 20},
        )
    if fresh:  # the job killed at 1/6 and 1/4 of a schedule planned for all the epochs
        add("insufficient_training", "killed-at-one-sixth", {"stop_after": max(2, epochs // 6)})
        add("insufficient_training", "killed-at-one-quarter", {"stop_after": max(2, epochs // 4)})
    add("insufficient_training", "stopped-at-one-sixth", {"epochs": max(2, epochs // 6)})
    add(
        "insufficient_training",
        "stopped-at-one-quarter-low-lr",
        {"epochs": max(2, epochs // 4), "lr": lr / 3},
        {"lr": lr / 3},
    )
    add("insufficient_training", "stopped-at-one-eighth", {"epochs": max(2, epochs // 8)})
    # softmax_overflow_nan: a hand-written softmax without max-subtraction, high-ish lr.
    if clf and binary:  # a hand-written sigmoid + log instead of BCEWithLogitsLoss
        add(
            "softmax_overflow_nan",
            "naive-bce-adam0.02",
            {"loss": "naive_bce", "optimizer": "adam", "lr": 0.02},
            {"optimizer": "adam", "lr": 0.02},
        )
        add(
            "softmax_overflow_nan",
            "naive-bce-momentum0.1",
            {"loss": "naive_bce", "optimizer": "momentum", "momentum": 0.9, "lr": 0.1},
            {"optimizer": "momentum", "momentum": 0.9, "lr": 0.1},
        )
    elif clf:
        add(
            "softmax_overflow_nan",
            "naive-softmax-adam0.02",
            {"loss": "naive_softmax", "optimizer": "adam", "lr": 0.02},
            {"optimizer": "adam", "lr": 0.02},
        )
        add(
            "softmax_overflow_nan",
            "naive-softmax-momentum0.1",
            {"loss": "naive_softmax", "optimizer": "momentum", "momentum": 0.9, "lr": 0.1},
            {"optimizer": "momentum", "momentum": 0.9, "lr": 0.1},
        )
    # train_val_mismatch: validation from a shifted or mirrored distribution.
    add("train_val_mismatch", "shifted", {"val_shift": "shift"})
    add("train_val_mismatch", "inverted", {"val_shift": "invert"})
    return out


def healthy_variants(fam: Family) -> list[tuple[str, dict[str, Any]]]:
    """Healthy runs beyond the base: the false-alarm probes real logs contain."""
    b = fam.base
    epochs = int(b["epochs"])
    return [
        ("warmup-cosine", {"schedule": {"kind": "warmup_cosine", "warmup": 0.1}}),
        (
            "step-decay",
            {
                "schedule": {"kind": "step", "milestones": (0.5, 0.8), "gamma": 0.1},
                "lr": b["lr"] * 2,
            },
        ),
        ("small-batch", {"batch_size": 8, "epochs": max(4, epochs // 2)}),
        ("early-stopped", {"early_stop": 3, "epochs": epochs * 2}),
        ("long-drift", {"epochs": int(epochs * 1.6)}),
        ("adamw", {"optimizer": "adamw", "lr": 2e-3, "weight_decay": 1e-2}),
        (
            "momentum-warmup",
            {
                "optimizer": "momentum",
                "momentum": 0.9,
                "lr": 0.02,
                "schedule": {"kind": "warmup", "warmup": 0.05},
            },
        ),
    ]


HEALTHY_PER_SEED = 4  # healthy variants per family and seed, besides the base run (default)


def scenarios(seeds: tuple[int, ...] = (0, 1), families: list[str] | None = None) -> list[Scenario]:
    """Every scenario of the catalogue, for the given seeds.

    Each family × cause gets one run per seed; the seed also picks the injection (rotating
    through the cause's recipes), so two seeds already give two different injections. Healthy
    variants rotate the same way. With the default seeds (0, 1), a family's ``boost`` causes
    get runs for :data:`BOOST_SEEDS` too (causes that few families produce). Without
    ``families``, the fresh families are left out (see :data:`FRESH_FAMILIES`), so that the
    default corpus stays what it was and nobody reads fresh runs by accident; the study families
    (:data:`STUDY_FAMILIES`) are likewise made only by name.
    """
    out: list[Scenario] = []
    for fam in FAMILIES.values():
        if families and fam.name not in families:
            continue
        if not families and fam.split in BY_NAME_SPLITS:  # fresh/study runs only by name
            continue
        variants = healthy_variants(fam)
        for seed in seeds:
            base = {**fam.base, "seed": seed}
            out.append(Scenario(fam.name, "healthy", "base", seed, base, base, fam.split))
            for k in range(fam.healthy_per_seed):
                variant, over = variants[(seed * fam.healthy_per_seed + k) % len(variants)]
                out.append(
                    Scenario(fam.name, "healthy", variant, seed, merge(base, over), base, fam.split)
                )
            for recipes in injections(fam).values():
                cause, variant, over, twin, accepts = recipes[seed % len(recipes)]
                out.append(
                    Scenario(
                        fam.name,
                        cause,
                        variant,
                        seed,
                        merge(base, over),
                        merge(base, twin),
                        fam.split,
                        accepts,
                    )
                )
        for seed in BOOST_SEEDS if seeds == (0, 1) and fam.boost else ():
            base = {**fam.base, "seed": seed}  # the twin is trained anyway: keep it as healthy
            out.append(Scenario(fam.name, "healthy", "base", seed, base, base, fam.split))
            for cause, recipes in injections(fam).items():
                if cause in fam.boost:
                    _, variant, over, twin, accepts = recipes[seed % len(recipes)]
                    spec, twin_spec = merge(base, over), merge(base, twin)
                    out.append(
                        Scenario(
                            fam.name, cause, variant, seed, spec, twin_spec, fam.split, accepts
                        )
                    )
    return out
