"""One call of `f` on Values, watched, and laid out as a program that a back end can write.

This is the interface every back end of a traced function reads (the code generator over
floats and NumPy arrays is one; a back end for another array library is another):

    trace = Trace(f, point)      # f called once on Values holding the floats `point`
    program = Program(trace)     # what it made, as Nodes in the order f made them

A `Program` holds no Value of the trace, except the ones `f` read from outside:

- `inputs`: one `Node` per argument, `inputs[i].n == i`;
- `outside`: the Values `f` used but did not make (a weight it closes over), each a Node
  whose `outside` is the Value: read its `.data` again on every call;
- `ops`: the operations in the order `f` made them, each a Node with its `rule` (from the
  rules table) and `inputs` (Nodes, or floats for constants), in the rule's operand order;
- `output`: a Node, or a float when `f` returned a constant;
- `guards`: the decisions `f` took on data, each to be checked once the first `made`
  operations are computed (see `Guard`); a call that fails one must be traced again;
- `wrt`: with `Program(trace, wrt=values)`, a Node per Value of `wrt`, which `f` read from
  outside (or a float, for one that `f` made); gradients are wanted toward them too;
- `depends`: the Nodes an argument or a Node of `wrt` reaches (only they need a gradient);
- `backward_order`: the operations in the order `Value.backward()` visits them, so that a
  reverse pass adds each gradient's shares in the engine's order.

How the tracer tells the engine from the user. While a trace runs, `Value.data` becomes a
property and the number protocol (comparisons, `bool`, `float`, `round`, `format`) reports
to this context's recorder. The engine reads its operands through `Value._data`, the same
slot under another name, which is never watched: so every read of `.data` the tracer hears
is the user's (or a rule's decision), and it guards the number. The engine makes a Value by
writing the `data` slot of a new object; writing it on a Value that already holds a number is
the user's assignment, which compiled code could not replay, and is refused. A rule's
partial decides its branch by comparing its inputs (`x < y`), so a derivative taken inside
`f` with `create_graph=True` is guarded by the outcome of that comparison, not the number.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from autograd_lite import value as engine
from autograd_lite.rule import Rule, as_float
from autograd_lite.value import Value, interior_order, operands, recording


class Guard(NamedTuple):
    """A decision `f` took on a Value's data while traced: `test` gave `outcome`.

    `test` is a comparison (`"<"`, `"<="`, `">"`, `">="`) with `other` (a Value or a float),
    `"bool"`, or `"same"` (the number itself was used: the guard holds while it is the same,
    with the sign of a zero, nan for nan). `made` counts the Values made before it: a program
    checks it where `f` took it. In a `Program`, `node` and `other` are Nodes or floats.
    """

    made: int
    node: Any
    test: str
    other: Any
    outcome: bool | float


class _Recorder:
    """What one trace saw: every Value made, in order, and every decision on data."""

    def __init__(self) -> None:
        self.made: dict[Value, int] = {}
        self.guards: list[Guard] = []
        self.unrecorded = False

    def saw(self, node: Value, test: str, other: Any, outcome: bool | float) -> None:
        if not isinstance(other, Value) and other is not None:
            other = as_float(other)
        self.guards.append(Guard(len(self.made), node, test, other, outcome))


_recorder: contextvars.ContextVar[_Recorder | None] = contextvars.ContextVar(
    "compile_recorder", default=None
)
_SLOT = Value.__dict__["data"]  # the slot behind `.data` (and behind the engine's `._data`)


def _read(self: Value) -> float:
    data: float = _SLOT.__get__(self, Value)
    recorder = _recorder.get()
    if recorder is not None:
        recorder.saw(self, "same", None, data)
    return data


def _write(self: Value, data: float) -> None:
    recorder = _recorder.get()
    if recorder is not None:
        try:
            _SLOT.__get__(self, Value)
        except AttributeError:  # a new Value: the engine (or Value()) is making it
            recorder.made.setdefault(self, len(recorder.made))
            if not engine._is_recording():
                recorder.unrecorded = True
        else:
            raise TypeError(
                f"compile: the function assigns .data of {self!r} while it is traced; "
                "compiled code cannot replay an assignment (compute a new Value instead)"
            )
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


def checked_output(f: Callable[..., Any], output: Any) -> Value:
    """`output` when it is a Value, else a TypeError naming `f` and what it returned."""
    if not isinstance(output, Value):
        raise TypeError(
            f"compile: {getattr(f, '__name__', f)!r} must return a Value, "
            f"got {type(output).__name__} {output!r}"
        )
    return output


class Trace:
    """One call of `f` on Values: its arguments, its output, what it made and decided.

    `inputs` are the argument Values (labelled `a0`, `a1`, ...), `output` the Value `f`
    returned, `made` every Value made during the call with its position, and `guards` the
    decisions taken on data (see `Guard`). TypeError when `f` returns no Value, assigns
    `.data`, or computes inside `no_grad()`.
    """

    def __init__(self, f: Callable[..., Value], point: Sequence[float]) -> None:
        self.inputs = [Value(x, label=f"a{i}") for i, x in enumerate(point)]
        recorder = _Recorder()
        with _watching(recorder), recording():
            output = f(*self.inputs)
        self.output = checked_output(f, output)
        if recorder.unrecorded:
            raise TypeError(
                f"compile: {getattr(f, '__name__', f)!r} makes Values inside no_grad(); "
                "compiled code cannot replay a computation the graph does not record"
            )
        self.made = recorder.made
        self.guards = recorder.guards


class Node:
    """A traced Value as a back end sees it: its number `n` and how it was computed.

    `rule` and `inputs` (Nodes and constant floats) for an operation, with `made` its
    position among the Values `f` made; neither for an argument or a Value from outside,
    which `outside` then holds. Not a Value, so that a program keeps no graph alive.
    """

    __slots__ = ("inputs", "made", "n", "outside", "rule")

    def __init__(
        self,
        n: int,
        rule: Rule | None = None,
        inputs: tuple[Node | float, ...] = (),
        made: int = -1,
        outside: Value | None = None,
    ) -> None:
        self.n, self.rule, self.inputs, self.made, self.outside = n, rule, inputs, made, outside

    def __repr__(self) -> str:
        what = self.rule.name if self.rule is not None else "outside" if self.outside else "arg"
        return f"<node {self.n} {what}>"


class Program:
    """A trace laid out for a back end: numbered Nodes, their order, what needs a gradient.

    Operations are listed in the order `f` made them, so that guards sit where `f` decided
    and no operation runs before a guard that `f` checked first.
    """

    def __init__(self, trace: Trace, wrt: Sequence[Value] | None = None) -> None:
        self.inputs = [Node(i) for i in range(len(trace.inputs))]
        self.outside: list[Node] = []
        nodes: dict[Value, Node] = dict(zip(trace.inputs, self.inputs))

        def node(x: Value | float) -> Node | float:
            if not isinstance(x, Value):
                return x
            known = nodes.get(x)
            if known is not None:
                return known
            if x in trace.made:  # a constant made by f
                return x.data
            nodes[x] = new = Node(len(nodes), outside=x)
            self.outside.append(new)
            return new

        self.ops: list[Node] = []
        for value, made in trace.made.items():
            if value.rule is not None:
                inputs = tuple(map(node, operands(value)))
                nodes[value] = op = Node(len(nodes), value.rule, inputs, made)
                self.ops.append(op)
        self.output = node(trace.output)
        self.guards = [
            Guard(
                g.made, node(g.node), g.test, None if g.other is None else node(g.other), g.outcome
            )
            for g in trace.guards
        ]
        self.wrt = None if wrt is None else [node(p) for p in wrt]
        self.depends: set[Node] = set(self.inputs)
        self.depends.update(x for x in self.wrt or () if isinstance(x, Node))
        for op in self.ops:
            if any(x in self.depends for x in op.inputs if isinstance(x, Node)):
                self.depends.add(op)
        # The reverse pass visits the operations in the order `backward()` does, so that each
        # gradient adds its shares in the same order and a compiled result is the engine's
        # to the last bit, even where shares cancel.
        ops = set(self.ops)
        self.backward_order = [
            nodes[v] for v in reversed(interior_order(trace.output)) if nodes.get(v) in ops
        ]
