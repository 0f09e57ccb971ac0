"""The network in a graph: its neurons, read from a finished graph's record, and display names.

A neuron is what a model built on this engine makes of a weighted sum: one `dot` node whose
weights are labelled leaves of one module (`layers.0.neurons.1.w.0`, `layers.0.neurons.1.b`:
a dotted name up to its last named part), maybe followed by an activation (one input, no
other use). A weight paired with the constant 1 is the neuron's bias. Only the names'
structure is read (a path of parts, numbered ones ordering the modules), never a spelling of
one library, so any model that labels its parameters by dotted paths is read the same way.

The pictures and the page show the same names: a label, shortened where that is unambiguous
(`L0.n1.w0` for `layers.0.neurons.1.w.0`); for a neuron's weighted sum and output `L0.n1.net`
and `L0.n1.out` (the tutorials' net and out); the network's inputs `x0`, `x1`; and for the rest
the record's names (`mul₁`), but `loss` for the unlabelled root of a network, unless the caller
names a Value itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from autograd_lite.record import Record
from autograd_lite.value import Value

# Activations drawn inside their neuron (any one-input rule would do; these are the usual).
_ACTIVATIONS = frozenset({"tanh", "relu", "sigmoid", "leaky_relu", "elu", "gelu", "silu"})


class Neuron(NamedTuple):
    """One neuron of a network drawn in a graph, its Values in the graph's record."""

    module: str  # the dotted path of its parameters, `layers.0.neurons.1`
    weights: list[Value]  # in input order
    inputs: list[Value]  # what each weight multiplies (a leaf, or an earlier neuron's out)
    bias: Value | None
    one: Value | None  # the constant 1 the bias multiplies, drawn as nothing
    net: Value  # the weighted sum (its grad is the neuron's error term δ)
    out: Value  # the activation of `net`, or `net` for a linear neuron


def neurons(graph: Record) -> list[Neuron]:
    """The neurons of `graph` in the order of their modules (layer by layer, neuron by neuron).

    Empty unless every weighted sum of labelled weights belongs to one module used once: a
    model evaluated on one sample, not a batch.
    """
    found: list[Neuron] = []
    children: dict[Value, list[Value]] = {}
    for node, parents in zip(graph.order, graph.parents):
        for parent in parents:
            children.setdefault(parent, []).append(node)
    for node, rule, parents in zip(graph.order, graph.rules, graph.parents):
        if rule is None or rule.name != "dot" or len(parents) % 2:
            continue
        half = len(parents) // 2
        weights, inputs = list(parents[:half]), list(parents[half:])
        modules = {_module(w.label) for w in weights if graph.rule(w) is None}
        if len(modules) != 1 or "" in modules or any(not w.label for w in weights):
            continue
        bias = one = None
        last = inputs[-1]
        if graph.rule(last) is None and not last.label and last.data == 1.0 and half > 1:
            bias, one = weights.pop(), inputs.pop()
        after = children.get(node, [])
        out = node
        if len(after) == 1 and graph.op(after[0]) in _ACTIVATIONS:
            out = after[0]
        found.append(Neuron(modules.pop(), weights, inputs, bias, one, node, out))
    if len({n.module for n in found}) < len(found):
        return []  # a module used twice: a batch, not one sample
    return sorted(found, key=lambda n: numbers(n.module))


def layers(network: list[Neuron]) -> list[list[Neuron]]:
    """The neurons grouped by the module around them (`layers.0`), in order."""
    grouped: dict[str, list[Neuron]] = {}
    for neuron in network:
        grouped.setdefault(neuron.module.rsplit(".", 2)[0], []).append(neuron)
    return list(grouped.values())


def display_names(
    graph: Record, network: list[Neuron], given: Mapping[Value, str] | None = None
) -> dict[Value, str]:
    """Each Value's name in the pictures and on the page (see the module's docstring)."""
    names = dict(graph.names)
    short = {node: _shorten(node.label) for node in graph.order if "." in node.label}
    others = {name for node, name in names.items() if node not in short}
    shortened = len(set(short.values())) == len(short) and not set(short.values()) & others
    if shortened:
        names |= short
    for neuron in network:
        stem = _shorten(neuron.module, whole=False) if shortened else neuron.module
        for node, part in ((neuron.net, "net"), (neuron.out, "out")):
            if not node.label and node is not graph.root:
                names[node] = f"{stem}.{part}"
    inputs = [x for x in _first_inputs(graph, network) if not x.label]
    for k, x in enumerate(inputs):
        names[x] = f"x{k}"
    root = graph.root
    parameters = {p for n in network for p in (*n.weights, n.bias)}
    others_in = any(
        x.label and x not in parameters for x, rule in zip(graph.order, graph.rules) if rule is None
    )
    if network and not root.label and root is not network[-1].out and not others_in:
        names[root] = "loss"  # after the network, reading no other parameter
    if given:
        names |= {node: name for node, name in given.items() if node in graph}
    return names


def _first_inputs(graph: Record, network: list[Neuron]) -> list[Value]:
    """The network's inputs: the leaves the neurons read, in the order they are first read."""
    seen: dict[Value, None] = {}
    for neuron in network:
        for x in neuron.inputs:
            if graph.rule(x) is None:
                seen.setdefault(x)
    return list(seen)


def _module(label: str) -> str:
    """`layers.0.neurons.1` for `layers.0.neurons.1.w.0` or `...b`; "" for an undotted label."""
    parts = label.split(".")
    named = [k for k, part in enumerate(parts) if not part.isdigit()]
    return ".".join(parts[: named[-1]]) if named and named[-1] > 0 else ""


def numbers(path: str) -> tuple[int, ...]:
    """The numbered parts of a dotted path, which order its modules: (0, 1) for `layers.0.n.1`."""
    return tuple(int(part) for part in path.split(".") if part.isdigit())


def _shorten(label: str, whole: bool = True) -> str:
    """`L0.n1.w0` for `layers.0.neurons.1.w.0`: the module's named parts by their initials (a
    layer's `L`), the parameter's own name `whole`, each joined with the number after it."""
    parts = label.split(".")
    named = [k for k, part in enumerate(parts) if not part.isdigit()]
    out: list[str] = []
    for k, part in enumerate(parts):
        if part.isdigit() and out and not out[-1][-1:].isdigit():
            out[-1] += part
        elif part.isdigit() or (whole and k == named[-1]):
            out.append(part)
        else:
            out.append("L" if part in ("layers", "layer") else part[0])
    return ".".join(out)


def network_dot(
    graph: Record,
    network: list[Neuron],
    names: Mapping[Value, str],
    ids: Mapping[Value, str],
    show_grad: bool = True,
) -> str:
    """DOT text of the neuron view: inputs, neurons (name, bias, activation, δ) and the root,
    left to right, each edge carrying its weight (and grad). Nodes are named by `ids` (the
    Value a neuron shows is its out), edges `w` + the weight's id."""
    adjoints = graph.reverse_pass.adjoints
    root = graph.root
    lines = [
        "digraph network {",
        "\trankdir=LR nodesep=0.3 ranksep=2.2 ordering=out",  # neurons in order
        "\tnode [fontname=Helvetica fontsize=11 shape=Mrecord]",
        '\tedge [fontname=Helvetica fontsize=9 fontcolor="#555555" color="#999999"]',
    ]
    for x in _first_inputs(graph, network):
        label = f"{_text(names[x])} | {x.data:.4g}"
        lines.append(f'\t{ids[x]} [label="{label}" style=filled fillcolor="#f0f0f0"]')
    for layer in layers(network):
        lines.append("\t{ rank=same")
        for neuron in layer:
            fields = [_text(names[neuron.out].rsplit(".", 1)[0])]
            if neuron.bias is not None:
                fields.append(f"b {neuron.bias.data:.4g}")
            activation = graph.op(neuron.out) if neuron.out is not neuron.net else "linear"
            fields.append(f"{activation} {neuron.out.data:.4g}")
            if show_grad:
                fields.append(f"{'δ = ?':\u00a0^16}")  # room for the δ the page writes
            lines.append(f'\t\t{ids[neuron.out]} [label="{" | ".join(fields)}"]')
        lines.append("\t}")
    last = layers(network)[-1]
    if root not in {neuron.out for neuron in last}:
        label = f"{_text(names[root])} | {root.data:.4g}"
        lines.append(f'\t{ids[root]} [label="{label}" style="filled,bold" fillcolor="#fdd0a2"]')
        lines += [f"\t{ids[neuron.out]} -> {ids[root]}" for neuron in last]
    for neuron in network:
        for w, x in zip(neuron.weights, neuron.inputs):
            label = f"{w.data:.3g}" + (f"\\ngrad {adjoints[w]:.3g}" if show_grad else "")
            lines.append(f'\t{ids[x]} -> {ids[neuron.out]} [id="w{ids[w]}" label="{label}"]')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _text(name: str) -> str:
    """`name` safe inside a record label."""
    return re.sub(r'([\\{}|<>"])', r"\\\1", name)
