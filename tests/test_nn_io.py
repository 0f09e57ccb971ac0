"""nn save/load: JSON round trips, atomic writes, and every kind of bad file refused untouched."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import nn


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


def _nan(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    name = '"layers.0.neurons.1.w.0": '
    start = text.index(name) + len(name)
    end = text.index(",", start)
    path.write_text(text[:start] + "NaN" + text[end:], encoding="utf-8")


BAD_FILES = {
    "truncated": (_truncate, "invalid JSON"),
    "garbage": (lambda p: p.write_bytes(b"\x00\xff\xfe garbage \x80"), "invalid JSON"),
    "empty": (lambda p: p.write_bytes(b""), "invalid JSON"),
    "a JSON list": (lambda p: p.write_text("[1, 2, 3]"), "no format 'autograd-lite-model'"),
    "wrong format": (lambda p: _edit(p, lambda d: d.update(format="keras")), "no format"),
    "wrong version": (
        lambda p: _edit(p, lambda d: d.update(version=2)),
        "model file version 2; this version reads 1",
    ),
    "other architecture": (
        lambda p: nn.MLP(2, [4, 1]).save(p),
        "holds a model with architecture .*'nouts': \\[4, 1\\].*this model is",
    ),
    "other activation": (
        lambda p: nn.MLP(2, [3, 1], activation="relu").save(p),
        "architecture",
    ),
    "a NaN": (_nan, "parameter 'layers.0.neurons.1.w.0' is nan, not a finite number"),
    "Infinity": (
        lambda p: _edit(p, lambda d: d["parameters"].update({"layers.1.neurons.0.b": 1e999})),
        "is inf, not a finite number",
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
    "no parameters": (lambda p: _edit(p, lambda d: d.pop("parameters")), "no parameters"),
    "no architecture": (lambda p: _edit(p, lambda d: d.pop("architecture")), "architecture"),
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


@pytest.mark.parametrize(
    ("architecture", "message"),
    [
        ({"type": "Transformer", "nin": 2}, "unknown model type 'Transformer'"),
        ({"type": "MLP", "nin": 2, "nouts": [10**9], "activation": None}, "exactly"),
        (
            {"type": "MLP", "nin": 2, "nouts": [10**9], "activation": None, "out_activation": None},
            "it has 3000000000 parameters, the file holds 13",
        ),
        (
            {"type": "MLP", "nin": 2, "nouts": "31", "activation": None, "out_activation": None},
            "nouts must be a non-empty list",
        ),
        ({"type": "Layer", "nin": 2.0, "nout": 1, "activation": None}, "nin must be a positive"),
        ({"type": "Layer", "nin": 12, "nout": 1, "activation": "swish"}, "unknown activation"),
        ({"type": "Neuron", "nin": 12, "activation": ["tanh"]}, "unknown activation"),
    ],
)
def test_nn_load_refuses_invalid_architectures_before_building(
    tmp_path, architecture, message
) -> None:
    """Unknown types, wrong fields, sizes that do not fit the parameters are ValueErrors."""
    path = _saved(tmp_path)
    _edit(path, lambda d: d.update(architecture=architecture))
    with pytest.raises(ValueError, match=message):
        nn.load(path)


def test_a_missing_file_raises_file_not_found(tmp_path) -> None:
    """No file is an OSError, as for open(), not a ValueError about its contents."""
    with pytest.raises(FileNotFoundError):
        nn.load(tmp_path / "absent.json")
