"""The demos: each runs, prints the tutorials' numbers to their digits, and learns what it claims.

Numbers from ../shared/seeds/README.md; a value printed there as 0.593269992 must round to it.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from autograd_lite import RendererError, Value
from nn.demos import iris, moons, worked_example, xor
from nn.demos.worked_example import (
    PUBLISHED_AFTER_ONE_STEP,
    PUBLISHED_DE_DW5,
    PUBLISHED_ERRORS,
    PUBLISHED_FORWARD,
)

ROOT = Path(__file__).resolve().parent.parent
NUMBER = r"[-+]?\d+\.\d+"


def _matches(value: float, printed: str) -> bool:
    """Whether `value` shows as `printed` when rounded to as many decimals as it has."""
    digits = len(printed.split(".")[1])
    return abs(value - float(printed)) <= 0.5 * 10.0**-digits + 1e-15


def _truncates_to(value: float, printed: str) -> bool:
    """Whether `value`'s first decimals are `printed` (the tutorial cut 0.2910277 to 0.29102)."""
    digits = len(printed.split(".")[1])
    return f"{value:.{digits + 6}f}"[: digits + 2] == printed


def _run(demo_main: Callable[[list[str] | None], int], *argv: str) -> str:
    """What a demo's main(argv) prints; it must return 0."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert demo_main(list(argv)) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def one_step_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The worked example's printout with one training round (the rest is tested on train())."""
    out = tmp_path_factory.mktemp("worked")
    return _run(worked_example.main, "--steps", "1", "--out", str(out))


def test_worked_example_prints_the_published_forward_pass(one_step_output: str) -> None:
    """net and out of every neuron, E_o1, E_o2 and E_total, to the published digits."""
    printed = dict(re.findall(rf"(\w+) = ({NUMBER})", one_step_output.split("Backward")[0]))
    printed["E"] = printed.pop("E_total")
    for name, published in PUBLISHED_FORWARD.items():
        assert _matches(float(printed[name]), published), (name, printed[name], published)


def test_worked_example_prints_the_chain_rule_for_w5(one_step_output: str) -> None:
    """dE/dw5 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5 with the published factors."""
    line = next(ln for ln in one_step_output.splitlines() if "dnet_o1/dw5 =" in ln)
    assert line.strip().startswith("dE/dw5 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5 = ")
    factors = [float(x) for x in re.findall(NUMBER, line)]
    assert factors[0] == pytest.approx(0.74136507, abs=1e-8)
    assert factors[1] == pytest.approx(0.186815602, abs=1e-8)
    assert factors[2] == pytest.approx(0.593269992, abs=1e-8)
    assert factors[3] == pytest.approx(float(PUBLISHED_DE_DW5), abs=1e-8)
    gradient = re.search(rf"dE/dw5 = ({NUMBER})\n", one_step_output)
    assert gradient
    assert _matches(float(gradient[1]), PUBLISHED_DE_DW5)


def test_worked_example_prints_the_published_updated_weights(one_step_output: str) -> None:
    """The eight weights after one step at rate 0.5, biases held, to the published digits."""
    rows = re.findall(rf"^  (w\d) +{NUMBER} +{NUMBER} +({NUMBER})", one_step_output, re.M)
    assert [name for name, _ in rows] == list(PUBLISHED_AFTER_ONE_STEP)
    for name, after in rows:
        assert _matches(float(after), PUBLISHED_AFTER_ONE_STEP[name]), (name, after)


def test_training_reproduces_the_published_errors() -> None:
    """About 0.29102 after one round and 0.0000351 after 10,000, with the biases held."""
    errors, network = worked_example.train(10_000)
    assert _truncates_to(errors[0], PUBLISHED_ERRORS[1])
    assert _truncates_to(errors[-1], PUBLISHED_ERRORS[10_000])
    assert _matches(errors[-1], PUBLISHED_ERRORS[10_000])
    assert network["out_o1"].data == pytest.approx(0.01591362, abs=1e-8)
    assert network["out_o2"].data == pytest.approx(0.98406427, abs=1e-8)


def test_update_biases_variant_learns_the_biases_too(tmp_path: Path) -> None:
    """With --update-biases, b1 and b2 move and the first round ends lower (0.28575)."""
    errors, _ = worked_example.train(1, update_biases=True)
    assert errors[0] == pytest.approx(0.2857508867, abs=1e-10)
    printed = _run(worked_example.main, "--update-biases", "--steps", "1", "--out", str(tmp_path))
    assert re.search(rf"^  b1 +0\.35 +\+0\.018725609 +({NUMBER})", printed, re.M)
    assert "published: about" not in printed  # the published errors are for held biases


def test_worked_example_runs_as_a_module_and_draws_its_graph(tmp_path: Path) -> None:
    """`python -m demos.worked_example` prints the example and writes the SVG graph."""
    done = subprocess.run(
        [sys.executable, "-m", "demos.worked_example", "--steps", "10", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "out_o1 = 0.751365070" in done.stdout
    assert "after    10 rounds: E_total = 0.2209185921" in done.stdout
    svg = (tmp_path / "worked_example.svg").read_text(encoding="utf-8")
    assert "<svg" in svg
    assert "net_o1" in svg


def test_worked_example_without_a_renderer_says_so_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No Graphviz renderer: one line saying what to install, and the demo still succeeds."""

    def no_renderer(root: Value, path: Path, **options: object) -> Path:
        raise RendererError("no Graphviz renderer is installed: run `apt-get install graphviz`")

    monkeypatch.setattr(worked_example, "save_graph", no_renderer)
    printed = _run(worked_example.main, "--steps", "1", "--out", str(tmp_path))
    assert printed.rstrip().endswith(
        "Computation graph not drawn: no Graphviz renderer is installed: "
        "run `apt-get install graphviz`"
    )
    assert not (tmp_path / "worked_example.svg").exists()


def test_xor_is_solved() -> None:
    """The default run prints every output next to its target, each rounding to it."""
    printed = _run(xor.main)
    rows = re.findall(rf"^  (\d)   (\d)   (\d) +({NUMBER})$", printed, re.M)
    assert [(int(a), int(b)) for a, b, _, _ in rows] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert all(round(float(y)) == int(t) for _, _, t, y in rows)
    assert "Solved" in printed


def test_two_moons_data_are_seeded_and_balanced() -> None:
    """Same seed, same points; labels ±1, half each; a different seed moves the noise."""
    points, labels = moons.two_moons(100, seed=3)
    assert (points, labels) == moons.two_moons(100, seed=3)
    assert moons.two_moons(100, seed=4)[0] != points
    assert sorted(set(labels)) == [-1, 1]
    assert labels.count(1) == 50
    assert all(-1.5 < x < 2.5 and -1.0 < y < 1.5 for x, y in points)


def test_moons_with_adam_reaches_95_percent(tmp_path: Path) -> None:
    """A shorter honest run (Adam, 30 steps, 100 points) separates the moons and plots them."""
    printed = _run(moons.main, "--optimizer", "adam", "--steps", "30", "--out", str(tmp_path))
    accuracy = re.search(r"Training accuracy after 30 steps: (\d+)%", printed)
    assert accuracy
    assert int(accuracy[1]) >= 95
    assert (tmp_path / "moons.png").read_bytes().startswith(b"\x89PNG")


def test_moons_without_matplotlib_still_trains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No plot extra: it trains, draws nothing and says how to get the picture."""
    monkeypatch.setattr(moons, "has_matplotlib", lambda: False)
    printed = _run(moons.main, "--steps", "2", "--samples", "10", "--out", str(tmp_path))
    assert "Training accuracy after 2 steps" in printed
    assert "`pip install matplotlib`" in printed
    assert not (tmp_path / "moons.png").exists()


def test_moons_rejects_bad_hidden_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    """--hidden 16,x is a usage error naming the bad text."""
    with pytest.raises(SystemExit) as exit_info:
        moons.main(["--hidden", "16,x"])
    assert exit_info.value.code == 2
    assert "16,x" in capsys.readouterr().err


def test_moons_compiled_training_takes_the_same_steps() -> None:
    """--compiled trains through autograd_lite.compile with the graph's losses and accuracies."""
    points, labels = moons.two_moons(40, seed=3)
    _, graph_losses, graph_accuracies = moons.train(points, labels, steps=6, seed=3)
    _, compiled_losses, compiled_accuracies = moons.train(
        points, labels, steps=6, seed=3, compiled=True
    )
    assert compiled_losses == pytest.approx(graph_losses, rel=1e-12, abs=1e-15)
    assert compiled_accuracies == graph_accuracies


# ---------------------------------------------------------------- Fisher's Iris


def test_iris_file_is_fishers_150_flowers() -> None:
    """150 rows of 4 measurements in cm, 50 of each of the three species, as published."""
    rows, labels, species = iris.load_iris()
    assert species == ["setosa", "versicolor", "virginica"]
    assert len(rows) == 150
    assert [labels.count(k) for k in range(3)] == [50, 50, 50]
    assert rows[0] == [5.1, 3.5, 1.4, 0.2]  # the first flower of Fisher's table
    assert all(len(row) == 4 and all(0.1 <= x <= 7.9 for x in row) for row in rows)


def test_iris_split_is_stratified_seeded_and_disjoint() -> None:
    """30% of each species held out; the same seed gives the same split, another seed another."""
    _, labels, _ = iris.load_iris()
    train, test = iris.stratified_split(labels, 0.3, seed=0)
    assert sorted(train + test) == list(range(150))
    assert [sum(labels[i] == k for i in test) for k in range(3)] == [15, 15, 15]
    assert (train, test) == iris.stratified_split(labels, 0.3, seed=0)
    assert test != iris.stratified_split(labels, 0.3, seed=1)[1]


def test_iris_standardises_with_training_statistics_only() -> None:
    """Training columns get mean 0 and deviation 1; the held-out rows use the same shift."""
    rows = [[1.0, 10.0], [3.0, 30.0]]
    means, stds = iris.standardiser(rows)
    assert (means, stds) == ([2.0, 20.0], [1.0, 10.0])
    assert iris.standardise([[5.0, 0.0]], means, stds) == [[3.0, -2.0]]


def test_iris_confusion_matrix_counts_true_by_predicted() -> None:
    """counts[true][predicted]."""
    assert iris.confusion_matrix([0, 2, 2, 1], [0, 1, 2, 1], 3) == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]


def test_iris_demo_classifies_held_out_flowers(tmp_path: Path) -> None:
    """The default run: >= 95% of the 45 held-out flowers right, the matrix and the plot."""
    printed = _run(iris.main, "--out", str(tmp_path))
    accuracy = re.search(r"Held-out accuracy: ([\d.]+)% \((\d+) of 45\)", printed)
    assert accuracy
    assert float(accuracy[1]) >= 95
    matrix = re.findall(r"^  (setosa|versicolor|virginica) +(\d+) +(\d+) +(\d+)$", printed, re.M)
    assert [name for name, *_ in matrix] == ["setosa", "versicolor", "virginica"]
    counts = [[int(c) for c in row] for _, *row in matrix]
    assert sum(map(sum, counts)) == 45
    assert sum(counts[k][k] for k in range(3)) == int(accuracy[2])
    assert (tmp_path / "iris.png").read_bytes().startswith(b"\x89PNG")


def test_every_demo_module_is_listed_and_runnable() -> None:
    """A module written in nn/demos but not named in `demos()` could not be run: none is missed.

    Each listed demo has a one-line summary and a `main(argv)`.
    """
    import nn.demos

    folder = Path(nn.demos.__file__).parent
    written = {path.stem for path in folder.glob("*.py") if not path.stem.startswith("_")}
    listed = nn.demos.demos()
    assert set(listed) == written
    for demo in listed.values():
        assert (demo.__doc__ or "").splitlines()[0].strip()
        assert callable(demo.main)
