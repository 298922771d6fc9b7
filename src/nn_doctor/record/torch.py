"""The PyTorch recorder: per-layer gradient, weight, update and activation statistics.

Usage, around an ordinary training step::

    rec = TorchRecorder(model, every=10, optimizer=opt)
    for step, (x, y) in enumerate(loader):
        rec.start(step, inputs=x, targets=y)  # arms hooks only on recorded steps
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # optional
        opt.step()
        row = rec.finish(loss=loss)  # a dict of canonical names, or None
        if row:
            writer.write(step, row)

Design choices, and why:

* **Hooks only on recorded steps.** Forward hooks and gradient hooks are registered by
  :meth:`TorchRecorder.start` and removed by :meth:`TorchRecorder.finish`; unrecorded steps run
  the model untouched, so ``every=k`` costs about 1/k of the statistics.
* **Gradients before clipping.** ``grad_norm`` is what the catalog's rules compare with a clip
  value, so it is taken by ``register_post_accumulate_grad_hook`` the moment backward has filled
  ``.grad`` (after gradient accumulation, before any clipping). ``grad_norm_clipped`` is read from
  ``.grad`` at :meth:`finish`, after the user clipped.
* **Nothing grows with run length.** Each recorded step is reduced to a flat ``dict`` of floats
  that the caller writes; the recorder keeps no history.
* **Model order.** Layers appear in the order the forward pass first calls them (input → output),
  named by module path (``fc1``, ``layers.0``, ``rnn``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from nn_doctor.record.torch_config import config_facts

__all__ = ["Row", "TorchRecorder", "config_facts"]

#: One recorded step: canonical signal name -> value, plus ``"step"``.
Row = dict[str, float]

# ReLU family: "dead" means exact zeros, so the zero fraction is the statistic (CATALOG dead_relu).
_ZERO_FAMILY: tuple[type[nn.Module], ...] = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.RReLU,
    nn.ELU,
    nn.CELU,
    nn.SELU,
    nn.GELU,
    nn.SiLU,
    nn.Hardswish,
    nn.Mish,
    nn.Threshold,
)
# Bounded activations saturate; outputs near the bounds pass almost no gradient.
_SIGMOID_FAMILY: tuple[type[nn.Module], ...] = (nn.Sigmoid, nn.Hardsigmoid)
_TANH_FAMILY: tuple[type[nn.Module], ...] = (nn.Tanh, nn.Hardtanh, nn.Softsign)
_RNN_TYPES: tuple[type[nn.Module], ...] = (nn.RNN, nn.LSTM, nn.GRU)

SIGMOID_LOW, SIGMOID_HIGH = 0.01, 0.99
TANH_BOUND = 0.99


def activation_kind(module: nn.Module) -> str | None:
    """Classify a module's output for activation statistics: ``zero``, ``sigmoid``, ``tanh``.

    Recurrent layers count by their nonlinearity: an ``nn.RNN(nonlinearity='relu')`` can die
    like a ReLU, while tanh RNNs, LSTMs and GRUs emit bounded states that saturate.
    """
    if isinstance(module, _ZERO_FAMILY):
        return "zero"
    if isinstance(module, _SIGMOID_FAMILY):
        return "sigmoid"
    if isinstance(module, _TANH_FAMILY):
        return "tanh"
    if isinstance(module, nn.RNN):
        return "zero" if module.nonlinearity == "relu" else "tanh"
    if isinstance(module, _RNN_TYPES):
        return "tanh"
    return None


def _first_tensor(obj: Any) -> torch.Tensor | None:
    """The first tensor in a module output (RNNs return ``(output, h_n)``)."""
    if isinstance(obj, torch.Tensor):
        return obj
    if isinstance(obj, (tuple, list)):
        for item in obj:
            t = _first_tensor(item)
            if t is not None:
                return t
    return None


def _norms(tensors: list[torch.Tensor]) -> list[float]:
    """L2 norm of each tensor, in one fused call and one host sync (cheap for many layers)."""
    if not tensors:
        return []
    foreach = getattr(torch, "_foreach_norm", None)
    norms = (
        foreach(tensors) if foreach is not None else [torch.linalg.vector_norm(t) for t in tensors]
    )
    return torch.stack([n.double() for n in norms]).tolist()


@dataclass
class _ActAccumulator:
    """Running sums over every call of one module in a step (a module may run several times).

    Sums stay tensors until :meth:`stats`, so a hooked forward pass never waits on the host.
    """

    kind: str | None
    parts: list[torch.Tensor] = field(default_factory=list)  # per call: [mean, var, special]
    counts: list[float] = field(default_factory=list)  # per call: number of elements

    def add(self, x: torch.Tensor) -> None:
        # Two-pass mean/variance in the tensor's own precision (stable, and no float64 copy of
        # the activation); calls are pooled on the host with the parallel-variance formula.
        # Not torch.var_mean: on one CPU thread it is ~20x slower than sum + dot, and it was
        # most of a recorded step's cost on a small CNN (benchmarks/record_overhead.py).
        x = x.detach()
        if not x.is_floating_point() or x.numel() == 0:
            return
        flat = (x if x.dtype in (torch.float32, torch.float64) else x.float()).reshape(-1)
        mean = flat.sum() / flat.numel()
        centered = flat - mean
        var = torch.dot(centered, centered) / flat.numel()
        if self.kind == "zero":
            special = (x == 0).sum(dtype=torch.int32)
        elif self.kind == "sigmoid":
            special = ((x < SIGMOID_LOW) | (x > SIGMOID_HIGH)).sum()
        elif self.kind == "tanh":
            special = (x.abs() > TANH_BOUND).sum()
        else:
            special = torch.zeros((), dtype=torch.int64)
        self.parts.append(torch.stack([mean.double(), var.double(), special.double()]))
        self.counts.append(float(x.numel()))

    def stats(self, layer: str) -> Row:
        if not self.parts:
            return {}
        calls = torch.stack(self.parts).tolist()
        n = sum(self.counts)
        mean = sum(c * m for c, (m, _, _) in zip(self.counts, calls, strict=True)) / n
        special = sum(s for _, _, s in calls)
        if math.isfinite(mean):
            var = sum(
                c * (v + (m - mean) ** 2) for c, (m, v, _) in zip(self.counts, calls, strict=True)
            )
            var = max(var / n, 0.0)
        else:
            var = math.nan
        out: Row = {f"act_mean/{layer}": mean, f"act_std/{layer}": math.sqrt(var)}
        if self.kind == "zero":
            out[f"act_zero_frac/{layer}"] = special / n
        elif self.kind in ("sigmoid", "tanh"):
            out[f"act_sat_frac/{layer}"] = special / n
        return out


def tensor_range(prefix: str, x: torch.Tensor) -> Row:
    """``<prefix>_mean/std/min/max`` of a floating tensor ({} for integer labels or token ids).

    Integer tensors are class indices or tokens: their "range" says nothing about scaling and
    would make a rule think targets are unnormalized, so they are not reported.
    """
    x = x.detach()
    if not x.is_floating_point() or x.numel() == 0:
        return {}
    flat = (x if x.dtype in (torch.float32, torch.float64) else x.float()).reshape(-1)
    mean = flat.sum() / flat.numel()
    centered = flat - mean
    var = torch.dot(centered, centered) / flat.numel()  # two-pass: stable (not var_mean: slow)
    lo, hi = torch.aminmax(flat)
    m, v, a, b = torch.stack([mean, var, lo, hi]).double().tolist()  # one host sync
    return {
        f"{prefix}_mean": m,
        f"{prefix}_std": math.sqrt(v) if v >= 0 else math.nan,
        f"{prefix}_min": a,
        f"{prefix}_max": b,
    }


@dataclass
class _StepState:
    """What one recorded step collects between :meth:`start` and :meth:`finish`."""

    step: int
    lr: float | None
    handles: list[Any] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # layers and activation modules, call order
    acts: dict[str, _ActAccumulator] = field(default_factory=dict)
    grad_norms: dict[int, torch.Tensor] = field(default_factory=dict)  # id(p) -> ‖g‖, pre-clip
    before: dict[str, list[torch.Tensor]] = field(default_factory=dict)
    inputs: torch.Tensor | None = None
    targets: torch.Tensor | None = None
    preds: torch.Tensor | None = None


class TorchRecorder:
    """Compute nn-doctor's per-step signals for a ``torch.nn.Module`` every ``every`` steps.

    :param model: the module being trained.
    :param every: record steps whose index is a multiple of this.
    :param optimizer: read ``lr`` from its first param group (DECISIONS §3: ``lr`` is the first).
    :param grad_clip: the clip value, when clipping is used; then ``grad_norm_clipped`` is written.
    :param activations: ``"auto"`` hooks activation modules (ReLU, Sigmoid, Tanh, RNNs …), or the
        parametric layers' outputs when the model has no activation modules (functional
        activations); ``"layers"`` always hooks the parametric layers; ``"none"`` skips them.

    One activation *module* reused at several places (``self.relu`` called after every layer)
    is one series: its statistics pool every call. Give each layer its own activation module
    for per-layer dead-unit and saturation fractions.
    """

    def __init__(
        self,
        model: nn.Module,
        every: int = 1,
        *,
        optimizer: torch.optim.Optimizer | None = None,
        grad_clip: float | None = None,
        activations: str = "auto",
    ) -> None:
        if every < 1:
            raise ValueError("every must be >= 1")
        if activations not in ("auto", "layers", "none"):
            raise ValueError("activations must be 'auto', 'layers' or 'none'")
        self.model = model
        self.every = every
        self.optimizer = optimizer
        self.grad_clip = grad_clip
        self._layers = self._find_layers(model)
        self._act_modules = self._find_activation_modules(model, activations)
        self._state: _StepState | None = None

    # -- discovery -------------------------------------------------------------------------
    def _find_layers(self, model: nn.Module) -> dict[str, list[nn.Parameter]]:
        """Modules that own trainable parameters directly, by module path.

        A root module holding parameters itself is named after its class (it has no path).
        """
        layers: dict[str, list[nn.Parameter]] = {}
        self._layer_modules: dict[str, nn.Module] = {}
        for name, module in model.named_modules():
            params = [p for p in module.parameters(recurse=False) if p.requires_grad]
            if params:
                key = name or type(module).__name__.lower()
                layers[key] = params
                self._layer_modules[key] = module
        return layers

    def _find_activation_modules(self, model: nn.Module, mode: str) -> dict[str, nn.Module]:
        if mode == "none":
            return {}
        named = dict(model.named_modules())
        if mode == "auto":
            acts = {n: m for n, m in named.items() if n and activation_kind(m) is not None}
            if acts:
                return acts
        return dict(self._layer_modules)

    @property
    def layer_names(self) -> list[str]:
        """Parametric layers by module path, in registration order (call order is in the rows)."""
        return list(self._layers)

    # -- the step protocol -----------------------------------------------------------------
    def will_record(self, step: int) -> bool:
        """Whether ``step`` is one this recorder records."""
        return step % self.every == 0

    def start(
        self,
        step: int,
        *,
        inputs: torch.Tensor | None = None,
        targets: torch.Tensor | None = None,
    ) -> bool:
        """Arm the hooks for ``step`` if it is recorded; return whether it is.

        Call before the forward pass. ``inputs`` default to the model's first positional
        argument, caught by a pre-forward hook.
        """
        self._remove_hooks()
        if not self.will_record(step):
            self._state = None
            return False
        lr = float(self.optimizer.param_groups[0]["lr"]) if self.optimizer is not None else None
        st = _StepState(step=step, lr=lr, inputs=inputs, targets=targets)
        self._state = st
        with torch.no_grad():
            st.before = {n: [p.detach().clone() for p in ps] for n, ps in self._layers.items()}
        for name, module in self._layer_modules.items():
            st.handles.append(module.register_forward_hook(self._order_hook(name)))
        for name, module in self._act_modules.items():
            st.acts[name] = _ActAccumulator(activation_kind(module))
            st.handles.append(module.register_forward_hook(self._act_hook(name)))
        st.handles.append(self.model.register_forward_pre_hook(self._input_hook))
        st.handles.append(self.model.register_forward_hook(self._output_hook))
        for params in self._layers.values():
            for p in params:
                st.handles.append(p.register_post_accumulate_grad_hook(self._grad_hook))
        return True

    def finish(
        self,
        *,
        loss: torch.Tensor | float | None = None,
        preds: torch.Tensor | None = None,
        targets: torch.Tensor | None = None,
    ) -> Row | None:
        """Remove the hooks and return the recorded step's row (``None`` on other steps).

        Call right after ``optimizer.step()`` (before gradients are zeroed), so that the update
        ratio sees the new weights and ``grad_norm_clipped`` the clipped gradients.
        """
        st = self._state
        self._remove_hooks()
        self._state = None
        if st is None:
            return None
        if preds is not None:
            st.preds = preds
        if targets is not None:
            st.targets = targets
        return self._build_row(st, loss)

    @contextmanager
    def record(
        self,
        step: int,
        *,
        inputs: torch.Tensor | None = None,
        targets: torch.Tensor | None = None,
    ) -> Iterator[dict[str, Row | None]]:
        """Context-manager form: ``with rec.record(i) as out: ...``; ``out["row"]`` after it."""
        out: dict[str, Row | None] = {"row": None}
        self.start(step, inputs=inputs, targets=targets)
        try:
            yield out
        except BaseException:
            self._remove_hooks()
            self._state = None
            raise
        out["row"] = self.finish()

    def close(self) -> None:
        """Remove any hooks left armed (e.g. after an exception inside a step)."""
        self._remove_hooks()
        self._state = None

    # -- hooks -----------------------------------------------------------------------------
    def _remove_hooks(self) -> None:
        if self._state is not None:
            for h in self._state.handles:
                h.remove()
            self._state.handles.clear()

    def _note(self, name: str) -> None:
        st = self._state
        if st is not None and name not in st.order:
            st.order.append(name)

    def _order_hook(self, name: str) -> Any:
        def hook(module: nn.Module, args: Any, output: Any) -> None:
            self._note(name)

        return hook

    def _act_hook(self, name: str) -> Any:
        def hook(module: nn.Module, args: Any, output: Any) -> None:
            st = self._state
            t = _first_tensor(output)
            if st is None or t is None:
                return
            self._note(name)
            st.acts[name].add(t)

        return hook

    def _input_hook(self, module: nn.Module, args: Any) -> None:
        st = self._state
        if st is not None and st.inputs is None:
            st.inputs = _first_tensor(args)

    def _output_hook(self, module: nn.Module, args: Any, output: Any) -> None:
        st = self._state
        if st is not None and st.preds is None:
            st.preds = _first_tensor(output)

    def _grad_hook(self, p: torch.Tensor) -> None:
        st = self._state
        if st is not None and p.grad is not None:
            st.grad_norms[id(p)] = torch.linalg.vector_norm(p.grad.detach())

    # -- the row ---------------------------------------------------------------------------
    def _current_grad_norm(self) -> float | None:
        """Global L2 norm of ``.grad`` as it is now (after any clipping), None without grads."""
        grads = [p.grad.detach() for ps in self._layers.values() for p in ps if p.grad is not None]
        return math.sqrt(sum(g * g for g in _norms(grads))) if grads else None

    def _layer_stats(self, st: _StepState, layer_order: list[str], row: Row) -> None:
        """Per-layer gradient norm, weight norm and update ratio, in model order.

        All norms of a step are computed in a few fused calls: with one call per tensor, a
        30-layer net would spend more time in the recorder than in training.
        """
        owners = [name for name in layer_order for _ in self._layers[name]]
        params = [p for name in layer_order for p in self._layers[name]]
        weights = [p.detach() for p in params]
        olds = [old for name in layer_order for old in st.before[name]]
        deltas = [w - o for w, o in zip(weights, olds, strict=True)]
        w_sq = [x * x for x in _norms(weights)]
        o_sq = [x * x for x in _norms(olds)]
        d_sq = [x * x for x in _norms(deltas)]
        hooked = [i for i, p in enumerate(params) if id(p) in st.grad_norms]
        g_vals: list[float] = (
            []
            if not hooked
            else torch.stack([st.grad_norms[id(params[i])] for i in hooked]).double().tolist()
        )
        g_sq = dict(zip(hooked, (g * g for g in g_vals), strict=True))

        row["weight_norm"] = math.sqrt(sum(w_sq))
        sums: dict[str, list[float]] = {name: [0.0, 0.0, 0.0, 0.0, 0.0] for name in layer_order}
        for i, name in enumerate(owners):
            acc = sums[name]
            acc[0] += w_sq[i]
            acc[1] += o_sq[i]
            acc[2] += d_sq[i]
            if i in g_sq:
                acc[3] += g_sq[i]
                acc[4] = 1.0
        for name in layer_order:
            if sums[name][4]:
                row[f"grad_norm/{name}"] = math.sqrt(sums[name][3])
        for name in layer_order:
            row[f"weight_norm/{name}"] = math.sqrt(sums[name][0])
        for name in layer_order:
            old, delta = sums[name][1], sums[name][2]
            if old > 0:  # ‖ΔW‖/‖W‖ is undefined for an all-zero layer: not reported
                row[f"update_ratio/{name}"] = math.sqrt(delta / old)

    def _build_row(self, st: _StepState, loss: torch.Tensor | float | None) -> Row:
        row: Row = {"step": float(st.step)}
        if loss is not None:
            row["train_loss"] = float(loss.detach() if isinstance(loss, torch.Tensor) else loss)
        if st.lr is not None:
            row["lr"] = st.lr
        layer_order = [n for n in st.order if n in self._layers]
        layer_order += [n for n in self._layers if n not in layer_order]
        act_order = [n for n in st.order if n in st.acts]

        if st.grad_norms:
            row["grad_norm"] = math.sqrt(
                sum(float(g) ** 2 for g in torch.stack(list(st.grad_norms.values())).tolist())
            )
        else:  # no hook fired (e.g. gradients set by hand): read .grad as it is now
            current = self._current_grad_norm()
            if current is not None:
                row["grad_norm"] = current
        if self.grad_clip is not None:
            clipped = self._current_grad_norm()
            if clipped is not None:
                row["grad_norm_clipped"] = clipped
        with torch.no_grad():
            self._layer_stats(st, layer_order, row)
        for name in act_order:
            row.update(st.acts[name].stats(name))
        for prefix, tensor in (("input", st.inputs), ("target", st.targets), ("pred", st.preds)):
            if tensor is not None:
                row.update(tensor_range(prefix, tensor))
        return row
