"""Worksheets for the backward pass: the graph with its grads left blank, the steps numbered.

A teacher prints the worksheet, the learner fills in each step of the reverse pass, and the
answer key has every number and, per step, the chain-rule line that gives it:
`3. grad(x) += grad(mul₁) × ∂mul₁/∂x = -2 × 1.5 = -3, so grad(x) = -4   (∂mul₁/∂x = y)`,
the local derivative's formula being the rules table's. The steps are the
reverse pass's own updates (the graph's record, in `backward()`'s order), and the nodes have
the names `explain` and the page give them, so the sheet, the page and `explain` say the same thing.
No `.grad` of the graph is changed.

`.html` is one self-contained page (the picture inline as SVG) made to be printed; `.svg` and
`.pdf` are the picture with the steps in a box beside it (`.pdf` needs the system Graphviz);
`.dot` is that picture's DOT text.
"""

from __future__ import annotations

import html
import math
import os
from pathlib import Path
from typing import NamedTuple

from autograd_lite import record
from autograd_lite.graph import draw_graph, render
from autograd_lite.value import Value

FORMATS = (".html", ".svg", ".pdf", ".dot")
BLANK = "______"


class Line(NamedTuple):
    """One step of the reverse pass: grad(parent) += grad(node) × local = product."""

    number: int  # from 1
    node: str
    parent: str
    adjoint: float  # grad(node)
    local: float  # ∂node/∂parent
    total: float  # grad(parent) after this step
    again: bool  # whether the parent had a contribution before (the sum is asked too)
    rule: str  # the local derivative as the rules table writes it, over the names (`y`, `2*x`)


def steps(root: Value) -> tuple[dict[Value, str], dict[Value, float], list[Line]]:
    """The names of `root`'s Values, their grads, and the numbered steps of the reverse pass."""
    if not isinstance(root, Value):
        raise TypeError(f"a worksheet needs a Value, got {type(root).__name__}")
    graph = record.read(root)
    names = graph.names
    grads, passes = graph.reverse_pass
    lines: list[Line] = []
    reached: set[Value] = set()
    for updates in passes:
        rules = _formulas(graph, updates[0].node) if updates else []
        for update, rule in zip(updates, rules):
            lines.append(
                Line(
                    len(lines) + 1,
                    names[update.node],
                    names[update.parent],
                    update.adjoint,
                    update.local,
                    update.total,
                    update.parent in reached,
                    rule,
                )
            )
            reached.add(update.parent)
    return names, grads, lines


def _formulas(graph: record.Record, node: Value) -> list[str]:
    """The local derivative of `node` toward each parent Value, in the order of its updates,
    as its rule writes it over the names of the node and its operands (`y` for `x*y`)."""
    i = graph.position[node]
    rule, operands = graph.rules[i], graph.operands[i]
    assert rule is not None  # a node with updates has a rule
    shown = [graph.names[x] if isinstance(x, Value) else x for x in operands]
    at = [k for k, x in enumerate(operands) if isinstance(x, Value)]
    return [rule.formula(k, graph.names[node], shown) for k in at]


def line_text(line: Line, answers: bool) -> str:
    """The step as the sheet writes it: blanks to fill, or (answers) every number."""
    n, p = line.node, line.parent
    head = f"{line.number}. grad({p}) += grad({n}) × ∂{n}/∂{p} = "
    if not answers:
        text = f"{head}{BLANK} × {BLANK} = {BLANK}"
        return text + (f", so grad({p}) = {BLANK}" if line.again else "")
    product = line.adjoint * line.local
    text = f"{head}{number(line.adjoint)} × {number(line.local)} = {number(product)}"
    text += f", so grad({p}) = {number(line.total)}" if line.again else ""
    return text + f"   (∂{n}/∂{p} = {line.rule})"


def number(x: float) -> str:
    """`x` to 8 significant digits, as the answer key prints every number."""
    return f"{x:.8g}"


def save_worksheet(
    root: Value,
    path: str | os.PathLike[str],
    *,
    answers: bool = False,
    title: str = "",
    rankdir: str = "LR",
) -> Path:
    """Write the worksheet (or, with `answers`, its key) of `root`'s backward pass to `path`.

    The format comes from the suffix (`.html`, `.svg`, `.pdf`, `.dot`); ValueError for
    another, RendererError when no renderer can make it (see `graph.render`). Returns the path.
    """
    target = Path(path)
    suffix = check_format(target)
    names, grads, lines = steps(root)
    shown = grads if answers else dict.fromkeys(grads, math.nan)
    source = draw_graph(root, rankdir, grads=shown, labels=names).source
    if not answers:
        source = source.replace("grad nan", f"grad {BLANK}")
    heading = title or f"{names[root]} = {number(root.data)}"
    kind = "answer key" if answers else "worksheet"
    texts = [line_text(line, answers) for line in lines]
    if suffix == ".html":
        picture = render(source, "svg").decode()
        target.write_text(_page(heading, kind, picture, texts, answers), encoding="utf-8")
        return target
    box = "\\l".join(_dot_escape(text) for text in [f"{heading}: {kind}", "", *texts]) + "\\l"
    source = source.rstrip().removesuffix("}") + (
        f'\tsteps [label="{box}" shape=note fontname=Helvetica fontsize=11 margin="0.2,0.1"]\n}}\n'
    )
    if suffix == ".dot":
        target.write_text(source, encoding="utf-8")
    else:
        target.write_bytes(render(source, suffix[1:]))
    return target


def check_format(path: str | os.PathLike[str]) -> str:
    """The suffix of `path` when a worksheet can be written in it, else ValueError."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot tell the worksheet's format from {str(path)!r}: use {', '.join(FORMATS)}"
        )
    return suffix


def _dot_escape(text: str) -> str:
    """`text` inside a double-quoted DOT label."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _page(heading: str, kind: str, picture: str, texts: list[str], answers: bool) -> str:
    """The printable page: the picture, then the numbered steps as a list."""
    items = "\n".join(
        f"<li>{html.escape(text.split('. ', 1)[1]).replace(BLANK, '<span class=blank></span>')}"
        "</li>"
        for text in texts
    )
    intro = (
        "Every number of the backward pass, each step's chain-rule line with its numbers."
        if answers
        else "Fill in the blanks, step by step, from grad of the output = 1: each step adds "
        "grad(node) × the local derivative ∂node/∂parent to grad(parent)."
    )
    svg = picture[picture.index("<svg") :]
    return _TEMPLATE.format(
        title=html.escape(f"{heading}: {kind}"), intro=intro, svg=svg, items=items
    )


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font: 15px/1.5 system-ui, sans-serif; margin: 24px auto; max-width: 1000px; color: #111; }}
h1 {{ font-size: 20px; }}
.picture svg {{ max-width: 100%; height: auto; }}
ol {{ font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 14px; }}
li {{ margin: 6px 0; }}
.blank {{ display: inline-block; min-width: 6em; border-bottom: 1px solid #111; }}
@media print {{ body {{ margin: 0; max-width: none; }} }}
</style>
</head>
<body>
<h1>{title}</h1>
<p>{intro}</p>
<div class="picture">{svg}</div>
<h2>The backward pass, step by step</h2>
<ol>
{items}
</ol>
</body>
</html>
"""
