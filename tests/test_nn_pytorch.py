"""nn.pytorch: a model in PyTorch computes the same outputs and gradients, and comes back whole.

These tests need the torch extra (`make test` installs it); without it they skip, saying so,
except those that check what happens without it.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import nn
from autograd_lite import Value
from autograd_lite.pytorch import EXTRA_HINT
from nn.pytorch import mlp_from_torch, optimizer_to_torch, torch_losses

needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None,
    reason="needs PyTorch, the torch extra: pip install -e '.[torch]' (make test installs it)",
)

README = Path(__file__).resolve().parents[1] / "README.md"
BATCH = [[0.5, -1.0, 2.0], [-0.3, 0.8, 0.1], [1.5, 0.0, -2.2], [0.0, 0.0, 0.0]]


def _close(ours: list[float], theirs: list[float]) -> None:
    """Equal to 1e-12 (relative, or absolute below 1), entry by entry."""
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert abs(a - b) <= 1e-12 * max(1.0, abs(b)), (a, b)


def _outputs(model: nn.Module, x: list[float]) -> list[float]:
    out = model(x)
    return [v.data for v in out] if isinstance(out, list) else [out.data]


MODELS = [
    lambda: nn.MLP(3, [4, 5, 2], seed=1),
    lambda: nn.MLP(3, [8, 1], activation="relu", out_activation="sigmoid", seed=2),
    lambda: nn.MLP(3, [4, 4], activation=None, seed=3),
    lambda: nn.Layer(3, 2, activation="sigmoid", seed=4),
    lambda: nn.Neuron(3, activation="tanh", seed=5),
]


@needs_torch
def test_to_torch_is_linear_layers_and_activations_in_float64() -> None:
    """MLP(3, [4, 1], relu) is Linear(3, 4), ReLU, Linear(4, 1); row i of a weight is neuron i."""
    import torch

    model = nn.MLP(3, [4, 1], activation="relu", seed=0)
    module = model.to_torch()
    assert [type(m).__name__ for m in module] == ["Linear", "ReLU", "Linear"]
    first = module[0]
    assert first.weight.dtype == torch.float64
    assert first.weight.shape == (4, 3)
    neuron = model.layers[0].neurons[2]
    assert first.weight[2].tolist() == [w.data for w in neuron.w]
    assert first.bias[2].item() == neuron.b.data


@needs_torch
@pytest.mark.parametrize("make", MODELS)
def test_outputs_are_the_model_s_on_one_sample_and_on_a_batch(make) -> None:
    """A vector gives (nout,), a batch (n, nout): each row the model's outputs to 1e-12."""
    import torch

    model = make()
    module = model.to_torch()
    for x in BATCH:
        _close(module(torch.tensor(x, dtype=torch.float64)).tolist(), _outputs(model, x))
    rows = module(torch.tensor(BATCH, dtype=torch.float64)).tolist()
    for x, row in zip(BATCH, rows):
        _close(row, _outputs(model, x))


@needs_torch
@pytest.mark.parametrize("make", MODELS)
def test_parameter_gradients_are_the_model_s(make) -> None:
    """The mean of squared outputs over a batch: every parameter's gradient to 1e-12."""
    import torch

    model = make()
    module = model.to_torch()
    outs = [_outputs_values(model, x) for x in BATCH]
    flat = [v for row in outs for v in row]
    nn.mse_loss(flat, [0.25] * len(flat)).backward()
    y = module(torch.tensor(BATCH, dtype=torch.float64))
    torch.nn.functional.mse_loss(y, torch.full_like(y, 0.25)).backward()
    theirs = _engine_order(module)
    _close([p.grad for p in model.parameters()], theirs)


def _outputs_values(model: nn.Module, x: list[float]) -> list[Value]:
    out = model(x)
    return out if isinstance(out, list) else [out]


def _engine_order(module) -> list[float]:
    """The gradients of a Sequential's Linear layers in the order of `parameters()`."""
    grads: list[float] = []
    for layer in module:
        if hasattr(layer, "weight"):
            for row, b in zip(layer.weight.grad.tolist(), layer.bias.grad.tolist()):
                grads.extend([*row, b])
    return grads


@needs_torch
def test_from_torch_gives_back_the_same_model() -> None:
    """to_torch then from_torch: the same architecture and exactly the same weights."""
    model = nn.MLP(3, [4, 5, 2], activation="relu", out_activation="tanh", seed=7)
    back = nn.MLP.from_torch(model.to_torch())
    assert back.architecture() == model.architecture()
    assert back.state_dict() == model.state_dict()


@needs_torch
def test_from_torch_reads_a_module_made_in_pytorch() -> None:
    """A float32 Sequential(Linear, Tanh, Linear, Sigmoid) made by PyTorch: the same outputs."""
    import torch

    torch.manual_seed(0)
    module = torch.nn.Sequential(
        torch.nn.Linear(3, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2), torch.nn.Sigmoid()
    )
    model = nn.MLP.from_torch(module)
    assert repr(model) == "MLP(3, [6, 2], activation='tanh', out_activation='sigmoid')"
    rows = module.double()(torch.tensor(BATCH, dtype=torch.float64)).tolist()
    for x, row in zip(BATCH, rows):
        _close(_outputs(model, x), row)


@needs_torch
def test_one_linear_layer_is_an_mlp_of_one_layer() -> None:
    """A lone Linear is MLP(nin, [nout]) with a linear output."""
    import torch

    parts = mlp_from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3)))
    assert parts[:4] == (2, [3], "tanh", None)
    assert len(parts[4]) == 9


@needs_torch
@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.Dropout()), r"cannot read Dropout"),
        (lambda t: t.nn.Sequential(t.nn.Linear(2, 3, bias=False)), "cannot read Linear"),
        (lambda t: t.nn.Sequential(t.nn.ReLU(), t.nn.Linear(2, 3)), "cannot read ReLU"),
        (
            lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.ReLU(), t.nn.Tanh()),
            "cannot read Tanh",
        ),
        (
            lambda t: t.nn.Sequential(t.nn.Linear(2, 3), t.nn.Linear(4, 1)),
            "does not take the 3 outputs",
        ),
        (
            lambda t: t.nn.Sequential(
                t.nn.Linear(2, 3), t.nn.ReLU(), t.nn.Linear(3, 3), t.nn.Tanh(), t.nn.Linear(3, 1)
            ),
            r"activations differ: \['relu', 'tanh'\]",
        ),
        (lambda t: t.nn.Sequential(), "holds no Linear layer"),
    ],
)
def test_from_torch_says_what_does_not_fit(build, message) -> None:
    """Other modules, missing biases, stacked activations and mismatched sizes are refused."""
    import torch

    with pytest.raises(ValueError, match=message):
        nn.MLP.from_torch(build(torch))


@needs_torch
def test_from_torch_needs_a_sequential() -> None:
    """A bare Linear is not a Sequential: TypeError naming it."""
    import torch

    with pytest.raises(TypeError, match=r"needs a torch\.nn\.Sequential, got Linear"):
        nn.MLP.from_torch(torch.nn.Linear(2, 1))


LOSS_CASES = [
    ("mse_loss", [0.3, -1.2, 2.5], [0.5, -1.0, 2.0]),
    ("binary_cross_entropy", [0.9, 0.2, 0.6], [1.0, 0.0, 0.3]),
    ("bce_with_logits", [0.8, -2.0, 0.0, 1000.0], [1.0, 0.0, 1.0, 0.25]),
    ("hinge_loss", [0.5, -2.0, 3.0], [1.0, -1.0, -1.0]),
]


@needs_torch
@pytest.mark.parametrize(("name", "preds", "targets"), LOSS_CASES)
def test_each_loss_in_torch_is_the_loss_here(name: str, preds, targets) -> None:
    """Value and gradient of each loss's PyTorch form equal the loss's here to 1e-12."""
    import torch

    values = [Value(p) for p in preds]
    loss = getattr(nn, name)(values, targets)
    loss.backward()
    x = torch.tensor(preds, dtype=torch.float64, requires_grad=True)
    theirs = torch_losses()[name](x, torch.tensor(targets, dtype=torch.float64))
    theirs.backward()
    _close([loss.data], [theirs.item()])
    _close([v.grad for v in values], x.grad.tolist())


@needs_torch
def test_cross_entropy_in_torch_is_the_loss_here() -> None:
    """A batch of logits with class indices: the same mean loss and gradient."""
    import torch

    logits = [[1.0, 2.0, 0.5], [1000.0, -1000.0, 0.0]]
    values = [[Value(z) for z in row] for row in logits]
    loss = nn.cross_entropy(values, [0, 1])
    loss.backward()
    x = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    theirs = torch_losses()["cross_entropy"](x, torch.tensor([0, 1]))
    theirs.backward()
    _close([loss.data], [theirs.item()])
    _close([v.grad for row in values for v in row], x.grad.flatten().tolist())


@needs_torch
@pytest.mark.parametrize(
    "make",
    [
        lambda ps: nn.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
        lambda ps: nn.Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    ],
    ids=["sgd", "adam"],
)
def test_an_optimizer_carries_its_state(make) -> None:
    """Three steps here, then three more here and in PyTorch from the carried state: equal."""
    import torch

    model = nn.MLP(3, [4, 1], seed=0)
    optimizer = make(model.parameters())
    targets = [1.0, -1.0, 0.5, 0.0]

    def step_here() -> None:
        optimizer.zero_grad()
        nn.mse_loss([model(x) for x in BATCH], targets).backward()
        optimizer.step()

    for _ in range(3):
        step_here()
    module = model.to_torch()
    carried = optimizer_to_torch(optimizer, model, module)
    inputs = torch.tensor(BATCH, dtype=torch.float64)
    for _ in range(3):
        step_here()
        carried.zero_grad()
        out = module(inputs).squeeze(1)
        torch.nn.functional.mse_loss(out, torch.tensor(targets, dtype=torch.float64)).backward()
        carried.step()
    _close([p.data for p in model.parameters()], nn.MLP.from_torch(module).state_dict().values())


@needs_torch
def test_an_optimizer_of_other_parameters_is_refused() -> None:
    """The optimizer must update exactly the model's parameters, in order."""
    model = nn.MLP(2, [2, 1], seed=0)
    optimizer = nn.SGD(model.parameters()[:3], lr=0.1)
    with pytest.raises(ValueError, match="updates 3 parameters that are not the 9 of MLP"):
        optimizer_to_torch(optimizer, model, model.to_torch())


def test_without_torch_to_torch_says_to_install_the_extra() -> None:
    """With torch hidden, to_torch and from_torch raise ImportError naming the torch extra."""
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import nn\n"
        "for call in (lambda: nn.MLP(2, [1]).to_torch(), lambda: nn.MLP.from_torch(None)):\n"
        "    try:\n"
        "        call()\n"
        "    except ImportError as error:\n"
        "        print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    hint = f"needs PyTorch, the torch extra: {EXTRA_HINT}"
    assert result.stdout.splitlines() == [f"to_torch {hint}", f"from_torch {hint}"]


@needs_torch
def test_the_readme_example_prints_the_same_outputs_twice() -> None:
    """The README's example: the module's outputs on a batch are the model's, to 1e-12."""
    text = README.read_text(encoding="utf-8").split("## Graduate to PyTorch", 1)[1]
    source = re.search(r"```python\n(.*?)```", text, re.DOTALL)
    assert source
    done = subprocess.run([sys.executable, "-c", source.group(1)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    theirs, ours = (ast.literal_eval(line) for line in done.stdout.splitlines())
    _close(ours, theirs)
