"""The `autograd-lite` command line, run as a user would: in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import autograd_lite

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
    (["explain", "x*y", "--at", "x=1,y=2", "--wrt", "z"], "--wrt z is not a variable"),
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
        "  grad(mul₁) += grad(f) * df/dmul₁ = 1.00000000 * 1.00000000 = 1.00000000",
        "  grad(y) += grad(mul₁) * dmul₁/dy = 1.00000000 * 1.50000000 = 1.50000000",
    ]


def test_draw_local_labels_the_edges() -> None:
    """--local writes the local derivatives on the edges of the DOT text."""
    done = run("draw", "x - y", "--at", "x=2,y=3", "--local")
    assert 'v0 -> v2_op [label="∂ 1"' in done.stdout
    assert 'v1 -> v2_op [label="∂ -1"' in done.stdout
