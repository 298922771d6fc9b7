"""Extra checks for the activation/gradient/init/capacity rules (scale-free pair statistics)."""

from __future__ import annotations

import math
import re

import numpy as np

from nn_doctor.checks import Inputs, Outcome, check
from nn_doctor.checks._util import EPS, finite_values, window_len
from nn_doctor.layer_order import embedding_table, output_side

_NUM = (int, float)


@check(
    "pair_ratio",
    kind="pair",
    measures=("ratio",),
    defaults={"window": "late", "frac": 0.3, "min": -math.inf, "max": math.inf},
    window=str,
    frac=_NUM,
    min=_NUM,
    max=_NUM,
)
def pair_ratio(x: Inputs, *, window: str, frac: float, min: float, max: float) -> Outcome | None:
    """|series| / |other|, each as its median over an early or late window, within [min, max].

    Scale-free: ``pred_std / target_std`` near 0 means the model outputs a constant whatever the
    units of the targets.
    """
    assert x.series is not None and x.other is not None
    if window not in ("early", "late", "all"):
        raise ValueError(f"window must be early, late or all, not {window!r}")
    sa, a = finite_values(x.series)
    _, b = finite_values(x.other)
    if len(a) < 2 or len(b) < 1:
        return None

    def med(v: np.ndarray) -> float:
        w = window_len(len(v), frac, 1)
        part = {"early": v[:w], "late": v[-w:], "all": v}[window]
        return float(np.median(np.abs(part)))

    ratio = med(a) / (med(b) if med(b) > EPS else EPS)
    w = window_len(len(a), frac, 1)
    step = int(sa[0] if window != "late" else sa[-w])
    return Outcome(min <= ratio <= max, step=step, value=ratio, measures={"ratio": ratio})


@check(
    "layer_count",
    kind="layers",
    measures=("count",),
    defaults={"min": -math.inf, "max": math.inf},
    min=_NUM,
    max=_NUM,
)
def layer_count(x: Inputs, *, min: float, max: float) -> Outcome | None:
    """How many layers of a per-layer family carry data, within [min, max] (a lower bound on depth)."""
    n = sum(1 for s in x.layers if len(finite_values(s)[1]) > 0)
    if n == 0:
        return None
    return Outcome(min <= n <= max, value=float(n), measures={"count": n})


#: parameters whose starting norm does not count a layer's units: recurrent weights
#: (``weight_ih_l0``, ``weight_hh_l0``), which torch starts at U(±1/sqrt(hidden)) whatever the
#: fan-in (a univariate LSTM's input weights have a norm of 1.15 at any width), and low-rank
#: adapters (``lora_A``), narrow by design. Biases never reach a check: the name resolver
#: (``signals._layer_path``) takes no bias for a layer.
_NOT_A_WIDTH = re.compile(r"(^|[./])weight_[ih]h\w*$|lora")

#: attention projections named as Hugging Face's and GPT-2-style code names them (BERT's
#: ``attention.self.query``, GPT-2's and nanoGPT's ``attn.c_attn``, LLaMA's and OPT's
#: ``self_attn.q_proj``, GPT-NeoX's ``query_key_value``): that code initialises every linear
#: layer at a fixed std (``initializer_range``, 0.02), under which a starting norm is
#: std * sqrt(fan_in * fan_out), a product of shapes, not a count of units. torch's own
#: ``nn.MultiheadAttention`` (``self_attn.in_proj``, ``out_proj``) scales by fan-in like any
#: default layer, and its norms still count units.
_FIXED_STD_ATTENTION = re.compile(r"c_attn|attention\.self\.|(^|[./_])[qkv]_proj|query_key_value")


@check(
    "narrow_at_start",
    kind="layers",
    measures=("norm", "units", "layer", "narrowest", "layers"),
    defaults={"min_norm": 0.05, "max_norm": 1.2},
    min_norm=_NUM,
    max_norm=_NUM,
)
def narrow_at_start(x: Inputs, *, min_norm: float, max_norm: float) -> Outcome | None:
    """How wide the hidden layers are, read from their weight norms at the first logged point.

    A freshly initialised layer with ``k`` output units has a weight norm of about
    ``sqrt(k / 3)`` under PyTorch's default init and ``sqrt(2k)`` under He or Glorot, whatever
    its fan-in (the fan-in scaling cancels the number of inputs); a norm layer's scale starts at
    ones, ``sqrt(k)`` exactly. So the first weight norms count the units when no config states
    the widths. Matched when the median hidden layer's lies within [``min_norm``,
    ``max_norm``]. The median, not the narrowest: a squeeze-excitation block or an attention
    gate is one narrow layer inside a wide net by design. Norms under ``min_norm`` are all-zero
    inits (bad_init's reading, not a width).

    Left out: the output layer, by name or as the last in model order (its width is the task's:
    one unit for a regression), embedding tables (looked up, with a fixed init scale such as
    GPT's 0.02), and recurrent weights and adapters logged as parameters of their own.
    ``units`` is the width the median norm implies under PyTorch's default init.

    No reading (None) where the norms do not count units or need not: a config that states the
    hidden widths (the config items read those exactly) or an init's std (a fixed-std init, whose
    norms measure fan_in * fan_out), and a net whose attention layers are named as the code
    that initialises at a fixed std names them.
    """
    if "hidden_units" in x.config or "init_std" in x.config:
        return None
    if any(_FIXED_STD_ATTENTION.search(str(s.name).lower()) for s in x.layers):
        return None
    firsts = []
    for s in x.layers[:-1]:
        name = str(s.name).split("/", 1)[-1]
        if output_side(name) or embedding_table(name) or _NOT_A_WIDTH.search(name.lower()):
            continue
        steps, v = finite_values(s)
        if len(v) and v[0] >= min_norm:
            firsts.append((float(v[0]), name, int(steps[0])))
    if not firsts:
        return None
    norm = float(np.median([f[0] for f in firsts]))
    narrowest, layer, step = min(firsts)
    return Outcome(
        norm <= max_norm,
        step=step,
        value=norm,
        measures={
            "norm": norm,
            "units": 3 * norm**2,
            "layer": layer,
            "narrowest": narrowest,
            "layers": len(firsts),
        },
    )
