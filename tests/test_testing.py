"""Tests for autograd_lite.testing: expression graphs, their formulas, and catching bad rules."""

import importlib
import math
import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, find, given, settings

import autograd_lite as ag
from autograd_lite import Value, primitive, rules, sin
from autograd_lite.rules import RULES
from autograd_lite.testing import (
    Expression,
    assert_gradients_close,
    check_primitive,
    expressions,
    points,
)

wrong_sin = primitive("wrong_sin", math.sin, grads=(sin,))  # derivative should be cos
QUICK = settings(max_examples=50, deadline=None, database=None)
SEARCH = settings(QUICK, max_examples=300)  # find() stops at the first hit: room to be sure


def _disagrees(example):
    f, xs = example
    try:
        assert_gradients_close(f, *xs)
    except AssertionError:
        return True
    return False


# ---------------------------------------------------------------- formulas and evaluation


def test_formula_of_a_tree():
    """An expression prints as the formula it computes, with domain guards shown."""
    f = Expression(
        2,
        [
            (rules.mul, (0, 1)),
            (rules.tanh, (2,)),
            (rules.log, (0,)),
            (rules.add, (3, 4)),
        ],
    )
    assert repr(f) == str(f) == "tanh(x0 * x1) + log(1 + x0 ** 2)"


def test_formula_names_shared_subexpressions():
    """A node used twice is printed once, as a named binding."""
    f = Expression(2, [(rules.add, (0, 1)), (rules.sin, (2,)), (rules.mul, (2, 3))])
    assert repr(f) == "t0 * sin(t0) where t0 = x0 + x1"


@pytest.mark.parametrize(
    ("nodes", "formula"),
    [
        ([(rules.add, (0, 1)), (rules.neg, (2,))], "-(x0 + x1)"),
        ([(rules.sub, (0, 1)), (rules.sub, (0, 2))], "x0 - (x0 - x1)"),
        ([(rules.sub, (0, 1)), (rules.sub, (2, 1))], "x0 - x1 - x1"),
        ([(rules.add, (0, 1)), (rules.mul, (2, 1))], "(x0 + x1) * x1"),
        ([(rules.neg, (0,)), (rules.mul, (2, 2))], "t0 * t0 where t0 = -x0"),
        ([(rules.neg, (0,)), (rules.neg, (2,))], "-(-x0)"),
        ([(rules.pow_rule, (0, 1)), (rules.neg, (2,))], "-(1 + x0 ** 2) ** x1"),
        ([(rules.neg, (1,)), (rules.pow_rule, (0, 2))], "(1 + x0 ** 2) ** (-x1)"),
        ([(rules.mul, (0, 1)), (rules.div, (2, 1))], "x0 * x1 / (1 + x1 ** 2)"),
        ([(rules.sqrt, (0,)), (rules.relu, (2,))], "relu(sqrt(1 + x0 ** 2))"),
        ([(RULES["sum"], (0, 1, 0))], "sum([x0, x1, x0])"),
        ([(RULES["dot"], (0, 1, 1, 0))], "dot([x0, x1], [x1, x0])"),
        ([(wrong_sin, (1,))], "wrong_sin(x1)"),
    ],
)
def test_formula_parenthesizes_like_python(nodes, formula):
    """Parentheses appear exactly where Python's precedence needs them."""
    assert repr(Expression(2, nodes)) == formula


def test_unused_nodes_are_dropped():
    """Nodes the output does not depend on are not part of the expression."""
    f = Expression(1, [(rules.exp, (0,)), (rules.cos, (0,)), (rules.sin, (2,))])
    assert repr(f) == "sin(cos(x0))"
    assert len(f.nodes) == 2


def test_expression_evaluates_numbers_and_values():
    """Numbers in give a float, Values in give a Value with the same number."""
    f = Expression(
        2, [(rules.div, (0, 1)), (rules.log, (2,)), (rules.pow_rule, (1, 0)), (rules.add, (3, 4))]
    )
    x, y = 0.5, -1.5
    expected = math.log(1 + (x / (1 + y**2)) ** 2) + (1 + y**2) ** x
    assert f(x, y) == pytest.approx(expected, rel=1e-15)
    assert type(f(x, y)) is float
    out = f(Value(x), Value(y))
    assert isinstance(out, Value)
    assert out.data == f(x, y)


def test_expression_checks_argument_count():
    """Calling with the wrong number of inputs is a TypeError naming the expression."""
    f = Expression(2, [(rules.add, (0, 1))])
    with pytest.raises(TypeError, match=r"x0 \+ x1 takes 2 argument\(s\), got 1"):
        f(1.0)


# ---------------------------------------------------------------- the strategy


@QUICK
@given(expressions())
def test_examples_are_in_the_domain(example):
    """Every example evaluates to a moderate finite number at inputs in [-2, 2]."""
    f, xs = example
    assert all(-2.0 <= x <= 2.0 for x in xs)
    assert len(xs) == f.n_inputs
    value = f(*xs)
    assert math.isfinite(value)
    assert abs(value) <= 1e3


@QUICK
@given(expressions(ops=["relu", "abs", "-", "*"], n_inputs=2))
def test_examples_stay_away_from_kinks(example):
    """The argument of every relu and abs is away from 0, unless it is 0 all along (x - x)."""
    f, xs = example
    values = f.values(*xs)
    nearby = f.values(*(x + 1e-3 for x in xs))
    for rule, args in f.nodes:
        if rule in (rules.relu, rules.abs_rule):
            assert values[args[0]] != 0.0 or nearby[args[0]] == 0.0


@QUICK
@given(expressions(ops=["exp", "*"], max_depth=2, max_nodes=3, n_inputs=1))
def test_examples_respect_ops_and_size(example):
    """Only the chosen operations appear, within the size limits."""
    f, xs = example
    assert len(xs) == 1
    assert 1 <= len(f.nodes) <= 3
    assert {rule for rule, _ in f.nodes} <= {rules.exp, rules.mul}
    assert "x1" not in repr(f)


def test_examples_share_subexpressions():
    """Some examples are graphs, not trees: the simplest such shrinks to a tiny one."""
    f, xs = find(expressions(), lambda example: " where t0 = " in repr(example[0]), settings=SEARCH)
    assert " where t0 = " in repr(f)
    assert len(f.nodes) == 2
    assert xs == (0.0,)


def test_examples_reach_the_size_limit():
    """Examples are not all tiny: some use all the nodes allowed."""
    f, _ = find(
        expressions(max_nodes=5), lambda example: len(example[0].nodes) == 5, settings=SEARCH
    )
    assert len(f.nodes) == 5


def test_user_rule_with_a_domain_is_drawn_only_inside_it():
    """Points where a user rule raises (here log of a non-positive number) are rejected."""
    my_log = primitive("my_log", math.log, grads=(lambda x: 1 / x,))

    @settings(QUICK, suppress_health_check=[HealthCheck.filter_too_much])
    @given(expressions(ops=[my_log, "+"]))
    def check(example):
        f, xs = example
        assert_gradients_close(f, *xs, order=2)

    check()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"ops": ["nope"]}, ValueError, "unknown operation 'nope'"),
        ({"ops": [math.sin]}, TypeError, "ops holds rule names or Rules, got builtin"),
        ({"ops": []}, ValueError, "at least one operation"),
        ({"max_depth": 0}, ValueError, "at least 1, got 0 and 8"),
        ({"n_inputs": 0}, ValueError, "at least one input, got n_inputs=0"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    """Bad arguments to expressions() are reported at once."""
    with pytest.raises(error, match=match):
        expressions(**kwargs)


# ---------------------------------------------------------------- catching wrong derivatives


def test_assert_gradients_close_passes_and_fails():
    """Right derivatives pass silently; a wrong one raises AssertionError."""
    assert_gradients_close(lambda x, y: sin(x) * y, 0.5, 2.0, order=2)
    with pytest.raises(AssertionError, match=r"input 0 = 0\.5: MISMATCH"):
        assert_gradients_close(wrong_sin, 0.5)


def test_a_mismatch_names_the_formula_the_point_and_the_wrong_operation():
    """In x0 * wrong_sin(x1 + x0) the first line blames wrong_sin, at the argument it received,
    with the numbers: its recorded local derivative and its function's central differences."""
    f = Expression(2, [(rules.add, (1, 0)), (wrong_sin, (2,)), (rules.mul, (0, 3))])
    with pytest.raises(AssertionError) as failure:
        assert_gradients_close(f, 0.5, 0.25)
    first, *evidence = str(failure.value).splitlines()
    recorded, numeric = re.fullmatch(
        r"x0 \* wrong_sin\(x1 \+ x0\) at x0 = 0\.5, x1 = 0\.25: wrong_sin₁ = wrong_sin\(add₁\) "
        r"has a wrong local derivative toward add₁ \(input 0 of wrong_sin\): recorded (\S+), "
        r"central differences of wrong_sin at 0\.75 give (\S+)",
        first,
    ).groups()
    assert float(recorded) == math.sin(0.75)
    assert float(numeric) == pytest.approx(math.cos(0.75), rel=1e-8)
    assert "input 0 = 0.5: MISMATCH" in evidence


def test_a_mismatch_of_a_plain_function_names_it_and_the_point():
    """A function that is not an Expression: its name, the point, then gradcheck's report."""

    def twice_wrong_sin(x):
        return 2 * wrong_sin(x)

    for f, formula, node in (
        (wrong_sin, "wrong_sin(x0)", "f"),
        (twice_wrong_sin, "twice_wrong_sin", "wrong_sin₁"),
    ):
        with pytest.raises(AssertionError) as failure:
            assert_gradients_close(f, 0.5)
        first = str(failure.value).splitlines()[0]
        assert first.startswith(
            f"{formula} at x0 = 0.5: {node} = wrong_sin(x0) has a wrong local derivative toward "
            f"x0 (input 0 of wrong_sin): recorded {math.sin(0.5)!r}, central differences"
        )


def test_a_wrong_second_derivative_is_named():
    """A partial right on floats but a constant on Values: the first line names the op whose
    partial the Value pass differentiates wrongly, with both numbers."""
    detached = primitive(
        "detached",
        math.sin,
        grads=(lambda x: math.cos(x.data) if isinstance(x, Value) else math.cos(x),),
    )
    with pytest.raises(AssertionError) as failure:
        assert_gradients_close(detached, 0.5, order=2)
    assert str(failure.value).splitlines()[0] == (
        "detached(x0) at x0 = 0.5: f = detached(x0) has a wrong second derivative: d/dx0 of its "
        "local derivative toward x0 (input 0 of detached) is 0.0 by its partial on Values, "
        f"central differences of that partial at 0.5 give {-0.47942553860202963!r}"
    )


def test_a_mismatch_without_a_wrong_rule_says_so():
    """When every node is right (f cuts its own graph by reading .data), the first line says
    the modes disagree, and gradcheck's report follows."""

    def cut(x):
        return x * math.sin(x.data)

    with pytest.raises(AssertionError) as failure:
        assert_gradients_close(cut, 0.5)
    first, second, *_ = str(failure.value).splitlines()
    assert first == (
        "cut at x0 = 0.5: reverse mode and finite differences disagree (input i is xi below)"
    )
    assert second.startswith("gradcheck failed: reverse mode and central differences disagree")


PROPERTY_TEST = """
import math
from hypothesis import given, settings
from autograd_lite import primitive, sin
from autograd_lite.testing import assert_gradients_close, expressions

wrong_sin = primitive("wrong_sin", math.sin, grads=(sin,))


@settings(database=None)
@given(expressions(ops=["+", "*", "tanh", wrong_sin]))
def test_gradients(example):
    f, xs = example
    assert_gradients_close(f, *xs)
"""


def test_a_failing_property_test_shows_the_formula_within_15_lines(tmp_path):
    """Under pytest the library's frames are hidden: the formula and the culprit come first."""
    (tmp_path / "test_wrong.py").write_text(PROPERTY_TEST, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--hypothesis-seed=0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = done.stdout.splitlines()
    assert done.returncode == 1, done.stdout
    report = lines[next(i for i, line in enumerate(lines) if "= FAILURES =" in line) :]
    formula = next(i for i, line in enumerate(report) if "wrong_sin(x0)" in line)
    assert formula < 15, "\n".join(report[: formula + 1])
    message = [line for line in report if line.startswith("E ")]
    assert message[0].endswith(
        "GradcheckError: wrong_sin(x0) at x0 = 0.0: f = wrong_sin(x0) has a wrong local "
        "derivative toward x0 (input 0 of wrong_sin): recorded 0.0, central differences of "
        "wrong_sin at 0.0 give 0.9999999999998334"
    )
    length = next(i for i, line in enumerate(message) if "Failing test case" in line)
    assert length < 15, "\n".join(message)  # Hypothesis's own lines follow the message
    assert not any("def gradcheck" in line or "def _compare" in line for line in lines)


def test_hypothesis_finds_and_shrinks_a_wrong_rule():
    """Among random expressions the wrong rule is found and shrunk to its simplest use."""
    f, xs = find(expressions(ops=["+", "*", "tanh", wrong_sin]), _disagrees, settings=SEARCH)
    assert repr(f) == "wrong_sin(x0)"
    assert xs == (0.0,)


def test_property_test_fails_on_a_wrong_rule():
    """A @given test over expressions with a wrong rule fails with AssertionError."""

    @settings(QUICK, max_examples=200)
    @given(expressions(ops=["+", "exp", wrong_sin]))
    def check(example):
        f, xs = example
        assert_gradients_close(f, *xs)

    with pytest.raises(AssertionError, match="MISMATCH"):
        check()


def test_import_without_hypothesis_says_what_to_install(monkeypatch):
    """Without Hypothesis, importing autograd_lite.testing names the extra to install."""
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    monkeypatch.delitem(sys.modules, "autograd_lite.testing")
    with pytest.raises(ImportError, match="needs Hypothesis: pip install hypothesis"):
        importlib.import_module("autograd_lite.testing")


# ---------------------------------------------------------------- check_primitive


def test_check_primitive_passes_a_right_rule_over_its_domain():
    """A right primitive passes at order 2 in both modes, over a restricted domain too."""
    softplus = primitive("softplus_", lambda x: math.log1p(math.exp(x)), grads=(ag.sigmoid,))
    check_primitive(softplus, max_examples=30)
    log = primitive("log_", math.log, grads=(lambda x: 1 / x,), domain=("positive",))
    check_primitive(log, max_examples=30)


def test_check_primitive_names_the_wrong_local_derivative():
    """wrong_sin fails, shrunk to x0 = 0.0, and the first line names it and its numbers."""
    with pytest.raises(AssertionError) as failure:
        check_primitive(wrong_sin, max_examples=50)
    assert str(failure.value).splitlines()[0] == (
        "wrong_sin(x0) at x0 = 0.0: f = wrong_sin(x0) has a wrong local derivative toward x0 "
        "(input 0 of wrong_sin): recorded 0.0, central differences of wrong_sin at 0.0 give "
        "0.9999999999998334"
    )


def test_check_primitive_draws_inside_the_domain_away_from_kinks():
    """points(rule) stays inside the domain by the margin and away from the rule's kinks."""
    seen = []
    kinked = primitive(
        "kinked",
        lambda x, y: abs(x - 1.0) * math.sqrt(y),
        grads=(lambda x, y: ag.sign(x - 1.0) * ag.sqrt(y), lambda x, y: abs(x - 1.0) / 2 / y**0.5),
        domain=("real", "positive"),
        kinks=lambda x, y: (x - 1.0,),
    )

    @settings(QUICK, max_examples=200)
    @given(points(kinked))
    def collect(xs):
        seen.append(xs)

    collect()
    assert all(abs(x - 1.0) >= 1e-3 and y >= 1e-3 for x, y in seen)
    assert len(seen) >= 100
    check_primitive(kinked, max_examples=30)


def test_assert_gradients_close_checks_forward_mode_when_asked():
    """modes=("rev", "fwd") checks jvp too: a forward-mode mismatch says forward mode."""
    assert_gradients_close(lambda x, y: sin(x) * y, 0.5, 2.0, order=2, modes=("rev", "fwd"))
    with pytest.raises(AssertionError, match="forward mode and central differences disagree"):
        assert_gradients_close(wrong_sin, 0.5, modes=("fwd",))
