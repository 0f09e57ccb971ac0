"""The engine is built bottom-up: no module of `autograd_lite` imports one that imports it back.

Every `import` counts, function-level ones included; only `if TYPE_CHECKING:` blocks (never
executed) are left out.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import autograd_lite

PACKAGE = "autograd_lite"
ROOT = Path(autograd_lite.__file__).parent


def _module_name(path: Path) -> str:
    return PACKAGE if path.name == "__init__.py" else f"{PACKAGE}.{path.stem}"


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


def _imports(path: Path) -> set[str]:
    """The modules of the package that `path` imports, at any level of its code."""
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = []
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                is_module = importlib.util.find_spec(submodule) if node.module == PACKAGE else None
                names.append(submodule if is_module else node.module)
        else:
            continue
        found.update(name for name in names if name == PACKAGE or name.startswith(PACKAGE + "."))
    return found


GRAPH = {_module_name(path): _imports(path) for path in sorted(ROOT.glob("*.py"))}


def _cycle() -> list[str] | None:
    """One import loop among the package's modules, or None (iterative depth-first search)."""
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
    """No two modules of the package import each other, directly or through others."""
    assert _cycle() is None


def test_the_bottom_layers() -> None:
    """rule.py imports nothing of the package, the table only rule.py; value.py only these."""
    assert GRAPH[f"{PACKAGE}.rule"] == set()
    assert GRAPH[f"{PACKAGE}.rules"] == {f"{PACKAGE}.rule"}
    assert GRAPH[f"{PACKAGE}.value"] == {f"{PACKAGE}.rule", f"{PACKAGE}.rules"}


def test_the_walk_sees_function_level_imports() -> None:
    """A deferred import counts: the check would catch one in a function body."""
    tree = ast.parse("def f():\n    from autograd_lite import graph\n")
    names = [node.module for node in _runtime_nodes(tree) if isinstance(node, ast.ImportFrom)]
    assert names == [PACKAGE]
