"""Diagnoses on real torch runs made outside the zoo's generator, in other people's styles.

``tests/data/outside`` holds small runs written by ``benchmarks/outside/*.py``: their own training
loops, recipes and logging habits (a transformer with label smoothing, warm-up and cosine decay
whose config sits beside SummaryWriter's ``runs/``; a residual CNN on OneCycle logging a sparse
``epoch,step,…`` CSV; a real Hugging Face ``Trainer``; Keras-style logs of an early-stopped and a
memorizing run; ReduceLROnPlateau; a GRU with clipping; ``train_mse`` instead of a loss; Lightning's
own ``Trainer`` with its ``grad_norm`` utility; tensorboardX; a printed console log). Each
label is what the run was made to be and what its own curves show. Healthy runs must get no
finding at warning level or above; faulty ones must lead with their cause (or one an expert
accepts in its place).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nn_doctor.api import read_runs
from nn_doctor.engine.diagnosis import diagnose_frame

OUTSIDE = Path(__file__).parent / "data" / "outside"

HEALTHY = [
    "ae-healthy",  # a digits autoencoder, loss and val_loss only
    "reg-steplr-healthy",  # Keras History JSON, StepLR 1e-3 -> 1e-5, dropout 0.2
    "rescnn-healthy",  # sparse epoch,step,... CSV: one run, not one per row
    "transformer-healthy",  # label smoothing 0.1 floors the training loss above validation
    "early_stopped",  # patience 5: the validation loss rose for its last five epochs
    "plateau_sched",  # ReduceLROnPlateau down to 3e-9
    "big_batch",  # batch 256 with a matching rate
    "gru_clip",  # clip at 5, rarely active
    "hf-healthy",  # a real Trainer run, still improving when its schedule ended (info only)
    "keras-scaled-healthy",  # Keras' own fit + CSVLogger on standardized features
    "pl-healthy",  # Lightning Trainer + CSVLogger, grad_norm per parameter
    "rnn-healthy",  # an identity-initialized ReLU RNN (IRNN) clipped at 1, tensorboardX
    "console-healthy",  # printed "Epoch 3/30 | train_loss: … | val_loss: …" lines
    "jsonl-healthy",  # SGD + momentum, per-step loss and grad norm, per-epoch validation
]
FAULTY = {
    "rescnn-lr-low": {"lr_too_low"},  # lr 1e-5, no schedule
    "transformer-lr-high": {"gradient_clipping_masks_lr", "lr_too_high"},  # 0.3, clipped at 1
    "overfit_tiny": {"overfitting"},  # 100 samples, 512-wide, 150 epochs
    "unshuffled": {"unshuffled_data"},  # sorted by label, never shuffled
    "dead_cnn": {"dead_relu"},  # bias -1, Adam 0.05: every unit dead
    "pl-zero-init": {"bad_init"},  # every weight zero: flat at ln 10
    "pl-deep-sigmoid": {"vanishing_gradients", "too_deep"},  # 14 sigmoid layers, plain SGD
    "pl-two-units": {"too_few_hidden_units"},  # a 2-unit bottleneck for 10 classes
    "softmax-by-hand": {"softmax_overflow_nan"},  # exp(z)/sum exp(z): NaN after normal training
    "noisy-labels": {"label_noise"},  # half the training labels random, validation clean
    "inverted-val": {"train_val_mismatch"},  # validation images inverted
    "sgd-lr-high": {"lr_too_high"},  # SGD + momentum at 0.5
    "clip-masks-lr": {"gradient_clipping_masks_lr", "lr_too_high"},  # lr 2.0 clipped to 0.25
    "stopped-early": {"insufficient_training"},  # two epochs at a usual rate, still falling
    "hf-lr-high": {"lr_too_high"},  # a real Trainer at 0.5: bounces about chance, no runaway
    "rnn-explode": {"exploding_gradients", "bad_init"},  # ReLU RNN at 1.3x identity: NaN at step 2
}


def _diagnose(name: str):  # type: ignore[no-untyped-def]
    [frame] = read_runs(OUTSIDE / name)
    return diagnose_frame(frame)


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_runs_get_no_warning(name: str) -> None:
    diag = _diagnose(name)
    assert diag.error is None
    loud = [f.id for f in diag.findings if f.severity in ("warning", "error")]
    assert loud == [], f"{name}: {loud}"


@pytest.mark.parametrize("name", sorted(FAULTY))
def test_faulty_runs_lead_with_their_cause(name: str) -> None:
    diag = _diagnose(name)
    assert diag.findings, f"{name}: no finding"
    assert diag.findings[0].id in FAULTY[name], f"{name}: {[f.id for f in diag.findings]}"


def test_a_regression_logging_only_its_mse_is_diagnosed() -> None:
    diag = _diagnose("relu_output_reg")
    assert diag.error is None
    assert diag.frame.sources["train_loss"] == "train_mse"
