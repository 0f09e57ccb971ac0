"""Write PyTorch's numbers for tests/test_rules_torch.py: value and first to third derivatives.

Not a test and not a dependency: run it in a scratch environment that has torch, and it rewrites
the block between the markers in tests/test_rules_torch.py:

    python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch==2.13.0
    /tmp/torchenv/bin/python tests/generate_torch_reference.py && ruff format tests/

Each case is `(name, args, diff)`: the rule's name in `autograd_lite.rules.RULES`, all its
arguments, and the positions differentiated (the others are plain numbers, e.g. leaky_relu's
slope, which PyTorch does not differentiate). PyTorch gives, in float64: the value, the
gradient toward `diff`, the Hessian, and the third derivative toward each of `diff` alone.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import torch
import torch.nn.functional as F

nan, inf = math.nan, math.inf
TINY, HUGE = 1e-300, 1e300

# Points for functions of one real argument: ordinary ones, then the edges.
EDGES = [0.0, -0.0, 1.0, -1.0, inf, -inf, nan, TINY, -TINY, HUGE, -HUGE]
ORDINARY = [0.7, -1.3, 2.5]
EVERYWHERE = ORDINARY + EDGES

TORCH_UNARY = {
    "neg": lambda x: -x,
    "exp": torch.exp,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "abs": torch.abs,
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "sinh": torch.sinh,
    "cosh": torch.cosh,
    "atan": torch.atan,
    "asinh": torch.asinh,
    "expm1": torch.expm1,
    "exp2": torch.exp2,
    "erf": torch.erf,
    "softplus": F.softplus,
    "silu": F.silu,
    "gelu": F.gelu,
    "sign": torch.sign,
    "floor": torch.floor,
    "ceil": torch.ceil,
    "stop_gradient": torch.Tensor.detach,
    "log": torch.log,
    "log2": torch.log2,
    "log10": torch.log10,
    "sqrt": torch.sqrt,
    "log1p": torch.log1p,
    "asin": torch.asin,
    "acos": torch.acos,
    "acosh": torch.acosh,
    "atanh": torch.atanh,
}
# Where a function is defined only on part of the line, its points (the rest raise here).
DOMAIN_POINTS = {
    "log": [0.7, 2.5, TINY, 1.0, HUGE, inf, nan, 5e-324],
    "log2": [0.7, 2.5, TINY, 1.0, HUGE, inf, nan],
    "log10": [0.7, 2.5, TINY, 1.0, HUGE, inf, nan],
    "sqrt": [0.7, 2.5, 0.0, -0.0, TINY, 1.0, HUGE, inf, nan],
    "log1p": [0.7, -0.5, 2.5, 0.0, -0.0, TINY, -0.999999, HUGE, inf, nan],
    "asin": [0.7, -0.3, 0.0, -0.0, 1.0, -1.0, TINY, nan],
    "acos": [0.7, -0.3, 0.0, -0.0, 1.0, -1.0, TINY, nan],
    "acosh": [1.0, 1.5, 3.0, HUGE, inf, nan],
    "atanh": [0.7, -0.3, 0.0, -0.0, TINY, 0.999999, nan],
}
BIG = {"exp": [709.0, 710.0, -750.0], "sinh": [710.0, -710.0], "cosh": [710.0], "exp2": [1024.0]}
BIG.update(expm1=[710.0], softplus=[30.0, -30.0, 1000.0, -1000.0], sigmoid=[1000.0, -1000.0])

BINARY = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / y,
    "**": lambda x, y: x**y,
    "atan2": torch.atan2,
    "hypot": torch.hypot,
    "logaddexp": torch.logaddexp,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
}
PAIRS = [(0.7, -1.3), (2.5, 0.5), (1.0, 1.0), (0.0, 0.0), (-0.0, 0.0), (inf, 1.0), (nan, 1.0)]
PAIRS += [(1.0, nan), (inf, inf), (-inf, -inf), (HUGE, HUGE), (TINY, TINY), (-2.0, 0.0)]
BINARY_POINTS = {
    "/": [(0.7, -1.3), (2.5, 0.5), (1.0, TINY), (TINY, HUGE), (inf, 2.0), (nan, 1.0), (0.0, -3.0)],
    "**": [
        (0.7, -1.3),
        (2.5, 0.5),
        (-2.0, 3.0),
        (-2.0, 2.0),
        (0.0, 2.0),
        (0.0, 0.5),
        (0.0, 1.0),
        (0.0, 0.0),
        (TINY, -1.0),
        (1e200, 2.0),
        (2.0, nan),
        (nan, 2.0),
        (1.0, inf),
        (0.5, inf),
        (inf, 0.5),
    ],
}

CASES: list[tuple[str, tuple[float, ...], tuple[int, ...]]] = []
for name in TORCH_UNARY:
    for x in DOMAIN_POINTS.get(name, EVERYWHERE) + BIG.get(name, []):
        CASES.append((name, (x,), (0,)))
for name in BINARY:
    for pair in BINARY_POINTS.get(name, PAIRS):
        CASES.append((name, pair, (0, 1)))
# powers with a constant exponent or base: x ** p, and p ** y
for x, p in [(0.0, 0.5), (0.0, 1 / 3), (0.0, 1.5), (0.0, 0.0), (TINY, 0.0), (TINY, 1.0)]:
    CASES.append(("**", (x, p), (0,)))
for x, p in [(TINY, -1.0), (1e200, 2.0), (-1e200, 3.0), (4.0, 0.5), (-0.0, 0.5)]:
    CASES.append(("**", (x, p), (0,)))
for b, y in [(1e-200, -1.0), (2.0, 1024.0), (-2.0, 3.0), (0.0, 2.0), (2.0, nan)]:
    CASES.append(("**", (b, y), (1,)))
for x in [0.7, -1.3, 0.0, -0.0, nan, -inf, inf]:
    CASES.append(("leaky_relu", (x, 0.01), (0,)))
    CASES.append(("leaky_relu", (x, 0.2), (0,)))
    CASES.append(("elu", (x, 1.0), (0,)))
    CASES.append(("elu", (x, 0.5), (0,)))
for triple in [
    (0.5, 0.0, 1.0),
    (-1.0, 0.0, 1.0),
    (2.0, 0.0, 1.0),
    (0.0, 0.0, 1.0),
    (1.0, 0.0, 1.0),
]:
    CASES.append(("clamp", triple, (0, 1, 2)))
for triple in [
    (0.5, 2.0, 1.0),
    (nan, 0.0, 1.0),
    (inf, 0.0, 1.0),
    (0.5, 0.5, 0.5),
    (-inf, 0.0, 1.0),
]:
    CASES.append(("clamp", triple, (0, 1, 2)))
for triple in [(1.0, 0.7, -1.3), (0.0, 0.7, -1.3), (1.0, nan, 2.0), (0.0, inf, nan)]:
    CASES.append(("where", triple, (1, 2)))

SPECIAL = {
    "leaky_relu": lambda x, s: F.leaky_relu(x, s),
    "elu": lambda x, a: F.elu(x, a),
    "clamp": torch.clamp,
    "where": lambda c, x, y: torch.where(torch.tensor(bool(c)), x, y),
}


def _grad(y: torch.Tensor, xs: list[torch.Tensor]) -> list[torch.Tensor]:
    """dy/dx for each x, as tensors that can be differentiated again (zeros if unused)."""
    if not y.requires_grad:
        return [torch.zeros((), dtype=torch.float64) for _ in xs]
    grads = torch.autograd.grad(y, xs, create_graph=True, allow_unused=True)
    return [torch.zeros((), dtype=torch.float64) if g is None else g for g in grads]


def reference(name: str, args: tuple[float, ...], diff: tuple[int, ...]) -> tuple[object, ...]:
    """PyTorch's value, gradient, Hessian and third derivatives for one case."""
    fn = SPECIAL.get(name) or TORCH_UNARY.get(name) or BINARY[name]
    full: list[object] = list(args)
    xs = []
    for i in diff:
        t = torch.tensor(args[i], dtype=torch.float64, requires_grad=True)
        full[i] = t
        xs.append(t)
    y = fn(*full)
    grads = _grad(y, xs)
    hess = [_grad(g, xs) for g in grads]
    third = [_grad(hess[k][k], xs)[k] for k in range(len(xs))]
    return (
        y.item(),
        [g.item() for g in grads],
        [[h.item() for h in row] for row in hess],
        [t.item() for t in third],
    )


def main() -> None:
    lines = ["REFERENCE = ["]
    for name, args, diff in CASES:
        value, grads, hess, third = reference(name, args, diff)
        lines.append(
            f"    ({name!r}, {args!r}, {diff!r}, {value!r}, {grads!r}, {hess!r}, {third!r}),"
        )
    lines.append("]")
    block = "\n".join(lines)
    path = Path(__file__).with_name("test_rules_torch.py")
    text = path.read_text(encoding="utf-8")
    pattern = r"(# BEGIN TORCH REFERENCE[^\n]*\n).*?(\n# END TORCH REFERENCE)"
    new, count = re.subn(pattern, lambda m: m.group(1) + block + m.group(2), text, flags=re.DOTALL)
    assert count == 1, "markers not found"
    path.write_text(new, encoding="utf-8")
    print(f"{len(CASES)} cases written to {path}")


if __name__ == "__main__":
    main()
