"""explaining: the chain rule with numbers, checked on the tutorials' 2-2-2 network."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import autograd_lite as ag
from autograd_lite import Value, explain
from autograd_lite.record import read


def labelled(value: Value, label: str) -> Value:
    """`value`, labelled."""
    value.label = label
    return value


def network() -> dict[str, Value]:
    """The seeds' 2-2-2 sigmoid network from plain labelled Values (published numbers)."""
    v = {
        name: Value(x, name) for name, x in [("i1", 0.05), ("i2", 0.10), ("b1", 0.35), ("b2", 0.60)]
    }
    weights = [0.15, 0.20, 0.25, 0.30, 0.40, 0.45, 0.50, 0.55]
    v.update({f"w{k}": Value(x, f"w{k}") for k, x in enumerate(weights, 1)})
    for h, (wa, wb) in (("h1", ("w1", "w2")), ("h2", ("w3", "w4"))):
        v[f"net_{h}"] = net = labelled(v[wa] * v["i1"] + v[wb] * v["i2"] + v["b1"], f"net_{h}")
        v[f"out_{h}"] = labelled(ag.sigmoid(net), f"out_{h}")
    for o, (wa, wb) in (("o1", ("w5", "w6")), ("o2", ("w7", "w8"))):
        net = labelled(v[wa] * v["out_h1"] + v[wb] * v["out_h2"] + v["b2"], f"net_{o}")
        v[f"net_{o}"] = net
        v[f"out_{o}"] = labelled(ag.sigmoid(net), f"out_{o}")
    error = 0.5 * (0.01 - v["out_o1"]) ** 2 + 0.5 * (0.99 - v["out_o2"]) ** 2
    v["E"] = labelled(error, "E")
    return v


def total(text: str) -> float:
    """The number after the last '=' of an explanation."""
    return float(text.rsplit("=", 1)[1])


def test_w5_reproduces_the_tutorial_line() -> None:
    """explain(E, w5) is the tutorial's chain rule with its published numbers."""
    v = network()
    assert explain(v["E"], v["w5"]) == (
        "dE/dw5 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5"
        " = 0.74136507 * 0.18681560 * 0.59326999 = 0.08216704"
    )


def test_needs_no_backward_and_leaves_grads_alone() -> None:
    """explain works from the local derivatives: every grad is still 0 afterwards."""
    v = network()
    explain(v["E"], v["w1"])
    assert all(value.grad == 0.0 for value in v.values())


def test_two_paths_listed_and_summed() -> None:
    """w1 reaches E through out_o1 and out_o2: both paths, their sum, the total."""
    v = network()
    text = explain(v["E"], v["w1"])
    assert text.splitlines() == [
        "dE/dw1 sums 2 paths (all shown):",
        "  path 1: dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dout_h1 * dout_h1/dnet_h1 * dnet_h1/dw1"
        " = 0.74136507 * 0.18681560 * 0.40000000 * 0.24130071 * 0.05000000 = 0.00066840",
        "  path 2: dE/dout_o2 * dout_o2/dnet_o2 * dnet_o2/dout_h1 * dout_h1/dnet_h1 * dnet_h1/dw1"
        " = -0.21707153 * 0.17551005 * 0.50000000 * 0.24130071 * 0.05000000 = -0.00022983",
        "dE/dw1 = 0.00066840 - 0.00022983 = 0.00043857",
    ]


@pytest.mark.parametrize("name", ["w1", "w4", "w5", "w8", "b1", "b2", "i1", "out_h2", "net_o1"])
def test_total_equals_backward(name: str) -> None:
    """The total explain prints is the gradient backward computes."""
    v = network()
    text = explain(v["E"], v[name])
    v["E"].backward()
    assert total(text) == pytest.approx(v[name].grad, abs=1e-8)


def test_published_w1_gradient() -> None:
    """dE/dw1 matches the published update w1 = 0.15 - 0.5 * dE/dw1 = 0.149780716."""
    v = network()
    assert 0.15 - 0.5 * total(explain(v["E"], v["w1"])) == pytest.approx(0.149780716, abs=5e-9)


def test_unlabelled_nodes_are_named_when_nothing_between_is_labelled() -> None:
    """With only x and y labelled, x*x is called mul₁ and the chain rule is spelled out."""
    x = Value(3.0, "x")
    y = labelled(x * x + x, "y")
    assert explain(y, x).splitlines() == [
        "dy/dx sums 2 paths (all shown):",
        "  path 1: dy/dmul₁ * dmul₁/dx = 1.00000000 * 6.00000000 = 6.00000000",
        "  path 2: dy/dx = 1.00000000",
        "dy/dx = 6.00000000 + 1.00000000 = 7.00000000",
    ]


def test_readme_quickstart_gets_its_chain_rule_written_out() -> None:
    """z = tanh(x*y) + log(x**2 + 1): every factor named by its op, the total as backward's."""
    x, y = Value(1.5, "x"), Value(-2.0, "y")
    z = labelled(ag.tanh(x * y) + ag.log(x**2 + 1), "z")
    assert explain(z, y) == (
        "dz/dy = dz/dtanh₁ * dtanh₁/dmul₁ * dmul₁/dy"
        " = 1.00000000 * 0.00986604 * 1.50000000 = 0.01479906"
    )
    assert "dlog₁/dadd₁ * dadd₁/dpow₁ * dpow₁/dx" in explain(z, x)


def test_labelled_intermediates_still_fold_the_unlabelled_ones() -> None:
    """One labelled Value on the way keeps the folding: x*x + x is one factor of y toward h."""
    x = Value(3.0, "x")
    h = labelled(x * x + x, "h")
    y = labelled(2.0 * h, "y")
    assert explain(y, x) == "dy/dx = dy/dh * dh/dx = 2.00000000 * 7.00000000 = 14.00000000"


def test_steps_write_out_the_backward_pass_edge_by_edge() -> None:
    """steps=True adds grad(parent) += grad(node) * local for every edge, ending at backward's."""
    x = Value(3.0, "x")
    y = labelled(x * x + x, "y")
    lines = explain(y, x, steps=True).splitlines()
    assert lines[4:] == [
        "backward pass, edge by edge, from grad(y) = 1:",
        "  grad(mul₁) += grad(y) * dy/dmul₁ = 1.00000000 * 1.00000000 = 1.00000000"
        "   (dy/dmul₁ = 1)",
        "  grad(x) += grad(y) * dy/dx = 1.00000000 * 1.00000000 = 1.00000000   (dy/dx = 1)",
        "  grad(x) += grad(mul₁) * dmul₁/dx = 1.00000000 * 3.00000000 = 3.00000000,"
        " so grad(x) = 4.00000000   (dmul₁/dx = x)",
        "  grad(x) += grad(mul₁) * dmul₁/dx = 1.00000000 * 3.00000000 = 3.00000000,"
        " so grad(x) = 7.00000000   (dmul₁/dx = x)",
    ]


def test_each_step_ends_with_its_local_derivative_s_formula() -> None:
    """The update line names where its local number comes from, in the text's own names:
    the rule's formula with the node and its operands put in (x ** 2 reads 2*x)."""
    x = Value(3.0, "x")
    p = labelled(x**2, "p")
    s = labelled(ag.sigmoid(p), "s")
    lines = explain(s, x, steps=True).splitlines()
    assert lines[-2:] == [
        "  grad(p) += grad(s) * ds/dp = 1.00000000 * 0.00012338 = 0.00012338   (ds/dp = s*(1 - s))",
        "  grad(x) += grad(p) * dp/dx = 0.00012338 * 6.00000000 = 0.00074028   (dp/dx = 2*x)",
    ]
    q = labelled(x**2, "q")
    assert explain(q, x, steps=True).splitlines()[-1] == (
        "  grad(x) += grad(q) * dq/dx = 1.00000000 * 6.00000000 = 6.00000000   (dq/dx = 2*x)"
    )


def test_steps_on_the_network_end_at_the_gradient_backward_gives() -> None:
    """The last update of the w1 pass gives grad(w1) = dE/dw1; grads stay untouched."""
    v = network()
    text = explain(v["E"], v["w1"], steps=True)
    assert all(value.grad == 0.0 for value in v.values())
    last = text.splitlines()[-1]
    assert last.startswith("  grad(w1) += grad(mul")
    v["E"].backward()
    numbers, formula = last.split("   (")
    assert formula.endswith(" = i1)")  # d(w1 * i1)/dw1, in the network's names
    assert float(numbers.rsplit("= ", 1)[1]) == pytest.approx(v["w1"].grad, abs=1e-8)


def test_node_names_skip_names_labels_already_have() -> None:
    """An unlabelled product is mul₂ when a label is already mul₁; the unlabelled root is f."""
    x = labelled(Value(2.0) * 3.0, "mul₁")
    square = x * x
    y = square + 1.0
    assert (
        ag.explain(y, x)
        == "df/dmul₁ = df/dmul₂ * dmul₂/dmul₁ = 1.00000000 * 12.00000000 = 12.00000000"
    )
    names = read(y).names
    assert (names[square], names[y]) == ("mul₂", "f")


def test_unlabelled_ends_get_fallback_names() -> None:
    """An unlabelled output is f and an unlabelled input v."""
    x = Value(2.0)
    assert explain(x * 5.0, x) == "df/dv = 5.00000000"


def test_not_in_the_graph_is_zero_with_a_reason() -> None:
    """A Value the output does not depend on gets 0 and a sentence why."""
    v = network()
    assert explain(v["out_o1"], v["w7"]) == (
        "dout_o1/dw7 = 0: out_o1 does not depend on w7 (not in its graph)"
    )


def test_a_value_by_itself_is_one() -> None:
    """d(E)/d(E) is 1."""
    v = network()
    assert explain(v["E"], v["E"]).startswith("dE/dE = 1")


def test_exponentially_many_paths_stay_linear_and_show_the_largest(
    graph_reads: Counter[str],
) -> None:
    """2**200 labelled paths: counted exactly, the largest few shown, the rest summed."""
    x = Value(1.0, "x")
    v = x
    for k in range(200):
        a = labelled(v * 1.001, f"a{k}")
        b = labelled(v * 0.999, f"b{k}")
        v = labelled(a + b, f"v{k}")
    graph_reads.clear()
    text = explain(v, x, max_paths=3)
    assert sum(graph_reads.values()) <= 15 * (3 * 200 + 1)  # 9.3 per Value when written
    lines = text.splitlines()
    assert lines[0] == f"dv199/dx sums {2**200} paths (the 3 largest shown):"
    assert lines[1].endswith(f"= {1.001**200:.8f}")  # the all-a path is the largest
    assert lines[4].startswith(f"  ... and {2**200 - 3} more paths contributing ")
    assert len(lines) == 6
    v.backward()
    assert total(text) == pytest.approx(x.grad, rel=1e-8)  # printed to 8 decimals


def test_paths_are_ordered_by_magnitude() -> None:
    """Shown paths come largest |product| first, negative ones included."""
    x = Value(1.0, "x")
    a, b, c = labelled(x * -5.0, "a"), labelled(x * 2.0, "b"), labelled(x * 3.0, "c")
    y = labelled(a + b + c, "y")
    lines = explain(y, x).splitlines()
    assert [line.rsplit("= ", 1)[1] for line in lines[1:4]] == [
        "-5.00000000",
        "3.00000000",
        "2.00000000",
    ]
    assert lines[4] == "dy/dx = -5.00000000 + 3.00000000 + 2.00000000 = 0.00000000"


def test_needs_values() -> None:
    """Numbers instead of Values are a TypeError naming the type."""
    with pytest.raises(TypeError, match="explain needs Values, got float for output"):
        explain(1.0, Value(1.0))  # type: ignore[arg-type]


def test_a_long_unlabelled_chain_folds_into_one_factor() -> None:
    """Past 16 unlabelled steps the chain is not spelled out: one number, and a line saying why."""
    x = Value(0.5, "x")
    short, long = x, x
    for _ in range(16):
        short = short * 1.5
    for _ in range(17):
        long = long * 1.5
    assert explain(short, x).startswith("df/dx = df/dmul₁₅ * dmul₁₅/dmul₁₄ * ")
    assert explain(long, x) == (
        f"df/dx = {1.5**17:.8f}\n(the chain from x has 17 steps, more than the 16 spelled out: "
        "label Values on the way to see it in parts)"
    )


def test_the_name_explain_is_the_function_alone() -> None:
    """`autograd_lite.explain` is the function; its module has a name of its own."""
    import importlib.util

    from autograd_lite import explaining

    assert ag.explain is explaining.explain
    assert callable(ag.explain)
    assert importlib.util.find_spec("autograd_lite.explain") is None


def test_a_long_labelled_path_costs_work_linear_in_its_length(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """20,000 labelled steps: the search keeps each path as a trail of constant-size links, so
    the items it stores per step stay bounded (copying the path per step made it quadratic)."""
    from autograd_lite import explaining

    stored: list[int] = []
    push = explaining.heapq.heappush

    def counting(heap: list[Any], entry: tuple[Any, ...]) -> None:
        stored.append(len(entry[-1]) if entry[-1] is not None else 0)
        push(heap, entry)

    monkeypatch.setattr(explaining.heapq, "heappush", counting)
    x = Value(0.5, "x")
    y = x
    for k in range(20_000):
        y = labelled(y * 1.0 + 0.0, f"s{k}")
    text = explain(y, x)
    assert len(stored) == 20_000
    assert max(stored) == 2  # a (step, rest) link, not the path so far
    assert text.startswith("ds19999/dx = ds19999/ds19998 * ds19998/ds19997 * ")
    assert text.count("1.00000000") == 20_000 + 1  # each factor, and the product
