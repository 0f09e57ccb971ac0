"""A local derivative as text: a rule's formula with the names of a node and its operands put in.

Each rule carries, per input, a template in the command line's formula language written over
its input names and `out` (the node itself): sigmoid's is `out*(1 - out)`, mul's toward x is
`y`. `fill` puts in the names a reader gives them (`s*(1 - s)`) or the numbers of constant
operands, folds what is then constant and drops factors of 1 and terms of 0, so `x ** 2` reads
`2*x`, not `2*x**(2 - 1)`. The text is printed as people write it: `+` and `-` spaced, `*`,
`/` and `**` tight, brackets only where the order of operations needs them.

Python's `ast` parses the templates; nothing is evaluated but the arithmetic of constants.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping, Sequence

OUT = "out"
"""The name a template gives the node whose local derivative it is."""

CONSTANTS = ("pi", "e")
"""Names a template may use besides its inputs and `out`, as the formula language has them."""

_TIGHT = {ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_SPACED = {ast.Add: " + ", ast.Sub: " - "}
_FOLD: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
# Binding strength, as Python's grammar has it: a sum, a product, a sign, a power, an atom.
_SUM, _PRODUCT, _SIGN, _POWER, _ATOM = range(1, 6)


def check(template: str, inputs: Sequence[str]) -> None:
    """ValueError unless `template` is a formula over `inputs`, `out`, `pi` and `e`, built of
    numbers, `+ - * / **`, signs and calls of functions by name."""
    try:
        tree = ast.parse(template, mode="eval").body
    except SyntaxError:
        raise ValueError(f"the formula {template!r} is not a formula") from None
    allowed = {*inputs, OUT, *CONSTANTS}
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            if node.id not in allowed:
                raise ValueError(
                    f"the formula {template!r} uses {node.id!r}; it may use "
                    f"{', '.join(sorted(allowed))}"
                )
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.keywords:
                raise ValueError(f"the formula {template!r} calls something not a function name")
            stack.extend(node.args)
        elif isinstance(node, ast.BinOp) and type(node.op) in _FOLD:
            stack += [node.left, node.right]
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            stack.append(node.operand)
        elif not (isinstance(node, ast.Constant) and type(node.value) in (int, float)):
            raise ValueError(f"the formula {template!r} has {ast.unparse(node)!r}, not allowed")


def fill(template: str, names: Mapping[str, str | float]) -> str:
    """`template` with each name in `names` replaced by its text (a name) or number, simplified."""
    tree = _put_in(ast.parse(template, mode="eval").body, names)
    return _text(tree)[0]


def _put_in(node: ast.expr, names: Mapping[str, str | float]) -> ast.expr:
    """The tree with names replaced and constants folded, bottom-up (iteratively, any depth)."""
    done: dict[int, ast.expr] = {}
    stack: list[tuple[ast.expr, bool]] = [(node, False)]
    while stack:
        current, ready = stack.pop()
        children = _children(current)
        if not ready and children:
            stack.append((current, True))
            stack.extend((child, False) for child in children)
            continue
        done[id(current)] = _simplified(current, [done[id(c)] for c in children], names)
    return done[id(node)]


def _children(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _number(value: float) -> ast.expr:
    """A number as a tree: a sign over a constant when negative, so it prints like `-x`."""
    if value < 0 or (value == 0 and math.copysign(1.0, value) < 0):
        return ast.UnaryOp(ast.USub(), ast.Constant(-value))
    return ast.Constant(value)


def _constant(node: ast.Constant) -> float:
    """The number of a constant (`check` let numbers alone through)."""
    assert isinstance(node.value, (int, float))
    return float(node.value)


def _value(node: ast.expr) -> float | None:
    """The number `node` is, when it is one."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _value(node.operand)
        return None if inner is None else -inner
    return None


def _simplified(
    node: ast.expr, parts: list[ast.expr], names: Mapping[str, str | float]
) -> ast.expr:
    """One node rebuilt over its simplified `parts`: names put in, constants folded, and
    x*1, 1*x, x/1, x**1, x + 0, 0 + x, x - 0 read x; 0*x and x*0 read 0; x**0 reads 1;
    -1*x reads -x and x + -y reads x - y."""
    if isinstance(node, ast.Name):
        given = names.get(node.id, node.id)
        return ast.Name(given) if isinstance(given, str) else _number(float(given))
    if isinstance(node, ast.Constant):
        return _number(_constant(node))
    if isinstance(node, ast.Call):
        return ast.Call(node.func, parts, [])
    if isinstance(node, ast.UnaryOp):
        (operand,) = parts
        inner = _value(operand)
        if isinstance(node.op, ast.UAdd):
            return operand
        return _number(-inner) if inner is not None else ast.UnaryOp(ast.USub(), operand)
    assert isinstance(node, ast.BinOp)
    left, right = parts
    a, b = _value(left), _value(right)
    kind = type(node.op)
    if a is not None and b is not None:
        try:
            folded = _FOLD[kind](a, b)
        except (ArithmeticError, ValueError):
            folded = None
        if isinstance(folded, float) and math.isfinite(folded):
            return _number(folded)
    if (kind is ast.Mult and b == 1) or (kind in (ast.Div, ast.Pow) and b == 1):
        return left
    if (kind is ast.Mult and a == 1) or (kind is ast.Add and a == 0):
        return right
    if kind in (ast.Add, ast.Sub) and b == 0:
        return left
    if kind is ast.Mult and (a == 0 or b == 0):
        return _number(0.0)
    if kind is ast.Pow and b == 0:
        return _number(1.0)
    if kind is ast.Mult and a == -1:
        return ast.UnaryOp(ast.USub(), right)
    if kind in (ast.Add, ast.Sub) and isinstance(right, ast.UnaryOp):  # x + -y reads x - y
        flipped = ast.Sub() if kind is ast.Add else ast.Add()
        return ast.BinOp(left, flipped, right.operand)
    return ast.BinOp(left, node.op, right)


def _shown(value: float) -> str:
    """A number as a person writes it: 2, not 2.0; 0.5; 1e-300."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


def _text(root: ast.expr) -> tuple[str, int]:
    """The text of a tree and how strongly it binds (iteratively, any depth)."""
    done: dict[int, tuple[str, int]] = {}
    stack: list[tuple[ast.expr, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        children = _children(node)
        if not ready and children:
            stack.append((node, True))
            stack.extend((child, False) for child in children)
            continue
        done[id(node)] = _printed(node, [done[id(c)] for c in children])
    return done[id(root)]


def _printed(node: ast.expr, parts: list[tuple[str, int]]) -> tuple[str, int]:
    def at_least(part: tuple[str, int], strength: int) -> str:
        return part[0] if part[1] >= strength else f"({part[0]})"

    if isinstance(node, ast.Name):
        return node.id, _ATOM
    if isinstance(node, ast.Constant):
        return _shown(_constant(node)), _ATOM
    if isinstance(node, ast.Call):
        assert isinstance(node.func, ast.Name)
        return f"{node.func.id}({', '.join(text for text, _ in parts)})", _ATOM
    if isinstance(node, ast.UnaryOp):
        return "-" + at_least(parts[0], _SIGN), _SIGN
    assert isinstance(node, ast.BinOp)
    left, right = parts
    kind = type(node.op)
    if kind is ast.Pow:  # right-associative; a sign binds looser on its left: (-x)**2, x**-2
        return f"{at_least(left, _ATOM)}**{at_least(right, _SIGN)}", _POWER
    if kind in _TIGHT:
        return f"{at_least(left, _PRODUCT)}{_TIGHT[kind]}{at_least(right, _SIGN)}", _PRODUCT
    return f"{at_least(left, _SUM)}{_SPACED[kind]}{at_least(right, _PRODUCT)}", _SUM
