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
            writer.write(row)

Design choices, and why (``benchmarks/record_overhead.py`` measures the cost):

* **Hooks only on recorded steps.** Forward hooks and gradient hooks are registered by
  :meth:`TorchRecorder.start` and removed by :meth:`TorchRecorder.finish`; an unrecorded step
  costs one modulo and runs the model untouched (no hook left behind, not even an empty one that
  autograd would call into Python for), so ``every=k`` costs 1/k of a recorded step's extra.
* **Gradients before clipping, in one call.** ``grad_norm`` is what the catalog's rules compare
  with a clip value, so it is taken the moment backward has filled ``.grad`` (after gradient
  accumulation, before any clipping). The first parameter whose gradient is accumulated
  (``register_post_accumulate_grad_hook``) queues a callback on the autograd engine
  (``queue_callback``, what DDP uses to finish its reductions) that runs when the backward pass
  ends and takes every parameter's gradient norm in one ``torch._foreach_norm``; the other
  parameters' hooks return at once. Hooks on parameters, not on the model's output, because
  frameworks do not always call the model itself (Lightning calls ``training_step``).
  ``grad_norm_clipped`` is read from ``.grad`` at :meth:`finish`, after the user clipped.
* **One host sync per recorded step.** Every statistic (norms, activation sums, ranges) stays a
  0-d tensor until :meth:`finish`, where all of them are stacked and read with one ``.tolist()``;
  per-layer sums are then plain Python arithmetic on a few dozen floats.
* **Cheap activation statistics.** Mean and variance are two-pass (sum, then the dot product of
  the centred values) in the tensor's precision; zero and saturation counts are float
  reductions (``sign``/``relu`` then ``sum``), several times faster on CPU than a boolean mask
  (``x == 0``) and ``.sum()``. A module output with a NaN makes that call's fractions NaN, like
  its mean. Temporaries go through buffers kept between steps, in chunks of at most 256k
  elements (:class:`_Scratch` says why: freeing large blocks slowed the *next* step down).
* **Nothing grows with run length.** Each recorded step is reduced to a flat ``dict`` of floats
  that the caller writes; the recorder keeps no history. What it holds is fixed in size: one
  copy of the trainable weights (the snapshot the update ratio needs, allocated once and reused),
  scratch buffers of at most 1 MB per device and dtype, and, between :meth:`start` and
  :meth:`finish`, the step's hook handles and 0-d sums. :meth:`close` frees all of it.
* **Model order.** Layers appear in the order the forward pass first calls them (input → output),
  named by module path (``fc1``, ``layers.0``, ``rnn``). The order is learnt on the first
  recorded step that runs the model and reused after, so later steps hook only what they measure.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.autograd.variable import Variable

from nn_doctor.record.torch_config import config_facts

__all__ = ["Row", "TorchRecorder", "activation_kind", "config_facts", "tensor_range"]

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


# Outputs that are never negative: their zero count is just "not positive" (one op fewer).
_NONNEG: tuple[type[nn.Module], ...] = (nn.ReLU, nn.ReLU6)
# |x - 0.5| > this  <=>  x < SIGMOID_LOW or x > SIGMOID_HIGH (the band is symmetric).
_SIGMOID_BAND = (SIGMOID_HIGH - SIGMOID_LOW) / 2
# Precisions whose norms are taken as they are; lower ones are reduced in float32.
_FULL = (torch.float32, torch.float64)
# Keyword arguments of a forward call that hold targets, not inputs (Hugging Face models).
_TARGET_KWARGS = ("labels", "label")


def _tensors_in(obj: Any) -> Iterator[torch.Tensor]:
    """Every tensor in a module output: a tensor, a tuple/list, or a mapping (HF ``ModelOutput``)."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            yield from _tensors_in(item)
    elif isinstance(obj, Mapping):
        for item in obj.values():
            yield from _tensors_in(item)


def _first_tensor(obj: Any) -> torch.Tensor | None:
    """The first tensor in a module output (RNNs return ``(output, h_n)``)."""
    return next(_tensors_in(obj), None)


def _prediction(output: Any) -> torch.Tensor | None:
    """The model's prediction: the first tensor, or ``logits`` (not ``loss``) of a mapping."""
    if isinstance(output, Mapping):
        logits = output.get("logits")
        if isinstance(logits, torch.Tensor):
            return logits
        return _first_tensor([v for k, v in output.items() if k != "loss"])
    return _first_tensor(output)


def _norm_tensors(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """L2 norm of each tensor as a 0-d tensor, in one fused call when the tensors allow it."""
    if not tensors:
        return []
    if not any(t.is_sparse for t in tensors):
        dtypes = {t.dtype for t in tensors}
        if dtypes <= set(_FULL):
            return list(torch._foreach_norm(tensors))
        if len(dtypes) == 1:  # all float16 or all bfloat16: reduce in float32 (no overflow)
            return list(torch._foreach_norm(tensors, 2, dtype=torch.float32))
    out = []
    for t in tensors:
        v = t.coalesce().values() if t.is_sparse else t
        out.append(torch.linalg.vector_norm(v, dtype=None if v.dtype in _FULL else torch.float32))
    return out


def _to_host(values: list[torch.Tensor]) -> list[float]:
    """0-d tensors to Python floats with one sync per device (one ``stack().tolist()``)."""
    if not values:
        return []
    device = values[0].device
    if all(v.device == device for v in values):
        return torch.stack(values).tolist()
    out = [math.nan] * len(values)
    by_device: dict[torch.device, list[int]] = {}
    for i, v in enumerate(values):
        by_device.setdefault(v.device, []).append(i)
    for idx in by_device.values():
        for i, x in zip(idx, torch.stack([values[i] for i in idx]).tolist(), strict=True):
            out[i] = x
    return out


#: Elementwise work is done in chunks of at most this many elements (1 MB of float32).
_CHUNK = 1 << 18


class _Scratch:
    """Buffers for the statistics' elementwise temporaries, kept from one recorded step to the next.

    Why: computed naively, a recorded step allocates and frees a full-size temporary per hooked
    activation (the centred values, the signs). glibc hands blocks that large back to the OS when
    they are freed, so the *next*, unrecorded step page-faults its own activations back in: on
    the benchmark's CNN that step ran ~30 % slower than a plain one, an overhead that no timing
    of the recorded step shows. Tensors are walked in chunks of at most :data:`_CHUNK` elements
    through these buffers (at most 1 MB each, one per device, dtype and use).
    """

    def __init__(self) -> None:
        self._bufs: dict[tuple[torch.device, torch.dtype, int], torch.Tensor] = {}

    def get(
        self, like: torch.Tensor, slot: int = 0, dtype: torch.dtype | None = None
    ) -> torch.Tensor:
        """A 1-D buffer of ``like.numel()`` elements on ``like``'s device (``dtype`` or its own)."""
        n = like.numel()
        key = (like.device, dtype or like.dtype, slot)
        buf = self._bufs.get(key)
        if buf is None or buf.numel() < n:
            buf = self._bufs[key] = torch.empty(n, dtype=key[1], device=like.device)
        return buf[:n]

    def clear(self) -> None:
        self._bufs.clear()


def _float_chunks(flat: torch.Tensor, scratch: _Scratch) -> Iterator[torch.Tensor]:
    """``flat`` in views of at most :data:`_CHUNK` elements, as float32/float64 (half → float)."""
    for i in range(0, flat.numel(), _CHUNK):
        part = flat[i : i + _CHUNK]
        if part.dtype not in _FULL:
            part = scratch.get(part, slot=1, dtype=torch.float32).copy_(part)
        yield part


def _total(parts: list[torch.Tensor]) -> torch.Tensor:
    return parts[0] if len(parts) == 1 else torch.stack(parts).sum()


def _moments(
    x: torch.Tensor, scratch: _Scratch, special: str | None = None, *, nonneg: bool = False
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, int] | None:
    """Sum, sum of squared deviations from the mean, and a count, as 0-d tensors, and ``numel``.

    ``None`` for integer (labels, token ids) and empty tensors. The count is of ``special``
    elements: non-zero ones (``"zero"``: sign is 0 exactly at 0; for ``nonneg`` outputs the sign
    is the indicator itself), or saturated ones (``"sigmoid"``: ``|x - 0.5| > 0.49``; ``"tanh"``:
    ``|x| > 0.99``) by ``relu`` + ``sign``: float reductions, several times faster on CPU than a
    boolean mask and ``.sum()``. Two-pass in the tensor's precision: not ``torch.var_mean`` (on
    one CPU thread ~10x slower than sum + dot), and not ``E[x²] - E[x]²`` (it cancels
    catastrophically for a saturated layer, mean ≫ std).
    """
    x = x.detach()
    if not x.is_floating_point() or x.numel() == 0:
        return None
    flat = x.reshape(-1)
    n = flat.numel()
    s = _total([part.sum() for part in _float_chunks(flat, scratch)])
    mean = s / n
    sq: list[torch.Tensor] = []
    counts: list[torch.Tensor] = []
    for part in _float_chunks(flat, scratch):
        buf = scratch.get(part)
        torch.sub(part, mean, out=buf)
        sq.append(torch.dot(buf, buf))
        if special == "zero":
            torch.sign(part, out=buf)
            counts.append(buf.sum() if nonneg else buf.abs_().sum())
        elif special == "sigmoid":
            torch.sub(part, 0.5, out=buf)
            counts.append(buf.abs_().sub_(_SIGMOID_BAND).relu_().sign_().sum())
        elif special == "tanh":
            torch.abs(part, out=buf)
            counts.append(buf.sub_(TANH_BOUND).relu_().sign_().sum())
    return s, _total(sq), _total(counts) if counts else None, n


@dataclass
class _ActAccumulator:
    """Sums over every call of one module in a step (a module may run several times).

    Sums stay tensors until the row is built, so a hooked forward pass never waits on the host.
    """

    kind: str | None
    scratch: _Scratch
    nonneg: bool = False  # outputs are never negative (ReLU): zeros are "not positive"
    parts: list[torch.Tensor] = field(default_factory=list)  # per call: sum, sq dev, special
    counts: list[int] = field(default_factory=list)  # per call: number of elements

    def add(self, x: torch.Tensor) -> None:
        m = _moments(x, self.scratch, self.kind, nonneg=self.nonneg)
        if m is None:
            return
        s, q, special, n = m
        # no special count for this kind: the sum stands in, so that each call has 3 parts
        self.parts.extend((s, q, s if special is None else special))
        self.counts.append(n)

    def stats(self, layer: str, values: list[float]) -> Row:
        """The row entries, from :attr:`parts` read back to the host as ``values``."""
        if not self.counts:
            return {}
        calls = [values[i : i + 3] for i in range(0, len(values), 3)]
        n = sum(self.counts)
        mean = sum(s for s, _, _ in calls) / n
        if math.isfinite(mean):
            dev = sum(
                q + c * (s / c - mean) ** 2 for c, (s, q, _) in zip(self.counts, calls, strict=True)
            )
            std = math.sqrt(max(dev / n, 0.0))
        else:
            std = math.nan
        out: Row = {f"act_mean/{layer}": mean, f"act_std/{layer}": std}
        special = sum(x for _, _, x in calls)
        if self.kind == "zero":
            out[f"act_zero_frac/{layer}"] = (n - special) / n
        elif self.kind in ("sigmoid", "tanh"):
            out[f"act_sat_frac/{layer}"] = special / n
        return out


def _range_parts(x: torch.Tensor, scratch: _Scratch) -> tuple[list[torch.Tensor], int] | None:
    """``[sum, sq dev, min, max]`` tensors and the element count (``None`` for integers)."""
    m = _moments(x, scratch)
    if m is None:
        return None
    s, q, _, n = m
    pairs = [torch.aminmax(p) for p in x.detach().reshape(-1).split(_CHUNK)]
    if len(pairs) == 1:
        lo, hi = pairs[0]
    else:
        lo = torch.stack([a for a, _ in pairs]).min()
        hi = torch.stack([b for _, b in pairs]).max()
    return [s, q, lo, hi], n


def _range_row(prefix: str, values: list[float], n: int) -> Row:
    s, q, lo, hi = values
    var = q / n
    return {
        f"{prefix}_mean": s / n,
        f"{prefix}_std": math.sqrt(var) if var >= 0 else math.nan,
        f"{prefix}_min": lo,
        f"{prefix}_max": hi,
    }


def tensor_range(prefix: str, x: torch.Tensor) -> Row:
    """``<prefix>_mean/std/min/max`` of a floating tensor ({} for integer labels or token ids).

    Integer tensors are class indices or tokens: their "range" says nothing about scaling and
    would make a rule think targets are unnormalized, so they are not reported.
    """
    parts = _range_parts(x, _Scratch())
    if parts is None:
        return {}
    return _range_row(prefix, _to_host(parts[0]), parts[1])


@dataclass
class _StepState:
    """What one recorded step collects between :meth:`start` and :meth:`finish`."""

    step: int
    lr: float | None
    handles: list[Any] = field(default_factory=list)
    olds: list[torch.Tensor] = field(default_factory=list)  # weight snapshot, like _params
    acts: dict[str, _ActAccumulator] = field(default_factory=dict)  # in first-call order
    seen: dict[str, None] | None = None  # layers in call order, while the order is being learnt
    grads: tuple[list[int], list[torch.Tensor]] | None = None  # (param index, ‖g‖), pre-clip
    queued: bool = False  # an end-of-backward callback is pending
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
        self._layer_modules: dict[str, nn.Module] = {}
        self._layers = self._find_layers(model)
        # Parameters flat, in layer registration order; each layer's indices into that list.
        self._params: list[torch.Tensor] = [p for ps in self._layers.values() for p in ps]
        self._index: dict[str, list[int]] = {}
        for name, ps in self._layers.items():
            first = sum(len(v) for v in self._index.values())
            self._index[name] = list(range(first, first + len(ps)))
        self._act_modules = self._find_activation_modules(model, activations)
        self._order: list[str] | None = None  # layers in call order, once learnt
        self._snap: list[torch.Tensor] | None = None  # the weight snapshot's storage
        self._scratch = _Scratch()  # temporaries of the statistics, reused
        self._state: _StepState | None = None

    # -- discovery -------------------------------------------------------------------------
    def _find_layers(self, model: nn.Module) -> dict[str, list[nn.Parameter]]:
        """Modules that own trainable parameters directly, by module path.

        A root module holding parameters itself is named after its class (it has no path).
        """
        layers: dict[str, list[nn.Parameter]] = {}
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
        if mode == "auto":
            acts = {n: m for n, m in model.named_modules() if n and activation_kind(m) is not None}
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
        argument (or first keyword tensor), caught by a pre-forward hook; ``targets`` default to
        a ``labels=`` keyword argument (Hugging Face models).
        """
        if self._state is not None:
            self._remove_hooks()
            self._state = None
        if step % self.every:
            return False
        lr = float(self.optimizer.param_groups[0]["lr"]) if self.optimizer is not None else None
        st = _StepState(step=step, lr=lr, inputs=inputs, targets=targets)
        self._state = st
        with torch.no_grad():
            st.olds = self._snapshot()
        if self._order is None:
            st.seen = {}
            for name, module in self._layer_modules.items():
                st.handles.append(module.register_forward_hook(self._order_hook(name)))
        for name, module in self._act_modules.items():
            st.handles.append(module.register_forward_hook(self._act_hook(name, module)))
        st.handles.append(self.model.register_forward_pre_hook(self._input_hook, with_kwargs=True))
        st.handles.append(self.model.register_forward_hook(self._output_hook))
        for p in self._params:
            st.handles.append(p.register_post_accumulate_grad_hook(self._grad_ready))
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
        if st is None:
            return None
        self._remove_hooks()
        self._state = None
        if preds is not None:
            st.preds = preds
        if targets is not None:
            st.targets = targets
        with torch.no_grad():
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
            self.close()
            raise
        out["row"] = self.finish()

    def close(self) -> None:
        """Remove any hooks left armed (e.g. after an exception inside a step); free storage."""
        self._remove_hooks()
        self._state = None
        self._snap = None
        self._scratch.clear()

    def _snapshot(self) -> list[torch.Tensor]:
        """The weights as they are now, copied into storage allocated once and reused.

        A fresh clone per recorded step cost more than the copy itself (page faults on every
        allocation of a large block); the storage is one copy of the trainable weights, the
        memory a clone needed at every recorded step anyway, and :meth:`close` frees it.
        """
        params = [p.detach() for p in self._params]
        buf = self._snap
        if buf is None or any(
            b.shape != p.shape or b.dtype != p.dtype or b.device != p.device
            for b, p in zip(buf, params, strict=True)
        ):  # first use, or the model was moved or cast since
            buf = self._snap = [torch.empty_like(p) for p in params]
        torch._foreach_copy_(buf, params)
        return buf

    # -- hooks -----------------------------------------------------------------------------
    def _remove_hooks(self) -> None:
        if self._state is not None:
            for h in self._state.handles:
                h.remove()
            self._state.handles.clear()

    def _order_hook(self, name: str) -> Any:
        def hook(module: nn.Module, args: Any, output: Any) -> None:
            st = self._state
            if st is not None and st.seen is not None:
                st.seen.setdefault(name)

        return hook

    def _act_hook(self, name: str, module: nn.Module) -> Any:
        kind = activation_kind(module)
        nonneg = isinstance(module, _NONNEG)

        def hook(module: nn.Module, args: Any, output: Any) -> None:
            st = self._state
            t = _first_tensor(output)
            if st is None or t is None:
                return
            acc = st.acts.get(name)
            if acc is None:
                acc = st.acts[name] = _ActAccumulator(kind, self._scratch, nonneg)
            acc.add(t)

        return hook

    def _input_hook(self, module: nn.Module, args: Any, kwargs: dict[str, Any]) -> None:
        st = self._state
        if st is None:
            return
        if st.inputs is None:
            st.inputs = _first_tensor(args)
            if st.inputs is None:
                st.inputs = _first_tensor([v for k, v in kwargs.items() if k not in _TARGET_KWARGS])
        if st.targets is None:
            label = next((kwargs[k] for k in _TARGET_KWARGS if k in kwargs), None)
            if isinstance(label, torch.Tensor):
                st.targets = label

    def _output_hook(self, module: nn.Module, args: Any, output: Any) -> None:
        st = self._state
        if st is not None and st.preds is None:
            st.preds = _prediction(output)

    def _grad_ready(self, p: torch.Tensor) -> None:
        st = self._state
        if st is not None and not st.queued:
            st.queued = True
            Variable._execution_engine.queue_callback(self._take_grad_norms)

    def _take_grad_norms(self) -> None:
        """At the end of a backward pass: every gradient's norm (accumulated, not yet clipped).

        With gradient accumulation each backward pass overwrites the last: the one before the
        optimizer step holds the accumulated gradient.
        """
        st = self._state
        if st is None:
            return
        st.queued = False
        with torch.no_grad():
            st.grads = self._current_grads()

    # -- the row ---------------------------------------------------------------------------
    def _current_grads(self) -> tuple[list[int], list[torch.Tensor]]:
        """Norms of ``.grad`` as it is now, with the indices of the parameters that have one."""
        idx: list[int] = []
        grads: list[torch.Tensor] = []
        for i, p in enumerate(self._params):
            if p.grad is not None:
                idx.append(i)
                grads.append(p.grad.detach())
        return idx, _norm_tensors(grads)

    def _layer_order(self, st: _StepState) -> list[str]:
        if self._order is not None:
            return self._order
        seen = list(st.seen or ())
        order = seen + [n for n in self._layers if n not in seen]
        if seen:  # learnt: later steps skip the order hooks
            self._order = order
        return order

    def _build_row(self, st: _StepState, loss: torch.Tensor | float | None) -> Row:
        """Every statistic of the step, read from the device in one go, then laid out in order."""
        weights = [p.detach() for p in self._params]
        values: list[torch.Tensor] = []

        def put(tensors: list[torch.Tensor]) -> int:
            values.extend(tensors)
            return len(values) - len(tensors)

        at_w = put(_norm_tensors(weights))
        at_old = put(_norm_tensors(st.olds))
        torch._foreach_sub_(st.olds, weights)  # the snapshot becomes -ΔW (same norm)
        at_delta = put(_norm_tensors(st.olds))
        st.olds = []
        # No gradient callback ran (no backward, or gradients set by hand): read .grad now.
        g_idx, g_norms = st.grads if st.grads is not None else self._current_grads()
        at_g = put(g_norms)
        clipped: tuple[list[int], int] | None = None
        if self.grad_clip is not None:
            c_idx, c_norms = self._current_grads()
            clipped = (c_idx, put(c_norms))
        at_act = {name: put(acc.parts) for name, acc in st.acts.items()}
        ranges: list[tuple[str, int, int]] = []
        for prefix, tensor in (("input", st.inputs), ("target", st.targets), ("pred", st.preds)):
            parts = _range_parts(tensor, self._scratch) if tensor is not None else None
            if parts is not None:
                ranges.append((prefix, put(parts[0]), parts[1]))
        if isinstance(loss, torch.Tensor):
            at_loss: int | None = put([loss.detach().reshape(())])
        else:
            at_loss = None
        host = _to_host(values)  # the one sync

        row: Row = {"step": float(st.step)}
        if at_loss is not None:
            row["train_loss"] = host[at_loss]
        elif loss is not None:
            row["train_loss"] = float(loss)
        if st.lr is not None:
            row["lr"] = st.lr
        n = len(self._params)
        w_sq = [x * x for x in host[at_w : at_w + n]]
        o_sq = [x * x for x in host[at_old : at_old + n]]
        d_sq = [x * x for x in host[at_delta : at_delta + n]]
        g_sq = {i: host[at_g + k] ** 2 for k, i in enumerate(g_idx)}
        if g_sq:
            row["grad_norm"] = math.sqrt(sum(g_sq.values()))
        if clipped is not None and clipped[0]:
            c_idx, at_c = clipped
            row["grad_norm_clipped"] = math.sqrt(
                sum(host[at_c + k] ** 2 for k in range(len(c_idx)))
            )
        order = self._layer_order(st)
        for name in order:
            got = [g_sq[i] for i in self._index[name] if i in g_sq]
            if got:
                row[f"grad_norm/{name}"] = math.sqrt(sum(got))
        row["weight_norm"] = math.sqrt(sum(w_sq))
        for name in order:
            row[f"weight_norm/{name}"] = math.sqrt(sum(w_sq[i] for i in self._index[name]))
        for name in order:
            old = sum(o_sq[i] for i in self._index[name])
            if old > 0:  # ‖ΔW‖/‖W‖ is undefined for an all-zero layer: not reported
                delta = sum(d_sq[i] for i in self._index[name])
                row[f"update_ratio/{name}"] = math.sqrt(delta / old)
        for name, acc in st.acts.items():
            at = at_act[name]
            row.update(acc.stats(name, host[at : at + len(acc.parts)]))
        for prefix, at, count in ranges:
            row.update(_range_row(prefix, host[at : at + 4], count))
        return row
