"""A real Hugging Face Trainer run (tiny BERT, synthetic token task): python gen_hf_trainer.py OUT LR NAME [LABEL_SMOOTHING]."""

import sys

import numpy as np
import torch
from torch.utils.data import Dataset
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

torch.set_num_threads(2)
OUT = sys.argv[1]
lr = float(sys.argv[2])
name = sys.argv[3]
smoothing = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0


class DS(Dataset):
    def __init__(s, n, seed):
        g = np.random.default_rng(seed)
        s.x = g.integers(5, 30, size=(n, 16))
        s.y = ((s.x == 7).sum(1) > (s.x == 9).sum(1)).astype(int)

    def __len__(s):
        return len(s.x)

    def __getitem__(s, i):
        return {"input_ids": torch.tensor(s.x[i]), "labels": torch.tensor(s.y[i])}


cfg = BertConfig(
    vocab_size=32,
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=32,
    num_labels=2,
)
torch.manual_seed(0)
model = BertForSequenceClassification(cfg)


def acc(p):
    return {"accuracy": float((p.predictions.argmax(-1) == p.label_ids).mean())}


args = TrainingArguments(
    output_dir=f"{OUT}/{name}",
    learning_rate=lr,
    num_train_epochs=6,
    per_device_train_batch_size=32,
    eval_strategy="epoch",
    save_strategy="epoch",
    logging_steps=10,
    report_to=[],
    seed=0,
    label_smoothing_factor=smoothing,
    save_total_limit=1,
    use_cpu=True,
    warmup_steps=0.1,
)
tr = Trainer(
    model=model, args=args, train_dataset=DS(2000, 0), eval_dataset=DS(400, 1), compute_metrics=acc
)
tr.train()
tr.save_state()
print(name, tr.evaluate())
