"""The worked example, the two-moons demo and Iris in one run: what `make demo` shows.

Run: autograd-lite demo main [--out DIR]   (in a clone: python -m demos.main, or make demo)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from nn.demos import iris, moons, worked_example


def main(argv: list[str] | None = None) -> int:
    """Run the three demos, leaving their pictures in the output folder, and say where they are."""
    parser = argparse.ArgumentParser(
        prog="autograd-lite demo main", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (out)")
    args = parser.parse_args(argv)

    demos = (
        ("The worked example", worked_example),
        ("Two moons", moons),
        ("Fisher's Iris", iris),
    )
    for k, (title, demo) in enumerate(demos):
        print(("\n" if k else "") + "=" * 30, title, "=" * 30)
        demo.main(["--out", str(args.out)])

    names = ("worked_example.svg", "worked_example.html", "moons.png", "iris.png")
    pictures = [args.out / name for name in names]
    made = [str(path) for path in pictures if path.exists()]
    print(f"\nPictures: {', '.join(made) if made else 'none (see the messages above)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
