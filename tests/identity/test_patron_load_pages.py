"""Policies → Patron loads: the ILL administrator of a member library uploads, follows and reads its own loads only."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from requests_app import roles
from requests_app.identity import loads
from requests_app.models import PatronLoad, PatronLoadSettings, PatronLoadStatus, PatronMatchKey, PatronProfile
from tests.factories import MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME")


@pytest.fixture
def administrator(client, home):
    user = StaffFactory(library=home, groups=[roles.ILL_ADMINISTRATOR])
    client.force_login(user)
    return user


def a_load(library, text="barcode,category\n2100001,faculty\n,faculty\n", run=True) -> PatronLoad:
    load = loads.start_load(library=library, upload=SimpleUploadedFile("patrons.csv", text.encode()),
                            file_format="csv", match_key=PatronMatchKey.BARCODE, queue=False)
    if run:
        loads.run_load(load.pk)
    load.refresh_from_db()
    return load


def test_uploading_a_file_loads_it_and_opens_its_progress_page(client, administrator, home,
                                                               django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("sis-export.csv", b"barcode,category\n2100001,faculty\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("policies:patron-loads"), {
            "file": upload, "file_format": "csv", "match_key": "barcode", "create_missing": "on"})
    load = PatronLoad.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("policies:patron-load", args=[load.pk])
    assert (load.library, load.started_by, load.original_name) == (home, administrator, "sis-export.csv")
    load.refresh_from_db()
    assert load.status == PatronLoadStatus.DONE and PatronProfile.objects.get().library == home


def test_a_bad_file_is_a_form_error_and_nothing_is_loaded(client, administrator):
    upload = SimpleUploadedFile("export.csv", b"name,category\nAda,faculty\n")
    response = client.post(reverse("policies:patron-loads"), {"file": upload, "file_format": "csv",
                                                              "match_key": "barcode"})
    assert response.status_code == 400
    assert "no column for the library card barcode" in " ".join(response.context["form"].errors["file"])
    assert not PatronLoad.objects.exists()


def test_the_list_shows_the_librarys_loads_only(client, administrator, home):
    ours = a_load(home)
    theirs = a_load(MemberLibraryFactory())
    page = client.get(reverse("policies:patron-loads")).content.decode()
    assert reverse("policies:patron-load", args=[ours.pk]) in page
    assert reverse("policies:patron-load", args=[theirs.pk]) not in page


def test_the_progress_bar_polls_while_the_load_runs(client, administrator, home):
    load = a_load(home, run=False)
    page = client.get(reverse("policies:patron-load", args=[load.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in page and 'http-equiv="refresh"' in page
    partial = client.get(reverse("policies:patron-load", args=[load.pk]), HTTP_HX_REQUEST="true")
    assert partial.content.decode().startswith('<div id="patron-load-progress"')


def test_a_finished_load_shows_its_counts_and_errors_and_stops_polling(client, administrator, home):
    load = a_load(home)
    page = client.get(reverse("policies:patron-load", args=[load.pk])).content.decode()
    assert "every 2s" not in page
    assert "The library card barcode is missing." in page and "Download every error" in page


def test_the_errors_download_as_csv_with_line_field_and_reason(client, administrator, home):
    load = a_load(home)
    response = client.get(reverse("policies:patron-load-errors", args=[load.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response["Content-Type"].startswith("text/csv")
    assert rows == [["Line", "Field", "Value", "Error"], ["3", "barcode", "", "The library card barcode is missing."]]


@pytest.mark.parametrize("name", ["policies:patron-load", "policies:patron-load-errors"])
def test_another_librarys_load_is_not_found(client, administrator, name):
    load = a_load(MemberLibraryFactory())
    assert client.get(reverse(name, args=[load.pk])).status_code == 404


@pytest.mark.parametrize("url", ["policies:patron-loads", "policies:patron-load-columns"])
def test_borrowing_staff_may_not_open_the_patron_load_pages(client, home, url):
    client.force_login(StaffFactory(library=home, groups=[roles.BORROWING_STAFF]))
    response = client.get(reverse(url))
    assert response.status_code == 403
    assert not PatronLoad.objects.exists()


def test_a_borrowing_clerk_may_not_post_a_load(client, home):
    client.force_login(StaffFactory(library=home, groups=[roles.BORROWING_STAFF]))
    upload = SimpleUploadedFile("export.csv", b"barcode\n2100001\n")
    response = client.post(reverse("policies:patron-loads"), {"file": upload, "file_format": "csv",
                                                              "match_key": "barcode"})
    assert response.status_code == 403 and not PatronLoad.objects.exists()


def test_the_administrator_saves_the_librarys_own_columns_and_categories(client, administrator, home):
    response = client.post(reverse("policies:patron-load-columns"),
                           {"columns": "barcode=Card Number", "categories": "UG=undergraduate"})
    assert response.status_code == 302
    saved = PatronLoadSettings.objects.get(library=home)
    assert (saved.columns, saved.categories, saved.updated_by) == ("barcode=Card Number", "UG=undergraduate",
                                                                   administrator)
    assert "Card Number" in client.get(reverse("policies:patron-loads")).content.decode()


def test_columns_naming_an_unknown_field_or_category_are_refused_and_nothing_is_saved(client, administrator):
    response = client.post(reverse("policies:patron-load-columns"),
                           {"columns": "shoe_size=Shoe", "categories": "UG=wizard"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"columns", "categories"}
    assert not PatronLoadSettings.objects.exists()
