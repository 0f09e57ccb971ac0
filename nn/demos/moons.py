"""Two moons: a small MLP learns to separate two interleaved half circles (micrograd's demo).

The data are made here (no scikit-learn): two half circles of radius 1, one shifted to
interlock with the other, with seeded Gaussian noise. The model, `MLP(2, [16, 16, 1])` with
ReLU hidden layers, gives each point a score whose sign is its class; the loss is the hinge
loss (the SVM margin loss) plus an L2 penalty, minimized by SGD with a learning rate that
decays from 1.0 to 0.1 over the run. With matplotlib (`pip install matplotlib`)
it draws the decision boundary over the data and the loss curve to `out/moons.png`. With
`--page out/moons.html` the run is recorded into a page that replays it step by step.

With `--compiled`, each point's loss through the model is traced once by
`autograd_lite.compile(..., wrt=model.parameters())` and replayed as generated float code: the
same losses, several times faster. With `--batched` (needs NumPy: `pip install numpy`), the same
compiled loss runs on all points at once as arrays, on 10,000 points unless `--samples` says
otherwise, and the demo says how long a step takes next to the per-point compiled code.

Run: autograd-lite demo moons [--steps 100] [--seed 0] [--hidden 16,16] [--optimizer sgd|adam]
                               [--compiled | --batched] [--samples N] [--page FILE]
(in a clone also python -m demos.moons ...)
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import autograd_lite
import nn
from autograd_lite import Value, dot, no_grad, relu
from autograd_lite.compiling import CompiledFunction
from nn.demos._options import add_page_option

L2 = 1e-4  # the weight of the L2 penalty, as in micrograd's demo
ADAM_LR = 0.05

Point = list[float]


def two_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[Point], list[int]]:
    """`n` points on two interlocking half circles, labels -1 (upper) and +1 (lower), shuffled.

    The same construction as scikit-learn's `make_moons`: the upper moon is the half circle
    (cos t, sin t), the lower one (1 - cos t, 1/2 - sin t), t evenly spaced in [0, pi],
    with Gaussian noise of standard deviation `noise` added to both coordinates.
    """
    rng = random.Random(seed)
    upper, lower = n // 2, n - n // 2
    points: list[tuple[float, float, int]] = []
    for count, label in ((upper, -1), (lower, 1)):
        for i in range(count):
            t = math.pi * i / max(count - 1, 1)
            x, y = (math.cos(t), math.sin(t)) if label < 0 else (1 - math.cos(t), 0.5 - math.sin(t))
            points.append((x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise), label))
    rng.shuffle(points)
    return [[x, y] for x, y, _ in points], [label for _, _, label in points]


def score(model: nn.MLP, x: Sequence[float | Value]) -> Value:
    """The model's score for one point: positive means class +1."""
    return model(x)  # type: ignore[return-value]  # one output unit: one Value


def accuracy(scores: list[Value], labels: list[int]) -> float:
    """The fraction of points whose score has the sign of their label."""
    return sum((s.data > 0) == (y > 0) for s, y in zip(scores, labels)) / len(labels)


def point_loss(model: nn.MLP) -> Callable[[Value, Value, Value], Value]:
    """relu(1 - y * score) of one point (x1, x2) with label y: the hinge loss of one point, the
    function `compile` traces with the model's parameters as `wrt`."""

    def loss(x1: Value, x2: Value, y: Value) -> Value:
        return relu(1 - y * score(model, [x1, x2]))

    return loss


def compiled_loss(model: nn.MLP) -> CompiledFunction:
    """`point_loss(model)` compiled toward the model's parameters: `(losses, grads toward x1,
    x2 and y, grads toward the parameters)`, on one point or on arrays of points (summed)."""
    return autograd_lite.compile(point_loss(model), wrt=model.parameters())


def _graph_step(model: nn.MLP, points: list[Point], labels: list[int]) -> tuple[Value, float]:
    """Loss and accuracy of the model, gradients left in the parameters' `.grad`."""
    params = model.parameters()
    scores = [score(model, x) for x in points]
    loss = nn.hinge_loss(scores, labels) + L2 * dot(params, params)
    loss.backward()
    return loss, accuracy(scores, labels)


def _compiled_step(
    compiled: Callable[..., Any], model: nn.MLP, points: list[Point], labels: list[int]
) -> tuple[float, float]:
    """`_graph_step` through the compiled loss, one point at a time: the same numbers, in floats.

    A point is classified right exactly when its hinge loss relu(1 - y*s) is below 1.
    """
    params = model.parameters()
    total, right = 0.0, 0
    sums = [0.0] * len(params)
    for (x1, x2), y in zip(points, labels):
        value, _, grads = compiled(x1, x2, y)
        total += value
        right += value < 1.0
        sums = [a + b for a, b in zip(sums, grads)]
    return _finish(params, total, sums, len(points)), right / len(points)


def _batched_step(
    compiled: Callable[..., Any], model: nn.MLP, points: list[Point], labels: list[int]
) -> tuple[float, float]:
    """`_compiled_step` in one call: the compiled loss on arrays of all the points."""
    import numpy as np

    data = np.array(points, dtype=float)
    losses, _, sums = compiled(data[:, 0], data[:, 1], np.array(labels, dtype=float))
    total = math.fsum(losses.tolist())
    return _finish(model.parameters(), total, sums, len(points)), float(np.mean(losses < 1.0))


def _finish(params: list[Value], total: float, sums: list[float], n: int) -> float:
    """The mean loss plus the L2 term; each parameter's gradient of it into `.grad`."""
    for p, g in zip(params, sums):
        p.grad += g / n + 2 * L2 * p.data
    return total / n + L2 * sum(p.data * p.data for p in params)


def step_times(
    points: list[Point], labels: list[int], hidden: tuple[int, ...], steps: int = 3
) -> tuple[float, float]:
    """Seconds per training step through the batched and the per-point compiled code."""
    model = nn.MLP(2, [*hidden, 1], activation="relu", seed=0)
    compiled = compiled_loss(model)
    times = []
    for step, rounds in ((_batched_step, steps), (_compiled_step, 1)):
        step(compiled, model, points, labels)  # the trace, and the batched code
        start = time.perf_counter()
        for _ in range(rounds):
            step(compiled, model, points, labels)
        times.append((time.perf_counter() - start) / rounds)
    return times[0], times[1]


def train(
    points: list[Point],
    labels: list[int],
    steps: int = 100,
    hidden: tuple[int, ...] = (16, 16),
    optimizer: str = "sgd",
    seed: int = 0,
    progress: bool = False,
    compiled: bool = False,
    batched: bool = False,
    page: Path | None = None,
) -> tuple[nn.MLP, list[float], list[float]]:
    """Full-batch training: the model, and each step's loss and accuracy (before its update).

    With `page`, every step is recorded (`nn.Recorder`) and the replay page written there.
    """
    model = nn.MLP(2, [*hidden, 1], activation="relu", seed=seed)
    params = model.parameters()
    step_with = nn.Adam(params, lr=ADAM_LR) if optimizer == "adam" else nn.SGD(params, lr=1.0)
    per_point = compiled_loss(model) if compiled or batched else None
    recorder = nn.Recorder(model, points, labels, optimizer=step_with) if page else None
    losses, accuracies = [], []
    for k in range(steps):
        step_with.zero_grad()
        recorded: Value | float
        if per_point is None:
            recorded, acc = _graph_step(model, points, labels)
            loss = recorded.data
        elif batched:
            loss, acc = _batched_step(per_point, model, points, labels)
        else:
            loss, acc = _compiled_step(per_point, model, points, labels)
        if isinstance(step_with, nn.SGD):
            step_with.lr = 1.0 - 0.9 * k / steps  # decays from 1.0 towards 0.1
        step_with.step()
        if recorder is not None:
            recorder.snapshot(recorded if per_point is None else loss)
        losses.append(loss)
        accuracies.append(acc)
        if progress:
            _show_progress(k + 1, steps, loss, acc)
    if recorder is not None and page is not None:
        recorder.save(page)
    return model, losses, accuracies


def _show_progress(step: int, steps: int, loss: float, acc: float) -> None:
    """One status line, redrawn in place on a terminal; every tenth of the run otherwise."""
    line = f"step {step:>4}/{steps}  loss {loss:.4f}  accuracy {acc:.0%} (before the update)"
    if sys.stdout.isatty():
        done = 30 * step // steps
        bar = "#" * done + "." * (30 - done)
        print(f"\r[{bar}] {line}", end="\n" if step == steps else "", flush=True)
    elif step == steps or step % max(steps // 10, 1) == 0:
        print(line)


def plot(
    model: nn.MLP, points: list[Point], labels: list[int], losses: list[float], path: Path
) -> None:
    """Save the decision boundary over the data and the loss curve to `path` (needs matplotlib).

    The boundary is where the score changes sign, found on a 60 x 60 grid around the data.
    """
    from matplotlib.figure import Figure  # a bare Figure draws with Agg: no window, no pyplot

    xs, ys = [p[0] for p in points], [p[1] for p in points]
    n = 60
    grid_x = [min(xs) - 0.5 + (max(xs) - min(xs) + 1) * i / (n - 1) for i in range(n)]
    grid_y = [min(ys) - 0.5 + (max(ys) - min(ys) + 1) * j / (n - 1) for j in range(n)]
    with no_grad():  # inference only: no graph to record
        grid = [[score(model, [gx, gy]).data for gx in grid_x] for gy in grid_y]
        hits = accuracy([score(model, x) for x in points], labels)

    figure = Figure(figsize=(11, 4.5), layout="constrained")
    left, right = figure.subplots(1, 2)
    left.contourf(grid_x, grid_y, grid, levels=[-1e9, 0, 1e9], colors=["#fbb4ae", "#b3cde3"])
    left.contour(grid_x, grid_y, grid, levels=[0], colors="black", linewidths=1)
    for label, colour, name in ((-1, "#e41a1c", "class -1"), (1, "#377eb8", "class +1")):
        mine = [p for p, y in zip(points, labels) if y == label]
        x1, x2 = [p[0] for p in mine], [p[1] for p in mine]
        left.scatter(x1, x2, s=25, c=colour, edgecolors="black", label=name)
    left.set(xlabel="x1", ylabel="x2", title=f"Decision boundary (training accuracy {hits:.0%})")
    left.legend(loc="upper right")
    right.plot(range(1, len(losses) + 1), losses, color="black")
    right.set(xlabel="step", ylabel="loss (hinge + L2)", title="Training loss", yscale="log")
    right.grid(True, alpha=0.3)
    figure.savefig(path, dpi=100)


def has_numpy() -> bool:
    """Whether the `fast` extra (NumPy) is installed, which `--batched` needs."""
    return importlib.util.find_spec("numpy") is not None


def has_matplotlib() -> bool:
    """Whether the `plot` extra (matplotlib) is installed."""
    return importlib.util.find_spec("matplotlib") is not None


def _hidden_sizes(text: str) -> tuple[int, ...]:
    """`"16,16"` as (16, 16): argparse's type for --hidden."""
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 16,16, got {text!r}") from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be at least 1, got {text!r}")
    return sizes


def main(argv: list[str] | None = None) -> int:
    """Make the data, train, report the accuracy and draw the picture."""
    parser = argparse.ArgumentParser(
        prog="autograd-lite demo moons", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--steps", type=int, default=100, help="training steps (100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and weights (0)")
    parser.add_argument(
        "--samples", type=int, default=None, help="number of points (100; 10,000 with --batched)"
    )
    parser.add_argument(
        "--hidden", type=_hidden_sizes, default=(16, 16), help="hidden layer sizes (16,16)"
    )
    parser.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd", help="(sgd)")
    parser.add_argument(
        "--compiled", action="store_true", help="train through autograd_lite.compile (faster)"
    )
    parser.add_argument(
        "--batched",
        action="store_true",
        help="train through compile on NumPy arrays, all points at once (needs numpy)",
    )
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (out)")
    add_page_option(parser)
    args = parser.parse_args(argv)
    if args.samples is None:
        args.samples = 10_000 if args.batched else 100
    if args.batched and not has_numpy():
        parser.error("--batched needs NumPy: pip install numpy (the fast extra)")
    if args.steps < 1 or args.samples < 4:
        parser.error(f"need --steps >= 1 and --samples >= 4, got {args.steps}, {args.samples}")

    points, labels = two_moons(args.samples, seed=args.seed)
    hidden = ", ".join(map(str, args.hidden))
    how = args.optimizer + (", batched" if args.batched else ", compiled" if args.compiled else "")
    print(f"Two moons: {args.samples} points, MLP(2, [{hidden}, 1]), {how}")
    model, losses, _ = train(
        points,
        labels,
        args.steps,
        args.hidden,
        args.optimizer,
        args.seed,
        progress=True,
        compiled=args.compiled,
        batched=args.batched,
        page=args.page,
    )
    if args.page is not None:
        print(f"Replay of the run, step by step: {args.page}")
    with no_grad():
        final = accuracy([score(model, x) for x in points], labels)
    print(f"Training accuracy after {args.steps} steps: {final:.0%}")
    if args.batched:
        batched, per_point = step_times(points, labels, args.hidden)
        print(
            f"A step on {args.samples:,} points: {1000 * batched:,.1f} ms batched, "
            f"{1000 * per_point:,.1f} ms one point at a time ({per_point / batched:,.0f}x)"
        )

    if not has_matplotlib():
        print("No picture: matplotlib is missing; `pip install matplotlib` to get it")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "moons.png"
    plot(model, points, labels, losses, path)
    print(f"Decision boundary and loss curve: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
