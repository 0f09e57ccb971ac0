"""micrograd's demo training step, written once per engine, plus the hand-written float floor.

The demo (micrograd's `demo.ipynb`): an MLP 2-16-16-1 with relu hidden layers and a linear
output, on 100 two-moons points with labels ±1, loss = mean hinge loss relu(1 - y*score) plus
1e-4 * sum(p*p), one SGD step with learning rate 1 - 0.9*k/100 at step k.

Parameters travel between engines as one flat list of floats in `nn`'s order (per neuron its
weights in input order, then its bias; neurons and layers in order), which is micrograd's too,
so every variant starts from micrograd's own random initial weights.
"""

from __future__ import annotations

import itertools
import random
from operator import add, mul

import autograd_lite as ag
import nn
from autograd_lite.compiling import CompiledFunction
from nn.demos.moons import point_loss, two_moons

SIZES = (2, 16, 16, 1)
ALPHA = 1e-4


def moons(n: int = 100, seed: int = 1337):
    """The moons demo's data (`nn.demos.moons.two_moons`, made as scikit-learn's `make_moons`)."""
    return two_moons(n, seed=seed)


def learning_rate(k: int) -> float:
    """micrograd's demo schedule (100 steps), started again every 100 steps."""
    return 1.0 - 0.9 * (k % 100) / 100


# ---------------------------------------------------------------- micrograd 0.1.0, as its demo


def micrograd_model(seed: int = 1337):
    """micrograd's MLP(2, [16, 16, 1]) with its own initialisation (global `random`, seeded)."""
    from micrograd.nn import MLP

    random.seed(seed)
    return MLP(2, [16, 16, 1])


def micrograd_step(model, xs, ys, k: int) -> float:
    """The demo's `loss()` and update, verbatim apart from names."""
    from micrograd.engine import Value

    inputs = [list(map(Value, x)) for x in xs]
    scores = list(map(model, inputs))
    losses = [(1 + -y * score).relu() for y, score in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    lr = learning_rate(k)
    for p in model.parameters():
        p.data -= lr * p.grad
    return float(total.data)


# ---------------------------------------------------------------- autograd_lite's nn


def nn_model(weights: list[float]) -> nn.MLP:
    """`nn.MLP(2, [16, 16, 1], activation="relu")` holding `weights`."""
    model = nn.MLP(SIZES[0], list(SIZES[1:]), activation="relu")
    for p, w in zip(model.parameters(), weights, strict=True):
        p.data = w
    return model


def nn_step(model: nn.MLP, optimizer: nn.SGD, xs, ys, k: int) -> float:
    """The demo step with `nn`: one `dot` node per neuron, `hinge_loss`, `SGD`."""
    params = model.parameters()
    scores = [model(x) for x in xs]
    total = nn.hinge_loss(scores, ys) + ALPHA * ag.dot(params, params)
    optimizer.zero_grad()
    total.backward()
    optimizer.lr = learning_rate(k)
    optimizer.step()
    return total.data


# ---------------------------------------------------------------- op by op, any Value class


def op_by_op_layers(value_class, weights: list[float]):
    """Per layer, per neuron, (weights, bias) as Values of `value_class`."""
    layers, i = [], 0
    for nin, nout in itertools.pairwise(SIZES):
        layer = []
        for _ in range(nout):
            ws = [value_class(w) for w in weights[i : i + nin]]
            layer.append((ws, value_class(weights[i + nin])))
            i += nin + 1
        layers.append(layer)
    return layers


def op_by_op_step(value_class, layers, xs, ys, k: int) -> float:
    """micrograd's demo code shape (a `+` and a `*` node per weight) on another engine."""
    params = [p for layer in layers for w, b in layer for p in (*w, b)]
    losses = []
    for x, y in zip(xs, ys):
        h = [value_class(v) for v in x]
        for depth, layer in enumerate(layers):
            out = [sum((wi * hi for wi, hi in zip(w, h)), b) for w, b in layer]
            h = [z.relu() for z in out] if depth < len(layers) - 1 else out
        losses.append((1 + -y * h[0]).relu())
    total = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in params)
    for p in params:
        p.grad = 0.0
    total.backward()
    lr = learning_rate(k)
    for p in params:
        p.data -= lr * p.grad
    return total.data


# ---------------------------------------------------------------- one sample: compiled and by hand


def compiled_loss(weights: list[float]) -> tuple[CompiledFunction, list[ag.Value]]:
    """The moons demo's compiled loss of one point, `compile(point_loss(model), wrt=params)`,
    on `nn_model(weights)` (the demo's `--compiled` and `--batched` function), and the params."""
    model = nn_model(weights)
    params = model.parameters()
    return ag.compile(point_loss(model), wrt=params), params


def compiled_step(compiled, params: list[ag.Value], xs, ys, k: int) -> float:
    """A demo step through the compiled loss, one sample at a time: mean, L2 term, SGD."""
    n = len(xs)
    loss = 0.0
    total = [0.0] * len(params)
    for (x0, x1), y in zip(xs, ys):
        value, _, grads = compiled(x0, x1, y)
        loss += value
        total = list(map(add, total, grads))
    return _sgd(params, loss / n, total, n, k)


def _sgd(params: list[ag.Value], mean: float, sums: list[float], n: int, k: int) -> float:
    """The L2 term added to the mean loss, and the SGD update of the params' `.data`."""
    weights = [p.data for p in params]
    loss = mean + ALPHA * sum(map(mul, weights, weights))
    lr, scale, decay = learning_rate(k), 1.0 / n, 2.0 * ALPHA
    for p, w, g in zip(params, weights, sums):
        p.data = w - lr * (g * scale + decay * w)
    return loss


def float_sample(x0, x1, y, *p):
    """One point's hinge loss and its gradient toward all 340 arguments (the point, its label,
    the parameters in `nn`'s order), by hand with floats.

    The same forward and the full backward, with no shortcut on the data (a zero relu
    gradient is multiplied through, as generated code does), so it is the floor for the
    compiled function: the arithmetic alone, written as well as plain Python allows.
    """
    n1, n2 = SIZES[1], SIZES[2]
    s1, s2 = 3, n1 + 1  # floats per neuron in layers 1 and 2
    o2 = n1 * s1
    o3 = o2 + n2 * s2
    w1 = [p[i * s1 : i * s1 + 2] for i in range(n1)]
    w2 = [p[o2 + i * s2 : o2 + i * s2 + n1] for i in range(n2)]
    w3 = p[o3 : o3 + n2]
    z1 = [w[0] * x0 + w[1] * x1 + p[i * s1 + 2] for i, w in enumerate(w1)]
    h1 = [z if z > 0 else 0.0 for z in z1]
    z2 = [sum(map(mul, w, h1)) + p[o2 + i * s2 + n1] for i, w in enumerate(w2)]
    h2 = [z if z > 0 else 0.0 for z in z2]
    score = sum(map(mul, w3, h2)) + p[o3 + n2]
    margin = 1.0 - y * score
    loss = margin if margin > 0 else 0.0
    # reverse pass
    dm = 1.0 if margin > 0 else 0.0
    ds = -y * dm
    dy = -score * dm
    dh2 = [ds * w for w in w3]
    dz2 = [d if z > 0 else 0.0 for d, z in zip(dh2, z2)]
    dh1 = [0.0] * n1
    grads = [0.0, 0.0, dy]
    g2 = []
    for w, d in zip(w2, dz2):
        dh1 = list(map(add, dh1, [d * v for v in w]))
        g2 += [d * v for v in h1]
        g2.append(d)
    dz1 = [d if z > 0 else 0.0 for d, z in zip(dh1, z1)]
    for w, d in zip(w1, dz1):
        grads[0] += d * w[0]
        grads[1] += d * w[1]
        grads += (d * x0, d * x1, d)
    grads += g2
    grads += [ds * v for v in h2]
    grads.append(ds)
    return loss, tuple(grads)


def float_step(weights: list[float], xs, ys, k: int) -> float:
    """The whole demo step by hand in floats, as fast as plain Python goes: the floor.

    Gradients are accumulated straight into per-layer lists, and a sample whose hinge is flat
    (margin <= 0, gradient 0) skips the reverse pass, as a person writing it would.
    """
    n1, n2 = SIZES[1], SIZES[2]
    o2 = 3 * n1
    o3 = o2 + (n1 + 1) * n2
    rows1 = [weights[3 * i : 3 * i + 3] for i in range(n1)]
    rows2 = [weights[o2 + (n1 + 1) * i : o2 + (n1 + 1) * (i + 1)] for i in range(n2)]
    w2 = [row[:n1] for row in rows2]
    w3, b3 = weights[o3 : o3 + n2], weights[o3 + n2]
    g1 = [[0.0, 0.0, 0.0] for _ in range(n1)]
    g2 = [[0.0] * (n1 + 1) for _ in range(n2)]
    g3 = [0.0] * (n2 + 1)
    loss = 0.0
    for (x0, x1), y in zip(xs, ys):
        z1 = [a * x0 + b * x1 + c for a, b, c in rows1]
        h1 = [z if z > 0 else 0.0 for z in z1]
        z2 = [sum(map(mul, w, h1)) + row[n1] for w, row in zip(w2, rows2)]
        h2 = [z if z > 0 else 0.0 for z in z2]
        margin = 1.0 - y * (sum(map(mul, w3, h2)) + b3)
        if margin <= 0:
            continue
        loss += margin
        ds = -y
        g3 = list(map(add, g3, [*(ds * h for h in h2), ds]))
        dh1 = [0.0] * n1
        for i, (z, w) in enumerate(zip(z2, w2)):
            if z > 0:
                d = ds * w3[i]
                g2[i] = list(map(add, g2[i], [*(d * h for h in h1), d]))
                dh1 = list(map(add, dh1, [d * v for v in w]))
        for i, z in enumerate(z1):
            if z > 0:
                d = dh1[i]
                row = g1[i]
                row[0] += d * x0
                row[1] += d * x1
                row[2] += d
    n = len(xs)
    total = loss / n + ALPHA * sum(map(mul, weights, weights))
    grads = [g for row in g1 for g in row] + [g for row in g2 for g in row] + g3
    lr, scale, decay = learning_rate(k), 1.0 / n, 2.0 * ALPHA
    weights[:] = [w - lr * (g * scale + decay * w) for w, g in zip(weights, grads)]
    return total


def per_sample_step(per_sample, weights: list[float], xs, ys, k: int) -> tuple[float, list[float]]:
    """A demo step from a per-sample `(loss, grads)` function: mean, L2 term, SGD, in floats."""
    n = len(xs)
    loss = 0.0
    total = [0.0] * len(weights)
    for (x0, x1), y in zip(xs, ys):
        value, grads = per_sample(x0, x1, y, *weights)
        loss += value
        total = list(map(add, total, grads[3:]))
    loss = loss / n + ALPHA * sum(map(mul, weights, weights))
    lr = learning_rate(k)
    scale, decay = 1.0 / n, 2.0 * ALPHA
    weights[:] = [w - lr * (g * scale + decay * w) for w, g in zip(weights, total)]
    return loss, weights
