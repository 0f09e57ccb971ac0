"""The public surface users are promised: names exported, sorted, documented."""

from __future__ import annotations

import inspect

import pytest

import autograd_lite
import nn

ENGINE_NAMES = {
    "Value", "no_grad", "primitive", "sum", "dot",
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "sin", "cos", "abs",
    "grad", "value_and_grad", "hessian", "compile", "gradcheck", "GradcheckError",
    "draw_graph", "save_graph", "explain",
    "jvp", "jacobian", "jacfwd", "jacrev", "vjp", "hvp", "stop_gradient",
    "detect_anomaly", "find_nonfinite",
}  # fmt: skip
NN_NAMES = {
    "Module", "Neuron", "Layer", "MLP", "load",
    "mse_loss", "binary_cross_entropy", "bce_with_logits", "hinge_loss", "cross_entropy",
    "SGD", "Adam",
}  # fmt: skip


@pytest.mark.parametrize(("module", "names"), [(autograd_lite, ENGINE_NAMES), (nn, NN_NAMES)])
def test_contract_names_are_exported(module, names) -> None:
    """Every promised name is in the package's __all__ and importable."""
    assert names <= set(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), name


@pytest.mark.parametrize("module", [autograd_lite, nn])
def test_all_has_no_duplicates(module) -> None:
    """__all__ lists each name once (ruff's RUF022 keeps it sorted)."""
    assert len(module.__all__) == len(set(module.__all__))


@pytest.mark.parametrize("module", [autograd_lite, nn])
def test_public_names_have_docstrings(module) -> None:
    """Every exported function and class says what it is for."""
    for name in module.__all__:
        obj = getattr(module, name)
        if callable(obj):
            assert inspect.getdoc(obj), f"{module.__name__}.{name} has no docstring"


def test_version_is_a_string() -> None:
    """The package carries its version."""
    assert autograd_lite.__version__.count(".") == 2
