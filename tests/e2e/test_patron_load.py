"""In a real browser, an ILL administrator uploads a patron file, watches its load finish and reads its errors."""

from __future__ import annotations

import pytest

from requests_app import roles
from requests_app.models import PatronProfile
from tests.factories import PASSWORD, MemberLibraryFactory, StaffFactory, give_authenticator

from .conftest import give_code_if_asked, serious_accessibility_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_administrator_loads_a_file_and_sees_the_counts_and_the_bad_record(live_server, page, tmp_path):
    library = MemberLibraryFactory(symbol="UNI")
    admin = StaffFactory(library=library, groups=[roles.ILL_ADMINISTRATOR])
    give_authenticator(admin)  # administrators sign in with a second factor
    export = tmp_path / "sis-export.csv"
    export.write_text("barcode,first_name,last_name,category,expires_on\n"
                      "2100001,Ada,Lovelace,faculty,2030-06-30\n"
                      "2100002,Grace,Hopper,wizard,2030-06-30\n")
    page.goto(f"{live_server.url}/policies/patron-loads/")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    give_code_if_asked(page, admin.username)
    page.wait_for_url("**/policies/patron-loads/")
    assert serious_accessibility_violations(page) == []

    page.locator("#id_file").set_input_files(str(export))
    page.get_by_role("button", name="Upload and load").click()
    page.wait_for_url("**/policies/patron-loads/*/")
    page.get_by_text("Finished:").wait_for()
    assert page.get_by_role("cell", name="category", exact=True).is_visible()
    assert "not one we know" in page.content()
    assert serious_accessibility_violations(page) == []
    assert PatronProfile.objects.get(library=library).card_barcode == "2100001"

    page.get_by_role("link", name="Back to patron loads").click()
    page.get_by_role("link", name="Change the column names and category values").click()
    page.wait_for_url("**/policies/patron-loads/columns/")
    assert serious_accessibility_violations(page) == []
