"""No status spelled as a string outside its enum: code compares and assigns ``BorrowingStatus.SHIPPED``,
templates ask the workflow, the state or a flag the view or model gives, and tests use the enums too.

Python is read as syntax: a string is a status where it stands for one, as the value of a ``status``
argument, field, key or parameter (``status=``, ``to_status=``, ``status__in=[...]``), compared with
something named so (``request.status == ...``), or assigned to it. Templates are read for a comparison
of something named ``status`` with a quoted word. Only words some status enum holds count, so
``kind="sent"`` or an ISO 18626 code (``"Loaned"``, ``"WillSupply"``) is no finding. Each ``states.py``
spells its states once, and migrations are history.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from billing.models import ChargeStatus, InvoiceStatus
from borrowing.models import RotaStatus
from borrowing.states import BorrowingStatus
from lending.models import ImportStatus
from lending.states import LendingStatus
from requests_app.models import EmailStatus, OutboxStatus

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("illms", "billing", "borrowing", "lending", "requests_app", "tests", "bench", "templates")
STATUS_VALUES = frozenset(value for enum in (BorrowingStatus, LendingStatus, RotaStatus, ImportStatus, OutboxStatus,
                                             EmailStatus, ChargeStatus, InvoiceStatus) for value in enum.values)
TEMPLATE_COMPARISON = re.compile(r"""\b[\w.]*status\s*(?:==|!=)\s*["'](\w+)["']"""
                                 r"""|["'](\w+)["']\s*(?:==|!=)\s*[\w.]*status\b""")


def _is_status(node: ast.AST | str | None) -> bool:
    """Whether ``node`` (a name, an attribute, a subscript by a constant, a call's result) is named a status."""
    if isinstance(node, ast.Attribute):
        node = node.attr
    elif isinstance(node, ast.Name):
        node = node.id
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        node = node.slice.value
    elif isinstance(node, ast.Call):
        return _is_status(node.func)
    return isinstance(node, str) and "status" in node.lower()


def _strings(node: ast.AST | None) -> list[ast.Constant]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [string for element in node.elts for string in _strings(element)]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _status_strings(tree: ast.AST) -> list[ast.Constant]:
    """The strings of ``tree`` that stand for a status, by where they are (see the module's docstring)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and _is_status(node.arg):
            found += _strings(node.value)
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_status(side) for side in sides):
                found += [string for side in sides for string in _strings(side)]
            elif len(sides) == 2 and all(isinstance(side, ast.Tuple) for side in sides):
                for left, right in zip(sides[0].elts, sides[1].elts, strict=False):
                    found += _strings(right) if _is_status(left) else _strings(left) if _is_status(right) else []
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_is_status(target) for target in targets):
                found += _strings(node.value)
            for target in targets:  # status, steps = "delivered", ...
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    found += [string for name, value in zip(target.elts, node.value.elts, strict=False)
                              if _is_status(name) for string in _strings(value)]
        elif isinstance(node, ast.Dict):
            found += [string for key, value in zip(node.keys, node.values, strict=True)
                      if isinstance(key, ast.Constant) and _is_status(str(key.value)) for string in _strings(value)]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            positional = arguments.posonlyargs + arguments.args
            defaults = [*zip(positional[len(positional) - len(arguments.defaults):], arguments.defaults, strict=True),
                        *zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True)]
            found += [string for argument, default in defaults if _is_status(argument.arg)
                      for string in _strings(default)]
    return [string for string in found if string.value in STATUS_VALUES]


def status_literals(root: Path, folders: tuple[str, ...] = SCANNED) -> list[str]:
    """``file:line: 'value'`` for every status spelled as a string under ``root``'s ``folders``."""
    found = set()
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            if "migrations" in path.parts or path.name == "states.py":
                continue
            where = path.relative_to(root)
            if path.suffix == ".py":
                tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
                found |= {(str(where), string.lineno, string.value) for string in _status_strings(tree)}
            elif path.suffix in (".html", ".txt"):
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    found |= {(str(where), number, value) for match in TEMPLATE_COMPARISON.finditer(line)
                              for value in match.groups() if value in STATUS_VALUES}
    return [f"{file}:{line}: {value!r}" for file, line, value in sorted(found)]


def test_no_status_is_spelled_as_a_string_outside_its_enum():
    assert status_literals(ROOT) == []


def test_the_reader_finds_statuses_where_they_stand_for_one_and_nothing_else(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text(
        'def page(request, status="sent"):\n'
        '    if request.status == "shipped" or ("received", 1) == (request.status, 1):\n'
        '        IllRequest.objects.filter(status__in=["overdue", "recalled"]).update(to_status="returned")\n'
        '    request.status = "completed"\n'
        '    status, steps = "delivered", 1\n'
        '    rota_status = "sent" if steps else "unfilled"\n'
        '    post = {"expected_status": "checked_out", "kind": "sent", "status": "Loaned"}\n'
        '    return kind == "sent" or message == "done" or "shipped"\n')
    (tmp_path / "app" / "states.py").write_text('if status == "shipped":\n    pass\n')
    (tmp_path / "app" / "page.html").write_text(
        "{% if ill_request.status == 'submitted' %}\n{% if 'draft' != invoice.status %}\n{% if tab == 'sent' %}\n")

    assert status_literals(tmp_path, ("app",)) == [
        "app/page.html:1: 'submitted'", "app/page.html:2: 'draft'",
        "app/views.py:1: 'sent'", "app/views.py:2: 'received'", "app/views.py:2: 'shipped'",
        "app/views.py:3: 'overdue'", "app/views.py:3: 'recalled'", "app/views.py:3: 'returned'",
        "app/views.py:4: 'completed'", "app/views.py:5: 'delivered'", "app/views.py:6: 'sent'",
        "app/views.py:6: 'unfilled'", "app/views.py:7: 'checked_out'",
    ]
