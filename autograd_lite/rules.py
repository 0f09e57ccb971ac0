"""The table of differentiation rules: every operation the engine knows, in one place.

This module is the bottom of the engine. It knows numbers and nothing of graphs: each entry is
a `Rule`, a float function and, per input, a function giving the local derivative of the output
toward that input, `partial(*inputs, out)`. The partials are written with the table's own
functions and Python's operators, so one entry serves two passes:

- called with floats (in the forward pass), they give the float local derivatives that
  `Value.backward()` multiplies along the graph: the fast first-order path;
- called with Values, they build the derivative as a graph of its own, which can be
  differentiated again: that is how second and higher derivatives work.

Calling a rule on plain numbers returns a float. When an argument is not a number, the rule
hands itself to that argument's `__apply_rule__(rule, args)`, as a NumPy ufunc defers to an
operand's `__array_ufunc__` (NEP 13); `Value` answers by recording a node. So the table
needs no import of the graph above it, and `primitive()` makes user rules the same way.

Choices at kinks are written down where they are made: relu'(0) = abs'(0) = 0, sqrt'(0) = inf.
"""

from __future__ import annotations

import builtins
import contextvars
import math
import numbers
import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:  # for annotations only: this module never imports the graph above it
    from autograd_lite.value import Value

differentiating: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "differentiating", default=False
)
"""True while a user's partial runs on Values: `float(value)` there would silently cut the
derivative graph (`math.cos(x)` works through `__float__`), so Values refuse it then."""

Partial = Callable[..., Any]
"""`partial(*inputs, out)`: a local derivative, a float for floats and a Value for Values."""


def as_float(data: object) -> float:
    """`data` as a float, or a TypeError naming its type when it is not a real number."""
    if type(data) is float:
        return data
    if isinstance(data, numbers.Real):
        return float(data)
    raise TypeError(
        f"Value needs a real number (int, float or numpy scalar), got {type(data).__name__}"
    )


def is_number(x: object) -> bool:
    """Whether `x` is a plain real number (not a Value), the kind a rule computes on directly."""
    return type(x) is float or isinstance(x, numbers.Real)


class Constant:
    """A local derivative that is the same number everywhere (d(x + y)/dx = 1), as a partial.

    Callable like any partial; the graph reads `.value` instead of calling it.
    """

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def __call__(self, *inputs_and_out: Any) -> float:
        return self.value

    def __repr__(self) -> str:
        return f"Constant({self.value!r})"


class Rule:
    """A differentiable operation: `forward(*floats) -> float` and its local derivatives.

    `partials` holds one function per input, `partials[i](*inputs, out)` = d out / d input i;
    a plain number there is a constant local derivative (kept as a `Constant`). A rule with
    `arity=None` takes any number of inputs (`sum`, `dot`); its single partial function
    returns the local derivatives toward all of them at once.
    """

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        partials: Sequence[Partial | float],
        arity: int | None = -1,
        doc: str | None = None,
    ) -> None:
        self.name = name
        self.forward = forward
        self.partials: tuple[Partial, ...] = tuple(
            d if callable(d) else Constant(as_float(d)) for d in partials
        )
        self.arity = len(self.partials) if arity == -1 else arity
        self.__doc__ = doc or forward.__doc__

    def __repr__(self) -> str:
        return f"<rule {self.name}>"

    @overload
    def __call__(self, *args: float) -> float: ...  # type: ignore[overload-overlap]
    @overload
    def __call__(self, *args: Value | float) -> Value: ...
    def __call__(self, *args: Any) -> Any:
        """Numbers in, float out; with any Value among `args`, a Value recording them."""
        if self.arity is not None and len(args) != self.arity:
            raise TypeError(f"{self.name} takes {self.arity} argument(s), got {len(args)}")
        for arg in args:
            if not is_number(arg):
                apply = getattr(type(arg), "__apply_rule__", None)
                if apply is None:
                    raise TypeError(
                        f"{self.name} needs numbers or Values, got {type(arg).__name__} {arg!r}"
                    )
                return apply(arg, self, args)
        return self.forward(*[as_float(arg) for arg in args])

    def local_derivatives(self, inputs: Sequence[Any], out: Any) -> Sequence[Any]:
        """d out / d input for every input, from floats or Values (the Value pass uses this)."""
        if self.arity is None:
            return self.partials[0](*inputs, out)  # type: ignore[no-any-return]
        return [partial(*inputs, out) for partial in self.partials]


def _vertical_tangent(x: Any) -> Any:
    """+inf, the slope of a vertical tangent (sqrt and x**p, 0 < p < 1, at x = 0).

    On Values (a derivative to be differentiated again) it is inf * (1 + 0*x): still inf, but
    its own derivative is inf * 0 = nan. The next derivative does not exist there, and nan
    says so where a constant inf would silently give 0.
    """
    return math.inf if is_number(x) else math.inf * (1.0 + 0.0 * x)


# ---------------------------------------------------------------- arithmetic


def _div(x: float, y: float) -> float:
    """x / y; ZeroDivisionError when y is 0."""
    if y == 0:
        raise ZeroDivisionError(f"division by zero: {x!r} / {y!r}")
    return x / y


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


def _pow_d_base(x: Any, y: Any, out: Any) -> Any:
    """y * x**(y-1); at x = 0 with 0 < y < 1 that is the vertical tangent, +inf."""
    base, exponent = float(x), float(y)
    if base == 0 and exponent < 1:
        return 0.0 if exponent == 0 else _vertical_tangent(x)
    return y * x ** (y - 1)


def _pow_d_exponent(x: Any, y: Any, out: Any) -> Any:
    """x**y * log(x), for x > 0 only (it tends to 0 as x -> 0+).

    For x < 0 the power is real at integer y alone, where it has no y-derivative: y is held
    fixed (0).
    """
    return out * log(x) if float(x) > 0 else 0.0


# ---------------------------------------------------------------- elementary functions


def _exp(x: float) -> float:
    """e ** x; OverflowError past about x = 709."""
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: exp({x!r}) is too large for a float") from None


def _log(x: float) -> float:
    """Natural logarithm; ValueError unless x > 0."""
    if x <= 0:
        raise ValueError(f"log: the logarithm needs a positive number, got {x!r}")
    return math.log(x)


def _sqrt(x: float) -> float:
    """Square root; ValueError for a negative number."""
    if x < 0:
        raise ValueError(f"sqrt: the square root needs a non-negative number, got {x!r}")
    return math.sqrt(x)


def _sqrt_partial(x: Any, out: Any) -> Any:
    return 0.5 / out if float(out) != 0 else _vertical_tangent(x)


def _sigmoid(x: float) -> float:
    """Logistic function 1 / (1 + e**-x), computed without overflow for any x."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _relu(x: float) -> float:
    """max(x, 0); its derivative at 0 is taken as 0."""
    return x if x > 0 else 0.0


def _relu_partial(x: Any, out: Any) -> float:
    return 1.0 if float(x) > 0 else 0.0


def _abs_partial(x: Any, out: Any) -> float:
    base = float(x)
    return 1.0 if base > 0 else -1.0 if base < 0 else 0.0


# ---------------------------------------------------------------- n-ary: one node, many inputs


def _sum(*xs: float) -> float:
    """x0 + x1 + ... as one node."""
    return builtins.sum(xs, 0.0)  # 0.0, not the int 0, for no terms


def _sum_partials(*xs_and_out: Any) -> tuple[float, ...]:
    return (1.0,) * (len(xs_and_out) - 1)


def _dot(*ws_then_xs: float) -> float:
    """w0*x0 + w1*x1 + ... as one node; the inputs are all the w's, then all the x's."""
    xs = ws_then_xs[len(ws_then_xs) // 2 :]
    total: float = builtins.sum(map(operator.mul, ws_then_xs, xs), 0.0)  # map stops at the x's
    return total


def _dot_partials(*ws_xs_and_out: Any) -> tuple[Any, ...]:
    half = len(ws_xs_and_out) // 2  # n w's, n x's, then out
    return ws_xs_and_out[half:-1] + ws_xs_and_out[:half]  # d/dw_i = x_i and d/dx_i = w_i


# ---------------------------------------------------------------- the table

add = Rule("+", operator.add, (1.0, 1.0), doc="x + y.")
sub = Rule("-", operator.sub, (1.0, -1.0), doc="x - y.")
mul = Rule("*", operator.mul, (lambda x, y, out: y, lambda x, y, out: x), doc="x * y.")
div = Rule("/", _div, (lambda x, y, out: 1.0 / y, lambda x, y, out: -out / y))
pow = Rule("**", _pow, (_pow_d_base, _pow_d_exponent))
neg = Rule("neg", operator.neg, (-1.0,), doc="-x.")
exp = Rule("exp", _exp, (lambda x, out: out,))
log = Rule("log", _log, (lambda x, out: 1.0 / x,))
sqrt = Rule("sqrt", _sqrt, (_sqrt_partial,))
tanh = Rule("tanh", math.tanh, (lambda x, out: 1.0 - out * out,), doc="Hyperbolic tangent.")
sigmoid = Rule("sigmoid", _sigmoid, (lambda x, out: out * (1.0 - out),))
relu = Rule("relu", _relu, (_relu_partial,))
abs = Rule("abs", math.fabs, (_abs_partial,), doc="|x|; its derivative at 0 is taken as 0.")


def _sin_partial(x: Any, out: Any) -> Any:
    return cos(x)


def _cos_partial(x: Any, out: Any) -> Any:
    return -sin(x)


sin = Rule("sin", math.sin, (_sin_partial,), doc="Sine.")
cos = Rule("cos", math.cos, (_cos_partial,), doc="Cosine.")
sum_rule = Rule("sum", _sum, (_sum_partials,), arity=None)
dot_rule = Rule("dot", _dot, (_dot_partials,), arity=None)

RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (add, sub, mul, div, neg, pow, exp, log, sqrt, tanh, sigmoid, relu, abs, sin, cos)
}
RULES.update(sum=sum_rule, dot=dot_rule)


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
            return as_float(out)
        except TypeError:
            raise TypeError(
                f"primitive {self.name!r} returned {type(out).__name__} {out!r}, not a real number"
            ) from None


class _UserPartial:
    """A user's `d(*xs)` for input `i`, as a rule's `partial(*xs, out)`, its result checked."""

    def __init__(self, name: str, i: int, d: Callable[..., Any]) -> None:
        self.name, self.i, self.d = name, i, d

    def __call__(self, *xs_and_out: Any) -> Any:
        xs = xs_and_out[:-1]
        on_numbers = all(is_number(x) for x in xs)
        token = differentiating.set(not on_numbers)
        try:
            partial = self.d(*xs)
        except TypeError as error:
            if on_numbers:
                raise
            raise TypeError(
                f"primitive {self.name!r}: the derivative for argument {self.i} works on floats "
                f"only ({error}), so it cannot be differentiated again; write it with "
                "autograd_lite's functions (exp, log, sigmoid, ...) to get higher orders"
            ) from None
        finally:
            differentiating.reset(token)
        if not is_number(partial):
            if not hasattr(type(partial), "__apply_rule__"):
                raise TypeError(
                    f"primitive {self.name!r}: the derivative for argument {self.i} returned "
                    f"{type(partial).__name__} {partial!r}, not a number"
                )
            if not on_numbers:
                return partial  # a Value: the derivative as a graph, for higher orders
        return float(partial)


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
    partials = [_UserPartial(name, i, d) for i, d in enumerate(grads)]
    return Rule(name, _CheckedForward(name, fn), partials)
