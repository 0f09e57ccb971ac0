"""Formulas typed by a user (`"x*y + sin(x)"`), parsed safely into something that computes.

Python's `ast` does the parsing; a whitelist then admits only numbers, names, `+ - * / **`,
unary `-`/`+`, calls of the engine's functions and the constants `pi` and `e`. Nothing is ever
passed to `eval` or `exec`. A checked tree becomes a short postfix program that runs on plain
numbers or on Values, so one parsed formula serves `grad`, `hessian`, `gradcheck` and drawing.

A walrus names a sub-expression, `(h := x*y) + sin(h)`: the node gets the label `h`, so
graphs and `explain` show it, and later uses of `h` reuse that very node.

Nesting is limited to MAX_DEPTH levels: brackets, calls, signs and right operands each nest
(`-(-x)`, `exp(exp(x))`, `x**x**x` = `x**(x**x)`), while a left-to-right chain such as
`a + b - c + d` stays at one level, so long sums are fine up to the length limit.

Names are compared as Python compares identifiers, after NFKC folding: `µ` (micro sign) is
`μ` (Greek mu) and `𝑥` is `x`. Python's own warnings about the text (`1if`, an invalid escape)
are errors here, so a formula gets one message, never a warning first.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
import sys
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, TypeAlias

from autograd_lite import rules
from autograd_lite.rule import Rule
from autograd_lite.value import Operand, Value

MAX_LENGTH = 10_000
MAX_DEPTH = 100

FUNCTIONS: Mapping[str, Rule] = rules.FUNCTIONS  # the table's functions, read live from it
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
BINARY: dict[type[ast.operator], Rule] = {
    ast.Add: rules.add,
    ast.Sub: rules.sub,
    ast.Mult: rules.mul,
    ast.Div: rules.div,
    ast.Pow: rules.pow_rule,
}

# One step of the postfix program: ("number", float), ("input", index), ("load", name),
# ("store", name) to name the top of the stack, or ("apply", rule) to the top operands.
Step: TypeAlias = tuple[str, Any]


class ExpressionError(ValueError):
    """A formula that is not allowed or not well formed; the message says what and where."""


class Expression:
    """A checked formula over named variables, callable with one number or Value per variable.

    `variables` lists the free names in order of first appearance; `expr(*xs)` evaluates
    with `xs` in that order, returning a float for numbers and a Value when any x is a Value.
    """

    def __init__(self, source: str, variables: tuple[str, ...], program: list[Step]) -> None:
        self.source = source
        self.variables = variables
        self._program = program

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def __call__(self, *xs: Operand) -> Value | float:
        if len(xs) != len(self.variables):
            raise TypeError(
                f"{self.source!r} takes {len(self.variables)} argument(s) "
                f"({', '.join(self.variables)}), got {len(xs)}"
            )
        stack: list[Operand] = []
        named: dict[str, Operand] = {}
        for kind, arg in self._program:
            if kind == "number":
                stack.append(arg)
            elif kind == "input":
                stack.append(xs[arg])
            elif kind == "load":
                stack.append(named[arg])
            elif kind == "store":
                top = stack[-1]
                if isinstance(top, Value) and not top.label:
                    top.label = arg
                named[arg] = top
            else:
                operands = stack[-arg.arity :]
                del stack[-arg.arity :]
                stack.append(arg(*operands))
        return stack[0]


def parse(source: str) -> Expression:
    """Check `source` against the whitelist and compile it; ExpressionError when not allowed."""
    if not isinstance(source, str):
        raise TypeError(f"an expression must be a str, got {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(
            f"expression is {len(source):,} characters long; the limit is {MAX_LENGTH:,}"
        )
    where = _Source(source)
    if not where.text:
        raise ExpressionError("expression is empty")
    # Python's own parser recurses on brackets and gives up past 200: count them first.
    depth = _bracket_depth(where.text)
    if depth > MAX_DEPTH:
        raise ExpressionError(
            f"expression is nested {depth} brackets deep; the limit is {MAX_DEPTH}"
        )
    try:
        tree = _parse_tree(where.text)
    except SyntaxError as error:
        raise ExpressionError(
            f"syntax error at {where.syntax_error_position(error)}: {error.msg}"
        ) from None
    except (RecursionError, MemoryError):  # how Python's parser gives up on a very deep tree
        raise ExpressionError(
            f"expression is too deep to parse: the limit is {MAX_DEPTH} levels of nesting"
        ) from None
    except ValueError as error:  # e.g. a null byte
        raise ExpressionError(f"expression cannot be parsed: {error}") from None
    return _compile(tree.body, where)


_PARSING = threading.Lock()


def _parse_tree(text: str) -> ast.Expression:
    """`text` parsed by Python, its warnings raised as SyntaxError, long chains allowed.

    Python builds the tree by recursion, one level per operator of a chain, within a depth
    that follows the recursion limit; the limit is raised for the parse so that a chain as
    long as MAX_LENGTH allows (`x+x+...`) fits.
    """
    with _PARSING, warnings.catch_warnings():  # both are process-wide: one parse at a time
        warnings.simplefilter("error")
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, MAX_LENGTH))
        try:
            return ast.parse(text, mode="eval")
        finally:
            sys.setrecursionlimit(limit)


def fold(name: str) -> str:
    """`name` as Python compares identifiers (NFKC): what `--at µ=3` must match `µ*2` by."""
    return unicodedata.normalize("NFKC", name)


def suggest(name: str, known: Iterable[str]) -> str:
    """ " (did you mean log?)" for the names in `known` closest to `name`, or ""."""
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.4)
    same_initial = [candidate for candidate in close if candidate[0] == name[0]]
    close = same_initial or close  # ln is closer to log than to sin, as people read names
    return f" (did you mean {' or '.join(close)}?)" if close else ""


class _Source:
    """The formula as parsed (stripped) and its indent: what error messages point into."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.text = source.strip()
        self.indent = len(source) - len(source.lstrip())
        # Lines as Python's tokenizer counts them (str.splitlines also splits at \f, \v, ...).
        self.lines = re.split("\r\n|\r|\n", self.text)

    def syntax_error_position(self, error: SyntaxError) -> str:
        """Where a syntax error is, as a column of the original source (or a line and column)."""
        if not error.offset:  # the input ended too early
            return f"column {len(self.text) + self.indent + 1} (the end)"
        if error.lineno and error.lineno > 1:
            return f"line {error.lineno}, column {error.offset}"
        return f"column {error.offset + self.indent}"

    def error(self, message: str, node: ast.expr) -> ExpressionError:
        """An ExpressionError saying `message` at the node's column (1-based, in the original)."""
        return self.error_at(message, node.lineno, node.col_offset)

    def error_at(self, message: str, lineno: int, col_offset: int) -> ExpressionError:
        """An ExpressionError saying `message` at a position as ast gives it (UTF-8 bytes)."""
        # ast counts columns in UTF-8 bytes; people count characters (`αβ + x.real`: x is 6th).
        line = self.lines[lineno - 1].encode("utf-8")
        column = len(line[:col_offset].decode("utf-8", errors="replace")) + 1
        if lineno == 1:
            return ExpressionError(f"{message} (at column {column + self.indent})")
        return ExpressionError(f"{message} (at line {lineno}, column {column})")

    def operator_error(self, message: str, node: ast.BinOp) -> ExpressionError:
        """An ExpressionError at the operator of `node`: the first non-blank after its left operand
        that is not a closing bracket."""
        lineno = node.left.end_lineno or node.lineno
        offset = node.left.end_col_offset or 0
        while lineno <= len(self.lines):
            line = self.lines[lineno - 1].encode("utf-8")
            while offset < len(line) and line[offset : offset + 1] in b" \t)]}\\":
                offset += 1
            if offset < len(line):
                return self.error_at(message, lineno, offset)
            lineno, offset = lineno + 1, 0
        return self.error(message, node)

    def quote(self, node: ast.expr) -> str:
        """The node's source text on one line, shortened past 60 characters.

        Sliced from the text rather than rebuilt with `ast.unparse`, which recurses and would
        fail on a long chain of operators.
        """
        text = " ".join((ast.get_source_segment(self.text, node) or "").split())
        return text if len(text) <= 60 else text[:57] + "..."


def _bracket_depth(text: str) -> int:
    """How deeply brackets nest in `text` (without parsing it)."""
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest


def _compile(body: ast.expr, where: _Source) -> Expression:
    """Turn a checked tree into a postfix program, in Python's left-to-right evaluation order."""
    variables: dict[str, int] = {}  # name -> position among the arguments
    named: set[str] = set()
    program: list[Step] = []
    for node in _postorder(body, where):
        if isinstance(node, ast.Constant):
            program.append(("number", _literal_float(node, where)))
        elif isinstance(node, ast.Name):
            if node.id in named:
                program.append(("load", node.id))
            elif node.id in CONSTANTS:
                program.append(("number", CONSTANTS[node.id]))
            elif node.id in FUNCTIONS:
                raise where.error(f"{node.id} is a function: call it, as in {node.id}(x)", node)
            else:
                program.append(("input", variables.setdefault(node.id, len(variables))))
        elif isinstance(node, ast.NamedExpr):
            name = node.target.id
            if name in FUNCTIONS or name in CONSTANTS:
                raise where.error(f"cannot assign to {name}, it is a built-in name", node)
            if name in variables or name in named:
                raise where.error(f"{name} already has a meaning here; := cannot rebind it", node)
            named.add(name)
            program.append(("store", name))
        elif isinstance(node, ast.BinOp):
            program.append(("apply", BINARY[type(node.op)]))
        elif isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                program.append(("apply", rules.neg))
        elif isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)  # checked by _call_arguments
            rule = FUNCTIONS[node.func.id]
            left_out = len(node.args) - rule.arity if rule.arity is not None else 0
            program.extend(("number", d) for d in rule.defaults[len(rule.defaults) + left_out :])
            program.append(("apply", rule))
    return Expression(where.source, tuple(variables), program)


def _postorder(body: ast.expr, where: _Source) -> Iterator[ast.expr]:
    """The nodes under `body`, children first and left to right, each checked on the way in.

    Iterative, so a long chain of operators (a deep tree) needs no recursion. Each node's
    nesting depth is checked too: one more than its parent's, except for the left operand of
    a binary operator, which continues its operator's chain (`a + b - c` is not nesting).
    """
    stack: list[tuple[ast.expr, int, bool]] = [(body, 0, False)]
    while stack:
        node, depth, children_done = stack.pop()
        if children_done:
            yield node
            continue
        if depth > MAX_DEPTH:
            raise where.error(f"expression is nested deeper than the limit of {MAX_DEPTH}", node)
        stack.append((node, depth, True))
        for child in reversed(_children(node, where)):
            chained = isinstance(node, ast.BinOp) and child is node.left
            stack.append((child, depth if chained else depth + 1, False))


def _children(node: ast.expr, where: _Source) -> list[ast.expr]:
    """The operands of an allowed node; ExpressionError naming anything else."""
    if isinstance(node, (ast.Constant, ast.Name)):
        return []
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.BitXor):
            raise where.operator_error("^ is not a power here: use ** for powers, as in x**2", node)
        if type(node.op) not in BINARY:
            raise where.operator_error(f"operator {_op_symbol(node.op)} is not supported", node)
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise where.error(f"operator {_op_symbol(node.op)} is not supported", node)
        return [node.operand]
    if isinstance(node, ast.NamedExpr):
        return [node.value]
    if isinstance(node, ast.Call):
        return _call_arguments(node, where)
    if isinstance(node, ast.Attribute):
        raise where.error(f"attributes are not allowed: {where.quote(node)}", node)
    raise where.error(f"{_describe(node)} is not allowed", node)


def _call_arguments(node: ast.Call, where: _Source) -> list[ast.expr]:
    """The arguments of a call to a known function (trailing ones with defaults may be left out)."""
    if not isinstance(node.func, ast.Name):
        called = where.quote(node.func)
        raise where.error(
            f"only the functions {', '.join(FUNCTIONS)} can be called, not {called}", node
        )
    name = node.func.id
    if name not in FUNCTIONS:
        raise where.error(
            f"unknown function {name}{suggest(name, FUNCTIONS)}; "
            f"the functions are {', '.join(FUNCTIONS)}",
            node,
        )
    rule = FUNCTIONS[name]
    most = rule.arity or 0
    fewest = most - len(rule.defaults)
    if (
        node.keywords
        or not fewest <= len(node.args) <= most
        or any(isinstance(arg, ast.Starred) for arg in node.args)
    ):
        takes = {1: "exactly one argument"}.get(most, f"{most} arguments")
        if fewest != most:
            takes = f"{fewest} to {most} arguments"
        raise where.error(f"{name} takes {takes}", node)
    return list(node.args)


def _literal_float(node: ast.Constant, where: _Source) -> float:
    """A number literal as a float; ExpressionError for any other literal or a non-finite one."""
    value = node.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise where.error(f"{value!r} is not a real number", node)
    try:
        number = float(value)
    except OverflowError:  # an int literal beyond the float range
        number = math.inf
    if not math.isfinite(number):
        raise where.error("number is too large for a float", node)
    return number


def _op_symbol(op: ast.AST) -> str:
    """The source text of an operator node, for messages."""
    symbols = {
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.MatMult: "@",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.BitXor: "^",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.Invert: "~",
        ast.Not: "not",
    }
    return symbols.get(type(op), type(op).__name__)


def _describe(node: ast.expr) -> str:
    """A short human name for a disallowed kind of syntax."""
    kinds = {
        ast.Compare: "a comparison",
        ast.BoolOp: "and/or",
        ast.Subscript: "indexing",
        ast.Lambda: "lambda",
        ast.IfExp: "if/else",
        ast.JoinedStr: "an f-string",
    }
    for kind, text in kinds.items():
        if isinstance(node, kind):
            return text
    return f"{type(node).__name__} syntax"
