"""`python -m benchmarks.pictures`: what drawing and explaining cost on graphs that stress them.

- fan-out: a product of `--uses` copies of one x, and y = y*x + 1 repeated to `--values`
  Values, each drawn at the default max_nodes and laid out by the system `dot` and by the
  WebAssembly renderer (the `render` extra): seconds and the renderer's peak memory;
- explain: the derivation along a path of `--steps` labelled steps: seconds and peak memory;
- the page of an MLP(2, [4, 4, 1]) loss on 4 samples: reads of the nodes' slots (no layout).

Each case runs in a child process of its own, so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

_FAN_OUT = """
import os, resource, sys, time
import autograd_lite as ag
from autograd_lite import Value, graph
kind, n, renderer = sys.argv[1], int(sys.argv[2]), sys.argv[3]
x = Value(1.0001, "x")
y = x
if kind == "product":
    for _ in range(n - 1):
        y = y * x
    what = f"product of {n:,} x"
else:
    for _ in range((n - 1) // 2):
        y = y * x + 1.0
    what = f"y = y*x + 1, {len(ag.topological_order(y)):,} Values"
if renderer == "wasm":
    os.environ["PATH"] = "/nonexistent"  # no system dot: the WebAssembly build lays it out
source = ag.draw_graph(y).source
start = time.perf_counter()
try:
    result = f"{len(graph.render(source, 'svg')):,} bytes of SVG"
except ag.RendererError as error:
    result = f"RendererError: {error}"
seconds = time.perf_counter() - start
child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{what}, {renderer}: {seconds:.1f} s, renderer peak {child:.0f} MB; {result}")
"""

_EXPLAIN = """
import resource, sys, time
import autograd_lite as ag
from autograd_lite import Value
n = int(sys.argv[1])
x = Value(0.5, "x")
y = x
for k in range(n):
    y = y * 1.0000001 + 0.0
    y.label = f"s{k}"
start = time.perf_counter()
text = ag.explain(y, x)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"explain along {n:,} labelled steps: {time.perf_counter() - start:.1f} s, "
      f"{len(text):,} characters, peak {peak:.0f} MB")
"""

_READS = """
import collections
import autograd_lite as ag
import nn
from autograd_lite import Value, graph
model = nn.MLP(2, [4, 4, 1], seed=0)
xs = [[0.5, -1.0], [1.0, 0.25], [-0.5, 0.75], [0.0, 1.5]]
loss = nn.mse_loss([model(x) for x in xs], [1.0, -1.0, 0.5, 0.0])
graph.render_svgs = lambda sources: ["<svg></svg>"] * len(sources)  # count the page, not dot
reads = collections.Counter()

class Counted:
    def __init__(self, slot):
        self.slot = slot
    def __get__(self, node, owner=None):
        if node is None:
            return self
        reads[node] += 1
        return self.slot.__get__(node, owner)
    def __set__(self, node, value):
        self.slot.__set__(node, value)

count = len(ag.topological_order(loss))
for name in ("_rule", "_a", "_b", "_da", "_db"):
    setattr(Value, name, Counted(Value.__dict__[name]))
graph.html_page(loss)
print(f"page of an MLP loss, {count} Values: {sum(reads.values()):,} slot reads, "
      f"at most {max(reads.values())} per Value")
"""


def run(code: str, *args: object) -> None:
    """Run `code` in a child with `args`, print its line (a timeout says so)."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, *map(str, args)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except subprocess.TimeoutExpired:
        print(f"{args}: did not finish in 600 s")
        return
    print(done.stdout.strip() or done.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uses", type=int, default=1000, help="uses of x (1,000)")
    parser.add_argument("--values", type=int, default=50_001, help="Values (50,001)")
    parser.add_argument("--steps", type=int, default=100_000, help="labelled steps (100,000)")
    args = parser.parse_args()
    for renderer in ("dot", "wasm"):
        run(_FAN_OUT, "product", args.uses, renderer)
        run(_FAN_OUT, "horner", args.values, renderer)
    run(_EXPLAIN, args.steps)
    run(_READS)


if __name__ == "__main__":
    main()
