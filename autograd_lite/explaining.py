"""The chain rule written out: d(output)/d(wrt) as a sum over paths of products, with numbers.

A path runs through labelled Values only. The unlabelled Values between two labelled ones are
folded into one factor: the derivative of the later labelled Value toward the earlier one
through unlabelled nodes alone (the product of their local derivatives, summed if they branch).
When no Value between `wrt` and the output is labelled, folding would leave one bare number, so
every Value on the way gets a name from its op and place instead (`mul₁`, `tanh₂`) and the chain
rule is spelled out through all of them. Totals and path counts come from dynamic programming
over the named nodes, so a graph with exponentially many paths costs no more than its size;
only the largest few paths are spelled out, found best first. Everything is read from the
graph's record (`record.read`), so explaining many Values of one graph decodes it once, and
the cost of one derivation grows linearly with the part of the graph it covers.

With `steps`, the backward pass follows, edge by edge with its numbers: the record's own
reverse pass, which the interactive page steps through too.
"""

from __future__ import annotations

import heapq
import itertools
from collections import ChainMap
from collections.abc import Callable, Mapping
from typing import TypeAlias

from autograd_lite import record
from autograd_lite.record import Record
from autograd_lite.value import Value

# For each named node: the named nodes just downstream of it, each with its factor.
Factors: TypeAlias = dict[Value, dict[Value, float]]
# One factor of a path: d(top)/d(bottom) = factor, top being downstream of bottom.
Step: TypeAlias = tuple[Value, Value, float]
# A path in the making, from its newest step back to its first: (step, rest) or None.
Trail: TypeAlias = "tuple[Step, Trail] | None"


# The longest chain spelled out node by node when nothing on it is labelled; past it, the
# derivative is one folded factor, as a line of thousands of factors helps nobody.
_SPELLED_OUT = 16


def explain(output: Value, wrt: Value, max_paths: int = 8, *, steps: bool = False) -> str:
    """The chain-rule derivation of d(output)/d(wrt) as text; needs no prior `backward()`.

    Each path from `wrt` to `output` is a product of local derivatives between labelled
    Values (or, when none lies between them, between every Value on the way, named by op),
    with 8-decimal numbers, followed by the sum. When there are more than `max_paths` paths,
    the largest (by magnitude) are shown and the rest summed up. Unlabelled `output` and `wrt`
    are called f and v. With `steps`, the backward pass follows edge by edge:
    `grad(parent) += grad(node) * local`, with numbers, over the Values between the two, each
    line ending with the local derivative's formula from the rules table, `(dp/dx = 2*x)`.
    TypeError when either is not a Value, ValueError when `max_paths` is below 1.
    """
    for name, value in (("output", output), ("wrt", wrt)):
        if not isinstance(value, Value):
            raise TypeError(f"explain needs Values, got {type(value).__name__} for {name}")
    _check(max_paths)
    return derivations(record.read(output), max_paths, steps=steps)(wrt)


def derivations(
    graph: Record, max_paths: int = 8, *, steps: bool = False
) -> Callable[[Value], str]:
    """`explain(graph.root, wrt, ...)` as a function of `wrt`, for explaining many Values at once.

    Each call reads only the part of the record from `wrt` on, which for Values near the
    output is a small part; no node is read again.
    """
    _check(max_paths)
    output, order, position = graph.root, graph.order, graph.position
    shown = graph.names

    def derivation(wrt: Value) -> str:
        inside = wrt in position
        leaf = (graph.rule(wrt) if inside else wrt.rule) is None
        names: Mapping[Value, str] = ChainMap({wrt: wrt.label or "v"}, shown) if leaf else shown
        head = f"d{names[output]}/d{names[wrt]}"
        if output is wrt:
            return f"{head} = 1: a value's derivative with respect to itself"
        if not inside:
            return f"{head} = 0: {names[output]} does not depend on {names[wrt]} (not in its graph)"
        tail = range(position[wrt], len(order))
        between = graph.depending_on([wrt])  # `output` among them: it depends on all of `order`
        inner = [order[i] for i in tail if order[i] in between and order[i] is not output]
        labelled = any(node.label for node in inner if node is not wrt)
        longest = _longest(graph, tail, between)
        folded = not labelled and longest > _SPELLED_OUT
        # nothing labelled on the way and a chain short enough: spell out every node
        spelled = not (labelled or folded)
        named = set(inner) if spelled else {node for node in inner if node.label} | {wrt}
        factors = _factors(graph, tail, between, wrt, named)
        keys = [output, *factors]  # named nodes, each after everything downstream of it
        total, count = _totals(keys, factors)
        paths = _largest_paths(keys, factors, wrt, output, min(count, max_paths))
        text = _text(head, names, paths, total, count)
        if folded:
            text += (
                f"\n(the chain from {names[wrt]} has {longest} steps, more than the "
                f"{_SPELLED_OUT} spelled out: label Values on the way to see it in parts)"
            )
        if steps:
            text += "\n" + _steps(graph, between, names)
        return text

    return derivation


def _check(max_paths: int) -> None:
    """ValueError unless at least one path is to be shown."""
    if max_paths < 1:
        raise ValueError(f"max_paths must be at least 1, got {max_paths!r}")


def _longest(graph: Record, tail: range, between: set[Value]) -> int:
    """The number of edges on the longest path through `between` (positions `tail` of `graph`)."""
    order, parents = graph.order, graph.parents
    depth: dict[Value, int] = {}
    for i in tail:
        node = order[i]
        if node in between:
            depth[node] = max((depth[p] + 1 for p in parents[i] if p in depth), default=0)
    return max(depth.values())


def _factors(
    graph: Record, tail: range, between: set[Value], wrt: Value, named: set[Value]
) -> Factors:
    """For each named node on a path (`wrt` among them), its factors toward the next named nodes.

    One reverse pass: `reach[n]` maps each nearest named node k downstream of n to dk/dn
    through unnamed nodes only. Returned in reverse topological order, `wrt` last.
    """
    order, parents, locals_ = graph.order, graph.parents, graph.locals
    reach: dict[Value, dict[Value, float]] = {graph.root: {graph.root: 1.0}}
    factors: Factors = {}
    for i in reversed(tail):
        node = order[i]
        if node not in between:
            continue
        downstream = reach.pop(node)
        if node in named:
            factors[node] = downstream
            downstream = {node: 1.0}
        if node is wrt:
            break
        for parent, local in zip(parents[i], locals_[i]):
            if parent in between:
                into = reach.setdefault(parent, {})
                for key, factor in downstream.items():
                    into[key] = into.get(key, 0.0) + factor * local
    return factors


def _totals(keys: list[Value], factors: Factors) -> tuple[float, int]:
    """d(output)/d(wrt) and the number of paths, by dynamic programming from the output."""
    total: dict[Value, float] = {keys[0]: 1.0}
    count: dict[Value, int] = {keys[0]: 1}
    for node in keys[1:]:
        total[node] = sum(total[key] * factor for key, factor in factors[node].items())
        count[node] = sum(count[key] for key in factors[node])
    return total[keys[-1]], count[keys[-1]]


def _largest_paths(
    keys: list[Value], factors: Factors, wrt: Value, output: Value, wanted: int
) -> list[list[Step]]:
    """The `wanted` paths from `wrt` to `output` whose products are largest in magnitude.

    Best-first search whose bound, the largest |product| from a node on to the output, is
    exact, so complete paths come off the heap in order; ties go depth first (LIFO).
    """
    bound: dict[Value, float] = {output: 1.0}
    for node in keys[1:]:
        bound[node] = max(bound[key] * abs(factor) for key, factor in factors[node].items())
    tiebreak = itertools.count(0, -1)
    heap: list[tuple[float, int, Value, float, Trail]] = [
        (-bound[wrt], next(tiebreak), wrt, 1.0, None)
    ]
    found: list[list[Step]] = []
    while heap and len(found) < wanted:
        _, _, node, product, trail = heapq.heappop(heap)
        if node is output:
            found.append(_unroll(trail))
            continue
        for key, factor in factors[node].items():
            reached = product * factor
            heapq.heappush(
                heap,
                (
                    -abs(reached) * bound[key],
                    next(tiebreak),
                    key,
                    reached,
                    ((key, node, factor), trail),
                ),
            )
    return found


def _unroll(trail: Trail) -> list[Step]:
    """The steps of a trail, newest (nearest the output) first."""
    steps = []
    while trail is not None:
        step, trail = trail
        steps.append(step)
    return steps


def _text(
    head: str, names: Mapping[Value, str], paths: list[list[Step]], total: float, count: int
) -> str:
    """The derivation: one line for a single path, else a line per shown path and the sum."""
    lines = []
    products = []
    for steps in paths:
        product = 1.0
        for _, _, factor in steps:
            product *= factor
        products.append(product)
        symbols = " * ".join(f"d{names[top]}/d{names[bottom]}" for top, bottom, _ in steps)
        numbers = " * ".join(_number(factor) for _, _, factor in steps)
        lines.append(
            f"{symbols} = {numbers}" + (f" = {_number(product)}" if len(steps) > 1 else "")
        )
    if count == 1:
        return f"{head} = {lines[0]}" if len(paths[0]) > 1 else f"{head} = {_number(total)}"
    shown = "all shown" if len(paths) == count else f"the {len(paths)} largest shown"
    text = [f"{head} sums {count} paths ({shown}):"]
    text += [f"  path {i}: {line}" for i, line in enumerate(lines, 1)]
    if len(paths) < count:
        rest = total - sum(products)
        text.append(f"  ... and {count - len(paths)} more paths contributing {_number(rest)}")
        products.append(rest)
    text.append(f"{head} = {_sum(products)} = {_number(total)}")
    return "\n".join(text)


def _formulas(graph: Record, node: Value, names: Mapping[Value, str]) -> list[str]:
    """The local derivative toward each parent of `node` as its rule's formula, in the names
    of the text (`2*x`, `s*(1 - s)`); constant operands appear as their numbers."""
    i = graph.position[node]
    rule, operands = graph.rules[i], graph.operands[i]
    assert rule is not None  # only nodes with parents pass adjoints on
    shown = [names[x] if isinstance(x, Value) else x for x in operands]
    inputs = [k for k, x in enumerate(operands) if isinstance(x, Value)]  # the parents, in order
    return [rule.formula(k, names[node], shown) for k in inputs]


def _steps(graph: Record, between: set[Value], names: Mapping[Value, str]) -> str:
    """The reverse pass over the nodes of `between`, one line per edge with its numbers.

    The record's pass, read where both ends are in `between`: the consumers of a node that
    depends on `wrt` all do too, so every adjoint and running total is the pass's own.
    """
    lines = [f"backward pass, edge by edge, from grad({names[graph.root]}) = 1:"]
    reached: set[Value] = set()
    for updates in graph.reverse_pass.updates:
        if not updates or updates[0].node not in between:
            continue
        formulas = _formulas(graph, updates[0].node, names)
        for (node, parent, local, adjoint, total), formula in zip(updates, formulas):
            if parent not in between:
                continue
            n, p = names[node], names[parent]
            line = (
                f"  grad({p}) += grad({n}) * d{n}/d{p} = {_number(adjoint)} * {_number(local)}"
                f" = {_number(adjoint * local)}"
            )
            if parent in reached:
                line += f", so grad({p}) = {_number(total)}"
            reached.add(parent)
            lines.append(f"{line}   (d{n}/d{p} = {formula})")
    return "\n".join(lines)


def _sum(terms: list[float]) -> str:
    """`a + b - c` for the terms [a, b, -c]."""
    text = _number(terms[0])
    for term in terms[1:]:
        text += f" - {_number(-term)}" if term < 0 else f" + {_number(term)}"
    return text


def _number(x: float) -> str:
    """`x` with 8 decimals, or in scientific notation when that would hide or bloat it."""
    if x == 0 or 1e-4 <= abs(x) < 1e9:
        return f"{x:.8f}"
    return f"{x:.8e}"
