"""Check reverse-mode derivatives against finite differences, as PyTorch's `gradcheck` does.

The analytic side is the engine's own reverse pass (`value_and_grad`, and `hessian` for the
second order); the numeric side only ever evaluates the function (or, for the second order,
its already checked gradient) at nearby points. The two share no code, so they agree only
when the rules are right.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autograd_lite.functional import hessian, value_and_grad
from autograd_lite.rules import as_float as _as_float
from autograd_lite.value import Operand, Value


class GradcheckError(AssertionError):
    """Reverse-mode derivatives disagree with finite differences, or a point is not smooth."""


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Operand],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    order: int = 1,
) -> bool:
    """Check the derivatives of a scalar function against central finite differences.

    An analytic derivative ``a`` passes against the numeric one ``n`` when
    ``|a - n| <= atol + rtol * |n|``.

    Args:
        f: a function of ``len(inputs)`` numbers returning a Value (or a number), written with
            autograd_lite's operations.
        inputs: the point at which to check, a sequence of real numbers (or Values, whose
            ``data`` is used).
        eps: the step of the finite differences.
        atol: the absolute tolerance.
        rtol: the relative tolerance.
        order: 1 checks the gradient against ``(f(x + eps) - f(x - eps)) / (2 * eps)``, one input
            at a time; 2 also checks every second derivative (the Hessian, from the Value-valued
            reverse pass) against central differences of the gradient.

    Returns:
        True when every derivative agrees.

    Raises:
        GradcheckError: when some derivative disagrees, or an input sits on a kink (the slopes
            on its two sides differ, as for ``relu`` or ``abs`` at 0, where no derivative exists).
            The message lists, per input (per pair of inputs for the second order), the
            analytic and the numeric value and their difference, each on its own line.

    To tell a kink from strong curvature, an input whose one-sided slopes at ``x - eps`` and
    ``x + eps`` differ by much more than the tolerances is evaluated twice more, at
    ``x - 2 * eps`` and ``x + 2 * eps``; when one of those is outside the function's domain
    (``log`` within ``2 * eps`` of 0), that input gets no kink verdict, only the comparison.

    .. note::
        Central differences are exact up to about ``eps**2 * |f'''|`` plus rounding of about
        ``1e-16 * |f| / eps``: with the defaults, roughly 1e-10 for functions of moderate size.
        Much smaller ``eps`` lets rounding dominate; much larger lets curvature dominate.
        Functions with large values or sharp curvature need looser tolerances.
    """
    xs = [x.data if isinstance(x, Value) else _as_float(x) for x in inputs]
    if order not in (1, 2):
        raise ValueError(f"gradcheck checks order 1 or 2, got order={order!r}")
    if not xs:
        raise ValueError("gradcheck needs at least one input")
    if not eps > 0:
        raise ValueError(f"gradcheck needs a positive step, got eps={eps!r}")
    argnums = tuple(range(len(xs)))
    value_and_gradient = value_and_grad(f, argnums)
    tolerances = _Tolerances(eps, atol, rtol)

    def value(point: list[float]) -> list[float]:
        return [value_and_gradient(*point)[0]]

    analytic = value_and_gradient(*xs)[1]
    rows = [[analytic[i]] for i in range(len(xs))]
    _compare(value, xs, rows, tolerances, "input {j} = {x!r}")
    if order == 2:

        def gradient(point: list[float]) -> list[float]:
            return list(value_and_gradient(*point)[1])

        second = hessian(f)(*xs)
        columns = [list(column) for column in zip(*second)]  # column j: d(gradient)/d(x_j)
        _compare(gradient, xs, columns, tolerances, "d2f/dx{i}dx{j} at x{j} = {x!r}")
    return True


class _Tolerances:
    """The step and tolerances of one check."""

    def __init__(self, eps: float, atol: float, rtol: float) -> None:
        self.eps, self.atol, self.rtol = eps, atol, rtol

    def close(self, analytic: float, numeric: float) -> bool:
        return abs(analytic - numeric) <= self.atol + self.rtol * abs(numeric)

    def __str__(self) -> str:
        return f"eps={self.eps!r}, atol={self.atol!r}, rtol={self.rtol!r}"


def _compare(
    fn: Callable[[list[float]], list[float]],
    xs: list[float],
    analytic: list[list[float]],
    tolerances: _Tolerances,
    label: str,
) -> None:
    """Check `analytic[j][i]` against d fn(x)[i] / d x_j for every j and i; raise on a mismatch.

    `label` names an entry, formatted with i, j and x (the value of input j).
    """
    eps = tolerances.eps
    at = fn(xs)
    lines: list[str] = []
    problems: set[str] = set()
    for j, x in enumerate(xs):
        plus, minus = fn(_moved(xs, j, eps)), fn(_moved(xs, j, -eps))
        slopes = [((at[i] - minus[i]) / eps, (plus[i] - at[i]) / eps) for i in range(len(at))]
        apart = any(_slopes_apart(left, right, tolerances) for left, right in slopes)
        wide = _two_steps_away(fn, xs, j, eps) if apart else None
        for i, wanted in enumerate(analytic[j]):
            numeric = (plus[i] - minus[i]) / (2 * eps)
            left, right = slopes[i]
            kink = False
            if wide is not None:
                plus2, minus2 = wide
                wide_gap = (plus2[i] - at[i]) / (2 * eps) - (at[i] - minus2[i]) / (2 * eps)
                kink = _kink(left, right, wide_gap, tolerances)
            verdict = "ok"
            if kink:
                problems.add("a derivative does not exist at this point")
                verdict = (
                    f"NOT DIFFERENTIABLE: slope {left:.6g} on the left, {right:.6g} on the right; "
                    f"move input {j} away from the kink (by much more than eps)"
                )
            elif not tolerances.close(wanted, numeric):
                problems.add("reverse mode and central differences disagree")
                verdict = "MISMATCH"
            lines += [
                f"{label.format(i=i, j=j, x=x)}: {verdict}",
                f"    analytic:   {wanted!r}",
                f"    numeric:    {numeric!r}",
                f"    difference: {abs(wanted - numeric):.3g}",
            ]
    if problems:
        head = f"gradcheck failed: {'; '.join(sorted(problems))} ({tolerances})"
        raise GradcheckError("\n".join([head, *lines]))


def _moved(xs: list[float], j: int, step: float) -> list[float]:
    """`xs` with input `j` moved by `step`."""
    moved = list(xs)
    moved[j] += step
    return moved


def _two_steps_away(
    fn: Callable[[list[float]], list[float]], xs: list[float], j: int, eps: float
) -> tuple[list[float], list[float]] | None:
    """`fn` with input `j` moved by 2 eps and by -2 eps; None when either is outside its domain."""
    try:
        return fn(_moved(xs, j, 2 * eps)), fn(_moved(xs, j, -2 * eps))
    except (ValueError, ArithmeticError):  # e.g. log(x - 2 eps) for 0 < x < 2 eps
        return None


def _slopes_apart(left: float, right: float, tolerances: _Tolerances) -> bool:
    """Whether the one-sided slopes differ by well beyond the tolerance: a kink, or curvature."""
    scale = tolerances.atol + tolerances.rtol * max(abs(left), abs(right))
    return abs(right - left) > 10 * scale


def _kink(left: float, right: float, wide_gap: float, tolerances: _Tolerances) -> bool:
    """Whether one-sided slopes `left`, `right` (step eps) and their gap at step 2 eps mean a kink.

    On a smooth function the gap is eps * f'' + O(eps**3): it doubles (or more) with the step.
    At a kink it is the jump of the slope, whatever the step. A gap well beyond the tolerance
    that stays put when the step doubles is a kink.
    """
    gap = right - left
    return _slopes_apart(left, right, tolerances) and abs(wide_gap - gap) < abs(gap) / 2
