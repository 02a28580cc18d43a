"""The directory's lenient-intake setting: the partner's ILL system's profile gives it, staff may override it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from requests_app.models import IllSystem, Library
from tests.factories import LibraryFactory

from .test_partner_admin import change_url, form_data

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("system", [IllSystem.RESHARE, IllSystem.CROSSLINK, IllSystem.ALMA, IllSystem.WORLDSHARE,
                                    IllSystem.ILLIAD])
def test_a_partner_of_a_system_whose_messages_need_repairs_is_read_leniently(system):
    assert LibraryFactory(ill_system=system).reads_leniently


@pytest.mark.parametrize("system", [IllSystem.ILLMS, IllSystem.OTHER])
def test_a_partner_of_a_system_that_writes_valid_messages_is_read_strictly(system):
    assert not LibraryFactory(ill_system=system).reads_leniently


def test_a_new_directory_entry_is_read_strictly():
    library = Library.objects.create(symbol="NEW", name="New partner", agency_id_value="NEW")
    assert (library.ill_system, library.lenient_intake, library.reads_leniently) == (IllSystem.OTHER, None, False)


def test_staff_override_the_profile_either_way():
    assert not LibraryFactory(ill_system=IllSystem.RESHARE, lenient_intake=False).reads_leniently
    assert LibraryFactory(ill_system=IllSystem.OTHER, lenient_intake=True).reads_leniently


@pytest.fixture
def admin_client(client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw"))
    return client


def test_the_admin_sets_the_ill_system_and_the_override(admin_client):
    partner = LibraryFactory()
    page = admin_client.get(change_url(partner)).content.decode()
    assert "As its ILL system&#x27;s profile says" in page
    response = admin_client.post(change_url(partner), form_data(partner, ill_system=IllSystem.ALMA,
                                                                lenient_intake="false"))
    assert response.status_code == 302, response.content[:2000]
    partner.refresh_from_db()
    assert (partner.ill_system, partner.lenient_intake, partner.reads_leniently) == (IllSystem.ALMA, False, False)


def test_the_admin_lists_partners_by_ill_system(admin_client):
    LibraryFactory(symbol="RS1", ill_system=IllSystem.RESHARE)
    LibraryFactory(symbol="OT1")
    page = admin_client.get(reverse("admin:requests_app_library_changelist") + "?ill_system=reshare").content.decode()
    assert "RS1" in page and "OT1" not in page
