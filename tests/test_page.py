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
from test_explain import network

import autograd_lite as ag
import nn
from autograd_lite import Value, save_graph
from autograd_lite.page import frame

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_BROWSER = (
    "needs headless Chromium and Playwright: `apt-get install chromium` and "
    "`pip install playwright` (no `playwright install` needed)"
)


def five_ops() -> tuple[Value, list[Value]]:
    """f = tanh(x*y) + log(x**2 + 1) - y / x: five kinds of op, order mattering in three."""
    x, y = Value(1.5, "x"), Value(-2.0, "y")
    return ag.tanh(x * y) + ag.log(x**2 + 1) - y / x, [x, y]


def mlp_loss() -> Value:
    """The loss of a 2-16-16-1 MLP on one sample."""
    model = nn.MLP(2, [16, 16, 1], seed=0)
    return nn.mse_loss(model([0.5, -1.0]), 1.0)


def backward_grads(root: Value) -> list[float]:
    """What backward() gives every Value of `root`'s graph (topological order), from zero;
    the grads are zeroed again afterwards, as the shared pages' graphs must stay."""
    order = ag.topological_order(root)
    for node in order:
        node.grad = 0.0
    root.backward()
    grads = [node.grad for node in order]
    for node in order:
        node.grad = 0.0
    return grads


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


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Value]]:
    """The three pages of the issue, written once: the worked example, five ops and the MLP."""
    folder = tmp_path_factory.mktemp("pages")
    roots = {"worked": network()["E"], "five": five_ops()[0], "mlp": mlp_loss()}
    return {name: (save_graph(root, folder / f"{name}.html"), root) for name, root in roots.items()}


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
        assert sorted(values) == sorted(f"v{i}" for i in range(len(ag.topological_order(root))))


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
            grads[update[1]] = update[5]
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
            assert position[update[1]] < position[step["node"]]  # into a parent
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


# ---------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, or a skip that says how to get it."""
    if CHROMIUM is None:
        pytest.skip(f"no Chromium found: {NO_BROWSER}")
    sync_api = pytest.importorskip("playwright.sync_api", reason=NO_BROWSER)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Opened:
    """A page opened in the browser, with what it logged and requested."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.page.set_default_timeout(10_000)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(path.as_uri())
        self.page.wait_for_function("window.autogradLite !== undefined")

    def grads(self) -> dict[str, float]:
        """Every drawn Value's data-grad."""
        found: dict[str, str] = self.page.eval_on_selector_all(
            "[data-value]",
            "els => Object.fromEntries(els.map(e => [e.dataset.value, e.dataset.grad]))",
        )
        return {name: float(grad) for name, grad in found.items()}

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def opened(browser: Any, pages: dict[str, tuple[Path, Value]]) -> Iterator[dict[str, Opened]]:
    """Each page opened in the browser; afterwards no request left it and nothing was logged."""
    views = {name: Opened(browser, path) for name, (path, _) in pages.items()}
    yield views
    for name, view in views.items():
        assert view.requests == [pages[name][0].as_uri()], name
        assert view.errors == [], name
        view.close()


@pytest.mark.parametrize("name", ["worked", "five", "mlp"])
def test_stepping_to_the_end_leaves_backwards_grads(
    opened: dict[str, Opened], pages: dict[str, tuple[Path, Value]], name: str
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


def test_hover_shows_the_numbers_and_local_derivatives(opened: dict[str, Opened]) -> None:
    """Hovering a Value shows its name, op, data, grad and local derivative per input."""
    page = opened["five"].page
    page.evaluate("autogradLite.step(autogradLite.steps)")
    nodes = page.evaluate("autogradLite.nodes")
    division = next(node for node in nodes if node["op"] == "/")
    page.hover(f"g[data-value={division['name']}]")
    tip = page.inner_text("#tooltip")
    assert tip.splitlines()[:4] == ["div₁", "op /", "data -1.3333333", "grad -1"]
    assert "∂div₁/∂y = 0.66666667" in tip  # d(y/x)/dy = 1/x
    assert "∂div₁/∂x = 0.88888889" in tip  # -y/x**2


def test_click_highlights_exactly_the_paths_to_the_root(opened: dict[str, Opened]) -> None:
    """Clicking x lights x and every Value downstream of it, writes explain, and nothing else."""
    page = opened["five"].page
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


def test_forward_pass_fills_values_in_topological_order(opened: dict[str, Opened]) -> None:
    """forward(0) shows only the leaves' data; each step computes the next op's value."""
    page = opened["five"].page
    page.check("input[value=forward]")
    data = page.eval_on_selector_all("[data-value]", "els => els.map(e => e.dataset.data)")
    assert "NaN" in data
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#step-text").startswith("step 1 of 8: mul₁ = x * y = 1.5 * -2 = -3")
    page.keyboard.press("End")
    data = page.eval_on_selector_all("[data-value]", "els => els.map(e => e.dataset.data)")
    assert "NaN" not in data


def test_mlp_page_is_clustered_by_layer_and_neuron(
    opened: dict[str, Opened], pages: dict[str, tuple[Path, Value]]
) -> None:
    """The 2-16-16-1 MLP's page opens with a box per layer and per neuron."""
    view = opened["mlp"]
    boxes = view.page.eval_on_selector_all("g.cluster", "els => els.length")
    assert boxes == 1 + 3 + 33  # the legend, 3 layers, 33 neurons


def test_a_huge_graph_makes_its_page_without_a_quadratic_walk(graph_reads: Counter[str]) -> None:
    """A 20,000-node chain: the first max_nodes Values drawn, each clickable, linear work."""
    v = Value(0.5, "a")
    for _ in range(20_000):
        v = v * 1.0001
    graph_reads.clear()
    data = page_data(ag.graph.html_page(v, max_nodes=200))
    assert sum(graph_reads.values()) <= 30 * 20_001  # 21.4 per Value when written
    assert len(data["nodes"]) == len(data["backward"]) == 200
