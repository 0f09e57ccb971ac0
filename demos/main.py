"""The worked example and the two-moons demo in one run: what `make demo` shows.

Run: python -m demos.main [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from demos import moons, worked_example


def main(argv: list[str] | None = None) -> int:
    """Run both demos, leaving their pictures in the output folder, and say where they are."""
    parser = argparse.ArgumentParser(
        prog="python -m demos.main", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--out", type=Path, default=Path("out"), help="output folder (out)")
    args = parser.parse_args(argv)

    print("=" * 30, "The worked example", "=" * 30)
    worked_example.main(["--out", str(args.out)])
    print()
    print("=" * 30, "Two moons", "=" * 30)
    moons.main(["--out", str(args.out)])

    names = ("worked_example.svg", "moons.png", "worked_example.html")
    pictures = [args.out / name for name in names]
    made = [str(path) for path in pictures if path.exists()]
    print(f"\nPictures: {', '.join(made) if made else 'none (see the messages above)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
