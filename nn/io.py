"""The model file: JSON holding a format name and version, the architecture and every parameter.

JSON rather than pickle, because loading a pickle runs whatever code the file names; a model
file should be data that can be read, diffed and checked. This module knows the format only:
which model types exist, and what their architectures hold, is for the models (`nn.layers`).

Saving. Writes go to a temporary file in the same folder that is then `os.replace`d over the
target, so a reader sees the old file or the new one, never part of one, and of saves running
at once the last to finish wins. The temporary file's name is short and fixed in length (`.` +
a digest of the target's name + a random part + `.tmp`, 30 characters), so any name legal for
the target is legal for it too. A save locks its temporary file before writing into it; a later
save of the same target removes the temporary files of saves that died, and only those it can
prove are: regular files of its own user, named as ours are, unlocked, and written into (or
untouched for STALE_SECONDS, for a save that died between creating and locking its file).
Nothing else is touched, nothing blocks, and no entry of the folder can make a save fail.

Loading. Only a regular file is read (a FIFO or a device is refused before reading), and one
larger than MAX_FILE_BYTES is refused before reading. Then its shape is checked by regular
expressions, without building anything: an object whose first key is `format`, with the keys
of a model file only (an unknown key is refused by name), an architecture that is a flat object
and parameters that map names to numbers. Only then are the numbers built, so a file that is
not a model costs about its own size in memory, and a model file a small multiple of it. There
is no checksum: a flipped digit gives another valid number, which no check can catch.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import numbers
import os
import re
import stat
import sys
import time
import uuid
from typing import Any, TypeGuard

FORMAT = "autograd-lite-model"
VERSION = 1
MAX_FILE_BYTES = 64 * 2**20
"""The largest model file `read_model` reads: 64 MiB, over a million parameters."""
STALE_SECONDS = 60.0
"""How long an empty, unlocked temporary file waits before a later save may remove it."""

StrPath = str | os.PathLike[str]
Architecture = dict[str, Any]
"""A flat JSON object: a model's type and constructor arguments, e.g. `{"type": "MLP", ...}`."""

KEYS = ("format", "version", "architecture", "parameters")
"""The keys of a model file, `format` first; no other key is accepted."""


# ---------------------------------------------------------------- saving


def write_model(path: StrPath, architecture: Architecture, state: dict[str, float]) -> None:
    """Write a model file atomically; ValueError (and no file) when a parameter is not finite
    or the file would be too large to load again."""
    for name, number in state.items():
        if not math.isfinite(number):
            raise ValueError(f"cannot save: parameter {name!r} is {number!r}, not a finite number")
    document = dict(zip(KEYS, (FORMAT, VERSION, architecture, state)))
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
        with contextlib.suppress(FileNotFoundError):  # replaced already, when the error came late
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
    except OSError:  # held by a live save (or a file system without locks): not provably stale
        return False
    return True


def _remove_stale(folder: str, prefix: str) -> None:
    """Remove the temporary files of earlier saves of the same target whose process died.

    Best effort: whatever cannot be proved stale, or removed, stays; a save never fails here.
    """
    try:
        with os.scandir(folder) as entries:
            named = [
                e.path for e in entries if e.name.startswith(prefix) and e.name.endswith(".tmp")
            ]
    except OSError:
        return
    for temporary in named:
        with contextlib.suppress(OSError):
            _remove_if_stale(temporary)


def _remove_if_stale(temporary: str) -> None:
    """Unlink `temporary` if it is provably a dead save's file; OSError if it vanished meanwhile."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    handle = os.open(temporary, flags)  # a FIFO does not block us, a link is not followed
    try:
        status = os.fstat(handle)
        ours = stat.S_ISREG(status.st_mode) and status.st_uid == _user()
        if not ours or not _lock(handle, wait=False):  # locked: a save is writing it
            return
        # A save locks its file before writing a byte: an empty one may be a save between
        # its open and its lock, so it must also have been left alone for a while.
        if status.st_size == 0 and time.time() - status.st_mtime < STALE_SECONDS:
            return
        same = os.stat(temporary, follow_symlinks=False)
        if (same.st_dev, same.st_ino) == (status.st_dev, status.st_ino):
            os.unlink(temporary)
    finally:
        os.close(handle)


def _user() -> int:
    """This process's user id (-1 where there is none, which no file has)."""
    return os.geteuid() if hasattr(os, "geteuid") else -1


# ---------------------------------------------------------------- loading


def read_model(path: StrPath) -> tuple[Architecture, dict[str, float]]:
    """The architecture and parameters a model file holds, or ValueError saying what is wrong.

    Checks the format: the format name and version, that the architecture is a flat object with
    a string `type`, and that the parameters map names to finite numbers. Whether the
    architecture is a model, and the parameters fit it, is for the caller to check. A file that
    cannot be read (missing, a directory, no permission) raises the usual OSError naming the
    path; one that is not a regular file (a FIFO, a device) or is larger than MAX_FILE_BYTES
    raises ValueError before anything is read. Every message names the path.
    """
    where = repr(os.fspath(path))
    text = _read_bounded(path, where)
    members = _members(text, where)
    if members.get("format") != FORMAT:
        raise ValueError(f"{where} is not a model file (no format {FORMAT!r})")
    version = members.get("version")
    if not _is_int(version) or version != VERSION:
        raise ValueError(
            f"{where} has model file version {_show(version)}; this version reads {VERSION}"
        )
    architecture = members.get("architecture")
    if not isinstance(architecture, dict):
        raise ValueError(
            f"{where} has an invalid architecture: it must be an object with a 'type',"
            f" got {_show(architecture)}"
        )
    if not isinstance(architecture.get("type"), str):
        raise ValueError(
            f"{where} has an invalid architecture: its type must be a string,"
            f" got {_show(architecture.get('type'))}"
        )
    parameters = members.get("parameters")
    if not isinstance(parameters, dict):
        raise ValueError(f"{where} has no parameters object, got {_show(parameters)}")
    try:
        return architecture, check_state(parameters)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


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


def _read_bounded(path: StrPath, where: str) -> str:
    """The text of a regular file of at most MAX_FILE_BYTES, checked before reading it.

    Opened without blocking (a FIFO would wait for a writer), checked on the open file so that
    what is read is what was checked, and closed whatever happens.
    """
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        status = os.fstat(handle)
        if stat.S_ISDIR(status.st_mode):
            raise IsADirectoryError(21, "Is a directory", os.fspath(path))
        if not stat.S_ISREG(status.st_mode):
            raise ValueError(f"{where} is not a model file ({_kind(status.st_mode)})")
        if status.st_size > MAX_FILE_BYTES:
            raise ValueError(
                f"{where} is not a model file ({status.st_size:,} bytes; "
                f"the limit is {MAX_FILE_BYTES:,})"
            )
        with open(handle, "rb", closefd=False) as file:
            try:
                raw = file.read(status.st_size + 1)  # an allocation of the file's size
                if len(raw) > status.st_size:  # it grew since: read on, up to the limit
                    raw += file.read(MAX_FILE_BYTES + 1 - len(raw))
            except OSError as error:
                raise type(error)(error.errno, error.strerror, os.fspath(path)) from None
    finally:
        os.close(handle)
    if len(raw) > MAX_FILE_BYTES:
        raise ValueError(f"{where} is not a model file (over {MAX_FILE_BYTES:,} bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{where} is not a model file (invalid JSON: {error})") from None


def _kind(mode: int) -> str:
    """What a file that is not a regular file is, for a message."""
    kinds = {
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    return next((kind for test, kind in kinds.items() if test(mode)), "not a regular file")


# The shape of a model file, as regular expressions over its text: they check a whole member
# in C without building a Python object, so a file that is not a model is refused cheaply.
_WS = r"[ \t\n\r]*"
_STRING = r'"(?:[^"\\\x00-\x1f]|\\.)*"'
_SCALAR = (
    rf"(?:{_STRING}|-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
    r"|true|false|null|NaN|-?Infinity)"
)
_LIST = rf"\[{_WS}(?:{_SCALAR}{_WS}(?:,{_WS}{_SCALAR}{_WS})*)?\]"
_FIELD = rf"{_STRING}{_WS}:{_WS}(?:{_SCALAR}|{_LIST}){_WS}"
_ENTRY = rf"{_STRING}{_WS}:{_WS}{_SCALAR}{_WS}"
_KEY = re.compile(rf"{_WS}({_STRING}){_WS}:{_WS}")
_END = re.compile(rf"{_WS}([,}}])")
_TAIL = re.compile(rf"(?<=}}){_WS}\Z")
_SIMPLE = re.compile(rf"{_SCALAR}|{_LIST}")
_ARCHITECTURE = re.compile(rf"\{{{_WS}(?:{_FIELD}(?:,{_WS}{_FIELD})*)?\}}")
_OPEN = re.compile(rf"\{{{_WS}")
_ENTRIES = re.compile(rf"(?:{_ENTRY},{_WS}){{1,1000}}")  # in blocks: each keeps a stack
_LAST = re.compile(rf"(?:{_ENTRY})?\}}")
_EXPECTED = {
    "format": "a string",
    "version": "a number",
    "architecture": "a flat object: numbers, strings, booleans, null and lists of these",
    "parameters": "an object of names and numbers",
}


def _members(text: str, where: str) -> dict[str, Any]:
    """The members of a model file by key, each checked for its shape before it is built."""
    start = re.compile(rf"{_WS}\{{").match(text)
    key = start and _KEY.match(text, start.end())
    if not key or key[1] != '"format"':
        raise ValueError(f"{where} is not a model file (no format {FORMAT!r})")
    decoder = json.JSONDecoder(object_pairs_hook=_unique_keys)
    members: dict[str, Any] = {}
    while key:
        name = json.loads(key[1])
        if name not in KEYS:
            raise ValueError(
                f"{where} has an unknown key {_show(name)} ({_at(text, key.start(1))});"
                f" a model file holds {', '.join(KEYS)}"
            )
        if name in members:
            raise ValueError(f"{where} is not a model file (key {name!r} appears twice)")
        end = _shape_end(text, key.end(), name, where)
        try:
            members[name], _ = decoder.raw_decode(text, key.end())
        except (ValueError, RecursionError) as error:
            raise ValueError(f"{where} is not a model file (invalid JSON: {error})") from None
        after = _END.match(text, end)
        if not after:
            raise ValueError(f"{where} is not a model file (no , or }} {_at(text, end)})")
        key = _KEY.match(text, after.end()) if after[1] == "," else None
        if not (key or _TAIL.match(text, after.end())):  # no next key, or text after the end
            raise ValueError(f"{where} is not a model file (invalid JSON {_at(text, after.end())})")
    return members


def _shape_end(text: str, start: int, name: str, where: str) -> int:
    """Where the value of member `name`, at `start`, ends; ValueError unless it has its shape."""
    opened = _OPEN.match(text, start) if name == "parameters" else None
    if opened:
        position = opened.end()
        while entries := _ENTRIES.match(text, position):  # every entry but the last
            position = entries.end()
        last = _LAST.match(text, position)
        if last:
            return last.end()
        key = _KEY.match(text, position)
        if key:  # the first entry that is not a name and a number
            raise ValueError(
                f"{where}: parameter {json.loads(key[1])!r} is not a number"
                f" ({_at(text, key.end())})"
            )
        raise ValueError(f"{where} is not a model file (invalid JSON {_at(text, position)})")
    shape = _ARCHITECTURE.match(text, start) if name == "architecture" else None
    shape = shape or _SIMPLE.match(text, start)
    if not shape:
        raise ValueError(
            f"{where} is not a model file ({name} must be {_EXPECTED[name]}, {_at(text, start)})"
        )
    return shape.end()


def _at(text: str, position: int) -> str:
    """`at line 3, column 7` for an offset into `text`."""
    line = text.count("\n", 0, position) + 1
    return f"at line {line}, column {position - text.rfind(chr(10), 0, position)}"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, or ValueError on a repeated key (JSON would keep the last)."""
    built: dict[str, Any] = {}
    for key, value in pairs:
        if key in built:
            raise ValueError(f"key {key!r} appears twice")
        built[key] = value
    return built


def _is_int(value: object) -> TypeGuard[int]:
    """Whether `value` is a JSON integer: an int, but not a bool (which Python counts as one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _show(value: object) -> str:
    """`value` for an error message, kept short and on one line.

    Lists and objects from a file are shown by length, never by repr, which fails on nesting
    deeper than the recursion limit.
    """
    if isinstance(value, (list, dict)):
        return f"a {type(value).__name__} of length {len(value)}"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"
