"""The scalar `Value`, the graph it records, and the reverse pass over that graph.

A Value made by an operation keeps its rule and, per input, the parent Value and the local
derivative of its data toward that parent: a plain float computed in the forward pass. The
reverse pass multiplies those along every path: the chain rule, one node at a time.

Node layout. Most nodes have one or two inputs, so those live in four slots, two pairs
`(_a, _da)` and `(_b, _db)`, rather than in tuples: a tuple per node is one more object for the
cyclic garbage collector to scan again and again while a graph is alive. Each pair is either a
parent Value with the local derivative toward it, or `None` with the plain number that was that
operand: `x * 3.0` records one parent, `(x, 3.0)` and `(None, 3.0)`, and `3.0 - x` records
`(None, 3.0)` and `(x, -1.0)`, so a constant costs no node and no derivative toward it is ever
computed, yet pictures, `explain` and the Value pass still see it. A one-input node has
`(None, None)` as its second pair. Nodes with more inputs (`sum`, `dot`, rules of three
arguments) have `_a = _b = None` and keep their parents and local derivatives as two sequences
in `_da` and `_db`; a number among their operands becomes a constant leaf.

The graph holds no reference cycles (a node points only at its parents, never at itself or
its consumers), so a graph is freed by reference counting the moment its root is dropped.
Every walk over it is a loop, never recursion. Reading any attribute changes nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import math
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import Any, Protocol, TypeAlias, overload

from autograd_lite import rules
from autograd_lite.rule import (
    Constant,
    Rule,
    as_float,
    differentiating,
    is_number,
    not_a_number,
)

Number = int | float


class Watcher(Protocol):
    """What `detect_anomaly()` puts in place of `True` while operations record: it sees each new
    node and each reverse pass first. The builders test `recording is not True` where they
    tested `not recording`, so without a watcher nothing is checked and nothing slows."""

    def made(self, node: Value) -> Value:
        """`node`, just recorded, or an error about it."""
        ...

    def backward(self, root: Value, seed: float) -> None:
        """Called before `root.backward(seed)` runs; may raise."""
        ...


_recording: contextvars.ContextVar[bool | Watcher] = contextvars.ContextVar(
    "recording", default=True
)
"""True: operations record; False: they do not (`no_grad`); a Watcher: they record, watched."""
_is_recording = _recording.get


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Within this block, new Values record no parents (inference, optimizer updates).

    Kept in a context variable, so it is per thread and per asyncio task.
    """
    token = _recording.set(False)
    try:
        yield
    finally:
        _recording.reset(token)


@contextlib.contextmanager
def recording() -> Iterator[None]:
    """Within this block, operations record even inside `no_grad()` (tracing, higher order)."""
    token = _recording.set(_is_recording() or True)  # a watcher stays
    try:
        yield
    finally:
        _recording.reset(token)


@contextlib.contextmanager
def watching(watcher: Watcher) -> Iterator[None]:
    """Within this block, operations record and `watcher` sees each new node and reverse pass."""
    token = _recording.set(watcher)
    try:
        yield
    finally:
        _recording.reset(token)


def _watched(watcher: Watcher, build: Builder, *args: Any) -> Value:
    """`build(*args)` recorded as usual, then shown to `watcher`: the builders' path under a
    watcher, kept off their hot path (the value is computed once more, the node once)."""
    token = _recording.set(True)
    try:
        node = build(*args)
    finally:
        _recording.reset(token)
    return watcher.made(node)


# ---------------------------------------------------------------- building nodes
# Operators and methods are closures made once per rule: the closure holds the rule's
# `forward` and `partials`, so the hot path is one Python call plus the rule's own functions,
# and the value and local derivatives still come from the table, the only copy of each formula.

_new = object.__new__
Builder = Callable[..., "Value"]


def _node(data: float, rule: Rule | None, a: Any, da: Any, b: Any, db: Any) -> Value:
    """A new Value with every slot given (no checks)."""
    node = _new(Value)
    node.data = data
    node.grad = 0.0
    node.label = ""
    node._rule = rule
    node._a = a
    node._da = da
    node._b = b
    node._db = db
    return node


def constant(data: float) -> Value:
    """A new leaf holding the float `data`, unchecked."""
    return _node(data, None, None, None, None, None)


def _unary_method(rule: Rule) -> Callable[[Value], Value]:
    """The function `a -> rule(a)` for a Value `a`: a method of Value."""
    forward = rule.forward
    (partial,) = rule.partials
    fixed = partial.value if isinstance(partial, Constant) else None

    def build(a: Value) -> Value:
        x = a._data
        out = forward(x)
        recording = _is_recording()
        if recording is not True:
            return _watched(recording, build, a) if recording else constant(out)
        node = _new(Value)  # slots filled here, not by _node(): one call fewer per operation
        node.data = out
        node.grad = 0.0
        node.label = ""
        node._rule = rule
        node._a = a
        node._da = partial(x, out) if fixed is None else fixed
        node._b = node._db = None
        return node

    build.__name__ = build.__qualname__ = rule.name
    build.__doc__ = rule.__doc__
    return build


def _binary_method(rule: Rule) -> Callable[[Value, Operand], Value]:
    """The function `(a, b) -> rule(a, b)`, one of them a Value: an operator of Value.

    NotImplemented for an operand that is not a number, as Python's operator protocol asks.
    """
    forward = rule.forward
    d0, d1 = rule.partials
    fixed0 = d0.value if isinstance(d0, Constant) else None
    fixed1 = d1.value if isinstance(d1, Constant) else None

    def build(a: Any, b: Any) -> Value:
        if type(a) is Value:
            x = a._data
            if type(b) is Value:
                y = b._data
                out = forward(x, y)
                recording = _is_recording()
                if recording is not True:
                    return _watched(recording, build, a, b) if recording else constant(out)
                da = d0(x, y, out) if fixed0 is None else fixed0
                db = d1(x, y, out) if fixed1 is None else fixed1
            else:
                if type(b) is float:
                    y = b
                elif is_number(b):
                    y = as_float(b, rule.name)
                else:
                    return NotImplemented  # type: ignore[no-any-return]
                out = forward(x, y)
                recording = _is_recording()
                if recording is not True:
                    return _watched(recording, build, a, b) if recording else constant(out)
                da = d0(x, y, out) if fixed0 is None else fixed0
                b, db = None, y
        else:
            if type(a) is float:
                x = a
            elif is_number(a):
                x = as_float(a, rule.name)
            else:
                return NotImplemented  # type: ignore[no-any-return]
            y = b._data
            out = forward(x, y)
            recording = _is_recording()
            if recording is not True:
                return _watched(recording, build, a, b) if recording else constant(out)
            a, da = None, x
            db = d1(x, y, out) if fixed1 is None else fixed1
        node = _new(Value)  # as in _unary_method: no call to _node() on the hot path
        node.data = out
        node.grad = 0.0
        node.label = ""
        node._rule = rule
        node._a = a
        node._da = da
        node._b = b
        node._db = db
        return node

    build.__name__ = build.__qualname__ = rule.name
    build.__doc__ = rule.__doc__
    return build


@functools.lru_cache(maxsize=256)  # bounded: primitives made on the fly are not kept forever
def _builder(rule: Rule) -> Builder:
    """The node builder of a one- or two-input rule called as a function (`ag.tanh(x)`)."""
    return _unary_method(rule) if rule.arity == 1 else _binary_method(rule)


class Value:
    """A real number that remembers how it was computed, so gradients can flow back to it.

    `==` and hashing are by identity, as for any object: that is what lets Values be dict keys
    and set members (the reverse pass keys its bookkeeping by node).
    """

    __slots__ = ("_a", "_b", "_da", "_db", "_rule", "data", "grad", "label")

    # Let numpy hand `np.float64(2) * value` back to Value.__rmul__ instead of making an array.
    __array_ufunc__ = None

    data: float
    grad: float
    label: str
    _data: float  # the `data` slot under the name the engine reads it by (set below)
    _rule: Rule | None
    _a: Value | None
    _b: Value | None
    _da: Any
    _db: Any

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = data if type(data) is float else as_float(data)
        if type(label) is not str:
            raise TypeError(f"Value's label must be a str, got {type(label).__name__} {label!r}")
        self.grad = 0.0
        self.label = label
        self._rule = self._a = self._b = self._da = self._db = None

    def __repr__(self) -> str:
        text = f"Value(data={self._data:.4g}, grad={self.grad:.4g}"
        if self.label:
            text += f", label={self.label!r}"
        if self._rule is not None:
            text += f", op={self.op!r}"
        return text + ")"

    # ---- what the node records, read-only views of the slots ----
    @property
    def op(self) -> str:
        """The name of the rule that made this Value (`"+"`, `"tanh"`, ...); `""` for a leaf."""
        return "" if self._rule is None else self._rule.name

    @property
    def rule(self) -> Rule | None:
        """The rule that made this Value, None for a leaf."""
        return self._rule

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from, in operand order (numbers left out)."""
        a, b = self._a, self._b
        if a is not None:
            return (a,) if b is None else (a, b)
        if b is not None:
            return (b,)
        return () if self._rule is None else tuple(self._da)

    # ---- a Value answers like a Python number, reading `.data` and recording nothing ----
    def __float__(self) -> float:
        if differentiating.get():
            raise TypeError(f"float() of {self!r} inside a derivative would cut its graph")
        return self.data

    def __bool__(self) -> bool:
        return bool(self.data)

    @overload
    def __round__(self, ndigits: None = None) -> int: ...
    @overload
    def __round__(self, ndigits: int) -> float: ...
    def __round__(self, ndigits: int | None = None) -> int | float:
        return round(self.data, ndigits)  # an int without ndigits, as for a float

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def __lt__(self, other: Operand) -> bool:
        return self.data < _compared(other, "<")

    def __le__(self, other: Operand) -> bool:
        return self.data <= _compared(other, "<=")

    def __gt__(self, other: Operand) -> bool:
        return self.data > _compared(other, ">")

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _compared(other, ">=")

    __hash__ = object.__hash__

    # ---- operators and methods: each is an entry of the rules table ----
    __add__ = _binary_method(rules.add)
    __sub__ = _binary_method(rules.sub)
    __mul__ = _binary_method(rules.mul)
    __truediv__ = _binary_method(rules.div)
    __pow__ = _binary_method(rules.pow_rule)
    __neg__ = _unary_method(rules.neg)
    __abs__ = _unary_method(rules.abs_rule)

    def __radd__(self, other: Operand) -> Value:
        return Value.__add__(other, self)  # type: ignore[arg-type]  # either side may be a number

    def __rsub__(self, other: Operand) -> Value:
        return Value.__sub__(other, self)  # type: ignore[arg-type]

    def __rmul__(self, other: Operand) -> Value:
        return Value.__mul__(other, self)  # type: ignore[arg-type]

    def __rtruediv__(self, other: Operand) -> Value:
        return Value.__truediv__(other, self)  # type: ignore[arg-type]

    def __rpow__(self, other: Operand) -> Value:
        return Value.__pow__(other, self)  # type: ignore[arg-type]

    def __pos__(self) -> Value:
        return self

    exp = _unary_method(rules.exp)
    log = _unary_method(rules.log)
    sqrt = _unary_method(rules.sqrt)
    tanh = _unary_method(rules.tanh)
    sigmoid = _unary_method(rules.sigmoid)
    relu = _unary_method(rules.relu)
    sin = _unary_method(rules.sin)
    cos = _unary_method(rules.cos)
    abs = _unary_method(rules.abs_rule)
    tan = _unary_method(rules.tan)
    sinh = _unary_method(rules.sinh)
    cosh = _unary_method(rules.cosh)
    asin = _unary_method(rules.asin)
    acos = _unary_method(rules.acos)
    atan = _unary_method(rules.atan)
    asinh = _unary_method(rules.asinh)
    acosh = _unary_method(rules.acosh)
    atanh = _unary_method(rules.atanh)
    log1p = _unary_method(rules.log1p)
    expm1 = _unary_method(rules.expm1)
    log2 = _unary_method(rules.log2)
    log10 = _unary_method(rules.log10)
    exp2 = _unary_method(rules.exp2)
    erf = _unary_method(rules.erf)
    sign = _unary_method(rules.sign)
    floor = _unary_method(rules.floor)
    ceil = _unary_method(rules.ceil)

    def atan2(self, other: Operand) -> Value:
        """The angle of the point (other, self): atan2(self, other), as torch.atan2."""
        return rules.atan2(self, other)

    def hypot(self, other: Operand) -> Value:
        """sqrt(self**2 + other**2)."""
        return rules.hypot(self, other)

    def logaddexp(self, other: Operand) -> Value:
        """log(e**self + e**other), stable."""
        return rules.logaddexp(self, other)

    def maximum(self, other: Operand) -> Value:
        """The larger of self and other; a tie splits the gradient in halves."""
        return rules.maximum(self, other)

    def minimum(self, other: Operand) -> Value:
        """The smaller of self and other; a tie splits the gradient in halves."""
        return rules.minimum(self, other)

    def clamp(self, min: Operand = -math.inf, max: Operand = math.inf) -> Value:
        """self limited to [min, max], as torch.clamp; the gradient passes at the bounds."""
        return rules.clamp(self, min, max)

    def where(self, condition: Operand | bool, other: Operand) -> Value:
        """self where `condition` is true, else other: `where(condition, self, other)`."""
        return rules.where(condition, self, other)

    def detach(self) -> Value:
        """The same number and label, as a node whose derivative is 0 at every order: no
        gradient flows back through it (`stop_gradient`; drawn and explained as that op)."""
        node = _stop_gradient(self)
        node.label = self.label
        return node

    def __apply_rule__(self, rule: Rule, args: Sequence[Any]) -> Value:
        """`rule(*args)` with this Value among `args`: the protocol of `Rule.__call__`."""
        return apply(rule, args)

    # ---- the reverse pass ----
    def backward(self, grad: float = 1.0) -> None:
        """Fill `.grad` of every Value this one depends on with d(self)/d(that) * `grad`.

        Leaves (Values with no parents) accumulate across calls, as parameters do in PyTorch;
        interior nodes hold the gradient of the latest pass only. Iterative: any depth works.
        For gradients that are Values themselves (to differentiate again), or to leave `.grad`
        alone, use `autograd_lite.gradients(out, inputs, create_graph=True)`.

        Not safe to run on one graph from several threads at once (they share `.grad`);
        `gradients()` keeps its sums to itself and is.
        """
        seed = as_float(grad, "backward")
        recording = _is_recording()
        if recording is not True and recording:
            recording.backward(self, seed)  # under detect_anomaly(): it checks first
        if self._rule is None:
            self.grad += seed
            return
        order = interior_order(self)
        for node in order:
            node.grad = 0.0  # interior nodes hold the latest pass only
        self.grad = seed
        for node in reversed(order):
            g = node.grad
            a = node._a
            if a is not None:
                a.grad += g * node._da
                b = node._b
                if b is not None:
                    b.grad += g * node._db
            else:
                b = node._b
                if b is not None:
                    b.grad += g * node._db
                else:
                    for parent, local in zip(node._da, node._db):
                        parent.grad += g * local


Value._data = Value.__dict__["data"]
"""The engine reads its operands' numbers as `node._data`: the same slot as `data`, as fast, under
a name that `compile` never watches. While a trace runs, reads of `.data` are the user's
(decisions the compiled code must guard); reads of `._data` are the engine's arithmetic."""


Operand: TypeAlias = Value | int | float
"""What operations accept: a Value or a plain real number."""

_stop_gradient = _unary_method(rules.stop_gradient)


@overload
def stop_gradient(x: Value) -> Value: ...
@overload
def stop_gradient(x: float) -> float: ...
def stop_gradient(x: Operand) -> Value | float:
    """`x`'s number (and label) with derivative 0 at every order: gradients stop here.

    For a Value, `x.detach()`; for a number, that number as a float.
    """
    return x.detach() if isinstance(x, Value) else rules.stop_gradient(x)


# ---------------------------------------------------------------- reading the graph


def edges(node: Value) -> list[tuple[Value, float]]:
    """`(parent, local derivative)` for each parent of `node`, in operand order."""
    a, b = node._a, node._b
    if a is None and b is None:
        return list(zip(node._da, node._db)) if node._rule is not None else []
    pairs = [] if a is None else [(a, node._da)]
    return pairs if b is None else [*pairs, (b, node._db)]


def operands(node: Value) -> tuple[Value | float, ...]:
    """The inputs `node`'s rule was applied to, in order: parent Values and constant numbers."""
    rule = node._rule
    if rule is None:
        return ()
    a, b = node._a, node._b
    if a is None and b is None:
        return tuple(node._da)
    first = node._da if a is None else a
    return (first,) if rule.arity == 1 else (first, node._db if b is None else b)


def interior_order(root: Value) -> list[Value]:
    """`root` and the nodes with parents below it, each after all of its parents.

    In reverse, it is the order of the reverse pass: every node has all of its consumers'
    shares before it passes its own on. It is `topological_order(root)` without the leaves
    (parents explored in operand order), so every reader of the graph sees one order.
    Iterative depth-first search: a node is expanded the
    first time it is popped, and listed when the marker (None) pushed under its parents comes
    back up, that is once they are all listed. Leaves are never listed nor stacked.
    """
    if root._rule is None:
        return [root]
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[Any] = [root]  # Values to expand, and None under each expanded one's parents
    pop, push, see, append = stack.pop, stack.append, seen.add, order.append
    while stack:
        node = pop()
        if node is None:
            append(pop())
        elif node not in seen:
            see(node)
            push(node)
            push(None)
            a, b = node._a, node._b
            if a is None and b is None:
                for parent in reversed(node._da):  # the first parent popped first
                    if parent._rule is not None and parent not in seen:
                        push(parent)
                continue
            if b is not None and b._rule is not None and b not in seen:
                push(b)
            if a is not None and a._rule is not None and a not in seen:
                push(a)
    return order


def topological_order(root: Value, within: Collection[Value] | None = None) -> list[Value]:
    """Every Value `root` depends on (itself included), each after all of its parents.

    With `within`, only the Values in it are followed (graph drawing keeps the nodes nearest
    the root this way). Iterative depth-first search, so graphs of any depth work.
    """
    order: list[Value] = []
    seen = {root}
    stack: list[tuple[Value, Iterator[Value]]] = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in seen and (within is None or parent in within):
                seen.add(parent)
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def apply(rule: Rule, args: Sequence[Any]) -> Value:
    """`rule(*args)` with at least one Value among `args`, recorded as one node."""
    if rule.arity == 1:
        return _builder(rule)(args[0])
    if rule.arity == 2:
        node = _builder(rule)(*args)
        if node is NotImplemented:
            junk = next(arg for arg in args if not isinstance(arg, Value) and not is_number(arg))
            raise not_a_number(junk, rule.name)
        return node
    return _nary(rule, args)


def _nary(rule: Rule, args: Sequence[Any]) -> Value:
    """A node of any number of inputs: parents and local derivatives as two sequences.

    For an n-ary rule (`arity=None`) `forward` and `partials[0]` take the inputs as one list;
    a fixed-arity rule of three or more inputs gets them as arguments, its partials one by one.
    """
    parents = (
        args if set(map(type, args)) == _ONLY_VALUES else [as_value(a, rule.name) for a in args]
    )
    xs = [parent._data for parent in parents]
    recording = _is_recording()
    if recording is not True and recording:
        return _watched(recording, _nary, rule, args)
    if rule.arity is None:
        out = rule.forward(xs)
        if not recording:
            return constant(out)
        return _node(out, rule, None, parents, None, rule.partials[0](xs, out))
    out = rule.forward(*xs)
    if not recording:
        return constant(out)
    return _node(out, rule, None, parents, None, [partial(*xs, out) for partial in rule.partials])


_ONLY_VALUES = {Value}


def _compared(other: Operand, op: str) -> float:
    """The number a comparison reads: a Value's `.data` (never `float()`, which a derivative
    refuses), or the number coerced as everywhere (TypeError for a str: "3" is not 3)."""
    return other.data if isinstance(other, Value) else as_float(other, op)


@overload
def sum(xs: Iterable[float]) -> float: ...  # type: ignore[overload-overlap]
@overload
def sum(xs: Iterable[Operand]) -> Value: ...
def sum(xs: Iterable[Operand]) -> Value | float:
    """x0 + x1 + ... as a single node (one step in backward however many terms).

    `xs` may be any iterable, a generator too, as for the built-in `sum`.
    """
    terms = list(xs)  # a copy: the node must not change with the caller's list
    for x in terms:
        if type(x) is Value:
            return _nary(rules.sum_rule, terms)
    return rules.sum_rule(*terms)


@overload
def dot(ws: Sequence[float], xs: Sequence[float]) -> float: ...  # type: ignore[overload-overlap]
@overload
def dot(ws: Sequence[Operand], xs: Sequence[Operand]) -> Value: ...
def dot(ws: Sequence[Operand], xs: Sequence[Operand]) -> Value | float:
    """w0*x0 + w1*x1 + ... as a single node: a neuron's weighted sum in one step.

    ValueError when the sequences differ in length.
    """
    if len(ws) != len(xs):
        raise ValueError(f"dot needs sequences of equal length, got {len(ws)} and {len(xs)}")
    if Value not in {*map(type, ws), *map(type, xs)}:
        return rules.dot_rule(*ws, *xs)  # numbers only: a float (TypeError for anything else)
    return dots([ws], xs)[0]


def dots(rows: Sequence[Sequence[Operand]], xs: Sequence[Operand]) -> list[Value]:
    """`[dot(row, xs) for row in rows]`, the shared inputs `xs` checked and read once.

    A layer of neurons is this: every neuron's weighted sum of the same inputs, one `dot` node
    each. ValueError when a row's length differs from that of `xs`.
    """
    recording = _is_recording()
    if recording is not True and recording:
        return [_watched(recording, _one_dot, row, xs) for row in rows]
    inputs: list[Value] = [as_value(x, "dot") for x in xs]
    shared = [x._data for x in inputs]
    n, rule = len(inputs), rules.dot_rule
    forward, (partials,) = rule.forward, rule.partials
    made = []
    for row in rows:
        if len(row) != n:
            raise ValueError(f"dot needs sequences of equal length, got {len(row)} and {n}")
        weights = row if set(map(type, row)) == _ONLY_VALUES else [as_value(w, "dot") for w in row]
        data = [w._data for w in weights]  # type: ignore[union-attr]  # all Values, checked
        data += shared
        out = forward(data)
        made.append(
            _node(out, rule, None, [*weights, *inputs], None, partials(data, out))
            if recording
            else constant(out)
        )
    return made


def _one_dot(row: Sequence[Operand], xs: Sequence[Operand]) -> Value:
    """`dots([row], xs)[0]`: one node, for a watcher to see alone."""
    return dots([row], xs)[0]


def as_value(x: Operand, what: str = "Value") -> Value:
    """`x` itself when it is a Value, else a new constant leaf holding it (TypeError naming
    `what` it was given to when it is not a number)."""
    return x if isinstance(x, Value) else constant(as_float(x, what))
