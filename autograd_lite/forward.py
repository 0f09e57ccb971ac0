"""Forward mode, and what both modes give together: `jvp`, `jacobian`, `vjp`, `hvp`.

Forward mode pushes a tangent from the inputs toward the outputs, in topological order:
tangent(n) = Σ ∂n/∂p · tangent(p) over the parents p of n. The local derivatives ∂n/∂p are
the ones the reverse pass multiplies, from the same table: at the top level the floats each
node recorded in the forward pass; nested in a `grad` (or given Values) the rules' partials
applied to Values, so a tangent is a graph that can be differentiated again. So forward mode
composes with reverse mode both ways: `jvp` of `grad` is forward-over-reverse (that is `hvp`),
`grad` of a `jvp` differentiates the tangent, and either nests to any order.

One forward pass gives the derivative of every output along one direction of the inputs; one
reverse pass, the derivative of one output toward every input. `jacobian` takes whichever needs
fewer passes over the one recorded graph. Sources: Griewank and Walther, "Evaluating
Derivatives" (2008), chapters 3 and 5 (tangent and adjoint modes, second order by
forward-over-reverse); the function names and shapes follow JAX (`jax.jvp`, `jax.vjp`,
`jax.jacfwd`, `jax.jacrev`).
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from autograd_lite.functional import (
    Adjoint,
    _adjoints,
    _check_argnums,
    _evaluating,
    _name,
    _nested,
    _number,
    _positions,
    _times,
    _total,
    _with_inputs,
    grad,
)
from autograd_lite.record import Record, read
from autograd_lite.rule import as_float, is_number
from autograd_lite.value import Value, dot, recording, sum

__all__ = ["hvp", "jacfwd", "jacobian", "jacrev", "jvp", "tangent_pass", "vjp"]


# ---------------------------------------------------------------- the forward pass


def tangent_pass(
    record: Record, seeds: Mapping[Value, Adjoint], create_graph: bool = False
) -> dict[Value, Adjoint]:
    """The tangent of every node of `record` that depends on a seeded node.

    `seeds` gives the tangents of the inputs (nodes of the graph); every node after them gets
    tangent(n) = Σ ∂n/∂p · tangent(p), the local derivatives being the recorded floats, or with
    `create_graph` the rule's partials applied to Values (then tangents are Values, to be
    differentiated again). A node missing from the result has tangent 0.
    """
    found = dict(seeds)
    get = found.get
    if not create_graph:
        for node, rule, parents, locals_ in zip(
            record.order, record.rules, record.parents, record.locals
        ):
            if rule is None or node in seeds:
                continue
            total: Any = None
            for parent, local in zip(parents, locals_):
                t = get(parent)
                if t is not None:
                    share = local * t
                    total = share if total is None else total + share
            if total is not None:
                found[node] = total
        return found
    for node, rule, parents, operands in zip(
        record.order, record.rules, record.parents, record.operands
    ):
        if rule is None or node in seeds or not any(p in found for p in parents):
            continue
        every = rule.local_derivatives(operands, node) if rule.arity is None else None
        shares = []
        for i, operand in enumerate(operands):
            t = get(operand) if isinstance(operand, Value) else None
            if t is not None:
                local = every[i] if every is not None else rule.partials[i](*operands, node)
                shares.append(_times(t, local))
        found[node] = _total(shares)
    return found


def _root(outputs: Sequence[Adjoint]) -> Value | None:
    """One node whose graph holds every output: the output itself, or a `sum` joining them."""
    values = [y for y in outputs if isinstance(y, Value)]
    if len(values) <= 1:
        return values[0] if values else None
    with recording():
        return sum(values)


# ---------------------------------------------------------------- functions of numbers


def _outputs(f: Callable[..., Any], out: Any) -> tuple[list[Adjoint], bool]:
    """f's result as a list of Values and floats, and whether it was a single one."""
    many = isinstance(out, (list, tuple))
    found: list[Adjoint] = []
    for y in out if many else [out]:
        if isinstance(y, Value):
            found.append(y)
        elif is_number(y):
            found.append(as_float(y, f"{_name(f)}'s result"))  # a constant: derivatives are 0
        else:
            raise TypeError(
                f"{_name(f)} must return a Value, a real number or a sequence of them, "
                f"but it returned {type(out).__name__} {reprlib.repr(out)}"
            )
    return found, not many


def _trace(
    f: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any], positions: Sequence[int]
) -> tuple[list[Value], list[Adjoint], bool]:
    """Call `f` on fresh inputs at `positions`: the inputs, the outputs, whether one output.

    Must run inside `_evaluating()`.
    """
    values, inputs = _with_inputs(f, args, positions)
    outputs, single = _outputs(f, f(*values, **kwargs))
    return inputs, outputs, single


def _finish(results: list[Any], nested: bool, single: bool) -> Any:
    """Floats at the top level (Values when nested); one result or the list."""
    if not nested:
        results = [_number(r) for r in results]
    return results[0] if single else results


def _check_pairs(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> None:
    """TypeError unless primals and tangents are sequences of equal length."""
    for what, xs in (("primals", primals), ("tangents", tangents)):
        if isinstance(xs, (str, bytes)) or not isinstance(xs, Sequence):
            raise TypeError(
                f"jvp({_name(f)}): {what} must be a sequence (one number per argument), "
                f"got {type(xs).__name__} {reprlib.repr(xs)}"
            )
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp({_name(f)}): {len(primals)} primal(s) but {len(tangents)} tangent(s); "
            "give one tangent per argument"
        )


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """f's value at `primals` and its derivative along `tangents`: (f(x), J(x) · t).

    `primals` and `tangents` are sequences of numbers, one per argument of `f`. `f` returns a
    Value or a number, or a sequence of them; then the value and the tangent are lists, one entry
    per output. One forward pass, whatever the number of outputs. Floats at the top level;
    Values when nested in `grad` (or given Values), so both orders compose: `jvp` of `grad` is
    a Hessian-vector product, `grad` of a `jvp` differentiates the directional derivative.
    ValueError when the two sequences differ in length; TypeError for a non-number.
    """
    _check_pairs(f, primals, tangents)
    nested = _nested(tuple(primals)) or _nested(tuple(tangents))
    with _evaluating():
        inputs, outputs, single = _trace(f, primals, {}, range(len(primals)))
        seeds: dict[Value, Adjoint] = {}
        for i, (x, t) in enumerate(zip(inputs, tangents)):
            if not isinstance(t, Value):
                t = as_float(t, f"jvp({_name(f)}): tangent {i}")
            seeds[x] = t
        root = _root(outputs)
        found = _output_tangents(outputs, root, seeds, nested)
    return _finish(list(outputs), nested, single), _finish(found, nested, single)


def _output_tangents(
    outputs: Sequence[Adjoint],
    root: Value | None,
    seeds: Mapping[Value, Adjoint],
    create_graph: bool,
    record: Record | None = None,
) -> list[Adjoint]:
    """The tangent of each of `outputs` (0.0 for a number), in one pass over `root`'s graph."""
    if root is None:
        return [0.0] * len(outputs)
    found = tangent_pass(record if record is not None else read(root), seeds, create_graph)
    return [found.get(y, 0.0) if isinstance(y, Value) else 0.0 for y in outputs]


Mode = Literal["fwd", "rev"] | None


def jacobian(
    f: Callable[..., Any], argnums: int | tuple[int, ...] | None = None
) -> Callable[..., list[list[Any]]]:
    """The function computing f's Jacobian: a list of rows, one per output of `f`.

    `f` returns a Value or a number (one row), or a sequence of them (one row each); each row
    has one entry per argument, or per position in `argnums` (an int or a tuple of ints), in
    that order: row i, entry j is d output_i / d argument_j. It takes one reverse pass per
    output or one forward pass per input, whichever is fewer (`jacrev` and `jacfwd` choose).
    Floats at the top level, Values when nested in `grad` (so `jacobian(jacobian(f))` and
    `grad` of an entry work).
    """
    return _jacobian(f, argnums, None)


def jacfwd(
    f: Callable[..., Any], argnums: int | tuple[int, ...] | None = None
) -> Callable[..., list[list[Any]]]:
    """`jacobian` by forward mode: one forward pass per input, each giving a column."""
    return _jacobian(f, argnums, "fwd")


def jacrev(
    f: Callable[..., Any], argnums: int | tuple[int, ...] | None = None
) -> Callable[..., list[list[Any]]]:
    """`jacobian` by reverse mode: one reverse pass per output, each giving a row."""
    return _jacobian(f, argnums, "rev")


def _jacobian(
    f: Callable[..., Any], argnums: int | tuple[int, ...] | None, mode: Mode
) -> Callable[..., list[list[Any]]]:
    nums = None if argnums is None else _check_argnums(argnums)

    def jac(*args: Any, **kwargs: Any) -> list[list[Any]]:
        positions = list(range(len(args))) if nums is None else _positions(nums, len(args))
        nested = _nested(args)
        with _evaluating():
            inputs, outputs, _ = _trace(f, args, kwargs, positions)
            passes = len([y for y in outputs if isinstance(y, Value)])  # reverse passes needed
            if mode == "fwd" or (mode is None and len(inputs) < passes):
                root = _root(outputs)
                record = read(root) if root is not None else None
                columns = [
                    _output_tangents(outputs, root, {x: 1.0}, nested, record) for x in inputs
                ]
                rows = [[column[i] for column in columns] for i in range(len(outputs))]
            else:
                rows = []
                for y in outputs:
                    found = _adjoints(y, inputs, 1.0, nested) if isinstance(y, Value) else {}
                    rows.append([found.get(x, 0.0) for x in inputs])
        if nested:
            return rows
        return [[_number(entry) for entry in row] for row in rows]

    jac.__name__ = jac.__qualname__ = f"{_JACOBIANS[mode]}({_name(f)})"
    return jac


_JACOBIANS = {None: "jacobian", "fwd": "jacfwd", "rev": "jacrev"}


def vjp(f: Callable[..., Any], *xs: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """f's outputs at `xs`, and the function taking cotangents to their product with f's Jacobian.

    `vjp_fn(cotangents)` gives a tuple with one entry per argument: Σ_i cotangent_i ·
    d output_i / d argument_j. `cotangents` is one number when `f` returns one output, else a
    sequence with one per output; `vjp_fn` may be called any number of times (one reverse pass
    each, over the graph recorded once). ValueError when the cotangents do not match the outputs.
    """
    nested = _nested(xs)
    with _evaluating():
        inputs, outputs, single = _trace(f, xs, {}, range(len(xs)))

    def vjp_fn(cotangents: Any) -> tuple[Any, ...]:
        given = [cotangents] if single else cotangents
        if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
            raise TypeError(
                f"vjp({_name(f)}): the cotangents must be a sequence, one per output, "
                f"got {type(cotangents).__name__} {reprlib.repr(cotangents)}"
            )
        if len(given) != len(outputs):
            raise ValueError(
                f"vjp({_name(f)}): {len(given)} cotangent(s) for {len(outputs)} output(s)"
            )
        create_graph = nested or _nested(tuple(given))
        pairs = [(c, y) for c, y in zip(given, outputs) if isinstance(y, Value)]
        if not pairs:
            found: Mapping[Value, Adjoint] = {}
        else:
            with _evaluating():
                root = dot([c for c, _ in pairs], [y for _, y in pairs])
                found = _adjoints(root, inputs, 1.0, create_graph)
        grads = [found.get(x, 0.0) for x in inputs]
        return tuple(grads if create_graph else [_number(g) for g in grads])

    vjp_fn.__name__ = vjp_fn.__qualname__ = f"vjp({_name(f)})"
    return _finish(list(outputs), nested, single), vjp_fn


def hvp(f: Callable[..., Any]) -> Callable[[Sequence[Any], Sequence[Any]], list[Any]]:
    """The function `(xs, vs) -> H(xs) · vs`, H the Hessian of the scalar function `f`.

    `xs` are f's arguments and `vs` a direction, one number each; the result is a list with one
    entry per argument. Forward-over-reverse: one reverse pass that records the gradient as a
    graph, then one forward pass over it along `vs`; the Hessian itself is never formed, so
    the cost is a small multiple of one gradient's, whatever the number of arguments.
    """

    def product(xs: Sequence[Any], vs: Sequence[Any]) -> list[Any]:
        if not xs:
            return []
        _, result = jvp(grad(f, tuple(range(len(xs)))), xs, vs)
        return list(result)

    product.__name__ = product.__qualname__ = f"hvp({_name(f)})"
    return product
