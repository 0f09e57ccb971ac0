"""Exercises: formulas to differentiate by hand, made from a seed, at three levels.

Each exercise is a formula in the command line's language with a point to evaluate it at,
so that it can be drawn, explained, practised on the page or printed as a worksheet like any
formula a user types. The same seed and level always give the same exercise
(`random.Random(seed)`, never the global generator). The levels follow how the seed
tutorials teach backpropagation:

1. `+` and `*` on two inputs (two or three operations, small integer constants);
2. one neuron with tanh, `tanh(w1*x1 + w2*x2 + b)`;
3. a 2-2-2 network of sigmoid neurons with the squared error of its two outputs (the
   tutorials' worked example, with other weights).

The numbers have one decimal, so they can be written on paper; every operation used (`+ * -
**` to the power 2, tanh, sigmoid) is defined on all reals, so every point is in its domain.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from autograd_lite.expr import parse
from autograd_lite.value import Value, as_value

LEVELS = {
    1: "+ and * on two inputs",
    2: "a neuron with tanh",
    3: "a 2-2-2 network of sigmoid neurons and its squared error",
}
"""What each level asks, as the command line's help says it."""


@dataclass(frozen=True)
class Exercise:
    """A formula (`expr`, the command line's language) and the point to take it at."""

    expr: str
    point: dict[str, float]

    def build(self) -> tuple[list[Value], Value]:
        """The variables as labelled leaves (in order of appearance) and the formula on them;
        the result is labelled `f` unless the formula names it."""
        formula = parse(self.expr)
        inputs = [Value(self.point[name], label=name) for name in formula.variables]
        output = as_value(formula(*inputs))
        if not output.label:
            output.label = "f"
        return inputs, output

    def at(self) -> str:
        """The point as `--at` takes it: `x=1.5,y=-2`."""
        return ",".join(f"{name}={value:g}" for name, value in self.point.items())


def exercise(seed: int, level: int) -> Exercise:
    """The exercise of `level` (1 to 3) made from `seed`; ValueError for another level."""
    if isinstance(level, bool) or level not in LEVELS:
        raise ValueError(f"level must be 1, 2 or 3, got {level!r}")
    rng = random.Random(f"autograd-lite exercise {seed} {level}")
    return (_sums_and_products, _neuron, _network)[level - 1](rng)


def _tenth(rng: random.Random, low: float, high: float, *, nonzero: bool = True) -> float:
    """A number with one decimal in [low, high]; not 0 when `nonzero` (a 0 hides a factor)."""
    while True:
        value = rng.randint(round(low * 10), round(high * 10)) / 10
        if value or not nonzero:
            return value


def _sums_and_products(rng: random.Random) -> Exercise:
    """Two or three of `+` and `*`, each taking the one before, over x, y and small integers."""
    while True:
        text = rng.choice(("x", "y"))
        for _ in range(rng.choice((2, 3))):
            other = rng.choice(("x", "y", "x", "y", str(rng.randint(2, 5))))
            op = rng.choice(("+", "*"))
            pair = (text, other) if rng.random() < 0.5 else (other, text)
            text = f"({pair[0]} + {pair[1]})" if op == "+" else f"{pair[0]} * {pair[1]}"
        if "x" in text and "y" in text:
            break
    text = text[1:-1] if text.startswith("(") and _balanced(text[1:-1]) else text
    return Exercise(text, {"x": _tenth(rng, -3, 3), "y": _tenth(rng, -3, 3)})


def _balanced(text: str) -> bool:
    """Whether `text`'s brackets all close within it (so outer brackets can go)."""
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _neuron(rng: random.Random) -> Exercise:
    """tanh of a weighted sum of two inputs and a bias, the sum named `n`."""
    point = {
        "w1": _tenth(rng, -1, 1),
        "x1": _tenth(rng, -2, 2),
        "w2": _tenth(rng, -1, 1),
        "x2": _tenth(rng, -2, 2),
        "b": _tenth(rng, -1, 1),
    }
    return Exercise("tanh(n := w1*x1 + w2*x2 + b)", point)


def _network(rng: random.Random) -> Exercise:
    """The tutorials' 2-2-2 sigmoid network: E = 1/2 (t1 - o1)^2 + 1/2 (t2 - o2)^2."""
    t1, t2 = rng.choice(((0.1, 0.9), (0.9, 0.1), (0.2, 0.8), (0.8, 0.2)))
    # The hidden neurons are named where they are first used, and reused by name after.
    text = (
        f"0.5*({t1} - (o1 := sigmoid((h1 := sigmoid(w1*i1 + w2*i2 + b1))*w5"
        f" + (h2 := sigmoid(w3*i1 + w4*i2 + b1))*w6 + b2)))**2"
        f" + 0.5*({t2} - (o2 := sigmoid(w7*h1 + w8*h2 + b2)))**2"
    )
    point = {"i1": _tenth(rng, 0.1, 1), "i2": _tenth(rng, 0.1, 1)}
    point |= {f"w{k}": _tenth(rng, -1, 1) for k in range(1, 9)}
    point |= {"b1": _tenth(rng, 0, 0.9, nonzero=False), "b2": _tenth(rng, 0, 0.9, nonzero=False)}
    order = parse(text).variables
    return Exercise(text, {name: point[name] for name in order})
