"""Optimizers: `SGD` and `Adam`, with PyTorch's update formulas.

They change each parameter's `.data` in place from its `.grad`, outside the graph: an update
is bookkeeping, not part of the computation to differentiate. The formulas follow
`torch.optim.SGD` and `torch.optim.Adam` (defaults: no dampening, no Nesterov, no AMSGrad;
weight decay added to the gradient as L2, not decoupled as in AdamW), so a run can be checked
number for number against PyTorch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

from autograd_lite import Value


def _check(name: str, value: object, high: float = math.inf) -> float:
    """`value` as a float when 0 <= value < high, else an error naming `name` and the value."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    number = float(value)
    if not 0.0 <= number < high:  # also rejects nan
        raise ValueError(f"invalid {name}: {value!r} (must be at least 0 and below {high})")
    return number


class Optimizer:
    """What SGD and Adam share: the parameters they update, and clearing their gradients."""

    def __init__(self, params: Iterable[Value]) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for p in self.params:
            if not isinstance(p, Value):
                raise TypeError(f"optimizer parameters must be Values, got {type(p).__name__}")
        if len(set(self.params)) != len(self.params):
            raise ValueError("a parameter appears more than once; it would be updated twice")

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (leaves accumulate across backward passes)."""
        for p in self.params:
            p.grad = 0.0


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and L2 weight decay.

    Per parameter p with gradient g: g += weight_decay * p; with momentum mu, the buffer is
    b = g at the first step and b = mu * b + g after, and g = b; then p -= lr * g.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = _check("learning rate", lr)
        self.momentum = _check("momentum", momentum)
        self.weight_decay = _check("weight_decay", weight_decay)
        self.buffers: list[float] | None = None  # momentum buffers, made at the first step

    def step(self) -> None:
        """Update every parameter once from its current `.grad`."""
        lr, mu, decay = self.lr, self.momentum, self.weight_decay
        grads = [p.grad + decay * p.data if decay else p.grad for p in self.params]
        if mu:
            if self.buffers is None:
                self.buffers = grads
            else:
                self.buffers = [mu * b + g for b, g in zip(self.buffers, grads)]
            grads = self.buffers
        for p, g in zip(self.params, grads):
            p.data -= lr * g


class Adam(Optimizer):
    """Adam: steps scaled per parameter by running averages of the gradient and its square.

    Per parameter at step t: g += weight_decay * p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g*g;
    p -= lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps), as `torch.optim.Adam`
    computes it (the bias corrections undo the zero start of m and v).
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params)
        self.lr = _check("learning rate", lr)
        self.betas = (_check("beta1", betas[0], high=1.0), _check("beta2", betas[1], high=1.0))
        self.eps = _check("eps", eps)
        self.weight_decay = _check("weight_decay", weight_decay)
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """Update every parameter once from its current `.grad`."""
        self.t += 1
        beta1, beta2 = self.betas
        step_size = self.lr / (1.0 - beta1**self.t)
        root_correction = math.sqrt(1.0 - beta2**self.t)
        m, v, decay, eps = self.m, self.v, self.weight_decay, self.eps
        for i, p in enumerate(self.params):
            g = p.grad + decay * p.data if decay else p.grad
            m[i] = beta1 * m[i] + (1.0 - beta1) * g
            v[i] = beta2 * v[i] + (1.0 - beta2) * g * g
            p.data -= step_size * m[i] / (math.sqrt(v[i]) / root_correction + eps)
