"""Practice mode: the page asks the numbers of each step and checks them, as a learner uses it.

Every test drives a page in headless Chromium (Debian's `chromium` through Playwright, as
tests/test_page.py does) by typing into the boxes and pressing Enter, and reads the verdicts,
the help and the score.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_explaining import network

import autograd_lite as ag
from autograd_lite import Value, save_graph


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The worked example opening in practice mode (with its update step), and x*y + sin(x)."""
    folder = tmp_path_factory.mktemp("practice")
    net = network()
    weights = [net[f"w{k}"] for k in range(1, 9)]
    x, y = Value(1.5, "x"), Value(-2.0, "y")
    return {
        "worked": save_graph(
            net["E"], folder / "worked.html", lr=0.5, params=weights, practice=True
        ),
        "xy": save_graph(x * y + ag.sin(x), folder / "xy.html"),
    }


@pytest.fixture
def opened(browser: Any, pages: dict[str, Path]) -> Iterator[Any]:
    """A function opening one of the pages; afterwards nothing was logged as an error."""
    errors: list[str] = []
    views: list[Any] = []

    def open_page(name: str) -> Any:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(10_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(pages[name].as_uri())
        page.wait_for_function("window.autogradLite !== undefined")
        views.append(page)
        return page

    yield open_page
    for page in views:
        page.close()
    assert errors == []


def box(name: str, kind: str | None = None) -> str:
    """The selector of the answer box for Value `name` (and what is asked of it)."""
    return f'[data-answer-for="{name}"]' + (f'[data-answer="{kind}"]' if kind else "")


def answer(page: Any, selector: str, typed: object) -> str | None:
    """Type `typed` into the box, press Enter, and return the verdict it then carries."""
    page.fill(selector, str(typed))
    page.press(selector, "Enter")
    return page.get_attribute(selector, "data-verdict")  # type: ignore[no-any-return]


def grad_text(page: Any, name: str) -> str:
    """What the picture writes in the grad field of Value `name`."""
    texts = page.eval_on_selector_all(
        f'#graph g[data-value="{name}"] text', "els => els.map(e => e.textContent)"
    )
    return next(text for text in texts if text.startswith("grad "))  # type: ignore[no-any-return]


def test_a_page_made_with_practice_opens_in_it_and_any_page_has_the_toggle(opened: Any) -> None:
    """save_graph(..., practice=True) opens asking; another page has the toggle, off."""
    page = opened("worked")
    assert page.is_checked("#practice-on")
    page.evaluate("autogradLite.step(1)")
    assert page.eval_on_selector_all("[data-answer-for]", "els => els.length") >= 1
    other = opened("xy")
    assert not other.is_checked("#practice-on")
    other.evaluate("autogradLite.step(1)")
    assert other.eval_on_selector_all("[data-answer-for]", "els => els.length") == 0
    assert other.evaluate("autogradLite.practice(true)") is True
    assert other.eval_on_selector_all("[data-answer-for]", "els => els.length") == 2


def test_each_new_grad_is_asked_and_marked_right_or_wrong(opened: Any) -> None:
    """A wrong grad is marked wrong with the chain rule as hint; the right one, right."""
    page = opened("worked")
    page.evaluate("autogradLite.step(2)")
    record = page.evaluate("autogradLite.record()")
    asked = page.eval_on_selector_all(
        "[data-answer-for]", "els => els.map(e => e.dataset.answerFor)"
    )
    assert asked == [change["name"] for change in record["changes"]]
    change = record["changes"][0]
    name = change["name"]
    assert grad_text(page, name) == "grad ?"
    assert "Work it out" in page.inner_text("#step-text")
    assert answer(page, box(name), change["after"] + 1) == "wrong"
    assert page.evaluate("autogradLite.score()") == {"right": 0, "wrong": 1}
    hint = page.inner_text(".help-hint")
    assert "grad(" in hint
    assert "∂" in hint
    assert answer(page, box(name), change["after"]) == "right"
    assert page.evaluate("autogradLite.score()") == {"right": 1, "wrong": 1}
    assert grad_text(page, name) != "grad ?"
    assert "✓ right" in page.inner_text("#practice")


def test_four_significant_digits_or_a_relative_thousandth(opened: Any) -> None:
    """The answer to 4 digits is right, within 1e-3 relative too; 2e-3 off is wrong."""
    page = opened("worked")
    page.evaluate("autogradLite.step(5)")
    changes = page.evaluate("autogradLite.record()")["changes"]
    exact = changes[0]["after"]
    assert answer(page, box(changes[0]["name"]), f"{exact:.4g}") == "right"
    if len(changes) > 1:
        other = changes[1]["after"]
        assert answer(page, box(changes[1]["name"]), other * 1.002) == "wrong"
        assert answer(page, box(changes[1]["name"]), other * 1.0009) == "right"
    assert not page.is_editable(box(changes[0]["name"]))  # answered: it stays as it is


def test_help_comes_as_hint_then_numbers_then_the_answer_on_request(opened: Any) -> None:
    """Enter on an empty box: the rule, then the numbers, then the answer (not scored right)."""
    page = opened("worked")
    page.evaluate("autogradLite.step(3)")
    change = page.evaluate("autogradLite.record()")["changes"][0]
    selector = box(change["name"])
    page.press(selector, "Enter")
    assert page.inner_text(".question .help").startswith("hint: ")
    page.press(selector, "Enter")
    assert "numbers: " in page.inner_text(".question .help")
    assert page.locator(".help-answer").count() == 0
    page.press(selector, "Enter")
    shown = page.evaluate("x => autogradLite.format.long(x)", change["after"])
    assert page.inner_text(".help-answer").endswith(f"= {shown}")
    assert float(page.input_value(selector)) == pytest.approx(change["after"], rel=1e-7)
    assert page.evaluate("autogradLite.score()") == {"right": 0, "wrong": 0}


def test_the_harder_level_asks_the_local_derivative_first(opened: Any) -> None:
    """Local derivative first: its box comes before the grad's and checks the local factor."""
    page = opened("worked")
    page.evaluate("autogradLite.localFirst(true)")
    page.evaluate("autogradLite.step(4)")
    change = page.evaluate("autogradLite.record()")["changes"][0]
    kinds = page.eval_on_selector_all(
        f"{box(change['name'])}", "els => els.map(e => e.dataset.answer)"
    )
    assert kinds == ["local", "grad"]
    local = change["terms"][0]["local"]
    assert answer(page, box(change["name"], "local"), local * 2) == "wrong"
    assert answer(page, box(change["name"], "local"), local) == "right"
    focused = page.evaluate("document.activeElement.dataset.answer")
    assert focused == "grad"  # on to the next box by itself


def test_the_whole_graph_in_any_order(opened: Any) -> None:
    """Every grad hidden and asked at once; answered in reverse order, each checked."""
    page = opened("worked")
    page.evaluate("autogradLite.exercise(true)")
    grads = {node["name"]: node["grad"] for node in page.evaluate("autogradLite.nodes")}
    names = page.eval_on_selector_all(
        "[data-answer-for]", "els => els.map(e => e.dataset.answerFor)"
    )
    assert len(names) == len(grads) - 1  # every Value but the root
    hidden = [name for name in names if grad_text(page, name) == "grad ?"]
    assert hidden == names
    for name in reversed(names[-6:]):
        assert answer(page, box(name), grads[name]) == "right"
        assert grad_text(page, name) != "grad ?"
    assert answer(page, box(names[0]), grads[names[0]] + 0.5) == "wrong"
    assert page.evaluate("autogradLite.score()") == {"right": 6, "wrong": 1}


def test_forward_tangent_and_update_modes_ask_their_numbers(opened: Any) -> None:
    """A value in the forward pass, a tangent in forward mode, a new weight in the update."""
    page = opened("worked")
    for mode, step in (("forward", 1), ("tangent", 2), ("update", 1)):
        page.evaluate(f"autogradLite.mode('{mode}')")
        page.evaluate(f"autogradLite.step({step})")
        change = page.evaluate("autogradLite.record()")["changes"][0]
        assert answer(page, box(change["name"]), change["after"] * 1.5 + 0.1) == "wrong", mode
        assert answer(page, box(change["name"]), change["after"]) == "right", mode
    w1 = page.evaluate("autogradLite.record()")["changes"][0]
    assert w1["after"] == pytest.approx(0.149780716, abs=1e-9)  # the tutorial's new w1


def test_everything_by_keyboard(opened: Any) -> None:
    """Type, Enter, on to the next box; Enter on a finished step goes to the next step."""
    page = opened("worked")
    page.evaluate("autogradLite.step(1)")
    page.focus("[data-answer-for]")
    for _ in range(2):
        record = page.evaluate("autogradLite.record()")
        for change in record["changes"]:
            page.keyboard.type(repr(change["after"]))
            page.keyboard.press("Enter")
        page.keyboard.press("Enter")
    assert page.evaluate("autogradLite.current()") == 3
    assert page.evaluate("autogradLite.score()")["wrong"] == 0


def test_practice_off_shows_every_number_again(opened: Any) -> None:
    """Turning practice off removes the boxes and the step text has its numbers back."""
    page = opened("worked")
    page.evaluate("autogradLite.step(2)")
    assert page.evaluate("autogradLite.practice(false)") is False
    assert page.eval_on_selector_all("[data-answer-for]", "els => els.length") == 0
    assert "Work it out" not in page.inner_text("#step-text")
    assert re.search(r"\d\.\d", page.inner_text("#step-text"))


def page_data(path: Path) -> dict[str, Any]:
    """The data the page's script reads."""
    text = path.read_text(encoding="utf-8")
    match = re.search(
        r'<script type="application/json" id="autograd-lite-data">(.*?)</script>', text
    )
    assert match
    return json.loads(match[1])  # type: ignore[no-any-return]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """autograd-lite with `args`, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "autograd_lite", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=cwd,
    )


def test_cli_practice_writes_a_practice_page(tmp_path: Path) -> None:
    """practice EXPR --at, practice --seed --level, demo worked_example --practice."""
    done = cli("practice", "x*y + x", "--at", "x=1.5,y=-2", "-o", "p.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert page_data(tmp_path / "p.html")["practice"] is True
    done = cli("practice", "--seed", "3", "--level", "2", "-o", "s.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    data = page_data(tmp_path / "s.html")
    assert {node["label"] for node in data["nodes"]} >= {"w1", "x1", "w2", "x2", "b", "n"}
    done = cli("demo", "worked_example", "--steps", "1", "--practice", "--out", ".", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert page_data(tmp_path / "worked_example_practice.html")["practice"] is True
