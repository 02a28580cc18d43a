"""Upgrading: the key we send to a partner, stored in plain text before, is encrypted by the migration; every
existing partner requires a credential afterwards, whatever it required before."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from requests_app.partners import credentials

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("requests_app", "0018_ill_administrator_sees_outgoing_email")
AFTER = ("requests_app", "0020_encrypt_outgoing_partner_keys")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def test_the_plain_outgoing_key_is_encrypted_and_open_partners_now_need_a_credential():
    try:
        old = migrate(BEFORE).get_model("requests_app", "Library")
        old.objects.create(symbol="OLD", name="Old partner", agency_id_value="OLD", outgoing_api_key="plain-key",
                           require_api_key=False)
        old.objects.create(symbol="NONE", name="No key", agency_id_value="NONE")

        new = migrate(AFTER).get_model("requests_app", "Library")

        upgraded = new.objects.get(symbol="OLD")
        assert upgraded.outgoing_secret and "plain-key" not in upgraded.outgoing_secret
        assert credentials.decrypt(upgraded.outgoing_secret) == "plain-key"
        assert new.objects.get(symbol="NONE").outgoing_secret == ""
        assert not new.objects.filter(open_without_credential=True).exists()
        assert {f.name for f in new._meta.fields}.isdisjoint({"outgoing_api_key", "require_api_key"})

        back = migrate(BEFORE).get_model("requests_app", "Library")
        assert back.objects.get(symbol="OLD").outgoing_api_key == "plain-key"
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
