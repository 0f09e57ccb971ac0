"""XOR learned by a small network: the setup of the formal-derivation tutorial, written with `nn`.

The tutorial trains a hidden layer of `num_hidden` sigmoid units (each with a bias input) and a
linear output unit by full-batch gradient descent with learning rate `alpha`, on the error
E = 1/N * sum of 1/2 (y_hat - y)^2 over the XOR gate's table. Its NumPy matrices become an
`nn.MLP`; its hand-written error terms (deltas) become one `backward()` call.

XOR has a plateau where every output sits near 0.5; most seeds leave it within a few hundred
steps, a few stay much longer (seed 4 is still there after 2,000): then try another seed.

With `--page out/xor.html` the run is recorded (`nn.Recorder`) into a page that replays it
step by step: the loss, the decision boundary, every weight and its update, and the forward
values and error terms of each of the four inputs.

Run: autograd-lite demo xor [--hidden 4] [--alpha 0.5] [--steps 2000] [--seed 0] [--page FILE]
(in a clone also python -m demos.xor ...)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import nn
from autograd_lite import Value
from nn.demos._options import add_page_option

INPUTS = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
TARGETS = [0.0, 1.0, 1.0, 0.0]


def predict(model: nn.MLP) -> list[Value]:
    """The model's output for every row of the XOR table."""
    return [model(x) for x in INPUTS]  # type: ignore[misc]  # one output unit: one Value


def train(
    num_hidden: int = 4,
    alpha: float = 0.5,
    steps: int = 2000,
    seed: int = 0,
    page: Path | None = None,
) -> tuple[nn.MLP, list[float]]:
    """Full-batch gradient descent from seeded weights: the model and the error at each step.

    With `page`, every step is recorded and the replay page written there.
    """
    model = nn.MLP(2, [num_hidden, 1], activation="sigmoid", out_activation=None, seed=seed)
    optimizer = nn.SGD(model.parameters(), lr=alpha)
    recorder = nn.Recorder(model, INPUTS, TARGETS, optimizer=optimizer) if page else None
    errors = []
    for _ in range(steps):
        error = 0.5 * nn.mse_loss(predict(model), TARGETS)  # the tutorial's E: half the mean
        optimizer.zero_grad()
        error.backward()
        optimizer.step()
        errors.append(error.data)
        if recorder is not None:
            recorder.snapshot(error)
    if recorder is not None and page is not None:
        recorder.save(page)
    return model, errors


def solved(model: nn.MLP) -> bool:
    """Whether every output rounds to its target."""
    return [round(y.data) for y in predict(model)] == TARGETS


def main(argv: list[str] | None = None) -> int:
    """Train on XOR and print the outputs next to the targets."""
    parser = argparse.ArgumentParser(
        prog="autograd-lite demo xor", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--hidden", type=int, default=4, help="num_hidden: hidden units (4)")
    parser.add_argument("--alpha", type=float, default=0.5, help="learning rate (0.5)")
    parser.add_argument("--steps", type=int, default=2000, help="gradient-descent steps (2000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights (0)")
    add_page_option(parser)
    args = parser.parse_args(argv)
    if args.hidden < 1 or args.steps < 1:
        parser.error(f"--hidden and --steps must be at least 1, got {args.hidden}, {args.steps}")

    model, errors = train(args.hidden, args.alpha, args.steps, args.seed, args.page)
    print(f"XOR with {model!r}, alpha {args.alpha}, seed {args.seed}")
    for k in sorted({1, args.steps // 10, args.steps // 2, args.steps} - {0}):
        print(f"  step {k:>5}: E = {errors[k - 1]:.6f}")
    print("  x1  x2   target   output")
    for x, target, y in zip(INPUTS, TARGETS, predict(model)):
        print(f"  {x[0]:.0f}   {x[1]:.0f}   {target:.0f}        {y.data:+.4f}")
    if solved(model):
        print("Solved: every output rounds to its target.")
    else:
        print("Not solved yet: try more --steps or another --seed.")
    if args.page is not None:
        print(f"Replay of the run, step by step: {args.page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
