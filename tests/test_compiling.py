"""compiling, the front door: compile(f) on numbers and batches gives the engine's results."""

from __future__ import annotations

import importlib
import math
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import Value, compile, no_grad
from autograd_lite.testing import expressions


def _engine(f, *xs: float) -> tuple[float, tuple[float, ...]]:
    """Value and gradients of `f` at `xs` through Values and `backward()`."""
    inputs = [Value(x) for x in xs]
    out = f(*inputs)
    out.backward()
    return out.data, tuple(x.grad for x in inputs)


def _assert_same(got: tuple[float, tuple[float, ...]], want: tuple[float, ...]) -> None:
    """Equal up to the order in which shared nodes add their gradient shares (a few ulps)."""
    (value, grads), (expected, expected_grads) = got, want
    assert type(value) is float
    assert all(type(g) is float for g in grads)
    assert math.isclose(value, expected, rel_tol=1e-12, abs_tol=1e-12)
    assert len(grads) == len(expected_grads)
    for g, e in zip(grads, expected_grads):
        assert math.isclose(g, e, rel_tol=1e-9, abs_tol=1e-12), (grads, expected_grads)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(max_nodes=10))
def test_compiled_equals_the_engine_on_random_graphs(example) -> None:
    """Random expression graphs over every rule: compiled value and grads equal backward()'s."""
    f, xs = example
    _assert_same(compile(f)(*xs), _engine(f, *xs))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(max_nodes=8), st.floats(0.5, 1.5))
def test_the_trace_is_replayed_at_new_points(example, scale) -> None:
    """Traced at one point, the generated code is right at another (no Python branching)."""
    f, xs = example
    compiled = compile(f)
    compiled(*xs)
    moved = tuple(x * scale for x in xs)
    try:
        want = _engine(f, *moved)
    except (ValueError, ArithmeticError):
        assume(False)
    assume(math.isfinite(want[0]) and all(math.isfinite(g) for g in want[1]))
    _assert_same(compiled(*moved), want)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-3, 3), min_size=1, max_size=12).flatmap(
        lambda ws: st.tuples(
            st.just(ws), st.lists(st.floats(-3, 3), min_size=len(ws), max_size=len(ws))
        )
    )
)
def test_n_ary_dot_and_sum_compile_like_the_engine(pair) -> None:
    """relu(dot(ws, xs)) + sum(xs) * tanh(ws[0]): the n-ary nodes, compiled, match the engine."""
    ws, xs = pair
    n = len(ws)

    def f(*args):
        a, b = list(args[:n]), list(args[n:])
        return ag.relu(ag.dot(a, b) + 0.25) + ag.sum(b) * a[0].tanh()

    _assert_same(compile(f)(*ws, *xs), _engine(f, *ws, *xs))


def test_docstring_example() -> None:
    """x*y + exp(y) at (2, 0): value 1, gradients (y, x + e**y) = (0, 3)."""
    assert compile(lambda x, y: x * y + y.exp())(2.0, 0.0) == (1.0, (0.0, 3.0))


def test_relu_kink_is_decided_on_every_call() -> None:
    """relu's branch lives in its rule, so a trace made at x > 0 is right at x < 0."""
    h = compile(lambda x: (x * 3.0).relu())
    assert h(1.0) == (3.0, (3.0,))
    assert h(-1.0) == (0.0, (0.0,))


def test_unused_arguments_get_zero_and_ints_give_floats() -> None:
    """Every argument gets a gradient (0.0 when unused), and int arguments give float results."""
    h = compile(lambda x, y, z: x * 2 + z)
    assert h(3, 4, 5) == (11.0, (2.0, 0.0, 1.0))
    assert type(h(3, 4, 5)[0]) is float


def test_every_argument_reaches_the_rules_as_a_float() -> None:
    """Ints and numpy scalars are converted (pow checks `is_integer()` on its exponent)."""
    h = compile(lambda x, y: x**y)
    # d/dy at a negative base does not exist: nan (rules.py's policy), hence repr to compare
    assert repr(h(-2.0, 3.0)) == repr(h(-2, 3)) == repr((-8.0, (12.0, math.nan)))
    np = pytest.importorskip("numpy")
    assert repr(h(np.float32(-2.0), np.int64(3))) == repr((-8.0, (12.0, math.nan)))
    with pytest.raises(TypeError, match="str"):
        h(2.0, "3")  # type: ignore[arg-type]


def test_returning_an_argument_or_a_constant() -> None:
    """f(x) = x has gradient 1; a Value made inside f is a constant with gradient 0."""
    assert compile(lambda x, y: y)(1.0, 2.0) == (2.0, (0.0, 1.0))
    assert compile(lambda x: Value(7.0))(1.0) == (7.0, (0.0,))


def test_values_from_outside_are_read_on_every_call() -> None:
    """A Value f closes over is read afresh on each call, as running f directly would."""
    w = Value(2.0, label="w")
    h = compile(lambda x: x * w)
    assert h(3.0) == (6.0, (2.0,))
    w.data = 5.0
    assert h(3.0) == (15.0, (5.0,))
    assert len(h.traces) == 1


def test_user_primitives_compile() -> None:
    """A primitive goes through the same table: its forward and partials are called."""
    softplus = ag.primitive(
        "softplus", lambda x: math.log1p(math.exp(x)), grads=(lambda x: ag.sigmoid(x),)
    )
    h = compile(lambda x: softplus(x * x))
    value, (grad,) = h(0.5)
    assert value == pytest.approx(math.log1p(math.exp(0.25)))
    assert grad == pytest.approx(2 * 0.5 / (1 + math.exp(-0.25)))


def test_domain_errors_come_from_the_rule() -> None:
    """A log of a negative number raises the rule's ValueError from the generated code too."""
    h = compile(lambda x: (x - 1.0).log())
    assert h(3.0)[0] == pytest.approx(math.log(2.0))
    with pytest.raises(ValueError, match=r"log: .* got -1\.0"):
        h(0.0)


def test_traces_even_inside_no_grad() -> None:
    """The trace records its graph whatever the caller's no_grad state."""
    h = compile(lambda x: x * x)
    with no_grad():
        assert h(3.0) == (9.0, (6.0,))


def test_f_must_return_a_value() -> None:
    """A function returning a float is refused with its type named."""
    with pytest.raises(TypeError, match="must return a Value, got float"):
        compile(lambda x: 1.0)(2.0)


def test_non_callable_is_refused() -> None:
    """compile needs a function."""
    with pytest.raises(TypeError, match="callable, got int"):
        compile(3)  # type: ignore[arg-type]


def test_argument_count_is_fixed_by_the_trace() -> None:
    """Later calls take the traced number of arguments."""
    h = compile(lambda *xs: ag.sum(xs))
    assert h(1.0, 2.0) == (3.0, (1.0, 1.0))
    with pytest.raises(TypeError):
        h(1.0, 2.0, 3.0)


def test_bad_argument_on_the_first_call_names_its_type() -> None:
    """The trace makes Values of the arguments, so a string is refused there."""
    with pytest.raises(TypeError, match="str"):
        compile(lambda x: x * 2)("1")  # type: ignore[arg-type]


def test_module_and_function_have_different_names() -> None:
    """`autograd_lite.compile` is only the function; its module is `autograd_lite.compiling`."""
    module = importlib.import_module("autograd_lite.compiling")
    assert ag.compile is module.compile
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("autograd_lite.compile")


def test_numbers_broadcast_and_their_gradient_is_summed() -> None:
    """x * w + relu(x): gradient per sample toward the array x, summed toward the number w."""
    np = pytest.importorskip("numpy")
    g = compile(lambda x, w: x * w + ag.relu(x))
    value, (dx, dw) = g(np.array([-1.0, 0.0, 2.0]), 3.0)
    assert value.tolist() == [-3.0, 0.0, 8.0]
    assert dx.tolist() == [3.0, 3.0, 4.0]  # relu'(0) = 0, as the rules table decides
    assert dw == 1.0
    assert type(dw) is float


def test_shapes_and_lengths_are_checked() -> None:
    """Arrays are 1-D and of one length; a 0-d array is a number; lists work as arrays."""
    np = pytest.importorskip("numpy")
    g = compile(lambda x, y: x * y)
    with pytest.raises(ValueError, match="1-D"):
        g(np.ones((2, 2)), 1.0)
    with pytest.raises(ValueError, match="argument 1 has 3 samples, an earlier one 2"):
        g(np.ones(2), np.ones(3))
    assert g(np.array(2.0), 3.0) == (6.0, (3.0, 2.0))
    with pytest.raises(TypeError, match="Value"):
        g(np.ones(2), Value(1.0))  # type: ignore[arg-type]
    value, (dx, dy) = g([1.0, 2.0], 3.0)
    assert value.tolist() == [3.0, 6.0]
    assert dy == 3.0
    value, (dx, dy) = g(np.zeros(0), 3.0)
    assert value.shape == dx.shape == (0,)
    assert dy == 0.0


def test_without_numpy_a_batch_says_what_to_install(monkeypatch) -> None:
    """With NumPy missing, a batch call names the extra to install; numbers still work."""
    g = compile(lambda x: x * 2)
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(ImportError, match="pip install numpy"):
        g([1.0, 2.0])
    assert g(1.0) == (2.0, (2.0,))


# ---------------------------------------------------------------- toward parameters (wrt)


def _model_loss():
    """A small MLP's squared error, its parameters, and the engine's answer at one point."""
    import nn

    model = nn.MLP(2, [4, 3, 1], seed=1)
    params = model.parameters()

    def loss(x1, x2, y):
        return (model([x1, x2]) - y) ** 2

    def engine(x1: float, x2: float, y: float) -> tuple[float, list[float]]:
        for p in params:
            p.grad = 0.0
        out = loss(Value(x1), Value(x2), y)
        out.backward()
        return out.data, [p.grad for p in params]

    return loss, params, engine


def test_wrt_gives_the_gradient_toward_each_parameter() -> None:
    """compile(f, wrt=params): value, grads toward the arguments, and one per parameter, all
    equal to backward()'s; a parameter f does not use gets 0.0."""
    loss, params, engine = _model_loss()
    unused = Value(3.0)
    h = compile(loss, wrt=[*params, unused])
    value, grads, param_grads = h(0.5, -0.2, 1.0)
    want, want_params = engine(0.5, -0.2, 1.0)
    assert value == want
    assert len(grads) == 3
    assert param_grads == [*want_params, 0.0]
    assert type(param_grads) is list


def test_wrt_reads_the_parameters_on_every_call() -> None:
    """An optimizer's update of .data is seen by the next call, with no new trace."""
    loss, params, engine = _model_loss()
    h = compile(loss, wrt=params)
    h(0.5, -0.2, 1.0)
    for p in params:
        p.data -= 0.1 * p.data
    value, _, param_grads = h(0.3, 0.9, -1.0)
    assert (value, param_grads) == engine(0.3, 0.9, -1.0)
    assert len(h.traces) == 1


def test_wrt_in_a_batch_sums_over_the_samples() -> None:
    """On arrays, value per sample and each parameter's gradient summed over the batch."""
    np = pytest.importorskip("numpy")
    loss, params, engine = _model_loss()
    h = compile(loss, wrt=params)
    rng = np.random.default_rng(0)
    x1, x2, y = rng.normal(size=(3, 20))
    value, _, param_grads = h(x1, x2, y)
    per_sample = [engine(*point) for point in zip(x1, x2, y)]
    np.testing.assert_allclose(value, [v for v, _ in per_sample], rtol=1e-12)
    sums = [math.fsum(g[j] for _, g in per_sample) for j in range(len(params))]
    np.testing.assert_allclose(param_grads, sums, rtol=1e-9, atol=1e-14)
    assert all(type(g) is float for g in param_grads)


def test_wrt_through_split_batches_and_past_the_trace_limit() -> None:
    """A guard splitting the batch, and calls run directly past the limit, add up the same."""
    np = pytest.importorskip("numpy")
    w = Value(2.0)
    f = lambda x: x * w if x > 0 else x * w * w  # noqa: E731
    h = compile(f, wrt=[w])
    xs = np.array([1.0, -1.0, 2.0, -3.0])
    value, (dx,), (dw,) = h(xs)
    assert value.tolist() == [2.0, -4.0, 4.0, -12.0]
    assert dx.tolist() == [2.0, 4.0, 2.0, 4.0]
    assert dw == 1.0 + 2.0 - 4.0 - 12.0
    g = compile(lambda x: x * w * x.data, wrt=[w])  # a new trace per number
    with pytest.warns(RuntimeWarning, match="took 8 paths"):
        value, _, (dw,) = g(np.arange(1.0, 11.0))
    assert dw == sum(x * x for x in range(1, 11))
    assert g(0.5) == (0.5, (1.0,), [0.25])  # x.data is a number: d/dx = w * 0.5


def test_wrt_must_hold_values() -> None:
    """A number among the parameters is refused when compiling, with its place."""
    with pytest.raises(TypeError, match="wrt must hold Values, got float at 1"):
        compile(lambda x: x, wrt=[Value(1.0), 2.0])  # type: ignore[list-item]


# ---------------------------------------------------------------- non-finite values

SPECIAL = [math.inf, -math.inf, math.nan, 1e308, -1e308, 1e-310, 0.0, -0.0, 1.0, -2.5]
"""Infinities, nan, numbers whose products and sums overflow, a subnormal, zeros."""


def _kind(x: float) -> object:
    """The class of a result: nan, +inf, -inf, or a finite number (kept for comparing)."""
    return "nan" if math.isnan(x) else x if math.isinf(x) else "finite"


def _engine_or_error(f, point):
    """The engine's value and gradients at `point`, or the type of error it raises."""
    try:
        inputs = [Value(x) for x in point]
        out = f(*inputs)
        return out.data, tuple(ag.gradients(out, inputs))
    except (ArithmeticError, ValueError) as error:
        return type(error)


def _compiled_or_error(h, *args):
    try:
        return h(*args)
    except (ArithmeticError, ValueError) as error:
        return type(error)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(max_nodes=8), st.data())
def test_non_finite_points_follow_the_engine_on_numbers(example, data) -> None:
    """At inf, nan and overflowing points, compiled code on numbers gives the engine's
    results: the same error, or values and gradients of the same class (nan, ±inf, finite)."""
    f, xs = example
    point = tuple(data.draw(st.sampled_from([x, *SPECIAL])) for x in xs)
    want = _engine_or_error(f, point)
    got = _compiled_or_error(compile(f), *point)
    if isinstance(want, type):
        assert got is want
        return
    assert not isinstance(got, type), got
    assert [_kind(got[0]), *map(_kind, got[1])] == [_kind(want[0]), *map(_kind, want[1])]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(max_nodes=8), st.data())
def test_non_finite_points_follow_the_engine_in_batches(example, data) -> None:
    """A batch with inf, nan and overflowing entries (and numbers beside it) gives, per
    sample, the engine's classes, and toward a number the class of the summed gradients."""
    np = pytest.importorskip("numpy")
    f, xs = example
    n = data.draw(st.integers(1, 4))
    layout = [data.draw(st.booleans()) for _ in xs]
    layout[0] = True
    special = st.sampled_from([*SPECIAL, 0.5])
    args = [
        np.array([data.draw(special) for _ in range(n)]) if b else data.draw(special)
        for b in layout
    ]
    samples = [[float(a[k]) if b else a for a, b in zip(args, layout)] for k in range(n)]
    wants = [_engine_or_error(f, point) for point in samples]
    got = _compiled_or_error(compile(f), *args)
    errors = {w for w in wants if isinstance(w, type)}
    if errors:
        assert got in errors
        return
    assert not isinstance(got, type), got
    value, grads = got
    assert [_kind(v) for v in value] == [_kind(v) for v, _ in wants]
    for i, batched in enumerate(layout):
        terms = [g[i] for _, g in wants]
        if batched:
            assert [_kind(g) for g in grads[i]] == [_kind(t) for t in terms]
        else:
            try:
                total = math.fsum(terms)
            except OverflowError:  # finite terms past the float range: the order decides
                continue
            except ValueError:  # inf + -inf
                total = math.nan
            assert _kind(grads[i]) == _kind(total)


def test_the_two_crashes_give_numbers() -> None:
    """x * exp(c) with c = 1000 in a batch (exp overflows to inf, as on floats), and a batch
    run sample by sample past the trace limit whose sum toward a number is inf - inf or
    overflows: nan and inf, never an exception."""
    np = pytest.importorskip("numpy")
    h = compile(lambda x, c: x * ag.exp(c))
    assert h(1.0, 1000.0) == (math.inf, (math.inf, math.inf))
    value, (dx, dc) = h(np.array([1.0, 2.0]), 1000.0)
    assert value.tolist() == dx.tolist() == [math.inf, math.inf]
    assert dc == math.inf
    g = compile(lambda x, c: x * c * (x.data == x.data))  # a new trace per number
    with pytest.warns(RuntimeWarning, match="took 8 paths"):
        g(np.arange(1.0, 10.0), 1.0)
    value, (dx, dc) = g(np.array([math.inf, -math.inf, 3.0]), 1.0)
    assert math.isnan(dc)
    value, (dx, dc) = g(np.array([1e308, 1e308, 5.0]), 1.0)
    assert dc == math.inf
