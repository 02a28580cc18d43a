"""A refused page (403) says which role it needs, or that the account has no member library, on the error page."""

from __future__ import annotations

import html

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from requests_app import roles
from requests_app.access import NO_LIBRARY, PATRON_ACCOUNT, or_list, refusal_reason
from tests.factories import PatronFactory, StaffFactory

pytestmark = pytest.mark.django_db


def refusal(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 403
    return html.unescape(response.content.decode())


def test_the_roles_granting_a_permission_come_from_the_role_table():
    assert roles.roles_granting("requests_app.work_lending") == [roles.LENDING_STAFF, roles.ILL_ADMINISTRATOR]
    assert roles.roles_granting("requests_app.no_such_thing") == []


def test_names_are_listed_with_or():
    assert or_list(["A"]) == "“A”"
    assert or_list(["A", "B", "C"]) == "“A”, “B” or “C”"


def test_lending_staff_on_the_borrowing_desk_are_told_the_role_it_needs(client):
    client.force_login(StaffFactory(groups=[roles.LENDING_STAFF]))
    page = refusal(client, reverse("borrowing_staff:queue"))
    assert "This page is for the borrowing desk, and your account has no borrowing role." in page
    assert f"It needs the role “{roles.BORROWING_STAFF}” or “{roles.ILL_ADMINISTRATOR}”" in page


def test_borrowing_staff_on_the_lending_desk_are_told_the_role_it_needs(client):
    client.force_login(StaffFactory(groups=[roles.BORROWING_STAFF]))
    page = refusal(client, reverse("lending:queue"))
    assert "your account has no lending role" in page and f"“{roles.LENDING_STAFF}”" in page


def test_desk_staff_on_billing_are_told_it_is_for_billing_staff(client):
    client.force_login(StaffFactory(groups=[roles.BORROWING_STAFF]))
    page = refusal(client, reverse("billing:dashboard"))
    assert "This page is for billing staff" in page and f"“{roles.BILLING_STAFF}”" in page


def test_desk_staff_on_the_statistics_are_told_who_reads_them(client):
    client.force_login(StaffFactory(groups=[roles.LENDING_STAFF]))
    page = refusal(client, reverse("statistics:index"))
    assert "The statistics are for ILL administrators and reporting staff." in page
    assert f"“{roles.REPORTING}”" in page


def test_billing_staff_in_the_inbox_are_told_it_belongs_to_the_desks(client):
    client.force_login(StaffFactory(groups=[roles.BILLING_STAFF]))
    page = refusal(client, reverse("inbox:inbox"))
    assert "your account works neither" in page and f"“{roles.BORROWING_STAFF}”" in page


def test_an_account_with_a_role_but_no_member_library_is_told_so(client):
    user = get_user_model().objects.create_user("floating", password="x")
    user.groups.add(roles.sync_roles()[roles.BORROWING_STAFF])
    client.force_login(user)
    assert str(NO_LIBRARY) in refusal(client, reverse("borrowing_staff:queue"))


def test_a_patron_on_a_staff_page_is_sent_to_their_own_requests(client):
    client.force_login(PatronFactory())
    page = refusal(client, reverse("lending:queue"))
    assert str(PATRON_ACCOUNT) in page and "It needs the role" not in page
    assert reverse("patron-requests") in page  # the menu's "My requests"


def test_staff_on_a_patrons_page_are_told_it_is_for_patrons(client):
    client.force_login(StaffFactory())
    assert "These pages are for patrons" in refusal(client, reverse("patron-requests"))


def test_a_reason_names_no_permission_code():
    user = StaffFactory(groups=[roles.LENDING_STAFF])
    assert "requests_app." not in refusal_reason(user, "requests_app.work_borrowing")


def test_a_german_clerk_is_told_in_german_which_role_the_page_needs(client, compiled_translations):
    from requests_app.models import StaffProfile

    user = StaffFactory(groups=[roles.LENDING_STAFF])
    StaffProfile.objects.filter(user=user).update(language="de")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    page = refusal(client, reverse("borrowing_staff:queue"))
    assert "Sie braucht die Rolle „Fernleihpersonal (nehmend)“ oder „Fernleihadministration“" in page
    assert "It needs the role" not in page
