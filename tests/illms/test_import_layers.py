"""Imports point down only: illms → billing → borrowing, lending → requests_app (docs/architecture.md).

Every import statement of each app, module-level or inside a function, is read from the source; an
import of an app above it, or of the other side, fails here instead of in review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = {"illms", "billing", "borrowing", "lending", "requests_app"}
#: What each app may import from the project (itself included); ``illms`` sits on top and may import all.
MAY_IMPORT = {
    "requests_app": {"requests_app"},
    "lending": {"lending", "requests_app"},
    "borrowing": {"borrowing", "requests_app"},
    "billing": {"billing", "borrowing", "lending", "requests_app"},
}


def project_imports(directory: Path) -> list[tuple[str, int, str]]:
    """``(file, line, module)`` for every absolute import of a project package under ``directory``."""
    found = []
    for path in sorted(directory.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            found += [(str(path.relative_to(directory.parent)), node.lineno, module) for module in modules
                      if module.split(".")[0] in PROJECT_PACKAGES]
    return found


@pytest.mark.parametrize("app", sorted(MAY_IMPORT))
def test_an_app_imports_only_the_apps_below_it(app):
    upward = [f"{file}:{line} imports {module}" for file, line, module in project_imports(ROOT / app)
              if module.split(".")[0] not in MAY_IMPORT[app]]
    assert upward == []


def test_the_import_reader_sees_imports_inside_functions_and_ignores_other_packages(tmp_path):
    app = tmp_path / "lending"
    app.mkdir()
    (app / "jobs.py").write_text("import json\nfrom requests_app.models import Library\n\n\n"
                                 "def run():\n    from illms.celery import app\n    from . import tasks\n")

    assert project_imports(app) == [("lending/jobs.py", 2, "requests_app.models"),
                                    ("lending/jobs.py", 6, "illms.celery")]
