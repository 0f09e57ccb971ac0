"""`python -m benchmarks.batched`: the moons training step on a NumPy batch, compiled and by hand.

micrograd's demo step (MLP 2-16-16-1, relu, mean hinge loss + 1e-4 L2, SGD) on a batch of
two-moons points, two ways, from the same weights, in one process:

- `compile`, batched: the moons demo's `compile(point_loss(model), wrt=model.parameters())`
  called once with arrays of all the points (value and gradients toward the points per sample,
  toward the parameters summed), then the L2 term and the SGD update over the parameters;
- hand-written NumPy, the strongest fair version: the weights as matrices, the forward and the
  reverse pass as matrix products, no Python loop over samples or neurons, the update in place.

Both take the same steps, so their losses must agree (checked before anything is timed).
Timing as in `benchmarks.run`: CPU time of the process, cases taking turns for `--repeats`
rounds, each round at least `times` steps or a quarter second, best round shown.
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import mlp

SIZES = mlp.SIZES


def points(n: int) -> tuple[Any, Any, Any]:
    """`n` two-moons points as arrays x0, x1 and labels y (±1)."""
    xs, ys = mlp.moons(n)
    data = np.array(xs, dtype=float)
    return data[:, 0].copy(), data[:, 1].copy(), np.array(ys, dtype=float)


def weights(seed: int = 1337) -> list[float]:
    """micrograd's initial weights of the demo MLP (as `benchmarks.run` uses)."""
    return [float(p.data) for p in mlp.micrograd_model(seed).parameters()]


# ---------------------------------------------------------------- compiled


def compiled_step(compiled: Callable[..., Any], params: list[Any], x0, x1, y, k: int) -> float:
    """The demo step through the compiled loss on arrays: one call, then L2 and SGD."""
    losses, _, sums = compiled(x0, x1, y)
    n = len(y)
    return mlp._sgd(params, float(losses.sum()) / n, sums, n, k)


# ---------------------------------------------------------------- by hand


def numpy_layers(flat: list[float]) -> list[Any]:
    """The flat weights (`nn`'s order) as W1 (16x2), b1, W2 (16x16), b2, w3 (16), b3 (1)."""
    n0, n1, n2 = SIZES[0], SIZES[1], SIZES[2]
    p = np.asarray(flat, dtype=float)
    o2 = (n0 + 1) * n1
    o3 = o2 + (n1 + 1) * n2
    rows1 = p[:o2].reshape(n1, n0 + 1)
    rows2 = p[o2:o3].reshape(n2, n1 + 1)
    return [
        rows1[:, :n0].copy(),
        rows1[:, n0].copy(),
        rows2[:, :n1].copy(),
        rows2[:, n1].copy(),
        p[o3 : o3 + n2].copy(),
        p[o3 + n2 :].copy(),
    ]


def numpy_step(layers: list[Any], x: Any, y: Any, k: int) -> float:
    """The demo step by hand in NumPy: `x` the points (n x 2), `y` the labels; the weights in
    `layers` are updated in place. Returns the step's loss (mean hinge + L2)."""
    w1, b1, w2, b2, w3, b3 = layers
    n = len(y)
    z1 = x @ w1.T + b1
    h1 = np.maximum(z1, 0.0)
    z2 = h1 @ w2.T + b2
    h2 = np.maximum(z2, 0.0)
    margin = 1.0 - y * (h2 @ w3 + b3)
    active = margin > 0
    loss = float(margin[active].sum()) / n + mlp.ALPHA * sum(
        float(w.ravel() @ w.ravel()) for w in layers
    )
    ds = np.where(active, -y / n, 0.0)  # d loss / d score
    dz2 = np.outer(ds, w3) * (z2 > 0)
    dz1 = (dz2 @ w2) * (z1 > 0)
    grads = [dz1.T @ x, dz1.sum(0), dz2.T @ h1, dz2.sum(0), h2.T @ ds, ds.sum(keepdims=True)]
    lr, decay = mlp.learning_rate(k), 2.0 * mlp.ALPHA
    for w, g in zip(layers, grads):
        w -= lr * (g + decay * w)
    return loss


# ---------------------------------------------------------------- measuring


def _best(run: Callable[[int], Any], repeats: int, times: int) -> float:
    """Best CPU seconds per step over `repeats` rounds (step k = the calls so far)."""
    best = float("inf")
    k = 0
    for _ in range(repeats):
        cpu = time.process_time()
        calls = 0
        while calls < times or time.process_time() - cpu < 0.25:
            run(k)
            calls += 1
            k += 1
        best = min(best, (time.process_time() - cpu) / calls)
    return best


def _agreement(n: int, steps: int = 5) -> float:
    """Largest difference between the two ways' losses over `steps` steps from one start."""
    x0, x1, y = points(n)
    compiled, params = mlp.compiled_loss(weights())
    layers = numpy_layers(weights())
    x = np.stack([x0, x1], axis=1)
    return max(
        abs(compiled_step(compiled, params, x0, x1, y, k) - numpy_step(layers, x, y, k))
        for k in range(steps)
    )


def measure(repeats: int = 3, sizes: tuple[int, ...] = (100, 10_000)) -> dict[str, Any]:
    """Compile time, then per batch size both ways' best CPU time per step."""
    start = time.process_time()
    compiled, params = mlp.compiled_loss(weights())
    x0, x1, y = points(2)
    compiled(x0, x1, y)  # the trace, then the batched code
    traced = time.process_time() - start
    results: dict[str, Any] = {"compile": traced, "sizes": {}}
    for n in sizes:
        x0, x1, y = points(n)
        x = np.stack([x0, x1], axis=1)
        compiled, params = mlp.compiled_loss(weights())
        layers = numpy_layers(weights())
        cases: dict[str, Callable[[int], Any]] = {
            "compile, batched": functools.partial(compiled_step, compiled, params, x0, x1, y),
            "hand-written NumPy": functools.partial(numpy_step, layers, x, y),
        }
        compiled_step(compiled, params, x0, x1, y, 0)  # the trace and the batched code
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(repeats):
            for name, run in cases.items():
                samples[name].append(_best(run, 1, 5))
        results["sizes"][n] = {
            "max_loss_difference": _agreement(n),
            "times": {name: min(values) for name, values in samples.items()},
        }
    return results


def table(results: dict[str, Any]) -> str:
    """The measurements as a Markdown table, the target checked."""
    lines = [
        "| moons training step on a NumPy batch (2-16-16-1, hinge + L2, SGD) | points | ms CPU "
        "| vs NumPy by hand | max loss diff |",
        "|---|---:|---:|---:|---:|",
    ]
    verdicts = []
    for n, entry in results["sizes"].items():
        times = entry["times"]
        hand = times["hand-written NumPy"]
        for name, cpu in times.items():
            lines.append(
                f"| {name} | {n:,} | {1000 * cpu:,.2f} | {cpu / hand:,.2f}x "
                f"| {entry['max_loss_difference']:.1e} |"
            )
        ratio = times["compile, batched"] / hand
        if n == 10_000:
            verdicts.append((f"{n:,} points: compiled {ratio:.2f}x NumPy by hand", ratio <= 1.5))
        verdicts.append(
            (
                f"{n:,} points: losses agree to {entry['max_loss_difference']:.1e}",
                entry["max_loss_difference"] <= 1e-12,
            )
        )
    lines.append("")
    lines.append(
        f"Compile time (trace, float and batched code): {1000 * results['compile']:.1f} ms."
    )
    lines.append("")
    lines.append("Targets of the batched step:")
    for number, (text, met) in enumerate(verdicts, 1):
        lines.append(f"{number}. {'met' if met else 'NOT met'}: {text}")
    return "\n".join(lines)


def report(repeats: int = 3) -> str:
    """The batched rows for `benchmarks.run`: measure, then the table."""
    return table(measure(repeats))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="rounds per case (default 3)")
    args = parser.parse_args(argv)
    print(report(args.repeats))


if __name__ == "__main__":
    main()
