"""The table of differentiation rules: every operation the engine knows, in one place.

Each entry is a `Rule` (see `autograd_lite.rule`): a float function and, per input, a function
giving the local derivative of the output toward that input, `partial(*inputs, out)`. The
partials are written with the table's own functions and Python's operators, so one entry
serves two passes:

- called with floats (in the forward pass), they give the float local derivatives that
  `Value.backward()` multiplies along the graph: the fast first-order path;
- called with Values, they build the derivative as a graph of its own, which can be
  differentiated again: that is how second and higher derivatives work.

Each operation's forward function, partials and entry sit together, grouped by kind under
banners; `RULES` at the end lists them all. An entry is named after its operation, with
`_rule` where that name is Python's own (`pow_rule`, `abs_rule`, `sum_rule`); an entry that
a partial above it calls (`cos`, `cosh`, `sigmoid`) is annotated `: Rule`, for the type checker.

The numeric policy, the same for every rule, forward and every derivative order
------------------------------------------------------------------------------
1. Outside the domain, an error. A finite input where the real function has no value (log or
   log2 of a non-positive number, sqrt of a negative, asin of 2, atanh(1), a negative base to a
   non-integer power, division by zero, 0 ** -1) raises ValueError or ZeroDivisionError naming
   the operation and the number. Nothing silently becomes complex, and no pole silently
   becomes inf in a forward value.
2. Beyond the float range, IEEE 754, as PyTorch does: a result too large is ±inf (exp(710),
   1e200 ** 2, sinh(1000), 2 ** 1e4), never an OverflowError, so `x * x` and `x ** 2` agree.
   Infinite inputs are limits (exp(-inf) = 0, atan(inf) = pi/2, log(inf) = inf); where there
   is no limit the answer is nan (sin(inf), inf - inf). An input whose limit lies outside the
   domain is rule 1 (log(-inf), sqrt(-inf)).
3. NaN goes through. A nan input gives a nan value, never an error and never a number: every
   rule that branches on a comparison is written so that nan falls into a branch that returns
   nan (`0.0 if x <= 0 else x`, not `x if x > 0 else 0.0`). The local derivative at a nan input
   is what PyTorch gives where PyTorch has a rule (relu'(nan) = 1); it never hides the nan
   value, which flows on through the graph. Where PyTorch's slope at nan is a 0 that would
   stop it there, the table says nan (abs'(nan), clamp's slope toward every input at nan).
4. A derivative is never an error where the value exists, and never finite where it does not.
   Derivatives are computed with IEEE powers (`_ieee_power`: 0 ** -0.5 = inf, overflow = inf),
   so sqrt'(0) = inf, d/dx 1e-300 ** -1 = -inf, and the derivatives after them stay non-finite
   at every order. A derivative that does not exist (toward the exponent of a negative base)
   is nan at every order, in every order of differentiation, so Hessians stay symmetric.
5. Kinks and ties are choices, written beside each rule, as PyTorch makes them: relu'(0) = 0,
   abs'(0) = 0, leaky_relu'(0) = slope, clamp passes the gradient at its bounds, maximum and
   minimum split it half and half at a tie, sign, floor and ceil have derivative 0.
   Where a piecewise rule is flat (relu for x <= 0, the side maximum did not choose, clamp
   outside its bounds, sign, floor, ceil, stop_gradient) its local derivative is `FLAT`, a 0
   that stops any adjoint, infinite and nan ones included, in every pass: sqrt(relu(x)) has
   derivative 0 at x < 0, as in PyTorch (whose backward selects there), not 0 * inf = nan.
6. Every derivative keeps its digits where the math has them: no partial cancels to 0 in a
   tail (sigmoid' is s(x) s(-x), not out * (1 - out), which is 0 from x = 37 on; expm1' is
   exp(x), not out + 1), at orders 1 to 3, which tests/test_rules_tails.py sweeps against
   mpmath over |x| up to 700 and the edges of every domain.

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

import math
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from autograd_lite.rule import FLAT, Rule, is_number
from autograd_lite.rule import RULES as RULES

nan = math.nan
inf = math.inf
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# ---------------------------------------------------------------- helpers of the forward functions


def _data(x: Any) -> float:
    """The number in `x`, a number or a Value (through `.data`: `float(value)` is refused
    inside a user's partial)."""
    if type(x) is float:
        return x
    return float(x) if is_number(x) else float(x.data)


def _equal(a: Any, b: Any) -> bool:
    """a == b for numbers or Values (`==` on Values is identity); False for nan, as `==`.

    A partial decides its branch by comparing its inputs, never by reading their numbers:
    inside `compile` a comparison is guarded by its outcome, so one trace serves every point
    that takes the same branch.
    """
    return bool(a <= b and b <= a)


def _outside(name: str, x: float, needs: str) -> ValueError:
    """The error for an input outside a function's domain, naming both."""
    return ValueError(f"{name}: {needs}, got {x!r}")


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


def _one_minus_square(x: Any) -> Any:
    """1 - x², for derivatives: (1 - x)(1 + x) for 0.5 <= |x| < 1, exact near ±1 where 1 - x * x
    loses its digits (asin'(1 - 2**-30) was 2e-10 off); 1 - x * x nearer 0, where the product's
    derivative (1 - x) - (1 + x) would lose them instead, and at ±1, where the product's factor
    0 would meet an infinite adjoint (inf * 0 = nan, not the slope's inf)."""
    if -0.5 < x < 0.5 or x <= -1.0 or x >= 1.0:
        return 1.0 - x * x
    return (1.0 - x) * (1.0 + x)


def _square_minus_one(x: Any) -> Any:
    """x² - 1 for acosh (x >= 1), exact near 1 as (x - 1)(x + 1), and as x * x - 1 at 1 itself."""
    return x * x - 1.0 if x <= 1.0 else (x - 1.0) * (x + 1.0)


# ---------------------------------------------------------------- powers by IEEE, for derivatives


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
    elif _equal(x, 0.0) and (_equal(y, 0.0) or _equal(y, 1.0)):
        # y * 0**(y-1) at the edge of the domain: PyTorch's 0 at 0**0, and 1 at 0**1; the slope
        # toward y (1 + log x at y = 1) does not exist, so that of 0**y toward x neither
        if _equal(y, 0.0):
            return _zero_of_unknown_slope(x, y)
        return 1.0 + _zero_of_unknown_slope(y)
    return y * _ieee_power(x, y - 1.0)


def _pow_d_exponent(x: Any, y: Any, out: Any) -> Any:
    """x**y * log(x) for x > 0; 0 at x = 0 (0**y = 0 for y > 0; PyTorch's 0 at y = 0 too).

    For x < 0 the power is real at integer y alone: it has no derivative toward y, and that
    is nan, at every order (`out * nan` stays a graph), so both orders of a mixed second
    derivative agree (PyTorch: nan).
    """
    if x > 0:
        return out * (math.log(x) if type(x) is float else log(x))
    if _equal(x, 0.0) and y >= 0:
        # 0**y = 0 for every y > 0, so d/dy = 0 (PyTorch's 0 at y = 0 too). Its own slope
        # toward x, x**(y-1) * (1 + y log x), is 0 only for y > 1; below, it is not a number.
        if type(x) is float or y > 1:
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
    return a * _inv(b) if _equal(b, 0.0) else a / b


def _inv(x: Any) -> Any:
    """1 / x, ±inf at ±0: a derivative's slope at a pole, not an error."""
    if type(x) is float:
        return 1.0 / x if x != 0 else math.copysign(inf, x)
    return _ieee_power(x, -1.0)


_ieee_power = Rule("**", _ieee_pow, (_pow_d_base, _pow_d_exponent))
"""x ** y with IEEE poles (0 ** -1 = inf): only inside derivatives, never in the table."""


# ---------------------------------------------------------------- arithmetic

add = Rule(
    "+",
    operator.add,
    (1.0, 1.0),
    doc="x + y.",
    formulas=("1", "1"),
    array=lambda np: (np.add, None, None),
)
sub = Rule(
    "-",
    operator.sub,
    (1.0, -1.0),
    doc="x - y.",
    formulas=("1", "-1"),
    array=lambda np: (np.subtract, None, None),
)
mul = Rule(
    "*",
    operator.mul,
    (lambda x, y, out: y, lambda x, y, out: x),
    doc="x * y.",
    formulas=("y", "x"),
    array=lambda np: (np.multiply, None, None),
)
neg = Rule(
    "neg", operator.neg, (-1.0,), doc="-x.", formulas=("-1",), array=lambda np: (np.negative, None)
)


def _div(x: float, y: float) -> float:
    """x / y; ZeroDivisionError when y is 0."""
    if y == 0:
        raise ZeroDivisionError(f"division by zero: {x!r} / {y!r}")
    return x / y


div = Rule(
    "/",
    _div,
    (lambda x, y, out: 1.0 / y, lambda x, y, out: -out / y),
    domain=("real", "nonzero"),
    formulas=("1/y", "-x/y**2"),
    array=lambda np: (np.divide, None, None),
)


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


def _pow_arrays(np: Any) -> tuple[Any, ...]:
    """x ** y over arrays, each branch an `np.where`; nan where the float functions decide
    (a negative base; toward y, x < 0): the kernels ask them there."""

    def d_base(x: Any, y: Any, out: Any) -> Any:
        edge = (x == 0) & (y < 1)
        return np.where(edge, np.where(y == 0, 0.0, inf), y * np.power(x, y - 1))

    def d_exponent(x: Any, y: Any, out: Any) -> Any:
        at_zero = np.where((x == 0) & (y >= 0), 0.0, nan)
        return np.where(x > 0, out * np.log(np.where(x > 0, x, 1.0)), at_zero)

    def forward(x: Any, y: Any) -> Any:
        # a negative base to a non-integer power is not real: nan hands it to the float
        # function, which raises (NumPy gives (-inf) ** 0.5 = inf)
        return np.where((x < 0) & (np.floor(y) != y), nan, np.power(x, y))

    return forward, d_base, d_exponent


pow_rule = Rule(
    "**",
    _pow,
    (_pow_d_base, _pow_d_exponent),
    domain=("positive", "real"),
    formulas=("y*x**(y - 1)", "out*log(x)"),
    array=_pow_arrays,
)


# ---------------------------------------------------------------- exponentials and logarithms

_exp = _beyond_range_inf(math.exp, "e ** x; inf past about x = 709.78.")
exp = Rule("exp", _exp, (lambda x, out: out,), formulas=("out",), array=lambda np: (np.exp, None))

_expm1 = _beyond_range_inf(math.expm1, "e ** x - 1, accurate near 0; inf past about x = 709.78.")
expm1 = Rule(
    "expm1",
    _expm1,
    (lambda x, out: _exp(x) if type(x) is float else exp(x),),  # not out + 1: 0 at x = -40
    formulas=("exp(x)",),
)


def _exp2(x: float) -> float:
    """2 ** x; inf past x = 1024."""
    try:
        result: float = 2.0**x
    except OverflowError:
        return inf
    return result


exp2 = Rule("exp2", _exp2, (lambda x, out: out * _LN2,), formulas=("out*log(2)",))


def _log(x: float) -> float:
    """Natural logarithm; ValueError unless x > 0."""
    if x <= 0:
        raise _outside("log", x, "the logarithm needs a positive number")
    return math.log(x)


log = Rule(
    "log",
    _log,
    (lambda x, out: 1.0 / x,),
    domain=("positive",),
    formulas=("1/x",),
    array=lambda np: (np.log, None),
)


def _log2(x: float) -> float:
    """Base-2 logarithm; ValueError unless x > 0."""
    if x <= 0:
        raise _outside("log2", x, "the logarithm needs a positive number")
    return math.log2(x)


log2 = Rule(
    "log2",
    _log2,
    (lambda x, out: 1.0 / (x * _LN2),),
    domain=("positive",),
    formulas=("1/(x*log(2))",),
)


def _log10(x: float) -> float:
    """Base-10 logarithm; ValueError unless x > 0."""
    if x <= 0:
        raise _outside("log10", x, "the logarithm needs a positive number")
    return math.log10(x)


log10 = Rule(
    "log10",
    _log10,
    (lambda x, out: 1.0 / (x * _LN10),),
    domain=("positive",),
    formulas=("1/(x*log(10))",),
)


def _log1p(x: float) -> float:
    """log(1 + x), accurate near 0; ValueError unless x > -1."""
    if x <= -1:
        raise _outside("log1p", x, "log1p(x) needs x > -1")
    return math.log1p(x)


log1p = Rule(
    "log1p", _log1p, (lambda x, out: 1.0 / (1.0 + x),), domain=("> -1",), formulas=("1/(1 + x)",)
)


def _sqrt(x: float) -> float:
    """Square root; ValueError for a negative number. sqrt'(0) = +inf (a vertical tangent)."""
    if x < 0:
        raise _outside("sqrt", x, "the square root needs a non-negative number")
    return math.sqrt(x)


def _sqrt_partial(x: Any, out: Any) -> Any:
    if type(out) is float:
        return 0.5 / out if out != 0 else math.copysign(inf, out)
    return 0.5 * _inv(out)


sqrt = Rule(
    "sqrt",
    _sqrt,
    (_sqrt_partial,),
    domain=("positive",),
    formulas=("1/(2*out)",),
    array=lambda np: (np.sqrt, lambda x, out: 0.5 / out),  # ±inf at ±0, as the float partial
)


def _softplus(x: float) -> float:
    """log(1 + e**x), as max(x, 0) + log1p(e**-|x|): no overflow for any x; d/dx = sigmoid(x)."""
    return (0.0 if x <= 0 else x) + math.log1p(math.exp(-math.fabs(x)))


softplus = Rule("softplus", _softplus, (lambda x, out: sigmoid(x),), formulas=("sigmoid(x)",))


def _logaddexp(x: float, y: float) -> float:
    """log(e**x + e**y) without overflow; d/dx = sigmoid(x - y). logaddexp(inf, inf) = inf."""
    if x == y:
        return x + _LN2  # also ±inf, where x - y would be nan
    top = x if x > y else y  # nan: one of them is nan, and so is the result
    return top + math.log1p(math.exp(-math.fabs(x - y)))


logaddexp = Rule(
    "logaddexp",
    _logaddexp,
    (lambda x, y, out: sigmoid(x - y), lambda x, y, out: sigmoid(y - x)),
    formulas=("exp(x - out)", "exp(y - out)"),
)


def _erf(x: float) -> float:
    """The error function, 2/sqrt(pi) times the integral of e**-t² from 0 to x."""
    return math.erf(x)


erf = Rule(
    "erf",
    _erf,
    (lambda x, out: _TWO_OVER_SQRT_PI * exp(-(x * x)),),
    formulas=("2/sqrt(pi)*exp(-x**2)",),
)


# ---------------------------------------------------------------- trigonometric

_sin = _nan_at_infinity(math.sin, "Sine; nan at ±inf.")
sin = Rule(
    "sin",
    _sin,
    (lambda x, out: cos(x),),
    formulas=("cos(x)",),
    array=lambda np: (np.sin, lambda x, out: np.cos(x)),
)

_cos = _nan_at_infinity(math.cos, "Cosine; nan at ±inf.")
cos: Rule = Rule(
    "cos",
    _cos,
    (lambda x, out: -sin(x),),
    formulas=("-sin(x)",),
    array=lambda np: (np.cos, lambda x, out: -np.sin(x)),
)

_tan = _nan_at_infinity(math.tan, "Tangent; nan at ±inf.")
tan = Rule(
    "tan",
    _tan,
    (lambda x, out: 1.0 + out * out,),
    kinks=lambda x: (cos(x),),  # poles
    formulas=("1 + out**2",),
)


def _asin(x: float) -> float:
    """Inverse sine; ValueError outside [-1, 1]; the slope is +inf at ±1."""
    if x < -1 or x > 1:
        raise _outside("asin", x, "asin needs a number in [-1, 1]")
    return math.asin(x)


asin = Rule(
    "asin",
    _asin,
    (lambda x, out: _power(_one_minus_square(x), -0.5),),
    domain=("[-1, 1]",),
    formulas=("1/sqrt(1 - x**2)",),
)


def _acos(x: float) -> float:
    """Inverse cosine; ValueError outside [-1, 1]; the slope is -inf at ±1."""
    if x < -1 or x > 1:
        raise _outside("acos", x, "acos needs a number in [-1, 1]")
    return math.acos(x)


acos = Rule(
    "acos",
    _acos,
    (lambda x, out: -_power(_one_minus_square(x), -0.5),),
    domain=("[-1, 1]",),
    formulas=("-1/sqrt(1 - x**2)",),
)


def _atan(x: float) -> float:
    """Inverse tangent; ±pi/2 at ±inf."""
    return math.atan(x)


atan = Rule("atan", _atan, (lambda x, out: 1.0 / (1.0 + x * x),), formulas=("1/(1 + x**2)",))


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


atan2 = Rule(
    "atan2",
    _atan2,
    (_atan2_d_y, _atan2_d_x),
    kinks=lambda y, x: (y if x < 0 else 1.0, x, y),  # the cut along x < 0, the origin
    inputs=("y", "x"),
    formulas=("x/(x**2 + y**2)", "-y/(x**2 + y**2)"),
)


def _hypot(x: float, y: float) -> float:
    """sqrt(x² + y²) without overflow in the squares; its partials x / out and y / out are nan
    at the origin, where it has a kink."""
    try:
        return math.hypot(x, y)
    except OverflowError:
        return inf


def _hypot_partial(x: Any, y: Any, out: Any) -> Any:
    """d hypot(x, y) / dx = x / out. On Values, written over the smaller ratio of the two
    (sign(x) / hypot(1, y/x), or (x/|y|) / hypot(x/y, 1)), so that the derivatives after it
    keep their digits: by x / out, d²/dx² is 1/out - x²/out³, which cancels to 0 for |x| >> |y|
    (hypot''(1e8, 1) = 1e-24)."""
    if type(out) is float or not 0.0 < out < inf:  # the origin (nan, a kink), and ±inf
        return _over(x, out)
    size = abs_rule(y)  # compared, not read: compile keeps the branch as a guard
    if abs_rule(x) >= size:
        return sign(x) / hypot(1.0, y / x)
    return x / size / hypot(x / y, 1.0)


hypot = Rule(
    "hypot",
    _hypot,
    (_hypot_partial, lambda x, y, out: _hypot_partial(y, x, out)),
    kinks=lambda x, y: (x, y),  # the origin (kinks are where a quantity changes sign)
    formulas=("x/out", "y/out"),
)


# ---------------------------------------------------------------- hyperbolic


def _sinh(x: float) -> float:
    """Hyperbolic sine; ±inf past about |x| = 710."""
    try:
        return math.sinh(x)
    except OverflowError:
        return math.copysign(inf, x)


sinh = Rule("sinh", _sinh, (lambda x, out: cosh(x),), formulas=("cosh(x)",))

_cosh = _beyond_range_inf(math.cosh, "Hyperbolic cosine; inf past about |x| = 710.")
cosh: Rule = Rule("cosh", _cosh, (lambda x, out: sinh(x),), formulas=("sinh(x)",))


def _tanh_partial(x: Any, out: Any) -> Any:
    """1 - tanh², written as 4 s(2x) s(-2x) where tanh nears ±1 (|x| >= 1), so that neither
    it nor the derivatives after it cancel to 0 in the tails (tanh'(20) = 1.7e-17)."""
    if type(x) is float:
        if -1.0 < x < 1.0:
            return 1.0 - out * out
        e = math.exp(-2.0 * math.fabs(x))  # nan for nan
        return 4.0 * e / ((1.0 + e) * (1.0 + e))
    if -1.0 < x < 1.0:  # a comparison, not a read of x.data: compile keeps it as a guard
        return 1.0 - out * out
    return 4.0 * sigmoid(2.0 * x) * sigmoid(-2.0 * x)


def _tanh_arrays(np: Any) -> tuple[Any, ...]:
    """tanh over arrays, and its partial by the float one's two forms."""

    def partial(x: Any, out: Any) -> Any:
        e = np.exp(-2.0 * np.abs(x))
        return np.where(np.abs(x) < 1.0, 1.0 - out * out, 4.0 * e / ((1.0 + e) * (1.0 + e)))

    return np.tanh, partial


tanh = Rule(
    "tanh",
    math.tanh,
    (_tanh_partial,),
    doc="Hyperbolic tangent (finite for any x).",
    formulas=("1 - out**2",),
    array=_tanh_arrays,
)


def _asinh(x: float) -> float:
    """Inverse hyperbolic sine."""
    return math.asinh(x)


asinh = Rule(
    "asinh",
    _asinh,
    (lambda x, out: _power(x * x + 1.0, -0.5),),
    formulas=("1/sqrt(x**2 + 1)",),
)


def _acosh(x: float) -> float:
    """Inverse hyperbolic cosine; ValueError below 1; the slope is +inf at 1."""
    if x < 1:
        raise _outside("acosh", x, "acosh needs a number >= 1")
    return math.acosh(x)


acosh = Rule(
    "acosh",
    _acosh,
    (lambda x, out: _power(_square_minus_one(x), -0.5),),
    domain=(">= 1",),
    formulas=("1/sqrt(x**2 - 1)",),
)


def _atanh(x: float) -> float:
    """Inverse hyperbolic tangent; ValueError unless -1 < x < 1 (infinite at ±1, a pole)."""
    if x <= -1 or x >= 1:
        raise _outside("atanh", x, "atanh needs -1 < x < 1 (at ±1 it is infinite)")
    return math.atanh(x)


atanh = Rule(
    "atanh",
    _atanh,
    (lambda x, out: _inv(_one_minus_square(x)),),
    domain=("(-1, 1)",),
    formulas=("1/(1 - x**2)",),
)


# ---------------------------------------------------------------- activations


def _sigmoid(x: float) -> float:
    """Logistic function 1 / (1 + e**-x), computed without overflow for any x."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # also nan for nan
    return e / (1.0 + e)


def _sigmoid_partial(x: Any, out: Any) -> Any:
    """s(x) * s(-x), which is s * (1 - s) without its cancellation as s nears 1: every order
    keeps its digits in both tails (s'(37) = 8.5e-17, not 0). Near 0, where s(-x) - s(x) in
    s'' would cancel instead, it is tanh'(x/2) / 4."""
    if type(x) is float:
        e = math.exp(-math.fabs(x))  # nan for nan
        return e / ((1.0 + e) * (1.0 + e))
    if -2.0 < x < 2.0:  # tanh(x/2)'s partial there keeps s'' = -s' tanh(x/2) exact
        return 0.25 * _tanh_partial(0.5 * x, tanh(0.5 * x))
    return out * sigmoid(-x)


def _sigmoid_arrays(np: Any) -> tuple[Any, ...]:
    """sigmoid over arrays, by the float function's two branches (no overflow either side),
    and its partial s(x) s(-x) as the float one computes it."""

    def forward(x: Any) -> Any:
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def partial(x: Any, out: Any) -> Any:
        e = np.exp(-np.abs(x))
        return e / ((1.0 + e) * (1.0 + e))

    return forward, partial


sigmoid: Rule = Rule(
    "sigmoid",
    _sigmoid,
    (_sigmoid_partial,),
    formulas=("out*(1 - out)",),
    array=_sigmoid_arrays,
)


def _relu(x: float) -> float:
    """max(x, 0); relu'(0) = 0; relu(nan) = nan with relu'(nan) = 1, as in PyTorch."""
    return 0.0 if x <= 0 else x


def _relu_partial(x: Any, out: Any) -> float:
    return FLAT if x <= 0 else 1.0


relu = Rule(
    "relu",
    _relu,
    (_relu_partial,),
    kinks=lambda x: (x,),
    formulas=("sign(out)",),  # 1 where the output is positive, else 0
    array=lambda np: (  # nan passes, as in the float functions: relu(nan) = nan, relu'(nan) = 1
        lambda x: np.maximum(x, 0.0) + 0.0,  # + 0.0: relu(-0.0) is 0.0
        lambda x, out: 1.0 - (x <= 0),
    ),
)


def _silu(x: float) -> float:
    """x * sigmoid(x) (swish); nan at -inf, as PyTorch (-inf * 0)."""
    return x * _sigmoid(x)


def _silu_partial(x: Any, out: Any) -> Any:
    """s + x * s', with sigmoid's own s' = s(x) s(-x): no 1 - s to cancel as s nears 1, and
    the orders after it, 2s' + x s'' and 3s'' + x s''', add terms of one sign near 0."""
    if type(x) is float:
        e = math.exp(-math.fabs(x))  # nan for nan
        near, far = 1.0 / (1.0 + e), e / (1.0 + e)  # s(|x|) and s(-|x|)
        return (near if x >= 0 else far) + x * near * far
    s = sigmoid(x)
    return s + x * _sigmoid_partial(x, s)


silu = Rule("silu", _silu, (_silu_partial,), formulas=("sigmoid(x)*(1 + x*(1 - sigmoid(x)))",))


def _gelu(x: float) -> float:
    """x * Phi(x) with Phi the normal distribution function, the exact (erf) form; nan at -inf.

    Phi(x) = erfc(-x / sqrt 2) / 2 rather than (1 + erf(x / sqrt 2)) / 2, which is 0 for
    x < -8.3: so gelu and its derivatives keep their digits in the left tail too."""
    return 0.5 * x * math.erfc(-x * _INV_SQRT2)


def _gelu_partial(x: Any, out: Any) -> Any:
    return 0.5 * _erfc(-x * _INV_SQRT2) + x * _INV_SQRT_2PI * exp(-0.5 * x * x)


_erfc = Rule("erfc", math.erfc, (lambda x, out: -_TWO_OVER_SQRT_PI * exp(-(x * x)),))
"""1 - erf(x) without its cancellation for large x: only inside gelu, never in the table."""


gelu = Rule(
    "gelu",
    _gelu,
    (_gelu_partial,),
    formulas=("(1 + erf(x/sqrt(2)))/2 + x*exp(-x**2/2)/sqrt(2*pi)",),
)


def _leaky_relu(x: float, slope: float) -> float:
    """x for x > 0, else slope * x (slope 0.01 by default); d/dx = slope at 0 and at nan, as
    PyTorch; the slope may be a Value too (d/dslope = x for x <= 0, else 0)."""
    return x if x > 0 else x * slope


leaky_relu = Rule(
    "leaky_relu",
    _leaky_relu,
    (
        lambda x, slope, out: 1.0 if x > 0 else slope,
        lambda x, slope, out: FLAT if x > 0 else x,
    ),
    defaults=(0.01,),
    kinks=lambda x, slope: (x,),
    inputs=("x", "slope"),
    formulas=("where(relu(x), 1, slope)", "minimum(x, 0)"),  # relu(x) is 0 unless x > 0
)


def _elu(x: float, alpha: float) -> float:
    """x for x > 0, else alpha * (e**x - 1) (alpha 1 by default); at 0 every derivative is
    the x <= 0 branch's (d/dx = alpha, as PyTorch), at nan the other's (d/dx = 1, as PyTorch);
    alpha may be a Value too (d/dalpha = e**x - 1 for x <= 0, else 0)."""
    return x if x > 0 else alpha * math.expm1(x)


elu = Rule(
    "elu",
    _elu,
    (
        lambda x, alpha, out: alpha * exp(x) if x <= 0 else 1.0,
        lambda x, alpha, out: expm1(x) if x <= 0 else FLAT,
    ),
    defaults=(1.0,),
    kinks=lambda x, alpha: (x,),
    inputs=("x", "alpha"),
    formulas=("where(relu(x), 1, alpha*exp(x))", "expm1(minimum(x, 0))"),
)


# ---------------------------------------------------------------- piecewise


def _abs(x: float) -> float:
    """|x|; abs'(0) = 0 and abs'(nan) = sign(nan) = nan."""
    return math.fabs(x)


def _abs_partial(x: Any, out: Any) -> Any:
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x <= 0 else nan  # x <= 0 here: x is 0


def _abs_arrays(np: Any) -> tuple[Any, ...]:
    """|x| over arrays; the partial is the sign of x."""

    def partial(x: Any, out: Any) -> Any:
        return np.sign(x) + 0.0  # 0.0 at -0.0 too, nan at nan

    return np.fabs, partial


abs_rule = Rule(
    "abs", _abs, (_abs_partial,), kinks=lambda x: (x,), formulas=("sign(x)",), array=_abs_arrays
)


def _maximum(x: float, y: float) -> float:
    """The larger of x and y, nan if either is nan; at a tie each gets half the gradient
    (PyTorch's choice: maximum(x, x) then has slope 1)."""
    return x if x >= y else y if y > x else nan


def _max_partial(x: Any, y: Any, out: Any) -> float:
    return FLAT if x < y else 0.5 if x <= y else 1.0  # x <= y here: a tie (nan gets 1)


maximum = Rule(
    "maximum",
    _maximum,
    (_max_partial, lambda x, y, out: _max_partial(y, x, out)),
    formulas=("(1 + sign(x - y))/2", "(1 - sign(x - y))/2"),  # half each at a tie
)


def _minimum(x: float, y: float) -> float:
    """The smaller of x and y, nan if either is nan; at a tie each gets half the gradient."""
    return x if x <= y else y if y < x else nan


def _min_partial(x: Any, y: Any, out: Any) -> float:
    return FLAT if x > y else 0.5 if x >= y else 1.0  # x >= y here: a tie (nan gets 1)


minimum = Rule(
    "minimum",
    _minimum,
    (_min_partial, lambda x, y, out: _min_partial(y, x, out)),
    formulas=("(1 - sign(x - y))/2", "(1 + sign(x - y))/2"),
)
maximum.kinks = minimum.kinks = lambda x, y: () if x is y else (x - y,)  # max(x, x) is x


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
    return 1.0 if lo <= x <= hi else _flat_unless_nan(out)


def _clamp_d_lo(x: Any, lo: Any, hi: Any, out: Any) -> float:
    return (
        1.0 if x < lo <= hi else _flat_unless_nan(out)
    )  # PyTorch: lo < hi, so clamp(x, t, t) had 0


def _clamp_d_hi(x: Any, lo: Any, hi: Any, out: Any) -> float:
    return 1.0 if x > hi or hi < lo else _flat_unless_nan(out)


def _flat_unless_nan(out: Any) -> float:
    """FLAT off clamp's bounds; nan where clamp is nan (an input is), as the policy has every
    rule at nan (PyTorch says 0 toward x there, which would hide the nan in the gradient)."""
    return FLAT if out <= out else nan  # False at nan alone (== on Values is identity)


clamp = Rule(
    "clamp",
    _clamp,
    (_clamp_d_x, _clamp_d_lo, _clamp_d_hi),
    defaults=(-inf, inf),
    kinks=lambda x, lo, hi: tuple(a - b for a, b in ((x, lo), (x, hi), (lo, hi)) if a is not b),
    inputs=("x", "lo", "hi"),
    formulas=("where(x - out, 0, 1)", "where(lo - out, 0, 1)", "where(hi - out, 0, 1)"),
)


def _where(condition: float, x: float, y: float) -> float:
    """x where the condition is true (non-zero), else y; nan for a nan condition, which is
    neither. The condition gets derivative 0 (a bool from `a < b`, or any number)."""
    if condition != condition:
        return nan
    return x if condition else y


def _where_d_x(condition: Any, x: Any, y: Any, out: Any) -> float:
    return nan if not condition <= condition else 1.0 if condition else FLAT  # nan: not <=


def _where_d_y(condition: Any, x: Any, y: Any, out: Any) -> float:
    return nan if not condition <= condition else FLAT if condition else 1.0


def _zero(*inputs_and_out: Any) -> float:
    return FLAT


where = Rule(
    "where",
    _where,
    (_zero, _where_d_x, _where_d_y),
    kinks=lambda condition, x, y: () if x is y else (condition,),
    inputs=("condition", "x", "y"),
    formulas=("0", "where(condition, 1, 0)", "where(condition, 0, 1)"),
)


def _sign(x: float) -> float:
    """1 for x > 0, -1 for x < 0, x itself for ±0 and nan (PyTorch says 0 at nan; NumPy and
    this table let the nan through). Derivative 0 everywhere, at the jump too."""
    return 1.0 if x > 0 else -1.0 if x < 0 else x


sign = Rule("sign", _sign, (_zero,), kinks=lambda x: (x,), formulas=("0",))


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


def _off_integers(x: Any) -> tuple[Any]:
    """x - round(x): 0 at the integers, where floor and ceil jump."""
    return (x - round(_data(x)),)


floor = Rule("floor", _floor, (_zero,), kinks=_off_integers, formulas=("0",))
ceil = Rule("ceil", _ceil, (_zero,), kinks=_off_integers, formulas=("0",))


def _stop_gradient(x: float) -> float:
    """x itself, with derivative 0 at every order: the gradient stops here (JAX's
    `stop_gradient`, PyTorch's `detach`), infinite and nan adjoints included."""
    return x


stop_gradient = Rule("stop_gradient", _stop_gradient, (_zero,), formulas=("0",))


# ---------------------------------------------------------------- n-ary: one node, many inputs


def _sum(xs: Sequence[float]) -> float:
    """x0 + x1 + ... as one node."""
    return sum(xs, 0.0)  # 0.0, not the int 0, for no terms


def _sum_partials(xs: Sequence[Any], out: Any) -> tuple[float, ...]:
    return (1.0,) * len(xs)


sum_rule = Rule("sum", _sum, (_sum_partials,), arity=None, formulas=lambda i, n: "1")


def _dot(ws_then_xs: Sequence[float]) -> float:
    """w0*x0 + w1*x1 + ... as one node; the inputs are all the w's, then all the x's."""
    xs = ws_then_xs[len(ws_then_xs) >> 1 :]
    total: float = sum(map(operator.mul, ws_then_xs, xs), 0.0)  # map stops at the x's
    return total


def _dot_partials(ws_then_xs: Sequence[Any], out: Any) -> Sequence[Any]:
    half = len(ws_then_xs) >> 1
    return [*ws_then_xs[half:], *ws_then_xs[:half]]  # d/dw_i = x_i and d/dx_i = w_i


dot_rule = Rule(
    "dot",
    _dot,
    (_dot_partials,),
    arity=None,
    formulas=lambda i, n: f"x{(i + n // 2) % n}",  # d/dw_i is x_i, d/dx_i is w_i
)


# ---------------------------------------------------------------- the table

OPERATORS: frozenset[Rule] = frozenset({add, sub, mul, div, pow_rule, neg})
"""The rules written as operators (`+ - * / **`, unary `-`) rather than called by name."""

RULES.update(
    (rule.name, rule)
    for rule in (
        *(add, sub, mul, div, neg, pow_rule),
        *(exp, log, sqrt, tanh, sigmoid, relu, abs_rule, sin, cos),
        *(tan, sinh, cosh, asin, acos, atan, atan2, asinh, acosh, atanh),
        *(log1p, expm1, log2, log10, exp2, erf, softplus, silu, gelu, leaky_relu, elu),
        *(maximum, minimum, clamp, where, sign, floor, ceil, hypot, logaddexp, stop_gradient),
        *(sum_rule, dot_rule),
    )
)

FLAT_BRANCHES: frozenset[Rule] = frozenset(
    {relu, maximum, minimum, clamp, where, sign, floor, ceil, stop_gradient}
)
"""The rules every zero local derivative of which is a flat branch's `FLAT`: where arrays
cannot carry `FLAT` (compiled batches), a zero of theirs stops the adjoint all the same."""

DECREED: frozenset[Rule] = frozenset({stop_gradient})
"""The rules whose derivative is decreed, not their function's (stop_gradient is x with
derivative 0): finite differences cannot check them, so the strategies leave them out."""

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
        return sum(1 for rule in RULES.values() if is_function(rule))

    def __repr__(self) -> str:
        return f"FUNCTIONS({', '.join(self)})"


FUNCTIONS: Mapping[str, Rule] = _Functions()
"""The functions of the table by name (exp, ..., logaddexp, and registered user rules)."""
