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

The numeric policy, the same for every rule, forward and every derivative order
------------------------------------------------------------------------------
1. Outside the domain, an error. A finite input where the real function has no value (log or
   log2 of a non-positive number, sqrt of a negative, asin of 2, atanh(1), a negative base to a
   non-integer power, division by zero, 0 ** -1) raises ValueError or ZeroDivisionError naming
   the operation and the number. Nothing silently becomes complex, and no pole silently
   becomes inf in a forward value: API.md promises these errors.
2. Beyond the float range, IEEE 754, as PyTorch does: a result too large is ±inf (exp(710),
   1e200 ** 2, sinh(1000), 2 ** 1e4), never an OverflowError, so `x * x` and `x ** 2` agree.
   Infinite inputs are limits (exp(-inf) = 0, atan(inf) = pi/2, log(inf) = inf); where there
   is no limit the answer is nan (sin(inf), inf - inf). An input whose limit lies outside the
   domain is rule 1 (log(-inf), sqrt(-inf)).
3. NaN goes through. A nan input gives a nan value, never an error and never a number: every
   rule that branches on a comparison is written so that nan falls into a branch that returns
   nan (`0.0 if x <= 0 else x`, not `x if x > 0 else 0.0`). The local derivative at a nan input
   is what PyTorch gives where PyTorch has a rule (relu'(nan) = 1); it never hides the nan
   value, which flows on through the graph.
4. A derivative is never an error where the value exists, and never finite where it does not.
   Derivatives are computed with IEEE powers (`_ieee_power`: 0 ** -0.5 = inf, overflow = inf),
   so sqrt'(0) = inf, d/dx 1e-300 ** -1 = -inf, and the derivatives after them stay non-finite
   at every order. A derivative that does not exist (toward the exponent of a negative base)
   is nan at every order, in every order of differentiation, so Hessians stay symmetric.
5. Kinks and ties are choices, written beside each rule, as PyTorch makes them: relu'(0) = 0,
   abs'(0) = 0, leaky_relu'(0) = slope, clamp passes the gradient at its bounds, maximum and
   minimum split it half and half at a tie, sign, floor and ceil have derivative 0.

Why IEEE beyond the float range: a float overflowing is not a mistake in the formula, it is the
arithmetic running out of exponent, and the rest of the program (x * x, sums, PyTorch, NumPy)
already says inf; raising there would make x ** 2 fail where x * x does not, and a training run
would die on a number that a later `min`, `sigmoid` or `exp(-x)` brings back. Domain errors stay
errors because there the formula itself has no real answer.

Each rule also records, for the Hypothesis strategies of `autograd_lite.testing`, the domain
of each input (`domain`, one of `DOMAINS`) and where it is not smooth (`kinks`: quantities of
the inputs that are 0 at a kink or a jump).
"""

from __future__ import annotations

import builtins
import contextvars
import inspect
import keyword
import math
import numbers
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar, overload


class Traced(Protocol):
    """What a rule defers to when an argument is not a number: a Value, to this module."""

    def __apply_rule__(self, rule: Rule, args: Sequence[Any]) -> Any: ...


TracedT = TypeVar("TracedT", bound=Traced)

differentiating: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "differentiating", default=False
)
"""True while a user's partial runs on Values: `float(value)` there would silently cut the
derivative graph (`math.cos(x)` works through `__float__`), so Values refuse it then."""

Partial = Callable[..., Any]
"""`partial(*inputs, out)`: a local derivative, a float for floats and a Value for Values."""

Kinks = Callable[..., Sequence[Any]]
"""`kinks(*inputs)`: quantities that are 0 where the rule is not smooth (relu: `(x,)`)."""

DOMAINS = ("real", "positive", "nonzero", "> -1", ">= 1", "[-1, 1]", "(-1, 1)")
"""The domains an input can have: all reals, x > 0, x != 0, x > -1, x >= 1, |x| <= 1, |x| < 1."""

nan = math.nan
inf = math.inf
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def as_float(data: object, what: str = "Value") -> float:
    """`data` as a float; TypeError naming its type when it is not a real number, and
    OverflowError naming it (and `what` it was given to) when it is an integer beyond the
    float range."""
    if type(data) is float:
        return data
    if isinstance(data, numbers.Real):
        try:
            return float(data)
        except OverflowError:
            digits = str(builtins.abs(int(data)))  # type: ignore[call-overload]
            shown = digits if len(digits) <= 20 else f"{digits[:6]}...{digits[-4:]}"
            sign = "-" if data < 0 else ""
            raise OverflowError(
                f"{what}: the integer {sign}{shown} ({len(digits)} digits) is too large for a "
                "float, whose largest value is about 1.8e308"
            ) from None
    raise TypeError(
        f"Value needs a real number (int, float or numpy scalar), got {type(data).__name__}"
    )


def is_number(x: object) -> bool:
    """Whether `x` is a plain real number (not a Value), the kind a rule computes on directly."""
    return type(x) is float or isinstance(x, numbers.Real)


def _data(x: Any) -> float:
    """The number in `x`, a number or a Value: what a partial's branches compare.

    Comparing through `.data` (not `float()`) keeps working inside a user's partial, where
    `float(value)` is refused.
    """
    if type(x) is float:
        return x
    return float(x) if is_number(x) else float(x.data)


class Constant:
    """A local derivative that is the same number everywhere (d(x + y)/dx = 1), as a partial.

    Callable like any partial; the graph's builders read `.value` instead of calling it.
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
    `arity=None` takes any number of inputs (`sum`, `dot`) as one list: `forward(inputs)`, and
    its single partial function, `partials[0](inputs, out)`, returns the local derivatives
    toward all of them at once (a list of 34 numbers is not unpacked into 34 arguments).

    `defaults` are values for trailing inputs a call may leave out (leaky_relu's slope).
    `domain` names each input's domain (one of `DOMAINS`; "real" when None) and `kinks`
    gives quantities that are 0 where the rule is not smooth: what `autograd_lite.testing`
    needs to draw inputs where finite differences are meaningful.
    """

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        partials: Sequence[Partial | float],
        arity: int | None = -1,
        *,
        doc: str | None = None,
        defaults: Sequence[float] = (),
        domain: Sequence[str] | None = None,
        kinks: Kinks | None = None,
    ) -> None:
        self.name = name
        self.forward = forward
        self.partials: tuple[Partial, ...] = tuple(
            d if callable(d) else Constant(as_float(d)) for d in partials
        )
        self.arity = len(self.partials) if arity == -1 else arity
        self.defaults = tuple(defaults)
        n = self.arity if self.arity is not None else 0
        self.domain = tuple(domain) if domain is not None else ("real",) * n
        if not set(self.domain) <= set(DOMAINS) or len(self.domain) != n:
            raise ValueError(f"rule {name!r}: domain {self.domain!r} must give one of {DOMAINS}")
        self.kinks = kinks
        self.__doc__ = doc or forward.__doc__

    def __repr__(self) -> str:
        return f"<rule {self.name}>"

    @overload
    def __call__(self, *args: float) -> float: ...  # type: ignore[overload-overlap]
    @overload
    def __call__(self, *args: TracedT | float) -> TracedT: ...
    def __call__(self, *args: Any) -> Any:
        """Numbers in, float out; with any Value among `args`, a Value recording them."""
        if self.arity is not None and len(args) != self.arity:
            args = self._with_defaults(args)
        for arg in args:
            if not is_number(arg):
                apply = getattr(type(arg), "__apply_rule__", None)
                if apply is None:
                    raise TypeError(
                        f"{self.name} needs numbers or Values, got {type(arg).__name__} {arg!r}"
                    )
                return apply(arg, self, args)
        numbers = [as_float(arg, self.name) for arg in args]
        return self.forward(numbers) if self.arity is None else self.forward(*numbers)

    def _with_defaults(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        """`args` completed with the defaults of the inputs left out; TypeError for a bad count."""
        assert self.arity is not None
        fewest = self.arity - len(self.defaults)
        if not fewest <= len(args) <= self.arity:
            takes = f"{self.arity}" if fewest == self.arity else f"{fewest} to {self.arity}"
            raise TypeError(f"{self.name} takes {takes} argument(s), got {len(args)}")
        return args + self.defaults[len(args) - fewest :]

    def local_derivatives(self, inputs: Sequence[Any], out: Any) -> Sequence[Any]:
        """d out / d input for every input, from floats or Values (the Value pass uses this)."""
        if self.arity is None:
            return self.partials[0](inputs, out)  # type: ignore[no-any-return]
        return [partial(*inputs, out) for partial in self.partials]


def _outside(name: str, x: float, needs: str) -> ValueError:
    """The error for an input outside a function's domain, naming both."""
    return ValueError(f"{name}: {needs}, got {x!r}")


# ---------------------------------------------------------------- powers, by IEEE for derivatives


def _is_odd(y: float) -> bool:
    """Whether `y` is an odd integer (then a negative base keeps its sign)."""
    return y % 2 == 1


def _ieee_pow(x: float, y: float) -> float:
    """x ** y as IEEE 754 and PyTorch have it: 0 ** -1 = inf, overflow = ±inf, (-8) ** 0.5 = nan.

    The power inside derivatives, where a pole is an infinite slope, not an error.
    """
    if x == 0 and y < 0:
        return -inf if _is_odd(y) and math.copysign(1.0, x) < 0 else inf
    if x < 0 and not y.is_integer() and y - y == 0:  # y - y == 0: y is finite
        return nan
    try:
        result: float = x**y
    except OverflowError:
        return -inf if x < 0 and _is_odd(y) else inf
    return result


def _pow(x: float, y: float) -> float:
    """x ** y, never complex: a negative base needs an integer exponent, a zero base a
    non-negative one. Too large for a float: ±inf."""
    if x < 0 and not y.is_integer() and y - y == 0:
        raise ValueError(f"pow: negative base {x!r} to the non-integer power {y!r} is not real")
    if x == 0 and y < 0:
        raise ZeroDivisionError(f"pow: zero base {x!r} to the negative power {y!r}")
    try:
        result: float = x**y
    except OverflowError:
        return -inf if x < 0 and _is_odd(y) else inf
    return result


def _pow_d_base(x: Any, y: Any, out: Any) -> Any:
    """y * x**(y-1), by IEEE powers: at x = 0 with y < 1 it is +inf (a vertical tangent, or
    a pole), and so are the derivatives after it. x**0 is the constant 1 everywhere (0**0 = 1),
    so its derivative is the constant 0, as PyTorch has it."""
    if type(y) is float:  # a constant exponent: the usual case, and the fast one
        if y == 2.0:
            return 2.0 * x
        if y == 0.0:
            return 0.0
        if type(x) is float:
            try:
                return y * x ** (y - 1.0)
            except (OverflowError, ZeroDivisionError):
                return y * _ieee_pow(x, y - 1.0)
    elif _data(x) == 0 and _data(y) in (0.0, 1.0):
        # y * 0**(y-1) at the edge of the domain: PyTorch's 0 at 0**0, and 1 at 0**1; the slope
        # toward y (1 + log x at y = 1) does not exist, so that of 0**y toward x neither
        if _data(y) == 0:
            return _zero_of_unknown_slope(x, y)
        return 1.0 + _zero_of_unknown_slope(y)
    return y * _ieee_power(x, y - 1.0)


def _pow_d_exponent(x: Any, y: Any, out: Any) -> Any:
    """x**y * log(x) for x > 0; 0 at x = 0 (0**y = 0 for y > 0; PyTorch's 0 at y = 0 too).

    For x < 0 the power is real at integer y alone: it has no derivative toward y, and that
    is nan, at every order (`out * nan` stays a graph), so both orders of a mixed second
    derivative agree (PyTorch: nan).
    """
    base = _data(x)
    if base > 0:
        return out * (math.log(x) if type(x) is float else log(x))
    if base == 0 and _data(y) >= 0:
        # 0**y = 0 for every y > 0, so d/dy = 0 (PyTorch's 0 at y = 0 too). Its own slope
        # toward x, x**(y-1) * (1 + y log x), is 0 only for y > 1; below, it is not a number.
        if type(x) is float or _data(y) > 1:
            return 0.0
        return _zero_of_unknown_slope(x)
    return out * nan  # also 0 ** y, y < 0 (inf for every such y), inside derivatives


def _zero_of_unknown_slope(*xs: Any) -> Any:
    """0, with nan as its derivative toward each of `xs` (Values): an exact value whose
    slope does not exist, so that every order after it says so, whichever order it is taken
    in. Built as where(1, 0, nan * (x0 + ...)): the branch not taken passes its nan slope on
    multiplied by 0, which IEEE keeps nan."""
    return where(1.0, 0.0, nan * sum_rule(*xs))


def _power(x: Any, y: Any) -> Any:
    """x ** y by IEEE rules, for derivatives: a float for floats, else a Value."""
    if type(x) is float and type(y) is float:
        return _ieee_pow(x, y)
    return _ieee_power(x, y)


def _over(a: Any, b: Any) -> Any:
    """a / b, but ±inf or nan where b is 0 (IEEE), for derivatives.

    Division rather than a * b ** -1 away from 0: its own derivative, -(a / b) / b, does not
    overflow where 1 / b ** 2 would (b = 1e-300).
    """
    return a / b if _data(b) != 0 else a * _inv(b)


def _inv(x: Any) -> Any:
    """1 / x, ±inf at ±0: a derivative's slope at a pole, not an error."""
    if type(x) is float:
        return 1.0 / x if x != 0 else math.copysign(inf, x)
    return _ieee_power(x, -1.0)


_ieee_power = Rule("**", _ieee_pow, (_pow_d_base, _pow_d_exponent))
"""x ** y with IEEE poles (0 ** -1 = inf): only inside derivatives, never in the table."""


# ---------------------------------------------------------------- arithmetic


def _div(x: float, y: float) -> float:
    """x / y; ZeroDivisionError when y is 0."""
    if y == 0:
        raise ZeroDivisionError(f"division by zero: {x!r} / {y!r}")
    return x / y


# ---------------------------------------------------------------- exponentials and logarithms


def _beyond_range_inf(fn: Callable[[float], float], doc: str) -> Callable[[float], float]:
    """`fn` from `math`, giving +inf where the result is beyond the float range (math raises)."""

    def forward(x: float) -> float:
        try:
            return fn(x)
        except OverflowError:
            return inf

    forward.__doc__ = doc
    return forward


def _nan_at_infinity(fn: Callable[[float], float], doc: str) -> Callable[[float], float]:
    """`fn` from `math`, giving nan at ±inf, where it has no limit (math says "domain error")."""

    def forward(x: float) -> float:
        try:
            return fn(x)
        except ValueError:
            return nan

    forward.__doc__ = doc
    return forward


_exp = _beyond_range_inf(math.exp, "e ** x; inf past about x = 709.78.")
_expm1 = _beyond_range_inf(math.expm1, "e ** x - 1, accurate near 0; inf past about x = 709.78.")
_cosh = _beyond_range_inf(math.cosh, "Hyperbolic cosine; inf past about |x| = 710.")
_sin = _nan_at_infinity(math.sin, "Sine; nan at ±inf.")
_cos = _nan_at_infinity(math.cos, "Cosine; nan at ±inf.")
_tan = _nan_at_infinity(math.tan, "Tangent; nan at ±inf.")


def _exp2(x: float) -> float:
    """2 ** x; inf past x = 1024."""
    try:
        result: float = 2.0**x
    except OverflowError:
        return inf
    return result


def _log(x: float) -> float:
    """Natural logarithm; ValueError unless x > 0."""
    if x <= 0:
        raise ValueError(f"log: the logarithm needs a positive number, got {x!r}")
    return math.log(x)


def _log2(x: float) -> float:
    """Base-2 logarithm; ValueError unless x > 0."""
    if x <= 0:
        raise _outside("log2", x, "the logarithm needs a positive number")
    return math.log2(x)


def _log10(x: float) -> float:
    """Base-10 logarithm; ValueError unless x > 0."""
    if x <= 0:
        raise _outside("log10", x, "the logarithm needs a positive number")
    return math.log10(x)


def _log1p(x: float) -> float:
    """log(1 + x), accurate near 0; ValueError unless x > -1."""
    if x <= -1:
        raise _outside("log1p", x, "log1p(x) needs x > -1")
    return math.log1p(x)


def _sqrt(x: float) -> float:
    """Square root; ValueError for a negative number. sqrt'(0) = +inf (a vertical tangent)."""
    if x < 0:
        raise ValueError(f"sqrt: the square root needs a non-negative number, got {x!r}")
    return math.sqrt(x)


def _sqrt_partial(x: Any, out: Any) -> Any:
    if type(out) is float:
        return 0.5 / out if out != 0 else math.copysign(inf, out)
    return 0.5 * _inv(out)


def _softplus(x: float) -> float:
    """log(1 + e**x), as max(x, 0) + log1p(e**-|x|): no overflow for any x; d/dx = sigmoid(x)."""
    return (0.0 if x <= 0 else x) + math.log1p(math.exp(-math.fabs(x)))


def _logaddexp(x: float, y: float) -> float:
    """log(e**x + e**y) without overflow; d/dx = sigmoid(x - y). logaddexp(inf, inf) = inf."""
    if x == y:
        return x + _LN2  # also ±inf, where x - y would be nan
    top = x if x > y else y  # nan: one of them is nan, and so is the result
    return top + math.log1p(math.exp(-math.fabs(x - y)))


# ---------------------------------------------------------------- trigonometric and hyperbolic


def _asin(x: float) -> float:
    """Inverse sine; ValueError outside [-1, 1]; the slope is +inf at ±1."""
    if x < -1 or x > 1:
        raise _outside("asin", x, "asin needs a number in [-1, 1]")
    return math.asin(x)


def _acos(x: float) -> float:
    """Inverse cosine; ValueError outside [-1, 1]; the slope is -inf at ±1."""
    if x < -1 or x > 1:
        raise _outside("acos", x, "acos needs a number in [-1, 1]")
    return math.acos(x)


def _atan(x: float) -> float:
    """Inverse tangent; ±pi/2 at ±inf."""
    return math.atan(x)


def _atan2(y: float, x: float) -> float:
    """The angle of the point (x, y), in [-pi, pi] (arguments y first, as in math and PyTorch).

    Its partials x / (x² + y²) and -y / (x² + y²) are nan at the origin, where it has no
    derivative; it jumps from pi to -pi across the negative x axis.
    """
    return math.atan2(y, x)


def _atan2_d_y(y: Any, x: Any, out: Any) -> Any:
    r = hypot(y, x)  # x / (x² + y²) as (x / r) / r: no underflow in the squares
    return _over(_over(x, r), r)


def _atan2_d_x(y: Any, x: Any, out: Any) -> Any:
    r = hypot(y, x)
    return _over(_over(-y, r), r)


def _sinh(x: float) -> float:
    """Hyperbolic sine; ±inf past about |x| = 710."""
    try:
        return math.sinh(x)
    except OverflowError:
        return math.copysign(inf, x)


def _asinh(x: float) -> float:
    """Inverse hyperbolic sine."""
    return math.asinh(x)


def _acosh(x: float) -> float:
    """Inverse hyperbolic cosine; ValueError below 1; the slope is +inf at 1."""
    if x < 1:
        raise _outside("acosh", x, "acosh needs a number >= 1")
    return math.acosh(x)


def _atanh(x: float) -> float:
    """Inverse hyperbolic tangent; ValueError unless -1 < x < 1 (infinite at ±1, a pole)."""
    if x <= -1 or x >= 1:
        raise _outside("atanh", x, "atanh needs -1 < x < 1 (at ±1 it is infinite)")
    return math.atanh(x)


def _erf(x: float) -> float:
    """The error function, 2/sqrt(pi) times the integral of e**-t² from 0 to x."""
    return math.erf(x)


def _hypot(x: float, y: float) -> float:
    """sqrt(x² + y²) without overflow in the squares; its partials x / out and y / out are nan
    at the origin, where it has a kink."""
    try:
        return math.hypot(x, y)
    except OverflowError:
        return inf


# ---------------------------------------------------------------- activations


def _sigmoid(x: float) -> float:
    """Logistic function 1 / (1 + e**-x), computed without overflow for any x."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # also nan for nan
    return e / (1.0 + e)


def _relu(x: float) -> float:
    """max(x, 0); relu'(0) = 0; relu(nan) = nan with relu'(nan) = 1, as in PyTorch."""
    return 0.0 if x <= 0 else x


def _relu_partial(x: Any, out: Any) -> float:
    return 0.0 if x <= 0 else 1.0


def _abs(x: float) -> float:
    """|x|; abs'(0) = 0 and abs'(nan) = sign(nan) = nan."""
    return math.fabs(x)


def _abs_partial(x: Any, out: Any) -> Any:
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if _data(x) == 0 else nan  # == is identity


def _silu(x: float) -> float:
    """x * sigmoid(x) (swish); nan at -inf, as PyTorch (-inf * 0)."""
    return x * _sigmoid(x)


def _silu_partial(x: Any, out: Any) -> Any:
    s = sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


def _gelu(x: float) -> float:
    """x * Phi(x) with Phi the normal distribution function, the exact (erf) form; nan at -inf."""
    return 0.5 * x * (1.0 + math.erf(x * _INV_SQRT2))


def _gelu_partial(x: Any, out: Any) -> Any:
    return 0.5 * (1.0 + erf(x * _INV_SQRT2)) + x * _INV_SQRT_2PI * exp(-0.5 * x * x)


def _leaky_relu(x: float, slope: float) -> float:
    """x for x > 0, else slope * x (slope 0.01 by default); d/dx = slope at 0 and at nan, as
    PyTorch; the slope may be a Value too (d/dslope = x for x <= 0, else 0)."""
    return x if x > 0 else x * slope


def _elu(x: float, alpha: float) -> float:
    """x for x > 0, else alpha * (e**x - 1) (alpha 1 by default); at 0 every derivative is
    the x <= 0 branch's (d/dx = alpha, as PyTorch), at nan the other's (d/dx = 1, as PyTorch);
    alpha may be a Value too (d/dalpha = e**x - 1 for x <= 0, else 0)."""
    return x if x > 0 else alpha * math.expm1(x)


# ---------------------------------------------------------------- piecewise


def _maximum(x: float, y: float) -> float:
    """The larger of x and y, nan if either is nan; at a tie each gets half the gradient
    (PyTorch's choice: maximum(x, x) then has slope 1)."""
    return x if x >= y else y if y > x else nan


def _minimum(x: float, y: float) -> float:
    """The smaller of x and y, nan if either is nan; at a tie each gets half the gradient."""
    return x if x <= y else y if y < x else nan


def _max_partial(x: Any, y: Any, out: Any) -> float:
    a, b = _data(x), _data(y)
    return 0.0 if a < b else 0.5 if a == b else 1.0


def _min_partial(x: Any, y: Any, out: Any) -> float:
    a, b = _data(x), _data(y)
    return 0.0 if a > b else 0.5 if a == b else 1.0


def _clamp(x: float, lo: float, hi: float) -> float:
    """min(max(x, lo), hi), as torch.clamp: hi when lo > hi; nan if any input is nan.

    Bounds default to -inf and inf. The gradient passes to x at the bounds (lo <= x <= hi),
    to lo where x < lo <= hi and to hi where x > hi or hi < lo, as PyTorch's, except that
    PyTorch gives lo nothing at lo = hi (where clamp(x, t, t) = t has slope 1 toward t).
    """
    if lo != lo or hi != hi:
        return nan
    r = lo if x < lo else x
    return hi if r > hi else r


def _clamp_d_x(x: Any, lo: Any, hi: Any, out: Any) -> float:
    return 1.0 if _data(lo) <= _data(x) <= _data(hi) else 0.0


def _clamp_d_lo(x: Any, lo: Any, hi: Any, out: Any) -> float:
    a, low = _data(x), _data(lo)
    return 1.0 if a < low <= _data(hi) else 0.0  # PyTorch: low < hi, so clamp(x, t, t) had 0


def _clamp_d_hi(x: Any, lo: Any, hi: Any, out: Any) -> float:
    high = _data(hi)
    return 1.0 if _data(x) > high or high < _data(lo) else 0.0


def _where(condition: float, x: float, y: float) -> float:
    """x where the condition is true (non-zero), else y; nan for a nan condition, which is
    neither. The condition gets derivative 0 (a bool from `a < b`, or any number)."""
    if condition != condition:
        return nan
    return x if condition else y


def _where_d_x(condition: Any, x: Any, y: Any, out: Any) -> float:
    c = _data(condition)
    return nan if c != c else 1.0 if c else 0.0


def _where_d_y(condition: Any, x: Any, y: Any, out: Any) -> float:
    c = _data(condition)
    return nan if c != c else 0.0 if c else 1.0


def _sign(x: float) -> float:
    """1 for x > 0, -1 for x < 0, x itself for ±0 and nan (PyTorch says 0 at nan; NumPy and
    this table let the nan through). Derivative 0 everywhere, at the jump too."""
    return 1.0 if x > 0 else -1.0 if x < 0 else x


def _floor(x: float) -> float:
    """The largest integer <= x, as a float (±inf and nan unchanged); derivative 0."""
    if x - x != 0:  # ±inf or nan
        return x
    r = float(math.floor(x))
    return r if r else math.copysign(0.0, x)


def _ceil(x: float) -> float:
    """The smallest integer >= x, as a float (±inf and nan unchanged; ceil(-0.5) = -0.0);
    derivative 0."""
    if x - x != 0:
        return x
    r = float(math.ceil(x))
    return r if r else math.copysign(0.0, x)


def _zero(*inputs_and_out: Any) -> float:
    return 0.0


def _off_integers(x: Any) -> tuple[Any]:
    """x - round(x): 0 at the integers, where floor and ceil jump."""
    return (x - round(_data(x)),)


# ---------------------------------------------------------------- n-ary: one node, many inputs


def _sum(xs: Sequence[float]) -> float:
    """x0 + x1 + ... as one node."""
    return builtins.sum(xs, 0.0)  # 0.0, not the int 0, for no terms


def _sum_partials(xs: Sequence[Any], out: Any) -> tuple[float, ...]:
    return (1.0,) * len(xs)


def _dot(ws_then_xs: Sequence[float]) -> float:
    """w0*x0 + w1*x1 + ... as one node; the inputs are all the w's, then all the x's."""
    xs = ws_then_xs[len(ws_then_xs) >> 1 :]
    total: float = builtins.sum(map(operator.mul, ws_then_xs, xs), 0.0)  # map stops at the x's
    return total


def _dot_partials(ws_then_xs: Sequence[Any], out: Any) -> Sequence[Any]:
    half = len(ws_then_xs) >> 1
    return [*ws_then_xs[half:], *ws_then_xs[:half]]  # d/dw_i = x_i and d/dx_i = w_i


# ---------------------------------------------------------------- the table
# One entry per operation: name, float function, one partial per input (written with the
# table's own functions, so they work on Values too), then the domain and kinks for testing.

# arithmetic
add = Rule("+", operator.add, (1.0, 1.0), doc="x + y.")
sub = Rule("-", operator.sub, (1.0, -1.0), doc="x - y.")
mul = Rule("*", operator.mul, (lambda x, y, out: y, lambda x, y, out: x), doc="x * y.")
div = Rule(
    "/", _div, (lambda x, y, out: 1.0 / y, lambda x, y, out: -out / y), domain=("real", "nonzero")
)
pow = Rule("**", _pow, (_pow_d_base, _pow_d_exponent), domain=("positive", "real"))
neg = Rule("neg", operator.neg, (-1.0,), doc="-x.")

# exponentials and logarithms
exp = Rule("exp", _exp, (lambda x, out: out,))
log = Rule("log", _log, (lambda x, out: 1.0 / x,), domain=("positive",))
sqrt = Rule("sqrt", _sqrt, (_sqrt_partial,), domain=("positive",))

# activations (the original ones)
tanh = Rule("tanh", math.tanh, (lambda x, out: 1.0 - out * out,))
tanh.__doc__ = "Hyperbolic tangent (finite for any x)."
sigmoid = Rule("sigmoid", _sigmoid, (lambda x, out: out * (1.0 - out),))
relu = Rule("relu", _relu, (_relu_partial,), kinks=lambda x: (x,))
abs = Rule("abs", _abs, (_abs_partial,), kinks=lambda x: (x,))


def _sin_partial(x: Any, out: Any) -> Any:
    return cos(x)


def _cos_partial(x: Any, out: Any) -> Any:
    return -sin(x)


def _sinh_partial(x: Any, out: Any) -> Any:
    return cosh(x)


def _cosh_partial(x: Any, out: Any) -> Any:
    return sinh(x)


sin = Rule("sin", _sin, (_sin_partial,))
cos = Rule("cos", _cos, (_cos_partial,))

# trigonometric and hyperbolic
tan = Rule("tan", _tan, (lambda x, out: 1.0 + out * out,), kinks=lambda x: (cos(x),))  # poles
asin = Rule("asin", _asin, (lambda x, out: _power(1.0 - x * x, -0.5),), domain=("[-1, 1]",))
acos = Rule("acos", _acos, (lambda x, out: -_power(1.0 - x * x, -0.5),), domain=("[-1, 1]",))
atan = Rule("atan", _atan, (lambda x, out: 1.0 / (1.0 + x * x),))
atan2 = Rule(
    "atan2",
    _atan2,
    (_atan2_d_y, _atan2_d_x),
    kinks=lambda y, x: (y if x < 0 else 1.0, x, y),  # the cut along x < 0, the origin
)
sinh = Rule("sinh", _sinh, (_sinh_partial,))
cosh = Rule("cosh", _cosh, (_cosh_partial,))
asinh = Rule("asinh", _asinh, (lambda x, out: _power(x * x + 1.0, -0.5),))
acosh = Rule("acosh", _acosh, (lambda x, out: _power(x * x - 1.0, -0.5),), domain=(">= 1",))
atanh = Rule("atanh", _atanh, (lambda x, out: _inv(1.0 - x * x),), domain=("(-1, 1)",))

# more exponentials and logarithms
log1p = Rule("log1p", _log1p, (lambda x, out: 1.0 / (1.0 + x),), domain=("> -1",))
expm1 = Rule("expm1", _expm1, (lambda x, out: out + 1.0,))
log2 = Rule("log2", _log2, (lambda x, out: 1.0 / (x * _LN2),), domain=("positive",))
log10 = Rule("log10", _log10, (lambda x, out: 1.0 / (x * _LN10),), domain=("positive",))
exp2 = Rule("exp2", _exp2, (lambda x, out: out * _LN2,))
erf = Rule("erf", _erf, (lambda x, out: _TWO_OVER_SQRT_PI * exp(-(x * x)),))
softplus = Rule("softplus", _softplus, (lambda x, out: sigmoid(x),))
logaddexp = Rule(
    "logaddexp", _logaddexp, (lambda x, y, out: sigmoid(x - y), lambda x, y, out: sigmoid(y - x))
)
hypot = Rule(
    "hypot",
    _hypot,
    (lambda x, y, out: _over(x, out), lambda x, y, out: _over(y, out)),
    kinks=lambda x, y: (x, y),  # the origin (kinks are where a quantity changes sign)
)

# more activations
silu = Rule("silu", _silu, (_silu_partial,))
gelu = Rule("gelu", _gelu, (_gelu_partial,))
leaky_relu = Rule(
    "leaky_relu",
    _leaky_relu,
    (
        lambda x, slope, out: 1.0 if x > 0 else slope,
        lambda x, slope, out: 0.0 if x > 0 else x,
    ),
    defaults=(0.01,),
    kinks=lambda x, slope: (x,),
)
elu = Rule(
    "elu",
    _elu,
    (
        lambda x, alpha, out: alpha * exp(x) if x <= 0 else 1.0,
        lambda x, alpha, out: expm1(x) if x <= 0 else 0.0,
    ),
    defaults=(1.0,),
    kinks=lambda x, alpha: (x,),
)

# piecewise
maximum = Rule("maximum", _maximum, (_max_partial, lambda x, y, out: _max_partial(y, x, out)))
minimum = Rule("minimum", _minimum, (_min_partial, lambda x, y, out: _min_partial(y, x, out)))
maximum.kinks = minimum.kinks = lambda x, y: () if x is y else (x - y,)  # max(x, x) is x
clamp = Rule(
    "clamp",
    _clamp,
    (_clamp_d_x, _clamp_d_lo, _clamp_d_hi),
    defaults=(-inf, inf),
    kinks=lambda x, lo, hi: tuple(a - b for a, b in ((x, lo), (x, hi), (lo, hi)) if a is not b),
)
where = Rule(
    "where",
    _where,
    (_zero, _where_d_x, _where_d_y),
    kinks=lambda condition, x, y: () if x is y else (condition,),
)
sign = Rule("sign", _sign, (_zero,), kinks=lambda x: (x,))
floor = Rule("floor", _floor, (_zero,), kinks=_off_integers)
ceil = Rule("ceil", _ceil, (_zero,), kinks=_off_integers)

# n-ary
sum_rule = Rule("sum", _sum, (_sum_partials,), arity=None)
dot_rule = Rule("dot", _dot, (_dot_partials,), arity=None)

OPERATORS: frozenset[Rule] = frozenset({add, sub, mul, div, pow, neg})
"""The rules written as operators (`+ - * / **`, unary `-`) rather than called by name."""

RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        *(add, sub, mul, div, neg, pow),
        *(exp, log, sqrt, tanh, sigmoid, relu, abs, sin, cos),
        *(tan, sinh, cosh, asin, acos, atan, atan2, asinh, acosh, atanh),
        *(log1p, expm1, log2, log10, exp2, erf, softplus, silu, gelu, leaky_relu, elu),
        *(maximum, minimum, clamp, where, sign, floor, ceil, hypot, logaddexp),
        *(sum_rule, dot_rule),
    )
}
"""Every operation by name: the built-ins, then the user rules `primitive(register=True)` adds."""

BUILTINS: frozenset[str] = frozenset(RULES)
"""The names of the built-in rules, which a user rule cannot take."""


def is_function(rule: Rule) -> bool:
    """Whether `rule` is called by name with a fixed number of arguments, `f(x, ...)`."""
    return rule not in OPERATORS and rule.arity is not None and rule.name.isidentifier()


class _Functions(Mapping[str, Rule]):
    """The rules called by name, `f(x, ...)`, read from `RULES` on every use (so a rule
    registered later is in it): the formula language's functions and the README's list."""

    def __getitem__(self, name: str) -> Rule:
        rule = RULES[name]
        if not is_function(rule):
            raise KeyError(name)
        return rule

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, rule in RULES.items() if is_function(rule)])

    def __len__(self) -> int:
        return builtins.sum(1 for rule in RULES.values() if is_function(rule))

    def __repr__(self) -> str:
        return f"FUNCTIONS({', '.join(self)})"


FUNCTIONS: Mapping[str, Rule] = _Functions()
"""The functions of the table by name (exp, ..., logaddexp, and registered user rules)."""


# ---------------------------------------------------------------- user rules


class _CheckedForward:
    """A user's forward function, held to returning a real number."""

    def __init__(self, name: str, fn: Callable[..., float]) -> None:
        self.name, self.fn = name, fn
        self.__doc__ = fn.__doc__

    def __call__(self, *xs: float) -> float:
        try:
            out = self.fn(*xs)
        except (ArithmeticError, ValueError) as error:  # name the operation and the point
            shown = ", ".join(map(repr, xs))
            raise type(error)(f"primitive {self.name!r} at {shown}: {error}") from None
        if type(out) is float:
            return out
        try:
            return as_float(out, f"primitive {self.name!r}")
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


def _check_arity(name: str, fn: Callable[..., float], n: int) -> None:
    """TypeError when `fn` cannot take the `n` arguments its `n` partials say it has."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some built-ins have none: nothing to check
        return
    try:
        signature.bind(*range(n))
    except TypeError:
        raise TypeError(
            f"primitive {name!r}: fn{signature} does not take {n} argument(s), "
            f"but grads gives {n} partial derivative(s), one per argument"
        ) from None


def primitive(
    name: str,
    fn: Callable[..., float],
    grads: Sequence[Callable[..., Any]],
    *,
    register: bool = False,
    domain: Sequence[str] | None = None,
    kinks: Kinks | None = None,
) -> Rule:
    """A new differentiable operation from a float function and one partial per argument.

    `fn(*xs)` computes the value from floats; `grads[i](*xs)` is d fn / d xs[i], written with
    autograd_lite's functions so that it also accepts Values (which gives higher derivatives).
    The result is called like the built-ins: numbers in, float out; any Value in, Value out.

    With `register=True` the rule joins the table, `RULES`, under its name (an identifier no
    built-in has; registering the name again replaces the earlier user rule): the formula
    language, `autograd_lite.testing.expressions()` and everything else that reads the table
    then know it. `domain` and `kinks` are as for `Rule`, for the strategies.

    >>> softplus = primitive("softplus", lambda x: math.log1p(math.exp(x)), grads=(sigmoid,))
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"primitive needs a non-empty name, got {name!r}")
    if not callable(fn):
        raise TypeError(f"primitive {name!r} needs a callable fn, got {type(fn).__name__}")
    grads = tuple(grads)
    if not grads or not all(callable(d) for d in grads):
        raise TypeError(f"primitive {name!r} needs one callable partial derivative per argument")
    _check_arity(name, fn, len(grads))
    partials = [_UserPartial(name, i, d) for i, d in enumerate(grads)]
    rule = Rule(name, _CheckedForward(name, fn), partials, domain=domain, kinks=kinks)
    if register:
        if not name.isidentifier() or keyword.iskeyword(name) or name in BUILTINS:
            raise ValueError(
                f"primitive {name!r} cannot be registered: the name must be an identifier that "
                "no built-in rule has"
            )
        RULES[name] = rule
    return rule
