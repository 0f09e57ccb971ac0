"""The Value type: construction, operators, the reverse pass and its semantics, no_grad, memory."""

from __future__ import annotations

import asyncio
import gc
import math
import threading
from fractions import Fraction

import pytest

import autograd_lite as ag
from autograd_lite import Value, no_grad, rules
from autograd_lite.rule import FLAT
from autograd_lite.value import dots, edges, operands


def _live_values() -> int:
    return sum(1 for obj in gc.get_objects() if type(obj) is Value)


# ---------------------------------------------------------------- construction


@pytest.mark.parametrize("data", [3, 2.5, -0.0, True, Fraction(1, 4)])
def test_real_numbers_are_stored_as_float(data) -> None:
    """ints, floats, bools and other numbers.Real become a float."""
    value = Value(data)
    assert type(value.data) is float
    assert value.data == float(data)


def test_numpy_scalars_are_accepted_and_stay_on_the_value_side() -> None:
    """numpy scalars are real numbers; `np.float64 * Value` gives a Value, not an array."""
    np = pytest.importorskip("numpy")
    assert Value(np.float32(1.5)).data == 1.5
    assert Value(np.int64(7)).data == 7.0
    product = np.float64(2.0) * Value(3.0)
    assert isinstance(product, Value)
    assert product.data == 6.0


@pytest.mark.parametrize(
    ("bad", "name"), [("1.0", "str"), (None, "NoneType"), (1j, "complex"), ([1.0], "list")]
)
def test_non_real_data_raises_type_error_naming_the_type(bad, name) -> None:
    """Anything but a real number is refused with its type in the message."""
    with pytest.raises(TypeError, match=name):
        Value(bad)


def test_a_value_is_not_data_for_another_value() -> None:
    """Value(Value(1)) would silently cut the graph, so it is refused."""
    with pytest.raises(TypeError, match=r"got autograd_lite\.Value Value\(data=1"):
        Value(Value(1.0))  # type: ignore[arg-type]


def test_new_leaf_attributes() -> None:
    """A leaf has grad 0.0, op '', no parents, and keeps its label."""
    x = Value(1.5, label="x")
    assert (x.data, x.grad, x.label, x.op, x.parents) == (1.5, 0.0, "x", "", ())


def test_repr_is_short_and_useful() -> None:
    """repr shows data, grad, label and op to 4 significant digits."""
    h = ag.tanh(Value(1.0))
    h.label = "h1"
    h.grad = 0.42
    assert repr(h) == "Value(data=0.7616, grad=0.42, label='h1', op='tanh')"
    assert repr(Value(2.0)) == "Value(data=2, grad=0)"


def test_hash_and_equality_by_identity() -> None:
    """Values are usable in sets and dict keys; equal data does not make them equal."""
    a, b = Value(1.0), Value(1.0)
    assert a != b
    assert len({a, b, a}) == 2
    assert {a: "a"}[a] == "a"


# ---------------------------------------------------------------- operators


@pytest.mark.parametrize(
    ("expression", "expected", "dx"),
    [
        (lambda x: x + 2, 5.0, 1.0),
        (lambda x: 2 + x, 5.0, 1.0),
        (lambda x: x - 2, 1.0, 1.0),
        (lambda x: 2 - x, -1.0, -1.0),
        (lambda x: x * 2, 6.0, 2.0),
        (lambda x: 2 * x, 6.0, 2.0),
        (lambda x: x / 2, 1.5, 0.5),
        (lambda x: 6 / x, 2.0, -6 / 9),
        (lambda x: x**2, 9.0, 6.0),
        (lambda x: 2**x, 8.0, 8 * math.log(2)),
        (lambda x: x**x, 27.0, 27 * (math.log(3) + 1)),
        (lambda x: -x, -3.0, -1.0),
        (lambda x: +x, 3.0, 1.0),
        (lambda x: abs(-x), 3.0, 1.0),
    ],
)
def test_operators_with_numbers_on_either_side(expression, expected, dx) -> None:
    """Each operator and its reflected form computes the value and the derivative."""
    x = Value(3.0)
    out = expression(x)
    out.backward()
    assert out.data == pytest.approx(expected)
    assert x.grad == pytest.approx(dx)


@pytest.mark.parametrize(
    "name", ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos", "abs"]
)
def test_methods_and_functions_agree(name: str) -> None:
    """x.f() and autograd_lite.f(x) are the same rule; f(number) is a float."""
    method = getattr(Value(0.7), name)()
    function = getattr(ag, name)(Value(0.7))
    assert method.data == function.data == getattr(ag, name)(0.7)
    assert method.op == function.op == name


def test_unsupported_operand_gives_type_error() -> None:
    """Operators refuse what is not a number, through Python's own TypeError."""
    with pytest.raises(TypeError):
        Value(1.0) + "a"  # type: ignore[operator]
    with pytest.raises(TypeError):
        [1] * Value(2.0)  # type: ignore[operator]


def test_a_number_operand_is_not_a_node() -> None:
    """`2 - x` records one parent, x; the constant 2 stays an operand, in its place."""
    x = Value(5.0)
    out = 2 - x
    assert out.op == "-"
    assert out.parents == (x,)
    assert operands(out) == (2.0, x)
    assert edges(out) == [(x, -1.0)]
    assert operands(x * 3) == (x, 3.0)
    assert edges(x * 3) == [(x, 3.0)]


# ---------------------------------------------------------------- backward semantics


def test_chain_rule_through_shared_subexpressions() -> None:
    """A node used twice receives the sum of both paths (x*x gives 2x)."""
    x = Value(-1.5)
    y = x * x + x.exp() * x
    y.backward()
    assert x.grad == pytest.approx(2 * -1.5 + math.exp(-1.5) * (1 - 1.5))


def test_leaves_accumulate_and_interior_nodes_hold_the_latest_pass() -> None:
    """backward() twice doubles a leaf's grad; an interior node keeps the last pass only."""
    x = Value(2.0)
    h = x * 3.0
    y = h * h
    y.backward()
    assert (x.grad, h.grad, y.grad) == (36.0, 12.0, 1.0)
    y.backward()
    assert (x.grad, h.grad, y.grad) == (72.0, 12.0, 1.0)


def test_backward_seed_scales_every_gradient() -> None:
    """backward(grad=g) multiplies every gradient by g."""
    x = Value(2.0)
    y = x * x
    y.backward(0.5)
    assert x.grad == 2.0


def test_backward_from_a_leaf_accumulates_the_seed() -> None:
    """A leaf's backward adds the seed to its own grad."""
    x = Value(2.0)
    x.backward()
    x.backward(2.0)
    assert x.grad == 3.0


def test_backward_rejects_a_non_number_seed() -> None:
    """The seed must be a real number."""
    with pytest.raises(TypeError, match="str"):
        Value(1.0).backward("1")  # type: ignore[arg-type]


def test_a_chain_of_a_million_nodes() -> None:
    """Backward is iterative: a 1,000,000-node chain works and gives the exact product."""
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0


def test_a_sum_of_a_million_terms() -> None:
    """The n-ary sum takes a million terms as one node."""
    xs = [Value(1.0) for _ in range(1_000_000)]
    total = ag.sum(xs)
    total.backward()
    assert total.data == 1_000_000.0
    assert xs[0].grad == xs[-1].grad == 1.0


def test_topological_order_puts_parents_first() -> None:
    """topological_order lists each node after all of its parents, once."""
    x = Value(1.0)
    a = x * 2.0
    b = a + x
    c = b * a
    order = ag.topological_order(c)
    assert order[-1] is c
    position = {node: i for i, node in enumerate(order)}
    assert len(position) == len(order)
    for node in order:
        for parent in node.parents:
            assert position[parent] < position[node]


# ---------------------------------------------------------------- no_grad


def test_no_grad_records_no_parents() -> None:
    """Inside no_grad, results are leaves; outside, recording resumes."""
    x = Value(2.0)
    with no_grad():
        y = x * 3.0
    assert (y.data, y.parents, y.op) == (6.0, (), "")
    assert (x * 3.0).parents[0] is x


def test_no_grad_is_per_thread() -> None:
    """A thread inside no_grad does not switch recording off for another thread."""
    inside = threading.Event()
    release = threading.Event()
    seen: list[int] = []

    def worker() -> None:
        with no_grad():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    seen.append(len((Value(1.0) * Value(2.0)).parents))
    release.set()
    thread.join()
    assert seen == [2]


def test_no_grad_is_per_asyncio_task() -> None:
    """A task inside no_grad does not switch recording off for a concurrent task."""

    async def quiet(ready: asyncio.Event, done: asyncio.Event) -> None:
        with no_grad():
            ready.set()
            await done.wait()

    async def main() -> int:
        ready, done = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(quiet(ready, done))
        await ready.wait()
        parents = len((Value(1.0) * Value(2.0)).parents)
        done.set()
        await task
        return parents

    assert asyncio.run(main()) == 2


# ---------------------------------------------------------------- memory


def test_a_dropped_graph_is_freed_by_reference_counting_alone() -> None:
    """No reference cycles: with the cyclic GC off, dropping the root frees every node."""
    gc.collect()
    gc.disable()
    try:
        before = _live_values()
        x = Value(0.5)
        y = x
        for _ in range(1000):
            y = (y * 1.001).tanh() + ag.sum([y, 1.0]) * 0.5
        y.backward()
        assert _live_values() > before + 1000
        del x, y
        assert _live_values() == before
    finally:
        gc.enable()


@pytest.mark.parametrize("label", [3, None, b"x"])
def test_label_must_be_a_string(label) -> None:
    """A label that is not a str is refused with its type (graphs and explain print labels)."""
    with pytest.raises(TypeError, match=type(label).__name__):
        Value(1.0, label=label)


def test_reading_a_graph_changes_nothing_while_another_runs_backward() -> None:
    """Threads drawing one graph see the same text throughout another graph's backward passes."""
    x = Value(0.5, "x")
    shown = (x * 3.0 - 1.0).tanh() / (2.0 + x)
    expected = ag.draw_graph(shown).source
    other = Value(1.0)
    busy = other
    for _ in range(20_000):
        busy = busy * 1.0001 + 0.001
    seen: list[str] = []

    def draw() -> None:
        seen.extend(ag.draw_graph(shown).source for _ in range(20))

    readers = [threading.Thread(target=draw) for _ in range(4)]
    for reader in readers:
        reader.start()
    for _ in range(5):
        busy.backward()
    for reader in readers:
        reader.join()
    assert seen == [expected] * 80
    assert other.grad == pytest.approx(5 * 1.0001**20_000)


def test_sum_takes_a_generator_as_the_builtin_does() -> None:
    """Every term of a generator counts, the first one included."""
    xs = [Value(1.0), Value(2.0), Value(4.0)]
    total = ag.sum(x * x for x in xs)
    assert total.data == 21.0
    assert ag.sum(float(i) for i in range(4)) == 6.0


@pytest.mark.parametrize("make", [lambda: Value(1.0) * 10**400, lambda: 10**400 - Value(1.0)])
def test_a_huge_integer_operand_is_named_with_its_operation(make) -> None:
    """An int beyond the float range: OverflowError naming the operator and the number."""
    with pytest.raises(OverflowError, match=r"^[*-]: the integer 100000\.\.\.0000 \(401 digits\)"):
        make()


def test_dots_is_one_dot_node_per_row_over_shared_inputs() -> None:
    """A layer's weighted sums: each node equals ag.dot of its row, numbers made leaves once."""
    xs = [Value(0.5), 2.0, Value(-1.0)]
    rows = [[Value(1.0), Value(2.0), 3.0], [Value(-1.0), 0.5, Value(4.0)]]
    sums = dots(rows, xs)
    for row, total in zip(rows, sums):
        alone = ag.dot(row, xs)
        assert (total.op, total.data) == ("dot", alone.data)
        assert [local for _, local in edges(total)] == [local for _, local in edges(alone)]
    assert sums[0].parents[3:] == sums[1].parents[3:]  # the same input Values, leaves included
    with pytest.raises(ValueError, match="dot needs sequences of equal length, got 2 and 3"):
        dots([[Value(1.0), 2.0]], xs)
    with no_grad():
        assert dots(rows, xs)[0].parents == ()


def test_dot_of_numbers_alone_is_a_float() -> None:
    """No Value among the operands: the plain number, numpy scalars included."""
    np = pytest.importorskip("numpy")
    assert ag.dot([np.float64(2.0), 3], [0.5, np.float32(2.0)]) == 7.0
    assert type(ag.dot([1.0], [2.0])) is float


# ---------------------------------------------------------------- flat branches stop adjoints

# f(x) = sqrt(g(x)) where g is flat at x (g' = 0 by a flat branch) and g(x) = 0, so sqrt'
# is infinite there: the derivative is 0 (the function is constant near x), as PyTorch says.
FLAT_THEN_INFINITE = {
    "relu": (lambda x: ag.sqrt(ag.relu(x)), -1.0),
    "maximum": (lambda x: ag.sqrt(ag.maximum(x, 0.0)), -1.0),
    "minimum": (lambda x: ag.sqrt(ag.minimum(-x, 0.0)), -1.0),
    "clamp": (lambda x: ag.sqrt(ag.clamp(x, 0.0, 1.0)), -1.0),
    "where": (lambda x: ag.sqrt(ag.where(0.0, x, 0.0)), 3.0),
    "floor": (lambda x: ag.sqrt(ag.floor(x)), 0.5),
    "ceil": (lambda x: ag.sqrt(ag.ceil(x)), -0.5),
    "sign": (lambda x: ag.sqrt(ag.sign(x - x)), 0.5),
    "stop_gradient": (lambda x: ag.sqrt(ag.stop_gradient(x * 0.0)), 2.0),
}


@pytest.mark.parametrize("name", sorted(FLAT_THEN_INFINITE))
def test_a_flat_branch_stops_an_infinite_adjoint_in_backward(name) -> None:
    """backward(): the flat branch's 0 times the infinite adjoint above it gives 0, not nan."""
    f, at = FLAT_THEN_INFINITE[name]
    x = Value(at)
    out = f(x)
    out.backward()
    assert out.data == 0.0
    assert x.grad == 0.0


@pytest.mark.parametrize("name", sorted(FLAT_THEN_INFINITE))
def test_a_flat_branch_stops_an_infinite_adjoint_in_every_pass(name) -> None:
    """The float pass (`grad`), the Value pass (`grad` of `grad`, `gradients(create_graph)`)
    and the third order all give 0 there."""
    f, at = FLAT_THEN_INFINITE[name]
    assert ag.grad(f)(at) == 0.0
    assert ag.grad(ag.grad(f))(at) == 0.0
    assert ag.grad(ag.grad(ag.grad(f)))(at) == 0.0
    x = Value(at)
    (first,) = ag.gradients(f(x), [x], create_graph=True)
    assert first.data == 0.0


def test_the_issue_example_is_zero_as_in_pytorch() -> None:
    """grad(sqrt(relu(x)))(-1.0) is 0.0; on the other side of the kink the slope is as usual."""
    f = lambda x: ag.sqrt(ag.relu(x))  # noqa: E731
    assert ag.grad(f)(-1.0) == 0.0
    assert ag.grad(f)(4.0) == 0.25


def test_a_flat_branch_stops_a_nan_adjoint_too() -> None:
    """PyTorch's relu backward selects: a nan adjoint above a flat relu gives 0 below it."""
    x = Value(-1.0)
    out = ag.relu(x) * math.nan
    out.backward()
    assert x.grad == 0.0


def test_a_zero_that_is_not_a_flat_branch_still_multiplies() -> None:
    """x * 0 is not flat by a branch: 0 * inf stays nan there, as in PyTorch (mul's backward
    multiplies), and abs'(0) = 0 is a kink's choice, not a flat branch."""
    x = Value(0.0)
    out = ag.sqrt(x * 0.0)
    out.backward()
    assert math.isnan(x.grad)
    y = Value(0.0)
    ag.sqrt(ag.abs(y)).backward()
    assert math.isnan(y.grad)


def test_a_flat_branch_still_lets_nan_through_its_other_factor() -> None:
    """The flat zero stops the adjoint; a nan local derivative below it still meets that 0
    and gives nan: where(1, 0, nan * x) is the table's 0 whose slope does not exist."""
    f = lambda x: ag.where(1.0, 0.0, math.nan * x)  # noqa: E731
    assert math.isnan(ag.grad(f)(1.0))
    assert math.isnan(ag.grad(ag.grad(lambda x: x * f(x)))(1.0))


# ---------------------------------------------------------------- stop_gradient and detach


def test_detach_keeps_the_value_and_the_label_and_stops_the_gradient() -> None:
    """x.detach() is x's number and label, recorded as a stop_gradient node: d/dx = 0."""
    x = Value(3.0, label="x")
    held = x.detach()
    assert (held.data, held.label, held.op, held.parents) == (3.0, "x", "stop_gradient", (x,))
    (x * held).backward()
    assert x.grad == 3.0  # only through the first factor


def test_stop_gradient_is_zero_at_every_order() -> None:
    """stop_gradient(x**3) has derivative 0 at orders 1 to 3; numbers pass through as floats."""
    f = lambda x: x * ag.stop_gradient(x**3)  # noqa: E731
    assert ag.grad(f)(2.0) == 8.0
    assert ag.grad(ag.grad(f))(2.0) == 0.0
    assert ag.grad(ag.grad(ag.grad(f)))(2.0) == 0.0
    assert ag.stop_gradient(2) == 2.0
    assert type(ag.stop_gradient(2)) is float


def test_stop_gradient_is_drawn_and_explained_as_its_op() -> None:
    """The picture shows a stop_gradient node; explain gives d/dx through it as 0."""
    x = Value(2.0, label="x")
    y = ag.stop_gradient(x) * x
    y.label = "y"
    assert "stop_gradient" in ag.draw_graph(y).source
    lines = ag.explain(y, x).splitlines()
    assert "dy/dx * dx/dx = 2.00000000 * 0.00000000 = 0.00000000" in lines[2]  # the held x
    assert lines[-1] == "dy/dx = 2.00000000 + 0.00000000 = 2.00000000"


@pytest.mark.parametrize("rule", sorted(rules.FLAT_BRANCHES, key=lambda rule: rule.name))
def test_every_zero_of_a_flat_branch_rule_is_flat(rule) -> None:
    """The rules that compiled batches treat as flat return FLAT for every zero local
    derivative, on a grid of points, ties and nan included."""
    grid = [-2.0, -0.5, 0.0, 0.5, 2.0, math.nan]
    n = rule.arity
    points = [(x,) * n for x in grid] + [(x, *([y] * (n - 1))) for x in grid for y in grid]
    zeros = 0
    for point in points:
        out = rule.forward(*point)
        for local in rule.local_derivatives(point, out):
            if local == 0:
                zeros += 1
                assert local is FLAT, (rule, point)
    assert zeros > 0
