"""The reference generator: without PyTorch it keeps known numbers, marks new cases pending."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
FILES = ("test_rules_torch.py", "test_nn_losses.py", "test_nn_optim.py")


def _block(path: Path) -> dict[str, list]:
    """The lists of a generated block, as the test module holds them."""
    text = path.read_text(encoding="utf-8")
    start = text.index("# BEGIN TORCH REFERENCE")
    end = text.index("# END TORCH REFERENCE")
    names: dict = {"nan": float("nan"), "inf": float("inf")}
    exec(text[start:end], names)
    return {key: value for key, value in names.items() if key.isupper()}


@pytest.mark.parametrize("file", FILES)
def test_nothing_is_pending_in_the_repository(file: str) -> None:
    """Every case in the repository has PyTorch's numbers."""
    lists = _block(HERE / file)
    assert [name for name, cases in lists.items() if "PENDING" in name and cases] == []
    assert all(lists[name] for name in lists if "REFERENCE" in name)


def test_a_rule_added_without_pytorch_is_marked_pending(tmp_path: Path) -> None:
    """A new rule, with torch hidden: its cases go to PENDING, the known ones stay, it says so."""
    for file in FILES:
        shutil.copy(HERE / file, tmp_path / file)
    code = (
        "import sys; sys.modules['torch'] = None\n"
        f"sys.path.insert(0, {str(HERE)!r})\n"
        "from pathlib import Path\n"
        "from autograd_lite import primitive\n"
        "primitive('cube', lambda x: x ** 3, grads=(lambda x: 3 * x * x,), register=True)\n"
        "import generate_torch_reference as generator\n"
        f"generator.HERE = Path({str(tmp_path)!r})\n"
        "generator.main()\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "No PyTorch here: known numbers are kept, new cases are marked pending."
    assert "pending: ('cube', (0.7,), (0,))" in lines
    assert lines[-1] == "Run this again where the torch extra is installed to fill them in."
    before, after = _block(HERE / FILES[0]), _block(tmp_path / FILES[0])
    assert {case[0] for case in after["PENDING"]} == {"cube"}
    assert len(after["PENDING"]) == 12  # ordinary points and edges, not ±1e300 (overflow)
    assert repr(after["REFERENCE"]) == repr(before["REFERENCE"])
    for file in FILES[1:]:  # nothing new there: the same numbers (before ruff format)
        assert repr(_block(tmp_path / file)) == repr(_block(HERE / file))
