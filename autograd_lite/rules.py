"""The table of differentiation rules: every operation the engine knows, in one place.

Each entry is a `Rule`: a float function and a `partials(*inputs, out)` function returning the
local derivative of the output toward each input. The partials are written with the engine's
own operations, so the same entry serves two passes:

- called with floats (in the forward pass), they give the float local derivatives that
  `Value.backward()` multiplies along the graph: the fast first-order path;
- called with Values, they build the derivative as a graph of its own, which can be
  differentiated again: that is how second and higher derivatives work.

A rule called with plain numbers returns a float; with any Value among its arguments it
returns a Value recording its inputs. `primitive()` makes user rules the same way.

Choices at kinks are written down where they are made: relu'(0) = abs'(0) = 0, sqrt'(0) = inf.
"""

from __future__ import annotations

import builtins
import math
import operator
from collections.abc import Callable, Sequence
from typing import Any, overload

from autograd_lite.value import (
    Operand,
    Value,
    _as_float,
    _leaf,
    _node,
    _recording,
    _unary,
    as_value,
)

Partials = Callable[..., tuple[Any, ...]]


class Rule:
    """A differentiable operation: `forward(*floats) -> float` and its local derivatives.

    Calling a rule applies it: with plain numbers it returns `forward`'s float; with any
    Value among the arguments it returns a new Value whose parents are the arguments
    (numbers become constant leaves) and whose partials come from `partials(*xs, out)`,
    a tuple with one local derivative per input.
    """

    def __init__(
        self, name: str, forward: Callable[..., float], partials: Partials, arity: int | None
    ) -> None:
        self.name = name
        self.forward = forward
        self.partials = partials
        self.arity = arity  # None: any number of inputs
        self.__doc__ = forward.__doc__

    def __repr__(self) -> str:
        return f"<rule {self.name}>"

    @overload
    def __call__(self, *args: float) -> float: ...  # type: ignore[overload-overlap]
    @overload
    def __call__(self, *args: Operand) -> Value: ...
    def __call__(self, *args: Operand) -> Value | float:
        if self.arity is not None and len(args) != self.arity:
            raise TypeError(f"{self.name} takes {self.arity} argument(s), got {len(args)}")
        if self.arity == 1 and type(args[0]) is Value:
            return _unary(self, args[0])  # an activation on a Value: the hot case, kept short
        for arg in args:
            if isinstance(arg, Value):
                break
        else:
            return self.forward(*[_as_float(arg) for arg in args])
        # Type tests first spare Values and float constants a call each (dot of 34: 12 -> 7 us).
        parents = tuple(
            [
                arg if type(arg) is Value else _leaf(arg) if type(arg) is float else as_value(arg)
                for arg in args
            ]
        )
        xs = [parent.data for parent in parents]
        out = self.forward(*xs)
        if not _recording.get():
            return _leaf(out)
        return _node(out, parents, self.partials(*xs, out), self)


def _data(x: Operand) -> float:
    """The number inside `x`, for the branches a partial takes (kinks, domains)."""
    return x.data if isinstance(x, Value) else x


def _vertical_tangent(x: Operand) -> Operand:
    """+inf, the slope of a vertical tangent (sqrt and x**p, 0 < p < 1, at x = 0).

    On Values (a derivative to be differentiated again) it is inf * (1 + 0*x): still inf, but
    its own derivative is inf * 0 = nan. The next derivative does not exist there, and nan
    says so where a constant inf would silently give 0.
    """
    return math.inf * (1.0 + 0.0 * x) if isinstance(x, Value) else math.inf


# ---------------------------------------------------------------- arithmetic


def _add(x: float, y: float) -> float:
    """x + y."""
    return x + y


def _add_partials(x: Operand, y: Operand, out: Operand) -> tuple[float, float]:
    return (1.0, 1.0)


def _sub(x: float, y: float) -> float:
    """x - y."""
    return x - y


def _sub_partials(x: Operand, y: Operand, out: Operand) -> tuple[float, float]:
    return (1.0, -1.0)


def _mul(x: float, y: float) -> float:
    """x * y."""
    return x * y


def _mul_partials(x: Operand, y: Operand, out: Operand) -> tuple[Operand, Operand]:
    return (y, x)


def _div(x: float, y: float) -> float:
    """x / y; ZeroDivisionError when y is 0."""
    if y == 0:
        raise ZeroDivisionError(f"division by zero: {x!r} / {y!r}")
    return x / y


def _div_partials(x: Operand, y: Operand, out: Operand) -> tuple[Operand, Operand]:
    return (1.0 / y, -out / y)


def _neg(x: float) -> float:
    """-x."""
    return -x


def _neg_partials(x: Operand, out: Operand) -> tuple[float]:
    return (-1.0,)


def _pow(x: float, y: float) -> float:
    """x ** y, never complex: a negative base needs an integer exponent."""
    if x < 0 and not y.is_integer():
        raise ValueError(f"pow: negative base {x!r} to the non-integer power {y!r} is not real")
    if x == 0 and y < 0:
        raise ZeroDivisionError(f"pow: zero base to the negative power {y!r}")
    try:
        result: float = x**y
    except OverflowError:
        raise OverflowError(f"pow: {x!r} ** {y!r} is too large for a float") from None
    return result


def _pow_partials(x: Operand, y: Operand, out: Operand) -> tuple[Operand, Operand]:
    base, exponent = _data(x), _data(y)
    # d/dx = y * x**(y-1); at x = 0 with 0 < y < 1 that is the vertical tangent, +inf.
    if base == 0 and exponent < 1:
        d_base: Operand = 0.0 if exponent == 0 else _vertical_tangent(x)
    else:
        d_base = y * x ** (y - 1)
    # d/dy = x**y * log(x) exists for x > 0 only; it tends to 0 as x -> 0+. For x < 0 the
    # power is real at integer y alone, where it has no y-derivative: we hold y fixed (0).
    d_exponent: Operand = out * log(x) if base > 0 else 0.0
    return (d_base, d_exponent)


# ---------------------------------------------------------------- elementary functions


def _exp(x: float) -> float:
    """e ** x; OverflowError past about x = 709."""
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: exp({x!r}) is too large for a float") from None


def _exp_partials(x: Operand, out: Operand) -> tuple[Operand]:
    return (out,)


def _log(x: float) -> float:
    """Natural logarithm; ValueError unless x > 0."""
    if x <= 0:
        raise ValueError(f"log: the logarithm needs a positive number, got {x!r}")
    return math.log(x)


def _log_partials(x: Operand, out: Operand) -> tuple[Operand]:
    return (1.0 / x,)


def _sqrt(x: float) -> float:
    """Square root; ValueError for a negative number."""
    if x < 0:
        raise ValueError(f"sqrt: the square root needs a non-negative number, got {x!r}")
    return math.sqrt(x)


def _sqrt_partials(x: Operand, out: Operand) -> tuple[Operand]:
    return (0.5 / out if _data(out) != 0 else _vertical_tangent(x),)


def _tanh(x: float) -> float:
    """Hyperbolic tangent (finite for any x)."""
    return math.tanh(x)


def _tanh_partials(x: Operand, out: Operand) -> tuple[Operand]:
    return (1.0 - out * out,)


def _sigmoid(x: float) -> float:
    """Logistic function 1 / (1 + e**-x), computed without overflow for any x."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _sigmoid_partials(x: Operand, out: Operand) -> tuple[Operand]:
    return (out * (1.0 - out),)


def _relu(x: float) -> float:
    """max(x, 0); its derivative at 0 is taken as 0."""
    return x if x > 0 else 0.0


def _relu_partials(x: Operand, out: Operand) -> tuple[float]:
    # Whole tuple literals are constants, shared by every node: no tuple allocated per node.
    return (1.0,) if _data(x) > 0 else (0.0,)


def _abs(x: float) -> float:
    """|x|; its derivative at 0 is taken as 0."""
    return math.fabs(x)


def _abs_partials(x: Operand, out: Operand) -> tuple[float]:
    base = _data(x)
    return (1.0,) if base > 0 else (-1.0,) if base < 0 else (0.0,)  # shared, as relu's


def _sin(x: float) -> float:
    """Sine."""
    return math.sin(x)


def _sin_partials(x: Operand, out: Operand) -> tuple[Operand]:
    return (cos(x),)


def _cos(x: float) -> float:
    """Cosine."""
    return math.cos(x)


def _cos_partials(x: Operand, out: Operand) -> tuple[Operand]:
    return (-sin(x),)


# ---------------------------------------------------------------- n-ary: one node, many inputs


def _sum(*xs: float) -> float:
    """x0 + x1 + ... as one node."""
    return builtins.sum(xs, 0.0)  # 0.0, not the int 0, for no terms


def _sum_partials(*xs_and_out: Operand) -> tuple[float, ...]:
    return (1.0,) * (len(xs_and_out) - 1)


def _dot(*ws_then_xs: float) -> float:
    """w0*x0 + w1*x1 + ... as one node; the inputs are all the w's, then all the x's."""
    xs = ws_then_xs[len(ws_then_xs) // 2 :]
    total: float = builtins.sum(map(operator.mul, ws_then_xs, xs), 0.0)  # map stops at the x's
    return total


def _dot_partials(*ws_xs_and_out: Operand) -> tuple[Operand, ...]:
    half = len(ws_xs_and_out) // 2  # n w's, n x's, then out
    return ws_xs_and_out[half:-1] + ws_xs_and_out[:half]  # d/dw_i = x_i and d/dx_i = w_i


# ---------------------------------------------------------------- the table

add = Rule("+", _add, _add_partials, 2)
sub = Rule("-", _sub, _sub_partials, 2)
mul = Rule("*", _mul, _mul_partials, 2)
div = Rule("/", _div, _div_partials, 2)
neg = Rule("neg", _neg, _neg_partials, 1)
pow = Rule("**", _pow, _pow_partials, 2)
exp = Rule("exp", _exp, _exp_partials, 1)
log = Rule("log", _log, _log_partials, 1)
sqrt = Rule("sqrt", _sqrt, _sqrt_partials, 1)
tanh = Rule("tanh", _tanh, _tanh_partials, 1)
sigmoid = Rule("sigmoid", _sigmoid, _sigmoid_partials, 1)
relu = Rule("relu", _relu, _relu_partials, 1)
abs = Rule("abs", _abs, _abs_partials, 1)
sin = Rule("sin", _sin, _sin_partials, 1)
cos = Rule("cos", _cos, _cos_partials, 1)
_sum_rule = Rule("sum", _sum, _sum_partials, None)
_dot_rule = Rule("dot", _dot, _dot_partials, None)

RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (add, sub, mul, div, neg, pow, exp, log, sqrt, tanh, sigmoid, relu, abs, sin, cos)
}
RULES.update(sum=_sum_rule, dot=_dot_rule)


@overload
def sum(xs: Sequence[float]) -> float: ...  # type: ignore[overload-overlap]
@overload
def sum(xs: Sequence[Operand]) -> Value: ...
def sum(xs: Sequence[Operand]) -> Value | float:
    """x0 + x1 + ... as a single node (one step in backward however many terms)."""
    return _sum_rule(*xs)


@overload
def dot(ws: Sequence[float], xs: Sequence[float]) -> float: ...  # type: ignore[overload-overlap]
@overload
def dot(ws: Sequence[Operand], xs: Sequence[Operand]) -> Value: ...
def dot(ws: Sequence[Operand], xs: Sequence[Operand]) -> Value | float:
    """w0*x0 + w1*x1 + ... as a single node: a neuron's weighted sum in one step."""
    if len(ws) != len(xs):
        raise ValueError(f"dot needs sequences of equal length, got {len(ws)} and {len(xs)}")
    return _dot_rule(*ws, *xs)


# ---------------------------------------------------------------- user rules


class _CheckedForward:
    """A user's forward function, held to returning a real number."""

    def __init__(self, name: str, fn: Callable[..., float]) -> None:
        self.name, self.fn = name, fn
        self.__doc__ = fn.__doc__

    def __call__(self, *xs: float) -> float:
        out = self.fn(*xs)
        if type(out) is float:
            return out
        try:
            return _as_float(out)
        except TypeError:
            raise TypeError(
                f"primitive {self.name!r} returned {type(out).__name__} {out!r}, not a real number"
            ) from None


class _PartialPerInput:
    """Partials from one function per input, `d_i(*xs)`, as `primitive()` takes them."""

    def __init__(self, name: str, grads: tuple[Callable[..., Operand], ...]) -> None:
        self.name, self.grads = name, grads

    def __call__(self, *xs_and_out: Operand) -> tuple[Operand, ...]:
        xs = xs_and_out[:-1]
        if not any(isinstance(x, Value) for x in xs):
            return tuple(_data(self._checked(i, d(*xs))) for i, d in enumerate(self.grads))
        partials = []
        for i, d in enumerate(self.grads):
            try:
                partial = d(*xs)
            except TypeError as error:
                raise TypeError(
                    f"primitive {self.name!r}: the derivative for argument {i} works on floats "
                    f"only ({error}), so it cannot be differentiated again; write it with "
                    "autograd_lite's functions (exp, log, sigmoid, ...) to get higher orders"
                ) from None
            partials.append(self._checked(i, partial))
        return tuple(partials)

    def _checked(self, i: int, partial: object) -> Operand:
        """`partial` if it is a Value or a real number, else a TypeError naming the primitive."""
        if isinstance(partial, Value):
            return partial
        try:
            return _as_float(partial)
        except TypeError:
            raise TypeError(
                f"primitive {self.name!r}: the derivative for argument {i} returned "
                f"{type(partial).__name__} {partial!r}, not a number"
            ) from None


def primitive(name: str, fn: Callable[..., float], grads: Sequence[Callable[..., Any]]) -> Rule:
    """A new differentiable operation from a float function and one partial per argument.

    `fn(*xs)` computes the value from floats; `grads[i](*xs)` is d fn / d xs[i], written with
    autograd_lite's functions so that it also accepts Values (which gives higher derivatives).
    The result is called like the built-ins: numbers in, float out; any Value in, Value out.

    >>> softplus = primitive("softplus", lambda x: math.log1p(math.exp(x)), grads=(sigmoid,))
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"primitive needs a non-empty name, got {name!r}")
    if not callable(fn):
        raise TypeError(f"primitive {name!r} needs a callable fn, got {type(fn).__name__}")
    grads = tuple(grads)
    if not grads or not all(callable(d) for d in grads):
        raise TypeError(f"primitive {name!r} needs one callable partial derivative per argument")
    return Rule(name, _CheckedForward(name, fn), _PartialPerInput(name, grads), len(grads))
