"""The "fresh" split of the fault zoo: families nobody tunes rules on.

Checks the catalogue only (no training beyond one tiny forward/backward per new architecture):
the fresh families exist, are new architectures/data, have split "fresh", keep at least a quarter
of their scenarios healthy, and their models give the per-layer statistics the ``full`` level
logs.
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from benchmarks.zoo.scenarios import FAMILIES, FRESH_FAMILIES, scenarios
from tests.benchmarks.conftest import assert_split_scenarios

FRESH = ["blobs_resmlp", "waves_cnn1d", "halves_gru", "tokens_transformer", "friedman2_mlp"]


def test_fresh_families_exist_with_split_fresh() -> None:
    fresh = [name for name, fam in FAMILIES.items() if fam.split == "fresh"]
    assert fresh == FRESH == list(FRESH_FAMILIES)
    old = [fam for fam in FAMILIES.values() if fam.split != "fresh"]
    old_data = {fam.base["dataset"] for fam in old}
    old_models = {fam.base.get("model", "mlp") for fam in old}
    for name in FRESH:
        base = FAMILIES[name].base
        assert base["dataset"] not in old_data  # new data for every fresh family
        assert base["log_names"] == "fresh"  # and their own naming habits
    assert {FAMILIES[n].base.get("model", "mlp") for n in FRESH} - old_models == {
        "resmlp", "cnn1d", "gru", "transformer",
    }  # fmt: skip


def test_fresh_scenarios_are_fresh_and_a_quarter_healthy() -> None:
    scs = scenarios((0, 1), FRESH)
    assert_split_scenarios(scs, "fresh", FRESH)
    # Fresh runs are made only by name: the default corpus is what it was without them.
    assert not any(sc.split == "fresh" for sc in scenarios((0,)))


@pytest.mark.parametrize("name", FRESH)
def test_fresh_models_give_per_layer_statistics(name: str) -> None:
    import torch
    from benchmarks.zoo import data as zdata
    from benchmarks.zoo.models import build

    from nn_doctor.record.torch import TorchRecorder

    fam = FAMILIES[name]
    d = zdata.load(fam.base["dataset"], 0, n_train=16)
    model = build(fam.base.get("model", "mlp"), d.x_train.shape[-1], d.n_outputs,
                  dict(fam.base["arch"]))  # fmt: skip
    rec = TorchRecorder(model, every=1)
    x, y = torch.from_numpy(d.x_train), torch.from_numpy(d.y_train)
    rec.start(1, targets=y)
    out = model(x)
    loss = torch.nn.functional.cross_entropy(out, y) if d.n_classes else ((out - y) ** 2).mean()
    loss.backward()
    row = rec.finish(loss=loss)
    rec.close()
    assert row is not None
    layers = [k for k in row if k.startswith("grad_norm/")]
    assert len(layers) >= 2
    assert any(k.startswith(("act_zero_frac/", "act_sat_frac/")) for k in row)
