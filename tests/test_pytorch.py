"""autograd_lite.pytorch: every rule has a PyTorch form that computes its value and derivatives.

These tests need the torch extra (`make test` installs it); without it they skip, saying so,
except those that check what happens without it.
"""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys

import pytest

import autograd_lite as ag
from autograd_lite.pytorch import EXTRA_HINT, import_torch, torch_forms
from autograd_lite.rules import BUILTINS, RULES

needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None,
    reason="needs PyTorch, the torch extra: pip install -e '.[torch]' (make test installs it)",
)

# Points inside every domain, away from kinks; each rule takes the first that fits its arity.
POINTS = {
    1: [(0.6,), (1.6,)],
    2: [(0.6, 1.3), (1.6, -0.4), (-0.6, 0.2)],
    3: [(0.6, 0.0, 1.0), (1.0, 0.6, -0.4), (-1.5, -1.0, 2.0), (0.0, 0.6, -0.4)],
}
SPREAD = [(0.6, -1.1, 2.0, 0.3, 1.4, -0.2)]  # sum and dot: any number of inputs


def _points(name: str) -> list[tuple[float, ...]]:
    """The points at which rule `name` is compared (those where it is defined).

    A rule is called with its inputs spread out, `sum` and `dot` too (`dot(w0, w1, x0, x1)`).
    """
    rule = RULES[name]
    candidates = SPREAD if rule.arity is None else POINTS[rule.arity]
    fits = []
    for point in candidates:
        try:
            rule(*point)
        except (ValueError, ZeroDivisionError):
            continue
        fits.append(point)
    return fits


@needs_torch
def test_every_rule_has_a_torch_form() -> None:
    """The map from rules to PyTorch covers the whole table, nothing else."""
    import torch

    assert set(torch_forms(torch)) == set(BUILTINS)


@needs_torch
@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_each_form_gives_the_rule_s_value_and_gradient(name: str) -> None:
    """At points inside its domain: the value and the gradient toward every input to 1e-12."""
    import torch

    points = _points(name)
    assert points, f"no point inside the domain of {name}"
    rule = RULES[name]
    for point in points:
        value, grads = ag.value_and_grad(rule, argnums=tuple(range(len(point))))(*point)
        tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in point]
        out = torch_forms(torch)[name](*tensors)
        theirs = _gradients(torch, out, tensors)
        assert math.isclose(out.item(), value, rel_tol=1e-12, abs_tol=1e-12), (point, value)
        for ours, g in zip(grads, theirs):
            number = 0.0 if g is None else g.item()
            assert math.isclose(number, ours, rel_tol=1e-12, abs_tol=1e-12), (point, ours, number)


def _gradients(torch, out, tensors) -> list:
    """d out / d each tensor; None where out does not depend on it (a detached out: all)."""
    if not out.requires_grad:
        return [None] * len(tensors)
    return list(torch.autograd.grad(out, tensors, allow_unused=True))


def test_without_torch_the_error_says_to_install_the_extra() -> None:
    """With torch hidden, import_torch raises ImportError naming the caller and the extra."""
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from autograd_lite.pytorch import import_torch\n"
        "try:\n"
        "    import_torch('to_torch')\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"to_torch needs PyTorch, the torch extra: {EXTRA_HINT}"
    assert "pip install -e '.[torch]'" in EXTRA_HINT


@needs_torch
def test_import_torch_gives_the_module() -> None:
    """With the extra installed it is torch itself, the pinned CPU release."""
    torch = import_torch("a test")
    assert torch.__version__.split("+")[0] == "2.13.0"


def _entries(t) -> list[float]:
    return t.detach().flatten().tolist()


@needs_torch
@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_to_torch_of_each_rule_is_the_engine_entry_by_entry(name: str) -> None:
    """Each rule through to_torch on a batch of its points: value and gradient to 1e-12."""
    import torch

    rule = RULES[name]
    points = _points(name)
    columns = list(zip(*points))
    tensors = [torch.tensor(c, dtype=torch.float64, requires_grad=True) for c in columns]
    out = ag.to_torch(lambda *xs: rule(*xs))(*tensors)
    grads = _gradients(torch, out.sum(), tensors)
    for k, point in enumerate(points):
        value, ours = ag.value_and_grad(rule, argnums=tuple(range(len(point))))(*point)
        assert math.isclose(_entries(out)[k], value, rel_tol=1e-12, abs_tol=1e-12)
        theirs = [0.0 if g is None else _entries(g)[k] for g in grads]
        for a, b in zip(ours, theirs):
            assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12), (point, ours, theirs)


def _f(x, y):
    """A function of two numbers with a kink, a closed-form branch and a sum node."""
    return ag.sum([(x * y).tanh(), ag.maximum(x, 0.5) ** 2, ag.where(y, ag.log1p(x * x), y)])


@needs_torch
@pytest.mark.parametrize(
    ("xs", "ys"),
    [
        ([0.3], [0.7]),  # one entry each
        ([[0.3, -1.2, 2.0], [0.5, 0.0, -0.4]], [0.7]),  # a (2, 3) batch and a broadcast number
        ([1.5, -0.25, 0.9, 3.0], [-0.6, 1.1, 0.0, 0.2]),
    ],
)
def test_to_torch_gives_the_engine_value_and_gradient_on_any_shape(xs, ys) -> None:
    """Entry by entry equal to the engine's value and gradient (1e-12), shape broadcast."""
    import torch

    x = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(ys, dtype=torch.float64, requires_grad=True)
    out = ag.to_torch(_f)(x, y)
    gx, gy = torch.autograd.grad(out.sum(), [x, y])
    assert out.shape == torch.broadcast_shapes(x.shape, y.shape)
    flat_x, flat_y = torch.broadcast_tensors(x, y)
    per_y: dict[int, float] = {}
    for k, (a, b) in enumerate(zip(_entries(flat_x), _entries(flat_y))):
        value, (dx, dy) = ag.value_and_grad(_f, argnums=(0, 1))(a, b)
        assert math.isclose(_entries(out)[k], value, rel_tol=1e-12, abs_tol=1e-12)
        assert math.isclose(_entries(gx.expand(out.shape))[k], dx, rel_tol=1e-12, abs_tol=1e-12)
        per_y[k % y.numel()] = per_y.get(k % y.numel(), 0.0) + dy
    assert _entries(gy) == pytest.approx([per_y[i] for i in range(y.numel())], rel=1e-12)


@needs_torch
def test_to_torch_differentiates_again_as_the_engine_does() -> None:
    """torch.autograd's second derivatives equal ag.hessian's."""
    import torch

    x = torch.tensor(0.4, dtype=torch.float64, requires_grad=True)
    y = torch.tensor(-1.3, dtype=torch.float64, requires_grad=True)
    out = ag.to_torch(_f)(x, y)
    gx, gy = torch.autograd.grad(out, [x, y], create_graph=True)
    theirs = [
        [g.item() for g in torch.autograd.grad(d, [x, y], retain_graph=True)] for d in (gx, gy)
    ]
    ours = ag.hessian(_f)(0.4, -1.3)
    for row_ours, row_theirs in zip(ours, theirs):
        assert row_theirs == pytest.approx(row_ours, rel=1e-12, abs=1e-12)


@needs_torch
def test_a_model_through_to_torch_is_the_model_on_each_sample() -> None:
    """An nn model closed over: a batch of inputs gives each sample's output; weights reread."""
    import torch

    import nn

    model = nn.MLP(2, [5, 1], activation="relu", seed=3)
    h = ag.to_torch(lambda x1, x2: model([x1, x2]))
    x1 = torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64)
    x2 = torch.tensor([1.5, 0.25, -0.7], dtype=torch.float64)
    for _ in range(2):  # a second call sees the weights as they are then
        expected = [model([a, b]).data for a, b in zip(x1.tolist(), x2.tolist())]
        assert _entries(h(x1, x2)) == pytest.approx(expected, rel=1e-12, abs=1e-12)
        for p in model.parameters():
            p.data *= 1.5


@needs_torch
@pytest.mark.parametrize(
    ("f", "message"),
    [
        (lambda x: x if x > 0 else -x, r"^to_torch: <lambda> decides on traced data \(x > 0.0 is "),
        (lambda x, y: x * 2 if x <= y else y, r"\(x <= y is True at the trace's point\)"),
        (lambda x: x * 2 if bool(x * x) else x, r"\(bool\(the result of \*\) is True"),
        (lambda x: x * float(x), r"reads the number in x \(float\(\), \.data, round or format\)"),
    ],
)
def test_a_decision_on_traced_data_is_refused_naming_it(f, message: str) -> None:
    """A Python branch or number read on the data: ValueError in one line, naming it."""
    import torch

    with pytest.raises(ValueError, match=message) as error:
        ag.to_torch(f)(*[torch.tensor([0.5, 2.0], dtype=torch.float64)] * f.__code__.co_argcount)
    assert "\n" not in str(error.value)


@needs_torch
def test_a_rule_without_a_torch_form_is_named() -> None:
    """A user's primitive has no PyTorch form: TypeError naming the rule."""
    import torch

    cube = ag.primitive("cube", lambda x: x**3, grads=(lambda x: 3 * x * x,))
    with pytest.raises(TypeError, match="rule 'cube' has no PyTorch form"):
        ag.to_torch(lambda x: cube(x) + 1)(torch.tensor([1.0], dtype=torch.float64))


@needs_torch
def test_a_constant_function_gives_the_arguments_shape() -> None:
    """A result that does not depend on the arguments is broadcast to their shape."""
    import torch

    out = ag.to_torch(lambda x: ag.Value(2.0) * 3)(torch.zeros(4, dtype=torch.float64))
    assert out.tolist() == [6.0, 6.0, 6.0, 6.0]


def test_without_torch_to_torch_of_a_function_says_to_install_the_extra() -> None:
    """With torch hidden, calling ag.to_torch(f) raises ImportError naming the extra."""
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import autograd_lite as ag\n"
        "h = ag.to_torch(lambda x: x * 2)\n"
        "try:\n"
        "    h(1.0)\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"to_torch needs PyTorch, the torch extra: {EXTRA_HINT}"
