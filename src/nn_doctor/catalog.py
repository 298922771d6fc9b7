"""The fixed catalog of causes (shared/CATALOG.md): ids, categories and severities.

Rule files carry their own severity; this table is what the built-in rules must agree with
(DECISIONS.md §4), checked by the rule meta-tests.
"""

from __future__ import annotations

#: id -> (category, severity)
CATALOG: dict[str, tuple[str, str]] = {
    "no_normalization": ("data", "error"),
    "lr_too_high": ("optimization", "error"),
    "lr_too_low": ("optimization", "warning"),
    "dead_relu": ("activations", "error"),
    "exploding_gradients": ("gradients", "error"),
    "vanishing_gradients": ("gradients", "error"),
    "oversized_batch": ("optimization", "warning"),
    "wrong_output_activation": ("activations", "error"),
    "bad_init": ("init", "error"),
    "too_deep": ("capacity", "error"),
    "too_few_hidden_units": ("capacity", "warning"),
    "overfitting": ("regularization", "warning"),
    "over_regularization": ("regularization", "warning"),
    "unshuffled_data": ("data", "warning"),
    "label_noise": ("data", "warning"),
    "gradient_clipping_masks_lr": ("optimization", "warning"),
    "insufficient_training": ("optimization", "info"),
    "softmax_overflow_nan": ("activations", "error"),
    "train_val_mismatch": ("data", "warning"),
}

CATALOG_IDS = frozenset(CATALOG)
CATEGORIES = (
    "optimization",
    "gradients",
    "activations",
    "init",
    "capacity",
    "regularization",
    "data",
)
