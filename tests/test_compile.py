"""compile(f): generated straight-line code gives the plain engine's value and gradients."""

from __future__ import annotations

import gc
import importlib
import linecache
import math
import traceback
import weakref

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


def test_generated_source_calls_the_rules_own_functions() -> None:
    """Straight-line Python calling each rule's forward and partials, kept as `.source`."""
    h = compile(lambda x, y: (x * y).tanh())
    assert h(0.5, 2.0) == _engine(lambda x, y: (x * y).tanh(), 0.5, 2.0)
    assert h.source.startswith("def compiled(a0, a1):\n")
    assert "v2 = f0(a0, a1)" in h.source
    assert "g2 = g3 * p1_0(v2, v3)" in h.source  # tanh's partial toward its one input
    assert "g0 = g2 * p0_0(a0, a1, v2)" in h.source  # the product's toward each factor
    assert "g1 = g2 * p0_1(a0, a1, v2)" in h.source
    assert "for " not in h.source
    assert "if " not in h.source


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


def test_non_finite_constants_are_kept() -> None:
    """Constants inf and nan, which have no Python literal, survive code generation."""
    value, grads = compile(lambda x: x + math.inf)(1.0)
    assert value == math.inf
    assert grads == (1.0,)
    assert math.isnan(compile(lambda x: x * math.nan)(1.0)[0])


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


def test_no_partial_is_computed_toward_a_constant() -> None:
    """A constant operand gets no partial: only the ones toward values that reach an argument."""
    h = compile(lambda x, y: ag.sum([x * y, y, 1.0]) * 3.0)
    assert h(2.0, 5.0) == (48.0, (15.0, 9.0))
    assert "g3 = g4 * p0_0(v3, 3.0, v4)\n" in h.source
    assert "g4 * p0_1" not in h.source  # toward the constant 3.0
    assert "t3[2]" not in h.source  # toward the sum's constant 1.0


def test_generated_source_lives_as_long_as_the_function() -> None:
    """Tracebacks show generated lines via linecache; freeing the function drops the entry."""
    h = compile(lambda x: (x - 1.0).log())
    h(2.0)
    filename = h.traces[0].run.__code__.co_filename
    assert linecache.getlines(filename) == h.source.splitlines(True)
    with pytest.raises(ValueError, match="log") as caught:
        h(0.0)
    lines = [frame.line for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert "v2 = f1(v1)" in lines  # the generated line that called log's forward
    del caught
    run = weakref.ref(h.traces[0].run)
    gc.disable()  # freed by reference counting alone: no cycle through its globals
    try:
        del h
        assert filename not in linecache.cache
        assert run() is None
    finally:
        gc.enable()


def test_many_compiles_leave_no_sources_behind() -> None:
    """200 compiled functions made and dropped leave linecache as it was."""
    before = len(linecache.cache)
    for i in range(200):
        compile(lambda x, i=i: x * i)(1.0)
    assert len(linecache.cache) == before


def test_module_and_function_have_different_names() -> None:
    """`autograd_lite.compile` is only the function; its module is `autograd_lite.compiling`."""
    module = importlib.import_module("autograd_lite.compiling")
    assert ag.compile is module.compile
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("autograd_lite.compile")


def test_compile_a_function_whose_name_python_folds() -> None:
    """`ﬁt` (a valid identifier) is stored by Python as `fit`: compile still finds it."""

    def f(x: Value) -> Value:
        return x * x

    f.__name__ = "\ufb01t"
    assert compile(f)(2.0) == (4.0, (4.0,))
