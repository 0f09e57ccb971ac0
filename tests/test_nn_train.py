"""nn end to end: a seeded MLP learns two interleaved half circles (two moons) in a few seconds."""

from __future__ import annotations

import math
import random

import nn
from autograd_lite import Value


def _two_moons(n: int, seed: int, noise: float = 0.1) -> list[tuple[list[float], float]]:
    """`n` points on two interleaved half circles with Gaussian noise, labelled +1 and -1."""
    rng = random.Random(seed)
    points = []
    for i in range(n):
        angle = math.pi * rng.random()
        if i % 2 == 0:
            x, y, label = math.cos(angle), math.sin(angle), 1.0
        else:
            x, y, label = 1 - math.cos(angle), 0.5 - math.sin(angle), -1.0
        points.append(([x + rng.gauss(0, noise), y + rng.gauss(0, noise)], label))
    return points


def _score(model: nn.MLP, x: list[float]) -> Value:
    """The model's single output for x."""
    out = model(x)
    assert isinstance(out, Value)
    return out


def _accuracy(model: nn.MLP, data: list[tuple[list[float], float]]) -> float:
    """The fraction of points whose score has the sign of their label."""
    right = sum((_score(model, x).data > 0) == (label > 0) for x, label in data)
    return right / len(data)


def test_mlp_learns_two_moons_to_95_percent() -> None:
    """MLP(2, [16, 16, 1]), hinge loss, Adam with L2 decay: 30 full-batch steps on 100 points."""
    data = _two_moons(100, seed=2)
    model = nn.MLP(2, [16, 16, 1], seed=1)
    optimizer = nn.Adam(model.parameters(), lr=0.1, weight_decay=1e-4)
    assert _accuracy(model, data) < 0.6  # the untrained model is no better than a coin
    losses = []
    for _ in range(30):
        scores = [_score(model, x) for x, _ in data]
        loss = nn.hinge_loss(scores, [label for _, label in data])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
    assert losses[-1] < 0.25 * losses[0]
    assert _accuracy(model, data) >= 0.95
