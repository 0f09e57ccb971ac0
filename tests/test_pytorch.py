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
