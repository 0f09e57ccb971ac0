"""What an install holds and costs: the import is light, the wheel ships the library only."""

from __future__ import annotations

import subprocess
import sys


def test_importing_autograd_lite_does_not_import_graphviz() -> None:
    """graphviz loads when a picture is first drawn, not for programs that never draw."""
    code = (
        "import sys, autograd_lite, nn; from autograd_lite import Value\n"
        "assert 'graphviz' not in sys.modules, 'imported with autograd_lite'\n"
        "autograd_lite.draw_graph(Value(1.0) * 2)\n"
        "assert 'graphviz' in sys.modules, 'not imported by draw_graph'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
