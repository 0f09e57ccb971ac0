"""What the fast paths must keep: memory per node, freeing by refcount, one source of formulas.

No timings here (those live in `make bench`): only properties that hold on any machine.
"""

from __future__ import annotations

import gc
import math
import tracemalloc

import pytest

import autograd_lite as ag
from autograd_lite import Value, rules
from autograd_lite.value import edges, operands


def _chain(steps: int) -> tuple[Value, Value]:
    """x and y = x*1.0001 + 0.001 repeated `steps` times."""
    x = Value(1.0)
    y = x
    for _ in range(steps):
        y = y * 1.0001 + 0.001
    return x, y


def _live_values() -> int:
    return sum(1 for obj in gc.get_objects() if type(obj) is Value)


def test_a_chain_step_costs_at_most_256_bytes() -> None:
    """tracemalloc: a step `y * 1.0001 + 0.001` is two nodes and no constant leaves.

    Each node is one GC-tracked object of 8 slots and its result float; backward adds a float
    per node for its gradient.
    """
    steps = 20_000
    gc.collect()
    tracemalloc.start()
    try:
        _, y = _chain(steps)
        used, _ = tracemalloc.get_traced_memory()
        y.backward()
        after_backward, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(ag.topological_order(y)) == 2 * steps + 1
    assert used / steps <= 256
    assert after_backward / steps <= 256 + 2 * 24


def test_backward_does_not_double_peak_memory() -> None:
    """The reverse pass's bookkeeping (order, seen set, stack) stays under the graph's own size."""
    gc.collect()
    tracemalloc.start()
    try:
        x, y = _chain(20_000)
        graph, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        y.backward()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - graph < graph  # 26% here, 53% at sizes where the seen set is resizing
    assert x.grad == pytest.approx(1.0001**20_000)


def test_a_million_node_graph_is_freed_by_reference_counting() -> None:
    """With the cyclic GC off, dropping a 1,000,000-node graph after backward frees every Value."""
    gc.collect()
    gc.disable()
    try:
        before = _live_values()
        x = Value(1.0)
        y = x
        for _ in range(1_000_000):
            y = y * 1.0
        assert len(ag.topological_order(y)) == 1_000_001
        y.backward()
        del x, y
        assert _live_values() == before
    finally:
        gc.enable()


def test_compiling_keeps_no_graph_alive() -> None:
    """The generated function holds floats and functions, not the Values of its trace."""
    gc.collect()
    before = _live_values()
    h = ag.compile(lambda x, y: ag.tanh(x * y) + ag.sum([x, y, 1.0]))
    h(0.5, 2.0)
    gc.collect()
    assert _live_values() == before


_BINARY = {"+": "__add__", "-": "__sub__", "*": "__mul__", "/": "__truediv__", "**": "__pow__"}
_UNARY = ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos", "abs"]


@pytest.mark.parametrize(("name", "method"), _BINARY.items())
@pytest.mark.parametrize(("a", "b"), [(1.5, 0.5), (0.7, -2.0), (3.0, 2.0)])
def test_operator_fast_path_is_the_table_entry(name, method, a, b) -> None:
    """An operator's node holds exactly the rule's forward and partials toward its Values."""
    rule = rules.RULES[name]
    d0, d1 = (partial(a, b, rule.forward(a, b)) for partial in rule.partials)
    x, y = Value(a), Value(b)
    both = getattr(x, method)(y)
    assert (both.rule, both.op, both.data) == (rule, name, rule.forward(a, b))
    assert edges(both) == [(x, d0), (y, d1)]
    right = getattr(x, method)(b)
    assert (right.data, edges(right), operands(right)) == (both.data, [(x, d0)], (x, b))
    left = getattr(y, method.replace("__", "__r", 1))(a)
    assert (left.data, edges(left), operands(left)) == (both.data, [(y, d1)], (a, y))


@pytest.mark.parametrize("name", _UNARY)
def test_method_fast_path_is_the_table_entry(name) -> None:
    """A method's node, and the function's, hold exactly the rule's forward and partial."""
    rule = rules.RULES[name]
    x = Value(0.6)
    for node in (getattr(x, name)(), getattr(ag, name)(x)):
        assert node.rule is rule
        assert node.data == rule.forward(0.6)
        assert edges(node) == [(x, rule.partials[0](0.6, node.data))]


def test_negation_is_the_table_entry() -> None:
    """-x is the neg rule with local derivative -1."""
    x = Value(2.0)
    node = -x
    assert (node.data, node.op, edges(node)) == (-2.0, "neg", [(x, -1.0)])


def test_no_derivative_is_computed_toward_a_number() -> None:
    """`x ** 2` never takes the log of x for its constant exponent; `2 ** x` still works."""
    x = Value(-3.0)
    assert edges(x**2) == [(x, -6.0)]  # log(-3) would raise
    assert ag.grad(lambda v: 2.0**v)(3.0) == pytest.approx(8 * math.log(2))
    assert ag.grad(ag.grad(lambda v: v**3))(-2.0) == pytest.approx(-12.0)


def test_dropped_graph_leaves_no_tracked_objects_but_its_nodes() -> None:
    """A chain step adds exactly its two nodes to the GC-tracked objects: no tuples, no leaves."""
    gc.collect()
    x = Value(1.0)
    before = len(gc.get_objects())
    y = x
    for _ in range(1_000):
        y = y * 1.0001 + 0.001
    assert len(gc.get_objects()) - before == 2 * 1_000
