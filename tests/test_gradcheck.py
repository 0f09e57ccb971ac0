"""Tests for autograd_lite.gradcheck: passing, catching wrong derivatives, kinks, bad input."""

import math
import re

import pytest

import autograd_lite as ag
from autograd_lite import (
    GradcheckError,
    Value,
    abs,
    cos,
    exp,
    gradcheck,
    log,
    primitive,
    relu,
    sigmoid,
    sin,
    sqrt,
    tanh,
)
from autograd_lite.gradcheck import ProbeOutsideDomain

# sin with the classic slip: the derivative written as sin instead of cos.
wrong_sin = primitive("wrong_sin", math.sin, grads=(sin,))


def _detached_cos(x):
    """cos(x) as a plain number even for a Value: right value, but its own derivative is lost."""
    return math.cos(x.data) if isinstance(x, Value) else math.cos(x)


# sin whose derivative is right as a number but is a constant in the Value pass.
detached_sin = primitive("detached_sin", math.sin, grads=(_detached_cos,))


def test_correct_gradients_pass():
    """A function of three inputs written with many rules passes at first and second order."""

    def f(x, y, z):
        return tanh(x * y) + log(1 + z * z) * sigmoid(y) + sqrt(2 + sin(x)) / exp(z) - cos(y) ** 2

    assert gradcheck(f, [0.3, -1.1, 0.8]) is True
    assert gradcheck(f, [0.3, -1.1, 0.8], order=2) is True


def test_wrong_derivative_is_caught_with_per_input_report():
    """The message lists each failing input's analytic and numeric value and their difference."""
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: wrong_sin(x) * y, [0.5, 2.0])
    message = str(caught.value)
    assert message.splitlines()[1] == (
        "gradcheck failed: reverse mode and central differences disagree "
        "(eps=1e-06, atol=1e-05, rtol=0.001)"
    )
    assert "input 0 = 0.5: MISMATCH\n" in message
    assert "input 1" not in message
    assert message.endswith("\n1 of 2 derivatives failed; the others agree")
    analytic, numeric, difference = re.search(
        r"input 0 = 0.5: MISMATCH\n    analytic:   (\S+)\n    numeric:    (\S+)\n"
        r"    difference: (\S+)",
        message,
    ).groups()
    assert float(analytic) == pytest.approx(math.sin(0.5) * 2.0, rel=1e-12)
    assert float(numeric) == pytest.approx(math.cos(0.5) * 2.0, rel=1e-8)
    assert float(difference) == pytest.approx(2 * (math.cos(0.5) - math.sin(0.5)), rel=1e-2)


def test_gradcheck_error_is_an_assertion_error():
    """GradcheckError subclasses AssertionError, so test runners report it as a failure."""
    assert issubclass(GradcheckError, AssertionError)


def test_wrong_second_derivative_needs_order_2():
    """A derivative right in value but detached from the graph passes order 1, fails order 2."""
    assert gradcheck(detached_sin, [0.7]) is True
    with pytest.raises(GradcheckError) as caught:
        gradcheck(detached_sin, [0.7], order=2)
    message = str(caught.value)
    assert message.startswith(
        "gradcheck failed: f = detached_sin(x0) has a wrong second derivative: d/dx0 of its "
        "local derivative toward x0 (input 0 of detached_sin) is 0.0 by its partial on Values"
    )
    assert "d2f/dx0dx0 at x0 = 0.7: MISMATCH" in message
    assert "    analytic:   0.0\n" in message
    numeric = float(re.search(r"numeric:    (\S+)", message).group(1))
    assert numeric == pytest.approx(-math.sin(0.7), rel=1e-6)


def test_second_order_report_names_each_pair():
    """At order 2 every failing entry d2f/dxi dxj is listed, and only those."""
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: detached_sin(x) * y, [0.7, 1.5], order=2)
    message = str(caught.value)
    assert "d2f/dx0dx0 at x0 = 0.7: MISMATCH" in message
    for passing in ("d2f/dx1dx0", "d2f/dx0dx1", "d2f/dx1dx1"):
        assert passing not in message
    assert message.endswith("\n1 of 6 derivatives failed; the others agree")


@pytest.mark.parametrize(
    ("f", "left", "right"), [(relu, 0, 1), (abs, -1, 1), (lambda x: 3 * abs(x) + x, -2, 4)]
)
def test_kink_is_reported_with_advice(f, left, right):
    """At a kink, even one where central differences match, the input and both slopes are named."""
    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, [0.0])
    message = str(caught.value)
    assert message.startswith("gradcheck failed: a derivative does not exist at this point")
    assert (
        f"input 0 = 0.0: NOT DIFFERENTIABLE: slope {left} on the left, {right} on the right; "
        "move input 0 away from the kink" in message
    )


def test_kink_in_the_gradient_is_reported_at_order_2():
    """x * |x| is smooth once, not twice: order 2 reports the kink of its gradient."""
    assert gradcheck(lambda x: x * abs(x), [0.0]) is True
    with pytest.raises(GradcheckError, match=r"d2f/dx0dx0 at x0 = 0\.0: NOT DIFFERENTIABLE"):
        gradcheck(lambda x: x * abs(x), [0.0], order=2)


def test_kink_names_the_right_input():
    """With two inputs, only the one on the kink is reported."""
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, y: relu(y) * x, [1.0, 0.0])
    message = str(caught.value)
    assert "input 1 = 0.0: NOT DIFFERENTIABLE" in message
    assert "input 0" not in message


def test_away_from_the_kink_passes():
    """relu and abs check fine a little away from 0."""
    assert gradcheck(lambda x: relu(x) + abs(x), [1e-3], order=2) is True
    assert gradcheck(lambda x: relu(x) + abs(x), [-1e-3], order=2) is True


def test_kink_check_stays_inside_the_domain():
    """log 1.5*eps above 0: x - 2 eps is outside, so only the ±eps comparison decides."""
    assert gradcheck(log, [1.5e-6], rtol=0.3) is True
    with pytest.raises(GradcheckError, match=r"input 0 = 1\.5e-06: MISMATCH"):
        gradcheck(log, [1.5e-6])


def test_smooth_inputs_take_no_extra_steps():
    """Where the one-sided slopes agree, f runs only at x and at x ± eps."""
    points = []

    def f(x):
        points.append(x.data if isinstance(x, Value) else x)
        return x * x

    assert gradcheck(f, [1.0]) is True
    assert sorted(points) == [1.0 - 1e-6, 1.0, 1.0 + 1e-6]


def test_sharp_but_smooth_is_not_a_kink():
    """A steep parabola at its minimum has very different one-sided slopes, yet is smooth."""
    assert gradcheck(lambda x: 1000 * x * x, [0.0], order=2) is True


def test_large_values_pass_with_relative_tolerance():
    """exp(10) has a gradient of 2e4: rtol covers the rounding of large numbers."""
    assert gradcheck(exp, [10.0], order=2) is True


def test_values_as_inputs():
    """Values are accepted as the point, by their data."""
    assert gradcheck(lambda x, y: x * y, [Value(2.0), 3]) is True


def test_tolerances_decide():
    """A derivative off by 1% passes with rtol=0.1 and fails with the default."""
    off = primitive("off", lambda x: x * x, grads=(lambda x: 2.02 * x,))
    assert gradcheck(off, [1.0], rtol=0.1) is True
    with pytest.raises(GradcheckError):
        gradcheck(off, [1.0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"order": 3}, ValueError, "order 1 or 2, got order=3"),
        ({"eps": 0.0}, ValueError, "positive step, got eps=0.0"),
        ({"inputs": []}, ValueError, "at least one input"),
        ({"inputs": ["1"]}, TypeError, "real number .* got str"),
        ({"f": lambda x: [x]}, TypeError, "returned list"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    """Bad arguments raise errors that say what was wrong."""
    arguments = {"f": sin, "inputs": [0.5], **kwargs}
    with pytest.raises(error, match=match):
        gradcheck(**arguments)


def test_gradcheck_probe_outside_the_domain_is_a_gradcheck_error() -> None:
    """gradcheck raises GradcheckError (was ValueError) naming the input and the probe."""
    with pytest.raises(GradcheckError) as caught:
        gradcheck(ag.sqrt, [0.0])
    assert isinstance(caught.value, ProbeOutsideDomain)
    assert str(caught.value).startswith(
        "gradcheck cannot probe input 0 = 0.0: f fails at -1e-06 (x - eps) with sqrt: "
    )
    with pytest.raises(ProbeOutsideDomain, match=r"input 1 = 1e-07: f fails at -9e-07"):
        gradcheck(lambda x, y: x * ag.log(y), [1.0, 1e-7], order=2)


def test_gradcheck_memory_is_linear_in_the_inputs() -> None:
    """All pairs passing leave no per-pair text; failures are listed up to a limit."""
    n = 60
    assert gradcheck(lambda *xs: ag.sum(x * x for x in xs), [0.5] * n, order=2) is True
    bad = ag.primitive("bad", lambda x: x * x, grads=(lambda x: 3 * x,))
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda *xs: ag.sum(bad(x) for x in xs), [0.5] * n)
    message = str(caught.value)
    assert message.count("MISMATCH") == 20
    tail = f"... and {n - 20} more failing derivatives\n{n} of {n} derivatives failed"
    assert message.endswith(tail)


def test_order_two_evaluates_the_gradient_twice_per_input() -> None:
    """One evaluation per probe serves both orders (was four per input), plus a Hessian row."""
    calls = []

    def f(*xs: Value) -> Value:
        calls.append(1)
        return ag.sum(x * x for x in xs)

    gradcheck(f, [0.5] * 10, order=2)
    assert len(calls) == 1 + 2 * 10 + 10  # the point; ± eps and one Hessian row per input


# ---------------------------------------------------------------- naming the wrong op


wrong_mul = primitive("wrong_mul", lambda x, y: x * y, grads=(lambda x, y: y, lambda x, y: 2.0 * x))


def test_a_plain_function_gets_the_wrong_op_and_input_named_first():
    """Any Python function: the first line names the node (explain's names), which input of
    its op is wrong, the recorded local derivative and its function's central differences."""

    def f(a, b):
        return ag.tanh(a) + wrong_mul(ag.exp(a), b) * 3.0

    with pytest.raises(GradcheckError) as caught:
        gradcheck(f, [0.5, 2.0])
    first, second, *_ = str(caught.value).splitlines()
    recorded, numeric = re.fullmatch(
        r"gradcheck failed: wrong_mul₁ = wrong_mul\(exp₁, x1\) has a wrong local derivative "
        r"toward x1 \(input 1 of wrong_mul\): recorded (\S+), central differences of wrong_mul "
        r"at \((\S+), 2\.0\) give (\S+)",
        first,
    ).group(1, 3)
    assert float(recorded) == 2.0 * math.exp(0.5)
    assert float(numeric) == pytest.approx(math.exp(0.5), rel=1e-8)
    assert second.startswith("gradcheck failed: reverse mode and central differences disagree")
    assert caught.value.culprit == first.removeprefix("gradcheck failed: ")


def test_a_kink_is_not_blamed_on_its_op():
    """At relu's kink the node check finds no wrong local derivative: the kink is reported."""
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x: ag.relu(x) * 2.0, [0.0])
    assert caught.value.culprit is None
    assert "NOT DIFFERENTIABLE" in str(caught.value)


def test_modes_check_forward_mode_too():
    """modes=("fwd", "rev") checks jvp (and jvp of grad at order 2); a wrong rule fails both."""
    f = lambda x, y: ag.sin(x) * ag.exp(y) + x / y  # noqa: E731
    assert gradcheck(f, [0.3, 1.7], modes=("fwd", "rev"), order=2) is True
    with pytest.raises(GradcheckError, match="forward mode and central differences disagree"):
        gradcheck(lambda x: wrong_sin(x) * 2.0, [0.5], modes=("fwd",))
    with pytest.raises(ValueError, match=r"gradcheck's modes are some of \('rev', 'fwd'\)"):
        gradcheck(f, [0.3, 1.7], modes=("sideways",))
    with pytest.raises(ValueError, match="gradcheck's modes"):
        gradcheck(f, [0.3, 1.7], modes="rev")
