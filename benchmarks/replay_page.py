"""The training replay's page: its size and how long headless Chromium takes to open it.

Records a 100-step run of the moons demo (`MLP(2, [16, 16, 1])`, 100 points, SGD) with
`nn.Recorder`, writes the page, and opens it three times in Debian's Chromium through
Playwright, timing each from navigation until `window.autogradLite.replay` exists.

Run: .venv/bin/python -m benchmarks.replay_page [--steps 100] [--out out/moons.html]
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from nn.demos import moons


def main(argv: list[str] | None = None) -> int:
    """Write the page, print its size and three load times."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("out/moons.html"))
    args = parser.parse_args(argv)
    points, labels = moons.two_moons(100, seed=0)
    moons.train(points, labels, steps=args.steps, page=args.out)
    print(f"{args.out}: {args.out.stat().st_size:,} bytes for {args.steps} steps")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("no Chromium found: the load time is not measured")
        return 0
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for width, height in ((1024, 768), (1400, 900), (1920, 1080)):
            page = browser.new_page(viewport={"width": width, "height": height})
            start = time.perf_counter()
            page.goto(args.out.resolve().as_uri())
            page.wait_for_function("window.autogradLite && window.autogradLite.replay")
            seconds = time.perf_counter() - start
            print(f"  opened at {width}x{height} in {seconds:.2f} s")
            page.close()
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
