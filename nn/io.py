"""The model file: JSON holding a format version, the architecture and every parameter.

JSON rather than pickle, because loading a pickle runs whatever code the file names; a model
file should be data that can be read, diffed and checked. Writes go to a temporary file in the
same folder that is then `os.replace`d over the target, so a crash mid-save leaves either the
old file or the new one, never half of one. Reads check everything before anyone uses the
numbers, so a bad file is reported as a `ValueError` and changes nothing.

The temporary file's name is short and fixed in length (`.` + a digest of the target's name +
a random part + `.tmp`, 30 characters), so any name legal for the target is legal for it too.
A save holds a lock on its temporary file while writing; the next save of the same target
removes the temporary files of saves that died (their lock is gone), and leaves alone those
of saves still running.

Reading is bounded: only a regular file is read (a FIFO or a device is refused before it is
read), and one larger than MAX_FILE_BYTES is refused before reading, so loading takes memory
proportional to at most that size. There is no checksum: a flipped digit gives another valid
number, which no check of the contents can catch.
"""

from __future__ import annotations

import errno
import hashlib
import json
import math
import numbers
import os
import stat
import sys
import uuid
from collections.abc import Callable
from typing import Any, TypeGuard

FORMAT = "autograd-lite-model"
VERSION = 1
MAX_FILE_BYTES = 64 * 2**20
"""The largest model file `read_model` reads: 64 MiB, over a million parameters."""

StrPath = str | os.PathLike[str]
Architecture = dict[str, Any]
"""A JSON object: a model's class and constructor arguments, e.g. `{"type": "MLP", ...}`."""


def write_model(path: StrPath, architecture: Architecture, state: dict[str, float]) -> None:
    """Write a model file atomically; ValueError (and no file) when a parameter is not finite
    or the file would be too large to load again."""
    for name, number in state.items():
        if not math.isfinite(number):
            raise ValueError(f"cannot save: parameter {name!r} is {number!r}, not a finite number")
    document = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": architecture,
        "parameters": state,
    }
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"  # ASCII: a byte a character
    if len(text) > MAX_FILE_BYTES:
        raise ValueError(
            f"cannot save: the file would be {len(text):,} bytes, over the {MAX_FILE_BYTES:,} "
            "that loading reads"
        )
    # Our own O_EXCL open rather than mkstemp: mkstemp makes the file 0600, while a model
    # file should get the usual permissions (0666 less the umask) like any other new file.
    folder = os.path.dirname(os.path.abspath(path))
    prefix = _temporary_prefix(path)
    _remove_stale(folder, prefix)
    temporary = os.path.join(folder, f"{prefix}{uuid.uuid4().hex[:8]}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            _lock(file.fileno(), wait=True)
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
            os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _temporary_prefix(path: StrPath) -> str:
    """The start of the names of `path`'s temporary files: `.` and a digest of its name."""
    name = os.path.basename(os.fspath(path)).encode("utf-8", errors="surrogateescape")
    return f".{hashlib.sha256(name).hexdigest()[:16]}."


def _lock(fd: int, wait: bool) -> bool:
    """Take an exclusive lock on an open file (released when its process ends, even killed)."""
    if sys.platform == "win32":  # no flock: no lock, and so no stale files are ever removed
        return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _remove_stale(folder: str, prefix: str) -> None:
    """Remove the temporary files of earlier saves of the same target whose process is gone."""
    with os.scandir(folder) as entries:
        stale = [e.path for e in entries if e.name.startswith(prefix) and e.name.endswith(".tmp")]
    for temporary in stale:
        try:
            handle = os.open(temporary, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:  # gone already, or not ours to open
            continue
        try:
            if _lock(handle, wait=False):  # nobody is writing it: its save died
                os.unlink(temporary)
        finally:
            os.close(handle)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, or ValueError on a repeated key (JSON would keep the last)."""
    built: dict[str, Any] = {}
    for key, value in pairs:
        if key in built:
            raise ValueError(f"key {key!r} appears twice")
        built[key] = value
    return built


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, for a message."""
    kinds = {
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    return next((kind for test, kind in kinds.items() if test(mode)), "not a regular file")


def _read_bounded(path: StrPath, where: str) -> str:
    """The text of a regular file of at most MAX_FILE_BYTES, checked before reading it.

    Opened without blocking (a FIFO would wait for a writer) and checked on the open file, so
    what is read is what was checked.
    """
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with open(handle, "rb") as file:
        status = os.fstat(handle)
        if stat.S_ISDIR(status.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
        if not stat.S_ISREG(status.st_mode):
            raise ValueError(f"{where} is not a model file ({_kind(status.st_mode)})")
        if status.st_size > MAX_FILE_BYTES:
            raise ValueError(
                f"{where} is not a model file ({status.st_size:,} bytes; "
                f"the limit is {MAX_FILE_BYTES:,})"
            )
        raw = file.read(MAX_FILE_BYTES + 1)  # it may have grown since
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(f"{where} is not a model file (over {MAX_FILE_BYTES:,} bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{where} is not a model file (invalid JSON: {error})") from None


def read_model(path: StrPath) -> tuple[Architecture, dict[str, float]]:
    """The architecture and parameters a model file holds, or ValueError saying what is wrong.

    Checks the format name and version, the architecture's fields and their types (strictly:
    `2.0` or `true` is not a size), and that the parameters map names to finite numbers. Whether
    they fit a given model is for the caller to check. This is the one check both `Module.load`
    and `nn.load` go through. A file that cannot be read (missing, a directory, no permission)
    raises the usual OSError, as `open()` does; one that is not a regular file (a FIFO, a
    device) or is larger than MAX_FILE_BYTES raises ValueError before anything is read.
    """
    where = repr(os.fspath(path))
    text = _read_bounded(path, where)
    try:
        document = json.loads(text, object_pairs_hook=_unique_keys)
    except RecursionError:
        raise ValueError(f"{where} is not a model file (JSON nested too deeply to read)") from None
    except ValueError as error:  # bad JSON, or an integer of over 4300 digits
        raise ValueError(f"{where} is not a model file (invalid JSON: {error})") from None
    del text
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{where} is not a model file (no format {FORMAT!r})")
    version = document.get("version")
    if not _is_int(version) or version != VERSION:
        raise ValueError(
            f"{where} has model file version {_show(version)}; this version reads {VERSION}"
        )
    try:
        architecture = _check_architecture(document.get("architecture"))
    except ValueError as error:
        raise ValueError(f"{where} has an invalid architecture: {error}") from None
    parameters = document.get("parameters")
    if not isinstance(parameters, dict):
        raise ValueError(f"{where} has no parameters object, got {_show(parameters)}")
    return architecture, check_state(parameters)


def check_state(state: dict[Any, Any]) -> dict[str, float]:
    """`state` as names to floats, or ValueError naming the first entry that is not finite."""
    checked: dict[str, float] = {}
    for name, number in state.items():
        if not isinstance(name, str):
            raise ValueError(f"parameter names must be strings, got {_show(name)}")
        if isinstance(number, bool) or not isinstance(number, numbers.Real):
            raise ValueError(f"parameter {name!r} is {_show(number)}, not a number")
        try:
            value = float(number)
        except OverflowError:  # a JSON integer such as 10**400
            raise ValueError(
                f"parameter {name!r} is {_show(number)}, too large for a float"
            ) from None
        if not math.isfinite(value):
            raise ValueError(f"parameter {name!r} is {value!r}, not a finite number")
        checked[name] = value
    return checked


def _check_size(value: object, name: str) -> None:
    """ValueError unless `value` is a positive int (a layer can't have 2.0 or `true` neurons)."""
    if not _is_int(value) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {_show(value)}")


def _check_sizes(value: object, name: str) -> None:
    """ValueError unless `value` is a non-empty list of positive ints."""
    if not isinstance(value, list) or not value:
        raise ValueError(f"{name} must be a non-empty list of layer sizes, got {_show(value)}")
    for size in value:
        _check_size(size, f"each layer size in {name}")


def _check_activation(value: object, name: str) -> None:
    """ValueError unless `value` is a string or None.

    Only the type: which names exist is for the model's constructor (in `nn.load`) or the
    comparison with the model's own architecture (in `Module.load`) to say.
    """
    if not (value is None or isinstance(value, str)):
        raise ValueError(f"{name} must be an activation name or null, got {_show(value)}")


_FIELDS: dict[str, dict[str, Callable[[object, str], None]]] = {
    "Neuron": {"nin": _check_size, "activation": _check_activation},
    "Layer": {"nin": _check_size, "nout": _check_size, "activation": _check_activation},
    "MLP": {
        "nin": _check_size,
        "nouts": _check_sizes,
        "activation": _check_activation,
        "out_activation": _check_activation,
    },
}
"""Each model type a file can hold, and how to check each constructor argument it records."""


def _check_architecture(architecture: object) -> Architecture:
    """ValueError unless `architecture` is a known type with exactly its fields, each well typed."""
    if not isinstance(architecture, dict):
        raise ValueError(f"it must be an object with a 'type', got {_show(architecture)}")
    kind = architecture.get("type")
    if not isinstance(kind, str) or kind not in _FIELDS:
        raise ValueError(f"unknown model type {_show(kind)}; known types are {', '.join(_FIELDS)}")
    checks = _FIELDS[kind]
    if set(architecture) != {"type", *checks}:
        raise ValueError(
            f"{kind} architectures have exactly the fields type, {', '.join(checks)};"
            f" got {_show(', '.join(sorted(architecture)))}"
        )
    for name, check in checks.items():
        check(architecture[name], name)
    return architecture


def _is_int(value: object) -> TypeGuard[int]:
    """Whether `value` is a JSON integer: an int, but not a bool (which Python counts as one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _show(value: object) -> str:
    """`value` for an error message, kept short.

    Lists and objects from a file are shown by length, never by repr, which fails on nesting
    deeper than the recursion limit.
    """
    if isinstance(value, (list, dict)):
        return f"a {type(value).__name__} of length {len(value)}"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"
