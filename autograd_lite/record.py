"""One record of a finished graph: what every reader of a graph reads instead of its nodes.

`read(root)` walks the graph behind `root` once, iteratively, and decodes each node's slots
once (the four-slot layout of `value.py` is unpacked here and nowhere else above it): its
rule, its parent Values with the local derivative toward each, and its operands (parents and
constant numbers, in the order the rule took them). From that record the readers take what
they need without touching a node again: the topological order and each node's position, the
display names (`mul₁`, `tanh₂`), the float reverse pass with its updates, and which nodes
depend on given inputs. `explain`, the interactive page, the pictures and the functional
passes all read it; `Value.backward()` keeps its own loop, the hot path of training.

The walk lists a node after all of its parents, parents in operand order: the order of
`topological_order`, and in reverse the order in which `backward()` visits the nodes with
inputs, so the record's reverse pass adds every share in the same order as `backward()`,
to the last bit. Reading a graph changes nothing in it.
"""

from __future__ import annotations

import functools
import gc
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any, NamedTuple, TypeVar

from autograd_lite.rule import Rule
from autograd_lite.value import Value

Node = TypeVar("Node")

# Names of the operators' nodes when they have no label: `mul₁`, `add₂`.
_OP_WORDS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


class Update(NamedTuple):
    """One edge of the reverse pass: grad(parent) += grad(node) * local, giving `total`."""

    node: Value
    parent: Value
    local: float  # d node / d parent
    adjoint: float  # grad(node), complete when the node passes it on
    total: float  # grad(parent) after this update


class ReversePass(NamedTuple):
    """The float reverse pass seeded with 1 at the root, kept apart from every `.grad`."""

    adjoints: dict[Value, float]  # d(root)/d(node) for every node of the graph
    updates: list[list[Update]]  # per node with inputs, in the order they run (root first)


class Record:
    """The decoded graph behind `root`, each list indexed by a node's position in `order`.

    `parents[i]` and `locals[i]` pair each parent Value of `order[i]` with the local
    derivative toward it (a parent used twice appears twice); `operands[i]` are the inputs its
    rule was applied to, parents and constant numbers; a leaf has `rules[i] = None` and empty
    tuples. Built by `read(root)`; the names and the reverse pass are computed on first use.
    """

    def __init__(
        self,
        root: Value,
        order: list[Value],
        rules: list[Rule | None],
        parents: list[tuple[Value, ...]],
        locals_: list[tuple[float, ...]],
        operands: list[tuple[Value | float, ...]],
    ) -> None:
        self.root = root
        self.order = order  # topological: every node after its parents, `root` last
        self.position = {node: i for i, node in enumerate(order)}
        self.rules = rules
        self.parents = parents
        self.locals = locals_
        self.operands = operands

    def __len__(self) -> int:
        return len(self.order)

    def __contains__(self, node: object) -> bool:
        return node in self.position

    def rule(self, node: Value) -> Rule | None:
        """The rule that made `node`, None for a leaf."""
        return self.rules[self.position[node]]

    def op(self, node: Value) -> str:
        """The name of `node`'s rule (`"*"`, `"tanh"`), `""` for a leaf."""
        rule = self.rules[self.position[node]]
        return "" if rule is None else rule.name

    def edges(self, node: Value) -> Iterator[tuple[Value, float]]:
        """`(parent, local derivative)` for each parent of `node`, in operand order."""
        i = self.position[node]
        return zip(self.parents[i], self.locals[i])

    @functools.cached_property
    def names(self) -> dict[Value, str]:
        """Each node's name in text: its label, else its op and place (`mul₁`, `tanh₂`; `c₁`
        for a constant leaf; `f` for an unlabelled root), never one a label already has."""
        order = self.order
        taken = {node.label for node in order if node.label}
        counts: dict[str, int] = {}
        names = {}
        for node, rule in zip(order, self.rules):
            if node.label:
                names[node] = node.label
                continue
            op = "" if rule is None else rule.name
            stem = _OP_WORDS.get(op, op if op.isidentifier() else "t") if op else "c"
            while True:
                counts[stem] = counts.get(stem, 0) + 1
                name = f"{stem}{str(counts[stem]).translate(_SUBSCRIPTS)}"
                if name not in taken:
                    break
            names[node] = name
        if not self.root.label:
            names[self.root] = "f"
        return names

    @functools.cached_property
    def reverse_pass(self) -> ReversePass:
        """The backward pass, edge by edge: `backward()`'s arithmetic in `backward()`'s order.

        Seeded with 1 at the root; the sums are kept in a dict of their own, no `.grad` changes.
        """
        order, parents, locals_ = self.order, self.parents, self.locals
        adjoints = dict.fromkeys(order, 0.0)
        adjoints[self.root] = 1.0
        passes = []
        for i in range(len(order) - 1, -1, -1):
            if self.rules[i] is None:
                continue
            node = order[i]
            adjoint = adjoints[node]
            updates = []
            for parent, local in zip(parents[i], locals_[i]):
                adjoints[parent] += adjoint * local
                updates.append(Update(node, parent, local, adjoint, adjoints[parent]))
            passes.append(updates)
        return ReversePass(adjoints, passes)

    def adjoints(self, seed: float = 1.0) -> dict[Value, float]:
        """d(root)/d(node) * `seed` for every node: the float pass alone, without its updates."""
        order, parents, locals_, rules = self.order, self.parents, self.locals, self.rules
        adjoints = dict.fromkeys(order, 0.0)
        adjoints[self.root] = seed
        for i in range(len(order) - 1, -1, -1):
            if rules[i] is not None:
                g = adjoints[order[i]]
                for parent, local in zip(parents[i], locals_[i]):
                    adjoints[parent] += g * local
        return adjoints

    def depending_on(self, inputs: Iterable[Value]) -> set[Value]:
        """The nodes of the graph that depend on any of `inputs`, those in the graph included."""
        position, parents = self.position, self.parents
        sources = [x for x in inputs if x in position]
        first = min(map(position.__getitem__, sources), default=len(self.order))
        return downstream(self.order[first:], lambda node: parents[position[node]], sources)

    def nearest(self, count: int) -> tuple[set[Value], int]:
        """The `count` nodes nearest the root (breadth first), and how many others there are."""
        position, parents = self.position, self.parents
        seen = {self.root}
        queue = deque([self.root])
        kept: set[Value] = set()
        while queue:
            node = queue.popleft()
            if len(kept) < count:
                kept.add(node)
            for parent in parents[position[node]]:
                if parent not in seen:
                    seen.add(parent)
                    queue.append(parent)
        return kept, len(seen) - len(kept)

    def order_within(self, within: Collection[Value]) -> list[Value]:
        """The topological order of the nodes of `within` reached from the root through them.

        The walk of `topological_order(root, within)`, over the record instead of the nodes.
        """
        position, parents = self.position, self.parents
        order: list[Value] = []
        seen = {self.root}
        stack: list[tuple[Value, Iterator[Value]]] = [(self.root, iter(parents[-1]))]
        while stack:
            node, pending = stack[-1]
            for parent in pending:
                if parent not in seen and parent in within:
                    seen.add(parent)
                    stack.append((parent, iter(parents[position[parent]])))
                    break
            else:
                stack.pop()
                order.append(node)
        return order


def read(root: Value) -> Record:
    """The record of the graph behind `root`: one iterative walk, each node decoded once.

    The order is `topological_order(root)`'s: depth first, parents in operand order. A node is
    decoded when it is first popped; its entry waits on the stack under a marker, with its
    parents above, and is listed when the marker comes back up, that is once they all are. The
    walk makes no object per node beyond the entry's tuples: a graph of a million nodes would
    otherwise keep the cyclic collector busy, and the collector is paused while the entries'
    tuples are made, since it would rescan all of them again and again and find no garbage.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return _walk(root)
    finally:
        if paused:
            gc.enable()


def _walk(root: Value) -> Record:
    """`read`'s walk, with the collector as its caller left it."""
    order: list[Value] = []
    rules: list[Rule | None] = []
    parents: list[tuple[Value, ...]] = []
    locals_: list[tuple[float, ...]] = []
    operands: list[tuple[Value | float, ...]] = []
    seen: set[Value] = set()
    stack: list[Any] = [root]
    pop, push, see = stack.pop, stack.append, seen.add
    while stack:
        node = pop()
        if node is _LISTED:
            operands.append(pop())
            locals_.append(pop())
            parents.append(pop())
            rules.append(pop())
            order.append(pop())
            continue
        if node in seen:
            continue
        see(node)
        rule = node._rule
        if rule is None:
            order.append(node)
            rules.append(None)
            parents.append(())
            locals_.append(())
            operands.append(())
            continue
        # value.py's layout: two pairs (_a, _da), (_b, _db), each a parent with the local
        # derivative toward it or None with the constant operand; or, for more inputs,
        # _a = _b = None and the parents and local derivatives as sequences in _da and _db.
        a, b, da, db = node._a, node._b, node._da, node._db
        if a is None:
            if b is None:
                ps = ops = tuple(da)
                ls = tuple(db)
            else:
                ps, ls, ops = (b,), (db,), (da, b)
        elif b is not None:
            ps = ops = (a, b)
            ls = (da, db)
        else:
            ps, ls = (a,), (da,)
            ops = ps if rule.arity == 1 else (a, db)
        push(node)
        push(rule)
        push(ps)
        push(ls)
        push(ops)
        push(_LISTED)
        for parent in reversed(ps):
            if parent not in seen:
                push(parent)
    return Record(root, order, rules, parents, locals_, operands)


_LISTED = object()  # on the walk's stack: the entry below is complete


def downstream(
    order: Iterable[Node], inputs_of: Callable[[Node], Iterable[object]], sources: Iterable[Node]
) -> set[Node]:
    """The nodes of `order` (parents first) with an input among `sources` or their dependents.

    For any graph given in topological order, such as a program's operations: `sources` are
    returned with their dependents. `Record.depending_on` is this for a recorded graph.
    """
    found = set(sources)
    for node in order:
        for x in inputs_of(node):
            if x in found:
                found.add(node)
                break
    return found
