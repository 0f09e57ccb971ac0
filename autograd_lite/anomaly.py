"""Where a nan or an infinity began: `detect_anomaly()`, `find_nonfinite(root)`, `describe`.

By the numeric policy a nan goes through every rule and an infinite slope is an answer, so a
non-finite result says nothing about where it came from. The culprit is the first operation
whose value or local derivative is nan or infinite although its operands are all finite:
`exp(710)`, `sqrt'(0)`, `log(x)` at a point that underflowed to 0 first. Everything after it
only passes the nan or infinity on.

`find_nonfinite(root)` reads a finished graph for that node. Inside `with detect_anomaly():`
each operation is checked as it is recorded and each `backward()` before it runs, and the
first culprit raises FloatingPointError naming the op, its operands' values and the path from
it to the output, with the names `explain` gives. Outside the block nothing is checked: the
builders of `value.py` test for a watcher where they already test for `no_grad()`.
(PyTorch's `torch.autograd.detect_anomaly` and JAX's `debug_nans` do this for their engines.)
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import NamedTuple

from autograd_lite.record import Record, read
from autograd_lite.value import Value, edges, operands, watching

__all__ = ["describe", "detect_anomaly", "find_nonfinite"]

_INFIX = {"+", "-", "*", "/", "**"}


class _Culprit(NamedTuple):
    """Node `order[at]` of a record, and what is not finite about it."""

    at: int
    what: str  # "value" or "local derivative"
    number: float
    toward: int  # the operand position of a local derivative; -1 for the value


def _finite_operands(operands: tuple[Value | float, ...]) -> bool:
    return all(math.isfinite(o.data if isinstance(o, Value) else o) for o in operands)


def _first_culprit(record: Record) -> _Culprit | None:
    """The first node, in topological order, with finite operands and a non-finite value or
    local derivative."""
    for i, (node, rule) in enumerate(zip(record.order, record.rules)):
        if rule is None or not _finite_operands(record.operands[i]):
            continue
        if not math.isfinite(node.data):
            return _Culprit(i, "value", node.data, -1)
        parents = record.parents[i]
        for parent, local in zip(parents, record.locals[i]):
            if not math.isfinite(local):
                toward = [o is parent for o in record.operands[i]].index(True)
                return _Culprit(i, "local derivative", local, toward)
    return None


def find_nonfinite(root: Value) -> Value | None:
    """The first Value of `root`'s graph whose value or local derivative is nan or infinite
    although its operands are finite: where a non-finite number began. None when there is none.

    Parents come before the nodes made from them (topological order), so of several
    culprits the one found is one that no other depends on through its operands.
    """
    if not isinstance(root, Value):
        raise TypeError(f"find_nonfinite needs a Value, got {type(root).__name__}")
    record = read(root)
    culprit = _first_culprit(record)
    return None if culprit is None else record.order[culprit.at]


def describe(root: Value) -> str | None:
    """One sentence saying where `root`'s non-finite value or gradient began, or None.

    The op and its operands' values, then the path from it to `root`, with the names `explain`
    gives: what a command line prints when a result is not finite. A culprit among the values
    and local derivatives comes first; else the first step of the reverse pass whose product
    overflows.
    """
    record = read(root)
    culprit = _first_culprit(record)
    if culprit is not None:
        return _sentence(record, culprit)
    return _overflow(record, 1.0)


def _sentence(record: Record, culprit: _Culprit) -> str:
    """'sqrt₁ = sqrt(mul₁) has local derivative inf toward mul₁ from finite operands ...'."""
    path = " → ".join(_path(record, culprit.at))
    return f"{_what(record, culprit)}; path to the output: {path}"


def _what(record: Record, culprit: _Culprit, named: bool = True) -> str:
    """The culprit (`named`: with its own name first), its non-finite number and its
    operands' values."""
    i = culprit.at
    names = record.names
    operands = record.operands[i]
    texts = [names[o] if isinstance(o, Value) else repr(o) for o in operands]
    parents = dict.fromkeys(o for o in operands if isinstance(o, Value))
    shown = ", ".join(f"{names[o]} = {o.data!r}" for o in parents)
    toward = f" toward {texts[culprit.toward]}" if culprit.toward >= 0 else ""
    name = f"{names[record.order[i]]} = " if named else ""
    return (
        f"{name}{formula(record, i)} has {culprit.what} "
        f"{culprit.number!r}{toward} from finite operands ({shown or 'constants only'})"
    )


def formula(record: Record, i: int) -> str:
    """Node i of `record` as its op applied to its operands' names: `mul₁ * x`, `sqrt(mul₁)`."""
    names = record.names
    texts = [names[o] if isinstance(o, Value) else repr(o) for o in record.operands[i]]
    rule = record.rules[i]
    return names[record.order[i]] if rule is None else _formula(rule.name, texts)


def _formula(op: str, texts: list[str]) -> str:
    """The op applied to its operands' names: `mul₁ * x`, `-x`, `sqrt(mul₁)`."""
    if op in _INFIX and len(texts) == 2:
        return f"{texts[0]} {op} {texts[1]}"
    if op == "neg":
        return f"-{texts[0]}"
    return f"{op}({', '.join(texts)})"


def _path(record: Record, i: int) -> list[str]:
    """The names from node `i` to the root, each the first later node that uses the one before."""
    order, parents, names = record.order, record.parents, record.names
    path = [order[i]]
    for j in range(i + 1, len(order)):
        if path[-1] in parents[j]:
            path.append(order[j])
    return [names[node] for node in path]


def _overflow(record: Record, seed: float) -> str | None:
    """The first step of the reverse pass (seeded with `seed`) where a finite adjoint times a
    finite local derivative is not finite, as a sentence; None when there is none."""
    order, parents, locals_, names = record.order, record.parents, record.locals, record.names
    adjoints = dict.fromkeys(order, 0.0)
    adjoints[record.root] = seed
    for i in range(len(order) - 1, -1, -1):
        g = adjoints[order[i]]
        for parent, local in zip(parents[i], locals_[i]):
            share = g * local
            if not math.isfinite(share) and math.isfinite(g) and math.isfinite(local):
                return (
                    f"in the reverse pass, the adjoint of {names[order[i]]}, {g!r}, times its "
                    f"local derivative toward {names[parent]}, {local!r}, is {share!r}; "
                    f"path to the output: {' → '.join(_path(record, i))}"
                )
            adjoints[parent] += share
    return None


class _Watcher:
    """What `detect_anomaly()` installs: it checks each new node and each reverse pass."""

    def made(self, node: Value) -> Value:
        inputs = operands(node)
        if not _finite_operands(inputs):
            return node
        if math.isfinite(node.data) and all(math.isfinite(d) for _, d in edges(node)):
            return node
        record = read(node)  # only now: for the names
        culprit = _first_culprit(record)
        assert culprit is not None
        raise FloatingPointError(
            f"detect_anomaly: {_what(record, culprit, named=False)}, as it was recorded "
            "(nothing uses it yet)"
        )

    def backward(self, root: Value, seed: float) -> None:
        record = read(root)
        culprit = _first_culprit(record)
        if culprit is not None:
            raise FloatingPointError(f"detect_anomaly: {_sentence(record, culprit)}")
        if math.isfinite(seed):
            overflow = _overflow(record, seed)
            if overflow is not None:
                raise FloatingPointError(f"detect_anomaly: {overflow}")


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Within this block, the first operation whose value or local derivative is nan or infinite
    from finite operands raises FloatingPointError: as it is recorded, or, for a graph recorded
    before, when `backward()` is called (which also stops at a product that overflows).

    The message names the op (`sqrt₁ = sqrt(mul₁)`), its operands' values and the path from it
    to the output, with `explain`'s names. Checking costs a walk per operation: use it to find
    a fault, not to train. Per thread and per asyncio task, like `no_grad()`.
    """
    with watching(_Watcher()):
        yield
