"""nn optimizers: three steps on a small quadratic match PyTorch's trajectories; bad settings fail.

f(p) = (p0 - 1)² + 3 p1² + p0 p1 from p = (2, -1.5); its gradient is (2(p0 - 1) + p1, 6 p1 + p0).
The trajectories were computed once with torch 2.13.0 (torch.optim.SGD / Adam, float64) and
are written out here; the first SGD step is also worked by hand.
"""

from __future__ import annotations

import pytest

import nn
from autograd_lite import Value


def _quadratic(p: list[Value]) -> Value:
    return (p[0] - 1) ** 2 + 3 * p[1] ** 2 + p[0] * p[1]


def _trajectory(make, steps: int = 3) -> list[list[float]]:
    params = [Value(2.0), Value(-1.5)]
    optimizer = make(params)
    points = []
    for _ in range(steps):
        optimizer.zero_grad()
        _quadratic(params).backward()
        optimizer.step()
        points.append([p.data for p in params])
    return points


def _close(got: list[list[float]], expected: list[list[float]]) -> None:
    for point, reference in zip(got, expected, strict=True):
        assert point == pytest.approx(reference, rel=1e-13, abs=1e-15)


def test_sgd_first_step_by_hand() -> None:
    """g = (2(2-1) - 1.5, 6(-1.5) + 2) = (0.5, -7); p - 0.1 g = (1.95, -0.8)."""
    assert _trajectory(lambda ps: nn.SGD(ps, lr=0.1), steps=1) == [
        pytest.approx([1.95, -0.8], rel=1e-15)
    ]


def test_sgd_matches_torch() -> None:
    """Plain SGD, lr 0.1."""
    _close(
        _trajectory(lambda ps: nn.SGD(ps, lr=0.1)),
        [[1.95, -0.8], [1.84, -0.515], [1.7235, -0.39]],
    )


def test_sgd_momentum_and_weight_decay_match_torch() -> None:
    """SGD lr 0.1, momentum 0.9 (first buffer = g), weight decay 0.01."""
    _close(
        _trajectory(lambda ps: nn.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01)),
        [[1.948, -0.7985], [1.789502, 0.11794849999999997], [1.475369048, 0.6929149015]],
    )


def test_adam_matches_torch() -> None:
    """Adam lr 0.1 with the default betas and eps: the first step moves each p by lr."""
    _close(
        _trajectory(lambda ps: nn.Adam(ps, lr=0.1)),
        [
            [1.900000002, -1.4000000001428572],
            [1.8011874236938898, -1.3002614697083859],
            [1.7048414086049608, -1.2009909321594776],
        ],
    )


def test_adam_with_all_settings_matches_torch() -> None:
    """Adam lr 0.05, betas (0.8, 0.99), eps 1e-6, weight decay 0.1 (L2, added to g)."""
    _close(
        _trajectory(lambda ps: nn.Adam(ps, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
        [
            [1.9500000714284693, -1.450000006993006],
            [1.9002586803375463, -1.4001045516981345],
            [1.8509753875054265, -1.3503874930658284],
        ],
    )


def test_step_updates_data_in_place_without_building_a_graph() -> None:
    """A step changes .data of the same leaf objects; they stay leaves with no parents."""
    params = [Value(1.0), Value(2.0)]
    params[0].grad, params[1].grad = 1.0, -1.0
    for optimizer in (nn.SGD(params, lr=0.5, momentum=0.5), nn.Adam(params)):
        optimizer.step()
    assert all(p.parents == () and p.op == "" for p in params)
    assert params[0].data < 1.0 < 2.0 < params[1].data


def test_zero_grad_clears_the_optimizer_parameters() -> None:
    """zero_grad sets every parameter's gradient to 0."""
    params = [Value(1.0), Value(2.0)]
    (params[0] * params[1]).backward()
    optimizer = nn.Adam(params)
    optimizer.zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


def test_optimizers_take_a_model_parameters() -> None:
    """One step of SGD on a model's loss lowers it."""
    model = nn.MLP(2, [4, 1], seed=0)
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    before = nn.mse_loss(model([1.0, -1.0]), 2.0)
    before.backward()
    optimizer.step()
    assert nn.mse_loss(model([1.0, -1.0]), 2.0).data < before.data


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda ps: nn.SGD(ps, lr=-0.1), ValueError, "invalid learning rate: -0.1"),
        (lambda ps: nn.SGD(ps, lr=float("nan")), ValueError, "invalid learning rate: nan"),
        (lambda ps: nn.SGD(ps, lr=0.1, momentum=-1), ValueError, "invalid momentum: -1"),
        (lambda ps: nn.SGD(ps, lr=0.1, weight_decay=-1e-4), ValueError, "weight_decay"),
        (lambda ps: nn.SGD(ps, lr="0.1"), TypeError, "learning rate must be a real number"),
        (lambda ps: nn.Adam(ps, lr=-1e-3), ValueError, "invalid learning rate: -0.001"),
        (lambda ps: nn.Adam(ps, betas=(1.0, 0.999)), ValueError, "invalid beta1: 1.0"),
        (lambda ps: nn.Adam(ps, betas=(0.9, -0.1)), ValueError, "invalid beta2: -0.1"),
        (lambda ps: nn.Adam(ps, eps=-1e-8), ValueError, "invalid eps"),
        (lambda ps: nn.SGD([], lr=0.1), ValueError, "empty parameter list"),
        (lambda ps: nn.SGD([*ps, ps[0]], lr=0.1), ValueError, "more than once"),
        (lambda ps: nn.Adam([1.0]), TypeError, "must be Values, got float"),
    ],
)
def test_bad_settings_are_refused(build, error, message) -> None:
    """Negative rates, betas outside [0, 1), empty or repeated parameters are errors."""
    with pytest.raises(error, match=message):
        build([Value(1.0), Value(2.0)])
