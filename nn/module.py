"""`Module`: what every model shares — its parameters, their gradients, and saving them."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any

from autograd_lite import Value
from autograd_lite.value import Operand
from nn.io import Architecture, StrPath, check_state, read_model, write_model


class Module(abc.ABC):
    """A model with named parameters (leaf Values) that can be trained, saved and loaded.

    A subclass names its parameters in `named_parameters()`, describes how to rebuild itself in
    `architecture()` and computes in `__call__`; everything else here follows from those.
    """

    @abc.abstractmethod
    def __call__(self, x: Sequence[Operand]) -> Value | list[Value]:
        """The model's output for one input vector `x`."""

    @abc.abstractmethod
    def named_parameters(self) -> list[tuple[str, Value]]:
        """(dotted name, parameter) pairs in a fixed order, e.g. `("layers.0.neurons.1.w.0", w)`."""

    @abc.abstractmethod
    def architecture(self) -> Architecture:
        """A JSON object with the class name and constructor arguments, saved with the weights."""

    def parameters(self) -> list[Value]:
        """Every parameter, in the order of `named_parameters()` (what an optimizer updates)."""
        return [parameter for _, parameter in self.named_parameters()]

    def zero_grad(self) -> None:
        """Reset every parameter's gradient: leaves accumulate, so do this before each backward."""
        for parameter in self.parameters():
            parameter.grad = 0.0

    def state_dict(self) -> dict[str, float]:
        """Parameter name to current value, in parameter order (a snapshot; plain floats)."""
        return {name: parameter.data for name, parameter in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Set every parameter from `state`, which must name exactly this model's parameters.

        Everything is checked before anything is set, so a bad `state` raises ValueError and
        leaves the model unchanged.
        """
        if not isinstance(state, dict):
            raise ValueError(f"a state dict must be a dict, got {type(state).__name__}")
        values = check_state(state)
        named = self.named_parameters()
        missing = [name for name, _ in named if name not in values]
        if missing or len(values) != len(named):
            known = {name for name, _ in named}
            unexpected = [name for name in values if name not in known]
            raise ValueError(
                f"state holds {len(values)} parameters, the model has {len(named)}"
                f" (missing: {_few(missing)}; unexpected: {_few(unexpected)})"
            )
        for name, parameter in named:
            parameter.data = values[name]

    def to_torch(self) -> Any:
        """This model as a float64 `torch.nn.Sequential` with the same weights and activations.

        Needs the torch extra (ImportError without it); see `nn.pytorch` for what carries over.
        """
        from nn.pytorch import to_torch

        return to_torch(self)

    def save(self, path: StrPath) -> None:
        """Write the architecture and parameters to `path` as JSON, atomically."""
        write_model(path, self.architecture(), self.state_dict())

    def load(self, path: StrPath) -> None:
        """Set this model's parameters from a file saved from a model of the same architecture.

        A truncated, corrupt or mismatched file raises ValueError and changes nothing; a file
        that cannot be read (missing, a directory) raises OSError. `read_model` checks the
        file as for `nn.load`, types strictly, so the comparison below can't match `2.0` to `2`.
        """
        architecture, state = read_model(path)
        if architecture != self.architecture():
            raise ValueError(
                f"{path!s} holds a model with architecture {architecture},"
                f" this model is {self.architecture()}"
            )
        self.load_state_dict(state)


def _few(names: list[str]) -> str:
    """At most three names, then how many more, for an error message that stays one line."""
    shown = ", ".join(names[:3]) or "none"
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")
