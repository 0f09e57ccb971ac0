"""The way to PyTorch: each rule of the table as a function of tensors, and PyTorch itself.

PyTorch is the optional `torch` extra (`pip install 'autograd-lite[torch]'`, which pins the CPU
build `torch==2.13.0`). Nothing here imports it until a function is called, so the engine loads
without it; a call without it raises ImportError saying how to install it.

`torch_forms(torch)` is the table's one translation to PyTorch: per rule name, a function of
float64 tensors (any shape, broadcasting as PyTorch does) that computes the rule's value and
whose derivatives torch.autograd takes. Where PyTorch has the function (`exp`, `atan2`,
`softplus`), the form is PyTorch's own, so the numbers are PyTorch's; the few written out keep
the engine's choice at a kink (`leaky_relu` and `elu` at 0 take the x <= 0 side, as the table
does). The reference numbers the tests hold for every rule are PyTorch's numbers through these
forms, computed by tests/generate_torch_reference.py.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

EXTRA_HINT = "pip install 'autograd-lite[torch]' (in a clone: pip install -e '.[torch]')"
"""How to get PyTorch: the torch extra, which pins the CPU wheel torch==2.13.0."""


def import_torch(what: str) -> Any:
    """The `torch` module, or ImportError naming `what` needs it and the extra that brings it."""
    try:
        import torch
    except ImportError:
        raise ImportError(f"{what} needs PyTorch, the torch extra: {EXTRA_HINT}") from None
    return torch


@functools.cache
def torch_forms(torch: Any) -> dict[str, Callable[..., Any]]:
    """Every built-in rule by name, as a function of tensors computed by `torch`.

    Each form takes the rule's inputs in the table's order (`sum` and `dot` take them spread
    out: all the w's, then all the x's, for `dot`) and returns a tensor. `where` reads its
    condition as the table does: true where it is non-zero.
    """
    F = torch.nn.functional

    def leaky_relu(x: Any, slope: Any) -> Any:
        return torch.where(x > 0, x, slope * x)  # the slope is differentiable, as in the table

    def elu(x: Any, alpha: Any) -> Any:
        # expm1 of x clamped to <= 0: the branch not taken stays finite (no 0 * inf in backward)
        return torch.where(x > 0, x, alpha * torch.expm1(torch.clamp(x, max=0.0)))

    def dot(*ws_then_xs: Any) -> Any:
        half = len(ws_then_xs) // 2
        return _sum(torch, [w * x for w, x in zip(ws_then_xs[:half], ws_then_xs[half:])])

    return {
        # arithmetic
        "+": operator.add,
        "-": operator.sub,
        "*": operator.mul,
        "/": operator.truediv,
        "neg": operator.neg,
        "**": torch.pow,
        # exponentials and logarithms
        "exp": torch.exp,
        "log": torch.log,
        "sqrt": torch.sqrt,
        "log1p": torch.log1p,
        "expm1": torch.expm1,
        "log2": torch.log2,
        "log10": torch.log10,
        "exp2": torch.exp2,
        "logaddexp": torch.logaddexp,
        # activations
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": torch.relu,
        "abs": torch.abs,
        "softplus": F.softplus,
        "silu": F.silu,
        "gelu": F.gelu,
        "leaky_relu": leaky_relu,
        "elu": elu,
        "erf": torch.erf,
        # trigonometric and hyperbolic
        "sin": torch.sin,
        "cos": torch.cos,
        "tan": torch.tan,
        "asin": torch.asin,
        "acos": torch.acos,
        "atan": torch.atan,
        "atan2": torch.atan2,
        "sinh": torch.sinh,
        "cosh": torch.cosh,
        "asinh": torch.asinh,
        "acosh": torch.acosh,
        "atanh": torch.atanh,
        "hypot": torch.hypot,
        # piecewise
        "maximum": torch.maximum,
        "minimum": torch.minimum,
        "clamp": torch.clamp,
        "where": lambda condition, x, y: torch.where(condition != 0, x, y),
        "sign": torch.sign,
        "floor": torch.floor,
        "ceil": torch.ceil,
        "stop_gradient": torch.Tensor.detach,
        # n-ary
        "sum": lambda *xs: _sum(torch, list(xs)),
        "dot": dot,
    }


def _sum(torch: Any, terms: list[Any]) -> Any:
    """x0 + x1 + ... of tensors that broadcast together, as one stacked sum."""
    return torch.stack(torch.broadcast_tensors(*terms)).sum(0)
