"""A library's own wording of an e-mail, per language: a recipient gets the wording in their language, else the
wording in the site's default language, else the standard wording translated into their language; the wording page
says which text recipients of each language get."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from billing.emails import write_invoice_email
from billing.models import Invoice, InvoiceStatus
from borrowing.services import notifications
from borrowing.states import BorrowingStatus
from requests_app import email_templates, mailer, roles
from requests_app.models import EmailTemplate, PatronProfile, PolicyChange
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db

KIND = "renewal-answered"


@pytest.fixture(autouse=True)
def english_site(settings):
    settings.LANGUAGE_CODE = "en-us"


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME", name="Home University Library")


def wording(home, language, subject, body="Due {{ r.due_date|date:'j F Y' }}"):
    return EmailTemplate.objects.create(library=home, kind=KIND, language=language, subject=subject, body_text=body)


def renewal_mail(home, language, mailoutbox, django_capture_on_commit_callbacks):
    request = IllRequestFactory(library=home, status=BorrowingStatus.CHECKED_OUT, patron_due_date=dt.date(2027, 3, 1))
    PatronProfile.objects.filter(user=request.patron).update(language=language)
    request.patron.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        mailer.write(notifications.draft(KIND, request, key=f"test:{request.pk}", granted=True))
    [mail] = mailoutbox
    return mail


def test_a_patron_gets_the_librarys_wording_in_their_language(home, mailoutbox, django_capture_on_commit_callbacks,
                                                                compiled_translations):
    wording(home, "en-us", "Renewed")
    wording(home, "de", "Verlängert")
    mail = renewal_mail(home, "de", mailoutbox, django_capture_on_commit_callbacks)
    assert (mail.subject, mail.body) == ("Verlängert", "Due 1 März 2027")


def test_a_patron_whose_language_has_no_wording_gets_the_default_languages_with_their_dates(
        home, mailoutbox, django_capture_on_commit_callbacks, compiled_translations):
    wording(home, "en-us", "Renewed")
    wording(home, "de", "Verlängert")
    mail = renewal_mail(home, "fr", mailoutbox, django_capture_on_commit_callbacks)
    assert (mail.subject, mail.body) == ("Renewed", "Due 1 mars 2027")


def test_without_a_default_language_wording_the_standard_wording_is_sent_in_the_patrons_language(
        home, mailoutbox, django_capture_on_commit_callbacks, compiled_translations):
    wording(home, "de", "Verlängert")
    mail = renewal_mail(home, "fr", mailoutbox, django_capture_on_commit_callbacks)
    assert mail.subject != "Verlängert"
    assert mail.subject.startswith("Prolongation accordée : ")


def test_a_partner_gets_the_invoice_wording_of_its_language(home):
    partner = LibraryFactory(language="fr")
    EmailTemplate.objects.create(library=home, kind="invoice-issued", language="en-us", subject="Invoice",
                                 body_text="Pay")
    EmailTemplate.objects.create(library=home, kind="invoice-issued", language="fr", subject="Facture",
                                 body_text="Payez {{ invoice.total }} {{ invoice.currency }}.")
    invoice = Invoice.objects.create(
        library=home, partner=partner, sequence=1, number="HOME-1", status=InvoiceStatus.ISSUED,
        period_start=dt.date(2026, 10, 1), period_end=dt.date(2026, 10, 31), currency="EUR", total=Decimal("12.50"),
        issuer_name=home.name, issuer_address="1 Main St", recipient_name=partner.name, recipient_address="2 High St",
        recipient_symbol=partner.symbol, recipient_email="ap@partner.example.org", recipient_language="fr")
    email = write_invoice_email(invoice)
    assert (email.subject, email.body_text) == ("Facture", "Payez 12,50 EUR.")


def test_which_wording_a_language_gets_is_said_for_each_case(home):
    assert email_templates.wording_for(home, KIND, "de").source == "standard"
    wording(home, "en-us", "Renewed")
    assert email_templates.wording_for(home, KIND, "de").source == "default"
    assert email_templates.wording_for(home, KIND, "en-us").source == "own"
    wording(home, "de", "Verlängert")
    assert email_templates.wording_for(home, KIND, "de-at").source == "own"


def test_a_wording_made_without_a_language_is_the_default_languages(home):
    assert EmailTemplate.objects.create(library=home, kind=KIND, subject="x", body_text="y").language == "en-us"


@pytest.fixture
def admin_client(client, home):
    client.force_login(StaffFactory(library=home, groups=[roles.ILL_ADMINISTRATOR]))
    return client


def edit_url(language=None):
    url = reverse("policies:email-edit", args=[KIND])
    return f"{url}?language={language}" if language else url


def test_the_wording_page_of_a_language_without_one_says_the_default_languages_is_used(admin_client, home):
    wording(home, "en-us", "Renewed: {{ r.title }}")
    page = admin_client.get(edit_url("de")).content.decode()
    assert "No German wording: the default language's (English) is used" in page
    assert 'value="Renewed: {{ r.title }}"' in page  # the German wording starts from the English one


def test_the_wording_page_says_the_standard_wording_is_used_without_any(admin_client):
    page = admin_client.get(edit_url("fr")).content.decode()
    assert ("No French wording of yours: recipients whose language it is get the standard wording, "
            "translated into it") in page


def test_saving_a_german_wording_keeps_the_english_one_and_is_recorded_as_german(admin_client, home):
    wording(home, "en-us", "Renewed")
    response = admin_client.post(edit_url(), {"language": "de", "subject": "Verlängert",
                                              "body_text": "Bis {{ r.due_date }}", "body_html": "", "action": "save"})
    assert response.status_code == 302 and response["Location"].endswith("?language=de")
    assert dict(EmailTemplate.objects.filter(library=home).values_list("language", "subject")) == {
        "en-us": "Renewed", "de": "Verlängert"}
    assert PolicyChange.objects.filter(library=home, area="e-mail (de): Renewal answered").exists()
    page = admin_client.get(edit_url("de")).content.decode()
    assert "Recipients whose language is German get your own wording in that language." in page


def test_removing_the_german_wording_leaves_the_english_one(admin_client, home):
    wording(home, "en-us", "Renewed")
    wording(home, "de", "Verlängert")
    admin_client.post(reverse("policies:email-reset", args=[KIND]), {"language": "de"})
    assert list(EmailTemplate.objects.values_list("language", flat=True)) == ["en-us"]


def test_the_preview_is_in_the_wordings_language(admin_client, compiled_translations):
    response = admin_client.post(edit_url(), {"language": "fr", "subject": "Prolongé",
                                              "body_text": "Jusqu'au {{ r.due_date|date:'j F Y' }}", "body_html": "",
                                              "action": "preview"})
    page = response.content.decode()
    assert "as a recipient whose language is French would get it" in page
    assert any(month in page for month in ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                                           "septembre", "octobre", "novembre", "décembre"))
    assert not EmailTemplate.objects.exists()


def test_an_unknown_language_is_not_found_and_saves_nothing(admin_client):
    assert admin_client.get(edit_url("xx")).status_code == 404
    response = admin_client.post(edit_url(), {"language": "xx", "subject": "a", "body_text": "b", "body_html": "",
                                              "action": "save"})
    assert response.status_code == 404
    assert not EmailTemplate.objects.exists()


def test_the_list_names_the_languages_a_wording_is_in(admin_client, home):
    wording(home, "en-us", "Renewed")
    wording(home, "fr", "Prolongé")
    page = admin_client.get(reverse("policies:emails")).content.decode()
    assert f'href="{edit_url("fr")}"' in page and f'href="{edit_url("en-us")}"' in page


BEFORE = ("requests_app", "0038_patron_blocked_by_ils")
AFTER = ("requests_app", "0039_directory_language_and_email_wording_per_language")


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


@pytest.mark.django_db(transaction=True)
def test_upgrading_makes_each_existing_wording_the_default_languages(settings):
    settings.LANGUAGE_CODE = "de"
    try:
        old = migrate(BEFORE)
        library = old.get_model("requests_app", "Library").objects.create(symbol="M", name="M", agency_id_value="M",
                                                                          is_member=True)
        old.get_model("requests_app", "EmailTemplate").objects.create(library=library, kind=KIND, subject="Alt",
                                                                      body_text="Alt")
        new = migrate(AFTER)
        assert list(new.get_model("requests_app", "EmailTemplate").objects.values_list("language", "subject")) == [
            ("de", "Alt")]
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_history_names_each_wordings_language_in_the_readers_language(admin_client, home, compiled_translations):
    for language, subject in (("en-us", "Renewed"), ("de", "Verlängert")):
        admin_client.post(edit_url(language), {"language": language, "subject": subject, "body_text": "x",
                                               "body_html": "", "action": "save"})
    admin_client.post(reverse("set_language"), {"language": "de", "next": "/"})
    page = admin_client.get(reverse("policies:history")).content.decode()
    assert "E-Mail: Verlängerung beantwortet" in page
    assert "E-Mail (de): Verlängerung beantwortet" in page
