"""Console captures: key=value lines, epoch headers, printed HF dicts, progress bars."""

from __future__ import annotations

import math
from pathlib import Path

from nn_doctor.api import read_raw, read_runs
from nn_doctor.readers import detect_file, discover
from nn_doctor.readers._console_re import pairs_of


def test_step_key_value_lines(tmp_path: Path) -> None:
    p = tmp_path / "train.out"
    p.write_text(
        "Loading data...\n"
        + "".join(
            f"step {s} loss={1 / (s + 1):.4f} lr=1e-3 grad_norm={s / 10}\n"
            for s in range(0, 500, 100)
        )
        + "step 500 loss=nan lr=1e-3 grad_norm=inf\nSaving checkpoint to /tmp/ckpt-500.pt\n"
    )
    assert detect_file(p) == "console"
    [f] = read_runs(p)
    assert f.format == "console" and f.axis == "step"
    loss = f.series("train_loss")
    assert loss.index.tolist() == [0, 100, 200, 300, 400, 500]
    assert math.isnan(loss.loc[500]) and f.series("grad_norm").loc[500] == math.inf
    assert f.series("lr").loc[0] == 1e-3


def test_epoch_lines_and_final_report(tmp_path: Path) -> None:
    p = tmp_path / "training.log"
    p.write_text(
        "".join(f"Epoch {e}/200 | Loss: {0.7 - e / 1000:.4f}\n" for e in range(1, 201))
        + "Accuracy : 0.748\nF1 Score : 0.5686\n"
    )
    [f] = read_runs(tmp_path)
    assert f.axis == "epoch" and f.n_steps == 200
    assert f.series("train_loss").index[0] == 1
    assert "F1 Score" not in f.signals
    assert any("F1 Score" in i for i in f.ignored)


def test_printed_argparse_namespace_is_the_config(tmp_path: Path) -> None:
    """``print(args)`` at the top of a log: literal values only, and no metric line of its own."""
    p = tmp_path / "train.log"
    p.write_text(
        "INFO Namespace(batch_size=64, epochs=3, lr=0.001, optimizer='sgd', nesterov=True, "
        "dims=[64, 32], device=device(type='cpu'), seed=None)\n"
        + "".join(
            f"Epoch {e}/3 | train_loss: {1 / e:.3f} | val_loss: {1.1 / e:.3f}\n" for e in (1, 2, 3)
        )
    )
    [f] = read_runs(p)
    assert f.config["lr"] == 0.001 and f.config["batch_size"] == 64
    assert f.config["optimizer"] == "sgd" and f.config["epochs"] == 3
    assert "device" not in f.config  # a call, not a literal: never evaluated
    assert "lr" not in f.signals and not any("before the first" in i for i in f.ignored)
    assert any("printed arguments" in s for s in f.config_sources)


def test_keras_progress_last_value_per_epoch_wins(tmp_path: Path) -> None:
    p = tmp_path / "keras.log"
    p.write_text(
        "Epoch 1/2\n"
        "\r  1/100 [..............................] - ETA: 1:00 - loss: 2.5000 - accuracy: 0.1000"
        "\r100/100 [==============================] - 5s 3ms/step - loss: 0.9000 - accuracy: 0.7000"
        " - val_loss: 0.8000 - val_accuracy: 0.7500\n"
        "Epoch 2/2\n"
        "100/100 [==============================] - 5s 3ms/step - loss: 0.6000 - accuracy: 0.8000"
        " - val_loss: 0.7000 - val_accuracy: 0.7800\n"
    )
    [f] = read_runs(p, input_format="console")
    assert f.axis == "epoch"
    assert f.series("train_loss").to_dict() == {1: 0.9, 2: 0.6}
    assert f.series("val_acc").to_dict() == {1: 0.75, 2: 0.78}


def test_printed_hf_dicts(tmp_path: Path) -> None:
    p = tmp_path / "stdout.txt"
    p.write_text(
        "{'loss': 2.1, 'grad_norm': 3.0, 'learning_rate': 1e-05, 'epoch': 0.1}\n"
        " 10%|#         | 10/100 [00:05<00:45,  2.00it/s]\n"
        "{'loss': 1.9, 'grad_norm': 2.0, 'learning_rate': 2e-05, 'epoch': 0.2}\n"
        "{'eval_loss': 1.95, 'eval_runtime': 1.2, 'epoch': 0.2}\n"
        "{'loss': 1.7, 'grad_norm': 1.0, 'learning_rate': 3e-05, 'epoch': 0.3}\n"
    )
    [f] = read_runs(p)
    assert f.series("train_loss").tolist() == [2.1, 1.9, 1.7]
    assert f.series("val_loss").index.tolist() == [f.series("train_loss").index[1]]
    assert any("order of the log lines" in w for w in f.warnings)


def test_spaced_pairs_with_epoch_and_step() -> None:
    assert pairs_of("epoch 3 train_loss 0.4 val_loss 0.5") == [
        ("train_loss", "0.4"),
        ("val_loss", "0.5"),
    ]
    line = "Epoch 0:  45%|####| 450/1000 [00:10<00:12, 45.0it/s, loss=0.523, v_num=0]"
    assert pairs_of(line) == [("loss", "0.523")]
    assert pairs_of("ETA: 1:00 - 5s 3ms/step") == []


def test_lightning_progress_uses_epoch_with_step_counters(tmp_path: Path) -> None:
    p = tmp_path / "fit.log"
    p.write_text("".join(f"epoch {e} step {e * 50} train_loss {1 - e / 10}\n" for e in range(4)))
    [f] = read_runs(p)
    assert f.axis == "step"
    assert f.series("train_loss").index.tolist() == [0, 50, 100, 150]
    assert f.series("epoch").to_dict() == {0: 0, 50: 1, 100: 2, 150: 3}


def test_prose_and_configs_are_not_console_logs(tmp_path: Path) -> None:
    (tmp_path / "README.txt").write_text("Set lr: 0.001 and batch: 32.\nloss: 0.5 is good\n")
    (tmp_path / "hparams.yaml").write_text(
        "".join(f"epoch_{i}: {i}\nloss: 0.{i}\n" for i in range(5))
    )
    (tmp_path / "result.txt").write_text("WER 0.07\nExpRate 0.63\nloss 0.2\n")
    assert discover(tmp_path) == []


def test_invalid_utf8_and_empty(tmp_path: Path) -> None:
    p = tmp_path / "a.log"
    p.write_bytes(
        b"\xff\xfe junk\n" + b"".join(b"step %d loss=0.%d\n" % (i, i) for i in range(1, 5))
    )
    [f] = read_runs(p)
    assert f.series("train_loss").index.tolist() == [1, 2, 3, 4]
    e = tmp_path / "empty.log"
    e.write_text("")
    [raw] = read_raw(e, input_format="console")
    assert len(raw.records) == 0 and raw.warnings


def test_split_words_printed_apart_from_the_name() -> None:
    line = "Epoch: 3 | Train Loss: 0.512 | Val Loss: 0.640 | Val Acc: 0.81"
    assert pairs_of(line) == [("Train Loss", "0.512"), ("Val Loss", "0.640"), ("Val Acc", "0.81")]
    assert pairs_of("[epoch 4] train loss 2.30 | valid loss 2.41 | lr 0.001") == [
        ("train loss", "2.30"),
        ("valid loss", "2.41"),
        ("lr", "0.001"),
    ]
    # PyTorch's MNIST example: the heading names the split of every value on the line
    assert pairs_of("Test set: Average loss: 0.0330, Accuracy: 9892/10000 (99%)") == [
        ("Test loss", "0.0330")
    ]


def test_the_pytorch_mnist_example_output(tmp_path: Path) -> None:
    p = tmp_path / "mnist.log"
    p.write_text(
        "".join(
            "".join(
                f"Train Epoch: {e} [{b}/60000 ({b // 600}%)]\tLoss: {2.3 / e - b / 1e6:.6f}\n"
                for b in range(0, 60000, 20000)
            )
            + f"\nTest set: Average loss: {0.3 / e:.4f}, Accuracy: 9000/10000 (90%)\n\n"
            for e in range(1, 4)
        )
    )
    [f] = read_runs(p)
    assert f.series("val_loss").tolist() == [0.3, 0.15, 0.1]
    assert f.series("train_loss").index.tolist() == [1, 2, 3]


def test_a_step_counter_that_restarts_each_epoch_is_made_global(tmp_path: Path) -> None:
    # the classic tutorial loop: "Epoch [e/E], Step [s/S], Loss: ..."
    p = tmp_path / "train.log"
    p.write_text(
        "".join(
            f"Epoch [{e}/3], Step [{s}/600], Loss: {1.0 / (e * s):.6f}\n"
            for e in range(1, 4)
            for s in range(100, 700, 100)
        )
    )
    [f] = read_runs(p)
    steps = f.series("train_loss").index.tolist()
    assert len(steps) == 18 and steps[:7] == [100, 200, 300, 400, 500, 600, 700]
    assert steps[-1] == 1800  # epoch 3's step 600 is the run's 1800th
    # word_language_model: "| epoch 2 |  200/ 2983 batches | ... | loss 5.1 |"
    q = tmp_path / "lm.log"
    q.write_text(
        "".join(
            f"| epoch {e:3d} | {b:5d}/ 2983 batches | lr 20.00 | loss {6 - e:5.2f} | ppl 99\n"
            for e in (1, 2)
            for b in (200, 400)
        )
        + "| end of epoch   2 | time: 30.1s | valid loss  4.80 | valid ppl 121.5\n"
    )
    [g] = read_runs(q)
    assert g.series("train_loss").index.tolist() == [200, 400, 3183, 3383]
    assert g.series("val_loss").to_dict() == {3383: 4.80}


def test_fastai_epoch_table(tmp_path: Path) -> None:
    p = tmp_path / "fit.txt"
    p.write_text(
        "epoch     train_loss  valid_loss  accuracy  time    \n"
        + "".join(
            f"{e:<10d}{1 / (e + 1):<12.6f}{1.1 / (e + 1):<12.6f}{0.5 + e / 10:<10.6f}00:12\n"
            for e in range(4)
        )
    )
    assert detect_file(p) == "console"
    [f] = read_runs(p)
    assert f.axis == "epoch" and f.series("val_loss").index.tolist() == [0, 1, 2, 3]
    assert f.series("val_acc").tolist() == [0.5, 0.6, 0.7, 0.8]  # fastai's metrics are held-out
