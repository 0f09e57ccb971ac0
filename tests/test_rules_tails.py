"""Every rule keeps its digits far out: derivatives of orders 1 to 3 against mpmath, by class.

For each rule, `grad` taken one, two and three times is compared with the derivatives' closed
forms, evaluated by mpmath at 50 digits, over points chosen by the class of the rule's domain:
the far tails of the real line (|x| up to 700), and for the bounded domains their edges (1 - 2**-50
for asin, 1 + 2**-50 for acosh, 1e-300 for log). A derivative must agree to 1e-13 relative where
it is a normal float, be ±inf where it overflows and be below 1e-290 where it underflows: a
cancellation that leaves 0 (sigmoid'(37) = out * (1 - out) = 0, not 8.5e-17) or a digit or two
(asin'(1 - 2**-30) through 1 - x * x) fails the whole class and lists every point that lost.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import mpmath as mp
import pytest

import autograd_lite as ag
from autograd_lite.rules import BUILTINS

mp.mp.dps = 50
TOLERANCE = 1e-13
"""Relative error allowed at every order: some hundreds of ulps for a third derivative's graph."""

_FAR = [1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 12.0, 20.0, 30.0, 37.0, 50.0, 100.0, 200.0, 300.0, 700.0]
_NEAR = [1e-8, 1e-3, 0.3]

POINTS: dict[str, list[float]] = {
    "real": [s * x for x in _NEAR + _FAR for s in (1.0, -1.0)],
    "positive": [1e-300, 1e-100, 1e-10, *_NEAR[1:], *_FAR],
    "(-1, 1)": [s * (1.0 - 2.0**-k) for k in (1, 2, 5, 10, 20, 30, 40, 50) for s in (1, -1)]
    + [s * x for x in _NEAR for s in (1.0, -1.0)],
    ">= 1": [1.0 + 2.0**-k for k in (1, 5, 10, 20, 30, 40, 50)] + _FAR[2:],
    "> -1": [-1.0 + 2.0**-k for k in (1, 5, 10, 20, 30, 40, 50)] + _NEAR + _FAR,
}
"""Points by the class of the domain: its tails and edges, and a few points near 0."""

Derivatives = Callable[[Any], Sequence[Any]]
"""x -> (f'(x), f''(x), f'''(x)) as mpmath numbers."""


def _s(x: Any) -> Any:
    return 1 / (1 + mp.exp(-x))


def _logistic(x: Any) -> tuple[Any, Any, Any]:
    """sigmoid's first three derivatives, written without cancellation: a = s(x), b = s(-x)."""
    a, b = _s(x), _s(-x)
    return a * b, a * b * (b - a), a * b * (1 - 6 * a * b)


def _tanh(x: Any) -> tuple[Any, Any, Any]:
    t, sech2 = mp.tanh(x), 1 / mp.cosh(x) ** 2
    return sech2, -2 * t * sech2, 4 * t * t * sech2 - 2 * sech2 * sech2


def _inverse_sqrt(u: Any, du: Any) -> tuple[Any, Any, Any]:
    """(1 ± x²)^(-1/2)'s value and derivatives' shared pieces: for asin, asinh, acosh."""
    return u ** (-0.5), du * u ** (-1.5), u ** (-2.5)


def _constant(*slopes: float) -> Derivatives:
    return lambda x: slopes


def _piecewise(test: Callable[[Any], bool], yes: float, no: float) -> Derivatives:
    return lambda x: (yes if test(x) else no, 0, 0)


LN2, LN10 = mp.log(2), mp.log(10)

# class -> rule names it sweeps (every rule of the table, checked below) and its cases:
# (what is differentiated, toward which argument, the domain class, the closed forms).
CLASSES: dict[str, list[tuple[str, Callable[[Any], Any], str, Derivatives]]] = {
    "exponentials and logarithms": [
        ("exp", ag.exp, "real", lambda x: (mp.exp(x),) * 3),
        ("expm1", ag.expm1, "real", lambda x: (mp.exp(x),) * 3),
        ("exp2", ag.exp2, "real", lambda x: tuple(2**x * LN2**n for n in (1, 2, 3))),
        ("log", ag.log, "positive", lambda x: (1 / x, -1 / x**2, 2 / x**3)),
        (
            "log2",
            ag.log2,
            "positive",
            lambda x: (1 / (x * LN2), -1 / (x**2 * LN2), 2 / (x**3 * LN2)),
        ),
        (
            "log10",
            ag.log10,
            "positive",
            lambda x: (1 / (x * LN10), -1 / (x**2 * LN10), 2 / (x**3 * LN10)),
        ),
        ("log1p", ag.log1p, "> -1", lambda x: (1 / (1 + x), -1 / (1 + x) ** 2, 2 / (1 + x) ** 3)),
        (
            "sqrt",
            ag.sqrt,
            "positive",
            lambda x: (x**-0.5 / 2, -(x**-1.5) / 4, 3 * x**-2.5 / 8),
        ),
        ("**", lambda x: x**3.0, "real", lambda x: (3 * x**2, 6 * x, 6)),
        (
            "**",
            lambda x: x**0.5,
            "positive",
            lambda x: (x**-0.5 / 2, -(x**-1.5) / 4, 3 * x**-2.5 / 8),
        ),
        (
            "**",
            lambda y: 1.5**y,
            "real",
            lambda y: tuple(mp.mpf(1.5) ** y * mp.log(1.5) ** n for n in (1, 2, 3)),
        ),
        (
            "erf",
            ag.erf,
            "real",
            lambda x: tuple(
                f * 2 / mp.sqrt(mp.pi) * mp.exp(-x * x) for f in (1, -2 * x, 4 * x * x - 2)
            ),
        ),
        ("softplus", ag.softplus, "real", lambda x: (_s(x), *_logistic(x)[:2])),
        ("logaddexp", lambda x: ag.logaddexp(x, 0.0), "real", lambda x: (_s(x), *_logistic(x)[:2])),
        (
            "logaddexp",
            lambda y: ag.logaddexp(0.5, y),
            "real",
            lambda y: (_s(y - 0.5), *_logistic(y - 0.5)[:2]),
        ),
    ],
    "trigonometric": [
        ("sin", ag.sin, "real", lambda x: (mp.cos(x), -mp.sin(x), -mp.cos(x))),
        ("cos", ag.cos, "real", lambda x: (-mp.sin(x), -mp.cos(x), mp.sin(x))),
        (
            "tan",
            ag.tan,
            "real",
            lambda x: (
                1 + mp.tan(x) ** 2,
                2 * mp.tan(x) * (1 + mp.tan(x) ** 2),
                2 * (1 + mp.tan(x) ** 2) * (1 + 3 * mp.tan(x) ** 2),
            ),
        ),
        ("asin", ag.asin, "(-1, 1)", lambda x: _arcsine(x, 1)),
        ("acos", ag.acos, "(-1, 1)", lambda x: _arcsine(x, -1)),
        ("atan", ag.atan, "real", lambda x: _arctangent(x, 1)),
        ("atan2", lambda y: ag.atan2(y, 1.0), "real", lambda y: _arctangent(y, 1)),
        ("atan2", lambda x: ag.atan2(1.0, x), "real", lambda x: _arctangent(x, -1)),
        ("hypot", lambda x: ag.hypot(x, 1.0), "real", lambda x: _hypotenuse(x)),
        ("hypot", lambda y: ag.hypot(0.5, y), "real", lambda y: _hypotenuse(y / 0.5, 0.5)),
    ],
    "hyperbolic": [
        ("sinh", ag.sinh, "real", lambda x: (mp.cosh(x), mp.sinh(x), mp.cosh(x))),
        ("cosh", ag.cosh, "real", lambda x: (mp.sinh(x), mp.cosh(x), mp.sinh(x))),
        ("tanh", ag.tanh, "real", _tanh),
        ("asinh", ag.asinh, "real", lambda x: _area(x, 1 + x * x, 1)),
        ("acosh", ag.acosh, ">= 1", lambda x: _area(x, x * x - 1, -1)),
        (
            "atanh",
            ag.atanh,
            "(-1, 1)",
            lambda x: (
                1 / (1 - x * x),
                2 * x / (1 - x * x) ** 2,
                (2 + 6 * x * x) / (1 - x * x) ** 3,
            ),
        ),
    ],
    "activations": [
        ("sigmoid", ag.sigmoid, "real", _logistic),
        (
            "silu",
            ag.silu,
            "real",
            lambda x: (
                _s(x) + x * _logistic(x)[0],
                2 * _logistic(x)[0] + x * _logistic(x)[1],
                3 * _logistic(x)[1] + x * _logistic(x)[2],
            ),
        ),
        (
            "gelu",
            ag.gelu,
            "real",
            lambda x: (
                mp.ncdf(x) + x * mp.npdf(x),
                mp.npdf(x) * (2 - x * x),
                mp.npdf(x) * (x**3 - 4 * x),
            ),
        ),
        ("elu", ag.elu, "real", lambda x: (mp.exp(x),) * 3 if x < 0 else (1, 0, 0)),
        ("elu", lambda a: ag.elu(-3.0, a), "real", _constant(math.expm1(-3.0), 0, 0)),
        ("leaky_relu", ag.leaky_relu, "real", _piecewise(lambda x: x > 0, 1, 0.01)),
        ("relu", ag.relu, "real", _piecewise(lambda x: x > 0, 1, 0)),
    ],
    "piecewise": [
        ("abs", ag.abs, "real", lambda x: (mp.sign(x), 0, 0)),
        ("maximum", lambda x: ag.maximum(x, 0.5), "real", _piecewise(lambda x: x > 0.5, 1, 0)),
        ("minimum", lambda x: ag.minimum(x, 0.5), "real", _piecewise(lambda x: x < 0.5, 1, 0)),
        (
            "clamp",
            lambda x: ag.clamp(x, -1.0, 1.0),
            "real",
            _piecewise(lambda x: abs(x) <= 1, 1, 0),
        ),
        ("where", lambda x: ag.where(1.0, x, 2.0), "real", _constant(1, 0, 0)),
        ("sign", ag.sign, "real", _constant(0, 0, 0)),
        ("floor", ag.floor, "real", _constant(0, 0, 0)),
        ("ceil", ag.ceil, "real", _constant(0, 0, 0)),
        ("stop_gradient", ag.stop_gradient, "real", _constant(0, 0, 0)),
    ],
    "arithmetic": [
        ("+", lambda x: x + 1.0, "real", _constant(1, 0, 0)),
        ("-", lambda x: 1.0 - x, "real", _constant(-1, 0, 0)),
        ("*", lambda x: x * 3.0, "real", _constant(3, 0, 0)),
        ("/", lambda y: 1.0 / y, "real", lambda y: (-1 / y**2, 2 / y**3, -6 / y**4)),
        ("neg", lambda x: -x, "real", _constant(-1, 0, 0)),
        ("sum", lambda x: ag.sum([x, x, 2.0]), "real", _constant(2, 0, 0)),
        ("dot", lambda x: ag.dot([x, 2.0], [x, x]), "real", lambda x: (2 * x + 2, 2, 0)),
    ],
}


def _arcsine(x: Any, sign: int) -> tuple[Any, Any, Any]:
    u = 1 - x * x
    return sign * u**-0.5, sign * x * u**-1.5, sign * (1 + 2 * x * x) * u**-2.5


def _arctangent(x: Any, sign: int) -> tuple[Any, Any, Any]:
    """atan's derivatives (sign 1), or those of atan2(1, x) = pi/2 - atan(x) (sign -1)."""
    v = 1 + x * x
    return sign / v, -sign * 2 * x / v**2, sign * (6 * x * x - 2) / v**3


def _hypotenuse(u: Any, scale: float = 1.0) -> tuple[Any, Any, Any]:
    """d^n/dx^n of sqrt(x² + c²) at x = u * c, c = `scale`."""
    r = mp.sqrt(u * u + 1)
    return u / r, 1 / (scale * r**3), -3 * u / (scale**2 * r**5)


def _area(x: Any, u: Any, c: int) -> tuple[Any, Any, Any]:
    """asinh's (u = 1 + x², c = 1) or acosh's (u = x² - 1, c = -1) derivatives."""
    return u**-0.5, -x * u**-1.5, (2 * x * x - c) * u**-2.5


def _derivative(f: Callable[[Any], Any], order: int) -> Callable[[float], float]:
    for _ in range(order):
        f = ag.grad(f)
    return f


def _agrees(got: float, want: Any) -> bool:
    """Whether a float has the digits of an mpmath number, or its overflow or underflow."""
    if abs(want) > 1.7976931348623157e308:
        return got == (math.inf if want > 0 else -math.inf)
    if abs(want) < 1e-290:  # underflow, or a zero of the derivative (gelu's third at 2)
        return abs(got) < 1e-280 or (want == 0 and abs(got) < TOLERANCE)
    return abs(got - want) <= TOLERANCE * abs(want)


@pytest.mark.parametrize("kind", CLASSES)
def test_every_derivative_of_every_rule_keeps_its_digits_in_the_tails(kind: str) -> None:
    """Orders 1-3 of each rule of the class at every point of its domain's class."""
    lost = []
    for name, f, domain, closed_forms in CLASSES[kind]:
        derivatives = [_derivative(f, order) for order in (1, 2, 3)]
        for x in POINTS[domain]:
            wants = closed_forms(mp.mpf(x))
            for order, (derivative, want) in enumerate(zip(derivatives, wants), 1):
                got = derivative(x)
                if not _agrees(got, want):
                    lost.append(f"{name} order {order} at {x!r}: {got!r}, not {mp.nstr(want, 17)}")
    assert not lost, "\n".join(lost)


def test_the_sweep_covers_every_rule_of_the_table() -> None:
    """A rule added to the table without a case here fails: it is swept the moment it exists."""
    swept = {name for cases in CLASSES.values() for name, *_ in cases}
    assert swept == set(BUILTINS)
