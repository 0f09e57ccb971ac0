"""The chain rule written out: d(output)/d(wrt) as a sum over paths of products, with numbers.

A path runs through labelled Values only. The unlabelled Values between two labelled ones are
folded into one factor: the derivative of the later labelled Value toward the earlier one
through unlabelled nodes alone (the product of their local derivatives, summed if they branch).
When no Value between `wrt` and the output is labelled, folding would leave one bare number, so
every Value on the way gets a name from its op and place instead (`mul₁`, `tanh₂`) and the chain
rule is spelled out through all of them. Totals and path counts come from dynamic programming
over the named nodes, so a graph with exponentially many paths costs no more than its size;
only the largest few paths are spelled out, found best first.

`reverse_pass` is the backward pass itself, edge by edge with its numbers, computed into a dict
of its own: `explain(..., steps=True)` prints it, and the interactive page steps through it.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable
from typing import NamedTuple, TypeAlias

from autograd_lite.value import Value, edges, topological_order

# For each labelled node: the labelled nodes just downstream of it, each with its factor.
Factors: TypeAlias = dict[Value, dict[Value, float]]
# One factor of a path: d(top)/d(bottom) = factor, top being downstream of bottom.
Step: TypeAlias = tuple[Value, Value, float]


# The longest chain spelled out node by node when nothing on it is labelled; past it, the
# derivative is one folded factor, as a line of thousands of factors helps nobody.
_SPELLED_OUT = 16
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


def reverse_pass(order: list[Value]) -> tuple[dict[Value, float], list[list[Update]]]:
    """The backward pass over `order` (parents first, the root last), seeded with 1 at the root.

    Returns every node's adjoint and, for each node with inputs in the order they run (reverse
    topological), its updates. Parents outside `order` are left out. The sums are kept in a
    dict of their own: no `.grad` changes.
    """
    grads = dict.fromkeys(order, 0.0)
    grads[order[-1]] = 1.0
    passes = []
    for node in reversed(order):
        if node.rule is None:
            continue
        adjoint = grads[node]
        updates = []
        for parent, local in edges(node):
            if parent in grads:
                grads[parent] += adjoint * local
                updates.append(Update(node, parent, local, adjoint, grads[parent]))
        passes.append(updates)
    return grads, passes


def node_names(order: Iterable[Value]) -> dict[Value, str]:
    """A name for each Value of a topological order: its label, else its op and place (`mul₁`,
    `tanh₂`; `c₁` for a constant leaf; `f` for the root, last), never one a label has."""
    nodes = list(order)
    taken = {node.label for node in nodes if node.label}
    counts: dict[str, int] = {}
    names = {}
    for node in nodes:
        if node.label:
            names[node] = node.label
            continue
        op = node.op
        stem = _OP_WORDS.get(op, op if op.isidentifier() else "t") if op else "c"
        while True:
            counts[stem] = counts.get(stem, 0) + 1
            name = f"{stem}{str(counts[stem]).translate(_SUBSCRIPTS)}"
            if name not in taken:
                break
        names[node] = name
    if nodes and not nodes[-1].label:
        names[nodes[-1]] = "f"
    return names


def explain(output: Value, wrt: Value, max_paths: int = 8, *, steps: bool = False) -> str:
    """The chain-rule derivation of d(output)/d(wrt) as text; needs no prior `backward()`.

    Each path from `wrt` to `output` is a product of local derivatives between labelled
    Values (or, when none lies between them, between every Value on the way, named by op),
    with 8-decimal numbers, followed by the sum. When there are more than `max_paths` paths,
    the largest (by magnitude) are shown and the rest summed up. Unlabelled `output` and `wrt`
    are called f and v. With `steps`, the backward pass follows edge by edge:
    `grad(parent) += grad(node) * local`, with numbers, over the Values between the two.
    """
    for name, value in (("output", output), ("wrt", wrt)):
        if not isinstance(value, Value):
            raise TypeError(f"explain needs Values, got {type(value).__name__} for {name}")
    return explainer(output, max_paths, steps=steps)(wrt)


def explainer(output: Value, max_paths: int = 8, *, steps: bool = False) -> Callable[[Value], str]:
    """`explain(output, wrt, ...)` as a function of `wrt`, for explaining many Values at once.

    The graph is walked once, here; each call then reads only the part of the topological
    order from `wrt` on, which for Values near the output is a small part.
    """
    if max_paths < 1:
        raise ValueError(f"max_paths must be at least 1, got {max_paths!r}")
    order = topological_order(output)
    position = {node: i for i, node in enumerate(order)}
    shown = node_names(order)
    shown[output] = output.label or "f"

    def derivation(wrt: Value) -> str:
        names = shown | {wrt: wrt.label or "v"} if wrt.rule is None else shown
        head = f"d{names[output]}/d{names[wrt]}"
        if output is wrt:
            return f"{head} = 1: a value's derivative with respect to itself"
        if wrt not in position:
            return f"{head} = 0: {names[output]} does not depend on {names[wrt]} (not in its graph)"
        tail = order[position[wrt] :]
        between = _between(tail, wrt)  # `output` among them: it depends on all of `order`
        inner = [node for node in tail if node in between and node is not output]
        labelled = any(node.label for node in inner if node is not wrt)
        longest = _longest(tail, between)
        folded = not labelled and longest > _SPELLED_OUT
        # nothing labelled on the way and a chain short enough: spell out every node
        spelled = not (labelled or folded)
        named = set(inner) if spelled else {node for node in inner if node.label} | {wrt}
        factors = _factors(tail, between, output, wrt, named)
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
            text += "\n" + _steps([*inner, output], names)
        return text

    return derivation


def _longest(order: list[Value], between: set[Value]) -> int:
    """The number of edges on the longest path through `between` (in `order`, parents first)."""
    depth: dict[Value, int] = {}
    for node in order:
        if node in between:
            depth[node] = max((depth[p] + 1 for p in node.parents if p in depth), default=0)
    return max(depth.values())


def _between(order: list[Value], wrt: Value) -> set[Value]:
    """The nodes of `order` (parents first) that depend on `wrt`, `wrt` included."""
    between = {wrt}
    for node in order:
        for parent in node.parents:
            if parent in between:
                between.add(node)
                break
    return between


def _factors(
    order: list[Value], between: set[Value], output: Value, wrt: Value, named: set[Value]
) -> Factors:
    """For each named node on a path (`wrt` among them), its factors toward the next named nodes.

    One reverse pass: `reach[n]` maps each nearest named node k downstream of n to dk/dn
    through unnamed nodes only. Returned in reverse topological order, `wrt` last.
    """
    reach: dict[Value, dict[Value, float]] = {output: {output: 1.0}}
    factors: Factors = {}
    for node in reversed(order):
        if node not in between:
            continue
        downstream = reach.pop(node)
        if node in named:
            factors[node] = downstream
            downstream = {node: 1.0}
        if node is wrt:
            break
        for parent, local in edges(node):
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
    heap: list[tuple[float, int, Value, float, tuple[Step, ...]]] = [
        (-bound[wrt], next(tiebreak), wrt, 1.0, ())
    ]
    found: list[list[Step]] = []
    while heap and len(found) < wanted:
        _, _, node, product, steps = heapq.heappop(heap)
        if node is output:
            found.append(list(reversed(steps)))
            continue
        for key, factor in factors[node].items():
            reached = product * factor
            step = (key, node, factor)
            heapq.heappush(
                heap, (-abs(reached) * bound[key], next(tiebreak), key, reached, (*steps, step))
            )
    return found


def _text(
    head: str, names: dict[Value, str], paths: list[list[Step]], total: float, count: int
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


def _steps(order: list[Value], names: dict[Value, str]) -> str:
    """The reverse pass over `order`, one line per edge with its numbers."""
    _, passes = reverse_pass(order)
    lines = [f"backward pass, edge by edge, from grad({names[order[-1]]}) = 1:"]
    reached: set[Value] = set()
    for updates in passes:
        for node, parent, local, adjoint, total in updates:
            n, p = names[node], names[parent]
            line = (
                f"  grad({p}) += grad({n}) * d{n}/d{p} = {_number(adjoint)} * {_number(local)}"
                f" = {_number(adjoint * local)}"
            )
            if parent in reached:
                line += f", so grad({p}) = {_number(total)}"
            reached.add(parent)
            lines.append(line)
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
