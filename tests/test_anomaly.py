"""Tests for autograd_lite.anomaly: where a nan or an infinity began, and detect_anomaly."""

from __future__ import annotations

import math
import threading

import pytest

import autograd_lite as ag
from autograd_lite import Value, anomaly, detect_anomaly, find_nonfinite
from autograd_lite.anomaly import describe


def _loss() -> tuple[Value, Value, Value]:
    """sqrt(x * x) * w + 1 at x = 0: sqrt's slope is infinite there (finite operands)."""
    x, w = Value(0.0, "x"), Value(2.0, "w")
    loss = ag.sqrt(x * x) * w + 1.0
    loss.label = "loss"
    return x, w, loss


SQRT_MESSAGE = (
    "sqrt₁ = sqrt(mul₁) has local derivative inf toward mul₁ from finite operands "
    "(mul₁ = 0.0); path to the output: sqrt₁ → mul₂ → loss"
)


def test_find_nonfinite_returns_the_first_culprit() -> None:
    """The sqrt node, whose local derivative is inf although its operand 0.0 is finite."""
    x, _, loss = _loss()
    culprit = find_nonfinite(loss)
    assert culprit is not None
    assert (culprit.op, culprit.data, culprit.parents[0].parents) == ("sqrt", 0.0, (x, x))


def test_find_nonfinite_skips_what_only_passes_a_nan_on() -> None:
    """exp(710) = inf is the culprit; inf - inf = nan after it only passes it on; a clean
    graph has none; non-finite leaves are inputs, not culprits."""
    x = Value(710.0, "x")
    y = ag.exp(x) - ag.exp(x)
    assert math.isnan(y.data)
    culprit = find_nonfinite(y)
    assert culprit is not None
    assert culprit.op == "exp"
    assert find_nonfinite(ag.tanh(x) * 2.0) is None
    assert find_nonfinite(Value(math.inf) * 2.0) is None
    with pytest.raises(TypeError, match="find_nonfinite needs a Value, got float"):
        find_nonfinite(1.0)  # type: ignore[arg-type]


def test_describe_names_the_op_the_operands_and_the_path() -> None:
    """One sentence with explain's names (what the command line prints)."""
    assert describe(_loss()[2]) == SQRT_MESSAGE
    assert describe(Value(1.0) * 2.0) is None


def test_describe_finds_an_overflow_of_the_reverse_pass() -> None:
    """Values and local derivatives finite, but an adjoint times a local derivative is not."""
    a = Value(1e-200, "a")
    b = a * 1e200
    b.label = "b"
    c = b * 1e200
    assert math.isfinite(c.data)
    assert describe(c) == (
        "in the reverse pass, the adjoint of b, 1e+200, times its local derivative toward a, "
        "1e+200, is inf; path to the output: b → f"
    )


def test_detect_anomaly_raises_in_backward_for_a_graph_made_before() -> None:
    """The graph was recorded outside the block: backward() inside it checks it first, and
    leaves every .grad as it was."""
    x, w, loss = _loss()
    with detect_anomaly(), pytest.raises(FloatingPointError) as caught:
        loss.backward()
    assert str(caught.value) == f"detect_anomaly: {SQRT_MESSAGE}"
    assert (x.grad, w.grad) == (0.0, 0.0)


def test_detect_anomaly_raises_as_the_op_is_recorded() -> None:
    """Inside the block the culprit raises at once, naming its operands."""
    w = Value(2.0, "w")
    with detect_anomaly(), pytest.raises(FloatingPointError) as caught:
        ag.exp(w * 400.0)
    assert str(caught.value) == (
        "detect_anomaly: exp(mul₁) has value inf from finite operands (mul₁ = 800.0), "
        "as it was recorded (nothing uses it yet)"
    )


def test_detect_anomaly_checks_every_kind_of_node_and_grad() -> None:
    """Operators, functions, sum, dot, n-ary rules and the Value pass inside grad are checked."""
    big, zero = Value(1e200), Value(0.0)
    root = ag.sqrt(zero)  # recorded outside: the Value pass below makes 0.5 / root = inf
    culprits = [
        lambda: big * big,
        lambda: ag.sum([big * 1e108, big * 1e108]),
        lambda: ag.dot([big, big], [big, 1.0]),
        lambda: ag.atan2(zero, zero),  # no derivative at the origin: nan
        lambda: ag.grad(lambda x: ag.sqrt(x))(0.0),
        lambda: ag.gradients(root, [zero], create_graph=True),
    ]
    for make in culprits:
        with detect_anomaly(), pytest.raises(FloatingPointError, match="from finite operands"):
            make()


def test_detect_anomaly_raises_at_an_overflow_in_backward() -> None:
    """A seed times a local derivative overflowing is found in backward(), before it runs."""
    a = Value(1e-200, "a")
    b = a * 1e200
    with detect_anomaly(), pytest.raises(FloatingPointError, match="in the reverse pass"):
        b.backward(1e200)
    assert a.grad == 0.0


def test_clean_work_passes_unchanged_inside_the_block() -> None:
    """Finite graphs compute the same numbers inside the block; no_grad still records nothing
    there; a flat branch's zero stopping an infinite slope is no anomaly (nothing non-finite
    reaches a gradient) once the slope itself is not recorded."""
    outside = ag.value_and_grad(lambda x, y: ag.tanh(x * y) + ag.relu(y), (0, 1))(0.3, -1.2)
    with detect_anomaly():
        inside = ag.value_and_grad(lambda x, y: ag.tanh(x * y) + ag.relu(y), (0, 1))(0.3, -1.2)
        with ag.no_grad():
            assert Value(0.0).sqrt().parents == ()
        x = Value(0.5)
        (ag.relu(x) * 3.0).backward()
    assert inside == outside
    assert x.grad == 3.0


def test_outside_the_block_nothing_is_checked(monkeypatch) -> None:
    """No node is shown to a watcher outside the block (the builders' test is the one they
    made for no_grad); inside, every node is."""
    seen: list[str] = []
    original = anomaly._Watcher.made

    def counting(self, node):
        seen.append(node.op)
        return original(self, node)

    monkeypatch.setattr(anomaly._Watcher, "made", counting)
    x = Value(0.5)
    ag.sqrt(ag.exp(x) * 2.0 + 1.0).backward()
    assert seen == []
    with detect_anomaly():
        ag.sqrt(ag.exp(x) * 2.0 + 1.0).backward()
    assert seen == ["exp", "*", "+", "sqrt"]


def test_detect_anomaly_is_per_thread() -> None:
    """Another thread's operations are not checked while one thread is inside the block."""
    results: list[float] = []

    def other() -> None:
        results.append((Value(1e200) * 1e200).data)

    with detect_anomaly():
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert results == [math.inf]
