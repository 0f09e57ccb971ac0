"""To PyTorch and back: a model as a float64 `torch.nn.Sequential`, its losses and optimizer too.

A model of `Layer`s becomes `Linear` modules with the activation modules between them: one
`Linear(nin, nout)` per layer, whose weight row i is neuron i's weights and whose bias entry i is
its bias; `Tanh`, `ReLU`, `Sigmoid` after a layer with that activation, nothing after a linear
one. So `MLP(2, [16, 16, 1], activation="relu")` becomes
`Sequential(Linear(2, 16), ReLU(), Linear(16, 16), ReLU(), Linear(16, 1))`, in float64, and
computes the same numbers: its outputs and, after the same loss, its parameters' gradients equal
the model's to rounding (PyTorch sums a weighted sum in its own order). One input vector
gives a tensor of shape (nout,), a batch of shape (n, nin) gives (n, nout); a model whose last
layer has one output gives a list's worth of one (shape (1,) or (n, 1)) where the model gives
a single Value.

What carries over: the weights and activations (`to_torch`, `from_torch`), each exported loss
(`torch_losses`, PyTorch's own functions), and an optimizer's settings and state
(`optimizer_to_torch`: SGD's momentum buffers, Adam's step count and running averages). What
does not: the graph (PyTorch records its own on the next forward), the gradients held in
`.grad`, and anything but `Linear` layers with these three activations on the way back.

Needs the torch extra (`pip install 'autograd-lite[torch]'`); without it each function raises
ImportError saying so. Nothing imports torch until one of them is called.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from autograd_lite.pytorch import import_torch
from nn.io import Architecture
from nn.optim import SGD, Adam, Optimizer

if TYPE_CHECKING:
    from nn.module import Module

TORCH_ACTIVATIONS = {"tanh": "Tanh", "relu": "ReLU", "sigmoid": "Sigmoid"}
"""Each activation by name, as the name of its module in `torch.nn` (linear has none)."""

LayerShape = tuple[int, int, "str | None"]
"""(nin, nout, activation) of one layer of neurons."""

MLPParts = tuple[int, list[int], "str | None", "str | None", list[float]]
"""What `MLP(nin, nouts, activation, out_activation)` needs, then its parameters in order."""


def layer_shapes(architecture: Architecture) -> list[LayerShape]:
    """The layers of a Neuron, Layer or MLP as its architecture records them, input first."""
    kind, nin = architecture["type"], architecture["nin"]
    if kind == "Neuron":
        return [(nin, 1, architecture["activation"])]
    if kind == "Layer":
        return [(nin, architecture["nout"], architecture["activation"])]
    if kind != "MLP":
        raise ValueError(f"to_torch: cannot carry a {kind} to PyTorch (Neuron, Layer, MLP can)")
    sizes = [nin, *architecture["nouts"]]
    last = len(sizes) - 2
    return [
        (sizes[i], sizes[i + 1], architecture["out_activation" if i == last else "activation"])
        for i in range(last + 1)
    ]


def to_torch(model: Module) -> Any:
    """`model` as a float64 `torch.nn.Sequential` of `Linear` and activation modules.

    The weights are copied (the two models do not share memory). Raises ImportError without
    the torch extra.
    """
    torch = import_torch("to_torch")
    shapes = layer_shapes(model.architecture())
    tensors = _as_tensors(torch, shapes, [p.data for p in model.parameters()])
    modules: list[Any] = []
    for (nin, nout, activation), weight, bias in zip(shapes, tensors[::2], tensors[1::2]):
        linear = torch.nn.Linear(nin, nout, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(weight)
            linear.bias.copy_(bias)
        modules.append(linear)
        if activation is not None:
            modules.append(getattr(torch.nn, TORCH_ACTIVATIONS[activation])())
    return torch.nn.Sequential(*modules)


def mlp_from_torch(module: Any) -> MLPParts:
    """The MLP that a `Sequential` of `Linear` layers (with biases) and activations computes.

    Each Linear may be followed by one `Tanh`, `ReLU` or `Sigmoid`; the hidden layers share one
    activation, the last layer's is the MLP's `out_activation`. Anything else raises
    ValueError naming the module that does not fit; not a Sequential raises TypeError.
    """
    torch = import_torch("from_torch")
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"from_torch needs a torch.nn.Sequential, got {type(module).__name__}")
    names = {module_name: name for name, module_name in TORCH_ACTIVATIONS.items()}
    layers: list[tuple[Any, str | None]] = []
    for child in module:
        if isinstance(child, torch.nn.Linear) and child.bias is not None:
            if layers and layers[-1][0].out_features != child.in_features:
                raise ValueError(
                    f"from_torch: {child} does not take the {layers[-1][0].out_features} "
                    "outputs of the layer before it"
                )
            layers.append((child, None))
        elif type(child).__name__ in names and layers and layers[-1][1] is None:
            layers[-1] = (layers[-1][0], names[type(child).__name__])
        else:
            raise ValueError(
                f"from_torch: cannot read {child} here (an MLP is Linear layers with biases, "
                "each followed by at most one Tanh, ReLU or Sigmoid)"
            )
    if not layers:
        raise ValueError("from_torch: the Sequential holds no Linear layer")
    hidden = {activation for _, activation in layers[:-1]}
    if len(hidden) > 1:
        raise ValueError(
            f"from_torch: the hidden layers' activations differ: {sorted(hidden, key=str)}"
        )
    numbers: list[float] = []
    for linear, _ in layers:
        weight = linear.weight.detach().to(torch.float64).tolist()
        bias = linear.bias.detach().to(torch.float64).tolist()
        for row, b in zip(weight, bias):
            numbers.extend([*row, b])
    activation = hidden.pop() if hidden else "tanh"
    nouts = [linear.out_features for linear, _ in layers]
    return layers[0][0].in_features, nouts, activation, layers[-1][1], numbers


def torch_losses() -> dict[str, Callable[[Any, Any], Any]]:
    """Each exported loss of `nn.losses` by name, as PyTorch computes it on tensors.

    Each takes predictions (shape (n,), or (n, classes) of logits for `cross_entropy`) and
    targets (shape (n,); class indices for `cross_entropy`) and returns the mean loss. These
    are PyTorch's own functions; the hinge loss, which PyTorch has no function for, is
    written as `relu(1 - y * s).mean()`.
    """
    torch = import_torch("torch_losses")
    F = torch.nn.functional
    return {
        "mse_loss": F.mse_loss,
        "binary_cross_entropy": F.binary_cross_entropy,
        "bce_with_logits": F.binary_cross_entropy_with_logits,
        "hinge_loss": lambda scores, targets: torch.relu(1 - targets * scores).mean(),
        "cross_entropy": lambda logits, targets: F.cross_entropy(logits, targets.long()),
    }


def optimizer_to_torch(optimizer: Optimizer, model: Module, module: Any) -> Any:
    """A `torch.optim.SGD` or `Adam` over `module`'s parameters in `optimizer`'s state.

    `module` is `model.to_torch()` and `optimizer` updates exactly `model.parameters()`, in
    order (else ValueError). Its settings carry over, and its state: SGD's momentum buffers,
    Adam's step count and running averages m and v, so the next step in PyTorch is the step
    this optimizer would take. Raises ImportError without the torch extra.
    """
    torch = import_torch("optimizer_to_torch")
    if optimizer.params != model.parameters():
        raise ValueError(
            f"optimizer_to_torch: the optimizer updates {len(optimizer.params)} parameters that "
            f"are not the {len(model.parameters())} of {model!r}, in order"
        )
    tensors = list(module.parameters())
    shapes = layer_shapes(model.architecture())

    def state(numbers: Sequence[float]) -> list[Any]:
        return _as_tensors(torch, shapes, numbers)

    if isinstance(optimizer, SGD):
        carried = torch.optim.SGD(
            tensors,
            lr=optimizer.lr,
            momentum=optimizer.momentum,
            weight_decay=optimizer.weight_decay,
        )
        if optimizer.buffers is not None:
            for tensor, buffer in zip(tensors, state(optimizer.buffers)):
                carried.state[tensor]["momentum_buffer"] = buffer
        return carried
    if isinstance(optimizer, Adam):
        carried = torch.optim.Adam(
            tensors,
            lr=optimizer.lr,
            betas=optimizer.betas,
            eps=optimizer.eps,
            weight_decay=optimizer.weight_decay,
        )
        if optimizer.t:
            for tensor, m, v in zip(tensors, state(optimizer.m), state(optimizer.v)):
                carried.state[tensor].update(
                    step=torch.tensor(float(optimizer.t), dtype=torch.float64),
                    exp_avg=m,
                    exp_avg_sq=v,
                )
        return carried
    kind = type(optimizer).__name__
    raise TypeError(f"optimizer_to_torch: cannot carry a {kind} (SGD and Adam can)")


def _as_tensors(torch: Any, shapes: list[LayerShape], numbers: Sequence[float]) -> list[Any]:
    """Numbers in the order of a model's parameters as each Linear's weight, then bias."""
    tensors = []
    start = 0
    for nin, nout, _ in shapes:
        rows = [numbers[start + k * (nin + 1) : start + (k + 1) * (nin + 1)] for k in range(nout)]
        start += nout * (nin + 1)
        tensors.append(torch.tensor([row[:nin] for row in rows], dtype=torch.float64))
        tensors.append(torch.tensor([row[nin] for row in rows], dtype=torch.float64))
    return tensors
