"""NumPy kernels: the rules of the table over arrays, one entry per sample.

Generated batch code calls these. A rule with an array form (`Rule.array`, written beside the
rule in the table) goes through it; any other rule, user primitives included, through its own
float functions applied entry by entry. Entries where NumPy gives inf or nan, and sums within
rounding of 0 (where the order of summation could decide a kink), are computed again by the
rule's float function: domain errors, kinks and nan come out as in a call per sample. Other
entries agree to rounding (NumPy's exp, log, tanh and ** may differ from the math module's in
the last bit).

NumPy is imported on the first batch, never by `import autograd_lite`.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Sequence
from typing import Any

from autograd_lite import rules
from autograd_lite.rule import Rule


def numpy_module() -> Any:
    """NumPy, or an ImportError saying how to get it."""
    try:
        import numpy
    except ImportError:  # pragma: no cover - exercised by a test that hides numpy
        raise ImportError(
            "compile: calls with arrays need NumPy: pip install numpy (the fast extra)"
        ) from None
    return numpy


def same_array(x: Any, seen: float) -> Any:
    np = numpy_module()
    if seen != seen:
        return np.isnan(x)
    return (x == seen) & (np.signbit(x) == (math.copysign(1.0, seen) < 0))


def flat_times(g: Any, local: Any) -> Any:
    """g * local, but 0 where local is 0, for the rules whose zeros are flat branches (arrays
    carry no `FLAT`): a flat branch's zero stops any adjoint, inf and nan included."""
    np = numpy_module()
    out = np.multiply(g, local)
    if math.isfinite(np.sum(out)):  # no 0 * inf anywhere: nothing to stop
        return out
    return np.where(np.equal(local, 0.0), 0.0, out)


def total(g: Any, local: Any, n: int) -> float:
    """The sum over a batch of g * local, either of them an array or the same for all."""
    np = numpy_module()
    if np.ndim(g) and np.ndim(local):
        return float(np.dot(g, local))
    if np.ndim(g) or np.ndim(local):
        return float(np.sum(np.multiply(g, local)))
    return float(g * local * n)


_ROUNDING = 2.3e-16
"""Twice the unit roundoff: a sum of k terms formed in two orders differs by at most about
k * _ROUNDING * (the sum of their magnitudes)."""


def _settle(z: Any, sizes: Any, count: int, exact: Callable[[tuple[int, ...]], float]) -> Any:
    """`z`, sums of `count` terms formed by NumPy, with the entries where the order of
    summation could matter computed again by the rule's float function (`exact(index)`): those
    within rounding of 0, where a kink would see the sign, and those not finite. `sizes` are
    the sums of the terms' magnitudes; where they are 0, every order gives exactly 0.
    """
    np = numpy_module()
    bound = sizes * ((count + 2) * _ROUNDING)
    suspect = np.abs(z) <= bound
    if suspect.any() or not math.isfinite(z.sum()):
        suspect &= bound > 0
        suspect |= ~np.isfinite(z)
        z = np.array(z, dtype=float)
        for index in zip(*np.nonzero(suspect)):
            z[index] = exact(index)
    return z


def _entry(args: Sequence[Any], k: int) -> list[float]:
    """Entry `k` of each argument (arrays) or the argument itself (numbers), as floats."""
    return [float(a[k]) if numpy_module().ndim(a) else float(a) for a in args]


def _sum_arrays(*xs: Any) -> Any:
    """The rule `sum` over arrays, its edges exactly the rule's."""
    np = numpy_module()
    z = builtins.sum(xs, 0.0)
    sizes = builtins.sum(map(np.abs, xs), 0.0)
    return _settle(z, sizes, len(xs), lambda k: rules.sum_rule.forward(list(_entry(xs, k[0]))))


def _dot_arrays(*ws_then_xs: Any) -> Any:
    """The rule `dot` over arrays, its edges exactly the rule's."""
    np = numpy_module()
    half = len(ws_then_xs) // 2
    terms = [w * x for w, x in zip(ws_then_xs[:half], ws_then_xs[half:])]
    z = builtins.sum(terms, 0.0)
    sizes = builtins.sum(map(np.abs, terms), 0.0)
    exact = rules.dot_rule.forward
    return _settle(z, sizes, half, lambda k: exact(list(_entry(ws_then_xs, k[0]))))


class Layer:
    """Weighted sums that share their per-sample inputs, as one matrix product and its reverse.

    `members` holds each sum's `dot` operands (the w's, then the x's) as the generated code has
    them: arrays for the per-sample inputs, floats for the rest. In each pair one side is an
    array (the same in every member) or neither is. `given`, when the code holds them so, is
    the per-sample inputs as the rows of one matrix already (the previous layer's).
    """

    def __init__(self, n: int, members: Sequence[Sequence[Any]], given: Any = None) -> None:
        np = numpy_module()
        ndim = np.ndim
        half = len(members[0]) // 2
        rows: list[Any] = []
        coefficients: list[list[float]] = [[] for _ in members]
        rest = [0.0] * len(members)  # the pairs of two numbers, per member
        size = [0.0] * len(members)
        for i in range(half):
            w, x = members[0][i], members[0][i + half]
            side = 0 if ndim(w) else 1 if ndim(x) else -1
            if side >= 0:
                rows.append(members[0][i + half * side])
            for m, operands_ in enumerate(members):
                if side < 0:
                    term = operands_[i] * operands_[i + half]
                    rest[m] += term
                    size[m] += abs(term)
                else:
                    coefficients[m].append(operands_[i + half * (1 - side)])
        self.inputs = inputs = np.array(rows) if given is None else given
        self.weights = weights = np.array(coefficients)
        z = weights @ inputs
        z += np.array(rest)[:, None]
        self.n = n
        # Which sums may be within rounding of 0 (where the order of the terms could decide a
        # kink)? First against one bound for all (the largest row of weights times the largest
        # input), then, for the few entries under it, against their own sum of magnitudes.
        largest = max(float(np.abs(weights).sum(axis=1).max(initial=0.0)), 0.0)
        largest *= max(float(inputs.max(initial=0.0)), -float(inputs.min(initial=0.0)))
        slack = (half + 2) * _ROUNDING
        bound = largest + max(size, default=0.0)  # finite: so is every sum (no sum.isfinite)
        suspect = np.abs(z) <= slack * bound
        if suspect.any() or not (math.isfinite(bound) or math.isfinite(z.sum())):
            m, k = np.nonzero(suspect)
            sizes = np.einsum("ij,ij->i", np.abs(weights[m]), np.abs(inputs[:, k].T))
            sizes += np.array(size)[m]
            close = (np.abs(z[m, k]) <= slack * sizes) & (sizes > 0)
            z = np.array(z, dtype=float)
            exact = rules.dot_rule.forward
            for row, column in zip(m[close], k[close]):
                z[row, column] = exact(_entry(members[row], column))
            for row, column in zip(*np.nonzero(~np.isfinite(z))):
                z[row, column] = exact(_entry(members[row], column))
        self.values = z

    def reverse(self, grads: Any) -> tuple[list[list[float]], Any]:
        """The batch sums of d/d(weight) per member, and d/d(input) per sample for each input.

        `grads` are the members' gradients: one per member, or the rows of one matrix.
        """
        np = numpy_module()
        g = grads if np.ndim(grads) == 2 else stack(grads, self.n)
        return (g @ self.inputs.T).tolist(), self.weights.T @ g


def stack(rows: Sequence[Any], n: int) -> Any:
    """Arrays of `n` entries (or numbers, the same for all) as the rows of one matrix."""
    np = numpy_module()
    return np.array([np.broadcast_to(x, (n,)) for x in rows])


def _exactly(np: Any, fast: Callable[..., Any], exact: Callable[..., Any]) -> Callable[..., Any]:
    """`fast` on arrays, its entries that are inf or nan computed again by the float `exact`.

    NumPy answers a domain error with nan or inf where the rule raises; and at the edges its
    functions may pick another branch. Going back to the rule there keeps every error and
    every special value the rule's own.
    """

    def run(*args: Any) -> Any:
        out = fast(*args)
        if math.isfinite(np.sum(out)):
            return out
        shape = np.broadcast_shapes(*map(np.shape, args))
        if shape == ():
            return exact(*map(float, args))
        out = np.array(np.broadcast_to(out, shape), dtype=float)  # x * inf: one inf for all
        entries = [np.broadcast_to(a, shape).ravel() if np.ndim(a) else a for a in args]
        flat = out.reshape(-1)  # a view: a layer's matrix is written through it
        for k in np.flatnonzero(~np.isfinite(flat)):
            flat[k] = exact(*[float(a[k]) if np.ndim(a) else float(a) for a in entries])
        return out

    return run


def _entrywise(np: Any, fn: Callable[..., Any], nin: int, nout: int = 0) -> Callable[..., Any]:
    """`fn`, a rule's float function, applied to every entry: right for any rule.

    With `nout`, `fn` returns that many numbers at once (an n-ary rule's partials).
    """
    if nout == 0:
        ufunc = np.frompyfunc(fn, nin, 1)
    elif nout == 1:
        ufunc = np.frompyfunc(lambda *xs: fn(*xs)[0], nin, 1)
    else:
        ufunc = np.frompyfunc(lambda *xs: tuple(fn(*xs)), nin, nout)

    def as_floats(out: Any) -> Any:
        return out.astype(float) if isinstance(out, np.ndarray) else float(out)

    def run(*args: Any) -> Any:
        out = ufunc(*args)
        if nout == 0:
            return as_floats(out)
        return tuple(map(as_floats, out if nout > 1 else (out,)))

    return run


def entry_shares(rule: Rule, j: int) -> Callable[..., Any]:
    """g * partial j of `rule`, entry by entry in floats, for a rule with no array form: the
    engine's product exactly, a flat branch's `FLAT` stopping an infinite g included."""
    np = numpy_module()
    partial = rule.partials[j]
    assert rule.arity is not None
    ufunc = np.frompyfunc(lambda g, *xs_and_out: g * partial(*xs_and_out), rule.arity + 2, 1)

    def run(g: Any, *xs_and_out: Any) -> Any:
        out = ufunc(g, *xs_and_out)
        return out.astype(float) if isinstance(out, np.ndarray) else float(out)

    return run


def float_rule(rule: Rule) -> tuple[Callable[..., Any], tuple[Callable[..., Any], ...]]:
    """`rule`'s forward and partials as the generated code calls them, inputs as arguments.

    An n-ary rule takes its inputs as one list; the code passes them one by one.
    """
    if rule.arity is not None:
        return rule.forward, rule.partials
    forward, partial = rule.forward, rule.partials[0]
    return (lambda *xs: forward(xs)), (
        lambda *xs_and_out: partial(xs_and_out[:-1], xs_and_out[-1]),
    )


def array_rule(
    np: Any, rule: Rule, nargs: int
) -> tuple[Callable[..., Any], tuple[Callable[..., Any], ...]]:
    """`rule`'s forward and partials over arrays: its array form (`Rule.array`) where it has
    one, else its float functions entry by entry; `sum` and `dot` as sums settled near 0."""
    if rule is rules.sum_rule:
        return _sum_arrays, rule.partials
    if rule is rules.dot_rule:
        return _dot_arrays, rule.partials
    if rule.array is not None:  # the rule's own NumPy form, written beside it in the table
        forward, *partials = rule.array(np)
        return _exactly(np, forward, rule.forward), tuple(
            _exactly(np, mine or theirs, theirs) for mine, theirs in zip(partials, rule.partials)
        )
    if rule.arity is None:
        forward, (partial,) = float_rule(rule)
        return _entrywise(np, forward, nargs), (_entrywise(np, partial, nargs + 1, nargs),)
    return _entrywise(np, rule.forward, nargs), tuple(
        _entrywise(np, partial, nargs + 1) for partial in rule.partials
    )
