"""Worksheets: the reverse pass's steps with blanks, and the key with every number."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import autograd_lite as ag
from autograd_lite import Value
from autograd_lite.exercises import exercise
from autograd_lite.worksheet import BLANK, line_text, save_worksheet, steps


def neuron() -> tuple[Value, list[Value]]:
    """tanh(w*x + b) at the README's point, unlabelled in between."""
    w, x, b = Value(-3.0, "w"), Value(2.0, "x"), Value(6.88, "b")
    return ag.tanh(w * x + b), [w, x, b]


def test_steps_are_the_reverse_pass_and_end_at_backwards_grads() -> None:
    """One numbered line per edge; each parent's last total is what backward() gives."""
    f, leaves = neuron()
    names, grads, lines = steps(f)
    assert [line.number for line in lines] == list(range(1, 6))
    assert all(node.grad == 0.0 for node in ag.topological_order(f))  # untouched
    f.backward()
    last = {line.parent: line.total for line in lines}
    for leaf in leaves:
        assert last[names[leaf]] == leaf.grad == grads[leaf]
    assert lines[0].node == "f"
    assert lines[0].adjoint == 1.0


def test_a_blank_line_hides_every_number_the_key_shows_them() -> None:
    """The sheet's line has three blanks (four when a sum is asked), the key the numbers."""
    x = Value(1.5, "x")
    f = x * x + x  # x gets two contributions (three edges into it)
    _, _, lines = steps(f)
    again = [line for line in lines if line.again]
    assert again
    sheet = line_text(again[-1], answers=False)
    assert sheet.count(BLANK) == 4
    assert not re.search(r"\d\.\d", sheet)
    key = line_text(again[-1], answers=True)
    f.backward()
    assert f"so grad(x) = {x.grad:.8g}   (∂mul₁/∂x = x)" in key
    assert "× 1.5 =" in key or "× 1 =" in key


def test_html_sheet_and_key(tmp_path: Path) -> None:
    """One self-contained page each: the picture, the numbered list; the key has the grads."""
    f, (w, x, b) = neuron()
    sheet = save_worksheet(f, tmp_path / "sheet.html").read_text(encoding="utf-8")
    key = save_worksheet(f, tmp_path / "key.html", answers=True).read_text(encoding="utf-8")
    assert "<svg" in sheet
    assert not re.search(r"\b(src|href)\s*=", sheet)
    assert sheet.count("<li>") == key.count("<li>") == 5
    assert sheet.count("class=blank") == 15
    assert "grad ______" in sheet
    f.backward()
    for leaf in (w, x, b):
        assert f"{leaf.grad:.8g}" in key
        assert f"{leaf.grad:.8g}" not in sheet


def test_dot_and_svg_carry_the_steps_beside_the_picture(tmp_path: Path) -> None:
    """The picture with a box of numbered steps; the key's grads filled in."""
    made = exercise(2, 2)
    _, f = made.build()
    dot = save_worksheet(f, tmp_path / "s.dot").read_text(encoding="utf-8")
    assert "steps [label=" in dot
    assert "9. grad(" in dot
    assert "grad ______" in dot
    svg = save_worksheet(f, tmp_path / "k.svg", answers=True).read_text(encoding="utf-8")
    assert "answer key" in svg
    assert "grad ______" not in svg


@pytest.mark.skipif(shutil.which("dot") is None, reason="PDF needs the system Graphviz dot")
def test_pdf_with_the_system_graphviz(tmp_path: Path) -> None:
    """A PDF when the renderer can make one."""
    f, _ = neuron()
    assert save_worksheet(f, tmp_path / "s.pdf").read_bytes().startswith(b"%PDF")


def test_an_unknown_format_is_refused(tmp_path: Path) -> None:
    """The suffix says what to use; nothing is written."""
    f, _ = neuron()
    with pytest.raises(ValueError, match=r"use \.html, \.svg, \.pdf, \.dot"):
        save_worksheet(f, tmp_path / "s.png")
    assert not (tmp_path / "s.png").exists()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """autograd-lite with `args`, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "autograd_lite", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_writes_the_sheet_and_its_key(tmp_path: Path) -> None:
    """worksheet EXPR --at ... -o sheet.html --answers key.html, and from a seed."""
    sheet, key = tmp_path / "sheet.html", tmp_path / "key.html"
    done = cli(
        "worksheet", "x*y + x", "--at", "x=1.5,y=-2", "-o", str(sheet), "--answers", str(key)
    )
    assert done.returncode == 0, done.stderr
    assert "x*y + x at x=1.5,y=-2" in sheet.read_text(encoding="utf-8")
    assert "so grad(x) = -1" in key.read_text(encoding="utf-8")
    done = cli("worksheet", "--seed", "4", "--level", "2", "-o", str(tmp_path / "s.dot"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"exercise 4 of level 2: {exercise(4, 2).expr}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x*y", "--at", "x=1,y=2", "-o", "s.html", "--answers", "k.png"], "format from 'k.png'"),
        (["--seed", "1", "x", "-o", "s.html"], "not both"),
        (["x*y", "--at", "x=1", "-o", "s.html"], "no value for y"),
        (["--level", "2", "-o", "s.html"], "required: EXPR (or --seed N)"),
    ],
)
def test_cli_bad_input_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    """Exit 2, one line saying what was wrong, nothing written."""
    done = subprocess.run(
        [sys.executable, "-m", "autograd_lite", "worksheet", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_the_key_gives_each_local_derivative_as_the_rules_table_writes_it() -> None:
    """`(∂mul₁/∂y = x)`, `(∂pow₁/∂x = 2*x)`, `(∂sin₁/∂x = cos(x))` on the key, not the sheet."""
    x, y = Value(1.5, "x"), Value(-2.0, "y")
    _, _, lines = steps(x * y + ag.sin(x) + x**2)
    keys = [line_text(line, answers=True) for line in lines]
    for rule in ("(∂mul₁/∂y = x)", "(∂mul₁/∂x = y)", "(∂pow₁/∂x = 2*x)", "(∂sin₁/∂x = cos(x))"):
        assert sum(key.endswith(rule) for key in keys) == 1, rule
    assert not any("(∂" in line_text(line, answers=False) for line in lines)
