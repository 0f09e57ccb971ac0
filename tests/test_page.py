"""The interactive page: one self-contained file whose numbers are the reverse pass's.

The first tests read the HTML; the rest drive it in headless Chromium (Debian's `chromium`
through Playwright's `executable_path`), and skip, saying how to get it, where there is none.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from test_explaining import network

import autograd_lite as ag
import nn
from autograd_lite import Value, save_graph
from autograd_lite.page import frame
from autograd_lite.testing import Expression, expressions


def five_ops() -> tuple[Value, list[Value]]:
    """f = tanh(x*y) + log(x**2 + 1) - y / x: five kinds of op, order mattering in three."""
    x, y = Value(1.5, "x"), Value(-2.0, "y")
    return ag.tanh(x * y) + ag.log(x**2 + 1) - y / x, [x, y]


def mlp_loss() -> Value:
    """The loss of a 2-16-16-1 MLP on one sample."""
    model = nn.MLP(2, [16, 16, 1], seed=0)
    return nn.mse_loss(model([0.5, -1.0]), 1.0)


def backward_grads(root: Value) -> list[float]:
    """What backward() gives every drawn Value of `root`'s graph (in order), from zero;
    the grads are zeroed again afterwards, as the shared pages' graphs must stay."""
    order = ag.topological_order(root)
    for node in order:
        node.grad = 0.0
    root.backward()
    grads = [node.grad for node in drawn(root)]
    for node in order:
        node.grad = 0.0
    return grads


def drawn(root: Value) -> list[Value]:
    """The Values a page draws, in the order of their names: all but the constant 1 that
    biases multiply."""
    order = ag.topological_order(root)
    return [node for node in order if node.op or node.label or node.data != 1.0]


def page_data(text: str) -> dict[str, Any]:
    """The data the page's script reads."""
    match = re.search(
        r'<script type="application/json" id="autograd-lite-data">(.*?)</script>', text
    )
    assert match
    return json.loads(match[1])  # type: ignore[no-any-return]


@pytest.fixture
def no_system_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Hide any system Graphviz: PATH holds only an empty folder."""
    monkeypatch.setenv("PATH", str(tmp_path))
    assert shutil.which("dot") is None


def readme_neuron() -> Value:
    """The README's neuron: o = tanh(x1*w1 + x2*w2 + b)."""
    x1, x2, w1, w2 = Value(2.0, "x1"), Value(0.0, "x2"), Value(-3.0, "w1"), Value(1.0, "w2")
    o = ag.tanh(x1 * w1 + x2 * w2 + Value(6.8813735870195432, "b"))
    o.label = "o"
    return o


def x_y_sin() -> Value:
    """x*y + sin(x), the command line's example."""
    x, y = Value(1.5, "x"), Value(-2.0, "y")
    return x * y + ag.sin(x)


# The tutorial's order of the update step: the output layer's weights first.
UPDATE_ORDER = ["w5", "w6", "w7", "w8", "w1", "w2", "w3", "w4"]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Value]]:
    """The pages of the tests, written once: the worked example (with its update step), five
    ops, the MLP, the README's neuron and x*y + sin(x)."""
    folder = tmp_path_factory.mktemp("pages")
    worked = network()
    params = [worked[name] for name in UPDATE_ORDER]
    error = worked["E"]
    tutorial = {error.parents[0]: "E_o1", error.parents[1]: "E_o2"}
    roots = {
        "worked": worked["E"],
        "five": five_ops()[0],
        "mlp": mlp_loss(),
        "neuron": readme_neuron(),
        "xy": x_y_sin(),
    }
    made = {}
    for name, root in roots.items():
        update: dict[str, Any] = {}
        if name == "worked":
            update = {"lr": 0.5, "params": params, "names": tutorial}
        made[name] = (save_graph(root, folder / f"{name}.html", **update), root)
    return made


# ---------------------------------------------------------------- the file


def test_page_is_one_file_with_nothing_from_the_network(
    pages: dict[str, tuple[Path, Value]],
) -> None:
    """No src or href at all, inline script and style, and the contract's data attributes."""
    for path, root in pages.values():
        text = path.read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>")
        assert not re.search(r"\b(src|href)\s*=", text)
        assert "<?xml" not in text
        assert set(re.findall(r"https?://[^\"]*", text)) <= {
            "http://www.w3.org/2000/svg",  # the SVG namespaces, names rather than addresses
            "http://www.w3.org/1999/xlink",
        }
        values = re.findall(r'data-value="(v\d+)" data-data="[^"]+" data-grad="[^"]+"', text)
        names = [f"v{i}" for i in range(len(drawn(root)))]
        assert sorted(values) == sorted(names * 2)  # laid out left to right and top to bottom
        assert text.count('<template data-layout="LR">') == 1
        assert text.count('<template data-layout="TB">') == 1


def test_page_grads_are_backwards_and_the_graph_is_untouched(
    pages: dict[str, tuple[Path, Value]],
) -> None:
    """The page's grads are what backward() gives, and writing it changed no .grad."""
    _, root = pages["worked"]
    data = page_data(pages["worked"][0].read_text(encoding="utf-8"))
    assert all(node.grad == 0.0 for node in ag.topological_order(root))
    assert [node["grad"] for node in data["nodes"]] == pytest.approx(backward_grads(root))
    assert data["nodes"][0].keys() >= {"name", "label", "op", "data", "grad", "parents"}


def test_last_backward_step_leaves_every_grad_as_backward_even_when_cut() -> None:
    """With max_nodes cutting a long branch, the drawn grads still end as backward()'s."""
    x = Value(0.5, "x")
    chain = x
    for _ in range(50):
        chain = chain * 1.01
    root = x * 2.0 + chain
    text = ag.graph.html_page(root, max_nodes=6)
    data = page_data(text)
    grads = {"v0": 0.0}
    for step in data["backward"]:
        for update in step["updates"]:
            grads[update["parent"]] = update["total"]
    root.backward()
    x_name = next(node["name"] for node in data["nodes"] if node["label"] == "x")
    assert grads[x_name] == pytest.approx(x.grad)
    assert any(step["hidden"] for step in data["backward"])
    assert "more nodes" in text


def test_steps_follow_the_reverse_topological_order() -> None:
    """Step k passes one node's grad on, root first; forward steps list the ops parents first."""
    f, _ = five_ops()
    data = page_data(ag.graph.html_page(f))
    names = [node["name"] for node in data["nodes"]]
    interior = [node["name"] for node in data["nodes"] if node["op"]]
    assert data["forward"] == interior
    assert data["backward"][0]["node"] == names[-1] == data["root"]
    position = {name: i for i, name in enumerate(names)}
    ran = [position[step["node"]] for step in data["backward"]]
    for step in data["backward"]:
        for update in step["updates"]:
            assert position[update["parent"]] < position[step["node"]]  # into a parent
    assert len(ran) == len(set(ran)) == len(interior)


def test_page_renders_without_system_graphviz(no_system_dot: None, tmp_path: Path) -> None:
    """The pip-only renderer lays the page out: no system dot needed."""
    path = save_graph(five_ops()[0], tmp_path / "g.html")
    assert "<svg" in path.read_text(encoding="utf-8")


def test_cli_writes_the_page(tmp_path: Path) -> None:
    """autograd-lite draw EXPR -o g.html writes the interactive page."""
    target = tmp_path / "g.html"
    done = subprocess.run(
        [sys.executable, "-m", "autograd_lite", "draw", "x*y", "--at", "x=1.5,y=-2", "-o", target],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "window.autogradLite" in target.read_text(encoding="utf-8")


def test_jupyter_shows_a_value_as_the_page_in_a_frame(no_system_dot: None) -> None:
    """_repr_html_ is the page inside an iframe, so its script and style stay its own."""
    text = five_ops()[0]._repr_html_()
    assert text.startswith("<iframe srcdoc=")
    assert "autogradLite" in text
    assert "<script" not in text  # escaped inside srcdoc
    assert frame("<p>") == (
        '<iframe srcdoc="&lt;p&gt;" style="width: 100%; height: 640px; border: 1px solid #ddd">'
        "</iframe>"
    )


def test_a_huge_graph_makes_its_page_without_a_quadratic_walk(graph_reads: Counter[str]) -> None:
    """A 20,000-node chain: the first max_nodes Values drawn, each clickable, linear work."""
    v = Value(0.5, "a")
    for _ in range(20_000):
        v = v * 1.0001
    graph_reads.clear()
    data = page_data(ag.graph.html_page(v, max_nodes=200))
    assert sum(graph_reads.values()) <= 30 * 20_001  # 21.4 per Value when written
    assert len(data["nodes"]) == len(data["backward"]) == 200
    assert data["cut"] is True


def test_page_data_are_named_fields(pages: dict[str, tuple[Path, Value]]) -> None:
    """Every record between Python and the page is an object with named fields, no arrays of
    numbers whose meaning is their position."""
    data = page_data(pages["five"][0].read_text(encoding="utf-8"))
    update = data["backward"][0]["updates"][0]
    assert update.keys() == {"from", "parent", "local", "adjoint", "product", "total"}
    assert update["product"] == pytest.approx(update["adjoint"] * update["local"])
    node = data["nodes"][-1]
    assert all(i.keys() >= {"name", "shown", "local"} for i in node["inputs"])


def test_worksheet_page_shows_no_grad(tmp_path: Path) -> None:
    """show_grad=False: no grad in the records, the data or the attributes; forward mode only."""
    x, y = Value(1.5, "x"), Value(-2.0, "y")
    text = save_graph(x * y + ag.sin(x), tmp_path / "sheet.html", show_grad=False).read_text(
        encoding="utf-8"
    )
    data = page_data(text)
    assert "data-grad" not in text
    assert ">grad " not in text
    assert data["backward"] == []
    assert data["show_grad"] is False
    assert all(node["grad"] is None and node["explain"] == "" for node in data["nodes"])


def test_update_mode_needs_its_settings_and_checks_them() -> None:
    """lr and params go together; a bad lr or a Value outside the graph is refused by name."""
    x = Value(2.0, "x")
    f = x * x
    with pytest.raises(ValueError, match="needs both lr and params, got only lr"):
        ag.graph.html_page(f, lr=0.5)
    with pytest.raises(ValueError, match="lr must be a positive finite number, got -1"):
        ag.graph.html_page(f, lr=-1, params=[x])
    with pytest.raises(ValueError, match="params must be Values of the graph, got Value"):
        ag.graph.html_page(f, lr=0.5, params=[Value(1.0, "elsewhere")])
    data = page_data(ag.graph.html_page(f, lr=0.25, params=[x]))
    assert data["update"] == {
        "lr": 0.25,
        "params": [{"name": "v0", "before": 2.0, "grad": 4.0, "after": 1.0}],
    }


# ---------------------------------------------------------------- in a browser

SIZES = [(1024, 768), (1400, 900), (1920, 1080)]


class Opened:
    """A page opened in the browser, with what it logged and requested.

    Motion is reduced (the camera jumps instead of gliding) unless `motion` is asked for.
    """

    def __init__(
        self,
        browser: Any,
        path: Path,
        size: tuple[int, int] = (1400, 900),
        fragment: str = "",
        motion: bool = False,
    ) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        width, height = size
        self.page = browser.new_page(
            viewport={"width": width, "height": height},
            reduced_motion="no-preference" if motion else "reduce",
        )
        self.page.set_default_timeout(10_000)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(path.as_uri() + fragment)
        self.page.wait_for_function("window.autogradLite !== undefined")

    def grads(self) -> dict[str, float]:
        """Every drawn Value's data-grad."""
        found: dict[str, str] = self.page.eval_on_selector_all(
            "[data-value]",
            "els => Object.fromEntries(els.map(e => [e.dataset.value, e.dataset.grad]))",
        )
        return {name: float(grad) for name, grad in found.items()}

    def attribute(self, name: str, field: str) -> float:
        """One drawn Value's data-FIELD as a number."""
        return float(self.page.get_attribute(f"g[data-value={name}]", f"data-{field}"))

    def close(self) -> None:
        self.page.close()


class Views(dict[str, Opened]):
    """The test pages, each opened in the browser when a test first asks for it."""

    def __init__(self, browser: Any, pages: dict[str, tuple[Path, Value]]) -> None:
        super().__init__()
        self.browser, self.pages = browser, pages

    def __missing__(self, name: str) -> Opened:
        self[name] = Opened(self.browser, self.pages[name][0])
        return self[name]


@pytest.fixture
def opened(browser: Any, pages: dict[str, tuple[Path, Value]]) -> Iterator[Views]:
    """The pages opened in the browser; afterwards no request left them and nothing was logged."""
    views = Views(browser, pages)
    yield views
    for name, view in views.items():
        assert view.requests == [pages[name][0].as_uri()], name
        assert view.errors == [], name
        view.close()


@pytest.mark.parametrize("name", ["worked", "five", "mlp"])
def test_stepping_to_the_end_leaves_backwards_grads(
    opened: Views, pages: dict[str, tuple[Path, Value]], name: str
) -> None:
    """step(0) holds only the root's 1; step(steps) every grad backward() gives."""
    view, root = opened[name], pages[name][1]
    page = view.page
    steps = page.evaluate("autogradLite.steps")
    page.evaluate("autogradLite.step(0)")
    at_start = view.grads()
    assert sorted(at_start.values())[-1] == 1.0
    assert sum(abs(g) for g in at_start.values()) == 1.0
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert page.inner_text("#counter") == f"3 / {steps}"
    page.evaluate("autogradLite.step(autogradLite.steps)")
    expected = backward_grads(root)
    ours = view.grads()
    assert [ours[f"v{i}"] for i in range(len(ours))] == pytest.approx(expected)
    assert "Done: every grad is what backward() gives." in page.inner_text("#step-text")


def test_hover_shows_the_numbers_and_local_derivatives(opened: Views) -> None:
    """Hovering a Value shows its name, op, data, grad and local derivative per input."""
    page = opened["five"].page
    page.evaluate("autogradLite.step(autogradLite.steps); autogradLite.layout('LR')")
    page.click("#zoom-fit")
    nodes = page.evaluate("autogradLite.nodes")
    division = next(node for node in nodes if node["op"] == "/")
    page.hover(f"g[data-value={division['name']}]")
    tip = page.inner_text("#tooltip")
    assert tip.splitlines()[:4] == ["div₁", "op /", "data -1.3333333", "grad -1"]
    assert "∂div₁/∂y = 1/x = 1/1.5 = 0.66666667" in tip  # the rule, with the numbers
    assert "∂div₁/∂x = -y/x**2 = -(-2)/1.5**2 = 0.88888889" in tip


def test_click_highlights_exactly_the_paths_to_the_root(opened: Views) -> None:
    """Clicking x lights x and every Value downstream of it, writes explain, and nothing else."""
    page = opened["five"].page
    page.click("#zoom-fit")
    nodes = page.evaluate("autogradLite.nodes")
    x = next(node["name"] for node in nodes if node["label"] == "x")
    page.click(f"g[data-value={x}]")
    lit = page.eval_on_selector_all("g.value.path", "els => els.map(e => e.dataset.value)")
    children: dict[str, list[str]] = {node["name"]: [] for node in nodes}
    for node in nodes:
        for parent in node["parents"]:
            children[parent].append(node["name"])
    downstream, stack = {x}, [x]
    while stack:
        for child in children[stack.pop()]:
            if child not in downstream:
                downstream.add(child)
                stack.append(child)
    assert set(lit) == downstream
    assert sorted(page.evaluate(f"autogradLite.select('{x}')")) == sorted(downstream)
    f, (x_value, _) = five_ops()
    assert page.inner_text("#explain-text") == ag.explain(f, x_value, 4)
    page.evaluate("autogradLite.select(null)")
    assert page.eval_on_selector_all("g.path", "els => els.length") == 0


def test_forward_pass_fills_values_in_topological_order(opened: Views) -> None:
    """forward(0) shows only the leaves' data; each step computes the next op's value."""
    page = opened["five"].page
    page.check("input[value=forward]")
    data = page.eval_on_selector_all("[data-value]", "els => els.map(e => e.dataset.data)")
    assert "NaN" in data
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#step-text").splitlines()[:2] == [
        "forward pass, step 1 of 8",
        "mul₁ = x * y = 1.5 * -2 = -3",
    ]
    record = page.evaluate("autogradLite.record()")
    assert (record["acting"], record["updated"]) == (["v0", "v1"], ["v2"])
    page.keyboard.press("End")
    data = page.eval_on_selector_all("[data-value]", "els => els.map(e => e.dataset.data)")
    assert "NaN" not in data


def test_mlp_page_groups_layers_and_neurons(opened: Views) -> None:
    """The 2-16-16-1 MLP's page boxes its layers and neurons (and the legend)."""
    boxes = opened["mlp"].page.eval_on_selector_all("g.cluster", "els => els.length")
    assert boxes == 1 + 3 + 33  # the legend, 3 layers, 33 neurons


# Per step of a mode: the data-role elements not wholly inside the graph's pane, and whether
# a record's text is under `least` pixels high on screen.
FRAMED = """([mode, least, only]) => {
  const lite = window.autogradLite;
  const pane = document.getElementById("graph").getBoundingClientRect();
  const inside = (r) => r.left >= pane.left - 0.5 && r.right <= pane.right + 0.5 &&
    r.top >= pane.top - 0.5 && r.bottom <= pane.bottom + 0.5;
  const wrts = mode === "tangent" ? lite.inputs : [null];
  const faults = [];
  let steps = 0;
  for (const wrt of wrts) {
    const n = lite.mode(mode, wrt);
    for (let k = 0; k <= n; k++, steps++) {
      lite.step(k);
      const chosen = only ? `#graph [data-role=${only}]` : "#graph [data-role]";
      const roles = [...document.querySelectorAll(chosen)];
      const out = roles.filter((e) => !inside(e.getBoundingClientRect()));
      const text = document.querySelector("#graph g[data-value] text");
      const px = Number(text.getAttribute("font-size")) * text.getScreenCTM().a;
      if (!roles.length || out.length || px < least - 0.02) {
        faults.push({wrt, k, roles: roles.length, out: out.length, px});
      }
    }
  }
  return {steps, faults};
}"""


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_every_step_frames_what_it_reads_and_changes(
    browser: Any, pages: dict[str, tuple[Path, Value]], size: tuple[int, int]
) -> None:
    """In backward and tangent mode (each input), every data-role element is wholly in view,
    with record text at least 9 px high: the worked example, the README neuron, x*y + sin(x)."""
    for name in ("worked", "neuron", "xy"):
        view = Opened(browser, pages[name][0], size)
        for mode in ("backward", "tangent"):
            framed = view.page.evaluate(FRAMED, [mode, 9, None])
            assert framed["steps"] > 3
            assert framed["faults"] == [], (name, mode)
        assert view.errors == []
        view.close()


def test_opening_shows_a_small_graph_whole_and_a_large_one_at_its_root(
    browser: Any, pages: dict[str, tuple[Path, Value]]
) -> None:
    """x*y + sin(x) fits at 1400x900 with readable text: every record in view. The worked
    example does not: it opens at the root and its inputs, text at least 9 px."""
    in_view = """() => {
      const pane = document.getElementById("graph").getBoundingClientRect();
      const px = (e) => e.getBoundingClientRect();
      return [...document.querySelectorAll("#graph g[data-value]")].map((g) => {
        const r = px(g);
        return r.left >= pane.left && r.right <= pane.right && r.top >= pane.top &&
          r.bottom <= pane.bottom;
      });
    }"""
    scale = "Number(document.querySelector('#graph svg').dataset.scale)"
    small = Opened(browser, pages["xy"][0])
    assert all(small.page.evaluate(in_view))
    assert small.page.evaluate(scale) * 11 >= 9
    large = Opened(browser, pages["worked"][0])
    shown = large.page.evaluate(in_view)
    assert not all(shown)
    root = large.page.evaluate("autogradLite.nodes.length") - 1
    assert shown[root]
    assert large.page.evaluate(scale) * 11 >= 9
    large.page.click("#zoom-fit")  # fit: the whole graph, both ways
    assert all(large.page.evaluate(in_view))
    small.close()
    large.close()


def test_the_layout_turns_and_follows_the_windows_shape(
    browser: Any, pages: dict[str, tuple[Path, Value]]
) -> None:
    """A graph opens in the orientation that shows it larger; the button turns it, keeping the
    step and the contract's elements (each Value drawn once)."""
    wide = Opened(browser, pages["neuron"][0], (1920, 500))
    tall = Opened(browser, pages["neuron"][0], (600, 1080))
    assert wide.page.evaluate("autogradLite.layout()") == "LR"
    assert tall.page.evaluate("autogradLite.layout()") == "TB"
    page = wide.page
    page.evaluate("autogradLite.step(3)")
    page.click("#turn")
    assert page.evaluate("autogradLite.layout()") == "TB"
    assert page.evaluate("autogradLite.current()") == 3
    count = page.eval_on_selector_all("[data-value]", "els => els.length")
    assert count == len(ag.topological_order(pages["neuron"][1]))
    assert page.eval_on_selector_all("#graph [data-role]", "els => els.length") > 0
    wide.close()
    tall.close()


def test_the_camera_glides_unless_motion_is_reduced(
    browser: Any, pages: dict[str, tuple[Path, Value]]
) -> None:
    """A step that moves the view eases there over several frames; under
    prefers-reduced-motion the view is in place as the step returns."""
    moved = """() => {
      const svg = document.querySelector("#graph svg");
      const before = svg.getAttribute("viewBox");
      autogradLite.step(autogradLite.steps);
      return [before, svg.getAttribute("viewBox")];
    }"""
    gliding = Opened(browser, pages["worked"][0], motion=True)
    before, right_after = gliding.page.evaluate(moved)
    assert right_after == before  # nothing moved yet: the first frame is still to come
    gliding.page.wait_for_function(
        "document.querySelector('#graph svg').getAttribute('viewBox') !== " + repr(before)
    )
    gliding.page.wait_for_function(
        "document.querySelectorAll('#graph [data-role]').length > 0 && [...document"
        ".querySelectorAll('#graph [data-role]')].every((e) => { const r = e."
        "getBoundingClientRect(), p = document.getElementById('graph')"
        ".getBoundingClientRect(); return r.top >= p.top && r.bottom <= p.bottom && "
        "r.left >= p.left && r.right <= p.right; })"
    )
    jumping = Opened(browser, pages["worked"][0])
    before, right_after = jumping.page.evaluate(moved)
    assert right_after != before
    gliding.close()
    jumping.close()


def test_the_address_opens_a_mode_and_step_and_follows_the_page(
    browser: Any, pages: dict[str, tuple[Path, Value]]
) -> None:
    """#mode=backward&step=12 opens at step 12; stepping rewrites the fragment."""
    view = Opened(browser, pages["worked"][0], fragment="#mode=backward&step=12")
    page = view.page
    assert page.evaluate("autogradLite.current()") == 12
    assert page.inner_text("#counter") == "12 / 27"
    page.keyboard.press("ArrowRight")
    assert page.evaluate("location.hash") == "#mode=backward&step=13"
    view.close()
    view = Opened(browser, pages["worked"][0], fragment="#mode=update&step=8")
    assert view.page.evaluate("autogradLite.current()") == 8
    assert "w4 ← w4 − lr × grad(w4)" in view.page.inner_text("#step-text")
    view.close()


def test_an_embedded_page_never_scrolls_its_host(
    browser: Any, pages: dict[str, tuple[Path, Value]], tmp_path: Path
) -> None:
    """A page framed low in a long host page (as Jupyter frames it) opens and steps without
    moving the host's scroll position."""
    host = tmp_path / "host.html"
    framed = frame(pages["worked"][0].read_text(encoding="utf-8"))
    host.write_text(f'<div style="height: 2500px">notes</div>{framed}<div style="height: 2000px">')
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(host.as_uri())
    inner = page.frames[1]
    inner.wait_for_function("window.autogradLite !== undefined")
    inner.evaluate("autogradLite.step(20); autogradLite.mode('tangent')")
    assert page.evaluate("window.scrollY") == 0
    page.close()


def test_play_has_a_speed_and_runs_to_the_end(
    browser: Any, pages: dict[str, tuple[Path, Value]]
) -> None:
    """Play steps on its own at the chosen speed and stops at the last step."""
    view = Opened(browser, pages["xy"][0])
    page = view.page
    speeds = page.eval_on_selector_all("#speed option", "els => els.map(e => e.value)")
    assert speeds == ["slow", "normal", "fast", "fastest"]
    page.select_option("#speed", "fastest")
    page.click("#play")
    page.wait_for_function("autogradLite.current() === autogradLite.steps")
    page.wait_for_function("document.getElementById('play').textContent.includes('Play')")
    view.close()


def test_tangent_mode_ends_at_the_inputs_grad(
    browser: Any, pages: dict[str, tuple[Path, Value]]
) -> None:
    """Forward mode toward each input of the worked example: the root's last tangent is that
    input's grad from backward(), and every drawn Value carries data-tangent."""
    root = pages["worked"][1]
    backward_grads(root)
    order = ag.topological_order(root)
    root.backward()
    view = Opened(browser, pages["worked"][0])
    page = view.page
    for name in page.evaluate("autogradLite.inputs"):
        steps = page.evaluate(f"autogradLite.mode('tangent', '{name}')")
        page.evaluate(f"autogradLite.step({steps})")
        leaf = order[int(name[1:])]
        assert view.attribute(f"v{len(order) - 1}", "tangent") == pytest.approx(leaf.grad)
        assert page.eval_on_selector_all("[data-tangent]", "els => els.length") == len(order)
    text = page.inner_text("#step-text")
    assert "forward and reverse mode agree" in text
    backward_grads(root)
    view.close()


def test_update_mode_ends_at_the_tutorials_weights(
    browser: Any, pages: dict[str, tuple[Path, Value]]
) -> None:
    """lr=0.5 on the worked example: w5 = 0.35891648 first ... w1 = 0.149780716 last."""
    published = {  # as published: their digits are the precision
        "w1": "0.149780716",
        "w2": "0.19956143",
        "w3": "0.24975114",
        "w4": "0.29950229",
        "w5": "0.35891648",
        "w6": "0.408666186",
        "w7": "0.511301270",
        "w8": "0.561370121",
    }
    view = Opened(browser, pages["worked"][0])
    page = view.page
    assert page.evaluate("autogradLite.mode('update')") == 8
    names = {node["label"]: node["name"] for node in page.evaluate("autogradLite.nodes")}
    for k, weight in enumerate(UPDATE_ORDER, 1):
        page.keyboard.press("ArrowRight")
        record = page.evaluate("autogradLite.record()")
        assert record["updated"] == [names[weight]]
        shown = view.attribute(names[weight], "data")
        assert round(shown, len(published[weight]) - 2) == float(published[weight])
        assert record["k"] == k
    assert page.inner_text("#step-text").endswith("= 0.29950229")
    view.close()


def test_present_mode_puts_large_text_under_the_graph(
    browser: Any, pages: dict[str, tuple[Path, Value]]
) -> None:
    """For a projector: the step text under the graph in large type, records at least 15 px,
    the acting Value of every step in view (those it changes may lie beyond at that size)."""
    view = Opened(browser, pages["worked"][0], (1024, 768))
    page = view.page
    page.click("#present")
    graph = page.eval_on_selector("#graph", "e => e.getBoundingClientRect().bottom")
    aside = page.eval_on_selector("aside", "e => e.getBoundingClientRect().top")
    assert aside >= graph
    size = page.eval_on_selector("#step-text", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 20
    assert page.evaluate(FRAMED, ["backward", 15, "acting"])["faults"] == []
    view.close()


OUTSIDE_THE_WINDOW = """() => [...document.querySelectorAll("aside, aside *")]
  .filter(e => { const box = e.getBoundingClientRect();
                 return box.width > 0 && (box.left < 0 || box.right > innerWidth); })
  .map(e => e.id || e.tagName)"""


def test_the_text_under_the_graph_stays_inside_a_small_window(
    browser: Any, pages: dict[str, tuple[Path, Value]]
) -> None:
    """At 1024x768 the panel under the graph scrolls down, never off the right edge: with a
    Value selected at the last step, and in present mode, every element of it lies in the window."""
    view = Opened(browser, pages["xy"][0], (1024, 768))
    page = view.page
    page.evaluate("autogradLite.step(autogradLite.steps)")
    x = next(node["name"] for node in page.evaluate("autogradLite.nodes") if node["label"] == "x")
    page.evaluate(f"autogradLite.select('{x}')")
    assert "df/dx sums 2 paths" in page.inner_text("#explain-text")
    assert page.evaluate(OUTSIDE_THE_WINDOW) == []
    page.click("#present")
    assert page.evaluate(OUTSIDE_THE_WINDOW) == []
    assert view.errors == []
    view.close()


STEP_LINES = re.compile(
    r"grad\((\S+)\) \+= grad\((\S+)\) × ∂\S+/∂\S+\n"
    r"(?:  ∂\S+/∂\S+ = .* = \S+\n)?"  # the local derivative's rule, with its numbers
    r"  = (\S+) × (\S+)\n"
    r"  = (\S+)  →  grad\(\S+\) = (\S+)"
)


@settings(max_examples=6, deadline=None)
@given(example=expressions(max_nodes=6))
def test_backward_step_text_of_random_graphs_reads_backwards_numbers(
    browser: Any, example: tuple[Expression, tuple[float, ...]]
) -> None:
    """Each update line of every step, grad(p) += grad(n) × ∂n/∂p = adjoint × local = product,
    has backward()'s grad of n, the edge's local derivative and, at p's last update, p's grad."""
    f, xs = example
    root = f(*[Value(x, f"x{i}") for i, x in enumerate(xs)])
    order = ag.topological_order(root)
    text = ag.graph.html_page(root)
    backward_grads(root)
    root.backward()
    by_shown = {node["shown"]: order[int(node["name"][1:])] for node in page_data(text)["nodes"]}
    page = browser.new_page(reduced_motion="reduce")
    page.set_content(text)
    last: dict[Value, float] = {}
    for k in range(1, page.evaluate("autogradLite.steps") + 1):
        page.evaluate(f"autogradLite.step({k})")
        lines = STEP_LINES.findall(page.inner_text("#step-text"))
        assert len(lines) == len(page.evaluate("autogradLite.record().changes"))
        for parent, node, adjoint, local, product, total in lines:
            p, n = by_shown[parent], by_shown[node]
            assert float(adjoint) == pytest.approx(n.grad, rel=1e-7, abs=1e-12)
            locals_ = [d for q, d in ag.value.edges(n) if q is p]
            assert any(float(local) == pytest.approx(d, rel=1e-7, abs=1e-12) for d in locals_)
            assert float(product) == pytest.approx(float(adjoint) * float(local), rel=1e-6)
            last[p] = float(total)
    for node, total in last.items():
        assert total == pytest.approx(node.grad, rel=1e-6, abs=1e-12)
    page.close()
    backward_grads(root)


def test_the_worked_examples_page_says_the_tutorials_names(
    pages: dict[str, tuple[Path, Value]],
) -> None:
    """E_o1 and E_o2 on the page and in its drawing, as the tutorial names them."""
    text = pages["worked"][0].read_text(encoding="utf-8")
    shown = {node["shown"] for node in page_data(text)["nodes"]}
    assert {"E_o1", "E_o2", "out_o1", "w5"} <= shown
    assert ">E_o1</text>" in text


def test_the_worked_example_demo_writes_its_page_with_the_update_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo's page names E_o1 and steps w5 ... w4 at the tutorial's learning rate."""
    from nn.demos import worked_example

    assert worked_example.main(["--steps", "1", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    data = page_data((tmp_path / "worked_example.html").read_text(encoding="utf-8"))
    shown = {node["name"]: node["shown"] for node in data["nodes"]}
    assert data["update"]["lr"] == 0.5
    assert [shown[p["name"]] for p in data["update"]["params"]] == UPDATE_ORDER
    assert data["update"]["params"][0]["after"] == pytest.approx(0.35891648, abs=5e-9)
    assert "E_o1" in shown.values()
    assert ">E_o1</text>" in (tmp_path / "worked_example.svg").read_text(encoding="utf-8")


def test_an_nn_page_names_neurons_shortly_and_draws_no_bias_constant(
    pages: dict[str, tuple[Path, Value]],
) -> None:
    """The MLP's page: dotted names shortened, each neuron's net and out named, the network's
    inputs x0 and x1, the loss one name; no constant 1 for the biases; neurons in order."""
    data = page_data(pages["mlp"][0].read_text(encoding="utf-8"))
    shown = {node["shown"]: node for node in data["nodes"]}
    assert {"L0.n0.w0", "L0.n0.b", "L0.n0.net", "L0.n0.out", "x0", "x1", "loss"} <= set(shown)
    assert not [n for n in data["nodes"] if n["op"] == "" and not n["label"] and n["data"] == 1]
    assert all("layers." not in step for node in data["nodes"] for step in node["explain"])
    modules = [neuron["module"] for neuron in data["network"]["neurons"]]
    layer_sizes = [16, 16, 1]
    expected = [
        f"layers.{k}.neurons.{n}" for k, size in enumerate(layer_sizes) for n in range(size)
    ]
    assert modules == expected


def test_the_neuron_view_steps_neuron_by_neuron_to_backwards_deltas(
    browser: Any, pages: dict[str, tuple[Path, Value]]
) -> None:
    """view("neurons"): one element per neuron with its activation; δ = d(loss)/d(net) appears
    neuron by neuron from the output layer and ends as backward() gives; a click on a neuron
    opens its Values in the graph view."""
    root = pages["mlp"][1]
    backward_grads(root)
    root.backward()
    data = page_data(pages["mlp"][0].read_text(encoding="utf-8"))
    value = dict(zip([node["name"] for node in data["nodes"]], drawn(root), strict=True))
    view = Opened(browser, pages["mlp"][0])
    page = view.page
    assert page.evaluate("autogradLite.view()") == "graph"
    page.click("#neurons")
    assert page.evaluate("autogradLite.view()") == "neurons"
    neurons = page.eval_on_selector_all(
        "[data-neuron]",
        "els => els.map(e => [e.dataset.neuron, e.dataset.unit, e.dataset.data, e.dataset.delta])",
    )
    assert len(neurons) == 33
    assert all(delta is None for *_, delta in neurons)
    for _, unit, activation, _ in neurons:
        assert float(activation) == value[unit].data
    page.keyboard.press("ArrowRight")
    first = page.evaluate("autogradLite.record()")
    assert first["updated"] == [data["network"]["neurons"][-1]["out"]]  # the output neuron
    page.keyboard.press("End")
    nets = {n["out"]: value[n["net"]] for n in data["network"]["neurons"]}
    deltas = page.eval_on_selector_all(
        "[data-neuron]", "els => els.map(e => [e.dataset.unit, e.dataset.delta])"
    )
    for unit, delta in deltas:
        assert float(delta) == pytest.approx(nets[unit].grad, rel=1e-12)
    assert page.evaluate("location.hash").endswith("&view=neurons")
    page.dispatch_event("[data-neuron='layers.1.neurons.3']", "click")  # maybe out of view
    assert page.evaluate("autogradLite.view()") == "graph"
    focused = page.eval_on_selector("g.cluster.focus title", "e => e.textContent")
    assert focused == "cluster_layers.1.neurons.3"
    assert view.errors == []
    view.close()
    backward_grads(root)


def test_the_command_line_writes_a_page_with_an_update_step(tmp_path: Path) -> None:
    """draw ... -o g.html --lr 0.1: each variable stepped; --lr without a page is refused."""
    target = tmp_path / "g.html"
    command = [sys.executable, "-m", "autograd_lite", "draw", "x*y", "--at", "x=1.5,y=-2"]
    done = subprocess.run(
        [*command, "--lr", "0.1", "-o", target], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    update = page_data(target.read_text(encoding="utf-8"))["update"]
    assert [p["after"] for p in update["params"]] == pytest.approx([1.5 + 0.2, -2 - 0.15])
    refused = subprocess.run([*command, "--lr", "0.1"], capture_output=True, text=True, check=False)
    assert refused.returncode == 2
    assert refused.stderr == (
        "autograd-lite: error: --lr 0.1 is for the interactive page: add -o FILE.html\n"
    )


def test_a_step_says_the_rule_behind_each_local_derivative(opened: Views) -> None:
    """The worked example's step where pow₂ passes its grad on: ∂pow₂/∂sub₂ = 2*sub₂, with
    the numbers, then the product."""
    page = opened["worked"].page
    page.evaluate("autogradLite.step(3)")
    assert page.inner_text("#step-text").splitlines()[1:7] == [
        "pow₂ passes grad(pow₂) = 0.5 to its inputs",
        "",
        "grad(sub₂) += grad(pow₂) × ∂pow₂/∂sub₂",
        "  ∂pow₂/∂sub₂ = 2*sub₂ = 2*0.217072 = 0.43414307",
        "  = 0.5 × 0.43414307",
        "  = 0.21707153  →  grad(sub₂) = 0.21707153",
    ]
