"""nn save/load: JSON round trips, atomic writes, and every kind of bad file refused untouched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nn
from nn import io


def _saved(tmp_path: Path, model: nn.Module | None = None) -> Path:
    path = tmp_path / "model.json"
    (model or nn.MLP(2, [3, 1], seed=1)).save(path)
    return path


def test_file_is_json_with_format_version_architecture_and_parameters(tmp_path) -> None:
    """The file is plain JSON naming its format, version, architecture and each parameter."""
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    path = _saved(tmp_path, model)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["format"] == "autograd-lite-model"
    assert document["version"] == 1
    assert document["architecture"] == {
        "type": "MLP",
        "nin": 2,
        "nouts": [16, 16, 1],
        "activation": "relu",
        "out_activation": None,
    }
    assert len(document["parameters"]) == 337
    assert document["parameters"] == model.state_dict()


def test_load_into_a_model_restores_its_weights_exactly(tmp_path) -> None:
    """Floats survive the JSON round trip bit for bit, so outputs are identical."""
    source = nn.MLP(2, [3, 1], seed=1)
    path = _saved(tmp_path, source)
    target = nn.MLP(2, [3, 1], seed=2)
    target.load(str(path))
    assert target.state_dict() == source.state_dict()
    assert target([0.25, -1.5]).data == source([0.25, -1.5]).data


@pytest.mark.parametrize(
    "model",
    [
        nn.MLP(2, [4, 4, 1], seed=3),
        nn.MLP(3, [2, 2], activation="sigmoid", out_activation="tanh", seed=4),
        nn.Layer(2, 3, activation="relu", seed=5),
        nn.Neuron(4, activation=None, seed=6),
    ],
    ids=repr,
)
def test_nn_load_rebuilds_the_recorded_model(tmp_path, model) -> None:
    """nn.load returns a model of the same class, architecture and weights."""
    path = _saved(tmp_path, model)
    loaded = nn.load(path)
    assert type(loaded) is type(model)
    assert repr(loaded) == repr(model)
    assert loaded.state_dict() == model.state_dict()
    x = [0.5, -0.25, 0.75, 1.0][: model.nin]
    out, expected = loaded(x), model(x)
    if isinstance(expected, list):
        assert [v.data for v in out] == [v.data for v in expected]
    else:
        assert out.data == expected.data


def test_save_overwrites_and_leaves_no_temporary_files(tmp_path) -> None:
    """Saving twice replaces the file; the folder holds only that file afterwards."""
    path = _saved(tmp_path, nn.MLP(2, [3, 1], seed=1))
    second = nn.MLP(2, [3, 1], seed=2)
    second.save(path)
    assert os.listdir(tmp_path) == ["model.json"]
    assert nn.load(path).state_dict() == second.state_dict()


def test_a_crash_before_the_rename_keeps_the_old_file_whole(tmp_path, monkeypatch) -> None:
    """If the final os.replace fails, the old file is intact and the temporary file is gone."""
    first = nn.MLP(2, [3, 1], seed=1)
    path = _saved(tmp_path, first)

    def crash(source, target):
        raise OSError("disk unplugged")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk unplugged"):
        nn.MLP(2, [3, 1], seed=2).save(path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["model.json"]
    assert nn.load(path).state_dict() == first.state_dict()


def test_saving_a_non_finite_weight_is_refused_and_writes_nothing(tmp_path) -> None:
    """A NaN weight cannot be saved (JSON has no NaN); no file appears."""
    model = nn.Neuron(2)
    model.b.data = float("nan")
    with pytest.raises(ValueError, match="cannot save: parameter 'b' is nan"):
        model.save(tmp_path / "model.json")
    assert os.listdir(tmp_path) == []


def _edit(path: Path, change) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def _truncate(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")


def _weight_as(text: str):
    """A damage that writes the weight layers.0.neurons.1.w.0 as the raw JSON `text`."""

    def damage(path: Path) -> None:
        content = path.read_text(encoding="utf-8")
        name = '"layers.0.neurons.1.w.0": '
        start = content.index(name) + len(name)
        end = content.index(",", start)
        path.write_text(content[:start] + text + content[end:], encoding="utf-8")

    return damage


BAD_FILES = {
    "truncated": (_truncate, "invalid JSON"),
    "garbage": (lambda p: p.write_bytes(b"\x00\xff\xfe garbage \x80"), "invalid JSON"),
    "empty": (lambda p: p.write_bytes(b""), "invalid JSON"),
    "a JSON list": (lambda p: p.write_text("[1, 2, 3]"), "no format 'autograd-lite-model'"),
    "a JSON string": (lambda p: p.write_text('"model"'), "no format 'autograd-lite-model'"),
    "nested lists": (lambda p: p.write_text("[" * 100_000), "JSON nested too deeply to read"),
    "nested objects": (
        lambda p: p.write_text('{"a": ' * 100_000),
        "JSON nested too deeply to read",
    ),
    "latin-1 text": (
        lambda p: p.write_bytes('{"format": "café"}'.encode("latin-1")),
        "invalid JSON: 'utf-8' codec can't decode byte 0xe9",
    ),
    "wrong format": (lambda p: _edit(p, lambda d: d.update(format="keras")), "no format"),
    "wrong version": (
        lambda p: _edit(p, lambda d: d.update(version=2)),
        "model file version 2; this version reads 1",
    ),
    "version 1.0": (
        lambda p: _edit(p, lambda d: d.update(version=1.0)),
        "model file version 1.0; this version reads 1",
    ),
    "version true": (
        lambda p: _edit(p, lambda d: d.update(version=True)),
        "model file version True; this version reads 1",
    ),
    "version as a string": (
        lambda p: _edit(p, lambda d: d.update(version="1")),
        "model file version '1'; this version reads 1",
    ),
    "other architecture": (
        lambda p: nn.MLP(2, [4, 1]).save(p),
        "holds a model with architecture .*'nouts': \\[4, 1\\].*this model is",
    ),
    "other activation": (
        lambda p: nn.MLP(2, [3, 1], activation="relu").save(p),
        "architecture",
    ),
    "a NaN": (_weight_as("NaN"), "parameter 'layers.0.neurons.1.w.0' is nan, not a finite number"),
    "Infinity": (
        lambda p: _edit(p, lambda d: d["parameters"].update({"layers.1.neurons.0.b": 1e999})),
        "is inf, not a finite number",
    ),
    "a 401-digit integer weight": (
        _weight_as("1" + "0" * 400),
        "parameter 'layers.0.neurons.1.w.0' is 10000000000.* \\(401 characters\\),"
        " too large for a float",
    ),
    "a 5000-digit integer weight": (_weight_as("1" * 5000), "invalid JSON: Exceeds the limit"),
    "true as a weight": (
        _weight_as("true"),
        "parameter 'layers.0.neurons.1.w.0' is True, not a number",
    ),
    "a nested list as a weight": (
        _weight_as("[[0.5]]"),
        "parameter 'layers.0.neurons.1.w.0' is a list of length 1, not a number",
    ),
    "a string weight": (
        lambda p: _edit(p, lambda d: d["parameters"].update({"layers.1.neurons.0.b": "0.1"})),
        "is '0.1', not a number",
    ),
    "a missing weight": (
        lambda p: _edit(p, lambda d: d["parameters"].pop("layers.1.neurons.0.b")),
        "state holds 12 parameters, the model has 13 .missing: layers.1.neurons.0.b",
    ),
    "a renamed weight": (
        lambda p: _edit(
            p, lambda d: d["parameters"].update(x=d["parameters"].pop("layers.0.neurons.0.b"))
        ),
        "missing: layers.0.neurons.0.b; unexpected: x",
    ),
    "a weight given twice": (
        _weight_as('0.5, "layers.0.neurons.1.w.0": 0.25'),
        "invalid JSON: key 'layers.0.neurons.1.w.0' appears twice",
    ),
    "no parameters": (lambda p: _edit(p, lambda d: d.pop("parameters")), "no parameters"),
    "no architecture": (
        lambda p: _edit(p, lambda d: d.pop("architecture")),
        "has an invalid architecture: it must be an object with a 'type', got None",
    ),
    "parameters as a list": (
        lambda p: _edit(p, lambda d: d.update(parameters=[0.5])),
        "has no parameters object, got a list of length 1",
    ),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_bad_file_raises_value_error_and_leaves_the_model_unchanged(tmp_path, kind) -> None:
    """Truncated, corrupt, mismatched or non-finite files are refused, weights untouched."""
    damage, message = BAD_FILES[kind]
    path = _saved(tmp_path)
    damage(path)
    model = nn.MLP(2, [3, 1], seed=7)
    before = model.state_dict()
    with pytest.raises(ValueError, match=message):
        model.load(path)
    assert model.state_dict() == before
    if kind in ("other architecture", "other activation"):
        return  # a valid file for another model: nn.load reads it
    if kind == "a missing weight":  # nn.load counts parameters before building the model
        message = "it has 13 parameters, the file holds 12"
    with pytest.raises(ValueError, match=message):
        nn.load(path)


ARCHITECTURE_CHANGES = [
    ({"nin": 2.0}, "nin must be a positive int, got 2.0"),
    ({"nin": True}, "nin must be a positive int, got True"),
    ({"nin": 0}, "nin must be a positive int, got 0"),
    ({"nin": "2"}, "nin must be a positive int, got '2'"),
    ({"nouts": [3.0, 1]}, "each layer size in nouts must be a positive int, got 3.0"),
    ({"nouts": [3, False]}, "each layer size in nouts must be a positive int, got False"),
    ({"nouts": "31"}, "nouts must be a non-empty list of layer sizes, got '31'"),
    ({"nouts": []}, "nouts must be a non-empty list of layer sizes, got a list of length 0"),
    (
        {"nouts": {"3": 1}},
        "nouts must be a non-empty list of layer sizes, got a dict of length 1",
    ),
    (
        {"activation": ["tanh"]},
        "activation must be an activation name or null, got a list of length 1",
    ),
    ({"out_activation": 0}, "out_activation must be an activation name or null, got 0"),
    (
        {"type": "Transformer"},
        "unknown model type 'Transformer'; known types are Neuron, Layer, MLP",
    ),
    (
        {"type": ["MLP"]},
        "unknown model type a list of length 1; known types are Neuron, Layer, MLP",
    ),
    ({"type": None}, "unknown model type None; known types are Neuron, Layer, MLP"),
    (
        {"extra": 1},
        "MLP architectures have exactly the fields type, nin, nouts, activation,"
        " out_activation; got 'activation, extra, nin, nouts, out_activation, type'",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"),
    ARCHITECTURE_CHANGES,
    ids=[repr(change) for change, _ in ARCHITECTURE_CHANGES],
)
def test_both_loaders_refuse_the_same_architectures_leaving_the_model_unchanged(
    tmp_path, change, message
) -> None:
    """Module.load and nn.load share one strict check: same file, same ValueError, no change."""
    path = _saved(tmp_path)
    _edit(path, lambda d: d["architecture"].update(change))
    model = nn.MLP(2, [3, 1], seed=7)
    before = model.state_dict()
    with pytest.raises(ValueError, match="has an invalid architecture: ") as into_model:
        model.load(path)
    assert model.state_dict() == before
    with pytest.raises(ValueError, match="has an invalid architecture: ") as rebuilt:
        nn.load(path)
    assert str(into_model.value) == str(rebuilt.value)
    assert str(rebuilt.value).endswith(message)


@pytest.mark.parametrize(
    ("architecture", "message"),
    [
        (
            {"type": "MLP", "nin": 2, "nouts": [10**9], "activation": None, "out_activation": None},
            "it has 3000000000 parameters, the file holds 13",
        ),
        ({"type": "Layer", "nin": 12, "nout": 1, "activation": "swish"}, "unknown activation"),
        ({"type": "Neuron", "nin": 12, "activation": "swish"}, "unknown activation"),
    ],
)
def test_nn_load_refuses_architectures_that_do_not_fit_before_building(
    tmp_path, architecture, message
) -> None:
    """Well-typed architectures whose size or activation does not fit are ValueErrors too."""
    path = _saved(tmp_path)
    _edit(path, lambda d: d.update(architecture=architecture))
    with pytest.raises(ValueError, match=message):
        nn.load(path)


@pytest.mark.parametrize(
    "bad",
    [True, 10**400, [0.5], "0.5", float("inf")],
    ids=["True", "10**400", "list", "str", "inf"],
)
def test_load_state_dict_refuses_values_that_are_not_finite_floats(bad) -> None:
    """The file's number check guards load_state_dict too: bools, huge ints, lists are refused."""
    model = nn.Neuron(2, seed=1)
    before = model.state_dict()
    with pytest.raises(ValueError, match="parameter 'b' is "):
        model.load_state_dict({**before, "b": bad})
    assert model.state_dict() == before


@pytest.mark.parametrize(
    ("where", "error"),
    [("absent.json", FileNotFoundError), (".", IsADirectoryError if os.name != "nt" else OSError)],
)
def test_a_file_that_cannot_be_read_raises_os_error(tmp_path, where, error) -> None:
    """No file, or a folder, is an OSError as for open(), not a ValueError about contents."""
    model = nn.MLP(2, [3, 1], seed=7)
    before = model.state_dict()
    with pytest.raises(error):
        model.load(tmp_path / where)
    assert model.state_dict() == before
    with pytest.raises(error):
        nn.load(tmp_path / where)


def test_the_longest_legal_file_name_saves(tmp_path: Path) -> None:
    """A 255-character name (218 failed before: the temporary name added 38) saves and loads."""
    model = nn.MLP(2, [2, 1], seed=0)
    for name in ("m" * 213 + ".json", "m" * 250 + ".json"):
        model.save(tmp_path / name)
        assert nn.load(tmp_path / name).state_dict() == model.state_dict()
    assert sorted(len(name) for name in os.listdir(tmp_path)) == [218, 255]


def test_a_save_removes_the_temporary_files_of_crashed_saves(tmp_path: Path) -> None:
    """A save killed mid-write leaves its temporary file; the next save of the target removes it.

    The child stops after writing, before its rename, holding its lock; then it is killed.
    """
    target = tmp_path / "model.json"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, time, nn; os.fsync = lambda fd: time.sleep(60); "
            f"nn.MLP(2, [2, 1], seed=0).save({str(target)!r})",
        ],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, sys.path))},
    )
    try:
        deadline = time.monotonic() + 30
        while not os.listdir(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.02)
        (temporary,) = os.listdir(tmp_path)
        live = nn.MLP(2, [2, 1], seed=1)
        live.save(tmp_path / "other.json")  # another target's save leaves it alone
        assert temporary in os.listdir(tmp_path)
        live.save(target)  # the child still holds its lock: still not stale
        assert temporary in os.listdir(tmp_path)
    finally:
        child.kill()  # SIGKILL
        child.wait()
    live.save(target)
    assert sorted(os.listdir(tmp_path)) == ["model.json", "other.json"]
    assert nn.load(target).state_dict() == live.state_dict()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_loading_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    """A FIFO would block the read until a writer comes: refused before reading."""
    os.mkfifo(tmp_path / "model.json")
    with pytest.raises(ValueError, match=r"is not a model file \(a FIFO\)"):
        nn.load(tmp_path / "model.json")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_loading_an_endless_device_is_refused(tmp_path: Path) -> None:
    """A symlink to /dev/zero would be read until memory runs out: refused before reading."""
    (tmp_path / "model.json").symlink_to("/dev/zero")
    with pytest.raises(ValueError, match=r"is not a model file \(a character device\)"):
        nn.load(tmp_path / "model.json")


def test_a_file_over_the_size_limit_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The size is checked on the open file, before any byte is read; saving checks it too."""
    model = nn.MLP(2, [2, 1], seed=0)
    model.save(tmp_path / "model.json")
    size = (tmp_path / "model.json").stat().st_size
    monkeypatch.setattr(io, "MAX_FILE_BYTES", size - 1)
    with pytest.raises(ValueError, match=rf"\({size:,} bytes; the limit is {size - 1:,}\)"):
        nn.load(tmp_path / "model.json")
    with pytest.raises(ValueError, match=r"cannot save: the file would be"):
        model.save(tmp_path / "again.json")
    assert os.listdir(tmp_path) == ["model.json"]
