"""Runnable tutorials: `autograd-lite demo NAME` anywhere, `python -m demos.NAME` in a clone.

- `worked_example`: the tutorials' 2-2-2 sigmoid network by hand, to the published digits.
- `xor`: an XOR-like problem learned by a small sigmoid network with `nn`.
- `moons`: two-moons classification with an MLP, its decision boundary and loss curve.
- `iris`: Fisher's Iris, three classes, cross-entropy and Adam.
- `graduate`: the moons model trained here, carried to PyTorch, trained on there (torch extra).
- `main`: the worked example, the moons and the Iris demos together (`make demo`).

The engine's command line knows nothing of `nn`: `nn` adds the `demo` command to it through
the entry point `autograd_lite.commands` (in pyproject.toml), and lists here what it runs. A
demo is a module of this package with a docstring (its first line is the summary `demo`
prints) and `main(argv: list[str] | None) -> int`. Listing the demos imports them all, so a
demo imports heavy or optional libraries (matplotlib, NumPy, PyTorch) inside its functions.
A demo that records its run takes `--page FILE` from `nn.demos._options`.
"""

from __future__ import annotations

import argparse
from types import ModuleType


def demos() -> dict[str, ModuleType]:
    """Every demo by name, in the order `autograd-lite demo` lists them. Add a new one here."""
    from nn.demos import graduate, iris, main, moons, worked_example, xor

    return {_name(demo): demo for demo in (worked_example, xor, moons, iris, graduate, main)}


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `demo [NAME [ARGS...]]` to the engine's command line: nn's entry point there."""
    command = commands.add_parser("demo", help="run a demo (lists them without NAME)")
    command.add_argument("name", nargs="?", metavar="NAME")
    command.add_argument("demo_args", nargs=argparse.REMAINDER, metavar="ARGS")
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """List the demos (no NAME) or run one with its ARGS; an unknown NAME is a ValueError."""
    found = demos()
    if args.name is None:
        print("demos (run one with: autograd-lite demo NAME):")
        for name, demo in found.items():
            print(f"  {name:<16} {(demo.__doc__ or '').splitlines()[0]}")
        return 0
    if args.name not in found:
        raise ValueError(f"unknown demo {args.name!r}; the demos are {', '.join(found)}")
    return int(found[args.name].main(args.demo_args) or 0)


def _name(demo: ModuleType) -> str:
    """`xor` for the module `nn.demos.xor`."""
    return demo.__name__.rpartition(".")[2]
