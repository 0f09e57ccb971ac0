"""The chain rule written out: d(output)/d(wrt) as a sum over paths of products, with numbers.

A path runs through labelled Values only. The unlabelled Values between two labelled ones are
folded into one factor: the derivative of the later labelled Value toward the earlier one
through unlabelled nodes alone (the product of their local derivatives, summed if they branch).
Totals and path counts come from dynamic programming over those labelled nodes, so a graph
with exponentially many paths costs no more than its size; only the largest few paths are
spelled out, found best first.
"""

from __future__ import annotations

import heapq
import itertools
from typing import TypeAlias

from autograd_lite.value import Value, edges, topological_order

# For each labelled node: the labelled nodes just downstream of it, each with its factor.
Factors: TypeAlias = dict[Value, dict[Value, float]]
# One factor of a path: d(top)/d(bottom) = factor, top being downstream of bottom.
Step: TypeAlias = tuple[Value, Value, float]


def explain(output: Value, wrt: Value, max_paths: int = 8) -> str:
    """The chain-rule derivation of d(output)/d(wrt) as text; needs no prior `backward()`.

    Each path from `wrt` to `output` is a product of local derivatives between labelled
    Values, with 8-decimal numbers, followed by the sum. When there are more than
    `max_paths` paths, the largest (by magnitude) are shown and the rest summed up.
    Unlabelled `output` and `wrt` are called f and v.
    """
    for name, value in (("output", output), ("wrt", wrt)):
        if not isinstance(value, Value):
            raise TypeError(f"explain needs Values, got {type(value).__name__} for {name}")
    if max_paths < 1:
        raise ValueError(f"max_paths must be at least 1, got {max_paths!r}")
    names = {output: output.label or "f", wrt: wrt.label or "v"}
    head = f"d{names[output]}/d{names[wrt]}"
    if output is wrt:
        return f"{head} = 1: a value's derivative with respect to itself"
    order = topological_order(output)
    between = _between(order, wrt)
    if output not in between:
        return f"{head} = 0: {names[output]} does not depend on {names[wrt]} (not in its graph)"
    factors = _factors(order, between, output, wrt)
    for node in factors:
        names.setdefault(node, node.label)
    keys = [output, *factors]  # labelled nodes, each after everything downstream of it
    total, count = _totals(keys, factors)
    paths = _largest_paths(keys, factors, wrt, output, min(count, max_paths))
    return _text(head, names, paths, total, count)


def _between(order: list[Value], wrt: Value) -> set[Value]:
    """The nodes of `order` (parents first) that depend on `wrt`, `wrt` included."""
    between = {wrt}
    for node in order:
        for parent in node.parents:
            if parent in between:
                between.add(node)
                break
    return between


def _factors(order: list[Value], between: set[Value], output: Value, wrt: Value) -> Factors:
    """For each labelled node on a path (and `wrt`), its factors toward the next labelled nodes.

    One reverse pass: `reach[n]` maps each nearest labelled node k downstream of n to
    dk/dn through unlabelled nodes only. Returned in reverse topological order.
    """
    reach: dict[Value, dict[Value, float]] = {output: {output: 1.0}}
    factors: Factors = {}
    for node in reversed(order):
        if node not in between:
            continue
        downstream = reach.pop(node)
        if node is not output and (node.label or node is wrt):
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
