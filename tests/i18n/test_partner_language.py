"""What travels to a partner library is in its directory entry's language, whatever the language of the clerk:
invoices and credit notes (PDF and e-mail), the copyright cover sheet, pull slips, shipping and return labels;
a book band is in our patron's. Dates and amounts are formatted for that language."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from billing.models import Invoice
from billing.services import create_monthly_invoices, issue_credit_note
from borrowing import pdf as borrowing_pdf
from lending import pdf as lending_pdf
from requests_app import roles
from requests_app.languages import library_language
from requests_app.models import IllRequest, OutgoingEmail, PatronProfile
from tests.billing.factories import BillingSettingsFactory, ReceivableFactory
from tests.factories import IllRequestFactory, LendingRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> list[str]:
    """Each page's text, its line breaks read as spaces."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture
def ours():
    library = MemberLibraryFactory(symbol="OURS", name="Our University Library", address_line1="1 Library Way",
                                   email="ill@ours.example.edu")
    BillingSettingsFactory(library=library, payment_instructions="IBAN DE00 0000")
    return library


@pytest.fixture
def french_partner():
    return LibraryFactory(symbol="FR-BU", name="Bibliothèque universitaire", language="fr", country="FR",
                          address_line1="1 rue des Livres", city="Lyon", billing_email="peb@bu.example.fr")


def invoice_in_german_hands(ours, partner, django_capture_on_commit_callbacks) -> Invoice:
    """October's invoice to ``partner``, made, rendered and e-mailed while the clerk's language is German."""
    request = LendingRequestFactory(library=ours, partner=partner)
    ReceivableFactory(request=request, amount=Decimal("1234.50"), incurred_at=dt.datetime(2026, 10, 3, 12,
                                                                                           tzinfo=dt.UTC))
    with translation.override("de"), django_capture_on_commit_callbacks(execute=True):
        [invoice] = create_monthly_invoices(now=dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC))
    invoice.refresh_from_db()
    return invoice


def test_a_partners_language_falls_back_to_the_sites_default(settings):
    settings.LANGUAGE_CODE = "es"
    assert library_language(LibraryFactory(language="")) == "es"
    assert library_language(LibraryFactory(language="fr")) == "fr"
    assert library_language(None) == "es"


def test_a_french_partner_gets_a_french_invoice_e_mail_while_the_clerk_works_in_german(
        compiled_translations, ours, french_partner, django_capture_on_commit_callbacks):
    invoice = invoice_in_german_hands(ours, french_partner, django_capture_on_commit_callbacks)
    assert invoice.recipient_language == "fr"
    email = OutgoingEmail.objects.get()
    assert email.subject == f"Facture {invoice.number} de Our University Library (octobre 2026)"
    assert "Chères et chers collègues de Bibliothèque universitaire," in email.body_text
    assert "Rechnung" not in email.subject


def test_a_french_partner_gets_a_french_invoice_pdf_with_french_dates_and_amounts(
        compiled_translations, ours, french_partner, django_capture_on_commit_callbacks):
    invoice = invoice_in_german_hands(ours, french_partner, django_capture_on_commit_callbacks)
    [page] = pdf_text(invoice.pdf.read())
    assert f"Facture {invoice.number}" in page
    assert "01/10/2026 – 31/10/2026" in page  # the French short date
    assert "1234,50" in page or "1 234,50" in page or "1\u00a0234,50" in page
    assert f"Veuillez indiquer {invoice.number}" in page
    assert "Rechnung" not in page and "Invoice" not in page


def test_a_credit_note_to_a_french_partner_is_french_too(
        compiled_translations, ours, french_partner, django_capture_on_commit_callbacks):
    invoice = invoice_in_german_hands(ours, french_partner, django_capture_on_commit_callbacks)
    with translation.override("de"), django_capture_on_commit_callbacks(execute=True):
        note = issue_credit_note(invoice=invoice, reason="Doppelt berechnet")
    note.refresh_from_db()
    [page] = pdf_text(note.pdf.read())
    assert f"Avoir {note.number}" in page
    assert f"Annule la facture {invoice.number} : Doppelt berechnet" in page


def test_the_credit_note_of_an_invoice_made_without_a_language_is_in_the_sites_default(
        compiled_translations, settings, ours, french_partner, django_capture_on_commit_callbacks):
    invoice = invoice_in_german_hands(ours, french_partner, django_capture_on_commit_callbacks)
    Invoice.objects.filter(pk=invoice.pk).update(recipient_language="")  # made before partners had a language
    invoice.refresh_from_db()
    settings.LANGUAGE_CODE = "es"
    with translation.override("de"), django_capture_on_commit_callbacks(execute=True):
        note = issue_credit_note(invoice=invoice, reason="Doble")
    assert note.note == f"Anula la factura {invoice.number}: Doble"


def test_the_invoice_of_a_partner_without_a_language_is_in_the_sites_default(
        compiled_translations, settings, ours, django_capture_on_commit_callbacks):
    settings.LANGUAGE_CODE = "es"
    partner = LibraryFactory(language="", billing_email="ill@partner.example.org")
    invoice = invoice_in_german_hands(ours, partner, django_capture_on_commit_callbacks)
    [page] = pdf_text(invoice.pdf.read())
    assert f"Factura {invoice.number}" in page


def test_the_cover_sheet_is_in_the_borrowers_language_whatever_the_clerks(compiled_translations, french_partner):
    request = LendingRequestFactory(partner=french_partner)
    with translation.override("de"):
        [page] = pdf_text(lending_pdf.cover_sheet(request))
    assert "Copie de prêt entre bibliothèques fournie par" in page
    assert "Fernleih" not in page


def test_each_pull_slip_and_shipping_label_is_in_its_borrowers_language(compiled_translations, french_partner):
    german_partner = LibraryFactory(language="de")
    french, german = (LendingRequestFactory(partner=p, need_by=dt.date(2026, 12, 24))
                      for p in (french_partner, german_partner))
    requests = list(IllRequest.objects.filter(pk__in=[french.pk, german.pk]).select_related("partner", "library")
                    .order_by("pk"))
    with translation.override("es"):
        slips = pdf_text(lending_pdf.pull_slips(requests))
        labels = pdf_text(lending_pdf.shipping_labels(requests))
    assert f"Bulletin de communication {french.number}" in slips[0] and "24/12/2026" in slips[0]
    assert f"Laufzettel {german.number}" in slips[1] and "24.12.2026" in slips[1]
    assert "Prêt entre bibliothèques – à" in labels[0]
    assert "Fernleihe – an:" in labels[1]


def test_a_return_label_is_in_the_lenders_language(compiled_translations, french_partner):
    request = IllRequestFactory(partner=french_partner, due_date=dt.date(2026, 12, 24))
    request = IllRequest.objects.select_related("library", "partner").get(pk=request.pk)
    with translation.override("de"):
        [page] = pdf_text(borrowing_pdf.return_labels([request]))
    assert "Retour de prêt entre bibliothèques – à" in page
    assert "À rendre le 24/12/2026" in page


def test_a_book_band_is_in_our_patrons_language_not_the_lenders(compiled_translations, french_partner):
    request = IllRequestFactory(partner=french_partner, patron_due_date=dt.date(2026, 12, 24))
    PatronProfile.objects.filter(user=request.patron).update(language="de")
    request = IllRequest.objects.select_related("library", "partner", "patron__patron_profile").get(pk=request.pk)
    with translation.override("es"):
        [page] = pdf_text(borrowing_pdf.book_bands([request]))
    assert "Rückgabe bis 24.12.2026" in page
    assert "Bitte lassen Sie diesen Streifen" in page


def test_the_directory_page_shows_a_partners_language(client, compiled_translations, french_partner):
    staff = StaffFactory(library=MemberLibraryFactory())
    client.force_login(staff)
    page = client.get(reverse("directory:detail", args=[french_partner.symbol]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "French" in page.content.decode()


def test_the_directory_page_names_the_sites_default_for_a_partner_without_a_language(client, settings):
    settings.LANGUAGE_CODE = "en-us"
    partner = LibraryFactory(language="")
    client.force_login(StaffFactory(library=MemberLibraryFactory()))
    page = client.get(reverse("directory:detail", args=[partner.symbol])).content.decode()
    assert "The site&#x27;s default (English)" in page or "The site's default (English)" in page


def test_a_directory_administrator_sets_a_partners_language_in_the_admin(client):
    from tests.factories import sign_in_verified

    partner = LibraryFactory(language="")
    admin_user = StaffFactory(library=MemberLibraryFactory(), is_staff=True, groups=[roles.DIRECTORY_ADMINISTRATOR])
    sign_in_verified(client, admin_user)
    page = client.get(reverse("admin:requests_app_library_change", args=[partner.pk])).content.decode()
    assert 'name="language"' in page
    assert '<option value="fr">Français</option>' in page


def test_the_api_gives_a_member_librarys_language(client):
    from tests.factories import partner_key

    ours = MemberLibraryFactory(symbol="OURS", language="de")
    partner = LibraryFactory()
    body = client.get(f"/api/v1/libraries/{ours.symbol}/", HTTP_AUTHORIZATION=f"Bearer {partner_key(partner)}").json()
    assert body["language"] == "de"


@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_a_shipping_label_fits_on_its_label_in_every_language(compiled_translations, language):
    partner = LibraryFactory(language=language, address_line1="1 rue des Livres",
                             address_line2="Bâtiment B, service du PEB", city="Lyon", region="Auvergne-Rhône-Alpes",
                             postal_code="69000", country="FR")
    requests = [LendingRequestFactory(partner=partner) for _ in range(2)]
    requests = list(IllRequest.objects.filter(pk__in=[r.pk for r in requests]).select_related("partner", "library"))
    assert len(pdf_text(lending_pdf.shipping_labels(requests))) == 2


@pytest.mark.parametrize("language", ["en", "de", "fr", "es"])
def test_a_return_label_fits_on_its_label_in_every_language(compiled_translations, language):
    partner = LibraryFactory(language=language, address_line1="1 rue des Livres",
                             address_line2="Bâtiment B, service du PEB", city="Lyon", postal_code="69000")
    request = IllRequestFactory(partner=partner, due_date=dt.date(2026, 12, 24), supplying_agency_request_id="X-1")
    request = IllRequest.objects.select_related("library", "partner").get(pk=request.pk)
    assert len(pdf_text(borrowing_pdf.return_labels([request]))) == 1
