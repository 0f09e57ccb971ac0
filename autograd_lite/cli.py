"""The `autograd-lite` command line: derivatives, graphs and chain-rule derivations of a formula.

Formulas go through `autograd_lite.expr` (a whitelist over Python's `ast`, never `eval`).
Bad input of any kind prints one line to stderr and exits with status 2, never a traceback;
the user's text in a message has its control characters escaped, so it stays on that line.
Every number the commands take or print is finite, one policy for all of them: `--at x=inf` is
refused, and so is a point where the formula's value or a first derivative (or, for
`grad --order 2`, a second one) comes out inf or nan; the refusal says where in the graph the
nan or infinity began (`anomaly.describe`). A file to write is checked before any work: its
folder must exist and be writable.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import textwrap
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import NoReturn

from autograd_lite import __version__
from autograd_lite.anomaly import describe
from autograd_lite.exercises import LEVELS, exercise
from autograd_lite.explaining import explain
from autograd_lite.expr import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, Expression, fold, parse
from autograd_lite.functional import hessian
from autograd_lite.gradcheck import GradcheckError, ProbeOutsideDomain, gradcheck
from autograd_lite.graph import RENDER_TIMEOUT, RendererError, draw_graph, save_graph
from autograd_lite.value import Value, as_value
from autograd_lite.worksheet import check_format, save_worksheet

PROG = "autograd-lite"
COMMANDS = "autograd_lite.commands"
"""The entry-point group through which a package built on the engine adds commands.

Each entry point names a function that takes the subcommands (what argparse's
`add_subparsers()` returns) and adds its own, with `run` as a default: a function of the parsed
arguments that returns the exit status and raises ValueError for bad input (one line, exit 2).
`nn` adds `demo` this way, so the engine imports nothing that sits above it.
"""
MAX_SECOND_ORDER = 1000
"""The most variables `--order 2` takes: the Hessian has a row per variable, each a pass."""
EXAMPLES = f"""\
examples:
  autograd-lite grad "x*y + sin(x)" --at x=1.5,y=-2
  autograd-lite grad "exp(-x**2) * y" --at x=0.3,y=2 --order 2
  autograd-lite draw "tanh(w*x + b)" --at w=-3,x=2,b=6.88 -o graph.svg
  autograd-lite draw "x*y + sin(x)" --at x=1.5,y=-2 -o page.html   (step through backprop)
  autograd-lite explain "(h := w*x + b) + sigmoid(h)" --at w=0.4,x=0.6,b=0.6 --wrt w
  autograd-lite explain "x*y + sin(x)" --at x=1.5,y=-2 --wrt x --steps
  autograd-lite check "log(1 + exp(x)) / sqrt(y)" --at x=0.5,y=2
  autograd-lite practice "x*y + sin(x)" --at x=1.5,y=-2 -o practice.html
  autograd-lite practice --seed 7 --level 3 -o practice.html   (work each step out)
  autograd-lite worksheet "tanh(w*x + b)" --at w=-3,x=2,b=6.88 -o sheet.html --answers key.html
  autograd-lite worksheet --seed 7 --level 2 -o sheet.pdf   (an exercise made from a seed)
  autograd-lite demo              (lists the demos)

EXPR is a Python-style formula: numbers, variables, + - * / **, the constants
pi and e, (name := ...) to label a sub-expression, and the functions
{{functions}}
Quote it for the shell. One that starts with '-' works as it is ("-x**2"); one
that looks like an option of the command ("-h", or "-o" for draw) goes after
the options and a '--': grad --at h=1 -- "-h".

Numbers: every command refuses (exit 2) a point where the value of EXPR or a
derivative by one of its variables is inf or nan; they print finite numbers only.

Limits: EXPR up to {MAX_LENGTH:,} characters and {MAX_DEPTH} levels of nesting;
--order 2 up to {MAX_SECOND_ORDER:,} variables; drawing stops after {RENDER_TIMEOUT:g} s (then
lower --max-nodes, or write .dot).
"""


def _examples() -> str:
    """The help's epilog, listing the functions of the rules table (as they are now)."""
    names = textwrap.fill(
        " ".join(FUNCTIONS), width=78, initial_indent="  ", subsequent_indent="  "
    )
    return EXAMPLES.format(functions=names)


class CommandError(Exception):
    """Input the command line cannot use; the message says what was wrong."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (with a pointer to --help), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see {PROG} --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on `argv` (default: sys.argv[1:]) and return the exit status."""
    parser = _parser()
    args, unknown = parser.parse_known_args(argv)
    # argparse takes a formula starting with '-' ("-x**2") for an unknown option: it is EXPR.
    if getattr(args, "expr", "") is None and len(unknown) == 1 and unknown[0].startswith("-"):
        args.expr = unknown.pop()
    if unknown:
        (args.parser if hasattr(args, "parser") else parser).error(
            f"unrecognized arguments: {' '.join(unknown)}"
        )
    if getattr(args, "expr", "") is None and getattr(args, "seed", None) is None:
        seed = " (or --seed N)" if hasattr(args, "seed") else ""  # practice and worksheet
        args.parser.error(f"the following arguments are required: EXPR{seed}")
    try:
        status: int = args.run(args)
    except (CommandError, ValueError, ArithmeticError) as error:
        print(f"{PROG}: error: {_one_line(str(error))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped early (`| head`): nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (RendererError, OSError) as error:
        print(f"{PROG}: error: {_one_line(str(error))}", file=sys.stderr)
        return 1
    return status


def _parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Derivatives, graphs and chain-rule derivations of a formula.",
        epilog=_examples(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grad = _formula_command(commands, "grad", "print the value and every partial derivative")
    grad.add_argument(
        "--order", type=int, choices=(1, 2), default=1, help="2 adds the second derivatives"
    )
    grad.set_defaults(run=_grad)

    draw = _formula_command(commands, "draw", "draw the computation graph (after backward)")
    draw.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="image file: .svg, .png, .pdf, .dot, or .html for the interactive page"
        " (default: print DOT to stdout)",
    )
    draw.add_argument(
        "--local", action="store_true", help="label every edge with its local derivative"
    )
    draw.add_argument(
        "--rankdir",
        choices=("LR", "RL", "TB", "BT"),
        help="left to right (LR, pictures' default) or top to bottom (TB); a page opens in the"
        " one that suits the graph and the window unless given",
    )
    draw.add_argument(
        "--lr",
        type=float,
        metavar="RATE",
        help="a page's update mode: each variable w <- w - RATE*grad (needs -o FILE.html)",
    )
    draw.add_argument("--max-nodes", type=int, default=500, metavar="N")
    draw.set_defaults(run=_draw)

    explain_ = _formula_command(commands, "explain", "write out the chain rule with numbers")
    explain_.add_argument(
        "--wrt",
        action="append",
        metavar="NAME",
        help="the variable to differentiate by (repeatable; default: every variable)",
    )
    explain_.add_argument("--max-paths", type=int, default=8, metavar="N")
    explain_.add_argument(
        "--steps", action="store_true", help="also print the backward pass edge by edge"
    )
    explain_.set_defaults(run=_explain)

    check = _formula_command(commands, "check", "compare gradients with finite differences")
    check.add_argument(
        "--order", type=int, choices=(1, 2), default=1, help="2 also checks the hessian"
    )
    check.set_defaults(run=_check)

    practice = _formula_command(
        commands, "practice", "write a page that asks each number of the passes and checks it"
    )
    practice.add_argument(
        "-o", "--output", metavar="FILE", default="practice.html", help="(practice.html)"
    )
    _exercise_options(practice)
    practice.set_defaults(run=_practice)

    worksheet = _formula_command(
        commands, "worksheet", "write the backward pass with blanks to fill in, and its key"
    )
    worksheet.add_argument(
        "-o", "--output", metavar="FILE", required=True, help="the sheet: .html, .svg, .pdf, .dot"
    )
    worksheet.add_argument(
        "--answers", metavar="FILE", help="also write the answer key (same formats)"
    )
    _exercise_options(worksheet)
    worksheet.set_defaults(run=_worksheet)

    for command in sorted(entry_points(group=COMMANDS), key=lambda entry: entry.name):
        try:
            add = command.load()
        except (ImportError, AttributeError) as error:  # a broken package costs its command only
            print(f"{PROG}: warning: no command {command.name!r}: {error!r}", file=sys.stderr)
            continue
        add(commands)
    return parser


def _formula_command(
    commands: argparse._SubParsersAction[_Parser], name: str, summary: str
) -> _Parser:
    """A subcommand taking EXPR and --at."""
    command = commands.add_parser(name, help=summary, description=summary)
    command.add_argument("expr", nargs="?", metavar="EXPR", help="the formula, e.g. 'x*y + sin(x)'")
    command.add_argument(
        "--at",
        action="append",
        default=[],
        metavar="NAME=NUMBER,...",
        help="the point, e.g. x=1.5,y=-2 (repeatable)",
    )
    command.set_defaults(parser=command)
    return command


def _exercise_options(command: _Parser) -> None:
    """--seed and --level: an exercise made from a seed instead of EXPR and --at."""
    levels = "; ".join(f"{level}: {text}" for level, text in LEVELS.items())
    command.add_argument(
        "--seed", type=int, metavar="N", help="make an exercise from seed N instead of EXPR"
    )
    command.add_argument(
        "--level", type=int, choices=tuple(LEVELS), default=1, help=f"of the exercise ({levels})"
    )


# ---------------------------------------------------------------- the commands


def _grad(args: argparse.Namespace) -> int:
    expr, point = _formula(args)
    inputs, output = _differentiate(expr, point)
    lines = [("f", output.data), *((f"df/d{x.label}", x.grad) for x in inputs)]
    if args.order == 2:
        names = expr.variables
        matrix = hessian(expr)(*(point[name] for name in names))
        for i, first in enumerate(names):
            for j in range(i, len(names)):
                by = f"d{first}2" if i == j else f"d{first}d{names[j]}"
                lines.append((f"d2f/{by}", matrix[i][j]))
    for name, number in lines:
        _finite(name, number, point, output)
    for name, number in lines:
        print(f"{name} = {_ten_digits(number)}")
    return 0


def _draw(args: argparse.Namespace) -> int:
    expr, point = _formula(args)
    inputs, output = _differentiate(expr, point)
    page = args.output is not None and args.output.lower().endswith(".html")
    if args.lr is not None and not page:
        raise CommandError(f"--lr {args.lr:g} is for the interactive page: add -o FILE.html")
    if args.output is not None:
        writable(args.output)
    if args.output is None:
        drawing = draw_graph(output, args.rankdir or "LR", args.max_nodes, show_local=args.local)
        print(drawing.source, end="")
    else:
        update = {"lr": args.lr, "params": inputs} if args.lr is not None else {}
        path = save_graph(
            output,
            args.output,
            rankdir=args.rankdir,
            max_nodes=args.max_nodes,
            show_local=args.local,
            **update,
        )
        print(f"wrote {_one_line(str(path))}")
    return 0


def _explain(args: argparse.Namespace) -> int:
    expr, point = _formula(args)
    inputs, output = _differentiate(expr, point)
    by_name = {x.label: x for x in inputs}
    wrt = [fold(name) for name in args.wrt or []]
    for name in wrt:
        if name not in by_name:
            raise CommandError(
                f"--wrt {name!r} is not a variable of the expression (it has {', '.join(by_name)})"
            )
    wanted = wrt or list(by_name)
    texts = (explain(output, by_name[name], args.max_paths, steps=args.steps) for name in wanted)
    print("\n\n".join(texts))
    return 0


def _check(args: argparse.Namespace) -> int:
    expr, point = _formula(args)
    _differentiate(expr, point)  # an error at the point itself is the formula's, not the check's
    try:
        gradcheck(expr, [point[name] for name in expr.variables], order=args.order)
    except ProbeOutsideDomain as error:
        moved = expr.variables[error.input]
        raise CommandError(
            f"cannot check {_one_line(args.expr)} at {_show(point)}: the finite-difference probe "
            f"{moved}={error.probe!r} is outside the domain ({error.reason}); move {moved} "
            f"at least {error.eps!r} inside it"
        ) from None
    except GradcheckError as error:
        inputs = ", ".join(f"input {i} is {name}" for i, name in enumerate(expr.variables))
        print(f"gradcheck failed for {_one_line(args.expr)} ({inputs}):\n{error}")
        return 1
    checked = "first and second derivatives" if args.order == 2 else "derivatives"
    print(
        f"gradcheck passed: the {checked} of {_one_line(args.expr)} agree with finite differences"
    )
    return 0


def _practice(args: argparse.Namespace) -> int:
    if not str(args.output).lower().endswith(".html"):
        raise CommandError(f"the practice page is HTML: -o needs a .html file, got {args.output}")
    writable(args.output)
    _, output = _exercise_or_formula(args)
    print(f"wrote {save_graph(output, args.output, practice=True)}")
    return 0


def _worksheet(args: argparse.Namespace) -> int:
    for path in filter(None, (args.output, args.answers)):
        check_format(path)  # before anything is written
        writable(path)
    title, output = _exercise_or_formula(args)
    paths = [save_worksheet(output, args.output, title=title)]
    if args.answers:
        paths.append(save_worksheet(output, args.answers, answers=True, title=title))
    print(f"wrote {' and '.join(map(str, paths))}")
    return 0


# ---------------------------------------------------------------- helpers


def writable(path: str | os.PathLike[str], *, make_folders: bool = False) -> Path:
    """`path` as a Path once it is clear a file can be written there, else CommandError (exit 2).

    Checked before any work, so a bad path costs nothing and leaves nothing behind: `path` is
    not a folder, and its folder exists and is writable. With `make_folders` (for a writer that
    makes the missing folders) the nearest folder that exists must be writable instead.
    """
    target = Path(path)
    name = repr(str(target))
    if target.is_dir():
        raise CommandError(f"cannot write {name}: it is a folder; give a file name in it")
    folder = target.parent
    while make_folders and not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.exists():
        raise CommandError(f"cannot write {name}: the folder {str(folder)!r} does not exist")
    if not folder.is_dir():
        raise CommandError(f"cannot write {name}: {str(folder)!r} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CommandError(f"cannot write {name}: the folder {str(folder)!r} is not writable")
    return target


def _exercise_or_formula(args: argparse.Namespace) -> tuple[str, Value]:
    """The formula and its point as one line of text, and its output Value with its graph:
    from EXPR and --at, or from the exercise of --seed and --level (said on stdout)."""
    if args.seed is None:
        expr, point = _formula(args)
        _, output = _differentiate(expr, point)
        return f"{args.expr} at {_show(point)}", output
    if args.expr is not None or args.at:
        raise CommandError("give EXPR and --at, or --seed and --level, not both")
    made = exercise(args.seed, args.level)
    print(f"exercise {args.seed} of level {args.level}: {made.expr} at {made.at()}")
    _, output = _finite_results(*made.build(), made.point)
    return f"{made.expr} at {made.at()}", output


def _formula(args: argparse.Namespace) -> tuple[Expression, dict[str, float]]:
    """The parsed EXPR and the point from --at, checked against each other."""
    expr = parse(args.expr)
    point = _point(args.at)
    if getattr(args, "order", 1) == 2 and len(expr.variables) > MAX_SECOND_ORDER:
        raise CommandError(
            f"--order 2 takes at most {MAX_SECOND_ORDER:,} variables (the Hessian has a row per "
            f"variable); the formula has {len(expr.variables):,}"
        )
    missing = [name for name in expr.variables if name not in point]
    if missing:
        example = ",".join(f"{name}=1.0" for name in missing)
        raise CommandError(f"no value for {', '.join(missing)}: add e.g. --at {example}")
    unused = [name for name in point if name not in expr.variables]
    if unused:
        uses = ", ".join(expr.variables) if expr.variables else "no variables"
        raise CommandError(
            f"--at sets {', '.join(unused)}, which the expression does not use (it has {uses})"
        )
    return expr, point


def _point(items: list[str]) -> dict[str, float]:
    """`["x=1.5,y=-2"]` (or one item per variable) as {"x": 1.5, "y": -2.0}."""
    point: dict[str, float] = {}
    for item in (part for text in items for part in text.split(",")):
        name, equals, number = (piece.strip() for piece in item.partition("="))
        name = fold(name)  # as Python reads the formula's names: `µ` is `μ`
        if not equals or not name.isidentifier():
            raise CommandError(f"--at takes NAME=NUMBER pairs separated by commas, got {item!r}")
        if name in point:
            raise CommandError(f"--at sets {name} twice")
        try:
            value = float(number)
        except ValueError:
            raise CommandError(f"--at {name}={number!r} is not a number") from None
        if not math.isfinite(value):
            raise CommandError(f"--at {name}={number} is not a finite number")
        point[name] = value
    return point


def _differentiate(expr: Expression, point: dict[str, float]) -> tuple[list[Value], Value]:
    """The variables as labelled leaves and the formula computed on them, checked by
    `_finite_results`."""
    inputs = [Value(point[name], label=name) for name in expr.variables]
    return _finite_results(inputs, as_value(expr(*inputs)), point)


def _finite_results(
    inputs: list[Value], output: Value, point: dict[str, float]
) -> tuple[list[Value], Value]:
    """`inputs` and `output` (labelled f if new) after the reverse pass; CommandError if the
    value or a first derivative is not finite. The policy of every command, in one place."""
    if not output.label:
        output.label = "f"
    _finite("f", output.data, point, output)
    output.backward()
    for x in inputs:
        _finite(f"df/d{x.label}", x.grad, point, output)
    return inputs, output


_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))} | {
    0x09: "\\t",
    0x0A: "\\n",
    0x0D: "\\r",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def _one_line(text: str) -> str:
    """`text` with its control characters and line breaks escaped (a newline as `\\n`), so the
    user's text inside a message keeps the message on one line."""
    return text.translate(_CONTROLS)


def _finite(name: str, number: float, point: dict[str, float], root: Value) -> None:
    """CommandError unless `number` is finite: the commands print real numbers only. The
    message adds where in `root`'s graph the nan or infinity began, when a node shows it."""
    if not math.isfinite(number):
        began = describe(root)
        where = f": it began where {began}" if began else ""
        raise CommandError(f"{name} is {number} at {_show(point)}, not a finite number{where}")


def _show(point: dict[str, float], most: int = 4) -> str:
    """The point as the user typed it with --at, `x=1.5,y=-2`, its first `most` entries only."""
    shown = ",".join(f"{name}={_ten_digits(number)}" for name, number in list(point.items())[:most])
    return shown + (f",... ({len(point)} variables)" if len(point) > most else "")


def _ten_digits(x: float) -> str:
    """`x` printed with 10 significant digits, as the commands show results."""
    return f"{x:.10g}"
