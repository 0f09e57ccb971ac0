"""nn save/load: JSON round trips, atomic writes, and every kind of bad file refused untouched."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import tracemalloc
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
    "empty": (lambda p: p.write_bytes(b""), "no format 'autograd-lite-model'"),
    "a JSON list": (lambda p: p.write_text("[1, 2, 3]"), "no format 'autograd-lite-model'"),
    "a JSON string": (lambda p: p.write_text('"model"'), "no format 'autograd-lite-model'"),
    "nested lists": (lambda p: p.write_text("[" * 100_000), "no format 'autograd-lite-model'"),
    "nested objects": (
        lambda p: p.write_text('{"a": ' * 100_000),
        "no format 'autograd-lite-model'",
    ),
    "nested architecture": (
        lambda p: p.write_text('{"format": "autograd-lite-model", "architecture": ' + "[" * 10**5),
        "architecture must be a flat object: numbers, strings, booleans, null and lists of these,"
        " at line 1, column 51",
    ),
    "an unknown key": (
        lambda p: _edit(p, lambda d: d.update(comment="mine")),
        "has an unknown key 'comment' \\(at line 1, column \\d+\\); a model file holds format,"
        " version, architecture, parameters",
    ),
    "format not first": (
        lambda p: p.write_text('{"version": 1, "format": "autograd-lite-model"}'),
        "no format 'autograd-lite-model'",
    ),
    "data after the end": (
        lambda p: p.write_text(p.read_text() + "[]"),
        "invalid JSON at line 29, column 2",
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
        'holds a model with architecture .*"nouts": \\[4, 1\\].*this model is',
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
        "parameter 'layers.0.neurons.1.w.0' is not a number \\(at line 18, column 29\\)",
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
    ({"nin": 2.0}, "does not hold a valid MLP: nin must be a positive int, got float 2.0"),
    ({"nin": True}, "does not hold a valid MLP: nin must be a positive int, got bool True"),
    ({"nin": 0}, "does not hold a valid MLP: nin must be a positive int, got 0"),
    ({"nin": "2"}, "does not hold a valid MLP: nin must be a positive int, got str '2'"),
    ({"nouts": [3.0, 1]}, "does not hold a valid MLP: each layer size in nouts must be a"),
    ({"nouts": [3, False]}, "does not hold a valid MLP: each layer size in nouts must be a"),
    ({"nouts": "31"}, "does not hold a valid MLP: nouts must be a list of layer sizes, got str"),
    ({"nouts": []}, "does not hold a valid MLP: nouts must name at least one layer size, got"),
    (
        {"nouts": {"3": 1}},
        "is not a model file (architecture must be a flat object: numbers, strings, booleans,"
        " null and lists of these, at line 1, column 65)",
    ),
    (
        {"activation": ["tanh"]},
        "does not hold a valid MLP: unknown activation ['tanh']; valid activations are 'tanh',"
        " 'relu', 'sigmoid', None",
    ),
    ({"out_activation": 0}, "does not hold a valid MLP: unknown activation 0; valid activations"),
    ({"type": "Transformer"}, "holds an unknown model type 'Transformer'; the types are Neuron,"),
    ({"type": ["MLP"]}, "has an invalid architecture: its type must be a string, got a list"),
    ({"type": None}, "has an invalid architecture: its type must be a string, got None"),
    (
        {"extra": 1},
        "does not hold a valid MLP: MLP architectures have exactly the fields 'type', 'nin',"
        " 'nouts', 'activation', 'out_activation'; got 'activation', 'extra', 'nin', 'nouts',",
    ),
    (
        {"type": "Layer"},
        "does not hold a valid Layer: Layer architectures have exactly the fields 'type', 'nin',"
        " 'nout', 'activation'; got 'activation', 'nin', 'nouts', 'out_activation', 'type'",
    ),
]


@pytest.mark.parametrize(
    ("change", "message"),
    ARCHITECTURE_CHANGES,
    ids=[repr(change) for change, _ in ARCHITECTURE_CHANGES],
)
def test_an_architecture_its_type_refuses_is_refused_by_both_loaders(
    tmp_path, change, message
) -> None:
    """nn.load asks the model type, which says what is wrong; Module.load sees a mismatch.

    io checks the format only; each model type checks its own fields, with its constructor's
    checks (strictly: `2.0` or `true` is not a size). Neither loader changes the model.
    """
    path = _saved(tmp_path)
    _edit(path, lambda d: d["architecture"].update(change))
    with pytest.raises(ValueError, match=re.escape(f"{str(path)!r} {message}")):
        nn.load(path)
    model = nn.MLP(2, [3, 1], seed=7)
    before = model.state_dict()
    with pytest.raises(ValueError, match="architecture"):
        model.load(path)
    assert model.state_dict() == before


def test_every_model_type_rebuilds_from_its_architecture() -> None:
    """Each registered type's architecture names exactly its FIELDS, and rebuilds an equal model."""
    assert set(nn.layers.MODELS) == {"Neuron", "Layer", "MLP"}
    for model in (nn.Neuron(3, "relu"), nn.Layer(3, 2, None), nn.MLP(2, [4, 1], "sigmoid")):
        architecture = model.architecture()
        assert list(architecture) == ["type", *type(model).FIELDS]
        count = len(model.parameters())
        assert type(model).parameter_count(architecture) == count
        rebuilt = nn.layers.MODELS[architecture["type"]].from_architecture(architecture, count)
        assert rebuilt.architecture() == architecture
        assert repr(rebuilt) == repr(model)


@pytest.mark.parametrize(
    ("architecture", "message"),
    [
        (
            {"type": "MLP", "nin": 2, "nouts": [10**9], "activation": None, "out_activation": None},
            "it has 3,000,000,000 parameters, the file holds 13",
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


# ---------------------------------------------------------------- saves that race


SAVER = """
import sys, nn
model, path, times = nn.MLP(2, [4, 1], seed=int(sys.argv[1])), sys.argv[2], int(sys.argv[3])
failed = 0
for _ in range(times):
    try:
        model.save(path)
    except Exception as error:
        failed += 1
        print(type(error).__name__, error, file=sys.stderr)
print(failed)
"""


def test_concurrent_saves_of_one_path_all_succeed_and_readers_see_whole_files(
    tmp_path: Path,
) -> None:
    """Two processes saving one file 150 times each: no save fails, the last writer wins, and a
    reader loading all the while always finds one of the two models, whole."""
    target = tmp_path / "model.json"
    nn.MLP(2, [4, 1], seed=0).save(target)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, sys.path))}
    savers = [
        subprocess.Popen(
            [sys.executable, "-c", SAVER, str(seed), str(target), "150"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (0, 1)
    ]
    models = {json.dumps(nn.MLP(2, [4, 1], seed=seed).state_dict()) for seed in (0, 1)}
    reads = 0
    while any(saver.poll() is None for saver in savers) or reads == 0:
        assert json.dumps(nn.load(target).state_dict()) in models
        reads += 1
    outputs = [saver.communicate(timeout=60) for saver in savers]
    assert [(out.strip(), err) for out, err in outputs] == [("0", ""), ("0", "")]
    assert os.listdir(tmp_path) == ["model.json"]


def _temporary(target: Path, tail: str = "0123abcd") -> Path:
    """The name a save of `target` gives its temporary files."""
    return target.parent / f"{io._temporary_prefix(target)}{tail}.tmp"


def test_an_empty_unlocked_temporary_file_is_left_until_it_is_provably_stale(
    tmp_path: Path,
) -> None:
    """A save between creating its file and locking it looks like a dead one: it is left alone
    until STALE_SECONDS have passed; a dead save's file that was written into goes at once."""
    target = tmp_path / "model.json"
    young, old, written = (
        _temporary(target, tail) for tail in ("00000001", "00000002", "00000003")
    )
    for path in (young, old, written):
        path.touch()
    long_ago = time.time() - io.STALE_SECONDS - 1
    os.utime(old, (long_ago, long_ago))
    written.write_text("{", encoding="utf-8")
    nn.MLP(2, [2, 1], seed=0).save(target)
    assert sorted(os.listdir(tmp_path)) == sorted(["model.json", young.name])


# ---------------------------------------------------------------- foreign files


def _foreign_entries(tmp_path: Path, target: Path) -> dict[str, Path]:
    """Entries named like `target`'s temporary files that no save of this library made."""
    entries = {kind: _temporary(target, f"{k:08x}") for k, kind in enumerate(FOREIGN)}
    os.mkfifo(entries["a FIFO"])
    entries["a folder"].mkdir()
    (tmp_path / "elsewhere").write_text("keep me", encoding="utf-8")
    entries["a symbolic link"].symlink_to(tmp_path / "elsewhere")
    entries["another user's file"].write_text("theirs", encoding="utf-8")
    os.utime(entries["another user's file"], (0, 0))
    if os.geteuid() == 0:
        os.chown(entries["another user's file"], 12345, 12345)
    return entries


FOREIGN = ("a FIFO", "a folder", "a symbolic link", "another user's file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_cleanup_touches_only_its_own_files_and_never_blocks_or_fails(tmp_path: Path) -> None:
    """A FIFO (which would block an open), a folder, a link and another user's file, all named
    as a save's temporary files are: each save succeeds at once and leaves them all."""
    target = tmp_path / "model.json"
    entries = _foreign_entries(tmp_path, target)
    if os.geteuid() != 0:
        entries.pop("another user's file").unlink()  # it would be this user's own
    model = nn.MLP(2, [2, 1], seed=0)
    for _ in range(3):
        model.save(target)
    assert nn.load(target).state_dict() == model.state_dict()
    assert all(os.path.lexists(path) for path in entries.values())
    assert (tmp_path / "elsewhere").read_text(encoding="utf-8") == "keep me"


# ---------------------------------------------------------------- loads name the path, leak nothing


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc/self/fd here")
def test_every_failed_load_names_the_path_and_leaks_no_descriptor(tmp_path: Path) -> None:
    """A folder, a FIFO, a file too large, junk and a missing file: 50 loads each, every error
    names the path, and the process holds as many open files after as before."""
    folder = tmp_path / "a folder.json"
    folder.mkdir()
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2]", encoding="utf-8")
    before = _open_descriptors()
    for path in (folder, fifo, junk, tmp_path / "absent.json"):
        for _ in range(50):
            with pytest.raises((OSError, ValueError)) as caught:
                nn.load(path)
            assert str(path) in str(caught.value)
    assert _open_descriptors() == before
    with pytest.raises(IsADirectoryError, match=r"Is a directory: '.*a folder\.json'"):
        nn.load(folder)


# ---------------------------------------------------------------- loading memory


@pytest.mark.parametrize(
    ("junk", "message"),
    [
        ("[" + "[]," * 400_000 + "[]]", "no format 'autograd-lite-model'"),
        (
            '{"format": "autograd-lite-model", "comment": [' + "0," * 600_000 + "0]}",
            "has an unknown key 'comment'",
        ),
        (
            '{"format": "autograd-lite-model", "version": 1, "architecture": {"type": "MLP"},'
            ' "parameters": {' + ", ".join(f'"p{i}": 0.5' for i in range(100_000)) + ', "q": []}}',
            "parameter 'q' is not a number",
        ),
    ],
    ids=["a list of lists", "an unknown key", "a list among the numbers"],
)
def test_a_file_that_is_not_a_model_is_refused_in_memory_near_its_size(
    tmp_path: Path, junk: str, message: str
) -> None:
    """The shape is checked before any number or list is built: refusing costs at most about
    twice the file (its bytes and its text), where building it cost over 20 times."""
    path = tmp_path / "junk.json"
    path.write_text(junk, encoding="utf-8")
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=message):
            nn.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2.5 * len(junk)
