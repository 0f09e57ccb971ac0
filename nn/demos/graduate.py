"""Graduate to PyTorch: train the moons model here, carry it to PyTorch, train on there.

The model of the moons demo, `MLP(2, [16, 16, 1])` with ReLU, learns the two moons with the
hinge loss plus an L2 penalty, full batch. For the first `--steps` steps it trains here, and
PyTorch trains its own copy of the same starting model side by side: the same steps from the
same start. Then the model here is carried to PyTorch, weights and activations by
`model.to_torch()`, the optimizer's settings and state (SGD's momentum buffers, Adam's step
count and averages) by `nn.pytorch.optimizer_to_torch`, and PyTorch trains it `--steps` more,
while this engine goes on too. Each step prints both engines' losses: they agree to 1e-12
(PyTorch sums its weighted sums in its own order, so the last digits may differ). At the end
the model comes back by `nn.MLP.from_torch`, with the weights PyTorch trained.

Needs the torch extra: pip install 'autograd-lite[torch]' (in a clone: pip install -e '.[torch]').

Run: autograd-lite demo graduate [--steps 50] [--optimizer sgd|adam] [--samples 100] [--seed 0]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import nn
from autograd_lite import dot
from autograd_lite.pytorch import import_torch
from nn.demos.moons import ADAM_LR, L2, accuracy, score, two_moons
from nn.pytorch import optimizer_to_torch, torch_losses

TOLERANCE = 1e-12
"""How far apart the two engines' losses may be (relative, or absolute below 1)."""


class Run:
    """The moons problem and one model trained on it here; `steps` is the whole run's length."""

    def __init__(self, samples: int, seed: int, optimizer: str, steps: int) -> None:
        self.points, self.labels = two_moons(samples, seed=seed)
        self.model = nn.MLP(2, [16, 16, 1], activation="relu", seed=seed)
        params = self.model.parameters()
        self.optimizer: nn.SGD | nn.Adam = (
            nn.Adam(params, lr=ADAM_LR) if optimizer == "adam" else nn.SGD(params, lr=1.0)
        )
        self.steps = steps

    def rate(self, k: int) -> float:
        """The learning rate of step k (from 0): SGD's decays from 1.0 towards 0.1, as in moons."""
        return 1.0 - 0.9 * k / self.steps if isinstance(self.optimizer, nn.SGD) else ADAM_LR

    def step(self, k: int) -> float:
        """One training step here; the loss before the update."""
        params = self.model.parameters()
        scores = [score(self.model, x) for x in self.points]
        loss = nn.hinge_loss(scores, self.labels) + L2 * dot(params, params)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.lr = self.rate(k)
        self.optimizer.step()
        return loss.data

    def in_torch(self) -> tuple[Any, Callable[[int], float]]:
        """The model and optimizer as they are now, carried to PyTorch: the module, and a
        function that takes step k there and returns its loss before the update."""
        import torch

        module = self.model.to_torch()
        optimizer = optimizer_to_torch(self.optimizer, self.model, module)
        inputs = torch.tensor(self.points, dtype=torch.float64)
        targets = torch.tensor(self.labels, dtype=torch.float64)
        hinge = torch_losses()["hinge_loss"]

        def step(k: int) -> float:
            scores = module(inputs).squeeze(1)
            loss = hinge(scores, targets) + L2 * sum((p * p).sum() for p in module.parameters())
            optimizer.zero_grad()
            loss.backward()
            optimizer.param_groups[0]["lr"] = self.rate(k)
            optimizer.step()
            return float(loss.item())

        return module, step


def graduate(
    steps: int = 50, optimizer: str = "sgd", samples: int = 100, seed: int = 0
) -> tuple[list[float], list[float], Run, Any]:
    """Both engines' losses for 2 * `steps` steps, the run here, and the module PyTorch trained.

    PyTorch's losses are its copy of the start's for the first `steps`, then the carried
    model's.
    """
    run = Run(samples, seed, optimizer, 2 * steps)
    module, there = run.in_torch()  # a copy of the start
    ours, theirs = [], []
    for k in range(2 * steps):
        if k == steps:
            module, there = run.in_torch()  # carried: the model and optimizer as trained here
        theirs.append(there(k))
        ours.append(run.step(k))
    return ours, theirs, run, module


def _apart(a: float, b: float) -> float:
    """|a - b|, relative where the numbers are above 1."""
    return abs(a - b) / max(1.0, abs(b))


def main(argv: list[str] | None = None) -> int:
    """Train, carry, train on; print both engines' losses step by step."""
    parser = argparse.ArgumentParser(
        prog="autograd-lite demo graduate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--steps", type=int, default=50, help="steps here, then there (50)")
    parser.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd", help="(sgd)")
    parser.add_argument("--samples", type=int, default=100, help="number of points (100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and weights (0)")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.samples < 4:
        parser.error(f"need --steps >= 1 and --samples >= 4, got {args.steps}, {args.samples}")
    try:
        torch = import_torch("the graduate demo")
    except ImportError as error:
        parser.error(str(error))

    print(
        f"Two moons, {args.samples} points, MLP(2, [16, 16, 1]) with ReLU, hinge + L2, "
        f"{args.optimizer.upper() if args.optimizer == 'sgd' else 'Adam'}; "
        f"PyTorch {torch.__version__.split('+')[0]} in float64"
    )
    print(f"Steps 1-{args.steps}: trained here; PyTorch trains a copy of the same start.")
    ours, theirs, run, module = graduate(args.steps, args.optimizer, args.samples, args.seed)
    print(f"{'step':>5}  {'autograd-lite':<20} {'PyTorch':<20} difference")
    for k, (a, b) in enumerate(zip(ours, theirs)):
        if k == args.steps:
            print(f"Carried to PyTorch after step {k}: model.to_torch() and the optimizer's state.")
            print(f"Steps {k + 1}-{2 * k}: trained there; this engine takes them too, to compare.")
        print(f"{k + 1:>5}  {a:<20.17g} {b:<20.17g} {_apart(a, b):.0e}")
    worst = max(_apart(a, b) for a, b in zip(ours, theirs))
    back = nn.MLP.from_torch(module)
    weights = max(_apart(p.data, q.data) for p, q in zip(run.model.parameters(), back.parameters()))
    with_here = accuracy([score(run.model, x) for x in run.points], run.labels)
    print(
        f"Largest difference of the losses: {worst:.0e} "
        f"({'within' if worst <= TOLERANCE else 'NOT within'} {TOLERANCE:.0e})."
    )
    print(f"Back by nn.MLP.from_torch: {back!r}, weights within {weights:.0e} of this engine's.")
    print(f"Training accuracy: {with_here:.0%}.")
    return 0 if worst <= TOLERANCE else 1


if __name__ == "__main__":
    raise SystemExit(main())
