"""The numeric policy of autograd_lite/rules.py, class by class, and the table as the one place.

Each kind of fault is a test here, over the whole table where it is a class: NaN goes
through every rule; nothing overflows into an error, forward or at any derivative order; a
derivative that does not exist is never finite; errors name the operation and the number. Then:
every function works in Python, as a method where PyTorch has the Tensor method, and in the
formula language; and a rule registered through `primitive` reaches everything that reads the
table.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

import autograd_lite as ag
import nn
from autograd_lite import Value, cli, expr, rules, testing
from autograd_lite.rules import FUNCTIONS, RULES

nan, inf = math.nan, math.inf

# ---------------------------------------------------------------- NaN goes through

# A point per rule where every input matters (so a nan there must show), and the positions to
# try nan at; by default 0.5 for every input and every position.
NAN_POINTS: dict[str, list[tuple[tuple[float, ...], tuple[int, ...]]]] = {
    "acosh": [((1.5,), (0,))],
    "leaky_relu": [((-0.5, 0.5), (0, 1))],
    "elu": [((-0.5, 0.5), (0, 1))],
    "where": [((1.0, 0.5, 0.25), (0, 1)), ((0.0, 0.5, 0.25), (2,))],
    "**": [((2.0, 3.0), (0, 1))],
    "sum": [((0.5, 0.25, 2.0), (0, 1, 2))],
    "dot": [((0.5, 0.25, 2.0, 3.0), (0, 1, 2, 3))],
}
NAN_CASES = [
    (name, point, i)
    for name, rule in RULES.items()
    for point, positions in NAN_POINTS.get(
        name, [((0.5,) * (rule.arity or 1), tuple(range(rule.arity or 1)))]
    )
    for i in positions
]


@pytest.mark.parametrize(("name", "point", "i"), NAN_CASES)
def test_nan_goes_through_every_rule(name: str, point: tuple[float, ...], i: int) -> None:
    """A nan input gives a nan value, on numbers and on Values, never an error or a number."""
    args = list(point)
    args[i] = nan
    assert math.isnan(RULES[name](*args))
    values = [Value(a) for a in args]
    out = RULES[name](*values)
    assert math.isnan(out.data)
    out.backward()  # the derivatives at nan exist as numbers (nan or PyTorch's choice)


def test_relu_of_nan_is_nan_with_pytorchs_slope() -> None:
    """relu(nan) = nan, relu'(nan) = 1 as in PyTorch (was 0.0 with slope 0)."""
    x = Value(nan)
    out = ag.relu(x)
    out.backward()
    assert math.isnan(out.data)
    assert x.grad == 1.0


def test_a_network_with_nan_weights_reports_a_nan_loss() -> None:
    """An MLP whose weight went nan, and hinge_loss of nan, give nan: nothing hides it."""
    model = nn.MLP(2, [4, 1], activation="relu", seed=0)
    model.parameters()[0].data = nan
    loss = nn.hinge_loss([model([1.0, 2.0])], [1.0])
    assert math.isnan(loss.data)
    assert math.isnan(nn.hinge_loss([Value(nan)], [1.0]).data)
    assert math.isnan(nn.mse_loss([Value(nan)], [1.0]).data)


# ---------------------------------------------------------------- one overflow policy: IEEE


def test_overflow_is_inf_everywhere_as_for_multiplication() -> None:
    """exp(710), 1e200 ** 2, sinh(-1000): ±inf like 1e200 * 1e200; x * x and x ** 2 agree."""
    x = Value(1e200)
    assert (x**2).data == (x * x).data == (x * 1e200).data == inf
    assert ag.exp(Value(710.0)).data == inf
    assert (Value(-1e200) ** 3).data == -inf
    assert (2 ** Value(1e4)).data == inf
    assert ag.sinh(-1000.0) == -inf
    assert ag.cosh(1000.0) == ag.exp2(1025.0) == ag.expm1(1000.0) == inf
    assert ag.hypot(1.5e308, 1.5e308) == inf


@pytest.mark.parametrize(
    ("f", "x", "expected"),
    [
        (lambda x: x**-1, 1e-300, -inf),  # 1e300 exists; its slope -1e600 is beyond the floats
        (lambda x: x * x, 1e200, 2e200),
        (lambda x: x**2, 1e200, 2e200),
        (lambda x: ag.exp(x), 710.0, inf),
        (lambda y: 1e-200**y, -1.0, -1e200 * math.log(1e200)),
    ],
)
def test_a_derivative_never_raises_where_the_value_exists(f, x: float, expected: float) -> None:
    """First derivatives past the float range are ±inf, not an OverflowError."""
    assert ag.grad(f)(x) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("f", "order", "expected"),
    [
        (lambda x: x**0, 2, 0.0),
        (lambda x: x**0, 3, 0.0),
        (lambda x: x**1, 3, 0.0),
        (lambda x: x**1, 2, 0.0),
        (lambda x: x**2, 3, 0.0),
        (lambda x: x**-1, 2, inf),
        (lambda x: x**-1, 3, -inf),
    ],
)
def test_higher_derivatives_at_a_tiny_number(f, order: int, expected: float) -> None:
    """At 1e-300: x**0 and x**1 have derivatives 0 after their first, 1/x's are ±inf."""
    g = f
    for _ in range(order):
        g = ag.grad(g)
    assert g(1e-300) == expected


def test_the_policy_is_written_at_the_top_of_the_table() -> None:
    """rules.py's docstring states the policy that these tests check."""
    doc = rules.__doc__ or ""
    for words in ["Outside the domain, an error", "IEEE 754", "NaN goes through", "never finite"]:
        assert words in doc


# ---------------------------------------------------------------- derivatives that do not exist


def test_hessian_of_a_power_at_a_negative_base_is_symmetric() -> None:
    """d/dy x**y does not exist at x < 0: nan in both orders (was [[-12, 4], [0, 0]])."""
    h = ag.hessian(lambda x, y: x**y)(-2.0, 3.0)
    assert h[0][0] == -12.0
    assert math.isnan(h[0][1])
    assert math.isnan(h[1][0])
    assert math.isnan(h[1][1])


@pytest.mark.parametrize("point", [(0.0, 0.5), (0.0, 1.0), (0.0, 0.0), (0.0, 2.0), (0.0, 1.5)])
def test_hessian_of_a_power_at_a_zero_base_is_symmetric(point: tuple[float, float]) -> None:
    """At the edge x = 0 too: the mixed derivatives agree (both nan where neither exists)."""
    h = ag.hessian(lambda x, y: x**y)(*point)
    assert repr(h[0][1]) == repr(h[1][0])


@pytest.mark.parametrize("name", ["asin", "acos", "acosh"])
def test_vertical_tangents_at_domain_ends_are_infinite_at_every_order(name: str) -> None:
    """asin and acos at ±1, acosh at 1: infinite slope, then nothing finite."""
    f = RULES[name]
    for x in [1.0] if name == "acosh" else [1.0, -1.0]:
        g = ag.grad(f)
        for _ in range(3):
            assert not math.isfinite(g(x))
            g = ag.grad(g)


def test_atan2_and_hypot_have_no_derivative_at_the_origin() -> None:
    """Their kink at (0, 0): nan, not a finite number."""
    for f in (ag.atan2, ag.hypot):
        assert all(math.isnan(d) for d in ag.grad(f, (0, 1))(0.0, 0.0))


# ---------------------------------------------------------------- messages


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: Value(10**400), ["Value", "401 digits", "too large for a float"]),
        (lambda: Value(-(10**400)), ["Value", "-100000"]),
        (lambda: ag.exp(10**400), ["exp", "401 digits"]),
        (lambda: ag.log(Value(-1.0)), ["log", "-1.0"]),
        (lambda: Value(-8.0) ** Value(1 / 3), ["pow", "-8.0"]),
        (lambda: ag.clamp(Value(1.0), 2.0, 3.0, 4.0), ["clamp", "1 to 3", "4"]),
        (lambda: ag.where(Value(1.0), 2.0), ["where", "3", "2"]),
    ],
)
def test_every_error_names_the_operation_and_the_number(make, words: list[str]) -> None:
    """The message says which operation and which number (or count)."""
    with pytest.raises((ValueError, ArithmeticError, TypeError)) as caught:
        make()
    for word in words:
        assert word in str(caught.value)


def test_non_finite_inputs_are_limits_or_nan_never_a_bare_math_error() -> None:
    """sin(inf) is nan (was 'math domain error'), atan(inf) = pi/2, exp(-inf) = 0."""
    assert math.isnan(ag.sin(Value(inf)).data)
    assert math.isnan(ag.cos(-inf))
    assert math.isnan(ag.tan(inf))
    assert ag.atan(inf) == math.pi / 2
    assert ag.exp(-inf) == 0.0
    assert ag.floor(inf) == inf
    assert math.isnan(ag.ceil(nan))
    assert ag.logaddexp(inf, inf) == inf
    assert ag.logaddexp(-inf, -inf) == -inf


# ---------------------------------------------------------------- every function, three ways

PROMISED_FUNCTIONS = """tan sinh cosh asin acos atan atan2 asinh acosh atanh log1p expm1 log2
log10 exp2 erf softplus silu gelu leaky_relu elu maximum minimum clamp where sign floor ceil
hypot logaddexp"""

TENSOR_METHODS = {
    "tan", "sinh", "cosh", "asin", "acos", "atan", "atan2", "asinh", "acosh", "atanh", "log1p",
    "expm1", "log2", "log10", "exp2", "erf", "maximum", "minimum", "clamp", "where", "sign",
    "floor", "ceil", "hypot", "logaddexp", "exp", "log", "sqrt", "tanh", "sigmoid", "relu",
    "sin", "cos", "abs",
}  # fmt: skip
"""The functions torch.Tensor has as methods (PyTorch 2.13); softplus, silu, gelu,
leaky_relu and elu are torch.nn.functional only."""

ARGUMENTS: dict[str, tuple[float, ...]] = {
    "acosh": (1.5,),
    "atan2": (0.5, -0.25),
    "hypot": (0.5, -0.25),
    "logaddexp": (0.5, -0.25),
    "maximum": (0.5, -0.25),
    "minimum": (0.5, -0.25),
    "leaky_relu": (-0.5, 0.2),
    "elu": (-0.5, 0.2),
    "clamp": (0.5, 0.0, 0.25),
    "where": (0.0, 0.5, -0.25),
}


def test_every_promised_function_is_in_the_table_and_exported() -> None:
    """The functions the package promises are each one entry of the table and a public function."""
    listed = PROMISED_FUNCTIONS.split()
    for name in listed:
        assert getattr(ag, name) is RULES[name] is FUNCTIONS[name]
        assert name in ag.__all__


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_method_where_pytorch_has_one(name: str) -> None:
    """A Value has the method exactly when torch.Tensor has it, and it equals the function."""
    assert hasattr(Value, name) == (name in TENSOR_METHODS)
    if name not in TENSOR_METHODS:
        return
    args = ARGUMENTS.get(name, (0.5,))
    if name == "where":  # Tensor.where(condition, other) is where(condition, self, other)
        condition, x, y = args
        assert Value(x).where(condition, y).data == ag.where(condition, x, y)
        return
    assert getattr(Value(args[0]), name)(*args[1:]).data == RULES[name](*args)


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_every_function_in_the_formula_language(name: str, capsys) -> None:
    """`autograd-lite grad "f(x, ...)"` works for every function of the table."""
    args = ARGUMENTS.get(name, (0.5,))
    names = ["x", "y", "z"][: len(args)]
    at = ",".join(f"{n}={a}" for n, a in zip(names, args))
    assert cli.main(["grad", f"{name}({', '.join(names)})", "--at", at]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("f = ")
    assert f"df/d{names[-1]} = " in printed


@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_every_function_compiles(name: str) -> None:
    """compile() runs each rule's own forward and partials: same value and gradient."""
    args = ARGUMENTS.get(name, (0.5,))
    rule = RULES[name]
    compiled = ag.compile(lambda *xs: rule(*xs))
    value, grads = compiled(*args)
    assert value == rule(*args)
    expected = ag.grad(lambda *xs: rule(*xs), tuple(range(len(args))))(*args)
    assert grads == pytest.approx(expected, rel=1e-15)


def test_defaults_may_be_left_out_in_python_and_in_formulas() -> None:
    """leaky_relu's slope, elu's alpha and clamp's bounds have defaults, there and in the CLI."""
    assert ag.leaky_relu(-2.0) == -0.02
    assert ag.elu(-1.0) == pytest.approx(math.expm1(-1.0))
    assert ag.clamp(5.0) == 5.0
    assert ag.clamp(5.0, 0.0) == 5.0
    assert ag.clamp(-5.0, 0.0) == 0.0
    assert Value(5.0).clamp(max=1.0).data == 1.0
    assert expr.parse("leaky_relu(x) + clamp(x, 0)")(-2.0) == pytest.approx(-0.02)
    with pytest.raises(expr.ExpressionError, match="1 to 3 arguments"):
        expr.parse("clamp(x, 0, 1, 2)")


# ---------------------------------------------------------------- one place per idea


def test_a_registered_rule_reaches_everything_that_reads_the_table(capsys) -> None:
    """primitive(register=True) puts a rule in the table: the CLI language and help, the
    strategies' default ops, compile and the Value pass find it there."""
    cube = ag.primitive(
        "cube", lambda x: x**3, grads=(lambda x: 3 * x * x,), register=True, domain=("real",)
    )
    try:
        assert RULES["cube"] is cube
        assert FUNCTIONS["cube"] is cube
        assert expr.parse("cube(x) + 1")(2.0) == 9.0
        assert "cube" in cli._parser().format_help()
        assert cube in testing._rules_for(None)
        assert ag.compile(lambda x: cube(x))(2.0) == (8.0, (12.0,))
        assert ag.grad(ag.grad(lambda x: cube(x)))(2.0) == 12.0
        assert cli.main(["grad", "cube(x)", "--at", "x=2"]) == 0
        assert "df/dx = 12" in capsys.readouterr().out
    finally:
        del RULES["cube"]
    assert "cube" not in FUNCTIONS
    with pytest.raises(ValueError, match="cannot be registered"):
        ag.primitive("exp", ag.exp, grads=(ag.exp,), register=True)
    assert ag.primitive("cube", lambda x: x**3, grads=(lambda x: 3 * x * x,)).name == "cube"
    assert "cube" not in RULES  # register is asked for, not implied


def test_the_readme_lists_exactly_the_tables_functions() -> None:
    """README's table of contents names every function of the table, and no other."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `ag.exp(x)`"))
    named = re.findall(r"`([a-z_0-9]+)`", row.split("|")[2].split(":")[0])
    assert named == [name for name in FUNCTIONS if name in rules.BUILTINS]


# ---------------------------------------------------------------- a Value answers like a number


def test_a_value_answers_like_a_python_number() -> None:
    """Comparisons give bools, float/round/format/bool read .data; == and hash by identity."""
    x, y = Value(2.5), Value(-1.0)
    assert (x > y, x >= 2.5, x < 3, x <= y, x.data < 3.0, y < 0) == (
        True,
        True,
        True,
        False,
        True,
        True,
    )
    assert all(type(b) is bool for b in (x > y, x < 1, x >= y, x <= 0.0))
    assert float(x) == 2.5
    assert type(float(x)) is float
    assert round(Value(2.567), 2) == 2.57
    assert type(round(Value(2.567), 2)) is float
    assert round(Value(2.6)) == 3
    assert type(round(Value(2.6))) is int
    assert format(x, ".3f") == "2.500"
    assert f"{x:.1e}" == "2.5e+00"
    assert f"{y:+.0f}" == "-1"
    assert bool(Value(0.0)) is False
    assert bool(Value(nan)) is True
    assert bool(x) is True
    assert x != Value(2.5)
    assert x == x
    assert len({x, Value(2.5)}) == 2
    assert x.parents == ()
    assert x.grad == 0.0


def test_comparisons_with_nan_are_false_as_for_floats() -> None:
    """Value(nan) compares like float nan: every ordering is False."""
    n = Value(nan)
    assert not (n < 1)
    assert not (n > 1)
    assert not (n <= 1)
    assert not (n >= 1)
    assert not (n < n)


def test_clamp_at_nan_has_a_nan_slope_toward_every_input() -> None:
    """clamp(nan, lo, hi) is nan, and so is its slope toward x, lo and hi (was 0.0: a nan
    that stopped there made a gradient look finite); off its bounds the slope is still 0."""
    for point in [(nan, -1.0, 1.0), (0.5, nan, 1.0), (0.5, -1.0, nan)]:
        assert all(math.isnan(d) for d in ag.grad(ag.clamp, (0, 1, 2))(*point))
    assert ag.grad(ag.clamp, (0, 1, 2))(2.0, -1.0, 1.0) == (0.0, 0.0, 1.0)
