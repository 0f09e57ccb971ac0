"""autograd_lite.formulas: a rule's formula with names put in, printed as people write it."""

from __future__ import annotations

import pytest

from autograd_lite import expr
from autograd_lite.formulas import check, fill


@pytest.mark.parametrize(
    ("template", "names", "text"),
    [
        ("y*x**(y - 1)", {"y": 2.0}, "2*x"),
        ("y*x**(y - 1)", {"y": 1.0}, "1"),
        ("y*x**(y - 1)", {"y": 0.5}, "0.5*x**-0.5"),
        ("y*x**(y - 1)", {"y": -1.0}, "-x**-2"),
        ("y*x**(y - 1)", {"y": "n"}, "n*x**(n - 1)"),
        ("out*(1 - out)", {"out": "s"}, "s*(1 - s)"),
        ("x/(x**2 + y**2)", {"x": "a", "y": -2.0}, "a/(a**2 + 4)"),
        ("x - y", {"y": -3.0}, "x + 3"),
        ("x + y", {"y": -3.0}, "x - 3"),
        ("x*y", {"y": 0.0}, "0"),
        ("(-x)**2", {}, "(-x)**2"),
        ("-(x*y)", {}, "-(x*y)"),
        ("x**y**z", {}, "x**y**z"),
        ("(x**y)**z", {}, "(x**y)**z"),
        ("x - (y - z)", {}, "x - (y - z)"),
        ("(x - y) - z", {}, "x - y - z"),
        ("x/(y*z)", {}, "x/(y*z)"),
        ("2/sqrt(pi)*exp(-x**2)", {"x": "mul₁"}, "2/sqrt(pi)*exp(-mul₁**2)"),
        ("x**y", {"x": -2.0, "y": 0.5}, "(-2)**0.5"),  # not a real number: left as written
        ("x", {"x": 1e-300}, "1e-300"),
    ],
)
def test_names_go_in_and_the_text_is_simplified(template: str, names, text: str) -> None:
    """Constants fold, factors of 1 and terms of 0 go, brackets only where the order needs."""
    assert fill(template, names) == text


@pytest.mark.parametrize("template", ["x - (y - z)", "x/(y*z)", "(-x)**2", "x**-y*z"])
def test_the_printed_text_computes_what_the_template_does(template: str) -> None:
    """Printing keeps the order of operations: both parse to the same numbers."""
    printed = fill(template, {})
    point = {"x": 1.7, "y": -0.6, "z": 2.3}
    before, after = expr.parse(template), expr.parse(printed)
    assert after(*(point[v] for v in after.variables)) == before(
        *(point[v] for v in before.variables)
    )


@pytest.mark.parametrize(
    ("template", "words"),
    [
        ("x +", "is not a formula"),
        ("q*x", "uses 'q'; it may use e, out, pi, x"),
        ("x.real", "not allowed"),
        ("f(x)(x)", "not a function name"),
        ("'x'", "not allowed"),
    ],
)
def test_check_refuses_what_is_not_a_formula_over_the_inputs(template: str, words: str) -> None:
    """A template must be numbers, the inputs, out, pi, e, operators and calls by name."""
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
        check(template, ["x"])
