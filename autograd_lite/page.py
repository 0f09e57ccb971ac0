"""The interactive page: one self-contained HTML file in which backpropagation can be watched.

The picture is the SVG that Graphviz laid out; the numbers are computed here, in Python, from
the local derivatives the graph already holds, so the page never re-derives any math: it only
shows, step by step, what the graph's record (its reverse pass) and the forward values say.
The script and the style (`page.js`, `page.css`, shipped with the package) are written into the
file, as are the data, so the page needs no network and opens from disk. Reading the graph
changes nothing in it.

The page keeps a small public contract for tests and tools, unchanged across versions: every
drawn Value is an element with `data-value`, `data-data` and `data-grad`; the elements of the
Value a step reads carry `data-role="acting"`, those whose numbers it changes
`data-role="updated"`; and `window.autogradLite` offers `nodes`, `steps`, `step(k)`,
`mode(name, wrt)`, `current()`, `select(name)`, and `#mode=NAME&step=K` opens a step.
The data the script reads are named fields (objects, never positional arrays), read once.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Any, NamedTuple

from autograd_lite.explaining import derivations
from autograd_lite.networks import Neuron
from autograd_lite.record import Record, Update
from autograd_lite.value import Value

_SYMBOLS = frozenset({"+", "-", "*", "/", "**"})
_EXPLAIN_PATHS = 4  # paths spelled out when a Value is clicked; the rest are summed
_NODE = re.compile(r'<g id="[^"]*" class="node">\s*<title>(v\d+)(_op)?</title>')
_UNIT = re.compile(r'<g id="[^"]*" class="node">\s*<title>(v\d+)</title>')
# An edge may start at a copy of a much-used Value drawn beside one of its uses (`v0_in_v5_op`,
# see graph.py): it is that Value's edge.
_EDGE = re.compile(r'<g id="[^"]*" class="edge">\s*<title>(\w+?)(?:_in_\w+)?&#45;&gt;(\w+)</title>')


class Descent(NamedTuple):
    """The update mode's learning rate and parameters (in the order the page steps them)."""

    lr: float
    params: list[Value]


class Options(NamedTuple):
    """What a page shows beyond the graph's record and drawings."""

    shown: Mapping[Value, str]  # each Value's name in the text and the drawings
    show_grad: bool = True  # False: no grad anywhere (a worksheet)
    cut: bool = False  # max_nodes left Values out of the drawings
    update: Descent | None = None  # the update mode's settings
    opening: str | None = None  # "LR" or "TB": the layout to open in (None: the page picks)
    network: tuple[Neuron, ...] = ()  # the neurons of the neuron view
    network_svg: str = ""
    practice: bool = False  # open in the practice mode (practice.js), which asks each number


def assemble(graph: Record, drawn: list[Value], layouts: dict[str, str], options: Options) -> str:
    """The page of `graph`: `drawn` are the Values in the SVGs, `v0`, `v1`, ... in order.

    `layouts` holds the same drawing laid out left to right ("LR") and top to bottom ("TB").
    Every page has the practice mode (`practice.js`, which asks the numbers of each step).
    Everything comes from the graph's record: its reverse pass (no `.grad` is touched) and the
    derivations, so no node is read again however many Values are drawn.
    """
    root, (grads, passes) = graph.root, graph.reverse_pass
    shown, show_grad = options.shown, options.show_grad
    names = {node: f"v{i}" for i, node in enumerate(drawn)}
    derivation = derivations(graph, _EXPLAIN_PATHS)
    renamed = _renaming(graph, shown)
    leaves = [node for node in drawn if graph.rule(node) is None]
    inputs = [node for node in leaves if node.label] or leaves
    nodes = [
        _node(graph, node, names, shown, renamed(derivation(node)) if show_grad else "")
        for node in drawn
    ]
    for node_data in nodes if not show_grad else []:
        node_data["grad"] = None
    data = {
        "root": names[root],
        "show_grad": show_grad,
        "cut": options.cut,
        "inputs": [names[node] for node in inputs],
        "nodes": nodes,
        "backward": _backward_steps(passes, names) if show_grad else [],
        "forward": [names[node] for node in drawn if graph.rule(node) is not None],
        "update": _update(options.update, names, grads) if options.update and show_grad else None,
        "network": _network(graph, options.network, names) if options.network else None,
        "practice": options.practice,
    }
    script = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    title = html.escape(f"{shown[root]} = {root.data:.6g}: the graph, step by step")
    drawings = [
        f'<template data-layout="{layout}">{_mark_up(svg, drawn, names, grads, show_grad)}'
        "</template>"
        for layout, svg in layouts.items()
    ]
    if options.network:
        drawings.append(
            '<template data-layout="neurons">'
            f"{_mark_up_network(options.network_svg, options.network, names)}</template>"
        )
    return _TEMPLATE.format(
        title=title,
        style=_asset("page.css") + _asset("practice.css"),
        script=_asset("page.js"),
        practice=_asset("practice.js"),
        data=script,
        drawings="\n".join(drawings),
        opening=options.opening or "",
    )


def _renaming(graph: Record, shown: Mapping[Value, str]) -> Callable[[str], str]:
    """A function writing the record's names in a text as the page shows them (`L0.n1.w0`)."""
    changed = {
        name: shown[node]
        for node, name in graph.names.items()
        if node.label and shown.get(node, name) != name
    }
    if not changed:
        return lambda text: text
    pattern = re.compile(
        r"(?<![\w.])("
        + "|".join(map(re.escape, sorted(changed, key=len, reverse=True)))
        + r")(?![\w.])"
    )
    return lambda text: pattern.sub(lambda match: changed[match[1]], text)


def _network(graph: Record, network: tuple[Neuron, ...], names: dict[Value, str]) -> dict[str, Any]:
    """The neuron view's structure, by the drawn Values' names (their numbers are the nodes')."""
    return {
        "neurons": [
            {
                "module": neuron.module,
                "net": names[neuron.net],
                "out": names[neuron.out],
                "bias": names[neuron.bias] if neuron.bias is not None else None,
                "weights": [names[w] for w in neuron.weights],
                "inputs": [names[x] for x in neuron.inputs],
            }
            for neuron in network
        ],
        "root": names[graph.root],
    }


def _update(update: Descent, names: dict[Value, str], grads: dict[Value, float]) -> dict[str, Any]:
    """Each parameter's step of gradient descent, w <- w - lr * grad, with its numbers."""
    return {
        "lr": _num(update.lr),
        "params": [
            {
                "name": names[w],
                "before": _num(w.data),
                "grad": _num(grads[w]),
                "after": _num(w.data - update.lr * grads[w]),
            }
            for w in update.params
        ],
    }


def frame(page: str, height: int = 640) -> str:
    """`page` in an iframe of its own, as Jupyter shows it: its script and style stay inside."""
    return (
        f'<iframe srcdoc="{html.escape(page, quote=True)}" '
        f'style="width: 100%; height: {height}px; border: 1px solid #ddd"></iframe>'
    )


def _node(
    graph: Record,
    node: Value,
    names: dict[Value, str],
    shown: Mapping[Value, str],
    derivation: str,
) -> dict[str, Any]:
    """What the page knows of one drawn Value, the contract's fields first."""
    i = graph.position[node]
    parents, locals_ = graph.parents[i], graph.locals[i]
    inputs: list[dict[str, Any]] = [
        {"name": names.get(parent), "shown": shown[parent], "local": _num(local), **rule}
        for parent, local, rule in zip(
            parents, locals_, local_rules(graph, node, shown), strict=True
        )
    ]
    return {
        "name": names[node],
        "label": node.label,
        "op": graph.op(node),
        "data": _num(node.data),
        "grad": _num(graph.reverse_pass.adjoints[node]),
        "parents": [names[parent] for parent in parents if parent in names],
        "shown": shown[node],
        "inputs": inputs,
        "formula": _formula(graph, node, shown) if graph.rules[i] is not None else "",
        "explain": derivation,
    }


def local_rules(graph: Record, node: Value, shown: Mapping[Value, str]) -> list[dict[str, str]]:
    """Per parent of `node`, its local derivative's rule from the table, over the names and
    with the numbers: `{"rule": "2*sub₂", "at": "2*0.217072"}`."""
    rule = graph.rule(node)
    if rule is None:
        return []
    operands = graph.operands[graph.position[node]]
    names = [shown[x] if isinstance(x, Value) else x for x in operands]
    numbers = [_number(x.data) if isinstance(x, Value) else x for x in operands]
    return [
        {
            "rule": rule.formula(k, shown[node], names),
            "at": rule.formula(k, _number(node.data), numbers),
        }
        for k, x in enumerate(operands)
        if isinstance(x, Value)
    ]


def _number(x: float) -> str:
    """`x` as a rule's text writes a number in place of a name: 6 digits, negative in brackets."""
    return f"({x:.6g})" if x < 0 else f"{x:.6g}"


def _formula(graph: Record, node: Value, shown: Mapping[Value, str]) -> str:
    """`mul₁ = x * y = 1.5 * -2 = -3`: what the forward pass computes at `node`."""
    op = graph.op(node)
    inputs = graph.operands[graph.position[node]]
    symbols = [shown[x] if isinstance(x, Value) else f"{x:.6g}" for x in inputs]
    numbers = [f"{x.data if isinstance(x, Value) else x:.6g}" for x in inputs]

    def call(args: list[str]) -> str:
        if op in _SYMBOLS and len(args) == 2:
            return f"{args[0]} {op} {args[1]}"
        return f"{op}({', '.join(args)})"

    return f"{shown[node]} = {call(symbols)} = {call(numbers)} = {node.data:.6g}"


def _backward_steps(passes: list[list[Update]], names: dict[Value, str]) -> list[dict[str, Any]]:
    """One step per drawn node with inputs, in the order the reverse pass runs.

    The passes of Values cut from the picture fold into the step before them, so that the
    last step still leaves every drawn grad as `backward()` would.
    """
    steps: list[dict[str, Any]] = []
    for updates in passes:
        if not updates:
            continue
        node = updates[0].node
        if node in names:
            grad = _num(updates[0].adjoint)
            steps.append({"node": names[node], "grad": grad, "updates": [], "hidden": 0})
        elif steps:
            steps[-1]["hidden"] += 1
        for update in updates:
            if update.parent in names:
                steps[-1]["updates"].append(
                    {
                        "from": names.get(update.node),
                        "parent": names[update.parent],
                        "local": _num(update.local),
                        "adjoint": _num(update.adjoint),
                        "product": _num(update.adjoint * update.local),
                        "total": _num(update.total),
                    }
                )
    return steps


def _mark_up(
    svg: str,
    drawn: list[Value],
    names: dict[Value, str],
    grads: dict[Value, float],
    show_grad: bool = True,
) -> str:
    """Graphviz's SVG without its prologue, each Value's group carrying the contract's data."""
    by_name = {names[node]: node for node in drawn}
    start = svg.index("<svg")
    svg = re.sub(r"<!--.*?-->\n?", "", svg[start:], flags=re.DOTALL)

    def node(match: re.Match[str]) -> str:
        name, op = match[1], match[2]
        if op:
            return match[0].replace('class="node"', f'class="node op" data-op="{name}"', 1)
        value = by_name[name]
        attributes = f'data-value="{name}" data-data="{_js(value.data)}"'
        if show_grad:
            attributes += f' data-grad="{_js(grads[value])}"'
        return match[0].replace('class="node"', f'class="node value" {attributes}', 1)

    def edge(match: re.Match[str]) -> str:
        tail, head = match[1], match[2]
        return match[0].replace(
            'class="edge"', f'class="edge" data-from="{tail}" data-to="{head}"', 1
        )

    return _EDGE.sub(edge, _NODE.sub(node, svg))


def _mark_up_network(svg: str, network: tuple[Neuron, ...], names: dict[Value, str]) -> str:
    """The neuron view's SVG: each neuron's group carries `data-neuron` (its module), `data-data`
    (its activation) and `data-unit` (the Value it shows); inputs and the loss `data-unit`."""
    by_out = {names[neuron.out]: neuron for neuron in network}
    start = svg.index("<svg")
    svg = re.sub(r"<!--.*?-->\n?", "", svg[start:], flags=re.DOTALL)

    def node(match: re.Match[str]) -> str:
        name = match[1]
        neuron = by_out.get(name)
        attributes = f'data-unit="{name}"'
        if neuron is not None:
            attributes += f' data-neuron="{neuron.module}" data-data="{_js(neuron.out.data)}"'
        return match[0].replace('class="node"', f'class="node unit" {attributes}', 1)

    def edge(match: re.Match[str]) -> str:
        return match[0].replace(
            'class="edge"', f'class="edge" data-from="{match[1]}" data-to="{match[2]}"', 1
        )

    return _EDGE.sub(edge, _UNIT.sub(node, svg))


def _js(x: float) -> str:
    """`x` as a JavaScript number string (`NaN`, `Infinity` included)."""
    return json.dumps(x)


def _num(x: float) -> float | str:
    """`x` for JSON, which has no NaN or infinities: those go as strings that JS's Number reads."""
    return x if math.isfinite(x) else _js(x)


def _asset(name: str) -> str:
    """The text of a file shipped next to this module."""
    return resources.files("autograd_lite").joinpath(name).read_text(encoding="utf-8")


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{style}
</style>
</head>
<body data-opening="{opening}">
<header>
  <div class="modes" role="radiogroup" aria-label="what to step through">
    <label title="the forward pass: values in topological order"><input type="radio"
      name="mode" value="forward"> forward</label>
    <label title="the backward pass: grads in reverse topological order"><input type="radio"
      name="mode" value="backward" checked> backward</label>
    <label title="forward mode: d(Value)/d(an input), in topological order"><input type="radio"
      name="mode" value="tangent"> tangent</label>
    <select id="wrt" aria-label="the input of forward mode" hidden></select>
    <label title="gradient descent: w &lt;- w - lr*grad"><input type="radio"
      name="mode" value="update"> update</label>
  </div>
  <div class="controls">
    <button id="prev" title="previous step (left arrow)">&#9664;</button>
    <button id="play" title="play from the start (space)">&#9654; Play</button>
    <button id="next" title="next step (right arrow)">&#9654;</button>
    <select id="speed" aria-label="speed of Play" title="speed of Play">
      <option value="slow">½×</option>
      <option value="normal" selected>1×</option>
      <option value="fast">2×</option>
      <option value="fastest">8×</option>
    </select>
    <input id="slider" type="range" min="0" value="0" aria-label="step">
    <span id="counter"></span>
  </div>
  <div class="view">
    <button id="zoom-out" title="zoom out">&minus;</button>
    <button id="zoom-fit" title="show the whole graph">fit</button>
    <button id="zoom-in" title="zoom in">+</button>
    <button id="turn" title="lay the graph out the other way"></button>
    <button id="neurons" hidden
      title="the network, neuron by neuron (click a neuron for its Values)">neurons</button>
    <button id="present" aria-pressed="false"
      title="large type, the text under the graph (for a projector)">present</button>
  </div>
</header>
<main>
  <div id="graph"></div>
  <aside>
    <section><h2>Step</h2><pre id="step-text"></pre></section>
    <section><h2>Selected</h2><pre id="explain-text">Click a Value to see every path from it to
the output and the chain rule with numbers. Hover for its local derivatives.</pre></section>
  </aside>
</main>
{drawings}
<div id="tooltip" hidden></div>
<script type="application/json" id="autograd-lite-data">{data}</script>
<script>
{script}
</script>
<script>
{practice}
</script>
</body>
</html>
"""
