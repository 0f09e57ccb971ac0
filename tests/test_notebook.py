"""demos/backprop_tour.ipynb runs top to bottom with only the pip renderer, and shows its graphs."""

from __future__ import annotations

import re
import shutil
import subprocess
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
    # untrusted, a notebook shows only text: every display says in words what it is
    assert all(re.fullmatch(r"[^\n]*", data.get("text/plain", "")) for data in shown)
    texts = [data["text/plain"] for data in shown if data]
    assert texts
    assert not [text for text in texts if " at 0x" in text]
    assert any(text.startswith("<the graph of ") for text in texts)
    assert any("image/svg+xml" in data for data in shown)
    assert any(data.get("text/html", "").startswith("<iframe srcdoc=") for data in shown)
    printed = "".join(output.get("text", "") for output in outputs)
    assert "out_o1 = 0.751365070" in printed
    assert "dE/dw5 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5" in printed
    assert "w5 = 0.35891648, w1 = 0.149780716" in printed
    assert "E after one step = 0.291027774" in printed


def test_make_notebook_installs_jupyterlab_and_opens_the_tour() -> None:
    """`make notebook` (as the README and the notebook say) installs the project with its
    render extra and JupyterLab into .venv, then opens the tour."""
    make = shutil.which("make")
    if make is None:
        pytest.skip("no make")
    root = NOTEBOOK.parents[1]
    planned = subprocess.run(
        [make, "--no-print-directory", "-n", "-B", "notebook"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "-m pip install --quiet -e '.[render,plot]'" in planned
    assert "-m pip install --quiet jupyterlab" in planned
    assert planned.rstrip().endswith(".venv/bin/jupyter lab demos/backprop_tour.ipynb")
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "make notebook" in readme
    assert "make notebook" in NOTEBOOK.read_text(encoding="utf-8")
