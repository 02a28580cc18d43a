"""The directory says which ISO 18626 version a partner speaks, and offers only those we write: 1.2 and 2021-2."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from requests_app.iso18626 import xml
from requests_app.models import Library
from tests.factories import LibraryFactory
from tests.requests_app.test_partner_admin import change_url, form_data

BEFORE = ("requests_app", "0020_encrypt_outgoing_partner_keys")
AFTER = ("requests_app", "0021_directory_offers_the_iso18626_versions_we_write")


def test_the_directory_offers_exactly_the_versions_we_write():
    choices = [value for value, _ in Library._meta.get_field("iso18626_version").choices]

    assert choices == [xml.VERSION_1_2, xml.VERSION_2021_2]
    assert [xml.form_of(value) for value in choices] == choices


@pytest.mark.django_db
def test_a_new_partner_speaks_1_2():
    assert LibraryFactory().iso18626_version == "1.2"


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["1.3", "2021-1", ""])
def test_a_version_we_do_not_write_is_refused_by_the_directory(version):
    partner = LibraryFactory.build(iso18626_version=version)

    with pytest.raises(ValidationError) as refused:
        partner.full_clean()

    assert "iso18626_version" in refused.value.message_dict


@pytest.mark.django_db
def test_the_admin_refuses_a_version_we_do_not_write_and_keeps_the_old_one(client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw"))
    partner = LibraryFactory(iso18626_version="2021-2")

    response = client.post(change_url(partner), form_data(partner, iso18626_version="1.3"))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    partner.refresh_from_db()
    assert partner.iso18626_version == "2021-2"


@pytest.mark.django_db
def test_the_admin_offers_both_versions_as_a_choice(client):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw"))
    page = client.get(reverse("admin:requests_app_library_change", args=[LibraryFactory().pk])).content.decode()

    assert '<select name="iso18626_version"' in page
    assert '<option value="2021-2">' in page


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True)
def test_upgrading_maps_a_version_we_do_not_write_to_the_one_it_stands_for_or_1_2():
    try:
        old = migrate(BEFORE).get_model("requests_app", "Library")
        for symbol, version in [("A", "1.0"), ("B", "2021"), ("C", "3"), ("D", ""), ("E", "2021-2"), ("F", "1.2")]:
            old.objects.create(symbol=symbol, name=symbol, agency_id_value=symbol, iso18626_version=version)

        new = migrate(AFTER).get_model("requests_app", "Library")

        assert dict(new.objects.values_list("symbol", "iso18626_version")) == {
            "A": "1.2", "B": "2021-2", "C": "1.2", "D": "1.2", "E": "2021-2", "F": "1.2"}
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
