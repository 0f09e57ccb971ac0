"""Exercises: the same seed and level give the same formula, inside every op's domain."""

from __future__ import annotations

import math

import pytest

from autograd_lite import gradcheck
from autograd_lite.exercises import LEVELS, exercise
from autograd_lite.expr import parse


def test_an_exercise_is_made_again_from_its_seed() -> None:
    """Seed and level fix the formula and point; other seeds give other exercises."""
    for level in LEVELS:
        assert exercise(5, level) == exercise(5, level)
    assert len({exercise(seed, 1).expr for seed in range(30)}) >= 8
    assert len({tuple(exercise(seed, 2).point.values()) for seed in range(30)}) == 30


def test_level_1_is_sums_and_products_of_two_inputs() -> None:
    """Only + and * (and digits, brackets), over x and y, both used; two or three operations."""
    for seed in range(40):
        made = exercise(seed, 1)
        assert set(made.expr) <= set("xy+*() 0123456789"), made.expr
        assert parse(made.expr).variables in (("x", "y"), ("y", "x"))
        assert 2 <= made.expr.count("+") + made.expr.count("*") <= 3


def test_level_2_is_a_tanh_neuron_and_level_3_the_2_2_2_network() -> None:
    """tanh of a named weighted sum; the network has 8 weights, 2 biases, 2 inputs."""
    neuron = exercise(1, 2)
    assert neuron.expr == "tanh(n := w1*x1 + w2*x2 + b)"
    network = exercise(1, 3)
    assert sorted(network.point) == sorted(
        ["i1", "i2", "b1", "b2", *(f"w{k}" for k in range(1, 9))]
    )
    _, output = network.build()
    assert output.label == "f"
    assert network.expr.count("sigmoid") == 4


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_every_exercise_is_inside_every_ops_domain(level: int) -> None:
    """Finite value and gradients, which agree with finite differences, at one-decimal points."""
    for seed in range(15):
        made = exercise(seed, level)
        assert all(round(x, 1) == x for x in made.point.values())
        inputs, output = made.build()
        output.backward()
        assert math.isfinite(output.data)
        assert all(math.isfinite(x.grad) for x in inputs)
        assert gradcheck(parse(made.expr), list(made.point.values()))


def test_a_level_outside_1_to_3_is_refused() -> None:
    """One sentence naming the bad level."""
    with pytest.raises(ValueError, match="level must be 1, 2 or 3, got 4"):
        exercise(0, 4)
    with pytest.raises(ValueError, match="got True"):
        exercise(0, True)
