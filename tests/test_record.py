"""The record of a finished graph: one walk, each node decoded once, and every reader on it."""

from __future__ import annotations

import collections
import random
from typing import Any

import pytest

import autograd_lite as ag
import nn
from autograd_lite import Value, graph, record
from autograd_lite.record import Update, downstream, read
from autograd_lite.value import interior_order, topological_order

SLOTS = ("_rule", "_a", "_b", "_da", "_db")


def mlp_loss() -> Value:
    """An MLP(2, [4, 4, 1]) loss on 4 samples: 131 Values, weights shared by every sample."""
    model = nn.MLP(2, [4, 4, 1], seed=0)
    xs = [[0.5, -1.0], [1.0, 0.25], [-0.5, 0.75], [0.0, 1.5]]
    return nn.mse_loss([model(x) for x in xs], [1.0, -1.0, 0.5, 0.0])


def random_graph(seed: int) -> tuple[Value, list[Value]]:
    """A random graph over four inputs with every node layout: constants on either side,
    one input, a parent used twice, sum and dot (parents and locals as sequences)."""
    rng = random.Random(seed)
    xs = [Value(rng.uniform(-1, 1), f"x{k}") for k in range(4)]
    pool = list(xs)
    for _ in range(rng.randint(1, 30)):
        a, b = rng.choice(pool), rng.choice(pool)
        kind = rng.randrange(7)
        if kind == 0:
            made = a * b
        elif kind == 1:
            made = a + 2.0
        elif kind == 2:
            made = 3.0 - a
        elif kind == 3:
            made = a * a
        elif kind == 4:
            made = ag.sum(rng.sample(pool, min(3, len(pool))))
        elif kind == 5:
            made = ag.dot([a, b], [b, 0.5])
        else:
            made = a.tanh()
        pool.append(made)
    return pool[-1], xs


class _Counted:
    """A slot of Value that counts its reads per node (writes pass through uncounted)."""

    def __init__(self, slot: Any, reads: collections.Counter[Value]) -> None:
        self.slot, self.reads = slot, reads

    def __get__(self, node: Value | None, owner: type | None = None) -> Any:
        if node is None:
            return self
        self.reads[node] += 1
        return self.slot.__get__(node, owner)

    def __set__(self, node: Value, value: Any) -> None:
        self.slot.__set__(node, value)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> collections.Counter[Value]:
    """Per node, how often its structure (rule and the four slots) is read from now on."""
    counter: collections.Counter[Value] = collections.Counter()
    for name in SLOTS:
        monkeypatch.setattr(Value, name, _Counted(Value.__dict__[name], counter))
    return counter


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[Value]:
    """The roots `record.read` is called with from now on: one per walk of a graph."""
    roots: list[Value] = []
    real = record.read

    def counting(root: Value) -> record.Record:
        roots.append(root)
        return real(root)

    monkeypatch.setattr(record, "read", counting)
    return roots


@pytest.fixture
def no_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The renderer replaced by an empty SVG: the page is made without Graphviz."""
    monkeypatch.setattr(graph, "render", lambda source, image_format: b"<svg></svg>")
    monkeypatch.setattr(graph, "render_svgs", lambda sources: ["<svg></svg>"] * len(sources))


def test_one_page_is_one_walk_and_each_node_is_decoded_once(
    reads: collections.Counter[Value], walks: list[Value], no_layout: None
) -> None:
    """The page of an MLP loss (131 Values, a derivation per Value): one walk, and each node's
    structure read once: a leaf's rule, an operation's rule and four slots."""
    root = mlp_loss()
    reads.clear()
    order = topological_order(root)
    leaves = sum(node.rule is None for node in order)
    reads.clear()
    page = graph.html_page(root)
    assert walks == [root]
    assert len(order) == 131
    assert "autograd-lite-data" in page
    assert sum(reads.values()) == leaves + 5 * (len(order) - leaves)
    assert max(reads.values()) == 5


def test_explain_with_steps_is_one_walk(
    reads: collections.Counter[Value], walks: list[Value]
) -> None:
    """explain with the backward pass written out walks the graph once and decodes it once."""
    root = mlp_loss()
    x = next(node for node in topological_order(root) if node.label.endswith("w.0"))
    reads.clear()
    text = ag.explain(root, x, steps=True)
    assert "backward pass, edge by edge" in text
    assert walks == [root]
    assert max(reads.values()) == 5


def test_a_picture_and_the_float_pass_are_one_walk_each(
    reads: collections.Counter[Value], walks: list[Value]
) -> None:
    """draw_graph and gradients() read the graph once each, through the record."""
    root = mlp_loss()
    reads.clear()
    ag.draw_graph(root)
    ag.gradients(root, [root])
    ag.gradients(root, [root], create_graph=True)
    assert walks == [root, root, root]
    assert max(reads.values()) == 3 * 5


@pytest.mark.parametrize("seed", range(40))
def test_order_and_decoding_match_the_nodes(seed: int) -> None:
    """The record's order is topological_order's; its edges and operands are the node's own."""
    root, _ = random_graph(seed)
    found = read(root)
    assert found.order == topological_order(root)
    assert found.root is found.order[-1] is root
    for i, node in enumerate(found.order):
        assert found.position[node] == i
        assert found.rules[i] is node.rule
        assert found.parents[i] == node.parents
        assert list(found.edges(node)) == ag.value.edges(node)
        assert found.operands[i] == ag.value.operands(node)


def test_each_layout_is_decoded() -> None:
    """Constants on either side, one input, a parent twice, and sequences of parents."""
    x, y = Value(2.0, "x"), Value(3.0, "y")
    nodes = [x * 3.0, 3.0 - x, x.tanh(), x * x, ag.sum([x, y, 1.0]), ag.dot([x, y], [y, 0.5])]
    decoded = [read(node) for node in nodes]
    assert [r.operands[-1] for r in decoded[:4]] == [(x, 3.0), (3.0, x), (x,), (x, x)]
    assert [r.locals[-1] for r in decoded[:4]] == [
        (3.0,),
        (-1.0,),
        (pytest.approx(1 - ag.tanh(2.0) ** 2),),
        (2.0, 2.0),
    ]
    assert decoded[4].locals[-1] == (1.0, 1.0, 1.0)
    assert decoded[4].operands[-1][:2] == (x, y)
    assert decoded[5].parents[-1][:2] == (x, y)
    assert decoded[5].locals[-1] == (3.0, 0.5, 2.0, 3.0)
    leaf = read(x)
    assert (leaf.order, leaf.rules, leaf.parents, leaf.operands) == ([x], [None], [()], [()])


@pytest.mark.parametrize("seed", range(40))
def test_the_reverse_pass_is_backwards_to_the_last_bit(seed: int) -> None:
    """The record's pass adds the shares in backward()'s order: equal floats, not close ones."""
    root, xs = random_graph(seed)
    found = read(root)
    root.backward()
    adjoints = found.reverse_pass.adjoints
    assert [adjoints.get(x, 0.0) for x in xs] == [x.grad for x in xs]
    again, inputs = random_graph(seed)
    again.backward(2.5)
    assert [read(again).adjoints(2.5).get(x, 0.0) for x in inputs] == [x.grad for x in inputs]
    assert [node for node in found.order if node.rule is not None] == interior_order(root)


def test_the_reverse_pass_lists_every_update() -> None:
    """x * y + x: the root passes on first, and x's total reaches y + 1."""
    x, y = Value(2.0, "x"), Value(3.0, "y")
    product = x * y
    root = product + x
    adjoints, updates = read(root).reverse_pass
    assert updates == [
        [Update(root, product, 1.0, 1.0, 1.0), Update(root, x, 1.0, 1.0, 1.0)],
        [Update(product, x, 3.0, 1.0, 4.0), Update(product, y, 2.0, 1.0, 2.0)],
    ]
    assert (adjoints[x], adjoints[y]) == (4.0, 2.0)
    assert x.grad == y.grad == 0.0


def test_names_are_explains() -> None:
    """Labels win; the others by op and place (`mul₁`, `c₁`); the unlabelled root is f."""
    x = Value(2.0, "x")
    constant = ag.value.constant(1.0)
    root = ag.sum([x * 3.0, x * x, constant])
    names = read(root).names
    assert [names[node] for node in read(root).order] == ["x", "mul₁", "mul₂", "c₁", "f"]


def test_depending_on_follows_every_path_down() -> None:
    """The nodes that depend on x: x itself and everything between it and the root."""
    x, y, z = Value(1.0, "x"), Value(2.0, "y"), Value(3.0, "z")
    xy = x * y
    yz = y * z
    root = xy + yz
    found = read(root)
    assert found.depending_on([x]) == {x, xy, root}
    assert found.depending_on([y]) == {y, xy, yz, root}
    assert found.depending_on([Value(5.0)]) == set()
    assert found.depending_on([xy, z]) == {xy, z, yz, root}


def test_downstream_serves_any_graph_in_order() -> None:
    """Over plain names with inputs: what depends on `a`, numbers among the inputs ignored."""
    inputs = {"b": ["a", 1.0], "c": [2.0], "d": ["c", "b"], "e": ["c"]}
    assert downstream(inputs, inputs.__getitem__, ["a"]) == {"a", "b", "d"}


def test_nearest_and_order_within_are_the_drawings() -> None:
    """The nearest Values breadth first; their order is topological_order's over them."""
    root, _ = random_graph(7)
    found = read(root)
    for count in (1, 3, len(found) // 2, len(found)):
        kept, hidden = found.nearest(count)
        assert len(kept) == min(count, len(found))
        assert hidden == len(found) - len(kept)
        assert found.order_within(kept) == topological_order(root, kept)


def test_reading_changes_nothing() -> None:
    """Reading the record and its passes leaves every grad, label and slot as it was."""
    root, xs = random_graph(3)
    before = [(n.grad, n.label, n.parents) for n in topological_order(root)]
    found = read(root)
    _ = found.names, found.reverse_pass, found.adjoints(), found.depending_on(xs)
    assert [(n.grad, n.label, n.parents) for n in topological_order(root)] == before


def test_a_deep_graph_is_read_without_recursion() -> None:
    """200,000 nodes in a chain: an iterative walk."""
    v = Value(1.0)
    for _ in range(200_000):
        v = v * 1.0
    assert len(read(v)) == 200_001
