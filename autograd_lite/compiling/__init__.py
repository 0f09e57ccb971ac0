"""`compile(f)`: trace a function once, then run its forward and reverse pass as plain Python.

Building a graph of Values costs far more than the arithmetic it records. When the same
function is evaluated many times (a loss per sample, a physics step), the graph is the same
every time: only the numbers change. So `compile(f)` calls `f` once on Values (the trace),
then writes the graph out as one straight-line Python function over floats, calling each
rule's own `forward` and `partials` (the rules table stays the single source of each formula,
and user `primitive`s compile like built-ins); the source is kept as `.source` for reading.

The package by trade: this module is the front door (calls, batches, traces kept per
function); `tracing` watches one call of `f` and lays it out as a program (the interface any
back end reads); `codegen` writes a program as Python over floats or arrays; `kernels` holds
the rules over NumPy arrays.

Batches. Any argument may be a 1-D NumPy array, one entry per sample, numbers broadcasting.
The same trace is then written a second time over arrays (`kernels`): results equal the calls
per sample, at kinks, domain errors and nan too, and to rounding elsewhere. The gradient
toward a number argument is summed over the batch.

Never silently wrong. While `f` is traced, Values report every Python decision taken on their
data, and the generated code checks each one again on every call (a guard, as torch.compile
has): `x > 0`, `x <= y`, `bool(x)` guard the outcome; `float(x)`, `round(x)`, `format(x, spec)`
and every read of `x.data` guard the number itself (the engine reads `._data`, never watched). A
call that fails a guard (in a batch: the samples that fail it) is traced again; after
`TRACE_LIMIT` traces such calls run `f` directly. A Value that `f` uses but did not make while
traced (a weight it closes over) is read again, through `.data`, on every call. What stays fixed
is plain Python state `f` reads without a Value: numbers from globals or closures, and which
Value a name or a list entry refers to (rebinding `w = Value(7.0)` or `ws[0] = ...` after the
trace is not seen; change `w.data` instead, as optimizers do), and `f`'s side effects, which
happen while tracing only. `f` must not run `backward()` or float `gradients()` inside (use
`gradients(..., create_graph=True)`); assigning `.data` and computing under `no_grad()` are
refused.

Size: the first call costs much more than the later ones, most of it in Python's own
`compile()` of the one long generated function, which grows a little faster than linearly.
Compiling pays off for graphs of up to some tens of thousands of operations evaluated many
times, not for one huge graph evaluated a few times.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from autograd_lite.compiling.codegen import Compiled
from autograd_lite.compiling.kernels import numpy_module
from autograd_lite.compiling.tracing import Trace, checked_output
from autograd_lite.functional import gradients
from autograd_lite.rule import as_float
from autograd_lite.value import Value, recording

Result = tuple[float, tuple[float, ...]]
"""What a compiled function returns: the value and d(value)/d(argument) for every argument;
with `wrt`, also a list of d(value)/d(param) for every Value of `wrt`."""

TRACE_LIMIT = 8
"""Traces kept per compiled function; calls that fit none of them then run `f` directly."""

_FLOAT = frozenset([float])


class CompiledFunction:
    """`f` traced on its first call and replayed by generated code on every call.

    Called with numbers it returns `(value, grads)` as floats, `grads[i]` being
    d(value)/d(args[i]); with 1-D NumPy arrays among the arguments, the value and the
    gradients toward the arrays per sample, the gradients toward numbers summed over the batch.
    With `wrt`, a third item: the list of d(value)/d(param) for each Value of `wrt` (summed
    over a batch). `traces` holds one entry per path through `f` seen so far.
    """

    def __init__(self, f: Callable[..., Value], wrt: Iterable[Value] | None = None) -> None:
        if not callable(f):
            raise TypeError(f"compile needs a callable, got {type(f).__name__}")
        self.f = f
        self.wrt = None if wrt is None else _values(wrt)
        self.__name__ = getattr(f, "__name__", type(f).__name__)
        self.__doc__ = f.__doc__
        self.traces: list[Compiled] = []
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
        return self(*[as_float(arg, "compile") for arg in args])  # ints, numpy scalars, bools

    def _untraced(self, point: Sequence[float]) -> Any:
        """A call that fits no trace: trace `f` there, or run it directly past the limit."""
        if len(self.traces) >= TRACE_LIMIT:
            self._warn_once()
            return _eager(self.f, point, self.wrt)
        result = self._add_trace(point).run(*point)
        if result is None:
            raise RuntimeError(
                f"compile: {self.__name__!r} decided differently on a second run at the same "
                "numbers: it depends on something besides its arguments and Values"
            )
        return result

    def _add_trace(self, point: Sequence[float]) -> Compiled:
        compiled = Compiled(self.__name__, Trace(self.f, point), self.wrt)
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
        np = numpy_module()
        prepared: list[Any] = []
        layout: list[bool] = []
        size: int | None = None
        for i, arg in enumerate(args):
            if not _is_batch(arg):
                prepared.append(as_float(arg, "compile"))  # TypeError for junk
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
            return _merge(np, 0, layout, self.wrt, [])
        while True:
            for compiled in self.traces:
                out = compiled.batched(layout)(n, *args)
                if type(out) is tuple:
                    return _whole(np, n, layout, out)
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
        return _merge(np, n, layout, self.wrt, parts)

    def _per_sample(self, np: Any, args: list[Any], layout: tuple[bool, ...], n: int) -> Any:
        """The batch one sample at a time (past the trace limit)."""
        parts = [(k, self(*_sample(args, layout, k))) for k in range(n)]
        return _merge(np, n, layout, self.wrt, parts)


def compile(f: Callable[..., Value], wrt: Iterable[Value] | None = None) -> CompiledFunction:
    """`f` (numbers in, a Value out) as a function returning `(value, grads)`.

    `f` is traced on the first call; afterwards generated straight-line code runs the forward
    and the reverse pass with no graph at all, over floats or, for a batch, NumPy arrays.
    Python decisions `f` takes on the data are guarded: a call that decides otherwise is traced
    again. The data of Values `f` closes over are read afresh on every call (the Values
    themselves, and plain numbers `f` reads, are fixed by the trace).

    With `wrt` (Values that `f` reads from outside, such as `model.parameters()`), the result
    is `(value, grads, param_grads)`: `param_grads[j]` is d(value)/d(wrt[j]) (0.0 for one `f`
    does not use), summed over a batch, each call reading the current `.data` of every Value.
    TypeError when `f` is not callable or `wrt` holds anything but Values.

    >>> from autograd_lite import compile
    >>> h = compile(lambda x, y: x * y + y.exp())
    >>> h(2.0, 0.0)
    (1.0, (0.0, 3.0))
    """
    return CompiledFunction(f, wrt)


def _values(wrt: Iterable[Value]) -> list[Value]:
    """`wrt` as a list of Values, or a TypeError naming the first thing that is not one."""
    params = list(wrt)
    for j, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"compile: wrt must hold Values, got {type(p).__name__} at {j}")
    return params


def _eager(f: Callable[..., Value], point: Sequence[float], wrt: list[Value] | None) -> Any:
    """`f` run on Values and differentiated: what every compiled call must agree with."""
    inputs = [Value(x) for x in point]
    with recording():
        output = checked_output(f, f(*inputs))
    grads = gradients(output, [*inputs, *(wrt or ())])
    result = output.data, tuple(grads[: len(inputs)])
    return result if wrt is None else (*result, grads[len(inputs) :])


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


def _whole(np: Any, n: int, layout: tuple[bool, ...], out: tuple[Any, ...]) -> Any:
    """Generated code's result for a whole batch: arrays of `n` (the value, gradients toward
    arrays) and floats (toward numbers, and toward `wrt`)."""
    value, grads, *params = out
    array = np.array(np.broadcast_to(value, (n,)), dtype=float)
    totals = tuple(
        np.array(np.broadcast_to(g, (n,)), dtype=float) if batched else float(g)
        for g, batched in zip(grads, layout)
    )
    return (array, totals) if not params else (array, totals, list(map(float, params[0])))


def _merge(
    np: Any, n: int, layout: tuple[bool, ...], wrt: list[Value] | None, parts: list[Any]
) -> Any:
    """A batch's result from the results of its parts, `(where, result)` pairs: each part's
    values and gradients toward arrays go where it says (a mask, an index, or everywhere),
    its gradients toward numbers and toward `wrt` are added up."""
    value = np.empty(n)
    grads: list[Any] = [np.empty(n) if batched else [] for batched in layout]
    params: list[list[float]] = [[] for _ in wrt or ()]
    for where, (part_value, part_grads, *part_params) in parts:
        value[where] = part_value
        for i, g in enumerate(part_grads):
            if layout[i]:
                grads[i][where] = g
            else:
                grads[i].append(g)
        for j, g in enumerate(part_params[0] if part_params else ()):
            params[j].append(g)
    totals = tuple(g if batched else _sum(g) for g, batched in zip(grads, layout))
    return (value, totals) if wrt is None else (value, totals, [_sum(g) for g in params])


def _sum(xs: list[float]) -> float:
    """The sum of floats, correctly rounded; where it is not finite, inf or nan as IEEE
    addition gives (math.fsum raises on a sum past the float range, and on inf + -inf)."""
    try:
        return math.fsum(xs)
    except (OverflowError, ValueError):
        return float(sum(xs))
