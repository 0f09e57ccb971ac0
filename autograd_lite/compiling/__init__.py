"""`compile(f)`: trace a function once, then run its forward and reverse pass as plain Python.

Building a graph of Values costs far more than the arithmetic it records. When the same
function is evaluated many times (a loss per sample, a physics step), the graph is the same
every time: only the numbers change. So `compile(f)` calls `f` once on Values (the trace),
then writes the graph out as one straight-line Python function over floats:

    def compiled(a0, a1):           # f = lambda x, y: (x * y).tanh()
        v2 = f0(a0, a1)             # f0 is the forward of rule "*", from the rules table
        v3 = f1(v2)                 # f1 is tanh's forward
        g3 = 1.0
        g2 = g3 * p1_0(v2, v3)      # p1_0 is tanh's partial: the function backward() uses
        g0 = g2 * p0_0(a0, a1, v2)
        g1 = g2 * p0_1(a0, a1, v2)
        return float(v3), (g0, g1, )

Every value and every local derivative comes from the rule's own `forward` and `partials`
functions: the rules table stays the single source of each formula, and user `primitive`s
compile like built-ins. The generated source is Python produced by this module from the
traced graph, never text from the user, and is kept as `.source` for reading.

Batches. Any argument may be a 1-D NumPy array, one entry per sample, numbers broadcasting.
The same trace is then written a second time over arrays (one array per scalar of the trace):
the common rules through NumPy's ufuncs, any other rule (user primitives included) through its
own float functions applied entry by entry. `dot` nodes that share their per-sample inputs (a
layer of neurons) become one matrix product. Entries where NumPy gives inf or nan, and sums
within rounding of 0 (where the order of summation could decide a kink), are computed again by
the rule's float function: domain errors, kinks and nan come out as in a call per sample. Other
entries agree to rounding (NumPy's exp, log, tanh and ** may differ from the math module's in
the last bit). Nodes no array argument reaches stay floats, and the gradient toward a number
argument is summed over the batch as it is formed.

Never silently wrong. While `f` is traced, Values report every Python decision taken on their
data, and the generated code checks each one again on every call (a guard, as torch.compile
has): `x > 0`, `x <= y`, `bool(x)` guard the outcome; `float(x)`, `round(x)`, `format(x, spec)`
and every read of `x.data` outside the engine guard the number itself. A call that fails a
guard (in a batch: the samples that fail it) is traced again; after `TRACE_LIMIT` traces such
calls run `f` directly. A Value that `f` uses but did not make while traced (a weight it closes
over) is read again, through `.data`, on every call. What stays fixed is plain Python state
`f` reads without a Value: numbers from globals or closures, and which Value a name or a list
entry refers to (rebinding `w = Value(7.0)` or `ws[0] = ...` after the trace is not seen; change
`w.data` instead, as optimizers do), and `f`'s side effects, which happen while tracing only.
`f` must not run `backward()` or float `gradients()` inside (use
`gradients(..., create_graph=True)`); assigning `.data` and computing under `no_grad()` are
refused.

Size: the first call costs much more than the later ones, most of it in Python's own
`compile()` of the one long generated function, which grows a little faster than linearly.
Compiling pays off for graphs of up to some tens of thousands of operations evaluated many
times, not for one huge graph evaluated a few times.
"""

from __future__ import annotations

import builtins
import contextlib
import contextvars
import itertools
import linecache
import math
import numbers
import sys
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from autograd_lite import rules
from autograd_lite import value as engine
from autograd_lite.functional import gradients
from autograd_lite.rule import Rule, as_float
from autograd_lite.value import Value, interior_order, operands, recording

Result = tuple[float, tuple[float, ...]]
"""What a compiled function returns: the value and d(value)/d(argument) for every argument."""

TRACE_LIMIT = 8
"""Traces kept per compiled function; calls that fit none of them then run `f` directly."""

_FLOAT = frozenset([float])
_serial = itertools.count(1)  # tells apart the generated files in tracebacks


class CompiledFunction:
    """`f` traced on its first call and replayed by generated code on every call.

    Called with numbers it returns `(value, grads)` as floats, `grads[i]` being
    d(value)/d(args[i]); with 1-D NumPy arrays among the arguments, the value and the
    gradients toward the arrays per sample, the gradients toward numbers summed over the batch.
    `traces` holds one entry per path through `f` seen so far.
    """

    def __init__(self, f: Callable[..., Value]) -> None:
        if not callable(f):
            raise TypeError(f"compile needs a callable, got {type(f).__name__}")
        self.f = f
        self.__name__ = getattr(f, "__name__", type(f).__name__)
        self.__doc__ = f.__doc__
        self.traces: list[_Compiled] = []
        self._warned = False

    @property
    def source(self) -> str:
        """The generated code of the first trace ("" before the first call)."""
        return self.traces[0].source if self.traces else ""

    def __repr__(self) -> str:
        state = f"{len(self.traces)} trace(s)" if self.traces else "not traced yet"
        return f"<compiled {self.__name__} ({state})>"

    def __call__(self, *args: Any) -> Any:
        types = set(map(type, args))  # one pass in C, then a look at each kind of argument
        if types <= _FLOAT:  # the rules get floats
            for compiled in self.traces:
                result = compiled.run(*args)
                if result is not None:
                    return result
            return self._untraced(args)
        if any(map(_is_batch_type, types)):
            return self._batch(args)
        return self(*map(as_float, args))  # ints, numpy scalars...; TypeError for the rest

    def _untraced(self, point: Sequence[float]) -> Result:
        """A call that fits no trace: trace `f` there, or run it directly past the limit."""
        if len(self.traces) >= TRACE_LIMIT:
            self._warn_once()
            return _eager(self.f, point)
        result = self._add_trace(point).run(*point)
        if result is None:
            raise RuntimeError(
                f"compile: {self.__name__!r} decided differently on a second run at the same "
                "numbers: it depends on something besides its arguments and Values"
            )
        return result  # type: ignore[no-any-return]  # generated code

    def _add_trace(self, point: Sequence[float]) -> _Compiled:
        compiled = _Compiled(self.__name__, _Trace(self.f, point))
        self.traces.append(compiled)
        return compiled

    def _warn_once(self) -> None:
        if not self._warned:
            self._warned = True
            warnings.warn(
                f"compile: {self.__name__!r} took {TRACE_LIMIT} paths through its Python "
                "decisions; calls that fit none of them now run it directly. Compare Values "
                "(x > 0) rather than reading x.data to share one trace between inputs.",
                RuntimeWarning,
                stacklevel=4,
            )

    # ---------------------------------------------------------------- batches

    def _batch(self, args: Sequence[Any]) -> Any:
        """A call with arrays among `args`: check their shapes, then run by trace."""
        np = _numpy()
        prepared: list[Any] = []
        layout: list[bool] = []
        size: int | None = None
        for i, arg in enumerate(args):
            if not _is_batch(arg):
                prepared.append(as_float(arg))  # TypeError for junk
                layout.append(False)
                continue
            array = np.asarray(arg, dtype=float)  # TypeError or ValueError for junk
            if array.ndim == 0:
                prepared.append(float(array))
                layout.append(False)
                continue
            if array.ndim != 1:
                raise ValueError(
                    f"compile: argument {i} must be a number or a 1-D array, "
                    f"got an array of shape {array.shape}"
                )
            if size is not None and len(array) != size:
                raise ValueError(
                    f"compile: argument {i} has {len(array)} samples, an earlier one {size}"
                )
            size = len(array)
            prepared.append(array)
            layout.append(True)
        if size is None:  # arrays of no dimension: numbers after all
            return self(*prepared)
        with np.errstate(all="ignore"):  # inf and nan are handled where they appear
            return self._run_batch(np, prepared, tuple(layout), size)

    def _run_batch(self, np: Any, args: list[Any], layout: tuple[bool, ...], n: int) -> Any:
        """The first trace whose guards every sample passes runs them; a split batch recurses."""
        if n == 0 and not self.traces:
            empty = np.zeros(0)
            return empty, tuple(empty if batched else 0.0 for batched in layout)
        while True:
            for compiled in self.traces:
                out = compiled.batched(layout)(n, *args)
                if type(out) is tuple:
                    return _finish(np, out, layout, n)
                fit = np.broadcast_to(out, (n,))
                if fit.any():
                    return self._split(np, args, layout, n, fit)
            if len(self.traces) >= TRACE_LIMIT:
                self._warn_once()
                return self._per_sample(np, args, layout, n)
            self._add_trace(_sample(args, layout, 0))

    def _split(self, np: Any, args: list[Any], layout: tuple[bool, ...], n: int, fit: Any) -> Any:
        """Run the samples that pass a guard and the rest separately, then merge them."""
        parts = []
        for mask in (fit, ~fit):
            part = [arg[mask] if batched else arg for arg, batched in zip(args, layout)]
            parts.append((mask, self._run_batch(np, part, layout, int(mask.sum()))))
        value = np.empty(n)
        grads: list[Any] = [np.empty(n) if batched else 0.0 for batched in layout]
        for mask, (part_value, part_grads) in parts:
            value[mask] = part_value
            for i, g in enumerate(part_grads):
                if layout[i]:
                    grads[i][mask] = g
                else:
                    grads[i] += g
        return value, tuple(grads)

    def _per_sample(self, np: Any, args: list[Any], layout: tuple[bool, ...], n: int) -> Any:
        """The batch one sample at a time (past the trace limit)."""
        results = [self(*_sample(args, layout, k)) for k in range(n)]
        value = np.array([v for v, _ in results])
        grads = [
            np.array([g[i] for _, g in results]) if batched else math.fsum(g[i] for _, g in results)
            for i, batched in enumerate(layout)
        ]
        return value, tuple(grads)


def compile(f: Callable[..., Value]) -> CompiledFunction:
    """`f` (numbers in, a Value out) as a function returning `(value, grads)`.

    `f` is traced on the first call; afterwards generated straight-line code runs the forward
    and the reverse pass with no graph at all, over floats or, for a batch, NumPy arrays.
    Python decisions `f` takes on the data are guarded: a call that decides otherwise is traced
    again. The data of Values `f` closes over are read afresh on every call (the Values
    themselves, and plain numbers `f` reads, are fixed by the trace).

    >>> from autograd_lite import compile
    >>> h = compile(lambda x, y: x * y + y.exp())
    >>> h(2.0, 0.0)
    (1.0, (0.0, 3.0))
    """
    return CompiledFunction(f)


def _eager(f: Callable[..., Value], point: Sequence[float]) -> Result:
    """`f` run on Values and differentiated: what every compiled call must agree with."""
    inputs = [Value(x) for x in point]
    with recording():
        output = _checked_output(f, f(*inputs))
    return output.data, tuple(gradients(output, inputs))


def _checked_output(f: Callable[..., Any], output: Any) -> Value:
    if not isinstance(output, Value):
        raise TypeError(
            f"compile: {getattr(f, '__name__', f)!r} must return a Value, "
            f"got {type(output).__name__} {output!r}"
        )
    return output


def _is_batch_type(kind: type) -> bool:
    """Whether arguments of this type are batches: NumPy arrays (anything array-like, lists)."""
    return not issubclass(kind, numbers.Real) and (
        hasattr(kind, "__array__") or issubclass(kind, (list, tuple))
    )


def _is_batch(arg: object) -> bool:
    """Whether an argument is a batch."""
    return _is_batch_type(type(arg))


def _sample(args: Sequence[Any], layout: Sequence[bool], k: int) -> list[float]:
    """Sample `k` of a batch as floats."""
    return [float(arg[k]) if batched else arg for arg, batched in zip(args, layout)]


def _finish(np: Any, out: tuple[Any, Any], layout: tuple[bool, ...], n: int) -> Any:
    """Generated code's result as arrays of `n` (array arguments) and floats (the others)."""
    value, grads = out
    return np.array(np.broadcast_to(value, (n,)), dtype=float), tuple(
        np.array(np.broadcast_to(g, (n,)), dtype=float) if batched else float(g)
        for g, batched in zip(grads, layout)
    )


# ---------------------------------------------------------------- watching a trace


class _Guard(NamedTuple):
    """A decision `f` took on a Value's data while traced: `test` gave `outcome`.

    `test` is a comparison (`"<"`, ...) with `other`, `"bool"`, or `"same"` (the number itself
    was used: the guard holds while it is the same). `made` counts the Values made before it:
    the generated code checks it where `f` took it.
    """

    made: int
    node: Any  # a Value while tracing, a _Node or constant in a program
    test: str
    other: Any
    outcome: bool | float


class _Recorder:
    """What one trace saw: every Value made, in order, and every decision on data."""

    def __init__(self) -> None:
        self.made: dict[Value, int] = {}
        self.guards: list[_Guard] = []
        self.unrecorded = False

    def saw(self, node: Value, test: str, other: Any, outcome: bool | float) -> None:
        if not isinstance(other, Value) and other is not None:
            other = as_float(other)
        self.guards.append(_Guard(len(self.made), node, test, other, outcome))


_recorder: contextvars.ContextVar[_Recorder | None] = contextvars.ContextVar(
    "compile_recorder", default=None
)
_SLOT = Value.__dict__["data"]  # the slot behind `.data`
_ENGINE = vars(engine)  # reads of `.data` from value.py are the engine's own arithmetic
_NODE = engine._node.__code__


def _read(self: Value) -> float:
    data: float = _SLOT.__get__(self, Value)
    recorder = _recorder.get()
    if recorder is not None and sys._getframe(1).f_globals is not _ENGINE:
        recorder.saw(self, "same", None, data)
    return data


def _write(self: Value, data: float) -> None:
    recorder = _recorder.get()
    if recorder is not None:
        caller = sys._getframe(1)
        if caller.f_globals is not _ENGINE:
            raise TypeError(
                f"compile: line {caller.f_lineno} of {caller.f_code.co_filename} assigns "
                f".data of {self!r} while the function is traced; compiled code cannot replay it"
            )
        recorder.made.setdefault(self, len(recorder.made))
        if caller.f_code is _NODE and not engine._is_recording():
            recorder.unrecorded = True
    _SLOT.__set__(self, data)


def _comparison(test: str, compare: Callable[[float, float], bool]) -> Callable[..., bool]:
    def method(self: Value, other: Any) -> bool:
        y = _SLOT.__get__(other, Value) if isinstance(other, Value) else float(other)
        outcome = compare(_SLOT.__get__(self, Value), y)
        recorder = _recorder.get()
        if recorder is not None:
            recorder.saw(self, test, other, outcome)
        return outcome

    return method


def _bool(self: Value) -> bool:
    outcome = bool(_SLOT.__get__(self, Value))
    recorder = _recorder.get()
    if recorder is not None:
        recorder.saw(self, "bool", None, outcome)
    return outcome


def _number_use(name: str) -> Callable[..., Any]:
    """`Value.<name>` (float, round, format), also guarding the number when traced."""
    original = getattr(Value, name)

    def method(self: Value, *args: Any) -> Any:
        result = original(self, *args)
        recorder = _recorder.get()
        if recorder is not None and (name != "__format__" or args[0]):
            recorder.saw(self, "same", None, _SLOT.__get__(self, Value))
        return result

    return method


_WATCHING: dict[str, Any] = {
    "data": property(_read, _write),
    "__lt__": _comparison("<", lambda x, y: x < y),
    "__le__": _comparison("<=", lambda x, y: x <= y),
    "__gt__": _comparison(">", lambda x, y: x > y),
    "__ge__": _comparison(">=", lambda x, y: x >= y),
    "__bool__": _bool,
    "__float__": _number_use("__float__"),
    "__round__": _number_use("__round__"),
    "__format__": _number_use("__format__"),
}
"""While any trace runs, these replace Value's own: the same answers, and the recorder of the
current context (thread, task) hears of each decision. Value itself stays untouched otherwise,
so the engine's hot path pays nothing for tracing."""
_PLAIN = {name: Value.__dict__[name] for name in _WATCHING}
_watchers = 0
_watch_lock = threading.Lock()


@contextlib.contextmanager
def _watching(recorder: _Recorder) -> Iterator[None]:
    """Within: Values report decisions on their data to `recorder` (this context only)."""
    global _watchers
    with _watch_lock:
        if _watchers == 0:
            for name, method in _WATCHING.items():
                setattr(Value, name, method)
        _watchers += 1
    token = _recorder.set(recorder)
    try:
        yield
    finally:
        _recorder.reset(token)
        with _watch_lock:
            _watchers -= 1
            if _watchers == 0:
                for name, method in _PLAIN.items():
                    setattr(Value, name, method)


class _Trace:
    """One call of `f` on Values: its arguments, its output, what it made and decided."""

    def __init__(self, f: Callable[..., Value], point: Sequence[float]) -> None:
        self.inputs = [Value(x, label=f"a{i}") for i, x in enumerate(point)]
        recorder = _Recorder()
        with _watching(recorder), recording():
            output = f(*self.inputs)
        self.output = _checked_output(f, output)
        if recorder.unrecorded:
            raise TypeError(
                f"compile: {getattr(f, '__name__', f)!r} computes on its arguments inside "
                "no_grad(); compiled code cannot replay a computation the graph does not record"
            )
        self.made = recorder.made
        self.guards = recorder.guards


# ---------------------------------------------------------------- code generation


class _Compiled:
    """One trace's generated code: float code at once, NumPy code per batch layout on demand."""

    def __init__(self, name: str, trace: _Trace) -> None:
        self.name = name
        self.program = _Program(trace)
        self.source, self.run = self.program.build(self, None)
        self._batched: dict[tuple[bool, ...], Callable[..., Any]] = {}

    def batched(self, layout: tuple[bool, ...]) -> Callable[..., Any]:
        """The code for a batch whose array arguments are where `layout` is True."""
        run = self._batched.get(layout)
        if run is None:
            run = self._batched[layout] = self.program.build(self, layout)[1]
        return run


class _Node:
    """A traced Value as the code generator sees it: its number and how it was computed.

    `rule` and `inputs` (nodes and constant floats) for an operation; neither for an argument
    or a Value from outside, which `outside` then holds. Not a Value, so that the compiled
    function keeps no graph alive.
    """

    __slots__ = ("inputs", "made", "n", "outside", "rule")

    def __init__(
        self,
        n: int,
        rule: Rule | None = None,
        inputs: tuple[_Node | float, ...] = (),
        made: int = -1,
        outside: Value | None = None,
    ) -> None:
        self.n, self.rule, self.inputs, self.made, self.outside = n, rule, inputs, made, outside


class _Program:
    """The traced graph laid out for code: numbers, order, what needs a gradient.

    Node n's value is `a{n}` for an argument, `v{n}` for an operation or a Value read from
    outside, a literal for a constant; its gradient is `g{n}`. Operations are written in the
    order `f` made them, so guards sit where `f` decided and no operation runs before a guard
    that `f` checked first.
    """

    def __init__(self, trace: _Trace) -> None:
        self.inputs = [_Node(i) for i in range(len(trace.inputs))]
        self.outside: list[_Node] = []  # read through `.data` on every call
        nodes: dict[Value, _Node] = dict(zip(trace.inputs, self.inputs))

        def node(x: Value | float) -> _Node | float:
            if not isinstance(x, Value):
                return x
            known = nodes.get(x)
            if known is not None:
                return known
            if x in trace.made:  # a constant made by f
                return x.data
            nodes[x] = new = _Node(len(nodes), outside=x)
            self.outside.append(new)
            return new

        self.ops: list[_Node] = []
        for value, made in trace.made.items():
            if value.rule is not None:
                inputs = tuple(map(node, operands(value)))
                nodes[value] = op = _Node(len(nodes), value.rule, inputs, made)
                self.ops.append(op)
        self.output = node(trace.output)
        self.guards = [
            _Guard(
                g.made, node(g.node), g.test, None if g.other is None else node(g.other), g.outcome
            )
            for g in trace.guards
        ]
        self.depends = set(self.inputs)  # the nodes whose gradient matters: they reach an argument
        for op in self.ops:
            if any(x in self.depends for x in op.inputs if isinstance(x, _Node)):
                self.depends.add(op)
        # The reverse pass visits the operations in the order `backward()` does, so that each
        # gradient adds its shares in the same order and the compiled numbers are the engine's
        # to the last bit, even where shares cancel.
        ops = set(self.ops)
        self.backward_order = [
            nodes[v]
            for v in (
                reversed(interior_order(trace.output)) if isinstance(trace.output, Value) else ()
            )
            if nodes.get(v) in ops
        ]

    def build(self, owner: _Compiled, layout: tuple[bool, ...] | None) -> tuple[str, Any]:
        """Source and function: over floats (`layout` None) or a batch of that layout."""
        writer = _Writer(self, layout)
        source = writer.source()
        filename = f"<autograd_lite.compile {owner.name} #{next(_serial)}>"
        code = builtins.compile(source, filename, "exec")  # our generated code, not user text
        exec(code, writer.namespace)  # defines the generated function in its own namespace
        run = writer.namespace.pop("compiled")  # else its globals would hold it: a cycle
        _show_in_tracebacks(owner, filename, source)
        return source, run


class _Writer:
    """Writes one program as Python: float code, or NumPy code for one batch layout."""

    def __init__(self, program: _Program, layout: tuple[bool, ...] | None) -> None:
        self.program = program
        self.layout = layout
        self.namespace: dict[str, Any] = {}
        self.functions: dict[tuple[Rule, bool, int], int] = {}
        self.names: dict[_Node, str] = {leaf: f"a{leaf.n}" for leaf in program.inputs}
        for node in program.outside:
            self.names[node] = f"v{node.n}"
        # in a batch, the nodes an array argument reaches hold arrays; the others stay floats
        self.batched: set[_Node] = set()
        if layout is not None:
            self.batched = {leaf for leaf, b in zip(program.inputs, layout) if b}
            for node in program.ops:
                if any(x in self.batched for x in node.inputs if isinstance(x, _Node)):
                    self.batched.add(node)
            self.np = _numpy()
        self.layers = self.find_layers() if layout is not None else {}

    def spell(self, x: _Node | float) -> str:
        """How the code spells an operand: its variable, or a literal for a constant."""
        if isinstance(x, _Node):
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
            forward, partials = _array_rule(self.np, rule, nargs) if batched else _float_rule(rule)
            self.namespace[f"f{k}"] = forward
            for j, partial in enumerate(partials):
                self.namespace[f"p{k}_{j}" if rule.arity is not None else f"p{k}"] = partial
        prefix = f"f{k}" if which < 0 else f"p{k}_{which}" if rule.arity is not None else f"p{k}"
        return prefix

    def source(self) -> str:
        program = self.program
        batch = self.layout is not None
        lines = []
        for node in program.outside:  # a Value f did not make: read afresh on every call
            self.namespace[f"o{node.n}"] = node.outside
            lines.append(f"v{node.n} = o{node.n}.data")
        guards = iter(program.guards)
        guard = next(guards, None)
        spelled: dict[_Node, list[str]] = {}
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
            forward = self.function(rule, -1, len(inputs), node in self.batched)
            self.names[node] = f"v{n}"
            lines.append(f"v{n} = {forward}({', '.join(inputs)})")
        while guard is not None:
            lines += self.check(guard)
            guard = next(guards, None)
        lines += self.reverse(spelled)
        output = self.spell(program.output)
        grads = "".join(
            f"g{i}, " if f"g{i}" in self.started else "0.0, " for i in range(len(program.inputs))
        )
        if batch:
            lines.append(f"return {output}, ({grads})")
        else:
            lines.append(f"return float({output}), ({grads})")
        params = ", ".join(["_n"] * batch + [f"a{i}" for i in range(len(program.inputs))])
        return f"def compiled({params}):\n" + "".join(f"    {line}\n" for line in lines)

    def check(self, guard: _Guard) -> list[str]:
        """The lines that leave the code when `guard` fails (None, or a batch's mask)."""
        if not isinstance(guard.node, _Node):  # a constant: nothing to check
            return []
        x = self.names[guard.node]
        batch = self.layout is not None
        if guard.test == "same":
            helper = "_same_b" if batch else "_same"
            self.namespace[helper] = _same_array if batch else _same
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

    def reverse(self, spelled: dict[_Node, list[str]]) -> list[str]:
        """The reverse pass: from the output back, each parent that leads to an argument gets
        the node's gradient times the rule's partial toward it; the first share assigns, later
        ones add. Constants, and nodes no argument reaches, get no gradient."""
        program = self.program
        self.started: set[str] = set()
        lines: list[str] = []
        output = program.output
        if not isinstance(output, _Node) or output not in program.depends:
            return lines
        seed = "1.0" if self.layout is None or output in self.batched else "float(_n)"
        lines.append(f"g{output.n} = {seed}")
        self.started.add(f"g{output.n}")
        last_of_layer = {
            id(self.layers[node]): node for node in program.backward_order if node in self.layers
        }
        for node in program.backward_order:
            n = node.n
            rule = node.rule
            layer = self.layers.get(node)
            if layer is not None:
                if last_of_layer[id(layer)] is node:  # every member's consumers are done
                    lines += self.layer_reverse(layer, spelled)
                continue
            if node not in program.depends or f"g{n}" not in self.started or rule is None:
                continue
            batched = node in self.batched
            inputs = node.inputs
            arguments = ", ".join([*spelled[node], f"v{n}"])
            locals_ = self.locals(node, rule, spelled[node], arguments, batched, lines)
            for j, parent in enumerate(inputs):
                if not isinstance(parent, _Node) or parent not in program.depends:
                    continue
                local = locals_(j)
                target = f"g{parent.n}"
                if self.layout is not None and rule in rules.FLAT_BRANCHES:
                    # arrays keep no FLAT: where its zeros are, the share is 0 (inf * 0 is nan)
                    self.namespace["_flat_times"] = _flat_times
                    g, local = f"_flat_times(g{n}, {local})", "1.0"
                else:
                    g = f"g{n}"
                if batched and parent not in self.batched:  # a number argument: batch sum
                    self.namespace["_total"] = _total
                    share = f"_total({g}, {local}, _n)"
                else:
                    share = f"{g} * {local}"
                operator = "+=" if target in self.started else "="
                lines.append(f"{target} {operator} {share}")
                self.started.add(target)
        return lines

    def find_layers(self) -> dict[_Node, list[_Node]]:
        """Weighted sums (`dot` nodes) that share their array inputs: a layer of neurons.

        Each pair w_i * x_i of such a node has one side a per-sample array (the same Value,
        at the same place, in every node of the layer) and the other a number, or both sides
        numbers. A layer of two or more is computed by one matrix product, where `f` made its
        first node; a node whose numbers are computed after that stays on its own.
        """
        candidates: dict[tuple[Any, ...], list[_Node]] = {}
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
        layers: dict[_Node, list[_Node]] = {}
        for members in candidates.values():
            start = members[0].made
            layer = [
                node
                for node in members
                if all(not isinstance(y, _Node) or y.made < start for y in node.inputs)
            ]
            if len(layer) >= 2:
                layers.update(dict.fromkeys(layer, layer))
        return layers

    def layer_forward(self, layer: list[_Node], spelled: dict[_Node, list[str]]) -> list[str]:
        """One `_Layer` for the whole layer; each node's value is a row of its product."""
        first = layer[0].n
        self.namespace["_Layer"] = _Layer
        for node in layer:
            spelled.setdefault(node, [self.spell(x) for x in node.inputs])
        members = "".join(f"({', '.join(spelled[node])},), " for node in layer)
        lines = [f"L{first} = _Layer(_n, ({members}))"]
        for row, node in enumerate(layer):
            self.names[node] = f"v{node.n}"
            lines.append(f"v{node.n} = L{first}.values[{row}]")
        return lines

    def layer_reverse(self, layer: list[_Node], spelled: dict[_Node, list[str]]) -> list[str]:
        """The layer's reverse pass: two matrix products, then each input takes its share."""
        program = self.program
        first = layer[0].n
        grads = [f"g{node.n}" if f"g{node.n}" in self.started else "0.0" for node in layer]
        if all(g == "0.0" for g in grads):
            return []
        lines = [f"K{first}, J{first} = L{first}.reverse(({', '.join(grads)},))"]
        shares: list[tuple[_Node | float, str]] = []
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
                elif grads[row] != "0.0":
                    self.namespace["_total"] = _total
                    for y, other in ((w, spelled[node][i + half]), (x, spelled[node][i])):
                        shares.append((y, f"_total({grads[row]}, {other}, _n)"))
        for y, share in shares:
            if isinstance(y, _Node) and y in program.depends:
                target = f"g{y.n}"
                lines.append(f"{target} {'+=' if target in self.started else '='} {share}")
                self.started.add(target)
        return lines

    def is_array(self, x: _Node | float) -> bool:
        """Whether the code holds `x` as an array (an array argument reaches it)."""
        return isinstance(x, _Node) and x in self.batched

    def locals(
        self,
        node: _Node,
        rule: Rule,
        inputs: list[str],
        arguments: str,
        batched: bool,
        lines: list[str],
    ) -> Callable[[int], str]:
        """How the code spells the local derivative toward input j of `node`."""
        n = node.n
        if batched and rule is rules.sum_rule:
            return lambda j: "1.0"
        if batched and rule is rules.dot_rule:
            half = len(inputs) // 2
            return lambda j: inputs[j + half] if j < half else inputs[j - half]
        if rule.arity is None:  # one call gives them all
            lines.append(f"t{n} = {self.function(rule, 0, len(inputs), batched)}({arguments})")
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


# ---------------------------------------------------------------- rules on arrays


def _numpy() -> Any:
    """NumPy, or an ImportError saying how to get it."""
    try:
        import numpy
    except ImportError:  # pragma: no cover - exercised by a test that hides numpy
        raise ImportError(
            "compile: calls with arrays need NumPy: pip install numpy (the fast extra)"
        ) from None
    return numpy


def _same_array(x: Any, seen: float) -> Any:
    np = _numpy()
    if seen != seen:
        return np.isnan(x)
    return (x == seen) & (np.signbit(x) == (math.copysign(1.0, seen) < 0))


def _flat_times(g: Any, local: Any) -> Any:
    """g * local, but 0 where local is 0: a flat branch's zero stops any adjoint, inf included."""
    np = _numpy()
    return np.where(np.equal(local, 0.0), 0.0, np.multiply(g, local))


def _total(g: Any, local: Any, n: int) -> float:
    """The sum over a batch of g * local, either of them an array or the same for all."""
    np = _numpy()
    if np.ndim(g) and np.ndim(local):
        return float(np.dot(g, local))
    if np.ndim(g) or np.ndim(local):
        return float(np.sum(np.multiply(g, local)))
    return float(g * local * n)


_ROUNDING = 2.3e-16
"""Twice the unit roundoff: a sum of k terms formed in two orders differs by at most about
k * _ROUNDING * (the sum of their magnitudes)."""


def _settle(z: Any, sizes: Any, count: int, exact: Callable[[tuple[int, ...]], float]) -> Any:
    """`z`, sums of `count` terms formed by NumPy, with the entries where the order of
    summation could matter computed again by the rule's float function (`exact(index)`): those
    within rounding of 0, where a kink would see the sign, and those not finite. `sizes` are
    the sums of the terms' magnitudes; where they are 0, every order gives exactly 0.
    """
    np = _numpy()
    bound = sizes * ((count + 2) * _ROUNDING)
    suspect = np.abs(z) <= bound
    if suspect.any() or not math.isfinite(z.sum()):
        suspect &= bound > 0
        suspect |= ~np.isfinite(z)
        z = np.array(z, dtype=float)
        for index in zip(*np.nonzero(suspect)):
            z[index] = exact(index)
    return z


def _entry(args: Sequence[Any], k: int) -> list[float]:
    """Entry `k` of each argument (arrays) or the argument itself (numbers), as floats."""
    return [float(a[k]) if _numpy().ndim(a) else float(a) for a in args]


def _sum_arrays(*xs: Any) -> Any:
    """The rule `sum` over arrays, its edges exactly the rule's."""
    np = _numpy()
    z = builtins.sum(xs, 0.0)
    sizes = builtins.sum(map(np.abs, xs), 0.0)
    return _settle(z, sizes, len(xs), lambda k: rules.sum_rule.forward(list(_entry(xs, k[0]))))


def _dot_arrays(*ws_then_xs: Any) -> Any:
    """The rule `dot` over arrays, its edges exactly the rule's."""
    np = _numpy()
    half = len(ws_then_xs) // 2
    terms = [w * x for w, x in zip(ws_then_xs[:half], ws_then_xs[half:])]
    z = builtins.sum(terms, 0.0)
    sizes = builtins.sum(map(np.abs, terms), 0.0)
    exact = rules.dot_rule.forward
    return _settle(z, sizes, half, lambda k: exact(list(_entry(ws_then_xs, k[0]))))


class _Layer:
    """Weighted sums that share their per-sample inputs, as one matrix product and its reverse.

    `members` holds each sum's `dot` operands (the w's, then the x's) as the generated code has
    them: arrays for the per-sample inputs, floats for the rest. In each pair one side is an
    array (the same in every member) or neither is.
    """

    def __init__(self, n: int, members: Sequence[Sequence[Any]]) -> None:
        np = _numpy()
        ndim = np.ndim
        half = len(members[0]) // 2
        rows: list[Any] = []
        coefficients: list[list[float]] = [[] for _ in members]
        rest = [0.0] * len(members)  # the pairs of two numbers, per member
        size = [0.0] * len(members)
        for i in range(half):
            w, x = members[0][i], members[0][i + half]
            side = 0 if ndim(w) else 1 if ndim(x) else -1
            if side >= 0:
                rows.append(members[0][i + half * side])
            for m, operands_ in enumerate(members):
                if side < 0:
                    term = operands_[i] * operands_[i + half]
                    rest[m] += term
                    size[m] += abs(term)
                else:
                    coefficients[m].append(operands_[i + half * (1 - side)])
        self.inputs = np.array(rows)
        self.weights = np.array(coefficients)
        z = self.weights @ self.inputs
        z += np.array(rest)[:, None]
        sizes = np.abs(self.weights) @ np.abs(self.inputs)
        sizes += np.array(size)[:, None]
        exact = rules.dot_rule.forward
        self.values = _settle(z, sizes, half, lambda mk: exact(list(_entry(members[mk[0]], mk[1]))))
        self.n = n

    def reverse(self, grads: Sequence[Any]) -> tuple[list[list[float]], Any]:
        """The batch sums of d/d(weight) per member, and d/d(input) per sample for each input."""
        np = _numpy()
        g = np.array([np.broadcast_to(x, (self.n,)) for x in grads])
        return (g @ self.inputs.T).tolist(), self.weights.T @ g


def _exactly(np: Any, fast: Callable[..., Any], exact: Callable[..., Any]) -> Callable[..., Any]:
    """`fast` on arrays, its entries that are inf or nan computed again by the float `exact`.

    NumPy answers a domain error with nan or inf where the rule raises; and at the edges its
    functions may pick another branch. Going back to the rule there keeps every error and
    every special value the rule's own.
    """

    def run(*args: Any) -> Any:
        out = fast(*args)
        if math.isfinite(np.sum(out)):
            return out
        if np.ndim(out) == 0:
            return exact(*map(float, args))
        out = np.array(out, dtype=float)
        for k in np.flatnonzero(~np.isfinite(out)):
            out[k] = exact(*[float(a[k]) if np.ndim(a) else float(a) for a in args])
        return out

    return run


def _entrywise(np: Any, fn: Callable[..., Any], nin: int, nout: int = 0) -> Callable[..., Any]:
    """`fn`, a rule's float function, applied to every entry: right for any rule.

    With `nout`, `fn` returns that many numbers at once (an n-ary rule's partials).
    """
    if nout == 0:
        ufunc = np.frompyfunc(fn, nin, 1)
    elif nout == 1:
        ufunc = np.frompyfunc(lambda *xs: fn(*xs)[0], nin, 1)
    else:
        ufunc = np.frompyfunc(lambda *xs: tuple(fn(*xs)), nin, nout)

    def as_floats(out: Any) -> Any:
        return out.astype(float) if isinstance(out, np.ndarray) else float(out)

    def run(*args: Any) -> Any:
        out = ufunc(*args)
        if nout == 0:
            return as_floats(out)
        return tuple(map(as_floats, out if nout > 1 else (out,)))

    return run


_FAST: dict[Rule, tuple[Callable[..., Any], tuple[Callable[..., Any], ...]]] = {}


def _fast_rules(np: Any) -> dict[Rule, tuple[Callable[..., Any], tuple[Callable[..., Any], ...]]]:
    """NumPy forms of the common rules, written to match the table's branches (kinks, nan).

    Where a rule's partial is plain arithmetic it serves arrays as it is; the others are
    spelled here with `np.where` taking the same side as the rule's `if`.
    """
    where, inf = np.where, math.inf

    def sigmoid(x: Any) -> Any:
        e = np.exp(-np.abs(x))
        return where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def pow_d_base(x: Any, y: Any, out: Any) -> Any:
        edge = (x == 0) & (y < 1)
        return where(edge, where(y == 0, 0.0, inf), y * np.power(x, y - 1))

    def pow_d_exponent(x: Any, y: Any, out: Any) -> Any:
        # nan where the rule has no derivative (x < 0): such entries are the rule's to compute
        at_zero = where((x == 0) & (y >= 0), 0.0, math.nan)
        return where(x > 0, out * np.log(np.where(x > 0, x, 1.0)), at_zero)

    return {
        rules.add: (np.add, rules.add.partials),
        rules.sub: (np.subtract, rules.sub.partials),
        rules.mul: (np.multiply, rules.mul.partials),
        rules.div: (np.divide, rules.div.partials),
        rules.neg: (np.negative, rules.neg.partials),
        rules.pow_rule: (
            np.power,
            (pow_d_base, pow_d_exponent),
        ),
        rules.exp: (np.exp, rules.exp.partials),
        rules.log: (np.log, rules.log.partials),
        rules.sqrt: (np.sqrt, (lambda x, out: where(out != 0, 0.5 / out, inf),)),
        rules.tanh: (np.tanh, rules.tanh.partials),
        rules.sigmoid: (sigmoid, rules.sigmoid.partials),
        rules.relu: (  # nan passes: relu(nan) = nan, relu'(nan) = 1
            lambda x: where(x <= 0, 0.0, x),
            (lambda x, out: where(x <= 0, 0.0, 1.0),),
        ),
        rules.abs_rule: (
            np.fabs,
            (lambda x, out: where(x > 0, 1.0, where(x < 0, -1.0, where(x == 0, 0.0, math.nan))),),
        ),
        rules.sin: (np.sin, (lambda x, out: np.cos(x),)),
        rules.cos: (np.cos, (lambda x, out: -np.sin(x),)),
    }


def _float_rule(rule: Rule) -> tuple[Callable[..., Any], tuple[Callable[..., Any], ...]]:
    """`rule`'s forward and partials as the generated code calls them, inputs as arguments.

    An n-ary rule takes its inputs as one list; the code passes them one by one.
    """
    if rule.arity is not None:
        return rule.forward, rule.partials
    forward, partial = rule.forward, rule.partials[0]
    return (lambda *xs: forward(xs)), (
        lambda *xs_and_out: partial(xs_and_out[:-1], xs_and_out[-1]),
    )


def _array_rule(
    np: Any, rule: Rule, nargs: int
) -> tuple[Callable[..., Any], tuple[Callable[..., Any], ...]]:
    """`rule`'s forward and partials over arrays: NumPy's where known, else entry by entry."""
    if rule is rules.sum_rule:
        return _sum_arrays, rule.partials
    if rule is rules.dot_rule:
        return _dot_arrays, rule.partials
    if not _FAST:
        _FAST.update(_fast_rules(np))
    fast = _FAST.get(rule)
    if fast is not None:
        forward, partials = fast
        return _exactly(np, forward, rule.forward), tuple(
            _exactly(np, mine, theirs) for mine, theirs in zip(partials, rule.partials)
        )
    if rule.arity is None:
        forward, (partial,) = _float_rule(rule)
        return _entrywise(np, forward, nargs), (_entrywise(np, partial, nargs + 1, nargs),)
    return _entrywise(np, rule.forward, nargs), tuple(
        _entrywise(np, partial, nargs + 1) for partial in rule.partials
    )
