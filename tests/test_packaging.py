"""What an install holds and costs: the import is light, the wheel ships the library only."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest


def test_importing_autograd_lite_does_not_import_graphviz() -> None:
    """graphviz loads when a picture is first drawn, not for programs that never draw."""
    code = (
        "import sys, autograd_lite; from autograd_lite import Value\n"
        "assert 'graphviz' not in sys.modules, 'imported with autograd_lite'\n"
        "autograd_lite.draw_graph(Value(1.0) * 2)\n"
        "assert 'graphviz' in sys.modules, 'not imported by draw_graph'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_packages_import_only_downward() -> None:
    """The engine (and its command line) never imports nn; nn never imports its demos."""
    code = (
        "import sys, autograd_lite, autograd_lite.cli, autograd_lite.testing\n"
        "assert not any(m == 'nn' or m.startswith('nn.') for m in sys.modules), 'nn'\n"
        "import nn\n"
        "assert 'nn.demos' not in sys.modules, 'nn.demos'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_engine_and_nn_never_import_torch() -> None:
    """PyTorch loads only on the way to it (`to_torch`, `from_torch`), never with the packages."""
    code = (
        "import sys, autograd_lite, nn, autograd_lite.cli\n"
        "nn.MLP(2, [3, 1], seed=0)([1.0, 2.0]).backward()\n"
        "assert not any(m == 'torch' or m.startswith('torch.') for m in sys.modules), 'torch'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


ROOT = Path(__file__).resolve().parent.parent
NOT_SOURCE = (".git", ".venv", "build", "dist", "out", "*.egg-info", "__pycache__", ".*_cache")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built offline from a copy of the source (no stale build/ folder)."""
    source = tmp_path_factory.mktemp("source") / "autograd-lite"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    wheels = tmp_path_factory.mktemp("wheels")
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*pip, "-w", str(wheels), str(source)], check=True, capture_output=True)
    (built,) = wheels.glob("autograd_lite-*.whl")
    return built


def test_the_wheel_holds_autograd_lite_and_nn_only(wheel: Path) -> None:
    """Two packages (the demos and the Iris file inside nn), no top-level demos, no tests."""
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"autograd_lite", "nn", wheel.name.split("-py3")[0] + ".dist-info"}
    for shipped in (
        "autograd_lite/py.typed",
        "autograd_lite/compiling/tracing.py",
        "nn/demos/iris.py",
    ):
        assert shipped in names
    assert "nn/demos/data/iris.csv" in names
    assert "nn/demos/data/README.md" in names  # where the data come from travels with them


def test_the_installed_wheel_runs_a_demo_from_outside_the_repository(
    wheel: Path, tmp_path: Path
) -> None:
    """A fresh venv with only the wheel in it runs `autograd-lite demo worked_example`.

    The venv gets no pip (fast); the dev venv's pip installs into it. Its dependencies
    (graphviz, matplotlib) come from the dev venv's site-packages, listed after its own by a
    .pth file, so autograd_lite and nn can only come from the wheel.
    """
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
    subprocess.run([*pip, str(wheel)], check=True, capture_output=True)
    site = sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)})
    (Path(site) / "dev_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    away = tmp_path / "elsewhere"
    away.mkdir()

    def run(*command: str | Path) -> str:
        done = subprocess.run(command, cwd=away, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    where = run(
        python, "-c", "import autograd_lite, nn; print(autograd_lite.__file__, nn.__file__)"
    )
    assert all(path.startswith(site) for path in where.split())
    flowers = run(python, "-c", "from nn.demos import iris; print(len(iris.load_iris()[0]))")
    assert flowers.strip() == "150"
    printed = run(venv / "bin" / "autograd-lite", "demo", "worked_example", "--steps", "10")
    assert "out_o1 = 0.751365070" in printed
    assert "after    10 rounds: E_total = 0.2209185921" in printed
    assert (away / "out").is_dir()


def test_an_install_puts_no_demos_package_on_the_path(tmp_path: Path) -> None:
    """Outside the repository only autograd_lite and nn import (this venv's editable install)."""
    code = (
        "import importlib.util as u\n"
        "print([m for m in ('autograd_lite', 'nn', 'nn.demos', 'demos', 'tests', 'benchmarks')"
        " if u.find_spec(m)])"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.stdout.strip() == "['autograd_lite', 'nn', 'nn.demos']", done.stderr


def test_the_repository_says_its_promises_instead_of_citing_tickets() -> None:
    """No file cites a ticket ("issue" and a number) or a contract file kept outside the repository.

    A promise is written where it is made (or in docs/), so a reader of a clone needs nothing else.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    citation = re.compile(r"\bissues? #?\d|\bAPI\.md\b", re.IGNORECASE)
    cited = []
    for name in filter(None, listed.stdout.split("\0")):
        path = ROOT / name
        if path.suffix in {".png", ".svg"} or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        cited += [f"{name}: {match.group()}" for match in citation.finditer(text)]
    assert cited == []
