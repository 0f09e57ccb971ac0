"""The 2-2-2 sigmoid network of the tutorials, worked through with plain labelled Values.

Inputs i1, i2 feed hidden neurons h1, h2, which feed output neurons o1, o2; every neuron is a
sigmoid of its net input, h1 and h2 share the bias b1, o1 and o2 share b2, and the error is
E = 1/2 (t_o1 - out_o1)^2 + 1/2 (t_o2 - out_o2)^2. Starting from the published weights, this
script prints what the tutorials work out by hand: the forward pass, the chain rule for dE/dw5,
every weight's gradient and one step of gradient descent. Then it trains for 10,000 rounds.

The published training figures (about 0.29102 after one round, 0.0000351 after 10,000) are
reproduced with the biases held fixed, as in the worked step; with `--update-biases` the
biases learn too and the error falls faster (0.28575, then 0.0000044). The original post
prints 0.291027924 after one round where this script gets 0.291027774: that figure (and its
final outputs, 0.015912...) comes out when the hidden weights are updated with the output
weights already changed, instead of all weights from the same gradients as worked by hand.

With `--practice` it also writes `worked_example_practice.html`: the same page opened in practice
mode, which asks each number of the passes and the update (the worked example as an exercise).

Run: autograd-lite demo worked_example [--update-biases] [--steps N] [--out DIR] [--practice]
(in a clone also python -m demos.worked_example ...)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from autograd_lite import RendererError, Value, explain, save_graph

WEIGHTS = {"w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30}
WEIGHTS |= {"w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55}
BIASES = {"b1": 0.35, "b2": 0.60}
I1, I2 = 0.05, 0.10
T_O1, T_O2 = 0.01, 0.99
LEARNING_RATE = 0.5
UPDATE_ORDER = ["w5", "w6", "w7", "w8", "w1", "w2", "w3", "w4"]  # as the tutorial works them

# The tutorial's printed numbers, as printed (their digits are the precision to match).
PUBLISHED_FORWARD = {
    "net_h1": "0.3775",
    "out_h1": "0.593269992",
    "out_h2": "0.596884378",
    "net_o1": "1.105905967",
    "out_o1": "0.75136507",
    "out_o2": "0.772928465",
    "E_o1": "0.274811083",
    "E_o2": "0.023560026",
    "E": "0.298371109",
}
PUBLISHED_DE_DW5 = "0.082167041"
PUBLISHED_AFTER_ONE_STEP = {
    "w1": "0.149780716",
    "w2": "0.19956143",
    "w3": "0.24975114",
    "w4": "0.29950229",
    "w5": "0.35891648",
    "w6": "0.408666186",
    "w7": "0.511301270",
    "w8": "0.561370121",
}
PUBLISHED_ERRORS = {1: "0.29102", 10_000: "0.0000351"}


def initial_parameters() -> dict[str, Value]:
    """The published weights and biases as labelled leaf Values."""
    return {name: Value(data, label=name) for name, data in (WEIGHTS | BIASES).items()}


def _named(value: Value, label: str) -> Value:
    value.label = label
    return value


def forward(p: dict[str, Value]) -> dict[str, Value]:
    """The forward pass from parameters `p`: every quantity the tutorial names, by its name."""
    i1, i2 = Value(I1, label="i1"), Value(I2, label="i2")
    v = {}
    v["net_h1"] = _named(p["w1"] * i1 + p["w2"] * i2 + p["b1"], "net_h1")
    v["net_h2"] = _named(p["w3"] * i1 + p["w4"] * i2 + p["b1"], "net_h2")
    v["out_h1"] = _named(v["net_h1"].sigmoid(), "out_h1")
    v["out_h2"] = _named(v["net_h2"].sigmoid(), "out_h2")
    v["net_o1"] = _named(p["w5"] * v["out_h1"] + p["w6"] * v["out_h2"] + p["b2"], "net_o1")
    v["net_o2"] = _named(p["w7"] * v["out_h1"] + p["w8"] * v["out_h2"] + p["b2"], "net_o2")
    v["out_o1"] = _named(v["net_o1"].sigmoid(), "out_o1")
    v["out_o2"] = _named(v["net_o2"].sigmoid(), "out_o2")
    # E_o1 and E_o2 stay unlabelled so that `explain` folds them into dE/dout_o1, as the
    # tutorial writes the chain rule.
    v["E_o1"] = 0.5 * (T_O1 - v["out_o1"]) ** 2
    v["E_o2"] = 0.5 * (T_O2 - v["out_o2"]) ** 2
    v["E"] = _named(v["E_o1"] + v["E_o2"], "E")
    return v


def tutorial_names(v: dict[str, Value]) -> dict[Value, str]:
    """The tutorial's names for the errors that stay unlabelled (see `forward`), for pictures."""
    return {v["E_o1"]: "E_o1", v["E_o2"]: "E_o2"}


def learned(p: dict[str, Value], update_biases: bool) -> list[str]:
    """The names of the parameters gradient descent changes: the weights, and maybe the biases."""
    return [name for name in p if name.startswith("w") or update_biases]


def train(steps: int, update_biases: bool = False) -> tuple[list[float], dict[str, Value]]:
    """Gradient descent from the published start: the error after each round, the last pass.

    Each round is one forward pass, one backward pass, and every learned parameter moved by
    -0.5 times its gradient (all from the same gradients, as the tutorial works it).
    """
    p = initial_parameters()
    names = learned(p, update_biases)
    v = forward(p)
    errors = []
    for _ in range(steps):
        for param in p.values():
            param.grad = 0.0  # leaves accumulate gradients across backward passes
        v["E"].backward()
        for name in names:
            p[name].data -= LEARNING_RATE * p[name].grad
        v = forward(p)
        errors.append(v["E"].data)
    return errors, v


def _print_forward(v: dict[str, Value]) -> None:
    print("Forward pass")
    for neuron in ("h1", "h2", "o1", "o2"):
        net, out = v[f"net_{neuron}"].data, v[f"out_{neuron}"].data
        print(f"  net_{neuron} = {net:.9f}   out_{neuron} = {out:.9f}")
    e_o1, e_o2, e = v["E_o1"].data, v["E_o2"].data, v["E"].data
    print(f"  E_o1 = {e_o1:.9f}   E_o2 = {e_o2:.9f}   E_total = {e:.9f}")


def _print_one_step(p: dict[str, Value], update_biases: bool) -> None:
    held = "the biases learn too" if update_biases else "the biases held, as published"
    print(f"\nOne step of gradient descent at learning rate {LEARNING_RATE} ({held})")
    print("  name   before      dE/dname      after         published")
    for name in learned(p, update_biases):
        param = p[name]
        after = param.data - LEARNING_RATE * param.grad
        published = PUBLISHED_AFTER_ONE_STEP.get(name, "")
        print(f"  {name:<4} {param.data:.2f}  {param.grad:+.9f}  {after:.9f}   {published}")


def _print_training(steps: int, update_biases: bool) -> None:
    held = "biases learning" if update_biases else "biases held"
    rounds = "round" if steps == 1 else "rounds"
    print(f"\nTraining: {steps} {rounds} at learning rate {LEARNING_RATE} ({held})")
    errors, v = train(steps, update_biases)
    checkpoints = sorted({k for k in (1, 10, 100, 1000, 10_000) if k <= steps} | {steps})
    for k in checkpoints:
        published = PUBLISHED_ERRORS.get(k)
        note = f"   (published: about {published})" if published and not update_biases else ""
        rounds = "round " if k == 1 else "rounds"
        print(f"  after {k:>5} {rounds}: E_total = {errors[k - 1]:.10f}{note}")
    print(f"  out_o1 = {v['out_o1'].data:.9f} (target {T_O1})")
    print(f"  out_o2 = {v['out_o2'].data:.9f} (target {T_O2})")


def main(argv: list[str] | None = None) -> int:
    """Print the worked example, train it, and save its computation graph."""
    parser = argparse.ArgumentParser(
        prog="autograd-lite demo worked_example", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--update-biases", action="store_true", help="let b1 and b2 learn too")
    parser.add_argument("--steps", type=int, default=10_000, help="training rounds (10000)")
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (out)")
    parser.add_argument(
        "--practice", action="store_true", help="also write the page as an exercise to work out"
    )
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be at least 1, got {args.steps}")

    p = initial_parameters()
    v = forward(p)
    print(f"The 2-2-2 network: inputs {I1}, {I2}; targets {T_O1}, {T_O2}\n")
    _print_forward(v)
    print("\nBackward pass: dE/dw5 by the chain rule")
    print(f"  {explain(v['E'], p['w5'])}")
    v["E"].backward()
    print("\nThe gradient of every weight (one backward pass)")
    for name in WEIGHTS:
        print(f"  dE/d{name} = {p[name].grad:+.9f}")
    _print_one_step(p, args.update_biases)
    _print_training(args.steps, args.update_biases)

    args.out.mkdir(parents=True, exist_ok=True)
    try:
        names = tutorial_names(v)
        path = save_graph(v["E"], args.out / "worked_example.svg", names=names)
        # the page steps through backprop, then the update: the output layer's weights first
        params = [p[name] for name in UPDATE_ORDER]
        page = save_graph(
            v["E"], args.out / "worked_example.html", names=names, lr=LEARNING_RATE, params=params
        )
        if args.practice:
            learning = [p[name] for name in learned(p, args.update_biases)]
            exercise = args.out / "worked_example_practice.html"
            save_graph(
                v["E"], exercise, lr=LEARNING_RATE, params=learning, practice=True, names=names
            )
            print(f"\nThe worked example as an exercise (practice mode): {exercise}")
    except RendererError as error:
        print(f"\nComputation graph not drawn: {error}")
    else:
        print(f"\nComputation graph (data and gradients): {path}, interactive: {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
