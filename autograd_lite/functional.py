"""Derivatives of any order: `grad`, `value_and_grad`, `hessian`, and the reverse pass behind them.

`Value.backward()` multiplies the float local derivatives recorded in the forward pass: fast,
but its result is a number, the end of the road. `gradients(..., create_graph=True)` runs the
same reverse pass with every rule's `partials` applied to Values instead, so each gradient is
itself a graph that can be differentiated again.

`grad(f)` calls `f` on fresh input Values and runs one of the two passes. Called with numbers
at the top level, it runs the float pass and returns floats. Called with Values, or while
another `grad` is evaluating its function, it runs the Value pass and returns Values, which
carry their dependence on the outer variables: that is what makes `grad(grad(f))` the second
derivative. Each call differentiates with respect to its own fresh input nodes (a Value
argument is first passed through a one-input node of its own), so nested levels never mix
up their variables: `grad(lambda x: x * grad(lambda y: x + y)(1.0))(2.0) == 1.0`.
"""

from __future__ import annotations

import contextlib
import contextvars
import reprlib
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import Any, Literal, overload

from autograd_lite import record
from autograd_lite.rule import FLAT, as_float, is_number
from autograd_lite.value import Value, as_value, recording, sum

Adjoint = Value | float
"""A gradient in the making: a Value in the Value pass, else (or when constant) a float."""

_depth: contextvars.ContextVar[int] = contextvars.ContextVar("grad_depth", default=0)
"""How many `grad`-family evaluations are running: above 0, a nested call must return Values."""


# ---------------------------------------------------------------- the reverse pass


def _adjoints(
    output: Value, targets: Collection[Value] | None, seed: Adjoint, create_graph: bool
) -> Mapping[Value, Adjoint]:
    """d(output)/d(node) * seed for (at least) every node of `targets` that `output` depends on.

    `targets=None` means every node of the graph. A target missing from the result gets 0.
    """
    if create_graph:
        return _graph_adjoints(output, targets, seed)
    # the float pass: `backward()`'s arithmetic in its order, in a dict of its own, not `.grad`
    return record.read(output).adjoints(_number(seed))


def _graph_adjoints(
    output: Value, targets: Collection[Value] | None, seed: Adjoint
) -> dict[Value, Adjoint]:
    """The Value pass: each node's rule applied to Values gives its local derivatives.

    Only nodes that lead to a target take part, so the derivative graph holds nothing else;
    a node's shares are added by one `sum` node; a factor that is the number 1 makes no node.
    """
    graph = record.read(output)
    if targets is not None:
        targets = set(targets)  # looked up once per node: a list would make the pass quadratic
    relevant = None if targets is None else graph.depending_on(targets)  # None: every node
    incoming: dict[Value, list[Adjoint]] = {output: [seed]}
    found: dict[Value, Adjoint] = {}
    for i in range(len(graph) - 1, -1, -1):
        node = graph.order[i]
        shares = incoming.pop(node, None)
        if shares is None:
            continue  # `node` leads to no target
        adjoint = _total(shares)
        if targets is None or node in targets:
            found[node] = adjoint
        rule = graph.rules[i]
        if rule is None:
            continue  # a leaf
        inputs = graph.operands[i]
        every = rule.local_derivatives(inputs, node) if rule.arity is None else None
        for i, parent in enumerate(inputs):
            if isinstance(parent, Value) and (relevant is None or parent in relevant):
                local = every[i] if every is not None else rule.partials[i](*inputs, node)
                share = _times(adjoint, local)
                if parent in incoming:
                    incoming[parent].append(share)
                else:
                    incoming[parent] = [share]
    return found


def _times(adjoint: Adjoint, derivative: Adjoint) -> Adjoint:
    """adjoint * derivative, without a new node when either factor is the plain number 1, or
    when the derivative is a flat branch's `FLAT` (then 0.0, whatever the adjoint)."""
    if derivative is FLAT:
        return 0.0
    if not isinstance(derivative, Value) and derivative == 1.0:
        return adjoint
    if not isinstance(adjoint, Value) and adjoint == 1.0:
        return derivative
    return adjoint * derivative


def _total(shares: list[Adjoint]) -> Adjoint:
    """The sum of the shares a node received, as one `sum` node."""
    return shares[0] if len(shares) == 1 else sum(shares)


def _number(x: Adjoint) -> float:
    """The float inside an adjoint or result."""
    return x.data if isinstance(x, Value) else float(x)


@overload
def gradients(
    output: Value, inputs: Sequence[Value], *, create_graph: Literal[False] = ...
) -> list[float]: ...
@overload
def gradients(
    output: Value, inputs: Sequence[Value], *, create_graph: Literal[True]
) -> list[Value]: ...
def gradients(
    output: Value, inputs: Sequence[Value], *, create_graph: bool = False
) -> list[float] | list[Value]:
    """d(output)/d(input) for each of `inputs`, without touching any `.grad`.

    With `create_graph=True` each gradient is a Value built from the rules applied to Values,
    so it can be differentiated again (like `torch.autograd.grad(..., create_graph=True)`);
    inside `no_grad()` those Values record nothing, as in PyTorch. An input that `output` does
    not depend on gets 0.
    """
    if not isinstance(output, Value):
        raise TypeError(f"gradients needs a Value output, got {type(output).__name__}")
    for x in inputs:
        if not isinstance(x, Value):
            raise TypeError(f"gradients needs Value inputs, got {type(x).__name__}")
    found = _adjoints(output, inputs, 1.0, create_graph)
    if create_graph:
        return [as_value(found.get(x, 0.0)) for x in inputs]
    return [_number(found.get(x, 0.0)) for x in inputs]


# ---------------------------------------------------------------- functions of numbers


@contextlib.contextmanager
def _evaluating() -> Iterator[None]:
    """Inside: operations record (even under `no_grad`) and nested `grad` calls return Values."""
    depth = _depth.set(_depth.get() + 1)
    try:
        with recording():
            yield
    finally:
        _depth.reset(depth)


def _name(f: Callable[..., Any]) -> str:
    """A function's name for messages."""
    return getattr(f, "__name__", type(f).__name__)


def _check_argnums(argnums: int | tuple[int, ...]) -> tuple[int, ...]:
    """`argnums` as a tuple, or a TypeError when it is not an int or a non-empty tuple of ints."""
    nums = (argnums,) if isinstance(argnums, int) else argnums
    if (
        not isinstance(nums, tuple)
        or not nums
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in nums)
    ):
        raise TypeError(f"argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    return nums


def _positions(argnums: tuple[int, ...], n_args: int) -> list[int]:
    """The argument positions `argnums` names in a call with `n_args` arguments."""
    positions = []
    for i in argnums:
        if not -n_args <= i < n_args:
            raise ValueError(
                f"argnums {i} is out of range for a call with {n_args} positional argument(s)"
            )
        positions.append(i % n_args)
    if len(set(positions)) != len(positions):
        raise ValueError(f"argnums names the same argument twice: {argnums!r}")
    return positions


def _with_inputs(
    f: Callable[..., Any], args: Sequence[Any], positions: Sequence[int]
) -> tuple[list[Any], list[Value]]:
    """`args` with a fresh input Value at each of `positions`, and those inputs.

    A Value argument is passed through a one-input `sum` node: a new node to differentiate
    with respect to, whose graph still leads to the outer one.
    """
    values = list(args)
    inputs = []
    for i in positions:
        x = values[i]
        if isinstance(x, Value):
            node = sum([x])
        else:
            node = Value(as_float(x, f"{_name(f)}: argument {i} to differentiate"))
        values[i] = node
        inputs.append(node)
    return values, inputs


def _trace(
    f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], positions: list[int]
) -> tuple[list[Value], Value | float]:
    """Call `f` with fresh input Values at `positions`; return them and f's scalar result.

    Must run inside `_evaluating()`.
    """
    values, inputs = _with_inputs(f, args, positions)
    out = f(*values, **kwargs)
    if isinstance(out, Value):
        return inputs, out
    if is_number(out):
        return inputs, as_float(out, f"{_name(f)}'s result")  # a constant: derivatives are 0
    raise TypeError(
        f"{_name(f)} must return a scalar (a Value or a real number) to be differentiated, "
        f"but it returned {type(out).__name__} {reprlib.repr(out)}"
    )


def _nested(args: tuple[Any, ...]) -> bool:
    """Whether results must stay Values: inside another evaluation, or given Values."""
    return _depth.get() > 0 or any(isinstance(x, Value) for x in args)


def _value_and_grads(
    f: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    argnums: tuple[int, ...],
) -> tuple[Any, tuple[Any, ...]]:
    """f's value and its gradients toward `argnums`: floats at the top level, else Values."""
    positions = _positions(argnums, len(args))
    nested = _nested(args)
    with _evaluating():
        inputs, out = _trace(f, args, kwargs, positions)
        found = _adjoints(out, inputs, 1.0, create_graph=nested) if isinstance(out, Value) else {}
    grads = [found.get(x, 0.0) for x in inputs]
    if nested:
        return out, tuple(grads)
    return _number(out), tuple(_number(g) for g in grads)


@overload
def grad(f: Callable[..., Any], argnums: int = 0) -> Callable[..., float]: ...
@overload
def grad(f: Callable[..., Any], argnums: tuple[int, ...]) -> Callable[..., tuple[float, ...]]: ...
def grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The function computing df/d(argument `argnums`) of a scalar function `f`.

    `f` takes numbers (it receives Values) and returns a Value or a number; a constant result
    has gradient 0.0. The result takes the same arguments and returns a float, or a tuple of
    floats when `argnums` is a tuple. Composable to any order: `grad(grad(grad(f)))(x)` is
    the third derivative. Inside another `grad` (or given Values) it returns Values, so the
    outer one can differentiate them (a derivative that is a constant may stay a float).
    """
    nums = _check_argnums(argnums)

    def gradient(*args: Any, **kwargs: Any) -> Any:
        _, grads = _value_and_grads(f, args, kwargs, nums)
        return grads[0] if isinstance(argnums, int) else grads

    gradient.__name__ = gradient.__qualname__ = f"grad({_name(f)})"
    return gradient


@overload
def value_and_grad(
    f: Callable[..., Any], argnums: int = 0
) -> Callable[..., tuple[float, float]]: ...
@overload
def value_and_grad(
    f: Callable[..., Any], argnums: tuple[int, ...]
) -> Callable[..., tuple[float, tuple[float, ...]]]: ...
def value_and_grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """Like `grad(f, argnums)`, but the result returns `(f's value, gradient)` from one pass."""
    nums = _check_argnums(argnums)

    def value_and_gradient(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        value, grads = _value_and_grads(f, args, kwargs, nums)
        return value, grads[0] if isinstance(argnums, int) else grads

    value_and_gradient.__name__ = value_and_gradient.__qualname__ = f"value_and_grad({_name(f)})"
    return value_and_gradient


def hessian(f: Callable[..., Any]) -> Callable[..., list[list[float]]]:
    """The function computing the matrix of second derivatives of `f` toward all its arguments.

    Row i is the gradient of df/dx_i: one Value-valued pass for the first derivatives, then one
    pass per argument. Returns a list of lists of floats (Values when nested in a `grad`).
    """

    def hess(*args: Any, **kwargs: Any) -> list[list[Any]]:
        positions = list(range(len(args)))
        nested = _nested(args)
        with _evaluating():
            inputs, out = _trace(f, args, kwargs, positions)
            firsts = (
                _adjoints(out, inputs, 1.0, create_graph=True) if isinstance(out, Value) else {}
            )
            rows: list[list[Any]] = []
            for x in inputs:
                first = firsts.get(x, 0.0)
                found = _adjoints(first, inputs, 1.0, nested) if isinstance(first, Value) else {}
                rows.append([found.get(y, 0.0) for y in inputs])
        if nested:
            return rows
        return [[_number(entry) for entry in row] for row in rows]

    hess.__name__ = hess.__qualname__ = f"hessian({_name(f)})"
    return hess
