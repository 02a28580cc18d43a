"""`manage.py workflow_graph`: the workflow docs are generated from the tables and never drift."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from requests_app.workflow import registry

DOCS = Path(__file__).resolve().parents[2] / "docs" / "workflows"


@pytest.mark.parametrize("role", ["borrowing", "lending"])
def test_it_writes_a_page_per_role_naming_every_state_and_action(tmp_path, role):
    call_command("workflow_graph", output=tmp_path)

    page = (tmp_path / f"{role}.md").read_text(encoding="utf-8")
    workflow = registry.get(role)
    assert "```mermaid\nstateDiagram-v2\n" in page
    for state in workflow.states.values():
        assert f"| `{state.value}` | {state.label} |" in page
    for transition in workflow.transitions.values():
        assert f"| `{transition.action}` | {transition.label} |" in page


def test_it_maps_each_transition_to_its_iso18626_message(tmp_path):
    call_command("workflow_graph", output=tmp_path)

    page = (tmp_path / "borrowing.md").read_text(encoding="utf-8")
    assert "| `lender_shipped` | Lender shipped | `sent`, `expects_to_supply`, `conditional` | `shipped` | partner |" \
           " `status:Loaned` |" in page


def test_check_passes_against_the_committed_docs():
    call_command("workflow_graph", check=True)


def test_check_fails_when_a_page_was_edited_by_hand(tmp_path):
    shutil.copytree(DOCS, tmp_path, dirs_exist_ok=True)
    page = tmp_path / "lending.md"
    original = page.read_text(encoding="utf-8")
    edited = original.replace("| `ship` | Ship |", "| `ship` | Send |")
    assert edited != original
    page.write_text(edited, encoding="utf-8")

    with pytest.raises(CommandError, match="lending.md differs from the workflow table"):
        call_command("workflow_graph", output=tmp_path, check=True)


def test_check_fails_when_a_page_is_missing(tmp_path):
    shutil.copytree(DOCS, tmp_path, dirs_exist_ok=True)
    (tmp_path / "borrowing.md").unlink()

    with pytest.raises(CommandError, match="borrowing.md is missing"):
        call_command("workflow_graph", output=tmp_path, check=True)


def test_check_writes_nothing(tmp_path):
    with pytest.raises(CommandError):
        call_command("workflow_graph", output=tmp_path, check=True)

    assert list(tmp_path.iterdir()) == []
