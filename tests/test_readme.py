"""Every command the README shows runs, as written, and does what the README says.

Most run literally in a copy of the repository with its own `.venv` made as the README says
(`python3 -m venv .venv`, then `.venv/bin/pip install .` with the flags that keep it offline:
graphviz and the build backend come from the venv running these tests). Commands that need
the extras run in the venv running these tests, `.venv/bin/` standing for its folder, from a
scratch folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")
NOT_SOURCE = (".git", ".venv", "build", "dist", "out", "*.egg-info", "__pycache__", ".*_cache")
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

# Each command the README shows, and the test here that runs it; a key ending in a space
# stands for every command that starts with it.
RUN_BY = {
    "make demo": "test_make_demo_runs_the_three_demos",
    "make test": "(this suite itself, which .ci/run runs)",
    "make lint": "(ruff and mypy: the first half of make test)",
    "make bench": "(not run: it installs micrograd from the package index and takes minutes)",
    "make notebook": "(tests/test_notebook.py checks what it installs and opens)",
    "python3 -m venv .venv": "clone",
    ".venv/bin/pip install .": "clone",
    ".venv/bin/autograd-lite --help": "test_the_venv_commands_work_by_path_or_activated",
    "source .venv/bin/activate && autograd-lite --help": (
        "test_the_venv_commands_work_by_path_or_activated"
    ),
    ".venv/bin/python quickstart.py": "test_quickstart_runs_verbatim_and_prints_its_numbers",
    ".venv/bin/pytest test_softplus.py": "test_property_testing_example_passes_under_pytest",
    ".venv/bin/autograd-lite draw ": "test_draw_writes_the_svg",
    ".venv/bin/autograd-lite explain ": "test_explain_prints_what_the_readme_shows",
    ".venv/bin/autograd-lite demo": "test_the_demo_commands_run_in_the_clone",
    ".venv/bin/autograd-lite demo iris": "test_the_demo_commands_run_in_the_clone",
    ".venv/bin/python -m demos.xor": "test_the_demo_commands_run_in_the_clone",
    "autograd-lite demo": "test_the_demo_commands_run_in_the_clone",
    "autograd-lite demo NAME": "test_the_demo_commands_run_in_the_clone",
    "python -m demos.NAME": "test_the_demo_commands_run_in_the_clone",
    "autograd-lite demo moons --compiled": "test_the_compiled_moons_command_of_the_speed_table",
    "autograd-lite demo graduate": "(tests/test_demos_graduate.py runs it, checks its output here)",
    ".venv/bin/pip install -e '.[torch]'": "(the torch extra: make test installs it the same way)",
    "autograd-lite grad/draw/explain/check/demo": "(the subcommands: tests/test_cli.py runs each)",
    ".venv/bin/autograd-lite practice ": "(tests/test_practice.py runs practice and --seed)",
    ".venv/bin/autograd-lite worksheet ": "(tests/test_worksheet.py runs worksheet ... --answers)",
    ".venv/bin/autograd-lite demo moons --page out/moons.html": (
        "(tests/test_recorder.py runs the demos' --page; benchmarks/replay_page.py measures it)"
    ),
}


def _runner(command: str) -> str | None:
    """The entry of RUN_BY for `command`, if any."""
    for key, runner in RUN_BY.items():
        if command == key or (key.endswith(" ") and command.startswith(key)):
            return runner
    return None


def _fenced(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", TEXT, re.DOTALL)


def _commands() -> list[str]:
    """Shell lines of sh blocks (comments cut), `$ ` lines of console blocks, inline commands."""
    commands = [
        line.split("  #")[0].strip()
        for block in _fenced("sh")
        for line in block.splitlines()
        if line.strip()
    ]
    commands += [
        line[2:] for block in _fenced("console") for line in block.splitlines() if line[:2] == "$ "
    ]
    prose = re.sub(r"```.*?```", "", TEXT, flags=re.DOTALL)
    starts = (".venv/bin/", "make ", "python", "pip ", "source ", "autograd-lite ")
    commands += [c for c in re.findall(r"`([^`\n]+ [^`\n]+)`", prose) if c.startswith(starts)]
    return commands


def _python_block(heading: str) -> str:
    match = re.search(r"```python\n(.*?)```", TEXT.split(heading, 1)[1], re.DOTALL)
    assert match, f"the section {heading!r} has no python block"
    return match.group(1)


def _sh(command: str, cwd: Path, timeout: float = 300) -> str:
    """Run `command` with bash in `cwd`; its output, after checking it succeeded."""
    done = subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _here(command: str) -> str:
    """`command` with `.venv/bin/` standing for the folder of the venv running these tests."""
    return command.replace(".venv/bin/", f"{Path(sys.executable).parent}/")


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository, installed into its own .venv by the README's two commands."""
    if shutil.which("python3") is None:
        pytest.fail("the README's install needs python3 on PATH")
    copy = tmp_path_factory.mktemp("clone") / "autograd-lite"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    _sh("python3 -m venv .venv", copy)
    # The README's `pip install .` offline, so the suite needs no network: the build backend
    # comes from the venv running these tests (PYTHONPATH while building) and so does the one
    # dependency, graphviz (linked into a folder that a path file adds); the project itself is
    # built from the copy, and the extras stay missing as after a plain install.
    tests_venv = sysconfig.get_path("purelib")
    deps = copy.parent / "deps"
    deps.mkdir()
    (deps / "graphviz").symlink_to(Path(tests_venv) / "graphviz")
    (site,) = (copy / ".venv" / "lib").glob("python3*/site-packages")
    (site / "deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    offline = "--no-index --no-build-isolation --no-deps"
    _sh(f"PYTHONPATH={tests_venv} .venv/bin/pip install {offline} .", copy)
    return copy


def test_every_command_in_the_readme_is_run_here() -> None:
    """A command added to the README without a test that runs it fails here."""
    commands = _commands()
    assert len(commands) >= 15  # the parsing finds them
    assert [c for c in commands if _runner(c) is None] == []
    for runner in RUN_BY.values():
        assert runner.startswith("(") or runner in globals(), runner


def test_the_torch_extra_keeps_the_editable_install() -> None:
    """`pip install '.[torch]'` after `make demo` replaced the editable install with a copy, so
    the venv's `autograd-lite` stopped following edits of the clone: the README says `-e`."""
    extras = [c for c in _commands() if "pip install" in c and "[" in c]
    assert extras
    assert [c for c in extras if " -e " not in c] == []


def test_the_venv_commands_work_by_path_or_activated(clone: Path) -> None:
    """`.venv/bin/autograd-lite` and, after `source .venv/bin/activate`, `autograd-lite`."""
    for command in (
        ".venv/bin/autograd-lite --help",
        "source .venv/bin/activate && autograd-lite --help",
    ):
        assert _sh(command, clone).startswith("usage: autograd-lite")


def test_quickstart_runs_verbatim_and_prints_its_numbers(clone: Path) -> None:
    """The quickstart prints z and both partials, and a training loss that fell."""
    (clone / "quickstart.py").write_text(_python_block("## Quickstart"), encoding="utf-8")
    first, second = _sh(".venv/bin/python quickstart.py", clone).splitlines()
    # z = tanh(-3) + log(3.25); dz/dx = -2 sech^2(-3) + 3/3.25; dz/dy = 1.5 sech^2(-3)
    assert first == "z = 0.183600, dz/dx = 0.903345, dz/dy = 0.014799"
    assert float(second.rsplit(" ", 1)[1]) < 0.5


def test_the_demo_commands_run_in_the_clone(clone: Path) -> None:
    """The demo list, Iris (no plot: matplotlib is an extra) and `python -m demos.xor`."""
    listing = _sh(".venv/bin/autograd-lite demo", clone)
    for name in ("iris", "main", "moons", "worked_example", "xor"):
        assert f"\n  {name} " in listing
    iris = _sh(".venv/bin/autograd-lite demo iris", clone)
    assert "Held-out accuracy: 97.8% (44 of 45)" in iris
    assert "`pip install matplotlib`" in iris
    assert "Solved: every output rounds to its target." in _sh(
        ".venv/bin/python -m demos.xor", clone
    )


def test_explain_prints_what_the_readme_shows(tmp_path: Path) -> None:
    """Each console block of `explain`: its command and its output, line for line."""
    blocks = [b for b in _fenced("console") if "explain" in b]
    assert len(blocks) == 2  # the labelled neuron, and the backward pass edge by edge
    for block in blocks:
        command, *expected = block.strip().splitlines()
        assert _sh(_here(command.removeprefix("$ ")), tmp_path).splitlines() == expected


def test_draw_writes_the_svg(tmp_path: Path) -> None:
    """The draw commands write graph.svg and the page graph.html (with this venv's extras)."""
    commands = [c for c in _commands() if " draw " in c]
    assert [c.rsplit(" ", 1)[1] for c in commands] == ["graph.svg", "graph.html"]
    for command in commands:
        name = command.rsplit(" ", 1)[1]
        assert _sh(_here(command), tmp_path).strip() == f"wrote {name}"
        assert "<svg" in (tmp_path / name).read_text(encoding="utf-8")


def test_property_testing_example_passes_under_pytest(tmp_path: Path) -> None:
    """The README's Hypothesis example is a working pytest file."""
    source = _python_block("## Property-test your gradients")
    (tmp_path / "test_softplus.py").write_text(source, encoding="utf-8")
    pytest_here = _here(".venv/bin/pytest -q -p no:cacheprovider test_softplus.py")
    assert "2 passed" in _sh(pytest_here, tmp_path)


def test_the_compiled_moons_command_of_the_speed_table(tmp_path: Path) -> None:
    """`autograd-lite demo moons --compiled` trains through compile (few steps here)."""
    printed = _sh(_here(".venv/bin/autograd-lite demo moons --compiled --steps 3"), tmp_path)
    assert "Two moons: 100 points, MLP(2, [16, 16, 1]), sgd, compiled" in printed


def test_make_demo_runs_the_three_demos(tmp_path: Path) -> None:
    """`make demo` in the repository: the published figures, Iris, the pictures and the page."""
    if Path(sys.prefix) != ROOT / ".venv":
        pytest.skip("make demo installs into the repository's .venv: run the suite from there")
    printed = _sh("make demo", ROOT)
    assert "after 10000 rounds: E_total = 0.0000351019   (published: about 0.0000351)" in printed
    assert "Held-out accuracy: 97.8% (44 of 45)" in printed
    names = ("worked_example.svg", "worked_example.html", "moons.png", "iris.png")
    assert f"Pictures: {', '.join(str(Path('out') / name) for name in names)}" in printed
