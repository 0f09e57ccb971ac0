"""The graduate demo: the same losses in both engines, before and after carrying the model.

These tests need the torch extra (`make test` installs it); without it they skip, saying so,
except the one that checks what the demo says without it.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

import nn
from nn.demos import graduate

needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None,
    reason="needs PyTorch, the torch extra: pip install -e '.[torch]' (make test installs it)",
)
README = Path(__file__).resolve().parents[1] / "README.md"


def _close(ours: list[float], theirs: list[float]) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert abs(a - b) <= 1e-12 * max(1.0, abs(b)), (a, b)


@needs_torch
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_both_engines_take_the_same_steps(optimizer: str) -> None:
    """Four steps side by side, the model carried, four more: every loss equal to 1e-12."""
    ours, theirs, run, module = graduate.graduate(4, optimizer, samples=24, seed=1)
    assert len(ours) == len(theirs) == 8
    _close(ours, theirs)
    assert ours[-1] < ours[0]  # it learns
    back = nn.MLP.from_torch(module)
    _close([p.data for p in back.parameters()], [p.data for p in run.model.parameters()])


@needs_torch
def test_the_carried_model_is_the_one_trained_here() -> None:
    """After the carry PyTorch continues from the trained model, not from its copy of the start.

    Carrying a model trained with other steps (a higher learning rate here) shows in PyTorch's
    next loss: it is the loss of the model here, not of PyTorch's side-by-side copy.
    """
    run = graduate.Run(24, 1, "sgd", steps=4)
    _, copy_of_start = run.in_torch()
    run.step(0)
    run.step(1)
    _, carried = run.in_torch()
    next_here = run.step(2)
    assert abs(carried(2) - next_here) <= 1e-12
    assert abs(copy_of_start(0) - next_here) > 1e-3


@needs_torch
def test_the_demo_prints_both_losses_per_step(capsys: pytest.CaptureFixture[str]) -> None:
    """Header, one line per step with both losses, the carry between, the summary at the end."""
    assert graduate.main(["--steps", "2", "--samples", "12"]) == 0
    lines = capsys.readouterr().out.splitlines()
    steps = [line for line in lines if re.match(r" +\d+  ", line)]
    assert [int(line.split()[0]) for line in steps] == [1, 2, 3, 4]
    assert lines[lines.index(steps[2]) - 2].startswith("Carried to PyTorch after step 2:")
    assert lines[-3].startswith("Largest difference of the losses: ")
    assert lines[-3].endswith("(within 1e-12).")
    back = "Back by nn.MLP.from_torch: MLP(2, [16, 16, 1], activation='relu'), weights within "
    assert lines[-2].startswith(back)
    assert lines[-2].endswith(" of this engine's.")  # it said "of here's"


@needs_torch
def test_the_readme_shows_the_demo_s_output() -> None:
    """The README's block is what `autograd-lite demo graduate` prints (the last digits and the
    difference column aside, which PyTorch's order of summation may change on another machine)."""
    done = subprocess.run(
        [sys.executable, "-m", "autograd_lite", "demo", "graduate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    shown = re.search(r"```text\n(Two moons, 100 points.*?)```", README.read_text("utf-8"), re.S)
    assert shown, "the README does not show the graduate demo's output"
    assert _rounded(shown.group(1)) == _rounded(done.stdout)


def _rounded(text: str) -> list[str]:
    """Lines with each loss to 12 significant digits and the difference column dropped."""
    out = []
    for line in text.strip().splitlines():
        if re.match(r" +\d+  ", line):
            step, ours, theirs, _ = line.split()
            line = f"{step} {float(ours):.12g} {float(theirs):.12g}"
        out.append(re.sub(r"\d+e-\d+", "e", line))  # differences, in words too
    return out


def test_without_torch_the_demo_says_what_to_install() -> None:
    """With torch hidden: exit 2 and one line naming the torch extra, no traceback."""
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from nn.demos import graduate\n"
        "sys.exit(graduate.main([]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 2
    assert "needs PyTorch, the torch extra: pip install 'autograd-lite[torch]'" in done.stderr
    assert "Traceback" not in done.stderr
