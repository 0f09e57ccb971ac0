"""`Module`: what every model shares — its parameters, their gradients, and saving them."""

from __future__ import annotations

import abc
import json
import os
from collections.abc import Sequence
from typing import Any, ClassVar

from autograd_lite import Value
from autograd_lite.value import Operand
from nn.io import Architecture, StrPath, check_state, read_model, write_model


class Module(abc.ABC):
    """A model with named parameters (leaf Values) that can be trained, saved and loaded.

    A subclass computes in `__call__`, names its parameters in `named_parameters()`, lists in
    FIELDS the constructor arguments that rebuild it and says in `parameter_count` how many
    parameters they make; everything else here follows from those.
    """

    FIELDS: ClassVar[tuple[str, ...]]
    """The constructor's arguments that `architecture()` records (attributes of the same name)."""

    @abc.abstractmethod
    def __call__(self, x: Sequence[Operand]) -> Value | list[Value]:
        """The model's output for one input vector `x`."""

    @abc.abstractmethod
    def named_parameters(self) -> list[tuple[str, Value]]:
        """(dotted name, parameter) pairs in a fixed order, e.g. `("layers.0.neurons.1.w.0", w)`."""

    @classmethod
    @abc.abstractmethod
    def parameter_count(cls, architecture: Architecture) -> int:
        """How many parameters the model `architecture` records has, found without building it.

        Raises TypeError or ValueError, as the constructor would, for an argument it refuses.
        """

    def architecture(self) -> Architecture:
        """A JSON object: the class name as `type` and the FIELDS, saved with the weights."""
        fields = {name: getattr(self, name) for name in self.FIELDS}
        return {"type": type(self).__name__, **json.loads(json.dumps(fields))}

    @classmethod
    def from_architecture(cls, architecture: Architecture, count: int) -> Module:
        """A new model as `architecture` records it, if it has `count` parameters.

        Everything is checked before anything is built, so a file claiming a huge model fails
        fast: the fields must be exactly FIELDS, the parameter count must be `count`, and the
        constructor checks the rest. ValueError (or TypeError) says what does not fit.
        """
        arguments = {name: value for name, value in architecture.items() if name != "type"}
        if architecture.get("type") != cls.__name__ or set(arguments) != set(cls.FIELDS):
            fields = ", ".join(repr(name) for name in sorted(architecture))
            raise ValueError(
                f"{cls.__name__} architectures have exactly the fields 'type', "
                f"{', '.join(map(repr, cls.FIELDS))}; got {fields}"
            )
        expected = cls.parameter_count(architecture)
        if expected != count:
            raise ValueError(f"it has {expected:,} parameters, the file holds {count:,}")
        return cls(**arguments)

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
        that cannot be read (missing, a directory) raises OSError. The architectures are
        compared as JSON text, so a file's `2.0` or `true` does not pass for a size of 2 or 1.
        """
        architecture, state = read_model(path)
        mine = self.architecture()
        if _json(architecture) != _json(mine):
            raise ValueError(
                f"{os.fspath(path)!r} holds a model with architecture {_json(architecture)[:300]},"
                f" this model is {_json(mine)[:300]}"
            )
        try:
            self.load_state_dict(state)
        except ValueError as error:
            raise ValueError(f"{os.fspath(path)!r}: {error}") from None


def _json(architecture: Architecture) -> str:
    """`architecture` as compact JSON text, keys sorted: equal only when equal in the file."""
    return json.dumps(architecture, sort_keys=True, separators=(", ", ": "))


def _few(names: list[str]) -> str:
    """At most three names, then how many more, for an error message that stays one line."""
    shown = ", ".join(names[:3]) or "none"
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")
