"""Neural-network building blocks on top of autograd_lite: models, losses, optimizers, files.

>>> import nn
>>> model = nn.MLP(2, [4, 1], seed=0)
>>> loss = nn.mse_loss([model([1.0, -1.0])], [0.5])
>>> loss.backward()
>>> optimizer = nn.SGD(model.parameters(), lr=0.1)
>>> optimizer.step()
"""

from nn.layers import ACTIVATIONS, MLP, Layer, Neuron, load
from nn.losses import (
    bce_with_logits,
    binary_cross_entropy,
    cross_entropy,
    hinge_loss,
    mse_loss,
    softplus,
)
from nn.module import Module
from nn.optim import SGD, Adam, Optimizer
from nn.recorder import Recorder

# Plain sorted() order, as tests/test_api.py checks (ruff's isort-style order would put the
# all-capital MLP and SGD first).
__all__ = [
    "ACTIVATIONS",
    "MLP",
    "SGD",
    "Adam",
    "Layer",
    "Module",
    "Neuron",
    "Optimizer",
    "Recorder",
    "bce_with_logits",
    "binary_cross_entropy",
    "cross_entropy",
    "hinge_loss",
    "load",
    "mse_loss",
    "softplus",
]
