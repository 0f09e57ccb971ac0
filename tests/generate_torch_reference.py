"""Write PyTorch's numbers into the tests: every rule, every exported loss and optimizer.

Not a test and not a dependency of one: the tests read the numbers as literals. Run it where
the torch extra is installed (`make test` installs it into .venv):

    .venv/bin/python tests/generate_torch_reference.py && .venv/bin/ruff format tests/

It rewrites the generated block (between `# BEGIN TORCH REFERENCE` and `# END TORCH REFERENCE`)
of tests/test_rules_torch.py, tests/test_nn_losses.py and tests/test_nn_optim.py.

Without PyTorch it runs too, so that a rule, a loss or an optimizer can be added anywhere: the
cases that already have numbers keep them, and each new case is written to the block's PENDING
list (and printed), which the coverage tests report as skipped until someone with PyTorch runs
this again. A case whose rule has no PyTorch form yet (autograd_lite.pytorch.torch_forms) is
pending in the same way.

Rules: each case is `(name, args, diff)`: the rule's name in the table, all its arguments, and
the positions differentiated (the others are plain numbers, e.g. leaky_relu's slope, which
PyTorch does not differentiate). PyTorch gives, in float64: the value, the gradient toward
`diff`, the Hessian, and the third derivative toward each of `diff` alone. The function is the
rule's form in `torch_forms`, PyTorch's own where it has one; LIBRARY names PyTorch's function
for the forms written out there. A rule of the table not listed below gets default points
(ordinary ones and the edges, those inside its domain).

Losses: `(name, predictions, targets)`, PyTorch's value and gradient toward the predictions
(flattened), by nn.pytorch.torch_losses. Optimizers: `(name, settings)`, three steps of
`torch.optim` on the quadratic of tests/test_nn_optim.py from its start.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from autograd_lite.rules import RULES

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # the optimizer's objective comes from its test module

nan, inf = math.nan, math.inf
TINY, HUGE = 1e-300, 1e300

# ---------------------------------------------------------------- rules

# Points for functions of one real argument: ordinary ones, then the edges.
EDGES = [0.0, -0.0, 1.0, -1.0, inf, -inf, nan, TINY, -TINY, HUGE, -HUGE]
ORDINARY = [0.7, -1.3, 2.5]
EVERYWHERE = ORDINARY + EDGES

UNARY = ["neg", "exp", "tanh", "sigmoid", "relu", "abs", "sin", "cos", "tan", "sinh", "cosh"]
UNARY += ["atan", "asinh", "expm1", "exp2", "erf", "softplus", "silu", "gelu", "sign", "floor"]
UNARY += ["ceil", "stop_gradient", "log", "log2", "log10", "sqrt", "log1p", "asin", "acos"]
UNARY += ["acosh", "atanh"]
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

BINARY = ["+", "-", "*", "/", "**", "atan2", "hypot", "logaddexp", "maximum", "minimum"]
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

Case = tuple[Any, ...]

RULE_CASES: list[Case] = []
for name in UNARY:
    for x in DOMAIN_POINTS.get(name, EVERYWHERE) + BIG.get(name, []):
        RULE_CASES.append((name, (x,), (0,)))
for name in BINARY:
    for pair in BINARY_POINTS.get(name, PAIRS):
        RULE_CASES.append((name, pair, (0, 1)))
# powers with a constant exponent or base: x ** p, and p ** y
for x, p in [(0.0, 0.5), (0.0, 1 / 3), (0.0, 1.5), (0.0, 0.0), (TINY, 0.0), (TINY, 1.0)]:
    RULE_CASES.append(("**", (x, p), (0,)))
for x, p in [(TINY, -1.0), (1e200, 2.0), (-1e200, 3.0), (4.0, 0.5), (-0.0, 0.5)]:
    RULE_CASES.append(("**", (x, p), (0,)))
for b, y in [(1e-200, -1.0), (2.0, 1024.0), (-2.0, 3.0), (0.0, 2.0), (2.0, nan)]:
    RULE_CASES.append(("**", (b, y), (1,)))
for x in [0.7, -1.3, 0.0, -0.0, nan, -inf, inf]:
    RULE_CASES.append(("leaky_relu", (x, 0.01), (0,)))
    RULE_CASES.append(("leaky_relu", (x, 0.2), (0,)))
    RULE_CASES.append(("elu", (x, 1.0), (0,)))
    RULE_CASES.append(("elu", (x, 0.5), (0,)))
for triple in [
    (0.5, 0.0, 1.0),
    (-1.0, 0.0, 1.0),
    (2.0, 0.0, 1.0),
    (0.0, 0.0, 1.0),
    (1.0, 0.0, 1.0),
]:
    RULE_CASES.append(("clamp", triple, (0, 1, 2)))
for triple in [
    (0.5, 2.0, 1.0),
    (nan, 0.0, 1.0),
    (inf, 0.0, 1.0),
    (0.5, 0.5, 0.5),
    (-inf, 0.0, 1.0),
]:
    RULE_CASES.append(("clamp", triple, (0, 1, 2)))
for triple in [(1.0, 0.7, -1.3), (0.0, 0.7, -1.3), (1.0, nan, 2.0), (0.0, inf, nan)]:
    RULE_CASES.append(("where", triple, (1, 2)))


def _defined(name: str, args: tuple[float, ...]) -> bool:
    """Whether the rule has a value at `args` (outside its domain, or past the float range, a
    rule may raise)."""
    try:
        RULES[name](*args)
    except (ValueError, ArithmeticError):
        return False
    return True


def _default_cases(name: str) -> list[Case]:
    """Ordinary points and edges for a rule listed nowhere above, inside its domain."""
    arity = RULES[name].arity
    if arity == 1:
        points: list[tuple[float, ...]] = [(x,) for x in EVERYWHERE]
    elif arity == 2:
        points = list(PAIRS)
    else:
        points = [tuple(ORDINARY[:1] * (arity or 2))]
    return [(name, p, tuple(range(len(p)))) for p in points if _defined(name, p)]


_LISTED = {case[0] for case in RULE_CASES}
for name in RULES:
    if name not in _LISTED and name not in ("sum", "dot"):  # n-ary: no fixed arguments
        RULE_CASES.extend(_default_cases(name))


def _grad(torch: Any, y: Any, xs: list[Any]) -> list[Any]:
    """dy/dx for each x, as tensors that can be differentiated again (zeros if unused)."""
    if not y.requires_grad:
        return [torch.zeros((), dtype=torch.float64) for _ in xs]
    grads = torch.autograd.grad(y, xs, create_graph=True, allow_unused=True)
    return [torch.zeros((), dtype=torch.float64) if g is None else g for g in grads]


def _rule_function(torch: Any, name: str) -> Callable[..., Any] | None:
    """The function PyTorch's numbers for rule `name` come from, or None if it has none yet."""
    from autograd_lite.pytorch import torch_forms

    F = torch.nn.functional
    library = {  # PyTorch's own functions, where the form writes the formula out
        "leaky_relu": lambda x, slope: F.leaky_relu(x, slope),
        "elu": lambda x, alpha: F.elu(x, alpha),
        "where": lambda c, x, y: torch.where(torch.tensor(bool(c)), x, y),
    }
    return library.get(name) or torch_forms(torch).get(name)


def rule_numbers(torch: Any, case: Case) -> tuple[Any, ...] | None:
    """PyTorch's value, gradient, Hessian and third derivatives for one case."""
    name, args, diff = case
    fn = _rule_function(torch, name)
    if fn is None:
        return None
    full: list[object] = list(args)
    xs = []
    for i in diff:
        t = torch.tensor(args[i], dtype=torch.float64, requires_grad=True)
        full[i] = t
        xs.append(t)
    y = fn(*full)
    grads = _grad(torch, y, xs)
    hess = [_grad(torch, g, xs) for g in grads]
    third = [_grad(torch, hess[k][k], xs)[k] for k in range(len(xs))]
    return (
        y.item(),
        [g.item() for g in grads],
        [[h.item() for h in row] for row in hess],
        [t.item() for t in third],
    )


# ---------------------------------------------------------------- losses

LOSS_CASES: list[Case] = [
    ("mse_loss", [0.3, -1.2, 2.5], [0.5, -1.0, 2.0]),
    ("binary_cross_entropy", [0.9, 0.2, 0.6], [1.0, 0.0, 0.3]),
    # saturated probabilities: the logs clamp at -100, the slope at 1 / 1e-12
    ("binary_cross_entropy", [0.0], [1.0]),
    ("binary_cross_entropy", [1.0], [0.0]),
    ("binary_cross_entropy", [1e-20], [1.0]),
    ("bce_with_logits", [0.8, -2.0, 0.0, 1000.0, -1000.0], [1.0, 0.0, 1.0, 0.0, 0.25]),
    ("bce_with_logits", [1000.0, -1000.0], [0.0, 1.0]),
    ("hinge_loss", [0.5, -2.0, 3.0], [1.0, -1.0, -1.0]),
    ("hinge_loss", [1000.0, -1000.0, 1.0], [1.0, 1.0, 1.0]),  # far away, and at the margin
    ("cross_entropy", [1.0, 2.0, 0.5], 2),  # one sample: logits and a class index
    ("cross_entropy", [[1.0, 2.0, 0.5], [1000.0, -1000.0, 0.0]], [0, 1]),
]


def loss_numbers(torch: Any, case: Case) -> tuple[Any, ...] | None:
    """PyTorch's mean loss and its gradient toward every prediction (flattened)."""
    from nn.pytorch import torch_losses

    name, preds, targets = case
    fn = torch_losses().get(name)
    if fn is None:
        return None
    x = torch.tensor(preds, dtype=torch.float64, requires_grad=True)
    loss = fn(x, torch.tensor(targets, dtype=torch.float64))
    loss.backward()
    return loss.item(), x.grad.flatten().tolist()


# ---------------------------------------------------------------- optimizers

OPTIMIZER_CASES: list[Case] = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    ("Adam", {"lr": 0.1}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
]


def optimizer_numbers(torch: Any, case: Case) -> tuple[Any, ...] | None:
    """The parameters after each of three steps of `torch.optim.<name>` on the quadratic."""
    from test_nn_optim import START, STEPS, quadratic

    name, settings = case
    make = getattr(torch.optim, name, None)
    if make is None:
        return None
    params = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in START]
    optimizer = make(params, **settings)
    points = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        quadratic(params).backward()
        optimizer.step()
        points.append([p.item() for p in params])
    return (points,)


# ---------------------------------------------------------------- writing the blocks


class Block(NamedTuple):
    """One generated block: its file, its lists' names, its cases and how PyTorch answers one."""

    file: str
    reference: str
    pending: str
    cases: list[Case]
    numbers: Callable[[Any, Case], tuple[Any, ...] | None]


BLOCKS = [
    Block("test_rules_torch.py", "REFERENCE", "PENDING", RULE_CASES, rule_numbers),
    Block("test_nn_losses.py", "LOSS_REFERENCE", "LOSS_PENDING", LOSS_CASES, loss_numbers),
    Block(
        "test_nn_optim.py",
        "OPTIMIZER_REFERENCE",
        "OPTIMIZER_PENDING",
        OPTIMIZER_CASES,
        optimizer_numbers,
    ),
]
PATTERN = r"(# BEGIN TORCH REFERENCE[^\n]*\n)(.*?)(\n# END TORCH REFERENCE)"


def _known(block: Block, text: str) -> dict[str, tuple[Any, ...]]:
    """The rows already in the block, by the repr of their case (nan compares by its text)."""
    found = re.search(PATTERN, text, flags=re.DOTALL)
    assert found, f"{block.file}: markers not found"
    names: dict[str, Any] = {"nan": nan, "inf": inf}
    exec(found.group(2), names)  # the block is this script's own output
    width = len(block.cases[0])
    return {repr(tuple(row[:width])): tuple(row) for row in names.get(block.reference, [])}


def write(block: Block, torch: Any) -> list[Case]:
    """Rewrite one block: PyTorch's numbers where it is here, else those known; the new pending."""
    path = HERE / block.file
    text = path.read_text(encoding="utf-8")
    known = _known(block, text)
    rows, pending = [], []
    for case in block.cases:
        numbers = None if torch is None else block.numbers(torch, case)
        if numbers is not None:
            rows.append((*case, *numbers))
        elif repr(case) in known:
            rows.append(known[repr(case)])
        else:
            pending.append(case)
    lines = [f"{block.reference} = [", *(f"    {row!r}," for row in rows), "]"]
    lines += [f"{block.pending} = [", *(f"    {case!r}," for case in pending), "]"]
    body = "\n".join(lines)
    new = re.sub(PATTERN, lambda m: m.group(1) + body + m.group(3), text, flags=re.DOTALL)
    path.write_text(new, encoding="utf-8")
    print(f"{path}: {len(rows)} cases with PyTorch's numbers, {len(pending)} pending")
    return pending


def _torch_or_none() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch


def main() -> None:
    torch = _torch_or_none()
    if torch is None:
        print("No PyTorch here: known numbers are kept, new cases are marked pending.")
    pending = [case for block in BLOCKS for case in write(block, torch)]
    for case in pending:
        print(f"pending: {case!r}")
    if pending:
        print("Run this again where the torch extra is installed to fill them in.")


if __name__ == "__main__":
    main()
