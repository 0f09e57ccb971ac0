"""Tests for autograd_lite.functional: grad, value_and_grad, hessian, gradients, create_graph."""

import concurrent.futures
import itertools
import math
import threading

import pytest

import autograd_lite as ag
from autograd_lite import (
    Value,
    cos,
    exp,
    grad,
    gradients,
    hessian,
    log,
    no_grad,
    primitive,
    sigmoid,
    sin,
    tanh,
    value_and_grad,
)


def _sigma(x):
    return 1 / (1 + math.exp(-x))


def _third(f):
    return grad(grad(grad(f)))


# ---------------------------------------------------------------- higher order


THIRD_DERIVATIVES = {
    "sin": (sin, lambda x: -math.cos(x)),
    "log": (log, lambda x: 2 / x**3),
    "tanh": (tanh, lambda x: -2 * (1 - math.tanh(x) ** 2) * (1 - 3 * math.tanh(x) ** 2)),
    "sigmoid": (
        sigmoid,
        lambda x: _sigma(x) * (1 - _sigma(x)) * (1 - 6 * _sigma(x) + 6 * _sigma(x) ** 2),
    ),
    "exp(sin)": (
        lambda x: exp(sin(x)),
        lambda x: (
            math.exp(math.sin(x)) * (math.cos(x) ** 3 - 3 * math.sin(x) * math.cos(x) - math.cos(x))
        ),
    ),
    "log(1+x^2)": (lambda x: log(1 + x * x), lambda x: 4 * x * (x * x - 3) / (1 + x * x) ** 3),
    "x*exp": (lambda x: x * exp(x), lambda x: (x + 3) * math.exp(x)),
    "sin*exp": (lambda x: sin(x) * exp(x), lambda x: 2 * math.exp(x) * (math.cos(x) - math.sin(x))),
    "softplus": (
        lambda x: log(1 + exp(x)),
        lambda x: _sigma(x) * (1 - _sigma(x)) * (1 - 2 * _sigma(x)),
    ),
    "tanh(2x)": (
        lambda x: tanh(2 * x),
        lambda x: 8 * -2 * (1 - math.tanh(2 * x) ** 2) * (1 - 3 * math.tanh(2 * x) ** 2),
    ),
}


@pytest.mark.parametrize("name", sorted(THIRD_DERIVATIVES))
@pytest.mark.parametrize("x", [0.3, 1.7])
def test_third_derivative_matches_closed_form(name, x):
    """grad(grad(grad(f))) equals the hand-derived third derivative."""
    f, expected = THIRD_DERIVATIVES[name]
    assert _third(f)(x) == pytest.approx(expected(x), rel=1e-12, abs=1e-12)


def test_fourth_derivatives():
    """Nesting goes past third order: d4/dx4 of exp(2x) and sin(x)."""
    fourth = grad(grad(grad(grad(lambda x: exp(2 * x)))))
    assert fourth(0.5) == pytest.approx(16 * math.exp(1.0), rel=1e-12)
    assert grad(grad(grad(grad(sin))))(0.7) == pytest.approx(math.sin(0.7), rel=1e-12)


def test_results_are_plain_floats_at_top_level():
    """Numbers in, floats out, at every order."""
    for f in (grad(sin), grad(grad(sin)), _third(sin)):
        assert type(f(0.5)) is float


def test_second_derivative_of_polynomial_is_exact():
    """d2/dx2 of x**3 - 2x is 6x, exactly."""
    assert grad(grad(lambda x: x**3 - 2 * x))(1.5) == 9.0


# ---------------------------------------------------------------- perturbation confusion


def test_inner_grad_keeps_dependence_on_outer_variable():
    """d/dx [d/dy (x*y) at y=1] = d/dx x = 1: the inner result must stay a graph in x."""
    assert grad(lambda x: grad(lambda y: x * y)(1.0))(2.0) == 1.0


def test_no_perturbation_confusion():
    """d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1, not 2."""
    assert grad(lambda x: x * grad(lambda y: x + y)(1.0))(2.0) == 1.0


def test_no_confusion_when_inner_argument_is_the_outer_variable():
    """With g(y) = x*y*y, d/dx [g'(y) at y=x] = d/dx 2x*x = 4x, not d2/dx2 x**3 = 6x."""
    assert grad(lambda x: grad(lambda y: x * y * y)(x))(1.5) == pytest.approx(6.0)


def test_nested_grad_returns_value_only_while_nested():
    """Inside an outer evaluation the inner grad returns a Value; outside, a float."""
    seen = []

    def outer(x):
        inner = grad(lambda y: x * y)(1.0)
        seen.append(inner)
        return inner

    grad(outer)(3.0)
    assert isinstance(seen[0], Value)
    assert seen[0].data == 3.0
    assert type(grad(lambda y: 3.0 * y)(1.0)) is float


def test_other_threads_are_not_nested():
    """The nesting depth is per context: a grad in another thread returns floats."""
    results = []

    def outer(x):
        thread = threading.Thread(target=lambda: results.append(grad(sin)(0.0)))
        thread.start()
        thread.join()
        return x * x

    grad(outer)(1.0)
    assert results == [1.0]
    assert type(results[0]) is float


# ---------------------------------------------------------------- argnums and bad input


def test_argnums_tuple_returns_tuple():
    """argnums=(0, 2) gives a tuple of those partial derivatives."""

    def f(x, y, z):
        return x * y * z + z

    assert grad(f, argnums=(0, 2))(2.0, 3.0, 5.0) == (15.0, 7.0)
    assert grad(f, argnums=1)(2.0, 3.0, 5.0) == 10.0


def test_negative_argnums_count_from_the_end():
    """argnums=-1 is the last argument, as in Python indexing."""
    assert grad(lambda x, y: x * y * y, argnums=-1)(2.0, 3.0) == 12.0


def test_argnums_out_of_range():
    """An argnums beyond the arguments raises ValueError naming it."""
    with pytest.raises(ValueError, match="argnums 2 is out of range for a call with 2"):
        grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(ValueError, match="argnums -3"):
        grad(lambda x, y: x * y, argnums=(0, -3))(1.0, 2.0)


def test_argnums_naming_one_argument_twice():
    """(0, -2) with two arguments names argument 0 twice: ValueError."""
    with pytest.raises(ValueError, match="same argument twice"):
        grad(lambda x, y: x * y, argnums=(0, -2))(1.0, 2.0)


@pytest.mark.parametrize("argnums", ["0", 1.0, (), (0, "1"), True, [0]])
def test_argnums_of_wrong_type(argnums):
    """argnums must be an int or a non-empty tuple of ints: TypeError otherwise."""
    with pytest.raises(TypeError, match="argnums must be an int or a non-empty tuple"):
        grad(sin, argnums=argnums)


def test_non_scalar_result_is_a_type_error():
    """A function returning a list cannot be differentiated: TypeError says what it returned."""

    def pair(x):
        return [x, x]

    with pytest.raises(TypeError, match=r"pair must return a scalar .* returned list \[Value"):
        grad(pair)(1.0)
    with pytest.raises(TypeError, match="returned str 'x'"):
        value_and_grad(lambda x: "x")(1.0)


def test_non_number_argument_is_a_type_error():
    """Differentiating with respect to a string fails with a TypeError naming it."""
    with pytest.raises(
        TypeError, match=r"argument 0 to differentiate needs a real number .*, got str '1\.0'"
    ):
        grad(lambda x: x)("1.0")


def test_constant_result_has_zero_gradient():
    """A function that ignores its argument (returns a number) has gradient 0.0."""
    assert grad(lambda x: 3.0)(1.0) == 0.0
    assert value_and_grad(lambda x, y: 2, argnums=(0, 1))(1.0, 2.0) == (2.0, (0.0, 0.0))
    assert hessian(lambda x, y: 2.5)(1.0, 2.0) == [[0.0, 0.0], [0.0, 0.0]]
    assert value_and_grad(lambda x: x > 0)(1.0) == (1.0, 0.0)  # a bool is the number 1


def test_unused_argument_has_zero_gradient():
    """An argument the result does not depend on gets 0.0."""
    assert grad(lambda x, y: sin(x), argnums=(0, 1))(0.0, 5.0) == (1.0, 0.0)


def test_keyword_arguments_pass_through():
    """Keyword arguments reach f and are not differentiated."""
    assert grad(lambda x, scale=1.0: scale * x * x)(3.0, scale=2.0) == 12.0


def test_grad_works_inside_no_grad():
    """grad records its own evaluation even inside no_grad()."""
    with no_grad():
        assert grad(lambda x: x * x)(3.0) == 6.0
        assert grad(grad(lambda x: x**3))(2.0) == 12.0


def test_grad_accepts_numpy_scalars():
    """numpy scalars are real numbers: they are accepted and floats come back."""
    np = pytest.importorskip("numpy")
    assert grad(lambda x: x * x)(np.float64(3.0)) == 6.0


def test_grad_does_not_touch_closure_gradients():
    """grad never writes `.grad`: a parameter used inside f keeps its gradient."""
    w = Value(2.0)
    assert grad(lambda x: w * x)(3.0) == 2.0
    assert w.grad == 0.0


def test_grad_of_value_argument_returns_value_graph():
    """Called directly with a Value, grad returns a Value that depends on it."""
    x = Value(2.0)
    g = grad(lambda y: y * y * y)(x)
    assert isinstance(g, Value)
    assert g.data == 12.0
    g.backward()
    assert x.grad == 12.0  # d/dx 3x**2


def test_wrapped_function_names():
    """The returned functions are named after what they compute."""

    def f(x):
        return x

    assert grad(f).__name__ == "grad(f)"
    assert value_and_grad(f).__name__ == "value_and_grad(f)"
    assert hessian(grad(f)).__name__ == "hessian(grad(f))"


def test_deep_chain_first_and_second_order():
    """The passes are iterative: a 50,000-node chain works to second order."""

    def chain(x):
        for _ in range(25_000):
            x = x * 1.00001 + 0.00001
        return x * x

    factor = 1.00001**25_000
    assert grad(grad(chain))(0.5) == pytest.approx(2 * factor**2, rel=1e-9)


# ---------------------------------------------------------------- value_and_grad


def test_value_and_grad():
    """One call gives f's value and its gradient."""
    value, slope = value_and_grad(lambda x: x * sin(x))(1.0)
    assert value == pytest.approx(math.sin(1.0))
    assert slope == pytest.approx(math.sin(1.0) + math.cos(1.0))
    assert type(value) is float


def test_value_and_grad_tuple():
    """With argnums a tuple, the gradient part is a tuple."""
    f = value_and_grad(lambda x, y: x * x * y, argnums=(0, 1))
    assert f(3.0, 2.0) == (18.0, (12.0, 9.0))


def test_value_and_grad_nested():
    """value_and_grad composes like grad: d/dx of the inner value and slope."""
    assert grad(lambda x: value_and_grad(lambda y: x * y * y)(2.0)[0])(1.0) == 4.0
    assert grad(lambda x: value_and_grad(lambda y: x * y * y)(2.0)[1])(1.0) == 4.0


# ---------------------------------------------------------------- hessian


def test_hessian_two_variables():
    """f = x**2 y + sin(x) y**3 against its hand-derived Hessian."""
    x, y = 0.5, 1.5
    h = hessian(lambda x, y: x * x * y + sin(x) * y**3)(x, y)
    cross = 2 * x + 3 * math.cos(x) * y**2
    expected = [[2 * y - math.sin(x) * y**3, cross], [cross, 6 * math.sin(x) * y]]
    assert h == [pytest.approx(row, rel=1e-12) for row in expected]
    assert all(type(entry) is float for row in h for entry in row)


def test_hessian_three_variables():
    """f = xyz + exp(xz) + log(y) against its hand-derived Hessian."""
    x, y, z = 0.3, 2.0, -0.7
    e = math.exp(x * z)
    h = hessian(lambda x, y, z: x * y * z + exp(x * z) + log(y))(x, y, z)
    expected = [
        [z * z * e, z, y + e * (1 + x * z)],
        [z, -1 / y**2, x],
        [y + e * (1 + x * z), x, x * x * e],
    ]
    assert h == [pytest.approx(row, rel=1e-12) for row in expected]


def test_hessian_of_one_variable():
    """For one argument the Hessian is [[f'']]."""
    assert hessian(lambda x: x**4)(2.0) == [[48.0]]


def test_hessian_inside_grad_gives_third_derivative():
    """hessian composes with grad: d/dx f''(x) = f'''(x)."""
    third = grad(lambda x: hessian(lambda y: sin(y) * y)(x)[0][0])(0.8)
    assert third == pytest.approx(-3 * math.sin(0.8) - 0.8 * math.cos(0.8), rel=1e-12)


# ---------------------------------------------------------------- gradients, backward(create_graph)


def test_gradients_leave_grad_untouched():
    """gradients() computes d(out)/d(inputs) in a local table, not in `.grad`."""
    x, y = Value(2.0), Value(3.0)
    out = x * y + x
    assert gradients(out, [x, y]) == [4.0, 2.0]
    assert x.grad == y.grad == out.grad == 0.0


def test_gradients_with_graph_are_differentiable():
    """create_graph=True returns Values whose own gradients are second derivatives."""
    x = Value(0.4)
    (dx,) = gradients(tanh(x), [x], create_graph=True)
    (ddx,) = gradients(dx, [x])
    t = math.tanh(0.4)
    assert dx.data == pytest.approx(1 - t * t)
    assert ddx == pytest.approx(-2 * t * (1 - t * t))


def test_gradients_of_interior_node():
    """The gradient toward an interior node counts every path through it."""
    x = Value(1.5)
    u = x * x
    out = u * u + u
    assert gradients(out, [u, x]) == [2 * 2.25 + 1, (2 * 2.25 + 1) * 3.0]


def test_gradients_of_unreached_input_is_zero():
    """An input the output does not depend on gets 0 (a Value 0 with create_graph)."""
    x, y = Value(1.0), Value(2.0)
    assert gradients(x * 2, [y]) == [0.0]
    (zero,) = gradients(x * 2, [y], create_graph=True)
    assert zero.data == 0.0


def test_gradients_rejects_non_values():
    """gradients needs Values: TypeError naming what it got."""
    with pytest.raises(TypeError, match="Value output, got float"):
        gradients(1.0, [])
    with pytest.raises(TypeError, match="Value inputs, got int"):
        gradients(Value(1.0), [1])


def test_gradients_with_graph_equal_backward():
    """gradients(..., create_graph=True) gives the numbers backward() puts in `.grad`."""

    def build():
        a, b = Value(0.7), Value(-1.2)
        h = tanh(a * b) + exp(a)
        return a, b, h, h * sin(b) + h

    a1, b1, h1, out1 = build()
    out1.backward()
    a2, b2, h2, out2 = build()
    found = gradients(out2, [a2, b2, h2], create_graph=True)
    for first, second in zip((a1, b1, h1), found):
        assert second.data == pytest.approx(first.grad, rel=1e-15)
    assert a2.grad == b2.grad == 0.0


def test_backward_has_one_meaning():
    """backward() fills `.grad` with floats; differentiable gradients come from gradients()."""
    with pytest.raises(TypeError, match="create_graph"):
        Value(1.0).backward(create_graph=True)  # type: ignore[call-arg]


# ---------------------------------------------------------------- primitives


def test_primitive_with_engine_partials_gets_every_order():
    """softplus with sigmoid as its derivative: its third derivative is sigmoid''."""
    softplus = primitive("softplus", lambda x: math.log1p(math.exp(x)), grads=(sigmoid,))
    s = _sigma(0.9)
    assert _third(softplus)(0.9) == pytest.approx(s * (1 - s) * (1 - 2 * s), rel=1e-12)


def test_primitive_with_float_partials_works_to_first_order_only():
    """Plain-float partials give the first derivative and a clear TypeError for the second."""
    my_sin = primitive("my_sin", math.sin, grads=(lambda x: math.cos(x),))
    assert grad(my_sin)(0.5) == math.cos(0.5)
    x = Value(0.5)
    my_sin(x).backward()
    assert x.grad == math.cos(0.5)
    with pytest.raises(TypeError, match=r"'my_sin'.* cannot be differentiated again"):
        grad(grad(my_sin))(0.5)
    with pytest.raises(TypeError, match="cannot be differentiated again"):
        hessian(my_sin)(0.5)
    x = Value(0.5)
    with pytest.raises(TypeError, match="cannot be differentiated again"):
        gradients(my_sin(x), [x], create_graph=True)


def test_mixed_rules_to_second_order():
    """Every built-in rule in one function, second derivative against finite differences."""

    def f(x):
        return tanh(x) * sigmoid(x) + cos(x) / (2 + sin(x)) + log(1 + x * x) + exp(-x) ** 2 + abs(x)

    def slope(x):
        return grad(f)(x)

    eps = 1e-5
    numeric = (slope(0.6 + eps) - slope(0.6 - eps)) / (2 * eps)
    assert grad(grad(f))(0.6) == pytest.approx(numeric, rel=1e-7)


def test_gradients_is_the_thread_safe_way_on_a_shared_graph() -> None:
    """Several threads differentiating one graph at once with gradients() all get it right."""
    xs = [Value(0.1 * i, f"x{i}") for i in range(50)]
    out = ag.sum(ag.tanh(x * y) for x, y in itertools.pairwise(xs))
    expected = ag.gradients(out, xs)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: ag.gradients(out, xs), range(200)))
    assert all(result == expected for result in results)
