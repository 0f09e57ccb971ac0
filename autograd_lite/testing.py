"""Hypothesis strategies for property-testing gradients: yours and the engine's.

>>> from hypothesis import given
>>> from autograd_lite.testing import assert_gradients_close, expressions
>>> @given(expressions())
... def test_gradients(example):
...     f, xs = example
...     assert_gradients_close(f, *xs, order=2)

`expressions()` draws random expression graphs over the engine's operations (or your own
`primitive`s) with a point to evaluate them at; `assert_gradients_close` compares reverse mode
with finite differences. Needs Hypothesis: `pip install hypothesis`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - exercised by a test that hides hypothesis
    raise ImportError("autograd_lite.testing needs Hypothesis: pip install hypothesis") from error

from autograd_lite import rules
from autograd_lite.functional import gradients
from autograd_lite.gradcheck import GradcheckError, gradcheck
from autograd_lite.rule import RULES, Rule
from autograd_lite.value import Operand, Value

__all__ = ["Expression", "assert_gradients_close", "expressions"]

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
) -> None:
    """Raise AssertionError when reverse mode and finite differences disagree for `f` at `xs`.

    `order=2` checks the second derivatives too. This is `gradcheck` with the arguments spread,
    for use in a Hypothesis test. Its `GradcheckError` (an AssertionError) starts with the
    formula and the point; for an `Expression` it names the operation whose derivative is
    wrong, found by checking each node alone at the arguments it received, then shows that
    check. Under pytest the library's own frames are hidden, so the formula comes first.
    """
    __tracebackhide__ = True  # pytest: show the test's line, not the checking machinery
    try:
        gradcheck(f, xs, eps=eps, atol=atol, rtol=rtol, order=order)
    except GradcheckError as error:
        report = str(error)
    else:
        return
    culprit = _wrong_operation(f, xs, order, eps, atol, rtol)
    raise GradcheckError(_mismatch(f, xs, report, culprit)) from None


def _wrong_operation(
    f: Callable[..., Any], xs: tuple[float, ...], order: int, eps: float, atol: float, rtol: float
) -> tuple[Rule, str, str] | None:
    """The first node of `f` (inputs first) whose rule fails gradcheck alone at its arguments.

    Returns the rule, the call as text (`wrong_sin(0.5)`) and its gradcheck report; None when
    `f` is not an Expression, or every node passes alone.
    """
    if not isinstance(f, Expression):
        return None
    values: list[float] = list(xs)
    for rule, args in f.nodes:
        arguments = _guarded(_evaluate, rule, [values[a] for a in args])
        try:
            gradcheck(rule, arguments, eps=eps, atol=atol, rtol=rtol, order=order)
        except GradcheckError as error:
            call = _format(rule, *(_number(a) for a in arguments)).text
            return rule, call, str(error)
        values.append(rule(*arguments))
    return None


def _number(x: float) -> _Text:
    """A number as a piece of formula: a negative one binds like a negation."""
    return _Text(f"{x:.6g}", _ATOM if x >= 0 else _NEGATION)


def _mismatch(
    f: Callable[..., Any],
    xs: tuple[float, ...],
    report: str,
    culprit: tuple[Rule, str, str] | None,
) -> str:
    """The failure message: formula, point and culprit first, then the evidence."""
    point = ", ".join(f"x{i} = {x!r}" for i, x in enumerate(xs))
    if isinstance(f, Rule):
        formula = f"{f.name}({', '.join(f'x{i}' for i in range(len(xs)))})"
    else:
        formula = repr(f) if isinstance(f, Expression) else getattr(f, "__name__", repr(f))
    if culprit is None:
        verdict = "reverse mode and finite differences disagree (input i is xi below)"
        return f"{formula} at {point}: {verdict}\n{report}"
    rule, call, alone = culprit
    return (
        f"{formula} at {point}: the derivative of {rule.name} is wrong\n"
        f"checked alone at {call}, input i being its argument i:\n{alone}"
    )
