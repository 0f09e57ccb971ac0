"""nn.Recorder: a training run's numbers kept step by step, and the page that replays them.

The first tests read what the recorder kept against numbers computed here by hand; the rest
open the page in headless Chromium (as tests/test_page.py does) and move its slider.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

import nn
from autograd_lite import Value, dot
from nn.demos import iris, moons, xor
from nn.recorder import Recorder

XS = [[0.5, -1.0], [1.5, 2.0], [-0.3, 0.8]]
YS = [1.0, -1.0, 1.0]


def train(model: nn.MLP, steps: int, optimizer: nn.Optimizer, recorder: Recorder) -> list[Value]:
    """Full-batch MSE training, a snapshot after each step; the losses it passed."""
    losses = []
    for _ in range(steps):
        loss = nn.mse_loss([model(x) for x in XS], YS)  # type: ignore[misc]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        recorder.snapshot(loss)
        losses.append(loss)
    return losses


@pytest.fixture
def run() -> tuple[nn.MLP, Recorder, list[Value]]:
    """A 2-3-1 tanh MLP trained 4 steps by SGD at lr 0.1, recorded."""
    model = nn.MLP(2, [3, 1], seed=1)
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    recorder = Recorder(model, XS, YS, optimizer=optimizer)
    return model, recorder, train(model, 4, optimizer, recorder)


def test_weights_grads_and_losses_are_the_steps(run: tuple[nn.MLP, Recorder, list[Value]]) -> None:
    """weights[0] is before training; each step's weights are the last minus lr times its grads."""
    model, recorder, losses = run
    assert recorder.steps == 4
    assert recorder.losses == [loss.data for loss in losses]
    assert recorder.weights[-1] == [p.data for p in model.parameters()]
    assert recorder.weights[0] != recorder.weights[1]
    for k, record in enumerate(recorder.records, start=1):
        assert record["lr"] == 0.1
        for before, grad, after in zip(
            recorder.weights[k - 1], record["grads"], recorder.weights[k]
        ):
            assert after == before - 0.1 * grad
    assert recorder.records[-1]["grads"] == [p.grad for p in model.parameters()]


def test_sample_values_are_the_forward_pass_and_the_deltas(
    run: tuple[nn.MLP, Recorder, list[Value]],
) -> None:
    """z = w·x + b, a = tanh(z) at the weights before the step; the output's δ is d(mse)/dz."""
    _model, recorder, _ = run
    names = recorder.names
    for k, record in enumerate(recorder.records, start=1):
        w = dict(zip(names, recorder.weights[k - 1]))
        for i, (x, y) in enumerate(zip(XS, YS)):
            seen = record["samples"][str(i)]
            hidden = []
            for n in range(3):
                prefix = f"layers.0.neurons.{n}"
                z = w[f"{prefix}.w.0"] * x[0] + w[f"{prefix}.w.1"] * x[1] + w[f"{prefix}.b"]
                assert seen["z"][0][n] == pytest.approx(z, rel=1e-12)
                assert seen["a"][0][n] == pytest.approx(math.tanh(z), rel=1e-12)
                hidden.append(math.tanh(z))
            out = sum(w[f"layers.1.neurons.0.w.{j}"] * hidden[j] for j in range(3))
            out += w["layers.1.neurons.0.b"]
            assert seen["a"][1][0] == seen["z"][1][0] == pytest.approx(out, rel=1e-12)
            delta = 2 * (out - y) / len(XS)  # d/d(out) of the mean of squares; linear output
            assert seen["delta"][1][0] == pytest.approx(delta, rel=1e-12)
            for n in range(3):  # back through w and tanh: δ_h = δ_out * w * (1 - a²)
                back = delta * w[f"layers.1.neurons.0.w.{n}"] * (1 - hidden[n] ** 2)
                assert seen["delta"][0][n] == pytest.approx(back, rel=1e-9, abs=1e-15)


def test_adam_and_momentum_states_are_kept() -> None:
    """Adam's t, m and v, and SGD's momentum buffer, as the optimizer held them after the step."""
    model = nn.MLP(2, [2, 1], seed=0)
    adam = nn.Adam(model.parameters(), lr=0.05)
    recorder = Recorder(model, XS, YS, optimizer=adam)
    train(model, 2, adam, recorder)
    assert [r["t"] for r in recorder.records] == [1, 2]
    assert recorder.records[-1]["m"] == adam.m
    assert recorder.records[-1]["v"] == adam.v
    assert recorder.data()["optimizer"]["kind"] == "adam"
    model = nn.MLP(2, [2, 1], seed=0)
    sgd = nn.SGD(model.parameters(), lr=0.05, momentum=0.9)
    recorder = Recorder(model, XS, YS, optimizer=sgd)
    train(model, 2, sgd, recorder)
    assert recorder.records[-1]["buffer"] == sgd.buffers


def test_a_loss_without_graph_records_no_sample() -> None:
    """A plain float loss (a compiled step) keeps loss, grads and weights, but no sample values."""
    model = nn.MLP(2, [2, 1], seed=0)
    recorder = Recorder(model, XS, YS)
    recorder.snapshot(0.25)
    assert recorder.records[0]["samples"] == {}
    assert recorder.losses == [0.25]


def test_other_uses_of_the_weights_are_not_taken_for_a_neuron() -> None:
    """An L2 term `dot(params, params)` starts with the first weight too; it is not a neuron."""
    model = nn.MLP(2, [2, 1], seed=0)
    recorder = Recorder(model, XS, YS, samples=[1])
    params = model.parameters()
    loss = nn.mse_loss(model(XS[1]), YS[1]) + 1e-3 * dot(params, params)  # type: ignore[arg-type]
    loss.backward()
    recorder.snapshot(loss)
    assert list(recorder.records[0]["samples"]) == ["1"]
    assert recorder.records[0]["samples"]["1"]["z"][1][0] == model(XS[1]).data  # type: ignore[union-attr]


def test_bad_input_is_refused_with_what_was_wrong(tmp_path: Path) -> None:
    """Mismatched data, a sample out of range, a foreign model, an empty save: one sentence each."""
    model = nn.MLP(2, [2, 1], seed=0)
    with pytest.raises(ValueError, match="as many targets as inputs, got 3 and 2"):
        Recorder(model, XS, YS[:2])
    with pytest.raises(ValueError, match="takes 2 inputs, an input row has 3"):
        Recorder(model, [[1.0, 2.0, 3.0]], [1.0])
    with pytest.raises(ValueError, match="samples must index xs"):
        Recorder(model, XS, YS, samples=[7])
    with pytest.raises(TypeError, match="an input must be a real number, got str"):
        Recorder(model, [["a", 1.0]], [1.0])
    with pytest.raises(ValueError, match="nothing to replay"):
        Recorder(model, XS, YS).save(tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_a_neuron_and_a_layer_are_replayed_too(tmp_path: Path) -> None:
    """A lone Neuron's parameters are `w.0`, `b`; a Layer's `neurons.N.…`; both pages are made."""
    neuron, layer = nn.Neuron(2), nn.Layer(2, 2)
    for model, outputs, names in (
        (neuron, lambda: [neuron(XS[0])], ["w.0", "w.1", "b"]),
        (layer, lambda: layer(XS[0]), ["neurons.0.w.0", "neurons.0.w.1", "neurons.0.b"]),
    ):
        recorder = Recorder(model, XS, YS, samples=[0])
        out = outputs()
        loss = nn.mse_loss(out, [1.0] * len(out))
        loss.backward()
        recorder.snapshot(loss)
        assert recorder.names[:3] == names
        seen = recorder.records[0]["samples"]["0"]
        assert seen["a"][0] == [a.data for a in out]
        assert recorder.save(tmp_path / "n.html").stat().st_size > 0


def test_a_save_that_fails_leaves_no_temporary_file(tmp_path: Path) -> None:
    """Saving over a folder fails when the page is moved into place: the half-way file goes."""
    model = nn.MLP(2, [2, 1], seed=0)
    recorder = Recorder(model, XS, YS)
    train(model, 1, nn.SGD(model.parameters(), lr=0.1), recorder)
    (tmp_path / "adir").mkdir()
    with pytest.raises(IsADirectoryError):
        recorder.save(tmp_path / "adir")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["adir"]


def page_data(path: Path) -> dict[str, Any]:
    """The data the replay's script reads."""
    text = path.read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="replay-data">(.*?)</script>', text)
    assert match
    return json.loads(match[1])  # type: ignore[no-any-return]


def test_page_is_one_file_with_nothing_from_the_network(
    run: tuple[nn.MLP, Recorder, list[Value]], tmp_path: Path
) -> None:
    """No src or href, the script inline, the recorded numbers in it exactly."""
    _, recorder, _ = run
    path = recorder.save(tmp_path / "sub" / "run.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert not re.search(r"\b(src|href)\s*=", text)
    assert "autogradLite" in text
    data = page_data(path)
    assert data["weights"] == recorder.weights
    assert [r["loss"] for r in data["records"]] == recorder.losses


def test_moons_page_of_100_steps_stays_under_5_mb(tmp_path: Path) -> None:
    """The page grows by a fixed amount per step: 100 steps of MLP(2, [16, 16, 1]) fit in 5 MB.

    Measured on 4 and 8 steps of the moons demo (its 100 points), extrapolated linearly: the
    page holds per step the same number of weights, grads and sample values.
    """
    points, labels = moons.two_moons(100, seed=0)
    sizes = []
    for steps in (4, 8):
        path = tmp_path / f"moons{steps}.html"
        moons.train(points, labels, steps=steps, page=path)
        sizes.append(path.stat().st_size)
    per_step = (sizes[1] - sizes[0]) / 4
    assert per_step > 0
    assert sizes[1] + 92 * per_step < 5_000_000


def test_demos_write_their_replay(tmp_path: Path) -> None:
    """xor, moons and iris take --page: the page's losses are the demo's."""
    _, errors = xor.train(steps=5, page=tmp_path / "xor.html")
    assert [r["loss"] for r in page_data(tmp_path / "xor.html")["records"]] == errors
    points, labels = moons.two_moons(20, seed=0)
    _, losses, _ = moons.train(points, labels, steps=3, page=tmp_path / "moons.html")
    assert [r["loss"] for r in page_data(tmp_path / "moons.html")["records"]] == losses
    _, losses, _ = moons.train(points, labels, steps=2, compiled=True, page=tmp_path / "c.html")
    assert [r["loss"] for r in page_data(tmp_path / "c.html")["records"]] == losses
    rows, flower_labels, _ = iris.load_iris()
    _, losses, _ = iris.train(
        rows[:20],
        flower_labels[:20],
        rows[20:25],
        flower_labels[20:25],
        steps=2,
        page=tmp_path / "iris.html",
    )
    data = page_data(tmp_path / "iris.html")
    assert [r["loss"] for r in data["records"]] == losses
    assert data["optimizer"]["kind"] == "adam"


# ---------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Recorder]:
    """Ten recorded steps of the moons demo's model on 30 points, and their page."""
    points, labels = moons.two_moons(30, seed=2)
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    optimizer = nn.SGD(model.parameters(), lr=0.5)
    recorder = Recorder(model, points, labels, optimizer=optimizer)
    params = model.parameters()
    for _ in range(10):
        optimizer.zero_grad()
        loss = nn.hinge_loss([model(x) for x in points], labels) + 1e-4 * dot(params, params)  # type: ignore[misc]
        loss.backward()
        optimizer.step()
        recorder.snapshot(loss)
    return recorder.save(tmp_path_factory.mktemp("replay") / "moons.html"), recorder


def test_moving_the_slider_shows_the_recorded_loss_and_weights(
    browser: Any, moons_run: tuple[Path, Recorder]
) -> None:
    """At each step the loss and every weight shown are those Python recorded at that step."""
    path, recorder = moons_run
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_function("window.autogradLite !== undefined")
    assert page.evaluate("autogradLite.replay.steps") == 10

    def shown() -> tuple[float, dict[str, float]]:
        loss = float(page.get_attribute("[data-loss]", "data-loss"))
        weights = page.eval_on_selector_all(
            "[data-weight]", "els => els.map(e => [e.dataset.weight, e.dataset.data])"
        )
        return loss, {name: float(data) for name, data in weights}

    for k in (0, 1, 5, 10):
        page.evaluate(f"autogradLite.replay.seek({k})")
        loss, weights = shown()
        assert loss == recorder.losses[max(k, 1) - 1]
        assert weights == dict(zip(recorder.names, recorder.weights[k]))
    page.evaluate("autogradLite.replay.seek(0)")
    page.focus("#slider")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert page.evaluate("autogradLite.replay.current()") == 3
    assert page.inner_text("#counter") == "step 3 / 10"
    loss, weights = shown()
    assert loss == recorder.losses[2]
    assert (
        weights["layers.1.neurons.4.w.7"]
        == recorder.weights[3][recorder.names.index("layers.1.neurons.4.w.7")]
    )
    assert errors == []
    assert requests == [path.as_uri()]
    page.close()


def test_neurons_show_the_chosen_samples_activation_and_delta(
    browser: Any, moons_run: tuple[Path, Recorder]
) -> None:
    """data-data and data-delta of every neuron are the recorded a and δ of the chosen sample."""
    path, recorder = moons_run
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.goto(path.as_uri())
    page.wait_for_function("window.autogradLite !== undefined")
    page.select_option("#sample-choice", "2")
    page.evaluate("autogradLite.replay.seek(6)")
    values = recorder.records[5]["samples"]["2"]
    found = page.eval_on_selector_all(
        "[data-neuron]", "els => els.map(e => [e.dataset.neuron, e.dataset.data, e.dataset.delta])"
    )
    assert len(found) == 33
    for name, data, delta in found:
        layer, neuron = int(name.split(".")[1]), int(name.split(".")[3])
        assert float(data) == values["a"][layer][neuron]
        assert float(delta) == values["delta"][layer][neuron]
    row = page.inner_text('[data-neuron-row="layers.2.neurons.0"]')
    assert f"{values['delta'][2][0]:.6g}" in row.replace("e-0", "e-")
    page.close()


def test_a_diverged_run_is_still_written(tmp_path: Path) -> None:
    """A nan or infinite loss goes into the page as the string JavaScript reads as that number."""
    model = nn.MLP(2, [2, 1], seed=0)
    recorder = Recorder(model, XS, YS)
    recorder.snapshot(math.inf)
    recorder.snapshot(math.nan)
    data = page_data(recorder.save(tmp_path / "r.html"))
    assert [r["loss"] for r in data["records"]] == ["Infinity", "NaN"]
