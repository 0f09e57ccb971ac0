"""The options that several demos share: `--page FILE`, where a run's replay page goes."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from autograd_lite.cli import CommandError, writable


def add_page_option(parser: argparse.ArgumentParser) -> None:
    """`--page FILE`, the replay page of a run: a path where the page cannot be written (a
    folder, or under a file) is refused as the option is read, in one line with exit status 2,
    so before any training. Missing folders are made, as `nn.Recorder.save` does."""
    parser.add_argument(
        "--page", action=_Page, metavar="FILE", help="write a page replaying the run (.html)"
    )


class _Page(argparse.Action):
    """Stores `--page`'s value as a Path once `writable` accepts it."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[object] | None,
        option_string: str | None = None,
    ) -> None:
        try:
            path = writable(str(values), make_folders=True)
        except CommandError as error:
            parser.exit(2, f"{parser.prog}: error: {error}\n")
        setattr(namespace, self.dest, path)
