"""Check derivatives against finite differences, as PyTorch's `gradcheck` does, and say which
operation is wrong.

The analytic side is the engine's own reverse pass (`value_and_grad`, and `grad` of `grad` for
the second order), or its forward pass (`jvp`); the numeric side only ever evaluates the
function (or, for the second order, its already checked gradient) at nearby points. The two
share no code, so they agree only when the rules are right.

When they disagree, the culprit is looked for node by node: each local derivative the graph
recorded at the point is compared with central differences of its rule's own float function
at that node's operands, and the first that disagrees is named in the error's first line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autograd_lite.anomaly import formula
from autograd_lite.forward import jvp
from autograd_lite.functional import _evaluating, grad, gradients, value_and_grad
from autograd_lite.record import Record, read
from autograd_lite.rule import Rule
from autograd_lite.rule import as_float as _as_float
from autograd_lite.value import Operand, Value

MODES = ("rev", "fwd")
"""The modes `gradcheck` can check: reverse (`grad`) and forward (`jvp`)."""


class GradcheckError(AssertionError):
    """Derivatives disagree with finite differences, or a point is not smooth.

    `culprit` is the sentence naming the first operation whose recorded local derivative
    disagrees with central differences of its own function, or None when none does.
    """

    culprit: str | None = None


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Operand],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    order: int = 1,
    modes: Sequence[str] = ("rev",),
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
        modes: which derivatives to check, any of ``"rev"`` (reverse mode, ``grad``) and
            ``"fwd"`` (forward mode, one ``jvp`` per input; at order 2, ``jvp`` of ``grad``).

    Returns:
        True when every derivative agrees.

    Raises:
        GradcheckError: when some derivative disagrees, or an input sits on a kink (the slopes
            on its two sides differ, as for ``relu`` or ``abs`` at 0, where no derivative exists).
            The message lists each failing input (pair of inputs for the second order) with
            the analytic and the numeric value and their difference, each on its own line,
            up to MAX_REPORTED of them; inputs that pass are only counted. When a derivative
            disagrees, its first line names the operation (and its input) whose recorded local
            derivative disagrees with central differences of the rule's own function at that
            node's operands (names as ``explain`` gives them), when one does; that sentence is
            also the error's ``culprit``.
        ProbeOutsideDomain: a GradcheckError when ``f`` cannot be evaluated at ``x ± eps``
            (``sqrt`` at 0), with the input, the probe and the reason in one line.

    To tell a kink from strong curvature, an input whose one-sided slopes at ``x - eps`` and
    ``x + eps`` differ by much more than the tolerances is evaluated twice more, at
    ``x - 2 * eps`` and ``x + 2 * eps``; when one of those is outside the function's domain
    (``log`` within ``2 * eps`` of 0), that input gets no kink verdict, only the comparison.

    .. note::
        Central differences are exact up to about ``eps**2 * |f'''|`` plus rounding of about
        ``1e-16 * |f| / eps``: with the defaults, roughly 1e-10 for functions of moderate size.
        Much smaller ``eps`` lets rounding dominate; much larger lets curvature dominate.
        Functions with large values or sharp curvature need looser tolerances.

    Cost: ``2 * len(inputs) + 1`` evaluations with their gradient (a few more near a kink),
    plus at order 2 one Hessian row per input, computed when its input is checked. Memory
    grows linearly with the inputs at either order: passing derivatives leave no text.
    """
    xs = [x.data if isinstance(x, Value) else _as_float(x, "gradcheck") for x in inputs]
    if order not in (1, 2):
        raise ValueError(f"gradcheck checks order 1 or 2, got order={order!r}")
    if isinstance(modes, str) or not modes or not set(modes) <= set(MODES):
        raise ValueError(f"gradcheck's modes are some of {MODES}, got modes={modes!r}")
    if not xs:
        raise ValueError("gradcheck needs at least one input")
    if not eps > 0:
        raise ValueError(f"gradcheck needs a positive step, got eps={eps!r}")
    argnums = tuple(range(len(xs)))
    value_and_gradient = value_and_grad(f, argnums)
    value, gradient = value_and_gradient(*xs)
    tolerances = _Tolerances(eps, atol, rtol)
    # One evaluation per probe point serves both orders: at order 2 it gives the value and the
    # gradient, checked against the gradient and the Hessian's column.
    if order == 1:

        def fn(point: list[float]) -> list[float]:
            return [value_and_gradient(*point)[0]]

        at = [value]
    else:

        def fn(point: list[float]) -> list[float]:
            value, gradient = value_and_gradient(*point)
            return [value, *gradient]

        at = [value, *gradient]
    for mode in MODES:
        if mode in modes:
            analytic = _analytic(f, xs, gradient, order, mode)
            try:
                _compare(fn, xs, at, analytic, tolerances, mode)
            except GradcheckError as error:
                culprit = wrong_node(f, xs, tolerances, order)
                if culprit is None or isinstance(error, ProbeOutsideDomain):
                    raise
                failure = GradcheckError(f"gradcheck failed: {culprit}\n{error}")
                failure.culprit = culprit
                raise failure from None
    return True


def _analytic(
    f: Callable[..., Any], xs: list[float], gradient: Sequence[float], order: int, mode: str
) -> Callable[[int], list[float]]:
    """The function giving, for input j, the derivatives that the probes of x_j check:
    df/dx_j, then at order 2 the Hessian's row j, by reverse mode or by forward mode."""
    argnums = tuple(range(len(xs)))

    def unit(j: int) -> list[float]:
        return [1.0 if i == j else 0.0 for i in argnums]

    def analytic(j: int) -> list[float]:
        first = gradient[j] if mode == "rev" else jvp(f, xs, unit(j))[1]
        if order == 1:
            return [first]
        # Row j of the Hessian, d(df/dx_j)/dx_i, stands for column j, d(df/dx_i)/dx_j,
        # which the probes of x_j give: equal when the rules are right, so comparing every
        # row with its column checks every entry. One row at a time keeps memory linear.
        if mode == "rev":
            row = grad(lambda *ys: grad(f, j)(*ys), argnums)(*xs)
        else:
            row = jvp(grad(f, argnums), xs, unit(j))[1]  # forward over reverse
        return [first, *row]

    return analytic


def wrong_node(
    f: Callable[..., Any], xs: Sequence[float], tolerances: _Tolerances, order: int = 1
) -> str | None:
    """The first node of f's graph at `xs` whose recorded local derivative toward an operand
    disagrees with central differences of its rule's float function there, as a sentence; at
    `order=2`, when none does, the first whose partial on Values (what the Value pass
    differentiates) has a derivative that disagrees with central differences of that partial.

    None when every node agrees (then the fault is not in one rule: `f` itself), or when `f`
    cannot be traced at `xs`.
    """
    try:
        with _evaluating():
            out = f(*[Value(x, f"x{i}") for i, x in enumerate(xs)])
    except (ArithmeticError, ValueError, TypeError):
        return None
    if not isinstance(out, Value):
        return None
    record = read(out)
    checks = [_wrong_first, _wrong_second] if order == 2 else [_wrong_first]
    for check in checks:
        for i, rule in enumerate(record.rules):
            found = None if rule is None else check(record, i, rule, tolerances)
            if found is not None:
                return found
    return None


def _wrong_first(record: Record, i: int, rule: Rule, tolerances: _Tolerances) -> str | None:
    """Node i's first local derivative that central differences of its rule contradict."""
    names, operands = record.names, record.operands[i]
    args = [o.data if isinstance(o, Value) else o for o in operands]
    locals_ = iter(record.locals[i])
    for k, operand in enumerate(operands):
        if not isinstance(operand, Value):
            continue
        local = next(locals_)
        numeric = _numeric(lambda a: _call(rule, a), args, k, tolerances)
        if numeric is None or tolerances.close(local, numeric):
            continue
        return (
            f"{names[record.order[i]]} = {formula(record, i)} has a wrong local derivative "
            f"toward {names[operand]} (input {k} of {rule.name}): recorded {local!r}, "
            f"central differences of {rule.name} at {_shown(args)} give {numeric!r}"
        )
    return None


def _wrong_second(record: Record, i: int, rule: Rule, tolerances: _Tolerances) -> str | None:
    """Node i's first partial whose derivative, taken by the Value pass, central differences
    of the partial itself (on floats) contradict."""
    names, operands = record.names, record.operands[i]
    args = [o.data if isinstance(o, Value) else o for o in operands]
    parents = {k: o for k, o in enumerate(operands) if isinstance(o, Value)}
    leaves = [Value(a) for a in args]
    with _evaluating():
        partials = rule.local_derivatives(leaves, rule(*leaves))
    for k, toward in parents.items():
        local = partials[k]
        analytic = gradients(local, leaves) if isinstance(local, Value) else [0.0] * len(args)

        def partial_k(a: list[float], k: int = k) -> float:
            return float(rule.local_derivatives(a, _call(rule, a))[k])

        for m, by in parents.items():
            numeric = _numeric(partial_k, args, m, tolerances)
            if numeric is None or tolerances.close(analytic[m], numeric):
                continue
            return (
                f"{names[record.order[i]]} = {formula(record, i)} has a wrong second derivative: "
                f"d/d{names[by]} of its local derivative toward {names[toward]} (input {k} of "
                f"{rule.name}) is "
                f"{analytic[m]!r} by its partial on Values, central differences of that "
                f"partial at {_shown(args)} give {numeric!r}"
            )
    return None


def _call(rule: Rule, args: Sequence[float]) -> float:
    """`rule`'s float function at `args` (a list for an n-ary rule)."""
    return rule.forward(list(args)) if rule.arity is None else rule.forward(*args)


def _shown(args: Sequence[float]) -> str:
    """A point as text: `0.5`, or `(0.5, 2.0)`."""
    return repr(args[0]) if len(args) == 1 else f"({', '.join(map(repr, args))})"


def _numeric(
    g: Callable[[list[float]], float], args: list[float], k: int, tolerances: _Tolerances
) -> float | None:
    """The central difference of `g` along argument k; None outside its domain or at a kink
    (one-sided slopes apart), where there is no derivative to compare with."""
    eps = tolerances.eps

    def at(step: float) -> float:
        moved = list(args)
        moved[k] += step
        return g(moved)

    try:
        minus, middle, plus = at(-eps), at(0.0), at(eps)
    except (ArithmeticError, ValueError):
        return None
    left, right = (middle - minus) / eps, (plus - middle) / eps
    if _slopes_apart(left, right, tolerances):
        return None
    return (left + right) / 2


class ProbeOutsideDomain(GradcheckError):
    """A finite-difference probe `x ± eps` left the function's domain: no check is possible."""

    def __init__(self, input: int, x: float, probe: float, eps: float, reason: Exception) -> None:
        self.input, self.x, self.probe, self.eps, self.reason = input, x, probe, eps, reason
        super().__init__(
            f"gradcheck cannot probe input {input} = {x!r}: f fails at {probe!r} "
            f"(x {'+' if probe > x else '-'} eps) with {reason}; check at least "
            f"eps = {eps!r} inside the domain"
        )


class _Tolerances:
    """The step and tolerances of one check."""

    def __init__(self, eps: float, atol: float, rtol: float) -> None:
        self.eps, self.atol, self.rtol = eps, atol, rtol

    def close(self, analytic: float, numeric: float) -> bool:
        return abs(analytic - numeric) <= self.atol + self.rtol * abs(numeric)

    def __str__(self) -> str:
        return f"eps={self.eps!r}, atol={self.atol!r}, rtol={self.rtol!r}"


_MODE_NAMES = {"rev": "reverse mode", "fwd": "forward mode"}

MAX_REPORTED = 20
"""How many failing derivatives a GradcheckError lists; the rest are counted."""


def _label(i: int, j: int, x: float) -> str:
    """The name of entry `i` for input `j`: the derivative (i = 0) or a Hessian entry."""
    return f"input {j} = {x!r}" if i == 0 else f"d2f/dx{i - 1}dx{j} at x{j} = {x!r}"


def _compare(
    fn: Callable[[list[float]], list[float]],
    xs: list[float],
    at: list[float],
    analytic: Callable[[int], list[float]],
    tolerances: _Tolerances,
    mode: str = "rev",
) -> None:
    """Check `analytic(j)[i]` against d fn(x)[i] / d x_j for every j and i; raise on a mismatch.

    Only failures are written out (at most MAX_REPORTED), so memory stays linear in the inputs.
    """
    eps = tolerances.eps
    lines: list[str] = []
    failed = 0
    problems: set[str] = set()
    for j, x in enumerate(xs):
        plus, minus = _probe(fn, xs, j, eps), _probe(fn, xs, j, -eps)
        slopes = [((at[i] - minus[i]) / eps, (plus[i] - at[i]) / eps) for i in range(len(at))]
        apart = any(_slopes_apart(left, right, tolerances) for left, right in slopes)
        wide = _two_steps_away(fn, xs, j, eps) if apart else None
        for i, wanted in enumerate(analytic(j)):
            numeric = (plus[i] - minus[i]) / (2 * eps)
            left, right = slopes[i]
            kink = False
            if wide is not None:
                plus2, minus2 = wide
                wide_gap = (plus2[i] - at[i]) / (2 * eps) - (at[i] - minus2[i]) / (2 * eps)
                kink = _kink(left, right, wide_gap, tolerances)
            if kink:
                problems.add("a derivative does not exist at this point")
                verdict = (
                    f"NOT DIFFERENTIABLE: slope {left:.6g} on the left, {right:.6g} on the right; "
                    f"move input {j} away from the kink (by much more than eps)"
                )
            elif not tolerances.close(wanted, numeric):
                problems.add(f"{_MODE_NAMES[mode]} and central differences disagree")
                verdict = "MISMATCH"
            else:
                continue
            failed += 1
            if failed <= MAX_REPORTED:
                lines += [
                    f"{_label(i, j, x)}: {verdict}",
                    f"    analytic:   {wanted!r}",
                    f"    numeric:    {numeric!r}",
                    f"    difference: {abs(wanted - numeric):.3g}",
                ]
    if problems:
        if failed > MAX_REPORTED:
            lines.append(f"... and {failed - MAX_REPORTED:,} more failing derivatives")
        total = len(xs) * len(at)
        head = f"gradcheck failed: {'; '.join(sorted(problems))} ({tolerances})"
        others = "; the others agree" if failed < total else ""
        lines.append(f"{failed:,} of {total:,} derivatives failed{others}")
        raise GradcheckError("\n".join([head, *lines]))


def _probe(
    fn: Callable[[list[float]], list[float]], xs: list[float], j: int, step: float
) -> list[float]:
    """`fn` with input `j` moved by `step`; ProbeOutsideDomain when it cannot be evaluated there."""
    point = _moved(xs, j, step)
    try:
        return fn(point)
    except (ValueError, ArithmeticError) as error:  # e.g. sqrt(x - eps) at x = 0
        raise ProbeOutsideDomain(j, xs[j], point[j], abs(step), error) from None


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
