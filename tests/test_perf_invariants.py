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


def _chain(steps: int) -> tuple[Value, Value]:
    """x and y = x*1.0001 + 0.001 repeated `steps` times."""
    x = Value(1.0)
    y = x
    for _ in range(steps):
        y = y * 1.0001 + 0.001
    return x, y


def _live_values() -> int:
    return sum(1 for obj in gc.get_objects() if type(obj) is Value)


def test_a_chain_costs_at_most_200_bytes_per_value() -> None:
    """tracemalloc: a long op-by-op chain, constants included, stays under 200 bytes a Value."""
    gc.collect()
    tracemalloc.start()
    try:
        _, y = _chain(20_000)
        used, _ = tracemalloc.get_traced_memory()
        y.backward()
        after_backward, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    values = len(ag.topological_order(y))
    assert values == 4 * 20_000 + 1
    assert used / values <= 200
    assert after_backward / values <= 200


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
        for _ in range(500_000):
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


def test_constant_partials_are_shared() -> None:
    """Nodes whose local derivatives are constants share one tuple instead of a tuple each."""
    x = Value(1.0)
    assert (x + 1.0).partials is (x + 2.0).partials
    assert (x - 1.0).partials is (1.0 - x).partials


_BINARY = {"+": "__add__", "-": "__sub__", "*": "__mul__", "/": "__truediv__", "**": "__pow__"}
_UNARY = ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos", "abs"]


@pytest.mark.parametrize(("name", "method"), _BINARY.items())
@pytest.mark.parametrize(("a", "b"), [(1.5, 0.5), (0.7, -2.0), (3.0, 2.0)])
def test_operator_fast_path_is_the_table_entry(name, method, a, b) -> None:
    """An operator's node holds exactly the rule's forward and partials, and the rule itself."""
    rule = rules.RULES[name]
    for left, right in [(Value(a), Value(b)), (Value(a), b)]:
        node = getattr(left, method)(right)
        assert node._rule is rule
        assert node.op == name
        assert node.data == rule.forward(a, b)
        assert node.partials == rule.partials(a, b, node.data)
    reflected = getattr(Value(b), method.replace("__", "__r", 1))(a)
    assert reflected.data == rule.forward(a, b)
    assert reflected.partials == rule.partials(a, b, reflected.data)


@pytest.mark.parametrize("name", _UNARY)
def test_method_fast_path_is_the_table_entry(name) -> None:
    """A method's node, and the function's, hold exactly the rule's forward and partials."""
    rule = rules.RULES[name]
    for node in (getattr(Value(0.6), name)(), getattr(ag, name)(Value(0.6))):
        assert node._rule is rule
        assert node.data == rule.forward(0.6)
        assert node.partials == rule.partials(0.6, node.data)


def test_negation_is_the_table_entry() -> None:
    """-x is the neg rule with partial -1."""
    node = -Value(2.0)
    assert (node.data, node.op, node.partials) == (-2.0, "neg", (-1.0,))


def test_constants_stay_parents_of_fast_path_nodes() -> None:
    """Numbers become leaf parents (explain, draw_graph and higher order read every input)."""
    x = Value(3.0)
    node = 2.0**x
    assert node.parents[1] is x
    assert (node.parents[0].data, node.parents[0].parents, node.parents[0].op) == (2.0, (), "")
    assert ag.grad(lambda v: 2.0**v)(3.0) == pytest.approx(8 * math.log(2))
