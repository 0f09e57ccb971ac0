"""compiling.tracing: never silently wrong; decisions on data guarded, outside Values re-read."""

from __future__ import annotations

import math
import threading
import traceback

import pytest

import autograd_lite as ag
from autograd_lite import Value, compile, no_grad


def _eager(f, *xs: float) -> tuple[float, tuple[float, ...]]:
    """What running f directly gives: its value and gradients."""
    inputs = [Value(x) for x in xs]
    out = f(*inputs)
    return out.data, tuple(ag.gradients(out, inputs))


def test_a_branch_on_data_is_traced_again() -> None:
    """The issue's example: `if x.data > 0` guards the number, the other side is traced anew."""
    g = compile(lambda x: x * x if x.data > 0 else -x * 3)
    assert g(1.0) == (1.0, (2.0,))
    assert g(-1.0) == (3.0, (-3.0,))
    assert g(2.0) == (4.0, (4.0,))


def test_a_comparison_of_values_guards_its_outcome_only() -> None:
    """`x > 0` on a Value is one guard: two traces serve every point."""
    g = compile(lambda x: x * x if x > 0 else -x * 3)
    for x in (1.0, -1.0, 2.0, -5.0, 0.0, 3.5, math.nan):
        got, want = g(x), _eager(lambda v: v * v if v > 0 else -v * 3, x)
        assert got[1] == want[1]
        assert got[0] == want[0] or (math.isnan(got[0]) and math.isnan(want[0]))
    assert len(g.traces) == 2
    assert "if (a0 > 0.0) != True: return None" in g.source


@pytest.mark.parametrize(
    "f",
    [
        lambda x, y: x * y if x < y else x - y,
        lambda x, y: x * y if x <= y else x - y,
        lambda x, y: x * y if 0.5 >= x else x - y,  # noqa: SIM300  # reflected: x <= 0.5
        lambda x, y: x * y if bool(x - 1) else x - y,
        lambda x, y: x * math.exp(x) + y,  # float(x) through __float__
        lambda x, y: x * round(y) + y,
        lambda x, y: x * float(f"{y:.0f}") + y,
        lambda x, y: ag.relu(x) * (y if abs(y.data) < 1 else 2 * y),
    ],
)
def test_every_number_protocol_decision_is_guarded(f) -> None:
    """Comparisons, bool, float, round, format and .data all guard: results equal f's."""
    g = compile(f)
    for x, y in [(0.0, 1.0), (2.0, 1.0), (1.0, 1.0), (0.5, -0.4), (3.0, 2.6), (-1.0, 0.7)]:
        (value, grads), (want, want_grads) = g(x, y), _eager(f, x, y)
        assert (value, *grads) == pytest.approx((want, *want_grads), rel=1e-12, abs=1e-15)


def test_the_guard_runs_before_what_the_other_branch_cannot_compute() -> None:
    """A trace through log(x) for x > 0 does not evaluate log(-1) before its guard."""
    g = compile(lambda x: x.log() if x > 0 else -x)
    assert g(1.0) == (0.0, (1.0,))
    assert g(-1.0) == (1.0, (-1.0,))


def test_a_value_from_outside_is_read_on_every_call() -> None:
    """The issue's closure: `w.data = 5.0` is seen by the next call."""
    w = Value(2.0, label="w")
    g = compile(lambda x: x * w)
    assert g(3.0) == (6.0, (2.0,))
    w.data = 5.0
    assert g(3.0) == (15.0, (5.0,))
    assert len(g.traces) == 1


def test_outside_results_are_read_and_inside_ones_recomputed() -> None:
    """`h` made outside is read as it is (stale or not), `w * 2` inside f follows `w`."""
    w = Value(1.0)
    h = w * 10  # made before the trace: f reads its .data, as running f does
    f = lambda x: x * h + x * (w * 2)  # noqa: E731
    g = compile(f)
    assert g(1.0) == _eager(f, 1.0) == (12.0, (12.0,))
    w.data = 3.0  # h keeps 10.0 until recomputed, w * 2 is now 6.0
    assert g(1.0) == _eager(f, 1.0) == (16.0, (16.0,))


def test_reading_data_of_an_outside_value_guards_it() -> None:
    """`x * w.data` bakes the number in: the guard sees w change and traces again."""
    w = Value(2.0)
    g = compile(lambda x: x * w.data)
    assert g(3.0) == (6.0, (2.0,))
    w.data = 4.0
    assert g(3.0) == (12.0, (4.0,))


def test_past_the_trace_limit_calls_run_f_directly() -> None:
    """A function that decides on every new number warns once, and stays right."""
    f = lambda x: x * x.data  # noqa: E731
    g = compile(f)
    results = [g(float(x)) for x in range(1, 9)]
    with pytest.warns(RuntimeWarning, match="took 8 paths"):
        results.append(g(9.0))
    results += [g(float(x)) for x in range(10, 12)]
    assert results == [_eager(f, float(x)) for x in range(1, 12)]
    assert len(g.traces) == ag.compiling.TRACE_LIMIT


def test_assigning_data_inside_f_is_refused() -> None:
    """Compiled code cannot replay an assignment to .data: raised at the assigning line."""

    def f(x):
        x.data = 2.0
        return x * 3

    with pytest.raises(TypeError, match=r"assigns .data of Value\(data=1") as caught:
        compile(f)(1.0)
    lines = [frame.line for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert "x.data = 2.0" in lines


def test_values_made_inside_f_are_not_assignments() -> None:
    """Value(3.0) and the engine's nodes write a new Value's slot: no assignment refused."""
    g = compile(lambda x: x * Value(3.0) + ag.sum([x, 1.0]))
    assert g(2.0) == (9.0, (4.0,))


def test_computing_inside_no_grad_is_refused() -> None:
    """A result made under no_grad is a number the trace cannot follow."""

    def f(x):
        with no_grad():
            y = x * 2
        return x * y

    with pytest.raises(TypeError, match="inside no_grad"):
        compile(f)(1.0)


def test_value_is_untouched_after_tracing() -> None:
    """The watching methods are Value's own again once no trace runs."""
    plain = {name: Value.__dict__[name] for name in ("data", "__gt__", "__bool__", "__float__")}
    compile(lambda x: x * 2 if x > 0 else x)(1.0)
    assert {name: Value.__dict__[name] for name in plain} == plain
    assert type(Value.__dict__["data"]).__name__ == "member_descriptor"


def test_other_threads_record_nothing_while_one_traces() -> None:
    """Decisions taken in another thread during a trace do not become its guards."""
    started, release = threading.Event(), threading.Event()
    outside = Value(1.0)
    seen: list[bool] = []

    def f(x):
        started.set()
        release.wait(5)
        return x * 2

    g = compile(f)
    worker = threading.Thread(target=g, args=(1.0,))
    worker.start()
    started.wait(5)
    seen.append(outside > 0)  # while the trace runs in the worker
    release.set()
    worker.join()
    assert seen == [True]
    assert g.traces[0].program.guards == []


@pytest.mark.parametrize(
    "op",
    [
        lambda x, y: x * y + ag.sin(x),
        lambda x, y: ag.maximum(x, y) * x,
        lambda x, y: ag.hypot(x, y),
        lambda x, y: x**y,
        lambda x, y: ag.clamp(x, -1.0, y) + ag.abs(x - y),
    ],
    ids=["mul-sin", "maximum", "hypot", "pow", "clamp-abs"],
)
def test_a_derivative_inside_f_traces_once(op) -> None:
    """gradients(create_graph=True) inside f: the rules' branches are comparisons, guarded
    by their outcome, so ten points on one side of every kink share one trace."""

    def f(x, y):
        gx, gy = ag.gradients(op(x, y), [x, y], create_graph=True)
        return gx * gx + gy

    g = compile(f)
    for k in range(10):
        point = (1.5 + 0.1 * k, 0.7 + 0.05 * k)
        (value, grads), (want, want_grads) = g(*point), _eager(f, *point)
        assert (value, *grads) == pytest.approx((want, *want_grads), rel=1e-12)
    assert len(g.traces) == 1


def test_a_derivative_inside_f_is_traced_again_across_a_kink() -> None:
    """maximum's slope changes side at x = y: the guard sees it and the other side is right."""

    def f(x, y):
        (gx,) = ag.gradients(ag.maximum(x, y) * x, [x], create_graph=True)
        return gx

    g = compile(f)
    for point in [(2.0, 1.0), (1.0, 2.0), (1.5, 1.5), (3.0, 0.0)]:
        assert g(*point) == _eager(f, *point)
    assert len(g.traces) == 3
