"""Every entry of the rules table against its closed-form derivative and central differences.

Parametrized over `RULES` itself: a rule added to the table without a closed form here fails
`test_every_rule_has_a_closed_form`, so each new rule is tested the moment it is added.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import pytest

import autograd_lite as ag
from autograd_lite import Value, expr, rules
from autograd_lite.rules import RULES

UPSTREAM = -1.7  # a non-trivial seed: a rule that ignores the upstream gradient is caught


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _phi_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


_SQRT_2PI = math.sqrt(2 * math.pi)


# name -> (points to test at, closed-form partial derivative per input)
CLOSED_FORMS: dict[str, tuple[list[tuple[float, ...]], Callable[..., tuple[float, ...]]]] = {
    "+": ([(1.5, -2.0), (0.0, 3.0)], lambda x, y: (1.0, 1.0)),
    "-": ([(1.5, -2.0), (0.0, 3.0)], lambda x, y: (1.0, -1.0)),
    "*": ([(1.5, -2.0), (0.0, 3.0)], lambda x, y: (y, x)),
    "/": ([(1.5, -2.0), (-3.0, 0.25)], lambda x, y: (1 / y, -x / y**2)),
    "neg": ([(1.5,), (-0.3,)], lambda x: (-1.0,)),
    "**": (
        [(1.5, 2.0), (2.0, -0.5), (0.7, 3.3)],
        lambda x, y: (y * x ** (y - 1), x**y * math.log(x)),
    ),
    "exp": ([(0.0,), (1.3,), (-2.0,)], lambda x: (math.exp(x),)),
    "log": ([(0.5,), (3.0,)], lambda x: (1 / x,)),
    "sqrt": ([(0.25,), (4.0,)], lambda x: (0.5 / math.sqrt(x),)),
    "tanh": ([(0.0,), (0.8,), (-2.5,)], lambda x: (1 - math.tanh(x) ** 2,)),
    "sigmoid": ([(0.0,), (2.0,), (-3.0,)], lambda x: (_sigmoid(x) * (1 - _sigmoid(x)),)),
    "relu": ([(1.2,), (-0.7,)], lambda x: (1.0 if x > 0 else 0.0,)),
    "abs": ([(1.2,), (-0.7,)], lambda x: (1.0 if x > 0 else -1.0,)),
    "sin": ([(0.0,), (1.1,), (-2.0,)], lambda x: (math.cos(x),)),
    "cos": ([(0.0,), (1.1,), (-2.0,)], lambda x: (-math.sin(x),)),
    "tan": ([(0.3,), (-1.2,)], lambda x: (1 / math.cos(x) ** 2,)),
    "sinh": ([(0.3,), (-1.2,)], lambda x: (math.cosh(x),)),
    "cosh": ([(0.3,), (-1.2,)], lambda x: (math.sinh(x),)),
    "asin": ([(0.3,), (-0.8,)], lambda x: (1 / math.sqrt(1 - x * x),)),
    "acos": ([(0.3,), (-0.8,)], lambda x: (-1 / math.sqrt(1 - x * x),)),
    "atan": ([(0.3,), (-2.0,)], lambda x: (1 / (1 + x * x),)),
    "atan2": ([(1.0, 2.0), (-0.5, -1.5)], lambda y, x: (x / (x * x + y * y), -y / (x * x + y * y))),
    "asinh": ([(0.3,), (-2.0,)], lambda x: (1 / math.sqrt(x * x + 1),)),
    "acosh": ([(1.5,), (3.0,)], lambda x: (1 / math.sqrt(x * x - 1),)),
    "atanh": ([(0.3,), (-0.8,)], lambda x: (1 / (1 - x * x),)),
    "log1p": ([(0.3,), (-0.5,)], lambda x: (1 / (1 + x),)),
    "expm1": ([(0.3,), (-2.0,)], lambda x: (math.exp(x),)),
    "log2": ([(0.3,), (5.0,)], lambda x: (1 / (x * math.log(2)),)),
    "log10": ([(0.3,), (5.0,)], lambda x: (1 / (x * math.log(10)),)),
    "exp2": ([(0.3,), (-2.0,)], lambda x: (2**x * math.log(2),)),
    "erf": ([(0.3,), (-1.1,)], lambda x: (2 / math.sqrt(math.pi) * math.exp(-x * x),)),
    "softplus": ([(0.3,), (-2.0,)], lambda x: (_sigmoid(x),)),
    "silu": ([(0.3,), (-2.0,)], lambda x: (_sigmoid(x) * (1 + x * (1 - _sigmoid(x))),)),
    "gelu": ([(0.3,), (-1.1,)], lambda x: (_phi_cdf(x) + x * math.exp(-x * x / 2) / _SQRT_2PI,)),
    "leaky_relu": ([(1.2, 0.1), (-0.7, 0.1)], lambda x, a: (1.0, 0.0) if x > 0 else (a, x)),
    "elu": (
        [(1.2, 0.5), (-0.7, 0.5)],
        lambda x, a: (1.0, 0.0) if x > 0 else (a * math.exp(x), math.expm1(x)),
    ),
    "maximum": ([(1.2, 0.5), (-0.7, 0.5)], lambda x, y: (1.0, 0.0) if x > y else (0.0, 1.0)),
    "minimum": ([(1.2, 0.5), (-0.7, 0.5)], lambda x, y: (0.0, 1.0) if x > y else (1.0, 0.0)),
    "clamp": (
        [(0.5, 0.0, 1.0), (-0.5, 0.0, 1.0), (1.5, 0.0, 1.0)],
        lambda x, lo, hi: (
            (1.0, 0.0, 0.0) if lo < x < hi else (0.0, 1.0, 0.0) if x < lo else (0, 0, 1)
        ),
    ),
    "where": (
        [(1.0, 2.0, 3.0), (0.0, 2.0, 3.0)],
        lambda c, x, y: (0.0, 1.0, 0.0) if c else (0.0, 0.0, 1.0),
    ),
    "sign": ([(1.2,), (-0.7,)], lambda x: (0.0,)),
    "floor": ([(1.2,), (-0.7,)], lambda x: (0.0,)),
    "ceil": ([(1.2,), (-0.7,)], lambda x: (0.0,)),
    "stop_gradient": ([(1.2,), (-0.7,)], lambda x: (0.0,)),
    "hypot": ([(3.0, 4.0), (-1.0, 0.5)], lambda x, y: (x / math.hypot(x, y), y / math.hypot(x, y))),
    "logaddexp": ([(0.3, -1.0), (2.0, 2.5)], lambda x, y: (_sigmoid(x - y), _sigmoid(y - x))),
    "sum": ([(1.0, -2.0, 3.5), (0.5,)], lambda *xs: (1.0,) * len(xs)),
    "dot": ([(1.0, -2.0, 3.5, 0.5), (2.0, 3.0)], lambda *a: a[len(a) // 2 :] + a[: len(a) // 2]),
}

CASES = [(name, point) for name, (points, _) in CLOSED_FORMS.items() for point in points]


def _gradients(rule: ag.Rule, point: tuple[float, ...]) -> tuple[float, list[float]]:
    """Value and reverse-mode gradient of `rule` at `point`, seeded with UPSTREAM."""
    leaves = [Value(x) for x in point]
    out = rule(*leaves)
    out.backward(UPSTREAM)
    return out.data, [leaf.grad for leaf in leaves]


def test_every_rule_has_a_closed_form() -> None:
    """The closed-form table covers the whole rules table, so no rule goes untested."""
    assert set(CLOSED_FORMS) == set(RULES)


@pytest.mark.parametrize(("name", "point"), CASES)
def test_rule_matches_closed_form(name: str, point: tuple[float, ...]) -> None:
    """Reverse mode times the upstream gradient equals the hand-derived partials."""
    _, grads = _gradients(RULES[name], point)
    expected = CLOSED_FORMS[name][1](*point)
    assert grads == pytest.approx([UPSTREAM * d for d in expected], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    ("name", "point"), [case for case in CASES if RULES[case[0]] not in rules.DECREED]
)
def test_rule_matches_finite_differences(name: str, point: tuple[float, ...]) -> None:
    """Reverse mode agrees with central differences (h = 1e-6: error ~1e-10 relative)."""
    rule = RULES[name]
    _, grads = _gradients(rule, point)
    h = 1e-6
    for i in range(len(point)):
        up = list(point)
        down = list(point)
        up[i] += h
        down[i] -= h
        numeric = (rule(*up) - rule(*down)) / (2 * h)
        assert grads[i] == pytest.approx(UPSTREAM * numeric, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize(("name", "point"), CASES)
def test_rule_on_numbers_returns_the_same_float(name: str, point: tuple[float, ...]) -> None:
    """A rule applied to plain numbers returns a float equal to the Value's data."""
    data, _ = _gradients(RULES[name], point)
    result = RULES[name](*point)
    assert type(result) is float
    assert result == data


@pytest.mark.parametrize(
    ("function", "x", "expected"),
    [
        (ag.relu, 0.0, 0.0),
        (ag.abs, 0.0, 0.0),
        (ag.sqrt, 0.0, math.inf),
    ],
)
def test_choice_at_kinks(function: ag.Rule, x: float, expected: float) -> None:
    """The documented choices: relu'(0) = abs'(0) = 0 and sqrt'(0) = +inf."""
    leaf = Value(x)
    function(leaf).backward()
    assert leaf.grad == expected


def test_power_derivatives_at_the_edges() -> None:
    """x**y at x = 0 and at a negative base with an integer exponent: finite where defined."""
    x, y = Value(0.0), Value(2.0)
    (x**y).backward()
    assert (x.grad, y.grad) == (0.0, 0.0)
    x, y = Value(-3.0), Value(2.0)
    (x**y).backward()
    assert x.grad == -6.0
    assert math.isnan(y.grad)  # (-3)**y is real at integer y only: no derivative toward y
    x = Value(0.0)
    (x**0.5).backward()
    assert x.grad == math.inf
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0


@pytest.mark.parametrize("x", [1000.0, -1000.0])
@pytest.mark.parametrize("function", [ag.sigmoid, ag.tanh])
def test_saturating_functions_are_stable(function: ag.Rule, x: float) -> None:
    """sigmoid and tanh at ±1000: finite values and finite (zero) gradients."""
    leaf = Value(x)
    out = function(leaf)
    out.backward()
    assert math.isfinite(out.data)
    assert abs(out.data) in (0.0, 1.0)
    assert leaf.grad == 0.0


def test_sigmoid_keeps_precision_in_the_tails() -> None:
    """sigmoid(-30) is ~9.4e-14, not rounded to 0 by computing 1 - something."""
    assert ag.sigmoid(-30.0) == pytest.approx(math.exp(-30) / (1 + math.exp(-30)), rel=1e-12)


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: ag.log(Value(0.0)), ValueError, ["log", "0.0"]),
        (lambda: ag.log(-2.5), ValueError, ["log", "-2.5"]),
        (lambda: ag.sqrt(Value(-4.0)), ValueError, ["sqrt", "-4.0"]),
        (lambda: Value(-8.0) ** (1 / 3), ValueError, ["pow", "-8.0", "0.333"]),
        (lambda: 2.0 / Value(0.0), ZeroDivisionError, ["division", "2.0"]),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, ["pow", "-1"]),
        (lambda: Value(10**400), OverflowError, ["Value", "100000", "401 digits", "float"]),
        (lambda: ag.asin(Value(1.5)), ValueError, ["asin", "1.5"]),
        (lambda: ag.acos(-1.5), ValueError, ["acos", "-1.5"]),
        (lambda: ag.acosh(Value(0.5)), ValueError, ["acosh", "0.5"]),
        (lambda: ag.atanh(Value(1.0)), ValueError, ["atanh", "1.0"]),
        (lambda: ag.log1p(Value(-1.0)), ValueError, ["log1p", "-1.0"]),
        (lambda: ag.log2(Value(0.0)), ValueError, ["log2", "0.0"]),
        (lambda: ag.log10(Value(-math.inf)), ValueError, ["log10", "-inf"]),
        (lambda: ag.sqrt(-math.inf), ValueError, ["sqrt", "-inf"]),
        (lambda: Value(0.0) ** Value(-0.5), ZeroDivisionError, ["pow", "-0.5"]),
    ],
)
def test_domain_errors_name_the_operation_and_number(make, error, words) -> None:
    """Inputs outside an operation's domain (or the float range, for an int) raise an error
    naming the operation and the number."""
    with pytest.raises(error) as caught:
        make()
    for word in words:
        assert word in str(caught.value)


def test_negative_base_with_integer_exponent_stays_real() -> None:
    """(-2) ** 3 is -8.0, a float: nothing ever silently becomes complex."""
    result = Value(-2.0) ** 3
    assert type(result.data) is float
    assert result.data == -8.0


def test_wrong_number_of_arguments() -> None:
    """Calling a rule with the wrong arity says how many it takes."""
    with pytest.raises(TypeError, match="exp takes 1 argument"):
        ag.exp(1.0, 2.0)  # type: ignore[call-overload]


def test_sum_and_dot_make_one_node() -> None:
    """sum and dot are n-ary: one node however many inputs."""
    xs = [Value(float(i)) for i in range(5)]
    ws = [Value(0.5 * i) for i in range(5)]
    total = ag.sum(xs)
    weighted = ag.dot(ws, xs)
    assert (total.op, len(total.parents), total.data) == ("sum", 5, 10.0)
    assert (weighted.op, len(weighted.parents), weighted.data) == ("dot", 10, 15.0)
    weighted.backward()
    assert [x.grad for x in xs] == [w.data for w in ws]
    assert [w.grad for w in ws] == [x.data for x in xs]


def test_sum_and_dot_of_numbers_are_floats() -> None:
    """With no Values among the inputs, sum and dot are plain float arithmetic."""
    assert ag.sum([1, 2, 3.5]) == 6.5
    assert ag.sum([]) == 0.0
    assert ag.dot([1, 2], [3, 4]) == 11.0


def test_dot_of_unequal_lengths() -> None:
    """dot with sequences of different lengths names both lengths."""
    with pytest.raises(ValueError, match="3 and 2"):
        ag.dot([Value(1.0)] * 3, [1.0, 2.0])


@pytest.mark.parametrize(
    ("function", "p"),
    [
        (ag.sqrt, 0.5),
        (lambda x: x**0.5, 0.5),
        (lambda x: x**0.25, 0.25),
        (lambda x: x ** (1 / 3), 1 / 3),
    ],
)
def test_derivatives_at_a_vertical_tangent_stay_non_finite(function, p: float) -> None:
    """At x = 0 the slope is +inf and no later derivative exists: never a finite number."""
    assert ag.grad(function)(0.0) == math.inf
    assert not math.isfinite(ag.grad(ag.grad(function))(0.0))
    assert not math.isfinite(ag.grad(ag.grad(ag.grad(function)))(0.0))
    assert ag.grad(ag.grad(function))(4.0) == pytest.approx(p * (p - 1) * 4.0 ** (p - 2))


def test_empty_sum_and_dot_are_float_zero() -> None:
    """No terms: 0.0, a float like every other result on numbers."""
    assert type(ag.sum([])) is float
    assert type(ag.dot([], [])) is float


# ---------------------------------------------------------------- each partial's formula text

_DRAWS = {
    "real": lambda r: r.uniform(-4.0, 4.0),
    "positive": lambda r: r.uniform(0.05, 5.0),
    "nonzero": lambda r: r.choice([-1.0, 1.0]) * r.uniform(0.1, 4.0),
    "> -1": lambda r: r.uniform(-0.95, 4.0),
    ">= 1": lambda r: r.uniform(1.05, 5.0),
    "[-1, 1]": lambda r: r.uniform(-0.95, 0.95),
    "(-1, 1)": lambda r: r.uniform(-0.95, 0.95),
}


def _formula_points(rule: ag.Rule, count: int) -> list[tuple[float, ...]]:
    """`count` points in the rule's domain, a distance from its kinks (where the formula and
    the partial may make different choices, and neither is wrong)."""
    rng = random.Random(rule.name)
    points: list[tuple[float, ...]] = []
    arity = rule.arity if rule.arity is not None else 4
    domain = rule.domain or ("real",) * arity
    while len(points) < count:
        point = tuple(_DRAWS[d](rng) for d in domain)
        if rule.kinks is None or all(abs(k) > 1e-3 for k in rule.kinks(*point)):
            points.append(point)
    return points


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_formula_is_the_formula_language_and_equals_its_partial(name: str) -> None:
    """Each input's formula text, parsed by the CLI's parser, gives the partial's number at
    200 points of the domain (with `out` the rule's value there)."""
    rule = RULES[name]
    for point in _formula_points(rule, 200):
        out = rule(*point)
        if rule.arity is None:
            partials = rule.partials[0](point, out)
            names = [f"x{k}" for k in range(len(point))]
        else:
            partials = [partial(*point, out) for partial in rule.partials]
            names = list(rule.inputs)
        known = dict(zip(names, point), out=out)
        for i, partial in enumerate(partials):
            text = rule.formula(i, "out", names)
            formula = expr.parse(text)
            got = formula(*(known[v] for v in formula.variables))
            assert got == pytest.approx(partial, rel=1e-12, abs=1e-14), (text, point)


@pytest.mark.parametrize(
    ("rule", "i", "names", "text"),
    [
        (ag.rules.pow_rule, 0, ["p", "x", 2.0], "2*x"),
        (ag.rules.pow_rule, 0, ["p", "x", 3], "3*x**2"),
        (ag.rules.pow_rule, 1, ["p", "x", "n"], "p*log(x)"),
        (ag.sigmoid, 0, ["s", "z"], "s*(1 - s)"),
        (ag.tanh, 0, ["t", "u"], "1 - t**2"),
        (ag.sin, 0, ["s", "x"], "cos(x)"),
        (ag.rules.mul, 0, ["m", "x", "y"], "y"),
        (ag.rules.mul, 1, ["m", "x", 3.0], "x"),
        (ag.rules.div, 1, ["q", "a", -2.0], "-a/4"),
        (ag.atan2, 1, ["θ", "b", "a"], "-b/(a**2 + b**2)"),
        (ag.clamp, 0, ["c", "x", -1.0, 1.0], "where(x - c, 0, 1)"),
        (ag.rules.dot_rule, 1, ["d", "w0", "w1", "a", "b"], "b"),
        (ag.rules.sum_rule, 2, ["s", "a", "b", "c"], "1"),
    ],
)
def test_a_formula_reads_with_the_graph_s_names(rule, i, names, text) -> None:
    """The node's name, its operands' names and constant operands' numbers are put in."""
    assert rule.formula(i, names[0], names[1:]) == text
