"""The way to PyTorch: a traced function as a function of tensors, and each rule's torch form.

`to_torch(f)` traces `f` with `compile`'s tracer (once, on Values, at the first call's point)
and replays its program on tensors, a back end beside compile's code generator: each operation
becomes its rule's form in `torch_forms`, so the result is an ordinary PyTorch computation over
tensors of any shape (broadcasting), which `torch.autograd` differentiates to any order. It
equals the engine in value and gradient to rounding. A Python decision `f` takes on traced data
(`if x > 0`, `float(x)`) cannot be replayed on a tensor of many numbers, so it is refused: write
it with `where`, `maximum` or `clamp`, which the trace records.

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
from collections.abc import Callable, Sequence
from typing import Any

from autograd_lite.compiling.tracing import Node, Program, Trace
from autograd_lite.value import Value

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


class TorchFunction:
    """`f` traced at its first call and replayed on tensors by PyTorch on every call.

    Called with float64 tensors (or numbers), one per argument of `f`, of shapes that
    broadcast together, it returns a tensor of their broadcast shape: `f` entry by entry.
    """

    def __init__(self, f: Callable[..., Value]) -> None:
        if not callable(f):
            raise TypeError(f"to_torch needs a callable, got {type(f).__name__}")
        self.f = f
        self.__name__ = getattr(f, "__name__", type(f).__name__)
        self.__doc__ = f.__doc__
        self.program: Program | None = None

    def __repr__(self) -> str:
        return f"<to_torch {self.__name__} ({'traced' if self.program else 'not traced yet'})>"

    def __call__(self, *args: Any) -> Any:
        torch = import_torch("to_torch")
        tensors = [
            arg if isinstance(arg, torch.Tensor) else torch.tensor(arg, dtype=torch.float64)
            for arg in args
        ]
        if self.program is None:
            self.program = _traced(self.f, [float(t.detach().flatten()[0]) for t in tensors])
        if len(tensors) != len(self.program.inputs):
            raise TypeError(
                f"to_torch: {self.__name__} was traced with {len(self.program.inputs)} "
                f"argument(s), got {len(tensors)}"
            )
        return _replay(torch, self.program, tensors)


def to_torch(f: Callable[..., Value]) -> TorchFunction:
    """`f` (numbers in, a Value out) as a function of PyTorch tensors, differentiable by torch.

    The trace is taken at the first call, at the first entry of each argument (a point where
    `f` is defined); its operations must not depend on Python decisions about the data
    (ValueError naming the decision). The numbers are float64 as in the engine: tensors of
    another dtype compute in PyTorch's promotion of it with float64 constants. Values
    `f` closes over (a model's weights) are read afresh on every call, as constants. Raises
    ImportError without the torch extra, and TypeError for a rule without a PyTorch form (a
    user's `primitive`).

    >>> import torch
    >>> h = to_torch(lambda x, y: x * y + y.exp())
    >>> x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    >>> h(x, torch.tensor(0.0, dtype=torch.float64)).tolist()
    [1.0, 1.0]
    """
    return TorchFunction(f)


def _traced(f: Callable[..., Value], point: Sequence[float]) -> Program:
    """The program of one trace of `f` at `point`; ValueError if `f` decided on the data."""
    trace = Trace(f, point)
    program = Program(trace)
    if program.guards:
        raise ValueError(f"to_torch: {_decision(f, program.guards[0])}")
    return program


def _decision(f: Callable[..., Value], guard: Any) -> str:
    """What a guard says `f` did, and what to write instead, as one sentence."""
    name = getattr(f, "__name__", "f")
    shown = _operand(f, guard.node)
    if guard.test == "same":
        return (
            f"{name} reads the number in {shown} (float(), .data, round or format), which a "
            "tensor of many numbers cannot replay"
        )
    if guard.test == "bool":
        taken = f"bool({shown}) is {guard.outcome}"
    else:
        taken = f"{shown} {guard.test} {_operand(f, guard.other)} is {guard.outcome}"
    return (
        f"{name} decides on traced data ({taken} at the trace's point); a function of tensors "
        "cannot follow a Python branch: use where, maximum, minimum or clamp"
    )


def _operand(f: Callable[..., Value], x: Any) -> str:
    """An argument by its parameter name, an operation by its rule, a constant as itself."""
    if not isinstance(x, Node):
        return repr(x)
    if x.rule is not None:
        return f"the result of {x.rule.name}"
    if x.outside is not None:
        return f"a Value from outside ({x.outside.data!r})"
    names = getattr(getattr(f, "__code__", None), "co_varnames", ())
    return names[x.n] if x.n < len(names) else f"argument {x.n}"


def _replay(torch: Any, program: Program, tensors: list[Any]) -> Any:
    """The program's output computed by PyTorch from `tensors`, one per argument."""
    forms = torch_forms(torch)
    values: dict[Node, Any] = dict(zip(program.inputs, tensors))
    for node in program.outside:
        assert node.outside is not None
        values[node] = torch.tensor(node.outside.data, dtype=torch.float64)

    def tensor(x: Node | float) -> Any:
        if isinstance(x, Node):
            return values[x]
        return torch.tensor(x, dtype=torch.float64)

    for op in program.ops:
        assert op.rule is not None
        form = forms.get(op.rule.name)
        if form is None:
            raise TypeError(
                f"to_torch: rule {op.rule.name!r} has no PyTorch form (only the table's rules have)"
            )
        values[op] = form(*map(tensor, op.inputs))
    shape = torch.broadcast_shapes(*(t.shape for t in tensors))
    return tensor(program.output).expand(shape)
