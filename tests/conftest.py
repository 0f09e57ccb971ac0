"""Test settings shared by the suite.

Under CI (`CI=true`, as `.ci/run` is run) Hypothesis draws the same examples on every run, so a
submission's result does not depend on the luck of the draw; elsewhere it explores anew each
time, which is how property tests find new failures.
"""

from __future__ import annotations

import collections
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

from autograd_lite import Value

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")


class _CountedSlot:
    """A graph slot of Value that counts its reads: the cost of a graph reader, machine-free."""

    def __init__(self, slot: Any, counts: collections.Counter[str], name: str) -> None:
        self.slot, self.counts, self.name = slot, counts, name

    def __get__(self, node: Any, owner: Any = None) -> Any:
        if node is None:
            return self
        self.counts[self.name] += 1
        return self.slot.__get__(node, owner)

    def __set__(self, node: Any, value: Any) -> None:
        self.slot.__set__(node, value)


GRAPH_SLOTS = ("_a", "_b", "_da", "_db", "_rule")


@pytest.fixture
def graph_reads(monkeypatch: pytest.MonkeyPatch) -> collections.Counter[str]:
    """Reads of each Value's parents, local derivatives and rule from now on, by slot name.

    Tests bound a reader's work by these counts instead of by the clock, which a loaded machine
    moves: a reader that is linear in the graph reads each slot a bounded number of times.
    """
    counts: collections.Counter[str] = collections.Counter()
    for name in GRAPH_SLOTS:
        monkeypatch.setattr(Value, name, _CountedSlot(Value.__dict__[name], counts, name))
    return counts


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_BROWSER = (
    "needs headless Chromium and Playwright: `apt-get install chromium`, `pip install playwright`"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, one per test module that asks for it, or a skip saying how to get it."""
    if CHROMIUM is None:
        pytest.skip(f"no Chromium found: {NO_BROWSER}")
    sync_api = pytest.importorskip("playwright.sync_api", reason=NO_BROWSER)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()
