"""`python -m benchmarks.model_files`: model files under concurrent saves, and what loading costs.

- race: two processes save one model file `--saves` times each; the saves that raise, by
  exception, and what is left in the folder;
- loading: a file of each kind (junk, a model file with junk inside, a real model) of about
  `--megabytes`, loaded by `nn.load` in a child process of its own: seconds, the child's peak
  resident memory (getrusage) and that as a multiple of the file, and the outcome.

Run it on another checkout (`PYTHONPATH=../old python -m benchmarks.model_files`) to compare.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile

_SAVER = """
import collections, sys, nn
model, path, times = nn.MLP(2, [4, 1], seed=int(sys.argv[1])), sys.argv[2], int(sys.argv[3])
failed = collections.Counter()
for _ in range(times):
    try:
        model.save(path)
    except Exception as error:
        failed[type(error).__name__] += 1
print(dict(failed))
"""

_LOADER = """
import os, resource, sys, time
import nn
path = sys.argv[1]
started = time.perf_counter()
try:
    model = nn.load(path)
    outcome = f"loaded, {len(model.parameters()):,} parameters"
except (ValueError, OSError) as error:
    outcome = "refused: " + str(error).split("json' ", 1)[-1][:70]
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
size = os.path.getsize(path)
print(f"{seconds:.2f} s | {peak / 2**20:,.0f} MiB | {peak / size:.1f}x | {outcome}")
"""

_HEAD = (
    '{"format": "autograd-lite-model", "version": 1, "architecture": {"type": "MLP", "nin": 2,'
    ' "nouts": [4, 1], "activation": "tanh", "out_activation": null}, "parameters": '
)


def _junk(kind: str, size: int, path: str) -> None:
    """Write a file of about `size` bytes of the given kind to `path`."""
    if kind == "real model":
        import nn

        width = 8
        while (2 * width + 1) * width * 50 < size:  # MLP(width, [width, 1]), ~50 bytes each
            width += 8
        nn.MLP(width, [width, 1], seed=0).save(path)
        return
    if kind == "a list of empty lists":
        text = "[" + "[]," * (size // 3) + "[]]"
    elif kind == "lists among the parameters":
        count = (size - len(_HEAD)) // 14
        text = _HEAD + "{" + ",".join(f'"p{i:07d}": []' for i in range(count)) + "}}"
    else:  # an unknown key holding zeros
        text = _HEAD + '{}, "junk": [' + "0," * ((size - len(_HEAD)) // 2) + "0]}"
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)


def race(saves: int) -> str:
    """Two processes saving one path `saves` times each: failures, and the folder after."""
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "model.json")
    savers = [
        subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(seed), path, str(saves)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in (0, 1)
    ]
    failures = [saver.communicate()[0].strip() for saver in savers]
    left = sorted(os.listdir(folder))
    return f"{2 * saves:,} saves of one path by two processes: failures {failures}; left {left}"


def loading(megabytes: float) -> list[str]:
    """A Markdown table: each kind of file, its size, and what loading it cost."""
    lines = ["| file | MB | time | peak RSS | x file | outcome |", "|---|---:|---:|---:|---:|---|"]
    kinds = ("a list of empty lists", "an unknown key", "lists among the parameters", "real model")
    size = int(megabytes * 2**20) - 64
    for kind in kinds:
        path = os.path.join(tempfile.mkdtemp(), "model.json")
        # Made in a child too: a child's peak memory starts at its parent's (fork keeps it).
        make = f"from benchmarks.model_files import _junk; _junk({kind!r}, {size}, {path!r})"
        subprocess.run([sys.executable, "-c", make], check=True)
        done = subprocess.run(
            [sys.executable, "-c", _LOADER, path], capture_output=True, text=True, check=True
        )
        lines.append(f"| {kind} | {os.path.getsize(path) / 1e6:.1f} | {done.stdout.strip()} |")
        os.unlink(path)
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.model_files")
    parser.add_argument("--saves", type=int, default=500, help="saves per process (500)")
    parser.add_argument("--megabytes", type=float, default=50.0, help="size of each file (50)")
    args = parser.parse_args(argv)
    print(race(args.saves))
    print("\n".join(loading(args.megabytes)))


if __name__ == "__main__":
    main()
