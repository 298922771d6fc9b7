"""The recorder's statistics against direct torch computations on tiny models."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from nn_doctor.record.torch import TorchRecorder  # noqa: E402


def _l2(tensors: list) -> float:
    return math.sqrt(sum(float(t.detach().double().pow(2).sum()) for t in tensors))


class ReversedMLP(nn.Module):
    """Registers its layers output-first, so registration order is not model order."""

    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(6, 3)
        self.act = nn.ReLU()
        self.fc1 = nn.Linear(4, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.act(self.fc1(x)))


def _step(model, opt, x, y, rec, step, *, clip=None, loss_fn=nn.functional.cross_entropy):
    rec.start(step, targets=y)
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    if clip is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt.step()
    return rec.finish(loss=loss), grads, before


@pytest.fixture
def tiny():
    torch.manual_seed(0)
    model = ReversedMLP()
    opt = torch.optim.SGD(model.parameters(), lr=0.3, momentum=0.5)
    x = torch.randn(32, 4) * 3 + 1
    y = torch.randint(0, 3, (32,))
    return model, opt, x, y


def test_gradient_norms_are_taken_before_clipping(tiny) -> None:
    model, opt, x, y = tiny
    rec = TorchRecorder(model, every=1, optimizer=opt, grad_clip=0.01)
    row, grads, _ = _step(model, opt, x, y, rec, 0, clip=0.01)
    total = _l2(list(grads.values()))
    assert total > 0.01  # the clip really bit, so pre- and post-clip norms differ
    assert row["grad_norm"] == pytest.approx(total, rel=1e-6)
    assert row["grad_norm_clipped"] == pytest.approx(0.01, rel=1e-3)
    assert row["grad_norm/fc1"] == pytest.approx(_l2([grads["fc1.weight"], grads["fc1.bias"]]))
    assert row["grad_norm/head"] == pytest.approx(_l2([grads["head.weight"], grads["head.bias"]]))


def test_weight_norm_and_update_ratio(tiny) -> None:
    model, opt, x, y = tiny
    rec = TorchRecorder(model, every=1, optimizer=opt)
    row, _, before = _step(model, opt, x, y, rec, 0)
    after = dict(model.named_parameters())
    w_after = [after["fc1.weight"], after["fc1.bias"]]
    w_before = [before["fc1.weight"], before["fc1.bias"]]
    assert row["weight_norm/fc1"] == pytest.approx(_l2(w_after))
    delta = _l2([a.detach() - b for a, b in zip(w_after, w_before, strict=True)])
    assert row["update_ratio/fc1"] == pytest.approx(delta / _l2(w_before), rel=1e-6)
    assert row["weight_norm"] == pytest.approx(_l2([p.detach() for p in model.parameters()]))
    assert row["lr"] == pytest.approx(0.3)
    assert "grad_norm_clipped" not in row  # no clipping declared


def test_activation_and_data_statistics(tiny) -> None:
    model, opt, x, y = tiny
    with torch.no_grad():
        model.fc1.bias.fill_(-1.0)  # push a good share of units to exact zero
        hidden = torch.relu(model.fc1(x))
        logits = model.head(hidden)
    rec = TorchRecorder(model, every=1, optimizer=opt)
    row, _, _ = _step(model, opt, x, y, rec, 0)
    assert row["act_zero_frac/act"] == pytest.approx(float((hidden == 0).double().mean()))
    assert 0.2 < row["act_zero_frac/act"] < 1.0
    assert row["act_mean/act"] == pytest.approx(float(hidden.double().mean()))
    assert row["act_std/act"] == pytest.approx(float(hidden.double().std(unbiased=False)), rel=1e-6)
    assert row["input_mean"] == pytest.approx(float(x.double().mean()))
    assert row["input_max"] == pytest.approx(float(x.max()))
    assert row["pred_min"] == pytest.approx(float(logits.min()), rel=1e-5)
    # class indices are labels, not values: no target range for them
    assert not any(k.startswith("target_") for k in row)


def test_layers_come_in_forward_order_not_registration_order(tiny) -> None:
    model, opt, x, y = tiny
    rec = TorchRecorder(model, every=1, optimizer=opt)
    row, _, _ = _step(model, opt, x, y, rec, 0)
    grad_layers = [k.split("/", 1)[1] for k in row if k.startswith("grad_norm/")]
    assert grad_layers == ["fc1", "head"]
    assert rec.layer_names == ["head", "fc1"]  # registration order differs


def test_unrecorded_steps_run_without_hooks(tiny) -> None:
    model, opt, x, y = tiny
    rec = TorchRecorder(model, every=3, optimizer=opt)
    rows = [_step(model, opt, x, y, rec, i)[0] for i in range(7)]
    assert [r is not None for r in rows] == [True, False, False, True, False, False, True]
    assert [r["step"] for r in rows if r] == [0.0, 3.0, 6.0]
    rec.start(1)  # an unrecorded step arms nothing
    for module in model.modules():
        assert not module._forward_hooks
        assert not module._forward_pre_hooks
    for p in model.parameters():
        assert not getattr(p, "_post_accumulate_grad_hooks", None)


def test_saturation_for_sigmoid_tanh_and_rnn() -> None:
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Linear(3, 5), nn.Sigmoid(), nn.Linear(5, 5), nn.Tanh(), nn.Linear(5, 1)
    )
    with torch.no_grad():
        model[0].weight.mul_(20)
    x = torch.randn(64, 3)
    y = torch.randn(64, 1)
    with torch.no_grad():
        s = torch.sigmoid(model[0](x))
        t = torch.tanh(model[2](s))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    rec = TorchRecorder(model, every=1, optimizer=opt)
    row, _, _ = _step(model, opt, x, y, rec, 0, loss_fn=nn.functional.mse_loss)
    assert row["act_sat_frac/1"] == pytest.approx(float(((s < 0.01) | (s > 0.99)).double().mean()))
    assert row["act_sat_frac/1"] > 0.3
    assert row["act_sat_frac/3"] == pytest.approx(float((t.abs() > 0.99).double().mean()))
    assert row["target_std"] == pytest.approx(float(y.double().std(unbiased=False)))

    class Seq(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.RNN(2, 4, batch_first=True)
            self.out = nn.Linear(4, 1)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h, _ = self.rnn(x)
            return self.out(h[:, -1])

    seq = Seq()
    xs = torch.randn(8, 5, 2) * 10
    with torch.no_grad():
        h, _ = seq.rnn(xs)
    opt2 = torch.optim.SGD(seq.parameters(), lr=0.01)
    rec2 = TorchRecorder(seq, every=1, optimizer=opt2)
    row2, _, _ = _step(seq, opt2, xs, torch.randn(8, 1), rec2, 0, loss_fn=nn.functional.mse_loss)
    assert row2["act_sat_frac/rnn"] == pytest.approx(float((h.abs() > 0.99).double().mean()))
    assert [k for k in row2 if k.startswith("grad_norm/")] == ["grad_norm/rnn", "grad_norm/out"]


def test_gradient_accumulation_counts_the_accumulated_gradient(tiny) -> None:
    model, opt, x, y = tiny
    rec = TorchRecorder(model, every=1, optimizer=opt)
    rec.start(0)
    opt.zero_grad()
    for part in (slice(0, 16), slice(16, 32)):
        nn.functional.cross_entropy(model(x[part]), y[part]).backward()
    total = _l2([p.grad for p in model.parameters()])
    opt.step()
    row = rec.finish()
    assert row["grad_norm"] == pytest.approx(total, rel=1e-6)


def test_context_manager_form(tiny) -> None:
    model, opt, x, y = tiny
    rec = TorchRecorder(model, every=2, optimizer=opt)
    rows = []
    for i in range(3):
        with rec.record(i) as out:
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        rows.append(out["row"])
    assert rows[1] is None
    assert rows[0]["step"] == 0.0
    assert rows[2]["step"] == 2.0


def test_bad_arguments_are_refused(tiny) -> None:
    model = tiny[0]
    with pytest.raises(ValueError, match="every"):
        TorchRecorder(model, every=0)
    with pytest.raises(ValueError, match="activations"):
        TorchRecorder(model, activations="some")


def test_importing_nn_doctor_never_imports_torch() -> None:
    code = "import sys, nn_doctor, nn_doctor.record; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_gradients_are_caught_when_the_model_itself_is_never_called(tiny) -> None:
    # Lightning calls training_step, which may call a submodule directly: the root module's
    # forward hooks never fire, and grad_norm must still be the norm before clipping.
    model, opt, x, y = tiny

    class Wrapper(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = model

    wrapper = Wrapper()
    rec = TorchRecorder(wrapper, every=1, optimizer=opt, grad_clip=0.01)
    rec.start(0, inputs=x, targets=y)
    opt.zero_grad()
    nn.functional.cross_entropy(wrapper.net(x), y).backward()
    total = _l2([p.grad for p in model.parameters()])
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.01)
    opt.step()
    row = rec.finish()
    assert total > 0.01
    assert row["grad_norm"] == pytest.approx(total, rel=1e-6)
    assert row["grad_norm_clipped"] == pytest.approx(0.01, rel=1e-3)
    assert row["grad_norm/net.fc1"] > 0


def test_keyword_inputs_labels_and_logits_are_read() -> None:
    # The Hugging Face convention: model(features=..., labels=...) -> {"loss", "logits"}.
    class KwModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 1)

        def forward(self, features, labels=None):  # type: ignore[no-untyped-def]
            logits = self.fc(features)
            return {"loss": nn.functional.mse_loss(logits, labels), "logits": logits}

    torch.manual_seed(0)
    model = KwModel()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(16, 3) * 4 + 2, torch.randn(16, 1) * 3
    rec = TorchRecorder(model, every=1, optimizer=opt)
    rec.start(0)
    opt.zero_grad()
    out = model(features=x, labels=y)
    out["loss"].backward()
    opt.step()
    row = rec.finish(loss=out["loss"])
    assert row["input_mean"] == pytest.approx(float(x.double().mean()), rel=1e-5)
    assert row["target_max"] == pytest.approx(float(y.max()))
    assert row["pred_min"] == pytest.approx(float(out["logits"].detach().min()))  # not the loss
    assert row["train_loss"] == pytest.approx(float(out["loss"].detach()))


def test_zero_counts_for_negative_valued_activations() -> None:
    # LeakyReLU and GELU outputs can be negative: zeros are exact zeros, not "not positive".
    x = torch.tensor([[-1.0, 0.0, 2.0, -0.0, 3.0, -5.0]])
    for act, expected in ((nn.LeakyReLU(0.1), 2 / 6), (nn.ReLU(), 4 / 6)):
        model = nn.Sequential(nn.Identity(), act)
        model.register_parameter("w", nn.Parameter(torch.ones(())))
        rec = TorchRecorder(model, every=1)
        rec.start(0)
        model(x * model.w).sum().backward()
        row = rec.finish()
        assert row["act_zero_frac/1"] == pytest.approx(expected)


def test_the_weight_snapshot_follows_a_cast_model(tiny) -> None:
    model, opt, x, y = tiny
    rec = TorchRecorder(model, every=1, optimizer=opt)
    _step(model, opt, x, y, rec, 0)
    model.double()  # same Parameter objects, new dtype: the snapshot storage is re-made
    row, _, before = _step(model, opt, x.double(), y, rec, 1)
    after = dict(model.named_parameters())
    delta = _l2([after[n].detach() - before[n] for n in ("fc1.weight", "fc1.bias")])
    old = _l2([before[n] for n in ("fc1.weight", "fc1.bias")])
    assert row["update_ratio/fc1"] == pytest.approx(delta / old, rel=1e-6)
    rec.close()
    assert rec._snap is None  # close() frees it


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_statistics_of_tensors_larger_than_one_chunk(dtype) -> None:
    # 640 x 600 = 384k elements: two chunks of the scratch buffers, and a bfloat16 copy path
    from nn_doctor.record.torch import _CHUNK, tensor_range

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 600), nn.ReLU()).to(dtype)
    x = (torch.randn(640, 4) * 2 + 3).to(dtype)
    with torch.no_grad():
        out = model(x)
    assert out.numel() > _CHUNK
    rec = TorchRecorder(model, every=1)
    rec.start(0, inputs=x)
    model(x).float().sum().backward()
    row = rec.finish()
    ref = out.double()
    rel = 1e-5 if dtype == torch.float32 else 1e-3
    assert row["act_zero_frac/1"] == pytest.approx(float((ref == 0).double().mean()))
    assert row["act_mean/1"] == pytest.approx(float(ref.mean()), rel=rel)
    assert row["act_std/1"] == pytest.approx(float(ref.std(unbiased=False)), rel=rel)
    big = torch.cat([x.reshape(-1).double()] * 120)  # 307k elements
    r = tensor_range("input", big)
    assert r["input_mean"] == pytest.approx(float(big.mean()))
    assert r["input_std"] == pytest.approx(float(big.std(unbiased=False)))
    assert (r["input_min"], r["input_max"]) == (float(big.min()), float(big.max()))
