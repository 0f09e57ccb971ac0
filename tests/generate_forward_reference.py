"""Write PyTorch's numbers for tests/test_forward_torch.py: jvp, Jacobian, vjp and hvp of
random graphs that use every rule of the table.

Not a test and not a dependency: run it where torch is installed, from the repository root,
and it rewrites the block between the markers in tests/test_forward_torch.py:

    .venv/bin/pip install torch==2.13.0
    .venv/bin/python tests/generate_forward_reference.py && ruff format tests/

Each case is a graph `(n_inputs, nodes, outputs)`: node k is `(rule name, argument indices)`,
an index below n_inputs being an input, else a node; each argument is kept in its rule's domain
by the guards of `autograd_lite.testing`. The point keeps every value within 1e3 and away from
kinks (the strategies' own test). PyTorch (float64, `torch.func`) gives the outputs, `jvp` along
`tangents`, the Jacobian (`jacrev`), `vjp` of `cotangents`, and the Hessian of the first output
times `tangents` (`jvp` of `grad`).
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path
from typing import Any

import torch
from torch.func import grad, jacrev, jvp, vjp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from autograd_lite import rules
from autograd_lite.rules import RULES
from autograd_lite.testing import (
    _N_ARY_ARITY,
    Expression,
    _guarded,
    _well_conditioned,
)
from tests.generate_torch_reference import BINARY, TORCH_UNARY

TORCH = {
    **TORCH_UNARY,
    **BINARY,
    "leaky_relu": lambda x, s: torch.where(x > 0, x, x * s),
    "elu": lambda x, a: torch.where(x > 0, x, a * torch.expm1(x)),
    "clamp": lambda x, lo, hi: torch.clamp(x, lo, hi),
    "where": lambda c, x, y: torch.where(c != 0, x, y),
    "sum": lambda *xs: sum(xs[1:], xs[0]),
    "dot": lambda *wx: sum(w * x for w, x in zip(wx[: len(wx) // 2], wx[len(wx) // 2 :])),
}
"""Each rule as PyTorch computes it on scalar tensors (the slope and alpha may be tensors)."""

GRAPHS_PER_RULE = 2
SEED = 21


def torch_at(rule: rules.Rule, *args: Any) -> Any:
    return TORCH[rule.name](*args)


def evaluate(at: Any, n: int, nodes: list[tuple[str, tuple[int, ...]]], xs: Any) -> list[Any]:
    """Every input and node, by `at` (the rule's own call, or PyTorch's)."""
    values = list(xs)
    for name, args in nodes:
        rule = RULES[name]
        values.append(at(rule, *_guarded(at, rule, [values[a] for a in args])))
    return values


def draw(rng: random.Random, featured: str) -> tuple[int, list[Any], list[int]]:
    """A graph of 3 to 6 nodes over random rules, `featured` among them; two outputs."""
    n = rng.choice([2, 3])
    names = [name for name in RULES if RULES[name] in TORCH_RULES]
    size = rng.randint(3, 6)
    chosen = [rng.choice(names) for _ in range(size)]
    chosen[rng.randrange(size)] = featured
    nodes = []
    for k, name in enumerate(chosen):
        rule = RULES[name]
        arity = _N_ARY_ARITY.get(rule) or rule.arity
        nodes.append((name, tuple(rng.randrange(n + k) for _ in range(arity))))
    outputs = [n + size - 1, rng.randrange(n, n + size - 1)]
    return n, nodes, outputs


TORCH_RULES = {RULES[name] for name in TORCH}


def conditioned(n: int, nodes: list[Any], outputs: list[int], xs: tuple[float, ...]) -> bool:
    """The strategies' test (values within 1e3, away from kinks) on every node of the graph."""
    ruled = [(RULES[name], args) for name, args in nodes]
    everything = Expression(n, [*ruled, (rules.sum_rule, tuple(range(n, n + len(nodes))))])
    return _well_conditioned(everything, xs)


def case(rng: random.Random, featured: str) -> tuple[Any, ...]:
    while True:
        n, nodes, outputs = draw(rng, featured)
        xs = tuple(round(rng.uniform(-1.5, 1.5), 3) for _ in range(n))
        if conditioned(n, nodes, outputs, xs):
            break
    ts = tuple(round(rng.gauss(0, 1), 3) for _ in range(n))
    cs = tuple(round(rng.gauss(0, 1), 3) for _ in outputs)

    def f(*x: Any) -> tuple[Any, ...]:
        values = evaluate(torch_at, n, nodes, x)
        return tuple(values[i] for i in outputs)

    def first(*x: Any) -> Any:
        return f(*x)[0]

    def t(numbers: tuple[float, ...]) -> tuple[Any, ...]:
        return tuple(torch.tensor(v, dtype=torch.float64) for v in numbers)

    argnums = tuple(range(n))
    values, tangents = jvp(f, t(xs), t(ts))
    jac = jacrev(f, argnums=argnums)(*t(xs))
    _, vjp_fn = vjp(f, *t(xs))
    pulled = vjp_fn(t(cs))
    _, hv = jvp(grad(first, argnums=argnums), t(xs), t(ts))
    return (
        n,
        nodes,
        outputs,
        xs,
        ts,
        cs,
        [v.item() for v in values],
        [v.item() for v in tangents],
        [[entry.item() for entry in row] for row in jac],
        [v.item() for v in pulled],
        [v.item() for v in hv],
    )


def main() -> None:
    rng = random.Random(SEED)
    lines = ["CASES = ["]
    for featured in sorted(name for name in RULES if RULES[name] in TORCH_RULES):
        for _ in range(GRAPHS_PER_RULE):
            lines.append(f"    {case(rng, featured)!r},")
    lines.append("]")
    path = Path(__file__).with_name("test_forward_torch.py")
    text = path.read_text(encoding="utf-8")
    pattern = r"(# BEGIN TORCH REFERENCE[^\n]*\n).*?(\n# END TORCH REFERENCE)"
    block = "\n".join(lines)
    new, count = re.subn(pattern, lambda m: m.group(1) + block + m.group(2), text, flags=re.DOTALL)
    assert count == 1, "markers not found"
    path.write_text(new, encoding="utf-8")
    print(f"{len(lines) - 2} cases written to {path}")


if __name__ == "__main__":
    main()
