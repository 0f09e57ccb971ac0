"""The model file: JSON holding a format version, the architecture and every parameter.

JSON rather than pickle, because loading a pickle runs whatever code the file names; a model
file should be data that can be read, diffed and checked. Writes go to a temporary file in the
same folder that is then `os.replace`d over the target, so a crash mid-save leaves either the
old file or the new one, never half of one. Reads check everything before anyone uses the
numbers, so a bad file is reported as a `ValueError` and changes nothing.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import uuid
from typing import Any

FORMAT = "autograd-lite-model"
VERSION = 1

StrPath = str | os.PathLike[str]
Architecture = dict[str, Any]
"""A JSON object: a model's class and constructor arguments, e.g. `{"type": "MLP", ...}`."""


def write_model(path: StrPath, architecture: Architecture, state: dict[str, float]) -> None:
    """Write a model file atomically; ValueError (and no file) when a parameter is not finite."""
    for name, number in state.items():
        if not math.isfinite(number):
            raise ValueError(f"cannot save: parameter {name!r} is {number!r}, not a finite number")
    document = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": architecture,
        "parameters": state,
    }
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    # Our own O_EXCL open rather than mkstemp: mkstemp makes the file 0600, while a model
    # file should get the usual permissions (0666 less the umask) like any other new file.
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def read_model(path: StrPath) -> tuple[Architecture, dict[str, float]]:
    """The architecture and parameters a model file holds, or ValueError saying what is wrong.

    Checks the format name and version, that the architecture is an object with a "type", and
    that the parameters map names to finite numbers. Whether they fit a given model is for the
    caller to check. A missing file raises the usual OSError.
    """
    with open(path, "rb") as file:
        raw = file.read()
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(
            f"{os.fspath(path)!r} is not a model file (invalid JSON: {error})"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{os.fspath(path)!r} is not a model file (no format {FORMAT!r})")
    version = document.get("version")
    if version != VERSION or isinstance(version, bool):
        raise ValueError(
            f"{os.fspath(path)!r} has model file version {version!r}; this version reads {VERSION}"
        )
    architecture = document.get("architecture")
    if not isinstance(architecture, dict) or not isinstance(architecture.get("type"), str):
        raise ValueError(
            f"{os.fspath(path)!r} has no valid architecture (need an object with a 'type'), "
            f"got {architecture!r}"
        )
    parameters = document.get("parameters")
    if not isinstance(parameters, dict):
        raise ValueError(
            f"{os.fspath(path)!r} has no parameters object, got {type(parameters).__name__}"
        )
    return architecture, check_state(parameters)


def check_state(state: dict[Any, Any]) -> dict[str, float]:
    """`state` as names to floats, or ValueError naming the first entry that is not finite."""
    checked: dict[str, float] = {}
    for name, number in state.items():
        if not isinstance(name, str):
            raise ValueError(f"parameter names must be strings, got {name!r}")
        if isinstance(number, bool) or not isinstance(number, numbers.Real):
            raise ValueError(f"parameter {name!r} is {number!r}, not a number")
        if not math.isfinite(number):
            raise ValueError(f"parameter {name!r} is {number!r}, not a finite number")
        checked[name] = float(number)
    return checked
