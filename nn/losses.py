"""Loss functions: each takes predictions and targets and returns their mean loss as a Value.

Predictions and targets are single ones or equal-length lists. The mean is one `sum` node over
the per-sample terms, so backward takes one step for it however large the batch.

Everything on logits is written to stay finite at logits of ±1000: softplus and log-sum-exp
are computed with the large part taken out before `exp`, and `binary_cross_entropy` clamps its
logarithms at -100, as PyTorch does, so a saturated probability of 0 or 1 still learns.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

from autograd_lite import Value, dot, exp, log, primitive, relu, sum
from autograd_lite import softplus as softplus  # the table's rule, re-exported as nn.softplus
from autograd_lite.value import Operand, as_value

LOG_FLOOR = -100.0
"""Where `binary_cross_entropy` clamps its logarithms, as PyTorch does: p = 0 costs 100, not inf."""

_SLOPE_FLOOR = 1e-12
"""The smallest p whose 1/p the clamped log's slope uses, PyTorch's epsilon in the BCE backward."""


def _clamped_log_float(p: float) -> float:
    """max(log p, -100), with log 0 taken as -inf."""
    return max(math.log(p), LOG_FLOOR) if p > 0 else LOG_FLOOR


def _clamped_log_slope(p: Operand) -> Operand:
    """1 / max(p, 1e-12): the slope of log p, kept large where the value is clamped.

    The clamped function is flat below e**-100, but a zero slope there would stop a saturated
    prediction from learning; this is the slope PyTorch's backward uses.
    """
    at = p.data if isinstance(p, Value) else p
    return 1 / p if at > _SLOPE_FLOOR else 1 / _SLOPE_FLOOR


clamped_log = primitive("clamped_log", _clamped_log_float, grads=(_clamped_log_slope,))


def _values(xs: Operand | Sequence[Operand]) -> list[Value]:
    """A single prediction or a list of them, as a list of Values (numbers become constants)."""
    items = xs if isinstance(xs, Sequence) else [xs]
    return [as_value(x) for x in items]


def _pairs(
    loss: str, preds: Operand | Sequence[Operand], targets: Operand | Sequence[Operand]
) -> tuple[list[Value], list[Operand]]:
    """Predictions and targets as equal-length, non-empty lists, or ValueError with both sizes."""
    if isinstance(preds, Sequence) != isinstance(targets, Sequence):
        raise ValueError(
            f"{loss}: predictions and targets must both be single values or both lists, got "
            f"{type(preds).__name__} and {type(targets).__name__}"
        )
    values = _values(preds)
    wanted = list(targets) if isinstance(targets, Sequence) else [targets]
    if len(values) != len(wanted):
        raise ValueError(f"{loss}: {len(values)} predictions but {len(wanted)} targets")
    if not values:
        raise ValueError(f"{loss}: needs at least one prediction, got an empty list")
    return values, wanted


def _check_targets(
    loss: str, targets: Sequence[object], allowed: str, ok: Callable[[float], bool]
) -> None:
    """Raise ValueError naming the first target that is not a real number passing `ok`."""
    for y in targets:
        if isinstance(y, bool) or not isinstance(y, numbers.Real) or not ok(float(y)):
            raise ValueError(f"{loss}: targets must be {allowed}, got {y!r}")


def _mean(terms: Sequence[Value]) -> Value:
    """The mean of per-sample losses: one sum node, then one division."""
    return sum(terms) / len(terms)


def mse_loss(preds: Operand | Sequence[Operand], targets: Operand | Sequence[Operand]) -> Value:
    """Mean squared error, mean of (pred - target)**2.

    The squares are summed by one `dot(d, d)` node: sum of d_i * d_i, whose derivative toward
    each d_i is 2 d_i (each d_i is both a weight and an input of the dot).
    """
    values, wanted = _pairs("mse_loss", preds, targets)
    diffs = [p - t for p, t in zip(values, wanted)]
    return dot(diffs, diffs) / len(diffs)


def binary_cross_entropy(
    probs: Operand | Sequence[Operand], targets: float | Sequence[float]
) -> Value:
    """Mean of -(y log p + (1 - y) log(1 - p)) for probabilities p and targets y in [0, 1].

    As in PyTorch, each log is clamped at -100, so p = 0 or 1 (a saturated sigmoid) gives a
    loss of at most 100 per sample, and its slope is 1 / max(p, 1e-12), so the gradient stays
    large and points toward the target. A probability outside [0, 1] is a bug upstream and
    raises ValueError. For probabilities that come from a sigmoid, `bce_with_logits` on the
    logits is better: exact and stable with no clamp.
    """
    values, wanted = _pairs("binary_cross_entropy", probs, targets)
    _check_targets("binary_cross_entropy", wanted, "numbers in [0, 1]", _unit)
    for p in values:
        if not _unit(p.data):
            raise ValueError(
                f"binary_cross_entropy: probabilities must be in [0, 1], got {p.data!r} "
                "(for logits use bce_with_logits)"
            )
    return _mean(
        [-(y * clamped_log(p) + (1 - y) * clamped_log(1 - p)) for p, y in zip(values, wanted)]
    )


def bce_with_logits(logits: Operand | Sequence[Operand], targets: float | Sequence[float]) -> Value:
    """Binary cross-entropy of sigmoid(x) against y in [0, 1], computed from the logits x.

    Per sample softplus(x) - x*y, which equals max(x, 0) - x*y + log(1 + exp(-|x|)): no exp
    of a large number, so logits of ±1000 give finite losses and gradients (sigmoid(x) - y).
    """
    values, wanted = _pairs("bce_with_logits", logits, targets)
    _check_targets("bce_with_logits", wanted, "numbers in [0, 1]", _unit)
    return _mean([softplus(x) - x * y for x, y in zip(values, wanted)])


def hinge_loss(scores: Operand | Sequence[Operand], targets: float | Sequence[float]) -> Value:
    """Mean of relu(1 - y*s) for scores s and targets y of ±1 (the SVM margin loss).

    At the margin (y*s = 1) the gradient is 0, as relu's is at 0.
    """
    values, wanted = _pairs("hinge_loss", scores, targets)
    _check_targets("hinge_loss", wanted, "-1 or 1", _sign)
    return _mean([relu(1 - y * s) for s, y in zip(values, wanted)])


def cross_entropy(
    logits: Sequence[Operand] | Sequence[Sequence[Operand]], target: int | Sequence[int]
) -> Value:
    """Softmax cross-entropy: -log softmax(logits)[target], averaged over a batch.

    One sample: a list of logits and a class index. A batch: a list of such lists and a list
    of indices. Uses log-sum-exp with the largest logit taken out (a constant, which leaves the
    gradient exact), so logits of ±1000 give finite values and gradients softmax - onehot.
    """
    if isinstance(target, Sequence):
        batch = list(logits)
        if len(batch) != len(target):
            raise ValueError(
                f"cross_entropy: {len(batch)} samples of logits but {len(target)} targets"
            )
        if not batch:
            raise ValueError("cross_entropy: needs at least one sample, got an empty batch")
        return _mean([_cross_entropy_one(row, t) for row, t in zip(batch, target)])
    return _cross_entropy_one(logits, target)


def _cross_entropy_one(logits: object, target: object) -> Value:
    """-log softmax(logits)[target] for one sample, as logsumexp(logits) - logits[target]."""
    if not isinstance(logits, Sequence) or not logits:
        raise ValueError(f"cross_entropy: needs a non-empty list of logits, got {logits!r}")
    if any(isinstance(row, Sequence) for row in logits):
        raise ValueError(
            f"cross_entropy: {len(logits)} samples of logits need a list of {len(logits)} "
            f"class indices, got the single target {target!r}"
        )
    if isinstance(target, bool) or not isinstance(target, numbers.Integral):
        raise ValueError(f"cross_entropy: a target must be a class index (int), got {target!r}")
    index = int(target)
    if not 0 <= index < len(logits):
        raise ValueError(
            f"cross_entropy: class index {index} out of range for {len(logits)} classes"
        )
    values = _values(logits)
    top = max(v.data for v in values)
    total = sum([exp(v - top) for v in values])
    return log(total) + top - values[index]


def _unit(y: float) -> bool:
    """Whether `y` is a valid binary target (a probability), 0 <= y <= 1."""
    return 0.0 <= y <= 1.0


def _sign(y: float) -> bool:
    """Whether `y` is a valid hinge target, -1 or 1."""
    return y in (-1.0, 1.0)
