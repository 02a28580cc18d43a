"""The policy declarations are the one place a policy is spelled: the row, the settings and the docs follow them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.migrations.serializer import serializer_factory

from requests_app import models
from requests_app.models import LibraryPolicy
from requests_app.policies import Policy, default_policy
from requests_app.policy_declarations import POLICIES, from_environment

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = [policy for policy in POLICIES if policy.type is int]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda policy: policy.name)
def test_every_declared_policy_is_a_column_of_the_policy_row_with_its_label_and_help(policy):
    column = LibraryPolicy._meta.get_field(policy.name)
    assert (column.verbose_name, column.help_text) == (policy.label, policy.help_text)


def test_the_policy_row_has_no_policy_column_that_is_not_declared():
    own = {"id", "library", "updated_at", "updated_by"}
    assert [f.name for f in LibraryPolicy._meta.concrete_fields if f.name not in own] == [p.name for p in POLICIES]


@pytest.mark.parametrize("policy", [p for p in POLICIES if p.setting], ids=lambda policy: policy.name)
def test_a_column_default_is_the_function_the_migrations_name(policy):
    default = LibraryPolicy._meta.get_field(policy.name).default
    assert default is getattr(models, f"default_{policy.name}")
    assert serializer_factory(default).serialize()[0] == f"requests_app.models.default_{policy.name}"


def test_a_new_row_starts_from_the_settings_of_the_moment(settings):
    settings.ILLMS_MAX_RENEWALS, settings.ILLMS_LENDING_AUTO_RENEW = 7, True
    row = LibraryPolicy()
    assert (row.max_renewals, row.lending_auto_renew, row.max_active_requests_by_category) == (7, True, {})


def test_the_policy_has_one_attribute_per_declared_policy_in_order():
    assert list(Policy.__dataclass_fields__) == [policy.name for policy in POLICIES]


def test_the_installation_policy_has_the_declared_defaults_when_nothing_is_set(settings):
    for policy in POLICIES:
        if policy.setting:
            delattr(settings, policy.setting)
    assert default_policy() == Policy(**{policy.name: policy.default for policy in POLICIES})


class FakeEnv:
    """django-environ's ``int``/``bool`` readers over a dict, to see which variable each policy reads."""

    def __init__(self, values: dict[str, str]):
        self.values = values

    def int(self, name, default):
        return int(self.values[name]) if name in self.values else default

    def bool(self, name, default):
        return self.values[name] == "1" if name in self.values else default


def test_each_policy_setting_is_read_from_its_own_variable_with_the_declared_default():
    assert from_environment(FakeEnv({})) == {p.setting: p.default for p in POLICIES if p.setting}
    assert from_environment(FakeEnv({"ILLMS_MAX_RENEWALS": "9", "ILLMS_AUTO_UNFILL_NOT_HELD": "1"})) == {
        **{p.setting: p.default for p in POLICIES if p.setting},
        "ILLMS_MAX_RENEWALS": 9, "ILLMS_AUTO_UNFILL_NOT_HELD": True}


def test_the_settings_module_sets_every_declared_policy_setting(settings):
    assert all(hasattr(settings, policy.setting) for policy in POLICIES if policy.setting)


def test_the_declarations_load_without_django_so_the_settings_module_may_import_them():
    code = ("import sys, requests_app.policy_declarations; "
            "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("policy", NUMBERS, ids=lambda policy: policy.name)
def test_a_numbers_default_lies_within_what_an_administrator_may_set(policy):
    low, high = policy.bounds
    assert low <= policy.default <= high


@pytest.mark.parametrize("policy", [p for p in POLICIES if p.setting], ids=lambda policy: policy.name)
def test_the_configuration_page_lists_each_policy_setting_with_its_default(policy):
    shown = int(policy.default) if policy.type is bool else policy.default
    text = (ROOT / "docs" / "configuration.md").read_text()
    assert re.search(rf"\| `{policy.setting}` \| `{shown}` \|", text), policy.setting


@pytest.mark.parametrize("policy", [p for p in POLICIES if p.setting], ids=lambda policy: policy.name)
def test_the_policies_page_names_each_policy_with_its_setting_and_default(policy):
    shown = ("on" if policy.default else "off") if policy.type is bool else policy.default
    text = (ROOT / "docs" / "policies.md").read_text()
    assert re.search(rf"`{policy.setting}` \({shown}\)", text), policy.setting
