"""The safe formula parser: what it computes, what it names, and everything it refuses."""

from __future__ import annotations

import math

import pytest

from autograd_lite import Value, rules
from autograd_lite.expr import MAX_DEPTH, MAX_LENGTH, ExpressionError, parse


def test_numbers_give_the_formula_value() -> None:
    """Called with floats, a formula returns the float Python would compute."""
    expr = parse("x*y + sin(x) - y/2 + x**2")
    assert expr.variables == ("x", "y")
    assert expr(1.5, -2.0) == pytest.approx(1.5 * -2.0 + math.sin(1.5) + 1.0 + 2.25, rel=1e-15)


def test_values_give_a_differentiable_graph() -> None:
    """Called with Values, a formula builds a graph whose gradients are right."""
    x, y = Value(1.5, "x"), Value(-2.0, "y")
    out = parse("x*y + sin(x)")(x, y)
    assert isinstance(out, Value)
    out.backward()
    assert x.grad == pytest.approx(-2.0 + math.cos(1.5))
    assert y.grad == pytest.approx(1.5)


def test_variables_in_order_of_first_appearance() -> None:
    """Arguments follow the order in which names first appear, each name once."""
    assert parse("b * a + exp(b) - c*a").variables == ("b", "a", "c")


def test_every_whitelisted_function_and_constant() -> None:
    """All engine functions, unary signs and the constants pi and e are available."""
    expr = parse("exp(x) + log(x) + sqrt(x) + tanh(x) + sigmoid(x) + relu(-x) + abs(-x)")
    x = 0.7
    expected = (
        math.exp(x) + math.log(x) + math.sqrt(x) + math.tanh(x) + 1 / (1 + math.exp(-x)) + 0 + x
    )
    assert expr(x) == pytest.approx(expected)
    assert parse("sin(pi/2) + cos(0) + +e")() == pytest.approx(2 + math.e)


def test_walrus_labels_and_reuses_a_node() -> None:
    """`(h := ...)` labels the node h, and later uses of h are that same node."""
    x = Value(0.5, "x")
    out = parse("(h := 2*x) + h**2")(x)
    assert isinstance(out, Value)
    first, square = out.parents
    assert first.label == "h"
    assert square.parents[0] is first
    out.backward()
    assert x.grad == pytest.approx(2 + 8 * 0.5)


def test_walrus_keeps_an_input_label() -> None:
    """Naming a bare variable does not rename it."""
    x = Value(1.0, "x")
    parse("(h := x) * h")(x)
    assert x.label == "x"


def test_wrong_number_of_arguments() -> None:
    """A formula called with the wrong number of values says how many it takes."""
    with pytest.raises(TypeError, match=r"takes 2 argument\(s\) \(x, y\), got 1"):
        parse("x + y")(1.0)


def test_domain_errors_come_from_the_engine() -> None:
    """Evaluating outside an op's domain raises the engine's clear error."""
    with pytest.raises(ValueError, match="log"):
        parse("log(x)")(-1.0)


def test_long_flat_sums_work_without_recursion() -> None:
    """A sum of 2,000 terms (a tree 2,000 deep) evaluates and differentiates."""
    x = Value(1.0, "x")
    out = parse("+".join(["x"] * 2000))(x)
    assert isinstance(out, Value)
    out.backward()
    assert out.data == 2000.0
    assert x.grad == 2000.0


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("x +", r"syntax error at column 4 \(the end\)"),
        ("x + * y", "syntax error at column 5"),
        ("  x $ y", "syntax error at column 5"),
        ("x.real", r"attributes are not allowed: x.real \(at column 1\)"),
        ("αβ + x.real", r"attributes are not allowed: x.real \(at column 6\)"),
        ("foo(x)", "unknown function foo"),
        ("__import__('os')", "unknown function __import__"),
        ("x.__class__", "attributes are not allowed"),
        ("exp", "exp is a function"),
        ("exp(x, y)", "exp takes exactly one argument"),
        ("exp(*x)", "exp takes exactly one argument"),
        ("(lambda: 1)()", "can be called, not lambda: 1"),
        ("__import__('os').system('ls')", r"can be called, not __import__\('os'\).system"),
        ("x // 2", "operator // is not supported"),
        ("~x", "operator ~ is not supported"),
        ("1j", "1j is not a real number"),
        ("True", "True is not a real number"),
        ("'text'", "'text' is not a real number"),
        ("1e999", "too large for a float"),
        ("x < y", "a comparison is not allowed"),
        ("x[0]", "indexing is not allowed"),
        ("x if y else 0", "if/else is not allowed"),
        ("[x]", "List syntax is not allowed"),
        ("(pi := 3)", "cannot assign to pi"),
        ("x + (x := 2)", "x already has a meaning here"),
        ("", "expression is empty"),
        ("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), "nested 101 brackets deep"),
        ("x" * (MAX_LENGTH + 1), "10,001 characters long; the limit is 10,000"),
        ("-" * (MAX_DEPTH + 1) + "x", r"nested deeper than the limit of 100 \(at column 102\)"),
        ("**".join(["x"] * (MAX_DEPTH + 2)), "nested deeper than the limit of 100"),
        ("exp(-" * 51 + "x" + ")" * 51, "nested deeper than the limit of 100"),
        ("-" * 5000 + "x", r"nested deeper than the limit of 100 \(at column 102\)"),
        ("**".join(["x"] * 3333), "too deep to parse: the limit is 100 levels of nesting$"),
        ("(" + "+".join(["x"] * 2000) + ").real", r"allowed: \(x\+x\+x[+x]*\.\.\. \(at column 1\)"),
        ("(x +\n y).real", r"attributes are not allowed: \(x \+ y\).real"),
    ],
)
def test_refused_input_says_what_and_where(source: str, message: str) -> None:
    """Each refused formula raises ExpressionError naming the problem (and column)."""
    with pytest.raises(ExpressionError, match=message):
        parse(source)


def test_depth_limit_itself_is_allowed() -> None:
    """Exactly MAX_DEPTH nested brackets, signs, calls or powers are fine."""
    assert parse("(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH)(3.0) == 3.0
    assert parse("-" * MAX_DEPTH + "x")(3.0) == 3.0
    assert parse("abs(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH)(-3.0) == 3.0
    assert parse("**".join(["x"] * (MAX_DEPTH + 1)))(1.0) == 1.0


def test_a_chain_of_operators_is_not_nesting() -> None:
    """`a - b + c ...` continues one level: 1,000 terms after 99 brackets still parse."""
    chain = "+".join(["x"] * 500) + "-" + "-".join(["x"] * 500)
    assert parse("(" * 99 + chain + ")" * 99)(1.0) == 0.0


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("x^2", "use ** for powers, as in x**2 (at column 2)"),
        ("(x + 1) ^ 2", "use ** for powers, as in x**2 (at column 9)"),
        ("αβ ^ x", "use ** for powers, as in x**2 (at column 4)"),
        ("  x // 2", "operator // is not supported (at column 5)"),
        ("(x +\n y) % 3", "operator % is not supported (at line 2, column 5)"),
        ("ln(x)", "unknown function ln (did you mean log?)"),
        ("max(x, 1)", "unknown function max (did you mean maximum?)"),
        ("arctan(x)", "unknown function arctan (did you mean atan or atanh or atan2?)"),
        ("sqr(x)", "unknown function sqr (did you mean sqrt?)"),
        ("x + qux(x)", "unknown function qux; the functions are exp, log, "),
        ("x + qux(x)", "(at column 5)"),
        ("x\f+ y.real", "attributes are not allowed: y.real (at column 5)"),
    ],
)
def test_operators_and_functions_are_named_where_they_are(formula: str, message: str) -> None:
    """`^` says to use **, at the operator's column; an unknown function gets the closest names."""
    with pytest.raises(ExpressionError) as caught:
        parse(formula)
    assert message in str(caught.value)


def test_suggestions_come_from_the_function_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """A function added to the rules table is suggested, with no list of names elsewhere."""
    monkeypatch.setitem(rules.RULES, "erfinv", rules.RULES["exp"])
    with pytest.raises(ExpressionError, match=r"did you mean erfinv or erf\?"):
        parse("erfnv(x)")


def test_long_sums_are_fine_up_to_the_length_limit() -> None:
    """The parser's docstring promises sums as long as MAX_LENGTH allows (was: 2,987 terms)."""
    terms = (MAX_LENGTH + 1) // 2
    assert parse("+".join(["x"] * terms))(1.0) == terms
    assert parse("*".join(["x"] * terms))(1.0) == 1.0
