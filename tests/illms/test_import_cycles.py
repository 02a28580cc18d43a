"""No import circles inside the project: services import states, the workflow imports services, and no
module imports itself back through others (docs/architecture.md).

Every import statement is read from the source, module-level or inside a function: an import moved into a
function to hold a circle still counts. The one circle allowed is a task module imported inside a
function of its own app, by a service that only queues the task the task module runs it with.
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("illms", "billing", "borrowing", "lending", "requests_app")


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(tree: ast.Module) -> set[int]:
    """The nodes under ``if TYPE_CHECKING:``: imports for type hints, never run."""
    nodes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            nodes |= {id(inner) for statement in node.body for inner in ast.walk(statement)}
    return nodes


def _statements_with_function(tree: ast.Module):
    """Each import statement with the function it sits in (``None`` at module level)."""
    stack = [(tree, None)]
    while stack:
        node, function = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, function
        inner = node.name if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else function
        stack += [(child, inner) for child in ast.iter_child_nodes(node)]


def _queues_a_task(importer: str, imported: str, function: str | None) -> bool:
    """A function importing the task module of its own app (or subpackage): it queues the task, which
    imports it back."""
    package, _, name = imported.rpartition(".")
    return function is not None and name == "tasks" and importer.startswith(f"{package}.")


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """``{module: {imported module: line}}`` for the modules of ``packages`` under ``root``.

    ``from a.b import c`` imports ``a.b.c`` when that is a module, else ``a.b``, and every package
    above it whose ``__init__`` runs first (except the importer's own packages, already running).
    """
    paths = {module_name(path, root): path for package in packages for path in sorted((root / package).rglob("*.py"))}
    graph: dict[str, dict[str, int]] = {}
    for name, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        skipped = _type_checking_only(tree)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = graph.setdefault(name, {})
        for node, function in _statements_with_function(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    above = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(above + ([node.module] if node.module else []))
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                parts = target.split(".")
                for end in range(1, len(parts) + 1):
                    imported = ".".join(parts[:end])
                    if (imported in paths and not f"{name}.".startswith(f"{imported}.")
                            and not _queues_a_task(name, imported, function)):
                        edges.setdefault(imported, node.lineno)
    return graph


def _shortest_circle(graph: dict[str, dict[str, int]], group: set[str], start: str) -> list[str]:
    came_from: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        module = queue.popleft()
        for imported in sorted(graph[module]):
            if imported == start:
                path = [module]
                while came_from[path[-1]] is not None:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if imported in group and imported not in came_from:
                came_from[imported] = module
                queue.append(imported)
    raise AssertionError(f"{start} is in no circle")


def cycles(graph: dict[str, dict[str, int]]) -> list[str]:
    """One circle per group of modules that import each other, as ``a:line -> b:line -> a``."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in graph.get(module, {}):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(group)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    found = []
    for group in groups:
        path = _shortest_circle(graph, group, min(group))
        found.append(" -> ".join(f"{module}:{graph[module][path[i + 1]]}" for i, module in enumerate(path[:-1]))
                     + f" -> {path[-1]}")
    return sorted(found)


def test_no_module_imports_itself_back_through_others():
    assert cycles(import_graph(ROOT, PROJECT_PACKAGES)) == []


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_reader_finds_a_circle_held_by_an_import_inside_a_function(tmp_path):
    root = _package(tmp_path, {
        "app/__init__.py": "",
        "app/workflow.py": "from .states import S\n\n\ndef effect():\n    from .services import close\n",
        "app/services.py": "import json\n\nfrom app.workflow import WORKFLOW\n",
        "app/states.py": "",
    })

    assert cycles(import_graph(root, ("app",))) == ["app.services:3 -> app.workflow:5 -> app.services"]


def test_the_reader_counts_the_package_init_that_runs_before_a_submodule(tmp_path):
    root = _package(tmp_path, {
        "app/__init__.py": "",
        "app/services/__init__.py": "from .requests import submit\n",
        "app/services/requests.py": "from .. import selectors\n",
        "app/services/rota.py": "",
        "app/selectors.py": "from .workflow import WORKFLOW\n",
        "app/workflow.py": "from typing import TYPE_CHECKING\n\nfrom .services.rota import build\n"
                           "if TYPE_CHECKING:\n    from .selectors import x\n",
    })

    assert cycles(import_graph(root, ("app",))) == [
        "app.selectors:1 -> app.workflow:3 -> app.services:1 -> app.services.requests:1 -> app.selectors"]


def test_a_service_may_import_its_task_inside_the_function_that_queues_it_but_not_at_the_top(tmp_path):
    files = {"app/__init__.py": "", "app/tasks.py": "from .services import run\n"}
    queued_inside = _package(tmp_path / "inside", {
        **files, "app/services.py": "def queue():\n    from .tasks import job\n    job.delay()\n"})
    queued_at_top = _package(tmp_path / "top", {**files, "app/services.py": "from . import tasks\n"})

    assert cycles(import_graph(queued_inside, ("app",))) == []
    assert cycles(import_graph(queued_at_top, ("app",))) == ["app.services:1 -> app.tasks:1 -> app.services"]
