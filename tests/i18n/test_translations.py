"""The shipped translations: complete, compiled, and each person served in their own language at the same time."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from borrowing.states import BorrowingStatus
from requests_app import services
from requests_app.models import OutgoingEmail, PatronProfile, StaffProfile
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, PatronProfileFactory, StaffFactory

SHIPPED = [code for code, _name in settings.LANGUAGES if not code.startswith("en")]
CATALOGUES = [Path(settings.BASE_DIR) / "locale" / code / "LC_MESSAGES" / f"{domain}.po"
              for code in SHIPPED for domain in ("django", "djangojs")]


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_every_shipped_catalogue_is_complete_with_no_fuzzy_entry(path):
    catalogue = polib.pofile(str(path))
    assert len(catalogue) > 0
    assert not catalogue.metadata_is_fuzzy and "nplurals=" in catalogue.metadata.get("Plural-Forms", "")
    assert [e.msgid for e in catalogue.fuzzy_entries()] == []
    assert [e.msgid for e in catalogue.untranslated_entries()] == []
    assert [e.msgid for e in catalogue.obsolete_entries()] == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_every_translation_keeps_the_placeholders_of_its_english(path):
    import re

    placeholder = re.compile(r"%\([a-z_]+\)[sdr]|%s|<[^>]+>|\{[a-z_]+\}")
    for entry in polib.pofile(str(path)):
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert sorted(placeholder.findall(text)) == sorted(placeholder.findall(entry.msgid)), entry.msgid


@pytest.mark.django_db
def test_a_french_patron_gets_french_emails_while_a_german_clerk_sees_german_pages(
        client, compiled_translations, mailoutbox, django_capture_on_commit_callbacks):
    request = IllRequestFactory(status=BorrowingStatus.RECEIVED, title="Les Misérables")
    PatronProfile.objects.filter(user=request.patron).update(language="fr")
    clerk = StaffFactory(library=request.library)
    StaffProfile.objects.filter(user=clerk).update(language="de")
    client.post(reverse("login"), {"username": clerk.username, "password": "correct horse battery staple"})

    desk = client.get(reverse("borrowing_staff:request", args=[request.pk]))
    assert desk.headers["Content-Language"] == "de"
    assert "Nehmende Fernleihe" in desk.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        services.perform(request=request, action="notify_patron", actor=Actor.staff(clerk))
    [mail] = mailoutbox
    assert mail.subject == "Disponible au retrait : Les Misérables"
    assert mail.body.startswith(f"Bonjour {request.patron.get_full_name()},")
    assert "Merci d'apporter votre carte de bibliothèque." in mail.body
    assert OutgoingEmail.objects.get().subject == mail.subject
    assert "Nehmende Fernleihe" in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_a_patron_who_chose_no_language_is_written_to_in_the_sites(compiled_translations, mailoutbox,
                                                                   django_capture_on_commit_callbacks, settings):
    settings.LANGUAGE_CODE = "es"
    profile = PatronProfileFactory()
    request = IllRequestFactory(status=BorrowingStatus.RECEIVED, title="Cien años de soledad", patron=profile.user,
                                library=profile.library)
    with django_capture_on_commit_callbacks(execute=True):
        services.perform(request=request, action="notify_patron", actor=Actor.staff(StaffFactory(
            library=request.library)))
    assert mailoutbox[0].subject == "Listo para recoger: Cien años de soledad"


@pytest.mark.django_db
def test_dates_on_a_patrons_page_follow_their_language(client, compiled_translations):
    import datetime as dt

    profile = PatronProfileFactory(language="de")
    request = IllRequestFactory(status=BorrowingStatus.CHECKED_OUT, patron=profile.user, library=profile.library,
                                patron_due_date=dt.date(2026, 12, 24))
    client.force_login(profile.user)
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    page = client.get(reverse("patron-request", args=[request.pk])).content.decode()
    assert "24.12.2026" in page and "Rückgabe bis" in page


@pytest.mark.django_db
def test_the_cover_sheet_of_a_copy_is_in_the_sites_language_whatever_the_clerks(compiled_translations, settings):
    import io

    from django.utils import translation
    from pypdf import PdfReader

    from lending.pdf import cover_sheet
    from tests.factories import LendingRequestFactory

    settings.LANGUAGE_CODE = "de"
    request = LendingRequestFactory()
    with translation.override("fr"):
        pdf = cover_sheet(request)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Fernleihkopie, geliefert von" in text and "urheberrechtlich" in text
