"""Code generation: a traced program written out as one straight-line Python function.

Over floats (the program of `f = lambda x, y: (x * y).tanh()`):

    def compiled(a0, a1):
        v2 = f0(a0, a1)             # f0 is the forward of rule "*", from the rules table
        v3 = f1(v2)                 # f1 is tanh's forward
        g3 = 1.0
        g2 = g3 * p1_0(v2, v3)      # p1_0 is tanh's partial: the function backward() uses
        g0 = g2 * p0_0(a0, a1, v2)
        g1 = g2 * p0_1(a0, a1, v2)
        return float(v3), (g0, g1, )

Every value and every local derivative comes from the rule's own `forward` and `partials`
(over arrays, from `kernels`), so the rules table stays the single source of each formula.
The source is produced here from the traced graph, never text from the user. A guard that
fails returns None (over arrays: the mask of the samples that passed).

Over a batch the same program is written with one array per scalar of the trace: nodes an
array argument reaches hold arrays, the others stay floats, and the gradient toward a number
argument is summed over the batch as it is formed. `dot` nodes that share their per-sample
inputs (a layer of neurons) become one matrix product.
"""

from __future__ import annotations

import builtins
import itertools
import linecache
import math
import operator
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from autograd_lite import rules
from autograd_lite.compiling.kernels import (
    Layer,
    array_rule,
    entry_shares,
    flat_times,
    numpy_module,
    same_array,
    stack,
    total,
)
from autograd_lite.compiling.tracing import Guard, Node, Program, Trace
from autograd_lite.rule import Rule
from autograd_lite.value import Value

_serial = itertools.count(1)  # tells apart the generated files in tracebacks


class Compiled:
    """One trace's generated code: float code at once, NumPy code per batch layout on demand."""

    def __init__(self, name: str, trace: Trace, wrt: Sequence[Value] | None = None) -> None:
        self.name = name
        self.program = Program(trace, wrt)
        self.source, self.run = self.build(None)
        self._batched: dict[tuple[bool, ...], Callable[..., Any]] = {}

    def batched(self, layout: tuple[bool, ...]) -> Callable[..., Any]:
        """The code for a batch whose array arguments are where `layout` is True."""
        run = self._batched.get(layout)
        if run is None:
            run = self._batched[layout] = self.build(layout)[1]
        return run

    def build(self, layout: tuple[bool, ...] | None) -> tuple[str, Any]:
        """Source and function: over floats (`layout` None) or a batch of that layout."""
        writer = _Writer(self.program, layout)
        source = writer.source()
        filename = f"<autograd_lite.compile {self.name} #{next(_serial)}>"
        code = builtins.compile(source, filename, "exec")  # our generated code, not user text
        exec(code, writer.namespace)  # defines the generated function in its own namespace
        run = writer.namespace.pop("compiled")  # else its globals would hold it: a cycle
        _show_in_tracebacks(self, filename, source)
        return source, run


class _Writer:
    """Writes one program as Python: float code, or NumPy code for one batch layout."""

    def __init__(self, program: Program, layout: tuple[bool, ...] | None) -> None:
        self.program = program
        self.layout = layout
        self.namespace: dict[str, Any] = {}
        self.functions: dict[tuple[Rule, bool, int], int] = {}
        self.names: dict[Node, str] = {leaf: f"a{leaf.n}" for leaf in program.inputs}
        for node in program.outside:
            self.names[node] = f"v{node.n}"
        # in a batch, the nodes an array argument reaches hold arrays; the others stay floats
        self.batched: set[Node] = set()
        if layout is not None:
            self.batched = {leaf for leaf, b in zip(program.inputs, layout) if b}
            for node in program.ops:
                if any(x in self.batched for x in node.inputs if isinstance(x, Node)):
                    self.batched.add(node)
            self.np = numpy_module()
        self.layers = self.find_layers() if layout is not None else {}
        self.maps = self.find_maps() if layout is not None else {}
        self.matrices: dict[tuple[Node, ...], str] = {}  # rows computed as one matrix, by name
        self.owners: dict[tuple[Node, ...], list[Node]] = {}  # the layer or map of those rows
        self.sources: dict[int, tuple[Node, ...]] = {}  # a layer's inputs given as a matrix
        self.matrix_grads: dict[int, str] = {}  # a layer's or map's gradient as one matrix

    def spell(self, x: Node | float) -> str:
        """How the code spells an operand: its variable, or a literal for a constant."""
        if isinstance(x, Node):
            return self.names[x]  # computed before: the code follows the order f made them in
        return self.constant(x)

    def constant(self, data: float) -> str:
        """A number's literal, or a name in the namespace for inf and nan (no literal)."""
        if math.isfinite(data):
            return repr(data)
        name = f"c{len(self.namespace)}"
        self.namespace[name] = data
        return name

    def function(self, rule: Rule, which: int, nargs: int, batched: bool) -> str:
        """The name of `rule`'s forward (`which` = -1) or partial `which` in the namespace."""
        key = (rule, batched, nargs if rule.arity is None else 0)
        k = self.functions.get(key)
        if k is None:
            k = self.functions[key] = len(self.functions)
            forward, partials = (
                array_rule(self.np, rule, nargs) if batched else (rule.forward, rule.partials)
            )
            self.namespace[f"f{k}"] = forward
            for j, partial in enumerate(partials):
                self.namespace[f"p{k}_{j}" if rule.arity is not None else f"p{k}"] = partial
        prefix = f"f{k}" if which < 0 else f"p{k}_{which}" if rule.arity is not None else f"p{k}"
        return prefix

    def source(self) -> str:
        program = self.program
        batch = self.layout is not None
        lines = []
        if program.outside:  # Values f did not make: read afresh on every call, in one pass
            self.namespace["_outside"] = tuple(node.outside for node in program.outside)
            self.namespace["_data"] = operator.attrgetter("data")
            names = "".join(f"v{node.n}, " for node in program.outside)
            lines.append(f"{names}= map(_data, _outside)")
        guards = iter(program.guards)
        guard = next(guards, None)
        spelled: dict[Node, list[str]] = {}
        for node in program.ops:
            while guard is not None and guard.made <= node.made:
                lines += self.check(guard)
                guard = next(guards, None)
            n = node.n
            rule = node.rule
            assert rule is not None
            inputs = [self.spell(x) for x in node.inputs]
            spelled[node] = inputs
            layer = self.layers.get(node)
            if layer is not None:
                if layer[0] is node:
                    lines += self.layer_forward(layer, spelled)
                continue
            group = self.maps.get(node)
            if group is not None:
                if node not in self.names:
                    lines += self.map_forward(group)
                continue
            forward = self.function(rule, -1, len(inputs), node in self.batched)
            self.names[node] = f"v{n}"
            if rule.arity is None and node not in self.batched:  # the rule takes one list
                lines.append(f"v{n} = {forward}([{', '.join(inputs)}])")
            else:
                lines.append(f"v{n} = {forward}({', '.join(inputs)})")
        while guard is not None:
            lines += self.check(guard)
            guard = next(guards, None)
        lines += self.reverse(spelled)
        output = self.spell(program.output)
        grads = f"({self.gradients(program.inputs)})"
        if program.wrt is not None:
            grads += f", [{self.gradients(program.wrt)}]"
        lines.append(f"return {output if batch else f'float({output})'}, {grads}")
        params = ", ".join(["_n"] * batch + [f"a{i}" for i in range(len(program.inputs))])
        return f"def compiled({params}):\n" + "".join(f"    {line}\n" for line in lines)

    def gradients(self, targets: Sequence[Node | float]) -> str:
        """The gradient toward each of `targets`, spelled `g1, g4, 0.0, `: 0.0 where none flows."""
        names = [
            f"g{x.n}" if isinstance(x, Node) and f"g{x.n}" in self.started else "0.0"
            for x in targets
        ]
        return "".join(name + ", " for name in names)

    def check(self, guard: Guard) -> list[str]:
        """The lines that leave the code when `guard` fails (None, or a batch's mask)."""
        if not isinstance(guard.node, Node):  # a constant: nothing to check
            return []
        x = self.names[guard.node]
        batch = self.layout is not None
        if guard.test == "same":
            helper = "_same_b" if batch else "_same"
            self.namespace[helper] = same_array if batch else _same
            test = f"{helper}({x}, {self.constant(float(guard.outcome))})"
            outcome = "True"
        else:
            other = "0.0" if guard.other is None else self.spell(guard.other)
            op = "!=" if guard.test == "bool" else guard.test
            test = f"({x} {op} {other})"
            outcome = str(bool(guard.outcome))
        if not batch:
            return [f"if {test} != {outcome}: return None"]
        self.namespace["_all"] = self.np.all
        return [f"m = {test} == {outcome}", "if not _all(m): return m"]

    def reverse(self, spelled: dict[Node, list[str]]) -> list[str]:
        """The reverse pass: from the output back, each parent that leads to an argument gets
        the node's gradient times the rule's partial toward it; the first share assigns, later
        ones add. Constants, and nodes no argument reaches, get no gradient."""
        program = self.program
        self.started: set[str] = set()
        lines: list[str] = []
        output = program.output
        if not isinstance(output, Node) or output not in program.depends:
            return lines
        seed = "1.0" if self.layout is None or output in self.batched else "float(_n)"
        lines.append(f"g{output.n} = {seed}")
        self.started.add(f"g{output.n}")
        last_of = {}  # the last member of each layer and map in the reverse pass
        for node in program.backward_order:
            owner = self.layers.get(node) or self.maps.get(node)
            if owner is not None:
                last_of[id(owner)] = node
        for node in program.backward_order:
            n = node.n
            rule = node.rule
            layer = self.layers.get(node)
            if layer is not None:
                if last_of[id(layer)] is node:  # every member's consumers are done
                    lines += self.layer_reverse(layer, spelled)
                continue
            group = self.maps.get(node)
            if group is not None and id(group) in self.whole:
                if last_of[id(group)] is node:
                    lines += self.map_reverse(group)
                continue
            if node not in program.depends or f"g{n}" not in self.started or rule is None:
                continue
            batched = node in self.batched
            inputs = node.inputs
            arguments = ", ".join([*spelled[node], f"v{n}"])
            locals_ = self.locals(node, rule, spelled[node], arguments, batched, lines)
            for j, parent in enumerate(inputs):
                if not isinstance(parent, Node) or parent not in program.depends:
                    continue
                local = locals_(j)
                target = f"g{parent.n}"
                g = f"g{n}"
                if batched and rule.array is None and rule.arity is not None:
                    name = f"s{id(rule)}_{j}"  # g times the partial, entry by entry
                    self.namespace[name] = entry_shares(rule, j)
                    g, local = f"{name}(g{n}, {arguments})", "1.0"
                elif self.layout is not None and rule in rules.FLAT_BRANCHES:
                    self.namespace["_flat_times"] = flat_times  # arrays keep no FLAT
                    g, local = f"_flat_times(g{n}, {local})", "1.0"
                if batched and parent not in self.batched:  # a number argument: batch sum
                    self.namespace["_total"] = total
                    share = f"_total({g}, {local}, _n)"
                else:
                    share = f"{g} * {local}"
                operator = "+=" if target in self.started else "="
                lines.append(f"{target} {operator} {share}")
                self.started.add(target)
        return lines

    def find_layers(self) -> dict[Node, list[Node]]:
        """Weighted sums (`dot` nodes) that share their array inputs: a layer of neurons.

        Each pair w_i * x_i of such a node has one side a per-sample array (the same Value,
        at the same place, in every node of the layer) and the other a number, or both sides
        numbers. A layer of two or more, or one sum over two arrays or more, is computed by one
        matrix product, where `f` made its first node; a node whose numbers are computed after
        that stays on its own.
        """
        candidates: dict[tuple[Any, ...], list[Node]] = {}
        for node in self.program.ops:
            if node.rule is not rules.dot_rule or node not in self.batched:
                continue
            inputs = node.inputs
            half = len(inputs) // 2
            key: list[Any] = []
            for w, x in zip(inputs[:half], inputs[half:]):
                sides = [self.is_array(w), self.is_array(x)]
                if all(sides):
                    break
                key.append((0, w) if sides[0] else (1, x) if sides[1] else None)
            else:
                if any(key):
                    candidates.setdefault(tuple(key), []).append(node)
        layers: dict[Node, list[Node]] = {}
        for pattern, members in candidates.items():
            start = members[0].made
            layer = [
                node
                for node in members
                if all(not isinstance(y, Node) or y.made < start for y in node.inputs)
            ]
            if len(layer) >= 2 or sum(map(bool, pattern)) >= 2:  # several sums, or a long one
                layers.update(dict.fromkeys(layer, layer))
        return layers

    def layer_forward(self, layer: list[Node], spelled: dict[Node, list[str]]) -> list[str]:
        """One `Layer` for the whole layer; each node's value is a row of its product."""
        first = layer[0].n
        self.namespace["Layer"] = Layer
        for node in layer:
            spelled.setdefault(node, [self.spell(x) for x in node.inputs])
        members = "".join(f"({', '.join(spelled[node])},), " for node in layer)
        rows = tuple(self.array_inputs(layer[0]))
        source = self.matrices.get(rows)
        given = f", {source}" if source is not None else ""
        if source is not None:
            self.sources[id(layer)] = rows
        lines = [f"L{first} = Layer(_n, ({members}){given})"]
        self.matrices[tuple(layer)] = f"L{first}.values"
        self.owners[tuple(layer)] = layer
        for row, node in enumerate(layer):
            self.names[node] = f"v{node.n}"
            lines.append(f"v{node.n} = L{first}.values[{row}]")
        return lines

    def array_inputs(self, node: Node) -> list[Node]:
        """The per-sample operands of a layer member's pairs, in order."""
        half = len(node.inputs) // 2
        found = []
        for w, x in zip(node.inputs[:half], node.inputs[half:]):
            if self.is_array(w) or self.is_array(x):
                found.append(w if self.is_array(w) else x)
        return found  # type: ignore[return-value]  # arrays are Nodes

    def find_maps(self) -> dict[Node, list[Node]]:
        """One rule with an array form applied to every row of a layer (its activation): the
        rows as one matrix, so the rule runs once on the layer, forward and reverse.

        Not when a guard sits between the first and the last of them (the rows are computed
        where `f` made the first).
        """
        consumers: dict[Node, list[Node]] = {}
        for op in self.program.ops:
            for x in op.inputs:
                if isinstance(x, Node):
                    consumers.setdefault(x, []).append(op)
        self.consumers = consumers
        maps: dict[Node, list[Node]] = {}
        self.map_layer: dict[int, list[Node]] = {}
        self.whole: set[int] = set()  # maps whose reverse pass runs on matrices
        seen: set[int] = set()
        for layer in self.layers.values():
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            group: list[Node] = []
            rule: Rule | None = None
            for z in layer:
                found = [
                    m
                    for m in consumers.get(z, [])
                    if m.inputs == (z,)
                    and m.rule is not None
                    and m.rule.arity == 1
                    and m.rule.array is not None
                    and (rule is None or m.rule is rule)
                ]
                if not found:
                    break
                rule = found[0].rule
                group.append(found[0])
            else:
                made = sorted(m.made for m in group)
                if len(set(group)) == len(group) and not any(
                    made[0] < g.made <= made[-1] for g in self.program.guards
                ):
                    for m in group:
                        maps[m] = group
                    self.map_layer[id(group)] = layer
                    if self.program.output not in layer and all(
                        consumers.get(z) == [m] for z, m in zip(layer, group)
                    ):  # each row's gradient is the map's share alone: one matrix
                        self.whole.add(id(group))
        return maps

    def map_forward(self, group: list[Node]) -> list[str]:
        """The rule once over the layer's matrix; each node's value is a row of the result."""
        first = min(group, key=lambda m: m.made).n
        rule = group[0].rule
        assert rule is not None
        layer = self.map_layer[id(group)]
        forward = self.function(rule, -1, 1, True)
        lines = [f"M{first} = {forward}({self.matrices[tuple(layer)]})"]
        self.matrices[tuple(group)] = f"M{first}"
        self.owners[tuple(group)] = group
        for row, node in enumerate(group):
            self.names[node] = f"v{node.n}"
            lines.append(f"v{node.n} = M{first}[{row}]")
        return lines

    def layer_reverse(self, layer: list[Node], spelled: dict[Node, list[str]]) -> list[str]:
        """The layer's reverse pass: two matrix products, then each input takes its share."""
        program = self.program
        first = layer[0].n
        matrix = self.matrix_grads.get(id(layer))
        if matrix is not None:
            grads = [f"{matrix}[{row}]" for row in range(len(layer))]
            given = matrix
        else:
            grads = [f"g{node.n}" if f"g{node.n}" in self.started else "0.0" for node in layer]
            if all(g == "0.0" for g in grads):
                return []
            given = f"({', '.join(grads)},)"
        lines = [f"K{first}, J{first} = L{first}.reverse({given})"]
        whole: set[Node] = set()  # input rows whose gradient is J, whole
        rows = self.sources.get(id(layer))
        if rows is not None:
            owner = self.owners[rows]
            members = set(layer)
            if (owner in self.layers.values() or id(owner) in self.whole) and all(
                set(self.consumers.get(y, ())) <= members and y is not program.output for y in rows
            ):
                self.matrix_grads[id(owner)] = f"J{first}"
                whole.update(rows)
        shares: list[tuple[Node | float, str]] = []
        sums: list[int] = []  # rows whose gradient's batch sum a bias takes
        for row, node in enumerate(layer):
            inputs = node.inputs
            half = len(inputs) // 2
            column = 0
            for i in range(half):
                w, x = inputs[i], inputs[i + half]
                if self.is_array(w) or self.is_array(x):
                    array, weight = (w, x) if self.is_array(w) else (x, w)
                    if row == 0:
                        shares.append((array, f"J{first}[{column}]"))
                    shares.append((weight, f"K{first}[{row}][{column}]"))
                    column += 1
                elif matrix is not None and x == 1.0 and w in program.depends:  # a bias
                    if not sums:
                        lines.append(f"R{first} = {matrix}.sum(axis=1).tolist()")
                    sums.append(row)
                    shares.append((w, f"R{first}[{row}]"))
                elif grads[row] != "0.0":
                    self.namespace["_total"] = total
                    for y, other in ((w, spelled[node][i + half]), (x, spelled[node][i])):
                        shares.append((y, f"_total({grads[row]}, {other}, _n)"))
        for y, share in shares:
            if isinstance(y, Node) and y in program.depends and y not in whole:
                target = f"g{y.n}"
                lines.append(f"{target} {'+=' if target in self.started else '='} {share}")
                self.started.add(target)
        return lines

    def map_reverse(self, group: list[Node]) -> list[str]:
        """A map's reverse pass on matrices: its rows' gradients times its rule's partial over
        the layer's matrix, which becomes the layer's gradient matrix."""
        first = min(group, key=lambda m: m.made).n
        layer = self.map_layer[id(group)]
        rule = group[0].rule
        assert rule is not None
        lines = []
        grad = self.matrix_grads.get(id(group))
        if grad is None:
            rows = [f"g{m.n}" if f"g{m.n}" in self.started else "0.0" for m in group]
            if all(row == "0.0" for row in rows):
                return []
            self.namespace["_stack"] = stack
            lines.append(f"H{first} = _stack(({', '.join(rows)},), _n)")
            grad = f"H{first}"
        partial = self.function(rule, 0, 1, True)
        values = self.matrices[tuple(layer)]
        if rule in rules.FLAT_BRANCHES:
            self.namespace["_flat_times"] = flat_times
            lines.append(f"Z{first} = _flat_times({grad}, {partial}({values}, M{first}))")
        else:
            lines.append(f"Z{first} = {grad} * {partial}({values}, M{first})")
        self.matrix_grads[id(layer)] = f"Z{first}"
        return lines

    def is_array(self, x: Node | float) -> bool:
        """Whether the code holds `x` as an array (an array argument reaches it)."""
        return isinstance(x, Node) and x in self.batched

    def locals(
        self,
        node: Node,
        rule: Rule,
        inputs: list[str],
        arguments: str,
        batched: bool,
        lines: list[str],
    ) -> Callable[[int], str]:
        """How the code spells the local derivative toward input j of `node`."""
        n = node.n
        # sum's and dot's local derivatives are 1 and the other factor of each product: spelled
        # directly, they cost no call and no list per node (the engine multiplies by the same)
        if rule is rules.sum_rule:
            return lambda j: "1.0"
        if rule is rules.dot_rule:
            half = len(inputs) // 2
            return lambda j: inputs[j + half] if j < half else inputs[j - half]
        if rule.arity is None:  # one call gives them all
            partial = self.function(rule, 0, len(inputs), batched)
            spelled = f"[{', '.join(inputs)}], v{n}" if not batched else arguments
            lines.append(f"t{n} = {partial}({spelled})")
            return lambda j: f"t{n}[{j}]"
        return lambda j: f"{self.function(rule, j, len(inputs), batched)}({arguments})"


def _show_in_tracebacks(owner: object, filename: str, source: str) -> None:
    """Give tracebacks the generated lines of `filename` until `owner` is freed."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    weakref.finalize(owner, linecache.cache.pop, filename, None)  # holds no reference to owner


def _same(x: float, seen: float) -> bool:
    """Whether `x` is the number a trace saw: equal, with the sign of a zero, or both nan."""
    if x != x:
        return seen != seen
    return x == seen and math.copysign(1.0, x) == math.copysign(1.0, seen)
