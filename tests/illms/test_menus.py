"""The main menu: grouped per desk (Borrowing, Lending, Billing, Admin), each entry only for who may open it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from requests_app import roles
from tests.factories import PatronFactory, StaffFactory

pytestmark = pytest.mark.django_db

BORROWING_LINKS = ["borrowing_staff:queue", "borrowing_staff:scan", "borrowing_staff:copyright-report"]
LENDING_LINKS = ["lending:queue", "lending:scan", "lending:holdings"]
BILLING_LINKS = ["billing:dashboard", "billing:invoices", "billing:charges", "billing:budgets"]
ADMIN_LINKS = ["statistics:index", "policies:borrowing", "staff:patron-access-log"]
MENUS = {"nav-borrowing": BORROWING_LINKS, "nav-lending": LENDING_LINKS, "nav-billing": BILLING_LINKS,
         "nav-admin": ADMIN_LINKS}


def main_menu(client) -> str:
    text = client.get(reverse("home")).content.decode()
    found = re.search(r'<nav class="navbar[^>]*aria-label="Main">(.*?)</nav>', text, re.S)
    assert found, "the page has no main menu"
    return found.group(1)


def links(menu: str) -> set[str]:
    return set(re.findall(r'href="([^"]+)"', menu))


def dropdowns(menu: str) -> set[str]:
    return set(re.findall(r'id="(nav-[a-z]+)" role="button" data-bs-toggle="dropdown"', menu))


def urls(names: list[str]) -> set[str]:
    return {reverse(name) for name in names}


@pytest.fixture
def staff_in(client):
    def sign_in(*groups, **kwargs):
        user = StaffFactory(groups=list(groups), **kwargs)
        client.force_login(user)
        return main_menu(client)
    return sign_in


def test_a_patron_sees_their_requests_and_no_staff_menu(client):
    client.force_login(PatronFactory())
    menu = main_menu(client)
    assert urls(["patron-request-new", "patron-requests"]) <= links(menu)
    assert dropdowns(menu) == set()
    assert not (urls(BORROWING_LINKS + LENDING_LINKS + BILLING_LINKS + ADMIN_LINKS) & links(menu))
    assert reverse("inbox:inbox") not in links(menu)


def test_borrowing_staff_see_the_borrowing_menu_help_and_inbox_only(staff_in):
    menu = staff_in(roles.BORROWING_STAFF)
    assert dropdowns(menu) == {"nav-borrowing"}
    assert urls(BORROWING_LINKS + ["help:index", "inbox:inbox"]) <= links(menu)
    assert not (urls(LENDING_LINKS + BILLING_LINKS + ADMIN_LINKS) & links(menu))


def test_lending_staff_see_the_lending_menu_help_and_inbox_only(staff_in):
    menu = staff_in(roles.LENDING_STAFF)
    assert dropdowns(menu) == {"nav-lending"}
    assert urls(LENDING_LINKS + ["help:index", "inbox:inbox"]) <= links(menu)
    assert not (urls(BORROWING_LINKS + BILLING_LINKS + ADMIN_LINKS) & links(menu))


def test_billing_staff_see_the_billing_menu_and_help_but_no_desk(staff_in):
    menu = staff_in(roles.BILLING_STAFF)
    assert dropdowns(menu) == {"nav-billing"}
    assert urls(BILLING_LINKS + ["help:index"]) <= links(menu)
    assert not (urls(BORROWING_LINKS + LENDING_LINKS + ADMIN_LINKS + ["inbox:inbox"]) & links(menu))


def test_reporting_staff_see_statistics_under_admin_and_nothing_they_may_not_open(staff_in):
    menu = staff_in(roles.REPORTING)
    assert dropdowns(menu) == {"nav-admin"}
    assert reverse("statistics:index") in links(menu)
    assert not (urls(["policies:borrowing", "staff:patron-access-log"] + BORROWING_LINKS) & links(menu))
    assert reverse("admin:index") not in links(menu)


def test_an_ill_administrator_sees_all_four_menus_and_the_django_admin(staff_in):
    menu = staff_in(roles.ILL_ADMINISTRATOR, is_staff=True)
    assert dropdowns(menu) == set(MENUS)
    assert urls([name for names in MENUS.values() for name in names] + ["admin:index"]) <= links(menu)


@pytest.mark.parametrize("group, toggle, first", [
    (roles.BORROWING_STAFF, "nav-borrowing", "borrowing_staff:queue"),
    (roles.LENDING_STAFF, "nav-lending", "lending:queue"),
    (roles.BILLING_STAFF, "nav-billing", "billing:dashboard"),
    (roles.REPORTING, "nav-admin", "statistics:index"),
])
def test_without_javascript_a_menu_name_leads_to_its_first_page(staff_in, group, toggle, first):
    menu = staff_in(group)
    assert re.search(rf'href="{re.escape(reverse(first))}" id="{toggle}"', menu)


def test_the_admin_menu_of_an_administrator_without_statistics_leads_to_the_policies(client):
    user = StaffFactory(groups=[roles.BORROWING_STAFF])
    user.user_permissions.add(*Permission.objects.filter(codename="administer_ill"))
    client.force_login(user)
    assert re.search(rf'href="{re.escape(reverse("policies:borrowing"))}" id="nav-admin"', main_menu(client))


def test_the_menu_of_the_current_desk_is_marked_active(client):
    client.force_login(StaffFactory(groups=[roles.BORROWING_STAFF, roles.LENDING_STAFF]))
    text = client.get(reverse("lending:queue")).content.decode()
    assert 'class="nav-link dropdown-toggle active" href="/lending/" id="nav-lending"' in text
    assert 'class="nav-link dropdown-toggle active" href="/borrowing/queue/"' not in text
