"""`compile(f)`: trace a function once, then run its forward and reverse pass as plain Python.

Building a graph of Values costs far more than the arithmetic it records. When the same
function is evaluated many times (a loss per sample, a physics step), the graph is the same
every time: only the numbers change. So `compile(f)` calls `f` once on Values (the trace),
then writes the graph out as one straight-line Python function over floats:

    def compiled(a0, a1):           # f = lambda x, y: (x * y).tanh()
        v2 = f0(a0, a1)             # f0 is the forward of rule "*", from the rules table
        v3 = f1(v2)                 # f1 is tanh's forward
        g3 = 1.0
        g2 = g3 * p1(v2, v3)[0]     # p1 is tanh's partials: the function backward() uses
        d2_0, d2_1, = p0(a0, a1, v2)
        g0 = g2 * d2_0
        g1 = g2 * d2_1
        return float(v3), (g0, g1, )

Every value and every local derivative comes from the rule's own `forward` and `partials`
functions: the rules table stays the single source of each formula, and user `primitive`s
compile like built-ins. The generated source is Python produced by this module from the
traced graph, never text from the user, and is kept as `.source` for reading.

The trace is fixed: `f` must not branch in Python on the data (`if x.data > 0:`) or change
shape with its inputs, since later calls replay the first call's graph. Branches inside a rule
(relu's kink, abs's sign) are fine: they run again on every call. Values that `f` reads from
elsewhere than its arguments are constants of the trace, their data frozen at the first call.

Size: the first call costs about 50 us per operation in the graph (~2 s for 40,000, ~4 s for
80,000), four fifths of it in Python's own `compile()` of the one long generated function,
which grows a little faster than linearly. Compiling pays off for graphs of up to some tens of
thousands of operations evaluated many times, not for one huge graph evaluated a few times.
"""

from __future__ import annotations

import builtins
import itertools
import linecache
import math
import unicodedata
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from autograd_lite.rules import Rule
from autograd_lite.value import Value, _as_float, _recording, topological_order

Result = tuple[float, tuple[float, ...]]
"""What a compiled function returns: the value and d(value)/d(argument) for every argument."""

_FLOAT = frozenset([float])
_serial = itertools.count(1)  # tells apart the generated files in tracebacks


class CompiledFunction:
    """`f` traced on its first call and replayed by generated code on every call.

    Calling it with numbers returns `(value, grads)` as floats, `grads[i]` being
    d(value)/d(args[i]). It takes the same number of positional arguments on every call.
    """

    def __init__(self, f: Callable[..., Value]) -> None:
        if not callable(f):
            raise TypeError(f"compile needs a callable, got {type(f).__name__}")
        self.f = f
        self.__name__ = getattr(f, "__name__", type(f).__name__)
        self.__doc__ = f.__doc__
        self.source = ""  # the generated code, once the first call has traced `f`
        self._run: Callable[..., Result] | None = None

    def __repr__(self) -> str:
        state = "traced" if self._run is not None else "not traced yet"
        return f"<compiled {self.__name__} ({state})>"

    def __call__(self, *args: float) -> Result:
        run = self._run
        if run is None:
            self.source, run = _generate(self.__name__, _trace(self.f, args))
            _show_in_tracebacks(self, run.__code__.co_filename, self.source)
            self._run = run
        if _FLOAT.issuperset(map(type, args)):  # one pass in C: the rules get floats
            return run(*args)
        return run(*map(_as_float, args))  # ints, numpy scalars...; TypeError for the rest


def compile(f: Callable[..., Value]) -> CompiledFunction:
    """`f` (numbers in, a Value out) as a function returning `(value, grads)` as floats.

    `f` is traced once, on the first call; afterwards generated straight-line code runs the
    forward and the reverse pass with no graph at all. The graph is fixed by that trace, so
    `f` must not branch in Python on the data.

    >>> from autograd_lite import compile
    >>> h = compile(lambda x, y: x * y + y.exp())
    >>> h(2.0, 0.0)
    (1.0, (0.0, 3.0))
    """
    return CompiledFunction(f)


class _Trace:
    """A graph recorded from one call: its arguments as leaves, its output, and every node."""

    def __init__(self, inputs: list[Value], output: Value) -> None:
        self.inputs = inputs
        self.output = output
        self.order = topological_order(output)


def _trace(f: Callable[..., Value], args: Sequence[float]) -> _Trace:
    """Call `f` on a fresh leaf per argument, recording even inside `no_grad()`."""
    inputs = [Value(arg, label=f"a{i}") for i, arg in enumerate(args)]
    token = _recording.set(True)
    try:
        output = f(*inputs)
    finally:
        _recording.reset(token)
    if not isinstance(output, Value):
        raise TypeError(
            f"compile: {getattr(f, '__name__', f)!r} must return a Value, "
            f"got {type(output).__name__} {output!r}"
        )
    return _Trace(inputs, output)


def _generate(name: str, trace: _Trace) -> tuple[str, Callable[..., Result]]:
    """Python source for the traced graph's forward and reverse pass, and that code compiled.

    Nodes are numbered, arguments first, then in topological order. Node n's value is `a{n}`
    for an argument, `v{n}` for an operation and a literal for a constant; its gradient is
    `g{n}`, its partials `d{n}_j`.

    Forward: one line per operation, calling its rule's forward function. Reverse: from the
    output back, each node's partials (its rule's own function) times its gradient go to the
    parents that lead to an argument; the first share assigns, later ones add. Constants, and
    nodes no argument reaches, get no gradient. Python's `compile()` of this one long function
    is most of the cost, so each line is kept short: a partial used once is indexed inline.
    """
    number = {leaf: i for i, leaf in enumerate(trace.inputs)}  # also the arguments f never uses
    for node in trace.order:
        number.setdefault(node, len(number))
    names = {leaf: f"a{i}" for i, leaf in enumerate(trace.inputs)}
    namespace: dict[str, Any] = {}
    functions: dict[Rule, int] = {}  # each rule's index k: it is called as f{k} and p{k}
    depends = set(trace.inputs)  # the nodes whose gradient matters: they reach an argument

    forward: list[str] = []
    for node in trace.order:
        n = number[node]
        if node in names:
            continue
        if not node.parents:
            names[node] = _constant(node.data, f"c{n}", namespace)
            continue
        rule = node._rule
        assert rule is not None  # a node with parents was made by a rule
        k = functions.setdefault(rule, len(functions))
        namespace[f"f{k}"], namespace[f"p{k}"] = rule.forward, rule.partials
        names[node] = f"v{n}"
        forward.append(f"v{n} = f{k}({', '.join(names[parent] for parent in node.parents)})")
        if any(parent in depends for parent in node.parents):
            depends.add(node)

    reverse: list[str] = []
    started: set[Value] = set()  # the nodes whose gradient variable exists
    if trace.output in depends:
        reverse.append(f"g{number[trace.output]} = 1.0")
        started.add(trace.output)
    for node in reversed(trace.order):
        if node not in depends or not node.parents:
            continue
        n = number[node]
        k = functions[node._rule]  # type: ignore[index]  # a node with parents has a rule
        inputs = ", ".join([*(names[parent] for parent in node.parents), names[node]])
        needed = [j for j, parent in enumerate(node.parents) if parent in depends]
        if len(needed) == 1:  # one partial used: index the call, no variables to compile
            partials = {needed[0]: f"p{k}({inputs})[{needed[0]}]"}
        else:
            partials = {j: f"d{n}_{j}" for j in needed}
            unpacked = ", ".join(partials.get(j, "_") for j in range(len(node.parents)))
            reverse.append(f"{unpacked}, = p{k}({inputs})")
        for j in needed:
            parent = node.parents[j]
            operator = "+=" if parent in started else "="
            reverse.append(f"g{number[parent]} {operator} g{n} * {partials[j]}")
            started.add(parent)

    grads = "".join(
        f"g{i}, " if leaf in started else "0.0, " for i, leaf in enumerate(trace.inputs)
    )
    # Python folds identifiers to NFKC (`ﬁt` becomes `fit`): name the function as it will be stored.
    function = unicodedata.normalize("NFKC", f"compiled_{name}")
    function = function if function.isidentifier() else "compiled"
    header = f"def {function}({', '.join(names[leaf] for leaf in trace.inputs)}):\n"
    body = [*forward, *reverse, f"return float({names[trace.output]}), ({grads})"]
    source = header + "".join(f"    {line}\n" for line in body)

    filename = f"<autograd_lite.compile {name} #{next(_serial)}>"
    code = builtins.compile(source, filename, "exec")  # our generated code, not user text
    exec(code, namespace)  # defines the generated function in its own namespace
    run: Callable[..., Result] = namespace.pop(function)  # else its globals would hold it: a cycle
    return source, run


def _show_in_tracebacks(owner: CompiledFunction, filename: str, source: str) -> None:
    """Give tracebacks the generated lines of `filename` until `owner` is freed."""
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    weakref.finalize(owner, linecache.cache.pop, filename, None)  # holds no reference to owner


def _constant(data: float, name: str, namespace: dict[str, Any]) -> str:
    """How generated code spells a constant: its literal, or a name for inf and nan."""
    if math.isfinite(data):
        return repr(data)
    namespace[name] = data
    return name
