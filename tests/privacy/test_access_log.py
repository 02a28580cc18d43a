"""Every staff look at a patron's identity is logged; ILL administrators read the log."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from borrowing.states import BorrowingStatus
from requests_app import privacy, roles
from requests_app.models import PatronRecordAccess
from requests_app.partners.keys import issue_api_key
from tests.factories import IllRequestFactory, LendingRequestFactory, MemberLibraryFactory, StaffFactory

from .conftest import BARCODE, USERNAME

ACCESS_LOG = reverse("staff:patron-access-log")


@pytest.fixture
def illadmin(privacy_world):
    return StaffFactory(library=privacy_world.library, groups=[roles.ILL_ADMINISTRATOR], first_name="Ilse",
                        last_name="Admin")


def only_access(world, what: str) -> PatronRecordAccess:
    row = PatronRecordAccess.objects.get(what=what)
    assert row.patron_id == world.patron.pk
    return row


# Writing the log -----------------------------------------------------------------------------

def test_the_borrowing_desk_request_page_logs_one_look_at_the_patron(privacy_world, client):
    client.force_login(privacy_world.staff)
    url = reverse("borrowing_staff:request", args=[privacy_world.old_request.pk])
    PatronRecordAccess.objects.all().delete()

    assert client.get(url).status_code == 200

    row = only_access(privacy_world, "borrowing request detail")
    assert (row.staff_id, row.request_id, row.path) == (privacy_world.staff.pk, privacy_world.old_request.pk, url)


def test_the_borrowing_desk_page_redisplayed_with_a_form_error_logs_the_look_too(privacy_world, client):
    request = privacy_world.make_request(days_ago=0, status=BorrowingStatus.SUBMITTED)
    client.force_login(privacy_world.staff)
    PatronRecordAccess.objects.all().delete()

    response = client.post(reverse("borrowing_staff:citation", args=[request.pk]), {"title": "", "format": "book"})

    assert response.status_code == 400
    assert only_access(privacy_world, "borrowing request detail").request_id == request.pk


def test_the_borrowing_queue_logs_nothing(privacy_world, client):
    client.force_login(privacy_world.staff)
    PatronRecordAccess.objects.all().delete()

    response = client.get(reverse("borrowing_staff:queue"))

    assert response.status_code == 200
    assert not PatronRecordAccess.objects.exists()


def test_a_lending_request_page_logs_nothing(privacy_world, client):
    lending = LendingRequestFactory(library=privacy_world.library)
    client.force_login(privacy_world.staff)

    assert client.get(reverse("lending:request", args=[lending.pk])).status_code == 200

    assert not PatronRecordAccess.objects.exclude(what="borrowing request detail").exists()


def test_a_refused_page_logs_nothing(privacy_world, client):
    other = StaffFactory(library=MemberLibraryFactory())
    client.force_login(other)

    assert client.get(reverse("borrowing_staff:request", args=[privacy_world.old_request.pk])).status_code == 404

    assert not PatronRecordAccess.objects.filter(staff=other).exists()


def test_the_staff_api_detail_logs_one_look_at_the_patron(privacy_world, client):
    client.force_login(privacy_world.staff)

    assert client.get(f"/api/v1/requests/{privacy_world.old_request.pk}/").status_code == 200

    assert only_access(privacy_world, "staff API request detail").request_id == privacy_world.old_request.pk


def test_the_staff_api_notes_of_a_request_log_one_look_at_the_patron(privacy_world, client):
    client.force_login(privacy_world.staff)

    assert client.get(f"/api/v1/requests/{privacy_world.old_request.pk}/notes/").status_code == 200

    assert only_access(privacy_world, "staff API request notes").request_id == privacy_world.old_request.pk


def test_a_partner_reading_a_request_in_the_api_is_not_a_look_at_our_patron(privacy_world):
    _, key = issue_api_key(library=privacy_world.old_request.partner, name="test")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    response = api.get(f"/api/v1/requests/{privacy_world.old_request.pk}/")

    assert response.status_code == 200
    assert "patron_name" not in response.json()
    assert PatronRecordAccess.objects.filter(what="staff API request detail").count() == 0


def test_the_staff_api_list_shows_names_without_a_row_per_request(privacy_world, client):
    # Lists are the work itself (a queue): they are not logged per row, or the log would drown the looks.
    client.force_login(privacy_world.staff)
    before = PatronRecordAccess.objects.count()

    assert client.get("/api/v1/requests/").status_code == 200

    assert PatronRecordAccess.objects.count() == before


def test_the_admin_request_page_logs_one_look(privacy_world, admin_client, admin_user):
    url = reverse("admin:requests_app_illrequest_change", args=[privacy_world.old_request.pk])

    assert admin_client.get(url).status_code == 200

    row = only_access(privacy_world, "admin request")
    assert (row.staff_id, row.request_id) == (admin_user.pk, privacy_world.old_request.pk)


def test_the_admin_patron_profile_page_logs_one_look(privacy_world, admin_client, admin_user):
    profile = privacy_world.patron.patron_profile

    assert admin_client.get(reverse("admin:requests_app_patronprofile_change", args=[profile.pk])).status_code == 200

    row = only_access(privacy_world, "admin patron profile")
    assert (row.staff_id, row.request_id) == (admin_user.pk, None)


def test_the_admin_logs_a_look_in_english_whatever_the_administrators_language(privacy_world, admin_client):
    profile = privacy_world.patron.patron_profile
    url = reverse("admin:requests_app_patronprofile_change", args=[profile.pk])

    assert admin_client.get(url, HTTP_ACCEPT_LANGUAGE="de").status_code == 200

    assert only_access(privacy_world, "admin patron profile")


def test_a_look_in_the_admin_is_read_in_the_readers_language_as_it_was_stored_in_english(
        privacy_world, admin_client, compiled_translations):
    profile = privacy_world.patron.patron_profile
    admin_client.get(reverse("admin:requests_app_patronprofile_change", args=[profile.pk]))
    stored = only_access(privacy_world, "admin patron profile").what

    with translation.override("de"):
        assert privacy.access_in_words(stored) == "Admin: Nutzerprofil"
    assert privacy.access_in_words(stored) == "admin: patron profile"
    assert privacy.access_in_words("admin no such table") == "admin no such table"


def test_the_admin_user_page_of_a_patron_logs_one_look(privacy_world, admin_client, admin_user):
    url = reverse("admin:auth_user_change", args=[privacy_world.patron.pk])

    assert admin_client.get(url).status_code == 200

    assert only_access(privacy_world, "admin user account").staff_id == admin_user.pk


def test_the_admin_user_page_of_a_staff_member_logs_nothing(privacy_world, admin_client):
    before = PatronRecordAccess.objects.count()

    assert admin_client.get(reverse("admin:auth_user_change", args=[privacy_world.staff.pk])).status_code == 200

    assert PatronRecordAccess.objects.count() == before


def test_an_admin_page_of_a_missing_request_logs_nothing(privacy_world, admin_client):
    before = PatronRecordAccess.objects.count()

    admin_client.get(reverse("admin:requests_app_illrequest_change", args=[999999]))

    assert PatronRecordAccess.objects.count() == before


# Reading the log -----------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_sign_in(db, client):
    response = client.get(ACCESS_LOG)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("group", [roles.BORROWING_STAFF, roles.LENDING_STAFF, roles.BILLING_STAFF, roles.REPORTING])
def test_staff_who_do_not_administer_ill_may_not_read_the_log(privacy_world, client, group):
    client.force_login(StaffFactory(library=privacy_world.library, groups=[group]))

    assert client.get(ACCESS_LOG, {"patron": BARCODE}).status_code == 403


def test_a_patron_may_not_read_the_log(privacy_world, client):
    client.force_login(privacy_world.patron)

    assert client.get(ACCESS_LOG, {"patron": BARCODE}).status_code == 403


@pytest.mark.parametrize("query", [BARCODE, USERNAME, USERNAME.upper()])
def test_an_ill_administrator_sees_who_saw_the_patron(privacy_world, client, illadmin, query):
    client.force_login(illadmin)

    response = client.get(ACCESS_LOG, {"patron": query})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Sam Desk" in html and "borrowing request detail" in html
    assert privacy_world.old_request.number in html


def test_reading_the_log_is_itself_logged(privacy_world, client, illadmin):
    client.force_login(illadmin)

    client.get(ACCESS_LOG, {"patron": BARCODE})

    assert PatronRecordAccess.objects.filter(staff=illadmin, what="patron access log",
                                             patron=privacy_world.patron).count() == 1


def test_an_unknown_patron_is_said_so(privacy_world, client, illadmin):
    client.force_login(illadmin)

    response = client.get(ACCESS_LOG, {"patron": "no-such-card"})

    assert response.status_code == 404
    assert "No patron of" in response.content.decode()


def test_an_administrator_of_another_library_cannot_find_our_patron(privacy_world, client):
    client.force_login(StaffFactory(library=MemberLibraryFactory(), groups=[roles.ILL_ADMINISTRATOR]))

    response = client.get(ACCESS_LOG, {"patron": BARCODE})

    assert response.status_code == 404
    assert "Sam Desk" not in response.content.decode()


def test_the_empty_form_asks_for_a_patron(privacy_world, client, illadmin):
    client.force_login(illadmin)

    response = client.get(ACCESS_LOG)

    assert response.status_code == 200
    assert 'name="patron"' in response.content.decode()


def test_the_log_page_does_not_grow_in_queries_with_its_rows(privacy_world, client, illadmin,
                                                           django_assert_max_num_queries):
    client.force_login(illadmin)
    for size in (3, 40):
        for _ in range(size):
            request = IllRequestFactory(library=privacy_world.library, patron=privacy_world.patron)
            PatronRecordAccess.objects.create(staff=StaffFactory(library=privacy_world.library),
                                              patron=privacy_world.patron, request=request, what="x", path="/x")
        with django_assert_max_num_queries(12):
            assert client.get(ACCESS_LOG, {"patron": BARCODE}).status_code == 200


def test_ill_administrators_find_the_access_log_in_the_menu(privacy_world, client, illadmin):
    client.force_login(illadmin)
    assert f'href="{ACCESS_LOG}"' in client.get("/").content.decode()


def test_borrowing_staff_have_no_access_log_in_the_menu(privacy_world, client):
    client.force_login(StaffFactory(library=privacy_world.library, groups=[roles.BORROWING_STAFF]))
    assert f'href="{ACCESS_LOG}"' not in client.get("/").content.decode()
