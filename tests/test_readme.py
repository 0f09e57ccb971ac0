"""The README's quickstart runs as written, in a fresh interpreter."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _quickstart() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quickstart", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the Quickstart section has no python block"
    return match.group(1)


def test_quickstart_runs_verbatim_and_prints_its_numbers() -> None:
    """The quickstart prints z and both partials, and a training loss that fell."""
    result = subprocess.run(
        [sys.executable, "-c", _quickstart()], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    # z = tanh(-3) + log(3.25); dz/dx = -2 sech^2(-3) + 3/3.25; dz/dy = 1.5 sech^2(-3)
    assert first == "z = 0.183600, dz/dx = 0.903345, dz/dy = 0.014799"
    assert float(second.rsplit(" ", 1)[1]) < 0.5


def test_property_testing_example_passes_under_pytest(tmp_path: Path) -> None:
    """The README's Hypothesis example is a working pytest file."""
    section = README.read_text(encoding="utf-8").split("## Property-test your gradients", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the property-testing section has no python block"
    (tmp_path / "test_softplus.py").write_text(match.group(1), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
