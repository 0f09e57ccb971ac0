"""The packages are built bottom-up: no module imports one that imports it back, the engine
never imports `nn`, and `nn` never imports its demos.

Every `import` counts, function-level ones included; only `if TYPE_CHECKING:` blocks (never
executed) are left out. Nothing is imported by a string (`importlib.import_module`,
`__import__`, `runpy`), which no arrow here would show: `nn` adds its `demo` command to the
engine's command line through an entry point instead.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import autograd_lite
import nn

PACKAGES = ("autograd_lite", "nn")
ROOT = Path(autograd_lite.__file__).parent.parent
STRING_IMPORTS = {"import_module", "__import__", "run_module", "run_path"}


def _module_name(path: Path) -> str:
    """`nn.demos.xor` for nn/demos/xor.py, `nn.demos` for nn/demos/__init__.py."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of `tree` except those inside `if TYPE_CHECKING:` blocks."""
    found: list[ast.AST] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and ast.unparse(node.test) in (
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        ):
            stack.extend(node.orelse)
            continue
        found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _ours(name: str) -> bool:
    return any(name == package or name.startswith(package + ".") for package in PACKAGES)


def _imported(module: str, name: str) -> str:
    """What `from module import name` imports: the submodule `module.name` if there is one."""
    submodule = f"{module}.{name}"
    return submodule if _ours(module) and _is_module(submodule) else module


def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # `name`'s parent is a module, not a package
        return False


def _imports(path: Path) -> set[str]:
    """The modules of the packages that `path` imports, at any level of its code."""
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [_imported(node.module, alias.name) for alias in node.names]
        else:
            continue
        found.update(name for name in names if _ours(name))
    return found


SOURCES = {
    _module_name(path): path
    for package in PACKAGES
    for path in sorted((ROOT / package).rglob("*.py"))
}
GRAPH = {name: _imports(path) for name, path in SOURCES.items()}


def _cycle() -> list[str] | None:
    """One import loop among the packages' modules, or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for start in GRAPH:
        if start in state:
            continue
        path = [start]
        state[start] = 1
        stack = [iter(sorted(GRAPH[start] - {start}))]
        while stack:
            for nxt in stack[-1]:
                if state.get(nxt) == 1:
                    return [*path[path.index(nxt) :], nxt]
                if nxt not in state and nxt in GRAPH:
                    state[nxt] = 1
                    path.append(nxt)
                    stack.append(iter(sorted(GRAPH[nxt] - {nxt})))
                    break
            else:
                stack.pop()
                state[path.pop()] = 2
    return None


def test_no_import_loops() -> None:
    """No two modules import each other, directly or through others."""
    assert _cycle() is None


def test_no_upward_imports() -> None:
    """The engine imports nothing of nn; nn's library imports none of its demos."""
    upward = [
        (module, imported)
        for module, imports in GRAPH.items()
        for imported in imports
        if (module.startswith("autograd_lite") and imported.startswith("nn"))
        or (not module.startswith("nn.demos") and imported.startswith("nn.demos"))
    ]
    assert upward == []


def test_the_bottom_layers() -> None:
    """formulas.py and rule.py import nothing above them, the table only rule.py; value.py
    only these."""
    assert GRAPH["autograd_lite.formulas"] == set()
    assert GRAPH["autograd_lite.rule"] == {"autograd_lite.formulas"}
    assert GRAPH["autograd_lite.rules"] == {"autograd_lite.rule"}
    assert GRAPH["autograd_lite.value"] == {"autograd_lite.rule", "autograd_lite.rules"}


def test_nothing_is_imported_by_a_string() -> None:
    """No module imports through a name in a string, which the import graph would not see."""
    calls = [
        f"{name}: {ast.unparse(node)}"
        for name, path in SOURCES.items()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) in STRING_IMPORTS
    ]
    assert calls == []


def test_the_graph_covers_both_packages_and_their_subpackages() -> None:
    """Every module is seen, nn's demos included, and their imports of nn are arrows."""
    assert {"autograd_lite.cli", "nn.io", "nn.demos", "nn.demos.main"} <= set(GRAPH)
    assert "nn.demos.iris" in GRAPH["nn.demos.main"]
    assert nn.__name__ in GRAPH["nn.demos.xor"]


def test_subpackages_are_seen() -> None:
    """The modules of a subpackage are nodes of the graph, with their own imports."""
    assert "autograd_lite.compiling.tracing" in GRAPH["autograd_lite.compiling.codegen"]
    assert "autograd_lite.value" in GRAPH["autograd_lite.compiling.tracing"]


def test_the_walk_sees_function_level_imports() -> None:
    """A deferred import counts: the check would catch one in a function body."""
    tree = ast.parse("def f():\n    from autograd_lite import graph\n")
    names = [node.module for node in _runtime_nodes(tree) if isinstance(node, ast.ImportFrom)]
    assert names == ["autograd_lite"]
