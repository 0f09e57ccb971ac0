"""`python -m benchmarks.forward`: a Hessian-vector product against one gradient.

Rosenbrock's function of `n` inputs (1,000 by default), Σ 100 (x[i+1] - x[i]²)² + (1 - x[i])²,
at a random point: `grad` toward every input (one reverse pass), then `hvp` along a random
direction (forward over reverse: the gradient recorded as a graph, one tangent pass over it).
The target: the product costs at most 5 gradients, where the Hessian would be n passes.

Timing as in `benchmarks.run`: CPU time of the process, the two cases taking turns for
`--repeats` rounds, each at least `times` calls or a quarter second, best round shown. The
product is checked against the Hessian's band, written out, before anything is timed.
"""

from __future__ import annotations

import argparse
import functools
import random
import time
from collections.abc import Callable
from typing import Any

import autograd_lite as ag


def rosenbrock(*x: Any) -> Any:
    """Σ 100 (x[i+1] - x[i]²)² + (1 - x[i])², one `sum` node."""
    return ag.sum(
        [100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2 for i in range(len(x) - 1)]
    )


def by_hand(xs: list[float], vs: list[float]) -> list[float]:
    """Rosenbrock's Hessian (a tridiagonal band) times `vs`, written out."""
    out = [0.0] * len(xs)
    for i in range(len(xs) - 1):
        a, b = xs[i], xs[i + 1]
        hii, hij = 1200 * a * a - 400 * b + 2, -400 * a
        out[i] += hii * vs[i] + hij * vs[i + 1]
        out[i + 1] += hij * vs[i] + 200.0 * vs[i + 1]
    return out


def measure(repeats: int, n: int = 1000) -> dict[str, Any]:
    """Best CPU milliseconds of one gradient and of one hvp, `n` inputs."""
    rng = random.Random(0)
    xs = [rng.uniform(-1, 1) for _ in range(n)]
    vs = [rng.uniform(-1, 1) for _ in range(n)]
    gradient = ag.grad(rosenbrock, tuple(range(n)))
    product = ag.hvp(rosenbrock)
    got, want = product(xs, vs), by_hand(xs, vs)
    assert all(abs(g - w) <= 1e-9 * (1 + abs(w)) for g, w in zip(got, want)), "hvp is wrong"
    cases: dict[str, Callable[[], Any]] = {
        "grad (one reverse pass)": functools.partial(gradient, *xs),
        "hvp (forward over reverse)": functools.partial(product, xs, vs),
    }
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(repeats):
        for name, run in cases.items():
            best[name] = min(best[name], 1000 * _cpu_seconds(run, 3, 0.25))
    return {"n": n, "ms": best}


def _cpu_seconds(run: Callable[[], Any], times: int, seconds: float) -> float:
    """CPU seconds per call of `run`: at least `times` calls and `seconds` of CPU time."""
    start = time.process_time()
    calls = 0
    while calls < times or time.process_time() - start < seconds:
        run()
        calls += 1
    return (time.process_time() - start) / calls


def table(results: dict[str, Any]) -> str:
    """The rows, then the target checked."""
    ms = results["ms"]
    one = ms["grad (one reverse pass)"]
    lines = [
        f"| Rosenbrock, {results['n']:,} inputs | ms | vs one gradient |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {value:,.1f} | {value / one:.2f}x |" for name, value in ms.items()]
    ratio = ms["hvp (forward over reverse)"] / one
    verdict = "met" if ratio <= 5 else "NOT met"
    lines += [
        "",
        f"Target: {verdict}: a Hessian-vector product costs {ratio:.2f} gradients (<= 5).",
    ]
    return "\n".join(lines)


def report(repeats: int = 3) -> str:
    """The hvp rows for `benchmarks.run`: measure, then the table."""
    return table(measure(repeats))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="rounds per case (default 3)")
    parser.add_argument("--inputs", type=int, default=1000, help="inputs of f (default 1,000)")
    args = parser.parse_args(argv)
    print(table(measure(args.repeats, args.inputs)))


if __name__ == "__main__":
    main()
