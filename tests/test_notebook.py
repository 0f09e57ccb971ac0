"""demos/backprop_tour.ipynb runs top to bottom with only the pip renderer, and shows its graphs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "demos" / "backprop_tour.ipynb"


def test_backprop_tour_runs_without_system_graphviz(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every cell runs; the graph shows as SVG, the Value as the page, the numbers as published."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("PATH", str(tmp_path))  # no system dot (the kernel starts by full path)
    assert shutil.which("dot") is None
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    ).execute()
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    assert not [output for output in outputs if output.output_type == "error"]
    shown = [output.get("data", {}) for output in outputs]
    assert any("image/svg+xml" in data for data in shown)
    assert any(data.get("text/html", "").startswith("<iframe srcdoc=") for data in shown)
    printed = "".join(output.get("text", "") for output in outputs)
    assert "out_o1 = 0.751365070" in printed
    assert "dE/dw5 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5" in printed
    assert "w5 = 0.35891648, w1 = 0.149780716" in printed
    assert "E after one step = 0.291027774" in printed
