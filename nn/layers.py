"""`Neuron`, `Layer` and `MLP`: the models, and `load()` to rebuild one from a file.

What each returns is fixed by its shape, never by the data: a Neuron returns one Value; a Layer
always returns a list (one per neuron, so layers chain without special cases, even when a layer
has a single neuron); an MLP returns a single Value when its last layer has one output (a
prediction you can put straight into a loss) and a list otherwise.

Weights start uniform in ±1/sqrt(nin), as `torch.nn.Linear` does, so a neuron's weighted sum
stays about the size of one input however wide the layer. Each model draws them from its own
`random.Random(seed)`, never the global generator: the same seed gives the same weights
whatever else the program does with `random`.
"""

from __future__ import annotations

import itertools
import math
import numbers
import os
import random
from collections.abc import Callable, Sequence
from typing import Any

from autograd_lite import Value, dot
from autograd_lite.value import Operand, dots
from nn.io import Architecture, StrPath, read_model
from nn.module import Module

Activation = Callable[[Value], Value]

ACTIVATIONS: dict[str | None, Activation | None] = {
    "tanh": Value.tanh,
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
    None: None,
}
"""Activations by name, as Value methods (the rules table's fast path); None means linear."""


def _activation(name: str | None) -> Activation | None:
    """The rule named `name`, or ValueError listing the valid names."""
    if not (name is None or isinstance(name, str)) or name not in ACTIVATIONS:
        valid = ", ".join(repr(known) for known in ACTIVATIONS)
        raise ValueError(f"unknown activation {name!r}; valid activations are {valid}")
    return ACTIVATIONS[name]


def _size(n: object, what: str) -> int:
    """`n` as a positive int, or an error naming `what` and the bad value."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{what} must be a positive int, got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")
    return int(n)


def _sizes(nouts: object) -> list[int]:
    """`nouts` as a non-empty list of positive ints, or an error saying what is wrong."""
    if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence):
        raise TypeError(f"nouts must be a list of layer sizes, got {type(nouts).__name__}")
    if not nouts:
        raise ValueError("nouts must name at least one layer size, got an empty list")
    return [_size(n, "each layer size in nouts") for n in nouts]


def _dense(sizes: Sequence[int]) -> int:
    """Parameters of dense layers of these sizes in turn: a weight per input and a bias each."""
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in itertools.pairwise(sizes))


def _check_inputs(model: Module, x: Sequence[Operand], nin: int) -> None:
    """Raise unless `x` is a sequence of exactly `nin` inputs, naming expected and got."""
    try:
        got = len(x)
    except TypeError:
        raise TypeError(
            f"{model!r} takes a list of {nin} numbers or Values, got {type(x).__name__}"
        ) from None
    if got != nin:
        raise ValueError(f"{model!r} expects {nin} inputs, got {got}")


def _label(model: Module) -> None:
    """Label each parameter with its dotted name, so graphs and `explain()` show which it is."""
    for name, parameter in model.named_parameters():
        parameter.label = name


class Neuron(Module):
    """activation(w · x + b) for an input vector x of length `nin`."""

    FIELDS = ("nin", "activation")

    def __init__(
        self, nin: int, activation: str | None = "tanh", *, seed: int | None = None
    ) -> None:
        self.nin = _size(nin, "nin")
        self.activation = activation
        self._activate = _activation(activation)
        rng = random.Random(seed)
        bound = 1.0 / math.sqrt(self.nin)
        self.w = [Value(rng.uniform(-bound, bound)) for _ in range(self.nin)]
        self.b = Value(rng.uniform(-bound, bound))
        _label(self)

    def __call__(self, x: Sequence[Operand]) -> Value:
        """One Value: the weighted sum with the bias folded in (one node), then the activation."""
        _check_inputs(self, x, self.nin)
        # b is the weight of a constant input 1, so w · x + b is a single node of the graph
        return self._activated(dot([*self.w, self.b], [*x, 1.0]))

    def _activated(self, total: Value) -> Value:
        """The activation of the weighted sum `total` (itself for a linear neuron)."""
        return total if self._activate is None else self._activate(total)

    def named_parameters(self) -> list[tuple[str, Value]]:
        """`w.0` ... `w.{nin-1}` in input order, then `b`."""
        return [*((f"w.{i}", w) for i, w in enumerate(self.w)), ("b", self.b)]

    @classmethod
    def parameter_count(cls, architecture: Architecture) -> int:
        return _dense([_size(architecture["nin"], "nin"), 1])

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r})"


class Layer(Module):
    """`nout` neurons reading the same `nin` inputs; always returns a list of `nout` Values."""

    FIELDS = ("nin", "nout", "activation")

    def __init__(
        self, nin: int, nout: int, activation: str | None = "tanh", *, seed: int | None = None
    ) -> None:
        self.nin = _size(nin, "nin")
        self.nout = _size(nout, "nout")
        self.activation = activation
        _activation(activation)
        rng = random.Random(seed)
        self.neurons = [
            Neuron(self.nin, activation, seed=rng.getrandbits(64)) for _ in range(self.nout)
        ]
        _label(self)

    def __call__(self, x: Sequence[Operand]) -> list[Value]:
        """Each neuron's output, in order (a list even when there is one neuron)."""
        _check_inputs(self, x, self.nin)
        # One dot node per neuron; the inputs, and the constant 1 the biases multiply, are
        # checked, read and (numbers) made leaves once for the whole layer.
        sums = dots([[*neuron.w, neuron.b] for neuron in self.neurons], [*x, 1.0])
        return [neuron._activated(total) for neuron, total in zip(self.neurons, sums)]

    def named_parameters(self) -> list[tuple[str, Value]]:
        """`neurons.{i}.` followed by each neuron's names, neuron by neuron."""
        return [
            (f"neurons.{i}.{name}", parameter)
            for i, neuron in enumerate(self.neurons)
            for name, parameter in neuron.named_parameters()
        ]

    @classmethod
    def parameter_count(cls, architecture: Architecture) -> int:
        return _dense([_size(architecture["nin"], "nin"), _size(architecture["nout"], "nout")])

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class MLP(Module):
    """Layers of sizes `nouts` in sequence: `activation` on the hidden ones, `out_activation` last.

    The output layer is linear by default (`out_activation=None`), which is what the losses on
    logits and scores (`bce_with_logits`, `hinge_loss`, `cross_entropy`) expect.
    """

    FIELDS = ("nin", "nouts", "activation", "out_activation")

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | None = "tanh",
        out_activation: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.nin = _size(nin, "nin")
        self.nouts = _sizes(nouts)
        self.activation = activation
        self.out_activation = out_activation
        _activation(activation)
        _activation(out_activation)
        rng = random.Random(seed)
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                out_activation if i == last else activation,
                seed=rng.getrandbits(64),
            )
            for i in range(len(self.nouts))
        ]
        _label(self)

    def __call__(self, x: Sequence[Operand]) -> Value | list[Value]:
        """The last layer's outputs: one Value when it has a single output, else a list."""
        _check_inputs(self, x, self.nin)
        out = self.layers[0](x)
        for layer in self.layers[1:]:
            out = layer(out)
        return out[0] if self.nouts[-1] == 1 else out

    @classmethod
    def from_torch(cls, module: Any) -> MLP:
        """The MLP a `torch.nn.Sequential` of `Linear` layers and activations computes, with its
        weights (the way back from `to_torch`; see `nn.pytorch.mlp_from_torch` for what fits).

        Needs the torch extra (ImportError without it).
        """
        from nn.pytorch import mlp_from_torch

        nin, nouts, activation, out_activation, numbers = mlp_from_torch(module)
        model = cls(nin, nouts, activation, out_activation)
        for parameter, number in zip(model.parameters(), numbers):
            parameter.data = number
        return model

    def named_parameters(self) -> list[tuple[str, Value]]:
        """`layers.{i}.` followed by each layer's names, e.g. `layers.0.neurons.1.w.0`."""
        return [
            (f"layers.{i}.{name}", parameter)
            for i, layer in enumerate(self.layers)
            for name, parameter in layer.named_parameters()
        ]

    @classmethod
    def parameter_count(cls, architecture: Architecture) -> int:
        return _dense([_size(architecture["nin"], "nin"), *_sizes(architecture["nouts"])])

    def __repr__(self) -> str:
        text = f"MLP({self.nin}, {self.nouts}, activation={self.activation!r}"
        if self.out_activation is not None:
            text += f", out_activation={self.out_activation!r}"
        return text + ")"


MODELS: dict[str, type[Module]] = {model.__name__: model for model in (Neuron, Layer, MLP)}
"""The model types a file may hold, by the `type` its architecture records."""


def load(path: StrPath) -> Module:
    """The model a file saved by `Module.save` records: its architecture, with its weights.

    Everything is checked before a model is built: the file's format (`nn.io.read_model`),
    then that its type is known, and the type's own checks of its architecture, the number
    of parameters first (`Module.from_architecture`). A bad file raises ValueError saying what
    is wrong and naming the path; one that cannot be read raises OSError.
    """
    architecture, state = read_model(path)
    where = repr(os.fspath(path))
    kind = MODELS.get(architecture["type"])
    if kind is None:
        raise ValueError(
            f"{where} holds an unknown model type {architecture['type']!r};"
            f" the types are {', '.join(MODELS)}"
        )
    try:
        model = kind.from_architecture(architecture, len(state))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where} does not hold a valid {kind.__name__}: {error}") from None
    model.load_state_dict(state)
    return model
