"""Hypothesis strategies for property-testing gradients: yours and the engine's.

>>> from hypothesis import given
>>> from autograd_lite.testing import assert_gradients_close, expressions
>>> @given(expressions())
... def test_gradients(example):
...     f, xs = example
...     assert_gradients_close(f, *xs, order=2)

`expressions()` draws random expression graphs over the engine's operations (or your own
`primitive`s) with a point to evaluate them at; `assert_gradients_close` compares reverse mode
with finite differences; `check_primitive(rule)` does both for one rule over its whole domain
in one call. Needs Hypothesis: `pip install hypothesis`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

try:
    from hypothesis import assume, given, settings
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - exercised by a test that hides hypothesis
    raise ImportError("autograd_lite.testing needs Hypothesis: pip install hypothesis") from error

from autograd_lite import rules
from autograd_lite.functional import gradients
from autograd_lite.gradcheck import GradcheckError, gradcheck
from autograd_lite.rule import RULES, Rule
from autograd_lite.value import Operand, Value

__all__ = ["Expression", "assert_gradients_close", "check_primitive", "expressions"]

# ---------------------------------------------------------------- how each operation is drawn

_GUARDS: dict[str, Callable[[Callable[..., Any], Any], Any]] = {
    "positive": lambda at, a: at(rules.add, 1, at(rules.pow_rule, a, 2)),
    "nonzero": lambda at, a: at(rules.add, 1, at(rules.pow_rule, a, 2)),
    "> -1": lambda at, a: at(rules.add, 1, at(rules.pow_rule, a, 2)),
    ">= 1": lambda at, a: at(rules.add, 2, at(rules.pow_rule, a, 2)),
    "[-1, 1]": lambda at, a: at(rules.div, at(rules.tanh, a), 2),
    "(-1, 1)": lambda at, a: at(rules.div, at(rules.tanh, a), 2),
}
"""How an argument is kept inside each domain of the table (`Rule.domain`), computed by `at`
(on numbers or formulas): 1 + a ** 2 (at least 1) for the positive ones, 2 + a ** 2 for x >= 1
(away from acosh's vertical tangent at 1), tanh(a) / 2 for the unit interval (away from its
ends). In the domain for any inputs; "real" arguments are left alone."""

_N_ARY_ARITY: dict[Rule, int] = {RULES["sum"]: 3, RULES["dot"]: 4}
"""n-ary rules get a fixed number of arguments: sum([a, b, c]) and dot([a, b], [c, d])."""

_INPUT_RANGE = 2.0
"""Inputs are drawn from [-2, 2]."""

_LARGEST = 1e3
"""Examples where any intermediate value, or the slope of the result, exceeds this are
rejected: finite differences lose their accuracy on huge numbers and steep curves, and the
test would fail for no bug."""

_MARGIN = 1e-3
"""How far the inputs stay from kinks and from the edges of user rules' domains: 1000 steps of
gradcheck's default eps, so finite differences never cross one."""
_STEPS = (-_MARGIN, _MARGIN)


# ---------------------------------------------------------------- formulas


class _Text(NamedTuple):
    """A piece of formula and the precedence of its outermost operator (higher binds tighter)."""

    text: str
    precedence: int


_ATOM = 5  # names, numbers and function calls
_INFIX: dict[Rule, tuple[str, int]] = {
    rules.add: ("+", 1),
    rules.sub: ("-", 1),
    rules.mul: ("*", 2),
    rules.div: ("/", 2),
    rules.pow_rule: ("**", 4),
}
_NEGATION = 3


def _wrap(piece: _Text, precedence: int) -> str:
    """The piece's text, in parentheses when it binds more loosely than `precedence` needs."""
    return piece.text if piece.precedence >= precedence else f"({piece.text})"


def _format(rule: Rule, *args: _Text | int) -> _Text:
    """The formula for `rule(*args)`, with only the parentheses Python would need."""
    pieces = [_Text(str(arg), _ATOM) if isinstance(arg, int) else arg for arg in args]
    if rule in _INFIX:
        symbol, precedence = _INFIX[rule]
        left, right = pieces
        if rule is rules.pow_rule:  # right-associative: a ** b ** c is a ** (b ** c)
            return _Text(f"{_wrap(left, precedence + 1)} ** {_wrap(right, precedence)}", precedence)
        return _Text(
            f"{_wrap(left, precedence)} {symbol} {_wrap(right, precedence + 1)}", precedence
        )
    if rule is rules.neg:
        return _Text(f"-{_wrap(pieces[0], _NEGATION + 1)}", _NEGATION)
    texts = [piece.text for piece in pieces]
    if rule is RULES["sum"]:
        return _Text(f"sum([{', '.join(texts)}])", _ATOM)
    if rule is RULES["dot"]:
        half = len(texts) // 2
        return _Text(f"dot([{', '.join(texts[:half])}], [{', '.join(texts[half:])}])", _ATOM)
    return _Text(f"{rule.name}({', '.join(texts)})", _ATOM)


def _evaluate(rule: Rule, *args: Any) -> Any:
    """`rule(*args)`: a float for numbers, a Value when any argument is a Value."""
    return rule(*args)


def _guarded(at: Callable[..., Any], rule: Rule, args: Sequence[Any]) -> list[Any]:
    """`args` moved inside `rule`'s domain by its guards, computed by `at` (numbers or formulas)."""
    domain = rule.domain if rule.arity is not None else ()
    return [_GUARDS[d](at, a) if d in _GUARDS else a for d, a in zip(domain, args)] + list(
        args[len(domain) :]
    )


def _apply(at: Callable[..., Any], rule: Rule, args: Sequence[Any]) -> Any:
    """`rule` applied to `args` with its domain guards, computed by `at` (numbers or formulas)."""
    return at(rule, *_guarded(at, rule, args))


# ---------------------------------------------------------------- expressions


class Expression:
    """A random expression graph: call it with numbers (float out) or Values (Value out).

    It prints as the formula it computes, e.g. `tanh(x0 * x1) + log(1 + x0 ** 2)`; a
    subexpression used more than once is named once: `t0 * sin(t0) where t0 = x0 + x1`.
    """

    def __init__(self, n_inputs: int, nodes: Sequence[tuple[Rule, tuple[int, ...]]]) -> None:
        """`nodes[k]` is (rule, argument indices); index i < n_inputs is input x_i, else a node.

        The last node is the output; nodes it does not depend on are dropped.
        """
        live = {n_inputs + len(nodes) - 1}
        for k in range(n_inputs + len(nodes) - 1, n_inputs - 1, -1):
            if k in live:
                live.update(nodes[k - n_inputs][1])
        renumber = {i: i for i in range(n_inputs)}
        self.nodes: list[tuple[Rule, tuple[int, ...]]] = []
        for k, (rule, args) in enumerate(nodes, start=n_inputs):
            if k in live:
                renumber[k] = n_inputs + len(self.nodes)
                self.nodes.append((rule, tuple(renumber[a] for a in args)))
        self.n_inputs = n_inputs

    def values(self, *xs: Operand) -> list[Any]:
        """The value of every input and node, in order: the output last."""
        if len(xs) != self.n_inputs:
            raise TypeError(f"{self} takes {self.n_inputs} argument(s), got {len(xs)}")
        values: list[Any] = list(xs)
        for rule, args in self.nodes:
            values.append(_apply(_evaluate, rule, [values[a] for a in args]))
        return values

    def __call__(self, *xs: Operand) -> Any:
        return self.values(*xs)[-1]

    def __repr__(self) -> str:
        uses = [0] * (self.n_inputs + len(self.nodes))
        for _, args in self.nodes:
            for a in args:
                uses[a] += 1
        pieces = [_Text(f"x{i}", _ATOM) for i in range(self.n_inputs)]
        bindings: list[str] = []
        for k, (rule, args) in enumerate(self.nodes, start=self.n_inputs):
            piece = _apply(_format, rule, [pieces[a] for a in args])
            if uses[k] > 1:
                name = f"t{len(bindings)}"
                bindings.append(f"{name} = {piece.text}")
                piece = _Text(name, _ATOM)
            pieces.append(piece)
        formula = pieces[-1].text
        return f"{formula} where {', '.join(bindings)}" if bindings else formula


def _rules_for(ops: Sequence[str | Rule] | None) -> list[Rule]:
    """The rules `ops` names (when None, every rule whose derivative finite differences can
    check: all but `rules.DECREED`), or an error naming the bad entry."""
    if ops is None:
        return [rule for rule in RULES.values() if rule not in rules.DECREED]
    chosen = []
    for op in ops:
        if isinstance(op, str):
            if op not in RULES:
                raise ValueError(f"unknown operation {op!r}; the built-ins are {sorted(RULES)}")
            op = RULES[op]
        if not isinstance(op, Rule):
            raise TypeError(f"ops holds rule names or Rules, got {type(op).__name__} {op!r}")
        if op.arity is None and op not in _N_ARY_ARITY:
            raise ValueError(f"expressions cannot draw {op!r}: it takes any number of arguments")
        chosen.append(op)
    if not chosen:
        raise ValueError("expressions needs at least one operation")
    return chosen


def _kinks(expression: Expression, xs: Sequence[float]) -> list[float]:
    """The kink quantities (`Rule.kinks`) of every node at `xs`, in order: 0 at a kink.

    Evaluated on fresh Values, so that the rules can tell an argument used twice
    (`maximum(t, t)` is t, no kink) from two equal ones.
    """
    values = expression.values(*[Value(x) for x in xs])
    found: list[float] = []
    for rule, args in expression.nodes:
        if rule.kinks is not None:
            for u in rule.kinks(*_guarded(_evaluate, rule, [values[a] for a in args])):
                found.append(u.data if isinstance(u, Value) else float(u))
    return found


def _well_conditioned(expression: Expression, xs: tuple[float, ...]) -> bool:
    """Whether `xs` is well inside the domain, gives moderate values and is away from kinks.

    A kink is near when a kink quantity is 0 at `xs` or changes sign (or becomes 0) within
    `_MARGIN` along an input or all of them, unless it is 0 all along (`relu(x - x)`,
    `floor(floor(x))`).
    """
    try:
        values = expression.values(*[Value(x) for x in xs])
        if not all(math.isfinite(v.data) and abs(v.data) <= _LARGEST for v in values):
            return False
        if not all(abs(g) <= _LARGEST for g in gradients(values[-1], values[: len(xs)])):
            return False  # steep (tan(tan(x)) near a pole): differences would be inaccurate
        center = _kinks(expression, xs)
        points = [(*xs[:i], x + step, *xs[i + 1 :]) for i, x in enumerate(xs) for step in _STEPS]
        points += [tuple(x + step for x in xs) for step in _STEPS]  # and all inputs at once
        for point in points:
            for u, v in zip(center, _kinks(expression, point)):
                if not (u * v > 0 or u == v == 0):  # a sign change, a 0, or a nan
                    return False
    except (ArithmeticError, ValueError):  # a user rule's domain error, or overflow
        return False
    return True


def expressions(
    ops: Sequence[str | Rule] | None = None,
    *,
    max_depth: int = 3,
    max_nodes: int = 8,
    n_inputs: int | None = None,
) -> st.SearchStrategy[tuple[Expression, tuple[float, ...]]]:
    """A strategy of pairs `(f, xs)`: a random expression graph and a point to evaluate it at.

    `f` is an `Expression` over `ops` (names from `autograd_lite.rules.RULES` such as `"+"`,
    `"exp"`, `"sum"`, or `Rule`s such as your own `primitive`s; all built-ins by default): up to
    `max_nodes` operations, at most `max_depth` deep, on `n_inputs` inputs (1 to 3 when None).
    Nodes may share subexpressions, so these are graphs, not only trees. `xs` are floats in
    [-2, 2] where every operation is defined and smooth:

    - each argument is kept inside its domain as the table records it (`Rule.domain`): `log`,
      `sqrt`, the base of `**`, the divisor of `/` get `1 + a ** 2` (at least 1), `acosh`
      gets `2 + a ** 2`, `asin`, `acos` and `atanh` get `tanh(a) / 2`;
    - examples with any intermediate value or slope beyond 1e3 in size, or with inputs within about
      1e-3 of a kink or jump (`Rule.kinks`: relu and abs at 0, maximum at a tie, floor at
      the integers...), are rejected, as are points where your own rules raise ValueError
      or an ArithmeticError within 1e-3 along any input (give `primitive` a `domain` and
      `kinks` to say more).

    Examples shrink toward fewer nodes, the first operations of `ops` and the input x0.
    """
    chosen = _rules_for(ops)
    if max_depth < 1 or max_nodes < 1:
        raise ValueError(
            f"expressions needs max_depth and max_nodes of at least 1, got "
            f"{max_depth} and {max_nodes}"
        )
    if n_inputs is not None and n_inputs < 1:
        raise ValueError(f"expressions needs at least one input, got n_inputs={n_inputs}")

    @st.composite
    def draw_example(draw: st.DrawFn) -> tuple[Expression, tuple[float, ...]]:
        n = n_inputs if n_inputs is not None else draw(st.integers(1, 3))
        nodes: list[tuple[Rule, tuple[int, ...]]] = []
        depths = [0] * n  # of every input and node, by index
        started = 0

        def operation(depth: int) -> int:
            """Draw a new node at most `depth` deep (its arguments first); return its index."""
            nonlocal started
            started += 1
            rule = draw(st.sampled_from(chosen))
            arity = _N_ARY_ARITY.get(rule) or rule.arity
            assert arity is not None  # checked in _rules_for
            args = tuple(argument(depth - 1) for _ in range(arity))
            nodes.append((rule, args))
            depths.append(1 + max(depths[a] for a in args))
            return n + len(nodes) - 1

        def argument(depth: int) -> int:
            """An input (what examples shrink to), an existing node (sharing) or, 3 times in 5,
            a new operation."""
            room = depth > 0 and started < max_nodes
            kind = draw(st.integers(0, 4 if room else 1))
            if kind >= 2:
                return operation(depth)
            shared = [k for k in range(n, n + len(nodes)) if depths[k] <= depth]
            if kind == 1 and shared:
                return draw(st.sampled_from(shared))
            return draw(st.integers(0, n - 1))

        operation(max_depth)  # recursion at most max_depth deep
        expression = Expression(n, nodes)
        xs = tuple(draw(st.floats(-_INPUT_RANGE, _INPUT_RANGE)) for _ in range(n))
        assume(_well_conditioned(expression, xs))
        return expression, xs

    return draw_example()


def assert_gradients_close(
    f: Callable[..., Any],
    *xs: float,
    order: int = 1,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    modes: Sequence[str] = ("rev",),
) -> None:
    """Raise AssertionError when reverse mode and finite differences disagree for `f` at `xs`.

    `order=2` checks the second derivatives too; `modes=("rev", "fwd")` checks forward mode
    (`jvp`) as well. This is `gradcheck` with the arguments spread,
    for use in a Hypothesis test. Its `GradcheckError` (an AssertionError) starts with the
    formula and the point, then, for any `f`, the operation whose recorded local derivative
    disagrees with central differences of its own function (named as `explain` names nodes, the
    inputs being x0, x1, ...), then gradcheck's report. Under pytest the library's own frames
    are hidden, so the formula comes first.
    """
    __tracebackhide__ = True  # pytest: show the test's line, not the checking machinery
    try:
        gradcheck(f, xs, eps=eps, atol=atol, rtol=rtol, order=order, modes=modes)
    except GradcheckError as error:
        raise GradcheckError(_mismatch(f, xs, error)) from None


# ---------------------------------------------------------------- one rule over its domain

_DOMAIN_POINTS: dict[str, tuple[float, float]] = {
    "real": (-10.0, 10.0),
    "positive": (_MARGIN, 10.0),
    "nonzero": (-10.0, 10.0),
    "> -1": (-1.0 + _MARGIN, 10.0),
    ">= 1": (1.0 + _MARGIN, 10.0),
    "[-1, 1]": (-1.0 + _MARGIN, 1.0 - _MARGIN),
    "(-1, 1)": (-1.0 + _MARGIN, 1.0 - _MARGIN),
}
"""Where `check_primitive` draws an input of each domain (`Rule.domain`): inside it by the
margin, so central differences never leave it; "nonzero" also stays _MARGIN from 0."""


def points(rule: Rule) -> st.SearchStrategy[tuple[float, ...]]:
    """Points in `rule`'s domain (its `Rule.domain`) where it is smooth: no kink (its `kinks`)
    within 1e-3 along any input, no error there, value and gradient within 1e3 in size."""
    if rule.arity is None:
        raise ValueError(f"points needs a rule of fixed arity, got {rule!r}")
    axes = []
    for domain in rule.domain:
        low, high = _DOMAIN_POINTS[domain]
        axis = st.floats(low, high)
        if domain == "nonzero":
            axis = axis.filter(lambda x: abs(x) >= _MARGIN)
        axes.append(axis)
    return st.tuples(*axes).filter(lambda xs: _smooth(rule, xs))


def _smooth(rule: Rule, xs: tuple[float, ...]) -> bool:
    """Whether `rule` at `xs` is moderate (value and gradient within 1e3), defined and without
    a kink within the margin along each input (a kink quantity keeps its sign)."""
    try:
        inputs = [Value(x) for x in xs]
        out = rule(*inputs)
        if not (math.isfinite(out.data) and abs(out.data) <= _LARGEST):
            return False
        if not all(abs(g) <= _LARGEST for g in gradients(out, inputs)):
            return False
        center = _kink_values(rule, xs)
        for i, x in enumerate(xs):
            for step in _STEPS:
                moved = (*xs[:i], x + step, *xs[i + 1 :])
                rule(*moved)  # still defined
                for u, v in zip(center, _kink_values(rule, moved)):
                    if not (u * v > 0 or u == v == 0):
                        return False
    except (ArithmeticError, ValueError):
        return False
    return True


def _kink_values(rule: Rule, xs: Sequence[float]) -> list[float]:
    """`rule.kinks` at `xs`, as floats: 0 at a kink."""
    if rule.kinks is None:
        return []
    return [u.data if isinstance(u, Value) else float(u) for u in rule.kinks(*xs)]


def check_primitive(rule: Rule, *, order: int = 2, max_examples: int = 100) -> None:
    """Property-test `rule` (your `primitive`) over its domain, in one call.

    Hypothesis draws `max_examples` points of `points(rule)` (inside `rule.domain`, away from
    its `kinks`) and at each checks reverse and forward mode against central differences,
    to `order` (2: second derivatives too, which needs `grads` written with autograd_lite's
    functions). Raises AssertionError naming the point and, in its first line, the wrong
    local derivative; Hypothesis shrinks the point first.

    >>> check_primitive(primitive("softplus", softplus_fn, grads=(sigmoid,)))
    """
    if not isinstance(rule, Rule):
        raise TypeError(f"check_primitive needs a Rule (from primitive), got {type(rule).__name__}")

    @settings(max_examples=max_examples, deadline=None, database=None)
    @given(points(rule))
    def check(xs: tuple[float, ...]) -> None:
        assert_gradients_close(rule, *xs, order=order, modes=("rev", "fwd"))

    check()


def _mismatch(f: Callable[..., Any], xs: tuple[float, ...], error: GradcheckError) -> str:
    """The failure message: formula, point and culprit first, then the evidence."""
    point = ", ".join(f"x{i} = {x!r}" for i, x in enumerate(xs))
    if isinstance(f, Rule):
        formula = f"{f.name}({', '.join(f'x{i}' for i in range(len(xs)))})"
    else:
        formula = repr(f) if isinstance(f, Expression) else getattr(f, "__name__", repr(f))
    report = str(error)
    if error.culprit is None:
        verdict = "reverse mode and finite differences disagree (input i is xi below)"
    else:  # gradcheck's own first line says the same
        verdict, report = error.culprit, report.partition("\n")[2]
    return f"{formula} at {point}: {verdict}\n{report}"
