"""The alias table: what real tools write maps onto canonical names; unknown names survive."""

from __future__ import annotations

import pytest

from nn_doctor.signals import canonical_name, higher_is_better, is_layer_signal


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("loss", "train_loss"),
        ("train_loss", "train_loss"),
        ("train/loss", "train_loss"),
        ("Loss/train", "train_loss"),
        ("training_loss", "train_loss"),
        ("train_loss_step", "train_loss"),
        ("train_loss_epoch", "train_loss"),
        ("loss_step", "train_loss"),
        ("loss_epoch", "train_loss"),
        ("val_loss", "val_loss"),
        ("eval_loss", "val_loss"),
        ("valid_loss", "val_loss"),
        ("val/loss", "val_loss"),
        ("Loss/val", "val_loss"),
        ("validation/epoch_loss", "val_loss"),
        ("loss_val", "val_loss"),
        ("lr", "lr"),
        ("learning_rate", "lr"),
        ("lr-Adam", "lr"),
        ("lr-AdamW", "lr"),
        ("grad_norm", "grad_norm"),
        ("gradient_norm", "grad_norm"),
        ("train/grad_norm", "grad_norm"),
        ("gradients/global_norm", "grad_norm"),
        ("acc", "train_acc"),
        ("train_accuracy", "train_acc"),
        ("val_accuracy", "val_acc"),
        ("eval_accuracy", "val_acc"),
        ("val/acc", "val_acc"),
        ("validation/epoch_accuracy", "val_acc"),
        ("grad_norm/fc1", "grad_norm/fc1"),
        ("act_zero_frac/layers.0", "act_zero_frac/layers.0"),
        ("activations/fc1:zero_frac", "act_zero_frac/fc1"),
        ("gradients/fc2:norm", "grad_norm/fc2"),
        ("fc1/activations:mean", "act_mean/fc1"),  # the group after the layer
        ("fc1.grad:norm", "grad_norm/fc1"),
        ("gradients/fc1.weight:norm", "grad_norm/fc1"),  # a parameter names its layer here too
        ("input_mean", "input_mean"),
    ],
)
def test_known_spellings(raw: str, canonical: str) -> None:
    assert canonical_name(raw).canonical == canonical


@pytest.mark.parametrize(
    "raw", ["train/box_loss", "eval_wer", "metrics/mAP50(B)", "my_custom_metric"]
)
def test_unknown_names_are_kept(raw: str) -> None:
    assert canonical_name(raw).canonical == raw


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Learning Rate", "lr"),  # spaced column names
        ("Grad Norm", "grad_norm"),
        ("ptl/val_loss", "val_loss"),  # Ray Tune's Lightning example
        ("ptl/train_loss", "train_loss"),
        ("metrics/val_loss", "val_loss"),
        ("optimizer/lr", "lr"),
        ("epoch_accuracy", "train_acc"),  # Keras TensorBoard callback
        ("lr-AdamW/pg1", "lr"),  # Lightning LearningRateMonitor, per parameter group
        ("grad_norm/global", "grad_norm"),  # the global norm, not a layer called "global"
        ("total_norm", "grad_norm"),  # clip_grad_norm_'s return value
        ("LearningRate", "lr"),
        ("D/loss", "D/loss"),  # a GAN component's loss is not the training loss
        ("box/loss", "box/loss"),
    ],
)
def test_names_real_tools_write(raw: str, canonical: str) -> None:
    assert canonical_name(raw).canonical == canonical


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        # the layer first: a per-layer norm, not the global one (it used to become grad_norm)
        ("fc1/grad_norm", "grad_norm/fc1"),
        ("fc1/weight_norm", "weight_norm/fc1"),
        ("layers.0.weight/grad_norm", "grad_norm/layers.0"),
        ("fc1/zero_frac", "act_zero_frac/fc1"),
        # other family words in front
        ("grads/fc1", "grad_norm/fc1"),
        ("grad/fc1.weight", "grad_norm/fc1"),
        ("param_norm/fc1", "weight_norm/fc1"),
        ("sparsity/conv2", "act_zero_frac/conv2"),
        ("dead_frac/fc1", "act_zero_frac/fc1"),
        ("update_to_weight/fc1", "update_ratio/fc1"),
        ("activation_std/fc1", "act_std/fc1"),
        # a group, the layer, then the statistic
        ("activations/fc1/zero_frac", "act_zero_frac/fc1"),
        ("activations/fc1/mean", "act_mean/fc1"),
        ("gradients/fc1.weight/norm", "grad_norm/fc1"),
        # a statistic the group's family is not: the weights' spread, the gradients' mean
        ("weights/fc1/std", "weights/fc1/std"),
        ("gradients/fc1/mean", "gradients/fc1/mean"),
        ("weights/fc1/max", "weights/fc1/max"),
        # a parameter path with the statistic last
        ("fc1.weight.grad_norm", "grad_norm/fc1"),
        # the canonical spelling with a parameter suffix, and Lightning's per-parameter norms
        ("grad_norm/fc1.weight", "grad_norm/fc1"),
        ("grad_2.0_norm/model.fc1.weight", "grad_norm/model.fc1"),
        # a bias's statistics are not a layer of their own
        ("grad_norm/fc1.bias", "grad_norm/fc1.bias"),
        ("fc1.bias/grad_norm", "fc1.bias/grad_norm"),
        # a split or the whole model in front is no layer
        ("train/grad_norm", "grad_norm"),
        ("global/grad_norm", "grad_norm"),
        ("model/grad_norm", "grad_norm"),
        ("train/weights", "train/weights"),
        # a whole-model "layer" is the global scalar, not a layer called "norm"
        ("gradients/norm", "grad_norm"),
        ("grad_norm/total_norm", "grad_norm"),
        ("weights/norm", "weight_norm"),
        # one CSV column per layer, joined by "_" (multi-word family names only)
        ("grad_norm_fc1", "grad_norm/fc1"),
        ("fc1_grad_norm", "grad_norm/fc1"),
        ("layer_0_zero_frac", "act_zero_frac/layer_0"),
        ("act_zero_frac_conv2", "act_zero_frac/conv2"),
        ("model.layers.0.weight_grad_norm", "grad_norm/model.layers.0"),
        ("relu1_dead_fraction", "act_zero_frac/relu1"),
        ("fraction_dead/fc1", "act_zero_frac/fc1"),
        ("dead_relu_frac/layer0", "act_zero_frac/layer0"),
        ("fc2_dead_relu_fraction", "act_zero_frac/fc2"),
        ("activations/fc1/dead_fraction", "act_zero_frac/fc1"),
        ("activations/tanh1/saturation", "act_sat_frac/tanh1"),
        ("sat_fraction/tanh1", "act_sat_frac/tanh1"),
        ("hidden1/activation_zero_fraction", "act_zero_frac/hidden1"),
        ("fc1/relu_zero_frac", "act_zero_frac/fc1"),
        # ...but a qualifier is not a layer
        ("max_grad_norm", "max_grad_norm"),
        ("clip_grad_norm", "clip_grad_norm"),
        ("val_grad_norm", "val_grad_norm"),
    ],
)
def test_per_layer_statistics_as_people_spell_them(raw: str, canonical: str) -> None:
    assert canonical_name(raw).canonical == canonical


def test_a_namespaced_name_ranks_after_the_direct_one() -> None:
    assert canonical_name("val_loss").rank < canonical_name("ptl/val_loss").rank
    assert canonical_name("lr-AdamW/pg1").rank < canonical_name("lr-AdamW/pg2").rank


def test_user_alias_wins() -> None:
    assert canonical_name("gn", {"grad_norm": ["gn"]}).canonical == "grad_norm"


def test_per_step_beats_per_epoch_rank() -> None:
    assert canonical_name("train_loss_step").rank < canonical_name("train_loss_epoch").rank


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("val_acc", True),
        ("eval_wer", False),
        ("eval_rouge1", True),
        ("eval_runtime", None),
        ("metrics/mAP50(B)", True),
    ],
)
def test_direction(name: str, expected: bool | None) -> None:
    assert higher_is_better(name) is expected


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        # a cadence in front of a bare loss is not a model component (compare D/loss)
        ("epoch/loss", "train_loss"),
        ("batch/loss", "train_loss"),
        ("losses/train", "train_loss"),
        # words that qualify a loss without changing what it is
        ("avg_loss", "train_loss"),
        ("running_loss", "train_loss"),
        ("train_loss_avg", "train_loss"),
        ("mean_train_loss", "train_loss"),
        ("epoch_val_loss", "val_loss"),
        ("avg_val_loss", "val_loss"),
        ("epoch_val_accuracy", "val_acc"),
        ("tr_loss", "train_loss"),
        # one word, and the trn/tst abbreviations
        ("trainloss", "train_loss"),
        ("valloss", "val_loss"),
        ("tst_loss", "val_loss"),
        ("tst_acc", "val_acc"),
        ("va_loss", "val_loss"),
        # cost, TensorFlow 1's word for the loss
        ("cost", "train_loss"),
        ("train_cost", "train_loss"),
        ("val_cost", "val_loss"),
        ("validation_cost", "val_loss"),
        ("avg_cost", "train_loss"),
        # camelCase
        ("valLoss", "val_loss"),
        ("ValLoss", "val_loss"),
        ("lossTrain", "train_loss"),
        ("trainAcc", "train_acc"),
        ("gradNorm", "grad_norm"),
        # one parameter group's rate
        ("learning_rate/pg1", "lr"),
        ("lr_0", "lr"),
        ("param_group_0_lr", "lr"),
        ("train/lr_pg0", "lr"),
        # the norm clipping acted on is the gradient norm; after the clip it is not
        ("grad_norm_before_clip", "grad_norm"),
        ("grad_norm_post_clip", "grad_norm_clipped"),
        # data ranges
        ("x_mean", "input_mean"),
        ("inputs/std", "input_std"),
        ("preds_max", "pred_max"),
        ("output_min", "pred_min"),
        ("y_mean", "target_mean"),
        # still components or unknown, not the loss
        ("G_loss", "G_loss"),
        ("box_loss", "box_loss"),
        ("loss_std", "loss_std"),
    ],
)
def test_more_spellings_from_hand_written_loops(raw: str, canonical: str) -> None:
    assert canonical_name(raw).canonical == canonical


def test_a_qualified_loss_ranks_after_the_plain_one() -> None:
    """Logged side by side, ``loss`` (not ``avg_loss``) is the training loss."""
    assert canonical_name("loss").rank < canonical_name("avg_loss").rank
    assert canonical_name("lr").rank < canonical_name("lr_1").rank < canonical_name("lr_2").rank


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        # `f"grad_norm_{name}"` over named_parameters(): the gradient's norm, not the weight norm
        # of a layer called `grad_norm_layer1.0.conv1` (the `.weight` suffix used to decide)
        ("grad_norm_layer1.0.conv1.weight", "grad_norm/layer1.0.conv1"),
        ("act_zero_frac_conv2.weight", "act_zero_frac/conv2"),
        # Lightning's grad_norm utility before 1.5 (track_grad_norm=2): "_" before the parameter,
        # and the norm type written as 2 as well as 2.0
        ("grad_2.0_norm_encoder.fc1.weight", "grad_norm/encoder.fc1"),
        ("grad_2_norm_fc1.weight", "grad_norm/fc1"),
        ("grad_2_norm_total", "grad_norm"),
        ("grad_norm_2.0_norm_total", "grad_norm"),
        ("grad_2.0_norm_fc1.bias", "grad_2.0_norm_fc1.bias"),
        ("grad_inf_norm_total", "grad_inf_norm_total"),  # another norm is another scale
        # a group, the layer, then a family word other than the group's own statistics
        ("activations/fc1/frac_dead", "act_zero_frac/fc1"),
        ("activations/layer1.0.conv1/dead_relu_frac", "act_zero_frac/layer1.0.conv1"),
        ("gradients/fc1/grad_norm", "grad_norm/fc1"),
        # a bare parameter path keeps its meaning
        ("fc1.weight", "weight_norm/fc1"),
    ],
)
def test_per_parameter_statistics_name_the_right_family(raw: str, canonical: str) -> None:
    assert canonical_name(raw).canonical == canonical


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("grad_norm/fc1", True),
        ("grad_norm/rnn.weight_ih_l0", True),
        # biases are no layers: a linear layer's and a recurrent layer's (torch's bias_ih_l0)
        ("grad_norm/fc1.bias", False),
        ("weight_norm/rnn.bias_ih_l0", False),
        ("weight_norm/lstm.bias_hh_l1_reverse", False),
        ("grad_norm/biasnet", True),
    ],
)
def test_is_layer_signal_leaves_biases_out(name: str, expected: bool) -> None:
    assert is_layer_signal(name) is expected
