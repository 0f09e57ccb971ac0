"""`python -m benchmarks.batched`: one trace, a whole batch.

micrograd's demo MLP (2-16-16-1, relu, hinge loss per sample) as `benchmarks.mlp.sample_loss`,
compiled once, evaluated with its gradients toward all 337 parameters summed over a batch of
two-moons points, three ways in one process:

- `compile`, per sample: the generated float code called once per point, summed in Python;
- `compile`, batched: the same compiled function called once with arrays of points;
- hand-written NumPy: the same forward and reverse pass written out with matrix products.

Timing as in `benchmarks.run`: CPU time of the process and wall-clock time, cases taking turns
for `--repeats` rounds, each round at least `times` calls or a quarter second, best round shown.
The results are checked against each other before anything is timed.
"""

from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import autograd_lite as ag
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


def numpy_loss(params: list[float], x0: Any, x1: Any, y: Any) -> tuple[Any, tuple[Any, ...]]:
    """`sample_loss` per sample and its gradients, by hand: what compile should be close to.

    Returns the loss per sample and, like the compiled function, the gradient toward x0, x1 and
    y per sample and toward each parameter summed over the batch.
    """
    n1, n2 = SIZES[1], SIZES[2]
    p = np.asarray(params)
    o2 = 3 * n1
    o3 = o2 + (n1 + 1) * n2
    w1 = p[:o2].reshape(n1, 3)
    w2 = p[o2:o3].reshape(n2, n1 + 1)
    w3 = p[o3:]
    x = np.stack([x0, x1], axis=1)
    z1 = x @ w1[:, :2].T + w1[:, 2]
    h1 = np.where(z1 > 0, z1, 0.0)
    z2 = h1 @ w2[:, :n1].T + w2[:, n1]
    h2 = np.where(z2 > 0, z2, 0.0)
    score = h2 @ w3[:n2] + w3[n2]
    margin = 1.0 - y * score
    loss = np.where(margin > 0, margin, 0.0)
    dmargin = np.where(margin > 0, 1.0, 0.0)
    dscore = -y * dmargin
    dy = -score * dmargin
    g3 = np.append(dscore @ h2, dscore.sum())
    dz2 = np.where(z2 > 0, np.outer(dscore, w3[:n2]), 0.0)
    g2 = np.concatenate([dz2.T @ h1, dz2.sum(axis=0)[:, None]], axis=1)
    dz1 = np.where(z1 > 0, dz2 @ w2[:, :n1], 0.0)
    g1 = np.concatenate([dz1.T @ x, dz1.sum(axis=0)[:, None]], axis=1)
    dx = dz1 @ w1[:, :2]
    return loss, (dx[:, 0], dx[:, 1], dy, *g1.ravel(), *g2.ravel(), *g3)


def per_sample(compiled: Callable[..., Any], params: list[float], x0, x1, y) -> Any:
    """The compiled float code once per point, gradients toward the parameters summed."""
    total = [0.0] * len(params)
    losses = []
    for a, b, c in zip(x0.tolist(), x1.tolist(), y.tolist()):
        value, grads = compiled(a, b, c, *params)
        losses.append(value)
        total = [s + g for s, g in zip(total, grads[3:])]
    return losses, total


def _best(run: Callable[[], Any], repeats: int, times: int) -> tuple[float, float]:
    """Best CPU and wall-clock seconds per call over `repeats` rounds."""
    cpu_best = wall_best = float("inf")
    for _ in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        calls = 0
        while calls < times or time.process_time() - cpu < 0.25:
            run()
            calls += 1
        cpu_best = min(cpu_best, (time.process_time() - cpu) / calls)
        wall_best = min(wall_best, (time.perf_counter() - wall) / calls)
    return cpu_best, wall_best


def _check(compiled: Callable[..., Any], params: list[float], n: int) -> float:
    """Largest relative difference between batched, per-sample and hand-written results."""
    x0, x1, y = points(n)
    value, grads = compiled(x0, x1, y, *params)
    hand_value, hand_grads = numpy_loss(params, x0, x1, y)
    worst = float(np.max(np.abs(value - hand_value)))
    for g, h in zip(grads, hand_grads):
        scale = max(1.0, float(np.max(np.abs(h))))
        worst = max(worst, float(np.max(np.abs(np.asarray(g) - h))) / scale)
    if n <= 1000:
        losses, total = per_sample(compiled, params, x0, x1, y)
        worst = max(worst, float(np.max(np.abs(np.asarray(losses) - value))))
        for g, s in zip(grads[3:], total):
            worst = max(worst, abs(g - s) / max(1.0, abs(s)))
    return worst


def measure(repeats: int = 3, sizes: tuple[int, ...] = (100, 10_000)) -> dict[str, Any]:
    """Compile time, then per batch size the three cases' best CPU and wall times."""
    params = weights()
    x0, x1, y = points(2)
    layout = (True, True, True) + (False,) * len(params)
    start = time.process_time()
    compiled = ag.compile(mlp.sample_loss)
    compiled(float(x0[0]), float(x1[0]), float(y[0]), *params)  # the trace, float code
    traced = time.process_time() - start
    start = time.process_time()
    compiled.traces[0].batched(layout)
    batched_code = time.process_time() - start
    results: dict[str, Any] = {"trace": traced, "batched_code": batched_code, "sizes": {}}
    for n in sizes:
        batch = points(n)
        cases: dict[str, Callable[[], Any]] = {
            "compile, per sample": functools.partial(per_sample, compiled, params, *batch),
            "compile, batched": functools.partial(compiled, *batch, *params),
            "hand-written NumPy": functools.partial(numpy_loss, params, *batch),
        }
        rounds = {name: repeats if n <= 1000 or "per sample" not in name else 1 for name in cases}
        results["sizes"][n] = {
            "max_difference": _check(compiled, params, n),
            "times": {
                name: _best(run, rounds[name], 1 if "per sample" in name else 5)
                for name, run in cases.items()
            },
        }
    return results


def table(results: dict[str, Any]) -> str:
    """The measurements as a Markdown table, with its two targets checked."""
    lines = [
        "| batched MLP 2-16-16-1, hinge per sample, grads summed | samples | ms CPU | ms wall "
        "| vs per sample | vs NumPy |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for n, entry in results["sizes"].items():
        times = entry["times"]
        loop = times["compile, per sample"][0]
        hand = times["hand-written NumPy"][0]
        for name, (cpu, wall) in times.items():
            lines.append(
                f"| {name} | {n:,} | {1000 * cpu:,.2f} | {1000 * wall:,.2f} "
                f"| {loop / cpu:,.1f}x | {cpu / hand:,.2f}x |"
            )
        batched = times["compile, batched"][0]
        if n == 100:
            verdicts.append(
                (f"{n} samples: {loop / batched:.1f}x the per-sample loop", loop / batched >= 5)
            )
        if n == 10_000:
            verdicts.append(
                (f"{n:,} samples: {batched / hand:.2f}x hand-written NumPy", batched / hand <= 4)
            )
        verdicts.append(
            (
                f"{n:,} samples: results agree to {entry['max_difference']:.1e}",
                entry["max_difference"] <= 1e-12,
            )
        )
    lines.append("")
    lines.append(
        f"Compile time of the MLP's trace: {1000 * results['trace']:.1f} ms (trace and float "
        f"code), {1000 * results['batched_code']:.1f} ms more for the batched code."
    )
    lines.append("")
    lines.append("Targets of batching:")
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
