"""What refuses someone's input speaks their language: a patron's bad ISBN, a holdings file's bad records (in the
language of whoever uploaded it, though a worker reads the file), the idle sign-out, a partner's throttling."""

from __future__ import annotations

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from billing.money import parse_amount
from illms.middleware import LAST_ACTIVITY_KEY
from lending.models import HoldingFormat
from lending.services.holdings import start_import
from requests_app.identifiers import normalize_issn
from requests_app.languages import starter_language
from requests_app.models import StaffProfile
from requests_app.partners.throttling import Throttled
from tests.factories import PASSWORD, MemberLibraryFactory, PatronFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _translations(compiled_translations):
    """The catalogues compiled, for every test here."""


def test_a_german_patron_is_told_in_german_that_an_isbns_check_digit_does_not_match(client):
    patron = PatronFactory()
    client.force_login(patron)
    response = client.post(reverse("patron-request-form", args=["book"]), {
        "title": "X", "isbn": "9780306406150", "delivery_method": "physical"}, HTTP_ACCEPT_LANGUAGE="de")
    assert response.context["form"].errors["isbn"] == [
        "„9780306406150“ ist keine gültige ISBN: die Prüfziffer stimmt nicht (eine Ziffer vertippt?)."]


def test_an_issn_of_the_wrong_length_is_explained_in_spanish():
    with translation.override("es"), pytest.raises(Exception) as refused:
        normalize_issn("1234-56")
    assert refused.value.messages == ["«1234-56» no es un ISSN válido: tiene un número de cifras incorrecto."]


def test_an_amount_that_is_not_one_is_refused_in_french():
    with translation.override("fr"), pytest.raises(ValueError) as refused:
        parse_amount("douze", "EUR")
    assert str(refused.value) == "« douze » n'est pas un montant."


def test_a_holdings_files_bad_records_are_reported_in_the_uploaders_language_not_the_workers(
        django_capture_on_commit_callbacks):
    library = MemberLibraryFactory()
    clerk = StaffFactory(library=library)
    StaffProfile.objects.filter(user=clerk).update(language="fr")
    clerk.refresh_from_db()
    content = b"title,format\n,book\nAtlas,scroll\n"
    with translation.override("de"), django_capture_on_commit_callbacks(execute=True):
        job = start_import(library=library, upload=SimpleUploadedFile("h.csv", content), file_format="csv",
                           user=clerk)
    job.refresh_from_db()
    assert [error["reason"] for error in job.errors] == [
        "Le titre manque.",
        f"Format inconnu « scroll » (utilisez l'un de : {', '.join(HoldingFormat.values)}).",
    ]


def test_what_nobody_in_particular_started_is_worded_in_the_sites_language(settings):
    settings.LANGUAGE_CODE = "es"
    assert starter_language(None) == "es"
    assert starter_language(StaffFactory()) == "es"


def test_an_idle_german_clerk_reads_why_on_a_german_sign_in_page(client):
    clerk = StaffFactory(library=MemberLibraryFactory())
    StaffProfile.objects.filter(user=clerk).update(language="de")
    client.post(reverse("login"), {"username": clerk.username, "password": PASSWORD})
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - 8 * 60 * 60 - 1
    session.save()
    response = client.get("/borrowing/queue/", follow=True)
    assert response.headers["Content-Language"] == "de"
    assert "Sie wurden nach 8 Stunden ohne Aktivität abgemeldet." in response.content.decode()


def test_a_partner_over_its_rate_is_told_when_to_try_again_in_french():
    with translation.override("fr"):
        assert Throttled("iso18626", 12).note == "Trop de messages : réessayez dans 12 secondes."
        assert Throttled("iso18626", 1).note == "Trop de messages : réessayez dans 1 seconde."
