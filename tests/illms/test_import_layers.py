"""Imports point down only: illms → billing → borrowing, lending → requests_app (docs/architecture.md).

Every import statement of each app, module-level or inside a function, is read from the source; an
import of an app above it, or of the other side, fails here instead of in review. Inside the core the
same holds for its packages: the partner side uses the core, never the reverse; the ISO 18626 codec and
the utilities know nothing of the project; statistics reads and never writes.
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


def every_import(directory: Path, package: str) -> list[tuple[str, int, str]]:
    """``(file, line, module)`` for every import under ``directory`` (the package ``package``), relative
    imports resolved to the absolute module they name (``from ..models import X`` in
    ``requests_app/partners/handler.py`` is ``requests_app.models``)."""
    root = directory.parents[package.count(".")]
    found = []
    for path in sorted(directory.rglob("*.py")):
        # The package the file's relative imports start from (a module's own, or the package of __init__.py).
        here = [*package.split("."), *path.relative_to(directory).parent.parts]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = here[:len(here) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                # ``from . import outbox`` names a module of the package: count it as that module.
                modules = [module] if node.module else [f"{module}.{alias.name}" for alias in node.names]
            else:
                continue
            found += [(str(path.relative_to(root)), node.lineno, module) for module in modules]
    return found


def inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


CORE = ROOT / "requests_app"
#: The core's packages, each with what it must not import (besides the rules of the apps above).
CODEC, PARTNERS, STATISTICS, UTILITIES = ("requests_app.iso18626", "requests_app.partners",
                                          "requests_app.statistics", "requests_app.utilities")
#: The staff partner directory: a reading page beside statistics, whose measures it uses.
DIRECTORY = "requests_app.directory"


def codec_violations(found) -> list[str]:
    """The codec imports the standard library and lxml, never Django or another module of the project."""
    return [f"{file}:{line} imports {module}" for file, line, module in found
            if (inside(module, "django") or module.split(".")[0] in PROJECT_PACKAGES) and not inside(module, CODEC)]


def utilities_violations(found) -> list[str]:
    """Utilities may use Django, never a model, service or workflow of the project."""
    return [f"{file}:{line} imports {module}" for file, line, module in found
            if module.split(".")[0] in PROJECT_PACKAGES and not inside(module, UTILITIES)]


def core_violations(found) -> list[str]:
    """The core below the partner side never imports it (the partner side registers itself), nor statistics,
    nor the partner directory."""
    return [f"{file}:{line} imports {module}" for file, line, module in found
            if inside(module, PARTNERS) or inside(module, STATISTICS) or inside(module, DIRECTORY)]


def statistics_violations(found) -> list[str]:
    """Reports read: no services, no tasks (whose jobs write), no partner side."""
    return [f"{file}:{line} imports {module}" for file, line, module in found
            if module.split(".")[0] in PROJECT_PACKAGES
            and (module.split(".")[-1] in {"services", "tasks"} or ".services." in module or inside(module, PARTNERS))]


def core_imports() -> list[tuple[str, int, str]]:
    """The imports of ``requests_app`` outside its partner, statistics and directory packages and its migrations (a data
    migration runs once, at an upgrade, with whichever module does the work: 0020 encrypts with the partner
    side's credentials)."""
    skipped = {CORE / "partners", CORE / "statistics", CORE / "directory", CORE / "migrations"}
    return [found for found in every_import(CORE, "requests_app")
            if not any((ROOT / found[0]).is_relative_to(folder) for folder in skipped)]


def test_the_iso18626_codec_imports_neither_django_nor_the_project():
    assert codec_violations(every_import(CORE / "iso18626", CODEC)) == []


def test_the_utilities_import_nothing_of_the_domain():
    assert utilities_violations(every_import(CORE / "utilities", UTILITIES)) == []


def test_the_core_never_imports_the_partner_side_or_statistics():
    assert core_violations(core_imports()) == []


def test_statistics_imports_no_services_tasks_or_partner_side():
    assert statistics_violations(every_import(CORE / "statistics", STATISTICS)) == []


def test_the_partner_directory_imports_no_services_tasks_or_partner_side():
    assert statistics_violations(every_import(CORE / "directory", DIRECTORY)) == []


def imports_of_one_file(tmp_path: Path, package: str, name: str, source: str) -> list[tuple[str, int, str]]:
    """``every_import`` of a package under ``tmp_path`` holding one module ``name`` written as ``source``."""
    folder = tmp_path.joinpath(*package.split("."))
    folder.mkdir(parents=True)
    (folder / name).write_text(source)
    return every_import(folder, package)


def test_the_codec_rule_catches_django_and_the_models_through_a_relative_import_inside_a_function(tmp_path):
    found = imports_of_one_file(tmp_path, CODEC, "xml.py", "from lxml import etree\nfrom . import messages\n"
                                "from ..models import Library\n\n\n"
                                "def limit():\n    from django.conf import settings\n")

    assert codec_violations(found) == [
        "requests_app/iso18626/xml.py:3 imports requests_app.models",
        "requests_app/iso18626/xml.py:7 imports django.conf",
    ]


def test_the_core_rule_catches_the_partner_side_imported_inside_a_function(tmp_path):
    found = imports_of_one_file(tmp_path, "requests_app", "services.py", "from .models import IllRequest\n\n\n"
                                "def perform():\n    from .partners.outgoing import enqueue\n"
                                "    from .partners import outbox\n")

    assert core_violations(found) == [
        "requests_app/services.py:5 imports requests_app.partners.outgoing",
        "requests_app/services.py:6 imports requests_app.partners",
    ]


def test_the_statistics_rule_catches_services_of_any_app(tmp_path):
    found = imports_of_one_file(tmp_path, STATISTICS, "queries.py", "from ..models import IllRequest\n"
                                "from .. import services\nfrom borrowing.services.rota import fill_rate\n")

    assert statistics_violations(found) == [
        "requests_app/statistics/queries.py:2 imports requests_app.services",
        "requests_app/statistics/queries.py:3 imports borrowing.services.rota",
    ]


def test_the_utilities_rule_catches_a_model(tmp_path):
    found = imports_of_one_file(tmp_path, UTILITIES, "pagination.py",
                                "from django.db import models\nfrom ..models import Library\n")

    assert utilities_violations(found) == ["requests_app/utilities/pagination.py:2 imports requests_app.models"]


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
