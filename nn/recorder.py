"""`Recorder`: a training run kept step by step, and written as one page that replays it.

What a learner wants to see while a network trains is the numbers: the loss, each weight and
its gradient, and for one sample its forward values and the error term δ of every neuron. The
recorder keeps, at every step, exactly the floats Python computed (nothing is recomputed for
the page), and `save()` writes them with a small script and style shipped next to this module
(`replay.js`, `replay.css`) into one HTML file that needs no network.

Step k of the page is the k-th call of `snapshot` (the k-th optimizer step): its loss and
gradients (computed at the weights of step k-1), the update, and the weights after it; step 0
is the weights before training. The per-sample numbers are read from the loss's graph: the
weighted sum of a neuron for a sample is the `dot` node whose operands are that neuron's
weights and bias and that sample's inputs, and its `.grad` after `backward()` is the sample's
δ = d(loss)/d(weighted sum) (Nielsen, "Neural Networks and Deep Learning", ch. 2).
"""

from __future__ import annotations

import html
import json
import math
import numbers
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from autograd_lite import Value, record
from nn.io import StrPath
from nn.layers import MLP, Layer, Neuron
from nn.module import Module
from nn.optim import SGD, Adam, Optimizer

SAMPLES = 4
"""How many samples (the first ones) get their forward values and δ recorded by default."""

Json = dict[str, Any]


class Recorder:
    """Keeps a training run's numbers, step by step, and writes the page that replays them.

    Args:
        model: an `nn.MLP`, `nn.Layer` or `nn.Neuron` being trained.
        xs: the training inputs, a list of input lists of length `model.nin`.
        ys: the targets, one per input (numbers, or class indices).
        optimizer: the `nn.SGD` or `nn.Adam` that updates the model; with it the page writes
            each update as its formula (learning rate, momentum buffer, Adam's m and v).
        samples: indices into `xs` whose forward values and δ are recorded at every step
            (default: the first four).

    Call `snapshot(loss)` after each optimizer step, `save(path)` at the end. Raises
    TypeError for a model that is not made of neurons, ValueError when `xs` and `ys` do not
    fit the model or each other.
    """

    def __init__(
        self,
        model: Module,
        xs: Sequence[Sequence[float]],
        ys: Sequence[Any],
        *,
        optimizer: Optimizer | None = None,
        samples: Sequence[int] | None = None,
    ) -> None:
        self.model = model
        self.layers = _layers(model)
        nin = self.layers[0][0][1].nin
        self.xs = [[_number(x, "an input") for x in row] for row in xs]
        self.ys = list(ys)
        if not self.xs or len(self.xs) != len(self.ys):
            raise ValueError(f"need as many targets as inputs, got {len(self.xs)} and {len(ys)}")
        if any(len(row) != nin for row in self.xs):
            bad = next(len(row) for row in self.xs if len(row) != nin)
            raise ValueError(f"{model!r} takes {nin} inputs, an input row has {bad}")
        chosen = range(min(SAMPLES, len(self.xs))) if samples is None else samples
        if any(not 0 <= i < len(self.xs) for i in chosen):
            raise ValueError(f"samples must index xs (0 to {len(self.xs) - 1}), got {chosen!r}")
        self.samples = list(chosen)
        self.optimizer = optimizer
        self.names = [name for name, _ in model.named_parameters()]
        self._params = model.parameters()
        self.weights: list[list[float]] = [[p.data for p in self._params]]
        self.records: list[Json] = []

    @property
    def steps(self) -> int:
        """How many steps are recorded (snapshots taken)."""
        return len(self.records)

    @property
    def losses(self) -> list[float]:
        """The loss of each recorded step, in order."""
        return [record["loss"] for record in self.records]

    def snapshot(self, loss: Value | float) -> None:
        """Record the step just taken: `loss` (whose `backward()` gave the gradients), every
        parameter's gradient and new value, the optimizer's state, and the chosen samples'
        forward values and δ from `loss`'s graph (none when `loss` is a plain number)."""
        record: Json = {
            "loss": float(loss.data if isinstance(loss, Value) else _number(loss, "a loss")),
            "grads": [p.grad for p in self._params],
            "samples": self._sample_values(loss) if isinstance(loss, Value) else {},
        }
        record |= _optimizer_state(self.optimizer)
        self.records.append(record)
        self.weights.append([p.data for p in self._params])

    def save(self, path: StrPath) -> Path:
        """Write the replay page to `path` (one self-contained HTML file) and return its path.

        ValueError when nothing was recorded; missing folders are made; the file is written
        whole or not at all.
        """
        if not self.records:
            raise ValueError("nothing to replay: call snapshot(loss) after each optimizer step")
        data = json.dumps(self.data(), separators=(",", ":"), allow_nan=False)
        title = html.escape(f"{self.model!r}: {self.steps} training steps, replayed")
        page = _TEMPLATE.format(
            title=title,
            style=_asset("replay.css"),
            script=_asset("replay.js"),
            data=data.replace("<", "\\u003c"),
        )
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.tmp")
        try:
            temporary.write_text(page, encoding="utf-8")
            os.replace(temporary, target)
        except BaseException:  # no half-written page left beside the target
            temporary.unlink(missing_ok=True)
            raise
        return target

    def data(self) -> Json:
        """Everything the page shows, as named fields (non-finite numbers as strings)."""
        model: Json = {
            "repr": repr(self.model),
            "nin": self.layers[0][0][1].nin,
            "layers": [
                {
                    "activation": neurons[0][1].activation,
                    "neurons": [prefix for prefix, _ in neurons],
                }
                for neurons in self.layers
            ],
        }
        return _finite(
            {
                "model": model,
                "params": self.names,
                "optimizer": _optimizer_settings(self.optimizer),
                "xs": self.xs,
                "ys": self.ys,
                "samples": self.samples,
                "weights": self.weights,
                "records": self.records,
            }
        )

    def _sample_values(self, loss: Value) -> dict[str, Json]:
        """For each chosen sample met in `loss`'s graph: per layer, each neuron's weighted sum
        `z`, activation `a` and `delta` (the weighted sum's grad)."""
        rows = {
            id(neuron.w[0]): (depth, index, [*neuron.w, neuron.b])
            for depth, neurons in enumerate(self.layers)
            for index, (_, neuron) in enumerate(neurons)
        }
        wanted: dict[tuple[float, ...], int] = {}
        for i in self.samples:
            wanted.setdefault(tuple(self.xs[i]), i)
        owner: dict[Value, int] = {}  # each recognised node's sample
        found: dict[int, dict[tuple[int, int], tuple[Value, Value]]] = {}
        sums: dict[Value, tuple[int, int]] = {}
        graph = record.read(loss)
        for node, rule, parents in zip(graph.order, graph.rules, graph.parents):
            op = "" if rule is None else rule.name
            if op == "dot" and id(parents[0]) in rows:
                depth, index, row = rows[id(parents[0])]
                n = len(row)
                if len(parents) != 2 * n or any(a is not b for a, b in zip(parents, row)):
                    continue
                inputs = parents[n : 2 * n - 1]
                sample = (
                    wanted.get(tuple(x.data for x in inputs))
                    if depth == 0
                    else owner.get(inputs[0])
                )
                if sample is None:
                    continue
                owner[node] = sample
                sums[node] = (depth, index)
                found.setdefault(sample, {}).setdefault((depth, index), (node, node))
            elif len(parents) == 1 and parents[0] in sums and op in _ACTIVATION_OPS:
                sample, key = owner[parents[0]], sums[parents[0]]
                owner[node] = sample
                z, _ = found[sample][key]
                found[sample][key] = (z, node)
        shape = [len(neurons) for neurons in self.layers]
        return {
            str(sample): _per_layer(shape, nodes)
            for sample, nodes in found.items()
            if len(nodes) == sum(shape)
        }


_ACTIVATION_OPS = frozenset({"tanh", "relu", "sigmoid"})


def _per_layer(shape: list[int], nodes: dict[tuple[int, int], tuple[Value, Value]]) -> Json:
    """z, a and δ of every neuron, as lists per layer."""
    pick = [[nodes[(depth, i)] for i in range(size)] for depth, size in enumerate(shape)]
    return {
        "z": [[z.data for z, _ in layer] for layer in pick],
        "a": [[a.data for _, a in layer] for layer in pick],
        "delta": [[z.grad for z, _ in layer] for layer in pick],
    }


def _layers(model: Module) -> list[list[tuple[str, Neuron]]]:
    """The model's neurons layer by layer, each with the prefix of its parameters' names."""
    if isinstance(model, MLP):
        return [
            [(f"layers.{d}.neurons.{i}", neuron) for i, neuron in enumerate(layer.neurons)]
            for d, layer in enumerate(model.layers)
        ]
    if isinstance(model, Layer):
        return [[(f"neurons.{i}", neuron) for i, neuron in enumerate(model.neurons)]]
    if isinstance(model, Neuron):
        return [[("", model)]]
    raise TypeError(f"Recorder replays an nn.MLP, Layer or Neuron, got {type(model).__name__}")


def _optimizer_settings(optimizer: Optimizer | None) -> Json | None:
    """What stays fixed over the run: the kind of update and its constants."""
    if isinstance(optimizer, SGD):
        return {
            "kind": "sgd",
            "momentum": optimizer.momentum,
            "weight_decay": optimizer.weight_decay,
        }
    if isinstance(optimizer, Adam):
        beta1, beta2 = optimizer.betas
        return {
            "kind": "adam",
            "beta1": beta1,
            "beta2": beta2,
            "eps": optimizer.eps,
            "weight_decay": optimizer.weight_decay,
        }
    return None


def _optimizer_state(optimizer: Optimizer | None) -> Json:
    """What the step just used: the learning rate, and the buffers the update read."""
    if isinstance(optimizer, SGD):
        state: Json = {"lr": optimizer.lr}
        if optimizer.momentum and optimizer.buffers is not None:
            state["buffer"] = list(optimizer.buffers)
        return state
    if isinstance(optimizer, Adam):
        return {
            "lr": optimizer.lr,
            "t": optimizer.t,
            "m": list(optimizer.m),
            "v": list(optimizer.v),
        }
    return {}


def _number(x: object, what: str) -> float:
    """`x` as a float, or TypeError naming `what` and the bad type."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{what} must be a real number, got {type(x).__name__} {x!r}")
    return float(x)


def _finite(data: Json) -> Json:
    """`data` with every non-finite float as the string JavaScript's Number reads."""
    stack: list[Any] = [data]
    while stack:
        item = stack.pop()
        pairs = enumerate(item) if isinstance(item, list) else item.items()
        for key, value in list(pairs):
            if isinstance(value, float) and not math.isfinite(value):
                item[key] = json.dumps(value)
            elif isinstance(value, (list, dict)):
                stack.append(value)
    return data


def _asset(name: str) -> str:
    """The text of a file shipped next to this module."""
    return resources.files("nn").joinpath(name).read_text(encoding="utf-8")


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{style}
</style>
</head>
<body>
<header>
  <h1>{title}</h1>
  <div class="controls">
    <button id="prev" title="previous step (left arrow)">&#9664;</button>
    <button id="play" title="play (space)">&#9654; Play</button>
    <button id="next" title="next step (right arrow)">&#9654;</button>
    <input id="slider" type="range" min="0" value="0" aria-label="training step">
    <span id="counter"></span>
    <span id="loss" class="loss"></span>
  </div>
</header>
<main>
  <section id="left">
    <h2>Loss</h2>
    <svg id="curve" role="img" aria-label="loss curve"></svg>
    <h2 id="field-title">Decision boundary</h2>
    <div id="field-box"><canvas id="field" width="300" height="300"></canvas>
    <svg id="points"></svg></div>
    <p class="note" id="field-note"></p>
  </section>
  <section id="middle">
    <h2>The network <span class="note">(edge colour: sign of the weight, thickness: its size;
    blue +, red &minus;)</span></h2>
    <svg id="network" role="img" aria-label="the network"></svg>
    <h2><label>Follow sample <select id="sample-choice"></select></label>
    <span id="sample-title"></span></h2>
    <div id="sample"></div>
  </section>
  <section id="right">
    <h2>This step's update</h2>
    <p class="note" id="rule"></p>
    <p class="formula" id="formula" title="the chosen weight: click a row or hover an edge"></p>
    <div id="updates"></div>
  </section>
</main>
<div id="tooltip" hidden></div>
<script type="application/json" id="replay-data">{data}</script>
<script>
{script}
</script>
</body>
</html>
"""
