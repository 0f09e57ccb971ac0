"""nn losses: values and gradients against PyTorch's numbers, finite differences, ±1000 logits.

The reference numbers were computed once with torch 2.13.0 in float64 (torch.nn.functional
mse_loss, binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy; hinge as
relu(1 - y*s).mean()) and are written out here: the tests do not need torch.
"""

from __future__ import annotations

import math

import pytest

import nn
from autograd_lite import Value, sigmoid


def _grads(loss_fn, xs: list[float]) -> tuple[float, list[float]]:
    """The loss at xs and its reverse-mode gradient toward each x."""
    values = [Value(x) for x in xs]
    loss = loss_fn(values)
    loss.backward()
    return loss.data, [v.grad for v in values]


def _numeric(loss_fn, xs: list[float], h: float = 1e-6) -> list[float]:
    """Central finite differences of the loss toward each x."""
    out = []
    for i in range(len(xs)):
        up, down = list(xs), list(xs)
        up[i] += h
        down[i] -= h
        out.append((loss_fn(up).data - loss_fn(down).data) / (2 * h))
    return out


def test_mse_matches_torch() -> None:
    """mean((x - t)²) of [0.3, -1.2, 2.5] against [0.5, -1, 2], and 2(x - t)/n."""
    loss, grads = _grads(lambda x: nn.mse_loss(x, [0.5, -1.0, 2.0]), [0.3, -1.2, 2.5])
    assert loss == pytest.approx(0.10999999999999999, rel=1e-14)
    expected = [-0.13333333333333333, -0.1333333333333333, 0.3333333333333333]
    assert grads == pytest.approx(expected, rel=1e-13)


def test_mse_of_single_values_and_of_plain_numbers() -> None:
    """One prediction and one target give (p - t)²; plain numbers still give a Value."""
    assert nn.mse_loss(Value(3.0), 1.0).data == 4.0
    result = nn.mse_loss([1.0, 2.0], [0.0, 0.0])
    assert isinstance(result, Value)
    assert result.data == 2.5


def test_binary_cross_entropy_matches_torch() -> None:
    """BCE of p = [0.9, 0.2, 0.6] against y = [1, 0, 0.3]."""
    loss, grads = _grads(lambda p: nn.binary_cross_entropy(p, [1.0, 0.0, 0.3]), [0.9, 0.2, 0.6])
    assert loss == pytest.approx(0.3743850888045806, rel=1e-14)
    expected = [-0.3703703703703704, 0.4166666666666666, 0.4166666666666667]
    assert grads == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize(
    ("prob", "target", "loss", "grad"),
    [(0.0, 1.0, 100.0, -1e12), (1.0, 0.0, 100.0, 1e12), (1e-20, 1.0, 46.051701859880914, -1e12)],
)
def test_binary_cross_entropy_clamps_its_logs_at_minus_100_as_torch_does(
    prob: float, target: float, loss: float, grad: float
) -> None:
    """A saturated probability costs at most 100 and its gradient still points to the target."""
    p = Value(prob)
    result = nn.binary_cross_entropy(p, target)
    result.backward()
    assert result.data == pytest.approx(loss, rel=1e-15)
    assert p.grad == pytest.approx(grad, rel=1e-15)


def test_binary_cross_entropy_of_saturated_sigmoids_is_finite() -> None:
    """sigmoid(±1000) is exactly 1 or 0, the wrong way round here: a loss of 100 each."""
    logits = [Value(1000.0), Value(-1000.0)]
    probs = [sigmoid(z) for z in logits]
    loss = nn.binary_cross_entropy(probs, [0.0, 1.0])
    loss.backward()
    assert loss.data == 100.0
    assert probs[0].grad > 1e11  # toward its target 0
    assert probs[1].grad < -1e11  # toward its target 1
    assert all(math.isfinite(z.grad) for z in logits)


@pytest.mark.parametrize("prob", [1.5, -0.1, math.nan])
def test_binary_cross_entropy_refuses_a_probability_outside_0_1(prob: float) -> None:
    """A probability of 1.5 is a bug upstream (a logit passed as a probability): ValueError."""
    with pytest.raises(ValueError, match=rf"probabilities must be in \[0, 1\], got {prob}"):
        nn.binary_cross_entropy([Value(0.5), Value(prob)], [1.0, 1.0])


def test_bce_with_logits_matches_torch_including_zero_and_1000() -> None:
    """Logits [0.8, -2, 0, 1000, -1000]: loss and gradient (sigmoid(x) - y)/n, exact at x = 0."""
    targets = [1.0, 0.0, 1.0, 0.0, 0.25]
    loss, grads = _grads(
        lambda z: nn.bce_with_logits(z, targets), [0.8, -2.0, 0.0, 1000.0, -1000.0]
    )
    assert loss == pytest.approx(250.23823517151013, rel=1e-14)
    expected = [-0.0620051037744775, 0.02384058440442351, -0.1, 0.2, -0.05]
    assert grads == pytest.approx(expected, rel=1e-13)


def test_bce_with_logits_at_1000_costs_1000() -> None:
    """A confident wrong logit of ±1000 costs 1000 with gradient ±1 (finite, no overflow)."""
    loss, grads = _grads(lambda z: nn.bce_with_logits(z, [0.0, 1.0]), [1000.0, -1000.0])
    assert loss == 1000.0
    assert grads == [0.5, -0.5]


def test_softplus_is_log1p_exp_with_sigmoid_slope() -> None:
    """softplus(x) = log(1 + e**x) and d/dx = sigmoid(x), for small and huge x."""
    for x in (-1000.0, -3.0, 0.0, 2.0, 1000.0):
        v = Value(x)
        out = nn.softplus(v)
        out.backward()
        assert out.data == pytest.approx(max(x, 0) + math.log1p(math.exp(-abs(x))), rel=1e-15)
        assert v.grad == pytest.approx(sigmoid(x), rel=1e-15)
    assert nn.softplus(0.0) == pytest.approx(math.log(2.0), rel=1e-15)


def test_hinge_loss_matches_hand_computation() -> None:
    """relu(1 - y*s) for s = [0.5, -2, 3], y = [1, -1, -1] is [0.5, 0, 4], mean 1.5."""
    loss, grads = _grads(lambda s: nn.hinge_loss(s, [1.0, -1.0, -1.0]), [0.5, -2.0, 3.0])
    assert loss == 1.5
    assert grads == pytest.approx([-1 / 3, 0.0, 1 / 3], rel=1e-15)


def test_hinge_loss_at_1000() -> None:
    """Scores of ±1000 give a margin loss of 0 or 1001, finite gradients."""
    loss, grads = _grads(lambda s: nn.hinge_loss(s, [1, 1]), [1000.0, -1000.0])
    assert loss == 1001.0 / 2
    assert grads == [0.0, -0.5]


def test_cross_entropy_one_sample_matches_torch() -> None:
    """-log softmax([1, 2, 0.5])[2] and softmax - onehot."""
    loss, grads = _grads(lambda z: nn.cross_entropy(z, 2), [1.0, 2.0, 0.5])
    assert loss == pytest.approx(1.964368784107945, rel=1e-14)
    expected = [0.23122389762214904, 0.6285317192117624, -0.8597556168339116]
    assert grads == pytest.approx(expected, rel=1e-13)


def test_cross_entropy_batch_with_1000_logits_matches_torch() -> None:
    """A batch [[1, 2, 0.5], [1000, -1000, 0]] with classes [0, 1]: mean loss ≈ 1000.73."""
    loss, grads = _grads(
        lambda z: nn.cross_entropy([z[:3], z[3:]], [0, 1]), [1.0, 2.0, 0.5, 1000.0, -1000.0, 0.0]
    )
    assert loss == pytest.approx(1000.732184392054, rel=1e-14)
    expected = [-0.3843880511889255, 0.3142658596058812, 0.07012219158304424, 0.5, -0.5, 0.0]
    assert grads == pytest.approx(expected, rel=1e-13, abs=1e-300)


def test_cross_entropy_far_apart_logits_stay_finite() -> None:
    """Logits ±1000 apart: a loss of 2000 for the wrong class, 0 for the right one."""
    assert nn.cross_entropy([1000.0, -1000.0, 0.0], 1).data == 2000.0
    assert nn.cross_entropy([1000.0, -1000.0, 0.0], 0).data == 0.0


@pytest.mark.parametrize(
    ("loss_fn", "xs"),
    [
        (lambda x: nn.mse_loss(x, [0.5, -1.0, 2.0]), [0.3, -1.2, 2.5]),
        (lambda p: nn.binary_cross_entropy(p, [1.0, 0.0, 0.3]), [0.9, 0.2, 0.6]),
        (lambda z: nn.bce_with_logits(z, [1.0, 0.0, 0.7]), [0.8, -2.0, 3.1]),
        (lambda s: nn.hinge_loss(s, [1.0, -1.0, 1.0]), [0.5, -2.0, -0.3]),
        (lambda z: nn.cross_entropy(z, 1), [0.3, -1.1, 2.2, 0.0]),
        (lambda z: nn.cross_entropy([z[:2], z[2:]], [1, 0]), [0.3, -1.1, 2.2, 0.0]),
    ],
)
def test_loss_gradients_agree_with_finite_differences(loss_fn, xs) -> None:
    """Reverse mode and central differences (step 1e-6) agree to 1e-7 away from kinks."""
    _, grads = _grads(loss_fn, xs)
    assert grads == pytest.approx(_numeric(loss_fn, xs), abs=1e-7)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: nn.mse_loss([1.0, 2.0], [1.0]), "mse_loss: 2 predictions but 1 targets"),
        (lambda: nn.mse_loss([1.0], 1.0), "both be single values or both lists"),
        (lambda: nn.hinge_loss([], []), "needs at least one prediction"),
        (lambda: nn.hinge_loss([1.0], [0.0]), "hinge_loss: targets must be -1 or 1, got 0.0"),
        (lambda: nn.bce_with_logits(0.0, 1.5), r"targets must be numbers in \[0, 1\], got 1.5"),
        (lambda: nn.binary_cross_entropy(0.5, -1), r"in \[0, 1\], got -1"),
        (lambda: nn.cross_entropy([1.0, 2.0], 2), "class index 2 out of range for 2 classes"),
        (lambda: nn.cross_entropy([1.0, 2.0], -1), "class index -1 out of range"),
        (lambda: nn.cross_entropy([1.0, 2.0], 1.0), r"class index \(int\), got 1.0"),
        (lambda: nn.cross_entropy([], 0), "non-empty list of logits"),
        (lambda: nn.cross_entropy([[1.0, 2.0]], [0, 1]), "1 samples of logits but 2 targets"),
        (lambda: nn.cross_entropy([[1.0], [2.0]], 0), "2 samples of logits need a list of 2"),
    ],
)
def test_bad_loss_arguments_say_what_is_wrong(call, message) -> None:
    """Mismatched lengths, bad targets and class indices raise ValueError with the numbers."""
    with pytest.raises(ValueError, match=message):
        call()


def test_losses_reduce_with_one_sum_node() -> None:
    """The mean over a batch is one sum node (then a division), whatever the batch size."""
    loss = nn.hinge_loss([Value(0.1 * i) for i in range(50)], [1.0] * 50)
    assert loss.op == "/"
    assert loss.parents[0].op == "sum"
    assert len(loss.parents[0].parents) == 50
