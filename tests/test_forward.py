"""Tests for autograd_lite.forward: jvp, jacobian (jacfwd, jacrev), vjp and hvp.

The cases of HIPS autograd's own tests of `make_jvp`, `jacobian` and `make_ggnvp`
(tests/test_wrappers.py and tests/test_jacobian.py there) are written here with scalar
arguments; tests/test_forward_torch.py holds PyTorch's numbers on random graphs.
"""

from __future__ import annotations

import math
import random

import pytest

import autograd_lite as ag
from autograd_lite import (
    Value,
    forward,
    functional,
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    vjp,
)


def f_scalar(x, y):
    return ag.sin(x) * y + ag.exp(x * y)


def f_vector(x, y):
    return [x * y, ag.tanh(x) - y, ag.log(1.0 + y * y)]


# ---------------------------------------------------------------- jvp


def test_jvp_gives_the_value_and_the_directional_derivative() -> None:
    """(f(x), J·t) for a scalar f: the gradient dotted with the tangent."""
    x, y, tx, ty = 0.3, -1.2, 0.5, 2.0
    value, tangent = jvp(f_scalar, [x, y], [tx, ty])
    gx, gy = grad(f_scalar, (0, 1))(x, y)
    assert value == f_scalar(x, y)
    assert tangent == pytest.approx(gx * tx + gy * ty, rel=1e-15)
    assert type(value) is float
    assert type(tangent) is float


def test_jvp_of_a_sequence_gives_lists() -> None:
    """f returning three outputs: a list of three values and three tangents, one pass."""
    value, tangent = jvp(f_vector, (2.0, 3.0), (1.0, 0.0))
    assert value == [6.0, math.tanh(2.0) - 3.0, math.log(10.0)]
    assert tangent == pytest.approx([3.0, 1.0 - math.tanh(2.0) ** 2, 0.0], rel=1e-15)


def test_jvp_of_constants_and_of_the_input_itself() -> None:
    """A number output has tangent 0; an output that is an input has the input's tangent."""
    assert jvp(lambda x: 2, [1.0], [3.0]) == (2.0, 0.0)
    assert jvp(lambda x, y: [x, 5.0, y], [1.0, 2.0], [3.0, 4.0]) == (
        [1.0, 5.0, 2.0],
        [3.0, 0.0, 4.0],
    )


def test_jvp_pushes_tangents_through_the_rules_partials() -> None:
    """One tangent pass over the recorded graph: no reverse pass runs."""
    assert _passes(lambda f: lambda *x: jvp(f, x, [1.0, 1.0]), f_vector, 2.0, 3.0) == (1, 0)


def test_jvp_composes_with_grad_both_ways_to_the_third_order() -> None:
    """jvp of grad is a Hessian-vector product; grad of a jvp differentiates the tangent; the
    third derivative of sin comes out of every mixture."""
    x = 0.7

    def d_sin(x):
        return jvp(ag.sin, [x], [1.0])[1]

    assert jvp(grad(ag.sin), [x], [1.0]) == (math.cos(x), pytest.approx(-math.sin(x)))
    assert grad(d_sin)(x) == pytest.approx(-math.sin(x), rel=1e-15)
    assert jvp(d_sin, [x], [1.0])[1] == pytest.approx(-math.sin(x), rel=1e-15)
    third = -math.cos(x)
    assert grad(grad(d_sin))(x) == pytest.approx(third, rel=1e-15)
    assert jvp(lambda x: jvp(d_sin, [x], [1.0])[1], [x], [1.0])[1] == pytest.approx(third)
    assert jvp(grad(grad(ag.sin)), [x], [1.0])[1] == pytest.approx(third, rel=1e-15)
    assert grad(lambda x: jvp(grad(ag.sin), [x], [1.0])[1])(x) == pytest.approx(third)


def test_jvp_given_values_returns_values() -> None:
    """Called with Values (or inside grad) the value and tangent are Values of the outer graph."""
    x = Value(0.5)
    value, tangent = jvp(lambda u: u * u * u, [x], [2.0])
    assert isinstance(value, Value)
    assert isinstance(tangent, Value)
    assert tangent.data == 2.0 * 3 * 0.25
    (d,) = ag.gradients(tangent, [x])
    assert d == 2.0 * 6 * 0.5


def test_jvp_flat_branch_stops_an_infinite_tangent() -> None:
    """A flat branch stops an infinite tangent (relu(x) of inf * x at x < 0 is flat); a flat
    zero tangent that meets an infinite slope after it (sqrt(relu(x)) at x < 0) gives nan, as
    torch.func.jvp does, where the reverse pass gives the exact 0."""
    tangent = jvp(lambda x: ag.relu(x * ag.sqrt(x * 0.0)), [-1.0], [1.0])[1]
    assert tangent == 0.0
    assert math.isnan(jvp(lambda x: ag.sqrt(ag.relu(x)), [-1.0], [1.0])[1])
    assert grad(lambda x: ag.sqrt(ag.relu(x)))(-1.0) == 0.0


def test_jvp_errors_name_the_function() -> None:
    """Mismatched lengths, non-sequences and non-numbers are one-line errors."""
    with pytest.raises(ValueError, match=r"jvp\(f_scalar\): 2 primal\(s\) but 1 tangent\(s\)"):
        jvp(f_scalar, [1.0, 2.0], [1.0])
    with pytest.raises(TypeError, match=r"jvp\(f_scalar\): primals must be a sequence"):
        jvp(f_scalar, 1.0, [1.0])  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match=r"jvp\(f_scalar\): tangent 1 needs a real number .*, got str 'a'"
    ):
        jvp(f_scalar, [1.0, 2.0], [1.0, "a"])
    with pytest.raises(
        TypeError, match=r"argument 0 to differentiate needs a real number .*, got str 'a'"
    ):
        jvp(f_scalar, ["a", 2.0], [1.0, 1.0])
    with pytest.raises(TypeError, match="must return a Value, a real number or a sequence"):
        jvp(lambda x: "x", [1.0], [1.0])


# ---------------------------------------------------------------- jacobian


def test_the_three_jacobians_agree() -> None:
    """Rows per output, entries per argument: by forward passes, reverse passes, or chosen."""
    expected = [
        [3.0, 2.0],
        [1.0 - math.tanh(2.0) ** 2, -1.0],
        [0.0, 0.6],
    ]
    for make in (jacobian, jacfwd, jacrev):
        rows = make(f_vector)(2.0, 3.0)
        assert rows == [pytest.approx(row, rel=1e-15) for row in expected]


def _passes(make, f, *args) -> tuple[int, int]:
    """(forward passes, reverse passes) that `make(f)(*args)` runs."""
    counts = [0, 0]
    tangent_pass, adjoints = forward.tangent_pass, functional._adjoints

    def counting_forward(*a, **k):
        counts[0] += 1
        return tangent_pass(*a, **k)

    def counting_reverse(*a, **k):
        counts[1] += 1
        return adjoints(*a, **k)

    forward.tangent_pass = counting_forward
    forward._adjoints = functional._adjoints = counting_reverse
    try:
        make(f)(*args)
    finally:
        forward.tangent_pass = tangent_pass
        forward._adjoints = functional._adjoints = adjoints
    return counts[0], counts[1]


def test_jacobian_takes_the_fewer_passes() -> None:
    """2 inputs, 3 outputs: 2 forward passes; 3 inputs, 1 output: 1 reverse pass; jacfwd and
    jacrev do as they say."""
    assert _passes(jacobian, f_vector, 2.0, 3.0) == (2, 0)
    assert _passes(jacobian, lambda a, b, c: a * b * c, 1.0, 2.0, 3.0) == (0, 1)
    assert _passes(jacrev, f_vector, 2.0, 3.0) == (0, 3)
    assert _passes(jacfwd, lambda a, b, c: a * b * c, 1.0, 2.0, 3.0) == (3, 0)


def test_jacobian_argnums_and_scalars() -> None:
    """argnums picks and orders the columns; a scalar f gives one row."""
    assert jacobian(f_vector, argnums=1)(2.0, 3.0) == [[2.0], [-1.0], [pytest.approx(0.6)]]
    assert jacobian(f_vector, argnums=(1, 0))(2.0, 3.0)[0] == [2.0, 3.0]
    assert jacobian(lambda x, y: x * y)(2.0, 3.0) == [[3.0, 2.0]]
    assert jacobian(lambda x: [1.0, x])(2.0) == [[0.0], [1.0]]
    with pytest.raises(ValueError, match="argnums 2 is out of range"):
        jacobian(f_vector, argnums=2)(2.0, 3.0)


def test_jacobian_nests_and_differentiates() -> None:
    """The Jacobian of the Jacobian (flattened) is the Hessians' stack; grad of an entry works."""

    def flat(x, y):
        return [entry for row in jacobian(f_vector)(x, y) for entry in row]

    rows = jacobian(flat)(0.4, 0.9)
    for k, output in enumerate([lambda x, y: x * y, lambda x, y: ag.tanh(x) - y]):
        h = hessian(output)(0.4, 0.9)
        assert rows[2 * k] == pytest.approx(h[0], abs=1e-15)
        assert rows[2 * k + 1] == pytest.approx(h[1], abs=1e-15)
    assert grad(lambda x: jacrev(f_vector)(x, 3.0)[1][0])(0.4) == pytest.approx(
        -2 * math.tanh(0.4) * (1 - math.tanh(0.4) ** 2), rel=1e-14
    )


# ---------------------------------------------------------------- vjp


def test_vjp_takes_any_cotangents_over_one_recorded_graph() -> None:
    """vjp_fn(c) = c·J, one reverse pass per call; one output takes a bare number."""
    outputs, vjp_fn = vjp(f_vector, 2.0, 3.0)
    assert outputs == [6.0, math.tanh(2.0) - 3.0, math.log(10.0)]
    rows = jacobian(f_vector)(2.0, 3.0)
    for c in ([1.0, 0.0, 0.0], [0.5, -2.0, 3.0]):
        expected = [sum(ci * row[j] for ci, row in zip(c, rows)) for j in range(2)]
        assert vjp_fn(c) == pytest.approx(tuple(expected), rel=1e-15)
    value, vjp_scalar = vjp(f_scalar, 0.3, -1.2)
    assert value == f_scalar(0.3, -1.2)
    assert vjp_scalar(2.0) == pytest.approx(
        tuple(2.0 * g for g in grad(f_scalar, (0, 1))(0.3, -1.2)), rel=1e-15
    )


def test_vjp_errors_and_constants() -> None:
    """Wrong counts and kinds of cotangents are one-line errors; constant outputs give 0."""
    _, vjp_fn = vjp(f_vector, 2.0, 3.0)
    with pytest.raises(ValueError, match=r"vjp\(f_vector\): 2 cotangent\(s\) for 3 output\(s\)"):
        vjp_fn([1.0, 2.0])
    with pytest.raises(TypeError, match="the cotangents must be a sequence"):
        vjp_fn(1.0)
    _, constant = vjp(lambda x: [2.0, 3.0], 1.0)
    assert constant([1.0, 1.0]) == (0.0,)


def test_vjp_inside_grad_is_differentiable() -> None:
    """d/dx of (c · J(x)) through a vjp inside grad: the second derivative."""

    def first(x):
        _, vjp_fn = vjp(ag.sin, x)
        return vjp_fn(1.0)[0]

    assert grad(first)(0.6) == pytest.approx(-math.sin(0.6), rel=1e-15)


# ---------------------------------------------------------------- hvp


def test_hvp_is_the_hessian_times_the_vector() -> None:
    """H·v without H: equal to hessian(f) @ v."""
    xs, vs = [0.3, -1.2], [0.7, 2.0]
    h = hessian(f_scalar)(*xs)
    expected = [sum(hij * vj for hij, vj in zip(row, vs)) for row in h]
    assert hvp(f_scalar)(xs, vs) == pytest.approx(expected, rel=1e-14)
    assert hvp(f_scalar)([], []) == []


def test_hvp_of_many_inputs_never_forms_the_hessian() -> None:
    """Rosenbrock's function of 60 inputs: hvp's entries equal the Hessian's rows dotted
    with v, and it makes one Value pass and one tangent pass (not one pass per input)."""
    rng = random.Random(3)
    n = 60
    xs = [rng.uniform(-1, 1) for _ in range(n)]
    vs = [rng.uniform(-1, 1) for _ in range(n)]

    def rosen(*x):
        return ag.sum([100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(n - 1)])

    got = hvp(rosen)(xs, vs)
    expected = [0.0] * n
    for i in range(n - 1):  # the Hessian by hand: a tridiagonal band
        a, b = xs[i], xs[i + 1]
        hii, hij, hjj = 1200 * a * a - 400 * b + 2, -400 * a, 200.0
        expected[i] += hii * vs[i] + hij * vs[i + 1]
        expected[i + 1] += hij * vs[i] + hjj * vs[i + 1]
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)
    assert _passes(lambda f: lambda: hvp(f)(xs, vs), rosen) == (1, 1)


def test_hvp_nested_in_grad() -> None:
    """d/dx of (H(x)·v) for f = x**4: 24 x v."""
    assert grad(lambda x: hvp(lambda u: u**4)([x], [0.5])[0])(2.0) == pytest.approx(24.0)


# ---------------------------------------------------------------- HIPS autograd's cases


def test_hips_make_jvp() -> None:
    """make_jvp: tanh(A x) for A 3x5; jvp equals the Jacobian times v."""
    rng = random.Random(1)
    a = [[rng.gauss(0, 1) for _ in range(5)] for _ in range(3)]
    x = [rng.gauss(0, 1) for _ in range(5)]
    v = [rng.gauss(0, 1) for _ in range(5)]

    def fun(*x):
        return [ag.tanh(ag.dot(row, x)) for row in a]

    rows = jacobian(fun)(*x)
    explicit = [sum(j * vj for j, vj in zip(row, v)) for row in rows]
    assert jvp(fun, x, v)[1] == pytest.approx(explicit, rel=1e-13)


def _ggnvp(f, g):
    """J^T H_g J v, HIPS's make_ggnvp, from jvp, hvp and vjp (no matrix formed)."""

    def product(x, v):
        y, jv = jvp(f, x, v)
        hjv = hvp(g)(y, jv)
        _, vjp_fn = vjp(f, *x)
        return list(vjp_fn(hjv))

    return product


def _explicit_ggnvp(f, g, x, v):
    j = jacobian(f)(*x)
    h = hessian(g)(*f(*x))
    jv = [sum(a * b for a, b in zip(row, v)) for row in j]
    hjv = [sum(a * b for a, b in zip(row, jv)) for row in h]
    return [sum(j[i][k] * hjv[i] for i in range(len(j))) for k in range(len(x))]


@pytest.mark.parametrize("g_name", ["half_square", "nondefault"])
@pytest.mark.parametrize("tanh", [False, True])
def test_hips_make_ggnvp(g_name, tanh) -> None:
    """make_ggnvp with g(y) = y·y / 2 and with g(y) = Σ 2y² + y⁴, for A x and tanh(A x)."""
    rng = random.Random(2)
    a = [[rng.gauss(0, 1) for _ in range(4)] for _ in range(5)]
    x = [rng.gauss(0, 1) for _ in range(4)]
    v = [rng.gauss(0, 1) for _ in range(4)]

    def fun(*x):
        return [ag.tanh(ag.dot(row, x)) if tanh else ag.dot(row, x) for row in a]

    if g_name == "half_square":

        def g(*y):
            return 0.5 * ag.dot(y, y)
    else:

        def g(*y):
            return ag.sum([2.0 * yi**2 + yi**4 for yi in y])

    assert _ggnvp(fun, g)(x, v) == pytest.approx(_explicit_ggnvp(fun, g, x, v), rel=1e-12)


def test_hips_jacobian_against_grad() -> None:
    """A function with one output: its Jacobian is its gradient."""
    x = (0.3, -0.8, 1.1)

    def fun(*x):
        return ag.sum([ag.sin(xi) for xi in x])

    assert jacobian(fun)(*x) == [list(grad(fun, (0, 1, 2))(*x))]


def test_hips_jacobian_scalar_to_vector() -> None:
    """[x, x², x³] of one input: the column [1, 2x, 3x²]."""
    x = -0.37
    assert jacobian(lambda x: [x, x**2, x**3])(x) == [
        [1.0],
        [pytest.approx(2 * x)],
        [pytest.approx(3 * x * x)],
    ]


def test_hips_jacobian_against_stacked_grads() -> None:
    """Rows of the Jacobian of [f1, f2, f3] are their gradients; f3 has a grad inside."""
    scalar_funs = [
        lambda *x: ag.sum([xi**3 for xi in x]),
        lambda *x: math.prod([ag.sin(xi) + ag.sin(xi) for xi in x]),
        lambda *x: grad(lambda y: ag.exp(y) * ag.tanh(x[0]))(x[1]),
    ]
    rng = random.Random(4)
    x = [rng.gauss(0, 1) for _ in range(5)]
    rows = jacobian(lambda *x: [f(*x) for f in scalar_funs])(*x)
    for row, f in zip(rows, scalar_funs):
        assert row == pytest.approx(list(grad(f, tuple(range(5)))(*x)), rel=1e-13)


def test_hips_jacobian_higher_order() -> None:
    """sin(outer(x, x)) + cos(x·x): Jacobians of 2x2 -> 2, then of that, 2x2x2 -> 2; and
    gradients of Σ sin(J) agree with finite differences (HIPS's check_grads)."""

    def fun(x0, x1):
        x = [x0, x1]
        c = ag.cos(ag.dot(x, x))
        return [ag.sin(a * b) + c for a in x for b in x]

    def jac(x0, x1):
        return [e for row in jacobian(fun)(x0, x1) for e in row]

    def jac2(x0, x1):
        return [e for row in jacobian(jac)(x0, x1) for e in row]

    point = (0.4, -0.9)
    assert len(jac(*point)) == 8  # (2, 2, 2) in HIPS
    assert len(jac2(*point)) == 16  # (2, 2, 2, 2)
    assert ag.gradcheck(lambda *x: ag.sum([ag.sin(e) for e in jac(*x)]), point)
    assert ag.gradcheck(lambda *x: ag.sum([ag.sin(e) for e in jac2(*x)]), point)
