"""compiling.kernels: compile(f) on NumPy arrays, one trace a whole batch, equal per sample."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_lite as ag
from autograd_lite import Value, compile, rules
from autograd_lite.testing import expressions

np = pytest.importorskip("numpy")

EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, math.nan, 1e-300]
"""Kinks of relu and abs, the vertical tangent of sqrt, nan, a number that underflows."""


def _eager(f, *xs: float) -> tuple[float, tuple[float, ...]]:
    """Running f directly: Values, then the engine's reverse pass."""
    inputs = [Value(x) for x in xs]
    out = f(*inputs)
    return out.data, tuple(ag.gradients(out, inputs))


def _assert_close(got: float, want: float, rtol: float, atol: float = 1e-300) -> None:
    """Equal to `rtol` (or `atol`), or both nan."""
    assert got == pytest.approx(want, rel=rtol, abs=atol, nan_ok=True), (got, want)


def _per_sample(g, args, layout, f=None):
    """The batch one call at a time: values and gradients per sample, summed for numbers.

    With `f`, each call is also checked against running f directly (eager).
    """
    n = len(next(a for a, b in zip(args, layout) if b))
    points = [[float(a[k]) if b else a for a, b in zip(args, layout)] for k in range(n)]
    calls = [g(*point) for point in points]
    if f is not None:
        for point, (value, grads) in zip(points, calls):
            want, want_grads = _eager(f, *point)
            _assert_close(value, want, 0.0, 0.0)  # the same floats, the same order of sums:
            for got, expected in zip(grads, want_grads):  # the engine's numbers to the last bit
                _assert_close(got, expected, 0.0, 0.0)
    value = np.array([v for v, _ in calls])
    grads = [
        np.array([gs[i] for _, gs in calls]) if b else [gs[i] for _, gs in calls]
        for i, b in enumerate(layout)
    ]
    return value, grads


EXACT_OPS = ["+", "-", "*", "/", "neg", "relu", "abs", "sqrt", "sin", "cos", "sum", "dot"]
"""The rules whose NumPy forms give Python's floats to the last bit. NumPy's exp, log, tanh
and ** may differ from the math module's in the last bit, which a derivative like
1 - tanh(x)**2 near saturation magnifies: those are compared to 1e-9."""


def _assert_batch_equals_samples(
    f, args, layout, rtol: float = 1e-12, atol: float = 1e-300
) -> None:
    """Batched value and gradients equal the per-sample calls (summed for numbers) to `rtol`,
    nan where they are nan; or both raise."""
    try:
        value, grads = _per_sample(compile(f), args, layout, f)
    except (ArithmeticError, ValueError) as error:
        with pytest.raises(type(error)):
            compile(f)(*args)
        return
    got_value, got_grads = compile(f)(*args)
    assert got_value.shape == value.shape
    np.testing.assert_allclose(got_value, value, rtol=rtol, atol=atol)
    for got, want, batched in zip(got_grads, grads, layout):
        if batched:
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
        else:
            assert type(got) is float
            total, size = math.fsum(want), math.fsum(map(abs, want))
            if math.isnan(size) or math.isinf(size):
                assert math.isnan(got) == math.isnan(total)
            else:
                assert abs(got - total) <= rtol * size + atol, (got, want)


@st.composite
def batches(draw, edges: bool, ops=None):
    """A random expression, and a batch of points for it: random, or at edges and nan."""
    f, xs = draw(expressions(ops, max_nodes=8))
    n = draw(st.integers(1, 5))
    layout = [draw(st.booleans()) for _ in xs]
    layout[draw(st.integers(0, len(xs) - 1))] = True
    points = st.sampled_from(EDGES) if edges else st.floats(-2, 2)
    args = [
        np.array([x] + [draw(points) for _ in range(n - 1)]) if batched else x
        for x, batched in zip(xs, layout)
    ]
    return f, args, layout


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(edges=False))
def test_batched_equals_per_sample_at_random_points(example) -> None:
    """Random graphs over every rule, random points: the batch is the calls per sample.

    To 1e-9 relative or 1e-12 absolute: NumPy's exp and tanh may differ from `math`'s in the
    last bit, and a local derivative such as 1 - tanh(x)**2 near saturation magnifies that.
    """
    _assert_batch_equals_samples(*example, rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches(edges=True))
def test_batched_equals_per_sample_at_kinks_and_nan(example) -> None:
    """At 0, -0, ±1, nan and tiny numbers too: kinks and nan follow the rules table."""
    _assert_batch_equals_samples(*example, rtol=1e-9, atol=1e-12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.booleans().flatmap(lambda edges: batches(edges, EXACT_OPS)))
def test_batched_equals_per_sample_to_1e_12(example) -> None:
    """Over the rules NumPy computes to the last bit, at random points and at edges: 1e-12."""
    _assert_batch_equals_samples(*example)


def test_kinks_of_every_common_rule_match_the_table() -> None:
    """relu, abs, sqrt, pow at 0 and nan: the batch takes the table's side at each edge."""
    f = lambda x, y: ag.relu(x) + ag.abs(x) + ag.sqrt(ag.abs(y)) + (x * x) ** 0.5 + y**2.0  # noqa: E731
    xs = np.array([0.0, -0.0, 1.0, -1.0, math.nan, 0.0])
    ys = np.array([0.0, 1.0, -0.0, math.nan, 2.0, -4.0])
    _assert_batch_equals_samples(f, [xs, ys], [True, True])


def test_a_layer_of_weighted_sums_is_exact_near_zero() -> None:
    """A layer (one matrix product) whose sum cancels: relu sees the rule's own sum.

    At the first sample the rule's sum, added up term by term, is exactly 0 (relu' = 0); a
    matrix product (which may fuse multiply and add) gives about 8e-18 there. The gradients
    toward the weights show which side relu took.
    """
    ws = [-0.7312715117751976, 0.6948674738744653, 0.22102908351731174, 1.0, -1.0, 0.5]
    x = np.array([0.3031859454455259, 1.0, 0.0])
    y = np.array([0.5774467022710263, 2.0, 0.0])
    u = np.array([-0.8122808264515302, -1.0, 0.0])

    def f(x, y, u, *w):
        z = [ag.dot(w[:3], [x, y, u]), ag.dot(w[3:], [x, y, u])]
        return ag.relu(z[0]) * 3 + ag.relu(z[1])

    layout = (True, True, True) + (False,) * 6
    g = compile(f)
    value, grads = g(x, y, u, *ws)
    assert "Layer(" in g.traces[0].build(layout)[0]
    want_value, want_grads = _per_sample(g, [x, y, u, *ws], layout)
    assert want_value[0] == 0.0
    np.testing.assert_array_equal(value, want_value)
    for got, want in zip(grads[3:], want_grads[3:]):
        assert got == math.fsum(want)


def test_an_mlp_batch_equals_its_samples() -> None:
    """The moons demo's compiled loss (the real nn.MLP, relu, hinge) over 50 points: values,
    gradients toward the points, and toward the parameters summed, equal to the calls per point."""
    import nn
    from nn.demos.moons import compiled_loss, two_moons

    compiled = compiled_loss(nn.MLP(2, [4, 3, 1], activation="relu", seed=1))
    points, labels = two_moons(50, seed=2)
    x = np.array(points)
    args = [x[:, 0], x[:, 1], np.array(labels, dtype=float)]
    value, grads, param_grads = compiled(*args)
    calls = [compiled(*point) for point in zip(*(a.tolist() for a in args))]
    np.testing.assert_allclose(value, [v for v, _, _ in calls], rtol=1e-12)
    for i in range(3):
        np.testing.assert_allclose(grads[i], [g[i] for _, g, _ in calls], rtol=1e-12)
    sums = [math.fsum(column) for column in zip(*(p for _, _, p in calls))]
    np.testing.assert_allclose(param_grads, sums, rtol=1e-12, atol=1e-15)


def test_user_primitives_run_entry_by_entry() -> None:
    """A rule NumPy does not know runs its own float functions per entry, kinks included."""
    hardtanh = ag.primitive(
        "hardtanh",
        lambda x: max(-1.0, min(1.0, x)),
        grads=(lambda x: 1.0 if -1 < float(x) < 1 else 0.0,),
    )
    f = lambda x: hardtanh(x * 2) * x  # noqa: E731
    _assert_batch_equals_samples(f, [np.array([-1.0, -0.5, 0.0, 0.5, 0.25, math.nan])], [True])


def test_domain_errors_come_from_the_rule() -> None:
    """log of a negative entry raises the rule's own ValueError, as the call per sample does."""
    g = compile(lambda x: (x - 1.0).log())
    with pytest.raises(ValueError, match=r"log: .* got -1\.0"):
        g(np.array([3.0, 0.0, 2.0]))
    with pytest.raises(ZeroDivisionError):
        compile(lambda x, y: x / y)(np.array([1.0, 2.0]), np.array([1.0, 0.0]))


def test_guards_split_the_batch() -> None:
    """A branch on data takes each sample its own way: traced once per side."""
    f = lambda x: x.log() if x > 0 else -x * 3  # noqa: E731
    g = compile(f)
    xs = np.array([1.0, -1.0, 2.0, 0.0, math.nan, 0.5])
    _assert_batch_equals_samples(f, [xs], [True])
    assert len(g.traces) == 0
    g(xs)
    assert len(g.traces) == 2


def test_the_issue_examples_in_a_batch() -> None:
    """`if x.data > 0` in a batch, and a closed-over Value changed between batches."""
    f = lambda x: x * x if x.data > 0 else -x * 3  # noqa: E731
    _assert_batch_equals_samples(f, [np.array([1.0, -1.0, 2.0])], [True])
    w = Value(2.0)
    g = compile(lambda x: x * w)
    assert g(np.array([1.0, 3.0]))[0].tolist() == [2.0, 6.0]
    w.data = 5.0
    assert g(np.array([1.0, 3.0]))[0].tolist() == [5.0, 15.0]


def test_moons_demo_trains_batched(tmp_path, capsys) -> None:
    """`python -m demos.moons --batched` trains on arrays and compares a step's time."""
    from nn.demos import moons

    moons.main(["--batched", "--samples", "60", "--steps", "3", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    assert "sgd, batched" in printed
    assert "ms batched" in printed
    assert "one point at a time" in printed


def test_moons_batched_training_takes_the_compiled_steps() -> None:
    """Batched training gives the per-point compiled training's losses (to rounding)."""
    from nn.demos import moons

    points, labels = moons.two_moons(40, seed=3)
    _, compiled, _ = moons.train(points, labels, steps=4, seed=3, compiled=True)
    _, batched, _ = moons.train(points, labels, steps=4, seed=3, batched=True)
    assert batched == pytest.approx(compiled, rel=1e-12)


def test_a_flat_branch_stops_an_infinite_adjoint_in_a_batch():
    """sqrt(relu(x)) over a batch: 0 where relu is flat (x <= 0), 1/(2 sqrt(x)) elsewhere, as
    each sample alone gives, not 0 * inf = nan."""
    f = compile(lambda x: ag.sqrt(ag.relu(x)))
    value, (gradient,) = f(np.array([-1.0, 0.0, 4.0]))
    assert value.tolist() == [0.0, 0.0, 2.0]
    assert gradient.tolist() == [0.0, 0.0, 0.25]


ARRAY_RULES = [rule for rule in rules.RULES.values() if rule.array is not None]


@pytest.mark.parametrize("rule", ARRAY_RULES, ids=lambda rule: rule.name)
def test_every_array_form_gives_the_float_functions_entry_by_entry(rule) -> None:
    """At kinks, zeros of both signs, infinities, nan and tiny numbers, a rule's array form
    (through the kernels) gives its float forward and partials, or raises what they raise."""
    from autograd_lite.compiling.kernels import array_rule

    forward, partials = array_rule(np, rule, rule.arity)
    points = [*EDGES, math.inf, -math.inf, 3.0, -2.5]
    grid = np.array(np.meshgrid(*[points] * rule.arity)).reshape(rule.arity, -1)
    with np.errstate(all="ignore"):
        for column in grid.T:
            xs = [float(x) for x in column]
            try:
                want = rule.forward(*xs)
            except (ArithmeticError, ValueError) as error:
                with pytest.raises(type(error)):
                    forward(*map(np.array, [[x] for x in xs]))
                continue
            out = forward(*map(np.array, [[x] for x in xs]))
            _assert_close(float(out[0]), want, 1e-15)
            for mine, theirs in zip(partials, rule.partials):
                got = np.broadcast_to(mine(*[np.array([x]) for x in xs], out), (1,))[0]
                _assert_close(float(got), theirs(*xs, want), 1e-15)


def test_a_rule_without_an_array_form_runs_its_float_functions() -> None:
    """atan2 has no array form: its kernel is its float functions applied entry by entry."""
    from autograd_lite.compiling.kernels import array_rule

    assert rules.atan2.array is None
    forward, (d_y, _) = array_rule(np, rules.atan2, 2)
    ys, xs = np.array([1.0, -0.0, math.nan]), np.array([-1.0, -1.0, 2.0])
    with np.errstate(all="ignore"):  # as a batch runs: nan is expected here
        out, d = forward(ys, xs), d_y(ys, xs, forward(ys, xs))
    want = [rules.atan2.forward(y, x) for y, x in zip(ys, xs)]
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(
        d, [rules.atan2.partials[0](y, x, o) for y, x, o in zip(ys, xs, want)]
    )
